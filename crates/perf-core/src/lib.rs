//! The pure logic of the wasm budget gate: the optimization policy, the budgets, the wasm
//! section breakdown, budget evaluation and the summary, and the baseline, regression and
//! warn-streak rules of the gate.
//!
//! **Architecture Invariant:** this crate does no process, file, network, environment or
//! clock IO. It takes bytes, parsed documents and measured numbers, and returns values;
//! `xtask` does the doing. Every rule here is therefore testable with plain data.
//!
//! **Architecture Invariant:** the modules stand in five layers, one folder each, and a
//! module imports only its own layer and those before it: leaves → documents → measured →
//! decide → views. The tidy test `layers_import_only_downward` keeps it. Every module is
//! re-exported at the root (`perf_core::gate`), so a path names the concept, the folder its
//! layer.

mod decide;
mod documents;
mod leaves;
mod measured;
mod views;

pub use decide::{
    against_base, change_control, conclude, gate, measurements, onboarding, ratchet, rebaseline, record, regression,
    summary,
};
pub use documents::{budget, codeowners, corpus, host, plan, policy, streak, subject};
pub use leaves::{
    digest, display, document, json_text, sections, self_test, sequential, shell, stats, status, unit, warn_issue,
};
pub use measured::{
    attribution, baseline, browser, browser_pairing, browser_sampling, browser_schedule, early_stop, host_run, partial,
    pipeline, run, runtime,
};
pub use views::{host_grid, html, markdown, scorecard, table};

pub use document::{DocumentError, parse_document};
