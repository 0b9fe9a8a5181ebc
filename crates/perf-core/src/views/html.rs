//! The HTML report (`artifacts/wasm_perf_report.html`): one self-contained page, no network
//! request (its Content-Security-Policy forbids any), with the verdict, a table per variant
//! and charts drawn here as SVG: headroom per metric and variant, a Pareto chart of the
//! release artifact's largest items, each variant's size before and after wasm-opt, and the
//! per-seed p95 spread of the timing metrics.

use std::fmt::Write;

use crate::attribution::readable;
use crate::display::number;
use crate::gate::GateReport;
use crate::host_grid;
use crate::policy::VariantKind;
use crate::record;
use crate::scorecard::{self, percent};
use crate::status::Status;
use crate::summary::Summary;

const WIDTH: f64 = 760.0;
const BAR: f64 = 16.0;
const GAP: f64 = 6.0;
/// Room for the labels left of the bars.
const LABEL: f64 = 300.0;

pub fn report(summary: &Summary, gate: &GateReport) -> String {
    let mut body = String::new();
    let verdict = summary.verdict.as_str();
    let _ = writeln!(body, "<h1>wasm budget gate: <span class=\"{verdict}\">{verdict}</span></h1>");
    let _ = writeln!(
        body,
        "<p><code>{}</code> at <code>{}</code> on branch <code>{}</code>, run <code>{}</code>.</p>",
        esc(&summary.package),
        esc(&summary.commit),
        esc(&gate.branch),
        esc(&gate.run_id)
    );

    if summary.variants.is_empty() {
        let _ = writeln!(
            body,
            "<p>Figures measured elsewhere, in {}; nothing was built here.</p>",
            esc(&record::environments(&summary.records).join("; "))
        );
    }

    body.push_str(&findings(summary, gate));

    let _ = writeln!(body, "<h2>Headroom</h2>");
    let _ = writeln!(body, "<p>Each bar is the measured value as a share of its hard budget; the line marks 100%.</p>");
    body.push_str(&headroom_chart(summary));

    if !summary.variants.is_empty() {
        let _ = writeln!(body, "<h2>Size before and after wasm-opt</h2>");
        body.push_str(&opt_chart(summary));
    }

    if let Some(chart) = pareto_chart(summary, VariantKind::Release) {
        let _ = writeln!(body, "<h2>Where the release artifact's bytes go</h2>");
        body.push_str(&chart);
    }

    let spread = seed_spread_chart(summary);
    if !spread.is_empty() {
        let _ = writeln!(body, "<h2>Timing: per-seed p95</h2>");
        let _ =
            writeln!(body, "<p>One dot per seed (its p95); the bar is the median over the seeds, the gated value.</p>");
        body.push_str(&spread);
    }

    for (variant, rows) in host_grid::grids(&summary.variants) {
        let _ = writeln!(body, "<h2>Host apps: {} (ms, medians over page loads)</h2>", variant.as_str());
        body.push_str(&host_table(&rows));
    }

    for (variant, profile) in scorecard::tables(summary) {
        let _ = writeln!(body, "<h2>{} ({})</h2>", variant.as_str(), esc(profile));
        body.push_str(&variant_table(summary, gate, variant));
    }

    if !gate.ratchet_hints.is_empty() {
        let _ = writeln!(body, "<h2>Ratchet hints</h2>");
        let _ = writeln!(
            body,
            "<p>The baseline leaves much of these budgets unused. Suggestions only: thresholds change through the \
             budgets' change log.</p>"
        );
        body.push_str(&ratchet_table(gate));
    }

    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>wasm budget gate: {verdict}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:820px;color:#222}\
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:2px 8px}\
td.n{text-align:right;font-variant-numeric:tabular-nums}.pass{color:#17692e}.warn{color:#9a6700}\
.fail{color:#b31d28}.skip{color:#666}svg{display:block;margin:.5em 0 1.5em}svg text{font-size:11px}";

/// A measured figure: whole above 100 (digits grouped), three significant digits below.
fn figure(v: f64) -> String {
    if v.abs() >= 100.0 { number(v.round()) } else { number(v) }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn color(status: Status) -> &'static str {
    match status {
        Status::Pass => "#2da44e",
        Status::Warn => "#d4a72c",
        Status::Fail => "#cf222e",
        Status::Skip => "#8c959f",
    }
}

/// The opening tag of a chart with `rows` rows, and its height.
fn svg_open(rows: usize) -> (String, f64) {
    let height = rows as f64 * (BAR + GAP) + GAP + 14.0;
    (format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\">\n"), height)
}

/// Horizontal bars, one per row: `(label, fraction of the full width, colour, value text)`.
fn bars(rows: &[(String, f64, &str, String)], marker: Option<f64>) -> String {
    let (mut svg, height) = svg_open(rows.len());
    let span = WIDTH - LABEL - 90.0;
    for (i, (label, fraction, fill, text)) in rows.iter().enumerate() {
        let y = GAP + i as f64 * (BAR + GAP);
        let w = (fraction.clamp(0.0, 1.25) * span).max(1.0);
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{LABEL}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{BAR}\" fill=\"{fill}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            LABEL - 6.0,
            y + BAR - 4.0,
            esc(label),
            LABEL + w + 4.0,
            y + BAR - 4.0,
            esc(text)
        );
    }
    if let Some(at) = marker {
        let x = LABEL + at * span;
        let _ = writeln!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"0\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#222\" stroke-dasharray=\"3 3\"/>",
            height - 12.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn headroom_chart(summary: &Summary) -> String {
    let rows: Vec<(String, f64, &str, String)> = summary
        .records
        .iter()
        .filter_map(|r| {
            let (value, hard) = (r.value?, r.threshold_hard.filter(|h| *h > 0.0)?);
            let share = value / hard;
            let label = format!("{} {}", r.variant.as_str(), r.metric_id);
            Some((label, share, color(r.status), format!("{:.1}% of {}", share * 100.0, number(hard))))
        })
        .collect();
    bars(&rows, Some(1.0))
}

/// Raw bytes before and after wasm-opt per variant, on a log scale (dev is megabytes,
/// release tens of kilobytes).
fn opt_chart(summary: &Summary) -> String {
    let mut rows = Vec::new();
    let largest = summary
        .variants
        .iter()
        .flat_map(|v| [v.pre_opt.as_ref(), v.post_opt.as_ref()])
        .flatten()
        .map(|a| a.raw_bytes)
        .max()
        .unwrap_or(1)
        .max(2) as f64;
    for v in &summary.variants {
        for (when, artifact, fill) in [("before", &v.pre_opt, "#8c959f"), ("after", &v.post_opt, "#0969da")] {
            let Some(a) = artifact else { continue };
            let fraction = (a.raw_bytes.max(1) as f64).ln() / largest.ln();
            let label = format!("{} {when} wasm-opt", v.variant.as_str());
            rows.push((label, fraction, fill, format!("{} B", number(a.raw_bytes as f64))));
        }
    }
    bars(&rows, None)
}

/// The largest items of a variant's attribution with their running share of its code and
/// data: bars for the items, a line for the cumulative share.
fn pareto_chart(summary: &Summary, variant: VariantKind) -> Option<String> {
    let a = summary.variants.iter().find(|v| v.variant == variant)?.attribution.as_ref()?;
    let total = a.profiled.code_and_data_bytes.max(1) as f64;
    let items: Vec<_> = a.items.iter().take(20).collect();
    let largest = items.first()?.shallow_bytes.max(1) as f64;
    let mut cumulative = 0.0;
    let mut rows = Vec::new();
    let mut points = Vec::new();
    let span = WIDTH - LABEL - 90.0;
    for (i, item) in items.iter().enumerate() {
        cumulative += item.shallow_bytes as f64;
        let text = format!("{} B, {:.0}% so far", number(item.shallow_bytes as f64), cumulative / total * 100.0);
        rows.push((readable(&item.name), item.shallow_bytes as f64 / largest, "#0969da", text));
        let y = GAP + i as f64 * (BAR + GAP) + BAR / 2.0;
        points.push(format!("{:.1},{y:.1}", LABEL + cumulative / total * span));
    }
    let chart = bars(&rows, None);
    let line =
        format!("<polyline points=\"{}\" fill=\"none\" stroke=\"#cf222e\" stroke-width=\"2\"/>\n", points.join(" "));
    let note = format!(
        "<p>The {} largest items of <code>{}</code> ({}), by shallow size; the red line is their running share of its \
         {} bytes of code and data.</p>\n",
        items.len(),
        esc(&a.profiled.path),
        esc(&a.profiled.note),
        number(total)
    );
    Some(note + &chart.replace("</svg>\n", &(line + "</svg>\n")))
}

/// Per timing scenario and variant: each seed's p95 as a dot, the median of them as a bar.
fn seed_spread_chart(summary: &Summary) -> String {
    let mut rows: Vec<(String, Vec<f64>, f64, &str)> = Vec::new();
    for v in &summary.variants {
        let Some(runtime) = &v.runtime else { continue };
        for run in &runtime.scenarios {
            let Some(t) = &run.timing else { continue };
            let p95s: Vec<f64> = t.seeds.iter().map(|s| s.distribution.p95).collect();
            let record = summary.records.iter().find(|r| r.variant == v.variant && run.metrics.contains(&r.metric_id));
            let unit = t.unit.as_str();
            let label = format!("{} {} ({unit})", v.variant.as_str(), run.scenario);
            rows.push((label, p95s, t.median_of_p95, record.map_or("#0969da", |r| color(r.status))));
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    let (mut svg, _) = svg_open(rows.len());
    let span = WIDTH - LABEL - 190.0;
    for (i, (label, p95s, median, fill)) in rows.iter().enumerate() {
        // Each row on its own scale: 0 to its largest seed's p95.
        let max = p95s.iter().copied().fold(*median, f64::max);
        let max = if max > 0.0 { max } else { 1.0 };
        let y = GAP + i as f64 * (BAR + GAP);
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{LABEL}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\" opacity=\"0.35\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">median {}, max {}</text>",
            LABEL - 6.0,
            y + BAR - 4.0,
            esc(label),
            y + 3.0,
            (median / max * span).max(1.0),
            BAR - 6.0,
            LABEL + span + 4.0,
            y + BAR - 4.0,
            figure(*median),
            figure(max)
        );
        for p in p95s {
            let _ = writeln!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#222\"/>",
                LABEL + p / max * span,
                y + BAR / 2.0
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// Value, budget, headroom, change against the baseline and status, per metric.
fn variant_table(summary: &Summary, gate: &GateReport, variant: VariantKind) -> String {
    let mut out = String::from(
        "<table>\n<tr><th>metric</th><th>unit</th><th>value</th><th>budget</th><th>headroom</th>\
         <th>vs baseline</th><th>status</th></tr>\n",
    );
    for line in scorecard::lines(summary, gate, variant) {
        let r = line.record;
        let value = r.value.map_or("-".to_owned(), number);
        let budget = r.threshold_hard.map_or("-".to_owned(), number);
        let headroom = line.headroom_pct.map_or("-".to_owned(), |p| percent(p, false));
        let change = line.change_pct.map_or("-".to_owned(), |p| percent(p, true));
        let status = line.status.as_str();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{value}</td><td class=\"n\">{budget}</td>\
             <td class=\"n\">{headroom}</td><td class=\"n\">{change}</td><td class=\"{status}\">{status}</td></tr>",
            esc(&r.metric_id),
            r.unit.as_str()
        );
    }
    out.push_str("</table>\n");
    out
}

/// Why the run warned or failed, and what was not measured: the same lines as the table's.
/// One row per host app and environment: its time to ready, the host alone (its control
/// page), init → first answer and the first call, or why there is no figure.
fn host_table(rows: &[host_grid::Row]) -> String {
    let mut out = String::from(
        "<table>\n<tr><th>host</th><th>environment</th><th>time to ready</th><th>host alone</th>\
         <th>init → first answer</th><th>first call</th><th>JS loaded, bytes gzip</th><th>host alone's JS</th></tr>\n",
    );
    for r in rows {
        let cells = match (r.figures, r.note) {
            (Some(f), _) => [f.ready_ms, f.control_ready_ms, f.init_ms, f.first_call_ms]
                .map(|ms| format!("<td class=\"n\">{ms:.1}</td>"))
                .concat(),
            (None, note) => format!("<td colspan=\"4\">{}</td>", esc(note.unwrap_or("not measured"))),
        } + &format!(
            "<td class=\"n\">{}</td><td class=\"n\">{}</td>",
            host_grid::gzip_cell(r.loaded_js),
            host_grid::gzip_cell(r.control_js)
        );
        let _ = writeln!(out, "<tr><td>{}</td><td>{}</td>{cells}</tr>", r.app.as_str(), esc(r.environment));
    }
    out.push_str("</table>\n");
    out
}

fn findings(summary: &Summary, gate: &GateReport) -> String {
    let mut items = Vec::new();
    for (c, r) in gate.budget_findings(&summary.records) {
        let status = c.status.as_str();
        items.push(format!(
            "<li><span class=\"{status}\">{status}</span> {} ({}): {}</li>",
            esc(&r.metric_id),
            esc(&r.profile),
            esc(&r.explain())
        ));
    }
    for c in gate.checks.iter().filter(|c| c.is_finding()) {
        let status = c.status.as_str();
        items.push(format!(
            "<li><span class=\"{status}\">{status}</span> [{}]{}: {}</li>",
            c.rule.label(),
            esc(&c.location()),
            esc(&c.message)
        ));
    }
    let skipped: Vec<String> = summary
        .records
        .iter()
        .filter(|r| r.status == Status::Skip)
        .map(|r| {
            format!(
                "<li>{} ({}): {}</li>",
                esc(&r.metric_id),
                esc(&r.profile),
                esc(r.reason.as_deref().unwrap_or("no reason recorded"))
            )
        })
        .collect();
    let mut out = String::from("<h2>Findings</h2>\n");
    if items.is_empty() {
        out.push_str("<p>None: every measured metric is within its budget and its baseline.</p>\n");
    } else {
        out.push_str(&format!("<ul>\n{}\n</ul>\n", items.join("\n")));
    }
    if !skipped.is_empty() {
        out.push_str(&format!(
            "<details><summary>Not measured ({})</summary>\n<ul>\n{}\n</ul>\n</details>\n",
            skipped.len(),
            skipped.join("\n")
        ));
    }
    out
}

/// Tighter thresholds the budgets' ratchet suggests.
fn ratchet_table(gate: &GateReport) -> String {
    let mut out = String::from(
        "<table>\n<tr><th>metric</th><th>profile</th><th>baseline</th><th>budget</th><th>headroom</th>\
         <th>suggested budget</th></tr>\n",
    );
    for h in &gate.ratchet_hints {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{} {}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td></tr>",
            esc(&h.metric_id),
            esc(&h.profile),
            number(h.baseline),
            h.unit.as_str(),
            number(h.hard),
            percent(h.headroom_pct, false),
            number(h.suggested_hard)
        );
    }
    out.push_str("</table>\n");
    out
}
