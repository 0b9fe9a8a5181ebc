//! What the browsers measured: per corpus environment (desktop Chromium, Chromium with its
//! CPU throttled as a phone's stand-in, Firefox) and variant, the cold-init phases of every
//! sample, the browser that took them, the cache canary's proof that the samples were
//! cold, and how a browser cold-init metric's value is taken from them.
//!
//! A sample is one page load in a fresh browser context: fetch + compile
//! (`WebAssembly.compileStreaming`), instantiate, and the first exported call (V8 compiles
//! lazily, so the compile cost of the functions it runs lands there). The gate value is the
//! protocol's median over seeds of the per-seed p95 of their total, the time a user waits
//! until the module has answered once. Like every wall-clock figure, none of this is in
//! the summary's signature.

use serde::{Deserialize, Serialize};

use crate::budget::{Metric, Source};
use crate::corpus::{Environment, JsApiCall, Scenario};
use crate::host_run::HostRun;
use crate::runtime::{Figures, Measurement, RunError};
use crate::sequential::{Look, Standing};
use crate::stats::{self, Interval};
use crate::unit::Unit;

/// Which browser, in which version, with which JavaScript engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrowserIdentity {
    /// What the browser calls itself: "Chromium", "Google Chrome", "Firefox".
    pub name: String,
    /// The full version, e.g. "156.0.8078.114".
    pub version: String,
    /// The leading number of `version`: a change of it is drift.
    pub major: u32,
    /// e.g. "V8 15.6.120.12", "SpiderMonkey 153.8.0".
    pub engine: String,
}

impl BrowserIdentity {
    /// The browser and its major version, as a baseline records them: "Chromium 156".
    pub fn major_version(&self) -> String {
        format!("{} {}", self.name, self.major)
    }

    /// `None` when `version` does not start with a number.
    pub fn new(name: &str, version: &str, engine: &str) -> Option<BrowserIdentity> {
        let major = version.split('.').next()?.parse().ok()?;
        Some(BrowserIdentity { name: name.to_owned(), version: version.to_owned(), major, engine: engine.to_owned() })
    }
}

/// One environment's measurements of one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentRun {
    /// The corpus environment's id, e.g. "desktop-chromium".
    pub environment: String,
    /// What it stands for, e.g. that a throttled Chromium emulates a phone and is not one.
    pub label: String,
    /// The metric its cold init feeds.
    pub metric: String,
    /// The corpus requires it: if it cannot run, its metric fails instead of skipping.
    pub required: bool,
    /// `None` when the browser never started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<BrowserIdentity>,
    /// The browser's command line (its flags included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_line: Option<String>,
    /// The main thread's CPU slowdown (1 = none).
    pub cpu_throttling_rate: f64,
    /// The first call through the public JS API (the body of a function of `api`); none in
    /// runs recorded before cold init went through it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_call: Option<String>,
    /// What the first call answered (the same on every load).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phases: Option<Phases>,
    /// Where its cold init's sampling stopped, against the gate's limits (`early_stop.rs`):
    /// the look, samples per seed and interval; `None` where it had no limits to stop at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_init_look: Option<Look<Standing>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_canary: Option<CacheCanary>,
    /// Why it was not run at all (`--engine` left it out); its metric is skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_out: Option<String>,
    /// Why its browser could not be started or reached, where the corpus does not require the
    /// environment: its metrics are not measured, which fails a metric the budgets require
    /// and skips another (a required environment fails them all: `error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_started: Option<String>,
    /// Why it stopped; its metric fails closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
    /// The scenarios this environment timed per operation (its `scenario_metrics`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<OperationRun>,
    /// The host apps this environment loaded the variant's production build in (the
    /// corpus's `hosts` cells).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<HostRun>,
}

/// One scenario's operations timed in one environment, on one variant: per seed, a page
/// load (fresh context; compile, the glue's init, `setup(seed)`), then batches of
/// operations, each batch timed with `performance.now()`. A batch has as many operations
/// as it takes to last the protocol's `batch_millis`, so the clock's step (5 µs when cross-
/// origin isolated) is a small part of it; a sample is a batch's time over its operations,
/// in ns. The gated figure is each seed's median over its batches, median over seeds: a
/// typical operation's time, a batch's mean; a single slow operation is spread over its
/// batch, and a slow batch (a GC pause, a throttling slice) does not move a median.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationRun {
    /// The corpus scenario, what it calls (its export, or an operation through the JS API)
    /// and the metric it feeds here.
    pub scenario: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub js_api: Option<JsApiCall>,
    pub metric: String,
    /// Operations per batch, per seed (the page calibrates it on each load).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ops_per_batch: Vec<(u64, u32)>,
    /// Per seed, each batch's time per operation in ns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_op: Option<Figures>,
    /// Under memory pressure: per seed, linear memory (`memory.buffer.byteLength`, the
    /// module's heap as wasm sees it) after each sampled operation, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear_memory: Option<Figures>,
    /// Under memory pressure, per seed: the page's memory after the samples as the browser
    /// attributes it (`performance.measureUserAgentSpecificMemory()`, cross-origin-isolated
    /// Chromium pages only: JS heaps, the module's memory, DOM), in bytes. Not gated: a GC
    /// moves it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ua_memory_bytes: Vec<(u64, u64)>,
    /// Why a load had no such figure (the browser has no such API, or the page was not
    /// isolated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ua_memory_unavailable: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
}

/// What a timed operation calls: a scenario export of the benchmark build, or an operation
/// through the public JS API of what ships.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperationCall {
    Export(String),
    JsApi(JsApiCall),
}

impl OperationCall {
    /// A scenario's call; `None` for a cold start, which calls nothing.
    pub fn of(s: &Scenario) -> Option<OperationCall> {
        match (&s.export, &s.js_api) {
            (Some(export), _) => Some(OperationCall::Export(export.clone())),
            (None, Some(call)) => Some(OperationCall::JsApi(call.clone())),
            (None, None) => None,
        }
    }
}

impl OperationRun {
    /// A scenario to time, before the page loads.
    pub fn planned(scenario: &str, call: &OperationCall, metric: &str) -> OperationRun {
        let (export, js_api) = match call {
            OperationCall::Export(export) => (Some(export.clone()), None),
            OperationCall::JsApi(js) => (None, Some(js.clone())),
        };
        OperationRun {
            scenario: scenario.to_owned(),
            export,
            js_api,
            metric: metric.to_owned(),
            ops_per_batch: Vec::new(),
            per_op: None,
            linear_memory: None,
            ua_memory_bytes: Vec::new(),
            ua_memory_unavailable: None,
            error: None,
        }
    }

    /// What it times, in words: its export, or the scenario's operation through the JS API.
    pub fn what(&self) -> String {
        match &self.export {
            Some(export) => export.clone(),
            None => format!("{}'s operation through the JS API", self.scenario),
        }
    }
}

/// Every sample's phases, per seed, in ms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phases {
    pub fetch_compile: Figures,
    pub instantiate: Figures,
    pub first_call: Figures,
    /// Their sum per sample: the gated figure.
    pub total: Figures,
    /// The total's samples pooled over seeds: n, median and its 95% interval.
    pub total_interval: Interval,
    /// Whether the page was cross-origin isolated (5 µs timers rather than 100 µs).
    pub cross_origin_isolated: bool,
}

/// One sample's phases in ms, as the harness page reports them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub fetch_compile: f64,
    pub instantiate: f64,
    pub first_call: f64,
}

impl Sample {
    pub fn total(&self) -> f64 {
        self.fetch_compile + self.instantiate + self.first_call
    }
}

impl Phases {
    /// From each seed's samples (the warm-up already discarded); `None` if a seed has none.
    pub fn of(samples: &[(u64, Vec<Sample>)], cross_origin_isolated: bool) -> Option<Phases> {
        let phase = |f: fn(&Sample) -> f64| {
            let per_seed: Vec<(u64, Vec<f64>)> =
                samples.iter().map(|(seed, s)| (*seed, s.iter().map(f).collect())).collect();
            Figures::of(Unit::Millis, &per_seed)
        };
        let pooled: Vec<f64> = samples.iter().flat_map(|(_, s)| s.iter().map(Sample::total)).collect();
        Some(Phases {
            fetch_compile: phase(|s| s.fetch_compile)?,
            instantiate: phase(|s| s.instantiate)?,
            first_call: phase(|s| s.first_call)?,
            total: phase(Sample::total)?,
            total_interval: stats::median_interval(&pooled)?,
            cross_origin_isolated,
        })
    }
}

/// The proof that a sample is cold, on a module built to show a cache (a thousand
/// functions, all run by its first call), timed in the phase where the browser compiles
/// them: the first call in V8 (lazy), fetch + compile in SpiderMonkey (eager). In one page,
/// the same bytes twice: a second round served by the in-process module cache is far
/// faster, so the probe can see a cache. In two fresh contexts, once each: neither may be
/// that fast.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheCanary {
    pub phase: CanaryPhase,
    /// The phase's ms in the first and second round in one page.
    pub same_page_ms: [f64; 2],
    /// The phase's ms in each of two fresh contexts.
    pub fresh_contexts_ms: [f64; 2],
    pub verdict: CanaryVerdict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CanaryPhase {
    FetchCompile,
    FirstCall,
}

impl CanaryPhase {
    pub fn of(self, s: &Sample) -> f64 {
        match self {
            CanaryPhase::FetchCompile => s.fetch_compile,
            CanaryPhase::FirstCall => s.first_call,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CanaryVerdict {
    /// The cache is visible in one page and absent across fresh contexts.
    Cold,
    /// The second fresh context ran as fast as a cache hit: samples are not cold.
    Warm,
    /// No cache was visible even in one page (nothing to guard against, or too small a
    /// module to tell); the samples still get fresh contexts and nonces.
    Inconclusive,
}

/// The page's second round counts as a cache hit below this share of its cold first round:
/// measured here, a hit is 50–400 times faster.
pub const CACHE_HIT_RATIO: f64 = 0.1;

/// A fresh context is as fast as the page's hit within this factor of it: a code cache
/// that leaked into it would skip the same compile the hit skips.
pub const WARM_WITHIN: f64 = 5.0;

impl CacheCanary {
    /// Once the page has shown its hit, a fresh context is warm when it is about as fast as
    /// that hit: within [`WARM_WITHIN`] times of it, and nearer it than the page's cold round
    /// on a log scale (below their geometric mean). Ten times let a throttled phone's cold
    /// fresh context (21.9 ms, beside a build) pass for warm. Where the page showed no hit, a fresh context is
    /// warm only 10 times faster than both of the page's rounds. The cold round alone is no
    /// yardstick: it is the browser's first compile, and under load it was measured 10 times
    /// slower than the fresh contexts' cold rounds (65+ ms against 6.5 desktop, and on the
    /// throttled phone enough to call 17.7 ms warm).
    pub fn judge(phase: CanaryPhase, same_page: [f64; 2], fresh_contexts: [f64; 2]) -> CacheCanary {
        let [cold, second] = same_page;
        let page_hit = second < cold * CACHE_HIT_RATIO;
        let bound = match page_hit {
            true => (cold * second).sqrt().min(second * WARM_WITHIN),
            false => cold.min(second) * CACHE_HIT_RATIO,
        };
        let verdict = match (page_hit, fresh_contexts.into_iter().any(|ms| ms < bound)) {
            (_, true) => CanaryVerdict::Warm,
            (true, false) => CanaryVerdict::Cold,
            (false, false) => CanaryVerdict::Inconclusive,
        };
        CacheCanary { phase, same_page_ms: same_page, fresh_contexts_ms: fresh_contexts, verdict }
    }
}

impl EnvironmentRun {
    /// A corpus environment's run of one variant before the browser starts.
    pub fn planned(env: &Environment, required: bool, first_call: &str) -> EnvironmentRun {
        EnvironmentRun {
            environment: env.id.clone(),
            label: env.label.clone(),
            metric: env.metric.clone(),
            required,
            browser: None,
            command_line: None,
            cpu_throttling_rate: env.cpu_throttling_rate,
            first_call: Some(first_call.to_owned()),
            answer: None,
            phases: None,
            cold_init_look: None,
            cache_canary: None,
            left_out: None,
            not_started: None,
            error: None,
            operations: Vec::new(),
            hosts: Vec::new(),
        }
    }

    /// The metrics this environment feeds: its cold init's, each timed scenario's, then each
    /// host app's.
    pub fn metrics(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.metric)
            .chain(self.operations.iter().map(|o| &o.metric))
            .chain(self.hosts.iter().flat_map(|h| std::iter::once(&h.metric).chain(&h.size_metrics)))
    }

    /// Whether `metric_id` is this environment's: its cold init or a timed scenario's.
    pub fn feeds(&self, metric_id: &str) -> bool {
        self.metrics().any(|m| m == metric_id)
    }

    /// How the environment is named in a record: the browser, its version and engine, the
    /// throttling, and what it stands for.
    pub fn describe(&self) -> String {
        let browser = self
            .browser
            .as_ref()
            .map_or("browser not started".to_owned(), |b| format!("{} {} ({})", b.name, b.version, b.engine));
        format!("{}: {browser}; {}", self.environment, self.label)
    }

    /// Why nothing of this environment can be measured: it failed, or was left out.
    pub fn unavailable(&self) -> Option<Measurement> {
        if let Some(e) = &self.error {
            return Some(Measurement::Failed(format!("{}: {}", self.environment, e.message)));
        }
        if let Some(why) = &self.not_started {
            return Some(Measurement::NotMeasured(format!("{}'s browser did not start: {why}", self.environment)));
        }
        let why = self.left_out.as_ref()?;
        Some(Measurement::LeftOut(format!("{} was left out: {why}", self.environment)))
    }

    /// The value of `metric` from this environment's samples: its cold init, or the
    /// per-operation time of the scenario that feeds it.
    pub fn measurement(&self, metric: &Metric) -> Measurement {
        if let Some(unavailable) = self.unavailable() {
            return unavailable;
        }
        if let Some(host) = self.hosts.iter().find(|h| h.metric == metric.id) {
            if let Some(unavailable) = host.unavailable(&self.environment) {
                return unavailable;
            }
            let Some(figures) = &host.figures else {
                return Measurement::Failed(format!(
                    "{} loaded no page of the {} host",
                    self.environment,
                    host.app.as_str()
                ));
            };
            return match Unit::Millis.convert(figures.ready_ms, metric.unit) {
                Some(v) => Measurement::Value(v),
                None => Measurement::Failed(format!("a time to ready cannot be expressed in {}", metric.unit)),
            };
        }
        if let Some(op) = self.operations.iter().find(|o| o.metric == metric.id) {
            if let Some(e) = &op.error {
                return Measurement::Failed(format!("{} timing {}: {}", self.environment, op.what(), e.message));
            }
            if metric.source == Source::BrowserJsLinearMemory {
                let Some(memory) = &op.linear_memory else {
                    return Measurement::Failed(format!("{} sampled no memory of {}", self.environment, op.what()));
                };
                return match memory.unit.convert(memory.median_of_p95, metric.unit) {
                    Some(v) => Measurement::Value(v),
                    None => Measurement::Failed(format!("linear memory cannot be expressed in {}", metric.unit)),
                };
            }
            let per_op = op.per_op.as_ref();
            let medians: Vec<f64> = per_op.iter().flat_map(|f| &f.seeds).map(|s| s.distribution.p50).collect();
            let (Some(figures), Some(median)) = (per_op, stats::median(&medians)) else {
                return Measurement::Failed(format!("{} timed no batch of {}", self.environment, op.what()));
            };
            return match figures.unit.convert(median, metric.unit) {
                Some(v) => Measurement::Value(v),
                None => Measurement::Failed(format!("a time per operation cannot be expressed in {}", metric.unit)),
            };
        }
        let Some(phases) = &self.phases else {
            return Measurement::Failed(format!("{} recorded no samples", self.environment));
        };
        match phases.total.unit.convert(phases.total.median_of_p95, metric.unit) {
            Some(v) => Measurement::Value(v),
            None => Measurement::Failed(format!("a browser cold init cannot be expressed in {}", metric.unit)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_gives_its_major_or_nothing() {
        let b = BrowserIdentity::new("Chromium", "156.0.8078.114", "V8 15.6").unwrap();
        assert_eq!(b.major, 156);
        assert_eq!(BrowserIdentity::new("Firefox", "", "SpiderMonkey"), None);
        assert_eq!(BrowserIdentity::new("Firefox", "nightly", "SpiderMonkey"), None);
    }

    #[test]
    fn the_canary_tells_a_cold_sample_from_a_warm_one() {
        let cases = [
            // Measured here: 9–56 ms cold, 0.17–0.33 ms from the cache.
            ([40.0, 0.2], [40.0, 12.0], CanaryVerdict::Cold),
            ([40.0, 0.2], [16.0, 8.0], CanaryVerdict::Cold),
            // CI under load: the browser's first compile far slower than later cold ones.
            ([80.0, 0.3], [6.5, 10.5], CanaryVerdict::Cold),
            ([80.0, 0.3], [6.5, 1.0], CanaryVerdict::Warm),
            // The throttled phone under load: its first compile, or its second round, slow.
            ([600.0, 0.6], [17.7, 53.2], CanaryVerdict::Cold),
            ([200.0, 30.0], [17.7, 53.2], CanaryVerdict::Inconclusive),
            // The throttled phone beside the init test's build: cold fresh contexts (21.9 and
            // 55.6 ms) once called warm against a slow hit.
            ([300.0, 3.0], [21.9, 55.6], CanaryVerdict::Cold),
            ([40.0, 0.2], [40.0, 0.3], CanaryVerdict::Warm),
            ([40.0, 0.2], [0.3, 40.0], CanaryVerdict::Warm),
            ([40.0, 38.0], [40.0, 0.3], CanaryVerdict::Warm),
            ([40.0, 39.0], [41.0, 40.0], CanaryVerdict::Inconclusive),
        ];
        for (same, fresh, verdict) in cases {
            assert_eq!(CacheCanary::judge(CanaryPhase::FirstCall, same, fresh).verdict, verdict, "{same:?} {fresh:?}");
        }
    }

    #[test]
    fn a_host_metric_is_its_hosts_median_time_to_ready_or_says_why_not() {
        use crate::host::HostApp;
        use crate::host_run::{HostFigures, HostRun};
        let env = Environment {
            id: "phone".into(),
            browser: crate::corpus::BrowserKind::Chromium,
            cpu_throttling_rate: 4.0,
            label: "phone".into(),
            metric: "M-COLD".into(),
            scenario_metrics: vec![],
            host_metrics: Default::default(),
        };
        let mut run = EnvironmentRun::planned(&env, true, "return 1;");
        let figures = HostFigures { ready_ms: 620.0, init_ms: 60.0, first_call_ms: 12.0, control_ready_ms: 600.0 };
        run.hosts.push(HostRun { figures: Some(figures), ..HostRun::planned(HostApp::React, "M-HOST") });
        let metric: Metric = serde_json::from_value(serde_json::json!({"id": "M-HOST", "name": "ready",
            "unit": "ms", "source": "browser.host_ready", "required": true, "gate": "hard", "thresholds": {}}))
        .unwrap();
        assert!(run.feeds("M-HOST"));
        assert_eq!(run.measurement(&metric), Measurement::Value(620.0));
        run.hosts[0].left_out = Some("--host vanilla-js".into());
        assert_eq!(
            run.measurement(&metric),
            Measurement::LeftOut("the react host was left out: --host vanilla-js".into())
        );
        run.hosts[0].left_out = None;
        run.hosts[0].error = Some(RunError::environment("release variant: the page threw: boom"));
        assert_eq!(
            run.measurement(&metric),
            Measurement::Failed("phone in the react host: release variant: the page threw: boom".into())
        );
    }

    #[test]
    fn a_scenario_metric_is_its_operations_median_over_batches_median_over_seeds() {
        let env = Environment {
            id: "desktop-chromium".into(),
            browser: crate::corpus::BrowserKind::Chromium,
            cpu_throttling_rate: 1.0,
            label: "desktop".into(),
            metric: "M-COLD".into(),
            scenario_metrics: vec!["M-OP".into()],
            host_metrics: Default::default(),
        };
        let mut run = EnvironmentRun::planned(&env, true, "return 1;");
        let metric = |id: &str, unit: &str| -> Metric {
            serde_json::from_value(
                serde_json::json!({"id": id, "name": id, "unit": unit, "source": "browser.op_median",
                "required": true, "gate": "hard", "thresholds": {}}),
            )
            .unwrap()
        };
        let mut op = OperationRun::planned("SCN", &OperationCall::Export("search".into()), "M-OP");
        let batches: Vec<(u64, Vec<f64>)> = [(11, 2000.0), (29, 4000.0), (42, 3000.0)]
            .into_iter()
            .map(|(s, ns)| (s, [vec![ns; 29], vec![ns * 100.0]].concat()))
            .collect();
        op.per_op = Figures::of(Unit::Nanos, &batches);
        run.operations.push(op);
        assert!(run.feeds("M-OP") && run.feeds("M-COLD") && !run.feeds("M-OTHER"));
        assert_eq!(run.measurement(&metric("M-OP", "us")), Measurement::Value(3.0));
        assert_eq!(run.measurement(&metric("M-OP", "ns")), Measurement::Value(3000.0));
        run.operations[0].error = Some(RunError::environment("the page crashed"));
        assert!(
            matches!(run.measurement(&metric("M-OP", "us")), Measurement::Failed(m) if m.contains("timing search"))
        );

        // Under memory pressure: the median over seeds of each seed's p95 of linear memory.
        let memory = Metric { source: Source::BrowserJsLinearMemory, ..metric("M-MEM", "MiB") };
        let call = OperationCall::JsApi(JsApiCall { setup: "return 1;".into(), op: "return 2;".into() });
        let mut op = OperationRun::planned("HEAP", &call, "M-MEM");
        run.operations.push(op.clone());
        assert!(matches!(run.measurement(&memory), Measurement::Failed(m) if m.contains("sampled no memory")));
        let pages = |mib: f64| vec![mib * 1024.0 * 1024.0; 20];
        op.linear_memory = Figures::of(Unit::Bytes, &[(11, pages(1.0)), (29, pages(2.0)), (42, pages(1.5))]);
        run.operations[1] = op;
        assert_eq!(run.measurement(&memory), Measurement::Value(1.5));
    }

    #[test]
    fn phases_gate_the_median_over_seeds_of_each_seeds_p95_total() {
        let sample = |ms: f64| Sample { fetch_compile: ms, instantiate: 1.0, first_call: 2.0 };
        let seeds: Vec<(u64, Vec<Sample>)> =
            [(11, 10.0), (29, 20.0), (42, 30.0)].into_iter().map(|(s, k)| (s, vec![sample(k); 4])).collect();
        let p = Phases::of(&seeds, true).unwrap();
        assert_eq!(p.total.median_of_p95, 23.0);
        assert_eq!(p.instantiate.median_of_p95, 1.0);
        assert_eq!((p.total_interval.n, p.total_interval.median), (12, 23.0));
        assert_eq!(Phases::of(&[(11, vec![])], true), None, "a seed without samples is no figure");
    }
}
