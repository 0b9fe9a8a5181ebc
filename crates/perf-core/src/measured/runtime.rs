//! What the wasm engine measured for one variant's scenarios, and how a metric's value is
//! taken from it: the seed protocol's median of the per-seed p95 for timings and heap, the
//! median of the per-seed medians for fuel, and the ratio of two timings for an overhead.
//!
//! The runner (in `xtask`) fills these types with raw figures; deciding what they mean for
//! a metric is here, so it is testable with plain numbers. Wall-clock figures live under
//! `timing`, `reference_timing` and `calibration`: they differ run to run, so the summary's
//! signature leaves them out.

use serde::{Deserialize, Serialize};

use crate::budget::{Metric, Source};
use crate::sequential::{Look, Standing};
use crate::stats::{self, Distribution};
use crate::unit::Unit;

/// One variant's runtime measurements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeReport {
    /// The engine and its version, e.g. `wasmtime 48.0.1 (cranelift)`.
    pub engine: String,
    /// The harness's own cost per timed call, subtracted from every operation sample.
    pub calibration: Option<Calibration>,
    /// Set when the run was narrowed (`--scenario`, `--seed`): its figures do not follow
    /// the whole protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<String>,
    pub scenarios: Vec<ScenarioRun>,
}

/// The per-call cost of an empty operation timed exactly like a scenario's (ns).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    pub empty_op_ns: Distribution,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioRun {
    pub scenario: String,
    pub export: Option<String>,
    pub metrics: Vec<String>,
    /// The command that runs this scenario alone.
    pub repro: String,
    /// Cold init (compile + instantiate) or one operation, per seed, in ns (calibrated).
    pub timing: Option<Figures>,
    /// Where the cold init's sampling stopped, against the gate's limits (`early_stop.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub look: Option<Look<Standing>>,
    /// The reference export's operation timing, for overhead metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_timing: Option<Figures>,
    /// The allocator's bytes in use after each sampled operation, per seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heap: Option<Figures>,
    /// Fuel (wasmtime's count of executed wasm operators) per operation, per seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<FuelFigures>,
    /// Why the scenario stopped; its metrics fail closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
}

/// Per-seed distributions and the protocol's gate value over them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figures {
    /// The samples' unit (ns for times, ms for a browser's cold-init phases, bytes for a
    /// heap): a metric's value converts from it.
    pub unit: Unit,
    pub seeds: Vec<SeedFigures>,
    /// The median over seeds of each seed's p95.
    pub median_of_p95: f64,
}

// No deny_unknown_fields: serde cannot combine it with flatten.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SeedFigures {
    pub seed: u64,
    #[serde(flatten)]
    pub distribution: Distribution,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FuelFigures {
    pub seeds: Vec<SeedFuel>,
    /// The median over seeds of each seed's median fuel per operation: the gated value.
    pub median: f64,
    /// The most fuel any single operation took, over all seeds.
    pub max: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFuel {
    pub seed: u64,
    pub median: u64,
    pub max: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunError {
    pub kind: RunErrorKind,
    pub message: String,
}

/// Why a scenario could not be measured. `Input` is bad input (exit 2); the others are the
/// code's own behaviour and fail its metrics (exit 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunErrorKind {
    /// A missing export, a wrong signature, an import the runner cannot satisfy, a module
    /// that does not compile.
    Input,
    /// The wasm code trapped.
    Trap,
    /// The fuel, time or memory limit stopped it.
    Limit,
    /// setup, op or teardown reported an error code.
    Invariant,
    /// The environment failed, not the code: a browser that did not start, crashed, hung
    /// or was killed (exit 2, like bad input).
    Environment,
}

impl RunError {
    /// A failed environment (a browser that did not start, crashed, hung or was killed).
    pub fn environment(message: impl Into<String>) -> RunError {
        RunError { kind: RunErrorKind::Environment, message: message.into() }
    }
}

/// A metric's value from a run, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Measurement {
    Value(f64),
    /// Not measured, for a reason that is not a failure (an optional metric skips).
    NotMeasured(String),
    /// The measurement was attempted and failed: the metric fails closed.
    Failed(String),
    /// Left out on purpose by a narrowed run (`--engine`): skipped even when required, and
    /// the run says so and updates no streaks.
    LeftOut(String),
}

impl Figures {
    /// Per-seed distributions of `samples` (seed, samples) in `unit`; `None` if a seed has
    /// no samples or a NaN.
    pub fn of(unit: Unit, samples: &[(u64, Vec<f64>)]) -> Option<Figures> {
        let seeds = samples
            .iter()
            .map(|(seed, s)| Some(SeedFigures { seed: *seed, distribution: Distribution::of(s)? }))
            .collect::<Option<Vec<_>>>()?;
        let per_seed: Vec<Distribution> = seeds.iter().map(|s| s.distribution).collect();
        Some(Figures { unit, median_of_p95: stats::median_of_p95(&per_seed)?, seeds })
    }
}

impl FuelFigures {
    /// From each seed's fuel per operation; `None` if a seed has no operations.
    pub fn of(samples: &[(u64, Vec<u64>)]) -> Option<FuelFigures> {
        let seeds = samples
            .iter()
            .map(|(seed, s)| {
                let mut sorted = s.clone();
                sorted.sort_unstable();
                // The lower median: a count stays a count.
                let median = *sorted.get(sorted.len().checked_sub(1)? / 2)?;
                Some(SeedFuel { seed: *seed, median, max: *sorted.last()? })
            })
            .collect::<Option<Vec<_>>>()?;
        let medians: Vec<f64> = seeds.iter().map(|s| s.median as f64).collect();
        Some(FuelFigures { median: stats::median(&medians)?, max: seeds.iter().map(|s| s.max).max()?, seeds })
    }
}

/// An overhead in percent: the median over seeds of each seed's ratio of the two exports'
/// median operation times (timed seed by seed, back to back), minus one. A ratio of typical
/// costs: the p95 tails of operations of a few microseconds are preemption on a shared
/// machine, and a ratio of p95s swung between 0 and 20 points run to run here.
fn overhead_pct(timing: &Figures, reference: &Figures) -> Option<f64> {
    let ratios = timing
        .seeds
        .iter()
        .map(|t| {
            let r = reference.seeds.iter().find(|r| r.seed == t.seed)?;
            (r.distribution.p50 > 0.0).then(|| t.distribution.p50 / r.distribution.p50)
        })
        .collect::<Option<Vec<f64>>>()?;
    if ratios.len() != reference.seeds.len() {
        return None;
    }
    Some((stats::median(&ratios)? - 1.0) * 100.0)
}

impl RuntimeReport {
    /// The scenario run that feeds `metric_id` (the corpus allows one per variant).
    pub fn feeding(&self, metric_id: &str) -> Option<&ScenarioRun> {
        self.scenarios.iter().find(|s| s.metrics.iter().any(|m| m == metric_id))
    }

    /// The value of `metric` on this variant, from the scenario that feeds it.
    pub fn measurement(&self, metric: &Metric, variant: &str) -> Measurement {
        let Some(run) = self.feeding(&metric.id) else {
            let narrowed = self.selection.as_ref().map_or(String::new(), |s| format!(" (this run selected {s})"));
            return Measurement::NotMeasured(format!(
                "no scenario of the benchmark corpus run on the {variant} variant feeds {}{narrowed}",
                metric.id
            ));
        };
        if let Some(e) = &run.error {
            return Measurement::Failed(format!("scenario {} failed: {}", run.scenario, e.message));
        }
        let missing =
            |what: &str| Measurement::Failed(format!("scenario {} recorded no {what} for {}", run.scenario, metric.id));
        let value = match metric.source {
            Source::RuntimeColdInit | Source::RuntimeScenarioP95 => match &run.timing {
                Some(t) => t.unit.convert(t.median_of_p95, metric.unit),
                None => return missing("timing"),
            },
            Source::RuntimeReplayOverhead => match (&run.timing, &run.reference_timing) {
                (Some(t), Some(r)) => match overhead_pct(t, r) {
                    Some(pct) => metric.source.info().unit.convert(pct, metric.unit),
                    None => {
                        return Measurement::Failed(format!(
                            "scenario {}: the reference operation's median is 0 ns on a seed, or the two exports \
                             ran on different seeds: no ratio can be taken",
                            run.scenario
                        ));
                    }
                },
                _ => return missing("timing of both exports"),
            },
            Source::RuntimeHeap => match &run.heap {
                Some(h) => h.unit.convert(h.median_of_p95, metric.unit),
                None => return missing("heap samples"),
            },
            Source::RuntimeFuel => match &run.fuel {
                Some(f) => metric.source.info().unit.convert(f.median, metric.unit),
                None => return missing("fuel"),
            },
            // Another engine's source; a wasmtime source without an arm fails closed here.
            _ => {
                return Measurement::Failed(format!("{} is not measured by a scenario", metric.source.as_str()));
            }
        };
        match value {
            Some(v) => Measurement::Value(v),
            None => Measurement::Failed(format!(
                "a {} figure cannot be expressed in {} (the metric's unit)",
                metric.source.as_str(),
                metric.unit
            )),
        }
    }

    /// The scenarios that stopped with an error.
    pub fn errors(&self) -> impl Iterator<Item = (&ScenarioRun, &RunError)> {
        self.scenarios.iter().filter_map(|s| s.error.as_ref().map(|e| (s, e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::{GateKind, Thresholds};

    fn metric(id: &str, source: Source, unit: Unit) -> Metric {
        Metric {
            id: id.into(),
            name: id.into(),
            unit,
            source,
            required: false,
            gate: GateKind::Hard,
            escalate_after: None,
            thresholds: [("core-min".to_owned(), Thresholds { warn: None, hard: 1.0 })].into(),
        }
    }

    /// Five seeds whose samples are 1..=100 scaled by the seed's factor.
    fn figures(unit: Unit, scales: [f64; 5]) -> Figures {
        let samples: Vec<(u64, Vec<f64>)> = [11, 29, 42, 73, 101]
            .into_iter()
            .zip(scales)
            .map(|(seed, k)| (seed, (1..=100).map(|i| k * f64::from(i)).collect()))
            .collect();
        Figures::of(unit, &samples).unwrap()
    }

    fn run(metrics: &[&str]) -> ScenarioRun {
        ScenarioRun {
            scenario: "WB-X".into(),
            export: Some("x".into()),
            metrics: metrics.iter().map(|m| m.to_string()).collect(),
            repro: "cargo xtask perf --scenario WB-X".into(),
            timing: Some(figures(Unit::Nanos, [10.0, 20.0, 30.0, 40.0, 1000.0])),
            look: None,
            reference_timing: Some(figures(Unit::Nanos, [8.0, 16.0, 24.0, 32.0, 800.0])),
            heap: Some(figures(Unit::Bytes, [1024.0 * 1024.0; 5])),
            fuel: FuelFigures::of(&[(11, vec![5, 7, 6, 900]), (29, vec![7, 7, 8]), (42, vec![6])]),
            error: None,
        }
    }

    fn report(runs: Vec<ScenarioRun>) -> RuntimeReport {
        RuntimeReport { engine: "wasmtime".into(), calibration: None, selection: None, scenarios: runs }
    }

    #[test]
    fn each_source_takes_its_figure_in_the_metrics_unit() {
        let r = report(vec![run(&["T", "O", "H", "F"])]);
        // p95 of 1..=100 is 95.05; seeds scale it by 10, 20, 30, 40, 1000: the median is 30×.
        let cases = [
            (metric("T", Source::RuntimeScenarioP95, Unit::Micros), 95.05 * 30.0 / 1e3),
            (metric("T", Source::RuntimeScenarioP95, Unit::Nanos), 95.05 * 30.0),
            (metric("T", Source::RuntimeColdInit, Unit::Millis), 95.05 * 30.0 / 1e6),
            (metric("O", Source::RuntimeReplayOverhead, Unit::Percent), 25.0),
            (metric("H", Source::RuntimeHeap, Unit::Mebibytes), 95.05),
            (metric("F", Source::RuntimeFuel, Unit::Fuel), 6.0),
        ];
        for (m, expected) in cases {
            match r.measurement(&m, "release") {
                Measurement::Value(v) => assert!((v - expected).abs() < 1e-9, "{}: {v} != {expected}", m.id),
                other => panic!("{}: {other:?}", m.id),
            }
        }
    }

    #[test]
    fn an_overhead_compares_typical_operations_not_their_tails() {
        let m = metric("O", Source::RuntimeReplayOverhead, Unit::Percent);
        let seed = |seed: u64, p50: f64, p95: f64| SeedFigures {
            seed,
            distribution: Distribution { n: 2000, min: p50 / 2.0, p50, p95, p99: p95, max: p95 },
        };
        let figures = |seeds: Vec<SeedFigures>| Figures { unit: Unit::Nanos, median_of_p95: 0.0, seeds };
        let mut o = run(&["O"]);
        // The replay is 10% slower on every seed; one seed's tail was preempted.
        o.timing = Some(figures(vec![seed(11, 110.0, 300.0), seed(42, 220.0, 240.0), seed(73, 330.0, 360.0)]));
        o.reference_timing =
            Some(figures(vec![seed(11, 100.0, 110.0), seed(42, 200.0, 220.0), seed(73, 300.0, 330.0)]));
        match report(vec![o.clone()]).measurement(&m, "canary") {
            Measurement::Value(v) => assert!((v - 10.0).abs() < 1e-9, "{v}"),
            other => panic!("{other:?}"),
        }
        o.reference_timing = Some(figures(vec![seed(11, 100.0, 110.0), seed(42, 200.0, 220.0)]));
        assert!(matches!(report(vec![o]).measurement(&m, "canary"), Measurement::Failed(_)), "different seeds");
    }

    #[test]
    fn fuel_keeps_per_seed_medians_and_the_worst_operation() {
        let f = run(&[]).fuel.unwrap();
        let medians: Vec<u64> = f.seeds.iter().map(|s| s.median).collect();
        assert_eq!(medians, [6, 7, 6], "the lower median of an even count");
        assert_eq!((f.median, f.max), (6.0, 900));
        assert_eq!(FuelFigures::of(&[(11, vec![])]), None, "a seed without operations is no figure");
    }

    #[test]
    fn a_metric_without_a_figure_says_why_and_failures_fail_closed() {
        let mut broken = run(&["T"]);
        broken.error = Some(RunError { kind: RunErrorKind::Limit, message: "fuel limit".into() });
        let mut no_heap = run(&["H"]);
        no_heap.heap = None;
        let mut zero_reference = run(&["O"]);
        zero_reference.reference_timing = Some(figures(Unit::Nanos, [0.0; 5]));
        let cases = [
            (
                vec![],
                metric("T", Source::RuntimeScenarioP95, Unit::Micros),
                Measurement::NotMeasured(
                    "no scenario of the benchmark corpus run on the release variant feeds T".into(),
                ),
            ),
            (
                vec![broken],
                metric("T", Source::RuntimeScenarioP95, Unit::Micros),
                Measurement::Failed("scenario WB-X failed: fuel limit".into()),
            ),
            (
                vec![no_heap],
                metric("H", Source::RuntimeHeap, Unit::Mebibytes),
                Measurement::Failed("scenario WB-X recorded no heap samples for H".into()),
            ),
            (
                vec![zero_reference],
                metric("O", Source::RuntimeReplayOverhead, Unit::Percent),
                Measurement::Failed(
                    "scenario WB-X: the reference operation's median is 0 ns on a seed, or the two exports ran on different seeds: no ratio can be taken".into(),
                ),
            ),
            (
                vec![run(&["T"])],
                metric("T", Source::RuntimeScenarioP95, Unit::Bytes),
                Measurement::Failed(
                    "a runtime.scenario_p95 figure cannot be expressed in bytes (the metric's unit)".into(),
                ),
            ),
        ];
        for (runs, m, expected) in cases {
            assert_eq!(report(runs).measurement(&m, "release"), expected);
        }
        let narrowed = RuntimeReport { selection: Some("--scenario WB-Y".into()), ..report(vec![run(&["F"])]) };
        assert_eq!(
            narrowed.measurement(&metric("T", Source::RuntimeScenarioP95, Unit::Micros), "release"),
            Measurement::NotMeasured(
                "no scenario of the benchmark corpus run on the release variant feeds T (this run selected --scenario WB-Y)"
                    .into()
            )
        );
    }
}
