//! The budgets file (`.github/wasm_perf_budgets.json`): which metrics exist, in which unit,
//! how each is measured, and its thresholds per budget profile. Evaluating a measured value
//! against them gives a status. How each metric source is measured (its engine, family,
//! unit, clock) is one table, [`Source::info`].
//!
//! # Format
//! ```json
//! { "schema_version": "wasm-perf-budgets-v1",
//!   "profiles": ["full-dev", "core-trace", "core-min"],
//!   "seed_set": [11, 29, 42, 73, 101],
//!   "metrics": [
//!     { "id": "M-PERF-01A", "name": "wasm size (raw bytes)", "unit": "bytes",
//!       "source": "size.raw", "required": true, "gate": "hard",
//!       "thresholds": { "core-min": { "hard": 65536 }, ... } },
//!     { "id": "M-PERF-04A", ..., "gate": "warn_then_block", "escalate_after": 2,
//!       "thresholds": { "core-min": { "warn": 8, "hard": 12 }, ... } } ] }
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::digest;
use crate::document::{DocumentError, check_schema_version, parse_document, pointer_join};
use crate::status::Status;
use crate::unit::Unit;

pub const SCHEMA_VERSION: &str = "wasm-perf-budgets-v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budgets {
    pub schema_version: String,
    #[serde(default)]
    pub description: String,
    /// The budget profiles every metric has thresholds for.
    pub profiles: Vec<String>,
    /// The seeds every runtime scenario runs with.
    pub seed_set: Vec<u64>,
    pub metrics: Vec<Metric>,
    /// Why the thresholds are what they are, newest last (seed §11): every command that gates
    /// refuses the budgets unless the newest entry's `thresholds_sha256` is that of the
    /// current thresholds and the entry names its issue and approval.
    #[serde(default)]
    pub change_log: Vec<ChangeEntry>,
    /// When the reports suggest a tighter threshold; none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratchet: Option<Ratchet>,
}

/// Whether a change-log entry's `issue` names one: `#N` or a link (`https://…`).
pub fn names_an_issue(issue: &str) -> bool {
    let numbered = issue.strip_prefix('#').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let linked =
        (issue.starts_with("https://") || issue.starts_with("http://")) && !issue.contains(char::is_whitespace);
    numbered || linked
}

/// The ratchet hint's rule: a metric whose baseline value leaves more than `headroom_above`
/// of its hard budget unused gets the suggestion `baseline × (1 + suggest_headroom)`. Only
/// a suggestion: thresholds change through the change log.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ratchet {
    pub headroom_above: f64,
    pub suggest_headroom: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeEntry {
    pub date: String,
    pub reason: String,
    /// Where the before/after figures are (a document, a run, a pull request).
    pub evidence: String,
    /// The issue that asked for the change (a link or `#N`). Required of the newest entry;
    /// entries older than the rule may lack it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<String>,
    /// Who approved the change (a reviewer's handle and where: "@alice in #123"). Required
    /// of the newest entry, like `issue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    /// [`Budgets::thresholds_sha256`] of the thresholds this entry sets.
    pub thresholds_sha256: String,
    /// `Corpus::measurement_sha256` of the subject's corpus this entry was made with.
    /// Required of a subject's newest entry (`change_control`); older entries may lack it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corpus_sha256: Option<String>,
}

/// Where a change-log entry's before/after figures are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// A run or pull request: not checkable offline.
    Link(String),
    /// A file in the repository, relative to its root.
    Path(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub id: String,
    pub name: String,
    pub unit: Unit,
    pub source: Source,
    /// A required metric that is not measured fails the gate instead of being skipped.
    pub required: bool,
    pub gate: GateKind,
    /// Consecutive warnings that escalate to a failure (warn-then-block metrics only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_after: Option<u32>,
    pub thresholds: BTreeMap<String, Thresholds>,
}

/// What measurement feeds a metric. Every fact about a source is in its row of
/// [`Source::info`]; the budgets file and every output name it by [`SourceInfo::id`]. A new
/// source is a variant here, its row there and its place in [`Source::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    SizeRaw,
    SizeGzip,
    SizeBrotli,
    /// Bytes of the shipped module's code section.
    SectionCode,
    /// Bytes of its data section.
    SectionData,
    /// Bytes of its custom sections.
    SectionCustom,
    /// How many DWARF (`.debug_*`) and `producers` sections it carries.
    DebugSections,
    /// wasm-bindgen's JS glue (the glue file and its snippets), each file measured on its
    /// own and summed, as a server compresses each file it sends.
    GlueRaw,
    GlueGzip,
    GlueBrotli,
    /// Compile + instantiate in the scenario engine (wasmtime: Cranelift compiles every
    /// function up front, unlike a browser).
    RuntimeColdInit,
    /// Cold init in a desktop browser (the contract's M-PERF-02A).
    BrowserDesktopColdInit,
    /// Cold init in a mid-tier mobile browser (the contract's M-PERF-02B).
    BrowserMobileColdInit,
    /// One operation of a scenario in a browser environment (the environment lists the
    /// metric): operations are timed in batches, since a page's clock ticks in 5 µs (100 µs
    /// when not cross-origin isolated); the value is each seed's median over its batches (a
    /// batch's time / its operations), median over seeds. The median, not a p95: a batch is
    /// already a mean, and the p95 of 30 batches under CPU throttling is a GC pause or a
    /// throttling slice, not the operation (it moved 10x between seeds here).
    BrowserOpMedian,
    /// One operation through the subject's public JS API (a corpus scenario's `js_api`) in
    /// a browser environment, on what ships: the glue's marshalling (strings in and out,
    /// typed arrays, objects) included. Timed as `browser.op_median` is.
    BrowserJsOpMedian,
    /// Linear memory (`memory.buffer.byteLength`) through a memory-pressure workload of the
    /// subject's public JS API (a corpus scenario's `js_api`) in a browser, on what ships:
    /// sampled after each of the protocol's `memory_sample_ops` operations, following its
    /// `memory_warmup_ops`; per seed the p95, median over seeds. Counted: the same operations
    /// on the same build allocate the same.
    BrowserJsLinearMemory,
    /// A host app's time to ready in a browser environment (the environment lists the
    /// metric per host): the median over page loads of the page contract's `wasm:ready`
    /// mark from navigation start, the framework's boot included, on the production build.
    BrowserHostReady,
    /// The JavaScript a host app loads on its own: every script its control page fetched
    /// (the same app built with the subject stubbed out), each file compressed on its own
    /// and summed, as a server sends them. Counted in the first hosts environment's load.
    BrowserHostJsRaw,
    BrowserHostJsGzip,
    BrowserHostJsBrotli,
    /// What a host app's page ships in all: every script it fetched (the framework, the
    /// app, the glue bundled in or beside) and the module.
    BrowserHostTotalRaw,
    BrowserHostTotalGzip,
    BrowserHostTotalBrotli,
    RuntimeHeap,
    RuntimeScenarioP95,
    RuntimeReplayOverhead,
    RuntimeFuel,
}

/// Everything the gate knows about a source, from its row in [`Source::info`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceInfo {
    /// How the budgets file and every output name it, e.g. `size.raw`.
    pub id: &'static str,
    pub family: Family,
    /// What measures it.
    pub engine: Engine,
    /// The unit the engine reports it in: a size's metric must be budgeted in it; a time or
    /// a heap converts to its metric's unit ([`Unit::convert`]).
    pub unit: Unit,
    /// Measured with a clock: the value differs run to run, so a record of it keeps its
    /// value, status and reason out of the summary's signature.
    pub wall_clock: bool,
}

/// What a source measures, as the corpus's rules and the records group it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// The shipped module's bytes (the whole module, its sections).
    ModuleSize,
    /// wasm-bindgen's JS glue files' bytes.
    GlueSize,
    /// Compile + instantiate: fed only by a cold-start scenario or a browser environment.
    ColdInit,
    /// A scenario's operations: their time, heap, fuel or overhead.
    Operation,
    /// A host app's boot with the module: fed only by a browser environment's host.
    HostBoot,
    /// The bytes a host app's page loads: fed only by the hosts section.
    HostSize,
}

/// Where a source's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The shipped artifact's bytes, no engine involved.
    Artifact,
    /// A corpus scenario run in wasmtime.
    Wasmtime,
    /// A corpus browser environment.
    Browser,
}

impl Source {
    /// Every source, in declaration order: the ids a budgets file may name (a source left
    /// out here cannot be read; the tests check the order against the declaration).
    pub const ALL: [Source; 27] = [
        Source::SizeRaw,
        Source::SizeGzip,
        Source::SizeBrotli,
        Source::SectionCode,
        Source::SectionData,
        Source::SectionCustom,
        Source::DebugSections,
        Source::GlueRaw,
        Source::GlueGzip,
        Source::GlueBrotli,
        Source::RuntimeColdInit,
        Source::BrowserDesktopColdInit,
        Source::BrowserMobileColdInit,
        Source::BrowserOpMedian,
        Source::BrowserJsOpMedian,
        Source::BrowserJsLinearMemory,
        Source::BrowserHostReady,
        Source::BrowserHostJsRaw,
        Source::BrowserHostJsGzip,
        Source::BrowserHostJsBrotli,
        Source::BrowserHostTotalRaw,
        Source::BrowserHostTotalGzip,
        Source::BrowserHostTotalBrotli,
        Source::RuntimeHeap,
        Source::RuntimeScenarioP95,
        Source::RuntimeReplayOverhead,
        Source::RuntimeFuel,
    ];

    /// The ids of [`Source::ALL`], in its order: what an unknown source is told to be.
    const IDS: [&'static str; 27] = {
        let mut ids = [""; 27];
        let mut i = 0;
        while i < ids.len() {
            ids[i] = Source::ALL[i].info().id;
            i += 1;
        }
        ids
    };

    /// The one table of sources: a match without a wildcard, so a new source does not
    /// compile until its row says what it is.
    pub const fn info(self) -> SourceInfo {
        use Engine::{Artifact, Browser, Wasmtime};
        use Family::{ColdInit, GlueSize, HostBoot, HostSize, ModuleSize, Operation};
        const DETERMINISTIC: bool = false;
        const WALL_CLOCK: bool = true;
        const fn row(id: &'static str, family: Family, engine: Engine, unit: Unit, wall_clock: bool) -> SourceInfo {
            SourceInfo { id, family, engine, unit, wall_clock }
        }
        match self {
            Source::SizeRaw => row("size.raw", ModuleSize, Artifact, Unit::Bytes, DETERMINISTIC),
            Source::SizeGzip => row("size.gzip", ModuleSize, Artifact, Unit::Bytes, DETERMINISTIC),
            Source::SizeBrotli => row("size.brotli", ModuleSize, Artifact, Unit::Bytes, DETERMINISTIC),
            Source::SectionCode => row("size.section.code", ModuleSize, Artifact, Unit::Bytes, DETERMINISTIC),
            Source::SectionData => row("size.section.data", ModuleSize, Artifact, Unit::Bytes, DETERMINISTIC),
            Source::SectionCustom => row("size.section.custom", ModuleSize, Artifact, Unit::Bytes, DETERMINISTIC),
            Source::DebugSections => row("size.debug_sections", ModuleSize, Artifact, Unit::Count, DETERMINISTIC),
            Source::GlueRaw => row("size.glue_raw", GlueSize, Artifact, Unit::Bytes, DETERMINISTIC),
            Source::GlueGzip => row("size.glue_gzip", GlueSize, Artifact, Unit::Bytes, DETERMINISTIC),
            Source::GlueBrotli => row("size.glue_brotli", GlueSize, Artifact, Unit::Bytes, DETERMINISTIC),
            Source::RuntimeColdInit => row("runtime.cold_init", ColdInit, Wasmtime, Unit::Nanos, WALL_CLOCK),
            Source::BrowserDesktopColdInit => {
                row("browser.desktop_cold_init", ColdInit, Browser, Unit::Millis, WALL_CLOCK)
            }
            Source::BrowserMobileColdInit => {
                row("browser.mobile_cold_init", ColdInit, Browser, Unit::Millis, WALL_CLOCK)
            }
            Source::BrowserOpMedian => row("browser.op_median", Operation, Browser, Unit::Nanos, WALL_CLOCK),
            Source::BrowserJsOpMedian => row("browser.js_op_median", Operation, Browser, Unit::Nanos, WALL_CLOCK),
            Source::BrowserJsLinearMemory => {
                row("browser.js_linear_memory", Operation, Browser, Unit::Bytes, DETERMINISTIC)
            }
            Source::BrowserHostReady => row("browser.host_ready", HostBoot, Browser, Unit::Millis, WALL_CLOCK),
            // The scripts a page fetches are found by loading it, but their bytes are counted.
            Source::BrowserHostJsRaw => row("browser.host_js_raw", HostSize, Browser, Unit::Bytes, DETERMINISTIC),
            Source::BrowserHostJsGzip => row("browser.host_js_gzip", HostSize, Browser, Unit::Bytes, DETERMINISTIC),
            Source::BrowserHostJsBrotli => row("browser.host_js_brotli", HostSize, Browser, Unit::Bytes, DETERMINISTIC),
            Source::BrowserHostTotalRaw => row("browser.host_total_raw", HostSize, Browser, Unit::Bytes, DETERMINISTIC),
            Source::BrowserHostTotalGzip => {
                row("browser.host_total_gzip", HostSize, Browser, Unit::Bytes, DETERMINISTIC)
            }
            Source::BrowserHostTotalBrotli => {
                row("browser.host_total_brotli", HostSize, Browser, Unit::Bytes, DETERMINISTIC)
            }
            // Bytes in use and fuel are counted, not timed: the same run to run.
            Source::RuntimeHeap => row("runtime.heap", Operation, Wasmtime, Unit::Bytes, DETERMINISTIC),
            Source::RuntimeScenarioP95 => row("runtime.scenario_p95", Operation, Wasmtime, Unit::Nanos, WALL_CLOCK),
            Source::RuntimeReplayOverhead => {
                row("runtime.replay_overhead", Operation, Wasmtime, Unit::Percent, WALL_CLOCK)
            }
            Source::RuntimeFuel => row("runtime.fuel_per_op", Operation, Wasmtime, Unit::Fuel, DETERMINISTIC),
        }
    }

    pub const fn as_str(self) -> &'static str {
        self.info().id
    }

    /// Measured by running a scenario of the benchmark corpus in wasmtime (not from the
    /// artifact's bytes, and not in a browser).
    pub fn is_scenario(self) -> bool {
        self.info().engine == Engine::Wasmtime
    }

    /// Measured in a browser environment of the corpus.
    pub fn is_browser(self) -> bool {
        self.info().engine == Engine::Browser
    }

    /// Measured with a clock: the value differs run to run.
    pub fn is_wall_clock(self) -> bool {
        self.info().wall_clock
    }

    /// Measured from the shipped artifact's bytes, no engine involved.
    pub fn is_size(self) -> bool {
        self.info().engine == Engine::Artifact
    }

    /// Measured from wasm-bindgen's JS glue.
    pub fn is_glue(self) -> bool {
        self.info().family == Family::GlueSize
    }

    /// Counted in bytes, with no seeds: the artifact's sizes and the host pages' bytes.
    pub fn counts_bytes(self) -> bool {
        self.is_size() || self.info().family == Family::HostSize
    }

    /// Measured on what ships (its bytes, its cold init, a host app loading it, an
    /// operation through its JS API), never on the benchmark build: only the scenario
    /// exports' operations need it.
    pub fn measures_production(self) -> bool {
        self.is_size()
            || matches!(self.info().family, Family::HostBoot | Family::HostSize | Family::ColdInit)
            || self.is_js_api()
    }

    /// Measured through the subject's public JS API by a corpus scenario's `js_api`.
    pub fn is_js_api(self) -> bool {
        matches!(self, Source::BrowserJsOpMedian | Source::BrowserJsLinearMemory)
    }
}

/// A source id no row of [`Source::info`] has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSource(pub String);

impl std::fmt::Display for UnknownSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown metric source \"{}\" (known: {})", self.0, Source::IDS.join(", "))
    }
}

impl std::error::Error for UnknownSource {}

impl std::str::FromStr for Source {
    type Err = UnknownSource;

    fn from_str(id: &str) -> Result<Source, UnknownSource> {
        Source::ALL.into_iter().find(|s| s.info().id == id).ok_or_else(|| UnknownSource(id.to_owned()))
    }
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.info().id)
    }
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Source, D::Error> {
        struct Id;
        impl serde::de::Visitor<'_> for Id {
            type Value = Source;

            // The words serde's derived enum used, so a budgets file's errors read as before.
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("enum Source")
            }

            fn visit_str<E: serde::de::Error>(self, id: &str) -> Result<Source, E> {
                id.parse().map_err(|_| E::unknown_variant(id, &Source::IDS))
            }
        }
        deserializer.deserialize_str(Id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateKind {
    /// Above `hard` fails at once.
    Hard,
    /// Above `warn` warns; above `hard`, or too many warnings in a row, fails.
    WarnThenBlock,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn: Option<f64>,
    pub hard: f64,
}

impl Budgets {
    /// Parses and validates the budgets file named `file`.
    pub fn parse(file: &str, text: &str) -> Result<Budgets, DocumentError> {
        let budgets: Budgets = parse_document(file, text)?;
        budgets.validate(file)?;
        Ok(budgets)
    }

    pub fn metric(&self, id: &str) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.id == id)
    }

    /// sha256 over the canonical JSON of what gates: per metric its gate kind, whether it is
    /// required, escalation and thresholds. Names, descriptions and the change log do not
    /// count.
    pub fn thresholds_sha256(&self) -> String {
        let gated: Vec<serde_json::Value> = self
            .metrics
            .iter()
            .map(|m| {
                serde_json::json!({
                    "id": m.id, "unit": m.unit, "gate": m.gate, "required": m.required,
                    "escalate_after": m.escalate_after, "thresholds": m.thresholds,
                })
            })
            .collect();
        digest::sha256_hex(digest::canonical_json(&serde_json::Value::Array(gated)).as_bytes())
    }

    /// Threshold change control: the newest change-log entry must record the current
    /// thresholds, with the issue that asked for them and who approved them, so none
    /// changes without a reason, evidence and a reviewer.
    pub fn check_change_log(&self, file: &str) -> Result<(), DocumentError> {
        let current = self.thresholds_sha256();
        let n = self.change_log.len();
        let Some(newest) = self.change_log.last() else {
            return Err(DocumentError::rule(
                file,
                "/change_log",
                format!(
                    "no change-log entry records the current thresholds: add {{date, reason, evidence, issue, approved_by, \"thresholds_sha256\": \"{current}\"}}"
                ),
            ));
        };
        for (i, e) in self.change_log.iter().enumerate() {
            if e.reason.trim().is_empty() || e.evidence.trim().is_empty() {
                return Err(DocumentError::rule(
                    file,
                    format!("/change_log/{i}"),
                    "an entry needs a reason and evidence",
                ));
            }
        }
        if newest.thresholds_sha256 != current {
            return Err(DocumentError::rule(
                file,
                format!("/change_log/{}/thresholds_sha256", n - 1),
                format!(
                    "the thresholds changed since this entry (their sha256 is now {current}): record why in a new change-log entry"
                ),
            ));
        }
        let named = |field: &Option<String>| field.as_deref().is_some_and(|s| !s.trim().is_empty());
        let issue = newest.issue.as_deref().map(str::trim).unwrap_or_default();
        if !names_an_issue(issue) {
            return Err(DocumentError::rule(
                file,
                format!("/change_log/{}/issue", n - 1),
                format!(
                    "the entry that sets the current thresholds needs the issue that asked for them, as #N or a link \
                     (https://...), found {issue:?}"
                ),
            ));
        }
        if !named(&newest.approved_by) {
            return Err(DocumentError::rule(
                file,
                format!("/change_log/{}/approved_by", n - 1),
                "the entry that sets the current thresholds needs its approval (the reviewer's handle and where)",
            ));
        }
        Ok(())
    }

    /// Where the newest change-log entry's before/after figures are: its `evidence` must
    /// begin with a link or a path in the repository (free text may follow). The caller
    /// checks that the path exists and, for a document with a seed set, that it matches
    /// ([`Budgets::check_evidence_seeds`]). Returns the evidence's JSON pointer with it.
    pub fn newest_evidence(&self, file: &str) -> Result<Option<(String, Evidence)>, DocumentError> {
        let Some(newest) = self.change_log.last() else { return Ok(None) };
        let pointer = format!("/change_log/{}/evidence", self.change_log.len() - 1);
        let first = newest.evidence.split_whitespace().next().unwrap_or_default();
        let first = first.trim_end_matches([',', ';', ':', ')']);
        if first.starts_with("https://") || first.starts_with("http://") {
            return Ok(Some((pointer, Evidence::Link(first.to_owned()))));
        }
        let relative = !first.starts_with('/') && !first.split('/').any(|part| part == "..");
        if !relative || !first.contains(['/', '.']) {
            return Err(DocumentError::rule(
                file,
                pointer,
                format!(
                    "must begin with a link (https://...) to the run or pull request, or a path in the repository \
                     (a summary measured with the budgets' seed set, a write-up), found \"{first}\""
                ),
            ));
        }
        Ok(Some((pointer, Evidence::Path(first.to_owned()))))
    }

    /// Whether `seeds` are the budgets' seed set, in any order.
    pub fn is_seed_set(&self, seeds: &[u64]) -> bool {
        let sorted = |seeds: &[u64]| {
            let mut seeds = seeds.to_vec();
            seeds.sort_unstable();
            seeds
        };
        sorted(seeds) == sorted(&self.seed_set)
    }

    /// An evidence document's seed set (`None`: it has none, e.g. a write-up) against the
    /// budgets': figures measured with other seeds are no evidence for these thresholds.
    pub fn check_evidence_seeds(
        &self,
        file: &str,
        pointer: &str,
        path: &str,
        seeds: Option<&[u64]>,
    ) -> Result<(), DocumentError> {
        match seeds {
            Some(seeds) if !self.is_seed_set(seeds) => Err(DocumentError::rule(
                file,
                pointer,
                format!(
                    "{path} was measured with the seeds {seeds:?}, the budgets' seed set is {:?}: \
                     before/after figures need the same seeds",
                    self.seed_set
                ),
            )),
            _ => Ok(()),
        }
    }

    /// The budgets' rules, in the order their errors are reported: the profiles, the
    /// ratchet, the seed set, then each metric.
    fn validate(&self, file: &str) -> Result<(), DocumentError> {
        check_schema_version(file, &self.schema_version, SCHEMA_VERSION)?;
        let profiles = self.check_profiles(file)?;
        if let Some(r) = &self.ratchet {
            r.check(file)?;
        }
        if self.seed_set.is_empty() {
            return Err(DocumentError::rule(file, "/seed_set", "expected at least one seed"));
        }
        if self.metrics.is_empty() {
            return Err(DocumentError::rule(file, "/metrics", "expected at least one metric"));
        }
        let mut ids = BTreeSet::new();
        for (i, m) in self.metrics.iter().enumerate() {
            let at = format!("/metrics/{i}");
            if m.id.trim().is_empty() {
                return Err(DocumentError::rule(file, format!("{at}/id"), "expected a non-empty metric id"));
            }
            if !ids.insert(m.id.as_str()) {
                return Err(DocumentError::rule(file, format!("{at}/id"), format!("duplicate metric id \"{}\"", m.id)));
            }
            self.check_metric(file, &at, m, &profiles)?;
        }
        Ok(())
    }

    /// At least one profile, none twice; returns them.
    fn check_profiles(&self, file: &str) -> Result<BTreeSet<&str>, DocumentError> {
        if self.profiles.is_empty() {
            return Err(DocumentError::rule(file, "/profiles", "expected at least one budget profile"));
        }
        let mut profiles = BTreeSet::new();
        for (i, p) in self.profiles.iter().enumerate() {
            if !profiles.insert(p.as_str()) {
                return Err(DocumentError::rule(file, format!("/profiles/{i}"), format!("duplicate profile \"{p}\"")));
            }
        }
        Ok(profiles)
    }

    /// Metric `m` at `at`: escalation only for warn-then-block, a counted size in its
    /// source's unit, and a valid threshold for every declared profile and no other.
    fn check_metric(&self, file: &str, at: &str, m: &Metric, profiles: &BTreeSet<&str>) -> Result<(), DocumentError> {
        match (m.gate, m.escalate_after) {
            (GateKind::Hard, Some(_)) => {
                return Err(DocumentError::rule(
                    file,
                    format!("{at}/escalate_after"),
                    "only warn_then_block metrics escalate",
                ));
            }
            (GateKind::WarnThenBlock, Some(0)) => {
                return Err(DocumentError::rule(
                    file,
                    format!("{at}/escalate_after"),
                    "expected a count of at least 1",
                ));
            }
            _ => {}
        }
        let source = m.source.info();
        if m.source.counts_bytes() && source.unit != m.unit {
            return Err(DocumentError::rule(
                file,
                format!("{at}/unit"),
                format!("a {} metric is measured in {}, not {}", source.id, source.unit, m.unit),
            ));
        }
        // A metric that is not required may be budgeted on some profiles only (a host app's,
        // drafted where it was measured); a value measured where it has no threshold fails.
        for p in self.profiles.iter().filter(|_| m.required) {
            if !m.thresholds.contains_key(p) {
                return Err(DocumentError::rule(
                    file,
                    format!("{at}/thresholds"),
                    format!("expected a threshold for budget profile \"{p}\""),
                ));
            }
        }
        for (p, t) in &m.thresholds {
            let tp = pointer_join(&format!("{at}/thresholds"), p);
            if !profiles.contains(p.as_str()) {
                return Err(DocumentError::rule(
                    file,
                    tp,
                    format!("unknown budget profile \"{p}\" (declared: {})", self.profiles.join(", ")),
                ));
            }
            t.check(file, &tp, m.gate)?;
        }
        Ok(())
    }
}

impl Ratchet {
    /// A headroom fraction between 0 and 1, and a suggested headroom above 0 that still
    /// tightens a threshold the ratchet flags.
    fn check(&self, file: &str) -> Result<(), DocumentError> {
        if !(self.headroom_above > 0.0 && self.headroom_above < 1.0) {
            return Err(DocumentError::rule(
                file,
                "/ratchet/headroom_above",
                format!("expected a fraction between 0 and 1, found {}", self.headroom_above),
            ));
        }
        let tighter = self.headroom_above / (1.0 - self.headroom_above);
        if !(self.suggest_headroom > 0.0 && self.suggest_headroom < tighter) {
            return Err(DocumentError::rule(
                file,
                "/ratchet/suggest_headroom",
                format!(
                    "expected a fraction above 0 that suggests a tighter threshold (below {tighter:.3}), found {}",
                    self.suggest_headroom
                ),
            ));
        }
        Ok(())
    }
}

impl Thresholds {
    /// The thresholds at `tp` of a metric gated by `gate`: finite and non-negative, a warn
    /// threshold exactly for warn-then-block, and not above the hard one.
    fn check(&self, file: &str, tp: &str, gate: GateKind) -> Result<(), DocumentError> {
        for (key, v) in [("hard", Some(self.hard)), ("warn", self.warn)] {
            if let Some(v) = v
                && (!v.is_finite() || v < 0.0)
            {
                return Err(DocumentError::rule(
                    file,
                    format!("{tp}/{key}"),
                    format!("expected a finite, non-negative number, found {v}"),
                ));
            }
        }
        match (gate, self.warn) {
            (GateKind::Hard, Some(_)) => Err(DocumentError::rule(
                file,
                format!("{tp}/warn"),
                "a hard metric has no warn threshold (use gate \"warn_then_block\")",
            )),
            (GateKind::WarnThenBlock, None) => {
                Err(DocumentError::rule(file, tp, "a warn_then_block metric needs both \"warn\" and \"hard\""))
            }
            (GateKind::WarnThenBlock, Some(w)) if w > self.hard => Err(DocumentError::rule(
                file,
                format!("{tp}/warn"),
                format!("warn threshold {w} is above the hard threshold {}", self.hard),
            )),
            _ => Ok(()),
        }
    }
}

impl Metric {
    /// The status of `value` against this metric's thresholds for `profile`, before any
    /// warning streak is taken into account. A value equal to a threshold is within it.
    pub fn evaluate(&self, profile: &str, value: f64) -> Option<Status> {
        let t = self.thresholds.get(profile)?;
        Some(if !value.is_finite() || value > t.hard {
            Status::Fail
        } else if t.warn.is_some_and(|w| value > w) {
            Status::Warn
        } else {
            Status::Pass
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::{Budgets, Engine, Evidence, Family, Source, Status};
    use crate::unit::Unit;

    const VALID: &str = r#"{
      "schema_version": "wasm-perf-budgets-v1",
      "profiles": ["full-dev", "core-min"],
      "seed_set": [11, 29],
      "metrics": [
        {"id": "M-PERF-01A", "name": "raw", "unit": "bytes", "source": "size.raw", "required": true,
         "gate": "hard", "thresholds": {"full-dev": {"hard": 1000}, "core-min": {"hard": 100}}},
        {"id": "M-PERF-04A", "name": "op p95", "unit": "us", "source": "runtime.scenario_p95", "required": false,
         "gate": "warn_then_block", "escalate_after": 2,
         "thresholds": {"full-dev": {"warn": 8, "hard": 12}, "core-min": {"warn": 4, "hard": 6}}}
      ]
    }"#;

    fn broken(edit: impl Fn(&mut serde_json::Value)) -> String {
        let mut v: serde_json::Value = serde_json::from_str(VALID).unwrap();
        edit(&mut v);
        let text = v.to_string();
        Budgets::parse("budgets.json", &text).unwrap_err().to_string()
    }

    #[test]
    fn a_metric_that_is_not_required_may_leave_a_profile_unbudgeted() {
        let mut v: serde_json::Value = serde_json::from_str(VALID).unwrap();
        v["metrics"][1]["thresholds"].as_object_mut().unwrap().remove("full-dev");
        let b = Budgets::parse("budgets.json", &v.to_string()).unwrap();
        assert!(!b.metrics[1].required && !b.metrics[1].thresholds.contains_key("full-dev"));
        v["metrics"][1]["required"] = serde_json::json!(true);
        let e = Budgets::parse("budgets.json", &v.to_string()).unwrap_err().to_string();
        assert!(e.contains("/metrics/1/thresholds: expected a threshold for budget profile \"full-dev\""), "{e}");
    }

    #[test]
    fn valid_budgets_parse() {
        let b = Budgets::parse("budgets.json", VALID).unwrap();
        assert_eq!(b.metrics.len(), 2);
    }

    #[test]
    fn each_broken_rule_is_named_with_its_pointer() {
        use serde_json::json;
        type Edit = Box<dyn Fn(&mut serde_json::Value)>;
        let cases: Vec<(Edit, &str)> = vec![
            (
                Box::new(|v| v["schema_version"] = json!("v0")),
                "budgets.json: /schema_version: expected \"wasm-perf-budgets-v1\", found \"v0\"",
            ),
            (
                Box::new(|v| v["metrics"][1]["id"] = json!("M-PERF-01A")),
                "budgets.json: /metrics/1/id: duplicate metric id \"M-PERF-01A\"",
            ),
            (
                Box::new(|v| v["metrics"][1]["thresholds"]["core-min"]["warn"] = json!(7)),
                "budgets.json: /metrics/1/thresholds/core-min/warn: warn threshold 7 is above the hard threshold 6",
            ),
            (
                Box::new(|v| v["metrics"][0]["thresholds"]["core-min"]["hard"] = json!(-1)),
                "budgets.json: /metrics/0/thresholds/core-min/hard: expected a finite, non-negative number, found -1",
            ),
            (
                Box::new(|v| {
                    v["metrics"][0]["thresholds"].as_object_mut().unwrap().remove("core-min");
                }),
                "budgets.json: /metrics/0/thresholds: expected a threshold for budget profile \"core-min\"",
            ),
            (
                Box::new(|v| v["metrics"][0]["thresholds"]["core-max"] = json!({"hard": 1})),
                "budgets.json: /metrics/0/thresholds/core-max: unknown budget profile \"core-max\" (declared: full-dev, core-min)",
            ),
            (
                Box::new(|v| v["metrics"][0]["unit"] = json!("KiB")),
                "budgets.json: /metrics/0/unit: unknown variant `KiB`, expected one of `bytes`, `ms`, `us`, `ns`, `MiB`, `percent`, `count`, `fuel`",
            ),
            (
                Box::new(|v| v["metrics"][0]["unit"] = json!("ms")),
                "budgets.json: /metrics/0/unit: a size.raw metric is measured in bytes, not ms",
            ),
            (
                Box::new(|v| v["metrics"][0]["thresholds"]["core-min"]["warn"] = json!(50)),
                "budgets.json: /metrics/0/thresholds/core-min/warn: a hard metric has no warn threshold (use gate \"warn_then_block\")",
            ),
            (
                Box::new(|v| {
                    v["metrics"][1]["thresholds"]["core-min"].as_object_mut().unwrap().remove("warn");
                }),
                "budgets.json: /metrics/1/thresholds/core-min: a warn_then_block metric needs both \"warn\" and \"hard\"",
            ),
            (
                Box::new(|v| v["metrics"][0]["colour"] = json!("red")),
                "budgets.json: /metrics/0/colour: unknown field `colour`, expected one of `id`, `name`, `unit`, `source`, `required`, `gate`, `escalate_after`, `thresholds`",
            ),
            (
                Box::new(|v| v["metrics"][0]["thresholds"]["core-min"]["hard"] = json!("100")),
                "budgets.json: /metrics/0/thresholds/core-min/hard: invalid type: string \"100\", expected f64",
            ),
            (
                Box::new(|v| v["profiles"] = json!(["full-dev", "full-dev"])),
                "budgets.json: /profiles/1: duplicate profile \"full-dev\"",
            ),
            (
                Box::new(|v| v["metrics"][1]["escalate_after"] = json!(0)),
                "budgets.json: /metrics/1/escalate_after: expected a count of at least 1",
            ),
            (Box::new(|v| v["metrics"] = json!([])), "budgets.json: /metrics: expected at least one metric"),
        ];
        for (edit, expected) in cases {
            assert_eq!(broken(edit), expected);
        }
    }

    #[test]
    fn every_source_is_named_once_and_read_back_by_its_id() {
        let ids: BTreeSet<&str> = Source::ALL.iter().map(|s| s.info().id).collect();
        assert_eq!(ids.len(), Source::ALL.len(), "two sources share an id");
        for (i, source) in Source::ALL.into_iter().enumerate() {
            assert_eq!(source as usize, i, "{source:?}: ALL lists the sources in their declaration order");
        }
        for source in Source::ALL {
            let id = source.info().id;
            assert_eq!(id.parse::<Source>(), Ok(source), "{id}");
            assert_eq!(serde_json::to_string(&source).unwrap(), format!("\"{id}\""));
            assert_eq!(serde_json::from_str::<Source>(&format!("\"{id}\"")).unwrap(), source, "{id}");
            assert_eq!(source.as_str(), id);
        }
        let unknown = serde_json::from_str::<Source>("\"size.zstd\"").unwrap_err().to_string();
        assert!(
            unknown.starts_with("unknown variant `size.zstd`, expected one of `size.raw`, `size.gzip`,"),
            "{unknown}"
        );
        assert!(unknown.contains("`runtime.fuel_per_op`"), "{unknown}");
        assert!(serde_json::from_str::<Source>("7").unwrap_err().to_string().contains("expected enum Source"));
    }

    #[test]
    fn each_sources_facts_agree_with_one_another() {
        for source in Source::ALL {
            let info = source.info();
            let prefix = match info.engine {
                Engine::Artifact => "size.",
                Engine::Wasmtime => "runtime.",
                Engine::Browser => "browser.",
            };
            assert!(info.id.starts_with(prefix), "{}: measured by {:?}", info.id, info.engine);
            let (sized, timed) = match info.family {
                Family::ModuleSize | Family::GlueSize | Family::HostSize => (true, false),
                Family::ColdInit | Family::HostBoot => (false, true),
                Family::Operation => (false, info.wall_clock),
            };
            // A size is the artifact's, or a host page's (found by loading it in a browser).
            let sized_by = info.engine == Engine::Artifact || (info.family == Family::HostSize && source.is_browser());
            assert_eq!(sized, sized_by, "{}: a size is the artifact's or a host page's, only", info.id);
            assert_eq!(sized, source.counts_bytes(), "{}", info.id);
            assert_eq!(timed, info.wall_clock, "{}: a cold init is timed", info.id);
            // A clock gives a time or a ratio of times; bytes, counts and fuel are counted.
            let clock_units = [Unit::Nanos, Unit::Micros, Unit::Millis, Unit::Percent];
            assert_eq!(info.wall_clock, clock_units.contains(&info.unit), "{}: in {}", info.id, info.unit);
            assert_eq!(
                source.is_size() as u8 + source.is_scenario() as u8 + source.is_browser() as u8,
                1,
                "{}",
                info.id
            );
            assert!(!source.is_glue() || source.is_size(), "{}: glue is a size", info.id);
        }
    }

    #[test]
    fn a_threshold_change_needs_a_change_log_entry() {
        let mut b = Budgets::parse("budgets.json", VALID).unwrap();
        let err = b.check_change_log("budgets.json").unwrap_err();
        assert_eq!(err.pointer(), "/change_log");
        b.change_log.push(super::ChangeEntry {
            date: "2026-11-23".into(),
            reason: "initial thresholds".into(),
            evidence: "docs/perf.md".into(),
            issue: None,
            approved_by: None,
            thresholds_sha256: b.thresholds_sha256(),
            corpus_sha256: None,
        });
        let err = b.check_change_log("budgets.json").unwrap_err();
        assert_eq!(err.pointer(), "/change_log/0/issue");
        for not_an_issue in ["15", "#", "#15a", "issue 15", "https://example.com/a b", "see #15"] {
            b.change_log[0].issue = Some(not_an_issue.into());
            let err = b.check_change_log("budgets.json").unwrap_err();
            assert_eq!(err.pointer(), "/change_log/0/issue", "{not_an_issue}");
        }
        b.change_log[0].issue = Some("https://github.com/o/r/issues/15".into());
        assert_eq!(b.check_change_log("budgets.json").unwrap_err().pointer(), "/change_log/0/approved_by");
        b.change_log[0].issue = Some("#15".into());
        let err = b.check_change_log("budgets.json").unwrap_err();
        assert_eq!(err.pointer(), "/change_log/0/approved_by");
        b.change_log[0].approved_by = Some(" ".into());
        assert_eq!(b.check_change_log("budgets.json").unwrap_err().pointer(), "/change_log/0/approved_by");
        b.change_log[0].approved_by = Some("@reviewer in #16".into());
        b.check_change_log("budgets.json").unwrap();
        let before = b.thresholds_sha256();
        b.metrics[0].name = "renamed".into();
        assert_eq!(b.thresholds_sha256(), before, "a name is not a threshold");
        b.metrics[0].thresholds.get_mut("core-min").unwrap().hard = 101.0;
        let err = b.check_change_log("budgets.json").unwrap_err();
        assert_eq!(err.pointer(), "/change_log/0/thresholds_sha256");
        assert!(err.to_string().contains("the thresholds changed since this entry"), "{err}");
        b.metrics[0].thresholds.get_mut("core-min").unwrap().hard = 100.0;
        let escalate_after = b.metrics[1].escalate_after;
        b.metrics[1].escalate_after = Some(3);
        assert!(b.check_change_log("budgets.json").is_err(), "escalation is part of the thresholds");
        b.metrics[1].escalate_after = escalate_after;
        b.check_change_log("budgets.json").unwrap();
        b.metrics[1].required = !b.metrics[1].required;
        assert!(b.check_change_log("budgets.json").is_err(), "a required flag is part of the thresholds");
    }

    #[test]
    fn the_newest_entrys_evidence_begins_with_a_link_or_a_path_whose_seeds_match() {
        let mut b = Budgets::parse("budgets.json", VALID).unwrap();
        assert_eq!(b.newest_evidence("budgets.json").unwrap(), None);
        let entry = |evidence: &str| super::ChangeEntry {
            date: "2026-12-01".into(),
            reason: "r".into(),
            evidence: evidence.into(),
            issue: Some("#15".into()),
            approved_by: Some("@reviewer".into()),
            thresholds_sha256: String::new(),
            corpus_sha256: None,
        };
        let cases: [(&str, Option<Evidence>); 7] = [
            (
                "https://github.com/o/r/actions/runs/1, before and after",
                Some(Evidence::Link("https://github.com/o/r/actions/runs/1".into())),
            ),
            ("docs/perf.md, section Runtime metrics", Some(Evidence::Path("docs/perf.md".into()))),
            ("artifacts/before.json: 22,273 B", Some(Evidence::Path("artifacts/before.json".into()))),
            ("this commit's diff", None),
            ("/etc/passwd", None),
            ("../elsewhere/summary.json", None),
            ("", None),
        ];
        for (evidence, expected) in cases {
            b.change_log = vec![entry("older, free text"), entry(evidence)];
            match (b.newest_evidence("budgets.json"), expected) {
                (Ok(Some((pointer, found))), Some(expected)) => {
                    assert_eq!((pointer.as_str(), found), ("/change_log/1/evidence", expected), "{evidence}");
                }
                (Err(e), None) => assert_eq!(e.pointer(), "/change_log/1/evidence", "{evidence}"),
                (found, expected) => panic!("{evidence}: {found:?}, expected {expected:?}"),
            }
        }
        let seeds = b.seed_set.clone();
        b.check_evidence_seeds("budgets.json", "/p", "s.json", Some(&seeds)).unwrap();
        b.check_evidence_seeds("budgets.json", "/p", "notes.md", None).unwrap();
        let reversed: Vec<u64> = seeds.iter().rev().copied().collect();
        b.check_evidence_seeds("budgets.json", "/p", "s.json", Some(&reversed)).unwrap();
        let e = b.check_evidence_seeds("budgets.json", "/p", "s.json", Some(&[7])).unwrap_err();
        assert!(e.to_string().contains("s.json was measured with the seeds [7]"), "{e}");
    }

    #[test]
    fn evaluation_at_and_around_the_thresholds() {
        let b = Budgets::parse("budgets.json", VALID).unwrap();
        let (hard, op) = (&b.metrics[0], &b.metrics[1]);
        let cases = [
            (hard, "core-min", 99.0, Some(Status::Pass)),
            (hard, "core-min", 100.0, Some(Status::Pass)),
            (hard, "core-min", 100.5, Some(Status::Fail)),
            (hard, "core-min", f64::NAN, Some(Status::Fail)),
            (hard, "no-such-profile", 1.0, None),
            (op, "core-min", 4.0, Some(Status::Pass)),
            (op, "core-min", 4.1, Some(Status::Warn)),
            (op, "core-min", 6.0, Some(Status::Warn)),
            (op, "core-min", 6.1, Some(Status::Fail)),
        ];
        for (metric, profile, value, expected) in cases {
            assert_eq!(metric.evaluate(profile, value), expected, "{} {profile} {value}", metric.id);
        }
    }
}
