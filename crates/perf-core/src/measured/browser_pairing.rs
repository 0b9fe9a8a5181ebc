//! `perf --compare REF` in a browser: each variant's cold init and each timed scenario's
//! operations, the head's build and the base's loaded in alternation in the same browser
//! process, each load in a fresh context, and decided by `sequential::compare_paired`.
//!
//! The order: a discarded warm-up of both sides of every cell (the first load of a module
//! pays for the server's and the browser's first touch), then, look by look, per seed, pair
//! by pair, every cell still undecided: pair `k` of the `s`-th seed loads head then base when
//! `s + k` is even and base then head when odd (ABBA, alternating over the seeds too, so a
//! look of one pair per seed is balanced as well), so a drift in the machine's state lands on
//! both sides alike. A cell stops once a look decides it or shows that its last look could
//! not (`compare_paired`), or at its last look (undecided). A browser that exits ends every
//! cell.
//!
//! What pairs: sample `i` of the head with sample `i` of the base, of the same seed. A cold
//! init load gives one sample (its total: fetch and compile, instantiate, first call), an
//! operation load one sample per timed batch (ns per operation), paired batch by batch
//! between two loads taken one after the other. Memory-pressure scenarios count bytes, not
//! time, and host apps are not compared here.

use crate::browser::BrowserIdentity;
use crate::browser_sampling::{Loaded, Outcome, TimedBatches, answer};
use crate::browser_schedule::{EnvironmentPlan, Probe, Side, Visit, Work};
use crate::corpus::BrowserProtocol;
use crate::policy::VariantKind;
use crate::runtime::RunError;
use crate::sequential::{Change, Design, Look, NotCompared, PairedOutcome, compare_paired};
use crate::stats::median_of_seed_p95s;
use crate::unit::Unit;

/// How many deciding looks each cell plans: at the protocol's samples, twice and four times
/// as many (a pooled cold init screens before the first).
const LOOKS: u32 = 3;

/// One compared cell's result: which metric of which variant, and the decision with each
/// side's statistic (in `unit`), or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedTiming {
    pub variant: VariantKind,
    pub metric: String,
    /// The scenario whose operations it times; `None` for cold init.
    pub scenario: Option<String>,
    pub unit: Unit,
    pub outcome: PairedOutcome,
}

/// The comparison of one environment while its paired loads run.
pub struct Pairing {
    browser: BrowserIdentity,
    seeds: Vec<u64>,
    cells: Vec<Cell>,
    /// The rounds handed out so far: the looks whose loads have been asked for.
    rounds: usize,
}

/// One variant's cold init or one timed scenario on one variant, both sides.
struct Cell {
    variant: VariantKind,
    probe: Probe,
    metric: String,
    scenario: Option<String>,
    unit: Unit,
    design: Design,
    /// Loads per seed and side at each look.
    loads: Vec<usize>,
    /// Samples one load gives.
    per_load: usize,
    /// All seeds' samples in one group (cold init, which no seed enters).
    pooled: bool,
    /// Per seed (in the order of `seeds`; one group when pooled), each side's samples.
    head: Vec<Vec<f64>>,
    base: Vec<Vec<f64>>,
    /// Each side's first-call answer (cold init): it must not change between its loads.
    answers: [Option<String>; 2],
    /// The last look, once one was taken.
    look: Option<Look<Change>>,
    error: Option<NotCompared>,
}

impl Cell {
    fn open(&self) -> bool {
        self.error.is_none() && !self.look.as_ref().is_some_and(|l| l.stop)
    }

    fn side(&mut self, side: Side) -> (&mut Vec<Vec<f64>>, &mut Option<String>) {
        match side {
            Side::Head => (&mut self.head, &mut self.answers[0]),
            Side::Base => (&mut self.base, &mut self.answers[1]),
        }
    }

    fn of(&self, visit: &Visit) -> bool {
        visit.variant == Some(self.variant) && visit.probe == self.probe
    }

    fn result(self) -> PairedTiming {
        let outcome = match (self.error, self.look) {
            (Some(e), _) => Err(e),
            (None, Some(look)) => {
                let stat = |s: &[Vec<f64>]| median_of_seed_p95s(s).unwrap_or(f64::NAN);
                Ok((look, stat(&self.base), stat(&self.head)))
            }
            (None, None) => Err(NotCompared::Run("no paired load was taken".to_owned())),
        };
        PairedTiming { variant: self.variant, metric: self.metric, scenario: self.scenario, unit: self.unit, outcome }
    }
}

impl Pairing {
    /// The cells of `plan` over `variants`: each variant's cold init, then each timed
    /// scenario on the variants it runs on. `missing_base` names the variants the base has
    /// no build of, and why: their cells are not compared.
    pub fn new(
        plan: &EnvironmentPlan,
        protocol: &BrowserProtocol,
        seeds: &[u64],
        variants: &[VariantKind],
        browser: &BrowserIdentity,
        missing_base: &[(VariantKind, String)],
        family: usize,
    ) -> Pairing {
        let mut cells = cells(plan, protocol, seeds, variants, family);
        for cell in &mut cells {
            if let Some((_, why)) = missing_base.iter().find(|(v, _)| *v == cell.variant) {
                cell.error = Some(NotCompared::Base(why.clone()));
            }
        }
        Pairing { browser: browser.clone(), seeds: seeds.to_vec(), cells, rounds: 0 }
    }

    /// The results of an environment that compared nothing (its browser did not start, its
    /// canary failed): every cell, with `why`.
    pub fn not_compared(
        plan: &EnvironmentPlan,
        protocol: &BrowserProtocol,
        seeds: &[u64],
        variants: &[VariantKind],
        why: &str,
    ) -> Vec<PairedTiming> {
        let failed = |c: Cell| Cell { error: Some(NotCompared::Run(why.to_owned())), ..c };
        cells(plan, protocol, seeds, variants, 1).into_iter().map(failed).map(Cell::result).collect()
    }

    /// How many cells `plan` compares over `variants`: its part of the run's family of
    /// comparisons (`Design::within`).
    pub fn count(plan: &EnvironmentPlan, protocol: &BrowserProtocol, seeds: &[u64], variants: &[VariantKind]) -> usize {
        cells(plan, protocol, seeds, variants, 1).len()
    }

    /// The loads up to the next look of every cell still open (the first round begins with
    /// the warm-ups), after deciding the look the last round completed; `None` when no cell
    /// is open or every look is taken.
    pub fn next_round(&mut self) -> Option<Vec<Visit>> {
        if self.rounds > 0 {
            self.look();
        }
        let round = self.rounds;
        let open: Vec<&Cell> = self.cells.iter().filter(|c| c.open() && round < c.loads.len()).collect();
        if open.is_empty() {
            return None;
        }
        let loads = |c: &Cell, r: usize| c.loads.get(r).copied().unwrap_or(0);
        let visit = |c: &Cell, side, seed, warm_up| Visit {
            probe: c.probe.clone(),
            variant: Some(c.variant),
            side,
            seed,
            warm_up,
        };
        let mut visits = Vec::new();
        if round == 0 {
            let first = self.seeds.first().copied().unwrap_or_default();
            for c in &open {
                visits.extend([visit(c, Side::Head, first, true), visit(c, Side::Base, first, true)]);
            }
        }
        let most = open.iter().map(|c| loads(c, round)).max().unwrap_or(0);
        for (s, &seed) in self.seeds.iter().enumerate() {
            for k in 0..most {
                for c in &open {
                    let done = if round == 0 { 0 } else { loads(c, round - 1) };
                    if k < done || k >= loads(c, round) {
                        continue;
                    }
                    let sides = if (s + k) % 2 == 0 { [Side::Head, Side::Base] } else { [Side::Base, Side::Head] };
                    visits.extend(sides.map(|side| visit(c, side, seed, false)));
                }
            }
        }
        self.rounds += 1;
        Some(visits)
    }

    /// Whether `visit` is still worth its load: its cell has not failed.
    pub fn wants(&self, visit: &Visit) -> bool {
        self.cells.iter().any(|c| c.of(visit) && c.error.is_none())
    }

    /// Folds what `visit`'s load came to into its cell; a failed load ends the cell, and a
    /// browser that exited ends them all (each would wait out its timeout for nothing).
    pub fn record(&mut self, visit: &Visit, outcome: Outcome) {
        if let Outcome::Failed { error, browser_exited: Some(stderr) } = &outcome {
            let why = format!("the browser exited: {} {stderr}", error.message);
            for cell in self.cells.iter_mut().filter(|c| c.error.is_none()) {
                cell.error = Some(NotCompared::Run(why.trim_end().to_owned()));
            }
            return;
        }
        let Some(seed) = self.seeds.iter().position(|s| *s == visit.seed) else { return };
        let browser = &self.browser;
        let Some(cell) = self.cells.iter_mut().find(|c| c.of(visit)) else { return };
        let group = if cell.pooled { 0 } else { seed };
        let failed = |why: String| match visit.side {
            Side::Head => NotCompared::Run(format!("the head's load failed: {why}")),
            Side::Base => NotCompared::Base(format!("the base's load failed: {why}")),
        };
        let samples = match (&cell.probe, outcome) {
            (_, Outcome::Failed { error, .. }) => Err(error),
            (Probe::ColdInit { .. }, Outcome::Returned(text)) => cold_init_sample(browser, &text, cell, visit.side),
            (_, Outcome::Returned(text)) => operation_samples(browser, &text, cell.per_load),
        };
        match samples {
            Ok(s) if !visit.warm_up => cell.side(visit.side).0[group].extend(s),
            Ok(_) => {}
            Err(e) => cell.error = Some(failed(e.message)),
        }
    }

    /// Every cell's result, in order: its last look, or why it has none. `next_round` took
    /// the last look when it returned `None`.
    pub fn finish(self) -> Vec<PairedTiming> {
        self.cells.into_iter().map(Cell::result).collect()
    }

    /// Decides each open cell on the samples of the round just run.
    fn look(&mut self) {
        for c in self.cells.iter_mut().filter(|c| c.open()) {
            match compare_paired(&c.base, &c.head, &c.design) {
                Some(look) => c.look = Some(look),
                None => {
                    c.error = Some(NotCompared::Run(
                        "not comparable: a side without samples, or a sample of 0 (below the clock's resolution)"
                            .to_owned(),
                    ))
                }
            }
        }
    }
}

/// Each variant's cold init, then each timed scenario on the variants it runs on, each one of
/// the run's `family` of comparisons.
fn cells(
    plan: &EnvironmentPlan,
    protocol: &BrowserProtocol,
    seeds: &[u64],
    variants: &[VariantKind],
    family: usize,
) -> Vec<Cell> {
    // `first` loads per seed and side at the first look, `per_load` samples each.
    let cell = |variant, probe, metric: &str, scenario, unit, first: usize, per_load: usize, pooled: bool| {
        let groups = if pooled { 1 } else { seeds.len() };
        let per_group = first * per_load * seeds.len() / groups.max(1);
        let design = Design::doubling(per_group.max(1), LOOKS);
        // A pooled cold init screens at half its first look (a load or more a seed): in A/A
        // runs every one ended undecided at its first look, the interval of a p95 of 20
        // loads spanning ×0.5 to ×1.6 (docs/perf.md, "A screen before the first look").
        let design = if pooled && first.is_multiple_of(2) { design.screened() } else { design };
        let per_look = (per_load * seeds.len() / groups.max(1)).max(1);
        Cell {
            variant,
            probe,
            metric: metric.to_owned(),
            scenario,
            unit,
            loads: design.looks.iter().map(|l| l / per_look).collect(),
            design: design.within(family),
            per_load,
            pooled,
            head: vec![Vec::new(); groups],
            base: vec![Vec::new(); groups],
            answers: [None, None],
            look: None,
            error: None,
        }
    };
    // Cold init's first look takes the protocol's samples per seed. No seed enters a cold
    // init, so the seeds' loads are one population: pooled, its p95 is a p95 (of 4 loads,
    // a seed's is nearly their maximum, and one slow load sets it).
    let samples = (protocol.samples_per_seed as usize).max(1);
    let cold_init = Probe::ColdInit { first_call: protocol.first_call.clone() };
    let metric = &plan.planned.metric;
    let mut cells: Vec<Cell> =
        variants.iter().map(|&v| cell(v, cold_init.clone(), metric, None, Unit::Millis, samples, 1, true)).collect();
    // The plain schedule's loads of the first seed name each timed cell once.
    let schedule = plan.schedule(protocol, seeds, variants);
    let first = seeds.first().copied();
    for visit in schedule.operations.iter().filter(|v| Some(v.seed) == first) {
        let (Probe::Operation { metric, work: Work::Timed(batches), .. }, Some(variant)) =
            (&visit.probe, visit.variant)
        else {
            continue;
        };
        let scenario = plan.timed.iter().find(|t| t.operation.metric == *metric).map(|t| t.operation.scenario.clone());
        let batches = (batches.timed as usize).max(1);
        cells.push(cell(variant, visit.probe.clone(), metric, scenario, Unit::Nanos, 1, batches, false));
    }
    cells
}

/// A cold-init load's one sample, in ms, its first call answering as that side's did before.
fn cold_init_sample(browser: &BrowserIdentity, text: &str, cell: &mut Cell, side: Side) -> Result<Vec<f64>, RunError> {
    let loaded = answer::<Loaded>(browser, "harness", text)?;
    let (_, before) = cell.side(side);
    let mut totals = Vec::new();
    for round in loaded.rounds {
        if let Some(b) = before.as_ref().filter(|b| **b != round.answer) {
            return Err(RunError::environment(format!("the first call answered {:?}, before {b:?}", round.answer)));
        }
        *before = Some(round.answer);
        totals.push(round.sample.total());
    }
    Ok(totals)
}

/// A timed operation load's samples, ns per operation, batch by batch.
fn operation_samples(browser: &BrowserIdentity, text: &str, batches: usize) -> Result<Vec<f64>, RunError> {
    let timed = answer::<TimedBatches>(browser, "operation harness", text)?;
    if timed.batch_ms.len() != batches {
        return Err(RunError::environment(format!(
            "the harness returned {} batches, not {batches}",
            timed.batch_ms.len()
        )));
    }
    Ok(timed.per_op_ns())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser_schedule::tests::{plan, protocol};
    use VariantKind::{Dev, Release};

    fn chromium() -> BrowserIdentity {
        BrowserIdentity::new("Chromium", "156.0.8078.114", "V8 15.6").unwrap()
    }

    fn cold(total_ms: f64, answer: &str) -> Outcome {
        Outcome::Returned(format!(
            r#"{{"isolated": true, "rounds": [{{"fetch_compile": {total_ms}, "instantiate": 0.0, "first_call": 0.0, "answer": "{answer}"}}]}}"#
        ))
    }

    fn batches(ns_per_op: f64, count: usize) -> Outcome {
        let ms = vec![format!("{}", ns_per_op * 100.0 / 1e6); count].join(",");
        Outcome::Returned(format!(r#"{{"ops_per_batch": 100, "batch_ms": [{ms}]}}"#))
    }

    /// Runs every round, each visit answered by `answer`; the visits made, and the results.
    fn run(mut pairing: Pairing, mut answer: impl FnMut(&Visit, usize) -> Outcome) -> (Vec<Visit>, Vec<PairedTiming>) {
        let mut made = Vec::new();
        while let Some(round) = pairing.next_round() {
            for v in round {
                if pairing.wants(&v) {
                    let o = answer(&v, made.len());
                    pairing.record(&v, o);
                    made.push(v);
                }
            }
        }
        (made, pairing.finish())
    }

    /// A deterministic wobble of ±4% around 1.
    fn wobble(i: usize) -> f64 {
        1.0 + ((i * 7919) % 9) as f64 / 100.0 - 0.04
    }

    #[test]
    fn loads_alternate_abba_after_a_warm_up_and_a_cell_stops_once_decided() {
        let p = plan(&[]);
        let pairing = Pairing::new(&p, &protocol(0, 2), &[11, 29], &[Dev, Release], &chromium(), &[], 1);
        // Release's head is twice as slow: decided at the first look; dev the same on both
        // sides, within a few percent: it takes the looks it needs.
        let (made, results) = run(pairing, |v, i| {
            let slow = if v.variant == Some(Release) && v.side == Side::Head { 2.0 } else { 1.0 };
            cold(20.0 * slow * wobble(i), "42")
        });
        let first: Vec<(Option<VariantKind>, Side, u64, bool)> =
            made.iter().take(8).map(|v| (v.variant, v.side, v.seed, v.warm_up)).collect();
        assert_eq!(
            first,
            [
                (Some(Dev), Side::Head, 11, true),
                (Some(Dev), Side::Base, 11, true),
                (Some(Release), Side::Head, 11, true),
                (Some(Release), Side::Base, 11, true),
                (Some(Dev), Side::Head, 11, false),
                (Some(Dev), Side::Base, 11, false),
                (Some(Release), Side::Head, 11, false),
                (Some(Release), Side::Base, 11, false),
            ]
        );
        // The screen takes one pair a seed: the next seed's starts with the base; the first
        // look's second pair of the first seed does too.
        assert_eq!((made[8].variant, made[8].side, made[8].seed), (Some(Dev), Side::Base, 29));
        assert_eq!((made[12].variant, made[12].side, made[12].seed), (Some(Dev), Side::Base, 11));
        let release = results.iter().find(|r| r.variant == Release).unwrap();
        let (look, base, head) = release.outcome.clone().unwrap();
        // Cold init pools its seeds: two seeds' two loads a side, at the first look after the
        // screen (which decides nothing).
        assert_eq!((look.decision, look.look, look.looks, look.samples_per_seed), (Change::Regressed, 2, 4, 4));
        assert!(head > 1.8 * base, "{base} {head}");
        let release_loads = made.iter().filter(|v| v.variant == Some(Release)).count();
        assert_eq!(release_loads, 2 + 2 * 2 * 2, "warm-ups, then two pairs per seed, and no more");
        let dev = results.iter().find(|r| r.variant == Dev).unwrap();
        assert_ne!(dev.outcome.as_ref().unwrap().0.decision, Change::Regressed);
        assert_eq!((dev.metric.as_str(), dev.scenario.as_deref(), dev.unit), ("M-COLD", None, Unit::Millis));
    }

    #[test]
    fn a_cold_init_that_no_look_could_decide_stops_at_the_screen() {
        // Loads ±40% apart at random on both sides, as a cold init is on this machine.
        let p = plan(&[]);
        let seeds = [11, 29, 42, 57, 71];
        let pairing = Pairing::new(&p, &protocol(0, 4), &seeds, &[Dev], &chromium(), &[], 9);
        let (made, results) = run(pairing, |_, i| cold(30.0 * (0.6 + ((i * 7919) % 81) as f64 / 100.0), "42"));
        let (look, ..) = results[0].outcome.clone().unwrap();
        assert_eq!(
            (look.decision, look.stop, look.look, look.looks, look.samples_per_seed),
            (Change::Undecided, true, 1, 4, 10),
            "{look:?}"
        );
        assert_eq!(made.len(), 2 + 2 * 2 * seeds.len(), "the warm-ups, then two pairs a seed");
    }

    #[test]
    fn a_timed_operation_pairs_batch_by_batch_and_a_failed_load_ends_only_its_cell() {
        let p = plan(&[("M-OP", "search", &[Release])]);
        let mut protocol = protocol(0, 1);
        protocol.batches_per_seed = 5;
        let pairing = Pairing::new(&p, &protocol, &[11], &[Dev, Release], &chromium(), &[], 1);
        let (made, results) = run(pairing, |v, i| match (&v.probe, v.variant) {
            (Probe::Operation { .. }, _) => batches(if v.side == Side::Base { 100.0 } else { 70.0 } * wobble(i), 5),
            (_, Some(Dev)) if v.side == Side::Base && !v.warm_up => {
                Outcome::Failed { error: RunError::environment("the page hung"), browser_exited: None }
            }
            _ => cold(20.0, "42"),
        });
        let op = results.iter().find(|r| r.metric == "M-OP").unwrap();
        assert_eq!((op.variant, op.scenario.as_deref(), op.unit), (Release, Some("SCN"), Unit::Nanos));
        let (look, ..) = op.outcome.clone().unwrap();
        assert_eq!((look.decision, look.samples_per_seed), (Change::Improved, 5), "one load a side: five batches");
        let dev = results.iter().find(|r| r.variant == Dev).unwrap();
        assert_eq!(dev.outcome, Err(NotCompared::Base("the base's load failed: the page hung".to_owned())));
        assert_eq!(made.iter().filter(|v| v.variant == Some(Dev)).count(), 4, "no load after the failure");
        // A wrong number of batches is an error, not a shorter sample.
        let pairing = Pairing::new(&p, &protocol, &[11], &[Release], &chromium(), &[], 1);
        let (_, results) = run(pairing, |v, _| match v.probe {
            Probe::Operation { .. } => batches(100.0, 4),
            _ => cold(20.0, "42"),
        });
        assert_eq!(
            results[1].outcome,
            Err(NotCompared::Run("the head's load failed: the harness returned 4 batches, not 5".to_owned()))
        );
    }

    #[test]
    fn a_side_whose_answer_changes_or_whose_base_is_missing_is_not_compared() {
        let p = plan(&[]);
        let pairing = Pairing::new(&p, &protocol(0, 2), &[11], &[Dev], &chromium(), &[], 1);
        let (_, results) = run(pairing, |v, i| cold(20.0, if v.side == Side::Head && i > 3 { "7" } else { "42" }));
        assert_eq!(
            results[0].outcome,
            Err(NotCompared::Run("the head's load failed: the first call answered \"7\", before \"42\"".into()))
        );
        // Head and base may answer differently: each keeps to its own.
        let pairing = Pairing::new(&p, &protocol(0, 2), &[11], &[Dev], &chromium(), &[], 1);
        let (_, results) = run(pairing, |v, _| cold(20.0, if v.side == Side::Head { "7" } else { "42" }));
        assert!(results[0].outcome.is_ok(), "{:?}", results[0].outcome);
        let missing = [(Dev, "the base's build of this variant failed".to_owned())];
        let pairing = Pairing::new(&p, &protocol(0, 2), &[11], &[Dev], &chromium(), &missing, 1);
        let (made, results) = run(pairing, |_, _| cold(20.0, "42"));
        assert!(made.is_empty());
        assert_eq!(results[0].outcome, Err(NotCompared::Base("the base's build of this variant failed".to_owned())));
    }

    #[test]
    fn a_browser_that_exits_ends_every_cell_at_once() {
        let p = plan(&[]);
        let pairing = Pairing::new(&p, &protocol(0, 2), &[11], &[Dev, Release], &chromium(), &[], 1);
        let (made, results) = run(pairing, |_, i| match i {
            0 => Outcome::Failed {
                error: RunError::environment("the connection closed"),
                browser_exited: Some("Trace/breakpoint trap".to_owned()),
            },
            _ => cold(20.0, "42"),
        });
        assert_eq!(made.len(), 1, "no load after the browser exited");
        let why = Err(NotCompared::Run("the browser exited: the connection closed Trace/breakpoint trap".to_owned()));
        assert!(results.iter().all(|r| r.outcome == why), "{results:?}");
    }
}
