//! What the end-to-end tests share: the tests' protocol. Every run but one uses the quick
//! corpus (`fixtures/corpus/quick.json`: two seeds, three cold-start samples) and budgets
//! whose wall-clock thresholds no timing noise can cross, so a test asserts on sizes, fuel,
//! heap and the signature, and a slow or busy machine cannot fail a correct change. One
//! test runs the committed corpus's whole protocol, with wide margins.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use perf_core::budget::Source;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The target directory cargo builds this checkout in: `CARGO_TARGET_DIR` (relative to the
/// checkout, where `cargo test` runs) or the checkout's `target/`. Absolute, so a run in a
/// copy of the checkout builds in the same place.
pub fn target_dir() -> PathBuf {
    root().join(std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from))
}

/// The binary under test, as every test starts it: the gate's GitHub variables unset (a
/// test sets them explicitly or not at all), and installs forbidden, so a test never changes
/// the machine (a missing target or browser is an error naming the command to run).
pub fn xtask_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    // What a GitHub runner sets would change what a run records (the branch, the runner image).
    for key in [
        "GITHUB_ACTIONS",
        "GITHUB_HEAD_REF",
        "GITHUB_REF_NAME",
        "GITHUB_BASE_REF",
        "GITHUB_RUN_ID",
        "ImageOS",
        "ImageVersion",
    ] {
        cmd.env_remove(key);
    }
    cmd.env(NO_INSTALL, "1");
    cmd
}

/// `xtask/src/machine/install_consent.rs`'s variable (a binary's test cannot import the binary).
pub const NO_INSTALL: &str = "WASM_BUDGET_GATE_NO_INSTALL";

/// The toolchain running the tests: rustup names it to the processes it starts; without
/// rustup, the channel rust-toolchain.toml pins.
pub fn running_toolchain() -> String {
    std::env::var("RUSTUP_TOOLCHAIN").unwrap_or_else(|_| {
        let pin = std::fs::read_to_string(root().join("rust-toolchain.toml")).unwrap();
        let channel = pin.lines().find_map(|l| l.trim().strip_prefix("channel = ")).unwrap();
        channel.trim_matches('"').to_owned()
    })
}

pub fn fixture(name: &str) -> String {
    root().join("xtask/tests/fixtures").join(name).display().to_string()
}

/// The quick corpus.
pub fn quick_corpus() -> String {
    fixture("corpus/quick.json")
}

/// A threshold far above any timing this sample gives (cold init in ms, an operation in µs,
/// an overhead in percent), and still a finite number a budget accepts.
const OUT_OF_REACH: f64 = 1_000_000.0;

/// The budgets file at `path` (workspace-relative or absolute) with every wall-clock
/// threshold (cold init in wasmtime and browsers, per-operation p95, overhead) raised out of reach; sizes, fuel and
/// heap keep theirs. Written once per source file next to the other tests' scratch files.
pub fn steady_budgets(path: &str) -> String {
    let source = if Path::new(path).is_absolute() { PathBuf::from(path) } else { root().join(path) };
    let mut budgets: serde_json::Value = serde_json::from_slice(&std::fs::read(&source).unwrap()).unwrap();
    for m in budgets["metrics"].as_array_mut().unwrap() {
        let source: Source = m["source"].as_str().unwrap().parse().unwrap();
        if !source.info().wall_clock {
            continue;
        }
        for t in m["thresholds"].as_object_mut().unwrap().values_mut() {
            t["hard"] = serde_json::json!(OUT_OF_REACH * 2.0);
            if t.get("warn").is_some_and(|w| !w.is_null()) {
                t["warn"] = serde_json::json!(OUT_OF_REACH);
            }
        }
    }
    record_thresholds(&mut budgets, "the tests' steady thresholds: wall-clock budgets out of this machine's reach");
    let dir = std::env::temp_dir().join(format!("xtask-steady-budgets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let name = source.file_name().unwrap().to_string_lossy().into_owned();
    let out = dir.join(format!("steady-{name}"));
    // Tests run in parallel: write to a temporary name, then rename into place.
    let tmp = dir.join(format!("{name}.{:?}.tmp", std::thread::current().id()));
    std::fs::write(&tmp, serde_json::to_string_pretty(&budgets).unwrap()).unwrap();
    std::fs::rename(&tmp, &out).unwrap();
    out.display().to_string()
}

/// Appends the change-log entry that records `budgets`' current thresholds, as a pull
/// request that changes them must (the gate refuses budgets whose newest entry does not).
pub fn record_thresholds(budgets: &mut serde_json::Value, reason: &str) {
    let text = serde_json::to_string(budgets).unwrap();
    let sha = perf_core::budget::Budgets::parse("budgets.json", &text).unwrap().thresholds_sha256();
    let entry = serde_json::json!({
        "date": "2026-12-01",
        "reason": reason,
        "evidence": "xtask/tests/support/mod.rs: the tests' protocol",
        "issue": "#15",
        "approved_by": "the test that made the change",
        "thresholds_sha256": sha,
    });
    match budgets["change_log"].as_array_mut() {
        Some(log) => log.push(entry),
        None => budgets["change_log"] = serde_json::json!([entry]),
    }
}

/// The first owner `.github/CODEOWNERS` lists for the default subject's budgets: a
/// subject's change-log entry names it as its approver.
pub fn budgets_owner() -> String {
    let text = std::fs::read_to_string(root().join(".github/CODEOWNERS")).unwrap();
    let owners = perf_core::codeowners::CodeOwners::parse(&text);
    owners.owners_of(".github/wasm_perf_budgets.json")[0].clone()
}

/// [`record_thresholds`] for a subject's committed budgets, whose newest entry change
/// control asks more of: the sha256 of the corpus at `corpus` (the one committed beside
/// them), a code owner's approval, and a committed measurement document with the budgets'
/// seed set as evidence.
pub fn record_committed_change(budgets: &mut serde_json::Value, corpus: &Path, reason: &str) {
    record_thresholds(budgets, reason);
    let text = std::fs::read_to_string(corpus).unwrap();
    let corpus = perf_core::corpus::Corpus::parse("corpus", &text).unwrap();
    let owner = budgets_owner();
    let entry = budgets["change_log"].as_array_mut().unwrap().last_mut().unwrap();
    entry["corpus_sha256"] = serde_json::json!(corpus.measurement_sha256());
    entry["approved_by"] = serde_json::json!(format!("{owner} (the test that made the change)"));
    entry["evidence"] = serde_json::json!("xtask/tests/fixtures/measurements/mobile-android.json, the budgets' seeds");
}

/// The baseline at `path` (as `rebaseline` writes it: one tolerance per line) with its
/// wall-clock tolerances (ms, µs, ns, percent, and every override) widened to +400% and an
/// absolute step no noise here reaches, so an unchanged run passes an active baseline and an
/// unchanged rebaseline is no material change on a busy machine; sizes, fuel and heap keep
/// theirs. A deliberate slowdown (tens of times slower) still fails it. Edited line by line,
/// so the file stays in the form `rebaseline --check` expects.
pub fn steady_baseline(path: &Path) {
    let wide = [("\"ms\": {", 1000.0), ("\"us\": {", 1.0), ("\"ns\": {", 1000.0), ("\"percent\": {", 100.0)];
    let text = std::fs::read_to_string(path).unwrap();
    let mut in_overrides = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let comma = if trimmed.ends_with(',') { "," } else { "" };
        let absolute = wide.iter().find(|(key, _)| trimmed.starts_with(key)).map(|(_, a)| *a);
        let key = trimmed.split(':').next().unwrap_or("");
        let edited = match (absolute, in_overrides && trimmed.contains("\"relative_pct\"")) {
            (Some(a), _) => Some(format!("{indent}{key}: {{ \"relative_pct\": 400.0, \"absolute\": {a:?} }}{comma}")),
            (None, true) => Some(format!("{indent}{key}: {{ \"relative_pct\": 400.0, \"absolute\": 1000.0 }}{comma}")),
            (None, false) => None,
        };
        if trimmed.starts_with("\"overrides\": {") {
            in_overrides = true;
        } else if in_overrides && trimmed.starts_with('}') {
            in_overrides = false;
        }
        out.push(edited.unwrap_or_else(|| line.to_owned()));
    }
    let mut edited = out.join("\n");
    if text.ends_with('\n') {
        edited.push('\n');
    }
    assert_ne!(edited, text, "{}: no wall-clock tolerance found to widen", path.display());
    std::fs::write(path, edited).unwrap();
}

/// A copy of the working tree's files (tracked and untracked, not ignored) in `dir`: a
/// checkout of the project as it is now, without its target directory or artifacts. Each
/// file keeps its modification time, so cargo finds a build of an unchanged copy fresh.
pub fn copy_checkout(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    let listed = std::process::Command::new("git")
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(listed.status.success(), "git ls-files: {}", String::from_utf8_lossy(&listed.stderr));
    for name in listed.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = std::str::from_utf8(name).unwrap();
        let (from, to) = (root().join(name), dir.join(name));
        if !from.is_file() {
            continue; // deleted in the working tree, not yet in the index
        }
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
        let modified = std::fs::metadata(&from).unwrap().modified().unwrap();
        std::fs::File::options().write(true).open(&to).unwrap().set_modified(modified).unwrap();
    }
}

/// `from` (a file, or a folder and everything in it) copied to `to`, its parents created;
/// nothing when `from` does not exist.
pub fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else if from.is_file() {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
}

/// [`copy_checkout`], keeping what the previous copy in `dir` had in `artifacts/cache` (the
/// wasm-opt outputs and compressed sizes, keyed by the bytes they were made from), so a test
/// that measures a fresh copy does not compress the same modules anew each time it runs.
pub fn copy_checkout_keeping_caches(dir: &Path) {
    let cache = dir.join("artifacts/cache");
    let kept = dir.with_extension("kept-cache");
    let _ = std::fs::remove_dir_all(&kept);
    let moved = std::fs::rename(&cache, &kept).is_ok();
    copy_checkout(dir);
    if moved {
        std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
        std::fs::rename(&kept, &cache).unwrap();
    }
}
