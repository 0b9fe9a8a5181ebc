//! `cargo xtask perf`: build each variant as the policy declares, run wasm-opt, measure,
//! gate against the budgets and write the summary.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use perf_core::budget::Status;
use perf_core::pipeline::{PhaseTiming, PipelineReport, StepBudget, StepCounts};
use perf_core::policy::{Variant, cargo_output_path};
use perf_core::summary::{self, Provenance, Summary, VariantReport};
use xshell::{Shell, cmd};

use crate::atomic_write::{write_atomic, write_json_atomic};
use crate::optimize::{self, BINARYEN_VERSION, CacheOutcome};
use crate::policy_check::validated_package;
use crate::{flags, inputs, measure, summary_schema, table, toolchain};

/// Environment variables that would override or drop the policy's flags.
const OVERRIDING_ENV: [&str; 3] = ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_RUSTFLAGS"];

/// Everything a variant build needs that is the same for all variants.
struct Plan {
    package: String,
    lib_name: String,
    target: String,
    /// Cargo's target directory for the wasm builds, as written in the recorded command.
    target_dir: String,
    cache_dir: PathBuf,
    measure_cache_dir: PathBuf,
}

struct Run {
    steps: StepCounts,
    phases: Vec<PhaseTiming>,
}

impl flags::Perf {
    pub(crate) fn run(self, sh: &Shell, cwd: &Path) -> anyhow::Result<Status> {
        let started = Instant::now();
        let loaded = inputs::load(&self.inputs, cwd)?;
        let policy = &loaded.policy.value;
        let budgets = &loaded.budgets.value;
        toolchain::ensure_target(sh, &policy.target)?;
        let package = validated_package(sh, &loaded)?;
        let versions = toolchain::versions(sh)?;
        let commit = toolchain::git_commit(sh);
        let root = crate::project_root();
        let wasm_target_dir = package.target_directory.join("perf-wasm");
        let plan = Plan {
            package: package.name.clone(),
            lib_name: package.lib_name.clone(),
            target: policy.target.clone(),
            target_dir: wasm_target_dir.strip_prefix(&root).unwrap_or(&wasm_target_dir).display().to_string(),
            cache_dir: root.join("artifacts/cache/wasm-opt"),
            measure_cache_dir: root.join("artifacts/cache/measure"),
        };
        for key in OVERRIDING_ENV {
            if std::env::var_os(key).is_some() {
                eprintln!("note: ignoring {key} for the wasm builds: the optimization policy sets their flags");
            }
        }

        let mut run = Run { steps: StepCounts::default(), phases: Vec::new() };
        let variants: Vec<VariantReport> =
            policy.profiles.iter().map(|v| build_variant(sh, v, &plan, &mut run)).collect();

        let step_budget = StepBudget {
            cargo_builds: policy.profiles.len() as u32,
            wasm_opt_runs: policy.profiles.iter().filter(|v| v.wasm_opt.enabled).count() as u32,
        };
        let (status, reason) = step_budget.check(&run.steps);
        let pipeline = PipelineReport {
            steps: run.steps,
            step_budget,
            status,
            reason,
            phases: run.phases,
            total_millis: millis(started),
        };
        let records = summary::build_records(budgets, &variants, &commit);
        let mut summary = Summary {
            schema_version: summary::SCHEMA_VERSION.to_owned(),
            verdict: summary::verdict(&records, &pipeline),
            commit,
            package: package.name.clone(),
            seed_set: budgets.seed_set.clone(),
            report_signature: String::new(),
            provenance: Provenance {
                rustc: versions.rustc,
                cargo: versions.cargo,
                binaryen: BINARYEN_VERSION.to_owned(),
                host: versions.host,
                policy_sha256: loaded.policy.sha256.clone(),
                budgets_sha256: loaded.budgets.sha256.clone(),
            },
            variants,
            records,
            pipeline,
        };
        summary.report_signature = summary.signature();
        let (summary_path, summary_name) = inputs::resolve(&self.summary, cwd);
        write_json_atomic(&summary_path, &summary)?;
        let violations = summary_schema::violations(&serde_json::to_value(&summary)?)?;
        if !violations.is_empty() {
            return Err(anyhow!(
                "internal error: {summary_name} does not match docs/schemas/wasm_budget_summary.schema.json:\n  {}",
                violations.join("\n  ")
            ));
        }

        if self.json {
            println!("{}", serde_json::to_string_pretty(&summary)?);
        } else {
            print!("{}", table::render(&summary));
            println!("summary: {summary_name}");
        }
        let broken: Vec<String> = summary
            .variants
            .iter()
            .filter_map(|v| v.error.as_ref().map(|e| format!("{}: {e}", v.variant.as_str())))
            .collect();
        if !broken.is_empty() {
            return Err(anyhow!(
                "{} variant(s) could not be built or optimized (summary written to {summary_name}):\n  {}",
                broken.len(),
                broken.join("\n  ")
            ));
        }
        Ok(summary.verdict)
    }
}

/// Builds, optimizes and measures one variant; a failure is kept in the report's `error`.
fn build_variant(sh: &Shell, v: &Variant, plan: &Plan, run: &mut Run) -> VariantReport {
    let build = v.cargo_build(&plan.package, &plan.target, &plan.target_dir);
    let mut report = VariantReport {
        id: v.id.clone(),
        variant: v.variant,
        budget_profile: v.budget_profile.clone(),
        features: v.cargo.features.clone(),
        commands: vec![format!("cargo {}", shell_words(&build.args))],
        wasm_opt: v.wasm_opt.enabled.then(|| optimize::describe(&v.wasm_opt)),
        pre_opt: None,
        post_opt: None,
        error: None,
    };
    if let Some(d) = &report.wasm_opt {
        report.commands.push(d.clone());
    }
    if let Err(e) = build_and_measure(sh, v, plan, run, &build, &mut report) {
        report.error = Some(format!("{e:#}"));
    }
    report
}

fn build_and_measure(
    sh: &Shell,
    v: &Variant,
    plan: &Plan,
    run: &mut Run,
    build: &perf_core::policy::CargoBuild,
    report: &mut VariantReport,
) -> anyhow::Result<()> {
    let variant = v.variant.as_str();
    let phase = |run: &mut Run, phase: &str, t: Instant| {
        run.phases.push(PhaseTiming { phase: phase.to_owned(), variant: variant.to_owned(), millis: millis(t) })
    };

    let t = Instant::now();
    eprintln!("building {variant}: cargo {}", shell_words(&build.args));
    let cargo = toolchain::cargo();
    let args = &build.args;
    let mut cmd = cmd!(sh, "{cargo} {args...}").quiet();
    for key in OVERRIDING_ENV {
        cmd = cmd.env_remove(key);
    }
    run.steps.cargo_builds += 1;
    // Through std's Command for the exit status; the command itself is in the summary.
    let status = std::process::Command::from(cmd).status().context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo build of the {variant} variant failed ({status}); cargo's errors are above");
    }
    phase(run, "build", t);

    let built =
        sh.current_dir().join(&plan.target_dir).join(cargo_output_path(&plan.target, &build.profile, &plan.lib_name));
    let paths = v.artifact_paths(&plan.lib_name);
    let (pre, post) = (sh.current_dir().join(&paths.pre_opt), sh.current_dir().join(&paths.post_opt));
    let (pre_name, post_name) = (paths.pre_opt, paths.post_opt);
    let bytes =
        std::fs::read(&built).with_context(|| format!("cargo reported success but wrote no {}", built.display()))?;
    write_atomic(&pre, &bytes)?;

    let t = Instant::now();
    if v.wasm_opt.enabled {
        match optimize::optimize(&pre, &post, &v.wasm_opt, &plan.cache_dir)? {
            CacheOutcome::Hit => run.steps.wasm_opt_cache_hits += 1,
            CacheOutcome::Miss => run.steps.wasm_opt_runs += 1,
        }
        phase(run, "wasm-opt", t);
    } else {
        write_atomic(&post, &bytes)?;
    }

    let t = Instant::now();
    let optimized = std::fs::read(&post).with_context(|| format!("cannot read {}", post.display()))?;
    let cache = &plan.measure_cache_dir;
    let (pre_m, post_m) = std::thread::scope(|s| {
        let pre_m = s.spawn(|| measure::measure(&pre_name, &bytes, cache));
        let post_m = if optimized == bytes { None } else { Some(measure::measure(&post_name, &optimized, cache)) };
        (pre_m.join().unwrap_or_else(|_| Err(anyhow!("measuring {pre_name} panicked"))), post_m)
    });
    let pre_m = pre_m?;
    // A variant without wasm-opt ships cargo's bytes unchanged: one measurement serves both.
    let post_m = match post_m {
        Some(m) => m?,
        None => perf_core::summary::ArtifactMeasurement { path: post_name, ..pre_m.clone() },
    };
    report.pre_opt = Some(pre_m);
    report.post_opt = Some(post_m);
    phase(run, "measure", t);
    Ok(())
}

fn millis(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1e4).round() / 10.0
}

/// The arguments as a POSIX shell would need them typed.
pub fn shell_words(args: &[String]) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=,:+@%".contains(c);
    args.iter()
        .map(
            |a| {
                if !a.is_empty() && a.chars().all(plain) {
                    a.clone()
                } else {
                    format!("'{}'", a.replace('\'', "'\\''"))
                }
            },
        )
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn shell_words_quote_what_a_shell_would_split() {
        let args = ["build", "--config", "profile.x.opt-level=\"z\"", "it's"].map(String::from);
        assert_eq!(super::shell_words(&args), r#"build --config 'profile.x.opt-level="z"' 'it'\''s'"#);
    }
}
