//! How a test starts the tool and reads what it wrote: the command on the tests' protocol
//! (`support`), the gate's files in a test's own directory, the summary read back and
//! checked against its schema, and the lock the tests that build take turns on.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use perf_core::status::Status;
use perf_core::summary::Summary;

use crate::support::{self, quick_corpus, root, steady_budgets};

/// A fresh scratch directory for one test's outputs.
pub fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-cli-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

thread_local! {
    /// Whether this thread holds the pipeline lock: a shared run (`shared.rs`) started
    /// while it does would wait for itself.
    static HOLDING: Cell<bool> = const { Cell::new(false) };
}

/// A test's turn at building in this checkout.
pub struct Turn {
    _guard: std::sync::MutexGuard<'static, ()>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        HOLDING.with(|h| h.set(false));
    }
}

/// Tests that build share cargo's per-variant outputs and the artifact directories of this
/// checkout, so they take turns; tests that stop at bad input, gate documents or work in a
/// copy of the checkout do not need to. Take the shared runs a test needs first.
pub fn pipeline_lock() -> Turn {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    assert!(!HOLDING.with(Cell::get), "this test already holds the pipeline lock");
    let guard = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    HOLDING.with(|h| h.set(true));
    Turn { _guard: guard }
}

/// Tests that build in a copy of the checkout do not need the pipeline lock, so they build
/// while other tests measure. A test whose assertion compares the timings of two runs takes
/// this lock as well, so that no build of this suite shares the cores with its runs.
pub fn copies_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether this thread holds the pipeline lock (a shared run refuses to start then).
pub fn holding_pipeline_lock() -> bool {
    HOLDING.with(Cell::get)
}

pub fn xtask(args: &[&str]) -> Output {
    xtask_env(args, &[])
}

pub fn xtask_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = support::xtask_command();
    cmd.args(args).envs(env.iter().copied()).current_dir(root()).output().unwrap()
}

/// `args` of a measuring command (`perf`, `rebaseline`, `gate --merge`) on the tests'
/// protocol: the quick corpus unless `--corpus` is given, the steady form of the budgets
/// given with `--budgets` (else of the committed ones), for a gated `perf`, wasmtime only
/// unless `--engine` is given, and where Chromium runs a corpus's host apps, vanilla-js only
/// unless `--host` is given (the npm hosts need the registry, which a test does not reach).
pub fn on_test_protocol(args: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut budgets = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if *a == "--budgets" {
            budgets = it.next().map(|b| b.to_string());
        } else {
            out.push(a.to_string());
        }
    }
    let budgets = budgets.unwrap_or_else(|| ".github/wasm_perf_budgets.json".to_owned());
    let corpus = args.iter().position(|a| *a == "--corpus").map_or_else(quick_corpus, |i| args[i + 1].to_owned());
    let corpus_path = if Path::new(&corpus).is_absolute() { PathBuf::from(&corpus) } else { root().join(&corpus) };
    let hosts = read_json(&corpus_path).get("hosts").is_some();
    out.extend(["--budgets".to_owned(), support::steady_budgets(&budgets)]);
    // Browsers are measured by the tests about them (a rebaseline cannot narrow the
    // engines); a gated run elsewhere leaves them out, or gates documents without browsers.
    let perf = args.first() == Some(&"perf") && !args.contains(&"--partial-out");
    if perf && !args.contains(&"--engine") {
        out.extend(["--engine".to_owned(), "wasmtime".to_owned()]);
    }
    let measures_in_chromium = (perf && args.windows(2).any(|w| w == ["--engine", "chromium"]))
        || (args.first() == Some(&"rebaseline") && !args.contains(&"--measurements"));
    if hosts && measures_in_chromium && !args.contains(&"--host") {
        out.extend(["--host".to_owned(), "vanilla-js".to_owned()]);
    }
    if !args.contains(&"--corpus") {
        out.extend(["--corpus".to_owned(), quick_corpus()]);
    }
    out
}

/// A measuring command on the tests' protocol.
pub fn measuring(args: &[&str]) -> Output {
    measuring_env(args, &[])
}

pub fn measuring_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let args = on_test_protocol(args);
    xtask_env(&args.iter().map(String::as_str).collect::<Vec<_>>(), env)
}

/// `xtask perf` on the tests' protocol with the gate's files (baseline, streaks, report,
/// events) inside `dir`, so a test neither reads the committed baseline nor touches the
/// developer's state.
pub fn perf(dir: &Path, args: &[&str]) -> Output {
    perf_env(dir, args, &[])
}

pub fn perf_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let path = |name: &str| dir.join(name).display().to_string();
    let (baseline, state, report, events) =
        (path("baseline.json"), path("streaks.json"), path("report.json"), path("events.ndjson"));
    let mut all = vec!["perf", "--baseline", &baseline, "--state", &state, "--report", &report, "--events", &events];
    all.extend_from_slice(args);
    measuring_env(&all, env)
}

/// `xtask gate` with `args` and every file it writes inside `dir`: the gate's files, the
/// summary and both reports.
pub fn gate_in(dir: &Path, args: &[&str]) -> Output {
    gate_env_in(dir, args, &[])
}

pub fn gate_env_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut all: Vec<String> = vec!["gate".into()];
    all.extend(args.iter().map(|a| a.to_string()));
    all.extend(gate_files(dir));
    for (flag, name) in [("--summary", "summary.json"), ("--markdown", "report.md"), ("--html", "report.html")] {
        all.extend([flag.to_owned(), dir.join(name).display().to_string()]);
    }
    xtask_env(&all.iter().map(String::as_str).collect::<Vec<_>>(), env)
}

/// The reference run's budgets (`budgets/wasmtime-only.json`) with `edit` applied and the
/// change recorded in their change log, written to `dir/name`; returns their steady form.
pub fn reference_budgets_with(dir: &Path, name: &str, edit: impl Fn(&mut serde_json::Value)) -> String {
    let mut budgets = read_json(Path::new(&support::fixture("budgets/wasmtime-only.json")));
    edit(&mut budgets);
    support::record_thresholds(&mut budgets, &format!("{name}: the thresholds a test gates with"));
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&budgets).unwrap()).unwrap();
    steady_budgets(path.to_str().unwrap())
}

/// Makes `metric` warn-then-block (escalating on the second warning in a row) with a warn
/// threshold of `warn` in budget profile `profile`; its other profiles warn at their hard
/// threshold.
pub fn warn_then_block(budgets: &mut serde_json::Value, metric: &str, profile: &str, warn: f64) {
    let metrics = budgets["metrics"].as_array_mut().unwrap();
    let m = metrics.iter_mut().find(|m| m["id"] == metric).unwrap_or_else(|| panic!("no metric {metric}"));
    m["gate"] = "warn_then_block".into();
    m["escalate_after"] = 2.into();
    for (name, t) in m["thresholds"].as_object_mut().unwrap() {
        t["warn"] = if name == profile { serde_json::json!(warn) } else { t["hard"].clone() };
    }
}

/// Sets one threshold (`warn` or `hard`) of `metric` in budget profile `profile`.
pub fn set_threshold(budgets: &mut serde_json::Value, metric: &str, profile: &str, which: &str, value: f64) {
    let metrics = budgets["metrics"].as_array_mut().unwrap();
    let m = metrics.iter_mut().find(|m| m["id"] == metric).unwrap_or_else(|| panic!("no metric {metric}"));
    m["thresholds"][profile][which] = serde_json::json!(value);
}

/// The gate's files of one run, inside `dir`.
pub fn gate_files(dir: &Path) -> Vec<String> {
    std::fs::create_dir_all(dir).unwrap();
    let path = |name: &str| dir.join(name).display().to_string();
    let mut args = Vec::new();
    for (flag, name) in [
        ("--baseline", "baseline.json"),
        ("--state", "streaks.json"),
        ("--report", "report.json"),
        ("--events", "events.ndjson"),
    ] {
        args.extend([flag.to_owned(), path(name)]);
    }
    args
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Both streams of a command, for an assertion's message.
pub fn both(o: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", text(&o.stdout), text(&o.stderr))
}

/// Panics with every violation when `value` does not match `docs/schemas/<schema>`.
pub fn assert_schema(schema: &str, value: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("docs/schemas").join(schema)).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(value).map(|e| format!("{}: {e}", e.instance_path)).collect();
    assert!(errors.is_empty(), "does not match {schema}:\n{}\n{value:#}", errors.join("\n"));
}

pub fn read_json(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap()
}

/// A summary as written, checked against its schema (the binary checks it before writing
/// too; this checks the file on disk).
pub fn read_summary(path: &Path) -> Summary {
    let value = read_json(path);
    assert_schema("wasm_budget_summary.schema.json", &value);
    serde_json::from_value(value).unwrap()
}

/// The record of `metric` in budget profile `profile`.
pub fn record<'a>(s: &'a Summary, profile: &str, metric: &str) -> &'a perf_core::record::Record {
    let found = s.records.iter().find(|r| r.profile == profile && r.metric_id == metric);
    found.unwrap_or_else(|| panic!("no record of {metric} in {profile}"))
}

pub fn python_gzip_len(path: &Path) -> Option<u64> {
    let o = Command::new("python3")
        .args(["-c", "import gzip,sys; print(len(gzip.compress(open(sys.argv[1],'rb').read(), 9, mtime=0)))"])
        .arg(path)
        .output()
        .ok()?;
    text(&o.stdout).trim().parse().ok()
}

/// A record as the signature sees it: wall-clock values (and what they decide) left out.
pub fn deterministic(records: &[perf_core::record::Record]) -> Vec<perf_core::record::Record> {
    records
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if r.wall_clock {
                (r.value, r.status, r.reason) = (None, Status::Skip, None);
            }
            r
        })
        .collect()
}

/// A baseline's text with the values of wall-clock metrics (one metric per line) masked:
/// they differ run to run by nature; everything else must not.
pub fn without_wall_clock(baseline: &str) -> String {
    let wall_clock = ["\"unit\": \"ms\"", "\"unit\": \"us\"", "\"unit\": \"ns\"", "\"unit\": \"percent\""];
    baseline
        .lines()
        .map(|line| match line.find("\"value\": ") {
            Some(at) if wall_clock.iter().any(|u| line.contains(u)) && !line.contains("\"value\": null") => {
                format!("{}\"value\": <wall-clock> }},", &line[..at])
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `n` with thousands separators, as the table prints it.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
