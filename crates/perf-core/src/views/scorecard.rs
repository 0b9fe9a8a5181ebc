//! A variant's scorecard, the table both reports show: per metric its value, hard budget,
//! headroom, change against the baseline and the gate's verdict on it.

use crate::gate::GateReport;
use crate::policy::VariantKind;
use crate::record::Record;
use crate::status::Status;
use crate::summary::Summary;

pub struct Line<'a> {
    pub record: &'a Record,
    /// The share of the hard budget left unused, in percent; negative over budget.
    pub headroom_pct: Option<f64>,
    /// value − baseline, in percent of the baseline.
    pub change_pct: Option<f64>,
    /// The record's status: the budget and every rule of the gate together.
    pub status: Status,
}

/// The scorecards a report shows: one per built variant, or, for figures measured elsewhere
/// (no variant built here), one per variant their records' profiles gate.
pub fn tables(summary: &Summary) -> Vec<(VariantKind, &str)> {
    let mut tables: Vec<(VariantKind, &str)> =
        summary.variants.iter().map(|v| (v.variant, v.budget_profile.as_str())).collect();
    if summary.variants.is_empty() {
        for r in &summary.records {
            if !tables.iter().any(|(kind, _)| *kind == r.variant) {
                tables.push((r.variant, &r.profile));
            }
        }
    }
    tables
}

pub fn lines<'a>(summary: &'a Summary, gate: &GateReport, variant: VariantKind) -> Vec<Line<'a>> {
    summary
        .records
        .iter()
        .filter(|r| r.variant == variant)
        .map(|r| {
            let baseline = gate.comparison(r).and_then(|c| c.baseline);
            let headroom_pct = match (r.value, r.threshold_hard) {
                (Some(v), Some(h)) if h > 0.0 => Some((h - v) / h * 100.0),
                _ => None,
            };
            let change_pct = match (r.value, baseline) {
                (Some(v), Some(b)) if b != 0.0 => Some((v - b) / b.abs() * 100.0),
                _ => None,
            };
            Line { record: r, headroom_pct, change_pct, status: r.status }
        })
        .collect()
}

/// A percentage as the tables show it: `21%`, `+4.2%`, `-0.1%`.
pub fn percent(v: f64, signed: bool) -> String {
    let digits = if v.abs() >= 10.0 { 0 } else { 1 };
    if signed { format!("{v:+.digits$}%") } else { format!("{v:.digits$}%") }
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn percentages_keep_two_significant_digits_at_most() {
        assert_eq!(percent(20.53, false), "21%");
        assert_eq!(percent(4.23, true), "+4.2%");
        assert_eq!(percent(-0.06, true), "-0.1%");
        assert_eq!(percent(0.0, true), "+0.0%");
    }
}
