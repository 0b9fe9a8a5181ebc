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
