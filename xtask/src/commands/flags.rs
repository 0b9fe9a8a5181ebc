//! The command line: every command and flag of `cargo xtask`.

use std::path::PathBuf;
use std::str::FromStr;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, Parser, Subcommand};
use perf_core::host::HostApp;
use perf_core::subject::Subject;

pub use crate::settings::{
    DEFAULT_BASELINE, DEFAULT_BUDGETS, DEFAULT_CORPUS, DEFAULT_POLICY, Engine, GateArgs, Inputs, OutputArgs,
    RuntimeArgs,
};

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Build, measure and gate a Rust wasm crate against committed performance budgets",
    after_help = "Exit codes: 0 pass or warn, 1 a budget failed (or a warning escalated, or an active baseline \
                  found a regression or drift), 2 bad input or a tool error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build every variant of the policy, run wasm-opt, measure the artifacts (raw, gzip,
    /// brotli bytes, sections) of that production build; then, on a benchmark build of each
    /// variant (the policy's benchmark features added), run the benchmark corpus's scenarios
    /// in wasmtime (cold init, per-operation p95, heap, fuel per operation, per seed) and
    /// measure cold init in the corpus's browser environments (headless Chromium, throttled
    /// Chromium, Firefox ESR); gate everything against the budgets and write the summary.
    ///
    /// Installs the wasm target with rustup, and a missing browser with apt-get, saying so.
    /// Bad input is refused before anything is built. The summary, report and event log are
    /// written (atomically) before the exit code says a budget failed (1) or a variant could
    /// not be built (2).
    Perf(Box<Perf>),
    /// Commands on the optimization policy.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Commands on the benchmark corpus.
    #[command(subcommand)]
    Corpus(CorpusCommand),
    /// Rewrite the baseline from a fresh run: only measured values and the provenance
    /// change; status, tolerances, notes, key order and untouched numbers stay byte for
    /// byte. Prints and writes a review table. Writes atomically: a failed run leaves the
    /// old baseline as it was.
    Rebaseline(Rebaseline),
    /// Gate figures this command did not measure, through the same budgets, warn streaks,
    /// baseline and reports as `perf`. One source, three kinds:
    ///
    /// --merge: the partial summaries of a job matrix as one run (each job ran
    /// `cargo xtask perf --profile VARIANT --partial-out FILE`), with the same records,
    /// signature and verdict a single job would give. Refuses (exit 2) partials from
    /// different commits, toolchains, packages or input documents, and a variant measured
    /// twice. A variant no partial measured fails closed: its metrics fail, the summary and
    /// report are written, the warn streaks are not updated, and the exit code is 2.
    ///
    /// --measurements: a `wasm-perf-measurements-v1` document from another runner (a device
    /// farm's mobile cold init, say). It must name its environment (device, OS, browser,
    /// runner) and provenance (commit, producer, rustc, binaryen), and each record its
    /// command and artifacts; otherwise it is refused (exit 2). A summary written by `perf`
    /// is accepted too. The baseline is compared on the metrics the figures measured only.
    ///
    /// --current B: a baseline read as a run and compared with --baseline A (and judged
    /// against the budgets); the warn streaks are not updated.
    Gate(Box<Gate>),
    /// Onboard a workspace crate (a cdylib) the tool has never seen: build it once per
    /// variant, measure it (sizes, module and glue; cold init in wasmtime, or through its
    /// glue in Chromium for a wasm-bindgen crate; fuel per operation of the scenario exports
    /// it has), and write a subject: a policy, a corpus, budgets (the measured values plus
    /// the headroom, with the first change-log entry) and a scaffold baseline. Then
    /// `cargo xtask perf --subject NAME` (the command is printed) passes. Refuses to
    /// overwrite documents unless --force; writes nothing when a build or a measurement
    /// fails.
    Init(Init),
    /// List the subjects this repository gates: the default one (its documents in
    /// .github/) and one per folder of .github/ that holds a wasm_optimization_policy.json,
    /// each with its package and where its documents, baseline and outputs are. Each line
    /// starts with the subject's name, for scripts; --json for workflows, e.g.
    /// `cargo xtask subjects --json | jq -c '[.[].subject]'` as a job matrix.
    Subjects(Subjects),
}

#[derive(Debug, Args)]
pub struct Subjects {
    /// Print the subjects as a JSON array of objects (subject, package, variants, policy,
    /// budgets, corpus, baseline, baseline_exists, outputs).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct Init {
    /// The workspace package to onboard (a cdylib).
    #[arg(long)]
    pub package: String,
    /// The subject to write (default: the package's name, lowercase, `_` as `-`): its
    /// policy, budgets and corpus into .github/NAME/, its scaffold baseline into
    /// baselines/NAME/ (not ignored by git: they are committed and reviewed). Then
    /// `cargo xtask perf --subject NAME` gates it, and the workflows pick it up.
    #[arg(long, value_name = "NAME")]
    pub subject: Option<String>,
    /// The issue that asked for the budgets (a link or #N), for the first change-log entry.
    #[arg(long)]
    pub issue: String,
    /// Who approved the first budgets, for the first change-log entry.
    #[arg(long)]
    pub approved_by: String,
    /// Headroom above the measured sizes and fuel counts, in percent.
    #[arg(long, default_value_t = 25.0)]
    pub headroom_pct: f64,
    /// Headroom above the measured timings (p95), in percent: they move from run to run.
    #[arg(long, default_value_t = 100.0)]
    pub timing_headroom_pct: f64,
    /// Cold-init samples per seed and variant in wasmtime (each a fresh engine's compile
    /// and instantiate), written into the drafted corpus.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub cold_start_samples: u32,
    /// Page loads per seed and variant in each browser environment (wasm-bindgen crates),
    /// written into the drafted corpus.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    pub browser_samples: u32,
    /// The first call after instantiation through the crate's JS API, the body of a
    /// function of `api` (the glue's exports) whose value is the answer, e.g.
    /// 'return api.slugify("Hello, World");'. Required for a wasm-bindgen crate: cold init
    /// and the host apps make it.
    #[arg(long, value_name = "BODY")]
    pub first_call: Option<String>,
    /// Build and load only these host apps while measuring (repeat for several; default:
    /// all of them). The hosts left out get no threshold, saying so.
    #[arg(long = "host", value_name = "APP", value_parser = HostApp::from_str)]
    pub hosts: Vec<HostApp>,
    /// Overwrite the subject's documents where they already exist.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum CorpusCommand {
    /// Validate the benchmark corpus strictly (metrics against the budgets, coverage
    /// against its own requirements, seeds, and every named export against the built
    /// benchmark builds) and write the corpus summary. Needs the variants built by `cargo
    /// xtask perf`.
    Check(CorpusCheck),
}

#[derive(Debug, Args)]
pub struct CorpusCheck {
    #[command(flatten)]
    pub inputs: Inputs,
    /// The benchmark corpus.
    #[arg(long, default_value = DEFAULT_CORPUS)]
    pub corpus: PathBuf,
    /// Check this scenario only; the whole-corpus coverage rules do not apply.
    #[arg(long)]
    pub only: Option<String>,
    /// Also run the built-in broken corpora through the checker; fails (exit 2) if any of
    /// them is accepted.
    #[arg(long)]
    pub self_test: bool,
    /// Where to write the corpus summary.
    #[arg(long, default_value = "artifacts/wasm_benchmark_corpus_summary.json")]
    pub summary: PathBuf,
}

#[derive(Debug, Args)]
pub struct Rebaseline {
    #[command(flatten)]
    pub inputs: Inputs,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
    /// The baseline to rewrite (created from a scaffold template when missing).
    #[arg(long, default_value = DEFAULT_BASELINE)]
    pub baseline: PathBuf,
    /// Measure this many times; timing metrics store the median and the spread.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub runs: u32,
    /// Measure nothing: take the values from these wasm-perf-measurements-v1 documents
    /// (one per run of another runner, e.g. a device farm; the median and spread over them),
    /// and their provenance and browser. For a baseline that `gate --measurements` compares
    /// those runners' figures with.
    #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with_all = ["check", "runs"])]
    pub measurements: Vec<PathBuf>,
    /// Remove metrics only the baseline has (they are kept and reported otherwise).
    #[arg(long)]
    pub prune: bool,
    /// Set `status` to `active`; refused while an enforced metric is null.
    #[arg(long)]
    pub activate: bool,
    /// Write nothing; exit 1 unless the baseline is canonical and its deterministic
    /// metrics (sizes) equal a fresh run's.
    #[arg(long, conflicts_with_all = ["prune", "activate"])]
    pub check: bool,
    /// Where to write the review table (Markdown).
    #[arg(long, default_value = "artifacts/rebaseline_report.md")]
    pub report: PathBuf,
    /// Build and load only these host apps of the corpus's hosts section (repeat for
    /// several; default: all of them), e.g. where the npm registry is out of reach. The
    /// metrics of the hosts left out are measured by no run, so the baseline anchors none.
    #[arg(long = "host", value_name = "APP", value_parser = HostApp::from_str, conflicts_with = "measurements")]
    pub hosts: Vec<HostApp>,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate the optimization policy strictly (against the budgets, the package's real
    /// features and binaryen's pass names) and write the pipeline summary.
    Check(PolicyCheck),
}

#[derive(Debug, Clone, Args)]
pub struct Perf {
    #[command(flatten)]
    pub inputs: Inputs,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
    /// Run only these engines (repeat for several; default: all of them), for a quicker
    /// local loop. The metrics of the engines left out are skipped with that reason, the
    /// table says what was left out, and the warn streaks are not updated.
    #[arg(long = "engine", value_enum, value_name = "ENGINE", conflicts_with = "partial_out")]
    pub engines: Vec<Engine>,
    /// Build and load only these host apps of the corpus's hosts section (vanilla-js,
    /// typescript-sdk, react, nextjs; repeat for several; default: all of them). The metrics
    /// of the hosts left out are skipped with that reason, and the warn streaks are not
    /// updated.
    #[arg(long = "host", value_name = "APP", value_parser = HostApp::from_str, conflicts_with = "partial_out")]
    pub hosts: Vec<HostApp>,
    /// Load the host apps in every cell, not only the corpus's hosts section's: on every
    /// variant, and in every environment that can load them (Firefox too, unthrottled).
    /// The cells beyond the section give figures (the summary, the reports' host grid) and
    /// feed no metric; the section's cells gate as always. More page loads: see the README.
    #[arg(long)]
    pub all_cells: bool,
    /// Take every sample the corpus's protocol asks for. Without it, a cold init, a host
    /// app's page or wasmtime's cold start stops at a planned look once its interval lies
    /// clear of every limit the gate holds it to (warn, hard, the baseline's).
    #[arg(long)]
    pub all_samples: bool,
    /// Run this runtime scenario only (sizes are still measured). A partial run does not
    /// update the warn streaks.
    #[arg(long, value_name = "ID")]
    pub scenario: Option<String>,
    /// Run the scenarios with this seed only, instead of the corpus's seed set. A partial
    /// run does not update the warn streaks.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Build and measure only this variant of the policy (dev, canary or release; repeat
    /// for several), as one job of a matrix. Needs --partial-out.
    #[arg(long = "profile", value_name = "VARIANT", requires = "partial_out")]
    pub profiles: Vec<String>,
    /// Measure without gating and write a partial summary to FILE, for
    /// `cargo xtask gate --merge`. Exits 0 once it is written, 2 on bad input or a failed
    /// build (after writing it): the merge decides the verdict. The gate's files and the
    /// streaks are not touched.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["scenario", "seed", "step_summary"])]
    pub partial_out: Option<PathBuf>,
    /// Build REF too (a commit, branch or tag: `HEAD`, `HEAD~1`, `origin/main`), from a git
    /// worktree kept under artifacts/compare/<commit> with its own target directory (a
    /// second run against it rebuilds nothing), and compare what ships with it exactly: every
    /// size metric of every variant, REF's beside the working tree's. The timings of both
    /// (wasmtime's operations; each browser's cold init and JS-API operations, a fresh
    /// context per load) are sampled in alternation and each decided same, regressed,
    /// improved or undecided (a 10% margin; the run's comparisons share 5% of false alarms):
    /// regressed exits 1, undecided warns. In the table and the summary (`against_base`).
    /// The host apps' pages are not compared. Exit 2 when REF is not a commit or its build
    /// fails (after the summary is written).
    #[arg(long, value_name = "REF", conflicts_with = "partial_out")]
    pub compare: Option<String>,
    /// Gate every subject (`cargo xtask subjects`) in turn, each with its own documents,
    /// baseline, streaks and outputs: the worst verdict is the exit code, and a subject that
    /// could not be gated (exit 2) does not stop the others.
    #[arg(long, conflicts_with_all = [
        "subject", "policy", "budgets", "corpus", "baseline", "state", "report", "events", "summary",
        "markdown", "html", "partial_out", "step_summary",
    ])]
    pub all_subjects: bool,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("figures").required(true).args(["merge", "measurements", "current"]))]
pub struct Gate {
    /// The partial summaries to merge, one or more per job (e.g. artifacts/partial/*.json).
    #[arg(long, num_args = 1.., value_name = "PARTIAL")]
    pub merge: Vec<PathBuf>,
    /// Figures measured elsewhere: a wasm-perf-measurements-v1 document (see
    /// docs/schemas/wasm_perf_measurements.schema.json), or a summary `perf` wrote on
    /// another runner, judged again against the budgets given here.
    #[arg(long, value_name = "FILE")]
    pub measurements: Option<PathBuf>,
    /// A second baseline, gated as the current figures against --baseline.
    #[arg(long, value_name = "BASELINE")]
    pub current: Option<PathBuf>,
    /// With --measurements or --current: gate this budget profile only (repeat for
    /// several; default: every profile the figures name).
    #[arg(long = "profile", value_name = "PROFILE", conflicts_with = "merge")]
    pub profiles: Vec<String>,
    /// With --measurements or --current: this metric must have a value in every gated
    /// profile; absent or null, it fails (repeat for several).
    #[arg(long = "require-metric", value_name = "ID", conflicts_with = "merge")]
    pub require_metrics: Vec<String>,
    #[command(flatten)]
    pub inputs: Inputs,
    /// The benchmark corpus; the partials must have run this one.
    #[arg(long, default_value = DEFAULT_CORPUS)]
    pub corpus: PathBuf,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct PolicyCheck {
    #[command(flatten)]
    pub inputs: Inputs,
    /// Also run the built-in broken policies through the validator; fails (exit 2) if any
    /// of them is accepted.
    #[arg(long)]
    pub self_test: bool,
    /// Where to write the optimization pipeline summary.
    #[arg(long, default_value = "artifacts/wasm_optimization_pipeline_summary.json")]
    pub summary: PathBuf,
    /// Print the pipeline summary JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// A command whose path flags follow the subject: each left at its default becomes the
/// subject's (`Subject::path`); one given on the command line stays as given.
pub(crate) trait ForSubject {
    fn for_subject(&mut self, subject: &Subject, matches: &ArgMatches);
}

/// `path`, the value of flag `id`, as `subject`'s where it was left at its default.
fn rebase(subject: &Subject, matches: &ArgMatches, id: &str, path: &mut PathBuf) {
    if matches.value_source(id) == Some(ValueSource::DefaultValue) {
        *path = subject.path(path);
    }
}

impl ForSubject for Inputs {
    fn for_subject(&mut self, subject: &Subject, m: &ArgMatches) {
        rebase(subject, m, "policy", &mut self.policy);
        rebase(subject, m, "budgets", &mut self.budgets);
    }
}

impl ForSubject for GateArgs {
    fn for_subject(&mut self, subject: &Subject, m: &ArgMatches) {
        for (id, path) in [
            ("baseline", &mut self.baseline),
            ("state", &mut self.state),
            ("report", &mut self.report),
            ("events", &mut self.events),
        ] {
            rebase(subject, m, id, path);
        }
    }
}

impl ForSubject for OutputArgs {
    fn for_subject(&mut self, subject: &Subject, m: &ArgMatches) {
        for (id, path) in [("summary", &mut self.summary), ("markdown", &mut self.markdown), ("html", &mut self.html)] {
            rebase(subject, m, id, path);
        }
    }
}

impl ForSubject for Perf {
    fn for_subject(&mut self, subject: &Subject, m: &ArgMatches) {
        self.inputs.for_subject(subject, m);
        rebase(subject, m, "corpus", &mut self.runtime.corpus);
        self.gate.for_subject(subject, m);
        self.output.for_subject(subject, m);
    }
}

impl ForSubject for Gate {
    fn for_subject(&mut self, subject: &Subject, m: &ArgMatches) {
        self.inputs.for_subject(subject, m);
        rebase(subject, m, "corpus", &mut self.corpus);
        self.gate.for_subject(subject, m);
        self.output.for_subject(subject, m);
    }
}

impl ForSubject for Rebaseline {
    fn for_subject(&mut self, subject: &Subject, m: &ArgMatches) {
        self.inputs.for_subject(subject, m);
        rebase(subject, m, "corpus", &mut self.runtime.corpus);
        rebase(subject, m, "baseline", &mut self.baseline);
        rebase(subject, m, "report", &mut self.report);
    }
}

impl ForSubject for PolicyCheck {
    fn for_subject(&mut self, subject: &Subject, m: &ArgMatches) {
        self.inputs.for_subject(subject, m);
        rebase(subject, m, "summary", &mut self.summary);
    }
}

impl ForSubject for CorpusCheck {
    fn for_subject(&mut self, subject: &Subject, m: &ArgMatches) {
        self.inputs.for_subject(subject, m);
        rebase(subject, m, "corpus", &mut self.corpus);
        rebase(subject, m, "summary", &mut self.summary);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use clap::{CommandFactory, FromArgMatches};

    use super::*;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    /// Parses `args` and moves the command's paths to subject word-index; the command, and
    /// the default values of its path flags.
    fn for_word_index(args: &[&str]) -> (String, Vec<String>) {
        let cli = Cli::command();
        let m = cli.clone().get_matches_from([&["cargo xtask"][..], args, &["--subject", "word-index"][..]].concat());
        let (mut leaf, mut command) = (&m, &cli);
        while let Some((name, sub)) = leaf.subcommand() {
            (leaf, command) = (sub, command.find_subcommand(name).unwrap());
        }
        let defaults = command
            .get_arguments()
            .flat_map(|a| a.get_default_values())
            .map(|v| v.to_string_lossy().into_owned())
            .filter(|v| v.contains('/'))
            .collect();
        let subject = Subject::named("word-index").unwrap();
        let parsed = match Cli::from_arg_matches(&m).unwrap().command {
            Command::Perf(mut c) => format!("{:?}", {
                c.for_subject(&subject, leaf);
                c
            }),
            Command::Gate(mut c) => format!("{:?}", {
                c.for_subject(&subject, leaf);
                c
            }),
            Command::Rebaseline(mut c) => format!("{:?}", {
                c.for_subject(&subject, leaf);
                c
            }),
            Command::Policy(PolicyCommand::Check(mut c)) => format!("{:?}", {
                c.for_subject(&subject, leaf);
                c
            }),
            Command::Corpus(CorpusCommand::Check(mut c)) => format!("{:?}", {
                c.for_subject(&subject, leaf);
                c
            }),
            other => panic!("no subject for {other:?}"),
        };
        (parsed, defaults)
    }

    #[test]
    fn every_path_flag_left_at_its_default_follows_the_subject_and_one_given_stays() {
        let commands: [&[&str]; 5] =
            [&["perf"], &["gate", "--current", "b.json"], &["rebaseline"], &["policy", "check"], &["corpus", "check"]];
        for args in commands {
            let (parsed, defaults) = for_word_index(args);
            assert!(defaults.len() >= 2, "{args:?}: {defaults:?}");
            for default in &defaults {
                let moved = Subject::named("word-index").unwrap().path(Path::new(default));
                assert!(parsed.contains(&format!("{moved:?}")), "{args:?}: {default} did not move: {parsed}");
            }
        }
        let (parsed, _) = for_word_index(&["perf", "--summary", "mine.json"]);
        assert!(parsed.contains("summary: \"mine.json\""), "{parsed}");
        assert!(parsed.contains("\".github/word-index/wasm_optimization_policy.json\""), "{parsed}");
    }
}
