//! Decisions from timed samples that stop as soon as they are decided, with a known error
//! rate: looks planned in advance (after n, 2n and 4n samples per seed), the error budget
//! split evenly across them (Bonferroni: over all looks, a wrong decision in either
//! direction has probability at most α), and at each look a percentile bootstrap interval of
//! the contract's statistic, the median over seeds of each seed's p95, resampled in two
//! stages: the seeds, then the samples of each drawn seed.
//!
//! Why planned looks, not a check after every batch: re-checking a fixed 95% interval after
//! each batch (Tachometer's rule) raises the false-alarm rate far above 5%, and a few looks
//! fixed in advance, each at α / looks, keep the bound. A design may screen before its first
//! look (`Design::screened`): a screen only stops what no look could decide, so it spends
//! none of α.
//!
//! Two questions are asked this way: did the head change against the base, sample for sample
//! in the same run (`compare_paired`: pairs resampled together, so what both sides shared,
//! the machine's state at that moment, cancels); and where does a value stand against the
//! limits the gate holds it to (`judge_limits`), so that sampling for a budget stops once its
//! verdict is settled (`measured/early_stop.rs`).

use serde::{Deserialize, Serialize};

use crate::stats::{median, median_of_seed_p95s, percentile};

/// The plan of looks of one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Design {
    /// Samples per seed at each look, increasing; the last is the cap.
    pub looks: Vec<usize>,
    /// How many of the first looks only screen: they stop a comparison that even the cap
    /// could not decide, and decide nothing, so they spend none of α (`screened`).
    #[serde(default)]
    pub screens: usize,
    /// The chance of a wrong decision in each direction, over all looks together.
    pub alpha: f64,
    /// Bootstrap resamples at each look.
    pub resamples: usize,
    /// The smallest relative change a comparison calls a change (0.1: 10%). Smaller ones are
    /// noise on a shared machine, and an interval of a p95 narrower than about ±10% takes
    /// more samples than a run can spend (docs/perf.md, the simulated error rates).
    pub margin: f64,
}

impl Design {
    /// `count` looks after `first`, `2·first`, `4·first`… samples per seed; α = 5%, a 10%
    /// margin.
    pub fn doubling(first: usize, count: u32) -> Design {
        let looks = (0..count).map(|k| first << k).collect();
        Design { looks, screens: 0, alpha: 0.05, resamples: 2000, margin: 0.1 }
    }

    /// This design with a screen before its first look, at half its samples: a comparison
    /// whose interval there, narrowed to the cap's samples, could still not decide stops
    /// undecided (futility); any other samples on to the first look, whatever its interval
    /// says. Stopping can only withhold a decision, so the error bound stands; what it costs
    /// is power (docs/perf.md, "A screen before the first look").
    pub fn screened(mut self) -> Design {
        let half = self.looks.first().copied().unwrap_or(0) / 2;
        if half >= 1 {
            self.looks.insert(0, half);
            self.screens += 1;
        }
        self
    }

    /// Looks at a quarter, a half and all of `cap` samples per seed, each that is 2 or more
    /// (fewer say nothing of a p95); α = 5% for the one metric. For sampling against a budget.
    pub fn halving_to(cap: usize) -> Design {
        let mut looks: Vec<usize> = [cap / 4, cap / 2].into_iter().filter(|&n| n >= 2).collect();
        looks.push(cap);
        looks.dedup();
        Design { looks, screens: 0, alpha: 0.05, resamples: 2000, margin: 0.0 }
    }

    /// This design for one of `cells` comparisons of a run (a scenario's or a cold init's, per
    /// variant and engine or browser): the run's α split evenly among them (Bonferroni), so that
    /// a false "regressed" anywhere in the run has probability at most α; and enough
    /// resamples that each look's tail holds ten draws or more.
    pub fn within(mut self, cells: usize) -> Design {
        self.alpha /= cells.max(1) as f64;
        self.resamples = self.resamples.max((10.0 / self.alpha_per_look()).ceil() as usize);
        self
    }

    /// The look that `n` samples per seed complete (1-based), if `n` is one.
    pub fn look_at(&self, n: usize) -> Option<usize> {
        self.looks.iter().position(|&l| l == n).map(|i| i + 1)
    }

    pub fn cap(&self) -> usize {
        self.looks.last().copied().unwrap_or(0)
    }

    /// The one-sided error each deciding look may spend (a screen decides nothing).
    fn alpha_per_look(&self) -> f64 {
        self.alpha / self.looks.len().saturating_sub(self.screens).max(1) as f64
    }

    /// Whether `n` samples per seed complete a screen.
    fn screens_at(&self, n: usize) -> bool {
        self.look_at(n).is_some_and(|look| look <= self.screens)
    }
}

/// What a paired comparison concluded about the head against the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The whole interval of head / base lies within the margin.
    Same,
    /// The whole interval lies above 1 + margin.
    Regressed,
    /// The whole interval lies below 1 / (1 + margin).
    Improved,
    /// The interval straddles a boundary: sample more, or, at the last look, a warning.
    Undecided,
}

impl Change {
    /// As the summary's JSON names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Same => "same",
            Change::Regressed => "regressed",
            Change::Improved => "improved",
            Change::Undecided => "undecided",
        }
    }
}

/// Where a value stands against the limits the gate will hold it to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// The whole interval lies below every limit.
    Below,
    /// The whole interval lies between two limits, above one and below another.
    Between,
    /// The whole interval lies above every limit.
    Above,
    /// A limit lies within the interval: sample on, to the cap, where the value is gated as
    /// measured.
    Undecided,
}

/// One look's interval: what was decided from how many samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Look<T> {
    pub decision: T,
    /// Whether sampling stops here: decided, the last look, or (for a comparison) undecided
    /// with no prospect of a decision by the last look.
    pub stop: bool,
    /// This look (1-based) and how many were planned.
    pub look: usize,
    pub looks: usize,
    pub samples_per_seed: usize,
    /// The statistic (for a comparison: head's over base's) and its interval at this look's
    /// confidence (1 − 2α / looks, two-sided).
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// A paired comparison as a runner hands it over: the decision with each side's statistic
/// (base, then head), or why there is none.
pub type PairedOutcome = Result<(Look<Change>, f64, f64), NotCompared>;

/// Why a paired comparison has no outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum NotCompared {
    /// The base gave nothing to compare with where the head did: its build, export or page
    /// failed, as it does for a scenario or variant that is new since the base. A warning:
    /// the head's figures are gated as measured.
    Base(String),
    /// The comparison itself could not run (the head's side failed, the browser exited, a
    /// sample read 0): a tool error.
    Run(String),
}

impl NotCompared {
    pub fn why(&self) -> &str {
        match self {
            NotCompared::Base(why) | NotCompared::Run(why) => why,
        }
    }
}

/// Compares `head` with `base`, seed by seed, sample `i` of one taken beside sample `i` of the
/// other. `None` when a seed has no samples, the two sides differ in shape, or a sample is
/// not a positive number.
pub fn compare_paired(base: &[Vec<f64>], head: &[Vec<f64>], design: &Design) -> Option<Look<Change>> {
    let n = samples_per_seed(base)?;
    if samples_per_seed(head)? != n || base.len() != head.len() {
        return None;
    }
    let value = median_of_seed_p95s(head)? / median_of_seed_p95s(base)?;
    let mut bootstrap = Bootstrap::new(n);
    let draws: Vec<f64> = (0..design.resamples)
        .map(|_| {
            let [b, h] = bootstrap.draw([base, head]);
            h / b
        })
        .collect();
    let (low, high) = interval(&draws, design)?;
    let decision = change_of(low, high, design.margin);
    // Futility: an interval narrows about as 1/√n, so this one, narrowed to the cap's n
    // around the same ratio, is what the cap can hope for. Where even that decides nothing,
    // sampling on only spends time; stopping early can only withhold a decision, never make
    // one, so the error bound stands.
    let narrow = (n as f64 / design.cap().max(n) as f64).sqrt();
    let at_cap = |bound: f64| value * (bound / value).powf(narrow);
    let futile = change_of(at_cap(low), at_cap(high), design.margin) == Change::Undecided;
    let decision = if design.screens_at(n) { Change::Undecided } else { decision };
    Some(finish(decision, decision != Change::Undecided || futile, n, value, low, high, design))
}

/// What an interval of head / base says, against a relative `margin`.
fn change_of(low: f64, high: f64, margin: f64) -> Change {
    let up = 1.0 + margin;
    if low > up {
        Change::Regressed
    } else if high < 1.0 / up {
        Change::Improved
    } else if low >= 1.0 / up && high <= up {
        Change::Same
    } else {
        Change::Undecided
    }
}

/// The statistic a gated value is: per seed a quantile of its samples, then the median over
/// seeds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    /// The contract's: the median over seeds of each seed's p95 (cold init, operations).
    MedianOfSeedP95s,
    /// The median (a host app's time to ready: one seed, its samples' median).
    Median,
}

impl Statistic {
    fn quantile(self) -> f64 {
        match self {
            Statistic::MedianOfSeedP95s => 0.95,
            Statistic::Median => 0.5,
        }
    }
}

/// Where `samples` (per seed) stand against `limits` (the gate's warn and hard thresholds and
/// the baseline's limit, in any order); `None` as for `compare_paired`, or with no limit.
///
/// Before the cap, the interval is of the statistic the cap would give: each drawn seed's
/// samples are drawn up to the cap's count. A p95 of fewer samples is biased low (the p95 of
/// 2 samples sits below that of 4), which the cap-sized draw undoes in part; it cannot draw
/// a value beyond the largest seen, so a look is never before two samples per seed.
pub fn judge_limits(
    samples: &[Vec<f64>],
    limits: &[f64],
    statistic: Statistic,
    design: &Design,
) -> Option<Look<Standing>> {
    let n = samples_per_seed(samples)?;
    if limits.is_empty() || limits.iter().any(|l| !l.is_finite()) {
        return None;
    }
    let q = statistic.quantile();
    let value = median(&samples.iter().map(|s| percentile(s, 100.0 * q)).collect::<Option<Vec<f64>>>()?)?;
    let mut bootstrap = Bootstrap { draws: design.cap().max(n), quantile: q, ..Bootstrap::new(n) };
    let draws: Vec<f64> = (0..design.resamples).map(|_| bootstrap.draw([samples])[0]).collect();
    let (low, high) = interval(&draws, design)?;
    let above = limits.iter().filter(|&&l| low > l).count();
    let below = limits.iter().filter(|&&l| high < l).count();
    let decision = match (above, below) {
        (0, b) if b == limits.len() => Standing::Below,
        (a, 0) if a == limits.len() => Standing::Above,
        (a, b) if a + b == limits.len() => Standing::Between,
        _ => Standing::Undecided,
    };
    Some(finish(decision, decision != Standing::Undecided, n, value, low, high, design))
}

fn finish<T>(decision: T, decided: bool, n: usize, value: f64, low: f64, high: f64, design: &Design) -> Look<T> {
    let look = design.look_at(n).unwrap_or_else(|| design.looks.iter().filter(|&&l| l <= n).count().max(1));
    Look {
        decision,
        stop: decided || n >= design.cap(),
        look,
        looks: design.looks.len(),
        samples_per_seed: n,
        value,
        low,
        high,
    }
}

/// The fixed seed of every bootstrap: the same samples give the same interval.
const BOOTSTRAP_SEED: u64 = 0x05EE_D0FB_0075;

/// Every seed's sample count, when all seeds have the same, positive one and every sample is
/// a positive number.
fn samples_per_seed(per_seed: &[Vec<f64>]) -> Option<usize> {
    let n = per_seed.first()?.len();
    let fine = n > 0 && per_seed.iter().all(|s| s.len() == n && s.iter().all(|x| x.is_finite() && *x > 0.0));
    fine.then_some(n)
}

/// Two-stage bootstrap draws of the contract's statistic: the seeds drawn with replacement,
/// then each drawn seed's samples. Drawing the seeds too is what lets an effect that every
/// sample of one seed shares into the interval: in wasmtime, two compilations of the same
/// bytes ran 5-8% apart on every sample (docs/perf.md, "A/A runs"), which resampling within
/// seeds alone read as a change.
struct Bootstrap {
    rng: SplitMix64,
    n: usize,
    /// Samples drawn per drawn seed: `n`, or a cap's count to predict the cap's statistic.
    draws: usize,
    /// The per-seed quantile (0.95: the p95).
    quantile: f64,
    indices: Vec<usize>,
    scratch: Vec<f64>,
    p95s: Vec<Vec<f64>>,
}

impl Bootstrap {
    fn new(n: usize) -> Bootstrap {
        Bootstrap {
            rng: SplitMix64(BOOTSTRAP_SEED),
            n,
            draws: n,
            quantile: 0.95,
            indices: Vec::with_capacity(n),
            scratch: Vec::with_capacity(n),
            p95s: Vec::new(),
        }
    }

    /// One draw of the median over seeds of per-seed quantiles for each of `sides` (samples per
    /// seed, all of one shape): the same seeds and sample indices for every side, so a pair
    /// stays a pair.
    fn draw<const S: usize>(&mut self, sides: [&[Vec<f64>]; S]) -> [f64; S] {
        let seeds = sides[0].len();
        self.p95s.resize_with(S, Vec::new);
        self.p95s.iter_mut().for_each(Vec::clear);
        for _ in 0..seeds {
            let seed = self.rng.below(seeds);
            let (n, q) = (self.n, self.quantile);
            let rng = &mut self.rng;
            self.indices.clear();
            self.indices.extend((0..self.draws).map(|_| rng.below(n)));
            for (side, p95s) in sides.iter().zip(&mut self.p95s) {
                self.scratch.clear();
                self.scratch.extend(self.indices.iter().map(|&i| side[seed][i]));
                p95s.push(quantile(&mut self.scratch, q));
            }
        }
        std::array::from_fn(|k| median(&self.p95s[k]).unwrap_or(f64::NAN))
    }
}

/// The `q` quantile of `v` (reordered in place), interpolated as `stats::percentile` does;
/// by selection, not sorting, as the bootstrap asks for thousands.
fn quantile(v: &mut [f64], q: f64) -> f64 {
    let rank = q * (v.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let (_, &mut below, above) = v.select_nth_unstable_by(lo, f64::total_cmp);
    let next = above.iter().copied().min_by(f64::total_cmp).unwrap_or(below);
    below + (next - below) * (rank - lo as f64)
}

/// The percentile interval of `draws` at this design's per-look confidence.
fn interval(draws: &[f64], design: &Design) -> Option<(f64, f64)> {
    let tail = 100.0 * design.alpha_per_look();
    Some((percentile(draws, tail)?, percentile(draws, 100.0 - tail)?))
}

/// SplitMix64 (Steele, Lea and Flood 2014): a small generator with a fixed seed, so a
/// bootstrap is reproducible; its quality is ample for drawing indices.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform index below `n` (Lemire's multiply-shift; its bias is below 2⁻⁵⁰ here).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Five seeds of `n` samples from `draw`.
    fn seeds(n: usize, mut draw: impl FnMut() -> f64) -> Vec<Vec<f64>> {
        (0..5).map(|_| (0..n).map(|_| draw()).collect()).collect()
    }

    #[test]
    fn doubling_plans_looks_and_names_the_look_a_count_completes() {
        let d = Design::doubling(10, 3);
        assert_eq!(d.looks, vec![10, 20, 40]);
        assert_eq!((d.look_at(20), d.look_at(25), d.cap()), (Some(2), None, 40));
    }

    #[test]
    fn halving_to_a_cap_looks_at_two_samples_or_more() {
        let looks = |cap| Design::halving_to(cap).looks;
        assert_eq!(
            (looks(20), looks(5), looks(4), looks(2), looks(1)),
            (vec![5, 10, 20], vec![2, 5], vec![2, 4], vec![2], vec![1])
        );
    }

    #[test]
    fn a_run_of_many_comparisons_splits_its_alpha_and_resamples_enough_for_each_tail() {
        let one = Design::doubling(10, 3).within(1);
        assert_eq!((one.alpha, one.resamples), (0.05, 2000), "one comparison: the design as it is");
        let nine = Design::doubling(10, 3).within(9);
        assert!((nine.alpha - 0.05 / 9.0).abs() < 1e-15);
        let tail_draws = nine.resamples as f64 * nine.alpha / 3.0;
        assert!((10.0..10.01).contains(&tail_draws), "{}", nine.resamples);
    }

    #[test]
    fn a_clear_regression_is_decided_at_the_first_look_and_a_flat_pair_is_same() {
        let d = Design::doubling(10, 3);
        let base = seeds(10, || 50.0);
        let slower = seeds(10, || 80.0);
        let r = compare_paired(&base, &slower, &d).unwrap();
        assert_eq!((r.decision, r.stop, r.look, r.looks), (Change::Regressed, true, 1, 3));
        assert!((r.value - 1.6).abs() < 1e-12, "{r:?}");
        let same = compare_paired(&base, &base, &d).unwrap();
        assert_eq!((same.decision, same.value, same.low, same.high), (Change::Same, 1.0, 1.0, 1.0));
        let faster = compare_paired(&slower, &base, &d).unwrap();
        assert_eq!(faster.decision, Change::Improved);
    }

    #[test]
    fn a_straddling_interval_samples_on_while_the_cap_could_decide_and_is_undecided_there() {
        let d = Design::doubling(2, 2);
        let base = vec![vec![10.0, 10.0]; 3];
        // +57% in most resamples, +5% in a few: narrowed to the cap's n, above the margin.
        let likely_slower = vec![vec![16.0, 10.5]; 3];
        let first = compare_paired(&base, &likely_slower, &d).unwrap();
        assert_eq!((first.decision, first.stop), (Change::Undecided, false), "{first:?}");
        // One seed's pair says +40%, the next says −30%: even narrowed to the cap's n, the
        // interval would straddle the margin, so sampling stops, undecided.
        let head = vec![vec![14.0, 9.0], vec![7.0, 10.0], vec![10.0, 13.0]];
        let futile = compare_paired(&base, &head, &d).unwrap();
        assert_eq!((futile.decision, futile.stop, futile.look), (Change::Undecided, true, 1), "{futile:?}");
        // At the cap: most resamples say slower, a quarter say faster.
        let spread = vec![vec![6.0, 7.0, 8.0, 14.0]; 3];
        let last = compare_paired(&vec![vec![10.0; 4]; 3], &spread, &d).unwrap();
        assert_eq!((last.decision, last.stop, last.look), (Change::Undecided, true, 2));
    }

    #[test]
    fn a_screen_stops_only_what_even_the_cap_could_not_decide_and_decides_nothing() {
        let plain = Design::doubling(4, 3).within(9);
        let d = Design::doubling(4, 3).screened().within(9);
        assert_eq!((d.looks.clone(), d.screens), (vec![2, 4, 8, 16], 1));
        assert_eq!((d.alpha_per_look(), d.resamples), (plain.alpha_per_look(), plain.resamples), "no α spent");
        assert_eq!(Design::doubling(1, 3).screened().looks, vec![1, 2, 4], "no screen of no samples");
        // Twice as slow: regressed already at the screen, which decides nothing; the first
        // look does.
        let base = seeds(2, || 50.0);
        let screened = compare_paired(&base, &seeds(2, || 100.0), &d).unwrap();
        assert_eq!((screened.decision, screened.stop, screened.look), (Change::Undecided, false, 1), "{screened:?}");
        let first = compare_paired(&seeds(4, || 50.0), &seeds(4, || 100.0), &d).unwrap();
        assert_eq!((first.decision, first.stop, first.look, first.looks), (Change::Regressed, true, 2, 4));
        // One seed +40%, the next −30%: even narrowed to the cap's n, undecided. Stops.
        let mut flip = [1.4, 0.7].into_iter().cycle();
        let head: Vec<Vec<f64>> = base.iter().map(|s| s.iter().map(|x| x * flip.next().unwrap()).collect()).collect();
        let futile = compare_paired(&base, &head, &d).unwrap();
        assert_eq!((futile.decision, futile.stop, futile.look), (Change::Undecided, true, 1), "{futile:?}");
    }

    #[test]
    fn a_change_that_some_seeds_do_not_show_is_not_decided_by_their_samples() {
        let d = Design::doubling(10, 3);
        // Every sample of a seed alike (as when each seed runs its own compilation): within a
        // seed the interval has no width, and the median seed says +15%. Two of five seeds
        // say +2% and +8%, so a draw of the seeds finds a median of +8% or less a third of
        // the time.
        let base = vec![vec![100.0; 10]; 5];
        let head: Vec<Vec<f64>> = [102.0, 108.0, 115.0, 116.0, 120.0].iter().map(|&v| vec![v; 10]).collect();
        let look = compare_paired(&base, &head, &d).unwrap();
        assert!((look.value - 1.15).abs() < 1e-12, "{look:?}");
        assert_eq!(look.decision, Change::Undecided, "{look:?}");
        assert!(look.low <= 1.02 + 1e-12 && look.high >= 1.2 - 1e-12, "{look:?}");
        // Every seed +15% or more: regressed.
        let all: Vec<Vec<f64>> = [115.0, 116.0, 118.0, 120.0, 125.0].iter().map(|&v| vec![v; 10]).collect();
        assert_eq!(compare_paired(&base, &all, &d).unwrap().decision, Change::Regressed);
    }

    #[test]
    fn bad_shapes_and_values_are_refused() {
        let d = Design::doubling(2, 2);
        assert_eq!(compare_paired(&[], &[], &d), None);
        assert_eq!(compare_paired(&[vec![1.0, 2.0]], &[vec![1.0]], &d), None);
        assert_eq!(compare_paired(&[vec![1.0, f64::NAN]], &[vec![1.0, 1.0]], &d), None);
        assert_eq!(compare_paired(&[vec![0.0, 1.0]], &[vec![1.0, 1.0]], &d), None);
        assert_eq!(judge_limits(&[vec![1.0, 2.0]], &[], Statistic::Median, &d), None);
        assert_eq!(judge_limits(&[vec![1.0, 2.0]], &[f64::NAN], Statistic::Median, &d), None);
    }

    #[test]
    fn a_value_stands_below_between_above_or_undecided_against_its_limits() {
        let d = Design::doubling(10, 3);
        let at = |v: f64| seeds(10, || v);
        let judge = |v, limits: &[f64]| judge_limits(&at(v), limits, Statistic::MedianOfSeedP95s, &d).unwrap();
        assert_eq!(judge(50.0, &[60.0, 80.0]).decision, Standing::Below);
        assert_eq!(judge(70.0, &[80.0, 60.0]).decision, Standing::Between);
        assert_eq!(judge(90.0, &[60.0, 80.0]).decision, Standing::Above);
        assert_eq!(judge(70.0, &[80.0]).decision, Standing::Below);
        let below = judge(50.0, &[60.0]);
        assert_eq!((below.stop, below.look, below.value, below.low, below.high), (true, 1, 50.0, 50.0, 50.0));
        // Each seed spread over 50..77: a third of the resamples miss its top value.
        let noisy = vec![(0..10).map(|k| 50.0 + 3.0 * f64::from(k)).collect::<Vec<f64>>(); 5];
        let look = judge_limits(&noisy, &[75.0, 90.0], Statistic::MedianOfSeedP95s, &d).unwrap();
        assert_eq!((look.decision, look.stop), (Standing::Undecided, false), "{look:?}");
        // The same samples' median stands clear below 75.
        let median = judge_limits(&noisy, &[75.0, 90.0], Statistic::Median, &d).unwrap();
        assert_eq!((median.decision, median.stop), (Standing::Below, true), "{median:?}");
    }

    #[test]
    fn before_the_cap_the_interval_is_of_the_caps_p95_not_of_the_few_samples_taken() {
        // Two samples a seed, 10 and 20: their p95 is 19.5, but four draws of them give 20
        // as often as not, and the cap's p95 would be at or near 20. A limit at 19.8 is not
        // cleared by what the first look saw.
        let d = Design::doubling(2, 2);
        let samples = vec![vec![10.0, 20.0]; 5];
        let look = judge_limits(&samples, &[19.8], Statistic::MedianOfSeedP95s, &d).unwrap();
        assert!((look.value - 19.5).abs() < 1e-12, "{look:?}");
        assert!(look.high >= 19.8, "{look:?}");
        assert_eq!((look.decision, look.stop), (Standing::Undecided, false), "{look:?}");
        // At the cap the value is judged on what was drawn, the same statistic.
        let at_cap = judge_limits(&vec![vec![10.0, 12.0, 11.0, 12.0]; 5], &[19.8], Statistic::MedianOfSeedP95s, &d);
        assert_eq!(at_cap.map(|l| (l.decision, l.stop, l.look)), Some((Standing::Below, true, 2)));
    }
}
