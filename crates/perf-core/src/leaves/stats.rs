//! Order statistics for measured distributions: percentiles by linear interpolation between
//! closest ranks (the method of NumPy's default and R's type 7), and the seed protocol's
//! gate value, the median of the per-seed p95.

use serde::{Deserialize, Serialize};

/// The `p`-th percentile (0–100) of `samples`; `None` when empty or when a sample is NaN.
pub fn percentile(samples: &[f64], p: f64) -> Option<f64> {
    if samples.is_empty() || samples.iter().any(|s| s.is_nan()) || !(0.0..=100.0).contains(&p) {
        return None;
    }
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = p / 100.0 * (v.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (rank - lo as f64))
}

pub fn median(samples: &[f64]) -> Option<f64> {
    percentile(samples, 50.0)
}

/// The summary of one seed's samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    pub n: usize,
    pub min: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Distribution {
    pub fn of(samples: &[f64]) -> Option<Distribution> {
        Some(Distribution {
            n: samples.len(),
            min: percentile(samples, 0.0)?,
            p50: percentile(samples, 50.0)?,
            p95: percentile(samples, 95.0)?,
            p99: percentile(samples, 99.0)?,
            max: percentile(samples, 100.0)?,
        })
    }
}

/// The gate value of the seed protocol: the median over seeds of each seed's p95.
pub fn median_of_p95(per_seed: &[Distribution]) -> Option<f64> {
    median(&per_seed.iter().map(|d| d.p95).collect::<Vec<_>>())
}

/// The same gate value from each seed's raw samples; `None` when a seed has none.
pub fn median_of_seed_p95s(per_seed: &[Vec<f64>]) -> Option<f64> {
    median(&per_seed.iter().map(|s| percentile(s, 95.0)).collect::<Option<Vec<f64>>>()?)
}

/// A sample's median and a distribution-free 95% interval for it: the order statistics at
/// ranks n/2 ∓ 1.96·√n/2 (the normal approximation of the binomial), clamped to the sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interval {
    pub n: usize,
    pub median: f64,
    pub low: f64,
    pub high: f64,
}

pub fn median_interval(samples: &[f64]) -> Option<Interval> {
    let median = median(samples)?;
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let half_width = 1.96 * n.sqrt() / 2.0;
    // 1-based ranks, as the approximation states them.
    let low_rank = ((n / 2.0 - half_width).floor() as usize).clamp(1, v.len());
    let high_rank = ((n / 2.0 + half_width).ceil() as usize + 1).clamp(1, v.len());
    Some(Interval { n: v.len(), median, low: v[low_rank - 1], high: v[high_rank - 1] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_median_interval_widens_with_fewer_samples_and_holds_the_median() {
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        // Ranks 40 and 61: the textbook interval for n = 100.
        assert_eq!(median_interval(&hundred), Some(Interval { n: 100, median: 50.5, low: 40.0, high: 61.0 }));
        let five = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(median_interval(&five), Some(Interval { n: 5, median: 3.0, low: 1.0, high: 5.0 }));
        assert_eq!(median_interval(&[]), None);
    }

    #[test]
    fn percentiles_interpolate_between_closest_ranks() {
        let v = [15.0, 20.0, 35.0, 40.0, 50.0];
        let cases = [(0.0, 15.0), (25.0, 20.0), (50.0, 35.0), (95.0, 48.0), (100.0, 50.0)];
        for (p, expected) in cases {
            let got = percentile(&v, p).unwrap();
            assert!((got - expected).abs() < 1e-9, "p{p}: {got}");
        }
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5), "order does not matter; even counts average");
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[1.0, f64::NAN], 50.0), None);
        assert_eq!(percentile(&[1.0], 101.0), None);
    }

    #[test]
    fn the_gate_value_is_the_median_of_seed_p95s() {
        // Five seeds; one noisy seed must not move the gate value much.
        let seeds: Vec<Distribution> = [1.0, 1.1, 0.9, 1.0, 9.0]
            .iter()
            .map(|&scale| {
                Distribution::of(&(1..=2000).map(|i| scale * f64::from(i) / 2000.0).collect::<Vec<_>>()).unwrap()
            })
            .collect();
        let gate = median_of_p95(&seeds).unwrap();
        assert!((gate - 0.95).abs() < 0.001, "{gate}");
        assert_eq!(seeds[0].n, 2000);
        assert!(seeds[0].p50 < seeds[0].p95 && seeds[0].p95 < seeds[0].p99);
    }
}
