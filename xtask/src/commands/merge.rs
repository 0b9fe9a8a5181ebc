//! `cargo xtask gate --merge`: the partial summaries of a job matrix, checked against each
//! other and this checkout's documents, merged into one run, then concluded exactly as
//! `cargo xtask perf` concludes a single job's run.

use perf_core::corpus::Corpus;
use perf_core::partial::{self, Expected};
use perf_core::run::Run;
use perf_core::status::Status;
use xshell::Shell;

use crate::{flags, gate, inputs, outputs};

impl flags::Gate {
    pub(crate) fn run(self, sh: &Shell) -> anyhow::Result<Status> {
        let loaded = inputs::load(&self.inputs)?;
        // Change control holds where the verdict is made, as in `perf`.
        inputs::check_change_control(sh, &loaded, Some(&self.corpus))?;
        let corpus = inputs::read(&self.corpus, Corpus::parse)?;
        let mut partials = Vec::new();
        for path in &self.merge {
            let document = inputs::read(path, Run::parse)?;
            partials.push((document.name, document.value));
        }
        let files = gate::load(sh, &self.gate)?;
        let expected = Expected {
            policy: &loaded.policy.value,
            package: &loaded.package,
            policy_sha256: &loaded.policy.sha256,
            budgets_sha256: &loaded.budgets.sha256,
            corpus_sha256: &corpus.sha256,
        };
        let (run, missing) = partial::merge(&partials, &expected)?;
        let names: Vec<&str> = partials.iter().map(|(name, _)| name.as_str()).collect();
        eprintln!("merging {} partial summaries: {}", names.len(), names.join(", "));
        if !missing.is_empty() {
            let missing: Vec<&str> = missing.iter().map(|v| v.as_str()).collect();
            eprintln!(
                "note: no partial measured {}: its metrics fail closed and the warn streaks are not updated",
                missing.join(", ")
            );
        }
        outputs::conclude_and_write(&loaded, files, run, None, &self.output, missing.is_empty())
    }
}
