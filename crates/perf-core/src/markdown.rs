//! The Markdown report of a run, for a CI job summary (`$GITHUB_STEP_SUMMARY`) or a pull
//! request: the verdict, the size and runtime tables, every finding and every metric that
//! was not measured, with its reason. Built from the summary and the gate report alone, so
//! it says nothing the JSON files do not.

use std::fmt::Write;

use crate::attribution::readable;
use crate::baseline::BaselineStatus;
use crate::budget::Status;
use crate::display::number;
use crate::gate::GateReport;
use crate::summary::{Record, STATIC_ENVIRONMENT, Summary, metric_ids};

const SIZE_METRICS: [&str; 3] = ["M-PERF-01A", "M-PERF-01B", "M-PERF-01C"];

pub fn report(summary: &Summary, gate: &GateReport) -> String {
    let mut out = String::new();
    let verdict = match summary.verdict {
        Status::Fail => "❌ fail",
        Status::Warn => "⚠️ warn",
        Status::Pass | Status::Skip => "✅ pass",
    };
    let baseline = match gate.baseline_status {
        Some(BaselineStatus::Active) => "active",
        Some(BaselineStatus::Scaffold) => "scaffold (its findings do not fail the run)",
        None => "none",
    };
    let _ = writeln!(out, "## wasm budget gate: {verdict}\n");
    let _ = writeln!(
        out,
        "`{}` at `{}` on branch `{}`; baseline {baseline}; run `{}`.\n",
        cell_text(&summary.package),
        cell_text(&summary.commit),
        cell_text(&gate.branch),
        cell_text(&gate.run_id)
    );

    let _ = writeln!(out, "| profile | variant | raw bytes | gzip bytes | brotli bytes |");
    let _ = writeln!(out, "|---|---|---:|---:|---:|");
    for v in &summary.variants {
        let cells: Vec<String> =
            SIZE_METRICS.iter().map(|id| value_cell(find(summary, v.variant.as_str(), id), gate)).collect();
        let _ = writeln!(out, "| {} | {} | {} |", v.budget_profile, v.variant.as_str(), cells.join(" | "));
    }

    let others = || summary.records.iter().filter(|r| !SIZE_METRICS.contains(&r.metric_id.as_str()));
    let sections = metric_ids(others().filter(|r| r.environment == STATIC_ENVIRONMENT));
    if !sections.is_empty() {
        let _ = writeln!(out, "\nSections of the shipped module.\n");
        metric_table(&mut out, summary, gate, &sections);
    }
    if let Some(engine) = summary.variants.iter().find_map(|v| v.runtime.as_ref()).map(|r| r.engine.as_str()) {
        let _ = writeln!(
            out,
            "\nRuntime in {engine}: median over the seeds of each seed's p95 (fuel: of each seed's median).\n"
        );
        let runtime = metric_ids(others().filter(|r| r.environment != STATIC_ENVIRONMENT));
        metric_table(&mut out, summary, gate, &runtime);
    }

    size_changes(&mut out, summary, gate);
    monos(&mut out, summary);

    let findings: Vec<String> = findings(summary, gate);
    let _ = writeln!(out, "\n### Findings\n");
    if findings.is_empty() {
        let _ = writeln!(out, "None: every measured metric is within its budget and its baseline.");
    }
    for f in findings {
        let _ = writeln!(out, "- {f}");
    }

    let skipped: Vec<&Record> = summary.records.iter().filter(|r| r.status == Status::Skip).collect();
    if !skipped.is_empty() {
        let _ = writeln!(out, "\n### Not measured\n");
        for r in skipped {
            let reason = r.reason.as_deref().unwrap_or("no reason recorded");
            let _ = writeln!(out, "- {} ({}): {}", r.metric_id, r.profile, cell_text(reason));
        }
    }
    out
}

/// Budget failures and warnings from the records, then the gate's own findings (streaks,
/// baseline, toolchain) and what a scaffold baseline would fail.
/// One row per metric, one column per variant.
fn metric_table(out: &mut String, summary: &Summary, gate: &GateReport, ids: &[&str]) {
    let variants: Vec<&str> = summary.variants.iter().map(|v| v.variant.as_str()).collect();
    let _ = writeln!(out, "| metric | unit | {} |", variants.join(" | "));
    let _ = writeln!(out, "|---|---|{}", "---:|".repeat(variants.len()));
    for id in ids {
        let unit = summary.records.iter().find(|r| r.metric_id == *id).map_or("", |r| r.unit.as_str());
        let cells: Vec<String> = variants.iter().map(|v| value_cell(find(summary, v, id), gate)).collect();
        let _ = writeln!(out, "| {id} | {unit} | {} |", cells.join(" | "));
    }
}

/// How many item changes and generic functions each variant shows.
const TOP_ROWS: usize = 10;
const TOP_MONOS: usize = 5;

/// The items that grew, shrank, appeared or disappeared against the baseline's, per variant.
fn size_changes(out: &mut String, summary: &Summary, gate: &GateReport) {
    let shown: Vec<_> = gate.size_changes.iter().filter(|c| !c.changes.is_empty()).collect();
    if gate.baseline_status.is_none() {
        return;
    }
    let _ = writeln!(out, "\n### Size changes against the baseline\n");
    if gate.size_changes.is_empty() {
        let _ = writeln!(
            out,
            "The baseline has no attribution items to compare with (`cargo xtask rebaseline` records them)."
        );
        return;
    }
    if shown.is_empty() {
        let _ = writeln!(out, "No item changed size.");
    }
    for c in shown {
        let profiled = summary
            .variants
            .iter()
            .find(|v| v.variant == c.variant)
            .and_then(|v| v.attribution.as_ref())
            .map_or(String::new(), |a| format!(" ({})", cell_text(&a.profiled.path)));
        let _ = writeln!(out, "**{}**{profiled}\n", c.variant.as_str());
        let _ = writeln!(out, "| item | change | baseline bytes | bytes | change bytes |");
        let _ = writeln!(out, "|---|---|---:|---:|---:|");
        for i in c.changes.iter().take(TOP_ROWS) {
            let bytes = |b: Option<u64>| b.map_or("-".to_owned(), |b| number(b as f64));
            let sign = if i.delta > 0 { "+" } else { "" };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {sign}{} |",
                cell_text(&i.name),
                i.change.as_str(),
                bytes(i.baseline_bytes),
                bytes(i.bytes),
                number(i.delta as f64)
            );
        }
        out.push('\n');
    }
}

/// Generic functions instantiated more than once, per variant, by bloat.
fn monos(out: &mut String, summary: &Summary) {
    let rows: Vec<String> = summary
        .variants
        .iter()
        .filter_map(|v| Some((v.variant, v.attribution.as_ref()?)))
        .flat_map(|(variant, a)| {
            a.monos.iter().take(TOP_MONOS).map(move |m| {
                format!(
                    "| {} | `{}` | {} | {} | {} |",
                    variant.as_str(),
                    cell_text(&readable(&m.generic)),
                    m.instantiations,
                    number(m.total_bytes as f64),
                    number(m.bloat_bytes as f64)
                )
            })
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n### Monomorphization bloat\n");
    let _ = writeln!(out, "| variant | generic function | instantiations | bytes | bloat bytes |");
    let _ = writeln!(out, "|---|---|---:|---:|---:|");
    for r in rows {
        let _ = writeln!(out, "{r}");
    }
}

fn findings(summary: &Summary, gate: &GateReport) -> Vec<String> {
    let mut out = Vec::new();
    for r in summary.records.iter().filter(|r| matches!(r.status, Status::Fail | Status::Warn)) {
        let why = cell_text(&r.explain());
        out.push(format!("**{}** {} ({}) [budget]: {why}", r.status.as_str(), r.metric_id, r.profile));
    }
    for c in gate.checks.iter().filter(|c| c.is_finding()) {
        let (status, at, rule) = (c.status.as_str(), c.location(), c.rule.label());
        out.push(format!("**{status}**{at} [{rule}]: {}", cell_text(&c.message)));
    }
    out
}

fn find<'a>(summary: &'a Summary, variant: &str, metric_id: &str) -> Option<&'a Record> {
    summary.records.iter().find(|r| r.variant.as_str() == variant && r.metric_id == metric_id)
}

/// `measured / hard`, with the gate's verdict on the metric (budget, streak and baseline
/// together) when it is not a pass.
fn value_cell(record: Option<&Record>, gate: &GateReport) -> String {
    let Some(r) = record else { return "-".to_owned() };
    let verdict = gate
        .metrics
        .iter()
        .find(|m| m.profile == r.profile && m.metric_id == r.metric_id)
        .map_or(r.status, |m| m.status.worst(r.status));
    let value = match (r.value, r.threshold_hard) {
        (Some(v), Some(hard)) => format!("{} / {}", number(v), number(hard)),
        (Some(v), None) => number(v),
        (None, _) => String::new(),
    };
    match verdict {
        Status::Pass => value,
        Status::Skip => "skip".to_owned(),
        Status::Warn | Status::Fail if value.is_empty() => format!("**{}**", verdict.as_str()),
        Status::Warn | Status::Fail => format!("{value} **{}**", verdict.as_str()),
    }
}

/// Text safe inside a table cell or a list item: no pipes, no line breaks.
fn cell_text(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::cell_text;

    #[test]
    fn cell_text_keeps_tables_intact() {
        assert_eq!(cell_text("a|b\nc"), "a\\|b c");
    }
}
