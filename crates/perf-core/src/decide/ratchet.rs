//! Ratchet hints: a metric whose baseline value leaves much of its hard budget unused gets a
//! suggested tighter threshold, so budgets follow the code down instead of staying where the
//! first numbers put them. A suggestion only: thresholds change through the change log.

use serde::{Deserialize, Serialize};

use crate::baseline::Baseline;
use crate::budget::Ratchet;
use crate::record::Record;
use crate::unit::Unit;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatchetHint {
    pub profile: String,
    pub metric_id: String,
    pub unit: Unit,
    pub hard: f64,
    pub baseline: f64,
    /// The share of the hard budget the baseline value leaves unused, in percent.
    pub headroom_pct: f64,
    /// The baseline value plus the configured headroom, rounded up to two significant digits.
    pub suggested_hard: f64,
}

/// A hint per record whose baseline value has more headroom than `rule` allows. Metrics
/// with a warn threshold are left out: a lone hard suggestion below the warn threshold
/// would break the budgets' warn ≤ hard rule, and scaling both is a reviewer's call.
pub fn hints(rule: &Ratchet, baseline: &Baseline, records: &[Record]) -> Vec<RatchetHint> {
    records
        .iter()
        .filter(|r| r.threshold_warn.is_none())
        .filter_map(|r| {
            let hard = r.threshold_hard.filter(|h| *h > 0.0)?;
            let anchored = baseline.metric(&r.profile, &r.metric_id).filter(|m| m.unit == r.unit)?;
            let value = anchored.value.filter(|v| *v > 0.0)?;
            let headroom = (hard - value) / hard;
            let mut suggested_hard = round_up(value * (1.0 + rule.suggest_headroom));
            if matches!(r.unit, Unit::Bytes | Unit::Count | Unit::Fuel) {
                suggested_hard = suggested_hard.ceil();
            }
            (headroom > rule.headroom_above && suggested_hard < hard).then(|| RatchetHint {
                profile: r.profile.clone(),
                metric_id: r.metric_id.clone(),
                unit: r.unit,
                hard,
                baseline: value,
                headroom_pct: (headroom * 1000.0).round() / 10.0,
                suggested_hard,
            })
        })
        .collect()
}

/// Up to two significant digits: 28,210 → 29,000; 0.0525 → 0.053.
fn round_up(v: f64) -> f64 {
    let step = 10f64.powi(v.log10().floor() as i32 - 1);
    // The division can land a hair above a whole number (0.0525 / 0.001 = 52.50000000000001).
    let steps = (v / step * 1e9).round() / 1e9;
    let rounded = steps.ceil() * step;
    // Back to the shortest decimal: 53 × 0.001 is 0.053000000000000005 in binary.
    format!("{rounded:.12}").parse().unwrap_or(rounded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::VariantKind;
    use crate::status::Status;

    fn record(metric_id: &str, hard: f64) -> Record {
        Record {
            commit: "c".into(),
            profile: "core-min".into(),
            variant: VariantKind::Release,
            environment: "static".into(),
            metric_id: metric_id.into(),
            metric: metric_id.into(),
            value: Some(1.0),
            unit: Unit::Bytes,
            threshold_warn: None,
            threshold_hard: Some(hard),
            status: Status::Pass,
            required: true,
            wall_clock: false,
            reason: None,
            seed_set: vec![],
            commands: vec![],
            artifact_paths: vec![],
            artifact_sha256: None,
            outcome: Some(crate::runtime::Measurement::Value(1.0)),
        }
    }

    /// A scaffold baseline with these metrics (`"metrics": [...]`, the JSON member).
    fn baseline(metrics: &str) -> Baseline {
        let text = format!(
            r#"{{"schema_version": "wasm-perf-baseline-v1", "status": "scaffold", "toolchain_drift": "fail",
                "provenance": {{"commit": "c", "rustc": "r", "binaryen": "116", "policy_sha256": "p", "host": "h"}},
                "tolerances": {{"defaults": {{}}, "overrides": {{}}}}, {metrics}}}"#
        );
        Baseline::parse("b.json", &text).unwrap()
    }

    #[test]
    fn only_roomy_metrics_get_a_tighter_suggestion() {
        let baseline = baseline(
            r#""metrics": [
                  {"profile": "core-min", "metric_id": "ROOMY", "unit": "bytes", "value": 22568},
                  {"profile": "core-min", "metric_id": "TIGHT", "unit": "bytes", "value": 25426},
                  {"profile": "core-min", "metric_id": "ZERO", "unit": "bytes", "value": 0},
                  {"profile": "core-min", "metric_id": "PENDING", "unit": "bytes", "value": null}]"#,
        );
        let rule = Ratchet { headroom_above: 0.5, suggest_headroom: 0.25 };
        let mut warned = record("ROOMY", 64000.0);
        warned.threshold_warn = Some(50000.0);
        let mut counted = record("ROOMY", 64000.0);
        counted.unit = Unit::Count;
        let records = [
            record("ROOMY", 64000.0),
            record("TIGHT", 32000.0),
            record("ZERO", 10.0),
            record("PENDING", 9.0),
            warned,
            counted,
        ];
        let hints = hints(&rule, &baseline, &records);
        assert_eq!(hints.len(), 1, "no hint for a warn threshold or a unit the baseline does not share: {hints:?}");
        assert_eq!(
            (hints[0].metric_id.as_str(), hints[0].headroom_pct, hints[0].suggested_hard),
            ("ROOMY", 64.7, 29000.0)
        );
    }

    #[test]
    fn whole_units_get_whole_suggestions() {
        let baseline =
            baseline(r#""metrics": [{"profile": "core-min", "metric_id": "SECTIONS", "unit": "count", "value": 7}]"#);
        let mut r = record("SECTIONS", 16.0);
        r.unit = Unit::Count;
        let hints = hints(&Ratchet { headroom_above: 0.5, suggest_headroom: 0.25 }, &baseline, &[r]);
        assert_eq!(hints[0].suggested_hard, 9.0, "7 × 1.25 = 8.75 sections: 9");
    }

    #[test]
    fn suggestions_round_up_to_two_significant_digits() {
        for (v, rounded) in [(28210.0, 29000.0), (0.0525, 0.053), (52.0, 52.0), (0.042 * 1.25, 0.053), (1.0, 1.0)] {
            assert_eq!(round_up(v), rounded, "{v}");
        }
    }
}
