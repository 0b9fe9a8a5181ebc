//! `cargo xtask rebaseline`: created from a run (the shared reference run's scaffold),
//! checked with `--check`, never half-written by a failed or killed run, activated only when
//! no enforced metric is null; and a baseline of figures measured elsewhere, from their runs.

use std::path::Path;

use crate::harness::{both, measuring, on_test_protocol, pipeline_lock, scratch, text, without_wall_clock, xtask};
use crate::shared;
use crate::support::{self, fixture, root, steady_baseline};

/// `rebaseline` on the reference run's documents (`extra` may name other budgets), with its
/// baseline and review table in `dir`.
fn rebaseline(dir: &Path, extra: &[&str]) -> std::process::Output {
    let (baseline, report) = (dir.join("baseline.json"), dir.join("review.md"));
    let corpus = fixture("corpus/quick-wasmtime.json");
    let mut args = vec!["rebaseline", "--baseline", baseline.to_str().unwrap(), "--report", report.to_str().unwrap()];
    args.extend(["--corpus", &corpus]);
    let budgets = fixture("budgets/wasmtime-only.json");
    if !extra.contains(&"--budgets") {
        args.extend(["--budgets", &budgets]);
    }
    args.extend_from_slice(extra);
    measuring(&args)
}

/// Documents that gate no browser: what a rebaseline writes and refuses does not depend on
/// the engines (the browser tests rebaseline with browsers). The scaffold is the reference
/// run's; this test rewrites a copy of it.
#[test]
fn rebaseline_writes_checks_activates_and_never_half_writes() {
    let reference = shared::reference();
    let o = &reference.rebaseline;
    assert_eq!(o.status.code(), Some(0), "{}", both(o));
    let created_at = reference.path("baseline.json").display().to_string();
    assert!(text(&o.stdout).contains(&format!("created {created_at}")), "{}", text(&o.stdout));
    let review = std::fs::read_to_string(reference.path("review.md")).unwrap();
    assert!(review.starts_with("| profile | metric | old | new |"), "{review}");

    let _turn = pipeline_lock();
    let out = scratch("rebaseline");
    let baseline = out.join("baseline.json");
    std::fs::copy(reference.path("baseline.json"), &baseline).unwrap();
    steady_baseline(&baseline);
    let created = std::fs::read_to_string(&baseline).unwrap();
    assert!(created.contains("\"status\": \"scaffold\""));
    let check = |dir: &Path| {
        let b = dir.join("baseline.json").display().to_string();
        let documents = shared::wasmtime_documents();
        measuring(
            &[&["rebaseline", "--check", "--baseline", &b][..], &documents.each_ref().map(String::as_str)].concat(),
        )
    };
    assert_eq!(check(&out).status.code(), Some(0), "an unchanged baseline is up to date");

    // A stale size is caught by --check, which writes nothing.
    let v: serde_json::Value = serde_json::from_str(&created).unwrap();
    let metrics = v["metrics"].as_array().unwrap();
    let release_raw = metrics.iter().find(|m| m["profile"] == "core-min" && m["metric_id"] == "M-PERF-01A");
    let release_raw = release_raw.unwrap()["value"].as_u64().unwrap();
    let stale = created.replacen(&format!("\"value\": {release_raw} "), &format!("\"value\": {} ", release_raw - 1), 1);
    assert_ne!(stale, created);
    std::fs::write(&baseline, &stale).unwrap();
    let o = check(&out);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("core-min M-PERF-01A: within tolerance"), "{}", text(&o.stdout));
    assert_eq!(std::fs::read_to_string(&baseline).unwrap(), stale);

    a_failed_or_killed_run_leaves_the_baseline_as_it_was(&out, &stale);

    // Activation: refused while a required metric is null (the fixture requires the replay
    // overhead, which the corpus measures on canary only), then the only way to active. An
    // unchanged run rewrites nothing but wall-clock values (and the stale size).
    let o = rebaseline(&out, &["--activate", "--budgets", &fixture("budgets/required-runtime.json")]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = text(&o.stderr);
    let refused = "refusing to activate: enforced metrics are null (full-dev / M-PERF-04D, core-min / M-PERF-04D)";
    assert!(stderr.contains(refused), "{stderr}");
    assert_eq!(std::fs::read_to_string(&baseline).unwrap(), stale);
    let o = rebaseline(&out, &["--activate"]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    assert!(text(&o.stdout).contains("no material change"), "{}", text(&o.stdout));
    let active = std::fs::read_to_string(&baseline).unwrap();
    assert_eq!(
        without_wall_clock(&active),
        without_wall_clock(&created.replace("\"status\": \"scaffold\"", "\"status\": \"active\""))
    );
}

/// A run that fails leaves the baseline exactly as it was; so does one interrupted mid-run
/// (killed once its second measuring pass starts, before anything is written).
fn a_failed_or_killed_run_leaves_the_baseline_as_it_was(out: &Path, stale: &str) {
    let baseline = out.join("baseline.json");
    let b = baseline.display().to_string();
    let o = rebaseline(out, &["--policy", &fixture("policy/release-link-failure.json")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains(&format!("{b} was not changed: the run failed")), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(&baseline).unwrap(), stale);

    let report = out.join("review.md").display().to_string();
    let documents = shared::wasmtime_documents();
    let runs = ["rebaseline", "--runs", "3", "--baseline", &b, "--report", &report];
    let mut child = support::xtask_command()
        .args(on_test_protocol(&[&runs[..], &documents.each_ref().map(String::as_str)].concat()))
        .current_dir(root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let started_second = std::io::BufRead::lines(stderr).map_while(Result::ok).any(|l| l == "run 2 of 3");
    assert!(started_second, "rebaseline --runs 3 announces its passes");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(std::fs::read_to_string(&baseline).unwrap(), stale);
}

#[test]
fn a_baseline_of_figures_measured_elsewhere_is_written_from_their_runs() {
    let out = scratch("farm-baseline");
    let budgets = fixture("budgets/mobile-warn-then-block.json");
    let document: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("measurements/mobile-android.json")).unwrap()).unwrap();
    let runs: Vec<String> = [98.0, 100.0, 106.5]
        .iter()
        .enumerate()
        .map(|(i, ms)| {
            let mut run = document.clone();
            run["records"][0]["value"] = (*ms).into();
            let path = out.join(format!("run-{i}.json"));
            std::fs::write(&path, serde_json::to_string_pretty(&run).unwrap()).unwrap();
            path.display().to_string()
        })
        .collect();
    let baseline = out.join("mobile-android.json").display().to_string();
    let report = out.join("review.md").display().to_string();
    let rebaseline = |runs: &[String], extra: &[&str]| {
        let mut args: Vec<String> = ["rebaseline", "--budgets", &budgets, "--baseline", &baseline, "--report", &report]
            .map(String::from)
            .to_vec();
        args.push("--measurements".into());
        args.extend(runs.iter().cloned());
        args.extend(extra.iter().map(|s| s.to_string()));
        xtask(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let o = rebaseline(&runs, &["--activate"]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let written = perf_core::baseline::Baseline::parse("b", &std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert_eq!(written.status, perf_core::baseline::BaselineStatus::Active);
    let mobile = written.metric("core-min", "M-PERF-02B").unwrap();
    assert_eq!(
        (mobile.value, mobile.spread, mobile.runs),
        (Some(100.0), Some(8.5), Some(3)),
        "the median of three runs"
    );
    assert_eq!(written.metric("core-min", "M-PERF-01A").unwrap().value, Some(22273.0));
    assert_eq!(written.provenance.browsers.get("mobile-android").map(String::as_str), Some("Chrome 131"));
    assert!(written.provenance.host.starts_with("Pixel 6a"), "{}", written.provenance.host);

    // The next run from the farm is gated against it.
    let dir = out.join("gate");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&baseline, dir.join("baseline.json")).unwrap();
    let o = crate::harness::gate_in(&dir, &["--budgets", &budgets, "--branch", "main", "--measurements", &runs[1]]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    assert!(text(&o.stdout).contains("gate: pass on branch main, baseline active"), "{}", text(&o.stdout));

    // Runs of another build or environment do not make one baseline; nothing is written.
    let before = std::fs::read(&baseline).unwrap();
    let mut other = document.clone();
    other["environment"]["browser"] = "Chrome 132.0.6834.57".into();
    let other_path = out.join("other.json");
    std::fs::write(&other_path, serde_json::to_string(&other).unwrap()).unwrap();
    let o = rebaseline(&[runs[0].clone(), other_path.display().to_string()], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("other.json: /environment/browser: \"Chrome 132\" here, \"Chrome 131\" in"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(std::fs::read(&baseline).unwrap(), before);
    // The default baseline is this machine's: another runner's figures never land there.
    let o = xtask(&["rebaseline", "--budgets", &budgets, "--measurements", &runs[0]]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("name it with --baseline"), "{}", text(&o.stderr));
}
