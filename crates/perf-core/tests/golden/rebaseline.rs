//! Golden and behaviour tests of `rebaseline`: the text it writes is compared with files in
//! `expected/`, and everything it must not touch is checked byte for byte.

use std::collections::BTreeMap;

use perf_core::attribution::NamedSize;
use perf_core::baseline::{Baseline, BaselineProvenance, BaselineStatus};
use perf_core::policy::VariantKind;
use perf_core::rebaseline::{Fresh, Options, RebaselineError, TEMPLATE, rebaseline, review_table};
use perf_core::unit::Unit;

fn provenance(commit: &str) -> BaselineProvenance {
    BaselineProvenance {
        commit: commit.into(),
        rustc: "rustc 1.95.0 (59807616e 2026-04-14)\nrelease: 1.95.0\n".into(),
        binaryen: "116".into(),
        policy_sha256: "ab".repeat(32),
        host: "x86_64-unknown-linux-gnu".into(),
        runner: Some("ubuntu22 20241201.1.0".into()),
        wasm_bindgen: Some("0.2.129".into()),
        browsers: BTreeMap::from([("desktop-chromium".into(), "Chromium 156".into())]),
    }
}

fn fresh(metric_id: &str, unit: Unit, values: &[f64]) -> Fresh {
    Fresh {
        profile: "core-min".into(),
        metric_id: metric_id.into(),
        unit,
        values: values.to_vec(),
        required: unit == Unit::Bytes,
    }
}

const PLAIN: Options = Options { prune: false, activate: false, deterministic_only: false };

fn first_run() -> Vec<Fresh> {
    vec![
        fresh("M-PERF-01A", Unit::Bytes, &[25423.0]),
        fresh("M-PERF-01B", Unit::Bytes, &[11869.0]),
        fresh("M-PERF-04A", Unit::Micros, &[0.91, 0.87, 0.95]),
        fresh("M-PERF-02B", Unit::Millis, &[]),
    ]
}

#[test]
fn a_new_baseline_from_the_template_is_scaffold_and_idempotent() {
    let out = rebaseline("b.json", TEMPLATE, &first_run(), &BTreeMap::new(), &provenance("c1"), PLAIN).unwrap();
    assert_eq!(out.status, BaselineStatus::Scaffold);
    crate::check("rebaseline_new.json", &out.text);
    crate::check("rebaseline_new_review.md", &review_table(&out.rows, out.status));
    let again = rebaseline("b.json", &out.text, &first_run(), &BTreeMap::new(), &provenance("c1"), PLAIN).unwrap();
    assert_eq!(again.text, out.text, "same run, same bytes");
    assert!(review_table(&again.rows, again.status).contains("no material change"));
}

#[test]
fn only_measured_values_and_provenance_change() {
    let base = rebaseline("b.json", TEMPLATE, &first_run(), &BTreeMap::new(), &provenance("c1"), PLAIN).unwrap().text;
    // A reviewer's edits: a note, a tolerance spelled 1.20, and an override.
    let reviewed = base
        .replace("\"relative_pct\": 1.0, \"absolute\": 512", "\"relative_pct\": 1.20, \"absolute\": 512")
        .replace("\"overrides\": {}", "\"overrides\": {\"M-PERF-01B\": {\"relative_pct\": 0.50, \"absolute\": 64}}")
        .replace("  \"toolchain_drift\"", "  \"_reviewed_by\": \"someone\",\n  \"toolchain_drift\"");
    let mut run = first_run();
    run[0].values = vec![25500.0];
    let out = rebaseline("b.json", &reviewed, &run, &BTreeMap::new(), &provenance("c2"), PLAIN).unwrap();
    let expected =
        reviewed.replace("\"value\": 25423", "\"value\": 25500").replace("\"commit\": \"c1\"", "\"commit\": \"c2\"");
    assert_eq!(out.text, expected);
    let row = out.rows.iter().find(|r| r.metric_id == "M-PERF-01A").unwrap();
    assert_eq!(row.change.as_str(), "within tolerance");
}

#[test]
fn new_metrics_are_appended_and_baseline_only_ones_kept_or_pruned() {
    let base = rebaseline("b.json", TEMPLATE, &first_run(), &BTreeMap::new(), &provenance("c1"), PLAIN).unwrap().text;
    let mut run = first_run();
    run.remove(1);
    run.push(fresh("M-PERF-01C", Unit::Bytes, &[10393.0]));
    let kept = rebaseline("b.json", &base, &run, &BTreeMap::new(), &provenance("c1"), PLAIN).unwrap();
    let order: Vec<String> = serde_json::from_str::<serde_json::Value>(&kept.text).unwrap()["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["metric_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(order, ["M-PERF-01A", "M-PERF-01B", "M-PERF-04A", "M-PERF-02B", "M-PERF-01C"]);
    assert!(kept.rows.iter().any(|r| r.metric_id == "M-PERF-01B" && r.change.as_str().starts_with("kept")));
    let pruned =
        rebaseline("b.json", &base, &run, &BTreeMap::new(), &provenance("c1"), Options { prune: true, ..PLAIN })
            .unwrap();
    assert!(!pruned.text.contains("M-PERF-01B"));
    assert!(pruned.rows.iter().any(|r| r.metric_id == "M-PERF-01B" && r.change.as_str() == "removed"));
}

#[test]
fn activation_refuses_null_enforced_metrics_and_otherwise_flips_status() {
    let mut run = first_run();
    run[1].values.clear();
    let base = rebaseline("b.json", TEMPLATE, &run, &BTreeMap::new(), &provenance("c1"), PLAIN).unwrap().text;
    let err =
        rebaseline("b.json", &base, &run, &BTreeMap::new(), &provenance("c1"), Options { activate: true, ..PLAIN })
            .unwrap_err();
    assert_eq!(
        err,
        RebaselineError::NullOnActivate { file: "b.json".into(), metrics: vec!["core-min / M-PERF-01B".into()] }
    );
    let out = rebaseline(
        "b.json",
        &base,
        &first_run(),
        &BTreeMap::new(),
        &provenance("c1"),
        Options { activate: true, ..PLAIN },
    )
    .unwrap();
    assert_eq!(out.status, BaselineStatus::Active);
    assert!(out.text.contains("\"status\": \"active\""));
    let plain = rebaseline("b.json", &out.text, &first_run(), &BTreeMap::new(), &provenance("c1"), PLAIN).unwrap();
    assert_eq!(plain.status, BaselineStatus::Active, "rebaseline never changes the status by itself");
}

#[test]
fn deterministic_only_touches_sizes_and_nothing_else() {
    let base = rebaseline("b.json", TEMPLATE, &first_run(), &BTreeMap::new(), &provenance("c1"), PLAIN).unwrap().text;
    let mut run = first_run();
    run[2].values = vec![5.0];
    let check = Options { deterministic_only: true, ..PLAIN };
    assert_eq!(
        rebaseline("b.json", &base, &run, &BTreeMap::new(), &provenance("c9"), check).unwrap().text,
        base,
        "timings and provenance ignored"
    );
    run[0].values = vec![30000.0];
    assert_ne!(rebaseline("b.json", &base, &run, &BTreeMap::new(), &provenance("c9"), check).unwrap().text, base);
}

#[test]
fn attribution_items_are_written_whole_and_replaced_whole() {
    let items = |bytes: u64| {
        let list = vec![
            NamedSize { name: "sample_kernel::a::h0123456789abcdef".into(), bytes },
            NamedSize { name: "data segment \".rodata\"".into(), bytes: 40 },
        ];
        BTreeMap::from([(VariantKind::Release, list.clone()), (VariantKind::Dev, list)])
    };
    let base = rebaseline("b.json", TEMPLATE, &first_run(), &BTreeMap::new(), &provenance("c1"), PLAIN).unwrap().text;
    let with = rebaseline("b.json", &base, &first_run(), &items(100), &provenance("c1"), PLAIN).unwrap().text;
    assert!(with.starts_with(base.trim_end().trim_end_matches('}').trim_end()), "appended after the last member");
    assert!(with.contains(
        "\n    \"release\": [\n      { \"name\": \"sample_kernel::a::h0123456789abcdef\", \"bytes\": 100 },\n"
    ));
    assert_eq!(Baseline::parse("b.json", &with).unwrap().items, items(100));
    let again = rebaseline("b.json", &with, &first_run(), &items(100), &provenance("c1"), PLAIN).unwrap().text;
    assert_eq!(again, with, "the same items: the same bytes");
    let grown = rebaseline("b.json", &with, &first_run(), &items(120), &provenance("c1"), PLAIN).unwrap().text;
    assert_eq!(Baseline::parse("b.json", &grown).unwrap().items, items(120));
    assert_eq!(grown.replace("\"bytes\": 120", "\"bytes\": 100"), with, "only the items changed");
    let kept = rebaseline("b.json", &with, &first_run(), &BTreeMap::new(), &provenance("c1"), PLAIN).unwrap().text;
    assert_eq!(kept, with, "a run without attributions leaves the items alone");
    let release_only = BTreeMap::from([(VariantKind::Release, items(120)[&VariantKind::Release].clone())]);
    let partly = rebaseline("b.json", &with, &first_run(), &release_only, &provenance("c1"), PLAIN).unwrap().text;
    let read = Baseline::parse("b.json", &partly).unwrap().items;
    assert_eq!(
        (read[&VariantKind::Release][0].bytes, read[&VariantKind::Dev][0].bytes),
        (120, 100),
        "dev keeps its list"
    );
}
