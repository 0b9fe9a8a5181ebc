//! A worse module, built for real, against an active baseline of the clean build (the
//! shared roomy baseline): a seeded size regression and a slowed operation are found by the
//! baseline rule, naming the values; an unchanged build passes. The budgets leave the
//! release room, so only the baseline rule can see the change.

use perf_core::status::Status;
use perf_core::summary::Summary;

use crate::harness::{
    assert_schema, both, gate_in, perf, pipeline_lock, read_json, read_summary, record, scratch, text,
};
use crate::shared::{self, roomy_documents};
use crate::support::{fixture, steady_budgets};

/// `perf` on the roomy documents with the gate's files in `dir` and `args` added.
fn roomy_perf(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let documents = roomy_documents();
    perf(dir, &[&documents.each_ref().map(String::as_str)[..], args].concat())
}

fn core_min_value(s: &Summary, metric: &str) -> f64 {
    record(s, "core-min", metric).value.unwrap_or_else(|| panic!("{metric} has no value"))
}

/// A seeded regression in the sample crate (a 4 KiB table in the release build, selected by
/// `--cfg=perf_gate_seeded_regression` in the policy's rustflags, so the table's bytes prove
/// that the cfg reached rustc): an active gate fails and names the metric, the old and new
/// values and the tolerance. Under a scaffold baseline the same figures exit 0 and say they
/// would fail (the gate's rule, shown on the run's summary without building again).
#[test]
fn a_seeded_regression_fails_an_active_baseline_and_would_fail_a_scaffold() {
    let roomy = shared::roomy_baseline();
    let old = roomy.release_value("M-PERF-01A");
    let _turn = pipeline_lock();
    let out = scratch("seeded");
    let baseline = roomy.copy_to(&out);
    let summary = out.join("summary.json");
    let seeded = fixture("policy/release-seeded-regression.json");
    let o = roomy_perf(&out, &["--policy", &seeded, "--summary", summary.to_str().unwrap()]);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    let seeded_summary = read_summary(&summary);
    let new = core_min_value(&seeded_summary, "M-PERF-01A");
    assert!(new - old >= 4096.0, "the table adds at least 4 KiB: {old} -> {new}");
    let release_build =
        seeded_summary.variants.iter().find(|v| v.budget_profile == "core-min").and_then(|v| v.commands.first());
    let release_build = release_build.unwrap();
    assert!(
        release_build
            .starts_with(r"CARGO_ENCODED_RUSTFLAGS=$'--cfg=perf_gate_seeded_regression\x1f--remap-path-prefix=")
            && release_build.contains("' cargo build "),
        "the recorded build carries the policy's cfg, then the tool's path remaps: {release_build}"
    );
    let expected = format!(
        "regressed {old} -> {new} bytes ({:+.2}%, {:+}); tolerance +1% and +512 bytes",
        (new - old) / old * 100.0,
        new - old
    );
    assert!(stdout.contains(&format!("fail [baseline] M-PERF-01A (core-min): {expected}")), "{stdout}");
    assert!(stdout.contains("gate: fail on branch"), "{stdout}");
    assert_schema("wasm_perf_regression_report.schema.json", &read_json(&out.join("report.json")));
    assert_eq!(seeded_summary.verdict, Status::Fail, "the summary carries the gate's verdict");

    let scaffold = out.join("scaffold");
    std::fs::create_dir_all(&scaffold).unwrap();
    let active = std::fs::read_to_string(&baseline).unwrap();
    let flipped = active.replace("\"status\": \"active\"", "\"status\": \"scaffold\"");
    std::fs::write(scaffold.join("baseline.json"), flipped).unwrap();
    let budgets = steady_budgets(&fixture("budgets/roomy-release.json"));
    let figures = ["--measurements", summary.to_str().unwrap(), "--budgets", budgets.as_str()];
    let o = gate_in(&scaffold, &[&figures[..], &["--branch", "feature/seeded"]].concat());
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    assert!(
        stdout.contains(&format!("pass [baseline] M-PERF-01A (core-min): scaffold (would fail: {expected})")),
        "{stdout}"
    );
    assert!(stdout.contains("baseline scaffold (findings do not fail the run)"), "{stdout}");
    assert_schema("wasm_perf_regression_report.schema.json", &read_json(&scaffold.join("report.json")));
}

/// A deliberately slowed operation (the sample kernel's test-only `slow-reserve-send` adds a
/// spin loop to reserve+send in the release build): both the wall-clock p95 (M-PERF-04A)
/// and the instruction count (M-FUEL-04A) fail the baseline rule, naming the values, and the
/// failure is appended to the job summary before the exit code.
#[test]
fn a_slowed_operation_fails_its_latency_and_fuel_against_an_active_baseline() {
    let roomy = shared::roomy_baseline();
    let (clean_p95, clean_fuel) = (roomy.release_value("M-PERF-04A"), roomy.release_value("M-FUEL-04A"));
    let _turn = pipeline_lock();
    let out = scratch("slowed");
    roomy.copy_to(&out);
    let summary = out.join("summary.json");
    let step_summary = out.join("step-summary.md");
    std::fs::write(&step_summary, "earlier step\n").unwrap();
    let slowed = fixture("policy/release-slow-reserve-send.json");
    let step = step_summary.to_str().unwrap();
    let o = roomy_perf(&out, &["--policy", &slowed, "--summary", summary.to_str().unwrap(), "--step-summary", step]);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    let s = read_summary(&summary);
    let (slow_p95, slow_fuel) = (core_min_value(&s, "M-PERF-04A"), core_min_value(&s, "M-FUEL-04A"));
    let markdown = std::fs::read_to_string(&step_summary).unwrap();
    assert!(
        markdown.starts_with("earlier step\n## wasm budget gate: ❌ fail\n"),
        "appended, before exit 1: {markdown}"
    );
    assert!(markdown.contains("- **fail** M-FUEL-04A (core-min) [baseline]: regressed "), "{markdown}");
    assert!(slow_fuel > clean_fuel * 10.0, "the spin loop is 2048 rounds: {clean_fuel} -> {slow_fuel}");
    assert!(slow_p95 > clean_p95 + 0.5, "{clean_p95} -> {slow_p95} us");
    for (metric, unit) in [("M-PERF-04A", "us"), ("M-FUEL-04A", "fuel")] {
        let line = format!("fail [baseline] {metric} (core-min): regressed ");
        let found = stdout.lines().find(|l| l.starts_with(&line));
        // A clean p95 at or under the harness's own cost is recorded as 0: then the growth is
        // given from 0, as an absolute figure.
        let grown = |l: &str| l.contains(&format!(" {unit} (+")) || l.contains(&format!(" {unit} (from 0, +"));
        assert!(found.is_some_and(grown), "{metric}: {stdout}");
    }
    assert!(stdout.contains("gate: fail on branch"), "{stdout}");
}

/// The clean build, measured again, passes the active baseline it was measured for (the
/// seeded and slowed tests' reverted state): the same instruction count, wall-clock
/// figures within the steady tolerances. `--json` prints the summary it wrote; the builds
/// are all run and wasm-opt's outputs all come from its cache.
#[test]
fn an_unchanged_build_passes_its_active_baseline() {
    let roomy = shared::roomy_baseline();
    let clean_fuel = roomy.release_value("M-FUEL-04A");
    let _turn = pipeline_lock();
    let out = scratch("unchanged");
    roomy.copy_to(&out);
    let summary = out.join("summary.json");
    let o = roomy_perf(&out, &["--json", "--summary", summary.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let written = read_summary(&summary);
    let printed: Summary = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(printed, written, "--json prints the summary it wrote");
    assert_eq!(core_min_value(&written, "M-FUEL-04A"), clean_fuel, "the same instruction count");
    // Each variant's production and benchmark builds: canary's and release's four wasm-opt
    // runs all come from the cache the baseline's run filled.
    let steps = written.pipeline.steps;
    assert_eq!((steps.cargo_builds, steps.wasm_opt_runs, steps.wasm_opt_cache_hits), (6, 0, 4));
}
