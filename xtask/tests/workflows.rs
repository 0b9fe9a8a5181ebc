//! The GitHub workflows' hygiene, asserted on the parsed files: every action pinned by full
//! commit SHA with its version in a comment, least-privilege permissions per job, no
//! `${{ }}` expression inside a `run:` script (inputs travel through `env`), bash with
//! pipefail, a timeout on every job, superseded pull-request runs cancelled and rebaselines
//! never, and the gate writing its own job summary. actionlint and zizmor run in CI too
//! (`.ci/lint-workflows`); this test pins the project's own rules.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use serde_yaml::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn workflows() -> Vec<(String, String, Value)> {
    let dir = root().join(".github/workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let value: Value = serde_yaml::from_str(&text).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), text, value)
        })
        .collect()
}

fn jobs(workflow: &Value) -> Vec<(&str, &Value)> {
    workflow["jobs"].as_mapping().unwrap().iter().map(|(k, v)| (k.as_str().unwrap(), v)).collect()
}

fn steps(job: &Value) -> &[Value] {
    job["steps"].as_sequence().map_or(&[], Vec::as_slice)
}

#[test]
fn both_workflows_exist() {
    let names: Vec<String> = workflows().into_iter().map(|(n, _, _)| n).collect();
    assert_eq!(names, ["perf-rebaseline.yml", "perf-regression.yml"]);
}

#[test]
fn every_action_is_pinned_by_commit_sha_with_its_version_noted() {
    for (name, text, workflow) in workflows() {
        for (job, j) in jobs(&workflow) {
            for step in steps(j) {
                let Some(uses) = step["uses"].as_str() else { continue };
                let (action, sha) = uses.split_once('@').unwrap_or((uses, ""));
                assert!(
                    sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
                    "{name} {job}: {action} is not pinned by a full commit SHA ({uses})"
                );
                let line = text.lines().find(|l| l.contains(uses)).unwrap();
                assert!(line.contains(&format!("{uses} # v")), "{name} {job}: `{line}` needs its version in a comment");
            }
        }
    }
}

#[test]
fn permissions_are_least_privilege_and_writes_are_per_job() {
    for (name, _, workflow) in workflows() {
        let top = workflow["permissions"].as_mapping().unwrap_or_else(|| panic!("{name}: no top-level permissions"));
        for (scope, level) in top {
            assert_eq!(level.as_str(), Some("read"), "{name}: top-level {scope:?} must be read or absent");
        }
        for (job, j) in jobs(&workflow) {
            let Some(perms) = j["permissions"].as_mapping() else { continue };
            let writes: Vec<&str> =
                perms.iter().filter(|(_, l)| l.as_str() == Some("write")).filter_map(|(s, _)| s.as_str()).collect();
            let runs_project_code = steps(j).iter().any(|s| s["run"].as_str().is_some_and(|r| r.contains("cargo")));
            assert!(
                writes.is_empty() || !runs_project_code,
                "{name} {job}: a job with write permissions ({writes:?}) must not run project code"
            );
        }
    }
}

#[test]
fn scripts_take_inputs_through_env_and_run_in_bash_with_pipefail() {
    for (name, _, workflow) in workflows() {
        assert_eq!(workflow["defaults"]["run"]["shell"].as_str(), Some("bash"), "{name}: defaults.run.shell");
        for (job, j) in jobs(&workflow) {
            for step in steps(j) {
                let Some(run) = step["run"].as_str() else { continue };
                assert!(!run.contains("${{"), "{name} {job}: an expression inside a run script:\n{run}");
                assert!(!run.contains("| tee"), "{name} {job}: a pipe to tee can hide an exit code:\n{run}");
            }
        }
    }
}

#[test]
fn every_job_has_a_timeout_and_concurrency_fits_the_workflow() {
    for (name, _, workflow) in workflows() {
        for (job, j) in jobs(&workflow) {
            assert!(j["timeout-minutes"].as_u64().is_some_and(|m| m > 0 && m <= 90), "{name} {job}: timeout-minutes");
        }
        let cancel = &workflow["concurrency"]["cancel-in-progress"];
        match name.as_str() {
            "perf-rebaseline.yml" => assert_eq!(cancel.as_bool(), Some(false), "a rebaseline is never cancelled"),
            _ => assert_eq!(
                cancel.as_str(),
                Some("${{ github.event_name == 'pull_request' }}"),
                "{name}: only superseded pull-request runs are cancelled"
            ),
        }
    }
}

#[test]
fn the_gate_writes_its_own_job_summary_and_uploads_always() {
    let all = workflows();
    let (_, _, regression) = all.iter().find(|(n, _, _)| n == "perf-regression.yml").unwrap();
    let gate_steps = steps(&regression["jobs"]["gate"]);
    let run = gate_steps.iter().filter_map(|s| s["run"].as_str()).find(|r| r.contains("cargo xtask perf")).unwrap();
    assert_eq!(run.trim(), "cargo xtask perf --step-summary \"$GITHUB_STEP_SUMMARY\"");
    let upload =
        gate_steps.iter().find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/upload-artifact@")));
    assert_eq!(upload.unwrap()["if"].as_str(), Some("always()"), "results are uploaded also when the gate fails");
    let triggers: Vec<&str> =
        regression["on"].as_mapping().unwrap().keys().filter_map(Value::as_str).collect::<Vec<_>>();
    assert_eq!(triggers, ["pull_request", "push", "workflow_dispatch"]);
}
