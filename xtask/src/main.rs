//! `cargo xtask`: the driver of the wasm performance-budget gate.
//!
//! It builds the gated package once per variant as `.github/wasm_optimization_policy.json`
//! declares, runs wasm-opt in-process, measures the artifacts and gates them against
//! `.github/wasm_perf_budgets.json`. Deciding happens in `perf-core`; this crate does the
//! processes, files and compression.
//!
//! Exit codes: 0 pass or warn, 1 a budget failed, 2 bad input or a tool error.

mod atomic_write;
mod attribution;
mod bidi;
mod bindgen;
mod browser_chromium;
mod browser_firefox;
mod browser_probe;
mod browser_process;
mod browser_runner;
mod browser_session;
mod browser_support;
mod canary_module;
mod cdp;
mod corpus_check;
mod flags;
mod gate;
mod init;
mod inputs;
mod install_consent;
mod leb128;
mod loopback;
mod measure;
mod measured_elsewhere;
mod merge;
mod optimize;
mod outputs;
mod perf;
mod pipeline;
mod policy_check;
mod rebaseline;
mod remote_protocol;
mod runner;
mod summary_schema;
mod table;
mod timing_lock;
mod toolchain;

#[cfg(test)]
mod tidy;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use perf_core::status::Status;

fn main() -> ExitCode {
    let cli = flags::Cli::parse();
    match run(cli) {
        Ok(Status::Pass | Status::Warn | Status::Skip) => ExitCode::SUCCESS,
        Ok(Status::Fail) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: flags::Cli) -> anyhow::Result<Status> {
    let sh = xshell::Shell::new()?;
    sh.change_dir(project_root());
    match cli.command {
        flags::Command::Perf(cmd) => (*cmd).run(&sh),
        flags::Command::Policy(flags::PolicyCommand::Check(cmd)) => cmd.run(&sh),
        flags::Command::Rebaseline(cmd) => cmd.run(&sh),
        flags::Command::Corpus(flags::CorpusCommand::Check(cmd)) => cmd.run(&sh),
        flags::Command::Gate(cmd) if cmd.merge.is_empty() => measured_elsewhere::run(*cmd, &sh),
        flags::Command::Gate(cmd) => (*cmd).run(&sh),
        flags::Command::Init(cmd) => cmd.run(&sh),
    }
}

/// The workspace root: tasks run from there whatever the caller's directory. `cargo run`
/// (the `xtask` alias) names xtask's manifest directory at run time, so a binary built in
/// one checkout serves the checkout cargo ran it from; run directly, it serves its own.
pub(crate) fn project_root() -> PathBuf {
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir.parent().map(Path::to_path_buf).unwrap_or_default()
}
