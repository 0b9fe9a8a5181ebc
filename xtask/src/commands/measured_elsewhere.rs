//! `cargo xtask gate --measurements FILE` and `--current B`: figures this tool did not
//! measure (a device farm's, or a second baseline's), judged by `perf-core` against the same
//! budgets, then gated and written exactly as a run of `perf` is.

use anyhow::anyhow;
use perf_core::baseline::Baseline;
use perf_core::conclude::{GateContext, conclude_records};
use perf_core::measurements::{self, Figures, Origin, Selection};
use perf_core::pipeline::{PipelineReport, StepBudget, StepCounts};
use perf_core::run::{Provenance, RunHeader};
use perf_core::status::Status;
use xshell::Shell;

use crate::inputs::Document;
use crate::{flags, gate, inputs, outputs};

pub(crate) fn run(cmd: flags::Gate, sh: &Shell) -> anyhow::Result<Status> {
    let loaded = inputs::load(&cmd.inputs)?;
    // Change control holds wherever a verdict is made.
    inputs::check_change_control(sh, &loaded, None)?;
    let budgets = &loaded.budgets.value;
    let (origin, provenance, is_run) = match (&cmd.measurements, &cmd.current) {
        (Some(path), None) => match inputs::read(path, Figures::parse)? {
            Document { value: Figures::Measurements(m), name, .. } => {
                let provenance = Provenance {
                    rustc: m.provenance.rustc.clone(),
                    cargo: format!("not recorded: measured elsewhere by {}", m.provenance.producer),
                    binaryen: m.provenance.binaryen.clone(),
                    host: format!("{} ({})", m.environment.device, m.environment.runner),
                    policy_sha256: loaded.policy.sha256.clone(),
                    budgets_sha256: loaded.budgets.sha256.clone(),
                    runner: None,
                    wasm_bindgen: None,
                };
                (m.origin(&name), provenance, true)
            }
            Document { value: Figures::Summary(s), name, .. } => {
                // Judged again against the budgets read here.
                let provenance = Provenance { budgets_sha256: loaded.budgets.sha256.clone(), ..s.provenance.clone() };
                (Origin::of_summary(&name, &s), provenance, true)
            }
        },
        (None, Some(path)) => {
            let same = |a: &std::path::Path, b: &std::path::Path| {
                let canonical = |p: &std::path::Path| std::fs::canonicalize(inputs::resolve(p).0).ok();
                canonical(a).is_some_and(|a| Some(a) == canonical(b))
            };
            if same(&cmd.gate.baseline, path) {
                return Err(anyhow!("--current and --baseline name the same file: there is nothing to compare"));
            }
            let doc = inputs::read(path, Baseline::parse)?;
            let b = &doc.value;
            let provenance = Provenance {
                rustc: b.provenance.rustc.clone(),
                cargo: format!("not recorded: read from the baseline {}", doc.name),
                binaryen: b.provenance.binaryen.clone(),
                host: b.provenance.host.clone(),
                policy_sha256: b.provenance.policy_sha256.clone(),
                budgets_sha256: loaded.budgets.sha256.clone(),
                runner: b.provenance.runner.clone(),
                wasm_bindgen: b.provenance.wasm_bindgen.clone(),
            };
            (Origin::of_baseline(&doc.name, b, &budgets.seed_set), provenance, false)
        }
        _ => return Err(anyhow!("gate needs exactly one of --merge, --measurements and --current")),
    };
    let selection = Selection { profiles: cmd.profiles.clone(), required: cmd.require_metrics.clone() };
    selection.check(budgets).map_err(|e| anyhow!("{e} (in {})", loaded.budgets.name))?;
    let records = measurements::records(&origin, &loaded.package, budgets, &loaded.policy.value, &selection)?;

    let mut files = gate::load(sh, &cmd.gate)?;
    if !is_run && files.baseline.is_none() {
        return Err(anyhow!(
            "--current compares with --baseline, and {} does not exist",
            inputs::resolve(&cmd.gate.baseline).1
        ));
    }
    let baseline = files.baseline.as_ref().map(|b| {
        if is_run {
            measurements::scoped_to_records(b, &records)
        } else {
            measurements::scoped_to_profiles(b, &records)
        }
    });
    // A comparison of two baselines is not a run: no branch's warnings count towards it.
    let mut streaks = if is_run { std::mem::take(&mut files.streaks) } else { Default::default() };
    let browsers = origin.timing_browsers(budgets);
    let cx = GateContext {
        baseline: baseline.as_ref(),
        branch: &files.branch,
        run_id: &files.run_id,
        issues_url: files.issues_url.as_deref(),
        subject: (!loaded.subject.is_default()).then(|| loaded.subject.name()),
        measured_elsewhere: &browsers,
    };
    let header = RunHeader {
        commit: origin.commit.clone(),
        // The figures are refused unless they are of this package.
        package: loaded.package.clone(),
        seed_set: origin.seed_set.clone(),
        provenance,
    };
    let (summary, report) = conclude_records(header, Vec::new(), nothing_built(), records, budgets, &cx, &mut streaks);
    eprintln!("gating {} record(s) from {}", summary.records.len(), origin.file);
    if !is_run {
        files.notes.push(format!("{} is a baseline, not a run: the warn streaks were not updated", origin.file));
    }
    outputs::write_concluded(&loaded, &files, &summary, &report, is_run.then_some(&streaks), &cmd.output)?;
    Ok(summary.verdict)
}

/// The pipeline of figures measured elsewhere: nothing built here, so nothing to fail.
fn nothing_built() -> PipelineReport {
    PipelineReport {
        steps: StepCounts::default(),
        step_budget: StepBudget { cargo_builds: 0, wasm_opt_runs: 0 },
        status: Status::Pass,
        reason: None,
        phases: Vec::new(),
        total_millis: 0.0,
        contention: None,
    }
}
