//! `cargo xtask perf`: the pipeline end to end on the sample kernel (the shared reference
//! run), an edited policy and a variant that fails to build, the committed corpus's whole
//! protocol, two checkouts sharing a target directory, a scenario run alone, and what ships
//! against a base commit's builds (`--compare`).

use std::path::{Path, PathBuf};

use perf_core::against_base::AgainstBase;
use perf_core::policy::VariantKind;
use perf_core::sequential::{Change, Standing};
use perf_core::status::Status;
use perf_core::summary::Summary;

use crate::harness::{
    both, copies_lock, gate_in, on_test_protocol, perf, pipeline_lock, python_gzip_len, read_json, read_summary,
    record, scratch, text,
};
use crate::shared::{self, wasmtime_documents};
use crate::support::{self, fixture, root, steady_budgets};

fn static_metric(id: &str) -> bool {
    id.starts_with("M-PERF-01") || id.starts_with("M-SIZE-")
}

fn browser_metric(id: &str) -> bool {
    ["M-PERF-02A", "M-PERF-02B", "M-FIREFOX-02A"].contains(&id) || id.starts_with("M-HOST-")
}

/// Sizes and sections of every variant, and DWARF kept (with the checkout's path remapped)
/// only where the policy keeps it.
#[test]
fn the_pipeline_builds_and_measures_every_variant_end_to_end() {
    let reference = shared::reference();
    assert_eq!(reference.perf.status.code(), Some(0), "{}", both(&reference.perf));
    let first = reference.summary();
    assert_eq!(first.verdict, Status::Pass);
    let post = |i: usize| first.variants[i].post_opt.clone().unwrap();
    let (dev, canary, release) = (post(0), post(1), post(2));
    assert!(release.raw_bytes < canary.raw_bytes && canary.raw_bytes < dev.raw_bytes, "release < canary < dev");
    assert!(!release.sections.has_debug_sections && !release.sections.has_producers_section);
    assert!(dev.sections.has_debug_sections);
    for r in first.records.iter().filter(|r| static_metric(&r.metric_id)) {
        assert_eq!((r.status, r.value.is_some()), (Status::Pass, true), "{} {}", r.metric_id, r.profile);
    }
    let debug_sections = |i: usize| {
        let variant = first.variants[i].variant;
        first.records.iter().find(|r| r.metric_id == "M-SIZE-03A" && r.variant == variant).unwrap().value
    };
    assert_eq!(debug_sections(2), Some(0.0), "release ships no DWARF or producers section");
    // Dev keeps its DWARF, which names the compilation directory: the checkout, remapped.
    let dev_module = std::fs::read(reference.artifact(&dev.path)).unwrap();
    let checkout = root().display().to_string();
    assert!(!dev_module.windows(checkout.len()).any(|w| w == checkout.as_bytes()), "the dev module names {checkout}");
    assert!(dev_module.windows(10).any(|w| w == b"/workspace"));
    assert!(debug_sections(0) > Some(1.0), "dev keeps its DWARF");
    assert!(reference.path("streaks.json").exists(), "a full run counts the warn streaks");
}

/// Every runtime metric is measured in wasmtime on every variant its scenario runs on, over
/// the whole seed set (the quick corpus runs the replay scenario on canary only), and each
/// scenario says how to reproduce it with the documents the run read.
#[test]
fn every_runtime_metric_is_measured_in_wasmtime_over_the_seed_set() {
    let reference = shared::reference();
    let first = reference.summary();
    for r in first.records.iter().filter(|r| !static_metric(&r.metric_id)) {
        let replay = r.metric_id.ends_with("04D");
        if replay && r.profile != "core-trace" {
            assert_eq!(r.status, Status::Skip, "{} {}", r.metric_id, r.profile);
            continue;
        }
        let what = format!("{} {}: {:?}", r.metric_id, r.profile, r.reason);
        assert_eq!((r.status, r.value.is_some()), (Status::Pass, true), "{what}");
        assert!(r.environment.starts_with("wasmtime "), "{}", r.environment);
        assert_eq!(r.seed_set, [11, 42], "the quick corpus's seeds");
    }
    let corpus = fixture("corpus/quick-wasmtime.json");
    for v in &first.variants {
        let runtime = v.runtime.as_ref().unwrap();
        assert!(runtime.calibration.is_some());
        for run in &runtime.scenarios {
            assert_eq!(run.error, None);
            // The repro reads the same documents: the tests' budgets and corpus are not the defaults.
            assert!(run.repro.starts_with("cargo xtask perf --budgets "), "{}", run.repro);
            assert!(run.repro.contains(&format!(" --corpus {corpus}")), "{}", run.repro);
            assert!(run.repro.ends_with(&format!(" --scenario {} --seed 42", run.scenario)), "{}", run.repro);
            let timing = run.timing.as_ref().unwrap();
            assert_eq!(timing.seeds.len(), 2);
            let samples = if run.export.is_some() { 2000 } else { 3 };
            assert!(timing.seeds.iter().all(|s| s.distribution.n == samples), "{}", run.scenario);
        }
    }
}

/// Where the bytes go: the release module ships without names, so cargo's named output is
/// attributed, and says so; every variant's attribution is also a file of its own. gzip
/// bytes are stock zlib's, as Python's gzip module writes them.
#[test]
fn every_variant_says_where_its_bytes_go() {
    let reference = shared::reference();
    let first = reference.summary();
    for v in &first.variants {
        let a = v.attribution.as_ref().unwrap_or_else(|| panic!("{}: {:?}", v.id, v.attribution_error));
        let file = read_json(&reference.artifact(&format!("artifacts/attribution/{}.json", v.variant.as_str())));
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

    let release = first.variants[2].post_opt.clone().unwrap();
    match python_gzip_len(&reference.artifact(&release.path)) {
        Some(n) => assert_eq!(release.gzip_bytes, n),
        None => assert!(std::env::var_os("CI").is_none(), "python3 is required on CI"),
    }
}

/// Editing a policy setting changes the build command, the artifact and its sha256; the
/// edited variant's builds and wasm-opt runs all happen (one job of a matrix: the release
/// variant alone).
#[test]
fn an_edited_policy_setting_changes_the_build_command_and_the_artifact() {
    let reference = shared::reference();
    let clean = reference.summary();
    let _turn = pipeline_lock();
    let out = scratch("opt-s");
    let partial = out.join("partial.json");
    let documents = wasmtime_documents();
    let job = ["perf", "--profile", "release", "--partial-out", partial.to_str().unwrap()];
    let policy = fixture("policy/release-opt-s.json");
    let o = crate::harness::measuring(
        &[&job[..], &["--policy", &policy], &documents.each_ref().map(String::as_str)].concat(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let edited: perf_core::run::Run = serde_json::from_value(read_json(&partial)).unwrap();
    let (edited_release, clean_release) = (&edited.variants[0], &clean.variants[2]);
    assert_eq!(edited_release.variant, VariantKind::Release);
    assert!(edited_release.commands[0].contains("'profile.perf-release.opt-level=\"s\"'"));
    let sha = |a: &Option<perf_core::run::ArtifactMeasurement>| a.as_ref().unwrap().sha256.clone();
    assert_ne!(sha(&edited_release.pre_opt), sha(&clean_release.pre_opt));
    assert_ne!(sha(&edited_release.post_opt), sha(&clean_release.post_opt));
    let steps = edited.pipeline.steps;
    assert_eq!((steps.cargo_builds, steps.wasm_opt_runs + steps.wasm_opt_cache_hits), (2, 2));
}

/// A variant that fails to build fails its required metrics closed; the others are still
/// measured, the summary is written, and the exit code says tool error.
#[test]
fn a_variant_that_fails_to_build_fails_closed_and_the_others_are_measured() {
    let _turn = pipeline_lock();
    let out = scratch("link-failure");
    let summary = out.join("summary.json");
    let documents = wasmtime_documents();
    let policy = ["--policy", &fixture("policy/release-link-failure.json")];
    let args = [&documents.each_ref().map(String::as_str)[..], &policy, &["--summary", summary.to_str().unwrap()]];
    let o = perf(&out, &args.concat());
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let stderr = text(&o.stderr);
    assert!(stderr.contains("release: cargo build of the release variant failed (exit status: 101)"), "{stderr}");
    let broken = read_summary(&summary);
    assert_eq!(broken.verdict, Status::Fail);
    for r in &broken.records {
        match (r.variant, static_metric(&r.metric_id)) {
            (VariantKind::Release, _) => {
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

/// The committed corpus's whole protocol (five seeds; 2,000 timed operations per seed, or up
/// to 20 cold starts, stopped at the first look when clear of the budgets) on every variant:
/// every runtime metric it feeds is measured, over every seed.
/// The one test that checks timings, with margins no machine misses: each is a plausible
/// number, none has to pass a budget. The run selects wasmtime, so the committed budgets'
/// browser metrics are left out, and gated elsewhere they count as not measured.
#[test]
fn the_full_protocol_measures_every_runtime_metric() {
    let _turn = pipeline_lock();
    let out = scratch("full-protocol");
    let summary = out.join("summary.json");
    let o = perf(&out, &["--corpus", ".github/wasm_benchmark_corpus.json", "--summary", summary.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let s = read_summary(&summary);
    every_runtime_figure_is_plausible(&s);
    browser_metrics_left_out_say_so(&s);
    gated_elsewhere_what_was_left_out_is_not_measured(&out, &summary, &s);
}

fn every_runtime_figure_is_plausible(s: &Summary) {
    for v in &s.variants {
        for run in &v.runtime.as_ref().unwrap().scenarios {
            assert_eq!(run.error, None, "{} {}", v.id, run.scenario);
            let timing = run.timing.as_ref().unwrap();
            let seeds: Vec<u64> = timing.seeds.iter().map(|x| x.seed).collect();
            assert_eq!(seeds, [11, 29, 42, 73, 101], "{} {}", v.id, run.scenario);
            // A cold start far below its steady budget (and with no baseline) stops at its
            // first look: 5 of the 20 cold starts a seed. Operations take every sample.
            let samples = match &run.export {
                Some(_) => 2000,
                None => {
                    let look = run.look.as_ref().unwrap_or_else(|| panic!("{} {}: no look", v.id, run.scenario));
                    assert_eq!((look.decision, look.stop, look.look, look.looks), (Standing::Below, true, 1, 3));
                    look.samples_per_seed
                }
            };
            assert_eq!(samples, if run.export.is_some() { 2000 } else { 5 }, "{} {}", v.id, run.scenario);
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

/// The browser metrics are left out and say so (required as they are); they are never
/// stood in for by wasmtime's figure.
fn browser_metrics_left_out_say_so(s: &Summary) {
    let left_out: Vec<_> = s.records.iter().filter(|r| browser_metric(&r.metric_id)).collect();
    assert_eq!(
        left_out.len(),
        3 * (3 + 16),
        "three cold-init metrics and the hosts' sixteen (time, bytes) per profile"
    );
    for r in left_out {
        // The hosts' metrics are not required: the hosts load release only.
        let required = !r.metric_id.starts_with("M-HOST-");
        assert_eq!((r.status, r.value, r.required), (Status::Skip, None, required), "{} {}", r.metric_id, r.profile);
        let reason = r.reason.as_deref().unwrap();
        assert!(reason.ends_with(" was left out: this run selected --engine wasmtime"), "{reason}");
    }
}

/// The summary, carried to another machine, gated there as figures measured elsewhere (the
/// contract's `--measurements artifacts/wasm_budget_summary.json`): the same values and
/// statuses, except that what this narrowed run left out counts as not measured, so the
/// required browser metrics fail there. A summary that does not say what it ran on is
/// refused.
fn gated_elsewhere_what_was_left_out_is_not_measured(out: &Path, summary: &Path, first: &Summary) {
    let regated = out.join("regated");
    let budgets = steady_budgets(".github/wasm_perf_budgets.json");
    let gate = |summary: &Path, required: &[&str]| {
        let mut args =
            vec!["--measurements", summary.to_str().unwrap(), "--profile", "core-min", "--budgets", &budgets];
        for id in required {
            args.extend(["--require-metric", id]);
        }
        gate_in(&regated, &args)
    };
    let o = gate(summary, &["M-PERF-01A", "M-PERF-01B"]);
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    let again = read_summary(&regated.join("summary.json"));
    let core_min = |s: &Summary| -> Vec<(String, Option<f64>, Status)> {
        let left_out_fails = |r: &perf_core::record::Record| match browser_metric(&r.metric_id) && r.required {
            true => Status::Fail,
            false => r.status,
        };
        let core_min = s.records.iter().filter(|r| r.profile == "core-min");
        core_min.map(|r| (r.metric_id.clone(), r.value, left_out_fails(r))).collect()
    };
    assert_eq!(core_min(&again), core_min(first));
    assert_eq!(again.commit, first.commit);
    let reason = record(&again, "core-min", "M-PERF-02A").reason.as_deref().unwrap();
    assert!(reason.starts_with("required metric not measured: ") && reason.contains("was left out"), "{reason}");
    let mut anonymous = read_json(summary);
    anonymous["provenance"]["rustc"] = "".into();
    let anonymous_path = out.join("anonymous.json");
    std::fs::write(&anonymous_path, serde_json::to_string(&anonymous).unwrap()).unwrap();
    let o = gate(&anonymous_path, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("anonymous.json: /provenance/rustc: must not be empty"), "{}", text(&o.stderr));
}

/// Two checkouts of the project sharing one `CARGO_TARGET_DIR` (worktrees under a global
/// target directory): each measures the artifact built from its own source. Cargo keys a
/// workspace member's build by its path within the workspace, so both checkouts' builds
/// share one unit, and a checkout whose sources are older than the other's build would be
/// called fresh and measured with the other's bytes. The target directory is new each time;
/// each checkout keeps its measurement caches between runs of the test (they are keyed by
/// the bytes measured).
#[test]
fn two_checkouts_sharing_a_target_dir_each_measure_their_own_source() {
    let _copies = copies_lock();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("two-checkouts");
    let (a, b, target) = (dir.join("a"), dir.join("b"), dir.join("shared-target"));
    let _ = std::fs::remove_dir_all(&target);
    support::copy_checkout_keeping_caches(&a);
    support::copy_checkout_keeping_caches(&b);
    let lib = b.join("crates/sample-kernel/src/lib.rs");
    let marked = std::fs::read_to_string(&lib).unwrap()
        + "\n/// Only checkout b has this.\n#[unsafe(no_mangle)]\npub extern \"C\" fn only_in_checkout_b() -> u32 {\n    0x0b0b_0b0b\n}\n";
    std::fs::write(&lib, marked).unwrap();
    // b's sources are older than a's build, as a sibling tree's often are.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    // Builds are the subject: documents that gate no browser.
    let documents = wasmtime_documents();
    let measure = |checkout: &Path| {
        let partial = checkout.join("partial.json");
        let partial_out = ["perf", "--profile", "release", "--partial-out", partial.to_str().unwrap()];
        let args = on_test_protocol(&[&partial_out[..], &documents.each_ref().map(String::as_str)].concat());
        let o = support::xtask_command()
            .args(&args)
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_MANIFEST_DIR", checkout.join("xtask"))
            .current_dir(checkout)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}: {}", checkout.display(), text(&o.stderr));
        let run: perf_core::run::Run = serde_json::from_value(read_json(&partial)).unwrap();
        run.variants[0].pre_opt.clone().unwrap()
    };
    let (built_a, built_b) = (measure(&a), measure(&b));
    let wasm_b = std::fs::read(b.join(&built_b.path)).unwrap();
    let names = perf_core::sections::exported_functions(&wasm_b).unwrap();
    assert!(names.iter().any(|n| n == "only_in_checkout_b"), "b measured a's build: {names:?}");
    assert_ne!(built_a.sha256, built_b.sha256);
    let _ = std::fs::remove_dir_all(&target);
}

/// `git args` in `repo`, its stdout trimmed; fixed dates, so the same commits every run and
/// the base's builds stay cached.
fn git_in(repo: &Path, args: &[&str]) -> String {
    let o = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"])
        .args(args)
        .envs([("GIT_AUTHOR_DATE", "2026-12-04T00:00:00Z"), ("GIT_COMMITTER_DATE", "2026-12-04T00:00:00Z")])
        .current_dir(repo)
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", text(&o.stderr));
    text(&o.stdout).trim().to_owned()
}

/// `--compare REF` in a scratch repository: REF is built from a worktree, what ships is
/// compared exactly and wasmtime's operations in alternation. An export and a slower
/// reserve+send added since REF (uncommitted) grow every variant's module, and M-PERF-04A is
/// regressed in every variant (exit 1); once committed, against itself, every size is the
/// same and no timing regressed; a REF that is not a commit exits 2 before anything is
/// built, naming it; a base that does not build warns: the head gates as measured.
#[test]
fn compare_builds_the_base_from_a_worktree_and_compares_what_ships_exactly() {
    let _copies = copies_lock();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("compare");
    let (checkout, target) = (dir.join("checkout"), dir.join("target"));
    support::copy_checkout_keeping_caches(&checkout);
    let git = |args: &[&str]| git_in(&checkout, args);
    git(&["init", "--quiet"]);
    git(&["add", "--all"]);
    git(&["commit", "--quiet", "-m", "base"]);
    let base = git(&["rev-parse", "HEAD"]);
    let lib = checkout.join("crates/sample-kernel/src/lib.rs");
    let added = std::fs::read_to_string(&lib).unwrap()
        + "\n/// Added since the base.\n#[unsafe(no_mangle)]\npub extern \"C\" fn added_since_base() -> u32 {\n    0x0add\n}\n";
    std::fs::write(
        &lib,
        added.replace("#[cfg(feature = \"slow-reserve-send\")]\npub mod slowdown;", "pub mod slowdown;"),
    )
    .unwrap();
    let exports = checkout.join("crates/sample-kernel/src/exports.rs");
    let spin = "#[cfg(feature = \"slow-reserve-send\")]\n        let v = crate::slowdown::spin(v);";
    let as_committed = std::fs::read_to_string(&exports).unwrap();
    assert!(as_committed.contains(spin), "the seeded slowdown moved");
    std::fs::write(&exports, as_committed.replace(spin, "let v = crate::slowdown::spin(v);")).unwrap();
    let documents = wasmtime_documents();
    let summary = dir.join("summary.json");
    let compare = |reference: &str| {
        let args = ["perf", "--compare", reference, "--summary", summary.to_str().unwrap(), "--baseline", "none.json"];
        let args = on_test_protocol(&[&args[..], &documents.each_ref().map(String::as_str)].concat());
        support::xtask_command()
            .args(&args)
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_MANIFEST_DIR", checkout.join("xtask"))
            .current_dir(&checkout)
            .output()
            .unwrap()
    };

    let o = compare("HEAD");
    assert_eq!(o.status.code(), Some(1), "the slower operation fails the run: {}", text(&o.stdout));
    let against = read_summary(&summary).against_base.expect("the summary compares with the base");
    let slower: Vec<(VariantKind, Option<Change>)> =
        against.timings.iter().filter(|t| t.metric_id == "M-PERF-04A").map(|t| (t.variant, t.change())).collect();
    let regressed = Some(Change::Regressed);
    assert_eq!(
        slower,
        [(VariantKind::Dev, regressed), (VariantKind::Canary, regressed), (VariantKind::Release, regressed)],
        "{}",
        text(&o.stdout)
    );
    assert_eq!((against.reference.as_str(), against.commit.as_str()), ("HEAD", base.as_str()));
    every_module_grew_by_code(&against);
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains("against HEAD (") && stdout.contains("exact figures that differ (sizes of what ships"),
        "{stdout}"
    );
    assert!(stdout.contains("timings against HEAD, sampled in alternation"), "{stdout}");
    assert!(against.timings.iter().all(|t| t.environment == "wasmtime"), "these documents run no browser");

    // The export stays, the slowdown goes: then against itself.
    std::fs::write(&exports, as_committed).unwrap();
    std::fs::write(&lib, &added).unwrap();
    git(&["commit", "--quiet", "--all", "-m", "head"]);
    let restored = restored_from_a_ci_cache(&checkout, &git(&["rev-parse", "HEAD"]));
    let o = compare("HEAD");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(restored.join("target/kept").exists() && restored.join("Cargo.toml").exists(), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("note: kept the base's builds in"), "{}", text(&o.stderr));
    let against = read_summary(&summary).against_base.unwrap();
    assert_eq!(against.changed().count(), 0, "A/A: the same sources give the same bytes: {:?}", against.exact);
    assert!(!against.timings.is_empty() && against.timings.iter().all(|t| t.error.is_none()));
    let alarms: Vec<_> = against.timings.iter().filter(|t| t.change() == Some(Change::Regressed)).collect();
    assert!(alarms.is_empty(), "A/A: no timing regressed: {alarms:?}");
    assert!(!against.exact.is_empty());
    assert!(text(&o.stdout).contains("every exact figure is the same"), "{}", text(&o.stdout));

    let o = compare("no-such-ref");
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--compare no-such-ref: not a commit"), "{}", text(&o.stderr));

    // A base that does not build: a warning (the head gates as measured), no base figures.
    let good = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, format!("{good}\nfn broken_since_base( {{\n")).unwrap();
    git(&["commit", "--quiet", "--all", "-m", "broken"]);
    std::fs::write(&lib, good).unwrap();
    let _ = std::fs::remove_file(&summary);
    let o = compare("HEAD");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("warning: --compare HEAD: the base's build failed"), "{}", text(&o.stderr));
    let read = read_summary(&summary);
    assert_eq!(read.verdict, Status::Warn, "nothing compared is a warning");
    let against = read.against_base.unwrap();
    assert!(against.timings.iter().all(|t| t.base_missing.is_some() && t.error.is_none()), "{:?}", against.timings);
    assert!(against.exact.iter().all(|s| s.base.is_none() && s.head.is_some()), "{:?}", against.exact);
}

/// Every variant's module grew against the base, and its data section did not: an export
/// is code (the compressed sizes may go either way). The spin loop in reserve+send costs
/// fuel, compared exactly too.
fn every_module_grew_by_code(against: &AgainstBase) {
    let fuel_grew =
        |v: VariantKind| against.exact.iter().any(|s| s.variant == v && s.metric_id == "M-FUEL-04A" && s.head > s.base);
    let spun = [VariantKind::Dev, VariantKind::Canary, VariantKind::Release].map(fuel_grew);
    assert_eq!(spun, [true; 3], "the spin loop's fuel, exactly: {:?}", against.exact);
    let grew: Vec<(VariantKind, &str)> = against
        .exact
        .iter()
        .filter(|s| s.head.zip(s.base).is_some_and(|(h, b)| h > b))
        .map(|s| (s.variant, s.metric_id.as_str()))
        .collect();
    for variant in [VariantKind::Dev, VariantKind::Canary, VariantKind::Release] {
        assert!(grew.contains(&(variant, "M-PERF-01A")), "{variant:?}'s module grew by the export: {grew:?}");
    }
    let data = against.exact.iter().filter(|s| s.metric_id == "M-SIZE-02B");
    assert!(data.clone().count() == 3 && data.clone().all(|s| s.base == s.head), "{:?}", against.exact);
}

/// The base's checkout of `commit` as a CI cache restores it: without the git metadata it
/// had on another runner, with its target directory (holding a file `kept`).
fn restored_from_a_ci_cache(checkout: &Path, commit: &str) -> PathBuf {
    let restored = checkout.join("artifacts/compare").join(commit);
    std::fs::create_dir_all(restored.join("target")).unwrap();
    std::fs::write(restored.join(".git"), "gitdir: /nonexistent/.git/worktrees/gone\n").unwrap();
    std::fs::write(restored.join("target/kept"), "").unwrap();
    restored
}

/// `--scenario ID --seed N` (each scenario's `repro`) runs that scenario alone on that seed,
/// with the same fuel as the full run's figures for the seed, and leaves the warn streaks
/// alone.
#[test]
fn a_scenario_is_reproduced_alone_with_the_fuel_of_the_full_run() {
    let reference = shared::reference();
    let full = reference.summary();
    let _turn = pipeline_lock();
    let out = scratch("repro");
    let summary = out.join("summary.json");
    let documents = wasmtime_documents();
    let alone = ["--scenario", "WB-CHAN-01", "--seed", "42", "--summary", summary.to_str().unwrap()];
    let o = perf(&out, &[&documents.each_ref().map(String::as_str)[..], &alone].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let alone = read_summary(&summary);
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
    let (reserve, alloc) = (record(&alone, "core-min", "M-PERF-04A"), record(&alone, "core-min", "M-PERF-04B"));
    assert_eq!((reserve.status, reserve.seed_set.as_slice()), (Status::Pass, &[42][..]));
    assert_eq!(alloc.status, Status::Skip);
    let reason = alloc.reason.as_deref().unwrap();
    assert!(reason.ends_with("(this run selected --scenario WB-CHAN-01 --seed 42)"), "{reason}");
}

/// A scenario the corpus lacks is refused. A corpus naming an export the module lacks is
/// bad input: exit 2, after a summary whose metric fails with the scenario and the cause.
#[test]
fn a_missing_scenario_or_export_exits_2() {
    let _turn = pipeline_lock();
    let out = scratch("missing-export");
    let summary = out.join("summary.json");
    let nope = out.join("nope.json");
    let o = perf(&out, &["--scenario", "WB-NOPE-01", "--summary", nope.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = text(&o.stderr);
    assert!(stderr.contains("/scenarios: no scenario WB-NOPE-01 (scenarios: WB-COLD-01, "), "{stderr}");

    let missing = fixture("corpus/missing-export.json");
    let o = perf(&out, &["--corpus", &missing, "--summary", summary.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    let stderr = text(&o.stderr);
    assert!(
        stderr.contains("release WB-CHAN-01: the module does not export the function channel_send_only_setup"),
        "{stderr}"
    );
    let r = record(&read_summary(&summary), "core-min", "M-FUEL-04A").clone();
    assert_eq!(r.status, Status::Fail);
    assert_eq!(
        r.reason.as_deref(),
        Some("scenario WB-CHAN-01 failed: the module does not export the function channel_send_only_setup")
    );
}
