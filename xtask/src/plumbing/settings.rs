//! The settings the measuring commands share: the input documents, how the runtime runs and
//! on which engines, where the gate keeps its state and what a run writes. Declared once with
//! their command-line spelling (the doc comments are the `--help` text); the commands'
//! flags flatten them, and the plumbing reads them without knowing the command line.

use std::path::PathBuf;

use clap::Args;
use perf_core::corpus::BrowserKind;
use perf_core::subject::Subject;

/// The committed input documents, relative to the workspace root.
pub const DEFAULT_POLICY: &str = ".github/wasm_optimization_policy.json";
pub const DEFAULT_BUDGETS: &str = ".github/wasm_perf_budgets.json";
pub const DEFAULT_CORPUS: &str = ".github/wasm_benchmark_corpus.json";
pub const DEFAULT_BASELINE: &str = "baselines/baseline_latest.json";

/// `--subject`'s value: a name a subject can have (whether the repository has it is checked
/// once the command runs, `subject_dirs::chosen`).
fn subject_name(name: &str) -> Result<Subject, String> {
    Subject::named(name).map_err(|e| e.to_string())
}

/// The two input documents every command reads, and the subject they belong to.
#[derive(Debug, Clone, Args)]
pub struct Inputs {
    /// The subject to work on: its documents in .github/NAME/, its baseline in
    /// baselines/NAME/ and its outputs in artifacts/NAME/, under the file names the path
    /// flags default to (a path flag given explicitly wins). Default: the subject whose
    /// documents are in .github/ itself. `cargo xtask subjects` lists them.
    #[arg(long, value_name = "NAME", value_parser = subject_name)]
    pub subject: Option<Subject>,
    /// The optimization policy: how each variant is built.
    #[arg(long, default_value = DEFAULT_POLICY)]
    pub policy: PathBuf,
    /// The budgets: metrics, units and thresholds per budget profile.
    #[arg(long, default_value = DEFAULT_BUDGETS)]
    pub budgets: PathBuf,
    /// Gate this workspace package (a cdylib) instead of the policy's `package`.
    #[arg(long)]
    pub package: Option<String>,
}

/// Where the gate keeps its state and writes its findings.
#[derive(Debug, Clone, Args)]
pub struct GateArgs {
    /// The committed baseline to compare with; when the file does not exist the regression
    /// rule does not run, and the output says so.
    #[arg(long, default_value = DEFAULT_BASELINE)]
    pub baseline: PathBuf,
    /// The warn-then-block streak state (read, then rewritten); a missing file means every
    /// streak starts at zero.
    #[arg(long, default_value = "artifacts/wasm_perf_warn_streaks.json")]
    pub state: PathBuf,
    /// The branch whose streaks count. Default: GITHUB_HEAD_REF, else GITHUB_REF_NAME, else
    /// the checked-out git branch.
    #[arg(long)]
    pub branch: Option<String>,
    /// A branch seen for the first time starts from this branch's streaks. Default:
    /// GITHUB_BASE_REF (the target of a pull request).
    #[arg(long)]
    pub base_branch: Option<String>,
    /// The gate report.
    #[arg(long, default_value = "artifacts/wasm_perf_regression_report.json")]
    pub report: PathBuf,
    /// The append-only event log, one JSON line per check.
    #[arg(long, default_value = "artifacts/wasm_perf_gate_events.ndjson")]
    pub events: PathBuf,
    /// Identifies this run in the report and the events. Default: GITHUB_RUN_ID and
    /// GITHUB_RUN_ATTEMPT, else the time and process id.
    #[arg(long)]
    pub run_id: Option<String>,
}

/// How the runtime scenarios run.
#[derive(Debug, Clone, Args)]
pub struct RuntimeArgs {
    /// The benchmark corpus: the scenarios, the protocol and the limits.
    #[arg(long, default_value = DEFAULT_CORPUS)]
    pub corpus: PathBuf,
    /// Refuse (exit 2) instead of waiting when another measuring run on this machine is in
    /// its timed phase. Two runs never time at once: the second waits for the first, and
    /// says so.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// wasmtime, embedded (Cranelift; nothing to install): the scenarios, fuel, heap and
    /// wasmtime's own cold init.
    Wasmtime,
    /// Chromium (installed with apt if missing): the corpus's Chromium environments.
    Chromium,
    /// Firefox ESR (installed with apt if missing): the corpus's Firefox environments.
    Firefox,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Wasmtime => "wasmtime",
            Engine::Chromium => "chromium",
            Engine::Firefox => "firefox",
        }
    }

    /// The browser this engine drives; `None` for wasmtime.
    pub fn browser(self) -> Option<BrowserKind> {
        match self {
            Engine::Wasmtime => None,
            Engine::Chromium => Some(BrowserKind::Chromium),
            Engine::Firefox => Some(BrowserKind::Firefox),
        }
    }
}

/// What a gated run writes and prints.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Where to write the budget summary.
    #[arg(long, default_value = "artifacts/wasm_budget_summary.json")]
    pub summary: PathBuf,
    /// Where to write the Markdown report: the verdict, the tables, the size changes against
    /// the baseline's items, monomorphization bloat, the findings and what was not measured.
    #[arg(long, value_name = "FILE", default_value = "artifacts/wasm_perf_report.md")]
    pub markdown: PathBuf,
    /// Where to write the HTML report: one self-contained page (no network requests) with
    /// the tables and charts of headroom, size before and after wasm-opt, where the release
    /// artifact's bytes go, and the per-seed p95 spread.
    #[arg(long, value_name = "FILE", default_value = "artifacts/wasm_perf_report.html")]
    pub html: PathBuf,
    /// Print the summary JSON (perf --partial-out: the partial summary) on stdout instead
    /// of the table.
    #[arg(long)]
    pub json: bool,
    /// Also append the Markdown report to this file, e.g. "$GITHUB_STEP_SUMMARY". Written
    /// before the exit code is decided, so nothing needs to pipe the output.
    #[arg(long, value_name = "FILE")]
    pub step_summary: Option<PathBuf>,
}
