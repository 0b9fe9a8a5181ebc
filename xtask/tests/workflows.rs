//! The GitHub workflows' hygiene, asserted on the parsed files: every action pinned by full
//! commit SHA with its version in a comment, least-privilege permissions per job, no
//! `${{ }}` expression inside a `run:` script (inputs travel through `env`), bash with
//! pipefail, a timeout on every job, superseded pull-request runs cancelled and rebaselines
//! never, and the gate writing its own job summary. actionlint and zizmor run in CI too
//! (`.ci/lint-workflows`); these tests pin the project's own rules.
//!
//! Then the workflows' own `cargo xtask` lines run, byte for byte, in bash with each step's
//! env, in a scratch copy of the repository on the tests' protocol (`support`): a renamed
//! flag or output breaks this test, not a user's CI.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml::Value;
use support::{copy_tree, root};

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
fn the_four_workflows_exist() {
    let names: Vec<String> = workflows().into_iter().map(|(n, _, _)| n).collect();
    assert_eq!(
        names,
        ["perf-rebaseline.yml", "perf-regression-matrix.yml", "perf-regression.yml", "project-checks.yml"]
    );
}

/// Every job that builds installs the toolchain rust-toolchain.toml pins, never a channel.
#[test]
fn every_workflow_installs_the_pinned_toolchain() {
    let mut installs = 0;
    for (name, _, workflow) in workflows() {
        for (job, j) in jobs(&workflow) {
            let runs: Vec<&str> = steps(j).iter().filter_map(|s| s["run"].as_str()).collect();
            assert!(!runs.iter().any(|r| r.contains("stable")), "{name} {job}: a floating channel");
            let install =
                runs.iter().position(|r| r.lines().any(|l| l.trim() == "rustup toolchain install --no-self-update"));
            let first_cargo = runs.iter().position(|r| r.contains("cargo "));
            assert_eq!(
                first_cargo.is_some(),
                install.is_some(),
                "{name} {job}: installs the pinned toolchain exactly when it builds"
            );
            if let (Some(install), Some(cargo)) = (install, first_cargo) {
                assert!(install < cargo, "{name} {job}: the toolchain is installed before the first cargo");
                installs += 1;
            }
        }
    }
    assert_eq!(
        installs, 8,
        "the three subjects jobs, the gate, the matrix's measure and gate jobs, the rebaseline's collect job and \
         the project checks"
    );
}

/// The project's own checks run on every pull request, beside the gate: formatting, clippy
/// with warnings denied, `cargo check` of every target, the workflow linters and the suite;
/// the gate's job runs the policy and corpus validators with their self-tests, per subject.
#[test]
fn the_project_checks_run_on_every_pull_request() {
    let all = workflows();
    let (_, _, checks) = all.iter().find(|(n, _, _)| n == "project-checks.yml").unwrap();
    let triggers: Vec<&str> = checks["on"].as_mapping().unwrap().keys().filter_map(Value::as_str).collect();
    assert_eq!(triggers, ["pull_request", "push", "workflow_dispatch"]);
    let runs: Vec<&str> =
        jobs(checks).iter().flat_map(|(_, j)| steps(j)).filter_map(|s| s["run"].as_str()).map(str::trim).collect();
    for check in [
        "cargo fmt --all --check",
        "cargo clippy --workspace --all-targets -- -D warnings",
        "cargo check --workspace --all-targets",
        "bash .ci/lint-workflows",
        "cargo test --workspace",
    ] {
        assert!(runs.contains(&check), "project-checks.yml runs `{check}`: {runs:#?}");
    }
    for (job, j) in jobs(checks) {
        assert!(j["steps"].as_sequence().unwrap().iter().all(|s| s["if"].is_null()), "{job}: every check always runs");
    }
    let (_, _, regression) = all.iter().find(|(n, _, _)| n == "perf-regression.yml").unwrap();
    let runs: Vec<&str> =
        steps(&regression["jobs"]["gate"]).iter().filter_map(|s| s["run"].as_str()).map(str::trim).collect();
    for check in [
        r#"cargo xtask policy check --self-test --subject "$SUBJECT""#,
        r#"cargo xtask corpus check --self-test --subject "$SUBJECT""#,
    ] {
        assert!(runs.contains(&check), "the gate's job runs `{check}` for its subject: {runs:#?}");
    }
}

/// Every job that measures (`cargo xtask perf` or `rebaseline`, which build and load the
/// host apps) sets up one pinned Node.js before it, so a runner image's Node neither fails
/// the hosts nor changes their builds.
#[test]
fn every_measuring_job_sets_up_a_pinned_node_before_it_measures() {
    let mut measuring = 0;
    for (name, _, workflow) in workflows() {
        for (job, j) in jobs(&workflow) {
            let steps = steps(j);
            let measures = |s: &Value| {
                s["run"]
                    .as_str()
                    .is_some_and(|r| r.contains("cargo xtask perf") || r.contains("cargo xtask rebaseline"))
            };
            let Some(first) = steps.iter().position(measures) else { continue };
            measuring += 1;
            let node =
                steps.iter().position(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/setup-node@")));
            assert!(node.is_some_and(|n| n < first), "{name} {job}: no Node.js set up before it measures");
            let version = &steps[node.unwrap_or_default()]["with"]["node-version"];
            let version = version.as_str().map(str::to_owned).unwrap_or_else(|| format!("{version:?}"));
            assert_eq!(version.split('.').count(), 3, "{name} {job}: Node.js {version} is not one exact version");
        }
    }
    assert_eq!(measuring, 3, "the gate, the matrix's jobs and the rebaseline");
}

/// The browser builds `.github/browsers.env` names: one exact Chrome for Testing version
/// (four numbers) and one exact Firefox release.
fn pinned_browsers() -> (String, String) {
    let text = std::fs::read_to_string(root().join(".github/browsers.env")).unwrap();
    let value = |key: &str| {
        let found: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix(&format!("{key}="))).collect();
        assert_eq!(found.len(), 1, ".github/browsers.env names one {key} version: {found:?}");
        found[0].to_owned()
    };
    let (chrome, firefox) = (value("chrome"), value("firefox"));
    let numbers = |v: &str| v.split('.').filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())).count();
    assert_eq!(numbers(&chrome), 4, "chrome={chrome} is not one exact Chrome for Testing version");
    let release = firefox.strip_suffix("esr").unwrap_or(&firefox);
    assert!((2..=3).contains(&numbers(release)) && release.split('.').count() == numbers(release), "firefox={firefox}");
    (chrome, firefox)
}

/// Every job that drives a browser (it measures, or runs the suite) installs the builds
/// `.github/browsers.env` names, through the SHA-pinned setup actions, and points the tool at
/// them before its first cargo step: no job measures with whatever the runner image carries.
/// The step that reads the file runs here, on the committed file.
#[test]
fn every_browser_job_installs_the_pinned_browsers() {
    let (chrome, firefox) = pinned_browsers();
    let mut driving = 0;
    for (name, text, workflow) in workflows() {
        assert!(!text.contains("/usr/bin/google-chrome"), "{name}: the runner image's Chrome");
        for (job, j) in jobs(&workflow) {
            let steps = steps(j);
            let drives = |s: &Value| {
                s["run"].as_str().is_some_and(|r| {
                    r.contains("cargo xtask perf") || r.contains("cargo xtask rebaseline") || r.contains("cargo test")
                })
            };
            let Some(first) = steps.iter().position(drives) else { continue };
            driving += 1;
            let at = |id: &str| steps.iter().position(|s| s["id"].as_str() == Some(id));
            let (Some(versions), Some(chrome_step), Some(firefox_step)) = (at("browsers"), at("chrome"), at("firefox"))
            else {
                panic!("{name} {job}: drives a browser without the pinned-browser steps")
            };
            let uses = |i: usize| steps[i]["uses"].as_str().unwrap_or_default();
            assert!(uses(chrome_step).starts_with("browser-actions/setup-chrome@"), "{name} {job}");
            assert!(uses(firefox_step).starts_with("browser-actions/setup-firefox@"), "{name} {job}");
            let with = |i: usize, key: &str| steps[i]["with"][key].as_str().unwrap_or_default().to_owned();
            assert_eq!(with(chrome_step, "chrome-version"), "${{ steps.browsers.outputs.chrome }}", "{name} {job}");
            assert_eq!(with(firefox_step, "firefox-version"), "${{ steps.browsers.outputs.firefox }}", "{name} {job}");
            let points = steps.iter().position(|s| {
                let env = |k: &str| s["env"][k].as_str().unwrap_or_default().to_owned();
                let run = s["run"].as_str().unwrap_or_default();
                env("CHROME_PATH") == "${{ steps.chrome.outputs.chrome-path }}"
                    && env("FIREFOX_PATH") == "${{ steps.firefox.outputs.firefox-path }}"
                    && run.contains("WASM_BUDGET_GATE_CHROMIUM=$CHROME_PATH")
                    && run.contains("WASM_BUDGET_GATE_FIREFOX=$FIREFOX_PATH")
                    && run.contains("$GITHUB_ENV")
            });
            let Some(points) = points else { panic!("{name} {job}: the tool is not pointed at the pinned browsers") };
            assert!(
                versions < chrome_step && chrome_step < points && firefox_step < points && points < first,
                "{name} {job}"
            );
            assert!(j["env"]["WASM_BUDGET_GATE_CHROMIUM"].is_null(), "{name} {job}: a job-level browser path");

            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("pinned-browsers-{name}-{job}"));
            std::fs::create_dir_all(&dir).unwrap();
            let output = dir.join("github-output");
            std::fs::write(&output, "").unwrap();
            let ran = std::process::Command::new("bash")
                .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", steps[versions]["run"].as_str().unwrap()])
                .current_dir(root())
                .env("GITHUB_OUTPUT", &output)
                .output()
                .unwrap();
            assert!(ran.status.success(), "{name} {job}: {}", String::from_utf8_lossy(&ran.stderr));
            let read = std::fs::read_to_string(&output).unwrap();
            assert_eq!(read, format!("chrome={chrome}\nfirefox={firefox}\n"), "{name} {job}");
        }
    }
    assert_eq!(driving, 4, "the gate, the matrix's measuring job, the rebaseline's collect job and the project checks");
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
    assert_eq!(
        run.trim(),
        r#"cargo xtask perf --subject "$SUBJECT" ${BASE:+--compare "$BASE"} --step-summary "$GITHUB_STEP_SUMMARY""#
    );
    let upload =
        gate_steps.iter().find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/upload-artifact@")));
    assert_eq!(upload.unwrap()["if"].as_str(), Some("always()"), "results are uploaded also when the gate fails");
    let triggers: Vec<&str> =
        regression["on"].as_mapping().unwrap().keys().filter_map(Value::as_str).collect::<Vec<_>>();
    assert_eq!(triggers, ["pull_request", "push", "workflow_dispatch"]);
}

/// Branch protection requires one check of a fixed name, `wasm budget gate`, in either gate
/// workflow: it needs every subject's gate job, runs whatever they did, and its script
/// passes only when they all passed (run here with each result GitHub gives
/// `needs.gate.result`).
#[test]
fn one_fixed_check_passes_only_when_every_subjects_gate_passed() {
    for name in ["perf-regression.yml", "perf-regression-matrix.yml"] {
        let (_, _, workflow) = workflows().into_iter().find(|(n, _, _)| n == name).unwrap();
        fixed_check_of(name, &workflow);
    }
}

/// `workflow`'s `wasm budget gate` job, run with each result of its gate jobs.
fn fixed_check_of(name: &str, workflow: &Value) {
    let all = jobs(workflow);
    let named: Vec<&(&str, &Value)> =
        all.iter().filter(|(_, j)| j["name"].as_str() == Some("wasm budget gate")).collect();
    assert_eq!(named.len(), 1, "{name}: one job has the fixed name");
    let job = named[0].1;
    assert_eq!(job["needs"].as_str(), Some("gate"));
    assert_eq!(job["if"].as_str(), Some("${{ always() }}"), "it reports a failed or skipped gate too");
    let step = &steps(job)[0];
    assert_eq!(step["env"]["RESULT"].as_str(), Some("${{ needs.gate.result }}"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("gate-verdict-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    for (result, passes) in [("success", true), ("failure", false), ("cancelled", false), ("skipped", false)] {
        let o = run_script(&dir, &dir, step["run"].as_str().unwrap(), &[("RESULT", result)]);
        assert_eq!(o.status.success(), passes, "{name}: needs.gate.result {result}");
    }
}

/// The matrix workflow measures one cell per subject and variant, as `cargo xtask subjects`
/// lists them (`the_workflows_cargo_xtask_lines_pass_locally` runs the listing and every
/// cell), then merges each subject's cells once.
#[test]
fn the_matrix_measures_each_subjects_variants_and_merges_once_per_subject() {
    let all = workflows();
    let (_, _, matrix) = all.iter().find(|(n, _, _)| n == "perf-regression-matrix.yml").unwrap();
    let measure = &matrix["jobs"]["measure"];
    assert_eq!(
        measure["strategy"]["matrix"]["include"].as_str(),
        Some("${{ fromJSON(needs.subjects.outputs.cells) }}")
    );
    assert_eq!(measure["strategy"]["fail-fast"].as_bool(), Some(false), "every variant is measured");
    let runs: Vec<&str> = steps(measure).iter().filter_map(|s| s["run"].as_str()).map(str::trim).collect();
    assert!(runs.contains(
        &r#"cargo xtask perf --subject "$SUBJECT" --profile "$VARIANT" --partial-out "artifacts/partial/$SUBJECT/$VARIANT.json""#
    ));

    let gate = &matrix["jobs"]["gate"];
    assert_eq!(
        gate["strategy"]["matrix"]["include"].as_str(),
        Some("${{ fromJSON(needs.subjects.outputs.subjects) }}")
    );
    let needs: Vec<&str> = gate["needs"].as_sequence().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(needs, ["subjects", "measure"]);
    assert_eq!(gate["if"].as_str(), Some("${{ !cancelled() }}"), "a failed measure job fails the merge closed");
    let runs: Vec<&str> = steps(gate).iter().filter_map(|s| s["run"].as_str()).map(str::trim).collect();
    assert!(runs.contains(
        &r#"cargo xtask gate --subject "$SUBJECT" --merge artifacts/partial/"$SUBJECT"/*.json --step-summary "$GITHUB_STEP_SUMMARY""#
    ));
    let partials = steps(gate).iter().find(|s| s["uses"].as_str().is_some_and(|u| u.contains("download-artifact@")));
    assert_eq!(
        partials.unwrap()["with"]["pattern"].as_str(),
        Some("perf-partial~${{ matrix.subject }}~*"),
        "a subject's gate downloads its own partials only"
    );
    for job in [measure, gate] {
        for upload in steps(job).iter().filter(|s| s["uses"].as_str().is_some_and(|u| u.contains("upload-artifact@"))) {
            assert_eq!(upload["if"].as_str(), Some("always()"));
        }
    }
    let triggers: Vec<&str> = matrix["on"].as_mapping().unwrap().keys().filter_map(Value::as_str).collect();
    assert_eq!(triggers, ["workflow_dispatch"], "the single-job workflow stays the default gate");
}

/// The jobs that write to the pull request and the issues read the gate's uploaded reports
/// and nothing else: no checkout, no cargo, no script of the repository; one write right
/// each; they run after a failed gate too, and skip forks (whose token is read-only).
#[test]
fn the_report_jobs_run_no_project_code_and_write_only_what_they_must() {
    let all = workflows();
    let (_, _, regression) = all.iter().find(|(n, _, _)| n == "perf-regression.yml").unwrap();
    let jobs = &regression["jobs"];
    let gate_upload = steps(&jobs["gate"])
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with("actions/upload-artifact@")))
        .unwrap()["with"]["name"]
        .as_str()
        .unwrap();
    // Every subject's upload, and no other artifact of the run.
    let every_subjects_upload = gate_upload.replace("${{ matrix.subject }}", "*");
    assert_ne!(every_subjects_upload, gate_upload, "the gate's upload is named by its subject");
    let same_repository = "github.event.pull_request.head.repo.full_name == github.repository";
    for (job, write, report) in [
        ("comment", "pull-requests", "wasm_perf_report.md"),
        ("warn-issues", "issues", "wasm_perf_regression_report.json"),
    ] {
        let j = &jobs[job];
        let perms: Vec<(&str, &str)> = j["permissions"]
            .as_mapping()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str().unwrap(), v.as_str().unwrap()))
            .collect();
        assert_eq!(perms, [(write, "write")], "{job}: one write right, nothing else");
        assert_eq!(j["needs"].as_str(), Some("gate"), "{job}");
        let condition = j["if"].as_str().unwrap();
        assert!(condition.starts_with("${{ !cancelled() && "), "{job} runs after a failed gate too: {condition}");
        assert!(condition.contains(same_repository), "{job} skips forks: {condition}");
        for step in steps(j) {
            if let Some(uses) = step["uses"].as_str() {
                assert!(uses.starts_with("actions/download-artifact@"), "{job}: only downloads ({uses})");
                assert_eq!(step["with"]["pattern"].as_str(), Some(every_subjects_upload.as_str()), "{job}");
            }
            if let Some(run) = step["run"].as_str() {
                for project_code in ["cargo", ".ci/", "./", "npm", "python", "node "] {
                    assert!(!run.contains(project_code), "{job} runs no project code ({project_code}):\n{run}");
                }
                assert!(run.contains(&format!("-name {report}")), "{job} reads each subject's {report}");
            }
        }
    }
    // The issue titles come from the report, where perf-core builds them.
    let script = steps(&jobs["warn-issues"]).iter().filter_map(|s| s["run"].as_str()).collect::<String>();
    assert!(script.contains("select(.warn_issue != null) | {title: .warn_issue.title"), "{script}");
    let title = perf_core::warn_issue::WarnIssue::new(None, "M-PERF-04A", "full-dev", None).title;
    assert_eq!(title, "perf warn: M-PERF-04A (full-dev)");
}

/// What the runner would put into a step's env: a local value for each expression the
/// workflows use. An expression missing here fails the test, so a new one gets a value.
const EXPRESSIONS: [(&str, &str); 6] = [
    ("${{ github.head_ref || github.ref_name }}", "main"),
    // The copy is no git repository: no base commit, no `--compare` (the test of the base
    // step runs the step with one).
    ("${{ steps.base.outputs.commit }}", ""),
    ("${{ github.base_ref || github.ref_name }}", "main"),
    ("${{ inputs.runs }}", "1"),
    ("${{ inputs.activate }}", "false"),
    ("${{ inputs.subject }}", "all"),
];

/// A (subject, branch)'s warn streaks are restored from its own keys only: the restore
/// prefix of `main` must not match a key `main-foo` saved (GitHub's restore keys are
/// prefixes), nor subject `word`'s prefix a key of subject `word-index`.
#[test]
fn warn_streak_caches_match_their_own_subject_and_branch_only() {
    let expand = |pattern: &str, subject: &str, branch: &str| {
        pattern
            .replace("${{ matrix.subject }}", subject)
            .replace("${{ env.STREAK_BRANCH }}", branch)
            .replace("${{ env.STREAK_BASE }}", branch)
            .replace("${{ github.run_id }}", "7")
            .replace("${{ github.run_attempt }}", "1")
    };
    // Names as `perf_core::subject` admits them and branch names as git does.
    let subjects = ["default", "word", "word-index", "word-index-streaks"];
    let branches = ["main", "main-foo", "word", "word-index", "x"];
    let mut checked = 0;
    for (name, _, workflow) in workflows() {
        for (job, j) in jobs(&workflow) {
            for step in steps(j) {
                if step["with"]["path"].as_str() != Some("${{ matrix.outputs }}wasm_perf_warn_streaks.json") {
                    continue;
                }
                let key = step["with"]["key"].as_str().unwrap();
                assert!(key.contains("${{ matrix.subject }}"), "{name} {job}: {key} is not per subject");
                let prefixes = step["with"]["restore-keys"].as_str().unwrap_or("");
                for prefix in prefixes.lines().map(str::trim).filter(|p| !p.is_empty()) {
                    for (subject, branch) in subjects.iter().flat_map(|s| branches.iter().map(move |b| (s, b))) {
                        let restoring = expand(prefix, subject, branch);
                        assert!(expand(key, subject, branch).starts_with(&restoring), "{name} {job}: own key");
                        for (other_subject, other_branch) in
                            subjects.iter().flat_map(|s| branches.iter().map(move |b| (s, b)))
                        {
                            let saved = expand(key, other_subject, other_branch);
                            assert!(
                                (subject, branch) == (other_subject, other_branch) || !saved.starts_with(&restoring),
                                "{name} {job}: restoring {subject} on {branch} ({restoring}) would take {saved}"
                            );
                        }
                    }
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4, "restore and save, in the gate and in the matrix's gate job");
}

/// A `cargo` first on PATH: `cargo xtask …` runs the binary under test as the alias would
/// (`cargo run` sets CARGO and CARGO_MANIFEST_DIR), anything else goes to the real cargo.
fn cargo_shim(dir: &Path, checkout: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = format!(
        "#!/usr/bin/env bash\nif [ \"${{1-}}\" = xtask ]; then\n  shift\n  export CARGO='{cargo}' CARGO_MANIFEST_DIR='{manifest}'\n  exec '{xtask}' \"$@\"\nfi\nexec '{cargo}' \"$@\"\n",
        cargo = env!("CARGO"),
        manifest = checkout.join("xtask").display(),
        xtask = env!("CARGO_BIN_EXE_xtask"),
    );
    let shim = bin.join("cargo");
    std::fs::write(&shim, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// Runs a step's script as GitHub runs `shell: bash` (`bash --noprofile --norc -eo pipefail
/// {0}`) in `checkout`, with `cargo_shim`'s cargo first on PATH, the runner's variables and
/// the step's env; cargo builds in `dir/target`, the job summary goes to `dir/step-summary.md`.
///
/// The step keeps the toolchain that runs this test: the shim starts cargo's own binary, not
/// rustup's proxy, so every `rustc` cargo starts in a dependency's directory (where no
/// rust-toolchain.toml is) would otherwise resolve to the machine's default toolchain, which
/// rustup may then update and which may lack the wasm target. Installs stay forbidden, by
/// rustup and by the tool.
fn run_step(dir: &Path, checkout: &Path, run: &str, env: &[(String, String)]) -> std::process::Output {
    let path = format!("{}:{}", dir.join("bin").display(), std::env::var("PATH").unwrap());
    let script = dir.join("step.sh");
    std::fs::write(&script, run).unwrap();
    std::process::Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&script)
        .current_dir(checkout)
        .env_clear()
        .env("PATH", &path)
        .env("HOME", std::env::var("HOME").unwrap())
        .envs(std::env::var("RUSTUP_HOME").ok().map(|v| ("RUSTUP_HOME", v)))
        .envs(std::env::var("CARGO_HOME").ok().map(|v| ("CARGO_HOME", v)))
        .env("RUSTUP_TOOLCHAIN", support::running_toolchain())
        .env("RUSTUP_AUTO_INSTALL", "0")
        .env(support::NO_INSTALL, "1")
        .envs([
            ("CI", "true"),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REF_NAME", "main"),
            ("GITHUB_RUN_ID", "1"),
            ("GITHUB_RUN_ATTEMPT", "1"),
        ])
        .env("GITHUB_STEP_SUMMARY", dir.join("step-summary.md"))
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap()
}

/// Change control where the gate runs: a pull request that loosens a threshold (or flips a
/// `required` flag) without a change-log entry fails the gate's job at its first cargo
/// step, and `perf` refuses it on its own too; the error names the sha256 to record. With
/// the entry, the same job passes (`the_workflows_cargo_xtask_lines_pass_locally` runs it
/// on budgets the tests loosened, with their entry).
#[test]
fn a_threshold_loosened_fails_the_gate_job_without_its_change_log_entry_and_passes_with_it() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("workflow-change-control");
    let checkout = scratch_checkout_on_the_tests_protocol(&dir);
    cargo_shim(&dir, &checkout);
    let budgets_path = checkout.join(".github/wasm_perf_budgets.json");
    let committed = std::fs::read_to_string(&budgets_path).unwrap();
    let (_, _, regression) = workflows().into_iter().find(|(n, _, _)| n == "perf-regression.yml").unwrap();
    let job = &regression["jobs"]["gate"];
    let cargo_steps: Vec<&Value> =
        steps(job).iter().filter(|s| s["run"].as_str().is_some_and(|r| r.contains("cargo xtask"))).collect();
    let (first, perf) = (cargo_steps[0], cargo_steps[1]);
    assert!(perf["run"].as_str().unwrap().contains("cargo xtask perf"), "the gate follows the checks");
    type Edit = fn(&mut serde_json::Value);
    let edits: [(&str, Edit); 2] = [
        ("a hard threshold raised", |b| {
            let t = &mut b["metrics"][0]["thresholds"]["core-min"]["hard"];
            *t = serde_json::json!(t.as_f64().unwrap() * 2.0);
        }),
        ("a required flag cleared", |b| b["metrics"][0]["required"] = serde_json::json!(false)),
    ];
    for (what, edit) in edits {
        let mut budgets: serde_json::Value = serde_json::from_str(&committed).unwrap();
        edit(&mut budgets);
        std::fs::write(&budgets_path, serde_json::to_string_pretty(&budgets).unwrap()).unwrap();
        let newest = budgets["change_log"].as_array().unwrap().len() - 1;
        for step in [first, perf] {
            let o = run_step(&dir, &checkout, step["run"].as_str().unwrap(), &step_env(job, step, &default_cell()));
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{what}: {}\n{stderr}", step["name"].as_str().unwrap());
            assert!(
                stderr.contains(&format!(
                    ".github/wasm_perf_budgets.json: /change_log/{newest}/thresholds_sha256: the thresholds changed \
                     since this entry (their sha256 is now "
                )),
                "{what}: {stderr}"
            );
        }
        // With its entry, the change passes change control: the policy check goes green.
        support::record_committed_change(&mut budgets, &checkout.join(".github/wasm_benchmark_corpus.json"), what);
        std::fs::write(&budgets_path, serde_json::to_string_pretty(&budgets).unwrap()).unwrap();
        let o = run_step(&dir, &checkout, first["run"].as_str().unwrap(), &step_env(job, first, &default_cell()));
        assert_eq!(o.status.code(), Some(0), "{what} with its entry: {}", String::from_utf8_lossy(&o.stderr));
        // An entry whose evidence is not in the repository does not.
        budgets["change_log"][newest + 1]["evidence"] = serde_json::json!("artifacts/before-and-after.json");
        std::fs::write(&budgets_path, serde_json::to_string_pretty(&budgets).unwrap()).unwrap();
        let o = run_step(&dir, &checkout, first["run"].as_str().unwrap(), &step_env(job, first, &default_cell()));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{what}: {stderr}");
        let expected = format!("/change_log/{}/evidence: artifacts/before-and-after.json cannot be read", newest + 1);
        assert!(stderr.contains(&expected), "{what}: {stderr}");
        // Nor one whose figures were measured with other seeds than the budgets'.
        let two_seeds = r#"{"schema_version": "wasm-budget-summary-v1", "seed_set": [11, 42]}"#;
        std::fs::write(checkout.join("docs/two-seeds.json"), two_seeds).unwrap();
        budgets["change_log"][newest + 1]["evidence"] = serde_json::json!("docs/two-seeds.json, before and after");
        std::fs::write(&budgets_path, serde_json::to_string_pretty(&budgets).unwrap()).unwrap();
        let o = run_step(&dir, &checkout, first["run"].as_str().unwrap(), &step_env(job, first, &default_cell()));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains("docs/two-seeds.json was measured with the seeds [11, 42]"), "{what}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&checkout);
}

/// One cell of a job's matrix: its keys and values (none for a job without a matrix).
type Cell = Vec<(String, String)>;

/// The gate's cell for the default subject, as `cargo xtask subjects --json` lists it.
fn default_cell() -> Cell {
    vec![("subject".to_owned(), "default".to_owned()), ("outputs".to_owned(), "artifacts/".to_owned())]
}

/// `text` with each `${{ matrix.KEY }}` of `cell` replaced by its value.
fn with_matrix(text: &str, cell: &Cell) -> String {
    cell.iter().fold(text.to_owned(), |text, (k, v)| text.replace(&format!("${{{{ matrix.{k} }}}}"), v))
}

/// The env a job's step sees: the job's and the step's, expressions replaced.
fn step_env(job: &Value, step: &Value, cell: &Cell) -> Vec<(String, String)> {
    let mut env = Vec::new();
    for map in [&job["env"], &step["env"]] {
        for (k, v) in map.as_mapping().into_iter().flatten() {
            let (k, v) = (k.as_str().unwrap(), with_matrix(v.as_str().unwrap(), cell));
            let value = if v.contains("${{") {
                let Some((_, local)) = EXPRESSIONS.iter().find(|(e, _)| *e == v) else {
                    panic!("{k}: give the test a local value for {v}")
                };
                (*local).to_owned()
            } else {
                v
            };
            env.push((k.to_owned(), value));
        }
    }
    env
}

/// As upload-artifact stores a step's `path` lines: relative to their common directory (a
/// lone directory: relative to itself).
fn upload_to(stash: &Path, upload: &Value, cell: &Cell, checkout: &Path, what: &str) {
    let lines = with_matrix(upload["with"]["path"].as_str().unwrap(), cell);
    let lines = lines.lines();
    let paths: Vec<&str> = lines.map(|l| l.trim().trim_end_matches('/')).filter(|l| !l.is_empty()).collect();
    let mut common = match paths.as_slice() {
        [one] if checkout.join(one).is_dir() => PathBuf::from(one),
        _ => Path::new(paths[0]).parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    while !paths.iter().all(|p| Path::new(p).starts_with(&common)) {
        common.pop();
    }
    for p in &paths {
        let from = checkout.join(p);
        assert!(from.exists(), "{what}: uploads {p}, which the job did not write");
        copy_tree(&from, &stash.join(Path::new(p).strip_prefix(&common).unwrap()));
    }
}

/// What download-artifact puts in place: everything the needed jobs uploaded, under `path`.
fn download(job: &Value, checkout: &Path, stash: &Path) {
    let is_download = |s: &&Value| s["uses"].as_str().is_some_and(|u| u.contains("download-artifact@"));
    let Some(step) = steps(job).iter().find(is_download) else { return };
    let needs: Vec<&str> = match &job["needs"] {
        Value::String(one) => vec![one.as_str()],
        Value::Sequence(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let target = checkout.join(step["with"]["path"].as_str().unwrap());
    for needed in needs {
        copy_tree(&stash.join(needed), &target);
    }
}

/// Whether `job` restores `artifacts/cache` from the actions cache, and whether it saves it
/// there when it ends (`actions/cache` does both; `actions/cache/restore` only restores).
fn caches_artifacts(job: &Value) -> (bool, bool) {
    let mut out = (false, false);
    for step in steps(job) {
        let uses = step["uses"].as_str().unwrap_or("");
        let path = step["with"]["path"].as_str().unwrap_or("");
        if path.lines().any(|l| l.trim() == "artifacts/cache") {
            out.0 |= uses.starts_with("actions/cache@") || uses.starts_with("actions/cache/restore@");
            out.1 |= uses.starts_with("actions/cache@");
        }
    }
    out
}

/// A copy of the checkout in `dir` on the tests' protocol (see `support`): the workflows read
/// the committed documents' paths, so the copy's corpus and budgets are the quick and steady
/// ones, and gate no browser (the wiring is the subject; the CLI tests drive the browsers).
/// The wasm-bindgen subject's step gates its sizes (module and glue) only, likewise.
fn scratch_checkout_on_the_tests_protocol(dir: &Path) -> PathBuf {
    let checkout = dir.join("checkout");
    support::copy_checkout(&checkout);
    let copies = [
        (support::fixture("corpus/quick-wasmtime.json"), ".github/wasm_benchmark_corpus.json"),
        (support::steady_budgets(&support::fixture("budgets/wasmtime-only.json")), ".github/wasm_perf_budgets.json"),
        (support::fixture("corpus/word-index-sizes.json"), ".github/word-index/wasm_benchmark_corpus.json"),
        (support::fixture("budgets/word-index-sizes.json"), ".github/word-index/wasm_perf_budgets.json"),
    ];
    for (from, to) in copies {
        std::fs::copy(from, checkout.join(to)).unwrap();
    }
    // The copies are the subjects' committed documents now: their change logs record them.
    for folder in [".github", ".github/word-index"] {
        let budgets_path = checkout.join(folder).join("wasm_perf_budgets.json");
        let mut budgets: serde_json::Value = serde_json::from_slice(&std::fs::read(&budgets_path).unwrap()).unwrap();
        let corpus = checkout.join(folder).join("wasm_benchmark_corpus.json");
        support::record_committed_change(&mut budgets, &corpus, "the tests' protocol");
        std::fs::write(&budgets_path, serde_json::to_string_pretty(&budgets).unwrap()).unwrap();
    }
    checkout
}

/// What the job uploads is what this job wrote (a renamed output fails here), kept in `stash`
/// for the jobs that download it.
fn upload_outputs(job: &Value, cell: &Cell, stash: &Path, checkout: &Path, what: &str) {
    for upload in steps(job).iter().filter(|s| s["uses"].as_str().is_some_and(|u| u.contains("upload-artifact@"))) {
        upload_to(stash, upload, cell, checkout, what);
    }
}

/// What a run of a workflow keeps between its jobs: each job's outputs by name.
type JobOutputs = BTreeMap<String, BTreeMap<String, String>>;

/// A job's matrix cells: one per value of a literal list, one per object of another job's
/// JSON output (`include: ${{ fromJSON(needs.JOB.outputs.NAME) }}`), or one empty cell.
fn matrix_cells(job: &Value, outputs: &JobOutputs) -> Vec<Cell> {
    let matrix = &job["strategy"]["matrix"];
    if let Some(include) = matrix["include"].as_str() {
        let from = include.strip_prefix("${{ fromJSON(needs.").and_then(|i| i.strip_suffix(") }}"));
        let (needed, name) = from.and_then(|f| f.split_once(".outputs.")).unwrap_or_else(|| panic!("{include}"));
        let json = outputs.get(needed).and_then(|o| o.get(name)).unwrap_or_else(|| panic!("no output {include}"));
        let cells: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_str(json).unwrap();
        return cells
            .into_iter()
            .map(|c| c.into_iter().map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned))).collect())
            .collect();
    }
    match matrix.as_mapping() {
        Some(m) => m
            .iter()
            .flat_map(|(k, values)| {
                let k = k.as_str().unwrap().to_owned();
                values.as_sequence().unwrap().iter().map(move |v| vec![(k.clone(), v.as_str().unwrap().to_owned())])
            })
            .collect(),
        None => vec![Vec::new()],
    }
}

/// A job's outputs (`${{ steps.ID.outputs.NAME }}`) as the steps that ran wrote them to their
/// `GITHUB_OUTPUT` files in `outputs_dir` (one file a step id); a step that did not run
/// gives none.
fn job_outputs(job: &Value, outputs_dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, expression) in job["outputs"].as_mapping().into_iter().flatten() {
        let expression = expression.as_str().unwrap();
        let from = expression.strip_prefix("${{ steps.").and_then(|e| e.strip_suffix(" }}"));
        let (id, key) = from.and_then(|f| f.split_once(".outputs.")).unwrap_or_else(|| panic!("{expression}"));
        let written = std::fs::read_to_string(outputs_dir.join(id)).unwrap_or_default();
        let prefix = format!("{key}=");
        if let Some(value) = written.lines().find_map(|l| l.strip_prefix(&prefix)) {
            out.insert(name.as_str().unwrap().to_owned(), value.to_owned());
        }
    }
    out
}

/// Runs the steps of `workflow` that run `cargo xtask`, job after job, in `checkout`, and
/// asserts each exits 0. Returns what ran, each with its matrix cell.
fn run_workflow_locally(dir: &Path, checkout: &Path, name: &str, workflow: &Value) -> Vec<String> {
    let mut outputs = JobOutputs::new();
    jobs(workflow)
        .into_iter()
        .flat_map(|(job_name, job)| run_job(dir, checkout, name, job_name, job, &mut outputs))
        .collect()
}

/// Runs `job`'s `cargo xtask` steps in every cell of its matrix (from `outputs`, the jobs
/// before it), each cell as a fresh runner would (only what the job downloads or restores
/// is there), asserting each exits 0; then records the job's outputs in `outputs`.
fn run_job(
    dir: &Path,
    checkout: &Path,
    name: &str,
    job_name: &str,
    job: &Value,
    outputs: &mut JobOutputs,
) -> Vec<String> {
    let runs_xtask = steps(job).iter().any(|s| s["run"].as_str().is_some_and(|r| r.contains("cargo xtask")));
    if !runs_xtask {
        return Vec::new();
    }
    let stash = dir.join("uploaded").join(name);
    let actions_cache = dir.join("actions-cache");
    let (restores, saves) = caches_artifacts(job);
    let outputs_dir = dir.join("github-output").join(name).join(job_name);
    let mut ran = Vec::new();
    for cell in matrix_cells(job, outputs) {
        let _ = std::fs::remove_dir_all(checkout.join("artifacts"));
        download(job, checkout, &stash);
        if restores {
            copy_tree(&actions_cache, &checkout.join("artifacts/cache"));
        }
        let _ = std::fs::remove_dir_all(&outputs_dir);
        std::fs::create_dir_all(&outputs_dir).unwrap();
        for step in steps(job) {
            let Some(run) = step["run"].as_str() else { continue };
            if !run.contains("cargo xtask") {
                assert!(!run.contains("cargo"), "{name} {job_name}: cargo outside `cargo xtask`:\n{run}");
                continue;
            }
            let id = step["id"].as_str().unwrap_or("no-id");
            let mut env = step_env(job, step, &cell);
            env.push(("GITHUB_OUTPUT".to_owned(), outputs_dir.join(id).display().to_string()));
            let o = run_step(dir, checkout, run, &env);
            let what = format!("{name} {job_name} {cell:?}: {}", run.trim());
            assert_eq!(
                o.status.code(),
                Some(0),
                "{what}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            ran.push(what);
        }
        if saves {
            let _ = std::fs::remove_dir_all(&actions_cache);
            copy_tree(&checkout.join("artifacts/cache"), &actions_cache);
        }
        upload_outputs(job, &cell, &stash.join(job_name), checkout, &format!("{name} {job_name} {cell:?}"));
        outputs.insert(job_name.to_owned(), job_outputs(job, &outputs_dir));
    }
    ran
}

#[test]
fn the_workflows_cargo_xtask_lines_pass_locally() {
    // A fixed place with a cargo target directory that outlives the run (`run_step` builds in
    // `dir/target`), as the workflows cache `target`: the wasm builds of an unchanged
    // checkout are then fresh.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("workflow-lines");
    let checkout = scratch_checkout_on_the_tests_protocol(&dir);
    cargo_shim(&dir, &checkout);
    let step_summary = dir.join("step-summary.md");
    let _ = std::fs::remove_file(&step_summary);
    let _ = std::fs::remove_dir_all(dir.join("uploaded"));
    let mut ran = Vec::new();
    // The project checks' lines are cargo's own commands and this suite itself: the test
    // above pins them.
    for (name, _, workflow) in workflows().into_iter().filter(|(n, _, _)| n != "project-checks.yml") {
        ran.extend(run_workflow_locally(&dir, &checkout, &name, &workflow));
    }
    let subjects = ["default", "word-index"];
    let variants = 3;
    assert_eq!(
        ran.len(),
        3 + subjects.len() * (3 + variants + 1 + 1),
        "in each workflow the subjects listed; per subject the gate's policy check, perf and corpus check, one \
         matrix cell per variant, the matrix's merge and the rebaseline:\n{ran:#?}"
    );
    for subject in subjects {
        let cells = ran.iter().filter(|r| r.contains(&format!("(\"subject\", \"{subject}\")"))).count();
        assert_eq!(cells, 3 + variants + 1 + 1, "{subject}: {ran:#?}");
    }
    let report = std::fs::read_to_string(&step_summary).unwrap();
    assert_eq!(
        report.matches("## wasm budget gate").count(),
        2 * subjects.len(),
        "each subject's gate's and matrix merge's job summaries"
    );
    let _ = std::fs::remove_dir_all(&checkout);
}

/// The subjects the repository holds: `.github/` for the default one and each folder of it
/// with a policy.
fn committed_subjects() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join(".github"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("wasm_optimization_policy.json").is_file())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The workflows and `.ci/run` take the subjects from the repository: none names one.
#[test]
fn no_workflow_names_a_subject() {
    let subjects = committed_subjects();
    assert!(subjects.contains(&"word-index".to_owned()), "{subjects:?}");
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    let texts = workflows().into_iter().map(|(n, text, _)| (n, text)).chain([(".ci/run".to_owned(), ci)]);
    for (name, text) in texts {
        for subject in &subjects {
            assert!(!text.contains(subject.as_str()), "{name} names subject {subject}");
        }
    }
}

/// A subject added to the repository is in every workflow's matrices, with no edit of a
/// workflow: the `subjects` jobs' listing steps run here on a checkout with one more
/// subject, and the jobs after them get one cell for it (a cell per variant in the matrix
/// workflow's measure job) with its paths. `the_workflows_cargo_xtask_lines_pass_locally`
/// runs the cells themselves; the CLI's init test gates a subject `init` wrote.
#[test]
fn a_subject_added_is_in_every_workflows_matrix_with_no_edit() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("workflow-new-subject");
    let checkout = dir.join("checkout");
    support::copy_checkout(&checkout);
    copy_tree(&checkout.join(".github/word-index"), &checkout.join(".github/words"));
    cargo_shim(&dir, &checkout);
    let is_new = |cell: &Cell| cell.iter().any(|(k, v)| k == "subject" && v == "words");
    let mut matrices = Vec::new();
    for (name, _, workflow) in workflows() {
        let mut outputs = JobOutputs::new();
        let Some((job_name, job)) = jobs(&workflow).into_iter().find(|(j, _)| *j == "subjects") else { continue };
        assert_eq!(run_job(&dir, &checkout, &name, job_name, job, &mut outputs).len(), 1, "{name}: one listing");
        for (job_name, job) in
            jobs(&workflow).into_iter().filter(|(_, j)| j["strategy"]["matrix"]["include"].is_string())
        {
            let cells: Vec<Cell> = matrix_cells(job, &outputs).into_iter().filter(is_new).collect();
            let variants: Vec<&str> =
                cells.iter().flat_map(|c| c.iter().filter(|(k, _)| k == "variant").map(|(_, v)| v.as_str())).collect();
            let expected_variants: &[&str] = if variants.is_empty() { &[] } else { &["dev", "canary", "release"] };
            assert_eq!(variants, expected_variants, "{name} {job_name}");
            assert_eq!(cells.len(), expected_variants.len().max(1), "{name} {job_name}: {cells:?}");
            for cell in &cells {
                let value = |key: &str| cell.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
                assert_eq!(value("outputs"), Some("artifacts/words/"), "{name} {job_name}");
                if let Some(baseline) = value("baseline") {
                    assert_eq!(baseline, "baselines/words/baseline_latest.json", "{name} {job_name}");
                }
                let env = step_env(job, &Value::Null, cell);
                assert!(env.contains(&("SUBJECT".to_owned(), "words".to_owned())), "{name} {job_name}: {env:?}");
            }
            matrices.push(format!("{name} {job_name}"));
        }
    }
    assert_eq!(
        matrices,
        [
            "perf-rebaseline.yml collect",
            "perf-regression-matrix.yml measure",
            "perf-regression-matrix.yml gate",
            "perf-regression.yml gate"
        ]
    );
    let _ = std::fs::remove_dir_all(&checkout);
}

/// `git` in `repo`, with a fixed author and date, its output trimmed.
fn git(repo: &Path, args: &[&str]) -> String {
    let o = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .envs([("GIT_AUTHOR_DATE", "2026-12-05T00:00:00Z"), ("GIT_COMMITTER_DATE", "2026-12-05T00:00:00Z")])
        .current_dir(repo)
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap().trim().to_owned()
}

/// The gate compares with a base commit it picks itself: on a pull request, the first parent
/// of GitHub's merge commit (the base branch as the pull request merges into it); on a push,
/// the commit before it, else HEAD~1 (a new branch's all-zero `before`, a force push whose
/// old commit is gone, a manual run); a root commit, none. The base step's script runs here
/// on a scratch history, and each measuring step passes what it printed to `--compare`
/// (run through a cargo that echoes its arguments), or no `--compare` when it is empty.
#[test]
fn the_gate_compares_with_the_merge_commits_first_parent_or_the_commit_before_the_push() {
    let workflow = workflows().into_iter().find(|(n, _, _)| n == "perf-regression.yml").unwrap().2;
    let gate = &workflow["jobs"]["gate"];
    assert_eq!(steps(gate)[0]["with"]["fetch-depth"].as_u64(), Some(0), "the base commit must be fetched");
    let base_step = steps(gate).iter().find(|s| s["id"].as_str() == Some("base")).expect("a step with id: base");
    let script = base_step["run"].as_str().unwrap();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gate-base");
    let _ = std::fs::remove_dir_all(&dir);
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let commit = |name: &str| {
        std::fs::write(repo.join(name), name).unwrap();
        git(&repo, &["add", name]);
        git(&repo, &["commit", "--quiet", "-m", name]);
        git(&repo, &["rev-parse", "HEAD"])
    };
    git(&repo, &["init", "--quiet"]);
    let root_commit = commit("a");
    let picks = |event: &str, before: &str| {
        let output = dir.join("github-output");
        let _ = std::fs::remove_file(&output);
        let env = [("EVENT", event), ("BEFORE", before), ("GITHUB_OUTPUT", output.to_str().unwrap())];
        let o = run_script(&dir, &repo, script, &env);
        assert!(o.status.success(), "{event} {before}: {}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(&output).unwrap().trim().strip_prefix("commit=").unwrap().to_owned()
    };
    let zeros = "0".repeat(40);
    assert_eq!(picks("push", &zeros), "", "a root commit has no base");
    let main_tip = commit("b");
    git(&repo, &["checkout", "--quiet", "-b", "feature", &root_commit]);
    let feature = commit("c");
    git(&repo, &["checkout", "--quiet", "main"]);
    git(&repo, &["merge", "--quiet", "--no-ff", "-m", "merge", "feature"]);
    assert_eq!(picks("pull_request", ""), main_tip, "a pull request: the merge commit's first parent");
    assert_eq!(picks("push", &feature), feature, "a push: the commit before it");
    assert_eq!(picks("push", &zeros), main_tip, "a new branch: HEAD~1");
    assert_eq!(picks("push", &"e".repeat(40)), main_tip, "an old commit not fetched: HEAD~1");
    assert_eq!(picks("workflow_dispatch", ""), main_tip, "a manual run: HEAD~1");

    // Each measuring step of the gate passes the base step's output on.
    let echo = dir.join("bin");
    std::fs::create_dir_all(&echo).unwrap();
    std::fs::write(echo.join("cargo"), "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" >> \"$ARGS_LOG\"\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(echo.join("cargo"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let measuring: Vec<&Value> =
        steps(gate).iter().filter(|s| s["run"].as_str().is_some_and(|r| r.contains("cargo xtask perf"))).collect();
    assert_eq!(measuring.len(), 1, "one gate, run per subject");
    for step in measuring {
        assert_eq!(step["env"]["BASE"].as_str(), Some("${{ steps.base.outputs.commit }}"), "{step:?}");
        for (base, expected) in [("0123abc", true), ("", false)] {
            let log = dir.join("args");
            let _ = std::fs::remove_file(&log);
            let env = [("BASE", base), ("ARGS_LOG", log.to_str().unwrap()), ("GITHUB_STEP_SUMMARY", "s.md")];
            let o = run_script(&dir, &repo, step["run"].as_str().unwrap(), &env);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let args = std::fs::read_to_string(&log).unwrap();
            let args: Vec<&str> = args.lines().collect();
            let compared = args.windows(2).any(|w| w == ["--compare", base]);
            assert_eq!(compared, expected, "BASE={base:?}: {args:?}");
            assert!(expected || !args.contains(&"--compare"), "BASE empty: {args:?}");
        }
    }
    // The base's builds are cached per base commit (and toolchain).
    let cache = steps(gate)
        .iter()
        .find(|s| s["with"]["path"].as_str() == Some("artifacts/compare"))
        .expect("a cache of artifacts/compare");
    let key = cache["with"]["key"].as_str().unwrap();
    assert!(key.contains("${{ steps.base.outputs.commit }}") && key.contains("steps.toolchain.outputs.rustc"), "{key}");
}

/// Runs `script` as GitHub runs `shell: bash`, in `cwd`, with `dir/bin` first on PATH and
/// only `env` besides PATH and HOME.
fn run_script(dir: &Path, cwd: &Path, script: &str, env: &[(&str, &str)]) -> std::process::Output {
    let file = dir.join("script.sh");
    std::fs::write(&file, script).unwrap();
    let path = format!("{}:{}", dir.join("bin").display(), std::env::var("PATH").unwrap());
    std::process::Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&file)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", path)
        .env("HOME", std::env::var("HOME").unwrap())
        .envs(env.iter().copied())
        .output()
        .unwrap()
}
