//! `cargo xtask corpus check`: the corpus against the modules `perf` built (the shared
//! reference run's): every named export exists in every variant it runs on, after LTO and
//! wasm-opt; a missing export and a corpus without a cold start are refused.

use std::path::Path;

use crate::harness::{both, read_json, text};
use crate::shared;

fn status(dir: &Path, name: &str) -> serde_json::Value {
    read_json(&dir.join(format!("corpus-{name}.json")))["status"].clone()
}

#[test]
fn corpus_check_against_the_built_modules() {
    let reference = shared::reference();
    assert_eq!(reference.perf.status.code(), Some(0), "the modules are built: {}", both(&reference.perf));
    let checks = &reference.corpus;
    let o = &checks.committed;
    assert_eq!(o.status.code(), Some(0), "{}", both(o));
    assert!(text(&o.stdout).contains("self-test: all 12 broken corpora rejected"), "{}", text(&o.stdout));
    assert_eq!(status(&reference.dir, "committed"), "valid");

    let o = &checks.missing_export;
    assert_eq!(
        (o.status.code(), text(&o.stderr)),
        (
            Some(2),
            "error: xtask/tests/fixtures/corpus/missing-export.json: /scenarios/1/export: the dev module does not export \
             channel_send_only_setup, channel_send_only_op, channel_send_only_teardown\n"
                .to_owned()
        )
    );
    assert_eq!(status(&reference.dir, "missing-export"), "invalid", "the summary says why");

    let o = &checks.no_cold_start;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("/scenarios: no scenario covers the required workload cold-start"),
        "{}",
        text(&o.stderr)
    );
    let o = &checks.no_cold_start_one_scenario;
    assert_eq!(o.status.code(), Some(0), "checking one scenario does not apply whole-corpus coverage: {}", both(o));
}
