//! The compact table `cargo xtask perf` prints: one row per variant with its size metrics
//! against their budgets, one row per runtime metric with a column per variant, then what
//! failed or was not measured, then the verdict.

use std::fmt::Write;

use perf_core::budget::Status;
use perf_core::gate::{GateReport, Rule};
use perf_core::summary::{Record, Summary};

const SIZE_COLUMNS: [(&str, &str); 3] = [("raw", "M-PERF-01A"), ("gzip", "M-PERF-01B"), ("brotli", "M-PERF-01C")];

pub fn render(s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<11} {:<8} {:>21} {:>21} {:>21}  status", "profile", "variant", "raw", "gzip", "brotli");
    for v in &s.variants {
        let records: Vec<&Record> = s.records.iter().filter(|r| r.variant == v.variant).collect();
        let cells: Vec<String> = SIZE_COLUMNS
            .iter()
            .map(|(_, id)| match records.iter().find(|r| r.metric_id == *id) {
                Some(r) => cell(r),
                None => "-".to_owned(),
            })
            .collect();
        let status = records
            .iter()
            .filter(|r| SIZE_COLUMNS.iter().any(|(_, id)| *id == r.metric_id))
            .map(|r| r.status)
            .fold(Status::Skip, Status::worst);
        let _ = writeln!(
            out,
            "{:<11} {:<8} {:>21} {:>21} {:>21}  {}",
            v.budget_profile,
            v.variant.as_str(),
            cells[0],
            cells[1],
            cells[2],
            status.as_str()
        );
    }
    out.push_str(&render_runtime(s));
    for r in s.records.iter().filter(|r| r.status == Status::Fail || r.status == Status::Warn) {
        let _ = writeln!(out, "{}: {} ({}, {}): {}", r.status.as_str(), r.metric_id, r.profile, r.metric, explain(r));
    }
    let skipped: Vec<&Record> = s.records.iter().filter(|r| r.status == Status::Skip).collect();
    if !skipped.is_empty() {
        let mut ids: Vec<&str> = Vec::new();
        for r in &skipped {
            if !ids.contains(&r.metric_id.as_str()) {
                ids.push(&r.metric_id);
            }
        }
        let _ =
            writeln!(out, "skip: {} records not measured ({}); reasons in the summary", skipped.len(), ids.join(", "));
    }
    let p = &s.pipeline;
    let _ = writeln!(
        out,
        "pipeline: {} cargo builds, {} wasm-opt runs, {} wasm-opt cache hits, {:.1} s",
        p.steps.cargo_builds,
        p.steps.wasm_opt_runs,
        p.steps.wasm_opt_cache_hits,
        p.total_millis / 1000.0
    );
    if let Some(reason) = &p.reason {
        let _ = writeln!(out, "fail: {reason}");
    }
    let _ = writeln!(out, "verdict: {}", s.verdict.as_str());
    out
}

/// Runtime metrics (value / hard budget, per variant) and the engine they ran in.
fn render_runtime(s: &Summary) -> String {
    let mut out = String::new();
    let Some(engine) = s.variants.iter().find_map(|v| v.runtime.as_ref()).map(|r| r.engine.as_str()) else {
        return out;
    };
    let mut ids: Vec<&str> = Vec::new();
    for r in s.records.iter().filter(|r| !SIZE_COLUMNS.iter().any(|(_, id)| *id == r.metric_id)) {
        if !ids.contains(&r.metric_id.as_str()) {
            ids.push(&r.metric_id);
        }
    }
    let _ = writeln!(out, "\nruntime in {engine}: median of per-seed p95 (fuel: of per-seed medians)");
    let _ = write!(out, "{:<20} {:<7}", "metric", "unit");
    for v in &s.variants {
        let _ = write!(out, " {:>21}", v.variant.as_str());
    }
    out.push('\n');
    for id in ids {
        let unit = s.records.iter().find(|r| r.metric_id == id).map_or("", |r| r.unit.as_str());
        let _ = write!(out, "{id:<20} {unit:<7}");
        for v in &s.variants {
            let record = s.records.iter().find(|r| r.metric_id == id && r.variant == v.variant);
            let text = match record {
                Some(r) if r.status == Status::Skip => "skip".to_owned(),
                Some(r) => format!("{}{}", cell(r), if r.status == Status::Pass { "" } else { " !" }),
                None => "-".to_owned(),
            };
            let _ = write!(out, " {text:>21}");
        }
        out.push('\n');
    }
    out.push('\n');
    out
}

/// What the gate adds to the table: streaks, regressions, drift, and what a scaffold
/// baseline would fail. Budget failures are already listed by `render`.
pub fn render_gate(report: &GateReport, notes: &[String]) -> String {
    let mut out = String::new();
    for note in notes {
        let _ = writeln!(out, "note: {note}");
    }
    for c in &report.checks {
        let shown = match c.rule {
            Rule::HardBudget => false,
            Rule::WarnThenBlock => c.status == Status::Warn || c.status == Status::Fail,
            Rule::Regression | Rule::Toolchain => c.status != Status::Pass || c.would_fail.is_some(),
        };
        if !shown {
            continue;
        }
        let rule = match c.rule {
            Rule::HardBudget => "budget",
            Rule::WarnThenBlock => "streak",
            Rule::Regression => "baseline",
            Rule::Toolchain => "toolchain",
        };
        let at = if c.metric_id.is_empty() { String::new() } else { format!(" {} ({})", c.metric_id, c.profile) };
        let _ = writeln!(out, "{} [{rule}]{at}: {}", c.status.as_str(), c.message);
    }
    let baseline = match report.baseline_status {
        Some(perf_core::baseline::BaselineStatus::Active) => "active",
        Some(perf_core::baseline::BaselineStatus::Scaffold) => "scaffold (findings do not fail the run)",
        None => "none",
    };
    let _ = writeln!(out, "gate: {} on branch {}, baseline {baseline}", report.verdict.as_str(), report.branch);
    out
}

fn cell(r: &Record) -> String {
    match (r.value, r.threshold_hard) {
        (Some(v), Some(limit)) => format!("{} / {}", thousands(v), thousands(limit)),
        (Some(v), None) => thousands(v),
        (None, _) => "not measured".to_owned(),
    }
}

fn explain(r: &Record) -> String {
    match (r.value, &r.reason) {
        (_, Some(reason)) => reason.clone(),
        (Some(v), None) => {
            let limit = match (r.status, r.threshold_warn) {
                (Status::Warn, Some(w)) => format!("warn threshold {}", thousands(w)),
                _ => format!("budget {}", r.threshold_hard.map_or("-".to_owned(), thousands)),
            };
            format!("{} {} is above the {limit}", thousands(v), r.unit)
        }
        (None, None) => "no value".to_owned(),
    }
}

/// `53534` as `53,534`; fractional values keep three significant digits (at least two
/// decimals).
fn thousands(v: f64) -> String {
    if v.fract() != 0.0 {
        let magnitude = v.abs().log10().floor() as i32;
        let decimals = (2 - magnitude).max(2) as usize;
        return format!("{v:.decimals$}");
    }
    let digits = format!("{}", v.abs() as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_groups_digits() {
        let cases = [
            (0.0, "0"),
            (999.0, "999"),
            (1000.0, "1,000"),
            (53534.0, "53,534"),
            (1234567.0, "1,234,567"),
            (2.5, "2.50"),
            (0.0154, "0.0154"),
            (52.7133, "52.71"),
        ];
        for (v, s) in cases {
            assert_eq!(super::thousands(v), s);
        }
    }
}
