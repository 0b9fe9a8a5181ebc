//! Runs a variant's benchmark scenarios in wasmtime, per the corpus protocol: cold init
//! (compile + instantiate in a fresh engine), per-operation latency (calibrated against an
//! empty operation), heap in use after a warm-up, and fuel per operation, each per seed. A
//! call that exceeds the fuel, time or memory limit is stopped and named; the other
//! scenarios still run.
//!
//! Each scenario first runs under fuel metering (deterministic, so an endless loop is
//! caught there the same way every time), then under the clock in an engine without fuel
//! metering, whose instrumentation would otherwise be part of every timing.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use perf_core::budget::{Budgets, Source};
use perf_core::corpus::{Corpus, Limits, Protocol, Scenario};
use perf_core::early_stop::{EarlyStops, StopPlan};
use perf_core::policy::VariantKind;
use perf_core::runtime::{Calibration, Figures, FuelFigures, RunError, RunErrorKind, RuntimeReport, ScenarioRun};
use perf_core::sequential::{Design, Look, Standing, Statistic, compare_paired};
use perf_core::sequential::{NotCompared, PairedOutcome};
use perf_core::stats::{Distribution, median_of_seed_p95s};
use perf_core::unit::Unit;
use wasm_scenario::HEAP_IN_USE_EXPORT;
use wasmtime::{
    Config, Engine, Func, Instance, Module, ResourceLimiter, Store, Trap, TypedFunc, WasmParams, WasmResults,
};

/// The engine, as the summary records it; a tidy test keeps the version equal to Cargo.lock's.
pub const ENGINE: &str = "wasmtime 48.0.8 (cranelift)";

/// How often the epoch ticks: the resolution of the per-call time limit.
const TICK: Duration = Duration::from_millis(10);

/// What to run: every scenario on every seed, or a reproduction of one.
pub struct Selection<'a> {
    pub scenario: Option<&'a str>,
    pub seed: Option<u64>,
    /// `cargo xtask perf` and any non-default input flags, for the repro commands.
    pub command: &'a str,
}

/// A variant's two modules: the benchmark build, whose scenario exports the scenarios
/// drive (what ships when there is no benchmark build), and what ships, whose cold start is
/// timed.
#[derive(Clone, Copy)]
pub struct Modules<'a> {
    pub scenarios: &'a [u8],
    pub production: &'a [u8],
}

/// Runs every scenario of `corpus` that runs on `variant` on its `modules`; the cold start
/// stops sampling where `stops` allow.
pub fn run_variant(
    modules: Modules,
    variant: VariantKind,
    corpus: &Corpus,
    budgets: &Budgets,
    selection: &Selection,
    stops: &EarlyStops,
) -> RuntimeReport {
    run(modules, variant, corpus, budgets, selection, Clock::On(stops))
}

/// What `run_variant` figures without a clock: fuel per operation and heap in use, which
/// depend on the code alone (a base commit's, compared exactly with `--compare`).
pub fn run_deterministic(
    modules: Modules,
    variant: VariantKind,
    corpus: &Corpus,
    budgets: &Budgets,
    selection: &Selection,
) -> RuntimeReport {
    run(modules, variant, corpus, budgets, selection, Clock::Off)
}

/// Whether a run times anything (cold start, operations) besides its deterministic figures,
/// and where its cold start may stop sampling.
#[derive(Clone, Copy)]
enum Clock<'a> {
    On(&'a EarlyStops),
    Off,
}

impl Clock<'_> {
    fn is_on(self) -> bool {
        matches!(self, Clock::On(_))
    }
}

fn run(
    modules: Modules,
    variant: VariantKind,
    corpus: &Corpus,
    budgets: &Budgets,
    selection: &Selection,
    clock: Clock,
) -> RuntimeReport {
    let scenarios: Vec<&Scenario> = corpus
        .scenarios
        .iter()
        .filter(|s| s.runs_in_wasmtime())
        .filter(|s| s.variants.contains(&variant) && selection.scenario.is_none_or(|id| id == s.id))
        .collect();
    let protocol = corpus.protocol;
    let timing = engine(false);
    let fuel = engine(true);
    let (calibration, scenarios) = with_epoch_clock(&timing, || {
        match Compiled::new(modules, &timing, &fuel, protocol.limits) {
            Ok(compiled) => {
                let calibration = if clock.is_on() { calibrate(&timing, protocol) } else { None };
                let runs: Vec<ScenarioRun> = scenarios
                    .iter()
                    .map(|sc| {
                        let cold_start = match clock {
                            Clock::On(stops) => cold_start_plan(sc, variant, budgets, protocol, stops),
                            Clock::Off => None,
                        };
                        let timed = Timed { on: clock.is_on(), calibration, cold_start };
                        run_scenario(&compiled, sc, budgets, protocol, timed, selection)
                    })
                    .collect();
                (calibration, runs)
            }
            // A module that cannot be compiled or instantiated fails every scenario the same way.
            Err(e) => (None, scenarios.iter().map(|sc| failed_run(sc, selection, e.clone())).collect()),
        }
    });
    let narrowed: Vec<String> =
        [selection.scenario.map(|id| format!("--scenario {id}")), selection.seed.map(|seed| format!("--seed {seed}"))]
            .into_iter()
            .flatten()
            .collect();
    let selection = (!narrowed.is_empty()).then(|| narrowed.join(" "));
    RuntimeReport { engine: ENGINE.to_owned(), calibration, selection, scenarios }
}

/// `f`, with the timing engine's epoch clock ticking (its calls' time limits) until it returns.
fn with_epoch_clock<R>(timing: &Engine, f: impl FnOnce() -> R) -> R {
    let ticking = AtomicBool::new(true);
    std::thread::scope(|s| {
        s.spawn(|| {
            while ticking.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                timing.increment_epoch();
            }
        });
        let result = f();
        ticking.store(false, Ordering::Relaxed);
        result
    })
}

fn engine(consume_fuel: bool) -> Engine {
    let mut config = Config::new();
    config.consume_fuel(consume_fuel).epoch_interruption(!consume_fuel);
    // Only settings the default engine has: it cannot fail.
    Engine::new(&config).unwrap_or_else(|e| panic!("wasmtime rejected its own default configuration: {e}"))
}

/// The module compiled for both engines, checked to instantiate.
struct Compiled<'e> {
    /// What ships, compiled afresh by every cold start.
    production: &'e [u8],
    timing: Module,
    fuel: Module,
}

impl<'e> Compiled<'e> {
    fn new(modules: Modules<'e>, timing: &Engine, fuel: &Engine, limits: Limits) -> Result<Compiled<'e>, RunError> {
        let compile = |engine: &Engine| {
            Module::new(engine, modules.scenarios).map_err(|e| input(format!("the module does not compile: {e:#}")))
        };
        let compiled = Compiled { production: modules.production, timing: compile(timing)?, fuel: compile(fuel)? };
        let imports: Vec<String> =
            compiled.fuel.imports().map(|i| format!("{}.{} ({})", i.module(), i.name(), kind(&i.ty()))).collect();
        if !imports.is_empty() {
            return Err(input(format!(
                "the module imports {}; the runner provides no imports (a scenario module must be self-contained)",
                imports.join(", ")
            )));
        }
        // Under fuel, so a start function that never returns is stopped here, once.
        Guest::new(&compiled.fuel, limits, Meter::Fuel)?;
        Ok(compiled)
    }
}

fn kind(ty: &wasmtime::ExternType) -> &'static str {
    match ty {
        wasmtime::ExternType::Func(_) => "function",
        wasmtime::ExternType::Global(_) => "global",
        wasmtime::ExternType::Table(_) => "table",
        wasmtime::ExternType::Memory(_) => "memory",
        wasmtime::ExternType::Tag(_) => "tag",
    }
}

#[derive(Clone, Copy)]
enum Meter {
    Fuel,
    Clock,
}

/// The store's data: the limits, and the memory growth that was refused, if any.
struct Budget {
    limits: Limits,
    meter: Meter,
    denied: Option<usize>,
}

impl ResourceLimiter for Budget {
    fn memory_growing(&mut self, _current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        if desired as u64 > self.limits.memory_mib.saturating_mul(1 << 20) {
            self.denied = Some(desired);
            // An error (not `false`) traps at once, instead of letting the allocator abort.
            return Err(wasmtime::Error::msg("memory limit"));
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, _desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

/// One instance with its store.
struct Guest {
    store: Store<Budget>,
    instance: Instance,
}

impl Guest {
    fn new(module: &Module, limits: Limits, meter: Meter) -> Result<Guest, RunError> {
        let mut store = Store::new(module.engine(), Budget { limits, meter, denied: None });
        store.limiter(|b: &mut Budget| -> &mut dyn ResourceLimiter { b });
        arm(&mut store);
        let instance =
            Instance::new(&mut store, module, &[]).map_err(|e| classify(&mut store, "instantiating the module", e))?;
        Ok(Guest { store, instance })
    }

    fn func<P: WasmParams, R: WasmResults>(&mut self, name: &str, expected: &str) -> Result<TypedFunc<P, R>, RunError> {
        let func: Func = self
            .instance
            .get_func(&mut self.store, name)
            .ok_or_else(|| input(format!("the module does not export the function {name}")))?;
        func.typed::<P, R>(&self.store).map_err(|_| {
            input(format!("{name} has type {}, the scenario ABI expects {expected}", signature(&func.ty(&self.store))))
        })
    }

    fn call<P: WasmParams, R: WasmResults>(&mut self, f: &TypedFunc<P, R>, args: P, what: &str) -> Result<R, RunError> {
        arm(&mut self.store);
        f.call(&mut self.store, args).map_err(|e| classify(&mut self.store, what, e))
    }

    /// Fuel the last call used (fuel metering only).
    fn fuel_used(&self) -> u64 {
        self.store.data().limits.fuel_per_call.saturating_sub(self.store.get_fuel().unwrap_or(0))
    }
}

/// `(i64) -> (i32)`, as the scenario ABI is written.
fn signature(ty: &wasmtime::FuncType) -> String {
    let params: Vec<String> = ty.params().map(|t| t.to_string()).collect();
    let results: Vec<String> = ty.results().map(|t| t.to_string()).collect();
    format!("({}) -> ({})", params.join(", "), results.join(", "))
}

/// Gives the next call its full fuel or time allowance.
fn arm(store: &mut Store<Budget>) {
    let Budget { limits, meter, .. } = *store.data();
    match meter {
        // Fuel metering is on in this engine, so setting fuel cannot fail.
        Meter::Fuel => store.set_fuel(limits.fuel_per_call).unwrap_or(()),
        Meter::Clock => store.set_epoch_deadline(limits.millis_per_call.div_ceil(TICK.as_millis() as u64).max(1)),
    }
}

/// Names what stopped a call: a limit, a trap, or another failure.
fn classify(store: &mut Store<Budget>, what: &str, e: wasmtime::Error) -> RunError {
    let limits = store.data().limits;
    if let Some(bytes) = store.data_mut().denied.take() {
        return RunError {
            kind: RunErrorKind::Limit,
            message: format!(
                "{what} tried to grow linear memory to {} MiB, over the limit of {} MiB",
                bytes >> 20,
                limits.memory_mib
            ),
        };
    }
    let (kind, message) = match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => (
            RunErrorKind::Limit,
            format!("{what} used more than {} fuel (the per-call limit): an endless loop?", limits.fuel_per_call),
        ),
        Some(Trap::Interrupt) => (
            RunErrorKind::Limit,
            format!("{what} ran longer than {} ms (the per-call limit): an endless loop?", limits.millis_per_call),
        ),
        Some(trap) => (RunErrorKind::Trap, format!("{what}: {trap}")),
        None => (RunErrorKind::Trap, format!("{what} failed: {e:#}")),
    };
    RunError { kind, message }
}

fn input(message: String) -> RunError {
    RunError { kind: RunErrorKind::Input, message }
}

/// The scenario's three exports, typed.
struct Abi {
    setup: TypedFunc<i64, i32>,
    op: TypedFunc<(), i64>,
    teardown: TypedFunc<(), i32>,
    name: String,
}

impl Abi {
    fn bind(guest: &mut Guest, name: &str) -> Result<Abi, RunError> {
        Ok(Abi {
            setup: guest.func(&format!("{name}_setup"), "(i64) -> (i32)")?,
            op: guest.func(&format!("{name}_op"), "() -> (i64)")?,
            teardown: guest.func(&format!("{name}_teardown"), "() -> (i32)")?,
            name: name.to_owned(),
        })
    }

    fn setup(&self, guest: &mut Guest, seed: u64) -> Result<(), RunError> {
        let what = format!("{}_setup({seed})", self.name);
        match guest.call(&self.setup, seed as i64, &what)? {
            0 => Ok(()),
            code => Err(RunError { kind: RunErrorKind::Invariant, message: format!("{what} returned {code}") }),
        }
    }

    fn op(&self, guest: &mut Guest) -> Result<i64, RunError> {
        guest.call(&self.op, (), &format!("{}_op", self.name))
    }

    fn teardown(&self, guest: &mut Guest) -> Result<(), RunError> {
        let what = format!("{}_teardown", self.name);
        match guest.call(&self.teardown, (), &what)? {
            0 => Ok(()),
            code => Err(RunError {
                kind: RunErrorKind::Invariant,
                message: format!("{what} returned {code}: an invariant of the scenario broke"),
            }),
        }
    }
}

/// A fresh instance of `module` with the scenario set up for `seed` and warmed up.
fn prepared(
    module: &Module,
    limits: Limits,
    meter: Meter,
    export: &str,
    seed: u64,
    warmup: u32,
) -> Result<(Guest, Abi), RunError> {
    let mut guest = Guest::new(module, limits, meter)?;
    let abi = Abi::bind(&mut guest, export)?;
    abi.setup(&mut guest, seed)?;
    for _ in 0..warmup {
        abi.op(&mut guest)?;
    }
    Ok((guest, abi))
}

fn seeds(scenario: &Scenario, selection: &Selection) -> Vec<u64> {
    match selection.seed {
        Some(seed) => vec![seed],
        None => scenario.seed_set.clone(),
    }
}

fn repro(scenario: &Scenario, selection: &Selection) -> String {
    let seed = if scenario.seed_set.contains(&42) { 42 } else { scenario.seed_set.first().copied().unwrap_or(0) };
    format!("{} --scenario {} --seed {seed}", selection.command, scenario.id)
}

/// A run of `scenario` with nothing measured yet.
fn empty_run(scenario: &Scenario, selection: &Selection) -> ScenarioRun {
    ScenarioRun {
        scenario: scenario.id.clone(),
        export: scenario.export.clone(),
        metrics: scenario.metrics.clone(),
        repro: repro(scenario, selection),
        timing: None,
        look: None,
        reference_timing: None,
        heap: None,
        fuel: None,
        error: None,
    }
}

fn failed_run(scenario: &Scenario, selection: &Selection, error: RunError) -> ScenarioRun {
    ScenarioRun { error: Some(error), ..empty_run(scenario, selection) }
}

/// What a scenario's run times, and how.
struct Timed {
    /// Whether anything is timed (else fuel and heap only).
    on: bool,
    calibration: Option<Calibration>,
    /// Where a cold start's sampling may stop early.
    cold_start: Option<StopPlan>,
}

/// Where `scenario`'s cold start on `variant` may stop sampling: at the looks of the metric
/// it feeds (wasmtime's cold init), clear of that metric's limits.
fn cold_start_plan(
    scenario: &Scenario,
    variant: VariantKind,
    budgets: &Budgets,
    protocol: Protocol,
    stops: &EarlyStops,
) -> Option<StopPlan> {
    if scenario.export.is_some() {
        return None;
    }
    let cap = protocol.cold_start_samples_per_seed as usize;
    let metric =
        scenario.metrics.iter().find(|id| budgets.metric(id).is_some_and(|m| m.source == Source::RuntimeColdInit))?;
    stops.plan(metric, variant, Unit::Nanos, cap, Statistic::MedianOfSeedP95s)
}

fn run_scenario(
    compiled: &Compiled,
    scenario: &Scenario,
    budgets: &Budgets,
    protocol: Protocol,
    Timed { on, calibration, cold_start }: Timed,
    selection: &Selection,
) -> ScenarioRun {
    let mut run = empty_run(scenario, selection);
    let seeds = seeds(scenario, selection);
    let feeds =
        |source: Source| scenario.metrics.iter().any(|id| budgets.metric(id).is_some_and(|m| m.source == source));
    eprintln!("running {} ({} seeds)", scenario.id, seeds.len());
    let result = (|| -> Result<(), RunError> {
        let Some(export) = &scenario.export else {
            if on {
                let samples = protocol.cold_start_samples_per_seed;
                let (timing, look) = cold_init(compiled, &seeds, samples, cold_start.as_ref())?;
                (run.timing, run.look) = (Some(timing), look);
            }
            return Ok(());
        };
        run.fuel = Some(fuel(compiled, export, &seeds, protocol)?);
        if feeds(Source::RuntimeHeap) {
            run.heap = Some(heap(compiled, export, &seeds, protocol)?);
        }
        if !on {
            return Ok(());
        }
        let offset = calibration.map_or(0.0, |c| c.empty_op_ns.p50);
        match &scenario.reference_export {
            Some(reference) => {
                let (main, reference) = interleaved(compiled, export, reference, &seeds, protocol, offset)?;
                (run.timing, run.reference_timing) = (Some(main), Some(reference));
            }
            None => run.timing = Some(latency(compiled, export, &seeds, protocol, offset)?),
        }
        Ok(())
    })();
    if let Err(e) = result {
        eprintln!("  {}: {}", scenario.id, e.message);
        run.error = Some(e);
    }
    run
}

fn figures(unit: Unit, samples: &[(u64, Vec<f64>)]) -> Result<Figures, RunError> {
    Figures::of(unit, samples).ok_or_else(|| input("no samples: the protocol asks for none".to_owned()))
}

/// The shipped module's compile + instantiate, each sample in a fresh engine so nothing is
/// cached: round after round a sample of every seed, up to `samples` a seed, or until `plan`
/// finds the value clear of its limits at a look (which is returned).
fn cold_init(
    compiled: &Compiled,
    seeds: &[u64],
    samples: u32,
    plan: Option<&StopPlan>,
) -> Result<(Figures, Option<Look<Standing>>), RunError> {
    let mut per_seed: Vec<Vec<f64>> = seeds.iter().map(|_| Vec::new()).collect();
    let mut look = None;
    for _ in 0..samples {
        for times in &mut per_seed {
            times.push(cold_start(compiled.production)?);
        }
        look = plan.and_then(|p| p.look(&per_seed)).or(look);
        if look.as_ref().is_some_and(|l| l.stop) {
            break;
        }
    }
    let per_seed: Vec<(u64, Vec<f64>)> = seeds.iter().copied().zip(per_seed).collect();
    Ok((figures(Unit::Nanos, &per_seed)?, look))
}

/// One cold start of `production` in ns: compiled and instantiated in a fresh engine.
fn cold_start(production: &[u8]) -> Result<f64, RunError> {
    let engine = engine(false);
    let started = Instant::now();
    let module =
        Module::new(&engine, production).map_err(|e| input(format!("the shipped module does not compile: {e:#}")))?;
    let mut store = Store::new(&engine, ());
    // Instantiation runs no code here (no start function ran long under fuel), but
    // the deadline must not be the default "now".
    store.set_epoch_deadline(u64::MAX / 2);
    let instance = Instance::new(&mut store, &module, &[]);
    let elapsed = started.elapsed().as_nanos() as f64;
    instance.map_err(|e| input(format!("instantiating the shipped module failed: {e:#}")))?;
    Ok(elapsed)
}

/// Fuel per operation after the warm-up; setup and teardown run under the same limits.
fn fuel(compiled: &Compiled, export: &str, seeds: &[u64], p: Protocol) -> Result<FuelFigures, RunError> {
    let mut per_seed = Vec::new();
    for &seed in seeds {
        let (mut guest, abi) = prepared(&compiled.fuel, p.limits, Meter::Fuel, export, seed, p.warmup_iterations)?;
        let mut used = Vec::with_capacity(p.iterations_per_seed as usize);
        for _ in 0..p.iterations_per_seed {
            abi.op(&mut guest)?;
            used.push(guest.fuel_used());
        }
        abi.teardown(&mut guest)?;
        per_seed.push((seed, used));
    }
    FuelFigures::of(&per_seed).ok_or_else(|| input("no operations: the protocol asks for none".to_owned()))
}

/// The allocator's bytes in use after each of `memory_sample_ops` operations, after
/// `memory_warmup_ops`. Deterministic, so it runs under fuel.
fn heap(compiled: &Compiled, export: &str, seeds: &[u64], p: Protocol) -> Result<Figures, RunError> {
    let mut per_seed = Vec::new();
    for &seed in seeds {
        let (mut guest, abi) = prepared(&compiled.fuel, p.limits, Meter::Fuel, export, seed, p.memory_warmup_ops)?;
        let probe: TypedFunc<(), i64> = guest
            .func(HEAP_IN_USE_EXPORT, "() -> (i64)")
            .map_err(|e| input(format!("{} (the heap metric reads it; see the wasm-scenario crate)", e.message)))?;
        let mut bytes = Vec::with_capacity(p.memory_sample_ops as usize);
        for _ in 0..p.memory_sample_ops {
            abi.op(&mut guest)?;
            bytes.push(guest.call(&probe, (), HEAP_IN_USE_EXPORT)? as f64);
        }
        abi.teardown(&mut guest)?;
        per_seed.push((seed, bytes));
    }
    figures(Unit::Bytes, &per_seed)
}

/// One seed's operation times in ns, each minus the harness's own cost (`offset`).
fn timed_ops(module: &Module, export: &str, seed: u64, p: Protocol, offset: f64) -> Result<Vec<f64>, RunError> {
    let (mut guest, abi) = prepared(module, p.limits, Meter::Clock, export, seed, p.warmup_iterations)?;
    let mut times = Vec::with_capacity(p.iterations_per_seed as usize);
    for _ in 0..p.iterations_per_seed {
        times.push(timed_op(&mut guest, &abi, offset)?);
    }
    abi.teardown(&mut guest)?;
    Ok(times)
}

/// One operation's time in ns, minus the harness's own cost (`offset`).
fn timed_op(guest: &mut Guest, abi: &Abi, offset: f64) -> Result<f64, RunError> {
    arm(&mut guest.store);
    let started = Instant::now();
    let result = abi.op.call(&mut guest.store, ());
    let elapsed = started.elapsed();
    black_box(result.map_err(|e| classify(&mut guest.store, &format!("{}_op", abi.name), e))?);
    Ok((elapsed.as_nanos() as f64 - offset).max(0.0))
}

fn latency(compiled: &Compiled, export: &str, seeds: &[u64], p: Protocol, offset: f64) -> Result<Figures, RunError> {
    let per_seed = seeds
        .iter()
        .map(|&seed| Ok((seed, timed_ops(&compiled.timing, export, seed, p, offset)?)))
        .collect::<Result<Vec<_>, RunError>>()?;
    figures(Unit::Nanos, &per_seed)
}

/// Both exports, operation by operation in alternation (each in its own instance, set up
/// and warmed up for the seed first), so a change of the machine's speed touches both sides
/// of the ratio alike. Timing one side's operations after the other's let a change between
/// them skew a seed's ratio to 1.86 or 0.60 (docs/perf.md, the ten runs on the pin).
fn interleaved(
    compiled: &Compiled,
    export: &str,
    reference: &str,
    seeds: &[u64],
    p: Protocol,
    offset: f64,
) -> Result<(Figures, Figures), RunError> {
    let (mut main, mut refs) = (Vec::new(), Vec::new());
    for &seed in seeds {
        let warmup = p.warmup_iterations;
        let (mut a, abi_a) = prepared(&compiled.timing, p.limits, Meter::Clock, export, seed, warmup)?;
        let (mut b, abi_b) = prepared(&compiled.timing, p.limits, Meter::Clock, reference, seed, warmup)?;
        let n = p.iterations_per_seed as usize;
        let (mut times_a, mut times_b) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            times_a.push(timed_op(&mut a, &abi_a, offset)?);
            times_b.push(timed_op(&mut b, &abi_b, offset)?);
        }
        abi_a.teardown(&mut a)?;
        abi_b.teardown(&mut b)?;
        main.push((seed, times_a));
        refs.push((seed, times_b));
    }
    Ok((figures(Unit::Nanos, &main)?, figures(Unit::Nanos, &refs)?))
}

/// The head's and a base commit's builds of one variant (`perf --compare`), in wasmtime:
/// each scenario on the variant that feeds a per-operation p95, its operations timed in
/// alternation (ABBA, so neither side always goes first), each side compiled and
/// instantiated anew per seed (`SeedBuilds`), set up and warmed up first, decided by
/// `sequential::compare_paired` at looks after a quarter, half and all of the protocol's
/// iterations; and the cold start of what ships, one side's then the other's (ABBA), each
/// in a fresh engine, its samples pooled over the seeds (no seed enters a cold start), at
/// looks after a quarter, half and all of the protocol's cold starts, or after 20, 40 and
/// 80 where a quarter is fewer than 20 (`POOLED_FIRST_LOOK`). Sampling stops once decided. The times are raw: the harness's own cost is on both sides. `base` is
/// `Err(why)` when the base has no benchmark build: each of those scenarios then carries
/// the reason.
pub fn compare_variant<'c>(
    head: Modules,
    base: Result<Modules, String>,
    variant: VariantKind,
    corpus: &'c Corpus,
    budgets: &Budgets,
    selection: &Selection,
    family: usize,
) -> Vec<(&'c Scenario, PairedOutcome)> {
    let scenarios = compared_scenarios(variant, corpus, budgets, selection);
    let protocol = corpus.protocol;
    let design = Design::doubling((protocol.iterations_per_seed as usize / 4).max(1), 3).within(family);
    let loads = protocol.cold_start_samples_per_seed as usize * corpus.coverage.required_seed_set.len();
    let cold_design = Design::doubling((loads / 4).max(POOLED_FIRST_LOOK), 3).within(family);
    let timing = engine(false);
    let mut builds = base.map(|base| {
        let builds =
            SeedBuilds { engine: &timing, head: head.scenarios, base: base.scenarios, by_seed: BTreeMap::new() };
        (builds, base.production)
    });
    with_epoch_clock(&timing, || {
        scenarios
            .into_iter()
            .map(|sc| {
                let outcome = match (&mut builds, &sc.export) {
                    (Ok((builds, _)), Some(_)) => paired(builds, sc, &seeds(sc, selection), protocol, &design),
                    (Ok((_, base)), None) => paired_cold_start(head.production, base, &cold_design),
                    (Err(e), _) => Err(NotCompared::Base(e.clone())),
                };
                (sc, outcome)
            })
            .collect()
    })
}

/// The scenarios `compare_variant` compares on `variant`: those wasmtime runs that feed a
/// per-operation p95 or the cold start (or the one `--scenario` names).
pub fn compared_scenarios<'c>(
    variant: VariantKind,
    corpus: &'c Corpus,
    budgets: &Budgets,
    selection: &Selection,
) -> Vec<&'c Scenario> {
    let timed = |s: &Scenario| {
        let source = if s.export.is_some() { Source::RuntimeScenarioP95 } else { Source::RuntimeColdInit };
        s.metrics.iter().any(|id| budgets.metric(id).is_some_and(|m| m.source == source))
    };
    corpus
        .scenarios
        .iter()
        .filter(|s| s.runs_in_wasmtime() && s.variants.contains(&variant) && timed(s))
        .filter(|s| selection.scenario.is_none_or(|id| id == s.id))
        .collect()
}

/// The fewest cold starts a side the first look of a pooled comparison takes: the p95 of
/// fewer is nearly their maximum, and of one, an interval of no width (an A/A run here
/// called one regressed at 1.12 from a single pair).
const POOLED_FIRST_LOOK: usize = 20;

/// The cold starts of the head's and the base's shipped modules, in alternation, looked at
/// as `design` plans; the statistic is the p95 of each side's pooled samples.
fn paired_cold_start(head: &[u8], base: &[u8], design: &Design) -> PairedOutcome {
    eprintln!("comparing the cold start with the base's");
    let (mut heads, mut bases) = (vec![Vec::new()], vec![Vec::new()]);
    let sample = |side: Side, into: &mut Vec<Vec<f64>>| -> Result<(), NotCompared> {
        let module = if side == Side::Head { head } else { base };
        into[0].push(cold_start(module).map_err(|e| side.failed(e))?);
        Ok(())
    };
    for &target in &design.looks {
        while heads[0].len() < target {
            if heads[0].len() % 2 == 0 {
                sample(Side::Head, &mut heads)?;
                sample(Side::Base, &mut bases)?;
            } else {
                sample(Side::Base, &mut bases)?;
                sample(Side::Head, &mut heads)?;
            }
        }
        let look = compare_paired(&bases, &heads, design)
            .ok_or_else(|| NotCompared::Run("a cold start read 0 ns: below the clock's resolution".to_owned()))?;
        if look.stop {
            let statistic = |pool: &[Vec<f64>]| median_of_seed_p95s(pool).unwrap_or(f64::NAN);
            return Ok((look, statistic(&bases), statistic(&heads)));
        }
    }
    Err(NotCompared::Run("the design planned no look".to_owned()))
}

/// The side of a paired comparison a failure belongs to.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    Head,
    Base,
}

impl Side {
    /// A failure on this side: the head's is a tool error; the base's means the base has
    /// nothing to compare with (a scenario new since the base has no export there).
    fn failed(self, e: RunError) -> NotCompared {
        match self {
            Side::Head => NotCompared::Run(format!("the head: {}", e.message)),
            Side::Base => NotCompared::Base(format!("the base: {}", e.message)),
        }
    }
}

/// The head's and the base's benchmark builds, each compiled anew for each seed (and shared
/// by that seed's scenarios). Two compilations of the same bytes ran 5-8% apart on every
/// operation here, and up to 16% on one seed (code placement): with one compilation per
/// side, that bias was shared by every sample and an A/A run was called regressed
/// (docs/perf.md, "A/A runs"). Compiled per seed, it is part of the seeds' spread, which
/// the comparison resamples.
struct SeedBuilds<'b> {
    engine: &'b Engine,
    head: &'b [u8],
    base: &'b [u8],
    by_seed: BTreeMap<u64, (Module, Module)>,
}

impl SeedBuilds<'_> {
    /// The head's and the base's compilations for `seed`.
    fn of(&mut self, seed: u64) -> Result<(Module, Module), NotCompared> {
        if let Some(pair) = self.by_seed.get(&seed) {
            return Ok(pair.clone());
        }
        let compile = |side: Side| {
            let bytes = if side == Side::Head { self.head } else { self.base };
            Module::new(self.engine, bytes)
                .map_err(|e| side.failed(input(format!("its benchmark build does not compile: {e:#}"))))
        };
        let pair = (compile(Side::Head)?, compile(Side::Base)?);
        self.by_seed.insert(seed, pair.clone());
        Ok(pair)
    }
}

/// One scenario's paired operations, looked at as `design` plans.
fn paired(builds: &mut SeedBuilds, scenario: &Scenario, seeds: &[u64], p: Protocol, design: &Design) -> PairedOutcome {
    let export = scenario.export.as_deref().unwrap_or_default();
    eprintln!("comparing {} with the base ({} seeds)", scenario.id, seeds.len());
    let prepare = |module: &Module, seed: u64, side: Side| {
        prepared(module, p.limits, Meter::Clock, export, seed, p.warmup_iterations).map_err(|e| side.failed(e))
    };
    let mut heads = Vec::new();
    let mut bases = Vec::new();
    for &seed in seeds {
        let (head, base) = builds.of(seed)?;
        heads.push(prepare(&head, seed, Side::Head)?);
        bases.push(prepare(&base, seed, Side::Base)?);
    }
    let (mut head_times, mut base_times) = (vec![Vec::new(); seeds.len()], vec![Vec::new(); seeds.len()]);
    let time = |(guest, abi): &mut (Guest, Abi), times: &mut Vec<f64>, side: Side| -> Result<(), NotCompared> {
        times.push(timed_op(guest, abi, 0.0).map_err(|e| side.failed(e))?);
        Ok(())
    };
    for &target in &design.looks {
        for s in 0..seeds.len() {
            while head_times[s].len() < target {
                if head_times[s].len() % 2 == 0 {
                    time(&mut heads[s], &mut head_times[s], Side::Head)?;
                    time(&mut bases[s], &mut base_times[s], Side::Base)?;
                } else {
                    time(&mut bases[s], &mut base_times[s], Side::Base)?;
                    time(&mut heads[s], &mut head_times[s], Side::Head)?;
                }
            }
        }
        let look = compare_paired(&base_times, &head_times, design)
            .ok_or_else(|| NotCompared::Run("a timed operation read 0 ns: below the clock's resolution".to_owned()))?;
        if look.stop {
            for (guest, abi) in &mut heads {
                abi.teardown(guest).map_err(|e| Side::Head.failed(e))?;
            }
            for (guest, abi) in &mut bases {
                abi.teardown(guest).map_err(|e| Side::Base.failed(e))?;
            }
            let statistic = |per_seed: &[Vec<f64>]| median_of_seed_p95s(per_seed).unwrap_or(f64::NAN);
            return Ok((look, statistic(&base_times), statistic(&head_times)));
        }
    }
    Err(NotCompared::Run("the design planned no look".to_owned()))
}

/// The cost of timing an operation that does nothing, through the same call path.
fn calibrate(timing: &Engine, p: Protocol) -> Option<Calibration> {
    let module = Module::new(timing, EMPTY_SCENARIO).ok()?;
    let times = timed_ops(&module, "empty", 0, p, 0.0).ok()?;
    Some(Calibration { empty_op_ns: Distribution::of(&times)? })
}

/// A scenario whose operation does nothing: the harness's own cost.
const EMPTY_SCENARIO: &str = r#"(module
  (func (export "empty_setup") (param i64) (result i32) i32.const 0)
  (func (export "empty_op") (result i64) i64.const 0)
  (func (export "empty_teardown") (result i32) i32.const 0))"#;

#[cfg(test)]
mod tests {
    use perf_core::runtime::RunErrorKind::{Input, Invariant, Limit, Trap};

    use super::*;

    const BUDGETS: &str = r#"{
      "schema_version": "wasm-perf-budgets-v1", "profiles": ["core-min"], "seed_set": [11, 29, 42, 73, 101],
      "metrics": [
        {"id": "M-C", "name": "cold", "unit": "ms", "source": "runtime.cold_init", "required": false, "gate": "hard", "thresholds": {"core-min": {"hard": 1}}},
        {"id": "M-T", "name": "op", "unit": "us", "source": "runtime.scenario_p95", "required": false, "gate": "hard", "thresholds": {"core-min": {"hard": 1}}},
        {"id": "M-H", "name": "heap", "unit": "MiB", "source": "runtime.heap", "required": false, "gate": "hard", "thresholds": {"core-min": {"hard": 1}}},
        {"id": "M-F", "name": "fuel", "unit": "fuel", "source": "runtime.fuel_per_op", "required": false, "gate": "hard", "thresholds": {"core-min": {"hard": 1}}}
      ]
    }"#;

    /// A corpus with a small protocol: these tests check behaviour, not figures.
    fn corpus(scenarios: &[(&str, Option<&str>, &[&str])]) -> Corpus {
        let scenarios: Vec<serde_json::Value> = scenarios
            .iter()
            .map(|(id, export, metrics)| {
                serde_json::json!({
                    "id": id, "journey": "j", "workload": if export.is_some() { "steady-throughput" } else { "cold-start" },
                    "variants": ["release"], "export": export, "metrics": metrics, "seed_set": [11, 29, 42, 73, 101]
                })
            })
            .collect();
        let corpus = serde_json::json!({
            "schema_version": "wasm-benchmark-corpus-v1",
            "coverage": {"required_workloads": [], "required_metrics": [], "required_seed_set": [11, 29, 42, 73, 101]},
            "protocol": {"iterations_per_seed": 40, "warmup_iterations": 4, "memory_warmup_ops": 3,
                         "memory_sample_ops": 10, "cold_start_samples_per_seed": 2,
                         "limits": {"fuel_per_call": 1000000, "millis_per_call": 2000, "memory_mib": 2}},
            "scenarios": scenarios
        });
        Corpus::parse("c.json", &corpus.to_string()).unwrap()
    }

    fn run(module: &str, scenarios: &[(&str, Option<&str>, &[&str])]) -> RuntimeReport {
        let budgets = Budgets::parse("b.json", BUDGETS).unwrap();
        let selection = Selection { scenario: None, seed: None, command: "cargo xtask perf" };
        run_variant(
            Modules { scenarios: module.as_bytes(), production: module.as_bytes() },
            VariantKind::Release,
            &corpus(scenarios),
            &budgets,
            &selection,
            &EarlyStops::none(),
        )
    }

    /// A scenario `s` whose operation is `op` (a body returning i64), a heap probe, and a
    /// good scenario `g`.
    fn module(setup_param: &str, op: &str, teardown: i32, extra: &str) -> String {
        format!(
            r#"(module
              {extra}
              (memory 1)
              (global $state (mut i64) (i64.const 0))
              (func (export "s_setup") (param {setup_param}) (result i32) i32.const 0)
              (func (export "s_op") (result i64) {op})
              (func (export "s_teardown") (result i32) i32.const {teardown})
              (func (export "perf_heap_in_use") (result i64) i64.const 4096)
              (func (export "g_setup") (param i64) (result i32) i32.const 0)
              (func (export "g_op") (result i64) {WORK})
              (func (export "g_teardown") (result i32) i32.const 0))"#
        )
    }

    /// Ten rounds of a counter: deterministic work.
    const WORK: &str = "(local $i i32) (loop $l (global.set $state (i64.add (global.get $state) (i64.const 3))) \
                        (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (i32.const 10)))) \
                        global.get $state";

    #[test]
    fn a_good_scenario_gives_every_figure_per_seed_and_the_same_fuel_every_run() {
        let good = module("i64", WORK, 0, "");
        let scenarios: &[(&str, Option<&str>, &[&str])] =
            &[("WB-COLD", None, &["M-C"]), ("WB-S", Some("s"), &["M-T", "M-H", "M-F"])];
        let first = run(&good, scenarios);
        assert_eq!(first.engine, ENGINE);
        assert!(first.calibration.is_some());
        let cold = &first.scenarios[0];
        assert_eq!(cold.error, None);
        let timing = cold.timing.as_ref().unwrap();
        assert_eq!(
            timing.seeds.iter().map(|s| (s.seed, s.distribution.n)).collect::<Vec<_>>(),
            [(11, 2), (29, 2), (42, 2), (73, 2), (101, 2)]
        );
        assert!(timing.median_of_p95 > 0.0, "compiling takes time");
        let op = &first.scenarios[1];
        assert_eq!(op.error, None);
        assert_eq!(op.timing.as_ref().unwrap().seeds[0].distribution.n, 40);
        assert_eq!(op.heap.as_ref().unwrap().median_of_p95, 4096.0);
        assert_eq!(op.heap.as_ref().unwrap().seeds[0].distribution.n, 10);
        assert_eq!(op.repro, "cargo xtask perf --scenario WB-S --seed 42");
        let fuel = op.fuel.as_ref().unwrap();
        assert!(fuel.median > 10.0, "ten loop rounds cost more than ten operators: {}", fuel.median);
        assert_eq!(fuel.max, fuel.seeds[0].max);
        assert_eq!(run(&good, scenarios).scenarios[1].fuel, op.fuel, "fuel is deterministic");
    }

    #[test]
    fn a_cold_start_clear_of_its_limits_either_way_stops_at_the_first_look() {
        let good = module("i64", WORK, 0, "");
        let mut corpus = corpus(&[("WB-COLD", None, &["M-C"])]);
        corpus.protocol.cold_start_samples_per_seed = 8;
        let budgets = Budgets::parse("b.json", BUDGETS).unwrap();
        let selection = Selection { scenario: None, seed: None, command: "cargo xtask perf" };
        let cold = |limit_ms: f64| {
            let limits = (Unit::Millis, vec![limit_ms]);
            let stops = EarlyStops::new([(("M-C".to_owned(), VariantKind::Release), limits)].into());
            let modules = Modules { scenarios: good.as_bytes(), production: good.as_bytes() };
            run_variant(modules, VariantKind::Release, &corpus, &budgets, &selection, &stops).scenarios.remove(0)
        };
        // A tiny module compiles in well under 10 s: decided at 2 of 8 samples a seed.
        let clear = cold(10_000.0);
        let look = clear.look.unwrap();
        assert_eq!((look.decision, look.look, look.looks, look.samples_per_seed), (Standing::Below, 1, 3, 2));
        assert!(clear.timing.unwrap().seeds.iter().all(|s| s.distribution.n == 2));
        // Under 1 ns it cannot be: above its limit, decided as soon as it is clear of it.
        let above = cold(1e-6).look.unwrap();
        assert_eq!((above.decision, above.samples_per_seed), (Standing::Above, 2));
    }

    /// An overhead scenario times its export and the reference in alternation, each in its
    /// own instance: both get every iteration of every seed, and a reference whose teardown
    /// finds a broken invariant fails the scenario, named.
    #[test]
    fn an_overhead_scenario_times_both_exports_per_seed() {
        let overhead = |module: &str| {
            let mut corpus = corpus(&[("WB-S", Some("s"), &["M-T"])]);
            corpus.scenarios[0].reference_export = Some("g".to_owned());
            let budgets = Budgets::parse("b.json", BUDGETS).unwrap();
            let selection = Selection { scenario: None, seed: None, command: "cargo xtask perf" };
            run_variant(
                Modules { scenarios: module.as_bytes(), production: module.as_bytes() },
                VariantKind::Release,
                &corpus,
                &budgets,
                &selection,
                &EarlyStops::none(),
            )
            .scenarios
            .remove(0)
        };
        let run = overhead(&module("i64", WORK, 0, ""));
        assert_eq!(run.error, None);
        for timing in [run.timing.unwrap(), run.reference_timing.unwrap()] {
            let n: Vec<(u64, usize)> = timing.seeds.iter().map(|s| (s.seed, s.distribution.n)).collect();
            assert_eq!(n, [(11, 40), (29, 40), (42, 40), (73, 40), (101, 40)]);
        }
        let broken = module("i64", WORK, 0, "").replace(
            "(func (export \"g_teardown\") (result i32) i32.const 0)",
            "(func (export \"g_teardown\") (result i32) i32.const 7)",
        );
        let error = overhead(&broken).error.unwrap();
        assert_eq!(
            (error.kind, error.message.as_str()),
            (Invariant, "g_teardown returned 7: an invariant of the scenario broke")
        );
    }

    #[test]
    fn bad_input_and_runaway_scenarios_are_stopped_and_named() {
        let good = module("i64", WORK, 0, "");
        // (case, module, export, metrics, the error's kind, its message)
        type Case<'a> = (&'a str, String, Option<&'a str>, &'a [&'a str], RunErrorKind, &'a str);
        let cases: Vec<Case> = vec![
            (
                "missing export",
                good.clone(),
                Some("nope"),
                &["M-T"],
                Input,
                "the module does not export the function nope_setup",
            ),
            (
                "wrong signature",
                module("i32", WORK, 0, ""),
                Some("s"),
                &["M-T"],
                Input,
                "s_setup has type (i32) -> (i32), the scenario ABI expects (i64) -> (i32)",
            ),
            (
                "an import",
                module("i64", WORK, 0, r#"(import "env" "now" (func (result f64)))"#),
                Some("s"),
                &["M-T"],
                Input,
                "the module imports env.now (function); the runner provides no imports (a scenario module must be self-contained)",
            ),
            (
                "a heap metric without the probe",
                good.replace("perf_heap_in_use", "other"),
                Some("s"),
                &["M-H"],
                Input,
                "the module does not export the function perf_heap_in_use (the heap metric reads it; see the wasm-scenario crate)",
            ),
            (
                "a trap",
                module("i64", "unreachable", 0, ""),
                Some("s"),
                &["M-T"],
                Trap,
                "s_op: wasm trap: wasm `unreachable` instruction executed",
            ),
            (
                "an endless loop",
                module("i64", "(loop $l (br $l)) i64.const 0", 0, ""),
                Some("s"),
                &["M-T"],
                Limit,
                "s_op used more than 1000000 fuel (the per-call limit): an endless loop?",
            ),
            (
                "unbounded memory growth",
                module("i64", "(drop (memory.grow (i32.const 63))) i64.const 0", 0, ""),
                Some("s"),
                &["M-T"],
                Limit,
                "s_op tried to grow linear memory to 4 MiB, over the limit of 2 MiB",
            ),
            (
                "a broken invariant",
                module("i64", WORK, 3, ""),
                Some("s"),
                &["M-T"],
                Invariant,
                "s_teardown returned 3: an invariant of the scenario broke",
            ),
        ];
        for (case, wat, export, metrics, kind, message) in cases {
            // A second, good scenario in the same corpus still runs.
            let after = [("WB-BAD", export, metrics), ("WB-GOOD", Some("g"), &["M-F"][..])];
            let report = run(&wat, &after);
            let bad = &report.scenarios[0];
            assert_eq!(bad.error.as_ref().map(|e| (e.kind, e.message.as_str())), Some((kind, message)), "{case}");
            if case != "an import" {
                assert_eq!(report.scenarios[1].error, None, "{case}: the next scenario still runs");
                assert!(report.scenarios[1].fuel.is_some(), "{case}");
            }
        }
    }

    #[test]
    fn the_engine_version_matches_the_locked_crate() {
        let lock = std::fs::read_to_string(crate::project_root().join("Cargo.lock")).unwrap();
        let at = lock.find("name = \"wasmtime\"\nversion = \"").expect("wasmtime in Cargo.lock");
        let version = lock[at..].lines().nth(1).unwrap().trim_start_matches("version = ").trim_matches('"');
        assert_eq!(ENGINE, format!("wasmtime {version} (cranelift)"), "update ENGINE");
    }

    /// `--compare` in wasmtime, on plain data: the same module on both sides gives an
    /// outcome for the operation and the cold start; a scenario the base has no export for
    /// (new since the base) is the base's gap, not a tool error, and one the head cannot run
    /// is a tool error.
    #[test]
    fn a_comparison_says_which_side_could_not_run() {
        let corpus = corpus(&[("WB-COLD", None, &["M-C"]), ("WB-S", Some("s"), &["M-T"])]);
        let budgets = Budgets::parse("b.json", BUDGETS).unwrap();
        let selection = Selection { scenario: None, seed: None, command: "cargo xtask perf" };
        let good = module("i64", WORK, 0, "");
        let without_s = good.replace("(export \"s_setup\")", "");
        fn modules(m: &str) -> Modules<'_> {
            Modules { scenarios: m.as_bytes(), production: m.as_bytes() }
        }
        let compare = |head: &str, base: &str| {
            let (release, family) = (VariantKind::Release, 2);
            let compared =
                compare_variant(modules(head), Ok(modules(base)), release, &corpus, &budgets, &selection, family);
            compared.into_iter().map(|(sc, outcome)| (sc.id.clone(), outcome)).collect::<Vec<_>>()
        };
        let same = compare(&good, &good);
        assert_eq!(same.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["WB-COLD", "WB-S"]);
        assert!(same.iter().all(|(_, o)| o.is_ok()), "{same:?}");
        let new_since_base = compare(&good, &without_s);
        assert!(new_since_base[0].1.is_ok(), "the cold start needs no scenario export: {new_since_base:?}");
        match &new_since_base[1].1 {
            Err(NotCompared::Base(why)) => assert!(why.starts_with("the base: ") && why.contains("s_setup"), "{why}"),
            other => panic!("the base's gap: {other:?}"),
        }
        match &compare(&without_s, &good)[1].1 {
            Err(NotCompared::Run(why)) => assert!(why.starts_with("the head: "), "{why}"),
            other => panic!("a tool error: {other:?}"),
        }
        let no_build = compare_variant(
            modules(&good),
            Err("the base has no benchmark build of this variant".to_owned()),
            VariantKind::Release,
            &corpus,
            &budgets,
            &selection,
            2,
        );
        assert!(no_build.iter().all(|(_, o)| matches!(o, Err(NotCompared::Base(_)))), "{no_build:?}");
    }

    #[test]
    fn a_call_over_its_time_limit_is_interrupted() {
        let engine = engine(false);
        let module = Module::new(&engine, module("i64", "(loop $l (br $l)) i64.const 0", 0, "")).unwrap();
        let limits = Limits { fuel_per_call: 1, millis_per_call: 30, memory_mib: 1 };
        let done = AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    engine.increment_epoch();
                }
            });
            let mut guest = Guest::new(&module, limits, Meter::Clock).unwrap();
            let abi = Abi::bind(&mut guest, "s").unwrap();
            let e = abi.op(&mut guest).unwrap_err();
            done.store(true, Ordering::Relaxed);
            assert_eq!(
                (e.kind, e.message.as_str()),
                (Limit, "s_op ran longer than 30 ms (the per-call limit): an endless loop?")
            );
        });
    }
}
