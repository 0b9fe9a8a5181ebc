//! The measuring runs several tests assert on, each made once per test binary (on first
//! use, in the pipeline lock's turn) and kept with everything it wrote and printed: building
//! and measuring the sample kernel takes seconds, asserting on the result takes none.
//!
//! - [`reference`]: the sample kernel as the policy builds it, on documents that gate no
//!   browser (`budgets/wasmtime-only.json`, `corpus/quick-wasmtime.json`): `rebaseline`
//!   writes a scaffold baseline, `perf` is gated against it, the modules it built are kept,
//!   and `corpus check` runs on them.
//! - [`roomy_baseline`]: an active baseline of the same clean build on budgets that leave the
//!   release room (`budgets/roomy-release.json`), for the tests that build a deliberately
//!   worse module and expect only the baseline rule to see it.
//!
//! A test that copies a shared run's file changes its copy, never the run's.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use perf_core::summary::Summary;

use crate::harness::{holding_pipeline_lock, measuring, perf, pipeline_lock, read_summary, scratch, xtask};
use crate::support::{copy_tree, fixture, root, steady_baseline};

/// Budgets and corpus that gate no browser: a run of them leaves nothing out.
pub fn wasmtime_documents() -> [String; 4] {
    let (budgets, corpus) = (fixture("budgets/wasmtime-only.json"), fixture("corpus/quick-wasmtime.json"));
    ["--budgets".into(), budgets, "--corpus".into(), corpus]
}

/// Budgets that leave the release variant's sizes and fuel room, and the same corpus.
pub fn roomy_documents() -> [String; 4] {
    let (budgets, corpus) = (fixture("budgets/roomy-release.json"), fixture("corpus/quick-wasmtime.json"));
    ["--budgets".into(), budgets, "--corpus".into(), corpus]
}

pub struct Reference {
    /// Everything the runs wrote: `baseline.json` and `review.md` (the rebaseline),
    /// `summary.json`, `report.json`, `streaks.json`, `events.ndjson`, `report.md` and
    /// `report.html` (the perf run), `artifacts/` (the modules and attribution files it
    /// left, copied while they were its own) and the corpus checks' summaries.
    pub dir: PathBuf,
    /// `rebaseline`, creating the scaffold baseline.
    pub rebaseline: Output,
    /// `perf`, gated against it.
    pub perf: Output,
    pub corpus: CorpusChecks,
}

/// `corpus check` on the modules the reference run built (the committed corpus, with its
/// self-test), then on corpora that name an export the modules lack and that cover no cold
/// start (whole, and one scenario of it).
pub struct CorpusChecks {
    pub committed: Output,
    pub missing_export: Output,
    pub no_cold_start: Output,
    pub no_cold_start_one_scenario: Output,
}

impl Reference {
    pub fn summary(&self) -> Summary {
        read_summary(&self.path("summary.json"))
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A file the perf run left under the workspace root (`artifacts/wasm/…`,
    /// `artifacts/attribution/…`), as the run left it.
    pub fn artifact(&self, workspace_path: &str) -> PathBuf {
        self.dir.join(workspace_path)
    }
}

pub fn reference() -> &'static Reference {
    static RUN: OnceLock<Reference> = OnceLock::new();
    RUN.get_or_init(|| {
        assert!(!holding_pipeline_lock(), "take the shared runs before the pipeline lock");
        let _turn = pipeline_lock();
        let dir = scratch("reference");
        let [baseline, review, summary, html] =
            ["baseline.json", "review.md", "summary.json", "report.html"].map(|f| dir.join(f).display().to_string());
        let documents = wasmtime_documents();
        let documents: Vec<&str> = documents.iter().map(String::as_str).collect();
        let rebaseline =
            measuring(&[&["rebaseline", "--baseline", &baseline, "--report", &review][..], &documents].concat());
        let markdown = dir.join("report.md").display().to_string();
        let outputs = ["--summary", summary.as_str(), "--html", html.as_str(), "--markdown", markdown.as_str()];
        let perf = perf(&dir, &[&documents[..], &outputs[..]].concat());
        for kept in ["artifacts/wasm/dev", "artifacts/wasm/canary", "artifacts/wasm/release", "artifacts/attribution"] {
            copy_tree(&root().join(kept), &dir.join(kept));
        }
        let corpus = corpus_checks(&dir);
        Reference { dir, rebaseline, perf, corpus }
    })
}

fn corpus_checks(dir: &Path) -> CorpusChecks {
    let check = |name: &str, args: &[&str]| {
        let summary = dir.join(format!("corpus-{name}.json")).display().to_string();
        xtask(&[&["corpus", "check"][..], args, &["--summary", &summary]].concat())
    };
    let (missing, no_cold) = (fixture("corpus/missing-export.json"), fixture("corpus/no-cold-start.json"));
    CorpusChecks {
        committed: check("committed", &["--self-test"]),
        missing_export: check("missing-export", &["--corpus", &missing]),
        no_cold_start: check("no-cold-start", &["--corpus", &no_cold]),
        no_cold_start_one_scenario: check("no-cold-start-one", &["--corpus", &no_cold, "--only", "WB-CHAN-01"]),
    }
}

pub struct RoomyBaseline {
    /// `baseline.json`: active, its wall-clock tolerances widened (`support::steady_baseline`).
    pub dir: PathBuf,
    pub rebaseline: Output,
}

impl RoomyBaseline {
    /// The baseline, copied to `dir/baseline.json` (where `harness::perf` reads it), after
    /// checking that the rebaseline wrote it.
    pub fn copy_to(&self, dir: &Path) -> PathBuf {
        let o = &self.rebaseline;
        assert_eq!(o.status.code(), Some(0), "the roomy rebaseline: {}", crate::harness::both(o));
        let to = dir.join("baseline.json");
        std::fs::copy(self.dir.join("baseline.json"), &to).unwrap();
        to
    }

    /// The value the baseline anchors `metric` at in the release variant's profile.
    pub fn release_value(&self, metric: &str) -> f64 {
        let text = std::fs::read_to_string(self.dir.join("baseline.json")).unwrap();
        let b = perf_core::baseline::Baseline::parse("baseline", &text).unwrap();
        b.metric("core-min", metric).and_then(|m| m.value).unwrap_or_else(|| panic!("no value of {metric}"))
    }
}

pub fn roomy_baseline() -> &'static RoomyBaseline {
    static RUN: OnceLock<RoomyBaseline> = OnceLock::new();
    RUN.get_or_init(|| {
        assert!(!holding_pipeline_lock(), "take the shared runs before the pipeline lock");
        let _turn = pipeline_lock();
        let dir = scratch("roomy-baseline");
        let baseline = dir.join("baseline.json");
        let documents = roomy_documents();
        let documents: Vec<&str> = documents.iter().map(String::as_str).collect();
        let activate = ["rebaseline", "--activate", "--baseline", baseline.to_str().unwrap()];
        let rebaseline = measuring(&[&activate[..], &documents].concat());
        if rebaseline.status.success() {
            steady_baseline(&baseline);
        }
        RoomyBaseline { dir, rebaseline }
    })
}
