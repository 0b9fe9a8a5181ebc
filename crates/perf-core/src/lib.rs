//! The pure logic of the wasm budget gate: the optimization policy, the budgets, the wasm
//! section breakdown, budget evaluation and the summary, and the baseline, regression and
//! warn-streak rules of the gate.
//!
//! **Architecture Invariant:** this crate does no process, file, network, environment or
//! clock IO. It takes bytes, parsed documents and measured numbers, and returns values;
//! `xtask` does the doing. Every rule here is therefore testable with plain data.

pub mod attribution;
pub mod baseline;
pub mod browser;
pub mod browser_sampling;
pub mod browser_schedule;
pub mod budget;
pub mod conclude;
pub mod corpus;
pub mod digest;
pub mod display;
pub mod document;
pub mod gate;
pub mod html;
pub mod json_text;
pub mod markdown;
pub mod measurements;
pub mod onboarding;
pub mod partial;
pub mod pipeline;
pub mod plan;
pub mod policy;
pub mod ratchet;
pub mod rebaseline;
pub mod record;
pub mod regression;
pub mod run;
pub mod runtime;
pub mod scorecard;
pub mod sections;
pub mod self_test;
pub mod shell;
pub mod stats;
pub mod status;
pub mod streak;
pub mod summary;
pub mod unit;
pub mod warn_issue;

pub use document::{DocumentError, parse_document};
