//! A measured run: what the pipeline built and measured for some or all of the policy's
//! variants, before any gating. `cargo xtask perf` concludes it at once; one job of a matrix
//! writes it to a file (its partial summary, this type serialized) for `gate --merge`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::attribution::Attribution;
use crate::baseline::BaselineProvenance;
use crate::browser::EnvironmentRun;
use crate::document::{DocumentError, check_schema_version, parse_document};
use crate::pipeline::PipelineReport;
use crate::policy::{Variant, VariantKind};
use crate::runtime::{RunErrorKind, RuntimeReport};
use crate::sections::SectionBreakdown;

/// The schema of a run written to a file (a matrix job's partial summary).
pub const SCHEMA_VERSION: &str = "wasm-budget-partial-v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    pub schema_version: String,
    pub commit: String,
    pub package: String,
    pub seed_set: Vec<u64>,
    pub provenance: Provenance,
    /// The benchmark corpus the scenarios came from.
    pub corpus_sha256: String,
    /// In policy order.
    pub variants: Vec<VariantReport>,
    pub pipeline: PipelineReport,
}

/// What a run and the summary concluded from it both say first: what was measured and on
/// what. (Each keeps these fields in its own JSON order, so they are not flattened there.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunHeader {
    pub commit: String,
    pub package: String,
    /// The seeds the scenarios ran with.
    pub seed_set: Vec<u64>,
    pub provenance: Provenance,
}

impl Run {
    pub fn parse(file: &str, text: &str) -> Result<Run, DocumentError> {
        let run: Run = parse_document(file, text)?;
        check_schema_version(file, &run.schema_version, SCHEMA_VERSION)?;
        Ok(run)
    }

    /// What a baseline written from this run records of where it was measured: the commit,
    /// the tools, the policy, the host, the runner image and each browser environment's
    /// browser.
    pub fn baseline_provenance(&self) -> BaselineProvenance {
        let p = &self.provenance;
        BaselineProvenance {
            commit: self.commit.clone(),
            rustc: p.rustc.clone(),
            binaryen: p.binaryen.clone(),
            policy_sha256: p.policy_sha256.clone(),
            host: p.host.clone(),
            runner: p.runner.clone(),
            wasm_bindgen: p.wasm_bindgen.clone(),
            browsers: browsers(&self.variants),
        }
    }
}

/// "variant: error" for every variant whose production or benchmark build could not be
/// built, optimized or measured.
pub fn broken_variants(variants: &[VariantReport]) -> Vec<String> {
    let production = variants.iter().filter_map(|v| v.error.as_ref().map(|e| format!("{}: {e}", v.variant.as_str())));
    let benchmark = variants
        .iter()
        .filter_map(|v| v.benchmark_error.as_ref().map(|e| format!("{} benchmark build: {e}", v.variant.as_str())));
    production.chain(benchmark).collect()
}

/// "variant scenario: cause" for every scenario or browser environment stopped by bad input
/// or a failed environment (a browser that did not start or died: exit 2); traps and limits
/// are the code's behaviour and fail their metrics instead.
pub fn bad_scenarios(variants: &[VariantReport]) -> Vec<String> {
    let exit_2 = |kind: RunErrorKind| matches!(kind, RunErrorKind::Input | RunErrorKind::Environment);
    let scenarios = variants
        .iter()
        .flat_map(|v| v.runtime.iter().flat_map(move |r| r.errors().map(move |(run, e)| (v, &run.scenario, e))));
    let browsers = variants
        .iter()
        .flat_map(|v| v.browsers.iter().filter_map(move |b| Some((v, b.environment.clone(), b.error.as_ref()?))));
    // A host whose install or build failed: exit 2, as a browser that did not start.
    let hosts = variants.iter().flat_map(|v| {
        v.browsers.iter().flat_map(move |b| {
            b.hosts
                .iter()
                .filter_map(move |h| Some((v, format!("{} {} host", b.environment, h.app.as_str()), h.error.as_ref()?)))
        })
    });
    scenarios
        .map(|(v, what, e)| (v, what.clone(), e))
        .chain(browsers)
        .chain(hosts)
        .filter(|(_, _, e)| exit_2(e.kind))
        .map(|(v, what, e)| format!("{} {what}: {}", v.variant.as_str(), e.message))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// `rustc -vV`, verbatim.
    pub rustc: String,
    pub cargo: String,
    pub binaryen: String,
    pub host: String,
    pub policy_sha256: String,
    pub budgets_sha256: String,
    /// The CI runner image the figures were measured on (GitHub's `ImageOS` and
    /// `ImageVersion`); `None` off a hosted runner (a developer's machine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner: Option<String>,
    /// The wasm-bindgen release the package was built with (its locked `wasm-bindgen`, the
    /// tool's `wasm-bindgen-cli-support`); `None` for a package without wasm-bindgen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasm_bindgen: Option<String>,
}

/// One built variant: how it was made and what its artifacts measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantReport {
    pub id: String,
    pub variant: VariantKind,
    pub budget_profile: String,
    pub features: Vec<String>,
    /// The exact commands that produced the artifacts, in order.
    pub commands: Vec<String>,
    /// The wasm-opt settings applied, or `None` when the variant ships cargo's output.
    pub wasm_opt: Option<String>,
    pub pre_opt: Option<ArtifactMeasurement>,
    pub post_opt: Option<ArtifactMeasurement>,
    /// wasm-bindgen's JS glue, shipped beside the module; `None` without wasm-bindgen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glue: Option<GlueMeasurement>,
    /// The functions the shipped module exports: what a host page can call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shipped_exports: Vec<String>,
    /// The build the runtime scenarios ran on, when it is not the production build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benchmark: Option<BenchmarkBuild>,
    /// Why the benchmark build failed: what runs on it (the scenario exports, in wasmtime
    /// and the browsers) is not measured, while what ships (sizes, cold init in the
    /// browsers, JS-API operations, host apps) still is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benchmark_error: Option<String>,
    /// The scenarios run in the wasm engine; `None` when none ran (see the records' reasons).
    pub runtime: Option<RuntimeReport>,
    /// Why the scenario engine did not run on this variant: `--engine` left it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_skipped: Option<String>,
    /// Cold init in each browser environment of the corpus (run, failed or left out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub browsers: Vec<EnvironmentRun>,
    /// Where the bytes go (twiggy); `None` when the variant was not built or the profiler
    /// failed (then `attribution_error` says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Attribution>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution_error: Option<String>,
    /// Why this variant has no measurements (a failed build or wasm-opt run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactMeasurement {
    pub path: String,
    pub sha256: String,
    pub raw_bytes: u64,
    pub gzip_bytes: u64,
    pub brotli_bytes: u64,
    pub sections: SectionBreakdown,
}

/// wasm-bindgen's JS glue: the glue file and its snippets, each compressed on its own (as a
/// server sends each file), and their sums, which the `size.glue_*` metrics gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlueMeasurement {
    pub raw_bytes: u64,
    pub gzip_bytes: u64,
    pub brotli_bytes: u64,
    /// The glue file first, then its snippets in path order.
    pub files: Vec<GlueFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlueFile {
    pub path: String,
    pub sha256: String,
    pub raw_bytes: u64,
    pub gzip_bytes: u64,
    pub brotli_bytes: u64,
}

impl GlueMeasurement {
    /// The files' sums.
    pub fn of(files: Vec<GlueFile>) -> GlueMeasurement {
        GlueMeasurement {
            raw_bytes: files.iter().map(|f| f.raw_bytes).sum(),
            gzip_bytes: files.iter().map(|f| f.gzip_bytes).sum(),
            brotli_bytes: files.iter().map(|f| f.brotli_bytes).sum(),
            files,
        }
    }
}

/// A variant's benchmark build: the production build's settings plus the policy's
/// benchmark features. Only the runtime scenarios use it; nothing of it is size-gated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchmarkBuild {
    pub features: Vec<String>,
    /// The exact commands that produced the module, in order.
    pub commands: Vec<String>,
    /// The module the scenarios ran on (after wasm-opt when the variant runs it).
    pub path: String,
    pub sha256: String,
    pub raw_bytes: u64,
}
#[cfg(test)]
impl Provenance {
    /// A provenance for plain-data tests: cargo 1.95.0, binaryen 116, x86_64 Linux, and the
    /// policy and budgets digests "p" and "b".
    pub(crate) fn for_tests(rustc: &str) -> Provenance {
        Provenance {
            rustc: rustc.to_owned(),
            cargo: "cargo 1.95.0".to_owned(),
            binaryen: "116".to_owned(),
            host: "x86_64-unknown-linux-gnu".to_owned(),
            policy_sha256: "p".to_owned(),
            budgets_sha256: "b".to_owned(),
            runner: None,
            wasm_bindgen: None,
        }
    }
}

impl VariantReport {
    /// A policy variant's report before anything is built or measured.
    pub fn planned(v: &Variant, commands: Vec<String>) -> VariantReport {
        VariantReport {
            id: v.id.clone(),
            variant: v.variant,
            budget_profile: v.budget_profile.clone(),
            features: v.cargo.features.clone(),
            commands,
            wasm_opt: None,
            pre_opt: None,
            post_opt: None,
            glue: None,
            shipped_exports: Vec::new(),
            benchmark: None,
            benchmark_error: None,
            runtime: None,
            runtime_skipped: None,
            browsers: Vec::new(),
            attribution: None,
            attribution_error: None,
            error: None,
        }
    }
}
/// The browser each environment of `variants` ran, by environment id ("Chromium 156").
pub fn browsers(variants: &[VariantReport]) -> BTreeMap<String, String> {
    variants
        .iter()
        .flat_map(|v| &v.browsers)
        .filter_map(|b| Some((b.environment.clone(), b.browser.as_ref()?.major_version())))
        .collect()
}

/// A browser that measured a metric: in a browser environment of this run, or on a device
/// elsewhere (`gate --measurements`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserRan {
    pub environment: String,
    /// The browser and its major version: "Chromium 156".
    pub browser: String,
    pub metric: String,
}

/// The browsers `variants`' environments ran, one per environment and metric.
pub fn browsers_ran(variants: &[VariantReport]) -> Vec<BrowserRan> {
    let mut ran: Vec<BrowserRan> = Vec::new();
    for b in variants.iter().flat_map(|v| &v.browsers) {
        let Some(browser) = b.browser.as_ref() else { continue };
        for metric in b.metrics() {
            let r = BrowserRan {
                environment: b.environment.clone(),
                browser: browser.major_version(),
                metric: metric.clone(),
            };
            if !ran.contains(&r) {
                ran.push(r);
            }
        }
    }
    ran
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{StepBudget, StepCounts};
    use crate::status::Status;

    fn empty() -> Run {
        Run {
            schema_version: SCHEMA_VERSION.into(),
            commit: "c0ffee".into(),
            package: "k".into(),
            seed_set: vec![11],
            provenance: Provenance::for_tests("rustc 1.95.0"),
            corpus_sha256: "c".into(),
            variants: vec![],
            pipeline: PipelineReport {
                steps: StepCounts::default(),
                step_budget: StepBudget { cargo_builds: 0, wasm_opt_runs: 0 },
                status: Status::Pass,
                reason: None,
                phases: vec![],
                total_millis: 0.0,
                contention: None,
            },
        }
    }

    #[test]
    fn a_run_file_is_a_versioned_document() {
        let text = serde_json::to_string(&empty()).unwrap();
        assert_eq!(Run::parse("p.json", &text).unwrap(), empty());
        let e = Run::parse("p.json", &text.replace(SCHEMA_VERSION, "wasm-budget-partial-v0")).unwrap_err();
        assert_eq!(e.pointer(), "/schema_version");
        let e = Run::parse("p.json", &text.replace("\"commit\"", "\"comit\"")).unwrap_err();
        assert_eq!(e.pointer(), "/comit", "{e}");
    }

    #[test]
    fn a_failed_production_or_benchmark_build_is_a_broken_variant() {
        let policy =
            crate::policy::Policy::parse("p.json", include_str!("../../../../.github/wasm_optimization_policy.json"))
                .unwrap();
        let mut variants: Vec<VariantReport> =
            policy.profiles.iter().map(|v| VariantReport::planned(v, vec!["cargo build".into()])).collect();
        assert!(broken_variants(&variants).is_empty());
        variants[0].error = Some("cargo build failed".into());
        variants[2].benchmark_error = Some("cargo benchmark build failed".into());
        assert_eq!(
            broken_variants(&variants),
            ["dev: cargo build failed", "release benchmark build: cargo benchmark build failed"]
        );
    }

    #[test]
    fn a_host_whose_build_failed_exits_2_and_a_page_that_threw_fails_only_its_metric() {
        use crate::browser::EnvironmentRun;
        use crate::corpus::{BrowserKind, Environment};
        use crate::host::HostApp;
        use crate::host_run::HostRun;
        use crate::runtime::{RunError, RunErrorKind};
        let policy =
            crate::policy::Policy::parse("p.json", include_str!("../../../../.github/wasm_optimization_policy.json"))
                .unwrap();
        let mut release = VariantReport::planned(&policy.profiles[2], vec![]);
        let npm = RunError::environment("the react host: `npm ci --no-audit --no-fund` failed");
        let threw = RunError { kind: RunErrorKind::Trap, message: "release variant: the page threw: boom".into() };
        for id in ["desktop-chromium", "mobile-emulated-chromium"] {
            let env = Environment {
                id: id.into(),
                browser: BrowserKind::Chromium,
                cpu_throttling_rate: 1.0,
                label: id.into(),
                metric: "M".into(),
                scenario_metrics: vec![],
                host_metrics: Default::default(),
            };
            let mut run = EnvironmentRun::planned(&env, true, "return 1;");
            run.hosts.push(HostRun { error: Some(npm.clone()), ..HostRun::planned(HostApp::React, "M-R") });
            run.hosts.push(HostRun { error: Some(threw.clone()), ..HostRun::planned(HostApp::Nextjs, "M-N") });
            release.browsers.push(run);
        }
        assert_eq!(
            bad_scenarios(&[release]),
            [
                "release desktop-chromium react host: the react host: `npm ci --no-audit --no-fund` failed",
                "release mobile-emulated-chromium react host: the react host: `npm ci --no-audit --no-fund` failed"
            ]
        );
    }
}
