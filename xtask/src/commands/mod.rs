//! Commands: one module per `cargo xtask` command, each implementing its flag type from
//! `flags` (`impl flags::Perf { fn run }`). A command reads its inputs, drives the plumbing
//! and returns the verdict; it may import every layer below, never another command.

pub(crate) mod corpus_check;
pub(crate) mod flags;
pub(crate) mod init;
pub(crate) mod measured_elsewhere;
pub(crate) mod merge;
pub(crate) mod perf;
pub(crate) mod policy_check;
pub(crate) mod rebaseline;
pub(crate) mod subjects;
