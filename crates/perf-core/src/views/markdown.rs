//! The Markdown report of a run (`artifacts/wasm_perf_report.md`, a CI job summary, a pull
//! request): the verdict first, a scorecard per variant, what differs from a base commit
//! (`--compare`), the size changes against the baseline's items, monomorphization bloat,
//! ratchet hints, every finding and every metric that was not measured, with its reason.
//! Built from the summary and the gate report alone, so it says nothing the JSON files do
//! not.

use std::fmt::Write;

use crate::against_base::ExactChange;
use crate::attribution::readable;
use crate::baseline::BaselineStatus;
use crate::display::{number, signed};
use crate::gate::GateReport;
use crate::host_grid;
use crate::record::{self, Record};
use crate::scorecard::{self, percent};
use crate::sequential::Change;
use crate::status::Status;
use crate::summary::Summary;

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

    if let Some(engine) = summary.variants.iter().find_map(|v| v.runtime.as_ref()).map(|r| r.engine.as_str()) {
        let _ = writeln!(
            out,
            "Sizes are the shipped module's bytes; runtime metrics ran in {engine}: the median over the seeds of \
             each seed's p95 (fuel: of each seed's median). Headroom is the unused share of the hard budget.\n"
        );
    }
    if summary.variants.is_empty() {
        let environments = record::environments(&summary.records);
        let _ = writeln!(
            out,
            "Figures measured elsewhere, in {}; rustc `{}`, binaryen {}. Headroom is the unused share of the hard \
             budget.\n",
            cell_text(&environments.join("; ")),
            cell_text(summary.provenance.rustc.lines().next().unwrap_or_default()),
            cell_text(&summary.provenance.binaryen)
        );
    }
    for (variant, profile) in scorecard::tables(summary) {
        let _ = writeln!(out, "### {} ({})\n", variant.as_str(), cell_text(profile));
        let _ = writeln!(out, "| metric | unit | value | budget | headroom | vs baseline | status |");
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---|");
        for line in scorecard::lines(summary, gate, variant) {
            let r = line.record;
            let value = r.value.map_or("-".to_owned(), number);
            let budget = r.threshold_hard.map_or("-".to_owned(), number);
            let headroom = line.headroom_pct.map_or("-".to_owned(), |p| percent(p, false));
            let change = line.change_pct.map_or("-".to_owned(), |p| percent(p, true));
            let status = match line.status {
                Status::Pass | Status::Skip => line.status.as_str().to_owned(),
                Status::Warn | Status::Fail => format!("**{}**", line.status.as_str()),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {value} | {budget} | {headroom} | {change} | {status} |",
                r.metric_id,
                r.unit.as_str()
            );
        }
        out.push('\n');
    }

    against_base(&mut out, summary);
    hosts(&mut out, summary);
    size_changes(&mut out, summary, gate);
    monos(&mut out, summary);
    ratchet_hints(&mut out, gate);

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
    // Sections end and start with blank lines; one between them is enough.
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    out
}

/// The head against a base commit's builds (`--compare`): the exact figures (sizes of what
/// ships, fuel, heap) that differ, and every paired timing's outcome.
fn against_base(out: &mut String, summary: &Summary) {
    let Some(a) = &summary.against_base else { return };
    let short = a.commit.get(..12).unwrap_or(&a.commit);
    let _ = writeln!(out, "### Against {} (`{}`)\n", cell_text(&a.reference), cell_text(short));
    let changed: Vec<_> = a.changed().collect();
    if changed.is_empty() {
        let n = a.exact.len();
        let _ = writeln!(out, "Every exact figure is the same ({n}: sizes of what ships, fuel, heap in use).\n");
    } else {
        let _ = writeln!(out, "| metric | variant | unit | base | head | change |");
        let _ = writeln!(out, "|---|---|---|---:|---:|---:|");
        let value = |v: Option<f64>| v.map_or_else(|| "none".to_owned(), number);
        for s in &changed {
            let change = match s.change() {
                ExactChange::Changed(by) => signed(by),
                ExactChange::Same | ExactChange::OneSided => "-".to_owned(),
            };
            let (m, v, u) = (&s.metric_id, s.variant.as_str(), s.unit.as_str());
            let _ = writeln!(out, "| {m} | {v} | {u} | {} | {} | {change} |", value(s.base), value(s.head));
        }
        let same = a.exact.len() - changed.len();
        let _ =
            writeln!(out, "\n{same} other exact {} the same.\n", if same == 1 { "figure is" } else { "figures are" });
    }
    if a.timings.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "Timings sampled in alternation with the base's, in this run: head/base of the median over seeds of each \
         seed's p95 (a cold init or cold start: the p95 of its samples, the seeds pooled), regressed when its interval lies wholly above \
         1.10, improved wholly below 1/1.10, same wholly within.\n"
    );
    let _ = writeln!(out, "| metric | variant | where | head/base | interval | outcome | samples |");
    let _ = writeln!(out, "|---|---|---|---:|---|---|---|");
    for t in &a.timings {
        let (m, v, e) = (&t.metric_id, t.variant.as_str(), cell_text(&t.environment));
        let _ = match (&t.look, &t.error) {
            (Some(l), _) => {
                let outcome = match l.decision {
                    Change::Regressed => "**regressed**",
                    other => other.as_str(),
                };
                let per = if t.scenario.is_some() { "a seed" } else { "pooled" };
                writeln!(
                    out,
                    "| {m} | {v} | {e} | {:.3} | [{:.3}, {:.3}] | {outcome} | {} {per} (look {} of {}) |",
                    l.value, l.low, l.high, l.samples_per_seed, l.look, l.looks
                )
            }
            (None, Some(why)) => writeln!(out, "| {m} | {v} | {e} | - | - | **not compared** | {} |", cell_text(why)),
            (None, None) => {
                let why = cell_text(t.base_missing.as_deref().unwrap_or_default());
                writeln!(out, "| {m} | {v} | {e} | - | - | not in base | {why} |")
            }
        };
    }
    out.push('\n');
}

/// The host grid: each host app's figures in each environment, per variant that loaded them.
fn hosts(out: &mut String, summary: &Summary) {
    for (variant, rows) in host_grid::grids(&summary.variants) {
        let _ = writeln!(out, "### Host apps: {} (ms, medians over page loads)\n", variant.as_str());
        let _ = writeln!(
            out,
            "| host | environment | time to ready | host alone | init → first answer | first call | JS loaded, bytes gzip | host alone's JS |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|");
        for r in rows {
            let js = format!("{} | {}", host_grid::gzip_cell(r.loaded_js), host_grid::gzip_cell(r.control_js));
            let cells = match (r.figures, r.note) {
                (Some(f), _) => {
                    let ms = [f.ready_ms, f.control_ready_ms, f.init_ms, f.first_call_ms].map(|ms| format!("{ms:.1}"));
                    format!("{} | {js}", ms.join(" | "))
                }
                (None, note) => format!("{} | | | | {js}", cell_text(note.unwrap_or("not measured"))),
            };
            let _ = writeln!(out, "| {} | {} | {cells} |", r.app.as_str(), cell_text(r.environment));
        }
        out.push('\n');
    }
}

/// How many item changes and generic functions each variant shows.
const TOP_ROWS: usize = 10;
const TOP_MONOS: usize = 5;

/// The items that grew, shrank, appeared or disappeared against the baseline's, per variant.
fn size_changes(out: &mut String, summary: &Summary, gate: &GateReport) {
    // Nothing was built: no item to attribute, figures measured elsewhere.
    if gate.baseline_status.is_none() || summary.variants.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n### Size changes against the baseline\n");
    for v in &summary.variants {
        if let Some(e) = &v.attribution_error {
            let _ = writeln!(out, "No size attribution for the {} variant: {}\n", v.variant.as_str(), cell_text(e));
        }
    }
    if gate.size_changes.is_empty() {
        let message = if summary.variants.iter().any(|v| v.attribution.is_some()) {
            "The baseline has no attribution items to compare with (`cargo xtask rebaseline` records them)."
        } else {
            "No variant was attributed in this run: nothing to compare."
        };
        let _ = writeln!(out, "{message}");
        return;
    }
    let shown: Vec<_> = gate.size_changes.iter().filter(|c| !c.changes.is_empty()).collect();
    if shown.is_empty() {
        let _ = writeln!(out, "No item changed size.");
    }
    for c in shown {
        let profiled = summary
            .variants
            .iter()
            .find(|v| v.variant == c.variant)
            .and_then(|v| v.attribution.as_ref())
            .map_or(String::new(), |a| format!(": `{}`, {}", cell_text(&a.profiled.path), cell_text(&a.profiled.note)));
        let _ = writeln!(out, "**{}**{profiled}\n", c.variant.as_str());
        let _ = writeln!(out, "| item | change | baseline bytes | bytes | change bytes |");
        let _ = writeln!(out, "|---|---|---:|---:|---:|");
        for i in c.changes.iter().take(TOP_ROWS) {
            let bytes = |b: Option<u64>| b.map_or("-".to_owned(), |b| number(b as f64));
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                cell_text(&i.name),
                i.change.as_str(),
                bytes(i.baseline_bytes),
                bytes(i.bytes),
                signed(i.delta as f64)
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

/// Tighter thresholds the budgets' ratchet suggests, for the change log to decide.
fn ratchet_hints(out: &mut String, gate: &GateReport) {
    if gate.ratchet_hints.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n### Ratchet hints\n");
    let _ = writeln!(
        out,
        "The baseline leaves much of these budgets unused; a tighter hard threshold would catch regressions \
         sooner. Suggestions only: thresholds change through the budgets' change log.\n"
    );
    let _ = writeln!(out, "| metric | profile | baseline | budget | headroom | suggested budget |");
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|");
    for h in &gate.ratchet_hints {
        let _ = writeln!(
            out,
            "| {} | {} | {} {} | {} | {} | {} |",
            h.metric_id,
            cell_text(&h.profile),
            number(h.baseline),
            h.unit.as_str(),
            number(h.hard),
            percent(h.headroom_pct, false),
            number(h.suggested_hard)
        );
    }
}

/// Budget failures and warnings, then the gate's own findings (streaks, baseline,
/// toolchain) and what a scaffold baseline would fail.
fn findings(summary: &Summary, gate: &GateReport) -> Vec<String> {
    let mut out = Vec::new();
    for (c, r) in gate.budget_findings(&summary.records) {
        let why = cell_text(&r.explain());
        out.push(format!("**{}** {} ({}) [budget]: {why}", c.status.as_str(), r.metric_id, r.profile));
    }
    for c in gate.checks.iter().filter(|c| c.is_finding()) {
        let (status, at, rule) = (c.status.as_str(), c.location(), c.rule.label());
        let issue = match c.warn_issue.as_ref().and_then(|i| Some((&i.title, i.search_url.as_ref()?))) {
            Some((title, url)) => format!(" (tracked in [{}]({url}))", cell_text(title)),
            None => String::new(),
        };
        out.push(format!("**{status}**{at} [{rule}]: {}{issue}", cell_text(&c.message)));
    }
    out
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
