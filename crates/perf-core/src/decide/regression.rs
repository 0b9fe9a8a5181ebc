//! Comparing a run with the committed baseline, metric by metric: regressions beyond
//! tolerance, schema drift in both directions, unanchored (null) baseline values, unit
//! mismatches, and a run on a different toolchain than the baseline's.

use serde::{Deserialize, Serialize};

use crate::baseline::{Baseline, Tolerance};
use crate::record::Record;
use crate::run::BrowserRan;
use crate::unit::Unit;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub profile: String,
    pub metric_id: String,
    pub unit: Unit,
    pub baseline: Option<f64>,
    pub current: Option<f64>,
    pub tolerance: Option<Tolerance>,
    pub finding: Finding,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Finding {
    /// Within tolerance (or better).
    Within,
    /// Grew beyond both the relative and the absolute tolerance.
    Regression,
    /// Measured in the run, absent from the baseline.
    MissingInBaseline,
    /// In the baseline, absent from the run.
    MissingInRun,
    /// Anchored in the baseline, not measured in this run.
    NotMeasured,
    /// Measured in the run, `null` in the baseline.
    Unanchored,
    /// Neither has a value (the baseline may lack the metric): nothing to compare, nothing
    /// wrong.
    Pending,
    UnitMismatch {
        baseline: Unit,
    },
    /// The baseline has no tolerance for this metric or its unit.
    NoTolerance,
}

impl Finding {
    /// Whether this finding fails an active gate.
    pub fn fails(&self) -> bool {
        !matches!(self, Finding::Within | Finding::Pending)
    }

    /// One line for people: what is wrong with the numbers.
    pub fn describe(&self, c: &Comparison) -> String {
        let num = |v: Option<f64>| v.map_or("null".to_owned(), |v| format!("{v}"));
        match self {
            Finding::Within => "within tolerance".to_owned(),
            Finding::Regression => {
                let (old, new) = (c.baseline.unwrap_or(0.0), c.current.unwrap_or(0.0));
                let pct = if old != 0.0 { format!("{:+.2}%", (new - old) / old * 100.0) } else { "from 0".to_owned() };
                let t = c.tolerance.unwrap_or(Tolerance { relative_pct: 0.0, absolute: 0.0 });
                format!(
                    "regressed {old} -> {new} {} ({pct}, {:+}); tolerance +{}% and +{} {}",
                    c.unit,
                    // The difference of two rounded values is not rounded itself.
                    c.unit.round(new - old),
                    t.relative_pct,
                    t.absolute,
                    c.unit
                )
            }
            Finding::MissingInBaseline => "measured now but missing from the baseline (schema drift)".to_owned(),
            Finding::MissingInRun => "in the baseline but missing from this run (schema drift)".to_owned(),
            Finding::NotMeasured => {
                format!("the baseline anchors it at {} but this run did not measure it", num(c.baseline))
            }
            Finding::Unanchored => format!("measured {} but the baseline value is null (unanchored)", num(c.current)),
            Finding::Pending => "not measured and not anchored".to_owned(),
            Finding::UnitMismatch { baseline } => format!("unit mismatch: baseline {baseline}, run {}", c.unit),
            Finding::NoTolerance => format!("the baseline has no tolerance for {} or unit {}", c.metric_id, c.unit),
        }
    }
}

/// Every (profile, metric) of the run and of the baseline, in run order then baseline order.
pub fn compare(baseline: &Baseline, records: &[Record]) -> Vec<Comparison> {
    let mut out: Vec<Comparison> = records
        .iter()
        .map(|r| {
            let b = baseline.metric(&r.profile, &r.metric_id);
            let tolerance = baseline.tolerance(&r.metric_id, r.unit);
            let finding = match (b, b.and_then(|b| b.value), r.value) {
                // Nothing measured and nothing anchored: no drift to report either way.
                (None, _, None) => Finding::Pending,
                (None, _, _) => Finding::MissingInBaseline,
                (Some(b), _, _) if b.unit != r.unit => Finding::UnitMismatch { baseline: b.unit },
                (Some(_), None, None) => Finding::Pending,
                (Some(_), None, Some(_)) => Finding::Unanchored,
                (Some(_), Some(_), None) => Finding::NotMeasured,
                (Some(_), Some(old), Some(new)) => match tolerance {
                    None => Finding::NoTolerance,
                    Some(t) if t.is_regression(old, new) => Finding::Regression,
                    Some(_) => Finding::Within,
                },
            };
            Comparison {
                profile: r.profile.clone(),
                metric_id: r.metric_id.clone(),
                unit: r.unit,
                baseline: b.and_then(|b| b.value),
                current: r.value,
                tolerance,
                finding,
            }
        })
        .collect();
    for b in &baseline.metrics {
        if !records.iter().any(|r| r.profile == b.profile && r.metric_id == b.metric_id) {
            out.push(Comparison {
                profile: b.profile.clone(),
                metric_id: b.metric_id.clone(),
                unit: b.unit,
                baseline: b.value,
                current: None,
                tolerance: baseline.tolerance(&b.metric_id, b.unit),
                finding: Finding::MissingInRun,
            });
        }
    }
    out
}

/// A toolchain difference between the baseline and the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolchainDrift {
    pub tool: String,
    pub baseline: String,
    pub current: String,
}

/// rustc, binaryen and (where both name one) wasm-bindgen versions that differ: numbers
/// across them are not comparable as-is.
pub fn toolchain_drift(
    baseline: &Baseline,
    rustc: &str,
    binaryen: &str,
    wasm_bindgen: Option<&str>,
) -> Vec<ToolchainDrift> {
    let release = |vv: &str| {
        vv.lines().find_map(|l| l.strip_prefix("release: ")).map(str::to_owned).unwrap_or_else(|| vv.trim().to_owned())
    };
    let mut drift = Vec::new();
    let pairs = [
        ("rustc", release(&baseline.provenance.rustc), release(rustc)),
        ("binaryen", baseline.provenance.binaryen.clone(), binaryen.to_owned()),
    ];
    for (tool, b, c) in pairs {
        if b != c {
            drift.push(ToolchainDrift { tool: tool.to_owned(), baseline: b, current: c });
        }
    }
    // A baseline from before wasm-bindgen was recorded says nothing of it.
    if let (Some(b), Some(c)) = (&baseline.provenance.wasm_bindgen, wasm_bindgen)
        && b != c
    {
        drift.push(ToolchainDrift { tool: "wasm-bindgen".to_owned(), baseline: b.clone(), current: c.to_owned() });
    }
    drift
}

/// A browser environment whose browser or major version differs from the baseline's, or
/// that the baseline does not record while it anchors the environment's metric: its values
/// are not comparable as-is. Returns the drift and the metric the environment feeds.
pub fn browser_drift(baseline: &Baseline, ran: &[BrowserRan]) -> Vec<(ToolchainDrift, String)> {
    let mut drift = Vec::new();
    for r in ran {
        let anchored = baseline.metrics.iter().any(|m| m.metric_id == r.metric && m.value.is_some());
        let recorded = match baseline.provenance.browsers.get(&r.environment) {
            Some(b) if *b == r.browser => continue,
            Some(b) => b.clone(),
            None if anchored => "not recorded".to_owned(),
            None => continue,
        };
        let tool = format!("{} browser", r.environment);
        drift.push((ToolchainDrift { tool, baseline: recorded, current: r.browser.clone() }, r.metric.clone()));
    }
    drift
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::VariantKind;
    use crate::status::Status;

    fn record(metric_id: &str, unit: Unit, value: Option<f64>) -> Record {
        Record {
            commit: "c".into(),
            profile: "core-min".into(),
            variant: VariantKind::Release,
            environment: "static".into(),
            metric_id: metric_id.into(),
            metric: metric_id.into(),
            value,
            unit,
            threshold_warn: None,
            threshold_hard: Some(1e9),
            status: if value.is_some() { Status::Pass } else { Status::Skip },
            required: false,
            wall_clock: false,
            reason: None,
            seed_set: vec![],
            commands: vec![],
            artifact_paths: vec![],
            artifact_sha256: None,
            outcome: value.map(crate::runtime::Measurement::Value),
        }
    }

    fn baseline(metrics: serde_json::Value) -> Baseline {
        let doc = serde_json::json!({
            "schema_version": "wasm-perf-baseline-v1", "status": "active", "toolchain_drift": "fail",
            "provenance": {"commit": "c", "rustc": "rustc 1.95.0\nrelease: 1.95.0\n", "binaryen": "116", "policy_sha256": "p", "host": "h"},
            "tolerances": {"defaults": {"bytes": {"relative_pct": 1.0, "absolute": 512}}},
            "metrics": metrics,
        });
        Baseline::parse("b.json", &doc.to_string()).unwrap()
    }

    fn finding(b: serde_json::Value, r: Record) -> Finding {
        let found = compare(&baseline(serde_json::json!([b])), &[r]);
        found[0].finding.clone()
    }

    #[test]
    fn each_finding() {
        use serde_json::json;
        let m = |unit: &str, value: serde_json::Value| json!({"profile": "core-min", "metric_id": "M", "unit": unit, "value": value});
        let cases = [
            (m("bytes", json!(25000)), record("M", Unit::Bytes, Some(25200.0)), Finding::Within),
            (m("bytes", json!(25000)), record("M", Unit::Bytes, Some(29096.0)), Finding::Regression),
            (m("bytes", json!(25000)), record("M", Unit::Bytes, Some(25400.0)), Finding::Within),
            (m("bytes", json!(null)), record("M", Unit::Bytes, Some(1.0)), Finding::Unanchored),
            (m("bytes", json!(null)), record("M", Unit::Bytes, None), Finding::Pending),
            (m("bytes", json!(25000)), record("M", Unit::Bytes, None), Finding::NotMeasured),
            (m("us", json!(3)), record("M", Unit::Bytes, Some(3.0)), Finding::UnitMismatch { baseline: Unit::Micros }),
            (m("us", json!(3)), record("M", Unit::Micros, Some(3.0)), Finding::NoTolerance),
            (m("bytes", json!(1)), record("N", Unit::Bytes, Some(1.0)), Finding::MissingInBaseline),
            (m("bytes", json!(1)), record("N", Unit::Bytes, None), Finding::Pending),
        ];
        for (b, r, expected) in cases {
            let case = format!("{b} vs {:?}", r.value);
            assert_eq!(finding(b, r), expected, "{case}");
        }
    }

    #[test]
    fn drift_is_caught_in_both_directions() {
        use serde_json::json;
        let b = baseline(json!([{"profile": "core-min", "metric_id": "OLD", "unit": "bytes", "value": 1}]));
        let found = compare(&b, &[record("NEW", Unit::Bytes, Some(1.0))]);
        let kinds: Vec<(&str, &Finding)> = found.iter().map(|c| (c.metric_id.as_str(), &c.finding)).collect();
        assert_eq!(kinds, [("NEW", &Finding::MissingInBaseline), ("OLD", &Finding::MissingInRun)]);
    }

    #[test]
    fn a_regression_message_names_old_new_and_tolerance() {
        use serde_json::json;
        let b = baseline(json!([{"profile": "core-min", "metric_id": "M-PERF-01A", "unit": "bytes", "value": 25423}]));
        let c = &compare(&b, &[record("M-PERF-01A", Unit::Bytes, Some(29519.0))])[0];
        assert_eq!(
            c.finding.describe(c),
            "regressed 25423 -> 29519 bytes (+16.11%, +4096); tolerance +1% and +512 bytes"
        );
    }

    #[test]
    fn toolchain_drift_compares_releases() {
        let b = baseline(serde_json::json!([]));
        assert_eq!(toolchain_drift(&b, "rustc 1.95.0 (abc)\nrelease: 1.95.0\n", "116", Some("0.2.130")), vec![]);
        let drift = toolchain_drift(&b, "rustc 1.96.0 (def)\nrelease: 1.96.0\n", "117", None);
        let tools: Vec<&str> = drift.iter().map(|d| d.tool.as_str()).collect();
        assert_eq!(tools, ["rustc", "binaryen"]);
        assert_eq!((drift[0].baseline.as_str(), drift[0].current.as_str()), ("1.95.0", "1.96.0"));
        // wasm-bindgen drifts only where the baseline recorded one.
        let mut bindgen = b.clone();
        bindgen.provenance.wasm_bindgen = Some("0.2.129".into());
        let drift = toolchain_drift(&bindgen, "rustc 1.95.0 (abc)\nrelease: 1.95.0\n", "116", Some("0.2.130"));
        let d = drift.iter().map(|d| (d.tool.as_str(), d.baseline.as_str(), d.current.as_str())).collect::<Vec<_>>();
        assert_eq!(d, [("wasm-bindgen", "0.2.129", "0.2.130")]);
    }
}
