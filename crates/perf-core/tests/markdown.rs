//! Golden test of the Markdown report: a real summary and gate report (the sample kernel's
//! slowed reserve+send against an active baseline, trimmed to one seed per figure) rendered
//! and compared with `tests/golden/step_summary_slowed.md` (regenerate with
//! `UPDATE_GOLDEN=1 cargo test -p perf-core`, then review the diff).

#![allow(clippy::unwrap_used)]

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
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/step_summary_slowed.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(expected == actual, "{} differs; rerun with UPDATE_GOLDEN=1 and review:\n{actual}", path.display());
    assert!(actual.starts_with("## wasm budget gate: ❌ fail\n"));
    assert!(actual.contains("| M-FUEL-04A | fuel | 39,152 | 1,000,000,000 | 100% | +16923% | **fail** |"), "{actual}");
    assert!(actual.contains("| M-PERF-02B | ms | - | 160 | - | - | skip |"), "{actual}");
}
