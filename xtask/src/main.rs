//! `cargo xtask`: the driver of the wasm performance-budget gate.
//!
//! It builds the gated package once per variant as `.github/wasm_optimization_policy.json`
//! declares, runs wasm-opt in-process, measures the artifacts and gates them against
//! `.github/wasm_perf_budgets.json`. Deciding happens in `perf-core`; this crate does the
//! processes, files and compression.
//!
//! Exit codes: 0 pass or warn, 1 a budget failed, 2 bad input or a tool error.

//! **Architecture Invariant:** the modules stand in layers, one folder each, and a module
//! imports only its own layer and those below it: this face (parsing the command line,
//! exit codes) → `commands` → `plumbing` → the tools (`build`, `wasmtime`, `browser`) →
//! `machine`. The tidy test `layers_import_only_downward` keeps it. Every module is
//! re-exported here (`crate::pipeline`), so a path names the concept, the folder its layer.

mod browser;
mod build;
mod commands;
mod host;
mod machine;
mod plumbing;
mod wasmtime;

use browser::{
    bidi, browser_chromium, browser_firefox, browser_probe, browser_process, browser_runner, browser_session,
    browser_support, cdp, loopback, remote_protocol,
};
use build::{attribution, bindgen, canary_module, leb128, measure, optimize};
use commands::{flags, measured_elsewhere};
use host::{host_app, host_build, host_pkg, host_site};
use machine::{atomic_write, install_consent, timing_lock, toolchain, workspace::project_root, worktree};
use plumbing::{gate, inputs, outputs, pipeline, settings, subject_dirs, summary_schema};
use wasmtime::runner;

use std::process::ExitCode;

use clap::{ArgMatches, CommandFactory, FromArgMatches};
use perf_core::status::Status;

use crate::flags::ForSubject;

fn main() -> ExitCode {
    let matches = flags::Cli::command().get_matches();
    let cli = flags::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // The command's own flags: whether a path was given or left at its default.
    let mut leaf = &matches;
    while let Some((_, sub)) = leaf.subcommand() {
        leaf = sub;
    }
    match run(cli, leaf) {
        Ok(Status::Pass | Status::Warn | Status::Skip) => ExitCode::SUCCESS,
        Ok(Status::Fail) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: flags::Cli, matches: &ArgMatches) -> anyhow::Result<Status> {
    let sh = xshell::Shell::new()?;
    let root = project_root();
    sh.change_dir(&root);
    let subject = |named: &Option<_>| subject_dirs::chosen(&root, named.as_ref());
    match cli.command {
        flags::Command::Perf(cmd) if cmd.all_subjects => (*cmd).run_every_subject(&sh, matches),
        flags::Command::Perf(mut cmd) => {
            let chosen = subject(&cmd.inputs.subject)?;
            cmd.for_subject(&chosen, matches);
            (*cmd).run(&sh)
        }
        flags::Command::Policy(flags::PolicyCommand::Check(mut cmd)) => {
            let chosen = subject(&cmd.inputs.subject)?;
            cmd.for_subject(&chosen, matches);
            cmd.run(&sh)
        }
        flags::Command::Rebaseline(mut cmd) => {
            let chosen = subject(&cmd.inputs.subject)?;
            cmd.for_subject(&chosen, matches);
            cmd.run(&sh)
        }
        flags::Command::Corpus(flags::CorpusCommand::Check(mut cmd)) => {
            let chosen = subject(&cmd.inputs.subject)?;
            cmd.for_subject(&chosen, matches);
            cmd.run(&sh)
        }
        flags::Command::Gate(mut cmd) => {
            let chosen = subject(&cmd.inputs.subject)?;
            cmd.for_subject(&chosen, matches);
            if cmd.merge.is_empty() { measured_elsewhere::run(*cmd, &sh) } else { (*cmd).run(&sh) }
        }
        flags::Command::Init(cmd) => cmd.run(&sh),
        flags::Command::Subjects(cmd) => cmd.run(&sh),
    }
}
