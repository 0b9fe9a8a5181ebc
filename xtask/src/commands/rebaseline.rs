//! `cargo xtask rebaseline`: measure as `perf` does (optionally several times) and rewrite
//! the baseline through `perf_core::rebaseline`, or with `--check` verify it is current.

use anyhow::bail;
use perf_core::attribution;
use perf_core::baseline::BaselineProvenance;
use perf_core::measurements::{self, Measurements};
use perf_core::rebaseline::{self, Change, Fresh, Options};
use perf_core::record::{self, Record};
use perf_core::run::broken_variants;
use perf_core::status::Status;
use xshell::Shell;

use crate::atomic_write::write_atomic;
use crate::pipeline::{self, RuntimePlan, Selection};
use crate::{flags, inputs, outputs};

impl flags::Rebaseline {
    pub(crate) fn run(self, sh: &Shell) -> anyhow::Result<Status> {
        let loaded = inputs::load(&self.inputs)?;
        inputs::check_change_control(sh, &loaded, Some(&self.runtime.corpus))?;
        let (path, name) = inputs::resolve(&self.baseline);
        let existing = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot read {name}"))),
        };
        if self.check && existing.is_none() {
            eprintln!("{name} does not exist: run `cargo xtask rebaseline` and commit it");
            return Ok(Status::Fail);
        }

        if !self.measurements.is_empty() {
            if self.baseline == std::path::Path::new(flags::DEFAULT_BASELINE) {
                bail!(
                    "--measurements writes another runner's baseline: name it with --baseline (the default, {}, is this machine's)",
                    flags::DEFAULT_BASELINE
                );
            }
            let (fresh, provenance) = self.measured_elsewhere(&loaded)?;
            let text = existing.clone().unwrap_or_else(|| rebaseline::TEMPLATE.to_owned());
            let options = Options { prune: self.prune, activate: self.activate, deterministic_only: false };
            let outcome = rebaseline::rebaseline(&name, &text, &fresh, &Default::default(), &provenance, options)?;
            return self.write(&outcome, existing.is_some());
        }
        let command = "cargo xtask perf".to_owned();
        let selection = Selection { scenario: None, seed: None, command: &command };
        let runtime = RuntimePlan::load(&loaded, &self.runtime, selection, &[], &self.hosts)?;
        let every: Vec<_> = loaded.policy.value.profiles.iter().collect();
        let runs = if self.check { 1 } else { self.runs };
        let mut all: Vec<Vec<Record>> = Vec::new();
        let mut last = None;
        for i in 0..runs {
            if runs > 1 {
                eprintln!("run {} of {runs}", i + 1);
            }
            let m = pipeline::measure(sh, &loaded, &runtime, &every)?;
            outputs::write_attribution(&loaded.subject, &m.variants)?;
            let broken = broken_variants(&m.variants);
            if !broken.is_empty() {
                bail!("{} was not changed: the run failed\n  {}", name, broken.join("\n  "));
            }
            all.push(record::build_records(&loaded.budgets.value, &m.variants, &m.commit));
            last = Some(m);
        }
        let Some(run) = last else { bail!("no run was made") };
        let fresh = Fresh::of_runs(&all);
        let provenance = run.baseline_provenance();
        let text = existing.clone().unwrap_or_else(|| rebaseline::TEMPLATE.to_owned());
        let options = Options { prune: self.prune, activate: self.activate, deterministic_only: self.check };
        let items = attribution::baseline_items(run.variants.iter().filter_map(|v| v.attribution.as_ref()));
        let outcome = rebaseline::rebaseline(&name, &text, &fresh, &items, &provenance, options)?;

        if self.check {
            if outcome.text == text {
                println!("{name}: canonical and up to date with this run's sizes");
                return Ok(Status::Pass);
            }
            let stale: Vec<String> = outcome
                .rows
                .iter()
                .filter(|r| r.change != Change::Unchanged)
                .map(|r| format!("{} {}: {}", r.profile, r.metric_id, r.change.as_str()))
                .collect();
            println!("{name} is not up to date with this run (or not in canonical form):");
            for s in &stale {
                println!("  {s}");
            }
            println!("run `cargo xtask rebaseline` locally, review the table, and commit the baseline");
            return Ok(Status::Fail);
        }

        self.write(&outcome, existing.is_some())
    }

    /// Writes the rewritten baseline and its review table (each atomically) and prints the
    /// table.
    fn write(&self, outcome: &rebaseline::Outcome, existed: bool) -> anyhow::Result<Status> {
        let (path, name) = inputs::resolve(&self.baseline);
        let table = rebaseline::review_table(&outcome.rows, outcome.status);
        write_atomic(&path, outcome.text.as_bytes())?;
        let (report_path, report_name) = inputs::resolve(&self.report);
        write_atomic(&report_path, table.as_bytes())?;
        print!("{table}");
        let verb = if existed { "rewrote" } else { "created" };
        println!("{verb} {name}; review table: {report_name}");
        Ok(Status::Pass)
    }

    /// The fresh values of `--measurements` (one document per run, judged against the
    /// budgets like `gate --measurements`) and the provenance they share.
    fn measured_elsewhere(&self, loaded: &inputs::Loaded) -> anyhow::Result<(Vec<Fresh>, BaselineProvenance)> {
        let mut documents = Vec::new();
        for path in &self.measurements {
            let d = inputs::read(path, Measurements::parse)?;
            documents.push((d.name, d.value));
        }
        let first = measurements::agreeing(&documents)?;
        let (budgets, policy) = (&loaded.budgets.value, &loaded.policy.value);
        let mut runs = Vec::new();
        for (name, m) in &documents {
            runs.push(measurements::records(&m.origin(name), &loaded.package, budgets, policy, &Default::default())?);
        }
        let fresh = Fresh::of_runs(&runs);
        Ok((fresh, measurements::baseline_provenance(first, &loaded.policy.sha256)))
    }
}
