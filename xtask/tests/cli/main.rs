//! Runs the real `xtask` binary, a module per command: broken inputs give exit 2 and a
//! message naming the file, the JSON pointer and what was expected; the whole pipeline runs
//! end to end on the sample kernel, on the tests' protocol (`support`).
//!
//! One test binary, so the measuring runs several tests assert on are made once
//! (`shared.rs`); a property about the gate's rules is shown on documents gated with
//! `cargo xtask gate --measurements` (no build), a property about measuring on a real run.

// Test helpers panic on a broken fixture or environment, like the tests they serve.
#![allow(clippy::unwrap_used)]

#[path = "../support/mod.rs"]
mod support;

mod harness;
mod shared;

mod baseline;
mod browsers;
mod change_control;
mod corpus;
mod gate;
mod init;
mod inputs;
mod matrix;
mod perf;
mod rebaseline;
mod report;
mod subjects;
