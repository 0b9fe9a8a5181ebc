//! A measured run concluded: one record per (variant, metric) judged against the budgets,
//! the gate's three rules applied (hard budgets, warn-then-block over the streaks, the
//! baseline), each record's status decided once from all of them, the verdict and the
//! signature. `cargo xtask perf` and `cargo xtask gate --merge` both end here, so a
//! matrix's merge and a single job give the same summary for the same measurements.

use crate::attribution::Attribution;
use crate::baseline::Baseline;
use crate::budget::Budgets;
use crate::gate::{self, GateInput, GateReport};
use crate::pipeline::PipelineReport;
use crate::record::{self, Record};
use crate::run::{self, BrowserRan, Run, RunHeader, VariantReport};
use crate::streak::StreakState;
use crate::summary::{self, SCHEMA_VERSION, Summary};

/// Where and against what the gate runs.
pub struct GateContext<'a> {
    /// `None` when there is no baseline file: the regression rule does not run.
    pub baseline: Option<&'a Baseline>,
    /// The branch warn streaks are counted on.
    pub branch: &'a str,
    pub run_id: &'a str,
    /// The repository's issues page, where the warn issues are (`None` off GitHub).
    pub issues_url: Option<&'a str>,
    /// The subject gated, named in its warn issues' titles (`None`: the default subject).
    pub subject: Option<&'a str>,
    /// The browsers of figures measured elsewhere (none for this tool's own run).
    pub measured_elsewhere: &'a [BrowserRan],
}

/// The summary and the gate's report of `run`; `streaks` advance by this run's warnings.
pub fn conclude(run: Run, budgets: &Budgets, cx: &GateContext, streaks: &mut StreakState) -> (Summary, GateReport) {
    let Run { schema_version: _, commit, package, seed_set: _, provenance, corpus_sha256: _, variants, pipeline } = run;
    let records = record::build_records(budgets, &variants, &commit);
    // The summary names the seed set the records were judged with: the budgets'.
    let header = RunHeader { commit, package, seed_set: budgets.seed_set.clone(), provenance };
    conclude_records(header, variants, pipeline, records, budgets, cx, streaks)
}

/// The summary and the gate's report of `records` already judged against `budgets` (a
/// run's, or figures measured elsewhere, which have no `variants`); `streaks` advance by
/// their warnings.
pub fn conclude_records(
    header: RunHeader,
    variants: Vec<VariantReport>,
    pipeline: PipelineReport,
    judged: Vec<Record>,
    budgets: &Budgets,
    cx: &GateContext,
    streaks: &mut StreakState,
) -> (Summary, GateReport) {
    let RunHeader { commit, package, seed_set, provenance } = header;
    let mut browsers = run::browsers_ran(&variants);
    browsers.extend(cx.measured_elsewhere.iter().cloned());
    let attributions: Vec<&Attribution> = variants.iter().filter_map(|v| v.attribution.as_ref()).collect();
    let input = GateInput {
        budgets,
        baseline: cx.baseline,
        branch: cx.branch,
        run_id: cx.run_id,
        rustc: &provenance.rustc,
        binaryen: &provenance.binaryen,
        wasm_bindgen: provenance.wasm_bindgen.as_deref(),
        runner: provenance.runner.as_deref(),
        issues_url: cx.issues_url,
        subject: cx.subject,
        browsers: &browsers,
        attributions: &attributions,
    };
    let report = gate::evaluate(&input, &judged, streaks);
    // The gate's metrics are the judged records' own, in their order: each record's final
    // status is the one decided from every rule, set as the record is made.
    let records: Vec<Record> =
        judged.into_iter().zip(&report.metrics).map(|(r, m)| Record { status: m.status, ..r }).collect();
    let mut summary = Summary {
        schema_version: SCHEMA_VERSION.to_owned(),
        verdict: summary::verdict(&records, &pipeline).worst(report.verdict),
        commit,
        package,
        seed_set,
        report_signature: String::new(),
        provenance,
        variants,
        records,
        pipeline,
        against_base: None,
    };
    summary.report_signature = summary.signature();
    (summary, report)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::pipeline::{PipelineReport, StepBudget, StepCounts};
    use crate::policy::VariantKind;
    use crate::run::SCHEMA_VERSION as RUN_SCHEMA;
    use crate::run::{ArtifactMeasurement, Provenance};
    use crate::runtime::{Figures, FuelFigures, RuntimeReport, ScenarioRun};
    use crate::sections::SectionBreakdown;
    use crate::status::Status;
    use crate::unit::Unit;

    const RUSTC: &str = "rustc 1.95.0 (x)\nrelease: 1.95.0\n";

    fn budgets() -> Budgets {
        let metric = |id: &str, source: &str, unit: &str, gate: &str, t: serde_json::Value| {
            json!({"id": id, "name": id, "unit": unit, "source": source, "required": id == "M-RAW", "gate": gate,
                   "escalate_after": if gate == "hard" { json!(null) } else { json!(2) }, "thresholds": {"core-min": t}})
        };
        let text = json!({
            "schema_version": "wasm-perf-budgets-v1", "profiles": ["core-min"], "seed_set": [11, 42],
            "metrics": [
                metric("M-RAW", "size.raw", "bytes", "hard", json!({"hard": 30000})),
                metric("M-BR", "size.brotli", "bytes", "warn_then_block", json!({"warn": 10000, "hard": 12000})),
                metric("M-COLD", "runtime.cold_init", "ms", "hard", json!({"hard": 60})),
                metric("M-FUEL", "runtime.fuel_per_op", "fuel", "hard", json!({"hard": 1000})),
                metric("M-MOB", "browser.mobile_cold_init", "ms", "hard", json!({"hard": 160}))
            ]
        });
        Budgets::parse("budgets.json", &text.to_string()).unwrap()
    }

    /// What the pipeline hands over for one release variant.
    struct Measured {
        raw: u64,
        brotli: u64,
        cold_ms: f64,
        fuel: u64,
        wasmtime: Wasmtime,
    }

    /// Whether wasmtime ran the scenarios.
    #[derive(Clone, Copy)]
    enum Wasmtime {
        Ran,
        /// `--engine` left it out on purpose.
        LeftOut,
        /// It should have run and did not.
        Missing,
    }

    fn run(m: &Measured) -> Run {
        let artifact = ArtifactMeasurement {
            path: "artifacts/wasm/release/k.wasm".into(),
            sha256: "ab".repeat(32),
            raw_bytes: m.raw,
            gzip_bytes: m.brotli + 100,
            brotli_bytes: m.brotli,
            sections: SectionBreakdown {
                sections: vec![],
                code_bytes: 0,
                data_bytes: 0,
                custom_bytes: 0,
                other_bytes: 0,
                has_debug_sections: false,
                has_name_section: false,
                has_producers_section: false,
            },
        };
        let scenario = |id: &str, metric: &str| ScenarioRun {
            scenario: id.into(),
            export: None,
            metrics: vec![metric.into()],
            repro: format!("cargo xtask perf --scenario {id} --seed 42"),
            timing: None,
            look: None,
            reference_timing: None,
            heap: None,
            fuel: None,
            error: None,
        };
        let cold = ScenarioRun {
            timing: Figures::of(Unit::Nanos, &[(11, vec![m.cold_ms * 1e6]), (42, vec![m.cold_ms * 1e6])]),
            ..scenario("COLD", "M-COLD")
        };
        let op = ScenarioRun {
            fuel: FuelFigures::of(&[(11, vec![m.fuel]), (42, vec![m.fuel])]),
            ..scenario("OP", "M-FUEL")
        };
        Run {
            schema_version: RUN_SCHEMA.into(),
            commit: "c0ffee".into(),
            package: "k".into(),
            seed_set: vec![11, 42],
            provenance: Provenance::for_tests(RUSTC),
            corpus_sha256: "c".into(),
            variants: vec![VariantReport {
                id: "wasm-browser-release".into(),
                variant: VariantKind::Release,
                budget_profile: "core-min".into(),
                features: vec![],
                commands: vec!["cargo build".into()],
                wasm_opt: Some("-Oz".into()),
                pre_opt: Some(artifact.clone()),
                post_opt: Some(artifact),
                glue: None,
                shipped_exports: vec![],
                benchmark: None,
                benchmark_error: None,
                runtime: matches!(m.wasmtime, Wasmtime::Ran).then(|| RuntimeReport {
                    engine: "wasmtime".into(),
                    calibration: None,
                    selection: None,
                    scenarios: vec![cold, op],
                }),
                runtime_skipped: matches!(m.wasmtime, Wasmtime::LeftOut)
                    .then(|| "wasmtime was left out (this run selected --engine chromium)".into()),
                browsers: vec![],
                attribution: None,
                attribution_error: None,
                error: None,
            }],
            pipeline: PipelineReport {
                steps: StepCounts {
                    cargo_builds: 1,
                    wasm_opt_runs: 1,
                    wasm_opt_cache_hits: 0,
                    ..StepCounts::default()
                },
                step_budget: StepBudget { cargo_builds: 1, wasm_opt_runs: 1 },
                status: Status::Pass,
                reason: None,
                phases: vec![],
                total_millis: 1.0,
                contention: None,
            },
        }
    }

    fn baseline(status: &str, raw: u64, rustc: &str) -> Baseline {
        let metric = |id: &str, unit: &str, value: serde_json::Value| json!({"profile": "core-min", "metric_id": id, "unit": unit, "value": value});
        let text = json!({
            "schema_version": "wasm-perf-baseline-v1", "status": status, "toolchain_drift": "fail",
            "provenance": {"commit": "c", "rustc": rustc, "binaryen": "116", "policy_sha256": "p", "host": "h"},
            "tolerances": {"defaults": {
                "bytes": {"relative_pct": 1.0, "absolute": 512},
                "ms": {"relative_pct": 25, "absolute": 0.5},
                "fuel": {"relative_pct": 1, "absolute": 1}}},
            "metrics": [
                metric("M-RAW", "bytes", json!(raw)), metric("M-BR", "bytes", json!(9000)),
                metric("M-COLD", "ms", json!(40)), metric("M-FUEL", "fuel", json!(500)),
                metric("M-MOB", "ms", json!(null))
            ]
        });
        Baseline::parse("baseline.json", &text.to_string()).unwrap()
    }

    const PASSING: Measured = Measured { raw: 25000, brotli: 9000, cold_ms: 40.0, fuel: 500, wasmtime: Wasmtime::Ran };

    struct Case {
        name: &'static str,
        measured: Measured,
        baseline: Option<Baseline>,
        /// Runs concluded one after another on the same branch; the last one is checked.
        runs: usize,
        verdict: Status,
        /// M-RAW, M-BR, M-COLD, M-FUEL, M-MOB.
        statuses: [Status; 5],
    }

    #[test]
    fn each_metric_has_one_status_decided_from_every_rule() {
        use Status::{Fail, Pass, Skip, Warn};
        let cases = [
            Case {
                name: "within every budget, no baseline",
                measured: PASSING,
                baseline: None,
                runs: 1,
                verdict: Pass,
                statuses: [Pass, Pass, Pass, Pass, Skip],
            },
            Case {
                name: "a hard budget crossed",
                measured: Measured { raw: 30001, ..PASSING },
                baseline: None,
                runs: 1,
                verdict: Fail,
                statuses: [Fail, Pass, Pass, Pass, Skip],
            },
            Case {
                name: "a first warning warns",
                measured: Measured { brotli: 11000, ..PASSING },
                baseline: None,
                runs: 1,
                verdict: Warn,
                statuses: [Pass, Warn, Pass, Pass, Skip],
            },
            Case {
                name: "the second warning in a row fails",
                measured: Measured { brotli: 11000, ..PASSING },
                baseline: None,
                runs: 2,
                verdict: Fail,
                statuses: [Pass, Fail, Pass, Pass, Skip],
            },
            Case {
                name: "a wall-clock figure over its budget",
                measured: Measured { cold_ms: 90.0, ..PASSING },
                baseline: None,
                runs: 1,
                verdict: Fail,
                statuses: [Pass, Pass, Fail, Pass, Skip],
            },
            Case {
                name: "an unchanged run against an active baseline",
                measured: PASSING,
                baseline: Some(baseline("active", 25000, RUSTC)),
                runs: 1,
                verdict: Pass,
                statuses: [Pass, Pass, Pass, Pass, Skip],
            },
            Case {
                name: "a size regression within its budget fails an active baseline",
                measured: Measured { raw: 29000, ..PASSING },
                baseline: Some(baseline("active", 25000, RUSTC)),
                runs: 1,
                verdict: Fail,
                statuses: [Fail, Pass, Pass, Pass, Skip],
            },
            Case {
                name: "the same regression only would fail a scaffold baseline",
                measured: Measured { raw: 29000, ..PASSING },
                baseline: Some(baseline("scaffold", 25000, RUSTC)),
                runs: 1,
                verdict: Pass,
                statuses: [Pass, Pass, Pass, Pass, Skip],
            },
            Case {
                name: "a fuel regression fails an active baseline",
                measured: Measured { fuel: 600, ..PASSING },
                baseline: Some(baseline("active", 25000, RUSTC)),
                runs: 1,
                verdict: Fail,
                statuses: [Pass, Pass, Pass, Fail, Skip],
            },
            Case {
                name: "metrics --engine left out are not compared with an active baseline",
                measured: Measured { wasmtime: Wasmtime::LeftOut, ..PASSING },
                baseline: Some(baseline("active", 25000, RUSTC)),
                runs: 1,
                verdict: Pass,
                statuses: [Pass, Pass, Skip, Skip, Skip],
            },
            Case {
                name: "metrics an active baseline anchors fail when they were not measured",
                measured: Measured { wasmtime: Wasmtime::Missing, ..PASSING },
                baseline: Some(baseline("active", 25000, RUSTC)),
                runs: 1,
                verdict: Fail,
                statuses: [Pass, Pass, Fail, Fail, Skip],
            },
            Case {
                name: "toolchain drift fails the run, not the metrics",
                measured: Measured { raw: 29000, ..PASSING },
                baseline: Some(baseline("active", 25000, "rustc 1.94.0 (y)\nrelease: 1.94.0\n")),
                runs: 1,
                verdict: Fail,
                statuses: [Pass, Pass, Pass, Pass, Skip],
            },
        ];
        let budgets = budgets();
        for case in cases {
            let mut streaks = StreakState::default();
            let cx = GateContext {
                baseline: case.baseline.as_ref(),
                branch: "feature/x",
                run_id: "r",
                issues_url: None,
                subject: None,
                measured_elsewhere: &[],
            };
            let mut last = None;
            for _ in 0..case.runs {
                last = Some(conclude(run(&case.measured), &budgets, &cx, &mut streaks));
            }
            let (summary, report) = last.unwrap();
            let statuses: Vec<Status> = summary.records.iter().map(|r| r.status).collect();
            assert_eq!(statuses, case.statuses, "{}", case.name);
            assert_eq!(summary.verdict, case.verdict, "{}", case.name);
            let reported: Vec<Status> = report.metrics.iter().map(|m| m.status).collect();
            assert_eq!(reported, case.statuses, "{}: the report and the summary agree", case.name);
        }
    }

    #[test]
    fn the_signature_follows_deterministic_content_only() {
        let budgets = budgets();
        let cx = GateContext {
            baseline: None,
            branch: "main",
            run_id: "r",
            issues_url: None,
            subject: None,
            measured_elsewhere: &[],
        };
        let conclude_one = |m: &Measured, edit: &dyn Fn(&mut Run)| {
            let mut r = run(m);
            edit(&mut r);
            conclude(r, &budgets, &cx, &mut StreakState::default()).0
        };
        let same = |_: &mut Run| {};
        let first = conclude_one(&PASSING, &same);
        assert_eq!(first.report_signature.len(), 64);
        let slower = conclude_one(&Measured { cold_ms: 90.0, ..PASSING }, &same);
        assert_eq!(slower.verdict, Status::Fail);
        assert_eq!(slower.report_signature, first.report_signature, "a wall-clock figure and what it decides");
        let longer = conclude_one(&PASSING, &|r: &mut Run| r.pipeline.total_millis = 99.0);
        assert_eq!(longer.report_signature, first.report_signature, "pipeline timings");
        let bigger = conclude_one(&Measured { raw: 25001, ..PASSING }, &same);
        assert_ne!(bigger.report_signature, first.report_signature, "a size");
        let costlier = conclude_one(&Measured { fuel: 501, ..PASSING }, &same);
        assert_ne!(costlier.report_signature, first.report_signature, "a fuel count");
        let other = conclude_one(&PASSING, &|r: &mut Run| r.variants[0].commands[0].push_str(" --release"));
        assert_ne!(other.report_signature, first.report_signature, "a build command");
    }

    #[test]
    fn a_failed_pipeline_step_or_an_unbuilt_variant_fails_the_run() {
        let budgets = budgets();
        let cx = GateContext {
            baseline: None,
            branch: "main",
            run_id: "r",
            issues_url: None,
            subject: None,
            measured_elsewhere: &[],
        };
        let mut excess = run(&PASSING);
        excess.pipeline.status = Status::Fail;
        assert_eq!(conclude(excess, &budgets, &cx, &mut StreakState::default()).0.verdict, Status::Fail);

        let mut unbuilt = run(&PASSING);
        let v = &mut unbuilt.variants[0];
        (v.pre_opt, v.post_opt, v.runtime, v.error) = (None, None, None, Some("cargo build failed".into()));
        let (summary, _) = conclude(unbuilt, &budgets, &cx, &mut StreakState::default());
        let statuses: Vec<Status> = summary.records.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses,
            [Status::Fail, Status::Skip, Status::Skip, Status::Skip, Status::Skip],
            "M-RAW is required"
        );
        assert_eq!(summary.verdict, Status::Fail);
    }
}
