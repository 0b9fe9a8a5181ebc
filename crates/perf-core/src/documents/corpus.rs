//! The benchmark corpus (`.github/wasm_benchmark_corpus.json`): the runtime scenarios, the
//! user journey and workload each stands for, the variants it runs on, the exported
//! scenario it drives (the ABI of `sample-kernel`'s `exports`), the metrics it feeds and its
//! seeds. Coverage requirements live in the file itself.
//!
//! # Format
//! ```json
//! { "schema_version": "wasm-benchmark-corpus-v1",
//!   "coverage": { "required_workloads": ["cold-start", ...],
//!                 "required_metrics": ["M-WASMTIME-02A", ...], "required_seed_set": [11, 29, 42, 73, 101] },
//!   "protocol": { "iterations_per_seed": 2000, "warmup_iterations": 200,
//!                 "memory_warmup_ops": 200, "memory_sample_ops": 500, "cold_start_samples_per_seed": 20,
//!                 "limits": { "fuel_per_call": 1000000000, "millis_per_call": 5000, "memory_mib": 256 } },
//!   "scenarios": [
//!     { "id": "WB-CHAN-01", "journey": "...", "workload": "steady-throughput",
//!       "variants": ["dev", "canary", "release"], "export": "channel_reserve_send",
//!       "metrics": ["M-PERF-04A"], "seed_set": [11, 29, 42, 73, 101] } ] }
//! ```
//! `export` names a scenario prefix: the module must export `<export>_setup`, `<export>_op`
//! and `<export>_teardown`. A cold-start scenario has no export (it measures compile and
//! instantiate); an overhead metric names its `reference_export`.
//!
//! Browser environments measure cold init in real browsers, one browser metric each:
//! ```json
//!   "environments": [
//!     { "id": "desktop-chromium", "browser": "chromium", "cpu_throttling_rate": 1,
//!       "label": "desktop Chromium, headless", "metric": "M-PERF-02A" } ],
//!   "coverage": { ..., "required_environments": ["desktop-chromium"] },
//!   "browser_protocol": { "samples_per_seed": 4, "warmup_samples": 1, "millis_per_call": 30000,
//!                         "first_call": "const index = new api.WordIndex(); return index.len();" },
//!   "hosts": { "apps": ["vanilla-js", "typescript-sdk", "react", "nextjs"], ... }
//! ```
//! A required environment that cannot run fails its metric; one that is not required is
//! skipped with the reason. Cold init loads the production build, as it ships, and
//! `first_call` is its first call after instantiation (where V8's lazy compilation lands),
//! through the public JS API: the body of a function of `api`, the glue's exports (for a
//! module without glue, `api.exports` is what it exports), whose value is the answer. The
//! host apps make the same call. A corpus with environments declares its hosts (the
//! contract's framework coverage).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::budget::{Budgets, Family, Source};
use crate::digest;
use crate::document::{DocumentError, check_schema_version, parse_document};
use crate::host::{HostApp, HostProtocol};
use crate::policy::VariantKind;
use crate::self_test::{self, SelfTestCase, SelfTestResult};

pub const SCHEMA_VERSION: &str = "wasm-benchmark-corpus-v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Corpus {
    pub schema_version: String,
    #[serde(default)]
    pub description: String,
    pub coverage: Coverage,
    pub protocol: Protocol,
    pub scenarios: Vec<Scenario>,
    /// The browsers cold init is measured in; none when absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<Environment>,
    /// How the environments sample (required with them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_protocol: Option<BrowserProtocol>,
    /// The host apps the shipped module is measured in, and how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosts: Option<HostProtocol>,
}

/// A browser environment: which browser, how throttled, and the metric its cold init feeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    pub id: String,
    pub browser: BrowserKind,
    /// The main thread's CPU slowdown (Chromium only; 1 = none).
    pub cpu_throttling_rate: f64,
    /// What it stands for, in the reports (say "emulated" where it is).
    pub label: String,
    pub metric: String,
    /// Per-operation metrics (`browser.op_median`) this environment measures: each is listed
    /// by exactly one scenario, whose export it times in batches here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scenario_metrics: Vec<String>,
    /// Per host app the corpus's `hosts` section loads here, the metric its time to ready
    /// feeds (`browser.host_ready`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub host_metrics: BTreeMap<HostApp, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrowserKind {
    /// Driven through the DevTools Protocol.
    Chromium,
    /// Firefox ESR, driven through WebDriver BiDi (which cannot throttle the CPU).
    Firefox,
}

impl BrowserKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BrowserKind::Chromium => "chromium",
            BrowserKind::Firefox => "firefox",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    pub required_workloads: Vec<Workload>,
    pub required_metrics: Vec<String>,
    pub required_seed_set: Vec<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_environments: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    pub iterations_per_seed: u32,
    pub warmup_iterations: u32,
    pub memory_warmup_ops: u32,
    pub memory_sample_ops: u32,
    /// Compile + instantiate samples per seed for a cold-start scenario, each in a fresh
    /// engine (each sample costs a whole compile, so not 2000).
    pub cold_start_samples_per_seed: u32,
    pub limits: Limits,
}

/// How the browser environments sample cold init. Variants are interleaved round-robin
/// within each seed, so drift lands on all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrowserProtocol {
    /// Page loads per seed and variant, each in a fresh browser context.
    pub samples_per_seed: u32,
    /// Page loads per variant before the first seed, discarded.
    pub warmup_samples: u32,
    /// The first call after instantiation, through the public JS API: the body of a
    /// function of `api` (the glue's exports; `api.exports` for a module without glue),
    /// whose value is the answer. Cold init and every host app make it.
    pub first_call: String,
    /// The longest any one call to the browser may take.
    pub millis_per_call: u64,
    /// Per-operation timing: timed batches per seed and variant (one page load each).
    #[serde(default = "BrowserProtocol::default_batches_per_seed")]
    pub batches_per_seed: u32,
    /// Batches discarded before the timed ones.
    #[serde(default = "BrowserProtocol::default_warmup_batches")]
    pub warmup_batches: u32,
    /// The shortest a batch may take: the page sizes its batches (a power of two of
    /// operations) from the rate of a calibration run to last at least this long, so the
    /// clock's 5 µs step is at most 0.25% of a 2 ms batch.
    #[serde(default = "BrowserProtocol::default_batch_millis")]
    pub batch_millis: u32,
}

impl BrowserProtocol {
    pub fn default_batches_per_seed() -> u32 {
        30
    }

    pub fn default_warmup_batches() -> u32 {
        5
    }

    pub fn default_batch_millis() -> u32 {
        2
    }
}

/// What stops a runaway scenario: a call (setup, op or teardown) that exceeds one of these
/// is stopped and its scenario's metrics fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// wasmtime fuel (executed operators) per call.
    pub fuel_per_call: u64,
    /// Wall-clock time per call, enforced by epoch interruption.
    pub millis_per_call: u64,
    /// Linear memory the instance may grow to.
    pub memory_mib: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    ColdStart,
    SteadyThroughput,
    CancellationStorm,
    StreamingIo,
    MemoryPressure,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub id: String,
    pub journey: String,
    pub workload: Workload,
    pub variants: Vec<VariantKind>,
    /// The scenario export it drives (`<export>_setup/_op/_teardown`); none for a cold start
    /// or an operation through the JS API.
    #[serde(default)]
    pub export: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_export: Option<String>,
    /// An operation through the subject's public JS API, on what ships, timed in the
    /// browsers (its metrics are `browser.js_op_median`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub js_api: Option<JsApiCall>,
    pub metrics: Vec<String>,
    pub seed_set: Vec<u64>,
}

impl Scenario {
    /// Whether wasmtime runs it: every scenario but an operation through the JS API, which
    /// runs in the browsers only (wasmtime has no JS).
    pub fn runs_in_wasmtime(&self) -> bool {
        self.js_api.is_none()
    }
}

/// An operation through the public JS API: `setup`, the body of a function of `api` and
/// `seed` whose value is the state (e.g. an index with documents), then `op`, the body of a
/// function of `api` and `state`, timed per call. `api` is the glue's exports (for a
/// module without glue, `api.exports`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsApiCall {
    pub setup: String,
    pub op: String,
}

/// What `check` needs beyond the corpus: the budgets, and for each variant the names the
/// built module exports (`None` when that variant was not built).
pub struct CorpusContext<'a> {
    pub budgets: &'a Budgets,
    /// `None`: exports are not checked here (before a build; the runner checks them when
    /// it binds a scenario).
    pub exports: Option<&'a dyn Fn(VariantKind) -> Option<BTreeSet<String>>>,
    /// Check one scenario only: the whole-corpus coverage rules do not apply.
    pub only: Option<&'a str>,
}

pub const ABI_SUFFIXES: [&str; 3] = ["_setup", "_op", "_teardown"];

impl Corpus {
    /// The sha256 of what defines the measurements: every field but the description and the
    /// environments' labels, which only name things in the reports. A subject's change log
    /// records it beside the thresholds (`corpus_sha256`), so that a throttling rate, a
    /// sample count, a first call or the required coverage changes only with an entry, as a
    /// threshold does.
    pub fn measurement_sha256(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.remove("description");
        }
        for environment in value["environments"].as_array_mut().into_iter().flatten() {
            if let Some(map) = environment.as_object_mut() {
                map.remove("label");
            }
        }
        digest::sha256_hex(digest::canonical_json(&value).as_bytes())
    }

    pub fn parse(file: &str, text: &str) -> Result<Corpus, DocumentError> {
        parse_document(file, text)
    }

    /// The corpus's rules, in the order its errors are reported: the declared seed set,
    /// the protocol, the required metrics, the browser environments, each scenario, then
    /// (for the whole corpus) its coverage.
    pub fn check(&self, file: &str, cx: &CorpusContext) -> Result<(), DocumentError> {
        check_schema_version(file, &self.schema_version, SCHEMA_VERSION)?;
        let required_seeds = seed_set(&self.coverage.required_seed_set);
        if required_seeds.len() != self.coverage.required_seed_set.len() || required_seeds.is_empty() {
            return Err(DocumentError::rule(
                file,
                "/coverage/required_seed_set",
                "expected distinct seeds, at least one",
            ));
        }
        self.check_protocol(file)?;
        self.check_required_metrics_are_budgeted(file, cx)?;
        self.check_environments(file, cx)?;
        self.check_scenarios(file, cx, &required_seeds)?;
        if cx.only.is_some() {
            return Ok(());
        }
        self.check_coverage(file, cx)
    }

    /// Enough timed iterations per seed, and no sample count or limit of zero.
    fn check_protocol(&self, file: &str) -> Result<(), DocumentError> {
        let p = &self.protocol;
        if p.iterations_per_seed < 2000 {
            return Err(DocumentError::rule(
                file,
                "/protocol/iterations_per_seed",
                format!("the protocol needs at least 2000 timed iterations per seed, found {}", p.iterations_per_seed),
            ));
        }
        for (key, n) in [
            ("cold_start_samples_per_seed", u64::from(p.cold_start_samples_per_seed)),
            ("memory_sample_ops", u64::from(p.memory_sample_ops)),
            ("limits/fuel_per_call", p.limits.fuel_per_call),
            ("limits/millis_per_call", p.limits.millis_per_call),
            ("limits/memory_mib", p.limits.memory_mib),
        ] {
            if n == 0 {
                return Err(DocumentError::rule(file, format!("/protocol/{key}"), "expected a positive number"));
            }
        }
        Ok(())
    }

    fn check_required_metrics_are_budgeted(&self, file: &str, cx: &CorpusContext) -> Result<(), DocumentError> {
        for (i, id) in self.coverage.required_metrics.iter().enumerate() {
            if cx.budgets.metric(id).is_none() {
                return Err(DocumentError::rule(
                    file,
                    format!("/coverage/required_metrics/{i}"),
                    format!("metric {id} is not in the budgets file"),
                ));
            }
        }
        Ok(())
    }

    /// Every scenario's id is unique; then each scenario checked (only `cx.only`, when set).
    fn check_scenarios(
        &self,
        file: &str,
        cx: &CorpusContext,
        required_seeds: &BTreeSet<u64>,
    ) -> Result<(), DocumentError> {
        if let Some(only) = cx.only
            && !self.scenarios.iter().any(|s| s.id == only)
        {
            let ids: Vec<&str> = self.scenarios.iter().map(|s| s.id.as_str()).collect();
            return Err(DocumentError::rule(
                file,
                "/scenarios",
                format!("no scenario {only} (scenarios: {})", ids.join(", ")),
            ));
        }
        let mut ids = BTreeSet::new();
        for (i, s) in self.scenarios.iter().enumerate() {
            let at = format!("/scenarios/{i}");
            if s.id.trim().is_empty() || !ids.insert(s.id.as_str()) {
                return Err(DocumentError::rule(
                    file,
                    format!("{at}/id"),
                    format!("expected a unique, non-empty id, found \"{}\"", s.id),
                ));
            }
            if cx.only.is_some_and(|only| only != s.id) {
                continue;
            }
            self.check_scenario(file, cx, &at, s, required_seeds)?;
        }
        Ok(())
    }

    /// One scenario at `at`: its variants, seeds, metrics and exports.
    fn check_scenario(
        &self,
        file: &str,
        cx: &CorpusContext,
        at: &str,
        s: &Scenario,
        required_seeds: &BTreeSet<u64>,
    ) -> Result<(), DocumentError> {
        if s.variants.is_empty() || s.metrics.is_empty() {
            return Err(DocumentError::rule(
                file,
                at,
                "a scenario runs on at least one variant and feeds at least one metric",
            ));
        }
        if seed_set(&s.seed_set) != *required_seeds || s.seed_set.len() != required_seeds.len() {
            return Err(DocumentError::rule(
                file,
                format!("{at}/seed_set"),
                format!("expected exactly the required seed set {:?}", self.coverage.required_seed_set),
            ));
        }
        check_scenario_metrics(file, cx, at, s)?;
        check_declared_exports(file, cx, at, s)?;
        check_exports_are_built(file, cx, at, s)
    }

    /// What only the whole corpus can satisfy: every required workload covered, each
    /// (variant, metric) fed by one scenario, and every required or budgeted runtime metric fed.
    fn check_coverage(&self, file: &str, cx: &CorpusContext) -> Result<(), DocumentError> {
        for w in &self.coverage.required_workloads {
            if !self.scenarios.iter().any(|s| s.workload == *w) {
                return Err(DocumentError::rule(
                    file,
                    "/scenarios",
                    format!("no scenario covers the required workload {}", workload_name(*w)),
                ));
            }
        }
        self.check_one_feeder_per_variant_and_metric(file)?;
        let fed: BTreeSet<&str> = self.scenarios.iter().flat_map(|s| s.metrics.iter().map(String::as_str)).collect();
        for id in &self.coverage.required_metrics {
            if !fed.contains(id.as_str()) {
                return Err(DocumentError::rule(
                    file,
                    "/scenarios",
                    format!("no scenario feeds the required metric {id}"),
                ));
            }
        }
        for m in &cx.budgets.metrics {
            if m.source.is_scenario() && !fed.contains(m.id.as_str()) {
                return Err(DocumentError::rule(
                    file,
                    "/scenarios",
                    format!("no scenario feeds the budgeted runtime metric {}", m.id),
                ));
            }
        }
        Ok(())
    }

    /// One scenario per (variant, metric): two would give a metric two values.
    fn check_one_feeder_per_variant_and_metric(&self, file: &str) -> Result<(), DocumentError> {
        let mut feeders: BTreeMap<(VariantKind, &str), &str> = BTreeMap::new();
        for (i, s) in self.scenarios.iter().enumerate() {
            for v in &s.variants {
                for id in &s.metrics {
                    if let Some(other) = feeders.insert((*v, id.as_str()), s.id.as_str()) {
                        return Err(DocumentError::rule(
                            file,
                            format!("/scenarios/{i}/metrics"),
                            format!("{id} on the {} variant is already fed by scenario {other}", v.as_str()),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Each metric a scenario lists is budgeted and one a scenario of its workload can feed.
fn check_scenario_metrics(file: &str, cx: &CorpusContext, at: &str, s: &Scenario) -> Result<(), DocumentError> {
    for (j, id) in s.metrics.iter().enumerate() {
        let rule = |message: String| Err(DocumentError::rule(file, format!("{at}/metrics/{j}"), message));
        match cx.budgets.metric(id) {
            None => return rule(format!("metric {id} is not in the budgets file")),
            Some(m) if m.source.is_size() => {
                return rule(format!("{id} is a size metric: it is measured from the artifact, not by a scenario"));
            }
            Some(m) if m.source.info().family == Family::HostBoot => {
                return rule(format!("{id} is a host app's time to ready: an environment's host_metrics feed it"));
            }
            Some(m) if m.source.is_browser() && m.source.info().family == Family::ColdInit => {
                return rule(format!("{id} is measured in a browser, which no scenario engine here is"));
            }
            Some(m) if s.js_api.is_some() && m.source != js_api_source(s.workload) => {
                return rule(format!(
                    "{id} ({}) cannot be fed by this scenario: a JS-API operation (`js_api`) of a {} workload feeds \
                     {} metrics, and only those",
                    m.source.as_str(),
                    workload_name(s.workload),
                    js_api_source(s.workload).as_str()
                ));
            }
            Some(m) if s.js_api.is_none() && m.source.is_js_api() => {
                return rule(format!(
                    "{id} ({}) cannot be fed by this scenario: only a JS-API operation (`js_api`) feeds it",
                    m.source.as_str()
                ));
            }
            Some(m) if (m.source.info().family == Family::ColdInit) != (s.workload == Workload::ColdStart) => {
                return rule(format!(
                    "{id} ({}) cannot be fed by a {} scenario: cold init comes from cold-start scenarios only",
                    m.source.as_str(),
                    workload_name(s.workload)
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// What a JS-API scenario of `workload` measures: linear memory under memory pressure, the
/// time per operation otherwise.
fn js_api_source(workload: Workload) -> Source {
    match workload {
        Workload::MemoryPressure => Source::BrowserJsLinearMemory,
        _ => Source::BrowserJsOpMedian,
    }
}

/// `export` or `js_api` as the workload needs it (a cold start drives neither, any other
/// one exactly one of them), and `reference_export` exactly when an overhead metric needs one.
fn check_declared_exports(file: &str, cx: &CorpusContext, at: &str, s: &Scenario) -> Result<(), DocumentError> {
    let rule = |key: &str, message: &str| Err(DocumentError::rule(file, format!("{at}/{key}"), message));
    match (s.workload, &s.export, &s.js_api) {
        (Workload::ColdStart, Some(_), _) => {
            return rule("export", "a cold-start scenario measures compile and instantiate; it drives no export");
        }
        (Workload::ColdStart, None, Some(_)) => {
            return rule("js_api", "a cold-start scenario measures compile and instantiate; it calls no operation");
        }
        (Workload::ColdStart, None, None) => {}
        (_, None, None) => return rule("export", "expected the scenario export this workload drives (or `js_api`)"),
        (_, Some(_), Some(_)) => {
            return rule("js_api", "expected the scenario export or an operation through the JS API, not both");
        }
        (_, None, Some(call)) => {
            for (key, body, names) in
                [("setup", &call.setup, "`api` and `seed`"), ("op", &call.op, "`api` and `state`")]
            {
                if body.trim().is_empty() {
                    return rule(&format!("js_api/{key}"), &format!("expected the body of a function of {names}"));
                }
            }
        }
        _ => {}
    }
    let needs_reference =
        s.metrics.iter().any(|id| cx.budgets.metric(id).is_some_and(|m| m.source == Source::RuntimeReplayOverhead));
    if needs_reference != s.reference_export.is_some() {
        let message = if needs_reference {
            "an overhead metric needs the `reference_export` it is compared with"
        } else {
            "`reference_export` is only for overhead metrics"
        };
        return Err(DocumentError::rule(file, format!("{at}/reference_export"), message));
    }
    Ok(())
}

/// When `cx` has the built modules' exports: each variant the scenario runs on was built
/// and exports the scenario ABI of its `export` and `reference_export`.
fn check_exports_are_built(file: &str, cx: &CorpusContext, at: &str, s: &Scenario) -> Result<(), DocumentError> {
    let Some(lookup) = cx.exports else { return Ok(()) };
    for (key, name) in [("export", &s.export), ("reference_export", &s.reference_export)] {
        let Some(name) = name else { continue };
        for (k, v) in s.variants.iter().enumerate() {
            let Some(exports) = lookup(*v) else {
                return Err(DocumentError::rule(
                    file,
                    format!("{at}/variants/{k}"),
                    format!("the {} variant has not been built (run `cargo xtask perf`)", v.as_str()),
                ));
            };
            if let Some(message) = missing_exports(name, *v, &exports) {
                return Err(DocumentError::rule(file, format!("{at}/{key}"), message));
            }
        }
    }
    Ok(())
}

impl Corpus {
    /// The browser environments, the protocol they sample with, and their coverage.
    fn check_environments(&self, file: &str, cx: &CorpusContext) -> Result<(), DocumentError> {
        let mut ids = BTreeSet::new();
        // Each metric an environment feeds, with the environment feeding it.
        let mut fed = BTreeMap::new();
        for (i, e) in self.environments.iter().enumerate() {
            let at = format!("/environments/{i}");
            if e.id.trim().is_empty() || !ids.insert(e.id.as_str()) {
                return Err(DocumentError::rule(
                    file,
                    format!("{at}/id"),
                    format!("expected a unique, non-empty id, found \"{}\"", e.id),
                ));
            }
            check_throttling(file, &at, e)?;
            check_cold_init_metric(file, cx, &at, e, &mut fed)?;
            self.check_environment_scenario_metrics(file, cx, &at, e, &mut fed)?;
            self.check_environment_host_metrics(file, cx, &at, e, &mut fed)?;
        }
        for (i, id) in self.coverage.required_environments.iter().enumerate() {
            if !ids.contains(id.as_str()) {
                return Err(DocumentError::rule(
                    file,
                    format!("/coverage/required_environments/{i}"),
                    format!("no environment {id} in /environments"),
                ));
            }
        }
        self.check_browser_protocol(file)?;
        if let Some(hosts) = &self.hosts {
            check_host_size_metrics(file, cx, hosts, &mut fed)?;
        }
        for m in &cx.budgets.metrics {
            if m.source.is_browser() && !fed.contains_key(m.id.as_str()) {
                let (at, by) = match m.source.info().family {
                    Family::HostSize => ("/hosts/size_metrics", "no host's size_metrics list"),
                    _ => ("/environments", "no environment feeds"),
                };
                return Err(DocumentError::rule(file, at, format!("{by} the budgeted browser metric {}", m.id)));
            }
        }
        Ok(())
    }

    /// Each host metric of environment `e` (at `at`): budgeted as a host's time to ready, fed
    /// by no other environment, for a host the `hosts` section loads here; and a metric for
    /// every host it loads, so a declared host that does not run fails its metric.
    fn check_environment_host_metrics<'a>(
        &self,
        file: &str,
        cx: &CorpusContext,
        at: &str,
        e: &'a Environment,
        fed: &mut BTreeMap<&'a str, &'a str>,
    ) -> Result<(), DocumentError> {
        let loaded = self.hosts.as_ref().filter(|h| h.environments.contains(&e.id));
        for (app, id) in &e.host_metrics {
            let rule = |message: String| {
                Err(DocumentError::rule(file, format!("{at}/host_metrics/{}", app.as_str()), message))
            };
            if let Some(wrong) = wrong_source(cx, id, Source::BrowserHostReady, "a host's time to ready") {
                return rule(wrong);
            }
            if !loaded.is_some_and(|h| h.apps.contains(app)) {
                return rule(format!("the hosts section does not load {} in {}", app.as_str(), e.id));
            }
            if let Some(other) = fed.insert(id.as_str(), e.id.as_str()) {
                return rule(format!("{id} is already fed by environment {other}"));
            }
        }
        if let Some(h) = loaded {
            let missing: Vec<&str> =
                h.apps.iter().filter(|a| !e.host_metrics.contains_key(a)).map(|a| a.as_str()).collect();
            if !missing.is_empty() {
                return Err(DocumentError::rule(
                    file,
                    format!("{at}/host_metrics"),
                    format!("the hosts section loads {} here, which feeds no metric: list one", missing.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// Each per-operation metric of environment `e` (at `at`): budgeted as one of its source
    /// (a scenario export's, or a JS-API operation's), listed by exactly one scenario that
    /// drives an operation, and fed by no other environment.
    fn check_environment_scenario_metrics<'a>(
        &self,
        file: &str,
        cx: &CorpusContext,
        at: &str,
        e: &'a Environment,
        fed: &mut BTreeMap<&'a str, &'a str>,
    ) -> Result<(), DocumentError> {
        for (j, id) in e.scenario_metrics.iter().enumerate() {
            let at = format!("{at}/scenario_metrics/{j}");
            let rule = |message: String| Err(DocumentError::rule(file, at.clone(), message));
            let js_api = cx.budgets.metric(id).filter(|m| m.source.is_js_api());
            let source = js_api.map_or(Source::BrowserOpMedian, |m| m.source);
            let what =
                "a per-operation browser metric (browser.op_median, browser.js_op_median or browser.js_linear_memory)";
            if let Some(wrong) = wrong_source(cx, id, source, what) {
                return rule(wrong);
            }
            let listing: Vec<&Scenario> = self.scenarios.iter().filter(|s| s.metrics.contains(id)).collect();
            match listing.as_slice() {
                [s] if s.export.is_some() || s.js_api.is_some() => {}
                [s] => return rule(format!("{id} is listed by scenario {}, which drives no operation", s.id)),
                [] => return rule(format!("no scenario lists {id}: the environment would not know what to time")),
                _ => return rule(format!("{id} is listed by {} scenarios: expected exactly one", listing.len())),
            }
            if let Some(other) = fed.insert(id.as_str(), e.id.as_str()) {
                return rule(format!("{id} is already fed by environment {other}"));
            }
        }
        Ok(())
    }

    /// The browser protocol, required with environments (no count of zero, a first call
    /// through the JS API), and the hosts, required with a Chromium environment.
    fn check_browser_protocol(&self, file: &str) -> Result<(), DocumentError> {
        let Some(b) = &self.browser_protocol else {
            if self.environments.is_empty() {
                // A hosts section still names environments, which there are none of.
                return self.hosts.as_ref().map_or(Ok(()), |h| check_hosts(file, h, &self.environments));
            }
            return Err(DocumentError::rule(
                file,
                "/browser_protocol",
                "expected the browser protocol the environments sample with",
            ));
        };
        for (key, n) in [
            ("samples_per_seed", u64::from(b.samples_per_seed)),
            ("millis_per_call", b.millis_per_call),
            ("batches_per_seed", u64::from(b.batches_per_seed)),
            ("batch_millis", u64::from(b.batch_millis)),
        ] {
            if n == 0 {
                return Err(DocumentError::rule(
                    file,
                    format!("/browser_protocol/{key}"),
                    "expected a positive number",
                ));
            }
        }
        if !mentions_api(&b.first_call) {
            return Err(DocumentError::rule(
                file,
                "/browser_protocol/first_call",
                format!(
                    "expected the body of a function of `api` that calls the subject's public JS API \
                     (e.g. `return api.exports.run(1);`), found {:?}",
                    b.first_call
                ),
            ));
        }
        // The hosts load in Chromium only: a corpus measured in Firefox alone has none.
        let chromium = self.environments.iter().any(|e| e.browser == BrowserKind::Chromium);
        let Some(hosts) = &self.hosts else {
            if !chromium {
                return Ok(());
            }
            return Err(DocumentError::rule(
                file,
                "/hosts",
                format!(
                    "expected the host apps a subject that runs in browsers is measured in ({}): \
                     missing framework coverage fails the gate",
                    HostApp::all_names()
                ),
            ));
        };
        check_hosts(file, hosts, &self.environments)
    }
}

/// The `hosts` section's rules: all four hosts once each (the contract's framework coverage;
/// a missing one is named), cells that exist, samples to take.
fn check_hosts(file: &str, hosts: &HostProtocol, environments: &[Environment]) -> Result<(), DocumentError> {
    let rule = |at: &str, message: String| Err(DocumentError::rule(file, format!("/hosts/{at}"), message));
    let declared: BTreeSet<HostApp> = hosts.apps.iter().copied().collect();
    if declared.len() != hosts.apps.len() {
        return rule("apps", "expected each host once".to_owned());
    }
    let missing: Vec<&str> = HostApp::ALL.iter().filter(|a| !declared.contains(a)).map(|a| a.as_str()).collect();
    if !missing.is_empty() {
        return rule(
            "apps",
            format!(
                "missing host {}: the contract's framework coverage is {}, and missing coverage fails the gate",
                missing.join(", "),
                HostApp::all_names()
            ),
        );
    }
    let variants: BTreeSet<VariantKind> = hosts.variants.iter().copied().collect();
    if variants.is_empty() || variants.len() != hosts.variants.len() {
        return rule("variants", "expected distinct variants, at least one".to_owned());
    }
    if hosts.environments.is_empty() {
        return rule("environments", "expected at least one environment".to_owned());
    }
    for (i, id) in hosts.environments.iter().enumerate() {
        match environments.iter().find(|e| e.id == *id) {
            None => return rule(&format!("environments/{i}"), format!("no environment {id} in /environments")),
            Some(e) if e.browser != BrowserKind::Chromium => {
                return rule(
                    &format!("environments/{i}"),
                    format!("{id} runs {}: the hosts run in Chromium environments only", e.browser.as_str()),
                );
            }
            Some(_) => {}
        }
    }
    if hosts.samples == 0 {
        return rule("samples", "expected a positive number".to_owned());
    }
    Ok(())
}

/// The hosts' size metrics: for a declared host, budgeted as a host page's bytes, one per
/// source per host, each fed once.
fn check_host_size_metrics<'a>(
    file: &str,
    cx: &CorpusContext,
    hosts: &'a HostProtocol,
    fed: &mut BTreeMap<&'a str, &'a str>,
) -> Result<(), DocumentError> {
    for (app, ids) in &hosts.size_metrics {
        let name = app.as_str();
        if !hosts.apps.contains(app) {
            let message = format!("the hosts section does not load {name}");
            return Err(DocumentError::rule(file, format!("/hosts/size_metrics/{name}"), message));
        }
        let mut sources = BTreeSet::new();
        for (j, id) in ids.iter().enumerate() {
            let rule =
                |message: String| Err(DocumentError::rule(file, format!("/hosts/size_metrics/{name}/{j}"), message));
            match cx.budgets.metric(id) {
                None => return rule(format!("metric {id} is not in the budgets file")),
                Some(m) if m.source.info().family != Family::HostSize => {
                    return rule(format!(
                        "{id} ({}) is not a host page's bytes: expected one of browser.host_js_raw, _gzip, _brotli, \
                         browser.host_total_raw, _gzip, _brotli",
                        m.source.as_str()
                    ));
                }
                Some(m) if !sources.insert(m.source) => {
                    return rule(format!("{name} already feeds a {} metric", m.source.as_str()));
                }
                Some(_) => {}
            }
            if let Some(other) = fed.insert(id.as_str(), name) {
                return rule(format!("{id} is already fed by {other}"));
            }
        }
    }
    Ok(())
}

/// What is wrong with metric `id` for a place that takes `source` (`what` says it in
/// words); `None` when it is budgeted with that source.
fn wrong_source(cx: &CorpusContext, id: &str, source: Source, what: &str) -> Option<String> {
    match cx.budgets.metric(id) {
        None => Some(format!("metric {id} is not in the budgets file")),
        Some(m) if m.source != source => {
            Some(format!("{id} ({}) is not {what}: expected {}", m.source.as_str(), source.as_str()))
        }
        Some(_) => None,
    }
}

/// A CPU slowdown from 1 (none) to 20, and none for Firefox, which cannot be throttled.
fn check_throttling(file: &str, at: &str, e: &Environment) -> Result<(), DocumentError> {
    if !(e.cpu_throttling_rate >= 1.0 && e.cpu_throttling_rate <= 20.0) {
        return Err(DocumentError::rule(
            file,
            format!("{at}/cpu_throttling_rate"),
            format!("expected a slowdown from 1 (none) to 20, found {}", e.cpu_throttling_rate),
        ));
    }
    if e.browser == BrowserKind::Firefox && e.cpu_throttling_rate != 1.0 {
        return Err(DocumentError::rule(
            file,
            format!("{at}/cpu_throttling_rate"),
            "Firefox cannot be throttled (WebDriver BiDi has no CPU throttling): expected 1",
        ));
    }
    Ok(())
}

/// Environment `e`'s cold-init metric: budgeted, of the source its throttling measures
/// (mobile when throttled, desktop when not), and fed by no other environment.
fn check_cold_init_metric<'a>(
    file: &str,
    cx: &CorpusContext,
    at: &str,
    e: &'a Environment,
    fed: &mut BTreeMap<&'a str, &'a str>,
) -> Result<(), DocumentError> {
    let Some(m) = cx.budgets.metric(&e.metric) else {
        return Err(DocumentError::rule(
            file,
            format!("{at}/metric"),
            format!("metric {} is not in the budgets file", e.metric),
        ));
    };
    let expected =
        if e.cpu_throttling_rate > 1.0 { Source::BrowserMobileColdInit } else { Source::BrowserDesktopColdInit };
    if m.source != expected {
        return Err(DocumentError::rule(
            file,
            format!("{at}/metric"),
            format!(
                "{} ({}) cannot be fed by a browser {} throttled: expected a {} metric",
                e.metric,
                m.source.as_str(),
                if e.cpu_throttling_rate > 1.0 { "whose CPU is" } else { "whose CPU is not" },
                expected.as_str()
            ),
        ));
    }
    if let Some(other) = fed.insert(e.metric.as_str(), e.id.as_str()) {
        return Err(DocumentError::rule(
            file,
            format!("{at}/metric"),
            format!("{} is already fed by environment {other}", e.metric),
        ));
    }
    Ok(())
}

/// Whether a first call's body uses `api` at all: an export name (what `first_call` was
/// before it went through the JS API) or an empty body does not.
fn mentions_api(body: &str) -> bool {
    body.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$')).any(|word| word == "api")
}

/// "the <variant> module does not export …" for the scenario ABI functions of `name` that
/// `exports` lacks; `None` when it has them all.
fn missing_exports(name: &str, variant: VariantKind, exports: &BTreeSet<String>) -> Option<String> {
    let missing: Vec<String> =
        ABI_SUFFIXES.iter().map(|suffix| format!("{name}{suffix}")).filter(|f| !exports.contains(f)).collect();
    (!missing.is_empty()).then(|| format!("the {} module does not export {}", variant.as_str(), missing.join(", ")))
}

fn seed_set(seeds: &[u64]) -> BTreeSet<u64> {
    seeds.iter().copied().collect()
}

pub fn workload_name(w: Workload) -> &'static str {
    match w {
        Workload::ColdStart => "cold-start",
        Workload::SteadyThroughput => "steady-throughput",
        Workload::CancellationStorm => "cancellation-storm",
        Workload::StreamingIo => "streaming-io",
        Workload::MemoryPressure => "memory-pressure",
    }
}

fn scenario_index(v: &serde_json::Value, pick: fn(&serde_json::Value) -> bool) -> usize {
    v["scenarios"].as_array().and_then(|a| a.iter().position(pick)).unwrap_or(0)
}

fn cold_start(s: &serde_json::Value) -> bool {
    s["workload"] == "cold-start"
}

/// `why` when no scenario of `v` is what `pick` looks for.
fn lacks(v: &serde_json::Value, pick: fn(&serde_json::Value) -> bool, why: &'static str) -> Option<&'static str> {
    let found = v["scenarios"].as_array().is_some_and(|a| a.iter().any(pick));
    (!found).then_some(why)
}

fn driven(s: &serde_json::Value) -> bool {
    s["export"].is_string() && s["reference_export"].is_null()
}

/// Built-in broken corpora for `corpus check --self-test`.
pub fn self_test_cases() -> Vec<SelfTestCase> {
    use serde_json::json;
    vec![
        SelfTestCase {
            name: "unknown key",
            not_applicable: self_test::always,
            expected_pointer: |_| "/colour".into(),
            edit: |v| v["colour"] = json!("red"),
        },
        SelfTestCase {
            name: "metric not in the budgets",
            not_applicable: |v| lacks(v, driven, "the corpus has no operation scenario"),
            expected_pointer: |v| format!("/scenarios/{}/metrics/0", scenario_index(v, driven)),
            edit: |v| {
                let i = scenario_index(v, driven);
                v["scenarios"][i]["metrics"] = json!(["M-PERF-99Z"]);
            },
        },
        SelfTestCase {
            name: "a size metric fed by a scenario",
            not_applicable: |v| lacks(v, driven, "the corpus has no operation scenario"),
            expected_pointer: |v| format!("/scenarios/{}/metrics/0", scenario_index(v, driven)),
            edit: |v| {
                let i = scenario_index(v, driven);
                v["scenarios"][i]["metrics"] = json!(["M-PERF-01A"]);
            },
        },
        SelfTestCase {
            name: "a cold-init metric fed by an operation scenario",
            not_applicable: |v| {
                lacks(v, driven, "the corpus has no operation scenario")
                    .or_else(|| lacks(v, cold_start, "the corpus has no cold-start scenario"))
            },
            expected_pointer: |v| format!("/scenarios/{}/metrics/0", scenario_index(v, driven)),
            edit: |v| {
                let i = scenario_index(v, driven);
                let cold = scenario_index(v, |s| s["workload"] == "cold-start");
                v["scenarios"][i]["metrics"] = v["scenarios"][cold]["metrics"].clone();
            },
        },
        SelfTestCase {
            name: "a metric fed by two scenarios",
            not_applicable: |v| lacks(v, driven, "the corpus has no operation scenario"),
            expected_pointer: |v| format!("/scenarios/{}/metrics", v["scenarios"].as_array().map_or(0, Vec::len)),
            edit: |v| {
                let mut copy = v["scenarios"][scenario_index(v, driven)].clone();
                copy["id"] = json!("WB-COPY-01");
                if let Some(a) = v["scenarios"].as_array_mut() {
                    a.push(copy);
                }
            },
        },
        SelfTestCase {
            name: "a seed missing",
            not_applicable: |v| lacks(v, driven, "the corpus has no operation scenario"),
            expected_pointer: |v| format!("/scenarios/{}/seed_set", scenario_index(v, driven)),
            edit: |v| {
                let i = scenario_index(v, driven);
                if let Some(seeds) = v["scenarios"][i]["seed_set"].as_array_mut() {
                    seeds.pop();
                }
            },
        },
        SelfTestCase {
            name: "an export the module does not have",
            not_applicable: |v| lacks(v, driven, "the corpus has no operation scenario"),
            expected_pointer: |v| format!("/scenarios/{}/export", scenario_index(v, driven)),
            edit: |v| {
                let i = scenario_index(v, driven);
                v["scenarios"][i]["export"] = json!("no_such_scenario");
            },
        },
        SelfTestCase {
            name: "a cold-start scenario with an export",
            not_applicable: |v| lacks(v, cold_start, "the corpus has no cold-start scenario"),
            expected_pointer: |v| format!("/scenarios/{}/export", scenario_index(v, |s| s["workload"] == "cold-start")),
            edit: |v| {
                let i = scenario_index(v, |s| s["workload"] == "cold-start");
                v["scenarios"][i]["export"] = json!("channel_reserve_send");
            },
        },
        SelfTestCase {
            name: "an overhead metric without its reference",
            not_applicable: |v| lacks(v, |s| s["reference_export"].is_string(), "the corpus has no overhead scenario"),
            expected_pointer: |v| {
                format!("/scenarios/{}/reference_export", scenario_index(v, |s| s["reference_export"].is_string()))
            },
            edit: |v| {
                let i = scenario_index(v, |s| s["reference_export"].is_string());
                v["scenarios"][i]["reference_export"] = json!(null);
            },
        },
        SelfTestCase {
            name: "a required workload uncovered",
            not_applicable: |v| lacks(v, cold_start, "the corpus has no cold-start scenario"),
            expected_pointer: |_| "/scenarios".into(),
            edit: |v| {
                let i = scenario_index(v, |s| s["workload"] == "cold-start");
                if let Some(a) = v["scenarios"].as_array_mut() {
                    a.remove(i);
                }
            },
        },
        SelfTestCase {
            name: "fewer than 2000 iterations per seed",
            not_applicable: self_test::always,
            expected_pointer: |_| "/protocol/iterations_per_seed".into(),
            edit: |v| v["protocol"]["iterations_per_seed"] = json!(500),
        },
        SelfTestCase {
            name: "a duplicate scenario id",
            not_applicable: |v| match v["scenarios"].as_array().map_or(0, Vec::len) {
                0 | 1 => Some("the corpus has fewer than two scenarios"),
                _ => None,
            },
            expected_pointer: |v| format!("/scenarios/{}/id", scenario_index(v, driven).max(1)),
            edit: |v| {
                let i = scenario_index(v, driven).max(1);
                v["scenarios"][i]["id"] = v["scenarios"][0]["id"].clone();
            },
        },
    ]
}

/// Runs every built-in broken corpus, derived from `valid`, through [`Corpus::check`].
pub fn run_self_test(file: &str, valid: &serde_json::Value, cx: &CorpusContext) -> Vec<SelfTestResult> {
    self_test::run(valid, self_test_cases(), |text| Corpus::parse(file, text)?.check(file, cx))
}

#[cfg(test)]
impl Environment {
    /// Test data: an unthrottled desktop Chromium environment `id` whose cold init feeds
    /// `metric`, with no operation or host metrics.
    pub(crate) fn chromium(id: &str, metric: &str) -> Environment {
        Environment {
            id: id.into(),
            browser: BrowserKind::Chromium,
            cpu_throttling_rate: 1.0,
            label: "desktop".into(),
            metric: metric.into(),
            scenario_metrics: Vec::new(),
            host_metrics: BTreeMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUDGETS: &str = r#"{
      "schema_version": "wasm-perf-budgets-v1", "profiles": ["core-min"], "seed_set": [11, 29],
      "metrics": [
        {"id": "M-PERF-01A", "name": "raw", "unit": "bytes", "source": "size.raw", "required": true, "gate": "hard", "thresholds": {"core-min": {"hard": 1}}},
        {"id": "M-PERF-02A", "name": "cold", "unit": "ms", "source": "runtime.cold_init", "required": false, "gate": "hard", "thresholds": {"core-min": {"hard": 1}}},
        {"id": "M-PERF-04A", "name": "send", "unit": "us", "source": "runtime.scenario_p95", "required": false, "gate": "hard", "thresholds": {"core-min": {"hard": 1}}},
        {"id": "M-PERF-04D", "name": "replay", "unit": "percent", "source": "runtime.replay_overhead", "required": false, "gate": "hard", "thresholds": {"core-min": {"hard": 1}}}
      ]
    }"#;

    const CORPUS: &str = r#"{
      "schema_version": "wasm-benchmark-corpus-v1",
      "coverage": {"required_workloads": ["cold-start", "streaming-io"], "required_metrics": ["M-PERF-02A", "M-PERF-04A"], "required_seed_set": [11, 29]},
      "protocol": {"iterations_per_seed": 2000, "warmup_iterations": 200, "memory_warmup_ops": 200, "memory_sample_ops": 500, "cold_start_samples_per_seed": 20, "limits": {"fuel_per_call": 1000000000, "millis_per_call": 5000, "memory_mib": 256}},
      "scenarios": [
        {"id": "COLD", "journey": "j", "workload": "cold-start", "variants": ["release"], "export": null, "metrics": ["M-PERF-02A"], "seed_set": [29, 11]},
        {"id": "CHAN", "journey": "j", "workload": "streaming-io", "variants": ["release"], "export": "chan", "metrics": ["M-PERF-04A"], "seed_set": [11, 29]},
        {"id": "REPLAY", "journey": "j", "workload": "steady-throughput", "variants": ["canary"], "export": "replay", "reference_export": "plain", "metrics": ["M-PERF-04D"], "seed_set": [11, 29]}
      ]
    }"#;

    fn exports(v: VariantKind) -> Option<BTreeSet<String>> {
        let prefixes: &[&str] = match v {
            VariantKind::Release => &["chan"],
            VariantKind::Canary => &["chan", "replay", "plain"],
            VariantKind::Dev => return None,
        };
        Some(prefixes.iter().flat_map(|p| ABI_SUFFIXES.iter().map(move |s| format!("{p}{s}"))).collect())
    }

    fn check(text: &str, only: Option<&str>) -> Result<(), DocumentError> {
        let budgets = Budgets::parse("b.json", BUDGETS).unwrap();
        let cx = CorpusContext { budgets: &budgets, exports: Some(&exports), only };
        Corpus::parse("c.json", text)?.check("c.json", &cx)
    }

    #[test]
    fn the_valid_corpus_passes_and_seed_order_does_not_matter() {
        check(CORPUS, None).unwrap();
    }

    #[test]
    fn every_self_test_case_is_rejected_at_its_pointer() {
        let budgets = Budgets::parse("b.json", BUDGETS).unwrap();
        let cx = CorpusContext { budgets: &budgets, exports: Some(&exports), only: None };
        let valid: serde_json::Value = serde_json::from_str(CORPUS).unwrap();
        for r in run_self_test("c.json", &valid, &cx) {
            assert!(r.ok && r.skipped.is_none(), "{}: {}", r.name, r.message);
        }
    }

    #[test]
    fn a_corpus_without_scenarios_skips_the_cases_that_break_one_and_runs_the_rest() {
        // Sizes only: no runtime metric needs a scenario.
        let mut budgets: serde_json::Value = serde_json::from_str(BUDGETS).unwrap();
        budgets["metrics"].as_array_mut().unwrap().truncate(1);
        let budgets = Budgets::parse("b.json", &budgets.to_string()).unwrap();
        let cx = CorpusContext { budgets: &budgets, exports: Some(&exports), only: None };
        let mut valid: serde_json::Value = serde_json::from_str(CORPUS).unwrap();
        valid["scenarios"] = serde_json::json!([]);
        valid["coverage"]["required_workloads"] = serde_json::json!([]);
        valid["coverage"]["required_metrics"] = serde_json::json!([]);
        Corpus::parse("c.json", &valid.to_string()).unwrap().check("c.json", &cx).unwrap();
        let results = run_self_test("c.json", &valid, &cx);
        let ran: Vec<&str> = results.iter().filter(|r| r.skipped.is_none()).map(|r| r.name.as_str()).collect();
        assert_eq!(ran, ["unknown key", "fewer than 2000 iterations per seed"]);
        assert!(results.iter().all(|r| r.ok), "{results:?}");
        let skipped = results.iter().find(|r| r.name == "a seed missing").unwrap();
        assert_eq!(skipped.message, "not applicable: the corpus has no operation scenario");
    }

    #[test]
    fn messages_name_what_is_missing() {
        let mut v: serde_json::Value = serde_json::from_str(CORPUS).unwrap();
        v["scenarios"][1]["variants"] = serde_json::json!(["release", "dev"]);
        assert_eq!(
            check(&v.to_string(), None).unwrap_err().to_string(),
            "c.json: /scenarios/1/variants/1: the dev variant has not been built (run `cargo xtask perf`)"
        );
        let mut v: serde_json::Value = serde_json::from_str(CORPUS).unwrap();
        v["scenarios"][1]["export"] = serde_json::json!("replay");
        assert_eq!(
            check(&v.to_string(), None).unwrap_err().to_string(),
            "c.json: /scenarios/1/export: the release module does not export replay_setup, replay_op, replay_teardown"
        );
    }

    /// The test budgets with metrics `(id, source)` added, each with a hard budget for core-min.
    fn budgets_with(extra: &[(&str, &str)]) -> Budgets {
        let mut budgets: serde_json::Value = serde_json::from_str(BUDGETS).unwrap();
        let metrics = budgets["metrics"].as_array_mut().unwrap();
        metrics.extend(extra.iter().map(|(id, source)| {
            let unit = source.parse::<Source>().unwrap().info().unit.as_str();
            serde_json::json!({"id": id, "name": id, "unit": unit, "source": source, "required": true,
                "gate": "hard", "thresholds": {"core-min": {"hard": 1}}})
        }));
        Budgets::parse("b.json", &budgets.to_string()).unwrap()
    }

    const APPS: [&str; 4] = ["vanilla-js", "typescript-sdk", "react", "nextjs"];

    /// An edit of a corpus, the pointer it is refused at and what the message says.
    type Refused<'a> = (fn(&mut serde_json::Value), &'a str, &'a str);

    /// Each edit of `v` is refused by `check` at its pointer, saying what it should.
    fn each_refused(
        v: &serde_json::Value,
        check: impl Fn(&serde_json::Value) -> Result<(), DocumentError>,
        cases: &[Refused],
    ) {
        for (edit, pointer, expected) in cases {
            let mut broken = v.clone();
            edit(&mut broken);
            let e = check(&broken).unwrap_err();
            assert_eq!(e.pointer(), *pointer, "{e}");
            assert!(e.to_string().contains(expected), "{e}");
        }
    }

    /// The test budgets with the desktop environment's metrics (cold init `M-COLD`, each
    /// host's `M-HOST-<app>`) and `extra` added.
    fn browser_budgets(extra: &[(&str, &str)]) -> Budgets {
        let hosts = APPS.map(|a| format!("M-HOST-{a}"));
        let mut all = vec![("M-COLD", "browser.desktop_cold_init")];
        all.extend(hosts.iter().map(|id| (id.as_str(), "browser.host_ready")));
        all.extend_from_slice(extra);
        budgets_with(&all)
    }

    /// The test corpus measured in one Chromium environment, `desktop`, with the browser
    /// protocol and every host loaded there.
    fn with_desktop() -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_str(CORPUS).unwrap();
        let host_metrics: serde_json::Map<String, serde_json::Value> =
            APPS.iter().map(|a| (a.to_string(), serde_json::json!(format!("M-HOST-{a}")))).collect();
        v["environments"] = serde_json::json!([{"id": "desktop", "browser": "chromium", "cpu_throttling_rate": 1,
            "label": "desktop", "metric": "M-COLD", "host_metrics": host_metrics}]);
        v["browser_protocol"] = serde_json::json!({"samples_per_seed": 1, "warmup_samples": 0, "millis_per_call": 1000,
            "first_call": "return api.exports.kernel_runtime_new(8);"});
        v["hosts"] =
            serde_json::json!({"apps": APPS, "variants": ["release"], "environments": ["desktop"], "samples": 2});
        v
    }

    #[test]
    fn an_environment_times_the_one_scenario_that_lists_its_per_operation_metric() {
        let budgets = browser_budgets(&[("M-OP", "browser.op_median")]);
        let check = |v: &serde_json::Value| {
            let cx = CorpusContext { budgets: &budgets, exports: Some(&exports), only: None };
            Corpus::parse("c.json", &v.to_string()).unwrap().check("c.json", &cx)
        };
        let mut v = with_desktop();
        v["environments"][0]["scenario_metrics"] = serde_json::json!(["M-OP"]);
        v["scenarios"][1]["metrics"] = serde_json::json!(["M-PERF-04A", "M-OP"]);
        check(&v).unwrap();
        let parsed = Corpus::parse("c.json", &v.to_string()).unwrap();
        let b = parsed.browser_protocol.unwrap();
        assert_eq!((b.batches_per_seed, b.warmup_batches, b.batch_millis), (30, 5, 2), "the defaults");

        type Edit = fn(&mut serde_json::Value);
        let cases: [(Edit, &str); 4] = [
            (|v| v["scenarios"][1]["metrics"] = serde_json::json!(["M-PERF-04A"]), "no scenario lists M-OP"),
            (|v| v["scenarios"][2]["metrics"] = serde_json::json!(["M-PERF-04D", "M-OP"]), "listed by 2 scenarios"),
            (
                |v| v["environments"][0]["scenario_metrics"] = serde_json::json!(["M-PERF-04A"]),
                "is not a per-operation browser metric",
            ),
            (
                |v| v["environments"][0]["scenario_metrics"] = serde_json::json!([]),
                "no environment feeds the budgeted browser metric M-OP",
            ),
        ];
        for (edit, expected) in cases {
            let mut broken = v.clone();
            edit(&mut broken);
            let message = check(&broken).unwrap_err().to_string();
            assert!(message.contains(expected), "{message}");
        }
    }

    #[test]
    fn an_operation_through_the_js_api_feeds_its_own_metrics_only() {
        let budgets = browser_budgets(&[
            ("M-OP", "browser.op_median"),
            ("M-JS", "browser.js_op_median"),
            ("M-MEM", "browser.js_linear_memory"),
        ]);
        let check = |v: &serde_json::Value| {
            let cx = CorpusContext { budgets: &budgets, exports: Some(&exports), only: None };
            Corpus::parse("c.json", &v.to_string()).unwrap().check("c.json", &cx)
        };
        let mut v = with_desktop();
        v["environments"][0]["scenario_metrics"] = serde_json::json!(["M-OP", "M-JS", "M-MEM"]);
        v["scenarios"][1]["metrics"] = serde_json::json!(["M-PERF-04A", "M-OP"]);
        let mut js = v["scenarios"][1].clone();
        js["id"] = serde_json::json!("JS-SEND");
        js["export"] = serde_json::Value::Null;
        js["js_api"] = serde_json::json!({"setup": "return api.exports.kernel_runtime_new(8);",
            "op": "return api.exports.kernel_send(state, 1n);"});
        js["metrics"] = serde_json::json!(["M-JS"]);
        v["scenarios"].as_array_mut().unwrap().push(js.clone());
        // Under memory pressure, a JS-API operation feeds linear memory.
        js["id"] = serde_json::json!("JS-MEM");
        js["workload"] = serde_json::json!("memory-pressure");
        js["metrics"] = serde_json::json!(["M-MEM"]);
        v["scenarios"].as_array_mut().unwrap().push(js);
        check(&v).unwrap();
        let parsed = Corpus::parse("c.json", &v.to_string()).unwrap();
        let timed = &parsed.scenarios.last().unwrap().js_api;
        assert!(timed.as_ref().is_some_and(|c| c.op.contains("kernel_send")));

        let cases: [Refused; 5] = [
            (
                |v| v["scenarios"][3]["export"] = serde_json::json!("channel_reserve_send"),
                "/scenarios/3/js_api",
                "not both",
            ),
            (
                |v| v["scenarios"][3]["js_api"]["op"] = serde_json::json!(" "),
                "/scenarios/3/js_api/op",
                "`api` and `state`",
            ),
            (
                |v| v["scenarios"][3]["metrics"] = serde_json::json!(["M-JS", "M-PERF-04A"]),
                "/scenarios/3/metrics/1",
                "a JS-API operation (`js_api`) of a streaming-io workload feeds browser.js_op_median metrics, and \
                 only those",
            ),
            (
                |v| v["scenarios"][4]["metrics"] = serde_json::json!(["M-MEM", "M-PERF-04A"]),
                "/scenarios/4/metrics/1",
                "of a memory-pressure workload feeds browser.js_linear_memory metrics, and only those",
            ),
            (
                |v| {
                    v["scenarios"].as_array_mut().unwrap().remove(3);
                    v["scenarios"][1]["metrics"] = serde_json::json!(["M-PERF-04A", "M-OP", "M-JS"]);
                },
                "/scenarios/1/metrics/2",
                "M-JS (browser.js_op_median) cannot be fed by this scenario: only a JS-API operation (`js_api`) feeds it",
            ),
        ];
        each_refused(&v, check, &cases);
    }

    #[test]
    fn each_host_size_metric_is_a_host_pages_bytes_fed_once() {
        let extra = [
            ("M-JS-R", "browser.host_js_gzip"),
            ("M-TOTAL-R", "browser.host_total_gzip"),
            ("M-JS-V", "browser.host_js_gzip"),
        ];
        let budgets = browser_budgets(&extra);
        let check = |v: &serde_json::Value| {
            let cx = CorpusContext { budgets: &budgets, exports: Some(&exports), only: None };
            Corpus::parse("c.json", &v.to_string()).unwrap().check("c.json", &cx)
        };
        let mut v = with_desktop();
        v["hosts"]["size_metrics"] = serde_json::json!({"react": ["M-JS-R", "M-TOTAL-R"], "vanilla-js": ["M-JS-V"]});
        check(&v).unwrap();
        let cases: [Refused; 5] = [
            (
                |v| v["hosts"]["size_metrics"]["react"] = serde_json::json!(["M-JS-R"]),
                "/hosts/size_metrics",
                "no host's size_metrics list the budgeted browser metric M-TOTAL-R",
            ),
            (
                |v| v["hosts"]["size_metrics"]["react"] = serde_json::json!(["M-JS-R", "M-TOTAL-R", "M-JS-V"]),
                "/hosts/size_metrics/react/2",
                "react already feeds a browser.host_js_gzip metric",
            ),
            (
                |v| v["hosts"]["size_metrics"]["nextjs"] = serde_json::json!(["M-JS-V"]),
                "/hosts/size_metrics/nextjs/0",
                "M-JS-V is already fed by",
            ),
            (
                |v| v["hosts"]["size_metrics"]["react"] = serde_json::json!(["M-JS-R", "M-TOTAL-R", "M-COLD"]),
                "/hosts/size_metrics/react/2",
                "M-COLD (browser.desktop_cold_init) is not a host page's bytes",
            ),
            (
                |v| v["hosts"]["size_metrics"]["react"] = serde_json::json!(["M-JS-R", "M-TOTAL-R", "M-NONE"]),
                "/hosts/size_metrics/react/2",
                "metric M-NONE is not in the budgets file",
            ),
        ];
        each_refused(&v, check, &cases);
    }

    #[test]
    fn a_subject_in_browsers_covers_every_host_and_makes_its_first_call_through_the_js_api() {
        let budgets = browser_budgets(&[]);
        let check = |v: &serde_json::Value| {
            let cx = CorpusContext { budgets: &budgets, exports: Some(&exports), only: None };
            Corpus::parse("c.json", &v.to_string()).unwrap().check("c.json", &cx)
        };
        let v = with_desktop();
        check(&v).unwrap();
        // The hosts load in Chromium: a corpus measured in Firefox alone declares none.
        let mut firefox_only = v.clone();
        firefox_only.as_object_mut().unwrap().remove("hosts");
        firefox_only["environments"][0]["browser"] = serde_json::json!("firefox");
        firefox_only["environments"][0].as_object_mut().unwrap().remove("host_metrics");
        let firefox_budgets = budgets_with(&[("M-COLD", "browser.desktop_cold_init")]);
        let cx = CorpusContext { budgets: &firefox_budgets, exports: Some(&exports), only: None };
        Corpus::parse("c.json", &firefox_only.to_string()).unwrap().check("c.json", &cx).unwrap();

        let cases: [Refused; 9] = [
            (
                |v| {
                    v.as_object_mut().unwrap().remove("hosts");
                    v["environments"][0].as_object_mut().unwrap().remove("host_metrics");
                },
                "/hosts",
                "missing framework coverage fails the gate",
            ),
            (
                |v| {
                    v["hosts"]["apps"] = serde_json::json!(["vanilla-js", "typescript-sdk", "nextjs"]);
                    v["environments"][0]["host_metrics"].as_object_mut().unwrap().remove("react");
                },
                "/hosts/apps",
                "missing host react",
            ),
            (
                |v| v["hosts"]["apps"] = serde_json::json!(["vanilla-js", "typescript-sdk", "nextjs"]),
                "/environments/0/host_metrics/react",
                "does not load react",
            ),
            (
                |v| v["browser_protocol"]["first_call"] = serde_json::json!("channel_reserve_send"),
                "/browser_protocol/first_call",
                "a function of `api` that calls the subject's public JS API",
            ),
            (
                |v| v["browser_protocol"]["first_call"] = serde_json::json!(" "),
                "/browser_protocol/first_call",
                "a function of `api`",
            ),
            (
                |v| _ = v["environments"][0]["host_metrics"].as_object_mut().unwrap().remove("react"),
                "/environments/0/host_metrics",
                "the hosts section loads react here, which feeds no metric",
            ),
            (
                |v| v["environments"][0]["host_metrics"]["react"] = serde_json::json!("M-COLD"),
                "/environments/0/host_metrics/react",
                "is not a host's time to ready",
            ),
            (
                |v| v["hosts"]["environments"] = serde_json::json!([]),
                "/environments/0/host_metrics/vanilla-js",
                "the hosts section does not load vanilla-js in desktop",
            ),
            (
                |v| v["scenarios"][1]["metrics"] = serde_json::json!(["M-PERF-04A", "M-HOST-react"]),
                "/scenarios/1/metrics/1",
                "an environment's host_metrics feed it",
            ),
        ];
        each_refused(&v, check, &cases);
    }

    #[test]
    fn checking_one_scenario_skips_the_whole_corpus_coverage_rules() {
        let mut v: serde_json::Value = serde_json::from_str(CORPUS).unwrap();
        v["scenarios"].as_array_mut().unwrap().remove(0);
        assert!(check(&v.to_string(), None).is_err(), "cold-start is uncovered");
        check(&v.to_string(), Some("CHAN")).unwrap();
        assert_eq!(check(&v.to_string(), Some("NOPE")).unwrap_err().pointer(), "/scenarios");
    }

    fn host_environment(id: &str, browser: BrowserKind) -> Environment {
        Environment {
            id: id.into(),
            browser,
            cpu_throttling_rate: 1.0,
            label: id.into(),
            metric: "M".into(),
            scenario_metrics: vec![],
            host_metrics: Default::default(),
        }
    }

    #[test]
    fn the_hosts_section_covers_every_host_and_names_what_is_wrong() {
        let envs =
            [host_environment("desktop-chromium", BrowserKind::Chromium), host_environment("ff", BrowserKind::Firefox)];
        let good = HostProtocol {
            apps: HostApp::ALL.to_vec(),
            variants: vec![VariantKind::Release],
            environments: vec!["desktop-chromium".into()],
            samples: 4,
            size_metrics: Default::default(),
        };
        assert_eq!(check_hosts("c.json", &good, &envs), Ok(()));
        let cases: [(HostProtocol, &str, &str); 6] = [
            (
                HostProtocol {
                    apps: vec![HostApp::VanillaJs, HostApp::TypescriptSdk, HostApp::Nextjs],
                    ..good.clone()
                },
                "/hosts/apps",
                "missing host react",
            ),
            (
                HostProtocol { apps: [&HostApp::ALL[..], &[HostApp::React]].concat(), ..good.clone() },
                "/hosts/apps",
                "each host once",
            ),
            (HostProtocol { variants: vec![], ..good.clone() }, "/hosts/variants", "at least one"),
            (
                HostProtocol { environments: vec!["phone".into()], ..good.clone() },
                "/hosts/environments/0",
                "no environment phone",
            ),
            (
                HostProtocol { environments: vec!["ff".into()], ..good.clone() },
                "/hosts/environments/0",
                "Chromium environments only",
            ),
            (HostProtocol { samples: 0, ..good.clone() }, "/hosts/samples", "positive"),
        ];
        for (hosts, pointer, message) in cases {
            let e = check_hosts("c.json", &hosts, &envs).unwrap_err();
            assert_eq!(e.pointer(), pointer, "{e}");
            assert!(e.to_string().contains(message), "{e}");
        }
    }
}
