//! Leaves: the vocabulary every layer speaks (statuses, units, digests, statistics and
//! sequential decisions, number formatting, JSON documents and their errors, wasm sections,
//! shell words). A leaf imports no other module of this crate but leaves.

pub mod digest;
pub mod display;
pub mod document;
pub mod json_text;
pub mod sections;
pub mod self_test;
pub mod sequential;
pub mod shell;
pub mod stats;
pub mod status;
pub mod unit;
pub mod warn_issue;
