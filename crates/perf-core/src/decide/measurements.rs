//! Figures measured elsewhere, gated here: a device farm's mobile cold init, a lab's numbers,
//! or a second baseline. `cargo xtask gate --measurements FILE` reads a
//! [`Measurements`] document; `cargo xtask gate --current B` reads a baseline as the figures
//! of a run. Both become ordinary [`Record`]s, judged against the same budgets, so the same
//! streaks, baseline comparison and reports apply.
//!
//! Figures nobody can trace are refused: a measurements document must say which environment
//! measured it (device, OS, browser, runner) and what it measured (commit, the command that
//! produced it, rustc and binaryen), and every record its command line and artifacts (seed
//! §5: "each metric sample must include").

use serde::{Deserialize, Serialize};

use crate::baseline::{Baseline, BaselineProvenance};
use crate::budget::Budgets;
use crate::document::{DocumentError, check_schema_version, parse_document, pointer_join};
use crate::policy::Policy;
use crate::record::{Record, Required};
use crate::run::{self, BrowserRan};
use crate::runtime::Measurement;
use crate::status::Status;
use crate::summary::{self, Summary};
use crate::unit::Unit;

pub const SCHEMA_VERSION: &str = "wasm-perf-measurements-v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measurements {
    pub schema_version: String,
    /// The package whose build was measured.
    pub package: String,
    pub environment: MeasuredEnvironment,
    pub provenance: MeasuredProvenance,
    /// The seeds the scenarios ran with (the budgets' seed set, for comparable figures).
    pub seed_set: Vec<u64>,
    pub records: Vec<MeasuredRecord>,
}

/// Where the figures were measured: what a reader needs to reproduce them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasuredEnvironment {
    /// The corpus environment this stands for (e.g. "mobile-android").
    pub id: String,
    /// e.g. "Pixel 6a (Tensor, mid-tier ARM)".
    pub device: String,
    /// e.g. "Android 14".
    pub os: String,
    /// The browser and its full version, e.g. "Chrome 131.0.6778.135".
    pub browser: String,
    /// Who ran it: the farm, job or machine.
    pub runner: String,
}

impl MeasuredEnvironment {
    /// The browser and its major version, as a baseline records them: "Chrome 131".
    pub fn browser_major(&self) -> Option<String> {
        let (name, version) = self.browser.trim().rsplit_once(' ')?;
        if name.trim().is_empty() || !version.split('.').all(|part| part.parse::<u64>().is_ok()) {
            return None;
        }
        let major: u32 = version.split('.').next()?.parse().ok()?;
        Some(format!("{} {major}", name.trim()))
    }
}

/// What was measured: the build and the tool that produced the figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasuredProvenance {
    pub commit: String,
    /// The command (or tool and version) that produced this document.
    pub producer: String,
    /// `rustc -vV` of the build measured: a baseline from another toolchain is drift.
    pub rustc: String,
    /// The wasm-opt (binaryen) version of the build measured.
    pub binaryen: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasuredRecord {
    /// The budget profile (e.g. "core-min").
    pub profile: String,
    pub metric_id: String,
    pub unit: Unit,
    /// `null` when the environment could not measure it; then `reason` says why.
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The exact command line that measured it.
    pub command: String,
    /// The wasm binary, traces and logs the value came from.
    pub artifact_paths: Vec<String>,
}

impl Measurements {
    /// Parses and checks the document on its own: environment and provenance complete,
    /// every record traceable, no (profile, metric) twice.
    pub fn parse(file: &str, text: &str) -> Result<Measurements, DocumentError> {
        let m: Measurements = parse_document(file, text)?;
        check_schema_version(file, &m.schema_version, SCHEMA_VERSION)?;
        let e = &m.environment;
        let p = &m.provenance;
        let required = [
            ("/package", &m.package),
            ("/environment/id", &e.id),
            ("/environment/device", &e.device),
            ("/environment/os", &e.os),
            ("/environment/browser", &e.browser),
            ("/environment/runner", &e.runner),
            ("/provenance/commit", &p.commit),
            ("/provenance/producer", &p.producer),
            ("/provenance/rustc", &p.rustc),
            ("/provenance/binaryen", &p.binaryen),
        ];
        traceable(file, &required, &m.seed_set)?;
        if e.browser_major().is_none() {
            return Err(DocumentError::rule(
                file,
                "/environment/browser",
                format!(
                    "expected the browser and its version, e.g. \"Chrome 131.0.6778.135\", found \"{}\"",
                    e.browser
                ),
            ));
        }
        if m.records.is_empty() {
            return Err(DocumentError::rule(file, "/records", "must hold at least one record"));
        }
        for (i, r) in m.records.iter().enumerate() {
            let at = |field: &str| pointer_join(&format!("/records/{i}"), field);
            if r.command.trim().is_empty() {
                return Err(DocumentError::rule(
                    file,
                    at("command"),
                    "must be the exact command line that measured it",
                ));
            }
            if r.artifact_paths.is_empty() || r.artifact_paths.iter().any(|a| a.trim().is_empty()) {
                return Err(DocumentError::rule(
                    file,
                    at("artifact_paths"),
                    "must name the artifacts the value came from",
                ));
            }
            match (r.value, &r.reason) {
                (Some(v), _) if v < 0.0 && r.unit != Unit::Percent => {
                    return Err(DocumentError::rule(
                        file,
                        at("value"),
                        format!("expected a non-negative number, found {v}"),
                    ));
                }
                (None, None) => {
                    return Err(DocumentError::rule(file, at("reason"), "a record without a value must say why"));
                }
                (_, Some(reason)) if reason.trim().is_empty() => {
                    return Err(DocumentError::rule(file, at("reason"), "must not be empty"));
                }
                _ => {}
            }
            if let Some(j) = m.records[..i].iter().position(|o| o.profile == r.profile && o.metric_id == r.metric_id) {
                return Err(DocumentError::rule(
                    file,
                    at("metric_id"),
                    format!("{} ({}) is also /records/{j}: one value per metric and profile", r.metric_id, r.profile),
                ));
            }
        }
        Ok(m)
    }

    /// The figures as the gate reads them.
    pub fn origin(&self, file: &str) -> Origin {
        let e = &self.environment;
        let environment = format!("{}: {}, {}, {} (measured elsewhere: {})", e.id, e.device, e.os, e.browser, e.runner);
        let mut browsers: Vec<BrowserRan> = Vec::new();
        for (r, browser) in self.records.iter().zip(std::iter::repeat(e.browser_major())) {
            let Some(browser) = browser else { continue };
            let ran = BrowserRan { environment: e.id.clone(), browser, metric: r.metric_id.clone() };
            if !browsers.contains(&ran) {
                browsers.push(ran);
            }
        }
        Origin {
            file: file.to_owned(),
            pointer: "/records",
            package: Some(self.package.clone()),
            commit: self.provenance.commit.clone(),
            seed_set: self.seed_set.clone(),
            figures: self
                .records
                .iter()
                .map(|r| Figure {
                    profile: r.profile.clone(),
                    metric_id: r.metric_id.clone(),
                    unit: r.unit,
                    value: r.value,
                    reason: r.reason.clone(),
                    failed: false,
                    environment: environment.clone(),
                    commands: vec![r.command.clone()],
                    artifact_paths: r.artifact_paths.clone(),
                })
                .collect(),
            browsers,
        }
    }
}

/// Several documents' figures for one baseline (`rebaseline --measurements`, one document
/// per run): all must measure one build (commit, rustc, binaryen) in one environment (its
/// id, and the same browser major). Returns the first, whose provenance the baseline takes.
pub fn agreeing(documents: &[(String, Measurements)]) -> Result<&Measurements, DocumentError> {
    let Some((first_file, first)) = documents.first() else {
        return Err(DocumentError::rule("", "", "no measurements document given"));
    };
    let facts = |m: &Measurements| {
        [
            ("/package", m.package.clone()),
            ("/seed_set", format!("{:?}", m.seed_set)),
            ("/provenance/commit", m.provenance.commit.clone()),
            ("/provenance/rustc", m.provenance.rustc.clone()),
            ("/provenance/binaryen", m.provenance.binaryen.clone()),
            ("/environment/id", m.environment.id.clone()),
            ("/environment/browser", m.environment.browser_major().unwrap_or_default()),
        ]
    };
    for (file, m) in &documents[1..] {
        for ((pointer, here), (_, there)) in facts(m).into_iter().zip(facts(first)) {
            if here != there {
                return Err(DocumentError::rule(
                    file,
                    pointer,
                    format!(
                        "\"{here}\" here, \"{there}\" in {first_file}: one baseline takes the figures of one build in \
                         one environment, with one seed set"
                    ),
                ));
            }
        }
    }
    Ok(first)
}

/// The baseline provenance of figures measured elsewhere: the build's, the device as the
/// host, and the browser per environment that a later run's browser is checked against.
pub fn baseline_provenance(m: &Measurements, policy_sha256: &str) -> BaselineProvenance {
    let e = &m.environment;
    BaselineProvenance {
        commit: m.provenance.commit.clone(),
        rustc: m.provenance.rustc.clone(),
        binaryen: m.provenance.binaryen.clone(),
        policy_sha256: policy_sha256.to_owned(),
        host: format!("{}, {} ({})", e.device, e.os, e.runner),
        // A farm's runner names its job as often as its machine: the device is the host, and
        // browser drift checks the browser.
        runner: None,
        // The measurements file does not say which wasm-bindgen built what it measured.
        wasm_bindgen: None,
        browsers: e.browser_major().map(|b| (e.id.clone(), b)).into_iter().collect(),
    }
}

/// Refuses figures that do not say where and what they measured (`fields`: pointer and
/// value) or with which seeds.
fn traceable(file: &str, fields: &[(&str, &String)], seed_set: &[u64]) -> Result<(), DocumentError> {
    if let Some((pointer, _)) = fields.iter().find(|(_, value)| value.trim().is_empty()) {
        return Err(DocumentError::rule(
            file,
            *pointer,
            "must not be empty: figures from elsewhere must say where and what they measured",
        ));
    }
    if seed_set.is_empty() {
        return Err(DocumentError::rule(file, "/seed_set", "must name the seeds the scenarios ran with"));
    }
    Ok(())
}

/// Figures from a file, ready to be judged: where they came from and what they say.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub file: String,
    /// Where the figures are in the file ("/records", or a baseline's "/metrics"), for errors.
    pub pointer: &'static str,
    /// The package measured (a baseline does not say).
    pub package: Option<String>,
    pub commit: String,
    pub seed_set: Vec<u64>,
    pub figures: Vec<Figure>,
    /// The browser behind each metric (none for a baseline read as a run).
    pub browsers: Vec<BrowserRan>,
}

/// One figure: its value (or why there is none) and where and how it was measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub profile: String,
    pub metric_id: String,
    pub unit: Unit,
    pub value: Option<f64>,
    pub reason: Option<String>,
    /// Measuring it was attempted and failed (a summary's failed record): without a value
    /// it fails, whether the metric is required or not.
    pub failed: bool,
    /// What the gated record's `environment` says.
    pub environment: String,
    pub commands: Vec<String>,
    pub artifact_paths: Vec<String>,
}

impl Origin {
    /// The browsers behind the wall-clock records, checked against the baseline's: a time
    /// measured in another browser, or a browser the baseline does not record, is not
    /// comparable. Sizes and counts do not depend on the browser.
    pub fn timing_browsers(&self, budgets: &Budgets) -> Vec<BrowserRan> {
        let timed = |b: &&BrowserRan| budgets.metric(&b.metric).is_some_and(|m| m.source.is_wall_clock());
        self.browsers.iter().filter(timed).cloned().collect()
    }

    /// A baseline read as the figures of a run (`gate --current`): its values, its
    /// provenance's commit and host.
    pub fn of_baseline(file: &str, b: &Baseline, seed_set: &[u64]) -> Origin {
        let environment = format!("baseline {file} (measured on {})", b.provenance.host);
        let figures = b
            .metrics
            .iter()
            .map(|m| Figure {
                profile: m.profile.clone(),
                metric_id: m.metric_id.clone(),
                unit: m.unit,
                value: m.value,
                reason: m.value.is_none().then(|| format!("{file} has no value for it")),
                failed: false,
                environment: environment.clone(),
                commands: vec![format!("the baseline {file}")],
                artifact_paths: vec![file.to_owned()],
            })
            .collect();
        Origin {
            file: file.to_owned(),
            pointer: "/metrics",
            package: None,
            commit: b.provenance.commit.clone(),
            seed_set: seed_set.to_vec(),
            figures,
            browsers: Vec::new(),
        }
    }

    /// A summary this tool wrote (on another runner, say) read as figures: each record's
    /// value, environment and commands, judged again against the budgets the gate reads. A
    /// record its run did not measure (a narrowed run's left-out metrics included) counts as
    /// not measured: a summary is not a whole run because it is gated elsewhere.
    pub fn of_summary(file: &str, s: &Summary) -> Origin {
        let figures = s
            .records
            .iter()
            .map(|r| {
                // The summary's reasons carry the judgement's prefix; judging again adds it.
                let reason = r.reason.as_deref().map(|why| {
                    let why = why.strip_prefix("required metric not measured: ").unwrap_or(why);
                    why.strip_prefix("not measured: ").unwrap_or(why).to_owned()
                });
                Figure {
                    profile: r.profile.clone(),
                    metric_id: r.metric_id.clone(),
                    unit: r.unit,
                    value: r.value,
                    reason,
                    failed: r.status == Status::Fail,
                    environment: r.environment.clone(),
                    commands: r.commands.clone(),
                    artifact_paths: r.artifact_paths.clone(),
                }
            })
            .collect();
        Origin {
            file: file.to_owned(),
            pointer: "/records",
            package: Some(s.package.clone()),
            commit: s.commit.clone(),
            seed_set: s.seed_set.clone(),
            figures,
            browsers: run::browsers_ran(&s.variants),
        }
    }
}

/// What `gate --measurements` reads: a measurements document, or a summary this tool wrote
/// (told apart by `schema_version`).
#[derive(Debug, Clone, PartialEq)]
pub enum Figures {
    Measurements(Measurements),
    Summary(Summary),
}

impl Figures {
    /// Parses either kind; a summary must still say what it measured (commit, rustc,
    /// binaryen, host) and with which seeds.
    pub fn parse(file: &str, text: &str) -> Result<Figures, DocumentError> {
        #[derive(Deserialize)]
        struct Versioned {
            schema_version: Option<String>,
        }
        let versioned: Versioned = parse_document(file, text)?;
        match versioned.schema_version.as_deref() {
            Some(summary::SCHEMA_VERSION) => {}
            Some(SCHEMA_VERSION) => return Measurements::parse(file, text).map(Figures::Measurements),
            found => {
                let found = found.map_or("nothing".to_owned(), |v| format!("\"{v}\""));
                return Err(DocumentError::rule(
                    file,
                    "/schema_version",
                    format!("expected \"{SCHEMA_VERSION}\" or \"{}\", found {found}", summary::SCHEMA_VERSION),
                ));
            }
        }
        let s: Summary = parse_document(file, text)?;
        let p = &s.provenance;
        let required = [
            ("/commit", &s.commit),
            ("/provenance/rustc", &p.rustc),
            ("/provenance/binaryen", &p.binaryen),
            ("/provenance/host", &p.host),
        ];
        traceable(file, &required, &s.seed_set)?;
        Ok(Figures::Summary(s))
    }
}

/// Which of the figures to gate, and which must be there.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Gate these budget profiles only; empty: every profile the figures name.
    pub profiles: Vec<String>,
    /// These metrics fail when a gated profile has no value for them (`--require-metric`).
    pub required: Vec<String>,
}

impl Selection {
    /// The command line's profiles and metrics against the budgets: what is wrong, if any.
    pub fn check(&self, budgets: &Budgets) -> Result<(), String> {
        if let Some(p) = self.profiles.iter().find(|p| !budgets.profiles.contains(p)) {
            return Err(format!("--profile {p}: the budgets have no such profile ({})", budgets.profiles.join(", ")));
        }
        if let Some(id) = self.required.iter().find(|id| budgets.metric(id).is_none()) {
            return Err(format!("--require-metric {id}: the budgets have no such metric"));
        }
        Ok(())
    }
}

impl Origin {
    /// Refuses figures of another package than `package`, measured with other seeds than the
    /// budgets', or for a profile, metric or unit the budgets do not know.
    fn check(&self, package: &str, budgets: &Budgets) -> Result<(), DocumentError> {
        let file = self.file.as_str();
        if let Some(measured) = self.package.as_deref().filter(|p| *p != package) {
            return Err(DocumentError::rule(
                file,
                "/package",
                format!("these are figures of {measured}, the gate's package is {package}"),
            ));
        }
        if !budgets.is_seed_set(&self.seed_set) {
            return Err(DocumentError::rule(
                file,
                "/seed_set",
                format!(
                    "measured with the seeds {:?}, the budgets' seed set is {:?}: figures are comparable only over the same seeds",
                    self.seed_set, budgets.seed_set
                ),
            ));
        }
        for (i, r) in self.figures.iter().enumerate() {
            let at = |field: &str| pointer_join(&format!("{}/{i}", self.pointer), field);
            if !budgets.profiles.contains(&r.profile) {
                return Err(DocumentError::rule(
                    file,
                    at("profile"),
                    format!(
                        "the budgets have no profile \"{}\" (they have {})",
                        r.profile,
                        budgets.profiles.join(", ")
                    ),
                ));
            }
            let Some(m) = budgets.metric(&r.metric_id) else {
                return Err(DocumentError::rule(
                    file,
                    at("metric_id"),
                    format!("the budgets have no metric \"{}\"", r.metric_id),
                ));
            };
            if m.unit != r.unit {
                return Err(DocumentError::rule(
                    file,
                    at("unit"),
                    format!("{} is budgeted in {}, found {}", m.id, m.unit, r.unit),
                ));
            }
        }
        Ok(())
    }
}

/// The figures judged against `budgets`, one record per (profile, metric) in policy order
/// then budgets order; a metric required by `selection` and absent fails. Refuses figures
/// of another package than `package`, measured with other seeds than the budgets', or for a
/// profile, metric or unit the budgets do not know. `selection` is [`Selection::check`]ed.
pub fn records(
    origin: &Origin,
    package: &str,
    budgets: &Budgets,
    policy: &Policy,
    selection: &Selection,
) -> Result<Vec<Record>, DocumentError> {
    origin.check(package, budgets)?;
    let file = origin.file.as_str();
    let gated = |profile: &str| {
        if selection.profiles.is_empty() {
            origin.figures.iter().any(|f| f.profile == profile)
        } else {
            selection.profiles.iter().any(|p| p == profile)
        }
    };
    let mut out = Vec::new();
    for v in policy.profiles.iter().filter(|v| gated(&v.budget_profile)) {
        if out.iter().any(|r: &Record| r.profile == v.budget_profile) {
            continue;
        }
        for m in &budgets.metrics {
            let found = origin.figures.iter().find(|f| f.profile == v.budget_profile && f.metric_id == m.id);
            let required = selection.required.contains(&m.id);
            if found.is_none() && !required {
                continue;
            }
            let measured = match found {
                Some(Figure { value: Some(value), .. }) => Measurement::Value(*value),
                Some(f) if f.failed => Measurement::Failed(f.reason.clone().unwrap_or_default()),
                Some(f) => Measurement::NotMeasured(f.reason.clone().unwrap_or_default()),
                None => Measurement::NotMeasured(format!("{file} has no record of it")),
            };
            let required = match Required::by_budgets(m) {
                Required::No if required => Required::ByCaller,
                by_budgets => by_budgets,
            };
            let judged = Record::judged(m, &v.budget_profile, v.variant, &origin.commit, measured, required);
            out.push(Record {
                environment: found.map_or_else(|| "none".to_owned(), |f| f.environment.clone()),
                seed_set: if m.source.counts_bytes() { Vec::new() } else { origin.seed_set.clone() },
                commands: found.map(|f| f.commands.clone()).unwrap_or_default(),
                artifact_paths: found.map(|f| f.artifact_paths.clone()).unwrap_or_default(),
                ..judged
            });
        }
    }
    for (i, r) in origin.figures.iter().enumerate() {
        if gated(&r.profile) && !policy.profiles.iter().any(|v| v.budget_profile == r.profile) {
            return Err(DocumentError::rule(
                file,
                pointer_join(&format!("{}/{i}", origin.pointer), "profile"),
                format!("no variant of the policy is gated by budget profile \"{}\"", r.profile),
            ));
        }
    }
    if out.is_empty() {
        return Err(DocumentError::rule(
            file,
            origin.pointer,
            "no record is in the selected profiles: nothing to gate",
        ));
    }
    Ok(out)
}

/// The baseline cut down to the (profile, metric) pairs `records` gate with a value or a
/// failure: figures from elsewhere cover some metrics of some profiles, and the rest of the
/// baseline (a skipped record's included) is not theirs to miss.
pub fn scoped_to_records(baseline: &Baseline, records: &[Record]) -> Baseline {
    let mut b = baseline.clone();
    let gated = |profile: &str, metric_id: &str| {
        records.iter().any(|r| r.status != Status::Skip && r.profile == profile && r.metric_id == metric_id)
    };
    b.metrics.retain(|m| gated(&m.profile, &m.metric_id));
    b
}

/// The baseline cut down to the profiles `records` gate: a second baseline covers whole
/// profiles, so a metric it lacks there is missing from it.
pub fn scoped_to_profiles(baseline: &Baseline, records: &[Record]) -> Baseline {
    let mut b = baseline.clone();
    b.metrics.retain(|m| records.iter().any(|r| r.profile == m.profile));
    b
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::policy::VariantKind;

    const POLICY: &str = include_str!("../../../../.github/wasm_optimization_policy.json");
    const BUDGETS: &str = include_str!("../../../../.github/wasm_perf_budgets.json");

    fn document() -> serde_json::Value {
        json!({
            "schema_version": SCHEMA_VERSION, "package": "sample-kernel",
            "environment": {"id": "mobile-android", "device": "Pixel 6a", "os": "Android 14",
                            "browser": "Chrome 131.0.6778.135", "runner": "farm job 7"},
            "provenance": {"commit": "c0ffee", "producer": "farm-harness 2.1", "rustc": "rustc 1.99.1", "binaryen": "116"},
            "seed_set": [11, 29, 42, 73, 101],
            "records": [
                {"profile": "core-min", "metric_id": "M-PERF-02B", "unit": "ms", "value": 150.0,
                 "command": "farm-run cold-init", "artifact_paths": ["release.wasm"]},
                {"profile": "core-trace", "metric_id": "M-PERF-02B", "unit": "ms", "value": null,
                 "reason": "the device rebooted", "command": "farm-run cold-init", "artifact_paths": ["canary.wasm"]}
            ]
        })
    }

    fn parse(doc: &serde_json::Value) -> Result<Measurements, DocumentError> {
        Measurements::parse("m.json", &doc.to_string())
    }

    fn gate(doc: &serde_json::Value, selection: &Selection) -> Result<Vec<Record>, DocumentError> {
        let budgets = Budgets::parse("b.json", BUDGETS).unwrap();
        let policy = Policy::parse("p.json", POLICY).unwrap();
        records(&parse(doc)?.origin("m.json"), "sample-kernel", &budgets, &policy, selection)
    }

    #[test]
    fn figures_that_do_not_say_where_and_what_they_measured_are_refused() {
        let cases: [(&str, serde_json::Value, &str); 9] = [
            ("/provenance", json!(null), "/provenance"),
            ("/provenance/rustc", json!(" "), "/provenance/rustc"),
            ("/environment/device", json!(""), "/environment/device"),
            ("/environment/browser", json!("Chrome"), "/environment/browser"),
            ("/records/1/reason", json!(" "), "/records/1/reason"),
            ("/seed_set", json!([]), "/seed_set"),
            ("/records/0/command", json!(""), "/records/0/command"),
            ("/records/0/artifact_paths", json!([]), "/records/0/artifact_paths"),
            ("/records/1/reason", json!(null), "/records/1/reason"),
        ];
        for (at, value, pointer) in cases {
            let mut doc = document();
            *doc.pointer_mut(at).unwrap() = value;
            if at == "/provenance" {
                doc.as_object_mut().unwrap().remove("provenance");
            }
            let e = parse(&doc).unwrap_err();
            let expected = if at == "/provenance" { "/" } else { pointer };
            assert_eq!(e.pointer(), expected, "{at}: {e}");
        }
        let mut twice = document();
        twice["records"][1]["profile"] = json!("core-min");
        assert_eq!(parse(&twice).unwrap_err().pointer(), "/records/1/metric_id");
        let mut negative = document();
        negative["records"][0]["value"] = json!(-1.0);
        assert_eq!(parse(&negative).unwrap_err().pointer(), "/records/0/value");
        assert!(parse(&document()).is_ok());
    }

    #[test]
    fn figures_are_judged_against_the_budgets_and_a_required_absent_metric_fails() {
        let records = gate(&document(), &Selection::default()).unwrap();
        let found: Vec<(&str, VariantKind, Option<f64>, Status)> =
            records.iter().map(|r| (r.profile.as_str(), r.variant, r.value, r.status)).collect();
        // core-min's hard budget is 160 ms; a null value of a required metric fails.
        assert_eq!(
            found,
            [
                ("core-trace", VariantKind::Canary, None, Status::Fail),
                ("core-min", VariantKind::Release, Some(150.0), Status::Pass)
            ]
        );
        assert_eq!(records[0].reason.as_deref(), Some("required metric not measured: the device rebooted"));
        assert!(records[1].environment.starts_with("mobile-android: Pixel 6a, Android 14, Chrome 131"));
        assert_eq!(
            (records[1].commands.as_slice(), records[1].seed_set.as_slice()),
            (&["farm-run cold-init".to_owned()][..], &[11, 29, 42, 73, 101][..])
        );

        let only_min = Selection { profiles: vec!["core-min".into()], required: vec!["M-SIZE-02A".into()] };
        let records = gate(&document(), &only_min).unwrap();
        let ids: Vec<(&str, Status)> = records.iter().map(|r| (r.metric_id.as_str(), r.status)).collect();
        assert_eq!(ids, [("M-SIZE-02A", Status::Fail), ("M-PERF-02B", Status::Pass)]);
        assert_eq!(
            records[0].reason.as_deref(),
            Some("required metric (--require-metric) not measured: m.json has no record of it")
        );
    }

    #[test]
    fn figures_for_what_the_budgets_do_not_know_are_refused() {
        let cases = [
            ("/records/0/profile", json!("core-max"), "/records/0/profile"),
            ("/records/0/metric_id", json!("M-NOPE"), "/records/0/metric_id"),
            ("/records/0/unit", json!("us"), "/records/0/unit"),
        ];
        for (at, value, pointer) in cases {
            let mut doc = document();
            *doc.pointer_mut(at).unwrap() = value;
            assert_eq!(gate(&doc, &Selection::default()).unwrap_err().pointer(), pointer, "{at}");
        }
        let budgets = Budgets::parse("b.json", BUDGETS).unwrap();
        let unknown = Selection { profiles: vec!["core-max".into()], required: vec![] };
        assert!(unknown.check(&budgets).unwrap_err().starts_with("--profile core-max"));
        let unknown = Selection { profiles: vec![], required: vec!["M-NOPE".into()] };
        assert!(unknown.check(&budgets).unwrap_err().starts_with("--require-metric M-NOPE"));
        let known = Selection { profiles: vec!["core-min".into()], required: vec!["M-PERF-01A".into()] };
        assert_eq!(known.check(&budgets), Ok(()));
        let mut other_seeds = document();
        other_seeds["seed_set"] = json!([11, 42]);
        assert_eq!(gate(&other_seeds, &Selection::default()).unwrap_err().pointer(), "/seed_set");
        let mut other_package = document();
        other_package["package"] = json!("word-index");
        let e = gate(&other_package, &Selection::default()).unwrap_err();
        assert_eq!(e.pointer(), "/package", "{e}");
        let elsewhere = Selection { profiles: vec!["full-dev".into()], required: vec![] };
        assert_eq!(gate(&document(), &elsewhere).unwrap_err().pointer(), "/records");
    }

    #[test]
    fn the_runs_of_one_baseline_measure_one_build_in_one_environment() {
        type Edit = fn(&mut serde_json::Value);
        let run = |edit: Edit| {
            let mut doc = document();
            edit(&mut doc);
            ("run.json".to_owned(), parse(&doc).unwrap())
        };
        let same = [run(|_| {}), run(|d| d["records"][0]["value"] = json!(151.0))];
        assert_eq!(agreeing(&same).unwrap(), &same[0].1);
        let patch = run(|d| d["environment"]["browser"] = json!("Chrome 131.0.6778.200"));
        assert!(agreeing(&[run(|_| {}), patch]).is_ok(), "a patch release is the same browser major");
        let cases: [(Edit, &str); 3] = [
            (|d| d["provenance"]["commit"] = json!("beef"), "/provenance/commit"),
            (|d| d["environment"]["id"] = json!("mobile-ios"), "/environment/id"),
            (|d| d["environment"]["browser"] = json!("Chrome 132.0.1"), "/environment/browser"),
        ];
        for (edit, pointer) in cases {
            assert_eq!(agreeing(&[run(|_| {}), run(edit)]).unwrap_err().pointer(), pointer);
        }
        assert!(agreeing(&[]).is_err());
        let provenance = baseline_provenance(&same[0].1, "p");
        assert_eq!(provenance.browsers.get("mobile-android").map(String::as_str), Some("Chrome 131"));
        assert_eq!(
            (provenance.commit.as_str(), provenance.host.as_str()),
            ("c0ffee", "Pixel 6a, Android 14 (farm job 7)")
        );
    }

    #[test]
    fn only_the_measured_browser_timings_are_checked_for_browser_drift() {
        let mut doc = document();
        doc["records"][1] = json!({"profile": "core-min", "metric_id": "M-PERF-01A", "unit": "bytes", "value": 22000,
                                   "command": "farm-run size", "artifact_paths": ["release.wasm"]});
        let budgets = Budgets::parse("b.json", BUDGETS).unwrap();
        let ran = parse(&doc).unwrap().origin("m.json").timing_browsers(&budgets);
        let expected = BrowserRan {
            environment: "mobile-android".into(),
            browser: "Chrome 131".into(),
            metric: "M-PERF-02B".into(),
        };
        assert_eq!(ran, [expected]);
    }
}
