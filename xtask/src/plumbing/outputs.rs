//! What a run leaves behind, written before the exit code is decided: the summary (checked
//! against its schema first, so a broken one writes nothing), the gate's report, events and
//! streak state, the Markdown and HTML reports, the job summary, each variant's attribution,
//! or (for one job of a matrix) the partial summary; and what is printed on stdout.

use std::path::Path;

use anyhow::{Context, anyhow, bail};
use perf_core::against_base::AgainstBase;
use perf_core::conclude::{GateContext, conclude};
use perf_core::gate::GateReport;
use perf_core::record;
use perf_core::run::{Run, VariantReport, bad_scenarios, broken_variants};
use perf_core::status::Status;
use perf_core::streak::StreakState;
use perf_core::subject::Subject;
use perf_core::summary::Summary;
use perf_core::table;

use crate::atomic_write::{write_atomic, write_json_atomic};
use crate::pipeline::BaseRun;
use crate::{gate, inputs, settings, summary_schema};

/// Concludes `run` (perf-core decides) and writes every output; the streaks only when
/// `write_streaks` (a run whose figures follow the whole protocol: not narrowed, not a merge
/// missing a variant). Returns the verdict, or exit 2's error once everything is written.
pub(crate) fn conclude_and_write(
    loaded: &inputs::Loaded,
    mut files: gate::Loaded,
    run: Run,
    base: Option<BaseRun>,
    out: &settings::OutputArgs,
    write_streaks: bool,
) -> anyhow::Result<Status> {
    let budgets = &loaded.budgets.value;
    let mut streaks = std::mem::take(&mut files.streaks);
    let cx = GateContext {
        baseline: files.baseline.as_ref(),
        branch: &files.branch,
        run_id: &files.run_id,
        issues_url: files.issues_url.as_deref(),
        subject: (!loaded.subject.is_default()).then(|| loaded.subject.name()),
        measured_elsewhere: &[],
    };
    let (mut summary, report) = conclude(run, budgets, &cx, &mut streaks);
    if let Some(b) = &base {
        let timings = b.timings.clone();
        let against = AgainstBase::of(&b.reference, &b.commit, budgets, &summary.records, &b.variants, timings);
        summary = summary.with_against_base(against);
    }
    write_concluded(loaded, &files, &summary, &report, write_streaks.then_some(&streaks), out)?;
    stop_on_broken_input(&summary.variants, &inputs::resolve(&out.summary).1)?;
    if let Some(b) = base {
        // The base's gaps warn (the verdict says so): a variant or scenario new since the
        // base, or a base that no longer builds, leaves the head gated as measured.
        let broken = broken_variants(&b.variants);
        if !broken.is_empty() {
            eprintln!(
                "warning: --compare {}: the base's build failed, so these are not compared (the head's figures gate \
                 as measured):\n  {}",
                b.reference,
                broken.join("\n  ")
            );
        }
        for t in b.timings.iter().filter(|t| t.base_missing.is_some()) {
            let what = t.scenario.as_deref().map_or(String::new(), |s| format!(", {s}"));
            let why = t.base_missing.as_deref().unwrap_or_default();
            eprintln!("warning: {} ({}, {}{what}) not compared: {why}", t.metric_id, t.variant.as_str(), t.environment);
        }
        let uncompared: Vec<String> = b
            .timings
            .iter()
            .filter_map(|t| {
                let what = t.scenario.as_deref().map_or(String::new(), |s| format!(", {s}"));
                let (m, v, e) = (&t.metric_id, t.variant.as_str(), &t.environment);
                Some(format!("{m} ({v}, {e}{what}): {}", t.error.as_ref()?))
            })
            .collect();
        if !uncompared.is_empty() {
            bail!(
                "--compare {}: timings not compared (the summary is written):\n  {}",
                b.reference,
                uncompared.join("\n  ")
            );
        }
    }
    Ok(summary.verdict)
}

/// Writes a concluded summary and gate report (and `streaks`, when given) and prints the
/// table or the JSON.
pub(crate) fn write_concluded(
    loaded: &inputs::Loaded,
    files: &gate::Loaded,
    summary: &Summary,
    report: &GateReport,
    streaks: Option<&StreakState>,
    out: &settings::OutputArgs,
) -> anyhow::Result<()> {
    let budgets = &loaded.budgets.value;
    let (summary_path, summary_name) = inputs::resolve(&out.summary);
    // Checked before anything is written: a summary that breaks its schema is a tool
    // error, and then neither it nor the gate's files (streaks included) are written.
    let violations = summary_schema::violations(&serde_json::to_value(summary)?)?;
    if !violations.is_empty() {
        return Err(anyhow!(
            "internal error: the summary does not match docs/schemas/wasm_budget_summary.schema.json \
             (nothing was written):\n  {}",
            violations.join("\n  ")
        ));
    }
    write_attribution(&loaded.subject, &summary.variants)?;
    write_json_atomic(&summary_path, summary)?;
    files.persist(report, streaks, out.json)?;
    let markdown = perf_core::markdown::report(summary, report);
    write_atomic(&inputs::resolve(&out.markdown).0, markdown.as_bytes())?;
    let html = perf_core::html::report(summary, report);
    write_atomic(&inputs::resolve(&out.html).0, html.as_bytes())?;
    if let Some(path) = &out.step_summary {
        append_step_summary(path, &markdown)?;
    }

    if out.json {
        println!("{}", serde_json::to_string_pretty(summary)?);
    } else {
        print!("{}", table::render(budgets, &summary.variants, &summary.records, &summary.pipeline));
        if let Some(against) = &summary.against_base {
            print!("{}", table::render_against_base(against, &summary.variants));
        }
        println!("verdict: {}", summary.verdict.as_str());
        print!("{}", table::render_gate(report, &files.notes));
        println!("summary: {summary_name}, report: {}", files.report.1);
    }
    Ok(())
}

/// One job of a matrix: writes its run as the partial summary `gate --merge` reads, gating
/// nothing. Exit 0 once it is written, 2 when a variant could not be built or a scenario
/// could not start (the partial is written first).
pub(crate) fn write_partial(loaded: &inputs::Loaded, run: &Run, path: &Path, json: bool) -> anyhow::Result<Status> {
    write_attribution(&loaded.subject, &run.variants)?;
    let (full, name) = inputs::resolve(path);
    write_json_atomic(&full, run)?;
    if json {
        println!("{}", serde_json::to_string_pretty(run)?);
    } else {
        let budgets = &loaded.budgets.value;
        let records = record::build_records(budgets, &run.variants, &run.commit);
        print!("{}", table::render(budgets, &run.variants, &records, &run.pipeline));
        println!("partial summary: {name} (the gate runs on all jobs' partials: `cargo xtask gate --merge`)");
    }
    stop_on_broken_input(&run.variants, &name)?;
    Ok(Status::Pass)
}

/// Each variant's attribution as a file of its own (`artifacts/attribution/<variant>.json`,
/// `artifacts/NAME/attribution/…` for subject NAME);
/// a variant without one has its stale file removed, so no earlier run stands for this one.
pub(crate) fn write_attribution(subject: &Subject, variants: &[VariantReport]) -> anyhow::Result<()> {
    let root = crate::project_root();
    for v in variants {
        let path = root.join(subject.path(Path::new(&format!("artifacts/attribution/{}.json", v.variant.as_str()))));
        match &v.attribution {
            Some(a) => write_json_atomic(&path, a)?,
            None => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("cannot remove {}", path.display()));
                }
                _ => {}
            },
        }
    }
    Ok(())
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
            "{} scenario or browser run(s) could not run: bad input or a failed browser (summary written to {written}):\n  {}",
            bad.len(),
            bad.join("\n  ")
        ));
    }
    Ok(())
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
