//! The gate: three independent rules, each reported as its own check, and one verdict.
//!
//! 1. Hard budgets: a value above its hard threshold fails at once.
//! 2. Warn-then-block: a value in the warn band warns; the N-th consecutive warning of a
//!    metric on a branch fails (state in [`StreakState`]).
//! 3. Regression against the committed baseline: in `active` mode a regression, schema
//!    drift, an unanchored metric or a unit mismatch fails; in `scaffold` mode the same
//!    checks are reported as "would fail" and do not change the verdict. A run on another
//!    rustc or binaryen than the baseline's is flagged as toolchain drift (failing or
//!    warning per the baseline's `toolchain_drift`) instead of as plain regressions; so is a
//!    browser environment run in another browser or major version than the baseline
//!    records, whose cold init is then not compared.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::attribution::{self, Attribution, SizeChanges};
use crate::baseline::{Baseline, BaselineStatus, DriftPolicy};
use crate::budget::{Budgets, GateKind};
use crate::early_stop::EarlyStops;
use crate::policy::VariantKind;
use crate::ratchet::{self, RatchetHint};
use crate::record::Record;
use crate::regression::{self, Comparison, Finding, ToolchainDrift};
use crate::run::BrowserRan;
use crate::status::Status;
use crate::streak::{Observation, StreakOutcome, StreakState};
use crate::warn_issue::WarnIssue;

pub const REPORT_SCHEMA_VERSION: &str = "wasm-perf-regression-report-v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    HardBudget,
    WarnThenBlock,
    Regression,
    Toolchain,
}

impl Rule {
    /// The rule's name in tables and reports.
    pub fn label(self) -> &'static str {
        match self {
            Rule::HardBudget => "budget",
            Rule::WarnThenBlock => "streak",
            Rule::Regression => "baseline",
            Rule::Toolchain => "toolchain",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub rule: Rule,
    /// Empty for run-level checks (toolchain).
    pub profile: String,
    pub metric_id: String,
    /// The check's effect on the verdict.
    pub status: Status,
    /// In scaffold mode, why this check would fail an active gate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub would_fail: Option<String>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub streak: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalate_after: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// On a warn-then-block check whose record warned: the issue that tracks the warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_issue: Option<WarnIssue>,
}

impl Check {
    /// Whether people need to see this check beside the budget table: a streak that warns
    /// or fails, and any baseline or toolchain finding (scaffold "would fail" included).
    /// Hard-budget checks repeat the table's own statuses.
    pub fn is_finding(&self) -> bool {
        match self.rule {
            Rule::HardBudget => false,
            Rule::WarnThenBlock => matches!(self.status, Status::Warn | Status::Fail),
            Rule::Regression | Rule::Toolchain => self.status != Status::Pass || self.would_fail.is_some(),
        }
    }

    /// " M-PERF-01A (core-min)", or nothing for a run-level check.
    pub fn location(&self) -> String {
        if self.metric_id.is_empty() { String::new() } else { format!(" {} ({})", self.metric_id, self.profile) }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateReport {
    pub schema_version: String,
    pub run_id: String,
    pub branch: String,
    pub verdict: Status,
    /// `None` when there is no baseline file: the regression rule did not run.
    pub baseline_status: Option<BaselineStatus>,
    pub toolchain_drift: Vec<ToolchainDrift>,
    /// One verdict per (profile, metric): the worst of its checks.
    pub metrics: Vec<MetricVerdict>,
    pub checks: Vec<Check>,
    /// Per variant, the items that changed size against the baseline's (when both have
    /// them), largest change first.
    #[serde(default)]
    pub size_changes: Vec<SizeChanges>,
    /// Metrics whose baseline leaves more headroom than the budgets' `ratchet` allows, with
    /// a tighter threshold to consider.
    #[serde(default)]
    pub ratchet_hints: Vec<RatchetHint>,
}

impl GateReport {
    /// `record`'s comparison with the baseline (`None` without a baseline). The report's
    /// JSON keeps it in the regression rule's check; this is the one place that finds it.
    pub fn comparison(&self, record: &Record) -> Option<&Comparison> {
        self.checks
            .iter()
            .filter(|c| c.rule == Rule::Regression && c.profile == record.profile && c.metric_id == record.metric_id)
            .find_map(|c| c.comparison.as_ref())
    }

    /// The records the budget rule itself warned or failed on (a hard threshold crossed, a
    /// warn band entered, a required metric not measured), with that check, in record order.
    pub fn budget_findings<'a>(&'a self, records: &'a [Record]) -> impl Iterator<Item = (&'a Check, &'a Record)> {
        self.checks
            .iter()
            .filter(|c| matches!(c.rule, Rule::HardBudget | Rule::WarnThenBlock))
            .filter(|c| matches!(c.status, Status::Warn | Status::Fail))
            .filter_map(|c| {
                records.iter().find(|r| r.profile == c.profile && r.metric_id == c.metric_id).map(|r| (c, r))
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricVerdict {
    pub profile: String,
    pub metric_id: String,
    pub status: Status,
}

pub struct GateInput<'a> {
    pub budgets: &'a Budgets,
    pub baseline: Option<&'a Baseline>,
    pub branch: &'a str,
    pub run_id: &'a str,
    /// `rustc -vV` and the binaryen version of this run.
    pub rustc: &'a str,
    pub binaryen: &'a str,
    /// The wasm-bindgen release the package was built with, if any.
    pub wasm_bindgen: Option<&'a str>,
    /// The CI runner image this run measured on (`None` off a hosted runner): the
    /// baseline's timings gate only on the image they were measured on.
    pub runner: Option<&'a str>,
    /// The repository's issues page, where the warn issues are (`None` off GitHub).
    pub issues_url: Option<&'a str>,
    /// The subject gated, named in its warn issues' titles (`None`: the default subject).
    pub subject: Option<&'a str>,
    /// The browsers behind the records (a run's browser environments, or the device of
    /// figures measured elsewhere), checked against the baseline's.
    pub browsers: &'a [BrowserRan],
    /// The built variants' attributions, for the size changes against the baseline's items.
    pub attributions: &'a [&'a Attribution],
}

/// The limits each timing of `variants` (with their budget profiles) will be held to, for
/// sampling that stops once its verdict is settled: the metric's warn and hard thresholds
/// and, where `baseline` has the metric, the most it may grow to. A baseline that will not be
/// compared (another toolchain or runner) still limits: sampling on costs only time.
pub fn early_stops(budgets: &Budgets, baseline: Option<&Baseline>, variants: &[(VariantKind, &str)]) -> EarlyStops {
    let mut limits = BTreeMap::new();
    for m in budgets.metrics.iter().filter(|m| m.source.info().wall_clock) {
        for &(variant, profile) in variants {
            let Some(t) = m.thresholds.get(profile) else { continue };
            let mut of_cell: Vec<f64> = t.warn.into_iter().chain([t.hard]).collect();
            let anchored = baseline.and_then(|b| Some((b.metric(profile, &m.id)?.value?, b.tolerance(&m.id, m.unit)?)));
            of_cell.extend(anchored.map(|(old, tolerance)| tolerance.limit(old)));
            limits.insert((m.id.clone(), variant), (m.unit, of_cell));
        }
    }
    EarlyStops::new(limits)
}

/// Evaluates the three rules over `records` (judged against their thresholds) and advances
/// `streaks`. The report's `metrics` hold each metric's one status: see [`decide`].
pub fn evaluate(input: &GateInput, records: &[Record], streaks: &mut StreakState) -> GateReport {
    let mut checks = budget_checks(input, records, streaks);
    let mut drift = Vec::new();
    if let Some(baseline) = input.baseline {
        let (baseline_checks, baseline_drift) = baseline_checks(input, baseline, records);
        checks.extend(baseline_checks);
        drift = baseline_drift;
    }
    let verdict = checks.iter().map(|c| c.status).fold(Status::Pass, Status::worst);
    let metrics = records
        .iter()
        .map(|r| {
            let rules = checks.iter().filter(|c| c.profile == r.profile && c.metric_id == r.metric_id);
            MetricVerdict {
                profile: r.profile.clone(),
                metric_id: r.metric_id.clone(),
                status: decide(r.status, rules.map(|c| c.status)),
            }
        })
        .collect();
    GateReport {
        schema_version: REPORT_SCHEMA_VERSION.to_owned(),
        run_id: input.run_id.to_owned(),
        branch: input.branch.to_owned(),
        verdict,
        baseline_status: input.baseline.map(|b| b.status),
        toolchain_drift: drift,
        metrics,
        checks,
        size_changes: input
            .baseline
            .map_or_else(Vec::new, |b| attribution::size_changes(&b.items, input.attributions.iter().copied())),
        ratchet_hints: match (&input.budgets.ratchet, input.baseline) {
            (Some(rule), Some(b)) => ratchet::hints(rule, b, records),
            _ => Vec::new(),
        },
    }
}

/// Rules 1 and 2: one check per record, its budget judgement, or, for a warn-then-block
/// metric, its streak on the branch (which advances here).
fn budget_checks(input: &GateInput, records: &[Record], streaks: &mut StreakState) -> Vec<Check> {
    let observations: Vec<Observation> = records
        .iter()
        .filter_map(|r| {
            let m = input.budgets.metric(&r.metric_id)?;
            (m.gate == GateKind::WarnThenBlock).then(|| Observation {
                profile: r.profile.clone(),
                metric_id: r.metric_id.clone(),
                status: r.status,
                escalate_after: m.escalate_after.unwrap_or(2),
            })
        })
        .collect();
    let outcomes = streaks.advance(input.branch, &observations);
    records
        .iter()
        .map(|r| match outcomes.iter().find(|o| o.profile == r.profile && o.metric_id == r.metric_id) {
            Some(o) => streak_check(input, r, o),
            None => Check {
                rule: Rule::HardBudget,
                profile: r.profile.clone(),
                metric_id: r.metric_id.clone(),
                status: r.status,
                would_fail: None,
                message: budget_message(r),
                streak: None,
                escalate_after: None,
                comparison: None,
                warn_issue: None,
            },
        })
        .collect()
}

/// A warn-then-block record's check: its streak, escalated to a failure at its length.
fn streak_check(input: &GateInput, r: &Record, o: &StreakOutcome) -> Check {
    let message = match r.status {
        Status::Warn => {
            let escalated = if o.status == Status::Fail { ": escalated to failure" } else { "" };
            format!(
                "warning {} of {} in a row on {}{escalated}; {}",
                o.streak,
                o.escalate_after,
                input.branch,
                budget_message(r)
            )
        }
        _ => budget_message(r),
    };
    Check {
        rule: Rule::WarnThenBlock,
        profile: r.profile.clone(),
        metric_id: r.metric_id.clone(),
        status: o.status,
        would_fail: None,
        message,
        streak: Some(o.streak),
        escalate_after: Some(o.escalate_after),
        comparison: None,
        warn_issue: (r.status == Status::Warn)
            .then(|| WarnIssue::new(input.subject, &r.metric_id, &r.profile, input.issues_url)),
    }
}

/// Rule 3: the toolchain and browser drift checks, then one check per comparison with the
/// baseline; with the drift found (toolchain first, then browsers).
fn baseline_checks(input: &GateInput, baseline: &Baseline, records: &[Record]) -> (Vec<Check>, Vec<ToolchainDrift>) {
    let mut checks = Vec::new();
    let mut drift = regression::toolchain_drift(baseline, input.rustc, input.binaryen, input.wasm_bindgen);
    let scaffold = baseline.status == BaselineStatus::Scaffold;
    // Drift fails or warns per the baseline; a scaffold baseline only says it would fail.
    let drift_check = |reason: String| Check {
        rule: Rule::Toolchain,
        profile: String::new(),
        metric_id: String::new(),
        status: match (scaffold, baseline.toolchain_drift) {
            (true, _) => Status::Pass,
            (false, DriftPolicy::Fail) => Status::Fail,
            (false, DriftPolicy::Warn) => Status::Warn,
        },
        would_fail: scaffold.then(|| reason.clone()),
        message: if scaffold { format!("scaffold (would fail: {reason})") } else { reason },
        streak: None,
        escalate_after: None,
        comparison: None,
        warn_issue: None,
    };
    if !drift.is_empty() {
        let what: Vec<String> = drift.iter().map(|d| format!("{} {} -> {}", d.tool, d.baseline, d.current)).collect();
        checks.push(drift_check(format!(
            "toolchain drift since the baseline: {}; rebaseline on this toolchain",
            what.join(", ")
        )));
    }
    let browser_drift = regression::browser_drift(baseline, input.browsers);
    for (d, metric) in &browser_drift {
        checks.push(drift_check(format!(
            "browser drift since the baseline: {} {} -> {}; {metric} is not compared, rebaseline with this browser",
            d.tool, d.baseline, d.current
        )));
    }
    let drifted_browser = |metric_id: &str| browser_drift.iter().any(|(_, m)| m == metric_id);
    // A timing (any figure read off a clock) is the machine's as much as the code's: the
    // baseline's gate only runs on the runner image they were measured on. Off hosted runners
    // no image is recorded, and two machines cannot be told apart: both compare. In CI
    // `--compare` decides timings against the base commit, measured in the same run.
    let wall_clock = |id: &str| input.budgets.metric(id).is_some_and(|m| m.source.info().wall_clock);
    let other_runner = (baseline.provenance.runner.as_deref() != input.runner).then(|| {
        let name = |r: Option<&str>| r.map_or_else(|| "no runner image".to_owned(), |r| format!("runner image {r}"));
        format!("measured on {}, this run on {}", name(baseline.provenance.runner.as_deref()), name(input.runner))
    });
    for c in regression::compare(baseline, records) {
        let mut reason = c.finding.describe(&c);
        let comparable = matches!(c.finding, Finding::Within | Finding::Regression);
        let (fails, status) = if comparable && !drift.is_empty() {
            reason = format!("not compared across toolchains ({reason})");
            (false, Status::Skip)
        } else if comparable && drifted_browser(&c.metric_id) {
            reason = format!("not compared across browser versions ({reason})");
            (false, Status::Skip)
        } else if let Some(runners) = other_runner.as_ref().filter(|_| comparable && wall_clock(&c.metric_id)) {
            reason = format!("not compared across machines ({reason}; {runners})");
            (false, Status::Skip)
        } else if matches!(c.finding, Finding::NotMeasured) && left_out(records, &c.profile, &c.metric_id) {
            // The user narrowed the run on purpose; the summary says so and no streak moves.
            reason = format!("left out of this run, not compared ({reason})");
            (false, Status::Skip)
        } else if c.finding.fails() {
            (true, if scaffold { Status::Pass } else { Status::Fail })
        } else {
            (false, Status::Pass)
        };
        checks.push(Check {
            rule: Rule::Regression,
            profile: c.profile.clone(),
            metric_id: c.metric_id.clone(),
            status,
            would_fail: (fails && scaffold).then(|| reason.clone()),
            message: if fails && scaffold { format!("scaffold (would fail: {reason})") } else { reason },
            streak: None,
            escalate_after: None,
            comparison: Some(c),
            warn_issue: None,
        });
    }
    drift.extend(browser_drift.into_iter().map(|(d, _)| d));
    (checks, drift)
}

/// A metric's one status: the worst of its budget judgement and every rule's check on it
/// (an escalated streak, a regression), except that a metric that was not measured stays a
/// skip unless a rule warned or failed on it.
pub fn decide(judged: Status, checks: impl IntoIterator<Item = Status>) -> Status {
    checks.into_iter().filter(|s| matches!(s, Status::Warn | Status::Fail)).fold(judged, Status::worst)
}

/// Whether `--engine` left the metric out of this run on the variants gated by `profile`.
fn left_out(records: &[Record], profile: &str, metric_id: &str) -> bool {
    records.iter().any(|r| r.profile == profile && r.metric_id == metric_id && r.is_left_out())
}

fn budget_message(r: &Record) -> String {
    match (r.value, r.status, &r.reason) {
        (_, _, Some(reason)) => reason.clone(),
        (Some(v), Status::Fail, None) => {
            format!("{v} {} is above the hard threshold {}", r.unit, num(r.threshold_hard))
        }
        (Some(v), Status::Warn, None) => {
            format!("{v} {} is above the warn threshold {}", r.unit, num(r.threshold_warn))
        }
        (Some(v), _, None) => format!("{v} {} is within its budget", r.unit),
        (None, _, None) => "no value".to_owned(),
    }
}

fn num(v: Option<f64>) -> String {
    v.map_or("-".to_owned(), |v| format!("{v}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::VariantKind;
    use crate::run::VariantReport;
    use crate::sequential::Statistic;
    use crate::unit::Unit;
    use serde_json::{Value, json};

    fn budgets() -> Budgets {
        Budgets::parse(
            "b.json",
            &json!({
                "schema_version": "wasm-perf-budgets-v1", "profiles": ["core-min"], "seed_set": [11],
                "metrics": [
                    {"id": "M-HARD", "name": "raw", "unit": "bytes", "source": "size.raw", "required": true,
                     "gate": "hard", "thresholds": {"core-min": {"hard": 30000}}},
                    {"id": "M-OP", "name": "op p95", "unit": "us", "source": "runtime.scenario_p95", "required": false,
                     "gate": "warn_then_block", "escalate_after": 2, "thresholds": {"core-min": {"warn": 8, "hard": 12}}}
                ]
            })
            .to_string(),
        )
        .unwrap()
    }

    /// Records as `build_records` makes them: status from the thresholds.
    fn records(budgets: &Budgets, hard: f64, op: f64) -> Vec<Record> {
        [("M-HARD", hard), ("M-OP", op)]
            .into_iter()
            .map(|(id, value)| {
                let m = budgets.metric(id).unwrap();
                let t = m.thresholds["core-min"];
                Record {
                    commit: "c".into(),
                    profile: "core-min".into(),
                    variant: VariantKind::Release,
                    environment: "e".into(),
                    metric_id: id.into(),
                    metric: m.name.clone(),
                    value: Some(value),
                    unit: m.unit,
                    threshold_warn: t.warn,
                    threshold_hard: Some(t.hard),
                    status: m.evaluate("core-min", value).unwrap(),
                    required: m.required,
                    wall_clock: false,
                    reason: None,
                    seed_set: vec![],
                    commands: vec![],
                    artifact_paths: vec![],
                    artifact_sha256: None,
                    outcome: Some(crate::runtime::Measurement::Value(value)),
                }
            })
            .collect()
    }

    const RUSTC: &str = "rustc 1.95.0 (x)\nrelease: 1.95.0\n";

    fn baseline(status: &str, metrics: Value) -> Baseline {
        Baseline::parse(
            "baseline.json",
            &json!({
                "schema_version": "wasm-perf-baseline-v1", "status": status, "toolchain_drift": "fail",
                "provenance": {"commit": "c", "rustc": RUSTC, "binaryen": "116", "policy_sha256": "p", "host": "h"},
                "tolerances": {"defaults": {"bytes": {"relative_pct": 1.0, "absolute": 512}, "us": {"relative_pct": 20, "absolute": 0.5}}},
                "metrics": metrics
            })
            .to_string(),
        )
        .unwrap()
    }

    fn anchored(hard: Value, op: Value) -> Value {
        json!([
            {"profile": "core-min", "metric_id": "M-HARD", "unit": "bytes", "value": hard},
            {"profile": "core-min", "metric_id": "M-OP", "unit": "us", "value": op}
        ])
    }

    #[test]
    fn a_timing_stops_early_only_clear_of_its_thresholds_and_its_baselines_limit() {
        let (b, release) = (budgets(), [(VariantKind::Release, "core-min")]);
        let p95 = Statistic::MedianOfSeedP95s;
        let plan = |stops: &EarlyStops, v| stops.plan("M-OP", v, Unit::Micros, 4, p95).map(|p| p.limits);
        // A size never stops early: it is not sampled.
        let none = early_stops(&b, None, &release);
        assert_eq!(none.plan("M-HARD", VariantKind::Release, Unit::Bytes, 4, p95), None);
        assert_eq!(plan(&none, VariantKind::Release), Some(vec![8.0, 12.0]));
        assert_eq!(plan(&none, VariantKind::Dev), None, "a variant the run does not build");
        // 5 us +20% is 6, but the absolute +0.5 is less: the limit is 6.
        let with_baseline = early_stops(&b, Some(&baseline("active", anchored(json!(100), json!(5.0)))), &release);
        assert_eq!(plan(&with_baseline, VariantKind::Release), Some(vec![8.0, 12.0, 6.0]));
        let unanchored = early_stops(&b, Some(&baseline("active", anchored(json!(100), Value::Null))), &release);
        assert_eq!(plan(&unanchored, VariantKind::Release), Some(vec![8.0, 12.0]));
    }

    struct Case {
        name: &'static str,
        hard: f64,
        op: f64,
        baseline: Value,
        prior_warnings: u32,
        rustc: &'static str,
        scaffold: Status,
        active: Status,
        /// A check message that must appear (in both modes).
        says: &'static str,
    }

    #[test]
    fn every_rule_in_both_modes() {
        let same = |h: f64, o: f64| anchored(json!(h), json!(o));
        let cases = [
            Case {
                name: "pass",
                hard: 25000.0,
                op: 5.0,
                baseline: same(25000.0, 5.0),
                prior_warnings: 0,
                rustc: RUSTC,
                scaffold: Status::Pass,
                active: Status::Pass,
                says: "within tolerance",
            },
            Case {
                name: "equal to the thresholds",
                hard: 30000.0,
                op: 8.0,
                baseline: same(30000.0, 8.0),
                prior_warnings: 0,
                rustc: RUSTC,
                scaffold: Status::Pass,
                active: Status::Pass,
                says: "30000 bytes is within its budget",
            },
            Case {
                name: "warn",
                hard: 25000.0,
                op: 9.0,
                baseline: same(25000.0, 9.0),
                prior_warnings: 0,
                rustc: RUSTC,
                scaffold: Status::Warn,
                active: Status::Warn,
                says: "warning 1 of 2 in a row on main",
            },
            Case {
                name: "escalated warn",
                hard: 25000.0,
                op: 9.0,
                baseline: same(25000.0, 9.0),
                prior_warnings: 1,
                rustc: RUSTC,
                scaffold: Status::Fail,
                active: Status::Fail,
                says: "warning 2 of 2 in a row on main: escalated to failure",
            },
            Case {
                name: "hard fail",
                hard: 30001.0,
                op: 5.0,
                baseline: same(30001.0, 5.0),
                prior_warnings: 0,
                rustc: RUSTC,
                scaffold: Status::Fail,
                active: Status::Fail,
                says: "30001 bytes is above the hard threshold 30000",
            },
            Case {
                name: "regression",
                hard: 26000.0,
                op: 5.0,
                baseline: same(25000.0, 5.0),
                prior_warnings: 0,
                rustc: RUSTC,
                scaffold: Status::Pass,
                active: Status::Fail,
                says: "regressed 25000 -> 26000 bytes (+4.00%, +1000); tolerance +1% and +512 bytes",
            },
            Case {
                name: "below the absolute floor",
                hard: 25400.0,
                op: 5.4,
                baseline: same(25000.0, 5.0),
                prior_warnings: 0,
                rustc: RUSTC,
                scaffold: Status::Pass,
                active: Status::Pass,
                says: "within tolerance",
            },
            Case {
                name: "metric missing from the baseline",
                hard: 25000.0,
                op: 5.0,
                baseline: json!([{"profile": "core-min", "metric_id": "M-HARD", "unit": "bytes", "value": 25000}]),
                prior_warnings: 0,
                rustc: RUSTC,
                scaffold: Status::Pass,
                active: Status::Fail,
                says: "measured now but missing from the baseline (schema drift)",
            },
            Case {
                name: "metric missing from the run",
                hard: 25000.0,
                op: 5.0,
                baseline: {
                    let mut b = same(25000.0, 5.0);
                    b.as_array_mut()
                        .unwrap()
                        .push(json!({"profile": "core-min", "metric_id": "M-GONE", "unit": "bytes", "value": 1}));
                    b
                },
                prior_warnings: 0,
                rustc: RUSTC,
                scaffold: Status::Pass,
                active: Status::Fail,
                says: "in the baseline but missing from this run (schema drift)",
            },
            Case {
                name: "unanchored",
                hard: 25000.0,
                op: 5.0,
                baseline: anchored(json!(null), json!(5.0)),
                prior_warnings: 0,
                rustc: RUSTC,
                scaffold: Status::Pass,
                active: Status::Fail,
                says: "measured 25000 but the baseline value is null (unanchored)",
            },
            Case {
                name: "unit mismatch",
                hard: 25000.0,
                op: 5.0,
                baseline: json!([{"profile": "core-min", "metric_id": "M-HARD", "unit": "bytes", "value": 25000}, {"profile": "core-min", "metric_id": "M-OP", "unit": "ms", "value": 5}]),
                prior_warnings: 0,
                rustc: RUSTC,
                scaffold: Status::Pass,
                active: Status::Fail,
                says: "unit mismatch: baseline ms, run us",
            },
            Case {
                name: "toolchain drift",
                hard: 26000.0,
                op: 5.0,
                baseline: same(25000.0, 5.0),
                prior_warnings: 0,
                rustc: "rustc 1.96.0 (y)\nrelease: 1.96.0\n",
                scaffold: Status::Pass,
                active: Status::Fail,
                says: "toolchain drift since the baseline: rustc 1.95.0 -> 1.96.0",
            },
            Case {
                name: "NaN",
                hard: f64::NAN,
                op: 5.0,
                baseline: same(25000.0, 5.0),
                prior_warnings: 0,
                rustc: RUSTC,
                scaffold: Status::Fail,
                active: Status::Fail,
                says: "NaN bytes is above the hard threshold 30000",
            },
        ];
        for case in cases {
            for (mode, expected) in [("scaffold", case.scaffold), ("active", case.active)] {
                let budgets = budgets();
                let b = baseline(mode, case.baseline.clone());
                let mut streaks = StreakState::default();
                for _ in 0..case.prior_warnings {
                    streaks.advance(
                        "main",
                        &[Observation {
                            profile: "core-min".into(),
                            metric_id: "M-OP".into(),
                            status: Status::Warn,
                            escalate_after: 2,
                        }],
                    );
                }
                let recs = records(&budgets, case.hard, case.op);
                let input = GateInput {
                    budgets: &budgets,
                    baseline: Some(&b),
                    branch: "main",
                    run_id: "r1",
                    rustc: case.rustc,
                    binaryen: "116",
                    wasm_bindgen: None,
                    runner: None,
                    issues_url: None,
                    subject: None,
                    browsers: &[],
                    attributions: &[],
                };
                let report = evaluate(&input, &recs, &mut streaks);
                let messages: Vec<&str> = report.checks.iter().map(|c| c.message.as_str()).collect();
                assert_eq!(report.verdict, expected, "{} ({mode}): {messages:#?}", case.name);
                assert!(messages.iter().any(|m| m.contains(case.says)), "{} ({mode}): {messages:#?}", case.name);
                if mode == "scaffold" && case.active == Status::Fail && case.scaffold == Status::Pass {
                    assert!(
                        messages.iter().any(|m| m.starts_with("scaffold (would fail: ")),
                        "{} shows would fail",
                        case.name
                    );
                }
            }
        }
    }

    #[test]
    fn a_browser_major_other_than_the_baselines_is_drift_and_its_cold_init_is_not_compared() {
        use crate::browser::{BrowserIdentity, EnvironmentRun};
        let browser_budgets = Budgets::parse(
            "b.json",
            &json!({
                "schema_version": "wasm-perf-budgets-v1", "profiles": ["core-min"], "seed_set": [11],
                "metrics": [{"id": "M-CHR", "name": "cold", "unit": "ms", "source": "browser.desktop_cold_init",
                             "required": true, "gate": "hard", "thresholds": {"core-min": {"hard": 85}}}]
            })
            .to_string(),
        )
        .unwrap();
        let record = Record {
            value: Some(40.0),
            unit: Unit::Millis,
            status: Status::Pass,
            wall_clock: true,
            metric_id: "M-CHR".into(),
            ..records(&budgets(), 1.0, 1.0)[0].clone()
        };
        let policy = crate::policy::Policy::parse(
            "policy.json",
            include_str!("../../../../.github/wasm_optimization_policy.json"),
        )
        .unwrap();
        let ran = |version: &str| {
            let mut v = VariantReport::planned(&policy.profiles[2], vec![]);
            assert_eq!(v.budget_profile, "core-min");
            let env = crate::corpus::Environment::chromium("desktop-chromium", "M-CHR");
            let browser = BrowserIdentity::new("Chromium", version, "V8 15.6");
            v.browsers = vec![EnvironmentRun { browser, ..EnvironmentRun::planned(&env, true, "return 1;") }];
            vec![v]
        };
        let baseline = |browsers: Value| {
            let mut text = serde_json::to_value(baseline(
                "active",
                json!([
                    {"profile": "core-min", "metric_id": "M-CHR", "unit": "ms", "value": 15.0}
                ]),
            ))
            .unwrap();
            text["provenance"]["browsers"] = browsers;
            text["tolerances"]["defaults"]["ms"] = json!({"relative_pct": 25.0, "absolute": 0.5});
            Baseline::parse("baseline.json", &text.to_string()).unwrap()
        };
        let cases = [
            (json!({"desktop-chromium": "Chromium 156"}), "156.0.8078.114", Status::Fail, "regressed 15 -> 40 ms"),
            (
                json!({"desktop-chromium": "Chromium 156"}),
                "157.0.1.2",
                Status::Fail,
                "browser drift since the baseline: desktop-chromium browser Chromium 156 -> Chromium 157; M-CHR is not \
                 compared, rebaseline with this browser",
            ),
            (
                json!({}),
                "156.0.8078.114",
                Status::Fail,
                "browser drift since the baseline: desktop-chromium browser not recorded -> Chromium 156",
            ),
        ];
        for (recorded, version, verdict, says) in cases {
            let b = baseline(recorded);
            let variants = ran(version);
            let input = GateInput {
                budgets: &browser_budgets,
                baseline: Some(&b),
                branch: "main",
                run_id: "r",
                rustc: RUSTC,
                binaryen: "116",
                wasm_bindgen: None,
                runner: None,
                issues_url: None,
                subject: None,
                browsers: &crate::run::browsers_ran(&variants),
                attributions: &[],
            };
            let report = evaluate(&input, std::slice::from_ref(&record), &mut StreakState::default());
            assert_eq!(report.verdict, verdict, "{version}");
            assert!(report.checks.iter().any(|c| c.message.starts_with(says)), "{says}: {:#?}", report.checks);
            let regression = report.checks.iter().find(|c| c.rule == Rule::Regression).unwrap();
            let drifted = !says.starts_with("regressed");
            assert_eq!(regression.status == Status::Skip, drifted, "{}", regression.message);
            assert_eq!(report.toolchain_drift.len(), usize::from(drifted));
        }
    }

    #[test]
    fn toolchain_drift_is_not_reported_as_a_plain_regression() {
        let budgets = budgets();
        let b = baseline("active", anchored(json!(25000), json!(5)));
        let recs = records(&budgets, 26000.0, 5.0);
        let input = GateInput {
            budgets: &budgets,
            baseline: Some(&b),
            branch: "main",
            run_id: "r",
            rustc: RUSTC,
            binaryen: "117",
            wasm_bindgen: None,
            runner: None,
            issues_url: None,
            subject: None,
            browsers: &[],
            attributions: &[],
        };
        let report = evaluate(&input, &recs, &mut StreakState::default());
        let verdicts: Vec<(&str, Status)> = report.metrics.iter().map(|m| (m.metric_id.as_str(), m.status)).collect();
        assert_eq!(
            verdicts,
            [("M-HARD", Status::Pass), ("M-OP", Status::Pass)],
            "skipped comparisons do not fail a metric"
        );
        let regression = report.checks.iter().find(|c| c.rule == Rule::Regression && c.metric_id == "M-HARD").unwrap();
        assert_eq!(regression.status, Status::Skip);
        assert!(regression.message.starts_with("not compared across toolchains (regressed"), "{}", regression.message);
        assert_eq!(report.toolchain_drift.len(), 1);
    }

    #[test]
    fn timings_are_compared_only_on_the_runner_image_they_were_measured_on() {
        let budgets = budgets();
        // Both regressed against the baseline: +4,000 bytes and 5 → 9 µs.
        let recs = records(&budgets, 29000.0, 9.0);
        let mut on_image = baseline("active", anchored(json!(25000), json!(5)));
        on_image.provenance.runner = Some("ubuntu22 20241201.1.0".into());
        let developer = baseline("active", anchored(json!(25000), json!(5)));
        let regression = |b: &Baseline, runner: Option<&str>| {
            let input = GateInput {
                budgets: &budgets,
                baseline: Some(b),
                branch: "main",
                run_id: "r",
                rustc: RUSTC,
                binaryen: "116",
                wasm_bindgen: None,
                runner,
                issues_url: None,
                subject: None,
                browsers: &[],
                attributions: &[],
            };
            let report = evaluate(&input, &recs, &mut StreakState::default());
            let check = |id: &str| {
                let c = report.checks.iter().find(|c| c.rule == Rule::Regression && c.metric_id == id).unwrap();
                (c.status, c.message.clone())
            };
            (check("M-HARD"), check("M-OP"))
        };
        let image = Some("ubuntu22 20241201.1.0");
        for (b, runner) in [(&on_image, image), (&developer, None)] {
            let ((size, _), (timing, _)) = regression(b, runner);
            assert_eq!((size, timing), (Status::Fail, Status::Fail), "same machine: both compared ({runner:?})");
        }
        for (b, runner, says) in [
            (
                &on_image,
                Some("ubuntu22 20250105.1.0"),
                "runner image ubuntu22 20241201.1.0, this run on runner image ubuntu22 20250105.1.0",
            ),
            (&on_image, None, "runner image ubuntu22 20241201.1.0, this run on no runner image"),
            (&developer, image, "measured on no runner image, this run on runner image ubuntu22 20241201.1.0"),
        ] {
            let ((size, _), (timing, message)) = regression(b, runner);
            assert_eq!(size, Status::Fail, "sizes do not depend on the machine: {runner:?}");
            assert_eq!(timing, Status::Skip, "{message}");
            assert!(
                message.starts_with("not compared across machines (regressed") && message.contains(says),
                "{message}"
            );
        }
    }

    #[test]
    fn escalation_decides_the_metric_and_no_baseline_means_no_regression_checks() {
        let budgets = budgets();
        let mut streaks = StreakState::default();
        let input = GateInput {
            budgets: &budgets,
            baseline: None,
            branch: "main",
            run_id: "r",
            rustc: RUSTC,
            binaryen: "116",
            wasm_bindgen: None,
            runner: None,
            issues_url: Some("https://github.com/o/r/issues"),
            subject: None,
            browsers: &[],
            attributions: &[],
        };
        let issue = |report: &GateReport| {
            let check = report.checks.iter().find(|c| c.rule == Rule::WarnThenBlock).unwrap();
            check.warn_issue.as_ref().map(|i| (i.title.clone(), i.search_url.is_some()))
        };
        let first = records(&budgets, 1.0, 9.0);
        let report = evaluate(&input, &first, &mut streaks);
        assert_eq!(report.verdict, Status::Warn);
        assert_eq!(issue(&report), Some(("perf warn: M-OP (core-min)".to_owned(), true)), "a warning names its issue");
        let second = records(&budgets, 1.0, 9.0);
        let report = evaluate(&input, &second, &mut streaks);
        assert_eq!((report.verdict, second[1].status), (Status::Fail, Status::Warn), "the record keeps its judgement");
        assert!(issue(&report).is_some(), "an escalated warning still names its issue");
        let verdicts: Vec<(&str, Status)> = report.metrics.iter().map(|m| (m.metric_id.as_str(), m.status)).collect();
        assert_eq!(verdicts, [("M-HARD", Status::Pass), ("M-OP", Status::Fail)]);
        assert!(report.checks.iter().all(|c| c.rule != Rule::Regression));
        assert_eq!(report.baseline_status, None);
        let third = records(&budgets, 1.0, 5.0);
        let report = evaluate(&input, &third, &mut streaks);
        assert_eq!(report.verdict, Status::Pass);
        assert_eq!(issue(&report), None, "a pass has no issue");
        assert!(streaks.branches["main"].is_empty(), "a pass resets the streak");
    }
}
