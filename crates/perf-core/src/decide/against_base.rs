//! The working tree against a base commit's builds (`perf --compare REF`), for what is
//! deterministic: every size metric of what ships (the module's bytes and sections, the JS
//! glue) and wasmtime's fuel per operation and heap in use, of each variant, the base's
//! beside the head's, exactly. The same sources with the
//! same tools give the same bytes, so any difference is the change's, however small; no
//! tolerance, no noise. Timings come measured in alternation with the base and decided by
//! `sequential::compare_paired`; here they become one row per metric they feed.

use serde::{Deserialize, Serialize};

use crate::browser_pairing::PairedTiming;
use crate::budget::{Budgets, Engine, Source};
use crate::corpus::Scenario;
use crate::policy::VariantKind;
use crate::record::{Record, build_records};
use crate::run::VariantReport;
use crate::sequential::{Change, Look, NotCompared, PairedOutcome};
use crate::unit::Unit;

/// The head's deterministic records against the base's, and the timings compared in
/// alternation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgainstBase {
    /// What the command line named (`origin/main`, `HEAD~1`, a SHA).
    pub reference: String,
    /// The commit it resolved to, whose sources the base was built from.
    pub commit: String,
    /// Every deterministic figure, both sides: the sizes of what ships, then fuel and heap.
    #[serde(alias = "sizes")]
    pub exact: Vec<ExactAgainstBase>,
    /// The timed metrics compared in alternation: wasmtime's per-operation p95 and cold start,
    /// and in each browser, cold init and the per-operation p95 of the timed scenarios.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timings: Vec<TimingAgainstBase>,
}

/// One timed metric of one variant: both sides' statistic (the median over seeds of the
/// per-seed p95; a browser's cold init and wasmtime's cold start, whose `scenario` is
/// `None`, pool their seeds: the p95 of all their samples) and the paired decision, or why
/// there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingAgainstBase {
    pub profile: String,
    pub variant: VariantKind,
    pub metric_id: String,
    /// "wasmtime", or the corpus environment (a browser) it was compared in.
    pub environment: String,
    /// The scenario whose operations it times; `None` for a cold init or cold start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    pub unit: Unit,
    pub base: Option<f64>,
    pub head: Option<f64>,
    /// The look sampling stopped at: the outcome, head / base and its interval.
    pub look: Option<Look<Change>>,
    /// Why the comparison could not run (a tool error: exit 2).
    pub error: Option<String>,
    /// Why the base gave nothing to compare with where the head did (new since the base, or
    /// broken there): a warning, the head's figure gated as measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_missing: Option<String>,
}

impl TimingAgainstBase {
    /// One row per metric of wasmtime's `scenario` fed by its per-operation p95, or by its
    /// cold start (whose samples pool the seeds: no `scenario` on the row), in the metric's
    /// unit.
    pub fn of(budgets: &Budgets, report: &VariantReport, scenario: &Scenario, outcome: &PairedOutcome) -> Vec<Self> {
        let (timed, named) = match scenario.export {
            Some(_) => (Source::RuntimeScenarioP95, Some(scenario.id.clone())),
            None => (Source::RuntimeColdInit, None),
        };
        let metrics = scenario.metrics.iter().filter_map(|id| budgets.metric(id));
        metrics
            .filter(|m| m.source == timed)
            .map(|m| {
                let mut row = Self::row(report, "wasmtime", &m.id, Unit::Nanos, m.unit, outcome);
                row.scenario = named.clone();
                row
            })
            .collect()
    }

    /// The row of a metric compared in browser `environment`, in the metric's unit; `None`
    /// for a metric the budgets do not hold.
    pub fn of_browser(budgets: &Budgets, report: &VariantReport, environment: &str, t: &PairedTiming) -> Option<Self> {
        let m = budgets.metric(&t.metric)?;
        let mut row = Self::row(report, environment, &m.id, t.unit, m.unit, &t.outcome);
        row.scenario = t.scenario.clone();
        Some(row)
    }

    /// `outcome`'s statistics, measured in `measured`, converted to the metric's `unit`.
    fn row(
        report: &VariantReport,
        environment: &str,
        metric_id: &str,
        measured: Unit,
        unit: Unit,
        outcome: &PairedOutcome,
    ) -> Self {
        let (look, base, head) = match outcome {
            Ok((look, base, head)) => {
                (Some(look.clone()), measured.convert(*base, unit), measured.convert(*head, unit))
            }
            Err(_) => (None, None, None),
        };
        let (error, base_missing) = match outcome {
            Ok(_) => (None, None),
            Err(NotCompared::Run(why)) => (Some(why.clone()), None),
            Err(NotCompared::Base(why)) => (None, Some(why.clone())),
        };
        TimingAgainstBase {
            profile: report.budget_profile.clone(),
            variant: report.variant,
            metric_id: metric_id.to_owned(),
            environment: environment.to_owned(),
            scenario: None,
            unit,
            base,
            head,
            look,
            error,
            base_missing,
        }
    }

    pub fn change(&self) -> Option<Change> {
        self.look.as_ref().map(|l| l.decision)
    }
}

/// One deterministic metric of one variant (a size, fuel, heap in use), both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExactAgainstBase {
    pub profile: String,
    pub variant: VariantKind,
    pub metric_id: String,
    pub unit: Unit,
    /// `None` where that side has no value (its build failed, it ships no glue, or its
    /// scenario failed).
    pub base: Option<f64>,
    pub head: Option<f64>,
}

/// What a deterministic figure did between base and head.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExactChange {
    Same,
    /// By this much (head − base).
    Changed(f64),
    /// One side has no value.
    OneSided,
}

impl ExactAgainstBase {
    pub fn change(&self) -> ExactChange {
        match (self.base, self.head) {
            (Some(b), Some(h)) if b == h => ExactChange::Same,
            (Some(b), Some(h)) => ExactChange::Changed(h - b),
            (None, None) => ExactChange::Same,
            _ => ExactChange::OneSided,
        }
    }
}

impl AgainstBase {
    /// Pairs each of `head`'s deterministic records (the artifact's bytes, wasmtime's fuel and
    /// heap) with the same record of `base`, the base's builds judged against the same
    /// budgets; `timings` were compared in the run.
    pub fn of(
        reference: &str,
        commit: &str,
        budgets: &Budgets,
        head: &[Record],
        base: &[VariantReport],
        timings: Vec<TimingAgainstBase>,
    ) -> AgainstBase {
        let base = build_records(budgets, base, commit);
        let exact = |r: &&Record| {
            budgets.metric(&r.metric_id).is_some_and(|m| {
                let info = m.source.info();
                info.engine == Engine::Artifact || (info.engine == Engine::Wasmtime && !info.wall_clock)
            })
        };
        let exact = head
            .iter()
            .filter(exact)
            .map(|h| {
                let b = base.iter().find(|b| b.variant == h.variant && b.metric_id == h.metric_id);
                ExactAgainstBase {
                    profile: h.profile.clone(),
                    variant: h.variant,
                    metric_id: h.metric_id.clone(),
                    unit: h.unit,
                    base: b.and_then(|b| b.value),
                    head: h.value,
                }
            })
            // A metric neither side measured on this variant has nothing to compare.
            .filter(|e| e.base.is_some() || e.head.is_some())
            .collect();
        AgainstBase { reference: reference.to_owned(), commit: commit.to_owned(), exact, timings }
    }

    /// The deterministic figures that differ, in order.
    pub fn changed(&self) -> impl Iterator<Item = &ExactAgainstBase> {
        self.exact.iter().filter(|s| s.change() != ExactChange::Same)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::tests::{BUDGETS, artifact, release};

    #[test]
    fn each_size_of_what_ships_is_paired_exactly_and_only_sizes() {
        let budgets = Budgets::parse("b.json", BUDGETS).unwrap();
        let head_variants = [release(Some(artifact(100, 51)), None)];
        let head = build_records(&budgets, &head_variants, "head");
        let same = AgainstBase::of("HEAD", "abc", &budgets, &head, &head_variants, Vec::new());
        let ids: Vec<&str> = same.exact.iter().map(|s| s.metric_id.as_str()).collect();
        assert_eq!(ids, ["M-PERF-01A", "M-PERF-01B"], "a scenario's time is not compared here");
        assert_eq!(same.changed().count(), 0);
        let larger = [release(Some(artifact(124, 51)), None)];
        let smaller = AgainstBase::of("HEAD~1", "abc", &budgets, &head, &larger, Vec::new());
        let changed: Vec<(&str, ExactChange)> = smaller.changed().map(|s| (s.metric_id.as_str(), s.change())).collect();
        assert_eq!(changed, [("M-PERF-01A", ExactChange::Changed(-24.0))]);
        let failed =
            AgainstBase::of("HEAD~1", "abc", &budgets, &head, &[release(None, Some("cargo build failed"))], Vec::new());
        assert!(failed.exact.iter().all(|s| s.change() == ExactChange::OneSided && s.base.is_none()));
    }

    /// The record tests' budgets with one more metric first, far from its thresholds.
    fn budgets_with(id: &str, unit: &str, source: &str) -> Budgets {
        let hard = r#"{"hard": 1e9}"#;
        let metric = format!(
            r#"{{"id": "{id}", "name": "{id}", "unit": "{unit}", "source": "{source}", "required": false, "gate": "hard",
               "thresholds": {{"full-dev": {hard}, "core-trace": {hard}, "core-min": {hard}}}}},"#
        );
        Budgets::parse("b.json", &BUDGETS.replace(r#""metrics": ["#, &format!(r#""metrics": [{metric}"#))).unwrap()
    }

    #[test]
    fn wasmtime_rows_name_the_scenario_of_an_operation_and_none_for_the_pooled_cold_start() {
        let budgets = budgets_with("M-WASMTIME-02A", "ms", "runtime.cold_init");
        let scenario = |id: &str, export: Option<&str>, metrics: &[&str]| Scenario {
            id: id.into(),
            journey: "j".into(),
            workload: serde_json::from_value(serde_json::json!("steady-throughput")).unwrap(),
            variants: vec![VariantKind::Release],
            export: export.map(Into::into),
            reference_export: None,
            js_api: None,
            metrics: metrics.iter().map(|m| (*m).into()).collect(),
            seed_set: vec![11],
        };
        let look = Look {
            decision: Change::Same,
            stop: true,
            look: 1,
            looks: 3,
            samples_per_seed: 25,
            value: 1.0,
            low: 0.95,
            high: 1.05,
        };
        let outcome: PairedOutcome = Ok((look, 2.0e6, 2.0e6));
        let report = release(Some(artifact(100, 51)), None);
        let cold = TimingAgainstBase::of(&budgets, &report, &scenario("WB-COLD", None, &["M-WASMTIME-02A"]), &outcome);
        let cold: Vec<_> = cold.iter().map(|r| (r.metric_id.as_str(), r.scenario.clone(), r.base, r.unit)).collect();
        assert_eq!(cold, [("M-WASMTIME-02A", None, Some(2.0), Unit::Millis)], "pooled, in the metric's unit");
        let op = scenario("WB-CHAN-01", Some("channel_reserve_send"), &["M-PERF-04A", "M-WASMTIME-02A"]);
        let rows = TimingAgainstBase::of(&budgets, &report, &op, &outcome);
        let named: Vec<_> = rows.iter().map(|r| (r.metric_id.as_str(), r.scenario.as_deref())).collect();
        assert_eq!(named, [("M-PERF-04A", Some("WB-CHAN-01"))], "an operation's rows are its p95's only");
    }

    #[test]
    fn fuel_is_compared_exactly_and_a_scenarios_time_is_not() {
        let budgets = budgets_with("M-FUEL-04A", "fuel", "runtime.fuel_per_op");
        let with_fuel = |fuel: u64| {
            let mut v = release(Some(artifact(100, 51)), None);
            let op = crate::runtime::ScenarioRun {
                scenario: "WB-CHAN-01".into(),
                export: Some("channel_reserve_send".into()),
                metrics: vec!["M-FUEL-04A".into(), "M-PERF-04A".into()],
                repro: "cargo xtask perf --scenario WB-CHAN-01".into(),
                timing: crate::runtime::Figures::of(Unit::Nanos, &[(11, vec![150.0 + fuel as f64])]),
                look: None,
                reference_timing: None,
                heap: None,
                fuel: crate::runtime::FuelFigures::of(&[(11, vec![fuel, fuel])]),
                error: None,
            };
            v.runtime = Some(crate::runtime::RuntimeReport {
                engine: "wasmtime".into(),
                calibration: None,
                selection: None,
                scenarios: vec![op],
            });
            v
        };
        let head_variants = [with_fuel(1_200)];
        let head = build_records(&budgets, &head_variants, "head");
        let against = AgainstBase::of("HEAD~1", "abc", &budgets, &head, &[with_fuel(1_000)], Vec::new());
        let ids: Vec<&str> = against.exact.iter().map(|s| s.metric_id.as_str()).collect();
        assert_eq!(ids, ["M-FUEL-04A", "M-PERF-01A", "M-PERF-01B"], "fuel and sizes, in the records' order");
        let changed: Vec<(&str, ExactChange)> = against.changed().map(|s| (s.metric_id.as_str(), s.change())).collect();
        assert_eq!(changed, [("M-FUEL-04A", ExactChange::Changed(200.0))]);
    }
}
