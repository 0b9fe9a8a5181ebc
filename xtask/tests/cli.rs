//! Runs the real `xtask` binary: broken inputs give exit 2 and a message naming the file,
//! the JSON pointer and what was expected; the whole pipeline runs end to end on the
//! sample kernel, on the tests' protocol (`support`).

// Test helpers panic on a broken fixture or environment, like the tests they serve.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use perf_core::status::Status;
use perf_core::summary::Summary;
use support::{fixture, quick_corpus, root, steady_baseline, steady_budgets};

/// A fresh scratch directory for one test's outputs.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-cli-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Tests that build share cargo's per-variant outputs and the artifact directories, so they
/// take turns; tests that stop at bad input do not need to.
fn pipeline_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn xtask(args: &[&str]) -> Output {
    xtask_env(args, &[])
}

/// `args` of a measuring command (`perf`, `rebaseline`, `gate --merge`) on the tests'
/// protocol: the quick corpus unless `--corpus` is given, the steady form of the budgets
/// given with `--budgets` (else of the committed ones), and for a gated `perf`, wasmtime
/// only unless `--engine` is given.
fn on_test_protocol(args: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut budgets = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if *a == "--budgets" {
            budgets = it.next().map(|b| b.to_string());
        } else {
            out.push(a.to_string());
        }
    }
    let budgets = budgets.unwrap_or_else(|| ".github/wasm_perf_budgets.json".to_owned());
    out.extend(["--budgets".to_owned(), steady_budgets(&budgets)]);
    // Browsers are measured by the tests about them (a rebaseline cannot narrow the
    // engines); a gated run elsewhere leaves them out, or gates documents without browsers.
    if args.first() == Some(&"perf") && !args.contains(&"--partial-out") && !args.contains(&"--engine") {
        out.extend(["--engine".to_owned(), "wasmtime".to_owned()]);
    }
    if !args.contains(&"--corpus") {
        out.extend(["--corpus".to_owned(), quick_corpus()]);
    }
    out
}

/// A measuring command on the tests' protocol.
fn measuring(args: &[&str]) -> Output {
    measuring_env(args, &[])
}

fn measuring_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let args = on_test_protocol(args);
    xtask_env(&args.iter().map(String::as_str).collect::<Vec<_>>(), env)
}

fn xtask_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = support::xtask_command();
    cmd.args(args).envs(env.iter().copied()).current_dir(root()).output().unwrap()
}

/// `xtask perf` on the tests' protocol with the gate's files (baseline, streaks, report,
/// events) inside `dir`, so a test neither reads the committed baseline nor touches the
/// developer's state.
fn perf(dir: &Path, args: &[&str]) -> Output {
    let path = |name: &str| dir.join(name).display().to_string();
    let (baseline, state, report, events) =
        (path("baseline.json"), path("streaks.json"), path("report.json"), path("events.ndjson"));
    let mut all = vec!["perf", "--baseline", &baseline, "--state", &state, "--report", &report, "--events", &events];
    all.extend_from_slice(args);
    measuring(&all)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn broken_inputs_exit_2_with_file_pointer_and_expectation() {
    let out = scratch("broken");
    let summary = out.join("pipeline.json").display().to_string();
    let cases = [
        ("policy", "policy/broken-json.json", "invalid JSON at line 7, column 45: expected value"),
        (
            "policy",
            "policy/unknown-pass.json",
            "/profiles/2/wasm_opt/passes/1: binaryen knows no pass named \"shrink-everything\"",
        ),
        (
            "policy",
            "policy/string-codegen-units.json",
            "/profiles/1/cargo/codegen_units: invalid type: string \"1\", expected u32",
        ),
        (
            "policy",
            "policy/forbidden-feature.json",
            "/profiles/0/cargo/features/1: feature \"host-diagnostics\" is forbidden in every variant",
        ),
        (
            "policy",
            "policy/split-cfg-rustflag.json",
            "/profiles/1/cargo/rustflags/0: expected one of -Cname[=value], --cfg=name[=\"value\"] or \
             --check-cfg=cfg(...): write the option and its value as one entry, found \"--cfg\" alone",
        ),
        (
            "policy",
            "policy/bindgen-key-missing.json",
            "/wasm_bindgen: package word-index depends on wasm-bindgen, so what ships is wasm-bindgen's module and \
             its JS glue: add \"wasm_bindgen\": {\"target\": \"web\"}",
        ),
        (
            "policy",
            "policy/bindgen-without-dependency.json",
            "/wasm_bindgen: package sample-kernel does not depend on wasm-bindgen: remove \"wasm_bindgen\", or gate \
             a package that uses it",
        ),
        (
            "budgets",
            "budgets/warn-above-hard.json",
            "/metrics/8/thresholds/core-min/warn: warn threshold 13 is above the hard threshold 12",
        ),
        ("budgets", "budgets/duplicate-id.json", "/metrics/1/id: duplicate metric id \"M-PERF-01A\""),
        (
            "budgets",
            "budgets/missing-threshold.json",
            "/metrics/0/thresholds: expected a threshold for budget profile \"core-trace\"",
        ),
        (
            "budgets",
            "budgets/todo-threshold.json",
            "/metrics/0/thresholds/core-min/hard: invalid type: string \"TODO\", expected f64",
        ),
        (
            "budgets",
            "budgets/threshold-without-change-log.json",
            "/change_log/1/thresholds_sha256: the thresholds changed since this entry (their sha256 is now \
             25d8c06039334211dafd70628d9f5e6ff746e789417b9e654910eafbccac2037): record why in a new change-log entry",
        ),
    ];
    for (kind, file, message) in cases {
        let path = fixture(file);
        let flag = format!("--{kind}");
        let o = xtask(&["policy", "check", &flag, &path, "--summary", &summary]);
        let expected = format!("error: xtask/tests/fixtures/{file}: {message}\n");
        assert_eq!((o.status.code(), text(&o.stderr)), (Some(2), expected), "{file}");
        assert!(o.stdout.is_empty(), "{file}: nothing on stdout");
    }
    let perf_summary = out.join("perf-summary.json").display().to_string();
    for (kind, file, _) in &cases[..2] {
        // `perf` reads the same documents and refuses them the same way, before building, and
        // writes no summary: there is nothing measured to summarize.
        let o = xtask(&["perf", &format!("--{kind}"), &fixture(file), "--summary", &perf_summary]);
        assert_eq!(o.status.code(), Some(2), "perf {file}");
        let stderr = text(&o.stderr);
        assert!(stderr.starts_with(&format!("error: xtask/tests/fixtures/{file}: ")), "{stderr}");
        assert!(!stderr.contains("building"), "nothing is built for bad input: {stderr}");
        assert!(!Path::new(&perf_summary).exists());
    }
    let o = xtask(&["perf", "--policy", &fixture("policy/unknown-target.json"), "--summary", &summary]);
    assert_eq!(
        (o.status.code(), text(&o.stderr)),
        (
            Some(2),
            "error: xtask/tests/fixtures/policy/unknown-target.json: /target: rustc does not know the target \
             wasm32-typo (`rustc --print target-list` lists them)\n"
                .to_owned()
        )
    );
    // A target rustc knows but this toolchain lacks (no prebuilt std exists for it): tests
    // forbid installs, so the tool names the command instead of running rustup.
    let o = xtask(&["perf", "--policy", &fixture("policy/uninstalled-target.json"), "--summary", &summary]);
    assert_eq!(
        (o.status.code(), text(&o.stderr)),
        (
            Some(2),
            "error: xtask/tests/fixtures/policy/uninstalled-target.json: /target: the wasm64-unknown-unknown target \
             is not installed, and WASM_BUDGET_GATE_NO_INSTALL is set, so this run installs nothing: run `rustup \
             target add wasm64-unknown-unknown`\n"
                .to_owned()
        )
    );

    // The gate's own inputs are read before anything is built.
    let o = xtask(&["perf", "--baseline", &fixture("baseline-todo-value.json"), "--summary", &summary]);
    assert_eq!(
        (o.status.code(), text(&o.stderr)),
        (
            Some(2),
            "error: xtask/tests/fixtures/baseline-todo-value.json: /metrics/0/value: invalid type: string \"TODO\", \
             expected f64\n"
                .to_owned()
        )
    );
    assert!(!text(&o.stderr).contains("building"), "nothing was built");
    let o = xtask(&["perf", "--policy", "no/such/policy.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).starts_with("error: cannot read no/such/policy.json"), "{}", text(&o.stderr));
    let o = xtask(&["perf", "--package", "perf-core", "--summary", &summary]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("package perf-core has no cdylib target"), "{}", text(&o.stderr));
}

#[test]
fn policy_check_validates_and_self_tests_the_committed_policy() {
    let out = scratch("policy-check");
    let summary = out.join("pipeline.json");
    let o = xtask(&["policy", "check", "--self-test", "--summary", summary.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains(".github/wasm_optimization_policy.json: valid (3 variants; package sample-kernel"),
        "{stdout}"
    );
    assert!(stdout.contains("self-test: all 18 broken policies rejected"), "{stdout}");
    let s: perf_core::plan::PipelineSummary = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    assert_eq!(s.status, "valid");
    assert_eq!(s.self_test.as_ref().map(|t| t.iter().all(|r| r.ok)), Some(true));
    let release = s.variants.iter().find(|v| v.variant == perf_core::policy::VariantKind::Release).unwrap();
    let cargo = release.production.cargo.command_line();
    assert!(cargo.contains("'profile.perf-release.opt-level=\"z\"'"), "{cargo}");
    assert!(release.production.wasm_opt.as_ref().unwrap().command_line().contains("shrink_level=2"));
}

#[test]
fn help_explains_the_commands_and_exit_codes() {
    let o = xtask(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let help = text(&o.stdout);
    let needles = [
        "Usage: cargo xtask <COMMAND>",
        "perf",
        "policy",
        "corpus",
        "rebaseline",
        "Exit codes: 0 pass or warn, 1 a budget failed (or a warning escalated, or an active baseline found a \
         regression or drift), 2 bad input or a tool error.",
    ];
    for needle in needles {
        assert!(help.contains(needle), "{needle}: {help}");
    }
    assert_eq!(xtask(&["perf", "--no-such-flag"]).status.code(), Some(2));
}

/// Panics with every violation when `value` does not match `docs/schemas/<schema>`.
fn assert_schema(schema: &str, value: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("docs/schemas").join(schema)).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(value).map(|e| format!("{}: {e}", e.instance_path)).collect();
    assert!(errors.is_empty(), "does not match {schema}:\n{}\n{value:#}", errors.join("\n"));
}

fn read_summary(path: &Path) -> (Summary, serde_json::Value) {
    let bytes = std::fs::read(path).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    // The binary checks its summary against the schema too; this checks the file on disk.
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("docs/schemas/wasm_budget_summary.schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&value).map(|e| format!("{}: {e}", e.instance_path)).collect();
    assert!(errors.is_empty(), "{} does not match its schema:\n{}", path.display(), errors.join("\n"));
    (serde_json::from_value(value.clone()).unwrap(), value)
}

fn python_gzip_len(path: &Path) -> Option<u64> {
    let o = Command::new("python3")
        .args(["-c", "import gzip,sys; print(len(gzip.compress(open(sys.argv[1],'rb').read(), 9, mtime=0)))"])
        .arg(path)
        .output()
        .ok()?;
    text(&o.stdout).trim().parse().ok()
}

/// The whole pipeline, run after run.
#[test]
fn perf_pipeline_end_to_end() {
    let _turn = pipeline_lock();
    let out = scratch("e2e");
    let s1 = out.join("first.json");
    let o = perf(&out, &["--summary", s1.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", text(&o.stdout), text(&o.stderr));
    let (first, _) = read_summary(&s1);
    assert_eq!(first.verdict, Status::Pass);
    let post = |s: &Summary, i: usize| s.variants[i].post_opt.clone().unwrap();
    let (dev, canary, release) = (post(&first, 0), post(&first, 1), post(&first, 2));
    assert!(release.raw_bytes < canary.raw_bytes && canary.raw_bytes < dev.raw_bytes, "release < canary < dev");
    assert!(!release.sections.has_debug_sections && !release.sections.has_producers_section);
    assert!(dev.sections.has_debug_sections);
    let static_metric = |id: &str| id.starts_with("M-PERF-01") || id.starts_with("M-SIZE-");
    for r in first.records.iter().filter(|r| static_metric(&r.metric_id)) {
        assert_eq!((r.status, r.value.is_some()), (Status::Pass, true), "{} {}", r.metric_id, r.profile);
    }
    let debug_sections = |i: usize| {
        first
            .records
            .iter()
            .find(|r| r.metric_id == "M-SIZE-03A" && r.variant == first.variants[i].variant)
            .unwrap()
            .value
    };
    assert_eq!(debug_sections(2), Some(0.0), "release ships no DWARF or producers section");
    // Dev keeps its DWARF, which names the compilation directory: the checkout, remapped.
    let dev_module = std::fs::read(root().join(&dev.path)).unwrap();
    let checkout = root().display().to_string();
    assert!(!dev_module.windows(checkout.len()).any(|w| w == checkout.as_bytes()), "the dev module names {checkout}");
    assert!(dev_module.windows(10).any(|w| w == b"/workspace"));
    assert!(debug_sections(0) > Some(1.0), "dev keeps its DWARF");
    // This run selected wasmtime: the browser metrics are left out and say so (required as
    // they are); they are never stood in for by wasmtime's figure.
    let browser = |id: &str| ["M-PERF-02A", "M-PERF-02B", "M-FIREFOX-02A"].contains(&id);
    for r in first.records.iter().filter(|r| browser(&r.metric_id)) {
        assert_eq!((r.status, r.value, r.required), (Status::Skip, None, true), "{} {}", r.metric_id, r.profile);
        let reason = r.reason.as_deref().unwrap();
        assert!(reason.ends_with(" was left out: this run selected --engine wasmtime"), "{reason}");
    }
    // The summary, carried to another machine, gated there as figures measured elsewhere
    // (the contract's `--measurements artifacts/wasm_budget_summary.json`): the same values
    // and statuses, except that what this narrowed run left out counts as not measured, so
    // the required browser metrics fail there.
    let regated = out.join("regated");
    let gate = |summary: &Path, required: &[&str]| {
        let mut args: Vec<String> = vec!["gate".into(), "--measurements".into(), summary.display().to_string()];
        args.extend(["--profile".into(), "core-min".into(), "--budgets".into()]);
        args.push(steady_budgets(".github/wasm_perf_budgets.json"));
        args.extend(gate_files(&regated));
        args.extend(["--summary".into(), regated.join("summary.json").display().to_string()]);
        for id in required {
            args.extend(["--require-metric".to_owned(), id.to_string()]);
        }
        xtask(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let o = gate(&s1, &["M-PERF-01A", "M-PERF-01B"]);
    assert_eq!(o.status.code(), Some(1), "{}\n{}", text(&o.stdout), text(&o.stderr));
    let again = read_summary(&regated.join("summary.json")).0;
    let core_min = |s: &Summary| -> Vec<(String, Option<f64>, Status)> {
        let left_out_fails = |r: &perf_core::record::Record| match browser(&r.metric_id) {
            true => Status::Fail,
            false => r.status,
        };
        let core_min = s.records.iter().filter(|r| r.profile == "core-min");
        core_min.map(|r| (r.metric_id.clone(), r.value, left_out_fails(r))).collect()
    };
    assert_eq!(core_min(&again), core_min(&first));
    assert_eq!(again.commit, first.commit);
    let chromium = again.records.iter().find(|r| r.metric_id == "M-PERF-02A").unwrap();
    let reason = chromium.reason.as_deref().unwrap();
    assert!(reason.starts_with("required metric not measured: ") && reason.contains("was left out"), "{reason}");
    let mut anonymous: serde_json::Value = serde_json::from_slice(&std::fs::read(&s1).unwrap()).unwrap();
    anonymous["provenance"]["rustc"] = "".into();
    let anonymous_path = out.join("anonymous.json");
    std::fs::write(&anonymous_path, serde_json::to_string(&anonymous).unwrap()).unwrap();
    let o = gate(&anonymous_path, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("anonymous.json: /provenance/rustc: must not be empty"), "{}", text(&o.stderr));
    // Every other runtime metric is measured in wasmtime on every variant its scenario runs
    // on, over the whole seed set; the quick corpus runs the replay scenario on canary only.
    for r in first.records.iter().filter(|r| !static_metric(&r.metric_id) && !browser(&r.metric_id)) {
        let replay = r.metric_id.ends_with("04D");
        if replay && r.profile != "core-trace" {
            assert_eq!(r.status, Status::Skip, "{} {}", r.metric_id, r.profile);
            continue;
        }
        assert_eq!(
            (r.status, r.value.is_some()),
            (Status::Pass, true),
            "{} {}: {:?}",
            r.metric_id,
            r.profile,
            r.reason
        );
        assert!(r.environment.starts_with("wasmtime "), "{}", r.environment);
        assert_eq!(r.seed_set, [11, 42], "the quick corpus's seeds");
    }
    for v in &first.variants {
        let runtime = v.runtime.as_ref().unwrap();
        assert!(runtime.calibration.is_some());
        for run in &runtime.scenarios {
            assert_eq!(run.error, None);
            // The repro reads the same documents: the tests' budgets and corpus are not the defaults.
            assert!(run.repro.starts_with("cargo xtask perf --budgets "), "{}", run.repro);
            assert!(run.repro.contains(&format!(" --corpus {}", quick_corpus())), "{}", run.repro);
            assert!(run.repro.ends_with(&format!(" --scenario {} --seed 42", run.scenario)), "{}", run.repro);
            let timing = run.timing.as_ref().unwrap();
            assert_eq!(timing.seeds.len(), 2);
            let samples = if run.export.is_some() { 2000 } else { 3 };
            assert!(timing.seeds.iter().all(|s| s.distribution.n == samples), "{}", run.scenario);
        }
    }

    // Where the bytes go: the release module ships without names, so cargo's named output is
    // attributed, and says so; every variant's attribution is also a file of its own.
    for v in &first.variants {
        let a = v.attribution.as_ref().unwrap_or_else(|| panic!("{}: {:?}", v.id, v.attribution_error));
        let file: serde_json::Value = serde_json::from_slice(
            &std::fs::read(root().join(format!("artifacts/attribution/{}.json", v.variant.as_str()))).unwrap(),
        )
        .unwrap();
        assert_eq!(file, serde_json::to_value(a).unwrap(), "{}", v.id);
        assert!(a.profiled.named, "{}", v.id);
        // `sample_kernel::f`, or `<sample_kernel::T>::f` as v0 mangling (rustc 1.99) names a method.
        let ours = a.items.iter().find(|i| i.name.contains("sample_kernel::")).map(|i| i.name.as_str());
        assert!(ours.is_some(), "{}: no named sample_kernel item among {:?}", v.id, &a.items[..5]);
        let shown: u64 = a.items.iter().map(|i| i.shallow_bytes).sum();
        assert!(shown <= a.profiled.code_and_data_bytes && a.items.len() <= 200);
        assert!(a.monos.iter().all(|m| m.instantiations > 1 && m.bloat_bytes < m.total_bytes));
    }
    let profiled = &first.variants[2].attribution.as_ref().unwrap().profiled;
    assert_eq!(profiled.path, "artifacts/wasm/release/sample_kernel.pre-opt.wasm");
    assert!(profiled.note.starts_with("cargo's output before wasm-opt, for its names"), "{}", profiled.note);

    // gzip bytes are stock zlib's, as Python's gzip module writes them.
    let release_path = root().join(&release.path);
    match python_gzip_len(&release_path) {
        Some(n) => assert_eq!(release.gzip_bytes, n),
        None => assert!(std::env::var_os("CI").is_none(), "python3 is required on CI"),
    }

    // Unchanged inputs: the same signature, and wasm-opt is not run again.
    let s2 = out.join("second.json");
    let o = perf(&out, &["--json", "--summary", s2.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let (second, _) = read_summary(&s2);
    let printed: Summary = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(printed, second, "--json prints the summary it wrote");
    assert_eq!(second.report_signature, first.report_signature, "wall-clock figures stay out of the signature");
    let fuel = |s: &Summary| -> Vec<_> {
        s.variants
            .iter()
            .flat_map(|v| v.runtime.iter().flat_map(|r| r.scenarios.iter().map(|x| x.fuel.clone())))
            .collect()
    };
    assert_eq!(fuel(&second), fuel(&first), "fuel per operation is identical run to run");
    // Each variant's production and benchmark builds: canary's and release's four wasm-opt
    // runs all come from the cache the first run filled.
    assert_eq!((second.pipeline.steps.wasm_opt_runs, second.pipeline.steps.wasm_opt_cache_hits), (0, 4));
    assert_eq!(second.pipeline.steps.cargo_builds, 6);

    // A budget below the measured size fails with exit 1, and the summary is still written.
    let s3 = out.join("tight.json");
    let o = perf(&out, &["--budgets", &fixture("budgets/tight-release.json"), "--summary", s3.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    let expected = format!(
        "fail: M-PERF-01A (core-min, wasm size (raw bytes)): {} bytes is above the budget 1,000",
        group(release.raw_bytes)
    );
    assert!(stdout.contains(&expected), "{stdout}");
    assert!(stdout.contains("verdict: fail"));
    let (tight, _) = read_summary(&s3);
    assert_eq!(tight.verdict, Status::Fail);

    // Editing a policy setting changes the build command, the artifact and its sha256.
    let s4 = out.join("opt-s.json");
    let o = perf(&out, &["--policy", &fixture("policy/release-opt-s.json"), "--summary", s4.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let (edited, _) = read_summary(&s4);
    let edited_release = &edited.variants[2];
    assert!(edited_release.commands[0].contains("'profile.perf-release.opt-level=\"s\"'"));
    let edited_pre = edited_release.pre_opt.as_ref().unwrap();
    assert_ne!(edited_pre.sha256, first.variants[2].pre_opt.as_ref().unwrap().sha256);
    assert_ne!(edited_release.post_opt.as_ref().unwrap().sha256, release.sha256);
    let steps = edited.pipeline.steps;
    assert_eq!((steps.cargo_builds, steps.wasm_opt_runs + steps.wasm_opt_cache_hits), (6, 4));

    // A variant that fails to build fails its required metrics closed; the others are still
    // measured, the summary is written, and the exit code says tool error.
    let s5 = out.join("link-failure.json");
    let o = perf(&out, &["--policy", &fixture("policy/release-link-failure.json"), "--summary", s5.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("release: cargo build of the release variant failed (exit status: 101)"),
        "{}",
        text(&o.stderr)
    );
    let (broken, _) = read_summary(&s5);
    assert_eq!(broken.verdict, Status::Fail);
    for r in &broken.records {
        match (r.variant, static_metric(&r.metric_id)) {
            (perf_core::policy::VariantKind::Release, _) => {
                let reason = r.reason.as_deref().unwrap();
                let (status, why) = if r.required {
                    (Status::Fail, "required metric not measured: the release variant was not built")
                } else {
                    (Status::Skip, "not measured: the release variant was not built")
                };
                assert_eq!(r.status, status, "{} {}", r.metric_id, r.profile);
                assert!(reason.starts_with(why), "{reason}");
            }
            (_, true) => assert_eq!(r.status, Status::Pass, "{} {}", r.metric_id, r.profile),
            (_, false) => assert_ne!(r.status, Status::Fail, "the other variants' scenarios still ran"),
        }
    }
}

/// The committed corpus's whole protocol (five seeds; 2,000 timed operations per seed, or 20
/// cold starts) on every variant: every runtime metric it feeds is measured, over every seed.
/// The one test that checks timings, with margins no machine misses: each is a plausible
/// number, none has to pass a budget.
#[test]
fn the_full_protocol_measures_every_runtime_metric() {
    let _turn = pipeline_lock();
    let out = scratch("full-protocol");
    let summary = out.join("summary.json");
    let o = perf(&out, &["--corpus", ".github/wasm_benchmark_corpus.json", "--summary", summary.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", text(&o.stdout), text(&o.stderr));
    let (s, _) = read_summary(&summary);
    for v in &s.variants {
        for run in &v.runtime.as_ref().unwrap().scenarios {
            assert_eq!(run.error, None, "{} {}", v.id, run.scenario);
            let timing = run.timing.as_ref().unwrap();
            let seeds: Vec<u64> = timing.seeds.iter().map(|x| x.seed).collect();
            assert_eq!(seeds, [11, 29, 42, 73, 101], "{} {}", v.id, run.scenario);
            let samples = if run.export.is_some() { 2000 } else { 20 };
            assert!(timing.seeds.iter().all(|x| x.distribution.n == samples), "{} {}", v.id, run.scenario);
        }
    }
    let runtime = s.records.iter().filter(|r| r.environment.starts_with("wasmtime "));
    let mut measured = 0;
    for r in runtime {
        let replay_elsewhere = r.metric_id.ends_with("04D") && r.profile == "core-min";
        if replay_elsewhere {
            assert_eq!(r.status, Status::Skip, "{} {}", r.metric_id, r.profile);
            continue;
        }
        let v = r.value.unwrap_or_else(|| panic!("{} {}: {:?}", r.metric_id, r.profile, r.reason));
        assert_eq!(r.seed_set, [11, 29, 42, 73, 101], "{} {}", r.metric_id, r.profile);
        let plausible = match r.unit.as_str() {
            "ms" => (0.0..10_000.0).contains(&v),
            "us" => (0.0..10_000.0).contains(&v),
            "percent" => (-100.0..10_000.0).contains(&v),
            "MiB" => v > 0.0 && v < 256.0,
            "fuel" => v >= 1.0,
            unit => panic!("{}: unexpected unit {unit}", r.metric_id),
        };
        assert!(plausible, "{} {}: {v} {}", r.metric_id, r.profile, r.unit.as_str());
        measured += 1;
    }
    assert_eq!(measured, 3 * 11 + 2 * 2, "11 runtime metrics on each variant, replay's two on dev and canary");
}

/// Two checkouts of the project sharing one `CARGO_TARGET_DIR` (worktrees under a global
/// target directory): each measures the artifact built from its own source. Cargo keys a
/// workspace member's build by its path within the workspace, so both checkouts' builds
/// share one unit, and a checkout whose sources are older than the other's build would be
/// called fresh and measured with the other's bytes.
#[test]
fn two_checkouts_sharing_a_target_dir_each_measure_their_own_source() {
    let _turn = pipeline_lock();
    let dir = scratch("two-checkouts");
    let (a, b, target) = (dir.join("a"), dir.join("b"), dir.join("shared-target"));
    support::copy_checkout(&a);
    support::copy_checkout(&b);
    let lib = b.join("crates/sample-kernel/src/lib.rs");
    let marked = std::fs::read_to_string(&lib).unwrap()
        + "\n/// Only checkout b has this.\n#[unsafe(no_mangle)]\npub extern \"C\" fn only_in_checkout_b() -> u32 {\n    0x0b0b_0b0b\n}\n";
    std::fs::write(&lib, marked).unwrap();
    // b's sources are older than a's build, as a sibling tree's often are.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    // Builds are the subject: documents that gate no browser.
    let (wasmtime_budgets, wasmtime_corpus) =
        (fixture("budgets/wasmtime-only.json"), fixture("corpus/quick-wasmtime.json"));
    let measure = |checkout: &Path| {
        let partial = checkout.join("partial.json");
        let documents = ["--budgets", &wasmtime_budgets, "--corpus", &wasmtime_corpus];
        let partial_out = ["perf", "--profile", "release", "--partial-out", partial.to_str().unwrap()];
        let args = on_test_protocol(&[&partial_out[..], &documents[..]].concat());
        let o = support::xtask_command()
            .args(&args)
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_MANIFEST_DIR", checkout.join("xtask"))
            .current_dir(checkout)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}: {}", checkout.display(), text(&o.stderr));
        let run: perf_core::run::Run = serde_json::from_slice(&std::fs::read(&partial).unwrap()).unwrap();
        run.variants[0].pre_opt.clone().unwrap()
    };
    let (built_a, built_b) = (measure(&a), measure(&b));
    let wasm_b = std::fs::read(b.join(&built_b.path)).unwrap();
    let names = perf_core::sections::exported_functions(&wasm_b).unwrap();
    assert!(names.iter().any(|n| n == "only_in_checkout_b"), "b measured a's build: {names:?}");
    assert_ne!(built_a.sha256, built_b.sha256);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two measuring runs on one machine never time at once: while another run holds the timing
/// lock, `--no-wait` refuses (exit 2, naming the lock) and a plain run waits, says so, and
/// records the wait in what it writes.
#[test]
fn a_second_measuring_run_waits_for_the_timing_lock_or_refuses() {
    let _turn = pipeline_lock();
    let out = scratch("timing-lock");
    let locks = out.join("locks");
    std::fs::create_dir_all(&locks).unwrap();
    let lock_file = locks.join("wasm-budget-gate.timing.lock");
    let held = std::fs::File::create(&lock_file).unwrap();
    held.lock().unwrap();
    let partial = out.join("partial.json");
    // The lock is the subject: documents that gate no browser.
    let (budgets, corpus) = (fixture("budgets/wasmtime-only.json"), fixture("corpus/quick-wasmtime.json"));
    let partial_out = ["perf", "--profile", "release", "--partial-out", partial.to_str().unwrap()];
    let mut args = on_test_protocol(&[&partial_out[..], &["--budgets", &budgets, "--corpus", &corpus]].concat());
    let env = [("WASM_BUDGET_GATE_LOCK_DIR", locks.to_str().unwrap())];

    let refusing: Vec<&str> = args.iter().map(String::as_str).chain(["--no-wait"]).collect();
    let o = xtask_env(&refusing, &env);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let expected = format!("error: another measuring run is timing on this machine (it holds {})", lock_file.display());
    assert!(text(&o.stderr).contains(&expected), "{}", text(&o.stderr));

    args.push("--json".to_owned());
    let mut child = support::xtask_command()
        .args(&args)
        .envs(env)
        .current_dir(root())
        .stdout(std::process::Stdio::null())
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
    let run: perf_core::run::Run = serde_json::from_slice(&std::fs::read(&partial).unwrap()).unwrap();
    let contention = run.pipeline.contention.unwrap();
    assert!(contention.waited_millis >= 500.0, "{contention:?}");
}

/// Warn-then-block across runs: warn, then fail on the second warning in a row, then a
/// pass resets the streak. Brotli size stands in for a warn-then-block metric here
/// (the fixture gates it so), because it is measured deterministically. The fixtures gate
/// no browser, so these runs leave nothing out and keep the streaks.
#[test]
fn warn_streak_escalates_and_resets_across_runs() {
    let _turn = pipeline_lock();
    let out = scratch("streak");
    let corpus = fixture("corpus/quick-wasmtime.json");
    let run = |budgets: &str| {
        let summary = out.join("summary.json").display().to_string();
        let args =
            ["--budgets", &fixture(budgets), "--corpus", &corpus, "--branch", "feature/x", "--summary", &summary];
        let o = perf(&out, &args);
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
        let check = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["metric_id"] == "M-PERF-01C" && c["profile"] == "core-min")
            .cloned()
            .unwrap();
        (o.status.code(), check["status"].as_str().unwrap().to_owned(), check["streak"].as_u64(), text(&o.stdout))
    };
    let (code, status, streak, stdout) = run("budgets/brotli-warn-band.json");
    assert_eq!((code, status.as_str(), streak), (Some(0), "warn", Some(1)), "{stdout}");
    assert!(stdout.contains("note: no streak state at "), "a missing state file is said: {stdout}");
    assert!(stdout.contains("warn [streak] M-PERF-01C (core-min): warning 1 of 2 in a row on feature/x"), "{stdout}");
    let (code, status, streak, stdout) = run("budgets/brotli-warn-band.json");
    assert_eq!((code, status.as_str(), streak), (Some(1), "fail", Some(2)), "{stdout}");
    assert!(stdout.contains("warning 2 of 2 in a row on feature/x: escalated to failure"), "{stdout}");
    let (code, status, streak, _) = run("budgets/brotli-below-warn.json");
    assert_eq!((code, status.as_str(), streak), (Some(0), "pass", Some(0)));

    // Under Actions: the branch comes from GITHUB_HEAD_REF, a new branch starts from
    // GITHUB_BASE_REF's streaks, and findings print as workflow annotations.
    let summary = out.join("summary.json").display().to_string();
    let budgets = fixture("budgets/brotli-warn-band.json");
    let actions = |head: &str| {
        let env = [("GITHUB_ACTIONS", "true"), ("GITHUB_HEAD_REF", head), ("GITHUB_BASE_REF", "feature/x")];
        let path = |name: &str| out.join(name).display().to_string();
        let (baseline, state, report, events) =
            (path("no-baseline.json"), path("streaks.json"), path("report.json"), path("events.ndjson"));
        let args = [
            "perf",
            "--baseline",
            &baseline,
            "--state",
            &state,
            "--report",
            &report,
            "--events",
            &events,
            "--budgets",
            &budgets,
            "--corpus",
            &corpus,
            "--summary",
            &summary,
        ];
        let o = measuring_env(&args, &env);
        (o.status.code(), text(&o.stdout))
    };
    let (code, stdout) = actions("pr-1");
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("::warning title=M-PERF-01C (core-min)::warning 1 of 2 in a row on pr-1"),
        "annotation: {stdout}"
    );
    let (code, stdout) = actions("pr-1");
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("::error title=M-PERF-01C (core-min)::warning 2 of 2 in a row on pr-1: escalated"),
        "{stdout}"
    );
    let (code, status, streak, _) = run("budgets/brotli-warn-band.json");
    assert_eq!(
        (code, status.as_str(), streak),
        (Some(0), "warn", Some(1)),
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

/// A seeded regression in the sample crate (a 4 KiB table in the release build, selected by
/// `--cfg=perf_gate_seeded_regression` in the policy's rustflags, so the table's bytes prove
/// that the cfg reached rustc) against a baseline of the clean build: an active gate fails and
/// names the metric, the old and new values and the tolerance; reverting passes; under a
/// scaffold baseline the same change exits 0 and says it would fail. The fixture budgets
/// leave the release room, so only the baseline rule sees the growth.
#[test]
fn seeded_regression_fails_active_passes_reverted_and_would_fail_scaffold() {
    let _turn = pipeline_lock();
    let out = scratch("seeded");
    let baseline = out.join("baseline.json");
    let (roomy, corpus) = (fixture("budgets/roomy-release.json"), fixture("corpus/quick-wasmtime.json"));
    let seeded = fixture("policy/release-seeded-regression.json");
    let summary_path = out.join("summary.json");
    let summary = summary_path.to_str().unwrap();
    let o = measuring(&[
        "rebaseline",
        "--activate",
        "--budgets",
        &roomy,
        "--corpus",
        &corpus,
        "--baseline",
        baseline.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    steady_baseline(&baseline);
    let clean = read_summary(&{
        assert_eq!(
            perf(&out, &["--budgets", &roomy, "--corpus", &corpus, "--summary", summary]).status.code(),
            Some(0)
        );
        summary_path.clone()
    })
    .0;
    let release_raw = |s: &Summary| {
        s.records.iter().find(|r| r.profile == "core-min" && r.metric_id == "M-PERF-01A").unwrap().value.unwrap()
    };
    let old = release_raw(&clean);

    let o = perf(&out, &["--budgets", &roomy, "--corpus", &corpus, "--policy", &seeded, "--summary", summary]);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    let new = release_raw(&read_summary(&summary_path).0);
    assert!(new - old >= 4096.0, "the table adds at least 4 KiB: {old} -> {new}");
    let seeded_summary = read_summary(&summary_path).0;
    let release_build = seeded_summary
        .variants
        .iter()
        .find(|v| v.budget_profile == "core-min")
        .and_then(|v| v.commands.first())
        .unwrap();
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
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_schema("wasm_perf_regression_report.schema.json", &report);
    assert_eq!(read_summary(&summary_path).0.verdict, Status::Fail, "the summary carries the gate's verdict");

    let o = perf(&out, &["--budgets", &roomy, "--corpus", &corpus, "--summary", summary]);
    assert_eq!(o.status.code(), Some(0), "reverted: {}", text(&o.stdout));

    let active = std::fs::read_to_string(&baseline).unwrap();
    std::fs::write(&baseline, active.replace("\"status\": \"active\"", "\"status\": \"scaffold\"")).unwrap();
    let o = perf(&out, &["--budgets", &roomy, "--corpus", &corpus, "--policy", &seeded, "--summary", summary]);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(&format!("pass [baseline] M-PERF-01A (core-min): scaffold (would fail: {expected})")),
        "{stdout}"
    );
    assert!(stdout.contains("baseline scaffold (findings do not fail the run)"), "{stdout}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_schema("wasm_perf_regression_report.schema.json", &report);
}

/// A deliberately slowed operation (the sample kernel's test-only `slow-reserve-send` adds a
/// spin loop to reserve+send in the release build) against an active baseline of the clean
/// build: both the wall-clock p95 (M-PERF-04A) and the instruction count (M-FUEL-04A) fail
/// the baseline rule, naming the values; reverting passes. The fixture budgets leave the
/// release fuel room, so only the baseline rule sees it.
#[test]
fn a_slowed_operation_fails_its_latency_and_fuel_against_an_active_baseline() {
    let _turn = pipeline_lock();
    let out = scratch("slowed");
    let baseline = out.join("baseline.json");
    let (roomy, corpus) = (fixture("budgets/roomy-release.json"), fixture("corpus/quick-wasmtime.json"));
    let slowed = fixture("policy/release-slow-reserve-send.json");
    let summary_path = out.join("summary.json");
    let summary = summary_path.to_str().unwrap();
    let o = measuring(&[
        "rebaseline",
        "--activate",
        "--budgets",
        &roomy,
        "--corpus",
        &corpus,
        "--baseline",
        baseline.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    steady_baseline(&baseline);
    let value = |metric: &str| {
        let (s, _) = read_summary(&summary_path);
        s.records.iter().find(|r| r.profile == "core-min" && r.metric_id == metric).unwrap().value.unwrap()
    };

    let o = perf(&out, &["--budgets", &roomy, "--corpus", &corpus, "--summary", summary]);
    assert_eq!(o.status.code(), Some(0), "unchanged: {}", text(&o.stdout));
    let (clean_p95, clean_fuel) = (value("M-PERF-04A"), value("M-FUEL-04A"));

    let step_summary = out.join("step-summary.md");
    std::fs::write(&step_summary, "earlier step\n").unwrap();
    let step = step_summary.to_str().unwrap();
    let o = perf(
        &out,
        &["--budgets", &roomy, "--corpus", &corpus, "--policy", &slowed, "--summary", summary, "--step-summary", step],
    );
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    let (slow_p95, slow_fuel) = (value("M-PERF-04A"), value("M-FUEL-04A"));
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

    let o = perf(&out, &["--budgets", &roomy, "--corpus", &corpus, "--summary", summary]);
    assert_eq!(o.status.code(), Some(0), "reverted: {}", text(&o.stdout));
    assert_eq!(value("M-FUEL-04A"), clean_fuel, "reverted: the same instruction count");
}

/// A module expensive to compile (the sample kernel's test-only `compile-heavy`: 4,096
/// functions called when the first scenario is set up, in the release build) against an
/// active baseline of the clean build: desktop Chromium's cold init (M-PERF-02A) fails the
/// baseline rule, naming the values; reverting passes. The runs select Chromium, so wasmtime's
/// metrics are left out and not compared; the budgets are out of reach, so only the baseline
/// rule can fail, with a tolerance (+150% and +25 ms) no unchanged run on a busy machine reaches.
#[test]
fn a_module_expensive_to_compile_fails_browser_cold_init_against_an_active_baseline() {
    let _turn = pipeline_lock();
    let out = scratch("compile-heavy");
    let baseline = out.join("baseline.json");
    let (budgets, corpus) = (fixture("budgets/chromium-desktop.json"), fixture("corpus/quick-chromium.json"));
    let documents = ["--budgets", budgets.as_str(), "--corpus", corpus.as_str()];
    let rebaseline = ["rebaseline", "--activate", "--baseline", baseline.to_str().unwrap()];
    let o = measuring(&[&rebaseline[..], &documents[..]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let mut active: serde_json::Value = serde_json::from_slice(&std::fs::read(&baseline).unwrap()).unwrap();
    active["tolerances"]["overrides"]["M-PERF-02A"] = serde_json::json!({"relative_pct": 150.0, "absolute": 25.0});
    std::fs::write(&baseline, serde_json::to_string_pretty(&active).unwrap()).unwrap();
    let anchored = active["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["profile"] == "core-min" && m["metric_id"] == "M-PERF-02A")
        .and_then(|m| m["value"].as_f64());
    assert!(anchored.is_some_and(|v| v > 0.0), "the baseline anchors Chromium's cold init: {anchored:?}");
    let recorded = active["provenance"]["browsers"]["desktop-chromium"].as_str().unwrap_or_default();
    assert!(recorded.starts_with("Chromium 1"), "and the browser's major, for the drift check: {recorded:?}");

    let summary_path = out.join("summary.json");
    let summary = summary_path.to_str().unwrap();
    let chromium = ["--engine", "chromium", "--summary", summary];
    let heavy = fixture("policy/release-compile-heavy.json");
    let o = perf(&out, &[&documents[..], &chromium[..], &["--policy", heavy.as_str()]].concat());
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}\n{}", text(&o.stderr));
    let failed = stdout.lines().find(|l| l.starts_with("fail [baseline] M-PERF-02A (core-min): regressed "));
    assert!(failed.is_some_and(|l| l.contains(" ms (+")), "{stdout}");
    let (s, _) = read_summary(&summary_path);
    let cold = s.records.iter().find(|r| r.profile == "core-min" && r.metric_id == "M-PERF-02A").unwrap();
    assert_eq!(cold.status, Status::Fail, "{:?}", cold.reason);
    let left_out = s.records.iter().find(|r| r.profile == "core-min" && r.metric_id == "M-FUEL-04A").unwrap();
    assert_eq!(left_out.status, Status::Skip, "wasmtime's metrics are left out, not compared");

    let o = perf(&out, &[&documents[..], &chromium[..]].concat());
    assert_eq!(o.status.code(), Some(0), "reverted: {}", text(&o.stdout));
}

/// `--scenario ID --seed N` (each scenario's `repro`) runs that scenario alone on that seed,
/// with the same fuel as the full run's figures for the seed, and leaves the warn streaks
/// alone. A corpus naming an export the module lacks is bad input: exit 2, after a summary
/// whose metric fails with the scenario and the cause.
#[test]
fn a_scenario_is_reproduced_alone_and_a_missing_export_exits_2() {
    let _turn = pipeline_lock();
    let out = scratch("repro");
    let summary_path = out.join("summary.json");
    let summary = summary_path.to_str().unwrap();
    // Documents that gate no browser: the full run leaves nothing out and writes the streaks.
    let (budgets, corpus) = (fixture("budgets/wasmtime-only.json"), fixture("corpus/quick-wasmtime.json"));
    let documents = ["--budgets", &budgets, "--corpus", &corpus];
    let o = perf(&out, &[&documents[..], &["--summary", summary]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let full = read_summary(&summary_path).0;
    std::fs::remove_file(out.join("streaks.json")).unwrap();

    let o = perf(&out, &[&documents[..], &["--scenario", "WB-CHAN-01", "--seed", "42", "--summary", summary]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let alone = read_summary(&summary_path).0;
    assert!(!out.join("streaks.json").exists(), "a partial run does not write the streaks");
    for (f, a) in full.variants.iter().zip(&alone.variants) {
        let runtime = a.runtime.as_ref().unwrap();
        assert_eq!(runtime.selection.as_deref(), Some("--scenario WB-CHAN-01 --seed 42"));
        let ids: Vec<&str> = runtime.scenarios.iter().map(|s| s.scenario.as_str()).collect();
        assert_eq!(ids, ["WB-CHAN-01"]);
        let fuel = |v: &perf_core::run::VariantReport| {
            let run = v.runtime.as_ref().unwrap().scenarios.iter().find(|s| s.scenario == "WB-CHAN-01").unwrap();
            run.fuel.as_ref().unwrap().seeds.iter().find(|s| s.seed == 42).copied().unwrap()
        };
        assert_eq!(fuel(a), fuel(f), "{}: seed 42 alone costs what it cost in the full run", a.id);
    }
    let record = |id: &str| alone.records.iter().find(|r| r.profile == "core-min" && r.metric_id == id).unwrap();
    assert_eq!((record("M-PERF-04A").status, record("M-PERF-04A").seed_set.as_slice()), (Status::Pass, &[42][..]));
    assert_eq!(record("M-PERF-04B").status, Status::Skip);
    assert!(
        record("M-PERF-04B")
            .reason
            .as_deref()
            .unwrap()
            .ends_with("(this run selected --scenario WB-CHAN-01 --seed 42)"),
        "{:?}",
        record("M-PERF-04B").reason
    );

    let o = perf(&out, &["--scenario", "WB-NOPE-01", "--summary", summary]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("/scenarios: no scenario WB-NOPE-01 (scenarios: WB-COLD-01, "),
        "{}",
        text(&o.stderr)
    );

    let missing = fixture("corpus/missing-export.json");
    std::fs::remove_file(&summary_path).unwrap();
    let o = perf(&out, &["--corpus", &missing, "--summary", summary]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    let stderr = text(&o.stderr);
    assert!(
        stderr.contains("release WB-CHAN-01: the module does not export the function channel_send_only_setup"),
        "{stderr}"
    );
    let written = read_summary(&summary_path).0;
    let r = written.records.iter().find(|r| r.profile == "core-min" && r.metric_id == "M-FUEL-04A").unwrap();
    assert_eq!(r.status, Status::Fail);
    assert_eq!(
        r.reason.as_deref(),
        Some("scenario WB-CHAN-01 failed: the module does not export the function channel_send_only_setup")
    );
}

#[test]
fn rebaseline_writes_checks_activates_and_never_half_writes() {
    let _turn = pipeline_lock();
    let out = scratch("rebaseline");
    let baseline = out.join("baseline.json");
    let b = baseline.to_str().unwrap();
    let report = out.join("review.md");
    // Documents that gate no browser: what a rebaseline writes and refuses does not depend
    // on the engines (the seeded and slowed tests rebaseline with browsers).
    let (budgets, corpus) = (fixture("budgets/wasmtime-only.json"), fixture("corpus/quick-wasmtime.json"));
    let rebaseline = |extra: &[&str]| {
        let mut args = vec!["rebaseline", "--baseline", b, "--report", report.to_str().unwrap(), "--corpus", &corpus];
        if !extra.contains(&"--budgets") {
            args.extend(["--budgets", &budgets]);
        }
        args.extend_from_slice(extra);
        measuring(&args)
    };
    let o = rebaseline(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains(&format!("created {b}")), "{}", text(&o.stdout));
    assert!(std::fs::read_to_string(&report).unwrap().starts_with("| profile | metric | old | new |"));
    steady_baseline(&baseline);
    let created = std::fs::read_to_string(&baseline).unwrap();
    assert!(created.contains("\"status\": \"scaffold\""));

    let o = rebaseline(&[]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        without_wall_clock(&std::fs::read_to_string(&baseline).unwrap()),
        without_wall_clock(&created),
        "unchanged inputs rewrite nothing but wall-clock values"
    );
    assert!(text(&o.stdout).contains("no material change"), "{}", text(&o.stdout));
    assert_eq!(
        measuring(&["rebaseline", "--check", "--baseline", b, "--budgets", &budgets, "--corpus", &corpus])
            .status
            .code(),
        Some(0)
    );

    // A stale size is caught by --check, which writes nothing.
    let v: serde_json::Value = serde_json::from_str(&created).unwrap();
    let release_raw = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["profile"] == "core-min" && m["metric_id"] == "M-PERF-01A")
        .unwrap()["value"]
        .as_u64()
        .unwrap();
    let stale = created.replacen(&format!("\"value\": {release_raw} "), &format!("\"value\": {} ", release_raw - 1), 1);
    assert_ne!(stale, created);
    std::fs::write(&baseline, &stale).unwrap();
    let o = measuring(&["rebaseline", "--check", "--baseline", b, "--budgets", &budgets, "--corpus", &corpus]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("core-min M-PERF-01A: within tolerance"), "{}", text(&o.stdout));
    assert_eq!(std::fs::read_to_string(&baseline).unwrap(), stale);

    // A failed run leaves the baseline exactly as it was.
    let o = rebaseline(&["--policy", &fixture("policy/release-link-failure.json")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains(&format!("{b} was not changed: the run failed")), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(&baseline).unwrap(), stale);

    // Interrupted mid-run (killed once its second measuring pass starts, before anything is
    // written): the old baseline stays exactly as it was.
    let mut child = support::xtask_command()
        .args(on_test_protocol(&[
            "rebaseline",
            "--runs",
            "3",
            "--baseline",
            b,
            "--report",
            report.to_str().unwrap(),
            "--budgets",
            &budgets,
            "--corpus",
            &corpus,
        ]))
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

    // Activation: refused while a required metric is null (the fixture requires the replay
    // overhead, which the corpus measures on canary only), then the only way to active.
    let o = rebaseline(&["--activate", "--budgets", &fixture("budgets/required-runtime.json")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr)
            .contains("refusing to activate: enforced metrics are null (full-dev / M-PERF-04D, core-min / M-PERF-04D)"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(std::fs::read_to_string(&baseline).unwrap(), stale);
    assert_eq!(rebaseline(&["--activate"]).status.code(), Some(0));
    let active = std::fs::read_to_string(&baseline).unwrap();
    assert_eq!(
        without_wall_clock(&active),
        without_wall_clock(&created.replace("\"status\": \"scaffold\"", "\"status\": \"active\""))
    );
}

/// A baseline's text with the values of wall-clock metrics (one metric per line) masked:
/// they differ run to run by nature; everything else must not.
fn without_wall_clock(baseline: &str) -> String {
    let wall_clock = ["\"unit\": \"ms\"", "\"unit\": \"us\"", "\"unit\": \"ns\"", "\"unit\": \"percent\""];
    baseline
        .lines()
        .map(|line| match line.find("\"value\": ") {
            Some(at) if wall_clock.iter().any(|u| line.contains(u)) && !line.contains("\"value\": null") => {
                format!("{}\"value\": <wall-clock> }},", &line[..at])
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The corpus is checked against the modules `perf` built: every named export exists in
/// every variant it runs on, after LTO and wasm-opt.
#[test]
fn corpus_check_against_the_built_modules() {
    let _turn = pipeline_lock();
    let out = scratch("corpus");
    let summary = out.join("summary.json").display().to_string();
    assert_eq!(perf(&out, &["--summary", &summary]).status.code(), Some(0), "the modules are built");
    let corpus_summary = out.join("corpus.json").display().to_string();
    let o = xtask(&["corpus", "check", "--self-test", "--summary", &corpus_summary]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("self-test: all 12 broken corpora rejected"), "{}", text(&o.stdout));
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&corpus_summary).unwrap()).unwrap();
    assert_eq!(written["status"], "valid");

    let o =
        xtask(&["corpus", "check", "--corpus", &fixture("corpus/missing-export.json"), "--summary", &corpus_summary]);
    assert_eq!(
        (o.status.code(), text(&o.stderr)),
        (
            Some(2),
            "error: xtask/tests/fixtures/corpus/missing-export.json: /scenarios/1/export: the dev module does not export \
             channel_send_only_setup, channel_send_only_op, channel_send_only_teardown\n"
                .to_owned()
        )
    );
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&corpus_summary).unwrap()).unwrap();
    assert_eq!(written["status"], "invalid", "the summary says why");

    let no_cold = fixture("corpus/no-cold-start.json");
    let o = xtask(&["corpus", "check", "--corpus", &no_cold, "--summary", &corpus_summary]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("/scenarios: no scenario covers the required workload cold-start"),
        "{}",
        text(&o.stderr)
    );
    let o = xtask(&["corpus", "check", "--corpus", &no_cold, "--only", "WB-CHAN-01", "--summary", &corpus_summary]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "checking one scenario does not apply whole-corpus coverage: {}",
        text(&o.stderr)
    );
}

fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The gate's files of one run, inside `dir`.
fn gate_files(dir: &Path) -> Vec<String> {
    std::fs::create_dir_all(dir).unwrap();
    let path = |name: &str| dir.join(name).display().to_string();
    let mut args = Vec::new();
    for (flag, name) in [
        ("--baseline", "baseline.json"),
        ("--state", "streaks.json"),
        ("--report", "report.json"),
        ("--events", "events.ndjson"),
    ] {
        args.extend([flag.to_owned(), path(name)]);
    }
    args
}

/// A record as the signature sees it: wall-clock values (and what they decide) left out.
fn deterministic(records: &[perf_core::record::Record]) -> Vec<perf_core::record::Record> {
    records
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if r.wall_clock {
                (r.value, r.status, r.reason) = (None, Status::Skip, None);
            }
            r
        })
        .collect()
}

#[test]
fn a_matrix_of_partials_merges_to_the_single_jobs_verdict() {
    let _turn = pipeline_lock();
    let out = scratch("matrix");
    let single = out.join("single.json");
    // The merge is the subject: documents that gate no browser, so the single job leaves
    // nothing out (partial.rs's tests carry browsers through a merge).
    let (budgets, corpus) = (fixture("budgets/wasmtime-only.json"), fixture("corpus/quick-wasmtime.json"));
    let documents = ["--budgets", budgets.as_str(), "--corpus", corpus.as_str()];
    let o = perf(&out, &[&documents[..], &["--summary", single.to_str().unwrap()]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let single = read_summary(&single).0;

    let default_state = root().join("artifacts/wasm_perf_warn_streaks.json");
    let state_before = std::fs::read(&default_state).ok();
    let partial = |v: &str| out.join(format!("partial-{v}.json")).display().to_string();
    for v in ["release", "dev", "canary"] {
        let o = measuring(&[&["perf", "--profile", v, "--partial-out", &partial(v)], &documents[..]].concat());
        assert_eq!(o.status.code(), Some(0), "{v}: {}", text(&o.stderr));
        assert!(text(&o.stdout).contains("(the gate runs on all jobs' partials: `cargo xtask gate --merge`)"));
        let p: perf_core::run::Run = serde_json::from_slice(&std::fs::read(partial(v)).unwrap()).unwrap();
        let built: Vec<&str> = p.variants.iter().map(|r| r.variant.as_str()).collect();
        assert_eq!((built, p.pipeline.steps.cargo_builds), (vec![v], 2), "one job, one variant's two builds");
    }
    assert_eq!(std::fs::read(&default_state).ok(), state_before, "a partial job leaves the streaks alone");

    let merge = |dir: &str, partials: &[String], extra: &[&str]| {
        let summary = out.join(dir).join("summary.json");
        let mut args: Vec<String> = vec!["gate".into(), "--merge".into()];
        args.extend(partials.iter().cloned());
        args.extend(gate_files(&out.join(dir)));
        args.extend(["--summary".into(), summary.display().to_string()]);
        args.extend(extra.iter().chain(&documents).map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        (measuring(&args), summary)
    };
    let all: Vec<String> = ["dev", "canary", "release"].map(partial).to_vec();
    let step_summary = out.join("step-summary.md");
    let (o, path) = merge("merged", &all, &["--step-summary", step_summary.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let merged = read_summary(&path).0;
    assert_eq!(merged.report_signature, single.report_signature, "the same deterministic content");
    assert_eq!(deterministic(&merged.records), deterministic(&single.records));
    assert_eq!(merged.verdict, single.verdict);
    assert_eq!(merged.pipeline.steps.cargo_builds, 6);
    assert!(out.join("merged/streaks.json").exists(), "a complete merge counts the streaks");
    let job_summary = std::fs::read_to_string(&step_summary).unwrap();
    let release_raw = merged.records.iter().find(|r| r.metric_id == "M-PERF-01A" && r.profile == "core-min");
    let release_raw = perf_core::display::number(release_raw.and_then(|r| r.value).unwrap());
    assert!(
        job_summary.contains("### release (core-min)\n")
            && job_summary.contains(&format!("| M-PERF-01A | bytes | {release_raw}")),
        "{job_summary}"
    );

    let (o, path) = merge("missing", &all[..2], &[]);
    assert_eq!(o.status.code(), Some(2), "a missing variant fails closed");
    let stderr = text(&o.stderr);
    assert!(stderr.contains("release: no partial summary measured it (its job failed"), "{stderr}");
    let written = read_summary(&path).0;
    let raw = written.records.iter().find(|r| r.profile == "core-min" && r.metric_id == "M-PERF-01A").unwrap();
    assert_eq!(raw.status, Status::Fail);
    assert!(raw.reason.as_deref().unwrap().starts_with("required metric not measured: the release variant"));
    assert!(!out.join("missing/streaks.json").exists(), "an incomplete merge leaves the streaks alone");

    let tampered = out.join("partial-other-commit.json");
    let text_of = std::fs::read_to_string(partial("release")).unwrap();
    let commit = &single.commit;
    std::fs::write(&tampered, text_of.replace(&format!("\"commit\": \"{commit}\""), "\"commit\": \"beef\"")).unwrap();
    let mixed = vec![all[0].clone(), all[1].clone(), tampered.display().to_string()];
    let (o, path) = merge("mixed", &mixed, &[]);
    assert_eq!(o.status.code(), Some(2));
    let expected = format!(
        "error: {}: /commit: \"beef\" here, \"{commit}\" in {}: partials from different commits or toolchains \
         cannot be merged\n",
        tampered.display(),
        all[0]
    );
    assert!(text(&o.stderr).ends_with(&expected), "{}", text(&o.stderr));
    assert!(!path.exists(), "refused before anything is written");

    let o = xtask(&["perf", "--profile", "nightly", "--partial-out", &partial("nightly")]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr),
        "error: --profile nightly: .github/wasm_optimization_policy.json has no such variant (it has dev, canary, release)\n"
    );
    assert_eq!(xtask(&["perf", "--profile", "release"]).status.code(), Some(2), "--profile needs --partial-out");
}

/// Issue 7's done-when on the sample crate: a large generic function instantiated for four
/// types is the largest size growth against the baseline's items, by name, and the largest
/// monomorphization bloat, in the table, the report and the Markdown report.
#[test]
fn a_large_generic_function_is_named_as_growth_and_as_monomorphization_bloat() {
    let _turn = pipeline_lock();
    let out = scratch("mono");
    let baseline = out.join("baseline.json");
    let (roomy, corpus) = (fixture("budgets/roomy-release.json"), fixture("corpus/quick-wasmtime.json"));
    let o =
        measuring(&["rebaseline", "--budgets", &roomy, "--corpus", &corpus, "--baseline", baseline.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let kept: serde_json::Value = serde_json::from_slice(&std::fs::read(&baseline).unwrap()).unwrap();
    // The production builds have fewer than the 200 items a list keeps (the cut is tested in
    // xtask's attribution.rs on a module of a thousand functions).
    let items = |v: &str| kept["items"][v].as_array().map_or(0, Vec::len);
    assert!(["dev", "canary", "release"].iter().all(|v| (1..=200).contains(&items(v))), "{kept}");

    let summary_path = out.join("summary.json");
    let markdown = out.join("report.md");
    let bloated = fixture("policy/release-mono-bloat.json");
    let o = perf(
        &out,
        &[
            "--budgets",
            &roomy,
            "--corpus",
            &corpus,
            "--policy",
            &bloated,
            "--summary",
            summary_path.to_str().unwrap(),
            "--step-summary",
            markdown.to_str().unwrap(),
        ],
    );
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "a scaffold baseline: {stdout}");
    let summary = read_summary(&summary_path).0;
    let release = summary.variants.iter().find(|v| v.id == "wasm-browser-release").unwrap();
    let mono = &release.attribution.as_ref().unwrap().monos[0];
    assert_eq!((mono.generic.as_str(), mono.instantiations), ("sample_kernel::mono_bloat::mix_all", 4), "{mono:?}");

    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_schema("wasm_perf_regression_report.schema.json", &report);
    let changes = report["size_changes"].as_array().unwrap();
    let release_changes = changes.iter().find(|c| c["variant"] == "release").unwrap()["changes"].as_array().unwrap();
    let top = &release_changes[0];
    assert_eq!(
        (top["name"].as_str(), top["change"].as_str()),
        (Some("sample_kernel::mono_bloat::mix_all"), Some("appeared"))
    );
    let growth = top["delta"].as_i64().unwrap();
    assert!(growth >= 1024, "four copies of 52 rounds: {growth} bytes");
    assert!(
        stdout.contains(&format!(
            "size changes (release): sample_kernel::mono_bloat::mix_all appeared +{} B",
            group(growth as u64)
        )),
        "{stdout}"
    );
    let md = std::fs::read_to_string(&markdown).unwrap();
    assert!(
        md.contains(&format!(
            "| `sample_kernel::mono_bloat::mix_all` | appeared | - | {0} | +{0} |",
            group(growth as u64)
        )),
        "{md}"
    );
    assert!(md.contains("| release | `sample_kernel::mono_bloat::mix_all` | 4 |"), "{md}");
    assert!(md.len() < 60 * 1024, "GitHub shows a job summary whole under 60 KiB: {}", md.len());
}

/// Console messages of a page loaded in headless Chromium, and its screenshot; `None` when
/// Chromium is not installed (CI installs it: there, its absence fails).
fn chromium(page: &Path, screenshot: &Path) -> Option<Vec<String>> {
    let Ok(o) = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"])
        .arg("--window-size=900,2600")
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
    else {
        assert!(std::env::var_os("CI").is_none(), "chromium is required on CI (cargo xtask perf installs it)");
        eprintln!("note: chromium is not installed; the HTML report was not opened");
        return None;
    };
    assert!(o.status.success(), "chromium: {}", text(&o.stderr));
    Some(text(&o.stderr).lines().filter(|l| l.contains(":CONSOLE")).map(str::to_owned).collect())
}

/// The HTML report opens in a real browser with no console message at all (its CSP turns
/// any network request into one), and the screenshot is taken; planted pages prove that
/// both kinds of message would be seen.
#[test]
fn the_html_report_opens_in_headless_chromium_without_console_messages() {
    let _turn = pipeline_lock();
    let out = scratch("html");
    let [baseline, review, summary, html] =
        ["baseline.json", "r.md", "summary.json", "report.html"].map(|f| out.join(f));
    // The committed budgets less their browser metrics (the report draws what wasmtime and
    // the sizes give; browsers are another test's subject).
    let (budgets, corpus) = (fixture("budgets/wasmtime-only.json"), fixture("corpus/quick-wasmtime.json"));
    let documents = ["--budgets", &budgets, "--corpus", &corpus];
    let rebaseline = ["rebaseline", "--baseline", baseline.to_str().unwrap(), "--report", review.to_str().unwrap()];
    let o = measuring(&[&rebaseline[..], &documents[..]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let outputs = ["--summary", summary.to_str().unwrap(), "--html", html.to_str().unwrap()];
    let o = perf(&out, &[&documents[..], &outputs[..]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<svg ").count(), 4, "headroom, wasm-opt sizes, Pareto, per-seed p95");
    assert!(page.contains("Where the release artifact's bytes go") && page.contains("sample_kernel::"));

    // The committed budgets' ratchet: the timing budgets are the seed contract's, far above
    // the sample kernel's figures, so each gets a tighter suggestion; the sizes do not.
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_schema("wasm_perf_regression_report.schema.json", &report);
    let hints = report["ratchet_hints"].as_array().unwrap();
    let hint = |id: &str| hints.iter().find(|h| h["profile"] == "core-min" && h["metric_id"] == id);
    let heap = hint("M-PERF-03A").expect("the heap budget (24 MiB) has 99% headroom");
    assert!(heap["suggested_hard"].as_f64().unwrap() < 1.0 && heap["hard"] == 24.0, "{heap}");
    assert!(hint("M-PERF-04A").is_none(), "reserve+send has a warn threshold: left to a reviewer");
    assert!(hint("M-PERF-01A").is_none(), "the raw size keeps about 20% headroom: no hint");
    assert!(page.contains("<h2>Ratchet hints</h2>"));

    let screenshot = root().join("artifacts/screenshots/wasm_perf_report.png");
    std::fs::create_dir_all(screenshot.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&screenshot);
    let Some(console) = chromium(&html, &screenshot) else { return };
    assert_eq!(console, Vec::<String>::new(), "the report logs nothing in the browser");
    let png = std::fs::read(&screenshot).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let (width, height) =
        (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()));
    assert_eq!((width, height), (900, 2600));
    assert!(png.len() > 50_000, "a page of charts, not a blank one: {} bytes", png.len());

    let planted = [
        ("<script>console.error('planted error')</script>", "planted error"),
        ("<img src=\"https://example.com/x.png\">", "violates the following Content Security Policy"),
    ];
    for (element, expected) in planted {
        let page = out.join("planted.html");
        std::fs::write(&page, format!("<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'\"></head><body>{element}</body></html>")).unwrap();
        let console = chromium(&page, &out.join("planted.png")).unwrap();
        assert!(console.iter().any(|l| l.contains(expected)), "{expected}: {console:?}");
    }
}

/// The pids and command lines of the processes whose command line contains `needle`.
fn processes_with(needle: &str) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let line = String::from_utf8_lossy(&raw).replace('\0', " ");
        if line.contains(needle) {
            found.push((pid, line));
        }
    }
    found
}

/// Every corpus environment measures every variant in its real browser, each sample cold
/// (the canary never finds a fresh context warm) and cross-origin isolated, and the records
/// name the browser, its version and engine. Then a browser killed mid-run: a clear failure
/// naming the browser, the variant and the cause, exit 2 with the summary written, and no
/// browser process or profile left behind.
#[test]
fn browsers_measure_cold_init_and_a_killed_browser_fails_clean_and_leaves_nothing() {
    let _turn = pipeline_lock();
    let out = scratch("browsers");
    let summary = out.join("summary.json");
    let o = perf(&out, &["--engine", "chromium", "--engine", "firefox", "--summary", summary.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let (s, _) = read_summary(&summary);
    let mut environments = Vec::new();
    for v in &s.variants {
        assert_eq!(v.runtime, None, "wasmtime was left out");
        for b in &v.browsers {
            let what = format!("{} {}: {:?}", v.variant.as_str(), b.environment, b.error);
            let phases = b.phases.as_ref().unwrap_or_else(|| panic!("{what}"));
            assert!(phases.cross_origin_isolated, "5 µs timers");
            assert_eq!(phases.total.seeds.iter().map(|x| x.seed).collect::<Vec<_>>(), [11, 42]);
            assert!(phases.total.median_of_p95 > 0.0 && phases.fetch_compile.median_of_p95 > 0.0);
            let canary = b.cache_canary.unwrap();
            assert_ne!(canary.verdict, perf_core::browser::CanaryVerdict::Warm, "{canary:?}");
            let browser = b.browser.as_ref().unwrap();
            assert!(browser.major > 100, "{browser:?}");
            environments.push((b.environment.clone(), browser.name.clone(), b.cpu_throttling_rate));
        }
    }
    environments.sort_by(|a, b| a.0.cmp(&b.0));
    environments.dedup();
    assert_eq!(
        environments,
        [
            ("desktop-chromium".into(), "Chromium".into(), 1.0),
            ("desktop-firefox".into(), "Firefox".into(), 1.0),
            ("mobile-emulated-chromium".into(), "Chromium".into(), 4.0)
        ]
    );
    for id in ["M-PERF-02A", "M-PERF-02B", "M-FIREFOX-02A"] {
        for r in s.records.iter().filter(|r| r.metric_id == id) {
            assert_eq!(r.status, Status::Pass, "{id} {}: {:?}", r.variant.as_str(), r.reason);
            assert!(r.value.is_some_and(|v| v > 0.0) && r.wall_clock);
            assert!(r.commands.last().is_some_and(|c| c.contains("--headless")), "{:?}", r.commands);
        }
    }
    let chromium_record = s.records.iter().find(|r| r.metric_id == "M-PERF-02B").unwrap();
    assert!(chromium_record.environment.contains("Chromium 1") && chromium_record.environment.contains("V8 "));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("left out"), "the table says what the run left out: {stdout}");

    // A browser named by the override that is not there: refused, naming the variable.
    let missing = out.join("no-such-browser");
    let args = ["perf", "--engine", "chromium", "--summary", summary.to_str().unwrap()];
    let o = measuring_env(&args, &[("WASM_BUDGET_GATE_CHROMIUM", missing.to_str().unwrap())]);
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("WASM_BUDGET_GATE_CHROMIUM=") && stderr.contains("is not a file"), "{stderr}");

    // The kill: every browser of this run has its profile under this test's TMPDIR.
    let tmp = out.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let args = on_test_protocol(&["perf", "--engine", "chromium", "--summary", summary.to_str().unwrap()]);
    let child = support::xtask_command()
        .args(&args)
        .env("TMPDIR", &tmp)
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let needle = tmp.display().to_string();
    let started = std::time::Instant::now();
    let browser = loop {
        let main = processes_with(&needle).into_iter().find(|(_, l)| l.contains("--remote-debugging-port"));
        if let Some((pid, _)) = main {
            break pid;
        }
        assert!(started.elapsed().as_secs() < 120, "no browser started under {needle}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    // Mid-run: the canary and the first samples are under way.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(Command::new("kill").args(["-KILL", &browser.to_string()]).status().unwrap().success());
    let o = child.wait_with_output().unwrap();
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("desktop-chromium") && stderr.contains("the browser exited"), "{stderr}");
    for variant in ["dev ", "canary ", "release "] {
        assert!(stderr.contains(variant), "every variant is named: {stderr}");
    }
    let (s, _) = read_summary(&summary);
    let killed = s.records.iter().find(|r| r.metric_id == "M-PERF-02A").unwrap();
    assert_eq!(killed.status, Status::Fail, "{:?}", killed.reason);
    let left: Vec<(u32, String)> = (0..50)
        .map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            processes_with(&needle)
        })
        .find(Vec::is_empty)
        .unwrap_or_else(|| processes_with(&needle));
    assert_eq!(left, Vec::new(), "no browser process is left behind");
    let profiles: Vec<_> = std::fs::read_dir(&tmp).unwrap().flatten().map(|e| e.file_name()).collect();
    let profiles: Vec<_> = profiles.iter().filter(|n| n.to_string_lossy().starts_with("wasm-budget-gate-")).collect();
    assert_eq!(profiles, Vec::<&std::ffi::OsString>::new(), "no profile is left behind");
}

/// Where the tool builds wasm (`pipeline::wasm_target_dir`), as its commands name it: the
/// checkout's `target/perf-wasm`, or in a `CARGO_TARGET_DIR` outside the checkout, a
/// directory of this checkout's own.
fn wasm_target_dir() -> String {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    let target = root().join(target);
    let dir = if target.starts_with(root()) {
        target.join("perf-wasm")
    } else {
        let checkout = perf_core::digest::sha256_hex(root().as_os_str().as_encoded_bytes());
        target.join(format!("perf-wasm-{}", &checkout[..16]))
    };
    dir.strip_prefix(root()).unwrap_or(&dir).display().to_string()
}

#[test]
fn a_wasm_bindgen_crate_is_gated_as_it_ships_module_and_glue_and_cold_init_runs_through_the_glue() {
    let _turn = pipeline_lock();
    let out = scratch("bindgen");
    let summary = out.join("summary.json");
    let o = perf(
        &out,
        &[
            "--policy",
            ".github/word-index/wasm_optimization_policy.json",
            "--budgets",
            ".github/word-index/wasm_perf_budgets.json",
            "--corpus",
            &fixture("corpus/word-index-quick.json"),
            "--engine",
            "chromium",
            "--summary",
            summary.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}\n{}", text(&o.stdout), text(&o.stderr));
    let (s, _) = read_summary(&summary);
    assert_eq!((s.package.as_str(), s.verdict), ("word-index", Status::Pass));
    for v in &s.variants {
        let dir = format!("artifacts/wasm/word-index/{}", v.variant.as_str());
        // cargo, then wasm-bindgen on cargo's output, then wasm-opt on wasm-bindgen's (dev skips it).
        // No policy rustflags: the tool's path remaps only.
        assert!(v.commands[0].starts_with("CARGO_ENCODED_RUSTFLAGS=$'--remap-path-prefix="), "{v:?}");
        assert!(v.commands[0].contains("' cargo build --package word-index"), "{v:?}");
        let cargo_output =
            format!("{}/wasm32-unknown-unknown/perf-{}/word_index.wasm", wasm_target_dir(), v.variant.as_str());
        assert_eq!(
            v.commands[1],
            format!("wasm-bindgen (0.2.130, in-process): wasm-bindgen --target web --out-dir {dir} {cargo_output}")
        );
        assert_eq!(v.commands.len(), if v.variant.as_str() == "dev" { 2 } else { 3 });
        if let Some(wasm_opt) = v.commands.get(2) {
            assert!(wasm_opt.starts_with("wasm-opt (binaryen 116, in-process)"), "{wasm_opt}");
        }
        let post = v.post_opt.as_ref().unwrap();
        assert_eq!(post.path, format!("{dir}/word_index_bg.wasm"));
        // What ships names no path of this machine: js-sys's panic locations read
        // /cargo/registry/src/…, not $CARGO_HOME's, and std's never name a rust-src copy.
        let module = std::fs::read(root().join(&post.path)).unwrap();
        let cargo_home =
            std::env::var("CARGO_HOME").unwrap_or_else(|_| format!("{}/.cargo", std::env::var("HOME").unwrap()));
        let has = |needle: &str| module.windows(needle.len()).any(|w| w == needle.as_bytes());
        assert!(!has(&cargo_home) && !has("lib/rustlib/src/rust"), "{}: a path of this machine", post.path);
        if v.variant.as_str() == "release" {
            assert!(has("/cargo/registry/src/index.crates.io-"), "{}: js-sys's panic location, remapped", post.path);
        }
        // The glue: its file on disk, measured on its own; gzip as Python's gzip module gives it.
        let glue = v.glue.as_ref().unwrap();
        assert_eq!(glue.files.len(), 1, "word-index has no snippets");
        let file = &glue.files[0];
        assert_eq!(file.path, format!("{dir}/word_index.js"));
        let js = std::fs::read(root().join(&file.path)).unwrap();
        assert!(text(&js).contains("new URL('word_index_bg.wasm', import.meta.url)"));
        assert_eq!(
            (glue.raw_bytes, file.raw_bytes, file.sha256.clone()),
            (js.len() as u64, js.len() as u64, perf_core::digest::sha256_hex(&js))
        );
        if let Some(gzip) = python_gzip_len(&root().join(&file.path)) {
            assert_eq!(glue.gzip_bytes, gzip);
        }
        let glue_record = |id: &str| s.records.iter().find(|r| r.metric_id == id && r.variant == v.variant).unwrap();
        for (id, bytes) in
            [("M-GLUE-01A", glue.raw_bytes), ("M-GLUE-01B", glue.gzip_bytes), ("M-GLUE-01C", glue.brotli_bytes)]
        {
            let r = glue_record(id);
            assert_eq!((r.value, r.status), (Some(bytes as f64), Status::Pass), "{id}");
            assert_eq!(r.artifact_paths, std::slice::from_ref(&file.path));
        }
        // What ships is the library's API; the scenarios live in the benchmark build only.
        assert!(v.shipped_exports.contains(&"wordindex_search".to_owned()), "{:?}", v.shipped_exports);
        assert!(!v.shipped_exports.iter().any(|e| e.ends_with("_setup")), "{:?}", v.shipped_exports);
        let bench = v.benchmark.as_ref().unwrap();
        assert_eq!(bench.path, format!("{dir}/bench/word_index_bg.wasm"));
        assert!(root().join(format!("{dir}/bench/word_index.js")).exists());
        let attribution = v.attribution.as_ref().unwrap();
        assert!(attribution.profiled.named, "wasm-bindgen's output keeps the names");
        // Cold init ran in Chromium through the glue; wasmtime has no JS, so its scenarios
        // were skipped there, saying why.
        assert!(v.runtime.is_none(), "{:?}", v.runtime);
        let skipped = v.runtime_skipped.as_deref().unwrap_or_default();
        assert!(skipped.contains("wasmtime does not have: it runs in the browsers only"), "{skipped}");
        for b in v.browsers.iter().filter(|b| b.environment.ends_with("chromium")) {
            let phases =
                b.phases.as_ref().unwrap_or_else(|| panic!("{} {}: {:?}", v.variant.as_str(), b.environment, b.error));
            assert!(phases.instantiate.median_of_p95 > 0.0 && phases.first_call.median_of_p95 > 0.0);
            // Its scenarios ran in the browser through the glue, timed in batches.
            let exports: Vec<&str> = b.operations.iter().map(|o| o.export.as_str()).collect();
            assert_eq!(exports, ["index_search", "index_add"], "{}", b.environment);
            for o in &b.operations {
                let per_op =
                    o.per_op.as_ref().unwrap_or_else(|| panic!("{} {}: {:?}", b.environment, o.export, o.error));
                assert_eq!(
                    per_op.seeds.iter().map(|s| (s.seed, s.distribution.n)).collect::<Vec<_>>(),
                    [(11, 5), (42, 5)]
                );
                assert!(o.ops_per_batch.iter().all(|(_, n)| *n >= 1) && per_op.seeds[0].distribution.p50 > 0.0);
            }
        }
    }
    for id in ["M-WEB-04A", "M-WEB-04B", "M-WEB-04C", "M-WEB-04D"] {
        let records: Vec<_> = s.records.iter().filter(|r| r.metric_id == id).collect();
        assert_eq!(records.len(), 3, "{id}: one per variant");
        assert!(records.iter().all(|r| r.value.is_some_and(|v| v > 0.0) && r.wall_clock), "{records:?}");
    }
    assert!(text(&o.stdout).contains("one operation in browsers"), "{}", text(&o.stdout));
}

#[test]
fn figures_measured_elsewhere_are_gated_by_the_same_rules_and_refused_without_provenance() {
    let out = scratch("elsewhere");
    let measurements = fixture("measurements/mobile-android.json");
    // The committed budgets with mobile cold init warn-then-block: warn 120 ms, hard 160 ms.
    let budgets = fixture("budgets/mobile-warn-then-block.json");
    let document: serde_json::Value = serde_json::from_slice(&std::fs::read(&measurements).unwrap()).unwrap();
    assert_schema("wasm_perf_measurements.schema.json", &document);
    let gate = |dir: &str, extra: &[&str]| {
        let dir = out.join(dir);
        let summary = dir.join("summary.json");
        let mut args: Vec<String> =
            ["gate", "--budgets", &budgets, "--branch", "feature/farm"].map(String::from).to_vec();
        args.extend(gate_files(&dir));
        for (flag, name) in [("--summary", "summary.json"), ("--markdown", "report.md"), ("--html", "report.html")] {
            args.extend([flag.to_owned(), dir.join(name).display().to_string()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let o = xtask(&args.iter().map(String::as_str).collect::<Vec<_>>());
        (o, summary, dir)
    };

    // 131.5 ms is in the warn band: the first run warns, the second escalates.
    let (o, summary, dir) = gate("streak", &["--measurements", &measurements]);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    let (s, _) = read_summary(&summary);
    assert_eq!(s.verdict, Status::Warn);
    assert!(s.variants.is_empty() && s.pipeline.steps.cargo_builds == 0, "nothing was built here");
    let mobile = s.records.iter().find(|r| r.metric_id == "M-PERF-02B").unwrap();
    assert_eq!((mobile.profile.as_str(), mobile.value, mobile.status), ("core-min", Some(131.5), Status::Warn));
    assert!(mobile.environment.starts_with("mobile-android: Pixel 6a"), "{}", mobile.environment);
    assert_eq!(mobile.seed_set, [11, 29, 42, 73, 101]);
    assert!(mobile.commands[0].starts_with("farm-run --device pixel-6a"));
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
    let (o, summary, dir) = gate("streak", &["--measurements", &measurements]);
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("warning 2 of 2 in a row on feature/farm: escalated to failure"));
    assert_eq!(read_summary(&summary).0.verdict, Status::Fail);
    let events = std::fs::read_to_string(dir.join("events.ndjson")).unwrap();
    assert_eq!(events.lines().filter(|l| l.contains("\"M-PERF-02B\"")).count(), 2, "one event per run");

    // Against the farm's own active baseline (100 ms in Chrome 131): a regression. The
    // baseline's size metric the document did not measure is not the document's to miss.
    let farm_baseline = fixture("measurements/mobile-android-baseline.json");
    std::fs::create_dir_all(out.join("baseline")).unwrap();
    std::fs::copy(&farm_baseline, out.join("baseline/baseline.json")).unwrap();
    let (o, _, dir) = gate("baseline", &["--measurements", &measurements]);
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("fail [baseline] M-PERF-02B (core-min): regressed 100 -> 131.5 ms"), "{stdout}");
    assert!(stdout.contains("warning 1 of 2 in a row"), "a fresh streak: the regression alone fails");
    assert!(!stdout.contains("M-PERF-01B"), "{stdout}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    assert_schema("wasm_perf_regression_report.schema.json", &report);

    // Measured in another browser major than the baseline records: not compared, drift.
    let chrome_132 = out.join("chrome-132.json");
    let moved =
        std::fs::read_to_string(&measurements).unwrap().replace("Chrome 131.0.6778.135", "Chrome 132.0.6834.57");
    std::fs::write(&chrome_132, moved).unwrap();
    std::fs::create_dir_all(out.join("drift")).unwrap();
    std::fs::copy(&farm_baseline, out.join("drift/baseline.json")).unwrap();
    let (o, _, _) = gate("drift", &["--measurements", chrome_132.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("mobile-android browser Chrome 131 -> Chrome 132; M-PERF-02B is not compared"), "{stdout}");
    assert!(stdout.contains("skip [baseline] M-PERF-02B (core-min): not compared across browser versions"), "{stdout}");

    // A metric the caller requires and the document lacks fails.
    let (o, summary, _) = gate("required", &["--measurements", &measurements, "--require-metric", "M-PERF-01C"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
    let brotli = read_summary(&summary).0.records.into_iter().find(|r| r.metric_id == "M-PERF-01C").unwrap();
    assert_eq!((brotli.value, brotli.status), (None, Status::Fail));
    assert!(brotli.reason.unwrap().contains("mobile-android.json has no record of it"));

    // Figures that do not say where and what they measured are refused; nothing is written.
    let (o, summary, dir) = gate("refused", &["--measurements", &fixture("measurements/no-provenance.json")]);
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
    let (o, _, _) = gate("refused", &["--measurements", unknown.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("/records/1/metric_id: the budgets have no metric \"M-PERF-99\""),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn gate_current_compares_two_baselines_without_touching_the_streaks() {
    let out = scratch("current");
    let mut active: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("baselines/baseline_latest.json")).unwrap()).unwrap();
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
    assert_eq!(o.status.code(), Some(1), "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(text(&o.stdout).contains("fail [baseline] M-PERF-01A (core-min): regressed 22273 -> 24273 bytes"));
    assert!(text(&o.stdout).contains("is a baseline, not a run: the warn streaks were not updated"));
    let o = gate(&same);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
    std::fs::create_dir_all(out.join("sub")).unwrap();
    let roundabout = out.join("sub/../a.json");
    let o = xtask(&["gate", "--current", roundabout.to_str().unwrap(), "--baseline", a.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("name the same file"), "{}", text(&o.stderr));
    let o = xtask(&["gate", "--current", b.to_str().unwrap(), "--baseline", out.join("none.json").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--current compares with --baseline, and"), "{}", text(&o.stderr));
    let s = read_summary(&out.join("summary.json")).0;
    assert_eq!(s.records.len(), active["metrics"].as_array().unwrap().len(), "every metric of the baseline");
    assert!(!out.join("streaks.json").exists(), "a comparison of two baselines is not a run");
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
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
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
    let mut args: Vec<String> =
        ["gate", "--budgets", &budgets, "--branch", "main", "--measurements", &runs[1]].map(String::from).to_vec();
    args.extend(["--baseline".into(), baseline.clone()]);
    for (flag, name) in [
        ("--state", "streaks.json"),
        ("--report", "report.json"),
        ("--events", "events.ndjson"),
        ("--summary", "summary.json"),
        ("--markdown", "report.md"),
        ("--html", "report.html"),
    ] {
        args.extend([flag.to_owned(), out.join(name).display().to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = xtask(&args);
    assert_eq!(o.status.code(), Some(0), "{}{}", text(&o.stdout), text(&o.stderr));
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

#[test]
fn change_log_evidence_that_git_ignores_is_refused() {
    let out = scratch("ignored-evidence");
    let evidence = format!("artifacts/evidence-{}.json", std::process::id());
    let file = root().join(&evidence);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, r#"{"seed_set": [11, 29, 42, 73, 101]}"#).unwrap();
    let mut budgets: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture("budgets/mobile-warn-then-block.json")).unwrap()).unwrap();
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

/// `init` refuses, before building anything and writing nothing: a package that is not in
/// the workspace, one that is not a cdylib, a folder outside the repository or one git
/// ignores (the change log's evidence must be committed).
#[test]
fn init_refuses_a_package_or_folder_it_cannot_onboard() {
    let first_entry = ["--issue", "#14", "--approved-by", "@test"];
    let cases: [(&[&str], &str); 4] = [
        (&["--package", "no-such-crate", "--out", "perf/x"], "package no-such-crate is not a member of this workspace"),
        (&["--package", "perf-core", "--out", "perf/x"], "package perf-core has no cdylib target"),
        (&["--package", "word-index", "--out", "/tmp/elsewhere"], "the documents belong in this repository"),
        (&["--package", "word-index", "--out", "artifacts/onboarded"], "--out artifacts/onboarded is ignored by git"),
    ];
    for (args, expected) in cases {
        let o = xtask(&[&["init"][..], args, &first_entry[..]].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains(expected), "{args:?}: {}", text(&o.stderr));
    }
    assert!(!root().join("perf/x").exists() && !root().join("artifacts/onboarded").exists());
}

/// A crate the tool has never seen, built from crates.io code (serde_json) with a scenario
/// export behind its `exports` feature, and a wasm-bindgen crate: `init` onboards each into
/// a folder of its own in a copy of the checkout, refuses to overwrite the documents
/// without --force, and `perf` with them passes. The drafted corpus samples little and
/// timings get 1000% headroom: this proves the pipeline, not a timing.
#[test]
fn init_onboards_a_new_crate_and_a_wasm_bindgen_crate_that_perf_then_passes() {
    let _turn = pipeline_lock();
    let checkout = root().join("target/xtask-onboarding-checkout");
    support::copy_checkout(&checkout);
    for name in ["json-stats", "slug"] {
        for file in ["Cargo.toml", "src/lib.rs"] {
            let to = checkout.join("crates").join(name).join(file);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(fixture(&format!("crates/{name}/{file}")), to).unwrap();
        }
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);
    let run = |args: &[&str]| {
        support::xtask_command()
            .args(args)
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_MANIFEST_DIR", checkout.join("xtask"))
            .current_dir(&checkout)
            .output()
            .unwrap()
    };
    for name in ["json-stats", "slug"] {
        let out = format!("perf/{name}");
        let init = [
            "init",
            "--package",
            name,
            "--out",
            &out,
            "--issue",
            "#14",
            "--approved-by",
            "@test",
            "--timing-headroom-pct",
            "1000",
            "--cold-start-samples",
            "2",
            "--browser-samples",
            "1",
        ];
        let o = run(&init);
        assert_eq!(o.status.code(), Some(0), "init {name}: {}", text(&o.stderr));
        let stdout = text(&o.stdout);
        let dir = checkout.join(&out);
        let read = |file: &str| std::fs::read_to_string(dir.join(file)).unwrap();
        let policy = perf_core::policy::Policy::parse("policy", &read("wasm_optimization_policy.json")).unwrap();
        let budgets = perf_core::budget::Budgets::parse("budgets", &read("wasm_perf_budgets.json")).unwrap();
        let corpus = perf_core::corpus::Corpus::parse("corpus", &read("wasm_benchmark_corpus.json")).unwrap();
        budgets.check_change_log("budgets").unwrap();
        assert!(read("baseline_latest.json").contains("\"status\": \"scaffold\""));
        if name == "json-stats" {
            assert_eq!((policy.benchmark_features, policy.wasm_bindgen), (vec!["exports".to_owned()], None));
            let exports: Vec<_> = corpus.scenarios.iter().filter_map(|s| s.export.clone()).collect();
            assert_eq!(exports, ["parse"], "{stdout}");
            assert!(budgets.metric("M-FUEL-01A").is_some() && budgets.metric("M-WASMTIME-02A").is_some());
        } else {
            assert!(policy.wasm_bindgen.is_some() && policy.benchmark_features.is_empty());
            assert!(budgets.metric("M-GLUE-01B").is_some() && budgets.metric("M-PERF-02B").is_some());
            assert!(corpus.scenarios.is_empty() && corpus.environments.len() == 2);
        }
        let written = read("wasm_perf_budgets.json");
        let again = run(&init);
        assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));
        assert!(text(&again.stderr).contains("pass --force to overwrite them"), "{}", text(&again.stderr));
        assert_eq!(read("wasm_perf_budgets.json"), written);

        // The command init printed, as a user would paste it.
        let line = stdout.lines().skip_while(|l| *l != "gate it with:").nth(1).unwrap_or_else(|| panic!("{stdout}"));
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(&words[..3], ["cargo", "xtask", "perf"]);
        let o = run(&words[2..]);
        assert_eq!(o.status.code(), Some(0), "perf {name}: {}\n{}", text(&o.stdout), text(&o.stderr));
        let (summary, _) = read_summary(&checkout.join(format!("artifacts/{name}/wasm_budget_summary.json")));
        assert_eq!(summary.package, name);
        let unmeasured: Vec<_> = summary.records.iter().filter(|r| r.value.is_none()).map(|r| &r.metric_id).collect();
        assert!(unmeasured.is_empty(), "{unmeasured:?}");
    }
}
