//! The working tree against a base commit's builds (`perf --compare REF`), for what is
//! deterministic: every size metric of what ships (the module's bytes and sections, the JS
//! glue) of each variant, the base's beside the head's, exactly. The same sources with the
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
use crate::sequential::{Change, Look, PairedOutcome};
use crate::unit::Unit;

/// The head's size records against the base's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgainstBase {
    /// What the command line named (`origin/main`, `HEAD~1`, a SHA).
    pub reference: String,
    /// The commit it resolved to, whose sources the base was built from.
    pub commit: String,
    pub sizes: Vec<SizeAgainstBase>,
    /// The timed metrics compared in alternation: wasmtime's per-operation p95, and in each
    /// browser, cold init and the per-operation p95 of the timed scenarios.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timings: Vec<TimingAgainstBase>,
}

/// One timed metric of one variant: both sides' statistic (the median over seeds of the
/// per-seed p95; a browser's cold init, whose `scenario` is `None`, pools its seeds: the p95
/// of all its loads) and the paired decision, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingAgainstBase {
    pub profile: String,
    pub variant: VariantKind,
    pub metric_id: String,
    /// "wasmtime", or the corpus environment (a browser) it was compared in.
    pub environment: String,
    /// The scenario whose operations it times; `None` for cold init.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    pub unit: Unit,
    pub base: Option<f64>,
    pub head: Option<f64>,
    /// The look sampling stopped at: the outcome, head / base and its interval.
    pub look: Option<Look<Change>>,
    pub error: Option<String>,
}

impl TimingAgainstBase {
    /// One row per metric of `scenario` fed by its per-operation p95, in the metric's unit.
    pub fn of(budgets: &Budgets, report: &VariantReport, scenario: &Scenario, outcome: &PairedOutcome) -> Vec<Self> {
        let metrics = scenario.metrics.iter().filter_map(|id| budgets.metric(id));
        metrics
            .filter(|m| m.source == Source::RuntimeScenarioP95)
            .map(|m| {
                let mut row = Self::row(report, "wasmtime", &m.id, Unit::Nanos, m.unit, outcome);
                row.scenario = Some(scenario.id.clone());
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
        let (look, base, head, error) = match outcome {
            Ok((look, base, head)) => {
                (Some(look.clone()), measured.convert(*base, unit), measured.convert(*head, unit), None)
            }
            Err(e) => (None, None, None, Some(e.clone())),
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
        }
    }

    pub fn change(&self) -> Option<Change> {
        self.look.as_ref().map(|l| l.decision)
    }
}

/// One size metric of one variant, both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeAgainstBase {
    pub profile: String,
    pub variant: VariantKind,
    pub metric_id: String,
    pub unit: Unit,
    /// `None` where that side has no value (its build failed, or it ships no glue).
    pub base: Option<f64>,
    pub head: Option<f64>,
}

/// What a size did between base and head.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SizeChange {
    Same,
    /// By this much (head − base).
    Changed(f64),
    /// One side has no value.
    OneSided,
}

impl SizeAgainstBase {
    pub fn change(&self) -> SizeChange {
        match (self.base, self.head) {
            (Some(b), Some(h)) if b == h => SizeChange::Same,
            (Some(b), Some(h)) => SizeChange::Changed(h - b),
            (None, None) => SizeChange::Same,
            _ => SizeChange::OneSided,
        }
    }
}

impl AgainstBase {
    /// Pairs each of `head`'s size records (of the artifact's bytes) with the same record of
    /// `base`, the base's builds judged against the same budgets; `timings` were compared in
    /// the run.
    pub fn of(
        reference: &str,
        commit: &str,
        budgets: &Budgets,
        head: &[Record],
        base: &[VariantReport],
        timings: Vec<TimingAgainstBase>,
    ) -> AgainstBase {
        let base = build_records(budgets, base, commit);
        let of_artifact = |r: &&Record| {
            budgets.metrics.iter().any(|m| m.id == r.metric_id && m.source.info().engine == Engine::Artifact)
        };
        let sizes = head
            .iter()
            .filter(of_artifact)
            .map(|h| {
                let b = base.iter().find(|b| b.variant == h.variant && b.metric_id == h.metric_id);
                SizeAgainstBase {
                    profile: h.profile.clone(),
                    variant: h.variant,
                    metric_id: h.metric_id.clone(),
                    unit: h.unit,
                    base: b.and_then(|b| b.value),
                    head: h.value,
                }
            })
            .collect();
        AgainstBase { reference: reference.to_owned(), commit: commit.to_owned(), sizes, timings }
    }

    /// The sizes that differ, in order.
    pub fn changed(&self) -> impl Iterator<Item = &SizeAgainstBase> {
        self.sizes.iter().filter(|s| s.change() != SizeChange::Same)
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
        let ids: Vec<&str> = same.sizes.iter().map(|s| s.metric_id.as_str()).collect();
        assert_eq!(ids, ["M-PERF-01A", "M-PERF-01B"], "a scenario's time is not compared here");
        assert_eq!(same.changed().count(), 0);
        let larger = [release(Some(artifact(124, 51)), None)];
        let smaller = AgainstBase::of("HEAD~1", "abc", &budgets, &head, &larger, Vec::new());
        let changed: Vec<(&str, SizeChange)> = smaller.changed().map(|s| (s.metric_id.as_str(), s.change())).collect();
        assert_eq!(changed, [("M-PERF-01A", SizeChange::Changed(-24.0))]);
        let failed =
            AgainstBase::of("HEAD~1", "abc", &budgets, &head, &[release(None, Some("cargo build failed"))], Vec::new());
        assert!(failed.sizes.iter().all(|s| s.change() == SizeChange::OneSided && s.base.is_none()));
    }
}
