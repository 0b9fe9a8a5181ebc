//! The Markdown report of a real summary and gate report (the sample kernel's slowed
//! reserve+send against an active baseline, trimmed to one seed per figure), compared with
//! `expected/step_summary_slowed.md`.

use std::path::Path;

use perf_core::gate::GateReport;
use perf_core::summary::Summary;

fn fixture<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn the_report_of_a_failing_run_names_every_finding_and_skip() {
    let summary: Summary = fixture("summary_slowed.json");
    let gate: GateReport = fixture("report_slowed.json");
    let actual = perf_core::markdown::report(&summary, &gate);
    crate::check("step_summary_slowed.md", &actual);
    assert!(actual.starts_with("## wasm budget gate: ❌ fail\n"));
    assert!(actual.contains("| M-FUEL-04A | fuel | 39,152 | 1,000,000,000 | 100% | +16923% | **fail** |"), "{actual}");
    assert!(actual.contains("| M-PERF-02B | ms | - | 160 | - | - | skip |"), "{actual}");
}

/// A run with `--compare`: the report says what differs from the base, size by size, and
/// each paired timing's outcome (a regressed one in bold, one not compared with its reason);
/// the section is compared with `expected/against_base_section.md`.
#[test]
fn the_report_of_a_compared_run_shows_what_differs_from_the_base() {
    let mut summary: serde_json::Value = fixture("summary_slowed.json");
    let size = |metric: &str, base: f64, head: f64| {
        serde_json::json!({"profile": "core-min", "variant": "release", "metric_id": metric, "unit": "bytes",
                           "base": base, "head": head})
    };
    let look = |decision: &str, value: f64, low: f64, high: f64, n: usize| {
        serde_json::json!({"decision": decision, "stop": true, "look": 1, "looks": 3, "samples_per_seed": n,
                           "value": value, "low": low, "high": high})
    };
    summary["against_base"] = serde_json::json!({
        "reference": "HEAD~1",
        "commit": "0123456789abcdef0123456789abcdef01234567",
        "exact": [size("M-PERF-01A", 22273.0, 22297.0), size("M-SIZE-02B", 1851.0, 1851.0)],
        "timings": [
            {"profile": "core-min", "variant": "release", "metric_id": "M-PERF-04A", "environment": "wasmtime",
             "scenario": "WB-CHAN-01", "unit": "us", "base": 0.15, "head": 0.3, "look": look("regressed", 2.0, 1.8, 2.2, 500),
             "error": null},
            {"profile": "core-min", "variant": "release", "metric_id": "M-PERF-02A", "environment": "desktop-chromium",
             "unit": "ms", "base": 12.7, "head": 12.9, "look": look("undecided", 1.016, 0.61, 1.55, 20), "error": null},
            {"profile": "core-min", "variant": "release", "metric_id": "M-FIREFOX-02A", "environment": "desktop-firefox",
             "unit": "ms", "base": null, "head": null, "look": null, "error": "the browser exited | before it listened"}
        ]
    });
    let summary: Summary = serde_json::from_value(summary).unwrap();
    let gate: GateReport = fixture("report_slowed.json");
    let actual = perf_core::markdown::report(&summary, &gate);
    let start = actual.find("### Against HEAD~1").expect("a section against the base");
    let section = &actual[start..];
    let section = &section[..section[1..].find("\n### ").map_or(section.len(), |end| end + 2)];
    crate::check("against_base_section.md", section);
    assert!(
        section.contains("| M-PERF-04A | release | wasmtime | 2.000 | [1.800, 2.200] | **regressed** |"),
        "{section}"
    );
}
