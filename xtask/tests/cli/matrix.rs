//! A job matrix: `perf --profile VARIANT --partial-out FILE` per variant, then
//! `gate --merge`, which reproduces the single job's records, signature and verdict (the
//! single job is the shared reference run); and the machine-wide timing lock one of the
//! jobs waits for.

use std::path::{Path, PathBuf};

use perf_core::run::Run;
use perf_core::status::Status;

use crate::harness::{
    both, deterministic, gate_files, measuring, on_test_protocol, pipeline_lock, read_json, read_summary, record,
    scratch, text, xtask, xtask_env,
};
use crate::shared::{self, wasmtime_documents};
use crate::support::{self, root};

fn partial(out: &Path, variant: &str) -> PathBuf {
    out.join(format!("partial-{variant}.json"))
}

/// One job's command line: the variant, its partial summary and documents that gate no
/// browser (the merge is the subject; partial.rs's tests carry browsers through a merge).
fn job_args(out: &Path, variant: &str) -> Vec<String> {
    let partial = partial(out, variant).display().to_string();
    let documents = wasmtime_documents();
    let job = ["perf", "--profile", variant, "--partial-out", partial.as_str()];
    on_test_protocol(&[&job[..], &documents.each_ref().map(String::as_str)].concat())
}

fn read_partial(out: &Path, variant: &str) -> Run {
    serde_json::from_value(read_json(&partial(out, variant))).unwrap()
}

#[test]
fn a_matrix_of_partials_merges_to_the_single_jobs_verdict() {
    let reference = shared::reference();
    let single = reference.summary();
    let _turn = pipeline_lock();
    let out = scratch("matrix");
    let default_state = root().join("artifacts/wasm_perf_warn_streaks.json");
    let state_before = std::fs::read(&default_state).ok();
    for v in ["dev", "canary"] {
        let args = job_args(&out, v);
        let o = xtask(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(o.status.code(), Some(0), "{v}: {}", text(&o.stderr));
        assert!(text(&o.stdout).contains("(the gate runs on all jobs' partials: `cargo xtask gate --merge`)"));
    }
    the_release_job_waits_for_the_timing_lock(&out);
    for v in ["dev", "canary", "release"] {
        let p = read_partial(&out, v);
        let built: Vec<&str> = p.variants.iter().map(|r| r.variant.as_str()).collect();
        assert_eq!((built, p.pipeline.steps.cargo_builds), (vec![v], 2), "one job, one variant's two builds");
    }
    assert_eq!(std::fs::read(&default_state).ok(), state_before, "a partial job leaves the streaks alone");

    let all: Vec<String> = ["dev", "canary", "release"].map(|v| partial(&out, v).display().to_string()).to_vec();
    let step_summary = out.join("step-summary.md");
    let (o, path) = merge(&out, "merged", &all, &["--step-summary", step_summary.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let merged = read_summary(&path);
    assert_eq!(merged.report_signature, single.report_signature, "the same deterministic content");
    assert_eq!(deterministic(&merged.records), deterministic(&single.records));
    assert_eq!(merged.verdict, single.verdict);
    assert_eq!(merged.pipeline.steps.cargo_builds, 6);
    assert!(out.join("merged/streaks.json").exists(), "a complete merge counts the streaks");
    let job_summary = std::fs::read_to_string(&step_summary).unwrap();
    let release_raw = perf_core::display::number(record(&merged, "core-min", "M-PERF-01A").value.unwrap());
    assert!(
        job_summary.contains("### release (core-min)\n")
            && job_summary.contains(&format!("| M-PERF-01A | bytes | {release_raw}")),
        "{job_summary}"
    );
    merges_refuse_what_is_missing_or_mixed(&out, &all, &single.commit);
}

/// Two measuring runs on one machine never time at once: while another run holds the timing
/// lock, `--no-wait` refuses (exit 2, naming the lock) and a plain run waits, says so, and
/// records the wait in what it writes.
fn the_release_job_waits_for_the_timing_lock(out: &Path) {
    let locks = out.join("locks");
    std::fs::create_dir_all(&locks).unwrap();
    let lock_file = locks.join("wasm-budget-gate.timing.lock");
    let held = std::fs::File::create(&lock_file).unwrap();
    held.lock().unwrap();
    let args = job_args(out, "release");
    let env = [("WASM_BUDGET_GATE_LOCK_DIR", locks.to_str().unwrap())];

    let refusing: Vec<&str> = args.iter().map(String::as_str).chain(["--no-wait"]).collect();
    let o = xtask_env(&refusing, &env);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let expected = format!("error: another measuring run is timing on this machine (it holds {})", lock_file.display());
    assert!(text(&o.stderr).contains(&expected), "{}", text(&o.stderr));

    let stdout = out.join("release.stdout");
    let mut child = support::xtask_command()
        .args(&args)
        .envs(env)
        .current_dir(root())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap()));
    let said =
        stderr.by_ref().map_while(Result::ok).any(|l| l.contains("waiting for it, so that neither times the other"));
    assert!(said, "the waiting run says so");
    std::thread::sleep(std::time::Duration::from_millis(500));
    held.unlock().unwrap();
    let rest: Vec<String> = stderr.map_while(Result::ok).collect();
    assert!(child.wait().unwrap().success(), "{rest:?}");
    let printed = std::fs::read_to_string(&stdout).unwrap();
    assert!(printed.contains("(the gate runs on all jobs' partials: `cargo xtask gate --merge`)"), "{printed}");
    let contention = read_partial(out, "release").pipeline.contention.unwrap();
    assert!(contention.waited_millis >= 500.0, "{contention:?}");
}

/// `gate --merge` of `partials` with its files in `out/dir`.
fn merge(out: &Path, dir: &str, partials: &[String], extra: &[&str]) -> (std::process::Output, PathBuf) {
    let summary = out.join(dir).join("summary.json");
    let mut args: Vec<String> = vec!["gate".into(), "--merge".into()];
    args.extend(partials.iter().cloned());
    args.extend(gate_files(&out.join(dir)));
    args.extend(["--summary".into(), summary.display().to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(wasmtime_documents());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    (measuring(&args), summary)
}

/// A missing variant fails closed; partials of another commit are refused before anything
/// is written; a variant the policy lacks, or `--profile` without `--partial-out`, is bad
/// input.
fn merges_refuse_what_is_missing_or_mixed(out: &Path, all: &[String], commit: &str) {
    let (o, path) = merge(out, "missing", &all[..2], &[]);
    assert_eq!(o.status.code(), Some(2), "a missing variant fails closed: {}", both(&o));
    let stderr = text(&o.stderr);
    assert!(stderr.contains("release: no partial summary measured it (its job failed"), "{stderr}");
    let written = read_summary(&path);
    let raw = record(&written, "core-min", "M-PERF-01A");
    assert_eq!(raw.status, Status::Fail);
    assert!(raw.reason.as_deref().unwrap().starts_with("required metric not measured: the release variant"));
    assert!(!out.join("missing/streaks.json").exists(), "an incomplete merge leaves the streaks alone");

    let tampered = out.join("partial-other-commit.json");
    let text_of = std::fs::read_to_string(&all[2]).unwrap();
    std::fs::write(&tampered, text_of.replace(&format!("\"commit\": \"{commit}\""), "\"commit\": \"beef\"")).unwrap();
    let mixed = vec![all[0].clone(), all[1].clone(), tampered.display().to_string()];
    let (o, path) = merge(out, "mixed", &mixed, &[]);
    assert_eq!(o.status.code(), Some(2));
    let expected = format!(
        "error: {}: /commit: \"beef\" here, \"{commit}\" in {}: partials from different commits or toolchains \
         cannot be merged\n",
        tampered.display(),
        all[0]
    );
    assert!(text(&o.stderr).ends_with(&expected), "{}", text(&o.stderr));
    assert!(!path.exists(), "refused before anything is written");

    let nightly = partial(out, "nightly").display().to_string();
    let o = xtask(&["perf", "--profile", "nightly", "--partial-out", &nightly]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        "error: --profile nightly: .github/wasm_optimization_policy.json has no such variant (it has dev, canary, release)\n"
    );
    assert_eq!(xtask(&["perf", "--profile", "release"]).status.code(), Some(2), "--profile needs --partial-out");
}
