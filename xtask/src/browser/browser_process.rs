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
    eprintln!("note: {exe} is not installed; installing it: {}{install}", if sudo { "sudo " } else { "" });
    let (program, prefix): (&str, &[&str]) = if sudo { ("sudo", &["-n"]) } else { ("env", &[]) };
    let run = |args: &[&str]| cmd!(sh, "{program} {prefix...} DEBIAN_FRONTEND=noninteractive {args...}").quiet().run();
    // The package lists may be stale or absent on a fresh machine.
    run(&["apt-get", "update", "-q"]).with_context(|| format!("apt-get update, before installing {package}"))?;
    run(&["apt-get", "install", "-y", "-q", package]).with_context(|| format!("`{install}` failed"))?;
    on_path(exe).ok_or_else(|| anyhow!("`{install}` succeeded but {exe} is still not on PATH"))
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
