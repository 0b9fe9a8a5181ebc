//! A headless browser process: found (or installed through the system package manager),
//! started with a fresh temporary profile in a process group of its own, its remote
//! protocol's WebSocket address read from stderr, and on drop killed with every process it
//! started and its profile removed, whatever state the run is in.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use perf_core::corpus::BrowserKind;
use xshell::{Shell, cmd};

use crate::browser_chromium::CHROMIUM;
use crate::browser_firefox::FIREFOX;
use crate::browser_support::BrowserSupport;

/// How long a browser may take to print its protocol address.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How many of the browser's last stderr lines a failure quotes.
const STDERR_TAIL: usize = 12;

/// How each kind of browser is found, started and reached: the one registration of a browser.
pub(crate) fn support(kind: BrowserKind) -> &'static BrowserSupport {
    match kind {
        BrowserKind::Chromium => &CHROMIUM,
        BrowserKind::Firefox => &FIREFOX,
    }
}

/// The browser's executable: the override's, else on PATH; if missing, installed with
/// apt-get (as root, or through `sudo -n`), saying so; otherwise an error naming the
/// command to run.
pub(crate) fn ensure_installed(sh: &Shell, kind: BrowserKind) -> anyhow::Result<PathBuf> {
    let BrowserSupport { executable: exe, package, override_variable: variable, .. } = *support(kind);
    if let Some(path) = std::env::var_os(variable).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(path);
        if !path.is_file() {
            bail!("{variable}={} is not a file: point it at the browser's executable", path.display());
        }
        return Ok(path);
    }
    if let Some(path) = on_path(exe) {
        return Ok(path);
    }
    let install = format!("apt-get install -y {package}");
    crate::install_consent::permit(exe, &install)?;
    let apt = on_path("apt-get");
    let root = cmd!(sh, "id -u").quiet().read().is_ok_and(|uid| uid.trim() == "0");
    let sudo = !root && on_path("sudo").is_some() && cmd!(sh, "sudo -n true").quiet().run().is_ok();
    if apt.is_none() || !(root || sudo) {
        bail!(
            "{exe} is not installed and this tool cannot install it here; run `sudo {install}` (or your system's equivalent)"
        );
    }
    // apt's output (about 1,000 lines for a browser) goes to a log; the terminal gets a line.
    let log = crate::project_root().join(format!("artifacts/logs/install-{package}.log"));
    let shown = log.strip_prefix(crate::project_root()).unwrap_or(&log).display().to_string();
    eprintln!(
        "note: {exe} is not installed; installing it: {}{install} (output in {shown})",
        if sudo { "sudo " } else { "" }
    );
    let started = std::time::Instant::now();
    let (program, prefix): (&str, &[&str]) = if sudo { ("sudo", &["-n"]) } else { ("env", &[]) };
    apt_install(sh, program, prefix, package, &log).with_context(|| format!("`{install}` failed"))?;
    let path = on_path(exe).ok_or_else(|| anyhow!("`{install}` succeeded but {exe} is still not on PATH"))?;
    eprintln!("note: {exe} installed in {:.0} s", started.elapsed().as_secs_f64());
    Ok(path)
}

/// `apt-get update`, then `apt-get install -y package`, through `program prefix…` (`env` or
/// `sudo -n`), their output written to `log`; an error names the step, the log and its last
/// lines.
fn apt_install(sh: &Shell, program: &str, prefix: &[&str], package: &str, log: &Path) -> anyhow::Result<()> {
    let mut written = Vec::new();
    // The package lists may be stale or absent on a fresh machine.
    for args in [&["apt-get", "update", "-q"][..], &["apt-get", "install", "-y", "-q", package]] {
        let o = cmd!(sh, "{program} {prefix...} DEBIAN_FRONTEND=noninteractive {args...}")
            .quiet()
            .ignore_status()
            .output()?;
        written.extend_from_slice(format!("$ {}\n", args.join(" ")).as_bytes());
        written.extend_from_slice(&o.stdout);
        written.extend_from_slice(&o.stderr);
        crate::atomic_write::write_atomic(log, &written)?;
        if !o.status.success() {
            let text = String::from_utf8_lossy(&written);
            let mut tail: Vec<&str> = text.lines().rev().take(8).collect();
            tail.reverse();
            bail!(
                "`{}` exited with {}; the last lines of {}:\n  {}",
                args.join(" "),
                o.status,
                log.display(),
                tail.join("\n  ")
            );
        }
    }
    Ok(())
}

fn on_path(exe: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(exe)).find(|p| p.is_file())
}

/// A running browser. Dropping it kills its process group and removes its profile.
pub(crate) struct BrowserProcess {
    child: Child,
    profile: PathBuf,
    /// The remote protocol's WebSocket address (CDP for Chromium, the BiDi root for Firefox).
    pub ws_url: String,
    /// The command line it was started with, as recorded in the summary.
    pub command_line: String,
    stderr: Arc<Mutex<Vec<String>>>,
}

/// The prefix of every profile this tool creates: `<PREFIX><browser>-<pid>-<n>`.
const PROFILE_PREFIX: &str = "wasm-budget-gate-";

/// Removes the profiles under `dir` left by runs that no longer exist (killed before their
/// clean-up could run: SIGKILL, a power cut). A profile whose run is alive is left alone.
fn sweep_stale_profiles(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(PROFILE_PREFIX)) else { continue };
        let pid = rest.split('-').nth(1).and_then(|p| p.parse::<libc::pid_t>().ok());
        // SAFETY: kill with signal 0 only asks whether the process exists; nothing is sent.
        let gone = pid.is_some_and(|pid| {
            pid > 0
                && unsafe { libc::kill(pid, 0) } == -1
                && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
        });
        if gone {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

impl BrowserProcess {
    /// Starts `exe` headless with a fresh profile under the temporary directory (first
    /// removing the profiles of dead runs).
    pub(crate) fn launch(sh: &Shell, kind: BrowserKind, exe: &Path) -> anyhow::Result<BrowserProcess> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        sweep_stale_profiles(&std::env::temp_dir());
        let profile = std::env::temp_dir().join(format!(
            "{PROFILE_PREFIX}{}-{}-{}",
            support(kind).executable,
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&profile).with_context(|| format!("creating the profile {}", profile.display()))?;
        let args = (support(kind).arguments)(&profile)?;
        // The profile's path is this run's own: recorded as what it is, not where.
        let profile_text = profile.display().to_string();
        let command_line = std::iter::once(exe.display().to_string())
            .chain(args.iter().map(|a| a.replace(&profile_text, "<fresh temporary profile>")))
            .collect::<Vec<_>>()
            .join(" ");
        let mut command = Command::from(cmd!(sh, "{exe} {args...}"));
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).process_group(0);
        // SAFETY: prctl is async-signal-safe; it only asks the kernel to kill the browser
        // if this process dies first (a killed `cargo xtask perf` leaves no browser behind).
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = match command.spawn() {
            Ok(c) => c,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&profile);
                return Err(anyhow!(e).context(format!("starting {command_line}")));
            }
        };
        let stderr = child.stderr.take().ok_or_else(|| anyhow!("no stderr pipe"))?;
        let tail = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let keep = Arc::clone(&tail);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("ws://") {
                    let _ = tx.send(line[at..].trim().to_owned());
                }
                let mut t = keep.lock().unwrap_or_else(|p| p.into_inner());
                t.push(line);
                if t.len() > STDERR_TAIL {
                    t.remove(0);
                }
            }
        });
        let mut process = BrowserProcess { child, profile, ws_url: String::new(), command_line, stderr: tail };
        let started = Instant::now();
        process.ws_url = loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(url) => break url,
                Err(mpsc::RecvTimeoutError::Timeout) if started.elapsed() < START_TIMEOUT => {
                    if let Some(status) = process.child.try_wait()? {
                        bail!(
                            "the browser exited ({status}) before it listened: {}{}",
                            exe.display(),
                            process.stderr_tail()
                        );
                    }
                }
                // Its stderr closed: it has exited (killed, or its launcher script died), or is
                // about to; waiting out the start timeout would only hide that.
                Err(mpsc::RecvTimeoutError::Disconnected) => match process.exit_status(Duration::from_secs(2)) {
                    Some(status) => {
                        bail!(
                            "the browser exited ({status}) before it listened: {}{}",
                            exe.display(),
                            process.stderr_tail()
                        )
                    }
                    None => bail!("{} closed its stderr before it listened{}", exe.display(), process.stderr_tail()),
                },
                Err(mpsc::RecvTimeoutError::Timeout) => bail!(
                    "{} did not print its protocol address within {} s{}",
                    exe.display(),
                    START_TIMEOUT.as_secs(),
                    process.stderr_tail()
                ),
            }
        };
        Ok(process)
    }

    /// Whether the browser's main process has exited, and how, waiting up to `grace` for it:
    /// a killed browser's socket closes before the kernel reports its exit.
    pub(crate) fn exit_status(&mut self, grace: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + grace;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                _ => return None,
            }
        }
    }

    /// The browser's last lines on stderr, for an error message ("" if none).
    pub(crate) fn stderr_tail(&self) -> String {
        let tail = self.stderr.lock().unwrap_or_else(|p| p.into_inner());
        if tail.is_empty() { String::new() } else { format!("; its stderr ended with:\n  {}", tail.join("\n  ")) }
    }
}

impl Drop for BrowserProcess {
    fn drop(&mut self) {
        // The group id is the browser's pid (process_group(0)); its renderers, zygotes and
        // content processes are in it.
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: kill with a negative pid signals that process group; no memory is touched.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        let _ = self.child.wait();
        // The browser's helpers may still be writing as they die: retry briefly.
        for _ in 0..20 {
            if std::fs::remove_dir_all(&self.profile).is_ok() || !self.profile.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// apt's output goes to the log, not the terminal; a failed step names itself, the log
    /// and its last lines. (A stand-in `apt-get` on PATH: nothing is installed.)
    #[test]
    fn apt_output_goes_to_a_log_and_a_failure_shows_its_last_lines() {
        let dir = crate::project_root().join("artifacts/test/apt-install");
        let _ = std::fs::remove_dir_all(&dir);
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let script = "#!/bin/sh\nfor i in $(seq 1 300); do echo \"$1 line $i\"; done\n\
                      [ \"$3\" = \"-q\" ] && [ \"$4\" = missing ] && { echo 'E: Unable to locate package missing' >&2; exit 100; }\nexit 0\n";
        let apt = bin.join("apt-get");
        std::fs::write(&apt, script).unwrap();
        std::fs::set_permissions(&apt, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let sh = Shell::new().unwrap();
        sh.set_var("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()));
        let log = dir.join("install.log");
        apt_install(&sh, "env", &[], "present", &log).unwrap();
        let text = std::fs::read_to_string(&log).unwrap();
        assert_eq!(text.lines().count(), 602, "both steps, each with its command line");
        assert!(
            text.starts_with("$ apt-get update -q\nupdate line 1\n")
                && text.contains("$ apt-get install -y -q present\n")
        );
        let e = format!("{:#}", apt_install(&sh, "env", &[], "missing", &log).unwrap_err());
        assert!(e.contains("`apt-get install -y -q missing` exited with exit status: 100"), "{e}");
        assert!(
            e.contains("install.log") && e.ends_with("install line 300\n  E: Unable to locate package missing"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn only_the_profiles_of_dead_runs_are_swept() {
        let dir = std::env::temp_dir().join(format!("sweep-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        // A run that has exited: a child already waited for.
        let sh = Shell::new().unwrap();
        let mut done = Command::from(cmd!(sh, "true")).spawn().unwrap();
        let dead_pid = done.id();
        done.wait().unwrap();
        let names = [
            format!("{PROFILE_PREFIX}chromium-{dead_pid}-0"),
            format!("{PROFILE_PREFIX}firefox-{}-3", std::process::id()),
            "someone-elses-dir".to_owned(),
            format!("{PROFILE_PREFIX}no-pid-here"),
        ];
        for n in &names {
            std::fs::create_dir_all(dir.join(n).join("Default")).unwrap();
        }
        sweep_stale_profiles(&dir);
        let left: Vec<bool> = names.iter().map(|n| dir.join(n).exists()).collect();
        assert_eq!(left, [false, true, true, true], "{names:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
