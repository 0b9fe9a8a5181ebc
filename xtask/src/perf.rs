//! `cargo xtask perf`: build each variant as the policy declares, run wasm-opt, measure
//! the artifacts, run the runtime scenarios, gate against the budgets and write the summary.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use perf_core::attribution::Attribution;
use perf_core::budget::Status;
use perf_core::corpus::{Corpus, CorpusContext};
use perf_core::display::number;
use perf_core::partial::{self, Partial};
use perf_core::pipeline::{PhaseTiming, PipelineReport, StepBudget, StepCounts};
use perf_core::policy::{CargoBuild, Variant, VariantKind, cargo_output_path};
use perf_core::runtime::RunErrorKind;
use perf_core::summary::{self, ArtifactMeasurement, Provenance, Summary, VariantReport};
use xshell::{Shell, cmd};

use crate::atomic_write::{write_atomic, write_json_atomic};
use crate::attribution::{self, Profile};
use crate::optimize::{self, BINARYEN_VERSION, CacheOutcome};
use crate::policy_check::validated_package;
use crate::runner;
pub(crate) use crate::runner::Selection;
use crate::{flags, gate, inputs, measure, summary_schema, table, toolchain};

/// Environment variables that set rustflags; the builds use only the policy's, through
/// CARGO_ENCODED_RUSTFLAGS (which outranks all of them and any config file).
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

/// What one pass of build → wasm-opt → measure produced, before any gating.
pub(crate) struct Measured {
    pub variants: Vec<VariantReport>,
    pub pipeline: PipelineReport,
    pub provenance: Provenance,
    pub commit: String,
    pub package: String,
}

/// The runtime half of a run: the corpus, checked, and which of it to run.
pub(crate) struct RuntimePlan<'a> {
    pub corpus: Corpus,
    pub corpus_sha256: String,
    pub engine: flags::Engine,
    pub selection: Selection<'a>,
}

impl<'a> RuntimePlan<'a> {
    /// Reads and checks the corpus (its exports are checked when the scenarios bind) and
    /// the selection, before anything is built.
    pub(crate) fn load(
        loaded: &inputs::Loaded,
        args: &flags::RuntimeArgs,
        selection: Selection<'a>,
    ) -> anyhow::Result<RuntimePlan<'a>> {
        let corpus = inputs::read(&args.corpus, Corpus::parse)?;
        let cx = CorpusContext { budgets: &loaded.budgets.value, exports: None, only: selection.scenario };
        corpus.value.check(&corpus.name, &cx)?;
        Ok(RuntimePlan { corpus: corpus.value, corpus_sha256: corpus.sha256, engine: args.engine, selection })
    }
}

/// Builds, optimizes and measures `variants` (of the policy), then runs their scenarios.
pub(crate) fn measure(
    sh: &Shell,
    loaded: &inputs::Loaded,
    runtime: &RuntimePlan,
    selected: &[&Variant],
) -> anyhow::Result<Measured> {
    let started = Instant::now();
    let policy = &loaded.policy.value;
    let package = validated_package(sh, loaded)?;
    toolchain::ensure_target(sh, &policy.target).with_context(|| format!("{}: /target", loaded.policy.name))?;
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
    let target_flags = format!("CARGO_TARGET_{}_RUSTFLAGS", policy.target.to_uppercase().replace(['-', '.'], "_"));
    for key in OVERRIDING_ENV.iter().copied().chain([target_flags.as_str()]) {
        if std::env::var_os(key).is_some() {
            eprintln!("note: ignoring {key} for the wasm builds: the optimization policy sets their flags");
        }
    }

    let mut run = Run { steps: StepCounts::default(), phases: Vec::new() };
    // Builds run one after another; each variant's measuring (brotli at quality 11 is
    // the slow part) runs on its own thread meanwhile, so both cores are used.
    let built: Vec<(VariantReport, Option<Vec<u8>>)> = std::thread::scope(|s| {
        let pending: Vec<_> = selected
            .iter()
            .map(|&v| {
                let (report, built) = build_variant(sh, v, &plan, &mut run);
                let cache = &plan.measure_cache_dir;
                (report, built.map(|a| s.spawn(move || measure_artifacts(v.variant, a, cache))))
            })
            .collect();
        pending
            .into_iter()
            .map(|(mut report, measuring)| {
                let Some(handle) = measuring else { return (report, None) };
                match handle.join() {
                    Ok((measured, timing)) => {
                        run.phases.push(timing);
                        match measured {
                            Ok(m) => {
                                (report.pre_opt, report.post_opt) = (Some(m.pre), Some(m.post));
                                match m.attribution {
                                    Ok(a) => report.attribution = Some(a),
                                    Err(e) => report.attribution_error = Some(format!("{e:#}")),
                                }
                                return (report, Some(m.shipped));
                            }
                            Err(e) => report.error = Some(format!("{e:#}")),
                        }
                    }
                    Err(_) => report.error = Some("measuring the artifacts panicked".to_owned()),
                }
                (report, None)
            })
            .collect()
    });
    // After the builds, one variant at a time: the timings must not share the cores with
    // a build or with brotli.
    let variants: Vec<VariantReport> = built
        .into_iter()
        .map(|(mut report, shipped)| {
            let Some(module) = shipped else { return report };
            let t = Instant::now();
            let flags::Engine::Wasmtime = runtime.engine;
            let budgets = &loaded.budgets.value;
            report.runtime =
                Some(runner::run_variant(&module, report.variant, &runtime.corpus, budgets, &runtime.selection));
            run.phases.push(phase("runtime", report.variant.as_str(), t));
            report
        })
        .collect();

    for v in &variants {
        let path = root.join(format!("artifacts/attribution/{}.json", v.variant.as_str()));
        match &v.attribution {
            Some(a) => write_json_atomic(&path, a)?,
            // No stale file from an earlier run may stand for this one.
            None => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("cannot remove {}", path.display()));
                }
                _ => {}
            },
        }
    }

    let step_budget = StepBudget::for_variants(selected.iter().copied());
    let (status, reason) = step_budget.check(&run.steps);
    let pipeline = PipelineReport {
        steps: run.steps,
        step_budget,
        status,
        reason,
        phases: run.phases,
        total_millis: millis(started),
    };
    let provenance = Provenance {
        rustc: versions.rustc,
        cargo: versions.cargo,
        binaryen: BINARYEN_VERSION.to_owned(),
        host: versions.host,
        policy_sha256: loaded.policy.sha256.clone(),
        budgets_sha256: loaded.budgets.sha256.clone(),
    };
    Ok(Measured { variants, pipeline, provenance, commit, package: package.name })
}

impl flags::Perf {
    pub(crate) fn run(self, sh: &Shell) -> anyhow::Result<Status> {
        let loaded = inputs::load(&self.inputs)?;
        let command = repro_command(&self.inputs, &self.runtime);
        let selection = Selection { scenario: self.scenario.as_deref(), seed: self.seed, command: &command };
        let narrowed = selection.scenario.is_some() || selection.seed.is_some();
        let runtime = RuntimePlan::load(&loaded, &self.runtime, selection)?;
        let selected = select_variants(&loaded, &self.profiles)?;
        if let Some(path) = &self.partial_out {
            return write_partial(sh, &loaded, &runtime, &selected, path, self.output.json);
        }
        let gate_inputs = gate::load(sh, &self.gate)?;
        let measured = measure(sh, &loaded, &runtime, &selected)?;
        conclude(&loaded, gate_inputs, measured, &self.output, !narrowed)
    }
}

/// The policy's variants named by `--profile`, in policy order; all of them when none is.
fn select_variants<'a>(loaded: &'a inputs::Loaded, names: &[String]) -> anyhow::Result<Vec<&'a Variant>> {
    let profiles = &loaded.policy.value.profiles;
    if let Some(unknown) = names.iter().find(|n| !profiles.iter().any(|v| v.variant.as_str() == n.as_str())) {
        let known: Vec<&str> = profiles.iter().map(|v| v.variant.as_str()).collect();
        bail!("--profile {unknown}: {} has no such variant (it has {})", loaded.policy.name, known.join(", "));
    }
    Ok(profiles.iter().filter(|v| names.is_empty() || names.iter().any(|n| n == v.variant.as_str())).collect())
}

/// One job of a matrix: measures its variants and writes the partial summary for
/// `cargo xtask gate --merge`, which gates. Exits 0 once it is written, 2 when a variant
/// could not be built or a scenario could not start (the partial is written first).
fn write_partial(
    sh: &Shell,
    loaded: &inputs::Loaded,
    runtime: &RuntimePlan,
    selected: &[&Variant],
    path: &Path,
    json: bool,
) -> anyhow::Result<Status> {
    let Measured { variants, pipeline, provenance, commit, package } = measure(sh, loaded, runtime, selected)?;
    let budgets = &loaded.budgets.value;
    let partial = Partial {
        schema_version: partial::SCHEMA_VERSION.to_owned(),
        commit,
        package,
        seed_set: budgets.seed_set.clone(),
        provenance,
        corpus_sha256: runtime.corpus_sha256.clone(),
        variants,
        pipeline,
    };
    let (full, name) = inputs::resolve(path);
    write_json_atomic(&full, &partial)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&partial)?);
    } else {
        let records = summary::build_records(budgets, &partial.variants, &partial.commit);
        print!("{}", table::render(&partial.variants, &records, &partial.pipeline));
        println!("partial summary: {name} (the gate runs on all jobs' partials: `cargo xtask gate --merge`)");
    }
    stop_on_broken_input(&partial.variants, &name)?;
    Ok(Status::Pass)
}

/// Gates the measurements and writes the summary, the gate's files and the step summary,
/// all before the exit code is decided. `write_streaks` is false for a run whose figures do
/// not follow the whole protocol (narrowed, or a merge missing a variant): its warnings must
/// not count towards a streak.
pub(crate) fn conclude(
    loaded: &inputs::Loaded,
    gate_inputs: gate::Loaded,
    measured: Measured,
    out: &flags::OutputArgs,
    write_streaks: bool,
) -> anyhow::Result<Status> {
    let budgets = &loaded.budgets.value;
    let Measured { variants, pipeline, provenance, commit, package } = measured;
    let mut records = summary::build_records(budgets, &variants, &commit);
    let gate = gate::run(gate_inputs, budgets, &mut records, &variants, &provenance);
    let mut summary = Summary {
        schema_version: summary::SCHEMA_VERSION.to_owned(),
        verdict: summary::verdict(&records, &pipeline).worst(gate.report.verdict),
        commit,
        package,
        seed_set: budgets.seed_set.clone(),
        report_signature: String::new(),
        provenance,
        variants,
        records,
        pipeline,
    };
    summary.report_signature = summary.signature();
    let (summary_path, summary_name) = inputs::resolve(&out.summary);
    // Checked before anything is written: a summary that breaks its schema is a tool
    // error, and then neither it nor the gate's files (streaks included) are written.
    let violations = summary_schema::violations(&serde_json::to_value(&summary)?)?;
    if !violations.is_empty() {
        return Err(anyhow!(
            "internal error: the summary does not match docs/schemas/wasm_budget_summary.schema.json \
             (nothing was written):\n  {}",
            violations.join("\n  ")
        ));
    }
    write_json_atomic(&summary_path, &summary)?;
    gate.persist(out.json, write_streaks)?;
    let markdown = perf_core::markdown::report(&summary, &gate.report);
    write_atomic(&inputs::resolve(&out.markdown).0, markdown.as_bytes())?;
    let html = perf_core::html::report(&summary, &gate.report);
    write_atomic(&inputs::resolve(&out.html).0, html.as_bytes())?;
    if let Some(path) = &out.step_summary {
        append_step_summary(path, &markdown)?;
    }

    if out.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print!("{}", table::render(&summary.variants, &summary.records, &summary.pipeline));
        println!("verdict: {}", summary.verdict.as_str());
        print!("{}", table::render_gate(&gate.report, &gate.notes));
        println!("summary: {summary_name}, report: {}", gate.report_name);
    }
    stop_on_broken_input(&summary.variants, &summary_name)?;
    Ok(summary.verdict)
}

/// Exit 2 (after the outputs are written) when a variant could not be built or a scenario
/// could not start.
fn stop_on_broken_input(variants: &[VariantReport], written: &str) -> anyhow::Result<()> {
    let broken = broken_variants(variants);
    if !broken.is_empty() {
        return Err(anyhow!(
            "{} variant(s) could not be built or optimized (summary written to {written}):\n  {}",
            broken.len(),
            broken.join("\n  ")
        ));
    }
    let bad = bad_scenarios(variants);
    if !bad.is_empty() {
        return Err(anyhow!(
            "{} scenario run(s) could not start: bad input (summary written to {written}):\n  {}",
            bad.len(),
            bad.join("\n  ")
        ));
    }
    Ok(())
}

/// "variant: error" for every variant that could not be built, optimized or measured.
pub(crate) fn broken_variants(variants: &[VariantReport]) -> Vec<String> {
    variants.iter().filter_map(|v| v.error.as_ref().map(|e| format!("{}: {e}", v.variant.as_str()))).collect()
}

/// Appends the report in one write: a job summary file collects every step's output, so it
/// is appended to, never replaced.
fn append_step_summary(path: &Path, markdown: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let (full, name) = inputs::resolve(path);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&full)
        .with_context(|| format!("cannot open the step summary {name}"))?;
    file.write_all(markdown.as_bytes()).with_context(|| format!("cannot write the step summary {name}"))
}

/// "variant scenario: cause" for every scenario stopped by bad input (exit 2); traps and
/// limits are the code's behaviour and fail their metrics instead.
fn bad_scenarios(variants: &[VariantReport]) -> Vec<String> {
    variants
        .iter()
        .flat_map(|v| v.runtime.iter().flat_map(move |r| r.errors().map(move |(run, e)| (v, run, e))))
        .filter(|(_, _, e)| e.kind == RunErrorKind::Input)
        .map(|(v, run, e)| format!("{} {}: {}", v.variant.as_str(), run.scenario, e.message))
        .collect()
}

/// `cargo xtask perf` with the input flags that differ from their defaults, so a repro
/// command reads the same documents.
fn repro_command(inputs: &flags::Inputs, runtime: &flags::RuntimeArgs) -> String {
    let mut words = vec!["cargo".to_owned(), "xtask".to_owned(), "perf".to_owned()];
    let paths = [
        ("--policy", &inputs.policy, flags::DEFAULT_POLICY),
        ("--budgets", &inputs.budgets, flags::DEFAULT_BUDGETS),
        ("--corpus", &runtime.corpus, flags::DEFAULT_CORPUS),
    ];
    for (flag, path, default) in paths {
        if path != Path::new(default) {
            words.extend([flag.to_owned(), path.display().to_string()]);
        }
    }
    if let Some(package) = &inputs.package {
        words.extend(["--package".to_owned(), package.clone()]);
    }
    shell_words(&words)
}

/// Cargo's output and what ships, named as the summary shows them.
struct Artifacts {
    pre_name: String,
    pre: Vec<u8>,
    post_name: String,
    post: Vec<u8>,
}

/// Builds and optimizes one variant; a failure is kept in the report's `error`.
fn build_variant(sh: &Shell, v: &Variant, plan: &Plan, run: &mut Run) -> (VariantReport, Option<Artifacts>) {
    let build = v.cargo_build(&plan.package, &plan.target, &plan.target_dir);
    let mut report = VariantReport {
        wasm_opt: v.wasm_opt.enabled.then(|| optimize::describe(&v.wasm_opt)),
        ..VariantReport::planned(v, vec![build_command(&build)])
    };
    if let Some(d) = &report.wasm_opt {
        report.commands.push(d.clone());
    }
    match build_and_optimize(sh, v, plan, run, &build) {
        Ok(artifacts) => (report, Some(artifacts)),
        Err(e) => {
            report.error = Some(format!("{e:#}"));
            (report, None)
        }
    }
}

fn build_and_optimize(
    sh: &Shell,
    v: &Variant,
    plan: &Plan,
    run: &mut Run,
    build: &CargoBuild,
) -> anyhow::Result<Artifacts> {
    let variant = v.variant.as_str();
    let t = Instant::now();
    eprintln!("building {variant}: {}", build_command(build));
    let cargo = toolchain::cargo();
    let args = &build.args;
    let mut cmd = cmd!(sh, "{cargo} {args...}").quiet();
    for key in OVERRIDING_ENV {
        cmd = cmd.env_remove(key);
    }
    cmd = cmd.env("CARGO_ENCODED_RUSTFLAGS", &build.encoded_rustflags);
    run.steps.cargo_builds += 1;
    // Through std's Command for the exit status; the command itself is in the summary.
    let status = std::process::Command::from(cmd).status().context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo build of the {variant} variant failed ({status}); cargo's errors are above");
    }
    run.phases.push(phase("build", variant, t));

    let built =
        sh.current_dir().join(&plan.target_dir).join(cargo_output_path(&plan.target, &build.profile, &plan.lib_name));
    let paths = v.artifact_paths(&plan.lib_name);
    let (pre_path, post_path) = (sh.current_dir().join(&paths.pre_opt), sh.current_dir().join(&paths.post_opt));
    let pre =
        std::fs::read(&built).with_context(|| format!("cargo reported success but wrote no {}", built.display()))?;
    write_atomic(&pre_path, &pre)?;

    let post = if v.wasm_opt.enabled {
        let t = Instant::now();
        let (outcome, optimized) = optimize::optimize(&pre_path, &pre, &post_path, &v.wasm_opt, &plan.cache_dir)?;
        match outcome {
            CacheOutcome::Hit => run.steps.wasm_opt_cache_hits += 1,
            CacheOutcome::Miss => run.steps.wasm_opt_runs += 1,
        }
        run.phases.push(phase("wasm-opt", variant, t));
        optimized
    } else {
        write_atomic(&post_path, &pre)?;
        pre.clone()
    };
    Ok(Artifacts { pre_name: paths.pre_opt, pre, post_name: paths.post_opt, post })
}

/// What measuring a variant's artifacts gives: both measurements, the attribution and the
/// shipped bytes for the runtime scenarios.
struct ArtifactFigures {
    pre: ArtifactMeasurement,
    post: ArtifactMeasurement,
    attribution: anyhow::Result<Attribution>,
    shipped: Vec<u8>,
}

/// Measures both artifacts of a variant (on two threads), attributes its bytes, and times it.
fn measure_artifacts(
    variant: VariantKind,
    a: Artifacts,
    cache: &Path,
) -> (anyhow::Result<ArtifactFigures>, PhaseTiming) {
    let t = Instant::now();
    let measured = std::thread::scope(|s| {
        let pre = s.spawn(|| measure::measure(&a.pre_name, &a.pre, cache));
        let post = if a.post == a.pre { None } else { Some(measure::measure(&a.post_name, &a.post, cache)) };
        let pre = pre.join().unwrap_or_else(|_| Err(anyhow!("measuring {} panicked", a.pre_name)))?;
        // A variant without wasm-opt ships cargo's bytes unchanged: one measurement serves both.
        let post = match post {
            Some(m) => m?,
            None => ArtifactMeasurement { path: a.post_name.clone(), ..pre.clone() },
        };
        Ok((pre, post))
    });
    let figures = measured.map(|(pre, post)| {
        let attribution = attribution::attribute(variant, profiled(&a, &pre, &post));
        ArtifactFigures { pre, post, attribution, shipped: a.post }
    });
    (figures, phase("measure", variant.as_str(), t))
}

/// The artifact to attribute: the shipped one when it has names, else cargo's named output
/// (wasm-opt drops the name section), else the shipped one with indices for names.
fn profiled<'a>(a: &'a Artifacts, pre: &'a ArtifactMeasurement, post: &'a ArtifactMeasurement) -> Profile<'a> {
    let code_and_data = |m: &ArtifactMeasurement| m.sections.code_bytes + m.sections.data_bytes;
    if post.sections.has_name_section {
        let note = "the shipped module itself (it has a name section)".to_owned();
        return Profile { path: &post.path, sha256: &post.sha256, wasm: &a.post, named: true, note };
    }
    if pre.sections.has_name_section {
        let note = format!(
            "cargo's output before wasm-opt, for its names (the shipped module has no name section); \
             wasm-opt then takes code and data from {} to {} bytes",
            number(code_and_data(pre) as f64),
            number(code_and_data(post) as f64)
        );
        return Profile { path: &pre.path, sha256: &pre.sha256, wasm: &a.pre, named: true, note };
    }
    let note = "the shipped module, which has no name section: functions are named by index".to_owned();
    Profile { path: &post.path, sha256: &post.sha256, wasm: &a.post, named: false, note }
}

fn phase(phase: &str, variant: &str, since: Instant) -> PhaseTiming {
    PhaseTiming { phase: phase.to_owned(), variant: variant.to_owned(), millis: millis(since) }
}

fn millis(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1e4).round() / 10.0
}

/// The build exactly as a shell would run it, environment included.
pub fn build_command(build: &CargoBuild) -> String {
    let flags = shell_words(std::slice::from_ref(&build.encoded_rustflags));
    let flags = if build.encoded_rustflags.is_empty() { String::new() } else { flags };
    format!("CARGO_ENCODED_RUSTFLAGS={flags} cargo {}", shell_words(&build.args))
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
