//! A measured run: what the pipeline built and measured for some or all of the policy's
//! variants, before any gating. `cargo xtask perf` concludes it at once; one job of a matrix
//! writes it to a file (its partial summary, this type serialized) for `gate --merge`.

use serde::{Deserialize, Serialize};

use crate::baseline::BaselineProvenance;
use crate::document::{DocumentError, check_schema_version, parse_document};
use crate::pipeline::PipelineReport;
use crate::regression;
use crate::runtime::RunErrorKind;
use crate::summary::{Provenance, VariantReport};

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

impl Run {
    pub fn parse(file: &str, text: &str) -> Result<Run, DocumentError> {
        let run: Run = parse_document(file, text)?;
        check_schema_version(file, &run.schema_version, SCHEMA_VERSION)?;
        Ok(run)
    }

    /// What a baseline written from this run records of where it was measured: the commit,
    /// the tools, the policy, the host and each browser environment's browser.
    pub fn baseline_provenance(&self) -> BaselineProvenance {
        let p = &self.provenance;
        BaselineProvenance {
            commit: self.commit.clone(),
            rustc: p.rustc.clone(),
            binaryen: p.binaryen.clone(),
            policy_sha256: p.policy_sha256.clone(),
            host: p.host.clone(),
            browsers: regression::browsers(&self.variants),
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
        .flat_map(|v| v.browsers.iter().filter_map(move |b| Some((v, &b.environment, b.error.as_ref()?))));
    scenarios
        .chain(browsers)
        .filter(|(_, _, e)| exit_2(e.kind))
        .map(|(v, what, e)| format!("{} {what}: {}", v.variant.as_str(), e.message))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::Status;
    use crate::pipeline::{StepBudget, StepCounts};

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
            crate::policy::Policy::parse("p.json", include_str!("../../../.github/wasm_optimization_policy.json"))
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
}
