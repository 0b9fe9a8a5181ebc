//! A record: one (budget profile, metric) of a run judged against its thresholds: what was
//! measured (a value, left out on purpose, not measured and why, failed), where and how
//! (environment, seeds, commands, artifacts), and the status and reason the judgement gives.
//! The judging of a run's variants and of figures measured elsewhere are both here.

use serde::{Deserialize, Serialize};

use crate::browser::EnvironmentRun;
use crate::budget::{Budgets, Engine, Family, Metric, Source};
use crate::display::number;
use crate::host_run::HostRun;
use crate::policy::VariantKind;
use crate::run::{ArtifactMeasurement, GlueMeasurement, VariantReport};
use crate::runtime::Measurement;
use crate::status::Status;
use crate::unit::Unit;

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
    /// What was measured, typed: a value, left out on purpose, not measured or failed, each
    /// with its reason. The JSON says it only through `value`, `status` and `reason`, where
    /// left out and not measured read alike, so a record read back from a file has `None`.
    #[serde(skip)]
    pub outcome: Option<Measurement>,
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
    let judged = Record::judged(m, &v.budget_profile, v.variant, commit, measured_value(m, v), Required::by_budgets(m));
    // Sizes, cold init and the host apps are the production build's; operations, the
    // benchmark build's when there is one.
    let (commands, artifact_paths, artifact_sha256) = match (&v.benchmark, &v.glue) {
        (Some(b), _) if !m.source.measures_production() => (&b.commands, vec![b.path.clone()], Some(b.sha256.clone())),
        (_, Some(g)) if m.source.is_glue() => {
            (&v.commands, g.files.iter().map(|f| f.path.clone()).collect(), g.files.first().map(|f| f.sha256.clone()))
        }
        _ => {
            let module = [v.pre_opt.as_ref(), v.post_opt.as_ref()].into_iter().flatten().map(|a| a.path.clone());
            // A module loaded in an engine is loaded through its glue, when it has one.
            let loaded = !m.source.is_size();
            let glue = v.glue.iter().filter(|_| loaded).flat_map(|g| g.files.iter().map(|f| f.path.clone()));
            (&v.commands, module.chain(glue).collect(), v.post_opt.as_ref().map(|a| a.sha256.clone()))
        }
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
            _ if m.source.counts_bytes() => Vec::new(),
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
        required: Required,
    ) -> Record {
        let thresholds = m.thresholds.get(profile);
        let (value, status, reason) = judge(m, profile, measured.clone(), required);
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
            required: required != Required::No,
            wall_clock: m.source.is_wall_clock(),
            reason,
            seed_set: Vec::new(),
            commands: Vec::new(),
            artifact_paths: Vec::new(),
            artifact_sha256: None,
            outcome: Some(measured),
        }
    }

    /// Whether a narrowed run (`--engine`) left this metric out on purpose.
    pub fn is_left_out(&self) -> bool {
        matches!(self.outcome, Some(Measurement::LeftOut(_)))
    }
}

/// Whether a metric must have a value, and who says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Required {
    No,
    /// The budgets mark the metric `required`.
    ByBudgets,
    /// The gate's caller asked for it (`gate --measurements … --require-metric ID`).
    ByCaller,
}

impl Required {
    /// What the budgets say of `m`.
    pub fn by_budgets(m: &Metric) -> Required {
        if m.required { Required::ByBudgets } else { Required::No }
    }
}

/// A record's value, status and reason from what was measured (or why it was not), decided
/// once: a required metric without a value fails, unless the budgets' own requirement met a
/// metric left out on purpose.
fn judge(
    m: &Metric,
    profile: &str,
    measured: Measurement,
    required: Required,
) -> (Option<f64>, Status, Option<String>) {
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
        Measurement::NotMeasured(why) if required == Required::ByBudgets => {
            (None, Status::Fail, Some(format!("required metric not measured: {why}")))
        }
        Measurement::NotMeasured(why) | Measurement::LeftOut(why) if required == Required::ByCaller => {
            (None, Status::Fail, Some(format!("required metric (--require-metric) not measured: {why}")))
        }
        Measurement::NotMeasured(why) => (None, Status::Skip, Some(format!("not measured: {why}"))),
        Measurement::LeftOut(why) => (None, Status::Skip, Some(format!("not measured: {why}"))),
    }
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
        // Cold init in the browsers, the JS-API operations and the host apps load what
        // ships; wasmtime's scenarios and the scenario exports need the benchmark build.
        engine if v.benchmark_error.is_some() && (engine == Engine::Wasmtime || !m.source.measures_production()) => {
            Measurement::NotMeasured(format!(
                "the {variant} variant's benchmark build failed: {}",
                v.benchmark_error.as_deref().unwrap_or_default()
            ))
        }
        Engine::Browser => match v.browsers.iter().find(|b| b.feeds(&m.id)) {
            Some(b) if m.source.info().family == Family::HostSize => environment_host_bytes(b, m, artifact),
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

/// The value of `m`, a host page's bytes, in environment `b` (`module` is the shipped module).
fn environment_host_bytes(b: &EnvironmentRun, m: &Metric, module: &ArtifactMeasurement) -> Measurement {
    if let Some(unavailable) = b.unavailable() {
        return unavailable;
    }
    match b.hosts.iter().find(|h| h.size_metrics.contains(&m.id)) {
        Some(host) => host.unavailable(&b.environment).unwrap_or_else(|| host_bytes(host, m.source, module)),
        None => Measurement::Failed(format!("{} counts no host's bytes for {}", b.environment, m.id)),
    }
}

/// The bytes `source` (a `browser.host_js_*` or `browser.host_total_*` one) of `host`
/// counts: the control page's scripts, or the app's page's with the shipped `module`.
fn host_bytes(host: &HostRun, source: Source, module: &ArtifactMeasurement) -> Measurement {
    let app = host.app.as_str();
    use Source::{
        BrowserHostJsBrotli, BrowserHostJsGzip, BrowserHostJsRaw, BrowserHostTotalBrotli, BrowserHostTotalGzip,
        BrowserHostTotalRaw,
    };
    let (page, js, module) = match source {
        BrowserHostJsRaw | BrowserHostJsGzip | BrowserHostJsBrotli => ("control page", &host.control_js, None),
        BrowserHostTotalRaw | BrowserHostTotalGzip | BrowserHostTotalBrotli => ("page", &host.loaded_js, Some(module)),
        _ => return Measurement::Failed(format!("{} is not a host page's bytes", source.as_str())),
    };
    let Some(js) = js else {
        return Measurement::Failed(format!("the scripts of the {app} host's {page} were not counted"));
    };
    let value = match source {
        BrowserHostJsRaw | BrowserHostTotalRaw => js.raw_bytes + module.map_or(0, |m| m.raw_bytes),
        BrowserHostJsGzip | BrowserHostTotalGzip => js.gzip_bytes + module.map_or(0, |m| m.gzip_bytes),
        _ => js.brotli_bytes + module.map_or(0, |m| m.brotli_bytes),
    };
    Measurement::Value(value as f64)
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::sections::{Section, SectionBreakdown};

    pub(crate) const BUDGETS: &str = r#"{
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

    pub(crate) fn artifact(raw: u64, gzip: u64) -> ArtifactMeasurement {
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

    pub(crate) fn release(post: Option<ArtifactMeasurement>, error: Option<&str>) -> VariantReport {
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

    /// Cold init in a browser loads what ships, so a failed benchmark build does not stand
    /// in for its measurement: the browser's run decides.
    #[test]
    fn a_failed_benchmark_build_leaves_what_loads_the_production_build_to_its_run() {
        let mut budgets: serde_json::Value = serde_json::from_str(BUDGETS).unwrap();
        budgets["metrics"].as_array_mut().unwrap().push(serde_json::json!({"id": "M-PERF-02A", "name": "cold",
            "unit": "ms", "source": "browser.desktop_cold_init", "required": false, "gate": "hard",
            "thresholds": {"full-dev": {"hard": 1}, "core-trace": {"hard": 1}, "core-min": {"hard": 1}}}));
        let budgets = Budgets::parse("b.json", &budgets.to_string()).unwrap();
        let env = crate::corpus::Environment::chromium("desktop", "M-PERF-02A");
        let mut v = release(Some(artifact(100, 50)), None);
        v.benchmark_error = Some("cargo benchmark build failed".into());
        let run = EnvironmentRun::planned(&env, false, "return 1;");
        v.browsers =
            vec![EnvironmentRun { error: Some(crate::runtime::RunError::environment("the page hung")), ..run }];
        let records = build_records(&budgets, &[v], "c0ffee");
        let cold = records.iter().find(|r| r.metric_id == "M-PERF-02A").unwrap();
        assert_eq!((cold.status, cold.reason.as_deref()), (Status::Fail, Some("desktop: the page hung")));
        let runtime = records.iter().find(|r| r.metric_id == "M-PERF-04A").unwrap();
        assert!(runtime.reason.as_deref().is_some_and(|r| r.contains("benchmark build failed")), "{runtime:?}");
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
            assert_eq!(
                judge(raw, profile, Measurement::Value(value), Required::No),
                (kept, Status::Fail, Some(reason.to_owned()))
            );
        }
    }

    #[test]
    fn a_metric_without_a_value_is_judged_once_by_who_requires_it() {
        let budgets = Budgets::parse("b.json", BUDGETS).unwrap();
        let m = &budgets.metrics[0];
        let not_measured = || Measurement::NotMeasured("no browser".into());
        let left_out = || Measurement::LeftOut("--engine wasmtime".into());
        let cases = [
            (not_measured(), Required::No, Status::Skip, "not measured: no browser"),
            (not_measured(), Required::ByBudgets, Status::Fail, "required metric not measured: no browser"),
            (
                not_measured(),
                Required::ByCaller,
                Status::Fail,
                "required metric (--require-metric) not measured: no browser",
            ),
            (left_out(), Required::ByBudgets, Status::Skip, "not measured: --engine wasmtime"),
            (
                left_out(),
                Required::ByCaller,
                Status::Fail,
                "required metric (--require-metric) not measured: --engine wasmtime",
            ),
        ];
        for (measured, required, status, reason) in cases {
            assert_eq!(
                judge(m, "core-min", measured, required),
                (None, status, Some(reason.to_owned())),
                "{required:?}"
            );
        }
    }

    #[test]
    fn a_hosts_bytes_are_its_control_pages_scripts_or_its_pages_with_the_module() {
        let file = |path: &str, raw, gzip, brotli| crate::host_run::LoadedFile {
            path: path.into(),
            raw_bytes: raw,
            gzip_bytes: gzip,
            brotli_bytes: brotli,
        };
        let mut run = HostRun::planned(crate::host::HostApp::React, "M-HOST");
        run.control_js =
            Some(crate::host_run::LoadedJs::of(vec![file("/a.js", 1000, 400, 300), file("/b.js", 100, 60, 50)]));
        run.loaded_js =
            Some(crate::host_run::LoadedJs::of(vec![file("/a.js", 1000, 400, 300), file("/c.js", 500, 200, 150)]));
        let module = ArtifactMeasurement { brotli_bytes: 8_000, ..artifact(20_000, 9_000) };
        let value = |run: &HostRun, source| match host_bytes(run, source, &module) {
            Measurement::Value(v) => v,
            other => panic!("{other:?}"),
        };
        assert_eq!(value(&run, Source::BrowserHostJsRaw), 1100.0);
        assert_eq!(value(&run, Source::BrowserHostJsGzip), 460.0);
        assert_eq!(value(&run, Source::BrowserHostJsBrotli), 350.0);
        assert_eq!(value(&run, Source::BrowserHostTotalRaw), 21_500.0);
        assert_eq!(value(&run, Source::BrowserHostTotalGzip), 9_600.0);
        assert_eq!(value(&run, Source::BrowserHostTotalBrotli), 8_450.0);

        let uncounted = HostRun { control_js: None, ..run.clone() };
        assert!(matches!(host_bytes(&uncounted, Source::BrowserHostJsGzip, &module),
            Measurement::Failed(why) if why == "the scripts of the react host's control page were not counted"));
        assert!(matches!(host_bytes(&run, Source::SizeGzip, &module), Measurement::Failed(_)));

        // Through its environment: a host left out is not measured.
        let env = crate::corpus::Environment::chromium("desktop", "M-PERF-02A");
        let left_out = HostRun {
            left_out: Some("--host vanilla-js".into()),
            size_metrics: vec!["M-HOST-04C".into()],
            ..run.clone()
        };
        let b = EnvironmentRun { hosts: vec![left_out], ..EnvironmentRun::planned(&env, false, "return 1;") };
        let metric: Metric = serde_json::from_value(serde_json::json!({"id": "M-HOST-04C", "name": "total",
            "unit": "bytes", "source": "browser.host_total_gzip", "required": false, "gate": "hard", "thresholds": {}}))
        .unwrap();
        assert!(matches!(environment_host_bytes(&b, &metric, &module), Measurement::LeftOut(_)));
    }
}
