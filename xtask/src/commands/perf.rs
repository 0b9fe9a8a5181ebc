//! `cargo xtask perf`: build each variant as the policy declares, run wasm-opt, measure the
//! artifacts, run the runtime scenarios (`pipeline.rs`), then gate against the budgets and
//! write the summary and reports (`outputs.rs`); or, with `--partial-out`, write one matrix
//! job's run for `cargo xtask gate --merge`. With `--compare REF`, REF's builds too
//! (`worktree.rs`, `pipeline::build_base`), and what ships against them.

use std::path::Path;

use anyhow::bail;
use clap::ArgMatches;
use perf_core::early_stop::EarlyStops;
use perf_core::policy::{Variant, VariantKind};
use perf_core::shell::shell_words;
use perf_core::status::Status;
use perf_core::subject::Subject;
use xshell::Shell;

use crate::flags::ForSubject;
use crate::pipeline::{self, RuntimePlan, Selection};
use crate::worktree::BaseCheckout;
use crate::{flags, gate, inputs, outputs, project_root, subject_dirs};

impl flags::Perf {
    /// `--all-subjects`: this run once per subject, each on its own documents, baseline,
    /// streaks and outputs. The worst verdict; a subject that could not be gated is an error
    /// once the others have run.
    pub(crate) fn run_every_subject(self, sh: &Shell, matches: &ArgMatches) -> anyhow::Result<Status> {
        let subjects = subject_dirs::list(&project_root())?;
        let (mut worst, mut failed) = (Status::Pass, Vec::new());
        for subject in &subjects {
            eprintln!("== subject {subject}");
            let mut run = flags::Perf { all_subjects: false, ..self.clone() };
            run.inputs.subject = Some(subject.clone());
            run.for_subject(subject, matches);
            match run.run(sh) {
                Ok(status) => worst = worst.worst(status),
                Err(e) => {
                    eprintln!("error: subject {subject}: {e:#}");
                    failed.push(subject.name());
                }
            }
        }
        if !failed.is_empty() {
            bail!("{} of {} subjects could not be gated: {}", failed.len(), subjects.len(), failed.join(", "));
        }
        Ok(worst)
    }

    pub(crate) fn run(self, sh: &Shell) -> anyhow::Result<Status> {
        let loaded = inputs::load(&self.inputs)?;
        inputs::check_change_control(sh, &loaded, Some(&self.runtime.corpus))?;
        let command = repro_command(&self.inputs, &self.runtime);
        let selection = Selection { scenario: self.scenario.as_deref(), seed: self.seed, command: &command };
        let runtime = RuntimePlan {
            all_cells: self.all_cells,
            ..RuntimePlan::load(&loaded, &self.runtime, selection, &self.engines, &self.hosts)?
        };
        let narrowed = self.scenario.is_some() || self.seed.is_some() || runtime.narrowed_by().is_some();
        let selected = select_variants(&loaded, &self.profiles)?;
        if let Some(path) = &self.partial_out {
            let run = pipeline::measure(sh, &loaded, &runtime, &selected)?;
            return outputs::write_partial(&loaded, &run, path, self.output.json);
        }
        // Read before anything is built: bad gate input (or a REF that is not a commit) fails
        // in a second, not after builds.
        let files = gate::load(sh, &self.gate)?;
        // Each timing samples until the gate's verdict on it is settled, or to the cap.
        let profiles: Vec<(VariantKind, &str)> =
            selected.iter().map(|v| (v.variant, v.budget_profile.as_str())).collect();
        let early_stops = match self.all_samples {
            true => EarlyStops::none(),
            false => perf_core::gate::early_stops(&loaded.budgets.value, files.baseline.as_ref(), &profiles),
        };
        let runtime = RuntimePlan { early_stops, ..runtime };
        let base = self.compare.as_deref().map(|r| BaseCheckout::prepare(sh, r)).transpose()?;
        let (run, base) = pipeline::measure_against(sh, &loaded, &runtime, &selected, base.as_ref())?;
        outputs::conclude_and_write(&loaded, files, run, base, &self.output, !narrowed)
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

/// `cargo xtask perf` with the subject and the input flags that differ from its paths, so a
/// repro command reads the same documents.
fn repro_command(inputs: &flags::Inputs, runtime: &flags::RuntimeArgs) -> String {
    let mut words = vec!["cargo".to_owned(), "xtask".to_owned(), "perf".to_owned()];
    let subject = inputs.subject.clone().unwrap_or_else(Subject::default_subject);
    if !subject.is_default() {
        words.extend(["--subject".to_owned(), subject.name().to_owned()]);
    }
    let paths = [
        ("--policy", &inputs.policy, flags::DEFAULT_POLICY),
        ("--budgets", &inputs.budgets, flags::DEFAULT_BUDGETS),
        ("--corpus", &runtime.corpus, flags::DEFAULT_CORPUS),
    ];
    for (flag, path, default) in paths {
        if *path != subject.path(Path::new(default)) {
            words.extend([flag.to_owned(), path.display().to_string()]);
        }
    }
    if let Some(package) = &inputs.package {
        words.extend(["--package".to_owned(), package.clone()]);
    }
    shell_words(&words)
}
