//! Where a timing's sampling may stop before the protocol's cap: the limits the gate will
//! hold each metric to on each variant (its warn and hard thresholds and the baseline's
//! limit, which `decide/` works out), and the looks at which `leaves/sequential.rs` asks
//! whether the value stands clear of all of them. A cell with no limits samples to the cap.
//! Only the cap's value is what the protocol defines: a value that stopped early is gated
//! as measured, and its look (samples, interval) is recorded beside it.

use std::collections::BTreeMap;

use crate::policy::VariantKind;
use crate::sequential::{Design, Look, Standing, Statistic, judge_limits};
use crate::unit::Unit;

/// Per metric and variant, the limits a timing's value is judged against while it is
/// sampled, in the metric's unit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EarlyStops {
    limits: BTreeMap<(String, VariantKind), (Unit, Vec<f64>)>,
}

/// How one cell is sampled: its limits and planned looks.
#[derive(Debug, Clone, PartialEq)]
pub struct StopPlan {
    pub limits: Vec<f64>,
    pub design: Design,
    pub statistic: Statistic,
}

impl EarlyStops {
    /// Every cell samples to its cap (a rebaseline, `init`'s drafts, a matrix job's partial
    /// run, whose gate runs elsewhere).
    pub fn none() -> EarlyStops {
        EarlyStops::default()
    }

    pub fn new(limits: BTreeMap<(String, VariantKind), (Unit, Vec<f64>)>) -> EarlyStops {
        EarlyStops { limits }
    }

    /// The plan of `metric` on `variant`, sampled in `unit` up to `cap` per seed; `None`
    /// where it has no limits, they do not convert, or the cap leaves no earlier look.
    pub fn plan(
        &self,
        metric: &str,
        variant: VariantKind,
        unit: Unit,
        cap: usize,
        statistic: Statistic,
    ) -> Option<StopPlan> {
        let (of_metric, limits) = self.limits.get(&(metric.to_owned(), variant))?;
        let limits = limits.iter().map(|&l| of_metric.convert(l, unit)).collect::<Option<Vec<f64>>>()?;
        let design = Design::halving_to(cap);
        (design.looks.len() > 1).then_some(StopPlan { limits, design, statistic })
    }
}

impl StopPlan {
    /// The look `samples` (per seed, all of one count) complete, if they complete one.
    pub fn look(&self, samples: &[Vec<f64>]) -> Option<Look<Standing>> {
        let n = samples.first()?.len();
        self.design.look_at(n)?;
        judge_limits(samples, &self.limits, self.statistic, &self.design)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_with_limits_looks_at_half_the_cap_and_at_the_cap_and_others_sample_on() {
        let limits = (Unit::Millis, vec![60.0, 80.0]);
        let stops = EarlyStops::new(BTreeMap::from([(("M-C".to_owned(), VariantKind::Release), limits)]));
        let p95 = Statistic::MedianOfSeedP95s;
        let plan = stops.plan("M-C", VariantKind::Release, Unit::Millis, 4, p95).unwrap();
        assert_eq!(plan.design.looks, vec![2, 4]);
        let in_ns = stops.plan("M-C", VariantKind::Release, Unit::Nanos, 20, p95).unwrap();
        assert_eq!((in_ns.limits, in_ns.design.looks), (vec![6e7, 8e7], vec![5, 10, 20]));
        assert_eq!(stops.plan("M-C", VariantKind::Release, Unit::Bytes, 4, p95), None);
        assert_eq!(stops.plan("M-C", VariantKind::Dev, Unit::Millis, 4, p95), None);
        assert_eq!(stops.plan("M-C", VariantKind::Release, Unit::Millis, 1, p95), None);
        assert_eq!(EarlyStops::none().plan("M-C", VariantKind::Release, Unit::Millis, 4, p95), None);
        // Three samples a seed complete no look; two do, clear below 60.
        assert_eq!(plan.look(&vec![vec![10.0, 11.0, 12.0]; 5]), None);
        let look = plan.look(&vec![vec![10.0, 11.0]; 5]).unwrap();
        assert_eq!((look.decision, look.stop, look.look, look.looks), (Standing::Below, true, 1, 2));
        // Seeds on both sides of a limit: it samples on.
        let near = plan.look(&[58.0, 59.0, 60.5, 61.0, 62.0].map(|v| vec![v, v])).unwrap();
        assert_eq!((near.decision, near.stop), (Standing::Undecided, false));
    }
}
