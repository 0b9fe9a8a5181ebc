//! What an environment's page loads make: each visit's outcome (the JSON its probe's
//! harness returned, or why the load failed) folded into the variants' runs, in the order
//! of `browser_schedule.rs`.
//!
//! The rules: a failed canary stops the environment (every variant fails with its error);
//! a canary that finds a fresh context warm fails every variant, since no sample would be
//! cold. A variant whose load fails stops there and the others go on, unless the browser
//! died during cold init, which fails every variant it had left. A scenario that fails on a
//! variant fails only that scenario's metric there. A page that stopped is classified by
//! where: a module that does not compile or instantiate is bad input (exit 2), a scenario
//! that reports an error code broke its invariant, anything else trapped. A host app whose
//! page fails, or answers its first call differently from before, fails that host only.
//!
//! Given the gate's limits (`stopping`), a variant's cold init and a host app's page stop
//! being loaded once their value stands clear of every limit at a planned look
//! (`early_stop.rs`); the look is recorded in the run.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::browser::{BrowserIdentity, CacheCanary, CanaryPhase, CanaryVerdict, EnvironmentRun, Phases, Sample};
use crate::browser_schedule::{EnvironmentPlan, Probe, TimedScenario, Visit, Work};
use crate::corpus::BrowserProtocol;
use crate::early_stop::{EarlyStops, StopPlan};
use crate::host::HostApp;
use crate::host_run::{HostRun, HostSample};
use crate::policy::VariantKind;
use crate::runtime::{Figures, RunError, RunErrorKind};
use crate::sequential::{Look, Standing, Statistic};
use crate::unit::Unit;

/// How one page load ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The JSON text the probe's harness returned: what it measured, or where the page
    /// stopped.
    Returned(String),
    /// The load did not complete (the protocol's or the browser's error). `browser_exited`
    /// holds the browser's last stderr lines ("" when none) when it has exited.
    Failed { error: RunError, browser_exited: Option<String> },
}

/// Why a host app is not loaded.
#[derive(Debug, Clone, PartialEq)]
pub enum Unavailable {
    /// Its install or build failed: its metrics fail.
    Failed(RunError),
    /// The run left it out (`--host`): its metrics are skipped.
    LeftOut(String),
}

/// The variants' runs of one environment while its schedule runs.
pub struct Sampling {
    variants: Vec<VariantKind>,
    runs: Vec<EnvironmentRun>,
    timed: Vec<TimedScenario>,
    browser: BrowserIdentity,
    canary: CanaryRecord,
    /// The canary failed: nothing more is loaded.
    stopped: bool,
    /// Per variant, each seed's cold-init samples (the warm-up discarded).
    samples: Vec<Vec<(u64, Vec<Sample>)>>,
    /// Per variant, whether every kept sample's page was cross-origin isolated.
    isolated: Vec<bool>,
    /// Per variant and timed metric, its batches.
    batches: Vec<BTreeMap<String, SeedBatches>>,
    /// The variants the host apps load.
    host_variants: Vec<VariantKind>,
    /// Those whose loads feed the host metrics (the others give figures only).
    gated_host_variants: Vec<VariantKind>,
    /// How many times each host app's page is loaded, at most.
    host_samples: u32,
    /// How many seeds the cold-init samples span.
    seeds: usize,
    /// The most cold-init samples a seed keeps (the protocol's; `None` before `stopping`):
    /// loads of another schedule (`perf --compare`'s pairing) may fill a seed first.
    cold_cap: Option<usize>,
    /// Per variant, where its cold init may stop early (where it did: its run's look).
    cold_plans: Vec<Option<StopPlan>>,
    /// Per variant and host app, where its page may stop early (where it did: the host's look).
    host_plans: BTreeMap<(VariantKind, HostApp), StopPlan>,
}

/// Each seed's batches of one scenario, in ns per operation.
type SeedBatches = Vec<(u64, Vec<f64>)>;

/// The canary's phase times so far: two rounds in one page, then one per fresh context.
struct CanaryRecord {
    phase: CanaryPhase,
    ms: Vec<f64>,
}

/// What the cold-init harness measures in one page load.
#[derive(Deserialize)]
pub(crate) struct Loaded {
    isolated: bool,
    pub rounds: Vec<Round>,
}

/// One round of the cold-init harness: its phases and what the first call answered.
#[derive(Deserialize)]
pub(crate) struct Round {
    #[serde(flatten)]
    pub sample: Sample,
    pub answer: String,
}

/// What the operation harness measures in one page load.
#[derive(Deserialize)]
pub(crate) struct TimedBatches {
    ops_per_batch: u32,
    pub batch_ms: Vec<f64>,
}

impl TimedBatches {
    /// Each batch's time per operation, in ns.
    pub fn per_op_ns(&self) -> Vec<f64> {
        self.batch_ms.iter().map(|ms| ms * 1e6 / f64::from(self.ops_per_batch.max(1))).collect()
    }
}

/// What the operation harness measures in one page load under memory pressure: linear
/// memory after each sampled operation and, where the browser has it, its own measure of
/// the page's memory after them.
#[derive(Deserialize)]
struct MemorySamples {
    linear_bytes: Vec<f64>,
    ua_bytes: Option<u64>,
    ua_unavailable: Option<String>,
}

/// What a host app's page leaves in `window.__wasmProbe` (the page contract).
#[derive(Deserialize)]
struct HostProbe {
    control: bool,
    ready_ms: Option<f64>,
    init_ms: Option<f64>,
    first_call_ms: Option<f64>,
    answer: Option<String>,
    error: Option<String>,
}

/// A harness's answer: what it measured, or where the page stopped.
#[derive(Deserialize)]
struct Page<T> {
    #[serde(flatten)]
    measured: T,
    error: Option<PageError>,
}

#[derive(Deserialize)]
struct PageError {
    phase: String,
    message: String,
}

impl Sampling {
    /// `variants` in the order the schedule interleaves them, on `browser` started with
    /// `command_line`.
    pub fn new(
        plan: &EnvironmentPlan,
        variants: &[VariantKind],
        browser: &BrowserIdentity,
        command_line: &str,
    ) -> Sampling {
        let started = EnvironmentRun {
            browser: Some(browser.clone()),
            command_line: Some(command_line.to_owned()),
            ..plan.planned.clone()
        };
        Sampling {
            variants: variants.to_vec(),
            runs: variants.iter().map(|_| started.clone()).collect(),
            timed: plan.timed.clone(),
            browser: browser.clone(),
            canary: CanaryRecord { phase: plan.canary_phase, ms: Vec::new() },
            stopped: false,
            samples: variants.iter().map(|_| Vec::new()).collect(),
            isolated: vec![true; variants.len()],
            batches: variants.iter().map(|_| BTreeMap::new()).collect(),
            host_variants: plan.hosts.as_ref().map(|h| h.variants.clone()).unwrap_or_default(),
            gated_host_variants: plan.hosts.as_ref().map(|h| h.gated_variants.clone()).unwrap_or_default(),
            host_samples: plan.hosts.as_ref().map_or(0, |h| h.samples),
            seeds: 0,
            cold_cap: None,
            cold_plans: variants.iter().map(|_| None).collect(),
            host_plans: BTreeMap::new(),
        }
    }

    /// Stops each cell's sampling once its value stands clear of `stops`' limits: cold init
    /// over `seeds` seeds of up to the protocol's samples, each host app's page up to the
    /// hosts' samples.
    pub fn stopping(mut self, stops: &EarlyStops, protocol: &BrowserProtocol, seeds: usize) -> Sampling {
        let p95 = Statistic::MedianOfSeedP95s;
        let cap = protocol.samples_per_seed as usize;
        self.seeds = seeds;
        self.cold_cap = Some(cap);
        self.cold_plans = self
            .runs
            .iter()
            .zip(&self.variants)
            .map(|(r, &v)| stops.plan(&r.metric, v, Unit::Millis, cap, p95))
            .collect();
        for (run, &variant) in self.runs.iter().zip(&self.variants) {
            for host in &run.hosts {
                let samples = self.host_samples as usize;
                if let Some(plan) = stops.plan(&host.metric, variant, Unit::Millis, samples, Statistic::Median) {
                    self.host_plans.insert((variant, host.app), plan);
                }
            }
        }
        self
    }

    /// Host app `app` cannot be loaded on `variant` (its build failed, or the run left it
    /// out): its pages are not visited, and its run says why.
    pub fn host_unavailable(&mut self, variant: VariantKind, app: HostApp, why: Unavailable) {
        let Some(i) = self.variants.iter().position(|v| *v == variant) else { return };
        if let Some(host) = self.runs[i].hosts.iter_mut().find(|h| h.app == app) {
            match why {
                Unavailable::Failed(e) => host.error = Some(e),
                Unavailable::LeftOut(why) => host.left_out = Some(why),
            }
        }
    }

    /// The canary failed: nothing more is loaded (and the browser may be hung).
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Whether `visit` is still worth its page load: not after a failed canary, nor for a
    /// variant (or a variant's scenario) that has failed or stopped, nor a cold-init sample
    /// of a seed that has its protocol's samples.
    pub fn wants(&self, visit: &Visit) -> bool {
        if self.stopped {
            return false;
        }
        // The canary loads its own module, no variant's.
        let Some(i) = self.variants.iter().position(|v| Some(*v) == visit.variant) else {
            return visit.variant.is_none();
        };
        let run = &self.runs[i];
        match &visit.probe {
            Probe::Operation { metric, .. } => {
                run.error.is_none() && run.operations.iter().any(|o| o.metric == *metric && o.error.is_none())
            }
            Probe::Canary { .. } => run.error.is_none(),
            Probe::ColdInit { .. } => {
                let kept = self.samples[i].iter().find(|(seed, _)| *seed == visit.seed).map_or(0, |(_, s)| s.len());
                let full = !visit.warm_up && self.cold_cap.is_some_and(|cap| kept >= cap);
                run.error.is_none() && !stopped_at(&run.cold_init_look) && !full
            }
            Probe::Host { app, .. } => {
                run.error.is_none()
                    && run
                        .hosts
                        .iter()
                        .any(|h| h.app == *app && h.error.is_none() && h.left_out.is_none() && !stopped_at(&h.look))
            }
        }
    }

    /// Folds what `visit`'s page load came to into the runs.
    pub fn record(&mut self, visit: &Visit, outcome: Outcome) {
        match &visit.probe {
            Probe::Canary { rounds } => self.record_canary(*rounds, outcome),
            Probe::ColdInit { .. } => self.record_cold_init(visit, outcome),
            Probe::Operation { metric, work: Work::Timed(_), .. } => self.record_operation(visit, metric, outcome),
            Probe::Operation { metric, work: Work::Memory { sampled, .. }, .. } => {
                self.record_memory(visit, metric, *sampled, outcome)
            }
            Probe::Host { app, control } => self.record_host(visit, *app, *control, outcome),
        }
    }

    /// The runs, in the order of the variants: the phases of every variant still standing,
    /// and each timed scenario's figures on the variants it runs on.
    pub fn finish(mut self) -> Vec<EnvironmentRun> {
        if self.stopped {
            return self.runs;
        }
        for (i, run) in self.runs.iter_mut().enumerate() {
            if run.error.is_none() {
                run.phases = Phases::of(&self.samples[i], self.isolated[i]);
            }
            let variant = self.variants[i];
            let runs_on =
                |metric: &str| self.timed.iter().any(|t| t.operation.metric == metric && t.variants.contains(&variant));
            run.operations.retain(|o| runs_on(&o.metric));
            // A stopped environment's hosts say nothing of their own: its error is theirs.
            let stopped = run.error.is_some();
            for host in &mut run.hosts {
                if !self.host_variants.contains(&variant) {
                    host.left_out =
                        Some(format!("the corpus's hosts section does not load the {} variant", variant.as_str()));
                } else if !self.gated_host_variants.contains(&variant) && host.left_out.is_none() {
                    host.figures_only = Some(format!(
                        "the corpus's hosts section does not gate the {} variant here: --all-cells loaded it for \
                         its figures",
                        variant.as_str()
                    ));
                }
                if !stopped {
                    host.conclude();
                }
            }
        }
        for t in &self.timed {
            let metric = &t.operation.metric;
            for (run, batches) in self.runs.iter_mut().zip(&self.batches) {
                if let Some(op) = run.operations.iter_mut().find(|o| o.metric == *metric && o.error.is_none()) {
                    let samples = batches.get(metric).map(Vec::as_slice).unwrap_or_default();
                    match t.memory {
                        Some(_) => op.linear_memory = Figures::of(Unit::Bytes, samples),
                        None => op.per_op = Figures::of(Unit::Nanos, samples),
                    }
                }
            }
        }
        self.runs
    }

    fn record_canary(&mut self, rounds: u32, outcome: Outcome) {
        let loaded = match outcome {
            Outcome::Returned(text) => answer::<Loaded>(&self.browser, "harness", &text),
            Outcome::Failed { error, .. } => Err(error),
        };
        let loaded = loaded.and_then(|l| match l.rounds.len() == rounds as usize {
            true => Ok(l),
            false => Err(RunError::environment(format!(
                "the harness returned {} rounds of the cache canary, not {rounds}",
                l.rounds.len()
            ))),
        });
        let l = match loaded {
            Ok(l) => l,
            Err(e) => {
                for r in &mut self.runs {
                    r.error = Some(e.clone());
                }
                self.stopped = true;
                return;
            }
        };
        let phase = self.canary.phase;
        self.canary.ms.extend(l.rounds.iter().map(|r| phase.of(&r.sample)));
        if let [same_0, same_1, fresh_a, fresh_b] = self.canary.ms[..] {
            let canary = CacheCanary::judge(self.canary.phase, [same_0, same_1], [fresh_a, fresh_b]);
            let warm = canary.verdict == CanaryVerdict::Warm;
            for r in &mut self.runs {
                r.cache_canary = Some(canary);
                if warm {
                    r.error = Some(RunError::environment(format!(
                        "the cache canary found a fresh context warm (fresh contexts {fresh_a:.1} and {fresh_b:.1} ms; \
                         the page {same_0:.1} ms cold, {same_1:.1} ms from its cache): the samples would not be cold"
                    )));
                }
            }
        }
    }

    fn record_cold_init(&mut self, visit: &Visit, outcome: Outcome) {
        let Some(i) = self.variants.iter().position(|v| Some(*v) == visit.variant) else { return };
        let (loaded, browser_exited) = match outcome {
            Outcome::Returned(text) => (answer::<Loaded>(&self.browser, "harness", &text), None),
            Outcome::Failed { error, browser_exited } => (Err(error), browser_exited),
        };
        // The first call's answer must not change between loads: a call that answers
        // differently is not the same call.
        let loaded = loaded.and_then(|l| {
            let expected = self.runs[i].answer.as_deref().or(l.rounds.first().map(|r| r.answer.as_str()));
            match l.rounds.iter().find(|r| Some(r.answer.as_str()) != expected) {
                Some(r) => Err(RunError {
                    kind: RunErrorKind::Invariant,
                    message: format!("the first call answered {:?}, before {:?}", r.answer, expected.unwrap_or("")),
                }),
                None => Ok(l),
            }
        });
        match loaded {
            Ok(l) => {
                if let Some(r) = l.rounds.first() {
                    self.runs[i].answer = Some(r.answer.clone());
                }
                if visit.warm_up {
                    return;
                }
                self.isolated[i] &= l.isolated;
                let samples = l.rounds.into_iter().map(|r| r.sample);
                match self.samples[i].iter_mut().find(|(seed, _)| *seed == visit.seed) {
                    Some((_, kept)) => kept.extend(samples),
                    None => self.samples[i].push((visit.seed, samples.collect())),
                }
                self.look_at_cold_init(i);
            }
            Err(e) => {
                self.runs[i].error = Some(of_variant(self.variants[i], e));
                if let Some(tail) = browser_exited {
                    for r in self.runs.iter_mut().filter(|r| r.error.is_none()) {
                        r.error = Some(RunError::environment(format!(
                            "the browser exited before this variant was measured{tail}"
                        )));
                    }
                }
            }
        }
    }

    fn record_operation(&mut self, visit: &Visit, metric: &str, outcome: Outcome) {
        let Some(i) = self.variants.iter().position(|v| Some(*v) == visit.variant) else { return };
        let timed = match outcome {
            Outcome::Returned(text) => answer::<TimedBatches>(&self.browser, "operation harness", &text),
            // A browser that died fails the scenarios still to come one by one, each naming its exit.
            Outcome::Failed { error, .. } => Err(error),
        };
        let variant = self.variants[i];
        let Some(op) = self.runs[i].operations.iter_mut().find(|o| o.metric == metric) else { return };
        match timed {
            Ok(b) => {
                op.ops_per_batch.push((visit.seed, b.ops_per_batch));
                self.batches[i].entry(metric.to_owned()).or_default().push((visit.seed, b.per_op_ns()));
            }
            Err(e) => op.error = Some(of_variant(variant, e)),
        }
    }
}

impl Sampling {
    fn record_memory(&mut self, visit: &Visit, metric: &str, sampled: u32, outcome: Outcome) {
        let Some(i) = self.variants.iter().position(|v| Some(*v) == visit.variant) else { return };
        let samples = match outcome {
            Outcome::Returned(text) => answer::<MemorySamples>(&self.browser, "operation harness", &text),
            Outcome::Failed { error, .. } => Err(error),
        };
        let samples = samples.and_then(|m| match m.linear_bytes.len() == sampled as usize {
            true => Ok(m),
            false => Err(RunError::environment(format!(
                "the harness returned {} samples of linear memory, not {sampled}",
                m.linear_bytes.len()
            ))),
        });
        let variant = self.variants[i];
        let Some(op) = self.runs[i].operations.iter_mut().find(|o| o.metric == metric) else { return };
        match samples {
            Ok(m) => {
                match (m.ua_bytes, m.ua_unavailable) {
                    (Some(bytes), _) => op.ua_memory_bytes.push((visit.seed, bytes)),
                    (None, why) => op.ua_memory_unavailable = why.or(Some("the page reported nothing".into())),
                }
                self.batches[i].entry(metric.to_owned()).or_default().push((visit.seed, m.linear_bytes));
            }
            Err(e) => op.error = Some(of_variant(variant, e)),
        }
    }

    /// A look at variant `i`'s cold init, where every seed's samples complete one.
    fn look_at_cold_init(&mut self, i: usize) {
        let Some(plan) = &self.cold_plans[i] else { return };
        if self.samples[i].len() < self.seeds {
            return;
        }
        let totals: Vec<Vec<f64>> =
            self.samples[i].iter().map(|(_, s)| s.iter().map(Sample::total).collect()).collect();
        if totals.iter().any(|t| t.len() != totals[0].len()) {
            return;
        }
        if let Some(look) = plan.look(&totals) {
            self.runs[i].cold_init_look = Some(look);
        }
    }

    fn record_host(&mut self, visit: &Visit, app: HostApp, control: bool, outcome: Outcome) {
        let Some(i) = self.variants.iter().position(|v| Some(*v) == visit.variant) else { return };
        let variant = self.variants[i];
        let Some(host) = self.runs[i].hosts.iter_mut().find(|h| h.app == app) else { return };
        if let Err(e) = fold_host_page(host, control, visit.warm_up, outcome) {
            host.error = Some(of_variant(variant, e));
            return;
        }
        // A look once the page and its control have as many samples (a round is both).
        let Some(plan) = self.host_plans.get(&(variant, app)) else { return };
        if visit.warm_up || host.samples.len() != host.control_ready_ms.len() {
            return;
        }
        let ready: Vec<f64> = host.samples.iter().map(|s| s.ready_ms).collect();
        if let Some(look) = plan.look(&[ready]) {
            host.look = Some(look);
        }
    }
}

/// Whether sampling stopped at `look` (a look that settled the value, or the cap's).
fn stopped_at(look: &Option<Look<Standing>>) -> bool {
    look.as_ref().is_some_and(|l| l.stop)
}

/// Folds one load of a host app's page (or its `control` page) into its run: its figures
/// unless a `warm_up`, and its answer, which must not change between loads.
fn fold_host_page(host: &mut HostRun, control: bool, warm_up: bool, outcome: Outcome) -> Result<(), RunError> {
    let page = if control { "control page" } else { "page" };
    let fail = |message: String| Err(RunError::environment(message));
    let probe = match outcome {
        Outcome::Returned(text) => serde_json::from_str::<HostProbe>(&text)
            .map_err(|e| RunError::environment(format!("the host harness returned {text}: {e}")))?,
        Outcome::Failed { error, .. } => return fail(format!("the {page} did not load: {}", error.message)),
    };
    if let Some(e) = probe.error {
        return Err(RunError { kind: RunErrorKind::Trap, message: format!("the {page} threw: {e}") });
    }
    if probe.control != control {
        return fail(format!("the {page} reported control = {}", probe.control));
    }
    let Some(ready_ms) = probe.ready_ms else { return fail(format!("the {page} reported no ready_ms")) };
    if control {
        if !warm_up {
            host.control_ready_ms.push(ready_ms);
        }
        return Ok(());
    }
    let (Some(init_ms), Some(first_call_ms), Some(answer)) = (probe.init_ms, probe.first_call_ms, probe.answer) else {
        return fail("the page reported no init_ms, first_call_ms or answer".to_owned());
    };
    if let Some(before) = host.answer.as_ref().filter(|before| **before != answer) {
        return fail(format!("the first call answered {answer:?}, before {before:?}"));
    }
    host.answer = Some(answer);
    if !warm_up {
        host.samples.push(HostSample { ready_ms, init_ms, first_call_ms });
    }
    Ok(())
}

/// `e`, its message saying which variant it happened to.
fn of_variant(variant: VariantKind, e: RunError) -> RunError {
    RunError { message: format!("{} variant: {}", variant.as_str(), e.message), ..e }
}

/// What the `harness` measured, from the JSON `text` it returned; a page that stopped is an
/// error classified by where it stopped.
pub(crate) fn answer<T: DeserializeOwned>(browser: &BrowserIdentity, harness: &str, text: &str) -> Result<T, RunError> {
    let page: Page<T> =
        serde_json::from_str(text).map_err(|e| RunError::environment(format!("the {harness} returned {text}: {e}")))?;
    let Some(e) = page.error else { return Ok(page.measured) };
    let kind = match e.phase.as_str() {
        "compile" | "instantiate" => RunErrorKind::Input,
        "status" => RunErrorKind::Invariant,
        _ => RunErrorKind::Trap,
    };
    Err(RunError { kind, message: format!("{} refused it at {}: {}", browser.name, e.phase, e.message) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser_schedule::HostCells;
    use crate::browser_schedule::tests::{plan, protocol};
    use VariantKind::{Dev, Release};

    fn chromium() -> BrowserIdentity {
        BrowserIdentity::new("Chromium", "156.0.8078.114", "V8 15.6").unwrap()
    }

    /// A cold-init page's answer: `first_calls` one round each (fetch + compile 10, instantiate 1).
    fn loaded(first_calls: &[f64]) -> Outcome {
        let rounds: Vec<String> = first_calls
            .iter()
            .map(|f| format!(r#"{{"fetch_compile": 10.0, "instantiate": 1.0, "first_call": {f}, "answer": "1"}}"#))
            .collect();
        Outcome::Returned(format!(r#"{{"isolated": true, "rounds": [{}]}}"#, rounds.join(",")))
    }

    /// Runs `schedule`'s visits the sampling wants, each answered by `answer`.
    fn sample(
        p: &EnvironmentPlan,
        visits: &[Visit],
        variants: &[VariantKind],
        mut answer: impl FnMut(&Visit) -> Outcome,
    ) -> (Vec<EnvironmentRun>, usize) {
        let mut sampling = Sampling::new(p, variants, &chromium(), "chromium --headless");
        let mut loads = 0;
        for visit in visits {
            if sampling.wants(visit) {
                loads += 1;
                sampling.record(visit, answer(visit));
            }
        }
        (sampling.finish(), loads)
    }

    /// A plan whose environment loads `hosts` (each app and the metric it feeds) `samples`
    /// times on `variants`, gating `gated`.
    fn with_hosts(
        hosts: &[(HostApp, &str)],
        variants: &[VariantKind],
        gated: &[VariantKind],
        samples: u32,
    ) -> EnvironmentPlan {
        let cells = HostCells {
            apps: hosts.iter().map(|(a, _)| *a).collect(),
            variants: variants.to_vec(),
            samples,
            gated_variants: gated.to_vec(),
        };
        let runs = hosts.iter().map(|(a, metric)| crate::host_run::HostRun::planned(*a, metric)).collect();
        EnvironmentPlan {
            hosts: Some(cells),
            planned: EnvironmentRun { hosts: runs, ..plan(&[]).planned },
            ..plan(&[])
        }
    }

    fn all(s: &crate::browser_schedule::Schedule) -> Vec<Visit> {
        [s.canary.clone(), s.cold_init.clone(), s.hosts.clone(), s.operations.clone()].concat()
    }

    /// The canary's answers: a cache in one page (40 then 0.2 ms), cold fresh contexts.
    fn cold_canary(visit: &Visit) -> Option<Outcome> {
        match visit.probe {
            Probe::Canary { rounds: 2 } => Some(loaded(&[40.0, 0.2])),
            Probe::Canary { .. } => Some(loaded(&[38.0])),
            _ => None,
        }
    }

    #[test]
    fn kept_samples_are_grouped_per_seed_and_batches_become_ns_per_operation() {
        let p = plan(&[("M-OP", "search", &[Release])]);
        let s = p.schedule(&protocol(1, 2), &[11, 29], &[Dev, Release]);
        let (runs, loads) = sample(&p, &all(&s), &[Dev, Release], |v| {
            cold_canary(v).unwrap_or_else(|| match (&v.probe, v.warm_up) {
                // A warm-up load's figures would stand out if they were kept.
                (Probe::ColdInit { .. }, true) => loaded(&[1000.0]),
                (Probe::ColdInit { .. }, false) => loaded(&[v.seed as f64]),
                _ => Outcome::Returned(r#"{"ops_per_batch": 1000, "batch_ms": [2.0, 3.0]}"#.into()),
            })
        });
        assert_eq!(loads, 3 + 10 + 2);
        for run in &runs {
            assert_eq!(run.cache_canary.map(|c| c.verdict), Some(CanaryVerdict::Cold));
            let total = &run.phases.as_ref().unwrap().total;
            let seeds: Vec<(u64, f64)> = total.seeds.iter().map(|s| (s.seed, s.distribution.p50)).collect();
            assert_eq!(seeds, [(11, 22.0), (29, 40.0)], "two samples a seed, the warm-up discarded");
        }
        assert_eq!(runs[0].operations, [], "the scenario runs on release only");
        let op = &runs[1].operations[0];
        assert_eq!(op.ops_per_batch, [(11, 1000), (29, 1000)]);
        let per_op = op.per_op.as_ref().unwrap();
        assert_eq!((per_op.unit, per_op.seeds[0].distribution.p50), (Unit::Nanos, 2500.0));
    }

    #[test]
    fn a_cell_clear_of_its_limits_stops_at_a_look_and_one_near_a_limit_samples_to_the_cap() {
        let p = with_hosts(&[(HostApp::React, "M-HOST")], &[Release], &[Release], 4);
        let s = p.schedule(&protocol(0, 4), &[11, 29, 42], &[Dev, Release]);
        // Dev's cold init (16 ms) is far below its limits; release's (21 ms) is near 20. The
        // React page (100 ms) is far below its 500.
        let limits = |v, l: Vec<f64>| (("M-COLD".to_owned(), v), (Unit::Millis, l));
        let stops = EarlyStops::new(BTreeMap::from([
            limits(Dev, vec![60.0, 90.0]),
            limits(Release, vec![20.0, 90.0]),
            (("M-HOST".to_owned(), Release), (Unit::Millis, vec![500.0])),
        ]));
        let mut sampling =
            Sampling::new(&p, &[Dev, Release], &chromium(), "chromium").stopping(&stops, &protocol(0, 4), 3);
        let mut loads = BTreeMap::new();
        for visit in all(&s) {
            if sampling.wants(&visit) {
                *loads.entry(format!("{:?} {:?}", visit.variant, std::mem::discriminant(&visit.probe))).or_insert(0) +=
                    1;
                let outcome = cold_canary(&visit).unwrap_or_else(|| match (&visit.probe, visit.variant) {
                    (Probe::Host { control, .. }, _) => Outcome::Returned(format!(
                        r#"{{"control": {control}, "ready_ms": 100.0, "init_ms": 20.0, "first_call_ms": 1.5, "answer": "2"}}"#
                    )),
                    (_, Some(Dev)) => loaded(&[5.0]),
                    _ => loaded(&[9.0 + (visit.seed % 3) as f64]),
                });
                sampling.record(&visit, outcome);
            }
        }
        let runs = sampling.finish();
        let dev = runs[0].cold_init_look.as_ref().unwrap();
        assert_eq!((dev.decision, dev.look, dev.looks, dev.samples_per_seed), (Standing::Below, 1, 2, 2));
        assert_eq!(runs[0].phases.as_ref().unwrap().total.seeds[0].distribution.n, 2, "two samples a seed");
        let release = runs[1].cold_init_look.as_ref().unwrap();
        assert_eq!((release.decision, release.look, release.samples_per_seed), (Standing::Undecided, 2, 4));
        let react = &runs[1].hosts[0];
        assert_eq!(react.look.as_ref().map(|l| (l.decision, l.samples_per_seed)), Some((Standing::Below, 2)));
        assert_eq!((react.samples.len(), react.control_ready_ms.len()), (2, 2), "a round is the page and its control");
        let without = Sampling::new(&p, &[Dev, Release], &chromium(), "chromium").stopping(
            &EarlyStops::none(),
            &protocol(0, 4),
            3,
        );
        assert_eq!(without.cold_plans, [None, None]);
        assert_eq!(loads.values().sum::<u32>(), 3 + 3 * 2 + 3 * 4 + 1 + 2 * 2, "{loads:?}");
    }

    #[test]
    fn loads_of_another_order_fill_each_seed_to_its_protocols_samples_and_the_schedule_the_rest() {
        // `perf --compare`'s pairing loads release's head seed by seed, more than the
        // protocol's 4 a seed; the plain schedule then samples only dev.
        let p = plan(&[]);
        let s = p.schedule(&protocol(0, 4), &[11, 29], &[Dev, Release]);
        let stops = EarlyStops::new(BTreeMap::from([(("M-COLD".to_owned(), Dev), (Unit::Millis, vec![90.0]))]));
        let mut sampling =
            Sampling::new(&p, &[Dev, Release], &chromium(), "chromium").stopping(&stops, &protocol(0, 4), 2);
        let visit = |seed| Visit { seed, ..s.cold_init.iter().find(|v| v.variant == Some(Release)).unwrap().clone() };
        let mut paired = 0;
        for seed in [11, 29] {
            for _ in 0..8 {
                if sampling.wants(&visit(seed)) {
                    paired += 1;
                    sampling.record(&visit(seed), loaded(&[2.0]));
                }
            }
        }
        assert_eq!(paired, 8, "4 a seed, the protocol's");
        let mut plain = Vec::new();
        for v in all(&s) {
            if sampling.wants(&v) {
                sampling.record(&v, cold_canary(&v).unwrap_or_else(|| loaded(&[2.0])));
                plain.extend(v.variant);
            }
        }
        assert_eq!(plain, [Dev, Dev, Dev, Dev], "dev stops at its first look, 2 a seed; release is full");
        let runs = sampling.finish();
        assert_eq!(
            runs[1].phases.as_ref().unwrap().total.seeds.iter().map(|s| s.distribution.n).collect::<Vec<_>>(),
            [4, 4]
        );
        assert_eq!(runs[1].cold_init_look, None, "release has no early stop planned: gated at its cap");
        assert_eq!(runs[0].cold_init_look.as_ref().map(|l| l.samples_per_seed), Some(2));
    }

    #[test]
    fn a_first_call_that_answers_differently_fails_its_variant_alone() {
        let p = plan(&[]);
        let s = p.schedule(&protocol(1, 2), &[11], &[Dev, Release]);
        let mut release_loads = 0;
        let (runs, _) = sample(&p, &all(&s), &[Dev, Release], |v| {
            cold_canary(v).unwrap_or_else(|| {
                if v.variant == Some(Release) {
                    release_loads += 1;
                }
                // Release's warm-up and first sample answer "1", the next one "2".
                let answer = if release_loads == 3 { "2" } else { "1" };
                let round = format!(
                    r#"{{"fetch_compile": 10.0, "instantiate": 1.0, "first_call": 2.0, "answer": "{answer}"}}"#
                );
                Outcome::Returned(format!(r#"{{"isolated": true, "rounds": [{round}]}}"#))
            })
        });
        assert_eq!((runs[0].error.as_ref(), runs[0].answer.as_deref()), (None, Some("1")));
        let e = runs[1].error.as_ref().unwrap();
        assert_eq!(e.kind, RunErrorKind::Invariant);
        assert!(e.message.contains(r#"the first call answered "2", before "1""#), "{e:?}");
    }

    #[test]
    fn a_warm_canary_fails_every_variant_and_nothing_more_is_loaded() {
        let p = plan(&[("M-OP", "search", &[Dev])]);
        let s = p.schedule(&protocol(1, 2), &[11], &[Dev, Release]);
        let (runs, loads) = sample(&p, &all(&s), &[Dev, Release], |v| match v.probe {
            Probe::Canary { rounds: 2 } => loaded(&[40.0, 0.2]),
            Probe::Canary { .. } => loaded(&[0.3]),
            _ => panic!("no sample after a warm canary: {v:?}"),
        });
        assert_eq!(loads, 3);
        for run in &runs {
            assert_eq!(run.cache_canary.map(|c| c.verdict), Some(CanaryVerdict::Warm));
            assert!(run.error.as_ref().is_some_and(|e| e.message.contains("found a fresh context warm")), "{run:?}");
            assert_eq!(run.phases, None);
        }
        assert_eq!(runs[0].operations.len(), 1);
        assert_eq!(runs[1].operations.len(), 0);
    }

    #[test]
    fn a_failed_canary_stops_the_environment_with_its_error() {
        let p = plan(&[("M-OP", "search", &[Dev])]);
        let s = p.schedule(&protocol(1, 2), &[11], &[Dev, Release]);
        let hung = RunError::environment("Runtime.evaluate: timed out");
        let mut sampling = Sampling::new(&p, &[Dev, Release], &chromium(), "chromium");
        sampling.record(&s.canary[0], Outcome::Failed { error: hung.clone(), browser_exited: None });
        assert!(sampling.stopped() && !all(&s).iter().any(|v| sampling.wants(v)));
        let runs = sampling.finish();
        for run in &runs {
            assert_eq!((run.error.as_ref(), run.cache_canary), (Some(&hung), None));
            // Every timed scenario stays listed, as on an environment that never started.
            assert_eq!(run.operations.len(), 1);
        }
    }

    #[test]
    fn a_page_that_stopped_fails_its_variant_classified_by_where_and_the_others_go_on() {
        let p = plan(&[]);
        let s = p.schedule(&protocol(0, 1), &[11], &[Dev, Release]);
        let (runs, _) = sample(&p, &all(&s), &[Dev, Release], |v| {
            cold_canary(v).unwrap_or_else(|| match v.variant {
                Some(Dev) => Outcome::Returned(
                    r#"{"isolated": true, "rounds": [], "error": {"phase": "compile", "message": "CompileError"}}"#
                        .into(),
                ),
                _ => loaded(&[5.0]),
            })
        });
        let e = runs[0].error.as_ref().unwrap();
        assert_eq!(e.kind, RunErrorKind::Input);
        assert_eq!(e.message, "dev variant: Chromium refused it at compile: CompileError");
        assert!(runs[1].error.is_none() && runs[1].phases.is_some());
        let cases = [
            ("instantiate", RunErrorKind::Input),
            ("status", RunErrorKind::Invariant),
            ("first_call", RunErrorKind::Trap),
        ];
        for (phase, kind) in cases {
            let text =
                format!(r#"{{"isolated": true, "rounds": [], "error": {{"phase": "{phase}", "message": "m"}}}}"#);
            assert_eq!(answer::<Loaded>(&chromium(), "harness", &text).err().map(|e| e.kind), Some(kind), "{phase}");
        }
        let garbled = answer::<Loaded>(&chromium(), "harness", "undefined").err().unwrap();
        assert!(
            garbled.kind == RunErrorKind::Environment && garbled.message.starts_with("the harness returned undefined")
        );
    }

    #[test]
    fn a_browser_that_dies_during_cold_init_fails_every_variant_it_had_left() {
        let p = plan(&[]);
        let s = p.schedule(&protocol(0, 1), &[11], &[Dev, Release]);
        let (runs, loads) = sample(&p, &all(&s), &[Dev, Release], |v| {
            cold_canary(v).unwrap_or_else(|| Outcome::Failed {
                error: RunError::environment("the browser exited (signal: 9)"),
                browser_exited: Some("; its stderr ended with: x".into()),
            })
        });
        assert_eq!(loads, 4, "the release load is not attempted");
        assert_eq!(runs[0].error.as_ref().unwrap().message, "dev variant: the browser exited (signal: 9)");
        assert_eq!(
            runs[1].error.as_ref().unwrap().message,
            "the browser exited before this variant was measured; its stderr ended with: x"
        );
    }

    #[test]
    fn a_scenario_that_fails_on_a_variant_fails_only_there() {
        let p = plan(&[("M-OP", "search", &[Dev, Release])]);
        let s = p.schedule(&protocol(0, 1), &[11, 29], &[Dev, Release]);
        let (runs, loads) = sample(&p, &all(&s), &[Dev, Release], |v| {
            cold_canary(v).unwrap_or_else(|| match (&v.probe, v.variant) {
                (Probe::Operation { .. }, Some(Dev)) => Outcome::Failed {
                    error: RunError { kind: RunErrorKind::Trap, message: "unreachable".into() },
                    browser_exited: None,
                },
                (Probe::Operation { .. }, _) => Outcome::Returned(r#"{"ops_per_batch": 4, "batch_ms": [2.0]}"#.into()),
                _ => loaded(&[5.0]),
            })
        });
        assert_eq!(loads, 3 + 4 + 3, "dev's second seed is not timed");
        assert!(runs[0].error.is_none() && runs[0].phases.is_some());
        let failed = &runs[0].operations[0];
        assert_eq!(
            (failed.error.as_ref().map(|e| e.message.as_str()), &failed.per_op),
            (Some("dev variant: unreachable"), &None)
        );
        assert_eq!(runs[1].operations[0].per_op.as_ref().map(|f| f.seeds.len()), Some(2));
    }

    #[test]
    fn memory_samples_become_linear_memory_figures_and_a_short_page_fails_its_variant() {
        let mut p = plan(&[("M-MEM", "grow", &[Dev, Release])]);
        p.timed[0].memory = Some(Work::Memory { warm_up: 2, sampled: 3 });
        let s = p.schedule(&protocol(0, 1), &[11, 29], &[Dev, Release]);
        let (runs, _) = sample(&p, &all(&s), &[Dev, Release], |v| {
            cold_canary(v).unwrap_or_else(|| match (&v.probe, v.variant, v.seed) {
                (Probe::Operation { .. }, Some(Dev), _) => Outcome::Returned(
                    r#"{"linear_bytes": [65536, 65536], "ua_bytes": null, "ua_unavailable": null}"#.into(),
                ),
                (Probe::Operation { .. }, _, 11) => Outcome::Returned(
                    r#"{"linear_bytes": [65536, 131072, 131072], "ua_bytes": 2000000, "ua_unavailable": null}"#.into(),
                ),
                (Probe::Operation { .. }, _, _) => Outcome::Returned(
                    r#"{"linear_bytes": [65536, 65536, 65536], "ua_bytes": null, "ua_unavailable": "not isolated"}"#
                        .into(),
                ),
                _ => loaded(&[5.0]),
            })
        });
        let dev = &runs[0].operations[0];
        assert_eq!(
            dev.error.as_ref().map(|e| e.message.as_str()),
            Some("dev variant: the harness returned 2 samples of linear memory, not 3")
        );
        let release = &runs[1].operations[0];
        let memory = release.linear_memory.as_ref().unwrap();
        assert_eq!((memory.unit, memory.seeds.len(), &release.per_op), (Unit::Bytes, 2, &None));
        assert_eq!(memory.seeds[0].distribution.p95, 131072.0);
        assert_eq!(release.ua_memory_bytes, [(11, 2_000_000)]);
        assert_eq!(release.ua_memory_unavailable.as_deref(), Some("not isolated"));
    }

    #[test]
    fn a_host_keeps_its_pages_and_controls_samples_and_fails_alone_on_a_changed_answer_or_a_throw() {
        let apps = [HostApp::VanillaJs, HostApp::React, HostApp::Nextjs].map(|a| (a, a.as_str()));
        let p = with_hosts(&apps, &[Release], &[Release], 2);
        let s = p.schedule(&protocol(0, 1), &[11], &[Dev, Release]);
        let mut react_loads = 0;
        let (runs, _) = sample(&p, &all(&s), &[Dev, Release], |v| {
            cold_canary(v).unwrap_or_else(|| match &v.probe {
                Probe::Host { app, control: true } if *app != HostApp::Nextjs => {
                    Outcome::Returned(r#"{"control": true, "ready_ms": 30.0, "init_ms": 0.0}"#.into())
                }
                Probe::Host { app: HostApp::VanillaJs, .. } => Outcome::Returned(
                    r#"{"control": false, "ready_ms": 50.0, "init_ms": 20.0, "first_call_ms": 1.5, "answer": "2"}"#.into(),
                ),
                Probe::Host { app: HostApp::React, .. } => {
                    react_loads += 1;
                    // The warm-up and the first sample answer 2, the next one 3.
                    let answer = if react_loads < 3 { 2 } else { 3 };
                    Outcome::Returned(format!(
                        r#"{{"control": false, "ready_ms": 90.0, "init_ms": 20.0, "first_call_ms": 1.5, "answer": "{answer}"}}"#
                    ))
                }
                Probe::Host { .. } => {
                    Outcome::Returned(r#"{"control": false, "error": "TypeError: api.WordIndex is not a constructor"}"#.into())
                }
                _ => loaded(&[5.0]),
            })
        });
        for host in &runs[0].hosts {
            assert_eq!(host.left_out.as_deref(), Some("the corpus's hosts section does not load the dev variant"));
            assert!(host.samples.is_empty() && host.figures.is_none() && host.error.is_none());
        }
        let [vanilla, react, next] = &runs[1].hosts[..] else { panic!("{:?}", runs[1].hosts) };
        assert_eq!(vanilla.samples.len(), 2, "the warm-up discarded");
        assert_eq!(vanilla.control_ready_ms, [30.0, 30.0]);
        let figures = vanilla.figures.unwrap();
        assert_eq!((figures.ready_ms, figures.control_ready_ms, vanilla.answer.as_deref()), (50.0, 30.0, Some("2")));
        assert!(react.error.as_ref().unwrap().message.contains("answered \"3\", before \"2\""), "{react:?}");
        assert_eq!(react.figures, None);
        let e = next.error.as_ref().unwrap();
        assert_eq!(e.kind, RunErrorKind::Trap);
        assert!(e.message.contains("release variant: the page threw: TypeError"), "{e:?}");
        assert_eq!(runs[1].error, None, "a host's failure is its own");

        // --all-cells: dev is loaded too, for figures that gate nothing.
        let wide = with_hosts(&[(HostApp::VanillaJs, "M-HOST")], &[Dev, Release], &[Release], 1);
        let s = wide.schedule(&protocol(0, 1), &[11], &[Dev, Release]);
        let (runs, _) = sample(&wide, &all(&s), &[Dev, Release], |v| {
            cold_canary(v).unwrap_or_else(|| match &v.probe {
                Probe::Host { control, .. } => Outcome::Returned(format!(
                    r#"{{"control": {control}, "ready_ms": 50.0, "init_ms": 20.0, "first_call_ms": 1.5, "answer": "2"}}"#
                )),
                _ => loaded(&[5.0]),
            })
        });
        let (dev, release) = (&runs[0].hosts[0], &runs[1].hosts[0]);
        assert!(dev.figures.is_some() && release.figures.is_some(), "{dev:?} {release:?}");
        assert!(dev.figures_only.as_deref().is_some_and(|r| r.contains("does not gate the dev variant")), "{dev:?}");
        assert_eq!(release.figures_only, None);
    }
}
