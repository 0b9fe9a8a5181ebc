//! Repository conventions, checked by `cargo test` (there is no separate lint step):
//! every Rust file opens with a `//!` doc saying what it is for, no file is a grab-bag
//! (`utils.rs`, `helpers.rs`), ARCHITECTURE.md names every module, and README.md opens
//! with the two commands a newcomer runs.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<PathBuf> {
    let root = crate::project_root();
    let mut files = Vec::new();
    rust_files(&root.join("xtask"), &mut files);
    rust_files(&root.join("crates"), &mut files);
    files.sort();
    files
}

#[test]
fn every_rust_file_opens_with_a_module_doc() {
    let root = crate::project_root();
    let missing: Vec<String> = sources()
        .into_iter()
        .filter(|p| !std::fs::read_to_string(p).unwrap_or_default().starts_with("//!"))
        .map(|p| p.strip_prefix(&root).unwrap_or(&p).display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "start these files with a `//!` line saying what they are for:\n{}",
        missing.join("\n")
    );
}

#[test]
fn no_grab_bag_modules() {
    let bad: Vec<PathBuf> = sources()
        .into_iter()
        .filter(|p| {
            p.file_stem()
                .is_some_and(|s| ["utils", "util", "helpers", "misc", "common"].contains(&s.to_str().unwrap_or("")))
        })
        .collect();
    assert!(bad.is_empty(), "name modules after the concept they hold: {bad:?}");
}

#[test]
fn architecture_names_every_module() {
    let root = crate::project_root();
    let arch = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let unnamed: Vec<String> = sources()
        .into_iter()
        .filter(|p| p.components().any(|c| c.as_os_str() == "src"))
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| n != "lib.rs" && n != "main.rs")
        .filter(|n| !arch.contains(&format!("`{n}`")))
        .collect();
    assert!(unnamed.is_empty(), "ARCHITECTURE.md does not name these modules (as `file.rs`): {unnamed:?}");
}

#[test]
fn readme_opens_with_the_two_commands() {
    let readme = std::fs::read_to_string(crate::project_root().join("README.md")).unwrap();
    let commands: Vec<&str> =
        readme.lines().filter(|l| l.starts_with("    ") && !l.trim().is_empty()).take(2).map(str::trim).collect();
    assert_eq!(commands, ["cargo xtask perf", "cargo test --workspace"]);
    let ci = std::fs::read_to_string(crate::project_root().join(".ci/run")).unwrap();
    for c in commands {
        assert!(ci.lines().any(|l| l.trim() == c), ".ci/run must run `{c}`");
    }
}

/// `cargo xtask` builds without dev-dependencies and `cargo test --workspace` with them. If
/// the two resolve any dependency with different features, cargo compiles it (and what
/// depends on it, binaryen's build among them) twice: minutes on every cold machine.
#[test]
fn tests_and_the_tool_share_dependency_features() {
    fn tree(args: &[&str]) -> std::collections::BTreeMap<String, String> {
        let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["tree", "--prefix", "none", "--format", "{p}|{f}"])
            .args(args)
            .current_dir(crate::project_root())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim_end_matches(" (*)").split_once('|'))
            .map(|(p, f)| (p.split(" (").next().unwrap_or(p).to_owned(), f.to_owned()))
            .collect()
    }
    let tool = tree(&["--package", "xtask", "--edges", "normal,build"]);
    let tests = tree(&["--workspace", "--edges", "normal,build,dev"]);
    let differ: Vec<String> = tool
        .iter()
        .filter(|(p, f)| tests.get(*p) != Some(f))
        .map(|(p, f)| format!("{p}: [{f}] for cargo xtask, [{}] for cargo test", tests.get(p).map_or("absent", |s| s)))
        .collect();
    assert!(differ.is_empty(), "align these features (see xtask/Cargo.toml):\n{}", differ.join("\n"));
}
