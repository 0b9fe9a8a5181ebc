//! The gate's files around `perf_core::conclude`: the baseline and the streak state it
//! reads, the report, event log and state it writes, the branch it counts streaks on, and
//! the GitHub annotations it prints under Actions.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use perf_core::baseline::Baseline;
use perf_core::gate::{Check, GateReport};
use perf_core::status::Status;
use perf_core::streak::StreakState;
use xshell::{Shell, cmd};

use crate::atomic_write::write_json_atomic;
use crate::inputs;
use crate::settings::GateArgs;

pub const EVENT_SCHEMA_VERSION: &str = "wasm-perf-gate-event-v1";

/// The gate's inputs, read before anything is built: bad input fails in a second, not
/// after the builds.
pub struct Loaded {
    pub baseline: Option<Baseline>,
    /// The streaks the branch starts from (a new branch inherits its base's).
    pub streaks: StreakState,
    pub branch: String,
    pub run_id: String,
    /// The repository's issues page under GitHub Actions, where the warn issues are.
    pub issues_url: Option<String>,
    /// Lines for people: files that were missing.
    pub notes: Vec<String>,
    /// The report's path and display name.
    pub report: (PathBuf, String),
    state_path: PathBuf,
    events: PathBuf,
}

pub fn load(sh: &Shell, args: &GateArgs) -> anyhow::Result<Loaded> {
    let mut notes = Vec::new();
    let (baseline_path, baseline_name) = inputs::resolve(&args.baseline);
    let baseline = match std::fs::read_to_string(&baseline_path) {
        Ok(text) => Some(Baseline::parse(&baseline_name, &text)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            notes.push(format!(
                "no baseline at {baseline_name}: the regression rule did not run (create one with `cargo xtask rebaseline`)"
            ));
            None
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {baseline_name}")),
    };
    let (state_path, state_name) = inputs::resolve(&args.state);
    let streaks = match std::fs::read_to_string(&state_path) {
        Ok(text) => StreakState::parse(&state_name, &text)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            notes.push(format!("no streak state at {state_name}: every warn streak starts at zero"));
            StreakState::default()
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {state_name}")),
    };
    let mut streaks = streaks;
    let branch = args.branch.clone().unwrap_or_else(|| current_branch(sh));
    if let Some(base) = args.base_branch.clone().or_else(|| non_empty_env("GITHUB_BASE_REF")) {
        streaks.fork(&branch, &base);
    }
    Ok(Loaded {
        baseline,
        streaks,
        branch,
        run_id: args.run_id.clone().unwrap_or_else(default_run_id),
        issues_url: issues_url(),
        notes,
        report: inputs::resolve(&args.report),
        state_path,
        events: inputs::resolve(&args.events).0,
    })
}

impl Loaded {
    /// Writes the report and the new streak state (`None`: a run whose figures do not
    /// follow the whole protocol leaves the streaks alone), appends the events, and under
    /// GitHub Actions prints the annotations: on stdout, or on stderr when stdout carries
    /// JSON (the runner reads workflow commands from both).
    pub fn persist(
        &self,
        report: &GateReport,
        streaks: Option<&StreakState>,
        stdout_is_json: bool,
    ) -> anyhow::Result<()> {
        write_json_atomic(&self.report.0, report)?;
        append_events(&self.events, report)?;
        if let Some(streaks) = streaks {
            write_json_atomic(&self.state_path, streaks)?;
        }
        if std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true") {
            for line in report.checks.iter().filter_map(annotation) {
                if stdout_is_json {
                    eprintln!("{line}");
                } else {
                    println!("{line}");
                }
            }
        }
        Ok(())
    }
}

/// One JSON line per check, appended: the log of every gate run, never rewritten.
fn append_events(path: &Path, report: &GateReport) -> anyhow::Result<()> {
    let time = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut lines = String::new();
    for c in &report.checks {
        let event = serde_json::json!({
            "schema_version": EVENT_SCHEMA_VERSION,
            "run_id": report.run_id,
            "unix_time": time,
            "branch": report.branch,
            "rule": c.rule,
            "profile": c.profile,
            "metric_id": c.metric_id,
            "status": c.status,
            "would_fail": c.would_fail,
            "message": c.message,
        });
        lines.push_str(&event.to_string());
        lines.push('\n');
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // Appending one buffer with one write keeps a run's events together.
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    f.write_all(lines.as_bytes()).with_context(|| format!("cannot append to {}", path.display()))
}

/// The workflow command for a check, if it warrants one.
fn annotation(c: &Check) -> Option<String> {
    let level = match (c.status, &c.would_fail) {
        (Status::Fail, _) => "error",
        (Status::Warn, _) | (_, Some(_)) => "warning",
        _ => return None,
    };
    let title =
        if c.metric_id.is_empty() { "toolchain".to_owned() } else { format!("{} ({})", c.metric_id, c.profile) };
    // Workflow commands end at a newline; '%' and line breaks must be escaped.
    let escape = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    Some(format!("::{level} title={}::{}", escape(&title).replace(',', "%2C").replace(':', "%3A"), escape(&c.message)))
}

fn non_empty_env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

fn current_branch(sh: &Shell) -> String {
    non_empty_env("GITHUB_HEAD_REF")
        .or_else(|| non_empty_env("GITHUB_REF_NAME"))
        .or_else(|| cmd!(sh, "git rev-parse --abbrev-ref HEAD").quiet().ignore_stderr().read().ok())
        .filter(|b| !b.is_empty() && b != "HEAD")
        .unwrap_or_else(|| "detached".to_owned())
}

/// `$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/issues`, which GitHub Actions sets for every job.
fn issues_url() -> Option<String> {
    let server = non_empty_env("GITHUB_SERVER_URL")?;
    let repository = non_empty_env("GITHUB_REPOSITORY")?;
    Some(format!("{}/{repository}/issues", server.trim_end_matches('/')))
}

fn default_run_id() -> String {
    match (non_empty_env("GITHUB_RUN_ID"), non_empty_env("GITHUB_RUN_ATTEMPT")) {
        (Some(id), Some(attempt)) => format!("{id}-{attempt}"),
        (Some(id), None) => id,
        _ => {
            let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
            format!("local-{t}-{}", std::process::id())
        }
    }
}
