//! `cargo xtask corpus check`: validate the benchmark corpus against the budgets and the
//! exports of the built modules, and write the corpus summary.

use std::collections::BTreeSet;

use anyhow::{Context, bail};
use perf_core::corpus::{self, Corpus, CorpusContext};
use perf_core::plan::ArtifactPaths;
use perf_core::policy::VariantKind;
use perf_core::sections::exported_functions;
use perf_core::self_test;
use perf_core::status::Status;
use xshell::Shell;

use crate::atomic_write::write_json_atomic;
use crate::{flags, inputs, toolchain};

pub const SUMMARY_SCHEMA_VERSION: &str = "wasm-benchmark-corpus-summary-v1";

impl flags::CorpusCheck {
    pub(crate) fn run(self, sh: &Shell) -> anyhow::Result<Status> {
        let loaded = inputs::load(&self.inputs)?;
        let inputs::Document { value: corpus, name, text, sha256 } = inputs::read(&self.corpus, Corpus::parse)?;
        let package = toolchain::package_info(sh, &loaded.package)?;
        // The exports of each variant's module the scenarios run on (the benchmark build's
        // when the policy has benchmark features), read once.
        let policy = &loaded.policy.value;
        let mut exports: Vec<(VariantKind, Option<BTreeSet<String>>)> = Vec::new();
        for v in &policy.profiles {
            let path = ArtifactPaths::runtime_module(policy, v, &package.lib_name);
            let module = inputs::resolve(std::path::Path::new(&path)).0;
            let names = match std::fs::read(&module) {
                Ok(bytes) => {
                    Some(exported_functions(&bytes).with_context(|| format!("cannot read {}", module.display()))?)
                }
                Err(_) => None,
            };
            exports.push((v.variant, names));
        }
        let lookup = |kind: VariantKind| exports.iter().find(|(k, _)| *k == kind).and_then(|(_, e)| e.clone());
        let cx = CorpusContext { budgets: &loaded.budgets.value, exports: Some(&lookup), only: self.only.as_deref() };
        let verdict = corpus.check(&name, &cx);
        let self_test = match (&verdict, self.self_test) {
            (Ok(()), true) => {
                let valid: serde_json::Value = serde_json::from_str(&text)?;
                Some(corpus::run_self_test(&name, &valid, &CorpusContext { only: None, ..cx }))
            }
            _ => None,
        };
        let summary = serde_json::json!({
            "schema_version": SUMMARY_SCHEMA_VERSION,
            "corpus_file": name,
            "corpus_sha256": sha256,
            "only": self.only,
            "status": if verdict.is_ok() { "valid" } else { "invalid" },
            "error": verdict.as_ref().err().map(ToString::to_string),
            "scenarios": corpus.scenarios,
            "self_test": self_test,
        });
        let (summary_path, summary_name) = inputs::resolve(&self.summary);
        write_json_atomic(&summary_path, &summary)?;
        verdict?;
        let scope = self.only.as_deref().map_or("all scenarios".to_owned(), |id| format!("scenario {id}"));
        println!("{name}: valid ({scope}; {} scenarios in the corpus)", corpus.scenarios.len());
        if let Some(results) = &self_test {
            for r in results {
                println!("{}", r.line());
            }
            let failed = results.iter().filter(|r| !r.ok).count();
            if failed > 0 {
                bail!(
                    "self-test: {failed} of {} broken corpora were not rejected as expected (summary: {summary_name})",
                    results.len()
                );
            }
            println!("{}", self_test::all_rejected_line(results, "corpora"));
        }
        println!("summary: {summary_name}");
        Ok(Status::Pass)
    }
}
