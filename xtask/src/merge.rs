//! `cargo xtask gate --merge`: the partial summaries of a job matrix, checked against each
//! other and this checkout's documents, merged, then gated once exactly as `cargo xtask perf`
//! gates a single job's measurements.

use perf_core::budget::Status;
use perf_core::corpus::Corpus;
use perf_core::partial::{self, Expected, Partial};
use xshell::Shell;

use crate::perf::{self, Measured};
use crate::{flags, gate, inputs};

impl flags::Gate {
    pub(crate) fn run(self, sh: &Shell) -> anyhow::Result<Status> {
        let loaded = inputs::load(&self.inputs)?;
        let corpus = inputs::read(&self.corpus, Corpus::parse)?;
        let mut partials = Vec::new();
        for path in &self.merge {
            let document = inputs::read(path, Partial::parse)?;
            partials.push((document.name, document.value));
        }
        let gate_inputs = gate::load(sh, &self.gate)?;
        let expected = Expected {
            policy: &loaded.policy.value,
            package: &loaded.package,
            policy_sha256: &loaded.policy.sha256,
            budgets_sha256: &loaded.budgets.sha256,
            corpus_sha256: &corpus.sha256,
        };
        let merged = partial::merge(&partials, &expected)?;
        let names: Vec<&str> = partials.iter().map(|(name, _)| name.as_str()).collect();
        eprintln!("merging {} partial summaries: {}", names.len(), names.join(", "));
        if !merged.missing.is_empty() {
            let missing: Vec<&str> = merged.missing.iter().map(|v| v.as_str()).collect();
            eprintln!(
                "note: no partial measured {}: its metrics fail closed and the warn streaks are not updated",
                missing.join(", ")
            );
        }
        let complete = merged.missing.is_empty();
        let measured = Measured {
            variants: merged.variants,
            pipeline: merged.pipeline,
            provenance: merged.provenance,
            commit: merged.commit,
            package: merged.package,
        };
        perf::conclude(&loaded, gate_inputs, measured, &self.output, complete)
    }
}
