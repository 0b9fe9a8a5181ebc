//! `cargo xtask init`'s drafts: the documents that gate a crate the tool has never seen. A
//! policy with the three variants the sample subjects use, metrics for what every crate
//! has (module sizes; glue sizes for a wasm-bindgen crate; cold init) and for the scenario
//! exports it has, a corpus that runs exactly those, and, once the driver has measured
//! them, budgets at the measured values plus a stated headroom.

use std::collections::{BTreeMap, BTreeSet};

use crate::budget::{self, Budgets, ChangeEntry, GateKind, Metric, Source, Thresholds};
use crate::corpus::{
    self, BrowserKind, BrowserProtocol, Corpus, Coverage, Environment, Limits, Protocol, Scenario, Workload,
};
use crate::host::{HostApp, HostProtocol};
use crate::policy::{
    self, BindgenTarget, CargoSettings, DebugInfo, Lto, OptLevel, Panic, Policy, Strip, Variant, VariantKind,
    WasmBindgen, WasmOptSettings,
};
use crate::rebaseline::Fresh;
use crate::unit::Unit;

/// The seeds a drafted corpus runs with: the sample subjects' set.
pub const SEED_SET: [u64; 5] = [11, 29, 42, 73, 101];

/// The feature a crate's scenario exports are behind, by the sample subjects' convention:
/// when the crate has it, it becomes the policy's benchmark feature.
pub const SCENARIO_FEATURE: &str = "exports";

/// What the driver read about the crate (cargo metadata).
#[derive(Debug, Clone)]
pub struct Subject {
    pub package: String,
    /// The `[features]` table.
    pub features: BTreeMap<String, Vec<String>>,
    /// The crate depends on `wasm-bindgen`.
    pub bindgen: bool,
}

impl Subject {
    /// The features every variant builds with: the crate's default features (the policy
    /// builds with `--no-default-features` and lists them), without the scenario feature.
    fn shipped_features(&self) -> Vec<String> {
        let defaults = self.features.get("default").map(Vec::as_slice).unwrap_or_default();
        defaults.iter().filter(|f| f.as_str() != SCENARIO_FEATURE && self.features.contains_key(*f)).cloned().collect()
    }

    fn benchmark_features(&self) -> Vec<String> {
        if self.features.contains_key(SCENARIO_FEATURE) { vec![SCENARIO_FEATURE.to_owned()] } else { Vec::new() }
    }
}

/// The policy: dev (opt-level 1, no wasm-opt), canary (`s`, thin LTO, wasm-opt -Os) and
/// release (`z`, fat LTO, wasm-opt -Oz, debug and producers stripped), each variant's
/// artifacts under `artifacts/wasm/<package>/<variant>`.
pub fn draft_policy(subject: &Subject) -> Policy {
    let features = subject.shipped_features();
    let wasm_features =
        ["bulk-memory", "sign-ext", "reference-types", "multivalue", "mutable-globals", "nontrapping-float-to-int"];
    let optimized = |shrink: u8, passes: &[&str]| WasmOptSettings {
        enabled: true,
        optimize_level: Some(2),
        shrink_level: Some(shrink),
        passes: Some(passes.iter().map(|p| (*p).to_owned()).collect()),
        features: Some(wasm_features.iter().map(|f| (*f).to_owned()).collect()),
    };
    let variant = |kind: VariantKind, intent: &str, cargo: CargoSettings, wasm_opt: WasmOptSettings| Variant {
        id: format!("{}-{}", subject.package, kind.as_str()),
        variant: kind,
        budget_profile: kind.budget_profile().to_owned(),
        intent: intent.to_owned(),
        cargo,
        wasm_opt,
        artifact_dir: format!("artifacts/wasm/{}/{}", subject.package, kind.as_str()),
    };
    let cargo = |opt_level, lto, codegen_units, debug| CargoSettings {
        opt_level,
        lto,
        codegen_units,
        debug,
        panic: Panic::Abort,
        strip: Strip::None,
        features: features.clone(),
        rustflags: Vec::new(),
    };
    let pipeline =
        if subject.bindgen { "cargo, then wasm-bindgen --target web, then wasm-opt" } else { "cargo, then wasm-opt" };
    Policy {
        schema_version: policy::SCHEMA_VERSION.to_owned(),
        description: format!(
            "How each wasm variant of {} is built ({pipeline}), drafted by cargo xtask init from the sample subjects' \
             variants. Variant -> budget profile: dev -> full-dev, canary -> core-trace, release -> core-min.",
            subject.package
        ),
        package: subject.package.clone(),
        target: "wasm32-unknown-unknown".to_owned(),
        required_features: Vec::new(),
        forbidden_features: Vec::new(),
        benchmark_features: subject.benchmark_features(),
        wasm_bindgen: subject.bindgen.then_some(WasmBindgen { target: BindgenTarget::Web }),
        profiles: vec![
            variant(
                VariantKind::Dev,
                "fast local debugging: low optimization, full debug info, no wasm-opt",
                cargo(OptLevel::O1, Lto::Off, 16, DebugInfo::Full),
                WasmOptSettings {
                    enabled: false,
                    optimize_level: None,
                    shrink_level: None,
                    passes: None,
                    features: None,
                },
            ),
            variant(
                VariantKind::Canary,
                "staging signal: size-optimized, line tables kept, moderate wasm-opt (-Os)",
                cargo(OptLevel::S, Lto::Thin, 1, DebugInfo::LineTablesOnly),
                optimized(1, &["strip-dwarf"]),
            ),
            variant(
                VariantKind::Release,
                "production shipment: smallest artifact (opt-level z, fat LTO, wasm-opt -Oz, debug and producers sections stripped)",
                cargo(OptLevel::Z, Lto::Fat, 1, DebugInfo::None),
                optimized(2, &["strip-debug", "strip-producers"]),
            ),
        ],
    }
}

/// The scenario exports a module has: each name `<x>` with all of `<x>_setup`, `<x>_op` and
/// `<x>_teardown` exported, sorted.
pub fn scenario_exports(exports: &BTreeSet<String>) -> Vec<String> {
    let [setup, rest @ ..] = corpus::ABI_SUFFIXES;
    exports
        .iter()
        .filter_map(|e| e.strip_suffix(setup))
        .filter(|x| rest.iter().all(|suffix| exports.contains(&format!("{x}{suffix}"))))
        .map(str::to_owned)
        .collect()
}

/// The metrics of a drafted budgets file, with no thresholds yet (the driver measures with
/// them, then [`draft_budgets`] sets the thresholds). `scenarios` are the crate's scenario
/// exports: fuel per operation in wasmtime for a plain crate, time per operation in each
/// browser environment for a wasm-bindgen crate (wasmtime has no JS for its glue).
pub fn draft_metrics(subject: &Subject, scenarios: &[String]) -> Vec<Metric> {
    let metric = |id: &str, name: &str, unit: Unit, source: Source| Metric {
        id: id.to_owned(),
        name: name.to_owned(),
        unit,
        source,
        required: true,
        gate: GateKind::Hard,
        escalate_after: None,
        thresholds: BTreeMap::new(),
    };
    let mut metrics = vec![
        metric("M-PERF-01A", "wasm size (raw bytes)", Unit::Bytes, Source::SizeRaw),
        metric("M-PERF-01B", "wasm size (gzip bytes)", Unit::Bytes, Source::SizeGzip),
        metric("M-PERF-01C", "wasm size (brotli bytes)", Unit::Bytes, Source::SizeBrotli),
    ];
    if subject.bindgen {
        metrics.extend([
            metric("M-GLUE-01A", "JS glue size (raw bytes)", Unit::Bytes, Source::GlueRaw),
            metric("M-GLUE-01B", "JS glue size (gzip bytes)", Unit::Bytes, Source::GlueGzip),
            metric("M-GLUE-01C", "JS glue size (brotli bytes)", Unit::Bytes, Source::GlueBrotli),
            metric("M-PERF-02A", "cold init, desktop Chromium (ms, p95)", Unit::Millis, Source::BrowserDesktopColdInit),
            metric(
                "M-PERF-02B",
                "cold init, emulated mid-tier phone (ms, p95)",
                Unit::Millis,
                Source::BrowserMobileColdInit,
            ),
        ]);
        for (side, place) in ["desktop Chromium", "emulated phone"].into_iter().enumerate() {
            for app in HostApp::ALL {
                metrics.push(Metric {
                    // Measured on the release build only (the hosts' variant): not required
                    // on the others.
                    required: false,
                    ..metric(
                        &host_metric_id(side, app),
                        &format!("time to ready in the {} host, {place} (ms, median)", app.as_str()),
                        Unit::Millis,
                        Source::BrowserHostReady,
                    )
                });
            }
        }
        for app in HostApp::ALL {
            let host = app.as_str();
            for (kind, name, source) in [
                (HOST_JS, format!("JS the {host} host loads on its own (gzip bytes)"), Source::BrowserHostJsGzip),
                (
                    HOST_TOTAL,
                    format!("what the {host} host's page ships: its JS and the module (gzip bytes)"),
                    Source::BrowserHostTotalGzip,
                ),
            ] {
                metrics
                    .push(Metric { required: false, ..metric(&host_metric_id(kind, app), &name, Unit::Bytes, source) });
            }
        }
        for (i, s) in scenarios.iter().enumerate() {
            let [desktop, mobile] = browser_op_metric_ids(i);
            metrics.extend([
                metric(
                    &desktop,
                    &format!("{s}: one operation, desktop Chromium (us, median of batches)"),
                    Unit::Micros,
                    Source::BrowserOpMedian,
                ),
                metric(
                    &mobile,
                    &format!("{s}: one operation, emulated phone (us, median of batches)"),
                    Unit::Micros,
                    Source::BrowserOpMedian,
                ),
            ]);
        }
    } else {
        metrics.push(metric(
            "M-WASMTIME-02A",
            "cold init in wasmtime (ms, p95)",
            Unit::Millis,
            Source::RuntimeColdInit,
        ));
        for (i, s) in scenarios.iter().enumerate() {
            metrics.push(metric(
                &fuel_metric_id(i),
                &format!("{s}: fuel per operation"),
                Unit::Fuel,
                Source::RuntimeFuel,
            ));
        }
    }
    metrics
}

fn fuel_metric_id(i: usize) -> String {
    format!("M-FUEL-{:02}A", i + 1)
}

/// The kinds of host metric past the two times to ready: the host's own JS, and its page's
/// total with the module.
const HOST_JS: usize = 2;
const HOST_TOTAL: usize = 3;

/// A host app's metric of `kind`: its time to ready on the desktop (0) or the phone (1), or
/// its bytes ([`HOST_JS`], [`HOST_TOTAL`]): M-HOST-01A..04D, the sample subjects' ids.
fn host_metric_id(kind: usize, app: HostApp) -> String {
    let letter = ['A', 'B', 'C', 'D'][HostApp::ALL.iter().position(|a| *a == app).unwrap_or_default()];
    format!("M-HOST-{:02}{letter}", kind + 1)
}

/// A wasm-bindgen crate's scenario `i` in desktop Chromium and on the emulated phone.
fn browser_op_metric_ids(i: usize) -> [String; 2] {
    [format!("M-WEB-{:02}A", i + 1), format!("M-WEB-{:02}B", i + 1)]
}

/// How many cold-init samples the drafted corpus takes per seed and variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Samples {
    /// wasmtime: each a fresh engine's compile and instantiate.
    pub cold_start: u32,
    /// Each browser environment: each a page load in a fresh context.
    pub browser: u32,
}

impl Default for Samples {
    /// The sample subjects' protocol.
    fn default() -> Samples {
        Samples { cold_start: 20, browser: 4 }
    }
}

/// The corpus: a cold-start scenario (wasmtime) and one scenario per scenario export for a
/// plain crate; for a wasm-bindgen crate, cold init through its glue in desktop Chromium
/// and on an emulated phone, ending with `first_call` through its JS API (the body of a
/// function of `api`), the four host apps on the release build in both, and each scenario
/// export timed per operation in both.
pub fn draft_corpus(subject: &Subject, scenarios: &[String], samples: Samples, first_call: &str) -> Corpus {
    if subject.bindgen {
        draft_browser_corpus(subject, scenarios, samples, first_call)
    } else {
        draft_wasmtime_corpus(subject, scenarios, samples)
    }
}

/// The sample subjects' runtime protocol, with `samples` cold starts per seed.
fn draft_protocol(samples: Samples) -> Protocol {
    Protocol {
        iterations_per_seed: 2000,
        warmup_iterations: 200,
        memory_warmup_ops: 200,
        memory_sample_ops: 500,
        cold_start_samples_per_seed: samples.cold_start,
        limits: Limits { fuel_per_call: 1_000_000_000, millis_per_call: 5000, memory_mib: 256 },
    }
}

/// The crate's scenario export `s`, its `i`th, feeding `metrics` on every variant; `timed`
/// ends its journey with where it is timed.
fn exported_scenario(i: usize, s: &str, timed: &str, metrics: Vec<String>) -> Scenario {
    Scenario {
        id: format!("SCN-{:02}", i + 1),
        journey: format!("{s}: the crate's own scenario export{timed} (its workload is a guess: edit it)"),
        workload: Workload::SteadyThroughput,
        variants: VariantKind::ALL.to_vec(),
        export: Some(s.to_owned()),
        reference_export: None,
        js_api: None,
        metrics,
        seed_set: SEED_SET.to_vec(),
    }
}

/// A wasm-bindgen crate's corpus: its module imports the glue, so everything runs in the
/// browsers, each scenario export timed per operation in both environments.
fn draft_browser_corpus(subject: &Subject, scenarios: &[String], samples: Samples, first_call: &str) -> Corpus {
    let per_op: Vec<[String; 2]> = (0..scenarios.len()).map(browser_op_metric_ids).collect();
    let list: Vec<Scenario> = scenarios
        .iter()
        .zip(&per_op)
        .enumerate()
        .map(|(i, (s, ids))| exported_scenario(i, s, ", timed in batches in the browsers", ids.to_vec()))
        .collect();
    Corpus {
        schema_version: corpus::SCHEMA_VERSION.to_owned(),
        description: format!(
            "Cold init of {} through its wasm-bindgen glue (compile, the glue's import() and init, then the first \
             call through its JS API), and the four host apps, drafted by cargo xtask init: its module imports the \
             glue, so it runs in the browsers only.",
            subject.package
        ),
        coverage: Coverage {
            required_workloads: if list.is_empty() { Vec::new() } else { vec![Workload::SteadyThroughput] },
            required_metrics: list.iter().flat_map(|s| s.metrics.clone()).collect(),
            required_seed_set: SEED_SET.to_vec(),
            required_environments: vec!["desktop-chromium".to_owned(), "mobile-emulated-chromium".to_owned()],
        },
        protocol: draft_protocol(samples),
        scenarios: list,
        environments: vec![
            chromium_environment("desktop-chromium", 1.0, "desktop Chromium, headless", "M-PERF-02A", &per_op, 0),
            chromium_environment(
                "mobile-emulated-chromium",
                4.0,
                "a mid-tier phone, emulated: headless Chromium with its main thread's CPU throttled 4x; not a device",
                "M-PERF-02B",
                &per_op,
                1,
            ),
        ],
        browser_protocol: Some(BrowserProtocol {
            samples_per_seed: samples.browser,
            warmup_samples: 1,
            first_call: first_call.to_owned(),
            millis_per_call: 30000,
            batches_per_seed: BrowserProtocol::default_batches_per_seed(),
            warmup_batches: BrowserProtocol::default_warmup_batches(),
            batch_millis: BrowserProtocol::default_batch_millis(),
        }),
        hosts: Some(HostProtocol {
            apps: HostApp::ALL.to_vec(),
            variants: vec![VariantKind::Release],
            environments: vec!["desktop-chromium".to_owned(), "mobile-emulated-chromium".to_owned()],
            samples: samples.browser,
            size_metrics: HostApp::ALL
                .into_iter()
                .map(|app| (app, vec![host_metric_id(HOST_JS, app), host_metric_id(HOST_TOTAL, app)]))
                .collect(),
        }),
    }
}

/// A Chromium environment feeding cold-init metric `metric` and, per scenario export, its
/// per-operation metric of `side` (0 desktop, 1 phone) of `per_op`.
fn chromium_environment(
    id: &str,
    rate: f64,
    label: &str,
    metric: &str,
    per_op: &[[String; 2]],
    side: usize,
) -> Environment {
    Environment {
        id: id.to_owned(),
        browser: BrowserKind::Chromium,
        cpu_throttling_rate: rate,
        label: label.to_owned(),
        metric: metric.to_owned(),
        scenario_metrics: per_op.iter().map(|ids| ids[side].clone()).collect(),
        host_metrics: HostApp::ALL.into_iter().map(|app| (app, host_metric_id(side, app))).collect(),
    }
}

/// A plain crate's corpus: cold start and each scenario export's fuel, in wasmtime.
fn draft_wasmtime_corpus(subject: &Subject, scenarios: &[String], samples: Samples) -> Corpus {
    let mut list = vec![Scenario {
        id: "COLD-01".to_owned(),
        journey: "first load: the module is compiled and instantiated".to_owned(),
        workload: Workload::ColdStart,
        variants: VariantKind::ALL.to_vec(),
        export: None,
        reference_export: None,
        js_api: None,
        metrics: vec!["M-WASMTIME-02A".to_owned()],
        seed_set: SEED_SET.to_vec(),
    }];
    for (i, s) in scenarios.iter().enumerate() {
        list.push(exported_scenario(i, s, "", vec![fuel_metric_id(i)]));
    }
    let mut required_workloads = vec![Workload::ColdStart];
    if !scenarios.is_empty() {
        required_workloads.push(Workload::SteadyThroughput);
    }
    Corpus {
        schema_version: corpus::SCHEMA_VERSION.to_owned(),
        description: format!(
            "Runtime measurements of {} in wasmtime, drafted by cargo xtask init: cold start{}.",
            subject.package,
            if scenarios.is_empty() {
                " (the crate exports no scenario: add `<name>_setup/_op/_teardown` exports to measure its operations)"
                    .to_owned()
            } else {
                format!(" and the crate's {} scenario export(s)", scenarios.len())
            }
        ),
        coverage: Coverage {
            required_workloads,
            required_metrics: list.iter().flat_map(|s| s.metrics.clone()).collect(),
            required_seed_set: SEED_SET.to_vec(),
            required_environments: Vec::new(),
        },
        protocol: draft_protocol(samples),
        scenarios: list,
        environments: Vec::new(),
        browser_protocol: None,
        hosts: None,
    }
}

/// How far above the measured values the first thresholds are, in percent: deterministic
/// figures (bytes, fuel) and timings apart, as timings move from run to run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Headroom {
    pub deterministic_pct: f64,
    pub timing_pct: f64,
}

/// Who asked for and approved the first budgets, and where the figures are.
#[derive(Debug, Clone)]
pub struct FirstEntry {
    pub date: String,
    pub issue: String,
    pub approved_by: String,
    /// The path in the repository of the run `init` measured (a measurement document with
    /// the budgets' seed set).
    pub evidence: String,
    /// `Corpus::measurement_sha256` of the drafted corpus.
    pub corpus_sha256: String,
}

/// A measured (profile, metric) without a value: the budgets cannot be drafted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{profile} {metric_id} was not measured, so it has no threshold to start from")]
pub struct Unmeasured {
    pub profile: String,
    pub metric_id: String,
}

/// The budgets: each metric's hard threshold per profile is the highest measured value plus
/// the headroom, rounded up to three significant digits; the first change-log entry records
/// them. A metric that is not required (a host app's) gets thresholds where it was measured
/// only: a host left out gets none, and fails once measured until one is set.
pub fn draft_budgets(
    subject: &Subject,
    mut metrics: Vec<Metric>,
    fresh: &[Fresh],
    headroom: Headroom,
    entry: FirstEntry,
) -> Result<Budgets, Unmeasured> {
    let profiles: Vec<String> = VariantKind::ALL.iter().map(|v| v.budget_profile().to_owned()).collect();
    for m in &mut metrics {
        for profile in &profiles {
            let values =
                fresh.iter().find(|f| &f.profile == profile && f.metric_id == m.id).map(|f| f.values.as_slice());
            let Some(highest) = values.unwrap_or_default().iter().copied().reduce(f64::max) else {
                if !m.required {
                    continue;
                }
                return Err(Unmeasured { profile: profile.clone(), metric_id: m.id.clone() });
            };
            let pct = if m.source.is_wall_clock() { headroom.timing_pct } else { headroom.deterministic_pct };
            let hard = round_up(highest * (1.0 + pct / 100.0), m.unit);
            m.thresholds.insert(profile.clone(), Thresholds { warn: None, hard });
        }
    }
    let mut budgets = Budgets {
        schema_version: budget::SCHEMA_VERSION.to_owned(),
        description: format!(
            "Budgets of {}, drafted by cargo xtask init: each threshold is the highest value measured on {} plus {}% \
             (bytes, fuel) or {}% (timings), rounded up to three significant digits.",
            subject.package, entry.date, headroom.deterministic_pct, headroom.timing_pct
        ),
        profiles,
        seed_set: SEED_SET.to_vec(),
        metrics,
        change_log: Vec::new(),
        ratchet: None,
    };
    budgets.change_log.push(ChangeEntry {
        date: entry.date,
        reason: "First budgets: the measured values plus the stated headroom (see the description).".to_owned(),
        evidence: format!("{} (the run init measured)", entry.evidence),
        issue: Some(entry.issue),
        approved_by: Some(entry.approved_by),
        thresholds_sha256: budgets.thresholds_sha256(),
        corpus_sha256: Some(entry.corpus_sha256),
    });
    Ok(budgets)
}

/// `v` rounded up to three significant digits, at least one of the unit's steps (1 byte or
/// fuel unit; 0.1 ms): a threshold reads as a chosen number, not a measurement.
fn round_up(v: f64, unit: Unit) -> f64 {
    let step_floor = match unit {
        Unit::Bytes | Unit::Count | Unit::Fuel => 1.0,
        _ => 0.1,
    };
    if v <= 0.0 {
        return step_floor;
    }
    let step = 10f64.powf(v.log10().floor() - 2.0).max(step_floor);
    let rounded = (v / step).ceil() * step;
    // Keep 0.1 steps free of binary noise (12.300000000000001).
    (rounded * 10.0).round() / 10.0
}

/// The UTC calendar date (`YYYY-MM-DD`) of a Unix time, for the change-log entry.
pub fn utc_date(unix_secs: u64) -> String {
    // Days to a civil date in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    let z = (unix_secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::Budgets;
    use crate::corpus::CorpusContext;

    fn subject(bindgen: bool, features: &[(&str, &[&str])]) -> Subject {
        Subject {
            package: "scratch".to_owned(),
            features: features
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
                .collect(),
            bindgen,
        }
    }

    fn fresh(metrics: &[Metric], value: f64) -> Vec<Fresh> {
        VariantKind::ALL
            .iter()
            .flat_map(|v| {
                metrics.iter().map(move |m| Fresh {
                    profile: v.budget_profile().to_owned(),
                    metric_id: m.id.clone(),
                    unit: m.unit,
                    values: vec![value, value / 2.0],
                    required: true,
                })
            })
            .collect()
    }

    fn entry() -> FirstEntry {
        FirstEntry {
            date: "2026-12-01".into(),
            issue: "#1".into(),
            approved_by: "@a".into(),
            evidence: "docs/perf-evidence/x/init_run.json".into(),
            corpus_sha256: "c".repeat(64),
        }
    }

    #[test]
    fn utc_dates() {
        for (secs, date) in [(0, "1970-01-01"), (951_782_400, "2000-02-29"), (1_796_083_200, "2026-12-01")] {
            assert_eq!(utc_date(secs), date);
        }
    }

    #[test]
    fn scenario_exports_need_all_three_abi_functions() {
        let exports: BTreeSet<String> = ["a_setup", "a_op", "a_teardown", "b_setup", "b_op", "memory", "c_op"]
            .iter()
            .map(|s| (*s).into())
            .collect();
        assert_eq!(scenario_exports(&exports), vec!["a".to_owned()]);
    }

    #[test]
    fn the_policy_builds_the_default_features_and_benchmarks_with_the_scenario_feature() {
        let s = subject(false, &[("default", &["std", "exports"]), ("std", &[]), ("exports", &[])]);
        let p = draft_policy(&s);
        assert_eq!(p.benchmark_features, vec!["exports"]);
        assert!(p.profiles.iter().all(|v| v.cargo.features == vec!["std"]));
        assert_eq!(p.wasm_bindgen, None);
        let text = serde_json::to_string(&p).unwrap();
        assert_eq!(Policy::parse("p.json", &text).unwrap(), p);
        let b = draft_policy(&subject(true, &[]));
        assert!(b.benchmark_features.is_empty() && b.wasm_bindgen.is_some());
    }

    #[test]
    fn drafted_documents_pass_their_own_checks() {
        for (bindgen, scenarios) in [(false, vec![]), (false, vec!["parse".to_owned()]), (true, vec!["search".into()])]
        {
            let s = subject(bindgen, &[]);
            let metrics = draft_metrics(&s, &scenarios);
            let budgets = draft_budgets(
                &s,
                metrics.clone(),
                &fresh(&metrics, 1000.0),
                Headroom { deterministic_pct: 25.0, timing_pct: 100.0 },
                entry(),
            )
            .unwrap();
            let text = serde_json::to_string(&budgets).unwrap();
            let parsed = Budgets::parse("b.json", &text).unwrap();
            parsed.check_change_log("b.json").unwrap();
            let corpus = draft_corpus(&s, &scenarios, Samples::default(), "return api.slugify(\"A b\");");
            let cx = CorpusContext { budgets: &parsed, exports: None, only: None };
            corpus.check("c.json", &cx).unwrap();
            assert_eq!(corpus.browser_protocol.is_some(), bindgen);
            assert_eq!(
                parsed.metrics.iter().any(|m| m.source == Source::RuntimeFuel),
                !bindgen && !scenarios.is_empty()
            );
        }
    }

    #[test]
    fn thresholds_are_the_highest_value_plus_headroom_rounded_up() {
        let s = subject(false, &[]);
        let metrics = draft_metrics(&s, &[]);
        let headroom = Headroom { deterministic_pct: 25.0, timing_pct: 100.0 };
        let b = draft_budgets(&s, metrics.clone(), &fresh(&metrics, 172_795.0), headroom, entry()).unwrap();
        let raw = b.metric("M-PERF-01A").unwrap();
        assert_eq!(raw.thresholds["core-min"].hard, 216_000.0);
        let cold = b.metric("M-WASMTIME-02A").unwrap();
        assert_eq!(cold.thresholds["full-dev"].hard, 346_000.0);
        let small = draft_budgets(&s, metrics.clone(), &fresh(&metrics, 6.04), headroom, entry()).unwrap();
        assert_eq!(small.metric("M-WASMTIME-02A").unwrap().thresholds["full-dev"].hard, 12.1);
        assert_eq!(small.metric("M-PERF-01A").unwrap().thresholds["core-trace"].hard, 8.0);
    }

    #[test]
    fn a_host_gets_thresholds_where_it_was_measured_and_none_when_left_out() {
        let s = subject(true, &[]);
        let metrics = draft_metrics(&s, &[]);
        let mut values = fresh(&metrics, 100.0);
        // The hosts load release only, and this run measured vanilla-js alone.
        values
            .retain(|f| !f.metric_id.starts_with("M-HOST-") || (f.metric_id.ends_with('A') && f.profile == "core-min"));
        let headroom = Headroom { deterministic_pct: 25.0, timing_pct: 100.0 };
        let b = draft_budgets(&s, metrics, &values, headroom, entry()).unwrap();
        let vanilla = b.metric("M-HOST-02A").unwrap();
        assert_eq!(vanilla.thresholds.keys().collect::<Vec<_>>(), ["core-min"]);
        assert_eq!(vanilla.thresholds["core-min"].hard, 200.0);
        assert!(b.metric("M-HOST-01D").unwrap().thresholds.is_empty());
        Budgets::parse("b.json", &serde_json::to_string(&b).unwrap()).unwrap();
    }

    #[test]
    fn an_unmeasured_metric_is_refused_by_name() {
        let s = subject(false, &[]);
        let metrics = draft_metrics(&s, &[]);
        let mut values = fresh(&metrics, 10.0);
        values.retain(|f| !(f.metric_id == "M-WASMTIME-02A" && f.profile == "core-min"));
        let err = draft_budgets(&s, metrics, &values, Headroom { deterministic_pct: 25.0, timing_pct: 100.0 }, entry())
            .unwrap_err();
        assert_eq!(err, Unmeasured { profile: "core-min".into(), metric_id: "M-WASMTIME-02A".into() });
    }
}
