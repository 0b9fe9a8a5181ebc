//! A host app built around one variant's shipped module: its sources copied, its `pkg/`
//! written, `npm ci` into an install keyed by the lockfile, `npm run build`, and the folder
//! it serves kept in a cache keyed by every input (the app's sources, `pkg/`'s bytes, the
//! Node version), so a run with nothing changed builds no host. A failed install or build
//! is an error naming the host, the npm command and its last lines.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use perf_core::digest::sha256_hex;
use perf_core::host::HostApp;
use xshell::{Shell, cmd};

use crate::atomic_write::write_atomic;
use crate::host_app::{self, BUILD_OUTPUTS};
use crate::host_pkg::PkgFile;

/// How many of a failed npm command's last lines the error quotes.
const TAIL_LINES: usize = 20;
/// The files an install is made from; the rest of the app is copied in for each build.
const MANIFEST: [&str; 2] = ["package.json", "package-lock.json"];

/// Where the host caches live: the built sites, and the npm installs.
pub(crate) struct HostCaches {
    pub builds: PathBuf,
    pub installs: PathBuf,
}

impl HostCaches {
    pub(crate) fn under(root: &Path) -> HostCaches {
        HostCaches { builds: root.join("artifacts/cache/hosts"), installs: root.join("artifacts/cache/npm") }
    }
}

/// A host app, built: the folder the loopback server serves, the page a sample loads, and
/// what it took.
#[derive(Clone)]
pub(crate) struct HostBuild {
    pub site: PathBuf,
    pub page: &'static str,
    /// Served from the cache: nothing was installed or built.
    pub cache_hit: bool,
    /// `npm ci`'s time, when it ran.
    pub install_millis: Option<u64>,
    /// `npm run build`'s time, when it ran.
    pub build_millis: Option<u64>,
}

/// A host app's two builds a variant's samples load: the app around the variant's shipped
/// module, and its control build (the subject stubbed out).
pub(crate) struct HostPages {
    pub page: HostBuild,
    pub control: HostBuild,
}

/// Builds `app` around `pkg` (whose module file is `module_name`; a control build has none),
/// or takes it from the cache.
pub(crate) fn build(
    sh: &Shell,
    app: HostApp,
    pkg: &[PkgFile],
    module_name: Option<&str>,
    caches: &HostCaches,
) -> anyhow::Result<HostBuild> {
    let facts = host_app::facts(app);
    let sources = read_sources(&host_app::source_dir(app))?;
    let node = if facts.npm { node_version(sh, app)? } else { String::new() };
    let key = inputs_key(app, &sources, pkg, &node);
    let done = caches.builds.join(format!("{}-{}", app.as_str(), &key[..16]));
    let mut out = HostBuild {
        site: done.join("site"),
        page: facts.page,
        cache_hit: true,
        install_millis: None,
        build_millis: None,
    };
    if done.join("complete").is_file() {
        return Ok(out);
    }
    out.cache_hit = false;
    let tmp = caches.builds.join(format!(".{}-{}.{}.tmp", app.as_str(), &key[..16], std::process::id()));
    remove_dir(&tmp)?;
    let site = tmp.join("site");
    if facts.npm {
        let install = caches.installs.join(format!("{}-{}", app.as_str(), &manifest_key(&sources)[..16]));
        out.install_millis = ensure_installed(sh, app, &install, &sources)?;
        // A clean build every time: only the install stays.
        for entry in std::fs::read_dir(&install).with_context(|| format!("cannot list {}", install.display()))? {
            let entry = entry?;
            let name = entry.file_name();
            if !["node_modules", ".installed"].iter().chain(&MANIFEST).any(|keep| name == *keep) {
                remove_path(&entry.path())?;
            }
        }
        write_app(&install, &sources, pkg)?;
        let t = Instant::now();
        npm(sh, app, &install, &["run", "build"])?;
        out.build_millis = Some(t.elapsed().as_millis() as u64);
        if let (Some(dir), Some(module_name)) = (facts.module_beside, module_name) {
            let module = pkg.iter().find(|(name, _)| name == module_name).ok_or_else(|| anyhow!("no {module_name}"))?;
            write_atomic(&install.join(dir).join(module_name), &module.1)?;
        }
        for (from, to) in facts.serve {
            let to = if *to == "." { site.clone() } else { site.join(to) };
            copy_tree(&install.join(from), &to)?;
        }
    } else {
        write_app(&site, &sources, pkg)?;
    }
    std::fs::write(tmp.join("complete"), &key)?;
    remove_dir(&done)?;
    std::fs::rename(&tmp, &done).with_context(|| format!("cannot move {} to {}", tmp.display(), done.display()))?;
    Ok(out)
}

/// The app's committed files (relative path, bytes), sorted, without what a hand build left.
fn read_sources(dir: &Path) -> anyhow::Result<Vec<PkgFile>> {
    let mut files = Vec::new();
    let walk = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() != 1 || !BUILD_OUTPUTS.iter().any(|o| e.file_name() == *o));
    for entry in walk {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        if entry.file_type().is_file() {
            let relative = entry.path().strip_prefix(dir)?.to_string_lossy().replace('\\', "/");
            let bytes =
                std::fs::read(entry.path()).with_context(|| format!("cannot read {}", entry.path().display()))?;
            files.push((relative, bytes));
        }
    }
    if files.is_empty() {
        bail!("{} has no files: the host app is missing", dir.display());
    }
    Ok(files)
}

/// The key of a build: every byte it is made from, and the recipe's version (bumped when
/// what a build writes changes, so no stale site is served).
fn inputs_key(app: HostApp, sources: &[PkgFile], pkg: &[PkgFile], node: &str) -> String {
    let mut all = format!("host-build-v2\n{}\n{node}\n", app.as_str()).into_bytes();
    for (folder, files) in [("app", sources), ("pkg", pkg)] {
        for (name, bytes) in files {
            all.extend(format!("{folder}/{name}\0{}\0", bytes.len()).as_bytes());
            all.extend(bytes);
        }
    }
    sha256_hex(&all)
}

/// The key of an install: its manifest and lockfile.
fn manifest_key(sources: &[PkgFile]) -> String {
    let mut all = Vec::new();
    for (name, bytes) in sources.iter().filter(|(n, _)| MANIFEST.contains(&n.as_str())) {
        all.extend(format!("{name}\0{}\0", bytes.len()).as_bytes());
        all.extend(bytes);
    }
    sha256_hex(&all)
}

/// The oldest Node.js the npm hosts build with: Vite 8's floor (Next 16 needs 20.9).
const NODE_FLOOR: (u32, u32) = (20, 19);

/// `node --version`, or what to install when Node.js or npm is missing or too old.
fn node_version(sh: &Shell, app: HostApp) -> anyhow::Result<String> {
    let found = |program: &str| cmd!(sh, "{program} --version").quiet().ignore_stderr().read().ok();
    let install = "install Node.js 20.19 or later with npm (https://nodejs.org; a distribution's nodejs package \
                   may be older: Debian 12's is 18)";
    let (Some(node), Some(_)) = (found("node"), found("npm")) else {
        bail!("the {} host is built with npm, and Node.js or npm is not on PATH: {install}", app.as_str());
    };
    let node = node.trim().to_owned();
    let mut parts = node.trim_start_matches('v').split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let version = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if version < NODE_FLOOR {
        bail!("the {} host is built with npm, and this Node.js is {node}: {install}", app.as_str());
    }
    Ok(node)
}

/// `npm ci` into `install` unless it holds this lockfile's install; its time when it ran.
fn ensure_installed(sh: &Shell, app: HostApp, install: &Path, sources: &[PkgFile]) -> anyhow::Result<Option<u64>> {
    if install.join(".installed").is_file() {
        return Ok(None);
    }
    eprintln!("note: installing the {} host's npm packages (npm ci, from its lockfile)", app.as_str());
    remove_dir(install)?;
    for (name, bytes) in sources.iter().filter(|(n, _)| MANIFEST.contains(&n.as_str())) {
        write_atomic(&install.join(name), bytes)?;
    }
    let t = Instant::now();
    npm(sh, app, install, &["ci", "--no-audit", "--no-fund"])?;
    std::fs::write(install.join(".installed"), b"")?;
    Ok(Some(t.elapsed().as_millis() as u64))
}

/// Runs `npm <args>` in `dir`; a failure names the host, the command and its last lines.
fn npm(sh: &Shell, app: HostApp, dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let _in = sh.push_dir(dir);
    let output = cmd!(sh, "npm {args...}")
        .env("NEXT_TELEMETRY_DISABLED", "1")
        .quiet()
        .ignore_status()
        .output()
        .with_context(|| format!("the {} host: cannot run npm", app.as_str()))?;
    if output.status.success() {
        return Ok(());
    }
    let text = [String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)].concat();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n  ");
    bail!(
        "the {} host: `npm {}` in {} failed ({}); its last lines:\n  {tail}",
        app.as_str(),
        args.join(" "),
        dir.display(),
        output.status
    )
}

/// Writes the app's sources (but its manifest, already there in an install) and its `pkg/`.
fn write_app(dir: &Path, sources: &[PkgFile], pkg: &[PkgFile]) -> anyhow::Result<()> {
    for (name, bytes) in sources {
        if !(dir.join(name).is_file() && MANIFEST.contains(&name.as_str())) {
            write_atomic(&dir.join(name), bytes)?;
        }
    }
    for (name, bytes) in pkg {
        write_atomic(&dir.join("pkg").join(name), bytes)?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.with_context(|| format!("cannot list {}", from.display()))?;
        let target = to.join(entry.path().strip_prefix(from)?);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).with_context(|| format!("cannot create {}", target.display()))?;
        } else {
            std::fs::copy(entry.path(), &target).with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}

fn remove_dir(dir: &Path) -> anyhow::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove {}", dir.display()))
        }
        _ => Ok(()),
    }
}

fn remove_path(path: &Path) -> anyhow::Result<()> {
    if path.is_dir() { remove_dir(path) } else { Ok(std::fs::remove_file(path)?) }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::browser_probe::Shipped;

    fn shipped(module: &[u8]) -> Shipped {
        Shipped { module: module.to_vec(), module_name: "m.wasm".into(), glue: vec![], declarations: None }
    }

    fn pkg(module: &[u8]) -> Vec<PkgFile> {
        crate::host_pkg::pkg_files(&shipped(module), "return api.exports.run(1);", b"// probe")
    }

    fn fresh(dir: &str) -> PathBuf {
        let dir = crate::project_root().join("artifacts/test").join(dir);
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_host_is_built_once_per_inputs_and_served_from_the_cache_after() {
        let dir = fresh("host-build-cache");
        let caches = HostCaches { builds: dir.join("builds"), installs: dir.join("npm") };
        let sh = Shell::new().unwrap();
        let first = build(&sh, HostApp::VanillaJs, &pkg(b"\0asm one"), Some("m.wasm"), &caches).unwrap();
        assert!(!first.cache_hit);
        assert_eq!((first.page, first.install_millis, first.build_millis), ("/", None, None));
        for file in ["index.html", "main.js", "pkg/m.wasm", "pkg/subject.js", "pkg/calls.js", "pkg/probe.js"] {
            assert!(first.site.join(file).is_file(), "{file} missing from {}", first.site.display());
        }
        let again = build(&sh, HostApp::VanillaJs, &pkg(b"\0asm one"), Some("m.wasm"), &caches).unwrap();
        assert!(again.cache_hit && again.site == first.site);
        let changed = build(&sh, HostApp::VanillaJs, &pkg(b"\0asm two"), Some("m.wasm"), &caches).unwrap();
        assert!(!changed.cache_hit && changed.site != first.site, "new module bytes, new build");
        assert_eq!(std::fs::read(changed.site.join("pkg/m.wasm")).unwrap(), b"\0asm two");
    }

    /// A Shell whose PATH starts with `dir`, holding `node` and `npm` scripts with `bodies`.
    fn fake_tools(dir: &Path, node: Option<&str>, npm: &str) -> Shell {
        std::fs::create_dir_all(dir).unwrap();
        for (name, body) in [("node", node), ("npm", Some(npm))] {
            if let Some(body) = body {
                let path = dir.join(name);
                std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        let sh = Shell::new().unwrap();
        // No system directory: a node or npm on the machine must not be found instead.
        sh.set_var("PATH", format!("{}:/usr/bin/nonexistent", dir.display()));
        sh
    }

    #[test]
    fn an_npm_host_is_installed_once_built_clean_and_serves_its_build_only() {
        let dir = fresh("host-build-npm");
        let caches = HostCaches { builds: dir.join("builds"), installs: dir.join("npm") };
        // npm ci leaves an install; npm run build writes dist/ (and a stray file beside it).
        let npm = "PATH=/usr/bin:/bin\ncase \"$1\" in\n\
                   --version) echo 11.0.0 ;;\n\
                   ci) mkdir -p node_modules/vite && echo x > node_modules/vite/index.js ;;\n\
                   run) test ! -e stray || exit 9; mkdir -p dist && cp index.html dist/ && echo m > dist/app.js && echo s > stray ;;\n\
                   esac";
        let sh = fake_tools(&dir.join("bin"), Some("echo v20.20.2"), npm);
        let first = build(&sh, HostApp::React, &pkg(b"\0asm one"), Some("m.wasm"), &caches).unwrap();
        assert!(first.install_millis.is_some() && first.build_millis.is_some());
        let mut served: Vec<String> = walkdir::WalkDir::new(&first.site)
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.path().strip_prefix(&first.site).unwrap().display().to_string())
            .collect();
        served.sort();
        assert_eq!(served, ["app.js", "index.html"], "dist/ at the site's root, not the install");
        // New module bytes: the same install, a clean build (the stray file is gone first).
        let second = build(&sh, HostApp::React, &pkg(b"\0asm two"), Some("m.wasm"), &caches).unwrap();
        assert!(second.install_millis.is_none() && second.build_millis.is_some(), "installed once");
    }

    #[test]
    fn a_failed_npm_command_names_the_host_the_command_and_its_last_lines() {
        let dir = fresh("host-build-npm-fails");
        let caches = HostCaches { builds: dir.join("builds"), installs: dir.join("npm") };
        let npm = "[ \"$1\" = --version ] && { echo 11.0.0; exit 0; }\n\
                   echo 'npm error code E404' >&2\necho 'npm error 404 Not Found - GET vite' >&2\nexit 1";
        let sh = fake_tools(&dir.join("bin"), Some("echo v20.20.2"), npm);
        let e = build(&sh, HostApp::React, &pkg(b"\0asm"), Some("m.wasm"), &caches).err().unwrap();
        let message = format!("{e:#}");
        assert!(message.contains("the react host: `npm ci --no-audit --no-fund`"), "{message}");
        assert!(message.contains("failed (exit status: 1); its last lines:"), "{message}");
        assert!(message.ends_with("npm error code E404\n  npm error 404 Not Found - GET vite"), "{message}");
        assert!(!dir.join("builds").exists() || std::fs::read_dir(dir.join("builds")).unwrap().next().is_none());

        let sh = fake_tools(&dir.join("no-node"), None, "echo 11.0.0");
        let e = build(&sh, HostApp::Nextjs, &pkg(b"\0asm"), Some("m.wasm"), &caches).err().unwrap();
        assert!(format!("{e:#}").contains("the nextjs host is built with npm, and Node.js or npm is not on PATH"));
        let sh = fake_tools(&dir.join("old-node"), Some("echo v18.20.4"), "echo 9.2.0");
        let e = build(&sh, HostApp::Nextjs, &pkg(b"\0asm"), Some("m.wasm"), &caches).err().unwrap();
        assert!(format!("{e:#}").contains("this Node.js is v18.20.4: install Node.js 20.19 or later"), "{e:#}");
    }
}
