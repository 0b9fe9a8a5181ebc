//! Input documents and the command line: broken policies, budgets and baselines refused
//! with exit 2 and the file, the JSON pointer and what was expected, before anything is
//! built; `policy check` on the committed policy; the help.

use std::path::Path;

use crate::harness::{scratch, text, xtask};
use crate::support::fixture;

/// Broken documents: (kind, fixture, the message after the file name).
const BROKEN: [(&str, &str, &str); 12] = [
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

#[test]
fn broken_inputs_exit_2_with_file_pointer_and_expectation() {
    let out = scratch("broken");
    let summary = out.join("pipeline.json").display().to_string();
    for (kind, file, message) in BROKEN {
        let path = fixture(file);
        let flag = format!("--{kind}");
        let o = xtask(&["policy", "check", &flag, &path, "--summary", &summary]);
        // Budgets that parse reach change control, which says what it checks of budgets
        // that are not a subject's.
        let note = match message.contains("/change_log/") {
            true => format!(
                "note: change control: xtask/tests/fixtures/{file} is not subject default's budgets \
                 (.github/wasm_perf_budgets.json): its change log is checked for its thresholds, issue, approval and \
                 evidence, not for a code owner's approval, a corpus or a measurement document\n"
            ),
            false => String::new(),
        };
        let expected = format!("{note}error: xtask/tests/fixtures/{file}: {message}\n");
        assert_eq!((o.status.code(), text(&o.stderr)), (Some(2), expected), "{file}");
        assert!(o.stdout.is_empty(), "{file}: nothing on stdout");
    }
}

/// `perf` reads the same documents and refuses them the same way, before building, and
/// writes no summary: there is nothing measured to summarize. So are a target rustc does not
/// know or this toolchain lacks, the gate's own inputs, and a package that is no cdylib.
#[test]
fn perf_refuses_broken_inputs_before_building() {
    let out = scratch("broken-perf");
    let summary = out.join("pipeline.json").display().to_string();
    let perf_summary = out.join("perf-summary.json").display().to_string();
    for (kind, file, _) in &BROKEN[..2] {
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

/// Framework coverage fails closed: the committed corpus without one of its hosts, or with
/// a first call that does not go through the JS API (an export name, as before), is refused
/// by `corpus check` and by `perf` before anything is built, naming what is missing.
#[test]
fn a_corpus_missing_a_host_or_a_js_api_first_call_is_refused_naming_it() {
    let out = scratch("host-coverage");
    let committed: serde_json::Value = serde_json::from_slice(
        &std::fs::read(crate::support::root().join(".github/wasm_benchmark_corpus.json")).unwrap(),
    )
    .unwrap();
    let mut without_react = committed.clone();
    without_react["hosts"]["apps"].as_array_mut().unwrap().retain(|a| a != "react");
    for e in without_react["environments"].as_array_mut().unwrap() {
        if let Some(metrics) = e.get_mut("host_metrics").and_then(|m| m.as_object_mut()) {
            metrics.remove("react");
        }
    }
    let mut export_name = committed;
    export_name["browser_protocol"]["first_call"] = serde_json::json!("channel_reserve_send");
    let cases = [
        (
            without_react,
            "/hosts/apps: missing host react: the contract's framework coverage is vanilla-js, typescript-sdk, react, nextjs",
        ),
        (export_name, "/browser_protocol/first_call: expected the body of a function of `api`"),
    ];
    for (i, (corpus, expected)) in cases.into_iter().enumerate() {
        let path = out.join(format!("corpus-{i}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(&corpus).unwrap()).unwrap();
        let corpus = path.display().to_string();
        let summary = out.join("summary.json").display().to_string();
        let check = xtask(&["corpus", "check", "--corpus", &corpus, "--summary", &summary]);
        let perf = xtask(&["perf", "--corpus", &corpus, "--summary", &summary]);
        // `perf` measures with the corpus given, and says it is not the one the committed
        // budgets' change log records.
        let note = format!(
            "note: change control: this run measures with {corpus}, not subject default's corpus \
             (.github/wasm_benchmark_corpus.json), which is the one the change log records\n"
        );
        for (command, o, first) in [("corpus check", check, ""), ("perf", perf, note.as_str())] {
            let stderr = text(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{command}: {stderr}");
            assert!(stderr.starts_with(&format!("{first}error: {corpus}: {expected}")), "{command}: {stderr}");
            assert!(!stderr.contains("building"), "nothing is built for bad input: {stderr}");
        }
    }
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
