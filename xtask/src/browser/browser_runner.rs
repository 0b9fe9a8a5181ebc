//! Cold init and per-operation timing in real browsers, per the corpus's environments and
//! browser protocol: each environment's browser started once with a fresh profile, the
//! modules served from the loopback server, then its schedule (`perf_core::browser_schedule`:
//! the cache canary, a discarded warm-up, the samples with the variants interleaved
//! round-robin, the timed scenarios) run page load by page load, each in a fresh browser
//! context, and each outcome handed to `perf_core::browser_sampling`, which decides what it
//! makes of it (one variant's failure does not stop the others; a browser that dies fails
//! every variant it had left, naming the cause). With `--compare`, the same browser first
//! loads the head's and the base's builds in alternation (`perf_core::browser_pairing`),
//! right after the canary; the head's cold-init loads there are its budgets' samples too,
//! so the schedule's cold init then loads only what the pairing did not.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use perf_core::browser::{EnvironmentRun, OperationCall};
use perf_core::browser_pairing::{PairedTiming, Pairing};
use perf_core::browser_sampling::{Outcome, Sampling, Unavailable};
use perf_core::browser_schedule::{EnvironmentPlan, Probe, Side, Visit};
use perf_core::corpus::{BrowserKind, BrowserProtocol, Corpus, Environment};
use perf_core::early_stop::EarlyStops;
use perf_core::host::HostApp;
use perf_core::policy::VariantKind;
use perf_core::runtime::RunError;
use xshell::Shell;

use crate::browser_probe::{self, Modules, PAGE_PATH};
use crate::browser_process::{self, BrowserProcess};
use crate::browser_session::{BrowserSession, PageLoad};
use crate::host_build::HostPages;
use crate::host_site::ServedSite;
use crate::loopback::Loopback;

/// How long a broken connection waits for the browser's exit to be reported, so that a
/// killed or crashed browser is named as such.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// The host apps built for the run: per variant and app, the build, or why there is none;
/// and where the sizes of the scripts their pages load are memoized (the artifacts' cache).
pub(crate) struct HostBuilds {
    pub builds: Vec<(VariantKind, HostApp, Result<HostPages, Unavailable>)>,
    pub measure_cache: PathBuf,
}

/// Which browsers a run drives (`--engine`); the rest are left out, saying so.
pub(crate) struct BrowserSelection {
    pub browsers: Vec<BrowserKind>,
    /// The flag that narrowed the run, for the reason of what it left out.
    pub narrowed_by: Option<String>,
    /// Load the hosts in every cell that can load them (`--all-cells`).
    pub all_cells: bool,
    /// The seeds the samples span.
    pub seeds: Vec<u64>,
    /// Where a cell's sampling may stop once the gate's verdict on it is settled.
    pub early_stops: EarlyStops,
}

/// How many cells the selected environments compare with the base over `variants`.
pub(crate) fn compared_cells(corpus: &Corpus, selection: &BrowserSelection, variants: &[VariantKind]) -> usize {
    let Some(protocol) = &corpus.browser_protocol else { return 0 };
    let selected = corpus.environments.iter().filter(|e| selection.browsers.contains(&e.browser));
    selected
        .map(|env| {
            let plan = EnvironmentPlan::of(corpus, env, protocol, selection.all_cells);
            Pairing::count(&plan, protocol, &selection.seeds, variants)
        })
        .sum()
}

/// What the browsers measured: each variant's run of every environment and, with a base,
/// each environment's comparisons.
#[derive(Default)]
pub(crate) struct BrowserRuns {
    pub runs: BTreeMap<VariantKind, Vec<EnvironmentRun>>,
    /// Per environment that ran, its cells compared with the base's builds.
    pub paired: Vec<(String, Vec<PairedTiming>)>,
}

/// Every corpus environment's run of every module (in `modules.head` order), and with a
/// base, the comparison of each environment that ran.
pub(crate) fn run_environments(
    sh: &Shell,
    corpus: &Corpus,
    selection: &BrowserSelection,
    modules: &Modules,
    hosts: &HostBuilds,
) -> BrowserRuns {
    let mut out = BrowserRuns::default();
    let seeds = &selection.seeds;
    let Some(protocol) = &corpus.browser_protocol else { return out };
    for env in &corpus.environments {
        let plan = EnvironmentPlan::of(corpus, env, protocol, selection.all_cells);
        let runs: Vec<EnvironmentRun> = if !selection.browsers.contains(&env.browser) {
            let why = selection.narrowed_by.as_deref().unwrap_or("not selected");
            modules.head.iter().map(|_| plan.left_out(why)).collect()
        } else {
            eprintln!("note: measuring in {} ({})", env.id, env.label);
            match run_environment(sh, env, protocol, modules, hosts, selection, &plan) {
                Ok((runs, paired)) => {
                    out.paired.extend(paired.map(|p| (env.id.clone(), p)));
                    runs
                }
                Err(e) => {
                    let why = format!("{}: {e:#}", browser_process::support(env.browser).executable);
                    if modules.base.is_some() {
                        let cells = Pairing::not_compared(&plan, protocol, seeds, &variants_of(modules), &why);
                        out.paired.push((env.id.clone(), cells));
                    }
                    modules.head.iter().map(|_| plan.not_started(&why)).collect()
                }
            }
        };
        for ((variant, _), run) in modules.head.iter().zip(runs) {
            out.runs.entry(*variant).or_default().push(run);
        }
    }
    out
}

fn variants_of(modules: &Modules) -> Vec<VariantKind> {
    modules.head.iter().map(|(v, _)| *v).collect()
}

/// A started environment: the loopback server, the browser and its protocol session.
/// Dropped in field order: the session's socket, then the browser (killed), then the server.
struct Started {
    session: Box<dyn BrowserSession>,
    process: BrowserProcess,
    server: Loopback,
    /// The URL of the page every probe loads.
    page: String,
    cpu_throttling_rate: f64,
    /// Each host app's site on its own origin, per variant.
    host_sites: Vec<ServedSite>,
}

/// Starts `env`'s browser, runs its schedule over `modules` and the selection's seeds
/// (stopping each cell where its early stops allow), and returns each
/// variant's run and, with a base, what the comparison found (`None` without one); an error
/// means the browser could not be started or reached.
fn run_environment(
    sh: &Shell,
    env: &Environment,
    protocol: &BrowserProtocol,
    modules: &Modules,
    hosts: &HostBuilds,
    selection: &BrowserSelection,
    plan: &EnvironmentPlan,
) -> anyhow::Result<(Vec<EnvironmentRun>, Option<Vec<PairedTiming>>)> {
    let mut started = Started::start(sh, env, protocol, modules)?;
    let (variants, seeds) = (variants_of(modules), &selection.seeds[..]);
    let mut sampling = Sampling::new(plan, &variants, started.session.identity(), &started.process.command_line)
        .stopping(&selection.early_stops, protocol, seeds.len());
    if plan.hosts.is_some() {
        for (variant, app, build) in &hosts.builds {
            let served = build.as_ref().map_err(Clone::clone).and_then(|b| {
                ServedSite::serve(*variant, *app, b)
                    .map_err(|e| Unavailable::Failed(RunError::environment(format!("{e:#}"))))
            });
            match served {
                Ok(site) => started.host_sites.push(site),
                Err(why) => sampling.host_unavailable(*variant, *app, why),
            }
        }
    }
    let schedule = plan.schedule(protocol, seeds, &variants);
    started.run(&schedule.canary, modules, &mut sampling);
    if sampling.stopped() {
        // The canary failed, perhaps on a hung browser: killed on drop, not asked to close.
        let why = "the cache canary failed: no sample would be known cold";
        let paired = modules.base.as_ref().map(|_| Pairing::not_compared(plan, protocol, seeds, &variants, why));
        return Ok((sampling.finish(), paired));
    }
    let paired = modules.base.as_ref().map(|base| {
        eprintln!("note: comparing with the base in {}, in alternation", env.id);
        let missing: Vec<(VariantKind, String)> = variants
            .iter()
            .filter(|v| !base.builds.iter().any(|(b, _)| b == *v))
            .map(|v| (*v, "the base has no build of this variant (its build failed)".to_owned()))
            .collect();
        let identity = started.session.identity().clone();
        let pairing = Pairing::new(plan, protocol, seeds, &variants, &identity, &missing, base.family);
        started.compare(pairing, modules, &mut sampling)
    });
    started.run(&schedule.cold_init, modules, &mut sampling);
    if !schedule.hosts.is_empty() {
        eprintln!("note: loading the host apps in {}", env.id);
    }
    started.run(&schedule.hosts, modules, &mut sampling);
    if !plan.timed.is_empty() {
        eprintln!("note: timing {} scenario(s) per operation in {}", plan.timed.len(), env.id);
    }
    started.run(&schedule.operations, modules, &mut sampling);
    let Started { session, process, server, host_sites, .. } = started;
    session.close();
    drop(process);
    drop(server);
    let mut runs = sampling.finish();
    for (variant, run) in variants.iter().zip(&mut runs) {
        for host in &mut run.hosts {
            let Some(site) = host_sites.iter().find(|s| s.variant == *variant && s.app == host.app) else { continue };
            match site.loaded_js(&hosts.measure_cache) {
                Ok((page, control)) => (host.loaded_js, host.control_js) = (page, control),
                Err(e) => eprintln!("note: the {} host's scripts were not measured: {e:#}", host.app.as_str()),
            }
        }
    }
    Ok((runs, paired))
}

impl Started {
    fn start(sh: &Shell, env: &Environment, protocol: &BrowserProtocol, modules: &Modules) -> anyhow::Result<Started> {
        let timeout = Duration::from_millis(protocol.millis_per_call);
        let exe = browser_process::ensure_installed(sh, env.browser)?;
        let server = Loopback::serve(browser_probe::routes(modules))?;
        let process = BrowserProcess::launch(sh, env.browser, &exe)?;
        let session = (browser_process::support(env.browser).connect)(sh, &exe, &process.ws_url, timeout)?;
        let page = server.url(PAGE_PATH);
        Ok(Started {
            session,
            process,
            server,
            page,
            cpu_throttling_rate: env.cpu_throttling_rate,
            host_sites: Vec::new(),
        })
    }

    /// Runs `pairing`'s loads, the head's and the base's in alternation. The head's
    /// cold-init loads also serve its budgets (`sampling` keeps the protocol's samples a
    /// seed): the plain schedule then loads only what they left, so the head is not sampled
    /// twice.
    fn compare(&mut self, mut pairing: Pairing, modules: &Modules, sampling: &mut Sampling) -> Vec<PairedTiming> {
        let (t, mut loads) = (Instant::now(), 0);
        while let Some(round) = pairing.next_round() {
            for visit in round {
                if pairing.wants(&visit) {
                    let outcome = self.load(&visit, modules);
                    let head_cold_init = visit.side == Side::Head && matches!(visit.probe, Probe::ColdInit { .. });
                    if head_cold_init && sampling.wants(&visit) {
                        sampling.record(&visit, outcome.clone());
                    }
                    pairing.record(&visit, outcome);
                    loads += 1;
                }
            }
        }
        eprintln!("note: {loads} paired loads, {:.1} s", t.elapsed().as_secs_f64());
        pairing.finish()
    }

    /// Loads each of `visits` that `sampling` still wants and hands it the outcome.
    fn run(&mut self, visits: &[Visit], modules: &Modules, sampling: &mut Sampling) {
        for visit in visits {
            if sampling.wants(visit) {
                let outcome = self.load(visit, modules);
                sampling.record(visit, outcome);
            }
        }
    }

    /// One page load in a fresh context; a failure names the browser's exit when it died.
    fn load(&mut self, visit: &Visit, modules: &Modules) -> Outcome {
        // A scenario export runs on the benchmark build, which a variant may lack.
        if let Probe::Operation { call: OperationCall::Export(export), .. } = &visit.probe
            && modules.of(visit).is_some_and(|(_, b)| b.scenarios.is_none())
        {
            let why = format!("{export} is the benchmark build's, which failed to build");
            return Outcome::Failed { error: RunError::environment(why), browser_exited: None };
        }
        let expression = browser_probe::expression(visit, modules, &self.server);
        // The scripts of the first kept load of a host app's page are what it ships; of its
        // control page's, what the host alone does.
        let mut counted = None;
        let page = match &visit.probe {
            Probe::Host { app, control } => {
                let site = self.host_sites.iter().position(|s| Some(s.variant) == visit.variant && s.app == *app);
                let Some(i) = site else {
                    let why = format!("the {} host has no site for this variant", app.as_str());
                    return Outcome::Failed { error: RunError::environment(why), browser_exited: None };
                };
                if !visit.warm_up && self.host_sites[i].counts(*control) {
                    self.host_sites[i].before_counted_load(*control);
                    counted = Some((i, *control));
                }
                self.host_sites[i].url(*control)
            }
            _ => self.page.clone(),
        };
        let from_navigation = matches!(visit.probe, Probe::Host { .. });
        let load = PageLoad {
            page: &page,
            cpu_throttling_rate: self.cpu_throttling_rate,
            expression: &expression,
            from_navigation,
        };
        let e = match self.session.evaluate_fresh(&load) {
            Ok(text) => {
                if let Some((i, control)) = counted {
                    self.host_sites[i].after_counted_load(control);
                }
                return Outcome::Returned(text);
            }
            Err(e) => e,
        };
        match self.process.exit_status(EXIT_GRACE) {
            Some(status) => {
                let tail = self.process.stderr_tail();
                let error = RunError::environment(format!("the browser exited ({status}): {e:#}{tail}"));
                Outcome::Failed { error, browser_exited: Some(tail) }
            }
            None => Outcome::Failed { error: RunError::environment(format!("{e:#}")), browser_exited: None },
        }
    }
}
