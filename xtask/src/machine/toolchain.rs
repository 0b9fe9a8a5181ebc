//! What the driver learns from the toolchain: the wasm target (installed on demand), the
//! rustc and cargo versions, the package's metadata and the git commit.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context, bail};
use serde::Deserialize;
use xshell::{Shell, cmd};

/// The cargo that runs us (set by `cargo run`), else the one on PATH.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Installs `target` with rustup when the active toolchain lacks it.
pub fn ensure_target(sh: &Shell, target: &str) -> anyhow::Result<()> {
    let libdir =
        cmd!(sh, "rustc --print target-libdir --target {target}").quiet().ignore_stderr().read().map_err(|_| {
            anyhow::anyhow!("rustc does not know the target {target} (`rustc --print target-list` lists them)")
        })?;
    if PathBuf::from(libdir.trim()).is_dir() {
        return Ok(());
    }
    crate::install_consent::permit(&format!("the {target} target"), &format!("rustup target add {target}"))?;
    eprintln!("note: the {target} target is not installed; installing it: rustup target add {target}");
    cmd!(sh, "rustup target add {target}")
        .quiet()
        .run()
        .with_context(|| format!("cannot install the {target} target (run `rustup target add {target}`)"))?;
    Ok(())
}

pub struct Versions {
    /// `rustc -vV`, verbatim.
    pub rustc: String,
    pub cargo: String,
    pub host: String,
}

pub fn versions(sh: &Shell) -> anyhow::Result<Versions> {
    let rustc = cmd!(sh, "rustc -vV").quiet().read().context("cannot run rustc -vV")?;
    let cargo_bin = cargo();
    let cargo = cmd!(sh, "{cargo_bin} --version").quiet().read().context("cannot run cargo --version")?;
    let host = rustc.lines().find_map(|l| l.strip_prefix("host: ")).unwrap_or("unknown").to_owned();
    Ok(Versions { rustc, cargo, host })
}

/// The flags that keep this machine's paths (the checkout, the toolchain's `rust-src`,
/// `$CARGO_HOME`) out of the wasm builds: `perf_core::plan::path_remaps` for this
/// checkout, rustc and cargo home.
pub fn path_remaps(sh: &Shell, versions: &Versions, workspace: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let sysroot = cmd!(sh, "rustc --print sysroot").quiet().read().context("cannot run rustc --print sysroot")?;
    let hash = versions.rustc.lines().find_map(|l| l.strip_prefix("commit-hash: ")).unwrap_or("unknown");
    let cargo_home = match std::env::var_os("CARGO_HOME") {
        Some(home) => std::path::PathBuf::from(home),
        None => std::env::home_dir().context("no CARGO_HOME and no home directory")?.join(".cargo"),
    };
    let workspace = workspace.display().to_string();
    Ok(perf_core::plan::path_remaps(&workspace, sysroot.trim(), hash, &cargo_home.display().to_string()))
}

pub struct PackageInfo {
    pub name: String,
    /// The cdylib's crate name (`sample_kernel`): the stem of the `.wasm` cargo writes.
    pub lib_name: String,
    /// The `[features]` table: each feature and what it enables.
    pub features: std::collections::BTreeMap<String, Vec<String>>,
    pub dependencies: BTreeSet<String>,
    /// The `wasm-bindgen` version cargo's resolve gives the package, when it depends on it.
    pub locked_wasm_bindgen: Option<String>,
    /// Cargo's target directory for the workspace.
    pub target_directory: PathBuf,
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<MetaPackage>,
    target_directory: PathBuf,
}

#[derive(Deserialize)]
struct MetaPackage {
    id: String,
    name: String,
    features: std::collections::BTreeMap<String, Vec<String>>,
    dependencies: Vec<MetaDependency>,
    targets: Vec<MetaTarget>,
}

#[derive(Deserialize)]
struct MetaDependency {
    name: String,
    rename: Option<String>,
}

#[derive(Deserialize)]
struct MetaTarget {
    name: String,
    crate_types: Vec<String>,
}

pub fn package_info(sh: &Shell, package: &str) -> anyhow::Result<PackageInfo> {
    let cargo = cargo();
    let json = cmd!(sh, "{cargo} metadata --format-version 1 --no-deps")
        .quiet()
        .read()
        .context("cannot run cargo metadata")?;
    let meta: Metadata = serde_json::from_str(&json).context("cannot parse cargo metadata")?;
    let names: Vec<&str> = meta.packages.iter().map(|p| p.name.as_str()).collect();
    let Some(p) = meta.packages.iter().find(|p| p.name == package) else {
        bail!("package {package} is not a member of this workspace (members: {})", names.join(", "));
    };
    let Some(lib) = p.targets.iter().find(|t| t.crate_types.iter().any(|c| c == "cdylib")) else {
        bail!("package {package} has no cdylib target: add `crate-type = [\"cdylib\"]` under [lib] in its Cargo.toml");
    };
    let dependencies: BTreeSet<String> =
        p.dependencies.iter().map(|d| d.rename.clone().unwrap_or_else(|| d.name.clone())).collect();
    let locked_wasm_bindgen =
        if dependencies.contains("wasm-bindgen") { Some(locked_wasm_bindgen(sh, &p.id)?) } else { None };
    Ok(PackageInfo {
        name: p.name.clone(),
        lib_name: lib.name.replace('-', "_"),
        features: p.features.clone(),
        dependencies,
        locked_wasm_bindgen,
        target_directory: meta.target_directory,
    })
}

#[derive(Deserialize)]
struct Resolved {
    packages: Vec<ResolvedPackage>,
    resolve: Resolve,
}

#[derive(Deserialize)]
struct ResolvedPackage {
    id: String,
    version: String,
}

#[derive(Deserialize)]
struct Resolve {
    nodes: Vec<ResolveNode>,
}

#[derive(Deserialize)]
struct ResolveNode {
    id: String,
    deps: Vec<ResolveDep>,
}

#[derive(Deserialize)]
struct ResolveDep {
    /// The dependency's crate name as the package's code sees it (`wasm_bindgen`).
    name: String,
    pkg: String,
}

/// The `wasm-bindgen` version cargo resolves for the package `id` (from Cargo.lock; the full
/// `cargo metadata`, paid only by packages that depend on wasm-bindgen).
fn locked_wasm_bindgen(sh: &Shell, id: &str) -> anyhow::Result<String> {
    let cargo = cargo();
    // Captured, stderr too: cargo's progress lines ("Blocking waiting for file lock") are not
    // ours to print, and its error is the message when it fails.
    let output = cmd!(sh, "{cargo} metadata --format-version 1")
        .quiet()
        .ignore_status()
        .output()
        .context("cannot run cargo metadata (with dependencies)")?;
    if !output.status.success() {
        bail!("cargo metadata (with dependencies) failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    let json = String::from_utf8(output.stdout).context("cargo metadata printed no UTF-8")?;
    let meta: Resolved = serde_json::from_str(&json).context("cannot parse cargo metadata")?;
    let dep = meta
        .resolve
        .nodes
        .iter()
        .find(|n| n.id == id)
        .and_then(|n| n.deps.iter().find(|d| d.name == "wasm_bindgen"))
        .context("cargo metadata resolves no wasm-bindgen for the package")?;
    let package =
        meta.packages.iter().find(|p| p.id == dep.pkg).context("cargo metadata lists no resolved wasm-bindgen")?;
    Ok(package.version.clone())
}

/// `HEAD`'s sha, with `-dirty` when the work tree differs from it; `unknown` outside git.
pub fn git_commit(sh: &Shell) -> String {
    let Ok(sha) = cmd!(sh, "git rev-parse HEAD").quiet().ignore_stderr().read() else {
        return "unknown".to_owned();
    };
    let dirty = cmd!(sh, "git status --porcelain --untracked-files=no")
        .quiet()
        .ignore_stderr()
        .read()
        .map(|s| !s.trim().is_empty())
        .unwrap_or(false);
    if dirty { format!("{sha}-dirty") } else { sha }
}

/// The version Cargo.lock gives the package `name` (its first entry), for the tests that keep
/// a constant equal to a locked crate.
#[cfg(test)]
pub fn locked_version(name: &str) -> String {
    let lock = std::fs::read_to_string(crate::project_root().join("Cargo.lock")).expect("Cargo.lock");
    let entry = format!("name = \"{name}\"\nversion = \"");
    let at = lock.find(&entry).unwrap_or_else(|| panic!("{name} in Cargo.lock"));
    lock[at + entry.len()..].split('"').next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    /// A toolchain bump is one change: the pin and the rebaselines it needs. A baseline
    /// measured on another rustc than the pin fails every gate run on toolchain drift.
    #[test]
    fn every_committed_baseline_was_measured_on_the_pinned_toolchain() {
        let root = crate::project_root();
        let pin = std::fs::read_to_string(root.join("rust-toolchain.toml")).expect("rust-toolchain.toml");
        let channel = pin
            .lines()
            .find_map(|l| l.strip_prefix("channel = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .expect("rust-toolchain.toml names a channel");
        assert!(
            channel.split('.').count() == 3 && channel.split('.').all(|p| p.parse::<u32>().is_ok()),
            "the pin is a release (1.x.y), not a moving channel: {channel}"
        );
        let mut baselines = 0;
        for entry in walkdir::WalkDir::new(root.join("baselines")) {
            let path = entry.expect("baselines/").into_path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a baseline");
            let baseline: serde_json::Value = serde_json::from_str(&text).expect("a JSON baseline");
            let rustc = baseline["provenance"]["rustc"].as_str().expect("/provenance/rustc");
            let release = rustc.lines().find_map(|l| l.strip_prefix("release: ")).expect("rustc -vV's release line");
            assert_eq!(release, channel, "{} was measured on rustc {release}; the pin is {channel}", path.display());
            baselines += 1;
        }
        assert_eq!(baselines, 2, "the sample's and word-index's baselines");
    }
}
