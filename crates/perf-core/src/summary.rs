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

use crate::attribution::Attribution;
use crate::browser::EnvironmentRun;
use crate::budget::{Budgets, Engine, Metric, Source, Status};
use crate::digest;
use crate::display::number;
use crate::pipeline::PipelineReport;
use crate::policy::VariantKind;
use crate::run::{ArtifactMeasurement, BenchmarkBuild, GlueMeasurement, Provenance, VariantReport};
use crate::runtime::{Figures, FuelFigures, Measurement, RunError, RuntimeReport, ScenarioRun};
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub commit: String,
    pub profile: String,
    pub variant: VariantKind,
    pub environment: String,
    pub metric_id: String,
    pub metric: String,
    pub value: Option<f64>,
    pub unit: Unit,
    pub threshold_warn: Option<f64>,
    pub threshold_hard: Option<f64>,
    pub status: Status,
    pub required: bool,
    /// Measured with a clock: the value differs run to run and stays out of the signature.
    pub wall_clock: bool,
    /// Why the metric was skipped or failed without a value.
    pub reason: Option<String>,
    pub seed_set: Vec<u64>,
    pub commands: Vec<String>,
    pub artifact_paths: Vec<String>,
    pub artifact_sha256: Option<String>,
}

impl Record {
    /// Why the record warned or failed: its reason, the threshold its value crossed, or,
    /// when the value is within its budget, that another rule of the gate decided.
    pub fn explain(&self) -> String {
        match (self.value, &self.reason) {
            (_, Some(reason)) => reason.clone(),
            (Some(v), None) => {
                let crossed = match (self.threshold_hard, self.threshold_warn) {
                    (Some(h), _) if v > h => format!("budget {}", number(h)),
                    (_, Some(w)) if v > w => format!("warn threshold {}", number(w)),
                    _ => {
                        return format!(
                            "{} {} is within its budget; the gate's findings say why",
                            number(v),
                            self.unit
                        );
                    }
                };
                format!("{} {} is above the {crossed}", number(v), self.unit)
            }
            (None, None) => "no value".to_owned(),
        }
    }
}

/// Where size metrics are measured: the file itself, no engine involved.
pub const STATIC_ENVIRONMENT: &str = "static: artifact bytes (gzip: zlib level 9; brotli: quality 11, window 24)";

/// One record per (variant, metric), in policy order then budgets order.
pub fn build_records(budgets: &Budgets, variants: &[VariantReport], commit: &str) -> Vec<Record> {
    let mut records = Vec::new();
    for v in variants {
        for m in &budgets.metrics {
            records.push(record(budgets, m, v, commit));
        }
    }
    records
}

fn record(budgets: &Budgets, m: &Metric, v: &VariantReport, commit: &str) -> Record {
    let judged = Record::judged(m, &v.budget_profile, v.variant, commit, measured_value(m, v));
    // Sizes are the production build's; what runs, the benchmark build's when there is one.
    let (commands, artifact_paths, artifact_sha256) = match (&v.benchmark, &v.glue) {
        (Some(b), _) if !m.source.is_size() => (&b.commands, vec![b.path.clone()], Some(b.sha256.clone())),
        (_, Some(g)) if m.source.is_glue() => {
            (&v.commands, g.files.iter().map(|f| f.path.clone()).collect(), g.files.first().map(|f| f.sha256.clone()))
        }
        _ => (
            &v.commands,
            [v.pre_opt.as_ref(), v.post_opt.as_ref()].into_iter().flatten().map(|a| a.path.clone()).collect(),
            v.post_opt.as_ref().map(|a| a.sha256.clone()),
        ),
    };
    let browser = v.browsers.iter().find(|b| b.feeds(&m.id));
    let environment = match (m.source.info().engine, &v.runtime) {
        (Engine::Artifact, _) => STATIC_ENVIRONMENT.to_owned(),
        (Engine::Browser, _) => browser.map_or("none".to_owned(), EnvironmentRun::describe),
        (Engine::Wasmtime, Some(r)) => r.engine.clone(),
        (Engine::Wasmtime, None) => "none".to_owned(),
    };
    let browser_seeds = browser.and_then(|b| {
        let figures = match b.operations.iter().find(|o| o.metric == m.id) {
            Some(op) => op.per_op.as_ref()?,
            None => &b.phases.as_ref()?.total,
        };
        Some(figures.seeds.iter().map(|s| s.seed).collect())
    });
    let seeds = browser_seeds.or_else(|| {
        v.runtime.as_ref().and_then(|r| {
            let run = r.feeding(&m.id)?;
            let t = run.timing.as_ref().or(run.heap.as_ref())?;
            Some(t.seeds.iter().map(|s| s.seed).collect::<Vec<_>>())
        })
    });
    Record {
        environment,
        seed_set: match seeds {
            _ if m.source.is_size() => Vec::new(),
            Some(seeds) => seeds,
            None => budgets.seed_set.clone(),
        },
        commands: commands.iter().cloned().chain(browser.and_then(|b| b.command_line.clone())).collect(),
        artifact_paths,
        artifact_sha256,
        ..judged
    }
}

impl Record {
    /// `m`'s record on `profile`, `measured` judged against its thresholds; where and how it
    /// was measured (environment, seeds, commands, artifacts) left empty for the caller.
    pub(crate) fn judged(
        m: &Metric,
        profile: &str,
        variant: VariantKind,
        commit: &str,
        measured: Measurement,
    ) -> Record {
        let thresholds = m.thresholds.get(profile);
        let (value, status, reason) = judge(m, profile, measured);
        Record {
            commit: commit.to_owned(),
            profile: profile.to_owned(),
            variant,
            environment: String::new(),
            metric_id: m.id.clone(),
            metric: m.name.clone(),
            value,
            unit: m.unit,
            threshold_warn: thresholds.and_then(|t| t.warn),
            threshold_hard: thresholds.map(|t| t.hard),
            status,
            required: m.required,
            wall_clock: m.source.is_wall_clock(),
            reason,
            seed_set: Vec::new(),
            commands: Vec::new(),
            artifact_paths: Vec::new(),
            artifact_sha256: None,
        }
    }
}

/// A record's value, status and reason from what was measured (or why it was not).
fn judge(m: &Metric, profile: &str, measured: Measurement) -> (Option<f64>, Status, Option<String>) {
    match measured {
        // JSON has no NaN: an unmeasurable number is a failure with its reason, not a null.
        Measurement::Value(value) if !value.is_finite() => {
            (None, Status::Fail, Some(format!("the measurement is not a finite number ({value})")))
        }
        Measurement::Value(value) => match m.evaluate(profile, m.unit.round(value)) {
            Some(status) => (Some(m.unit.round(value)), status, None),
            None => (Some(value), Status::Fail, Some(format!("no threshold for budget profile \"{profile}\""))),
        },
        Measurement::Failed(why) => (None, Status::Fail, Some(why)),
        Measurement::NotMeasured(why) if m.required => {
            (None, Status::Fail, Some(format!("required metric not measured: {why}")))
        }
        Measurement::NotMeasured(why) => (None, Status::Skip, Some(format!("not measured: {why}"))),
        Measurement::LeftOut(why) => (None, Status::Skip, Some(format!("not measured: {why}"))),
    }
}

/// Whether a narrowed run (`--engine`) left `m` out on `v`'s variant on purpose.
pub fn left_out(m: &Metric, v: &VariantReport) -> bool {
    matches!(measured_value(m, v), Measurement::LeftOut(_))
}

fn measured_value(m: &Metric, v: &VariantReport) -> Measurement {
    let variant = v.variant.as_str();
    let artifact = match (&v.post_opt, &v.error) {
        (Some(a), _) => a,
        (None, Some(e)) => return Measurement::NotMeasured(format!("the {variant} variant was not built: {e}")),
        (None, None) => return Measurement::NotMeasured(format!("the {variant} variant has no artifact")),
    };
    match m.source.info().engine {
        Engine::Artifact => size_value(m.source, artifact, v),
        _ if v.benchmark_error.is_some() => Measurement::NotMeasured(format!(
            "the {variant} variant's benchmark build failed: {}",
            v.benchmark_error.as_deref().unwrap_or_default()
        )),
        Engine::Browser => match v.browsers.iter().find(|b| b.feeds(&m.id)) {
            Some(b) => b.measurement(m),
            None => Measurement::NotMeasured(format!("no browser environment ran on the {variant} variant")),
        },
        Engine::Wasmtime => match (&v.runtime, &v.runtime_skipped) {
            (Some(r), _) => r.measurement(m, variant),
            (None, Some(why)) => Measurement::LeftOut(why.clone()),
            (None, None) => Measurement::NotMeasured(format!("no scenario ran on the {variant} variant")),
        },
    }
}

/// A size's value: the production build's optimized module's bytes, or its JS glue's.
fn size_value(source: Source, artifact: &ArtifactMeasurement, v: &VariantReport) -> Measurement {
    let glue = |bytes: fn(&GlueMeasurement) -> u64| match &v.glue {
        Some(g) => Measurement::Value(bytes(g) as f64),
        None => Measurement::NotMeasured(format!(
            "the {} variant ships no JS glue (the policy does not build the package with wasm-bindgen)",
            v.variant.as_str()
        )),
    };
    match source {
        Source::SizeRaw => Measurement::Value(artifact.raw_bytes as f64),
        Source::SizeGzip => Measurement::Value(artifact.gzip_bytes as f64),
        Source::SizeBrotli => Measurement::Value(artifact.brotli_bytes as f64),
        Source::SectionCode => Measurement::Value(artifact.sections.code_bytes as f64),
        Source::SectionData => Measurement::Value(artifact.sections.data_bytes as f64),
        Source::SectionCustom => Measurement::Value(artifact.sections.custom_bytes as f64),
        Source::DebugSections => Measurement::Value(artifact.sections.debug_and_producers() as f64),
        Source::GlueRaw => glue(|g| g.raw_bytes),
        Source::GlueGzip => glue(|g| g.gzip_bytes),
        Source::GlueBrotli => glue(|g| g.brotli_bytes),
        // An engine's source; a size source without an arm fails closed here.
        _ => Measurement::Failed(format!("{} is not measured from the artifact's bytes", source.as_str())),
    }
}

/// The environments `records` were measured in, each once, in first-seen order ("none",
/// for a record nothing measured, left out).
pub fn environments(records: &[Record]) -> Vec<&str> {
    let mut seen: Vec<&str> = Vec::new();
    for r in records.iter().filter(|r| r.environment != "none") {
        if !seen.contains(&r.environment.as_str()) {
            seen.push(&r.environment);
        }
    }
    seen
}

/// Metric ids in the order `records` first name them.
pub fn metric_ids<'a>(records: impl IntoIterator<Item = &'a Record>) -> Vec<&'a str> {
    let mut ids: Vec<&str> = Vec::new();
    for r in records {
        if !ids.contains(&r.metric_id.as_str()) {
            ids.push(&r.metric_id);
        }
    }
    ids
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
        } = s;
        Signed {
            schema_version,
            commit,
            package,
            seed_set,
            provenance,
            variants: variants.iter().map(SignedVariant::of).collect(),
            records: records.iter().map(SignedRecord::of).collect(),
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
        let ScenarioRun { scenario, export, metrics, repro, timing: _, reference_timing: _, heap, fuel, error } = run;
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
    use crate::pipeline::{StepBudget, StepCounts};
    use crate::sections::{Section, SectionBreakdown};

    const BUDGETS: &str = r#"{
      "schema_version": "wasm-perf-budgets-v1",
      "profiles": ["full-dev", "core-trace", "core-min"],
      "seed_set": [11, 29, 42, 73, 101],
      "metrics": [
        {"id": "M-PERF-01A", "name": "raw", "unit": "bytes", "source": "size.raw", "required": true, "gate": "hard",
         "thresholds": {"full-dev": {"hard": 1000}, "core-trace": {"hard": 500}, "core-min": {"hard": 100}}},
        {"id": "M-PERF-01B", "name": "gzip", "unit": "bytes", "source": "size.gzip", "required": true, "gate": "hard",
         "thresholds": {"full-dev": {"hard": 1000}, "core-trace": {"hard": 500}, "core-min": {"hard": 50}}},
        {"id": "M-PERF-04A", "name": "reserve+send p95", "unit": "us", "source": "runtime.scenario_p95", "required": false,
         "gate": "warn_then_block", "escalate_after": 2,
         "thresholds": {"full-dev": {"warn": 8, "hard": 12}, "core-trace": {"warn": 8, "hard": 12}, "core-min": {"warn": 8, "hard": 12}}}
      ]
    }"#;

    fn artifact(raw: u64, gzip: u64) -> ArtifactMeasurement {
        ArtifactMeasurement {
            path: "artifacts/wasm/release/k.wasm".into(),
            sha256: "ab".repeat(32),
            raw_bytes: raw,
            gzip_bytes: gzip,
            brotli_bytes: gzip - 1,
            sections: SectionBreakdown {
                sections: vec![],
                code_bytes: 0,
                data_bytes: 0,
                custom_bytes: 0,
                other_bytes: 8,
                has_debug_sections: false,
                has_name_section: false,
                has_producers_section: false,
            },
        }
    }

    fn release(post: Option<ArtifactMeasurement>, error: Option<&str>) -> VariantReport {
        VariantReport {
            id: "wasm-browser-release".into(),
            variant: VariantKind::Release,
            budget_profile: "core-min".into(),
            features: vec!["exports".into()],
            commands: vec!["cargo build ...".into()],
            wasm_opt: Some("-O4 shrink 2".into()),
            pre_opt: None,
            post_opt: post,
            glue: None,
            shipped_exports: vec![],
            benchmark: None,
            benchmark_error: None,
            runtime: None,
            runtime_skipped: None,
            browsers: vec![],
            attribution: None,
            attribution_error: None,
            error: error.map(str::to_owned),
        }
    }

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

    fn statuses(v: VariantReport) -> Vec<(String, Status, Option<String>)> {
        let budgets = Budgets::parse("b.json", BUDGETS).unwrap();
        build_records(&budgets, &[v], "c0ffee").into_iter().map(|r| (r.metric_id, r.status, r.reason)).collect()
    }

    #[test]
    fn measured_sizes_are_gated_and_unmeasured_metrics_say_why() {
        let s = statuses(release(Some(artifact(100, 51)), None));
        assert_eq!(s[0], ("M-PERF-01A".into(), Status::Pass, None), "equal to the threshold passes");
        assert_eq!(s[1], ("M-PERF-01B".into(), Status::Fail, None));
        assert_eq!(s[2].1, Status::Skip);
        assert_eq!(s[2].2.as_deref(), Some("not measured: no scenario ran on the release variant"));
    }

    #[test]
    fn a_variant_that_was_not_built_fails_its_required_metrics_closed() {
        let s = statuses(release(None, Some("cargo build failed")));
        assert_eq!(s[0].1, Status::Fail);
        assert_eq!(
            s[0].2.as_deref(),
            Some("required metric not measured: the release variant was not built: cargo build failed")
        );
        assert_eq!(s[2].1, Status::Skip, "an optional metric still skips");
    }

    #[test]
    fn a_failed_benchmark_build_keeps_the_sizes_and_says_why_nothing_ran() {
        let mut v = release(Some(artifact(100, 50)), None);
        v.benchmark_error = Some("cargo benchmark build of the release variant failed".into());
        let s = statuses(v);
        assert_eq!((s[0].1, s[1].1), (Status::Pass, Status::Pass), "the production build's sizes are gated");
        assert_eq!(s[2].1, Status::Skip, "an optional runtime metric skips");
        assert_eq!(
            s[2].2.as_deref(),
            Some(
                "not measured: the release variant's benchmark build failed: cargo benchmark build of the release variant failed"
            )
        );
    }

    #[test]
    fn section_budgets_gate_the_shipped_modules_sections() {
        let budgets = Budgets::parse(
            "b.json",
            r#"{"schema_version": "wasm-perf-budgets-v1", "profiles": ["core-min"], "seed_set": [11],
                "metrics": [
                  {"id": "S-CODE", "name": "code", "unit": "bytes", "source": "size.section.code", "required": false,
                   "gate": "hard", "thresholds": {"core-min": {"hard": 100}}},
                  {"id": "S-DEBUG", "name": "debug", "unit": "count", "source": "size.debug_sections", "required": true,
                   "gate": "hard", "thresholds": {"core-min": {"hard": 0}}}]}"#,
        )
        .unwrap();
        let shipped = |sections: &[(&str, u64)]| {
            let mut a = artifact(10, 10);
            a.sections.sections =
                sections.iter().map(|(name, bytes)| Section { name: (*name).into(), bytes: *bytes }).collect();
            a.sections.code_bytes = sections.iter().filter(|(n, _)| *n == "code").map(|(_, b)| b).sum();
            release(Some(a), None)
        };
        let judged = |v: VariantReport| -> Vec<(Option<f64>, Status)> {
            build_records(&budgets, &[v], "c").into_iter().map(|r| (r.value, r.status)).collect()
        };
        let clean = shipped(&[("code", 90), ("custom:target_features", 20)]);
        assert_eq!(judged(clean), [(Some(90.0), Status::Pass), (Some(0.0), Status::Pass)]);
        let debug =
            shipped(&[("code", 120), ("custom:.debug_info", 900), ("custom:producers", 40), ("custom:name", 9)]);
        assert_eq!(judged(debug), [(Some(120.0), Status::Fail), (Some(2.0), Status::Fail)], "name is not counted");
    }

    #[test]
    fn non_finite_or_unbudgeted_values_fail_with_a_reason() {
        let budgets = Budgets::parse("b.json", BUDGETS).unwrap();
        let raw = &budgets.metrics[0];
        let cases = [
            (f64::NAN, "core-min", None, "the measurement is not a finite number (NaN)"),
            (f64::INFINITY, "core-min", None, "the measurement is not a finite number (inf)"),
            (5.0, "core-max", Some(5.0), "no threshold for budget profile \"core-max\""),
        ];
        for (value, profile, kept, reason) in cases {
            assert_eq!(judge(raw, profile, Measurement::Value(value)), (kept, Status::Fail, Some(reason.to_owned())));
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
                let record = Record::judged(&metric, "core-min", VariantKind::Release, "c", Measurement::Value(value));
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
