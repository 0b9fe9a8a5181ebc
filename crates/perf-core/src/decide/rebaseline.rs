//! Rewriting the baseline from a fresh run. Only measured values and the provenance block
//! change; status, tolerances, notes, key order, metric order and the spelling of untouched
//! numbers stay byte for byte. New metrics are appended; metrics only the baseline has are
//! kept (and reported) unless pruned. `activate` is the only way to `active`, refused while
//! an enforced metric is null.

use serde::Serialize;

use std::collections::BTreeMap;

use crate::attribution::NamedSize;
use crate::baseline::{Baseline, BaselineMetric, BaselineProvenance, BaselineStatus};
use crate::document::DocumentError;
use crate::json_text::{self, Edit, Node};
use crate::policy::VariantKind;
use crate::record::Record;
use crate::stats::median;
use crate::unit::Unit;

/// One (profile, metric) of the fresh run: its values over the runs (empty when it was not
/// measured) and whether the gate enforces it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fresh {
    pub profile: String,
    pub metric_id: String,
    pub unit: Unit,
    pub values: Vec<f64>,
    pub required: bool,
}

impl Fresh {
    /// The fresh values of several runs' records: one entry per (profile, metric), in the
    /// order the runs first name them, with each run's value (a run without one adds none).
    pub fn of_runs(runs: &[Vec<Record>]) -> Vec<Fresh> {
        let mut fresh: Vec<Fresh> = Vec::new();
        for r in runs.iter().flatten() {
            match fresh.iter_mut().find(|f| f.profile == r.profile && f.metric_id == r.metric_id) {
                Some(f) => f.values.extend(r.value),
                None => fresh.push(Fresh {
                    profile: r.profile.clone(),
                    metric_id: r.metric_id.clone(),
                    unit: r.unit,
                    values: r.value.into_iter().collect(),
                    required: r.required,
                }),
            }
        }
        fresh
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub prune: bool,
    pub activate: bool,
    /// Update only deterministic metrics (bytes, counts) and nothing else: what `--check`
    /// compares the committed file with.
    pub deterministic_only: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub profile: String,
    pub metric_id: String,
    pub unit: Unit,
    pub old: Option<f64>,
    pub new: Option<f64>,
    pub spread: Option<f64>,
    pub runs: usize,
    pub change: Change,
}

/// What a rebaseline does to one metric, judged against the old baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Removed,
    /// Only in the baseline, kept because `--prune` was not given.
    Kept,
    /// Was null, now has a value.
    Anchored,
    Unchanged,
    WithinTolerance,
    Regression,
    Improvement,
    NotMeasured,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Kept => "kept (not in this run; --prune removes it)",
            Change::Anchored => "anchored",
            Change::Unchanged => "unchanged",
            Change::WithinTolerance => "within tolerance",
            Change::Regression => "regression",
            Change::Improvement => "improvement",
            Change::NotMeasured => "not measured",
        }
    }

    /// Whether a reviewer must look at it: anything but noise within tolerance.
    pub fn is_material(self) -> bool {
        !matches!(self, Change::Unchanged | Change::WithinTolerance | Change::NotMeasured)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub text: String,
    pub rows: Vec<Row>,
    pub status: BaselineStatus,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RebaselineError {
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error("{file}: refusing to activate: enforced metrics are null ({})", metrics.join(", "))]
    NullOnActivate { file: String, metrics: Vec<String> },
}

/// A new baseline: scaffold, with tolerances tight for deterministic units (bytes, fuel,
/// heap) and, for timing ones, several times the spread of 10 unchanged runs measured on a
/// shared 2-core machine (docs/perf.md, "Noise"), and no metrics yet (the fresh run adds them).
pub const TEMPLATE: &str = r#"{
  "schema_version": "wasm-perf-baseline-v1",
  "status": "scaffold",
  "_comment": "Written by cargo xtask rebaseline. Review the values, then run cargo xtask rebaseline --activate. Keys starting with _ are notes: kept, never read by the gate.",
  "toolchain_drift": "fail",
  "provenance": { "commit": "", "rustc": "", "binaryen": "", "policy_sha256": "", "host": "" },
  "tolerances": {
    "defaults": {
      "bytes": { "relative_pct": 1.0, "absolute": 512 },
      "count": { "relative_pct": 0.5, "absolute": 100 },
      "fuel": { "relative_pct": 1.0, "absolute": 1 },
      "ms": { "relative_pct": 75.0, "absolute": 5.0 },
      "us": { "relative_pct": 25.0, "absolute": 0.5 },
      "ns": { "relative_pct": 25.0, "absolute": 50 },
      "MiB": { "relative_pct": 1.0, "absolute": 0.001 },
      "percent": { "relative_pct": 50.0, "absolute": 15.0 }
    },
    "overrides": {
      "M-PERF-03B": { "relative_pct": 25.0, "absolute": 0.01 }
    }
  },
  "metrics": []
}
"#;

/// A value as the baseline writes it: fixed precision per unit.
pub fn format_value(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Bytes | Unit::Count => format!("{}", v.round() as i64),
        // To the nanosecond and the byte: cancellation answers in microseconds, the heap
        // is kilobytes.
        Unit::Micros => format!("{v:.3}"),
        Unit::Millis | Unit::Mebibytes => format!("{v:.6}"),
        Unit::Nanos => format!("{v:.1}"),
        Unit::Percent => format!("{v:.2}"),
        // Fuel is an integer count except for the median of an even number of seeds.
        Unit::Fuel => format!("{v}"),
    }
}

fn is_timing(unit: Unit) -> bool {
    matches!(unit, Unit::Millis | Unit::Micros | Unit::Nanos)
}

/// Rewrites `text` (the baseline `file`, or [`TEMPLATE`] for a new one) with `fresh`.
pub fn rebaseline(
    file: &str,
    text: &str,
    fresh: &[Fresh],
    items: &BTreeMap<VariantKind, Vec<NamedSize>>,
    provenance: &BaselineProvenance,
    options: Options,
) -> Result<Outcome, RebaselineError> {
    let old = Baseline::parse(file, text)?;
    let root = json_text::parse(text).map_err(|e| DocumentError::rule(file, "/", e))?;
    let metrics_node =
        member_value(&root, "metrics").ok_or_else(|| DocumentError::rule(file, "/metrics", "missing"))?;

    let mut edits: Vec<Edit> = Vec::new();
    let mut appended: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for f in fresh {
        if options.deterministic_only && !matches!(f.unit, Unit::Bytes | Unit::Count | Unit::Fuel) {
            continue;
        }
        let index = old.metrics.iter().position(|m| m.profile == f.profile && m.metric_id == f.metric_id);
        let row = fresh_row(&old, f, index);
        match index {
            Some(i) => edits.extend(metric_edits(text, &metrics_node.items()[i], f, &row)),
            None => appended.push(new_metric_entry(f, &row)),
        }
        rows.push(row);
    }
    if !options.deterministic_only {
        for (i, m) in old.metrics.iter().enumerate() {
            if fresh.iter().any(|f| f.profile == m.profile && f.metric_id == m.metric_id) {
                continue;
            }
            if options.prune {
                edits.extend(json_text::remove_item(&metrics_node, i));
            }
            rows.push(baseline_only_row(m, options.prune));
        }
        edits.extend(provenance_edit(text, &root, provenance));
    }
    edits.extend(json_text::append(text, &metrics_node, &appended));
    edits.extend(items_edit(text, &root, &old, items));

    let mut status = old.status;
    if options.activate {
        edits.extend(activation_edit(file, &root, &old, fresh)?);
        status = BaselineStatus::Active;
    }
    let mut out = json_text::apply(text, edits);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    // What was written must read back as a valid baseline.
    Baseline::parse(file, &out)?;
    Ok(Outcome { text: out, rows, status })
}

/// The value of `node`'s member `key`.
fn member_value(node: &Node, key: &str) -> Option<Node> {
    node.member(key).map(|m| m.value.clone())
}

/// The review row of fresh metric `f`, at `index` in the old baseline (`None`: new).
fn fresh_row(old: &Baseline, f: &Fresh, index: Option<usize>) -> Row {
    let new = median(&f.values);
    let spread = (is_timing(f.unit) && f.values.len() > 1).then(|| {
        let max = f.values.iter().copied().fold(f64::MIN, f64::max);
        let min = f.values.iter().copied().fold(f64::MAX, f64::min);
        max - min
    });
    let old_value = index.and_then(|i| old.metrics[i].value);
    let change = match (index, old_value, new) {
        (None, _, _) => Change::Added,
        (Some(_), _, None) => Change::NotMeasured,
        (Some(_), None, Some(_)) => Change::Anchored,
        (Some(_), Some(o), Some(n)) if format_value(f.unit, o) == format_value(f.unit, n) => Change::Unchanged,
        // The tolerance applies both ways: a drop within it is noise, not an improvement.
        (Some(_), Some(o), Some(n)) => match old.tolerance(&f.metric_id, f.unit) {
            Some(t) if t.is_regression(o, n) => Change::Regression,
            Some(t) if t.is_regression(n, o) => Change::Improvement,
            Some(_) => Change::WithinTolerance,
            None if n < o => Change::Improvement,
            None => Change::WithinTolerance,
        },
    };
    Row {
        profile: f.profile.clone(),
        metric_id: f.metric_id.clone(),
        unit: f.unit,
        old: old_value,
        new,
        spread,
        runs: f.values.len(),
        change,
    }
}

/// The edits that bring the baseline's `item` for `f` up to `row`: its value, and its
/// spread and runs (replaced, or appended when the item has none yet).
fn metric_edits(text: &str, item: &Node, f: &Fresh, row: &Row) -> Vec<Edit> {
    let mut edits = Vec::new();
    if let (Some(v), Some(node)) = (row.new, member_value(item, "value")) {
        edits.push(Edit { range: node.span, with: format_value(f.unit, v) });
    }
    let mut extra = Vec::new();
    for (key, value) in [
        ("spread", row.spread.map(|s| format_value(f.unit, s))),
        ("runs", row.spread.map(|_| f.values.len().to_string())),
    ] {
        let Some(value) = value else { continue };
        match member_value(item, key) {
            Some(node) => edits.push(Edit { range: node.span, with: value }),
            None => extra.push(format!("\"{key}\": {value}")),
        }
    }
    edits.extend(json_text::append(text, item, &extra));
    edits
}

/// The baseline entry of a metric it does not have yet, `f` as `row` measured it.
fn new_metric_entry(f: &Fresh, row: &Row) -> String {
    let value = row.new.map_or("null".to_owned(), |v| format_value(f.unit, v));
    let mut entry = format!(
        "{{ \"profile\": {}, \"metric_id\": {}, \"unit\": \"{}\", \"value\": {value}",
        serde_json::Value::String(f.profile.clone()),
        serde_json::Value::String(f.metric_id.clone()),
        f.unit
    );
    if let Some(s) = row.spread {
        entry.push_str(&format!(", \"spread\": {}, \"runs\": {}", format_value(f.unit, s), f.values.len()));
    }
    entry.push_str(" }");
    entry
}

/// The review row of a metric only the old baseline has: removed when pruned, else kept.
fn baseline_only_row(m: &BaselineMetric, prune: bool) -> Row {
    Row {
        profile: m.profile.clone(),
        metric_id: m.metric_id.clone(),
        unit: m.unit,
        old: m.value,
        new: None,
        spread: None,
        runs: 0,
        change: if prune { Change::Removed } else { Change::Kept },
    }
}

/// The provenance block replaced by this run's.
fn provenance_edit(text: &str, root: &Node, provenance: &BaselineProvenance) -> Option<Edit> {
    let node = member_value(root, "provenance")?;
    let value = serde_json::to_value(provenance).unwrap_or_default();
    Some(Edit {
        range: node.span.clone(),
        with: json_text::render_at(&value, json_text::indent_at(text, node.span.start)),
    })
}

/// Each measured variant's items are replaced whole (they are data for the report's size
/// changes, not values anyone reviews one by one); a variant without an attribution this
/// run keeps its list.
fn items_edit(text: &str, root: &Node, old: &Baseline, items: &BTreeMap<VariantKind, Vec<NamedSize>>) -> Option<Edit> {
    if items.is_empty() {
        return None;
    }
    let mut merged = old.items.clone();
    merged.extend(items.iter().map(|(v, list)| (*v, list.clone())));
    let indent = root.member("metrics").map_or("  ", |m| json_text::indent_at(text, m.start));
    let rendered = render_items(&merged, indent);
    match root.member("items") {
        Some(m) => Some(Edit { range: m.value.span.clone(), with: rendered }),
        None => json_text::append(text, root, &[format!("\"items\": {rendered}")]),
    }
}

/// The status set to `active`, refused while an enforced (or measured) metric would stay
/// null.
fn activation_edit(file: &str, root: &Node, old: &Baseline, fresh: &[Fresh]) -> Result<Option<Edit>, RebaselineError> {
    let null: Vec<String> = fresh
        .iter()
        .filter(|f| f.required || !f.values.is_empty())
        .filter(|f| {
            let kept = old.metric(&f.profile, &f.metric_id).and_then(|m| m.value);
            median(&f.values).or(kept).is_none()
        })
        .map(|f| format!("{} / {}", f.profile, f.metric_id))
        .collect();
    if !null.is_empty() {
        return Err(RebaselineError::NullOnActivate { file: file.to_owned(), metrics: null });
    }
    Ok(member_value(root, "status").map(|node| Edit { range: node.span, with: "\"active\"".to_owned() }))
}

/// The items as the baseline keeps them: one `{ "name", "bytes" }` per line, so a diff of
/// the file reads as a diff of the items.
fn render_items(items: &BTreeMap<VariantKind, Vec<NamedSize>>, indent: &str) -> String {
    let mut out = String::from("{");
    for (i, (variant, list)) in items.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&format!("{indent}  \"{}\": [", variant.as_str()));
        for (j, item) in list.iter().enumerate() {
            let name = serde_json::Value::String(item.name.clone());
            out.push_str(if j == 0 { "\n" } else { ",\n" });
            out.push_str(&format!("{indent}    {{ \"name\": {name}, \"bytes\": {} }}", item.bytes));
        }
        out.push_str(&format!("\n{indent}  ]"));
    }
    out.push_str(&format!("\n{indent}}}"));
    out
}

/// The review table (Markdown): old → new per metric, and a verdict line.
pub fn review_table(rows: &[Row], status: BaselineStatus) -> String {
    let num = |unit: Unit, v: Option<f64>| v.map_or("null".to_owned(), |v| format_value(unit, v));
    let mut out = String::from(
        "| profile | metric | old | new | change | % | spread (runs) | verdict |\n|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let (delta, pct) = match (r.old, r.new) {
            (Some(o), Some(n)) => {
                let pct = if o != 0.0 { format!("{:+.2}%", (n - o) / o * 100.0) } else { "-".to_owned() };
                (format!("{}{}", if n >= o { "+" } else { "" }, format_value(r.unit, n - o)), pct)
            }
            _ => ("-".to_owned(), "-".to_owned()),
        };
        let spread = r.spread.map_or("-".to_owned(), |s| format!("{} ({})", format_value(r.unit, s), r.runs));
        out.push_str(&format!(
            "| {} | {} | {} | {} | {delta} {} | {pct} | {spread} | {} |\n",
            r.profile,
            r.metric_id,
            num(r.unit, r.old),
            num(r.unit, r.new),
            r.unit,
            r.change.as_str()
        ));
    }
    let material: Vec<&Row> = rows.iter().filter(|r| r.change.is_material()).collect();
    let status = match status {
        BaselineStatus::Active => "active",
        BaselineStatus::Scaffold => "scaffold",
    };
    if material.is_empty() {
        out.push_str(&format!("\nno material change: every value is within its tolerance (status {status})\n"));
    } else {
        out.push_str(&format!("\n{} material change(s) (status {status})\n", material.len()));
    }
    out
}
