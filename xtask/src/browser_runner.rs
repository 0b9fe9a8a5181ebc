//! Cold init in real browsers, per the corpus's environments and browser protocol: each
//! environment's browser started once with a fresh profile, the modules served from the
//! loopback server, the cache canary first, then a discarded warm-up, then for each seed
//! its samples with the variants interleaved round-robin (drift lands on all of them), each
//! sample a page load in a fresh browser context. One variant's failure does not stop the
//! others; a browser that dies fails every variant it had left, naming the cause.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use perf_core::browser::{CacheCanary, CanaryPhase, CanaryVerdict, EnvironmentRun, OperationRun, Phases, Sample};
use perf_core::corpus::{BrowserKind, BrowserProtocol, Corpus, Environment};
use perf_core::policy::VariantKind;
use perf_core::runtime::{Figures, RunError, RunErrorKind};
use perf_core::unit::Unit;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use xshell::Shell;

use crate::browser_process::{self, BrowserProcess};
use crate::browser_session::{BrowserSession, PageLoad};
use crate::canary_module::canary_module;
use crate::loopback::{Loopback, Resource};

const HARNESS: &str = include_str!("browser_harness.js");
const OP_HARNESS: &str = include_str!("browser_op_harness.js");
/// Where the cache canary's module is served, without a nonce.
const CANARY_PATH: &str = "/canary.wasm";

/// How long a broken connection waits for the browser's exit to be reported, so that a
/// killed or crashed browser is named as such.
const EXIT_GRACE: Duration = Duration::from_secs(2);
/// The page the samples run in: empty, so its load costs nothing measurable.
const PAGE: &str = "<!doctype html><meta charset=utf-8><title>wasm cold init</title>";

/// What a browser loads for one variant: the module and, for a wasm-bindgen crate, its JS
/// glue (paths relative to the module's directory, the main glue file first).
pub(crate) struct Shipped {
    pub module: Vec<u8>,
    pub glue: Vec<(String, Vec<u8>)>,
}

/// Which browsers a run drives (`--engine`); the rest are left out, saying so.
pub(crate) struct BrowserSelection {
    pub browsers: Vec<BrowserKind>,
    /// The flag that narrowed the run, for the reason of what it left out.
    pub narrowed_by: Option<String>,
}

/// Every corpus environment's run of every module (in `modules` order).
pub(crate) fn run_environments(
    sh: &Shell,
    corpus: &Corpus,
    selection: &BrowserSelection,
    modules: &[(VariantKind, Arc<Shipped>)],
    seeds: &[u64],
) -> BTreeMap<VariantKind, Vec<EnvironmentRun>> {
    let mut out: BTreeMap<VariantKind, Vec<EnvironmentRun>> = BTreeMap::new();
    let Some(protocol) = &corpus.browser_protocol else { return out };
    for env in &corpus.environments {
        let required = corpus.coverage.required_environments.contains(&env.id);
        let per_op = timed_scenarios(corpus, env);
        // Planned with its scenarios, so a left-out or broken environment skips or fails
        // their metrics too.
        let base = EnvironmentRun {
            operations: per_op.iter().map(|(op, _)| op.clone()).collect(),
            ..EnvironmentRun::planned(env, required, protocol.first_call.clone())
        };
        let runs: Vec<EnvironmentRun> = if !selection.browsers.contains(&env.browser) {
            let why = selection.narrowed_by.clone().unwrap_or_else(|| "not selected".to_owned());
            modules.iter().map(|_| EnvironmentRun { left_out: Some(why.clone()), ..base.clone() }).collect()
        } else {
            eprintln!("note: measuring cold init in {} ({})", env.id, env.label);
            match run_environment(sh, env, protocol, modules, seeds, &base, &per_op) {
                Ok(runs) => runs,
                Err(e) => {
                    let message = format!("{}: {e:#}", browser_process::support(env.browser).executable);
                    // Not required: skipped, with the reason.
                    let broken = |_| match required {
                        true => EnvironmentRun { error: Some(RunError::environment(message.clone())), ..base.clone() },
                        false => EnvironmentRun { left_out: Some(message.clone()), ..base.clone() },
                    };
                    modules.iter().map(broken).collect()
                }
            }
        };
        for ((variant, _), run) in modules.iter().zip(runs) {
            out.entry(*variant).or_default().push(run);
        }
    }
    out
}

/// The scenarios `env` times per operation: each of its `scenario_metrics`, planned, with
/// the variants its scenario runs on (the corpus check made sure each has exactly one).
fn timed_scenarios(corpus: &Corpus, env: &Environment) -> Vec<(OperationRun, Vec<VariantKind>)> {
    env.scenario_metrics
        .iter()
        .filter_map(|metric| {
            let s = corpus.scenarios.iter().find(|s| s.metrics.contains(metric))?;
            Some((OperationRun::planned(&s.id, s.export.as_deref()?, metric), s.variants.clone()))
        })
        .collect()
}

/// A harness's answer for one page load: what it measured, or where the page stopped.
#[derive(Deserialize)]
struct Page<T> {
    #[serde(flatten)]
    measured: T,
    error: Option<PageError>,
}

/// What the cold-init harness measures in one page load.
#[derive(Deserialize)]
struct Loaded {
    isolated: bool,
    rounds: Vec<Sample>,
}

/// What the operation harness measures in one page load.
#[derive(Deserialize)]
struct Batches {
    ops_per_batch: u32,
    batch_ms: Vec<f64>,
}

#[derive(Deserialize)]
struct PageError {
    phase: String,
    message: String,
}

fn run_environment(
    sh: &Shell,
    env: &Environment,
    protocol: &BrowserProtocol,
    modules: &[(VariantKind, Arc<Shipped>)],
    seeds: &[u64],
    base: &EnvironmentRun,
    per_op: &[(OperationRun, Vec<VariantKind>)],
) -> anyhow::Result<Vec<EnvironmentRun>> {
    let timeout = Duration::from_millis(protocol.millis_per_call);
    let exe = browser_process::ensure_installed(sh, env.browser)?;
    let mut routes = BTreeMap::from([("/".to_owned(), Resource::Page(PAGE.to_owned()))]);
    for (variant, shipped) in modules {
        let v = variant.as_str();
        routes.insert(format!("/m/{v}.wasm"), Resource::Module(Arc::new(shipped.module.clone())));
        for (path, js) in &shipped.glue {
            routes.insert(format!("/m/{v}/{path}"), Resource::Script(Arc::new(js.clone())));
        }
    }
    routes.insert(CANARY_PATH.to_owned(), Resource::ExactModule(Arc::new(canary_module())));
    let server = Loopback::serve(routes)?;
    let mut process = BrowserProcess::launch(sh, env.browser, &exe)?;
    let mut driver = (browser_process::support(env.browser).connect)(sh, &exe, &process.ws_url, timeout)?;
    let page = server.url("/");
    // One harness call in a fresh context; the browser's exit is named when it died.
    let evaluate =
        |driver: &mut dyn BrowserSession, process: &mut BrowserProcess, harness: &str, args: serde_json::Value| {
            let expression = format!("({})({args})", harness.trim_end().trim_end_matches(';'));
            let load = PageLoad { page: &page, cpu_throttling_rate: env.cpu_throttling_rate, expression: &expression };
            driver.evaluate_fresh(&load).map_err(|e| match process.exit_status(EXIT_GRACE) {
                Some(status) => {
                    RunError::environment(format!("the browser exited ({status}): {e:#}{}", process.stderr_tail()))
                }
                None => RunError::environment(format!("{e:#}")),
            })
        };
    // `glue` is the path of the module's JS glue, when it has one.
    let load = |driver: &mut dyn BrowserSession,
                process: &mut BrowserProcess,
                path: &str,
                glue: Option<&str>,
                seed: u64,
                rounds: u32| {
        // The canary's module has no scenario: its first call is `run`.
        let (canary, scenario) =
            if path == CANARY_PATH { (true, None) } else { (false, protocol.first_call.as_deref()) };
        let glue = glue.map(|g| server.url(g));
        let args = serde_json::json!({
            "url": server.url(path), "glue": glue, "canary": canary, "scenario": scenario, "seed": seed,
            "rounds": rounds
        });
        let text = evaluate(driver, process, HARNESS, args)?;
        answer::<Loaded>(driver, "harness", &text)
    };
    let time_ops = |driver: &mut dyn BrowserSession,
                    process: &mut BrowserProcess,
                    path: &str,
                    glue: Option<&str>,
                    export: &str,
                    seed: u64| {
        let args = serde_json::json!({
            "url": server.url(path), "glue": glue.map(|g| server.url(g)), "scenario": export, "seed": seed,
            "batches": protocol.batches_per_seed, "warmup": protocol.warmup_batches, "batch_ms": protocol.batch_millis
        });
        let text = evaluate(driver, process, OP_HARNESS, args)?;
        answer::<Batches>(driver, "operation harness", &text)
    };

    let mut runs: Vec<EnvironmentRun> = modules
        .iter()
        .map(|_| EnvironmentRun {
            browser: Some(driver.identity().clone()),
            command_line: Some(process.command_line.clone()),
            ..base.clone()
        })
        .collect();
    // The canary: the same bytes (no nonce) twice in one page, then in two fresh contexts.
    // Timed where the browser compiles: V8's lazy compile lands in the first call (10–50 ms
    // cold here, under 0.5 ms from its cache); SpiderMonkey compiles while streaming.
    let phase = match env.browser {
        BrowserKind::Chromium => CanaryPhase::FirstCall,
        BrowserKind::Firefox => CanaryPhase::FetchCompile,
    };
    let timed = |l: &Loaded| l.rounds.iter().map(|s| phase.of(s)).collect::<Vec<_>>();
    let canary = (|| {
        let same = timed(&load(&mut *driver, &mut process, CANARY_PATH, None, seeds[0], 2)?);
        let a = timed(&load(&mut *driver, &mut process, CANARY_PATH, None, seeds[0], 1)?);
        let b = timed(&load(&mut *driver, &mut process, CANARY_PATH, None, seeds[0], 1)?);
        Ok::<_, RunError>(CacheCanary::judge(phase, [same[0], same[1]], [a[0], b[0]]))
    })();
    let canary = match canary {
        Ok(c) => c,
        Err(e) => {
            return Ok(runs.into_iter().map(|r| EnvironmentRun { error: Some(e.clone()), ..r }).collect());
        }
    };
    let warm = canary.verdict == CanaryVerdict::Warm;
    for r in &mut runs {
        r.cache_canary = Some(canary);
        if warm {
            r.error = Some(RunError::environment(format!(
                "the cache canary found a fresh context warm ({:.1} ms after {:.1} ms): the samples would not be cold",
                canary.fresh_contexts_ms[1], canary.fresh_contexts_ms[0]
            )));
        }
    }
    let mut samples: Vec<Vec<(u64, Vec<Sample>)>> = modules.iter().map(|_| Vec::new()).collect();
    let mut isolated = vec![true; modules.len()];
    let rounds = std::iter::repeat_n(None, protocol.warmup_samples as usize)
        .chain(seeds.iter().flat_map(|s| std::iter::repeat_n(Some(*s), protocol.samples_per_seed as usize)));
    for seed in rounds {
        for (i, (variant, shipped)) in modules.iter().enumerate() {
            if runs[i].error.is_some() {
                continue;
            }
            let path = format!("/m/{}.wasm", variant.as_str());
            let glue = shipped.glue.first().map(|(main, _)| format!("/m/{}/{main}", variant.as_str()));
            match load(&mut *driver, &mut process, &path, glue.as_deref(), seed.unwrap_or(seeds[0]), 1) {
                Ok(l) => {
                    let Some(seed) = seed else { continue };
                    isolated[i] &= l.isolated;
                    match samples[i].last_mut() {
                        Some((s, v)) if *s == seed => v.extend(l.rounds),
                        _ => samples[i].push((seed, l.rounds)),
                    }
                }
                Err(e) => {
                    let dead = process.exit_status(Duration::ZERO).is_some();
                    runs[i].error =
                        Some(RunError { message: format!("{} variant: {}", variant.as_str(), e.message), ..e });
                    if dead {
                        for r in runs.iter_mut().filter(|r| r.error.is_none()) {
                            r.error = runs_error_dead(&process);
                        }
                    }
                }
            }
        }
    }
    for (i, r) in runs.iter_mut().enumerate() {
        if r.error.is_none() {
            r.phases = Phases::of(&samples[i], isolated[i]);
        }
    }

    // Per-operation timing: per scenario and seed, the variants round-robin, each a page
    // load of its own.
    for (i, (variant, _)) in modules.iter().enumerate() {
        runs[i].operations = per_op.iter().filter(|(_, vs)| vs.contains(variant)).map(|(op, _)| op.clone()).collect();
    }
    if !per_op.is_empty() {
        eprintln!("note: timing {} scenario(s) per operation in {}", per_op.len(), env.id);
    }
    for (op, _) in per_op {
        let mut batches: Vec<Vec<(u64, Vec<f64>)>> = modules.iter().map(|_| Vec::new()).collect();
        for &seed in seeds {
            for (i, (variant, shipped)) in modules.iter().enumerate() {
                let Some(k) = runs[i].operations.iter().position(|o| o.metric == op.metric) else { continue };
                if runs[i].error.is_some() || runs[i].operations[k].error.is_some() {
                    continue;
                }
                let path = format!("/m/{}.wasm", variant.as_str());
                let glue = shipped.glue.first().map(|(main, _)| format!("/m/{}/{main}", variant.as_str()));
                match time_ops(&mut *driver, &mut process, &path, glue.as_deref(), &op.export, seed) {
                    Ok(b) => {
                        runs[i].operations[k].ops_per_batch.push((seed, b.ops_per_batch));
                        // ms per batch -> ns per operation.
                        let ns = b.batch_ms.iter().map(|ms| ms * 1e6 / f64::from(b.ops_per_batch.max(1))).collect();
                        batches[i].push((seed, ns));
                    }
                    Err(e) => {
                        let message = format!("{} variant: {}", variant.as_str(), e.message);
                        runs[i].operations[k].error = Some(RunError { message, ..e });
                    }
                }
            }
        }
        for (i, r) in runs.iter_mut().enumerate() {
            if let Some(run) = r.operations.iter_mut().find(|o| o.metric == op.metric && o.error.is_none()) {
                run.per_op = Figures::of(Unit::Nanos, &batches[i]);
            }
        }
    }
    driver.close();
    drop(process);
    drop(server);
    Ok(runs)
}

/// What the `harness` measured, from the JSON `text` it returned; a page that stopped is an
/// error classified by where it stopped.
fn answer<T: DeserializeOwned>(driver: &dyn BrowserSession, harness: &str, text: &str) -> Result<T, RunError> {
    let page: Page<T> =
        serde_json::from_str(text).map_err(|e| RunError::environment(format!("the {harness} returned {text}: {e}")))?;
    let Some(e) = page.error else { return Ok(page.measured) };
    let kind = match e.phase.as_str() {
        "compile" | "instantiate" => RunErrorKind::Input,
        "status" => RunErrorKind::Invariant,
        _ => RunErrorKind::Trap,
    };
    Err(RunError { kind, message: format!("{} refused it at {}: {}", driver.identity().name, e.phase, e.message) })
}

fn runs_error_dead(process: &BrowserProcess) -> Option<RunError> {
    Some(RunError::environment(format!("the browser exited before this variant was measured{}", process.stderr_tail())))
}
