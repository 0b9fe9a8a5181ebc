//! `cargo xtask gate --measurements` and `--current`: the gate's rules (hard budgets,
//! warn-then-block, the baseline, drift, change control) on figures that are already there
//! (a device farm's documents, the reference run's summary, two baselines), so nothing is
//! built.

use std::path::{Path, PathBuf};
use std::process::Output;

use perf_core::status::Status;

use crate::harness::{
    assert_schema, both, gate_env_in, gate_in, group, read_json, read_summary, record, reference_budgets_with, scratch,
    set_threshold, text, warn_then_block, xtask,
};
use crate::shared;
use crate::support::{fixture, root};

/// The reference run's summary gated by `budgets` in `dir`, as run `n` on `branch` (or, with
/// `env`, the branch GitHub Actions names): the status and streak of the release's brotli
/// size (M-PERF-01C, core-min) in the report, and the exit code and table.
fn gate_brotli(dir: &Path, budgets: &str, branch: Option<&str>, env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let figures = shared::reference().path("summary.json");
    let mut args = vec!["--measurements", figures.to_str().unwrap(), "--budgets", budgets];
    if let Some(branch) = branch {
        args.extend(["--branch", branch]);
    }
    let o = gate_env_in(dir, &args, env);
    let report = read_json(&dir.join("report.json"));
    let checks = report["checks"].as_array().unwrap();
    let check = checks.iter().find(|c| c["metric_id"] == "M-PERF-01C" && c["profile"] == "core-min").unwrap();
    let status = format!("{}/{}", check["status"].as_str().unwrap(), check["streak"]);
    (o.status.code(), status, text(&o.stdout))
}

/// Warn-then-block across runs: warn, then fail on the second warning in a row, then a
/// pass resets the streak. The reference run's brotli size stands in for a warn-then-block
/// metric here (the budgets gate it so, warn 8,000 bytes; then warn 12,000, above it); its
/// budgets gate no browser, so nothing is left out and the streaks are kept.
#[test]
fn warn_streak_escalates_and_resets_across_runs() {
    let out = scratch("streak");
    let band = reference_budgets_with(&out, "brotli-warn-band.json", |b| {
        warn_then_block(b, "M-PERF-01C", "core-min", 8000.0);
    });
    let below = reference_budgets_with(&out, "brotli-below-warn.json", |b| {
        warn_then_block(b, "M-PERF-01C", "core-min", 12000.0);
    });
    let (code, status, stdout) = gate_brotli(&out, &band, Some("feature/x"), &[]);
    assert_eq!((code, status.as_str()), (Some(0), "warn/1"), "{stdout}");
    assert!(stdout.contains("note: no streak state at "), "a missing state file is said: {stdout}");
    assert!(stdout.contains("warn [streak] M-PERF-01C (core-min): warning 1 of 2 in a row on feature/x"), "{stdout}");
    let (code, status, stdout) = gate_brotli(&out, &band, Some("feature/x"), &[]);
    assert_eq!((code, status.as_str()), (Some(1), "fail/2"), "{stdout}");
    assert!(stdout.contains("warning 2 of 2 in a row on feature/x: escalated to failure"), "{stdout}");
    let (code, status, stdout) = gate_brotli(&out, &below, Some("feature/x"), &[]);
    assert_eq!((code, status.as_str()), (Some(0), "pass/0"), "{stdout}");

    // Under Actions: the branch comes from GITHUB_HEAD_REF, a new branch starts from
    // GITHUB_BASE_REF's streaks, and findings print as workflow annotations.
    let env = [("GITHUB_ACTIONS", "true"), ("GITHUB_HEAD_REF", "pr-1"), ("GITHUB_BASE_REF", "feature/x")];
    let (code, _, stdout) = gate_brotli(&out, &band, None, &env);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("::warning title=M-PERF-01C (core-min)::warning 1 of 2 in a row on pr-1"),
        "annotation: {stdout}"
    );
    let (code, _, stdout) = gate_brotli(&out, &band, None, &env);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("::error title=M-PERF-01C (core-min)::warning 2 of 2 in a row on pr-1: escalated"),
        "{stdout}"
    );
    let (code, status, _) = gate_brotli(&out, &band, Some("feature/x"), &[]);
    assert_eq!(
        (code, status.as_str()),
        (Some(0), "warn/1"),
        "the pass reset feature/x's streak, and pr-1's runs did not touch it"
    );
    let events = std::fs::read_to_string(out.join("events.ndjson")).unwrap();
    let events: Vec<serde_json::Value> = events.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    for e in &events {
        assert_schema("wasm_perf_gate_event.schema.json", e);
    }
    let runs: std::collections::BTreeSet<&str> = events.iter().map(|e| e["run_id"].as_str().unwrap()).collect();
    assert_eq!(runs.len(), 6, "the event log is appended to, one run id per run");
}

/// A budget below the measured size fails with exit 1, and the summary is still written.
#[test]
fn a_budget_below_the_measured_size_fails_with_exit_1() {
    let reference = shared::reference();
    let release_raw = reference.summary().variants[2].post_opt.as_ref().unwrap().raw_bytes;
    let out = scratch("tight");
    let tight = reference_budgets_with(&out, "tight-release.json", |b| {
        set_threshold(b, "M-PERF-01A", "core-min", "hard", 1000.0);
    });
    let figures = reference.path("summary.json");
    let o = gate_in(&out, &["--measurements", figures.to_str().unwrap(), "--budgets", &tight]);
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    let stdout = text(&o.stdout);
    let expected = format!(
        "fail: M-PERF-01A (core-min, wasm size (raw bytes)): {} bytes is above the budget 1,000",
        group(release_raw)
    );
    assert!(stdout.contains(&expected), "{stdout}");
    assert!(stdout.contains("verdict: fail"));
    assert_eq!(read_summary(&out.join("summary.json")).verdict, Status::Fail);
}

/// `gate` on the farm's figures (`measurements/mobile-android.json`, or `measurements`) with
/// every file it writes in `out/dir`; returns its output, summary path and directory.
fn farm_gate(out: &Path, dir: &str, measurements: &str, extra: &[&str]) -> (Output, PathBuf, PathBuf) {
    // The committed budgets with mobile cold init warn-then-block: warn 120 ms, hard 160 ms.
    let budgets = fixture("budgets/mobile-warn-then-block.json");
    let dir = out.join(dir);
    let args = [&["--budgets", &budgets, "--branch", "feature/farm", "--measurements", measurements][..], extra];
    let o = gate_in(&dir, &args.concat());
    (o, dir.join("summary.json"), dir)
}

/// Figures measured elsewhere go through the same rules: 131.5 ms is in the warn band, so
/// the first run warns and the second escalates; against the farm's own active baseline
/// (100 ms in Chrome 131) it is a regression; measured in another browser major than the
/// baseline records, it is not compared, and that is drift.
#[test]
fn figures_measured_elsewhere_are_gated_by_the_same_rules() {
    let out = scratch("elsewhere");
    let measurements = fixture("measurements/mobile-android.json");
    assert_schema("wasm_perf_measurements.schema.json", &read_json(Path::new(&measurements)));
    let (o, summary, dir) = farm_gate(&out, "streak", &measurements, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let s = read_summary(&summary);
    assert_eq!(s.verdict, Status::Warn);
    assert!(s.variants.is_empty() && s.pipeline.steps.cargo_builds == 0, "nothing was built here");
    let mobile = s.records.iter().find(|r| r.metric_id == "M-PERF-02B").unwrap();
    assert_eq!((mobile.profile.as_str(), mobile.value, mobile.status), ("core-min", Some(131.5), Status::Warn));
    assert!(mobile.environment.starts_with("mobile-android: Pixel 6a"), "{}", mobile.environment);
    assert_eq!(mobile.seed_set, [11, 29, 42, 73, 101]);
    assert!(mobile.commands[0].starts_with("farm-run --device pixel-6a"));
    // The warning's issue, as the report carries it, also for a subject other than the
    // default (its title names the subject).
    let mut report = read_json(&dir.join("report.json"));
    assert_schema("wasm_perf_regression_report.schema.json", &report);
    let warned = report["checks"].as_array_mut().unwrap().iter_mut().find(|c| c["warn_issue"].is_object());
    let issue = perf_core::warn_issue::WarnIssue::new(Some("word-index"), "M-PERF-02B", "core-min", None);
    warned.unwrap()["warn_issue"]["title"] = serde_json::json!(issue.title);
    assert_schema("wasm_perf_regression_report.schema.json", &report);
    let raw = s.records.iter().find(|r| r.metric_id == "M-PERF-01A").unwrap();
    assert_eq!((raw.value, raw.status, raw.seed_set.len()), (Some(22273.0), Status::Pass, 0));
    assert_eq!(s.records.len(), 2, "only what the document measured");
    assert!(text(&o.stdout).contains("warn [streak] M-PERF-02B (core-min): warning 1 of 2 in a row on feature/farm"));
    let markdown = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(markdown.contains("Figures measured elsewhere, in mobile-android: Pixel 6a"), "{markdown}");
    assert!(markdown.contains("| M-PERF-02B | ms | 131.50 | 160 | 18% | - | **warn** |"), "{markdown}");
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("<h2>release (core-min)</h2>") && page.contains("nothing was built here"), "{page}");
    assert!(!page.contains("Size before and after wasm-opt"), "no build, no wasm-opt chart");
    let (o, summary, dir) = farm_gate(&out, "streak", &measurements, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(text(&o.stdout).contains("warning 2 of 2 in a row on feature/farm: escalated to failure"));
    assert_eq!(read_summary(&summary).verdict, Status::Fail);
    let events = std::fs::read_to_string(dir.join("events.ndjson")).unwrap();
    assert_eq!(events.lines().filter(|l| l.contains("\"M-PERF-02B\"")).count(), 2, "one event per run");

    // The baseline's size metric the document did not measure is not the document's to miss.
    let farm_baseline = fixture("measurements/mobile-android-baseline.json");
    std::fs::create_dir_all(out.join("baseline")).unwrap();
    std::fs::copy(&farm_baseline, out.join("baseline/baseline.json")).unwrap();
    let (o, _, dir) = farm_gate(&out, "baseline", &measurements, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("fail [baseline] M-PERF-02B (core-min): regressed 100 -> 131.5 ms"), "{stdout}");
    assert!(stdout.contains("warning 1 of 2 in a row"), "a fresh streak: the regression alone fails");
    assert!(!stdout.contains("M-PERF-01B"), "{stdout}");
    assert_schema("wasm_perf_regression_report.schema.json", &read_json(&dir.join("report.json")));

    let chrome_132 = out.join("chrome-132.json");
    let moved =
        std::fs::read_to_string(&measurements).unwrap().replace("Chrome 131.0.6778.135", "Chrome 132.0.6834.57");
    std::fs::write(&chrome_132, moved).unwrap();
    std::fs::create_dir_all(out.join("drift")).unwrap();
    std::fs::copy(&farm_baseline, out.join("drift/baseline.json")).unwrap();
    let (o, _, _) = farm_gate(&out, "drift", chrome_132.to_str().unwrap(), &[]);
    assert_eq!(o.status.code(), Some(1));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("mobile-android browser Chrome 131 -> Chrome 132; M-PERF-02B is not compared"), "{stdout}");
    assert!(stdout.contains("skip [baseline] M-PERF-02B (core-min): not compared across browser versions"), "{stdout}");
}

/// A metric the caller requires and the document lacks fails; figures that do not say
/// where and what they measured, or name a metric the budgets lack, are refused, and
/// nothing is written.
#[test]
fn figures_measured_elsewhere_fail_what_they_lack_and_are_refused_without_provenance() {
    let out = scratch("elsewhere-refused");
    let measurements = fixture("measurements/mobile-android.json");
    let required = ["--require-metric", "M-PERF-01C"];
    let (o, summary, _) = farm_gate(&out, "required", &measurements, &required);
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    let brotli = record(&read_summary(&summary), "core-min", "M-PERF-01C").clone();
    assert_eq!((brotli.value, brotli.status), (None, Status::Fail));
    assert!(brotli.reason.unwrap().contains("mobile-android.json has no record of it"));

    let (o, summary, dir) = farm_gate(&out, "refused", &fixture("measurements/no-provenance.json"), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("xtask/tests/fixtures/measurements/no-provenance.json: /: missing field `provenance`"),
        "{}",
        text(&o.stderr)
    );
    assert!(!summary.exists() && !dir.join("streaks.json").exists());
    let unknown = out.join("unknown-metric.json");
    std::fs::write(&unknown, std::fs::read_to_string(&measurements).unwrap().replace("M-PERF-01A", "M-PERF-99"))
        .unwrap();
    let (o, _, _) = farm_gate(&out, "refused", unknown.to_str().unwrap(), &[]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = text(&o.stderr);
    assert!(stderr.contains("/records/1/metric_id: the budgets have no metric \"M-PERF-99\""), "{stderr}");
}

#[test]
fn gate_current_compares_two_baselines_without_touching_the_streaks() {
    let out = scratch("current");
    let mut active = read_json(&root().join("baselines/baseline_latest.json"));
    active["status"] = "active".into();
    let a = out.join("a.json");
    std::fs::write(&a, serde_json::to_string_pretty(&active).unwrap()).unwrap();
    let grown = active["metrics"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|m| m["metric_id"] == "M-PERF-01A" && m["profile"] == "core-min")
        .unwrap();
    grown["value"] = (grown["value"].as_f64().unwrap() + 2000.0).into();
    let b = out.join("b.json");
    std::fs::write(&b, serde_json::to_string_pretty(&active).unwrap()).unwrap();
    let same = out.join("same.json");
    std::fs::copy(&a, &same).unwrap();
    let gate = |current: &Path| {
        let mut args: Vec<String> = vec!["gate".into(), "--current".into(), current.display().to_string()];
        args.extend(["--baseline".into(), a.display().to_string()]);
        for (flag, name) in [("--state", "streaks.json"), ("--report", "report.json"), ("--events", "events.ndjson")] {
            args.extend([flag.into(), out.join(name).display().to_string()]);
        }
        args.extend(["--summary".into(), out.join("summary.json").display().to_string()]);
        args.extend(["--markdown".into(), out.join("report.md").display().to_string()]);
        args.extend(["--html".into(), out.join("report.html").display().to_string()]);
        xtask(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let o = gate(&b);
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    assert!(text(&o.stdout).contains("fail [baseline] M-PERF-01A (core-min): regressed 22273 -> 24273 bytes"));
    assert!(text(&o.stdout).contains("is a baseline, not a run: the warn streaks were not updated"));
    let o = gate(&same);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    std::fs::create_dir_all(out.join("sub")).unwrap();
    let roundabout = out.join("sub/../a.json");
    let o = xtask(&["gate", "--current", roundabout.to_str().unwrap(), "--baseline", a.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("name the same file"), "{}", text(&o.stderr));
    let o = xtask(&["gate", "--current", b.to_str().unwrap(), "--baseline", out.join("none.json").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--current compares with --baseline, and"), "{}", text(&o.stderr));
    let s = read_summary(&out.join("summary.json"));
    assert_eq!(s.records.len(), active["metrics"].as_array().unwrap().len(), "every metric of the baseline");
    assert!(!out.join("streaks.json").exists(), "a comparison of two baselines is not a run");
}

/// A baseline's timings gate only runs on the runner image they were measured on: figures
/// from another image (here the committed baseline, made off a hosted runner, against one
/// made on GitHub's) skip their timing comparisons, naming both machines, while a grown size
/// still fails; on the same machine the timing is compared and fails too.
#[test]
fn timings_are_not_compared_across_runner_images() {
    let out = scratch("runner-image");
    let mut base = read_json(&root().join("baselines/baseline_latest.json"));
    base["status"] = "active".into();
    let a = out.join("a.json");
    std::fs::write(&a, serde_json::to_string_pretty(&base).unwrap()).unwrap();
    let mut run = base.clone();
    for m in run["metrics"].as_array_mut().unwrap().iter_mut().filter(|m| m["profile"] == "core-min") {
        match m["metric_id"].as_str() {
            Some("M-PERF-01A") => m["value"] = (m["value"].as_f64().unwrap() + 2000.0).into(),
            Some("M-PERF-04A") => m["value"] = 5.0.into(),
            _ => {}
        }
    }
    let gate = |run: &serde_json::Value| {
        let current = out.join("current.json");
        std::fs::write(&current, serde_json::to_string_pretty(run).unwrap()).unwrap();
        let mut args = vec!["gate", "--current", current.to_str().unwrap(), "--baseline", a.to_str().unwrap()];
        let outputs = [
            ("--state", "streaks.json"),
            ("--report", "report.json"),
            ("--summary", "summary.json"),
            ("--events", "events.ndjson"),
            ("--markdown", "report.md"),
            ("--html", "report.html"),
        ];
        let files: Vec<(&str, String)> =
            outputs.iter().map(|(flag, name)| (*flag, out.join(name).display().to_string())).collect();
        args.extend(files.iter().flat_map(|(flag, path)| [*flag, path.as_str()]));
        let o = xtask(&args);
        assert_eq!(o.status.code(), Some(1), "{}", both(&o));
        text(&o.stdout)
    };
    let same_machine = gate(&run);
    assert!(same_machine.contains("fail [baseline] M-PERF-04A (core-min): regressed 0.07 -> 5 us"), "{same_machine}");
    run["provenance"]["runner"] = "ubuntu22 20250105.1.0".into();
    let elsewhere = gate(&run);
    assert!(elsewhere.contains("fail [baseline] M-PERF-01A (core-min): regressed 22273 -> 24273 bytes"), "{elsewhere}");
    assert!(
        elsewhere
            .contains("skip [baseline] M-PERF-04A (core-min): not compared across machines (regressed 0.07 -> 5 us")
            && elsewhere.contains("measured on no runner image, this run on runner image ubuntu22 20250105.1.0)"),
        "{elsewhere}"
    );
}

#[test]
fn change_log_evidence_that_git_ignores_is_refused() {
    let out = scratch("ignored-evidence");
    let evidence = format!("artifacts/evidence-{}.json", std::process::id());
    let file = root().join(&evidence);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, r#"{"seed_set": [11, 29, 42, 73, 101]}"#).unwrap();
    let mut budgets = read_json(Path::new(&fixture("budgets/mobile-warn-then-block.json")));
    let newest = budgets["change_log"].as_array().unwrap().len() - 1;
    budgets["change_log"][newest]["evidence"] = format!("{evidence}: before and after").into();
    let path = out.join("budgets.json");
    std::fs::write(&path, serde_json::to_string_pretty(&budgets).unwrap()).unwrap();
    let measurements = fixture("measurements/mobile-android.json");
    let o = xtask(&["gate", "--budgets", path.to_str().unwrap(), "--measurements", &measurements]);
    std::fs::remove_file(&file).unwrap();
    assert_eq!(o.status.code(), Some(2));
    let expected = format!("/change_log/{newest}/evidence: {evidence} is ignored by git");
    assert!(text(&o.stderr).contains(&expected), "{}", text(&o.stderr));
}
