//! What a corpus environment will measure and in what order, decided before its browser
//! starts. Each page load is a [`Visit`]: a [`Probe`] (the kind of page: the cache canary,
//! a variant's cold init, a scenario's operations, a host app's page or its control), the
//! variant it loads and the seed.
//!
//! The order: the canary's three loads first (it proves the later samples are cold), then
//! a discarded warm-up, then the samples, round after round a sample of every seed, with the
//! variants interleaved round-robin (drift lands on all of them), then the host apps (a discarded warm-up of each, then
//! round after round every app's page and its control on each variant), then each timed
//! scenario's loads, per seed, the variants it runs on round-robin. The executor in xtask runs the visits as given; what their
//! answers make is `browser_sampling.rs`'s.

use crate::browser::{CanaryPhase, EnvironmentRun, OperationCall, OperationRun};
use crate::corpus::{BrowserKind, BrowserProtocol, Corpus, Environment, Workload};
use crate::host::HostApp;
use crate::host_run::HostRun;
use crate::policy::VariantKind;
use crate::runtime::RunError;

/// A kind of page load, with what its page needs to know.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    /// The cache canary's module (the same bytes every time, no variant), `rounds` times
    /// in one page.
    Canary { rounds: u32 },
    /// One cold-init sample of the production build: fetch + compile, instantiate, and
    /// the first call through the public JS API (the body of a function of `api`).
    ColdInit { first_call: String },
    /// A scenario's operations, feeding `metric`: a scenario export (of the benchmark build)
    /// or an operation through the JS API (of what ships), timed in batches or, under memory
    /// pressure, with linear memory sampled after each.
    Operation { metric: String, call: OperationCall, work: Work },
    /// A host app's page, loaded from navigation with the throttling already on; with
    /// `control`, the same app with the module stubbed.
    Host { app: HostApp, control: bool },
}

/// What a page does with a scenario's operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Times it in batches.
    Timed(Batches),
    /// Runs it `warm_up` times, then `sampled` times reading linear memory after each (a
    /// memory-pressure scenario: the corpus protocol's memory counts).
    Memory { warm_up: u32, sampled: u32 },
}

/// How the page times a scenario's operations (the browser protocol's batch settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batches {
    /// Batches timed per page load.
    pub timed: u32,
    /// Batches run and discarded before them.
    pub warm_up: u32,
    /// The shortest a batch may take, in ms (the page sizes its batches to it).
    pub millis: u32,
}

/// Whose build a page load measures: the working tree's, or the base commit's (`perf
/// --compare`, whose modules the server keeps apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Head,
    Base,
}

/// One page load in a fresh browser context.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    pub probe: Probe,
    /// The variant whose module the page loads; `None` for the canary's own module.
    pub variant: Option<VariantKind>,
    pub side: Side,
    pub seed: u64,
    /// A warm-up load: measured like the others, its figures discarded.
    pub warm_up: bool,
}

/// An environment's page loads, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// The cache canary's: two rounds in one page, then one in each of two fresh contexts.
    pub canary: Vec<Visit>,
    /// The warm-up, then every seed's cold-init samples.
    pub cold_init: Vec<Visit>,
    /// Every timed scenario's loads.
    pub operations: Vec<Visit>,
    /// The host apps' warm-up, then their samples.
    pub hosts: Vec<Visit>,
}

/// The host apps an environment loads (the corpus's `hosts` cells that are its), on which
/// variants, how many times.
#[derive(Debug, Clone, PartialEq)]
pub struct HostCells {
    pub apps: Vec<HostApp>,
    pub variants: Vec<VariantKind>,
    pub samples: u32,
    /// The variants whose loads feed the host metrics: the corpus's own cells. The others
    /// (`--all-cells`) give figures only.
    pub gated_variants: Vec<VariantKind>,
}

/// A scenario an environment times per operation, and the variants it runs on (the corpus
/// check made sure each of the environment's `scenario_metrics` has exactly one).
#[derive(Debug, Clone, PartialEq)]
pub struct TimedScenario {
    pub operation: OperationRun,
    pub call: OperationCall,
    pub variants: Vec<VariantKind>,
    /// A memory-pressure scenario's operation counts (`Work::Memory`); `None` to time it.
    pub memory: Option<Work>,
}

/// What one corpus environment will measure, before its browser starts.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvironmentPlan {
    /// Each variant's run as it starts: every timed scenario listed, so that an environment
    /// that never runs skips or fails their metrics too.
    pub planned: EnvironmentRun,
    pub timed: Vec<TimedScenario>,
    /// Where the cache canary times its browser's compile.
    pub canary_phase: CanaryPhase,
    /// The host apps it loads, if any.
    pub hosts: Option<HostCells>,
}

/// Where a browser compiles a module, so where its cache shows: V8 compiles lazily, in the
/// first call (10–50 ms cold here, under 0.5 ms from its cache); SpiderMonkey while streaming.
fn canary_phase(browser: BrowserKind) -> CanaryPhase {
    match browser {
        BrowserKind::Chromium => CanaryPhase::FirstCall,
        BrowserKind::Firefox => CanaryPhase::FetchCompile,
    }
}

/// The metrics `app`'s bytes feed in `env`: the first environment the hosts load in counts
/// them (they are the same in every one).
fn size_metrics(corpus: &Corpus, env: &Environment, app: HostApp) -> Vec<String> {
    match &corpus.hosts {
        Some(h) if h.environments.first() == Some(&env.id) => h.size_metrics.get(&app).cloned().unwrap_or_default(),
        _ => Vec::new(),
    }
}

impl EnvironmentPlan {
    /// `env`'s plan; with `all_cells`, it loads every host on every variant (an unthrottled
    /// environment the hosts section leaves out too), for figures beyond what the corpus gates.
    pub fn of(corpus: &Corpus, env: &Environment, protocol: &BrowserProtocol, all_cells: bool) -> EnvironmentPlan {
        let required = corpus.coverage.required_environments.contains(&env.id);
        let timed: Vec<TimedScenario> = env
            .scenario_metrics
            .iter()
            .filter_map(|metric| {
                let s = corpus.scenarios.iter().find(|s| s.metrics.contains(metric))?;
                let call = OperationCall::of(s)?;
                let operation = OperationRun::planned(&s.id, &call, metric);
                let memory = (s.workload == Workload::MemoryPressure).then_some(Work::Memory {
                    warm_up: corpus.protocol.memory_warmup_ops,
                    sampled: corpus.protocol.memory_sample_ops,
                });
                Some(TimedScenario { operation, call, variants: s.variants.clone(), memory })
            })
            .collect();
        let gated = corpus.hosts.as_ref().is_some_and(|h| h.environments.contains(&env.id));
        // A throttled environment must hold its throttling from navigation, which only
        // Chromium's protocol can.
        let loadable = env.browser == BrowserKind::Chromium || env.cpu_throttling_rate == 1.0;
        let hosts = corpus.hosts.as_ref().filter(|_| gated || (all_cells && loadable)).map(|h| HostCells {
            apps: h.apps.clone(),
            variants: if all_cells { VariantKind::ALL.to_vec() } else { h.variants.clone() },
            samples: h.samples,
            gated_variants: if gated { h.variants.clone() } else { Vec::new() },
        });
        let planned = EnvironmentRun {
            operations: timed.iter().map(|t| t.operation.clone()).collect(),
            hosts: hosts
                .iter()
                .flat_map(|h| &h.apps)
                .map(|a| HostRun {
                    size_metrics: size_metrics(corpus, env, *a),
                    ..HostRun::planned(*a, env.host_metrics.get(a).map_or("", String::as_str))
                })
                .collect(),
            ..EnvironmentRun::planned(env, required, &protocol.first_call)
        };
        EnvironmentPlan { planned, timed, canary_phase: canary_phase(env.browser), hosts }
    }

    /// The run of an environment this run did not select (`--engine`): its metrics skip.
    pub fn left_out(&self, why: &str) -> EnvironmentRun {
        EnvironmentRun { left_out: Some(why.to_owned()), ..self.planned.clone() }
    }

    /// The run of an environment whose browser could not be started or reached: a required
    /// environment fails its metrics; another's are not measured, which fails those the
    /// budgets require and skips the others, with the reason. Never "left out": that is the
    /// user's choice (`--engine`), which skips even a required metric.
    pub fn not_started(&self, why: &str) -> EnvironmentRun {
        match self.planned.required {
            true => EnvironmentRun { error: Some(RunError::environment(why)), ..self.planned.clone() },
            false => EnvironmentRun { not_started: Some(why.to_owned()), ..self.planned.clone() },
        }
    }

    /// The page loads of this environment over `variants` (in their order) and `seeds`
    /// (the first also seeds the canary and the warm-up).
    pub fn schedule(&self, protocol: &BrowserProtocol, seeds: &[u64], variants: &[VariantKind]) -> Schedule {
        let Some(&first_seed) = seeds.first() else {
            return Schedule { canary: Vec::new(), cold_init: Vec::new(), operations: Vec::new(), hosts: Vec::new() };
        };
        let canary = [2, 1, 1]
            .into_iter()
            .map(|rounds| Visit {
                probe: Probe::Canary { rounds },
                variant: None,
                side: Side::Head,
                seed: first_seed,
                warm_up: false,
            })
            .collect();
        let sample = Probe::ColdInit { first_call: protocol.first_call.clone() };
        let warm_ups = (0..protocol.warmup_samples).map(|_| (first_seed, true));
        // Sample-major (every seed's first sample, then every seed's second…), so that a
        // look after n samples per seed finds every seed at n (`early_stop.rs`).
        let kept = (0..protocol.samples_per_seed).flat_map(|_| seeds.iter().map(|&s| (s, false)));
        let cold_init = warm_ups
            .chain(kept)
            .flat_map(|(seed, warm_up)| {
                let probe = &sample;
                variants.iter().map(move |&v| Visit {
                    probe: probe.clone(),
                    variant: Some(v),
                    side: Side::Head,
                    seed,
                    warm_up,
                })
            })
            .collect();
        let batches = Batches {
            timed: protocol.batches_per_seed,
            warm_up: protocol.warmup_batches,
            millis: protocol.batch_millis,
        };
        let mut operations = Vec::new();
        for t in &self.timed {
            let work = t.memory.unwrap_or(Work::Timed(batches));
            let probe = Probe::Operation { metric: t.operation.metric.clone(), call: t.call.clone(), work };
            for &seed in seeds {
                for &v in variants.iter().filter(|v| t.variants.contains(v)) {
                    operations.push(Visit {
                        probe: probe.clone(),
                        variant: Some(v),
                        side: Side::Head,
                        seed,
                        warm_up: false,
                    });
                }
            }
        }
        Schedule { canary, cold_init, operations, hosts: self.host_visits(first_seed, variants) }
    }

    /// The host apps' loads: a warm-up of each app on each variant, then `samples` rounds
    /// of every app's page and its control, the variants interleaved.
    fn host_visits(&self, seed: u64, variants: &[VariantKind]) -> Vec<Visit> {
        let Some(h) = &self.hosts else { return Vec::new() };
        let variants: Vec<VariantKind> = variants.iter().copied().filter(|v| h.variants.contains(v)).collect();
        let visit = |app, control, v, warm_up| Visit {
            probe: Probe::Host { app, control },
            variant: Some(v),
            side: Side::Head,
            seed,
            warm_up,
        };
        let warm_up = h.apps.iter().flat_map(|&a| variants.iter().map(move |&v| visit(a, false, v, true)));
        let rounds = (0..h.samples).flat_map(|_| {
            h.apps.iter().flat_map(|&a| {
                variants.iter().flat_map(move |&v| [visit(a, false, v, false), visit(a, true, v, false)])
            })
        });
        warm_up.chain(rounds).collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use VariantKind::{Canary, Dev, Release};

    pub(crate) fn protocol(warmup_samples: u32, samples_per_seed: u32) -> BrowserProtocol {
        BrowserProtocol {
            samples_per_seed,
            warmup_samples,
            first_call: "return api.exports.run(1);".into(),
            millis_per_call: 30_000,
            batches_per_seed: 30,
            warmup_batches: 5,
            batch_millis: 2,
        }
    }

    /// A required desktop Chromium environment timing `timed` (metric, export, variants).
    pub(crate) fn plan(timed: &[(&str, &str, &[VariantKind])]) -> EnvironmentPlan {
        let env = Environment {
            id: "desktop-chromium".into(),
            browser: BrowserKind::Chromium,
            cpu_throttling_rate: 1.0,
            label: "desktop".into(),
            metric: "M-COLD".into(),
            scenario_metrics: timed.iter().map(|(metric, _, _)| (*metric).to_owned()).collect(),
            host_metrics: Default::default(),
        };
        let timed: Vec<TimedScenario> = timed
            .iter()
            .map(|(metric, export, variants)| {
                let call = OperationCall::Export((*export).to_owned());
                TimedScenario {
                    operation: OperationRun::planned("SCN", &call, metric),
                    call,
                    variants: variants.to_vec(),
                    memory: None,
                }
            })
            .collect();
        let planned = EnvironmentRun {
            operations: timed.iter().map(|t| t.operation.clone()).collect(),
            ..EnvironmentRun::planned(&env, true, "return api.exports.run(1);")
        };
        EnvironmentPlan { planned, timed, canary_phase: CanaryPhase::FirstCall, hosts: None }
    }

    /// A schedule's visits as (probe, variant, seed, warm-up) in short: "canary 2", "cold",
    /// "op M-OP".
    fn short(visits: &[Visit]) -> Vec<(String, Option<VariantKind>, u64, bool)> {
        visits
            .iter()
            .map(|v| {
                let probe = match &v.probe {
                    Probe::Canary { rounds } => format!("canary {rounds}"),
                    Probe::ColdInit { .. } => "cold".to_owned(),
                    Probe::Operation { metric, .. } => format!("op {metric}"),
                    Probe::Host { app, control } => {
                        format!("{}{}", app.as_str(), if *control { " control" } else { "" })
                    }
                };
                (probe, v.variant, v.seed, v.warm_up)
            })
            .collect()
    }

    #[test]
    fn the_canary_comes_first_then_the_warm_up_then_a_sample_of_every_seed_round_after_round() {
        let s = plan(&[]).schedule(&protocol(1, 2), &[11, 29], &[Dev, Release]);
        let cold = |v, seed, warm_up| ("cold".to_owned(), Some(v), seed, warm_up);
        assert_eq!(
            short(&s.canary),
            [
                ("canary 2".to_owned(), None, 11, false),
                ("canary 1".to_owned(), None, 11, false),
                ("canary 1".to_owned(), None, 11, false)
            ]
        );
        assert_eq!(
            short(&s.cold_init),
            [
                cold(Dev, 11, true),
                cold(Release, 11, true),
                cold(Dev, 11, false),
                cold(Release, 11, false),
                cold(Dev, 29, false),
                cold(Release, 29, false),
                cold(Dev, 11, false),
                cold(Release, 11, false),
                cold(Dev, 29, false),
                cold(Release, 29, false),
            ]
        );
        assert_eq!(s.cold_init[0].probe, Probe::ColdInit { first_call: "return api.exports.run(1);".into() });
        assert!(s.operations.is_empty());
    }

    #[test]
    fn each_timed_scenario_loads_per_seed_the_variants_it_runs_on_round_robin() {
        let p = plan(&[("M-OP-A", "search", &[Release, Dev]), ("M-OP-B", "insert", &[Canary])]);
        let s = p.schedule(&protocol(0, 1), &[11, 29], &[Dev, Canary, Release]);
        let op = |m: &str, v, seed| (format!("op {m}"), Some(v), seed, false);
        assert_eq!(
            short(&s.operations),
            [
                op("M-OP-A", Dev, 11),
                op("M-OP-A", Release, 11),
                op("M-OP-A", Dev, 29),
                op("M-OP-A", Release, 29),
                op("M-OP-B", Canary, 11),
                op("M-OP-B", Canary, 29),
            ]
        );
        let batches = Batches { timed: 30, warm_up: 5, millis: 2 };
        assert_eq!(
            s.operations[0].probe,
            Probe::Operation {
                metric: "M-OP-A".into(),
                call: OperationCall::Export("search".into()),
                work: Work::Timed(batches)
            }
        );
        // A memory-pressure scenario counts its operations instead of timing them.
        let mut memory = plan(&[("M-MEM", "grow", &[Release])]);
        memory.timed[0].memory = Some(Work::Memory { warm_up: 200, sampled: 500 });
        let m = memory.schedule(&protocol(0, 1), &[11, 29], &[Release]);
        assert_eq!(m.operations.len(), 2, "one load per seed");
        assert!(matches!(
            m.operations[0].probe,
            Probe::Operation { work: Work::Memory { warm_up: 200, sampled: 500 }, .. }
        ));
        assert_eq!(s.cold_init.len(), 6, "no warm-up: one sample per seed and variant");
    }

    #[test]
    fn the_hosts_warm_up_once_each_then_take_rounds_of_page_and_control_on_their_variants() {
        let p = EnvironmentPlan {
            hosts: Some(HostCells {
                apps: vec![HostApp::VanillaJs, HostApp::React],
                variants: vec![Release],
                samples: 2,
                gated_variants: vec![Release],
            }),
            ..plan(&[])
        };
        let s = p.schedule(&protocol(0, 1), &[11, 29], &[Dev, Release]);
        let host = |name: &str, warm_up| (name.to_owned(), Some(Release), 11, warm_up);
        let round = [
            host("vanilla-js", false),
            host("vanilla-js control", false),
            host("react", false),
            host("react control", false),
        ];
        let expected = [&[host("vanilla-js", true), host("react", true)][..], &round, &round].concat();
        assert_eq!(short(&s.hosts), expected);
        assert!(plan(&[]).schedule(&protocol(0, 1), &[11], &[Release]).hosts.is_empty(), "no hosts section, no loads");
    }

    #[test]
    fn a_selection_without_a_scenarios_variants_times_nothing_of_it_and_no_seed_loads_nothing() {
        let p = plan(&[("M-OP", "search", &[Dev])]);
        assert!(p.schedule(&protocol(1, 4), &[11], &[Release]).operations.is_empty());
        let none = p.schedule(&protocol(1, 4), &[], &[Dev]);
        assert!(none.canary.is_empty() && none.cold_init.is_empty() && none.operations.is_empty());
    }

    #[test]
    fn an_environment_that_never_starts_fails_when_required_and_skips_otherwise() {
        let required = plan(&[("M-OP", "search", &[Dev])]);
        let run = required.not_started("chromium: not installed");
        assert_eq!(run.error, Some(RunError::environment("chromium: not installed")));
        assert_eq!((run.left_out, run.operations.len()), (None, 1), "its timed scenario fails with it");
        let optional = EnvironmentPlan {
            planned: EnvironmentRun { required: false, ..required.planned.clone() },
            ..required.clone()
        };
        let run = optional.not_started("chromium: not installed");
        assert_eq!((&run.error, &run.left_out), (&None, &None));
        assert_eq!(run.not_started.as_deref(), Some("chromium: not installed"));
        // Its metric is not measured: the budgets decide (a required one fails, `record.rs`).
        let budgets = crate::budget::Budgets::parse(
            "b.json",
            r#"{"schema_version": "wasm-perf-budgets-v1", "profiles": ["p"], "seed_set": [11], "metrics": [
                {"id": "M-COLD", "name": "cold", "unit": "ms", "source": "browser.desktop_cold_init", "required": true,
                 "gate": "hard", "thresholds": {"p": {"hard": 50}}}]}"#,
        )
        .unwrap();
        let why = "desktop-chromium's browser did not start: chromium: not installed";
        assert_eq!(
            run.measurement(budgets.metric("M-COLD").unwrap()),
            crate::runtime::Measurement::NotMeasured(why.into())
        );
        assert_eq!(required.left_out("--engine wasmtime").left_out.as_deref(), Some("--engine wasmtime"));
    }
}
