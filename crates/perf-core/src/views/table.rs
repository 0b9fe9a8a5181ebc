//! The compact table `cargo xtask perf` prints: one row per variant with its size metrics
//! against their budgets, one row per runtime metric with a column per variant, then what
//! failed or was not measured and the pipeline's work; then what the gate found.

use std::fmt::Write;

use crate::against_base::{AgainstBase, ExactChange};
use crate::browser::CanaryVerdict;
use crate::budget::{Budgets, Source};
use crate::display::{number, signed};
use crate::gate::GateReport;
use crate::host_grid;
use crate::pipeline::PipelineReport;
use crate::record::{self, Record, STATIC_ENVIRONMENT, metric_ids};
use crate::run::VariantReport;
use crate::status::Status;

/// The size columns, by the source the budgets give a metric.
const SIZE_COLUMNS: [Source; 3] = [Source::SizeRaw, Source::SizeGzip, Source::SizeBrotli];

pub fn render(budgets: &Budgets, variants: &[VariantReport], records: &[Record], p: &PipelineReport) -> String {
    let mut out = String::new();
    let column =
        |r: &Record| budgets.metric(&r.metric_id).and_then(|m| SIZE_COLUMNS.iter().position(|s| *s == m.source));
    if variants.is_empty() {
        return render_elsewhere(records);
    }
    let _ = writeln!(out, "{:<11} {:<8} {:>21} {:>21} {:>21}  status", "profile", "variant", "raw", "gzip", "brotli");
    for v in variants {
        let records: Vec<&Record> = records.iter().filter(|r| r.variant == v.variant).collect();
        let cells: Vec<String> = (0..SIZE_COLUMNS.len())
            .map(|i| match records.iter().find(|r| column(r) == Some(i)) {
                Some(r) => cell(r),
                None => "-".to_owned(),
            })
            .collect();
        let status = records.iter().filter(|r| column(r).is_some()).map(|r| r.status).fold(Status::Skip, Status::worst);
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
    let others: Vec<&Record> = records.iter().filter(|r| column(r).is_none()).collect();
    out.push_str(&render_runtime(variants, records, &others));
    for r in records.iter().filter(|r| r.status == Status::Fail || r.status == Status::Warn) {
        let _ = writeln!(out, "{}: {} ({}, {}): {}", r.status.as_str(), r.metric_id, r.profile, r.metric, r.explain());
    }
    let skipped: Vec<&Record> = records.iter().filter(|r| r.status == Status::Skip).collect();
    if !skipped.is_empty() {
        let ids = metric_ids(skipped.iter().copied());
        let _ =
            writeln!(out, "skip: {} records not measured ({}); reasons in the summary", skipped.len(), ids.join(", "));
    }
    let hosts = match p.steps.host_builds + p.steps.host_cache_hits {
        0 => String::new(),
        _ => format!(", {} host builds, {} host cache hits", p.steps.host_builds, p.steps.host_cache_hits),
    };
    let _ = writeln!(
        out,
        "pipeline: {} cargo builds, {} wasm-opt runs, {} wasm-opt cache hits{hosts}, {:.1} s",
        p.steps.cargo_builds,
        p.steps.wasm_opt_runs,
        p.steps.wasm_opt_cache_hits,
        p.total_millis / 1000.0
    );
    if let Some(reason) = &p.reason {
        let _ = writeln!(out, "fail: {reason}");
    }
    if let Some(c) = p.contention.filter(|c| c.waited_millis >= 100.0) {
        let _ = writeln!(out, "note: waited {:.1} s for another measuring run's timed phase", c.waited_millis / 1000.0);
    }
    if p.contention.is_some_and(|c| c.others_active) {
        let _ = writeln!(
            out,
            "note: another measuring run was building or compressing while this one timed: its timings may be slowed"
        );
    }
    for v in variants {
        if let Some(e) = &v.attribution_error {
            let _ = writeln!(out, "note: no size attribution for the {} variant: {e}", v.variant.as_str());
        }
    }
    out
}

/// `perf --compare REF`'s block: the exact figures (sizes of what ships, fuel, heap) that
/// differ from REF's builds, or that none does; the timings sampled in alternation with
/// REF's; and, where `variants` loaded host apps, that their pages are not compared.
pub fn render_against_base(a: &AgainstBase, variants: &[VariantReport]) -> String {
    let mut out = String::new();
    let short = a.commit.get(..12).unwrap_or(&a.commit);
    let changed: Vec<_> = a.changed().collect();
    if changed.is_empty() {
        let _ = writeln!(
            out,
            "against {} ({short}): every exact figure is the same ({}: sizes of what ships, fuel, heap in use)",
            a.reference,
            a.exact.len()
        );
    } else {
        let _ = writeln!(
            out,
            "against {} ({short}): exact figures that differ (sizes of what ships, fuel, heap in use)",
            a.reference
        );
        let mut row = |[m, v, u, b, h, change]: [&str; 6]| {
            let _ = writeln!(out, "{m:<14} {v:<8} {u:<6} {b:>12} {h:>12} {change:>10}");
        };
        row(["metric", "variant", "unit", "base", "head", "change"]);
        let value = |v: Option<f64>| v.map_or_else(|| "none".to_owned(), number);
        for s in &changed {
            let change = match s.change() {
                ExactChange::Changed(by) => signed(by),
                ExactChange::Same | ExactChange::OneSided => "-".to_owned(),
            };
            row([&s.metric_id, s.variant.as_str(), s.unit.as_str(), &value(s.base), &value(s.head), &change]);
        }
        let _ = writeln!(out, "{} other exact figures the same", a.exact.len() - changed.len());
    }
    if !a.timings.is_empty() {
        let _ = writeln!(
            out,
            "timings against {}, sampled in alternation: the median over seeds of each seed's p95 \
             (a cold init or cold start: the p95 of its samples, the seeds pooled)",
            a.reference
        );
        let mut row = |[m, v, e, u, b, h, r, i, o, pairs]: [&str; 10]| {
            let _ = writeln!(out, "{m:<14} {v:<8} {e:<24} {u:<5} {b:>10} {h:>10} {r:>9} {i:>16}  {o:<10} {pairs}");
        };
        row(["metric", "variant", "where", "unit", "base", "head", "head/base", "interval", "outcome", "pairs"]);
        let value = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), number);
        for t in &a.timings {
            let (ratio, interval, outcome, pairs) = match (&t.look, &t.error) {
                (Some(l), _) => (
                    format!("{:.3}", l.value),
                    format!("[{:.3}, {:.3}]", l.low, l.high),
                    l.decision.as_str().to_owned(),
                    format!(
                        "{} {} (look {} of {})",
                        l.samples_per_seed,
                        if t.scenario.is_some() { "a seed" } else { "pooled" },
                        l.look,
                        l.looks
                    ),
                ),
                (None, Some(e)) => ("-".into(), "-".into(), "not compared".into(), e.clone()),
                (None, None) => {
                    let why = t.base_missing.clone().unwrap_or_default();
                    ("-".into(), "-".into(), "not in base".into(), why)
                }
            };
            let (base, head) = (value(t.base), value(t.head));
            let (m, v, e, u) = (&t.metric_id, t.variant.as_str(), &t.environment, t.unit.as_str());
            row([m, v, e, u, &base, &head, &ratio, &interval, &outcome, &pairs]);
        }
    }
    let hosts = variants.iter().any(|v| v.browsers.iter().any(|b| !b.hosts.is_empty()));
    if hosts && a.timings.iter().any(|t| t.environment != "wasmtime") {
        let _ = writeln!(
            out,
            "not compared against {}: the host apps' pages (their timings gate as measured)",
            a.reference
        );
    }
    out
}

/// The other metrics, one row each with a column per variant (value / hard budget): the other
/// sizes of what ships (the module's sections, wasm-bindgen's JS glue), then those measured in
/// the engine.
fn render_runtime(variants: &[VariantReport], records: &[Record], others: &[&Record]) -> String {
    let mut out = String::new();
    let others = || others.iter().copied();
    let sections = metric_ids(others().filter(|r| r.environment == STATIC_ENVIRONMENT));
    if !sections.is_empty() {
        out.push_str(&metric_block(
            "\nother sizes of what ships (module sections, JS glue)",
            variants,
            records,
            &sections,
        ));
    }
    let browser_ids: Vec<&str> = variants.iter().flat_map(|v| v.browsers.iter().map(|b| b.metric.as_str())).collect();
    let op_ids: Vec<&str> = variants
        .iter()
        .flat_map(|v| v.browsers.iter().flat_map(|b| b.operations.iter().map(|o| o.metric.as_str())))
        .collect();
    let host_ids: Vec<&str> = variants
        .iter()
        .flat_map(|v| v.browsers.iter().flat_map(|b| b.hosts.iter().map(|h| h.metric.as_str())))
        .collect();
    let host_size_ids: Vec<&str> = variants
        .iter()
        .flat_map(|v| v.browsers.iter().flat_map(|b| b.hosts.iter().flat_map(|h| &h.size_metrics)))
        .map(String::as_str)
        .collect();
    let in_browser = |r: &&Record| browser_ids.contains(&r.metric_id.as_str());
    let per_op_in_browser = |r: &&Record| op_ids.contains(&r.metric_id.as_str());
    let in_host = |r: &&Record| host_ids.contains(&r.metric_id.as_str());
    let host_bytes = |r: &&Record| host_size_ids.contains(&r.metric_id.as_str());
    match variants.iter().find_map(|v| v.runtime.as_ref()).map(|r| r.engine.as_str()) {
        Some(engine) => {
            let title = format!("\nruntime in {engine}: median of per-seed p95 (fuel: of per-seed medians)");
            let runtime = metric_ids(others().filter(|r| {
                r.environment != STATIC_ENVIRONMENT
                    && !in_browser(r)
                    && !per_op_in_browser(r)
                    && !in_host(r)
                    && !host_bytes(r)
            }));
            out.push_str(&metric_block(&title, variants, records, &runtime));
        }
        None => {
            if let Some(why) = variants.iter().find_map(|v| v.runtime_skipped.as_ref()) {
                let _ = writeln!(out, "\nleft out: {why}");
            }
        }
    }
    let browsers = metric_ids(others().filter(in_browser));
    if !browsers.is_empty() {
        let title = "\ncold init in browsers, ms: median over seeds of the per-seed p95 of fetch+compile, \
                     instantiate and first call";
        out.push_str(&metric_block(title, variants, records, &browsers));
    }
    let per_op = metric_ids(others().filter(per_op_in_browser));
    if !per_op.is_empty() {
        let title = "\none operation in browsers: median over seeds of the per-seed median of batches (a \
                     batch's time / its operations); memory: of the per-seed p95 of linear memory after each \
                     operation";
        out.push_str(&metric_block(title, variants, records, &per_op));
    }
    let hosts = metric_ids(others().filter(in_host));
    if !hosts.is_empty() {
        let title = "\ntime to ready in the host apps, ms: median over page loads of the wasm:ready mark from \
                     navigation start (the host's boot included)";
        out.push_str(&metric_block(title, variants, records, &hosts));
    }
    out.push_str(&render_host_grids(variants));
    let shipped_by_hosts = metric_ids(others().filter(host_bytes));
    if !shipped_by_hosts.is_empty() {
        let title = "\nwhat the host apps ship, bytes: the host alone (its control page's scripts), and its page's \
                     scripts with the module";
        out.push_str(&metric_block(title, variants, records, &shipped_by_hosts));
    }
    if !browsers.is_empty() || !per_op.is_empty() || !hosts.is_empty() || !shipped_by_hosts.is_empty() {
        out.push_str(&render_environments(variants));
    }
    out.push('\n');
    out
}

/// The host grid, per variant that loaded the host apps: one line per host and environment
/// with its medians in ms and the gzip bytes its page and the host alone loaded, or why
/// there are none.
fn render_host_grids(variants: &[VariantReport]) -> String {
    let mut out = String::new();
    for (variant, rows) in host_grid::grids(variants) {
        let _ = writeln!(out, "\nhost apps on {}: medians in ms; the JS loaded, gzip bytes", variant.as_str());
        let _ = writeln!(
            out,
            "{:<15} {:<26} {:>8} {:>8} {:>9} {:>6} {:>9} {:>9}",
            "host", "environment", "ready", "alone", "init→1st", "call", "page JS", "host JS"
        );
        for r in rows {
            let figures = match (r.figures, r.note) {
                (Some(f), _) => format!(
                    "{:>8.1} {:>8.1} {:>9.1} {:>6.1} {:>9} {:>9}",
                    f.ready_ms,
                    f.control_ready_ms,
                    f.init_ms,
                    f.first_call_ms,
                    host_grid::gzip_cell(r.loaded_js),
                    host_grid::gzip_cell(r.control_js)
                ),
                // An error's first line: the rest is in the summary.
                (None, note) => note.and_then(|n| n.lines().next()).unwrap_or("not measured").to_owned(),
            };
            let _ = writeln!(out, "{:<15} {:<26} {figures}", r.app.as_str(), r.environment);
        }
    }
    out
}

/// One line per browser environment: the browser that ran it and the cache canary's
/// verdict, or why it was left out or failed.
fn render_environments(variants: &[VariantReport]) -> String {
    let mut out = String::new();
    let mut seen: Vec<&str> = Vec::new();
    for b in variants.iter().flat_map(|v| v.browsers.iter()) {
        if seen.contains(&b.environment.as_str()) {
            continue;
        }
        seen.push(&b.environment);
        let line = match (&b.left_out, &b.browser, &b.cache_canary) {
            (Some(why), _, _) => format!("left out: {why}"),
            (None, Some(browser), Some(canary)) => format!(
                "{} {} ({}), cache canary {}",
                browser.name,
                browser.version,
                browser.engine,
                match canary.verdict {
                    CanaryVerdict::Cold => "cold",
                    CanaryVerdict::Warm => "WARM: samples not cold",
                    CanaryVerdict::Inconclusive => "saw no cache to guard against",
                }
            ),
            _ => "did not run (see the records)".to_owned(),
        };
        let _ = writeln!(out, "  {:<26} {line}", b.environment);
    }
    out
}

fn metric_block(title: &str, variants: &[VariantReport], records: &[Record], ids: &[&str]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{title}");
    let _ = write!(out, "{:<20} {:<7}", "metric", "unit");
    for v in variants {
        let _ = write!(out, " {:>21}", v.variant.as_str());
    }
    out.push('\n');
    for id in ids {
        let unit = records.iter().find(|r| r.metric_id == *id).map_or("", |r| r.unit.as_str());
        let _ = write!(out, "{id:<20} {unit:<7}");
        for v in variants {
            let record = records.iter().find(|r| r.metric_id == *id && r.variant == v.variant);
            let text = match record {
                Some(r) if r.status == Status::Skip => "skip".to_owned(),
                Some(r) => format!("{}{}", cell(r), if r.status == Status::Pass { "" } else { " !" }),
                None => "-".to_owned(),
            };
            let _ = write!(out, " {text:>21}");
        }
        out.push('\n');
    }
    out
}

/// What the gate adds to the table: streaks, regressions, drift, and what a scaffold
/// baseline would fail. Budget failures are already listed by `render`.
pub fn render_gate(report: &GateReport, notes: &[String]) -> String {
    let mut out = String::new();
    for note in notes {
        let _ = writeln!(out, "note: {note}");
    }
    for c in report.checks.iter().filter(|c| c.is_finding()) {
        let _ = writeln!(out, "{} [{}]{}: {}", c.status.as_str(), c.rule.label(), c.location(), c.message);
    }
    for c in &report.size_changes {
        let top: Vec<String> = c
            .changes
            .iter()
            .take(3)
            .map(|i| format!("{} {} {} B", i.name, i.change.as_str(), signed(i.delta as f64)))
            .collect();
        if !top.is_empty() {
            let _ = writeln!(out, "size changes ({}): {}", c.variant.as_str(), top.join("; "));
        }
    }
    let baseline = match report.baseline_status {
        Some(crate::baseline::BaselineStatus::Active) => "active",
        Some(crate::baseline::BaselineStatus::Scaffold) => "scaffold (findings do not fail the run)",
        None => "none",
    };
    let _ = writeln!(out, "gate: {} on branch {}, baseline {baseline}", report.verdict.as_str(), report.branch);
    out
}

fn cell(r: &Record) -> String {
    match (r.value, r.threshold_hard) {
        (Some(v), Some(limit)) => format!("{} / {}", number(v), number(limit)),
        (Some(v), None) => number(v),
        (None, _) => "not measured".to_owned(),
    }
}

/// Figures measured elsewhere (`gate --measurements`, `--current`): no variant was built
/// here, so one row per record, and where the figures came from.
fn render_elsewhere(records: &[Record]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<11} {:<8} {:<16} {:>24}  status", "profile", "variant", "metric", "value / budget");
    for r in records {
        let value = format!("{} {}", cell(r), r.unit.as_str());
        let _ = writeln!(
            out,
            "{:<11} {:<8} {:<16} {:>24}  {}",
            r.profile,
            r.variant.as_str(),
            r.metric_id,
            value,
            r.status.as_str()
        );
    }
    for e in record::environments(records) {
        let _ = writeln!(out, "measured in: {e}");
    }
    for r in records.iter().filter(|r| r.status == Status::Fail || r.status == Status::Warn) {
        let _ = writeln!(out, "{}: {} ({}, {}): {}", r.status.as_str(), r.metric_id, r.profile, r.metric, r.explain());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::against_base::ExactAgainstBase;
    use crate::policy::VariantKind;
    use crate::unit::Unit;

    #[test]
    fn the_block_against_a_base_lists_what_differs_and_says_what_is_not_compared() {
        let size = |metric_id: &str, base, head| ExactAgainstBase {
            profile: "core-min".into(),
            variant: VariantKind::Release,
            metric_id: metric_id.into(),
            unit: Unit::Bytes,
            base,
            head,
        };
        let mut a = AgainstBase {
            reference: "HEAD~1".into(),
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            exact: vec![size("M-PERF-01A", Some(22_273.0), Some(22_297.0)), size("M-PERF-01B", Some(10.0), Some(10.0))],
            timings: Vec::new(),
        };
        let text = render_against_base(&a, &[]);
        assert!(
            text.starts_with(
                "against HEAD~1 (0123456789ab): exact figures that differ (sizes of what ships, fuel, heap in use)\n"
            ),
            "{text}"
        );
        assert!(text.contains("M-PERF-01A     release  bytes        22,273       22,297        +24\n"), "{text}");
        assert!(text.ends_with("1 other exact figures the same\n"), "{text}");
        a.timings.push(crate::against_base::TimingAgainstBase {
            profile: "core-min".into(),
            variant: VariantKind::Release,
            metric_id: "M-PERF-04A".into(),
            environment: "desktop-chromium".into(),
            scenario: Some("WB-CHAN-01".into()),
            unit: Unit::Micros,
            base: Some(0.15),
            head: Some(0.3),
            look: Some(crate::sequential::Look {
                decision: crate::sequential::Change::Regressed,
                stop: true,
                look: 1,
                looks: 3,
                samples_per_seed: 500,
                value: 2.0,
                low: 1.8,
                high: 2.2,
            }),
            error: None,
            base_missing: None,
        });
        let timed = render_against_base(&a, &[]);
        assert!(
            timed.contains(
                "M-PERF-04A     release  desktop-chromium         us         0.150      0.300     2.000   [1.800, \
                 2.200]  regressed  500 a seed (look 1 of 3)\n"
            ),
            "{timed}"
        );
        assert!(!timed.contains("host apps"), "a run without host apps says nothing of them: {timed}");
        // A browser's cold init pools its seeds' loads, and a run that loaded host apps says
        // they are not compared.
        a.timings[0].scenario = None;
        let policy =
            crate::policy::Policy::parse("p.json", include_str!("../../../../.github/wasm_optimization_policy.json"))
                .unwrap();
        let mut release = VariantReport::planned(&policy.profiles[2], vec![]);
        let env = crate::corpus::Environment::chromium("desktop-chromium", "M-PERF-02A");
        let mut run = crate::browser::EnvironmentRun::planned(&env, true, "return 1;");
        run.hosts.push(crate::host_run::HostRun::planned(crate::host::HostApp::React, "M-HOST-02C"));
        release.browsers.push(run);
        let hosted = render_against_base(&a, &[release]);
        assert!(hosted.contains("regressed  500 pooled (look 1 of 3)\n"), "{hosted}");
        assert!(
            hosted.ends_with("not compared against HEAD~1: the host apps' pages (their timings gate as measured)\n"),
            "{hosted}"
        );
        a.timings.clear();
        a.exact.remove(0);
        let same = render_against_base(&a, &[]);
        assert!(
            same.starts_with(
                "against HEAD~1 (0123456789ab): every exact figure is the same (1: sizes of what ships, fuel, heap in \
                 use)\n"
            ),
            "{same}"
        );
    }
}
