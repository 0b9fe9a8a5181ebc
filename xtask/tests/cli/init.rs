//! `cargo xtask init`: a crate the tool has never seen onboarded (its four documents
//! drafted from a real measurement, then `perf` with them passes), and what it refuses.

use crate::harness::{copies_lock, read_summary, text, xtask};
use crate::support::{self, fixture, root};

/// `init` refuses, before building anything and writing nothing: a package that is not in
/// the workspace, one that is not a cdylib, a subject name that is not one or that the tool
/// keeps a folder of, a subject that exists (its documents are overwritten with --force
/// only), and an approver CODEOWNERS does not list for the subject's budgets.
#[test]
fn init_refuses_a_package_or_subject_it_cannot_onboard() {
    let owner = support::budgets_owner();
    let first_entry = ["--issue", "#14", "--approved-by", &owner];
    let cases: [(&[&str], &str); 7] = [
        (&["--package", "no-such-crate", "--subject", "x"], "package no-such-crate is not a member of this workspace"),
        (&["--package", "perf-core", "--subject", "x"], "package perf-core has no cdylib target"),
        (
            &["--package", "word-index", "--subject", "Word_Index"],
            r#"--subject: subject "Word_Index": expected lowercase letters, digits and hyphens"#,
        ),
        (&["--package", "word-index", "--subject", "cache"], "the name is taken: the tool keeps a folder of it"),
        (
            &["--package", "word-index"],
            "subject word-index already has .github/word-index/wasm_optimization_policy.json, \
             .github/word-index/wasm_perf_budgets.json, .github/word-index/wasm_benchmark_corpus.json, \
             baselines/word-index/baseline_latest.json: pass --force to overwrite them",
        ),
        (
            &["--package", "word-index", "--subject", "x", "--issue", "fourteen"],
            "--issue \"fourteen\": expected #N or a link",
        ),
        (
            &["--package", "word-index", "--subject", "x", "--approved-by", "self-review"],
            "--approved-by \"self-review\" names none of the owners of .github/x/wasm_perf_budgets.json",
        ),
    ];
    for (args, expected) in cases {
        let entry = match (args.contains(&"--issue"), args.contains(&"--approved-by")) {
            (true, _) => &first_entry[2..],
            (_, true) => &first_entry[..2],
            _ => &first_entry[..],
        };
        let o = xtask(&[&["init"][..], entry, args].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains(expected), "{args:?}: {}", text(&o.stderr));
    }
    for made in [".github/x", ".github/cache", "baselines/x"] {
        assert!(!root().join(made).exists(), "{made}");
    }
}

/// A crate the tool has never seen, built from crates.io code (serde_json) with a scenario
/// export behind its `exports` feature, and a wasm-bindgen crate: `init` onboards each as a
/// subject in a copy of the checkout (named after its package, or as --subject says),
/// `cargo xtask subjects` lists it, `init` refuses to overwrite the documents without
/// --force, and the `perf --subject` command it prints passes. The drafted corpus samples little and
/// timings get 1000% headroom: this proves the pipeline, not a timing. The copy is its own
/// checkout (its own artifacts and wasm build directory), so this test builds beside the
/// others without taking the pipeline lock (`harness::copies_lock`); its measurement caches
/// are kept between runs (they are keyed by the bytes measured).
#[test]
fn init_onboards_a_new_crate_and_a_wasm_bindgen_crate_that_perf_then_passes() {
    let _copies = copies_lock();
    let checkout = root().join("target/xtask-onboarding-checkout");
    support::copy_checkout_keeping_caches(&checkout);
    for name in ["json-stats", "slug"] {
        for file in ["Cargo.toml", "src/lib.rs"] {
            let to = checkout.join("crates").join(name).join(file);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(fixture(&format!("crates/{name}/{file}")), to).unwrap();
        }
    }
    let target = support::target_dir();
    let owner = support::budgets_owner();
    let run = |args: &[&str]| {
        support::xtask_command()
            .args(args)
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_MANIFEST_DIR", checkout.join("xtask"))
            .current_dir(&checkout)
            .output()
            .unwrap()
    };
    for (name, subject) in [("json-stats", "json-stats"), ("slug", "slugs")] {
        let named = if name == subject { Vec::new() } else { vec!["--subject", subject] };
        let init = [
            "init",
            "--package",
            name,
            "--issue",
            "#14",
            "--approved-by",
            &owner,
            "--timing-headroom-pct",
            "1000",
            "--cold-start-samples",
            "2",
            "--browser-samples",
            "1",
        ];
        // The npm hosts need the registry, which a test does not reach.
        let in_browsers = ["--first-call", r#"return api.slugify("Hello, World");"#, "--host", "vanilla-js"];
        if name == "json-stats" {
            let o = run(&[&init[..], &in_browsers[..]].concat());
            assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
            assert!(text(&o.stderr).contains("runs in wasmtime only"), "{}", text(&o.stderr));
        }
        let init = [&init[..], &named[..]].concat();
        let init = if name == "slug" { [&init[..], &in_browsers[..]].concat() } else { init };
        let o = run(&init);
        assert_eq!(o.status.code(), Some(0), "init {name}: {}", text(&o.stderr));
        let stdout = text(&o.stdout);
        let dir = checkout.join(".github").join(subject);
        let read = |file: &str| std::fs::read_to_string(dir.join(file)).unwrap();
        let policy = perf_core::policy::Policy::parse("policy", &read("wasm_optimization_policy.json")).unwrap();
        let budgets = perf_core::budget::Budgets::parse("budgets", &read("wasm_perf_budgets.json")).unwrap();
        let corpus = perf_core::corpus::Corpus::parse("corpus", &read("wasm_benchmark_corpus.json")).unwrap();
        budgets.check_change_log("budgets").unwrap();
        written_as_a_subject(&checkout, subject, &budgets, &owner);
        let listed = run(&["subjects"]);
        let line = text(&listed.stdout).lines().find(|l| l.starts_with(&format!("{subject} "))).map(str::to_owned);
        let expected = format!("package {name}, documents in .github/{subject}, baseline baselines/{subject}/");
        assert!(line.is_some_and(|l| l.contains(&expected)), "{}", text(&listed.stdout));
        if name == "json-stats" {
            assert_eq!((policy.benchmark_features, policy.wasm_bindgen), (vec!["exports".to_owned()], None));
            let exports: Vec<_> = corpus.scenarios.iter().filter_map(|s| s.export.clone()).collect();
            assert_eq!(exports, ["parse"], "{stdout}");
            assert!(budgets.metric("M-FUEL-01A").is_some() && budgets.metric("M-WASMTIME-02A").is_some());
        } else {
            assert!(policy.wasm_bindgen.is_some() && policy.benchmark_features.is_empty());
            drafted_for_the_browsers(&corpus, &budgets, &stdout, in_browsers[1]);
        }
        let written = read("wasm_perf_budgets.json");
        let again = run(&init);
        assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));
        assert!(text(&again.stderr).contains("pass --force to overwrite them"), "{}", text(&again.stderr));
        assert_eq!(read("wasm_perf_budgets.json"), written);

        // The command init printed, as a user would paste it.
        let line = stdout.lines().skip_while(|l| *l != "gate it with:").nth(1).unwrap_or_else(|| panic!("{stdout}"));
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words, ["cargo", "xtask", "perf", "--subject", subject]);
        let o = run(&[&words[2..], &["--host", "vanilla-js"][..]].concat());
        assert_eq!(o.status.code(), Some(0), "perf {name}: {}\n{}", text(&o.stdout), text(&o.stderr));
        let summary = read_summary(&checkout.join(format!("artifacts/{subject}/wasm_budget_summary.json")));
        assert_eq!(summary.package, name);
        // Only host apps go unmeasured: the ones left out, and every host on the variants
        // the hosts do not load.
        let unmeasured: Vec<_> = summary
            .records
            .iter()
            .filter(|r| r.value.is_none())
            .filter(|r| {
                !(r.metric_id.starts_with("M-HOST-0") && (r.profile != "core-min" || !r.metric_id.ends_with('A')))
            })
            .map(|r| (&r.profile, &r.metric_id, &r.reason))
            .collect();
        assert!(unmeasured.is_empty(), "{unmeasured:?}");
    }
}

/// What `init` wrote besides the documents: the scaffold baseline, the run it measured (the
/// first change-log entry's evidence, with the budgets' seeds), and the subject's lines in
/// CODEOWNERS, each once, with the default subject's budgets' owner.
fn written_as_a_subject(checkout: &std::path::Path, subject: &str, budgets: &perf_core::budget::Budgets, owner: &str) {
    let baseline = std::fs::read_to_string(checkout.join("baselines").join(subject).join("baseline_latest.json"));
    assert!(baseline.unwrap().contains("\"status\": \"scaffold\""));
    let evidence = format!("docs/perf-evidence/{subject}/init_run.json");
    assert!(budgets.change_log[0].evidence.starts_with(&evidence), "{:?}", budgets.change_log[0].evidence);
    let measured = std::fs::read_to_string(checkout.join(&evidence)).unwrap();
    assert_eq!(perf_core::run::Run::parse(&evidence, &measured).unwrap().seed_set, budgets.seed_set);
    let codeowners = std::fs::read_to_string(checkout.join(".github/CODEOWNERS")).unwrap();
    for document in [
        format!("/.github/{subject}/wasm_optimization_policy.json {owner}"),
        format!("/.github/{subject}/wasm_perf_budgets.json {owner}"),
        format!("/.github/{subject}/wasm_benchmark_corpus.json {owner}"),
        format!("/baselines/{subject}/baseline_latest.json {owner}"),
    ] {
        assert_eq!(codeowners.lines().filter(|l| *l == document).count(), 1, "{document}:\n{codeowners}");
    }
}

/// A wasm-bindgen crate's drafts: cold init in both environments ending with the first call
/// given, every host app, a threshold for the host measured (`--host vanilla-js`) and none
/// for the others, saying so.
fn drafted_for_the_browsers(
    corpus: &perf_core::corpus::Corpus,
    budgets: &perf_core::budget::Budgets,
    stdout: &str,
    first_call: &str,
) {
    assert!(budgets.metric("M-GLUE-01B").is_some() && budgets.metric("M-PERF-02B").is_some());
    assert!(corpus.scenarios.is_empty() && corpus.environments.len() == 2);
    let hosts = corpus.hosts.as_ref().unwrap();
    assert_eq!(hosts.apps, perf_core::host::HostApp::ALL);
    assert_eq!(corpus.browser_protocol.as_ref().unwrap().first_call, first_call);
    assert!(budgets.metric("M-HOST-01A").unwrap().thresholds.contains_key("core-min"));
    let left_out = budgets.metric("M-HOST-02D").unwrap();
    assert!(left_out.thresholds.is_empty(), "a host left out has no threshold to start from");
    let line = stdout.lines().find(|l| l.trim_start().starts_with("M-HOST-02D ")).unwrap_or_default();
    assert!(line.ends_with("none (not measured: the nextjs host was left out: this run selected --host vanilla-js); add one once perf measures it"), "{stdout}");
}
