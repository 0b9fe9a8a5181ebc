//! The measuring pipeline: each selected variant's build plan (`perf_core::plan`) executed:
//! cargo, wasm-bindgen when the package uses it, wasm-opt, its artifacts (module, and glue)
//! measured and attributed; then its scenario exports run on its benchmark build (the
//! policy's benchmark features added) when it has one, in wasmtime and the browsers, while
//! cold init, the JS-API operations and the host apps load the production build. It writes
//! only the build artifacts; what it returns is a measured [`Run`], not yet gated
//! (`outputs.rs` concludes and writes it).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use perf_core::against_base::TimingAgainstBase;
use perf_core::attribution::Attribution;
use perf_core::browser_pairing::PairedTiming;
use perf_core::browser_sampling::Unavailable;
use perf_core::budget::Budgets;
use perf_core::corpus::{Corpus, CorpusContext, Scenario};
use perf_core::digest::sha256_hex;
use perf_core::display::number;
use perf_core::early_stop::EarlyStops;
use perf_core::host::HostApp;
use perf_core::pipeline::{Contention, PhaseTiming, PipelineReport, StepBudget, StepCounts, rounded_millis};
use perf_core::plan::{Build, PlanContext, VariantPlan};
use perf_core::policy::{Policy, Variant, VariantKind};
use perf_core::run::{self, ArtifactMeasurement, BenchmarkBuild, GlueMeasurement, Provenance, Run, VariantReport};
use perf_core::runtime::RunError;
use perf_core::sections::exported_functions;
use xshell::{Shell, cmd};

use crate::atomic_write::write_atomic;
use crate::attribution::{self, Profile};
use crate::browser_probe::{BaseModules, Modules, Shipped, VariantBuilds};
use crate::browser_runner::{self, BrowserSelection, HostBuilds};
use crate::host_build::{self, HostBuild, HostCaches, HostPages};
use crate::optimize::{self, BINARYEN_VERSION, CacheOutcome};
pub(crate) use crate::runner::Selection;
use crate::settings::{Engine, RuntimeArgs};
use crate::worktree::BaseCheckout;
use crate::{bindgen, inputs, measure, runner, timing_lock, toolchain};
use crate::{host_app, host_pkg};

/// Environment variables that set rustflags; the builds use only the policy's, through
/// CARGO_ENCODED_RUSTFLAGS (which outranks all of them and any config file).
const OVERRIDING_ENV: [&str; 3] = ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_RUSTFLAGS"];

/// The content-addressed caches the builds and their measuring use.
struct Caches {
    wasm_opt: PathBuf,
    measure: PathBuf,
}

impl Caches {
    /// The project's, under `artifacts/cache`: a base commit's builds share them.
    fn of_project() -> Caches {
        let root = crate::project_root();
        Caches { wasm_opt: root.join("artifacts/cache/wasm-opt"), measure: root.join("artifacts/cache/measure") }
    }
}

/// What a checkout's build plans are made with: its package, where cargo builds the wasm
/// target, and the path remaps that make its paths `/workspace`.
fn plan_context<'a>(package: &'a toolchain::PackageInfo, target_dir: &'a str, remaps: &'a [String]) -> PlanContext<'a> {
    PlanContext {
        package: &package.name,
        lib_name: &package.lib_name,
        target_dir,
        remaps,
        binaryen: BINARYEN_VERSION,
        wasm_bindgen: bindgen::WASM_BINDGEN_VERSION,
    }
}

/// Each of `selected`'s build plan, its benchmark build only `with_benchmark`.
fn variant_plans(policy: &Policy, selected: &[&Variant], cx: &PlanContext, with_benchmark: bool) -> Vec<VariantPlan> {
    let plan = |v: &&Variant| VariantPlan::of(policy, v, cx);
    selected.iter().map(plan).map(|p| VariantPlan { benchmark: p.benchmark.filter(|_| with_benchmark), ..p }).collect()
}

/// The expensive steps taken so far and the time each phase took.
struct Steps {
    counts: StepCounts,
    phases: Vec<PhaseTiming>,
}

/// The runtime half of a run: the corpus, checked, and which of it to run.
pub(crate) struct RuntimePlan<'a> {
    pub corpus: Corpus,
    pub corpus_sha256: String,
    /// The engines that run (all unless `--engine` narrowed the run).
    pub engines: Vec<Engine>,
    /// The host apps built and loaded (all unless `--host` narrowed the run).
    pub hosts: Vec<HostApp>,
    /// Load the hosts on every variant and in every environment that can load them, beyond
    /// the corpus's cells, for figures only (`--all-cells`).
    pub all_cells: bool,
    pub selection: Selection<'a>,
    /// Wait for another measuring run's timed phase (else refuse, exit 2).
    pub wait: bool,
    /// The package is built with wasm-bindgen: its module imports the JS glue, which
    /// wasmtime does not have, so only the browsers run it.
    pub bindgen: bool,
    /// Where a timing's sampling may stop once the gate's verdict on it is settled (a plain
    /// `perf`); none where every sample is wanted (a rebaseline, `init`, a matrix job).
    pub early_stops: EarlyStops,
}

impl<'a> RuntimePlan<'a> {
    /// `--engine …` when the run left out an engine the corpus runs on (wasmtime runs the
    /// scenarios; each browser its environments).
    pub(crate) fn narrowed_by(&self) -> Option<String> {
        let all = [Engine::Wasmtime, Engine::Chromium, Engine::Firefox];
        let engines = all
            .iter()
            .any(|e| self.uses(*e) && !self.engines.contains(e))
            .then(|| self.engines.iter().map(|e| format!("--engine {}", e.as_str())).collect::<Vec<_>>().join(" "));
        let declared = self.corpus.hosts.as_ref().map_or(&[][..], |h| &h.apps[..]);
        let hosts = declared
            .iter()
            .any(|a| !self.hosts.contains(a))
            .then(|| self.hosts.iter().map(|a| format!("--host {}", a.as_str())).collect::<Vec<_>>().join(" "));
        let words: Vec<String> = [engines, hosts].into_iter().flatten().collect();
        (!words.is_empty()).then(|| format!("this run selected {}", words.join(" ")))
    }

    /// Whether the corpus runs anything on `engine`: wasmtime the scenarios, a browser its
    /// environments.
    fn uses(&self, engine: Engine) -> bool {
        match engine.browser() {
            None => !self.bindgen && self.corpus.scenarios.iter().any(Scenario::runs_in_wasmtime),
            Some(kind) => self.corpus.environments.iter().any(|x| x.browser == kind),
        }
    }

    /// Whether wasmtime runs scenarios in this run: what `--compare` times in alternation.
    fn runs_in_wasmtime(&self) -> bool {
        self.uses(Engine::Wasmtime) && self.engines.contains(&Engine::Wasmtime)
    }

    /// Whether this run runs anything at all (else no benchmark build is needed).
    fn runs_anything(&self) -> bool {
        self.engines.iter().any(|e| self.uses(*e))
    }

    /// Reads and checks the corpus (its exports are checked when the scenarios bind) and
    /// the selection, before anything is built.
    pub(crate) fn load(
        loaded: &inputs::Loaded,
        args: &RuntimeArgs,
        selection: Selection<'a>,
        engines: &[Engine],
        hosts: &[HostApp],
    ) -> anyhow::Result<RuntimePlan<'a>> {
        let corpus = inputs::read(&args.corpus, Corpus::parse)?;
        let cx = CorpusContext { budgets: &loaded.budgets.value, exports: None, only: selection.scenario };
        corpus.value.check(&corpus.name, &cx)?;
        Ok(RuntimePlan {
            corpus: corpus.value,
            corpus_sha256: corpus.sha256,
            engines: if engines.is_empty() {
                vec![Engine::Wasmtime, Engine::Chromium, Engine::Firefox]
            } else {
                engines.to_vec()
            },
            hosts: if hosts.is_empty() { HostApp::ALL.to_vec() } else { hosts.to_vec() },
            all_cells: false,
            selection,
            wait: !args.no_wait,
            bindgen: loaded.policy.value.wasm_bindgen.is_some(),
            early_stops: EarlyStops::none(),
        })
    }
}

/// Builds, optimizes and measures `variants` (of the policy), then runs their scenarios.
pub(crate) fn measure(
    sh: &Shell,
    loaded: &inputs::Loaded,
    runtime: &RuntimePlan,
    selected: &[&Variant],
) -> anyhow::Result<Run> {
    measure_against(sh, loaded, runtime, selected, None).map(|(run, _)| run)
}

/// [`measure`], and with `base` (`perf --compare`) the base's builds too, made before the
/// timed phase, in which each variant's wasmtime operations are then timed in alternation
/// with the base's.
pub(crate) fn measure_against(
    sh: &Shell,
    loaded: &inputs::Loaded,
    runtime: &RuntimePlan,
    selected: &[&Variant],
    base: Option<&BaseCheckout>,
) -> anyhow::Result<(Run, Option<BaseRun>)> {
    let started = Instant::now();
    let policy = &loaded.policy.value;
    let package = inputs::validated_package(sh, loaded)?;
    toolchain::ensure_target(sh, &policy.target).with_context(|| format!("{}: /target", loaded.policy.name))?;
    let versions = toolchain::versions(sh)?;
    let commit = toolchain::git_commit(sh);
    let root = crate::project_root();
    let caches = Caches::of_project();
    let target_dir = wasm_target_dir(&root, &package.target_directory);
    let remaps = toolchain::path_remaps(sh, &versions, &root)?;
    let cx = plan_context(&package, &target_dir, &remaps);
    // A run that runs nothing needs no benchmark build.
    let plans = variant_plans(policy, selected, &cx, runtime.runs_anything());
    note_ignored_rustflags(&policy.target);

    let locks = timing_lock::Locks::from_env();
    let activity = locks.active()?;
    let mut steps = Steps { counts: StepCounts::default(), phases: Vec::new() };
    let built = build_and_measure(sh, selected, &plans, &caches, &mut steps);
    // Before the timing lock: an npm build must not share the cores with a timing.
    let host_builds =
        HostBuilds { builds: build_hosts(sh, runtime, &built, &mut steps), measure_cache: caches.measure.clone() };
    // The base's builds too, before the timings, which must not share the cores with them.
    let (mut base_run, base_builds) = match base {
        Some(b) => {
            let (run, builds) = build_base(sh, loaded, b, selected, runs_scenario_exports(runtime));
            (Some(run), builds)
        }
        None => (None, Vec::new()),
    };
    // After the builds, one variant at a time: the timings must not share the cores with
    // a build or with brotli, this run's or (the timing lock) another's.
    let timing =
        if built.iter().any(|(_, runs)| runs.is_some()) { Some(locks.timing(&activity, runtime.wait)?) } else { None };
    let narrowed_by = runtime.narrowed_by();
    let browsers = runtime.engines.iter().filter_map(|e| e.browser()).collect();
    let corpus_seeds = || runtime.corpus.coverage.required_seed_set.clone();
    let seeds = runtime.selection.seed.map_or_else(corpus_seeds, |s| vec![s]);
    let selection = BrowserSelection {
        browsers,
        narrowed_by: narrowed_by.clone(),
        all_cells: runtime.all_cells,
        seeds,
        early_stops: runtime.early_stops.clone(),
    };
    if let Some(base_run) = &mut base_run {
        base_run.family = comparisons(runtime, &loaded.budgets.value, &built, &selection).max(1);
    }
    let mut modules = Vec::new();
    let mut variants: Vec<VariantReport> = built
        .into_iter()
        .map(|(mut report, builds)| {
            let Some(builds) = builds else { return report };
            run_scenarios(&mut report, &builds, runtime, &loaded.budgets.value, narrowed_by.as_deref(), &mut steps);
            if let Some(base_run) = &mut base_run {
                let base = base_builds.iter().find(|(v, _)| *v == report.variant).map(|(_, b)| &**b);
                compare_scenarios(&report, &builds, base, runtime, &loaded.budgets.value, base_run, &mut steps);
            }
            modules.push((report.variant, Arc::new(builds)));
            report
        })
        .collect();
    if !modules.is_empty() {
        let t = Instant::now();
        let base = base_run.as_ref().map(|b| BaseModules { builds: base_builds.clone(), family: b.family });
        let modules = Modules { head: modules, base };
        let mut browsers = browser_runner::run_environments(sh, &runtime.corpus, &selection, &modules, &host_builds);
        for v in &mut variants {
            v.browsers = browsers.runs.remove(&v.variant).unwrap_or_default();
        }
        if let Some(base_run) = &mut base_run {
            base_run.timings.extend(paired_rows(&loaded.budgets.value, &variants, &browsers.paired));
        }
        steps.phases.push(phase("browsers", "all", t));
    }
    let contention = timing.map(|t| t.contention);
    drop(activity);

    let benchmark_builds = plans.iter().any(|p| p.benchmark.is_some());
    let pipeline = pipeline_report(steps, selected, benchmark_builds, started, contention);
    let run = Run {
        schema_version: run::SCHEMA_VERSION.to_owned(),
        commit,
        package: package.name,
        seed_set: loaded.budgets.value.seed_set.clone(),
        provenance: provenance(versions, loaded),
        corpus_sha256: runtime.corpus_sha256.clone(),
        variants,
        pipeline,
    };
    Ok((run, base_run))
}

/// What a run's figures were made with: the tools' versions and the documents' digests.
fn provenance(versions: toolchain::Versions, loaded: &inputs::Loaded) -> Provenance {
    Provenance {
        rustc: versions.rustc,
        cargo: versions.cargo,
        binaryen: BINARYEN_VERSION.to_owned(),
        host: versions.host,
        policy_sha256: loaded.policy.sha256.clone(),
        budgets_sha256: loaded.budgets.sha256.clone(),
        runner: runner_image(),
        wasm_bindgen: loaded.policy.value.wasm_bindgen.as_ref().map(|_| bindgen::WASM_BINDGEN_VERSION.to_owned()),
    }
}

/// The GitHub-hosted runner image this run measures on, as GitHub names it in every job's
/// environment (`ImageOS`, `ImageVersion`); `None` elsewhere.
fn runner_image() -> Option<String> {
    let var = |key| std::env::var(key).ok().filter(|v: &String| !v.trim().is_empty());
    Some(format!("{} {}", var("ImageOS")?, var("ImageVersion")?))
}

/// The browsers' paired cells, per environment, as rows against the base.
fn paired_rows<'a>(
    budgets: &'a Budgets,
    variants: &'a [VariantReport],
    paired: &'a [(String, Vec<PairedTiming>)],
) -> impl Iterator<Item = TimingAgainstBase> + 'a {
    paired.iter().flat_map(move |(environment, cells)| {
        cells.iter().filter_map(move |cell| {
            let report = variants.iter().find(|v| v.variant == cell.variant)?;
            TimingAgainstBase::of_browser(budgets, report, environment, cell)
        })
    })
}

/// A variant's wasmtime operations and cold start, the head's against the base's, in
/// alternation (`runner::compare_variant`), as rows of `base_run`; a base without a benchmark build gives
/// each scenario's rows its reason. The base's fuel and heap figures go into its variant's
/// report, to be compared exactly.
fn compare_scenarios(
    report: &VariantReport,
    builds: &VariantBuilds,
    base: Option<&VariantBuilds>,
    runtime: &RuntimePlan,
    budgets: &Budgets,
    base_run: &mut BaseRun,
    steps: &mut Steps,
) {
    if !runtime.runs_in_wasmtime() {
        return;
    }
    let Some(head) = &builds.scenarios else { return };
    let t = Instant::now();
    let head = runner::Modules { scenarios: &head.module, production: &builds.production.module };
    let base = base
        .and_then(|b| {
            Some(runner::Modules { scenarios: &b.scenarios.as_ref()?.module, production: &b.production.module })
        })
        .ok_or_else(|| "the base has no benchmark build of this variant (its build failed)".to_owned());
    let (corpus, selection) = (&runtime.corpus, &runtime.selection);
    let family = base_run.family;
    let compared = runner::compare_variant(head, base.clone(), report.variant, corpus, budgets, selection, family);
    for (scenario, outcome) in compared {
        base_run.timings.extend(TimingAgainstBase::of(budgets, report, scenario, &outcome));
    }
    let base_report = base_run.variants.iter_mut().find(|v| v.variant == report.variant);
    if let (Some(base_report), Ok(modules)) = (base_report, base) {
        eprintln!("the base's fuel and heap in use ({})", report.variant.as_str());
        base_report.runtime = Some(runner::run_deterministic(modules, report.variant, corpus, budgets, selection));
    }
    steps.phases.push(phase("compare", report.variant.as_str(), t));
}

/// How many timings `--compare` compares in all: wasmtime's operations on each variant built
/// and the selected browsers' cells; they share the run's error rate (`Design::within`).
fn comparisons(
    runtime: &RuntimePlan,
    budgets: &Budgets,
    built: &[(VariantReport, Option<VariantBuilds>)],
    selection: &BrowserSelection,
) -> usize {
    let variants: Vec<VariantKind> = built.iter().filter(|(_, b)| b.is_some()).map(|(r, _)| r.variant).collect();
    let wasmtime: usize = match runtime.runs_in_wasmtime() {
        true => {
            let compared =
                |v: &VariantKind| runner::compared_scenarios(*v, &runtime.corpus, budgets, &runtime.selection);
            variants.iter().map(|v| compared(v).len()).sum()
        }
        false => 0,
    };
    wasmtime + browser_runner::compared_cells(&runtime.corpus, selection, &variants)
}

/// Whether the run times a scenario's export, which runs on the benchmark build: in
/// wasmtime, or in a selected browser's environment.
fn runs_scenario_exports(runtime: &RuntimePlan) -> bool {
    let corpus = &runtime.corpus;
    let exported = |metric: &String| corpus.scenarios.iter().any(|s| s.export.is_some() && s.metrics.contains(metric));
    let in_browsers = corpus.environments.iter().any(|env| {
        runtime.engines.iter().any(|e| e.browser() == Some(env.browser)) && env.scenario_metrics.iter().any(exported)
    });
    runtime.runs_in_wasmtime() || in_browsers
}

/// The base's builds for `perf --compare REF`.
pub(crate) struct BaseRun {
    pub reference: String,
    pub commit: String,
    /// Each selected variant's production build, measured (or why it failed).
    pub variants: Vec<VariantReport>,
    /// The timed metrics compared in alternation with the head's.
    pub timings: Vec<TimingAgainstBase>,
    /// How many they are to be (set before the timings): they share the run's error rate.
    pub family: usize,
}

/// Builds and measures each of `selected` as the head's are, from the base's checkout with
/// its own target directory, its paths remapped to the same `/workspace`, so that the same
/// sources give the same bytes; with `benchmark`, their benchmark builds too, for the
/// paired timings of scenario exports. What failed is in the variants' `error`, so the
/// summary is still written.
fn build_base(
    sh: &Shell,
    loaded: &inputs::Loaded,
    base: &BaseCheckout,
    selected: &[&Variant],
    benchmark: bool,
) -> (BaseRun, Vec<(VariantKind, Arc<VariantBuilds>)>) {
    let started = Instant::now();
    let _in_checkout = sh.push_dir(&base.dir);
    let built = (|| {
        let package = toolchain::package_info(sh, &loaded.package)?;
        // The checkout's own rustc (its rust-toolchain.toml may pin another): what its cargo runs.
        let versions = toolchain::versions(sh)?;
        let target_dir = wasm_target_dir(&base.dir, &package.target_directory);
        let remaps = toolchain::path_remaps(sh, &versions, &base.dir)?;
        let cx = plan_context(&package, &target_dir, &remaps);
        let policy = &loaded.policy.value;
        let plans = variant_plans(policy, selected, &cx, benchmark);
        let mut steps = Steps { counts: StepCounts::default(), phases: Vec::new() };
        let built = build_and_measure(sh, selected, &plans, &Caches::of_project(), &mut steps);
        eprintln!(
            "note: {} ({}) built for --compare: {} cargo builds, {} wasm-opt runs, {:.1} s",
            base.reference,
            &base.commit[..12],
            steps.counts.cargo_builds,
            steps.counts.wasm_opt_runs,
            started.elapsed().as_secs_f64()
        );
        anyhow::Ok(built)
    })();
    let built = built.unwrap_or_else(|e: anyhow::Error| {
        let why = format!("the base's build could not start: {e:#}");
        let failed = |v: &Variant| VariantReport { error: Some(why.clone()), ..VariantReport::planned(v, Vec::new()) };
        selected.iter().map(|v| (failed(v), None)).collect()
    });
    let (mut variants, mut builds) = (Vec::new(), Vec::new());
    for (report, built) in built {
        builds.extend(built.map(|b| (report.variant, Arc::new(b))));
        variants.push(report);
    }
    let run = BaseRun {
        reference: base.reference.clone(),
        commit: base.commit.clone(),
        variants,
        timings: Vec::new(),
        family: 1,
    };
    (run, builds)
}

/// Builds the corpus's host apps around each of its variants' production builds, and each
/// app's control build (the app with the subject stubbed out, one for every variant), or
/// takes them from the cache, when a Chromium environment that loads them runs; a failed
/// build fails that host (on that variant, or on all for its control), and the others are
/// still built.
fn build_hosts(
    sh: &Shell,
    runtime: &RuntimePlan,
    built: &[(VariantReport, Option<VariantBuilds>)],
    steps: &mut Steps,
) -> Vec<(VariantKind, HostApp, Result<HostPages, Unavailable>)> {
    // The corpus check made the hosts' environments existing Chromium ones, and a corpus
    // with hosts has a browser protocol, whose first call the hosts make.
    // With --all-cells, Firefox loads them too.
    let loads = runtime.engines.contains(&Engine::Chromium)
        || (runtime.all_cells && runtime.engines.contains(&Engine::Firefox));
    let (Some(hosts), Some(protocol)) =
        (runtime.corpus.hosts.as_ref().filter(|_| loads), &runtime.corpus.browser_protocol)
    else {
        return Vec::new();
    };
    let probe = std::fs::read(host_app::hosts_dir().join("probe.js"))
        .map_err(|e| anyhow!("cannot read the page contract xtask/hosts/probe.js: {e}"));
    let caches = HostCaches::under(&crate::project_root());
    let hosted: Vec<(&VariantReport, &VariantBuilds)> = built
        .iter()
        .filter_map(|(report, builds)| Some((report, builds.as_ref()?)))
        .filter(|(report, _)| runtime.all_cells || hosts.variants.contains(&report.variant))
        .collect();
    let mut controls: Vec<(HostApp, Result<HostBuild, Unavailable>)> = Vec::new();
    let mut out = Vec::new();
    for &app in &hosts.apps {
        if !runtime.hosts.contains(&app) {
            let why = runtime.narrowed_by().unwrap_or_default();
            out.extend(hosted.iter().map(|(r, _)| (r.variant, app, Err(Unavailable::LeftOut(why.clone())))));
            continue;
        }
        if hosted.is_empty() {
            continue;
        }
        let t = Instant::now();
        let control = probe
            .as_ref()
            .map_err(|e| anyhow!("{e}"))
            .and_then(|probe| host_build::build(sh, app, &host_pkg::control_pkg_files(probe), None, &caches));
        controls.push((app, counted(control, &format!("{}/control", app.as_str()), t, steps)));
    }
    for (report, builds) in hosted {
        let shipped = &builds.production;
        for (app, control) in &controls {
            let t = Instant::now();
            let result = probe.as_ref().map_err(|e| anyhow!("{e}")).and_then(|probe| {
                let pkg = host_pkg::pkg_files(shipped, &protocol.first_call, probe);
                host_build::build(sh, *app, &pkg, Some(&shipped.module_name), &caches)
            });
            let name = format!("{}/{}", app.as_str(), report.variant.as_str());
            let pages = counted(result, &name, t, steps)
                .and_then(|page| control.clone().map(|control| HostPages { page, control }));
            out.push((report.variant, *app, pages));
        }
    }
    out
}

/// A host build's outcome, its steps counted and timed (since `t`) under `name`.
fn counted(
    result: anyhow::Result<HostBuild>,
    name: &str,
    t: Instant,
    steps: &mut Steps,
) -> Result<HostBuild, Unavailable> {
    match result {
        Ok(b) => {
            let ms = |m: Option<u64>| m.map(|m| m as f64);
            for (what, millis) in [("npm ci", ms(b.install_millis)), ("npm run build", ms(b.build_millis))] {
                if let Some(millis) = millis {
                    steps.phases.push(PhaseTiming { phase: what.to_owned(), variant: name.to_owned(), millis });
                }
            }
            let (how, count) = match b.cache_hit {
                true => ("host (cached)", &mut steps.counts.host_cache_hits),
                false => ("host", &mut steps.counts.host_builds),
            };
            *count += 1;
            steps.phases.push(phase(how, name, t));
            Ok(b)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            Err(Unavailable::Failed(RunError::environment(format!("{e:#}"))))
        }
    }
}

/// Says which rustflags from the environment the wasm builds ignore: the policy sets them.
fn note_ignored_rustflags(target: &str) {
    let target_flags = format!("CARGO_TARGET_{}_RUSTFLAGS", target.to_uppercase().replace(['-', '.'], "_"));
    for key in OVERRIDING_ENV.iter().copied().chain([target_flags.as_str()]) {
        if std::env::var_os(key).is_some() {
            eprintln!("note: ignoring {key} for the wasm builds: the optimization policy sets their flags");
        }
    }
}

/// Builds every selected variant by its plan and measures its artifacts. Builds run one
/// after another; each variant's measuring (brotli at quality 11 is the slow part) runs on
/// its own thread meanwhile, so both cores are used. Each variant's report comes back with
/// the modules its runtime runs, when it has them.
fn build_and_measure(
    sh: &Shell,
    selected: &[&Variant],
    plans: &[VariantPlan],
    caches: &Caches,
    steps: &mut Steps,
) -> Vec<(VariantReport, Option<VariantBuilds>)> {
    std::thread::scope(|s| {
        let pending: Vec<_> = selected
            .iter()
            .zip(plans)
            .map(|(&v, plan)| {
                let (report, built) = build_variant(sh, v, plan, caches, steps);
                let cache = &caches.measure;
                (report, built.map(|a| s.spawn(move || measure_artifacts(v.variant, a, cache))))
            })
            .collect();
        pending
            .into_iter()
            .map(|(mut report, measuring)| {
                let Some(handle) = measuring else { return (report, None) };
                match handle.join() {
                    Ok((measured, timing)) => {
                        steps.phases.push(timing);
                        match measured {
                            Ok(m) => {
                                (report.pre_opt, report.post_opt, report.glue) = (Some(m.pre), Some(m.post), m.glue);
                                match m.attribution {
                                    Ok(a) => report.attribution = Some(a),
                                    Err(e) => report.attribution_error = Some(format!("{e:#}")),
                                }
                                return (report, Some(m.builds));
                            }
                            Err(e) => report.error = Some(format!("{e:#}")),
                        }
                    }
                    Err(_) => report.error = Some("measuring the artifacts panicked".to_owned()),
                }
                (report, None)
            })
            .collect()
    })
}

/// Runs the corpus's scenarios on one variant's builds in wasmtime (cold start on what
/// ships, the others on the benchmark build), or says why not.
fn run_scenarios(
    report: &mut VariantReport,
    builds: &VariantBuilds,
    runtime: &RuntimePlan,
    budgets: &Budgets,
    narrowed_by: Option<&str>,
    steps: &mut Steps,
) {
    if !runtime.corpus.scenarios.iter().any(Scenario::runs_in_wasmtime) {
        // Nothing to run in wasmtime: only the browsers' environments and operations.
    } else if runtime.bindgen {
        report.runtime_skipped = Some(
            "the module imports its wasm-bindgen JS glue, which wasmtime does not have: it runs in the browsers only"
                .to_owned(),
        );
    } else if !runtime.engines.contains(&Engine::Wasmtime) {
        report.runtime_skipped = Some(format!("wasmtime was left out ({})", narrowed_by.unwrap_or_default()));
    } else if let Some(scenarios) = &builds.scenarios {
        let t = Instant::now();
        let modules = runner::Modules { scenarios: &scenarios.module, production: &builds.production.module };
        report.runtime = Some(runner::run_variant(
            modules,
            report.variant,
            &runtime.corpus,
            budgets,
            &runtime.selection,
            &runtime.early_stops,
        ));
        steps.phases.push(phase("runtime", report.variant.as_str(), t));
    }
    // Otherwise the benchmark build failed: the records say so (`benchmark_error`).
}

/// The pipeline's accounting: its steps against their budget, the phases, the total time.
fn pipeline_report(
    steps: Steps,
    selected: &[&Variant],
    benchmark_builds: bool,
    started: Instant,
    contention: Option<Contention>,
) -> PipelineReport {
    let step_budget = StepBudget::for_variants(selected.iter().copied(), benchmark_builds);
    let (status, reason) = step_budget.check(&steps.counts);
    PipelineReport {
        steps: steps.counts,
        step_budget,
        status,
        reason,
        phases: steps.phases,
        total_millis: millis(started),
        contention,
    }
}

/// Where the wasm builds go, as the recorded command names it (relative to the workspace
/// when inside it). Inside this checkout's own target directory, `perf-wasm`; in a target
/// directory outside the checkout (a `CARGO_TARGET_DIR` several checkouts share), a
/// directory of this checkout's own: cargo keys a workspace member's build by its path
/// relative to the workspace, so two checkouts would otherwise share one uplifted `.wasm`
/// and cargo would call the other checkout's build fresh.
pub(crate) fn wasm_target_dir(root: &Path, target_directory: &Path) -> String {
    let dir = if target_directory.starts_with(root) {
        target_directory.join("perf-wasm")
    } else {
        let checkout = sha256_hex(root.as_os_str().as_encoded_bytes());
        target_directory.join(format!("perf-wasm-{}", &checkout[..16]))
    };
    dir.strip_prefix(root).unwrap_or(&dir).display().to_string()
}

/// Cargo's output and what ships, named as the summary shows them, and what the engines
/// load of the variant (its two builds).
struct Artifacts {
    pre_name: String,
    pre: Vec<u8>,
    post_name: String,
    post: Vec<u8>,
    /// wasm-bindgen's glue files (none without wasm-bindgen).
    glue: Vec<Written>,
    builds: VariantBuilds,
}

/// Builds and optimizes one variant, then its benchmark build when its plan has one; a
/// failure is kept in the report's `error` (production) or `benchmark_error`.
fn build_variant(
    sh: &Shell,
    v: &Variant,
    plan: &VariantPlan,
    caches: &Caches,
    steps: &mut Steps,
) -> (VariantReport, Option<Artifacts>) {
    let production = &plan.production;
    let mut report = VariantReport {
        wasm_opt: production.wasm_opt.as_ref().map(|w| w.command_line()),
        ..VariantReport::planned(v, production.commands())
    };
    let built = match build_and_optimize(sh, v.variant, production, caches, steps, "").and_then(|built| {
        let names = exported_functions(&built.post.1)
            .with_context(|| format!("cannot read the exports of {}", built.post.0))?;
        report.shipped_exports = names.into_iter().collect();
        Ok(built)
    }) {
        Ok(built) => built,
        Err(e) => {
            report.error = Some(format!("{e:#}"));
            return (report, None);
        }
    };
    // A failed benchmark build loses only what runs on it (the scenario exports, and
    // wasmtime's cold start with them): what ships is still measured and loaded.
    let runs = match &plan.benchmark {
        None => Some(built.shipped()),
        Some(bench) => match build_and_optimize(sh, v.variant, bench, caches, steps, "benchmark ") {
            Ok(bench_built) => {
                let shipped = bench_built.shipped();
                let (path, module) = bench_built.post;
                report.benchmark = Some(BenchmarkBuild {
                    features: bench.features.clone(),
                    commands: bench.commands(),
                    sha256: sha256_hex(&module),
                    raw_bytes: module.len() as u64,
                    path,
                });
                Some(shipped)
            }
            Err(e) => {
                report.benchmark_error = Some(format!("{e:#} (command: {})", bench.cargo.command_line()));
                None
            }
        },
    };
    let production = built.shipped();
    let Built { pre: (pre_name, pre), post: (post_name, post), glue, .. } = built;
    (
        report,
        Some(Artifacts { pre_name, pre, post_name, post, glue, builds: VariantBuilds { scenarios: runs, production } }),
    )
}

/// A file the pipeline wrote: its path as the summary names it, and its bytes.
type Written = (String, Vec<u8>);

/// What one build wrote: the module wasm-opt read, the optimized module (the same bytes when
/// the variant skips wasm-opt), and wasm-bindgen's glue files and TypeScript declarations
/// (none without wasm-bindgen).
struct Built {
    pre: Written,
    post: Written,
    glue: Vec<Written>,
    declarations: Option<Written>,
}

impl Built {
    /// What a browser loads: the optimized module and the glue, named relative to the
    /// module's directory (as the glue imports its snippets), and the declarations.
    fn shipped(&self) -> Shipped {
        let (dir, module_name) = self.post.0.rsplit_once('/').unwrap_or(("", &self.post.0));
        let relative = |name: &str| name.strip_prefix(dir).map_or(name, |r| r.trim_start_matches('/')).to_owned();
        Shipped {
            module: self.post.1.clone(),
            module_name: module_name.to_owned(),
            glue: self.glue.iter().map(|(name, js)| (relative(name), js.clone())).collect(),
            declarations: self.declarations.as_ref().map(|(name, d)| (relative(name), d.clone())),
        }
    }
}

/// Runs one build of its plan (`kind` is "" for the production build, "benchmark " for the
/// other): cargo, wasm-bindgen on its output when the package uses it, then wasm-opt.
fn build_and_optimize(
    sh: &Shell,
    variant_kind: VariantKind,
    build: &Build,
    caches: &Caches,
    steps: &mut Steps,
    kind: &str,
) -> anyhow::Result<Built> {
    let variant = variant_kind.as_str();
    let t = Instant::now();
    let cargo_build = &build.cargo;
    eprintln!("building {}: {}", format!("{variant} {kind}").trim_end(), cargo_build.command_line());
    let cargo = toolchain::cargo();
    let args = &cargo_build.args;
    let mut cmd = cmd!(sh, "{cargo} {args...}").quiet();
    for key in OVERRIDING_ENV {
        cmd = cmd.env_remove(key);
    }
    cmd = cmd.env("CARGO_ENCODED_RUSTFLAGS", &cargo_build.encoded_rustflags);
    steps.counts.cargo_builds += 1;
    // Through std's Command for the exit status; the command itself is in the summary.
    let status = std::process::Command::from(cmd).status().context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo {kind}build of the {variant} variant failed ({status}); cargo's errors are above");
    }
    steps.phases.push(phase(&format!("{kind}build"), variant, t));

    let built = sh.current_dir().join(&build.cargo_output);
    let paths = &build.paths;
    let (pre_path, post_path) = (sh.current_dir().join(&paths.pre_opt), sh.current_dir().join(&paths.post_opt));
    let cargo_output =
        std::fs::read(&built).with_context(|| format!("cargo reported success but wrote no {}", built.display()))?;
    let (pre, glue, declarations) = match (&build.wasm_bindgen, &paths.glue) {
        (Some(step), Some(glue_path)) => {
            let t = Instant::now();
            let staging = sh.current_dir().join(&step.staging);
            let generated = bindgen::generate(&step.lib_name, cargo_output, &step.settings, &staging)
                .with_context(|| format!("wasm-bindgen on the {variant} variant's {}", built.display()))?;
            let glue = write_glue(sh, glue_path, generated.glue)?;
            let declarations = write_beside(sh, glue_path, generated.declarations)?;
            steps.phases.push(phase(&format!("{kind}wasm-bindgen"), variant, t));
            (generated.module, glue, Some(declarations))
        }
        _ => (cargo_output, Vec::new(), None),
    };
    write_atomic(&pre_path, &pre)?;

    let post = match &build.wasm_opt {
        Some(step) => {
            let t = Instant::now();
            let (outcome, optimized) =
                optimize::optimize(&pre_path, &pre, &post_path, &step.settings, &caches.wasm_opt)?;
            match outcome {
                CacheOutcome::Hit => steps.counts.wasm_opt_cache_hits += 1,
                CacheOutcome::Miss => steps.counts.wasm_opt_runs += 1,
            }
            steps.phases.push(phase(&format!("{kind}wasm-opt"), variant, t));
            optimized
        }
        None => {
            write_atomic(&post_path, &pre)?;
            pre.clone()
        }
    };
    Ok(Built { pre: (paths.pre_opt.clone(), pre), post: (paths.post_opt.clone(), post), glue, declarations })
}

/// Writes `file` (named relative to the glue's directory) beside the main glue file.
fn write_beside(sh: &Shell, glue_path: &str, (relative, bytes): Written) -> anyhow::Result<Written> {
    let name = match glue_path.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{relative}"),
        None => relative,
    };
    write_atomic(&sh.current_dir().join(&name), &bytes)?;
    Ok((name, bytes))
}

/// Writes wasm-bindgen's glue files where `glue_path` (the main glue file) says, replacing
/// the snippets of an earlier run; returns them as the summary names them.
fn write_glue(sh: &Shell, glue_path: &str, files: Vec<(String, Vec<u8>)>) -> anyhow::Result<Vec<Written>> {
    let dir = glue_path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let snippets = sh.current_dir().join(dir).join("snippets");
    if snippets.exists() {
        std::fs::remove_dir_all(&snippets).with_context(|| format!("cannot remove {}", snippets.display()))?;
    }
    let mut written = Vec::new();
    for (relative, bytes) in files {
        let name = if dir.is_empty() { relative } else { format!("{dir}/{relative}") };
        write_atomic(&sh.current_dir().join(&name), &bytes)?;
        written.push((name, bytes));
    }
    Ok(written)
}

/// What measuring a variant's artifacts gives: both measurements, the attribution and what
/// the engines load of the variant.
struct ArtifactFigures {
    pre: ArtifactMeasurement,
    post: ArtifactMeasurement,
    attribution: anyhow::Result<Attribution>,
    glue: Option<GlueMeasurement>,
    builds: VariantBuilds,
}

/// Measures both artifacts of a variant (on two threads), attributes its bytes, and times it.
fn measure_artifacts(
    variant: VariantKind,
    a: Artifacts,
    cache: &Path,
) -> (anyhow::Result<ArtifactFigures>, PhaseTiming) {
    let t = Instant::now();
    let measured = std::thread::scope(|s| {
        let pre = s.spawn(|| measure::measure(&a.pre_name, &a.pre, cache));
        let post = if a.post == a.pre { None } else { Some(measure::measure(&a.post_name, &a.post, cache)) };
        let glue = a
            .glue
            .iter()
            .map(|(path, js)| measure::measure_js_file(path, js, cache))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let pre = pre.join().unwrap_or_else(|_| Err(anyhow!("measuring {} panicked", a.pre_name)))?;
        // A variant without wasm-opt ships cargo's bytes unchanged: one measurement serves both.
        let post = match post {
            Some(m) => m?,
            None => ArtifactMeasurement { path: a.post_name.clone(), ..pre.clone() },
        };
        let glue = (!glue.is_empty()).then(|| GlueMeasurement::of(glue));
        Ok((pre, post, glue))
    });
    let figures = measured.map(|(pre, post, glue)| {
        let attribution = attribution::attribute(variant, profiled(&a, &pre, &post));
        ArtifactFigures { pre, post, attribution, glue, builds: a.builds }
    });
    (figures, phase("measure", variant.as_str(), t))
}

/// The artifact to attribute: the shipped one when it has names, else cargo's named output
/// (wasm-opt drops the name section), else the shipped one with indices for names.
fn profiled<'a>(a: &'a Artifacts, pre: &'a ArtifactMeasurement, post: &'a ArtifactMeasurement) -> Profile<'a> {
    let code_and_data = |m: &ArtifactMeasurement| m.sections.code_bytes + m.sections.data_bytes;
    if post.sections.has_name_section {
        let note = "the shipped module itself (it has a name section)".to_owned();
        return Profile { path: &post.path, sha256: &post.sha256, wasm: &a.post, named: true, note };
    }
    if pre.sections.has_name_section {
        let note = format!(
            "{} before wasm-opt, for its names (the shipped module has no name section); \
             wasm-opt then takes code and data from {} to {} bytes",
            if a.glue.is_empty() { "cargo's output" } else { "wasm-bindgen's output" },
            number(code_and_data(pre) as f64),
            number(code_and_data(post) as f64)
        );
        return Profile { path: &pre.path, sha256: &pre.sha256, wasm: &a.pre, named: true, note };
    }
    let note = "the shipped module, which has no name section: functions are named by index".to_owned();
    Profile { path: &post.path, sha256: &post.sha256, wasm: &a.post, named: false, note }
}

fn phase(phase: &str, variant: &str, since: Instant) -> PhaseTiming {
    PhaseTiming { phase: phase.to_owned(), variant: variant.to_owned(), millis: millis(since) }
}

fn millis(since: Instant) -> f64 {
    rounded_millis(since.elapsed())
}
