//! Subjects: `cargo xtask subjects` lists the default subject and every folder of `.github`
//! with a policy; `--subject NAME` moves every path flag left at its default into NAME's
//! folders (a flag given wins); `perf --all-subjects` gates each in turn and reports every
//! subject it could not gate.

use std::path::Path;

use crate::harness::{scratch, text, xtask};
use crate::support;

#[test]
fn subjects_lists_the_default_subject_and_every_folder_with_a_policy() {
    let o = xtask(&["subjects", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let variants = serde_json::json!(["dev", "canary", "release"]);
    let expected = serde_json::json!([
        {
            "subject": "default",
            "package": "sample-kernel",
            "variants": variants,
            "policy": ".github/wasm_optimization_policy.json",
            "budgets": ".github/wasm_perf_budgets.json",
            "corpus": ".github/wasm_benchmark_corpus.json",
            "baseline": "baselines/baseline_latest.json",
            "baseline_exists": true,
            "outputs": "artifacts/",
        },
        {
            "subject": "word-index",
            "package": "word-index",
            "variants": variants,
            "policy": ".github/word-index/wasm_optimization_policy.json",
            "budgets": ".github/word-index/wasm_perf_budgets.json",
            "corpus": ".github/word-index/wasm_benchmark_corpus.json",
            "baseline": "baselines/word-index/baseline_latest.json",
            "baseline_exists": true,
            "outputs": "artifacts/word-index/",
        },
    ]);
    assert_eq!(listed, expected);
    let o = xtask(&["subjects"]);
    let lines: Vec<String> = text(&o.stdout).lines().map(str::to_owned).collect();
    assert_eq!(
        lines,
        [
            "default     package sample-kernel, documents in .github, baseline baselines/baseline_latest.json, \
             outputs in artifacts/",
            "word-index  package word-index, documents in .github/word-index, baseline \
             baselines/word-index/baseline_latest.json, outputs in artifacts/word-index/",
        ]
    );
}

/// `--subject` reads the subject's documents and writes in its outputs folder; a path flag
/// given explicitly keeps its value; an unknown or malformed name is refused (exit 2),
/// naming the subjects there are.
#[test]
fn subject_moves_the_default_paths_and_an_explicit_flag_wins() {
    let out = scratch("subject-paths");
    let o = xtask(&["policy", "check", "--subject", "word-index"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).starts_with(".github/word-index/wasm_optimization_policy.json: valid"),
        "{}",
        text(&o.stdout)
    );
    assert!(text(&o.stdout).contains("summary: artifacts/word-index/wasm_optimization_pipeline_summary.json"));
    let summary = out.join("pipeline.json").display().to_string();
    let o = xtask(&[
        "policy",
        "check",
        "--subject",
        "word-index",
        "--policy",
        ".github/wasm_optimization_policy.json",
        "--summary",
        &summary,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("package sample-kernel"), "the explicit --policy wins: {}", text(&o.stdout));
    assert!(Path::new(&summary).is_file(), "the explicit --summary wins");
    for (name, expected) in [
        (
            "nope",
            "error: --subject nope: .github/nope/wasm_optimization_policy.json does not exist; this repository's subjects: default, word-index",
        ),
        (
            "../x",
            r#"error: invalid value '../x' for '--subject <NAME>': subject "../x": expected lowercase letters, digits and hyphens"#,
        ),
    ] {
        let o = xtask(&["corpus", "check", "--subject", name]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", text(&o.stderr));
        assert!(text(&o.stderr).starts_with(expected), "{name}: {}", text(&o.stderr));
    }
}

/// `perf --all-subjects` goes on past a subject it cannot gate, names each with its error,
/// and exits 2: here both subjects' documents are broken, in a copy of the checkout, so
/// nothing is built.
#[test]
fn all_subjects_gates_each_and_reports_every_subject_it_could_not_gate() {
    let dir = scratch("all-subjects");
    let checkout = dir.join("checkout");
    support::copy_checkout(&checkout);
    std::fs::write(checkout.join(".github/wasm_perf_budgets.json"), "{").unwrap();
    std::fs::write(checkout.join(".github/word-index/wasm_benchmark_corpus.json"), "[").unwrap();
    let o = support::xtask_command()
        .args(["perf", "--all-subjects"])
        .env("CARGO_MANIFEST_DIR", checkout.join("xtask"))
        .current_dir(&checkout)
        .output()
        .unwrap();
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    for expected in [
        "== subject default\n",
        "error: subject default: .github/wasm_perf_budgets.json: invalid JSON",
        "== subject word-index\n",
        "error: subject word-index: .github/word-index/wasm_benchmark_corpus.json: invalid JSON",
        "2 of 2 subjects could not be gated: default, word-index",
    ] {
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    assert!(!checkout.join("artifacts/wasm_budget_summary.json").exists(), "nothing measured, nothing written");
    let _ = std::fs::remove_dir_all(&dir);
}
