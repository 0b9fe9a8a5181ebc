//! The budget summary (`artifacts/wasm_budget_summary.json`): what was built and measured,
//! one record per (budget profile, metric) with its status, and the run's verdict.
//!
//! Records follow seed §7 (commit, profile, environment, metric_id, value, unit,
//! threshold_warn, threshold_hard, status, seed_set, commands, artifact_paths) and add the
//! reason for a skip or failure and the artifact's sha256. `report_signature` is a sha256
//! over the canonical form of everything deterministic (not the pipeline timings, not
//! wall-clock figures, not the verdict they sway), so two runs on the same inputs carry the
//! same signature.

use serde::{Deserialize, Serialize};

use crate::against_base::{AgainstBase, ExactAgainstBase};
use crate::attribution::Attribution;
use crate::digest;
use crate::pipeline::PipelineReport;
use crate::policy::VariantKind;
use crate::record::Record;
use crate::run::{ArtifactMeasurement, BenchmarkBuild, GlueMeasurement, Provenance, VariantReport};
use crate::runtime::{Figures, FuelFigures, RunError, RuntimeReport, ScenarioRun};
use crate::sequential::Change;
use crate::status::Status;
use crate::unit::Unit;

pub const SCHEMA_VERSION: &str = "wasm-budget-summary-v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    pub schema_version: String,
    pub verdict: Status,
    pub commit: String,
    pub package: String,
    pub seed_set: Vec<u64>,
    pub report_signature: String,
    pub provenance: Provenance,
    pub variants: Vec<VariantReport>,
    pub records: Vec<Record>,
    pub pipeline: PipelineReport,
    /// With `perf --compare REF`: what ships against REF's builds, exactly, and the timings
    /// compared in alternation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub against_base: Option<Box<AgainstBase>>,
}

/// Fail if any record or the pipeline failed, warn if any warned, pass otherwise.
pub fn verdict(records: &[Record], pipeline: &PipelineReport) -> Status {
    // A skip alone does not make a run pass or fail; a run of skips passes.
    records.iter().map(|r| r.status).chain([pipeline.status]).fold(Status::Pass, Status::worst)
}

impl Summary {
    /// The sha256 of the canonical JSON of [`Signed`]: the deterministic content.
    pub fn signature(&self) -> String {
        let value = serde_json::to_value(Signed::of(self)).unwrap_or_default();
        digest::sha256_hex(digest::canonical_json(&value).as_bytes())
    }

    /// This summary with `against` beside its records, signed again (the exact figures of
    /// both sides, not the timings). A timing that regressed against the base fails the run;
    /// one left undecided warns, and so does a figure the base gave nothing to compare with
    /// (new since the base, or broken there); one that could not be compared is the caller's
    /// tool error.
    pub fn with_against_base(self, against: AgainstBase) -> Summary {
        let timed = against.timings.iter().map(|t| match t.change() {
            Some(Change::Regressed) => Status::Fail,
            Some(Change::Undecided) => Status::Warn,
            None if t.base_missing.is_some() => Status::Warn,
            Some(Change::Same | Change::Improved) | None => Status::Pass,
        });
        let missing = against.exact.iter().map(|e| match (e.base, e.head) {
            (None, Some(_)) => Status::Warn,
            _ => Status::Pass,
        });
        let verdict = timed.chain(missing).fold(self.verdict, Status::worst);
        let mut summary = Summary { verdict, against_base: Some(Box::new(against)), ..self };
        summary.report_signature = summary.signature();
        summary
    }
}

/// What `report_signature` covers, as a type: the summary without the signature itself,
/// the pipeline (timings, cache hits) and the verdict, and without any wall-clock figure or
/// what it decides (the calibration, the timings, and a wall-clock record's value, status
/// and reason). It is built by exhaustive destructuring, so a field added to the summary
/// does not compile until it is signed or left out here on purpose.
#[derive(Serialize)]
struct Signed<'a> {
    schema_version: &'a str,
    commit: &'a str,
    package: &'a str,
    seed_set: &'a [u64],
    provenance: &'a Provenance,
    variants: Vec<SignedVariant<'a>>,
    records: Vec<SignedRecord<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    against_base: Option<SignedAgainstBase<'a>>,
}

/// What ships against the base: the deterministic figures, not the timings (wall-clock).
#[derive(Serialize)]
struct SignedAgainstBase<'a> {
    reference: &'a str,
    commit: &'a str,
    exact: &'a [ExactAgainstBase],
}

#[derive(Serialize)]
struct SignedVariant<'a> {
    id: &'a str,
    variant: VariantKind,
    budget_profile: &'a str,
    features: &'a [String],
    commands: &'a [String],
    wasm_opt: Option<&'a String>,
    pre_opt: Option<&'a ArtifactMeasurement>,
    post_opt: Option<&'a ArtifactMeasurement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    glue: Option<&'a GlueMeasurement>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    shipped_exports: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    benchmark: Option<&'a BenchmarkBuild>,
    #[serde(skip_serializing_if = "Option::is_none")]
    benchmark_error: Option<&'a String>,
    runtime: Option<SignedRuntime<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    runtime_skipped: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attribution: Option<&'a Attribution>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attribution_error: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a String>,
}

#[derive(Serialize)]
struct SignedRuntime<'a> {
    engine: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    selection: Option<&'a String>,
    scenarios: Vec<SignedScenario<'a>>,
}

#[derive(Serialize)]
struct SignedScenario<'a> {
    scenario: &'a str,
    export: Option<&'a String>,
    metrics: &'a [String],
    repro: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    heap: Option<&'a Figures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fuel: Option<&'a FuelFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a RunError>,
}

#[derive(Serialize)]
struct SignedRecord<'a> {
    commit: &'a str,
    profile: &'a str,
    variant: VariantKind,
    /// Left out for a wall-clock record: a browser's is this machine's browser and version.
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<&'a str>,
    metric_id: &'a str,
    metric: &'a str,
    /// Left out for a wall-clock record.
    #[serde(flatten)]
    judged: Option<SignedJudgement<'a>>,
    unit: Unit,
    threshold_warn: Option<f64>,
    threshold_hard: Option<f64>,
    required: bool,
    wall_clock: bool,
    seed_set: &'a [u64],
    /// Left out for a wall-clock record (a browser's command line is this machine's).
    #[serde(skip_serializing_if = "Option::is_none")]
    commands: Option<&'a [String]>,
    artifact_paths: &'a [String],
    artifact_sha256: Option<&'a String>,
}

#[derive(Serialize)]
struct SignedJudgement<'a> {
    value: Option<f64>,
    status: Status,
    reason: Option<&'a String>,
}

impl<'a> Signed<'a> {
    fn of(s: &'a Summary) -> Signed<'a> {
        let Summary {
            schema_version,
            verdict: _,
            commit,
            package,
            seed_set,
            report_signature: _,
            provenance,
            variants,
            records,
            pipeline: _,
            against_base,
        } = s;
        Signed {
            schema_version,
            commit,
            package,
            seed_set,
            provenance,
            variants: variants.iter().map(SignedVariant::of).collect(),
            records: records.iter().map(SignedRecord::of).collect(),
            against_base: against_base.as_ref().map(|a| {
                let AgainstBase { reference, commit, exact, timings: _ } = &**a;
                SignedAgainstBase { reference, commit, exact }
            }),
        }
    }
}

impl<'a> SignedVariant<'a> {
    fn of(v: &'a VariantReport) -> SignedVariant<'a> {
        let VariantReport {
            id,
            variant,
            budget_profile,
            features,
            commands,
            wasm_opt,
            pre_opt,
            post_opt,
            glue,
            shipped_exports,
            benchmark,
            benchmark_error,
            runtime,
            runtime_skipped,
            browsers: _,
            attribution,
            attribution_error,
            error,
        } = v;
        SignedVariant {
            id,
            variant: *variant,
            budget_profile,
            features,
            commands,
            wasm_opt: wasm_opt.as_ref(),
            pre_opt: pre_opt.as_ref(),
            post_opt: post_opt.as_ref(),
            glue: glue.as_ref(),
            shipped_exports,
            benchmark: benchmark.as_ref(),
            benchmark_error: benchmark_error.as_ref(),
            runtime: runtime.as_ref().map(SignedRuntime::of),
            runtime_skipped: runtime_skipped.as_ref(),
            attribution: attribution.as_ref(),
            attribution_error: attribution_error.as_ref(),
            error: error.as_ref(),
        }
    }
}

impl<'a> SignedRuntime<'a> {
    fn of(r: &'a RuntimeReport) -> SignedRuntime<'a> {
        let RuntimeReport { engine, calibration: _, selection, scenarios } = r;
        SignedRuntime {
            engine,
            selection: selection.as_ref(),
            scenarios: scenarios.iter().map(SignedScenario::of).collect(),
        }
    }
}

impl<'a> SignedScenario<'a> {
    fn of(run: &'a ScenarioRun) -> SignedScenario<'a> {
        let ScenarioRun {
            scenario,
            export,
            metrics,
            repro,
            timing: _,
            look: _,
            reference_timing: _,
            heap,
            fuel,
            error,
        } = run;
        SignedScenario {
            scenario,
            export: export.as_ref(),
            metrics,
            repro,
            heap: heap.as_ref(),
            fuel: fuel.as_ref(),
            error: error.as_ref(),
        }
    }
}

impl<'a> SignedRecord<'a> {
    fn of(r: &'a Record) -> SignedRecord<'a> {
        let Record {
            commit,
            profile,
            variant,
            environment,
            metric_id,
            metric,
            value,
            unit,
            threshold_warn,
            threshold_hard,
            status,
            required,
            wall_clock,
            reason,
            seed_set,
            commands,
            artifact_paths,
            artifact_sha256,
            outcome: _,
        } = r;
        SignedRecord {
            commit,
            profile,
            variant: *variant,
            environment: (!wall_clock).then_some(environment.as_str()),
            metric_id,
            metric,
            judged: (!wall_clock).then_some(SignedJudgement {
                value: *value,
                status: *status,
                reason: reason.as_ref(),
            }),
            unit: *unit,
            threshold_warn: *threshold_warn,
            threshold_hard: *threshold_hard,
            required: *required,
            wall_clock: *wall_clock,
            seed_set,
            commands: (!wall_clock).then_some(commands.as_slice()),
            artifact_paths,
            artifact_sha256: artifact_sha256.as_ref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::{Budgets, Metric, Source};
    use crate::pipeline::{StepBudget, StepCounts};
    use crate::record::tests::{BUDGETS, artifact, release};
    use crate::record::{Required, build_records};
    use crate::runtime::Measurement;

    fn pipeline(status: Status) -> PipelineReport {
        PipelineReport {
            steps: StepCounts::default(),
            step_budget: StepBudget { cargo_builds: 3, wasm_opt_runs: 2 },
            status,
            reason: None,
            phases: vec![],
            total_millis: 1.0,
            contention: None,
        }
    }

    #[test]
    fn verdict_is_the_worst_status_and_skips_do_not_count() {
        let budgets = Budgets::parse("b.json", BUDGETS).unwrap();
        let passing = build_records(&budgets, &[release(Some(artifact(10, 10)), None)], "c");
        assert_eq!(verdict(&passing, &pipeline(Status::Pass)), Status::Pass);
        assert_eq!(verdict(&passing, &pipeline(Status::Fail)), Status::Fail, "an excess pipeline step fails the run");
        let failing = build_records(&budgets, &[release(Some(artifact(10, 60)), None)], "c");
        assert_eq!(verdict(&failing, &pipeline(Status::Pass)), Status::Fail);
        let mut warned = passing.clone();
        warned[2].status = Status::Warn;
        assert_eq!(verdict(&warned, &pipeline(Status::Pass)), Status::Warn);
    }

    #[test]
    fn signature_ignores_the_pipeline_and_follows_the_content() {
        let budgets = Budgets::parse("b.json", BUDGETS).unwrap();
        let variants = vec![release(Some(artifact(10, 10)), None)];
        let records = build_records(&budgets, &variants, "c");
        let summary = |pipeline: PipelineReport, records: Vec<Record>| Summary {
            schema_version: SCHEMA_VERSION.into(),
            verdict: Status::Pass,
            commit: "c".into(),
            package: "k".into(),
            seed_set: budgets.seed_set.clone(),
            report_signature: String::new(),
            provenance: Provenance::for_tests("rustc 1.95.0"),
            variants: variants.clone(),
            against_base: None,
            records,
            pipeline,
        };
        let a = summary(pipeline(Status::Pass), records.clone());
        let mut slower = pipeline(Status::Pass);
        slower.total_millis = 99.0;
        assert_eq!(a.signature(), summary(slower, records.clone()).signature());
        let mut changed = records;
        changed[0].value = Some(11.0);
        assert_ne!(a.signature(), summary(pipeline(Status::Pass), changed).signature());
        assert_eq!(a.signature().len(), 64);
    }

    #[test]
    fn a_wall_clock_sources_judgement_stays_out_of_the_signature_and_a_deterministic_ones_enters_it() {
        for source in Source::ALL {
            let info = source.info();
            let metric = Metric {
                id: "M".into(),
                name: info.id.into(),
                unit: info.unit,
                source,
                required: true,
                gate: crate::budget::GateKind::Hard,
                escalate_after: None,
                thresholds: [("core-min".to_owned(), crate::budget::Thresholds { warn: None, hard: 10.0 })].into(),
            };
            let signature = |value: f64| {
                let record = Record::judged(
                    &metric,
                    "core-min",
                    VariantKind::Release,
                    "c",
                    Measurement::Value(value),
                    Required::ByBudgets,
                );
                assert_eq!(record.wall_clock, info.wall_clock, "{}", info.id);
                Summary {
                    schema_version: SCHEMA_VERSION.into(),
                    verdict: Status::Pass,
                    commit: "c".into(),
                    package: "k".into(),
                    seed_set: vec![11],
                    report_signature: String::new(),
                    provenance: Provenance::for_tests("rustc 1.95.0"),
                    variants: Vec::new(),
                    against_base: None,
                    records: vec![record],
                    pipeline: pipeline(Status::Pass),
                }
                .signature()
            };
            // 1 passes, 20 fails: neither the value nor the status of a timing is signed.
            assert_eq!(signature(1.0) == signature(20.0), info.wall_clock, "{}", info.id);
        }
    }
}
