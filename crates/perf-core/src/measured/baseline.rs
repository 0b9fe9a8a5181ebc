//! The committed baseline (`baselines/baseline_latest.json`): the reviewed values a run is
//! compared with, their tolerances, and the state of the gate (`scaffold` or `active`).
//!
//! # Format
//! ```json
//! { "schema_version": "wasm-perf-baseline-v1",
//!   "status": "scaffold",
//!   "_comment": "keys starting with _ are notes: kept by rebaseline, ignored by the gate",
//!   "toolchain_drift": "fail",
//!   "provenance": { "commit": "...", "rustc": "rustc 1.95.0 (...)", "binaryen": "116",
//!                   "policy_sha256": "...", "host": "x86_64-unknown-linux-gnu" },
//!   "tolerances": {
//!     "defaults": { "bytes": { "relative_pct": 1.0, "absolute": 512 } },
//!     "overrides": { "M-PERF-04A": { "relative_pct": 25, "absolute": 0.5 } } },
//!   "metrics": [
//!     { "profile": "core-min", "metric_id": "M-PERF-01A", "unit": "bytes", "value": 25423 },
//!     { "profile": "core-min", "metric_id": "M-PERF-04A", "unit": "us", "value": null } ] }
//! ```
//! A pending value is `null`, never a string. Per metric, `spread` and `runs` describe a
//! measured distribution (timing metrics rebaselined with several runs). `items` (optional)
//! holds per variant the largest items of the size attribution, `{ "name", "bytes" }`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::attribution::NamedSize;
use crate::document::{DocumentError, check_schema_version, parse_document, pointer_join};
use crate::policy::VariantKind;
use crate::unit::Unit;

pub const SCHEMA_VERSION: &str = "wasm-perf-baseline-v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub schema_version: String,
    pub status: BaselineStatus,
    /// What a comparison across a different rustc or binaryen does in active mode.
    pub toolchain_drift: DriftPolicy,
    pub provenance: BaselineProvenance,
    pub tolerances: Tolerances,
    pub metrics: Vec<BaselineMetric>,
    /// Per variant, the attribution's largest items (name and shallow bytes), so a size
    /// change names the items that made it. Written by rebaseline.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub items: BTreeMap<VariantKind, Vec<NamedSize>>,
    /// Notes (`_comment`, ...): kept by rebaseline, ignored by the gate. Any other unknown
    /// key is an error.
    #[serde(flatten)]
    pub notes: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineStatus {
    /// Checks run and report "would fail", but never change the exit code.
    Scaffold,
    /// A regression, drift or unanchored metric fails the gate.
    Active,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftPolicy {
    Fail,
    Warn,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineProvenance {
    pub commit: String,
    pub rustc: String,
    pub binaryen: String,
    pub policy_sha256: String,
    pub host: String,
    /// The CI runner image its values were measured on (`None`: not a hosted runner). Its
    /// timing values gate only runs on the same image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner: Option<String>,
    /// The wasm-bindgen release a wasm-bindgen package's values were measured with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasm_bindgen: Option<String>,
    /// Per browser environment, the browser and major version its values were measured in
    /// (e.g. "desktop-chromium": "Chromium 156"): a run in another major is browser drift.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub browsers: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerances {
    /// Per unit; a metric whose unit has no default and no override cannot be compared.
    pub defaults: BTreeMap<Unit, Tolerance>,
    /// Per metric id, over the unit default.
    #[serde(default)]
    pub overrides: BTreeMap<String, Tolerance>,
}

/// A regression needs both: growth above `relative_pct` of the baseline value and above
/// `absolute` (in the metric's unit). Tiny numbers flap on ratio alone; huge ones hide on
/// absolute alone.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    pub relative_pct: f64,
    pub absolute: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineMetric {
    pub profile: String,
    pub metric_id: String,
    pub unit: Unit,
    pub value: Option<f64>,
    /// Max minus min over the runs, for measured distributions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<u32>,
}

impl Baseline {
    pub fn parse(file: &str, text: &str) -> Result<Baseline, DocumentError> {
        let b: Baseline = parse_document(file, text)?;
        b.validate(file)?;
        Ok(b)
    }

    fn validate(&self, file: &str) -> Result<(), DocumentError> {
        let rule = |pointer: String, message: String| Err(DocumentError::rule(file, pointer, message));
        check_schema_version(file, &self.schema_version, SCHEMA_VERSION)?;
        if let Some(key) = self.notes.keys().find(|k| !k.starts_with('_')) {
            return rule(pointer_join("", key), format!("unknown field `{key}` (notes must start with `_`)"));
        }
        let tolerances = self.tolerances.defaults.iter().map(|(u, t)| (format!("/tolerances/defaults/{u}"), t));
        let overrides = self.tolerances.overrides.iter().map(|(id, t)| (pointer_join("/tolerances/overrides", id), t));
        for (at, t) in tolerances.chain(overrides) {
            for (key, v) in [("relative_pct", t.relative_pct), ("absolute", t.absolute)] {
                if !v.is_finite() || v < 0.0 {
                    return rule(format!("{at}/{key}"), format!("expected a finite, non-negative number, found {v}"));
                }
            }
        }
        let mut keys = BTreeSet::new();
        for (i, m) in self.metrics.iter().enumerate() {
            let at = format!("/metrics/{i}");
            if !keys.insert((m.profile.as_str(), m.metric_id.as_str())) {
                return rule(at, format!("{} / {} is listed twice", m.profile, m.metric_id));
            }
            // A percentage is a relative difference (an overhead measured below its reference
            // is negative); every other unit counts something and cannot go below zero.
            let signed = m.unit == Unit::Percent;
            for (key, v, may_be_negative) in [("value", m.value, signed), ("spread", m.spread, false)] {
                let Some(v) = v else { continue };
                if !v.is_finite() || (v < 0.0 && !may_be_negative) {
                    let expected = if may_be_negative { "a finite number" } else { "a finite, non-negative number" };
                    return rule(format!("{at}/{key}"), format!("expected {expected} or null, found {v}"));
                }
            }
        }
        Ok(())
    }

    pub fn metric(&self, profile: &str, metric_id: &str) -> Option<&BaselineMetric> {
        self.metrics.iter().find(|m| m.profile == profile && m.metric_id == metric_id)
    }

    /// The tolerance for a metric: its override, else its unit's default.
    pub fn tolerance(&self, metric_id: &str, unit: Unit) -> Option<Tolerance> {
        self.tolerances.overrides.get(metric_id).or_else(|| self.tolerances.defaults.get(&unit)).copied()
    }
}

impl Tolerance {
    /// Whether `new` regressed from `old` beyond this tolerance (lower is better).
    pub fn is_regression(&self, old: f64, new: f64) -> bool {
        new > self.limit(old)
    }

    /// The largest value that has not regressed from `old`: a regression grows beyond both
    /// the relative and the absolute tolerance.
    pub fn limit(&self, old: f64) -> f64 {
        old + (old.abs() * self.relative_pct / 100.0).max(self.absolute)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const VALID: &str = r#"{
      "schema_version": "wasm-perf-baseline-v1",
      "status": "active",
      "_comment": "reviewed 2026-11-23",
      "toolchain_drift": "fail",
      "provenance": {"commit": "c0ffee", "rustc": "rustc 1.95.0", "binaryen": "116", "policy_sha256": "p", "host": "x86_64-unknown-linux-gnu"},
      "tolerances": {
        "defaults": {"bytes": {"relative_pct": 1.0, "absolute": 512}, "us": {"relative_pct": 20, "absolute": 0.5}},
        "overrides": {"M-PERF-01C": {"relative_pct": 0.5, "absolute": 64}}
      },
      "metrics": [
        {"profile": "core-min", "metric_id": "M-PERF-01A", "unit": "bytes", "value": 25423},
        {"profile": "core-min", "metric_id": "M-PERF-04A", "unit": "us", "value": null}
      ]
    }"#;

    fn broken(edit: impl Fn(&mut serde_json::Value)) -> String {
        let mut v: serde_json::Value = serde_json::from_str(VALID).unwrap();
        edit(&mut v);
        Baseline::parse("baseline.json", &v.to_string()).unwrap_err().to_string()
    }

    #[test]
    fn valid_baseline_parses_and_keeps_notes() {
        let b = Baseline::parse("baseline.json", VALID).unwrap();
        assert_eq!(b.status, BaselineStatus::Active);
        assert_eq!(b.notes.keys().collect::<Vec<_>>(), ["_comment"]);
        assert_eq!(b.metric("core-min", "M-PERF-04A").unwrap().value, None);
        assert_eq!(b.tolerance("M-PERF-01C", Unit::Bytes).unwrap().absolute, 64.0);
        assert_eq!(b.tolerance("M-PERF-01A", Unit::Bytes).unwrap().absolute, 512.0);
        assert_eq!(b.tolerance("M-PERF-02A", Unit::Millis), None);
    }

    #[test]
    fn broken_baselines_name_the_pointer() {
        use serde_json::json;
        type Edit = Box<dyn Fn(&mut serde_json::Value)>;
        let cases: Vec<(Edit, &str)> = vec![
            (
                Box::new(|v| v["metrics"][1]["value"] = json!("TODO")),
                "baseline.json: /metrics/1/value: invalid type: string \"TODO\", expected f64",
            ),
            (
                Box::new(|v| v["status"] = json!("enforcing")),
                "baseline.json: /status: unknown variant `enforcing`, expected `scaffold` or `active`",
            ),
            (
                Box::new(|v| v["colour"] = json!("red")),
                "baseline.json: /colour: unknown field `colour` (notes must start with `_`)",
            ),
            (
                Box::new(|v| v["metrics"][1] = v["metrics"][0].clone()),
                "baseline.json: /metrics/1: core-min / M-PERF-01A is listed twice",
            ),
            (
                Box::new(|v| v["tolerances"]["defaults"]["bytes"]["absolute"] = json!(-1)),
                "baseline.json: /tolerances/defaults/bytes/absolute: expected a finite, non-negative number, found -1",
            ),
            (
                Box::new(|v| v["metrics"][0]["value"] = json!(-3)),
                "baseline.json: /metrics/0/value: expected a finite, non-negative number or null, found -3",
            ),
        ];
        for (edit, expected) in cases {
            assert_eq!(broken(edit), expected);
        }
        // An overhead in percent may be negative (measured below its reference), never NaN.
        let mut v: serde_json::Value = serde_json::from_str(VALID).unwrap();
        v["metrics"][0]["unit"] = json!("percent");
        v["metrics"][0]["value"] = json!(-0.48);
        assert!(Baseline::parse("baseline.json", &v.to_string()).is_ok());
        v["metrics"][0]["spread"] = json!(-1);
        assert_eq!(
            Baseline::parse("baseline.json", &v.to_string()).unwrap_err().to_string(),
            "baseline.json: /metrics/0/spread: expected a finite, non-negative number or null, found -1"
        );
    }

    #[test]
    fn a_regression_needs_both_the_relative_and_the_absolute_excess() {
        let t = Tolerance { relative_pct: 1.0, absolute: 512.0 };
        let cases = [
            (25_000.0, 25_000.0, false, "unchanged"),
            (25_000.0, 25_250.0, false, "+1% exactly is within"),
            (25_000.0, 25_400.0, false, "+1.6% but only 400 bytes"),
            (25_000.0, 25_600.0, true, "+2.4% and 600 bytes"),
            (1_000_000.0, 1_009_000.0, false, "+9000 bytes but only +0.9%"),
            (1_000_000.0, 1_011_000.0, true, "+1.1% and 11000 bytes"),
            (100.0, 50.0, false, "an improvement"),
            (0.0, 600.0, true, "from zero"),
        ];
        for (old, new, expected, case) in cases {
            assert_eq!(t.is_regression(old, new), expected, "{case}");
        }
    }
}
