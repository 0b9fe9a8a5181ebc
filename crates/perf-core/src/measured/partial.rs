//! The merge of a matrix's partial summaries (each one job's [`Run`], some of the policy's
//! variants) into the run a single job measuring every variant would have handed the gate.
//!
//! A merge is only as honest as its parts: partials from different commits, toolchains or
//! input documents are refused, a variant measured twice or by a narrowed run is refused,
//! and a variant no partial measured fails closed (its metrics fail with the reason) instead
//! of vanishing from the verdict.

use crate::document::DocumentError;
use crate::pipeline::{Contention, PipelineReport, StepBudget, StepCounts};
use crate::policy::{Policy, Variant, VariantKind};
use crate::run::VariantReport;
use crate::run::{self, Provenance, Run};
use crate::status::Status;

/// The merging job's own inputs: every partial must have been measured against them.
pub struct Expected<'a> {
    pub policy: &'a Policy,
    pub package: &'a str,
    pub policy_sha256: &'a str,
    pub budgets_sha256: &'a str,
    pub corpus_sha256: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("no partial summaries to merge")]
    Nothing,
    #[error(transparent)]
    Partial(#[from] DocumentError),
}

/// Merges `partials` (file name and content), each checked against the first and against
/// `expected`, into one run in policy order. Also returns the variants no partial measured:
/// they are in the run with an error, so their metrics fail closed.
pub fn merge(partials: &[(String, Run)], expected: &Expected) -> Result<(Run, Vec<VariantKind>), MergeError> {
    let Some((first_file, first)) = partials.first() else { return Err(MergeError::Nothing) };
    // (the variant's index in the policy, its report, the file it came from)
    let mut found: Vec<(usize, &VariantReport, &str)> = Vec::new();
    for (file, p) in partials {
        agree(file, p, first_file, first, expected)?;
        for (i, v) in p.variants.iter().enumerate() {
            let kind = v.variant.as_str();
            let Some(slot) = expected.policy.profiles.iter().position(|pv| pv.id == v.id && pv.variant == v.variant)
            else {
                let message = format!("the policy has no {kind} variant with id \"{}\"", v.id);
                return Err(DocumentError::rule(file, format!("/variants/{i}/id"), message).into());
            };
            if let Some((_, _, other)) = found.iter().find(|(s, _, _)| *s == slot) {
                let message = format!("the {kind} variant is also in {other}: each variant is measured by one job");
                return Err(DocumentError::rule(file, format!("/variants/{i}/variant"), message).into());
            }
            let narrowed =
                [(format!("/variants/{i}/runtime/selection"), v.runtime.as_ref().and_then(|r| r.selection.as_ref()))]
                    .into_iter()
                    .chain([(format!("/variants/{i}/runtime_skipped"), v.runtime_skipped.as_ref())])
                    .chain(
                        v.browsers
                            .iter()
                            .enumerate()
                            .map(|(j, b)| (format!("/variants/{i}/browsers/{j}/left_out"), b.left_out.as_ref())),
                    );
            for (pointer, why) in narrowed {
                if let Some(why) = why {
                    let message = format!("a narrowed run ({why}) cannot stand for the whole protocol");
                    return Err(DocumentError::rule(file, pointer, message).into());
                }
            }
            found.push((slot, v, file));
        }
    }

    let mut missing = Vec::new();
    let variants = expected
        .policy
        .profiles
        .iter()
        .enumerate()
        .map(|(slot, pv)| match found.iter().find(|(s, _, _)| *s == slot) {
            Some((_, report, _)) => (*report).clone(),
            None => {
                missing.push(pv.variant);
                unmeasured(pv)
            }
        })
        .collect();
    // Jobs of one workflow can land on different runner images while GitHub rolls a new one
    // out: the merged figures name an image only where every job ran on it, so a baseline's
    // timings are not compared with figures from a mix.
    let same_runner = partials.iter().all(|(_, p)| p.provenance.runner == first.provenance.runner);
    let runner = first.provenance.runner.clone().filter(|_| same_runner);
    let run = Run {
        schema_version: run::SCHEMA_VERSION.to_owned(),
        commit: first.commit.clone(),
        package: first.package.clone(),
        seed_set: first.seed_set.clone(),
        provenance: Provenance { runner, ..first.provenance.clone() },
        corpus_sha256: first.corpus_sha256.clone(),
        variants,
        pipeline: add_up(partials),
    };
    Ok((run, missing))
}

/// Refuses a partial that was not measured like the first one, or not against `expected`.
fn agree(file: &str, p: &Run, first_file: &str, first: &Run, expected: &Expected) -> Result<(), DocumentError> {
    let seeds = |s: &[u64]| format!("{s:?}");
    let same = [
        ("/commit", p.commit.clone(), first.commit.clone()),
        ("/provenance/rustc", p.provenance.rustc.clone(), first.provenance.rustc.clone()),
        ("/provenance/cargo", p.provenance.cargo.clone(), first.provenance.cargo.clone()),
        ("/provenance/binaryen", p.provenance.binaryen.clone(), first.provenance.binaryen.clone()),
        ("/provenance/host", p.provenance.host.clone(), first.provenance.host.clone()),
        ("/seed_set", seeds(&p.seed_set), seeds(&first.seed_set)),
    ];
    for (pointer, here, there) in same {
        if here != there {
            let message = format!(
                "\"{}\" here, \"{}\" in {first_file}: partials from different commits or toolchains cannot be merged",
                first_line(&here),
                first_line(&there)
            );
            return Err(DocumentError::rule(file, pointer, message));
        }
    }
    let inputs = [
        ("/package", &p.package, expected.package, "the package this merge gates"),
        ("/provenance/policy_sha256", &p.provenance.policy_sha256, expected.policy_sha256, "the policy's sha256 here"),
        (
            "/provenance/budgets_sha256",
            &p.provenance.budgets_sha256,
            expected.budgets_sha256,
            "the budgets' sha256 here",
        ),
        ("/corpus_sha256", &p.corpus_sha256, expected.corpus_sha256, "the corpus's sha256 here"),
    ];
    for (pointer, here, there, what) in inputs {
        if here != there {
            let message = format!("measured with \"{here}\", but {what} is \"{there}\"");
            return Err(DocumentError::rule(file, pointer, message));
        }
    }
    Ok(())
}

/// `rustc -vV` is several lines; its first names the release.
fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// The report of a variant no partial measured; its command is the job that should have.
fn unmeasured(v: &Variant) -> VariantReport {
    let job = format!("cargo xtask perf --profile {} --partial-out FILE", v.variant.as_str());
    VariantReport {
        error: Some(format!(
            "no partial summary measured it (its job failed, or its file was not given to the merge; `{job}` writes it)"
        )),
        ..VariantReport::planned(v, vec![job])
    }
}

/// The jobs' pipelines as one: steps, phases and budgets added up; a job's own step failure
/// stays a failure.
fn add_up(partials: &[(String, Run)]) -> PipelineReport {
    let mut steps = StepCounts::default();
    let mut phases = Vec::new();
    let mut total_millis = 0.0;
    for (_, p) in partials {
        steps.cargo_builds += p.pipeline.steps.cargo_builds;
        steps.wasm_opt_runs += p.pipeline.steps.wasm_opt_runs;
        steps.wasm_opt_cache_hits += p.pipeline.steps.wasm_opt_cache_hits;
        steps.host_builds += p.pipeline.steps.host_builds;
        steps.host_cache_hits += p.pipeline.steps.host_cache_hits;
        phases.extend(p.pipeline.phases.iter().cloned());
        total_millis += p.pipeline.total_millis;
    }
    let contention = partials.iter().filter_map(|(_, p)| p.pipeline.contention).reduce(Contention::and);
    // The jobs' own budgets added up: each knows whether it ran anything, hence whether it
    // built for benchmarks (the merge refuses a variant measured twice).
    let mut step_budget = StepBudget { cargo_builds: 0, wasm_opt_runs: 0 };
    for (_, p) in partials {
        step_budget.cargo_builds += p.pipeline.step_budget.cargo_builds;
        step_budget.wasm_opt_runs += p.pipeline.step_budget.wasm_opt_runs;
    }
    let (mut status, mut reason) = step_budget.check(&steps);
    if status != Status::Fail
        && let Some((file, p)) = partials.iter().find(|(_, p)| p.pipeline.status == Status::Fail)
    {
        status = Status::Fail;
        reason = Some(format!("{file}: {}", p.pipeline.reason.as_deref().unwrap_or("the job's pipeline failed")));
    }
    PipelineReport { steps, step_budget, status, reason, phases, total_millis, contention }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser::EnvironmentRun;
    use crate::corpus::{BrowserKind, Environment};
    use crate::pipeline::PhaseTiming;
    use crate::run::Provenance;

    const POLICY: &str = include_str!("../../../../.github/wasm_optimization_policy.json");

    fn policy() -> Policy {
        Policy::parse("policy.json", POLICY).unwrap()
    }

    fn partial(policy: &Policy, kinds: &[VariantKind]) -> Run {
        let variants: Vec<VariantReport> = policy
            .profiles
            .iter()
            .filter(|v| kinds.contains(&v.variant))
            .map(|v| VariantReport::planned(v, vec![format!("cargo build {}", v.id)]))
            .collect();
        let selected: Vec<&Variant> = policy.profiles.iter().filter(|v| kinds.contains(&v.variant)).collect();
        let step_budget = StepBudget::for_variants(selected.iter().copied(), false);
        Run {
            schema_version: run::SCHEMA_VERSION.into(),
            commit: "c0ffee".into(),
            package: "sample-kernel".into(),
            seed_set: vec![11, 42],
            provenance: Provenance::for_tests("rustc 1.95.0 (x 2026-01-01)\nhost: x86_64-unknown-linux-gnu"),
            corpus_sha256: "c".into(),
            variants,
            pipeline: PipelineReport {
                steps: StepCounts {
                    cargo_builds: step_budget.cargo_builds,
                    wasm_opt_runs: step_budget.wasm_opt_runs,
                    wasm_opt_cache_hits: 0,
                    ..StepCounts::default()
                },
                step_budget,
                status: Status::Pass,
                reason: None,
                phases: vec![PhaseTiming { phase: "build".into(), variant: kinds[0].as_str().into(), millis: 10.0 }],
                total_millis: 100.0,
                contention: None,
            },
        }
    }

    fn expected(policy: &Policy) -> Expected<'_> {
        Expected { policy, package: "sample-kernel", policy_sha256: "p", budgets_sha256: "b", corpus_sha256: "c" }
    }

    fn jobs(policy: &Policy) -> Vec<(String, Run)> {
        VariantKind::ALL.iter().map(|k| (format!("{}.json", k.as_str()), partial(policy, &[*k]))).collect()
    }

    #[test]
    fn partials_merge_in_policy_order_with_their_pipelines_added_up() {
        let policy = policy();
        let mut parts = jobs(&policy);
        parts.reverse();
        let (merged, missing) = merge(&parts, &expected(&policy)).unwrap();
        let order: Vec<VariantKind> = merged.variants.iter().map(|v| v.variant).collect();
        assert_eq!(order, policy.profiles.iter().map(|v| v.variant).collect::<Vec<_>>());
        assert!(missing.is_empty());
        assert_eq!(merged.pipeline.step_budget, StepBudget::for_variants(&policy.profiles, false));
        assert_eq!(merged.pipeline.steps.cargo_builds, 3);
        assert_eq!((merged.pipeline.status, merged.pipeline.phases.len()), (Status::Pass, 3));
        assert_eq!(merged.pipeline.total_millis, 300.0);
        assert_eq!(merged.pipeline.contention, None, "no job timed against another");
        parts[0].1.pipeline.contention = Some(Contention { waited_millis: 250.0, others_active: false });
        parts[2].1.pipeline.contention = Some(Contention { waited_millis: 50.0, others_active: true });
        let (waited, _) = merge(&parts, &expected(&policy)).unwrap();
        assert_eq!(waited.pipeline.contention, Some(Contention { waited_millis: 300.0, others_active: true }));
        let whole = partial(&policy, &VariantKind::ALL);
        assert_eq!(merged.variants, whole.variants, "the same reports a single job lists");
    }

    #[test]
    fn the_merged_figures_name_a_runner_image_only_where_every_job_ran_on_it() {
        let policy = policy();
        let mut parts = jobs(&policy);
        let image = Some("ubuntu22 20241201.1.0".to_owned());
        for (_, p) in &mut parts {
            p.provenance.runner = image.clone();
        }
        assert_eq!(merge(&parts, &expected(&policy)).unwrap().0.provenance.runner, image);
        parts[1].1.provenance.runner = Some("ubuntu22 20250105.1.0".to_owned());
        assert_eq!(merge(&parts, &expected(&policy)).unwrap().0.provenance.runner, None, "a mix of images");
    }

    #[test]
    fn a_missing_variant_fails_closed_with_the_reason() {
        let policy = policy();
        let parts: Vec<_> = jobs(&policy).into_iter().filter(|(f, _)| f != "release.json").collect();
        let (merged, missing) = merge(&parts, &expected(&policy)).unwrap();
        assert_eq!(missing, [VariantKind::Release]);
        let release = merged.variants.iter().find(|v| v.variant == VariantKind::Release).unwrap();
        assert!(release.error.as_deref().unwrap().starts_with("no partial summary measured it"));
        assert_eq!(merged.pipeline.status, Status::Pass, "fewer steps are within the budget; the records fail");
    }

    #[test]
    fn partials_that_do_not_match_are_refused_naming_the_file_and_the_field() {
        type Break = fn(&mut Run);
        let cases: [(Break, &str, &str); 9] = [
            (
                |p| p.commit = "beef".into(),
                "/commit",
                "\"beef\" here, \"c0ffee\" in dev.json: partials from different commits or toolchains cannot be merged",
            ),
            (
                |p| p.provenance.rustc = "rustc 1.96.0\nhost: x".into(),
                "/provenance/rustc",
                "\"rustc 1.96.0\" here, \"rustc 1.95.0 (x 2026-01-01)\" in dev.json: partials from different commits or toolchains cannot be merged",
            ),
            (
                |p| p.provenance.binaryen = "117".into(),
                "/provenance/binaryen",
                "\"117\" here, \"116\" in dev.json: partials from different commits or toolchains cannot be merged",
            ),
            (
                |p| p.provenance.host = "aarch64".into(),
                "/provenance/host",
                "\"aarch64\" here, \"x86_64-unknown-linux-gnu\" in dev.json: partials from different commits or toolchains cannot be merged",
            ),
            (
                |p| p.seed_set = vec![42],
                "/seed_set",
                "\"[42]\" here, \"[11, 42]\" in dev.json: partials from different commits or toolchains cannot be merged",
            ),
            (
                |p| p.provenance.policy_sha256 = "q".into(),
                "/provenance/policy_sha256",
                "measured with \"q\", but the policy's sha256 here is \"p\"",
            ),
            (
                |p| p.corpus_sha256 = "d".into(),
                "/corpus_sha256",
                "measured with \"d\", but the corpus's sha256 here is \"c\"",
            ),
            (
                |p| p.variants[0].id = "wasm-browser-other".into(),
                "/variants/0/id",
                "the policy has no release variant with id \"wasm-browser-other\"",
            ),
            (
                |p| p.variants[0].variant = VariantKind::Dev,
                "/variants/0/id",
                "the policy has no dev variant with id \"wasm-browser-release\"",
            ),
        ];
        let policy = policy();
        for (break_it, pointer, message) in cases {
            let mut parts = jobs(&policy);
            break_it(&mut parts[2].1);
            let e = merge(&parts, &expected(&policy)).unwrap_err();
            assert_eq!(e, MergeError::Partial(DocumentError::rule("release.json", pointer, message)), "{pointer}");
        }
    }

    #[test]
    fn a_variant_measured_twice_or_by_a_narrowed_run_is_refused() {
        let policy = policy();
        let mut parts = jobs(&policy);
        parts.push(("again.json".into(), partial(&policy, &[VariantKind::Canary])));
        let e = merge(&parts, &expected(&policy)).unwrap_err().to_string();
        assert_eq!(
            e,
            "again.json: /variants/0/variant: the canary variant is also in canary.json: each variant is measured by one job"
        );

        let mut parts = jobs(&policy);
        let runtime = crate::runtime::RuntimeReport {
            engine: "wasmtime".into(),
            calibration: None,
            selection: Some("--seed 42".into()),
            scenarios: vec![],
        };
        parts[0].1.variants[0].runtime = Some(runtime);
        let e = merge(&parts, &expected(&policy)).unwrap_err().to_string();
        assert_eq!(
            e,
            "dev.json: /variants/0/runtime/selection: a narrowed run (--seed 42) cannot stand for the whole protocol"
        );

        let mut parts = jobs(&policy);
        let env = Environment {
            id: "desktop-firefox".into(),
            browser: BrowserKind::Firefox,
            cpu_throttling_rate: 1.0,
            label: "desktop Firefox".into(),
            metric: "M-FIREFOX-02A".into(),
            scenario_metrics: Vec::new(),
            host_metrics: Default::default(),
        };
        let firefox = EnvironmentRun::planned(&env, true, "return 1;");
        parts[2].1.variants[0].browsers = vec![firefox.clone()];
        let (merged, _) = merge(&parts, &expected(&policy)).unwrap();
        assert_eq!(merged.variants[2].browsers, std::slice::from_ref(&firefox), "a job's browsers are the merge's");
        let left_out = EnvironmentRun { left_out: Some("this run selected --engine chromium".into()), ..firefox };
        parts[2].1.variants[0].browsers.push(left_out);
        let e = merge(&parts, &expected(&policy)).unwrap_err().to_string();
        assert_eq!(
            e,
            "release.json: /variants/0/browsers/1/left_out: a narrowed run (this run selected --engine chromium) \
             cannot stand for the whole protocol"
        );
        assert_eq!(merge(&[], &expected(&policy)).unwrap_err(), MergeError::Nothing);
    }

    #[test]
    fn a_job_whose_own_steps_failed_fails_the_merged_pipeline() {
        let policy = policy();
        let mut parts = jobs(&policy);
        parts[1].1.pipeline.status = Status::Fail;
        parts[1].1.pipeline.reason = Some("2 cargo builds (expected 1)".into());
        let (merged, _) = merge(&parts, &expected(&policy)).unwrap();
        assert_eq!(merged.pipeline.status, Status::Fail);
        assert_eq!(merged.pipeline.reason.as_deref(), Some("canary.json: 2 cargo builds (expected 1)"));
    }
}
