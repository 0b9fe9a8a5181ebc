//! The optimization policy (`.github/wasm_optimization_policy.json`): how each variant of the
//! gated package is built and optimized, and its validation. It is the single source of
//! truth: the build plan (`plan.rs`) the driver runs is derived from it alone.
//!
//! # Format
//! ```json
//! { "schema_version": "wasm-optimization-policy-v1",
//!   "package": "sample-kernel", "target": "wasm32-unknown-unknown",
//!   "required_features": [], "forbidden_features": ["host-diagnostics"],
//!   "benchmark_features": ["exports"],
//!   "wasm_bindgen": { "target": "web" },
//!   "profiles": [
//!     { "id": "wasm-browser-release", "variant": "release", "budget_profile": "core-min",
//!       "cargo": { "opt_level": "z", "lto": "fat", "codegen_units": 1, "debug": "none",
//!                  "panic": "abort", "strip": "none", "features": [], "rustflags": [] },
//!       "wasm_opt": { "enabled": true, "optimize_level": 4, "shrink_level": 2,
//!                     "passes": ["strip-debug"], "features": ["bulk-memory", ...] },
//!       "artifact_dir": "artifacts/wasm/release" } ] }
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::document::{DocumentError, check_schema_version, parse_document};
use crate::self_test::{self, SelfTestCase, SelfTestResult};

pub const SCHEMA_VERSION: &str = "wasm-optimization-policy-v1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub schema_version: String,
    #[serde(default)]
    pub description: String,
    /// The cargo package (a cdylib) whose wasm is gated.
    pub package: String,
    pub target: String,
    /// Features every variant must enable.
    pub required_features: Vec<String>,
    /// Features no variant may enable.
    pub forbidden_features: Vec<String>,
    /// Features added to a variant's features for its benchmark build, on which the runtime
    /// scenarios run (scenario exports, a counting allocator). The production build, whose
    /// sizes are gated, never has them. Empty: the production build is also the benchmark
    /// build.
    #[serde(default)]
    pub benchmark_features: Vec<String>,
    /// For a package built with wasm-bindgen: how its glue is generated (after cargo, before
    /// wasm-opt). Required exactly when the package depends on `wasm-bindgen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasm_bindgen: Option<WasmBindgen>,
    pub profiles: Vec<Variant>,
}

/// wasm-bindgen's settings: what `wasm-bindgen --target <target>` would be given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WasmBindgen {
    pub target: BindgenTarget,
}

/// The glue's module format. Only `web` (an ES module a page imports directly): the other
/// targets need a bundler or Node.js, which a browser measurement does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BindgenTarget {
    #[serde(rename = "web")]
    Web,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub id: String,
    pub variant: VariantKind,
    pub budget_profile: String,
    #[serde(default)]
    pub intent: String,
    pub cargo: CargoSettings,
    pub wasm_opt: WasmOptSettings,
    /// Where the pre- and post-wasm-opt artifacts of this variant are kept.
    pub artifact_dir: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VariantKind {
    Dev,
    Canary,
    Release,
}

impl VariantKind {
    pub const ALL: [VariantKind; 3] = [VariantKind::Dev, VariantKind::Canary, VariantKind::Release];

    pub fn as_str(self) -> &'static str {
        match self {
            VariantKind::Dev => "dev",
            VariantKind::Canary => "canary",
            VariantKind::Release => "release",
        }
    }

    /// The budget profile each variant is gated against (seed §8.1).
    pub fn budget_profile(self) -> &'static str {
        match self {
            VariantKind::Dev => "full-dev",
            VariantKind::Canary => "core-trace",
            VariantKind::Release => "core-min",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CargoSettings {
    pub opt_level: OptLevel,
    pub lto: Lto,
    pub codegen_units: u32,
    pub debug: DebugInfo,
    pub panic: Panic,
    pub strip: Strip,
    pub features: Vec<String>,
    /// Extra rustc flags, each one argument: `-Cname[=value]` codegen flags (not the settings
    /// above), `--cfg=name[="value"]` and `--check-cfg=cfg(...)`.
    #[serde(default)]
    pub rustflags: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OptLevel {
    #[serde(rename = "0")]
    O0,
    #[serde(rename = "1")]
    O1,
    #[serde(rename = "2")]
    O2,
    #[serde(rename = "3")]
    O3,
    #[serde(rename = "s")]
    S,
    #[serde(rename = "z")]
    Z,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lto {
    Off,
    Thin,
    Fat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DebugInfo {
    None,
    LineTablesOnly,
    Limited,
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Panic {
    Abort,
    Unwind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strip {
    None,
    Debuginfo,
    Symbols,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WasmOptSettings {
    pub enabled: bool,
    /// 0–4, as `-O0`…`-O4`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimize_level: Option<u8>,
    /// 0–2; with optimize level 2, shrink 1 is `-Os` and shrink 2 is `-Oz`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrink_level: Option<u8>,
    /// Binaryen passes run after the default pipeline, by their command-line names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passes: Option<Vec<String>>,
    /// Wasm features enabled on top of binaryen's default set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
}

/// What validation checks the policy against, gathered by the driver.
#[derive(Debug, Clone, Default)]
pub struct PolicyContext {
    /// The package being built: the policy's, or the one named with `--package`.
    pub package: String,
    /// The `[features]` table of the package being built: each feature and what it enables.
    pub package_features: BTreeMap<String, Vec<String>>,
    /// The package's dependency names, for `dep/feature` entries.
    pub package_dependencies: BTreeSet<String>,
    /// The budget profiles the budgets file declares.
    pub budget_profiles: BTreeSet<String>,
    /// Pass names binaryen knows.
    pub known_passes: BTreeSet<String>,
    /// Wasm feature names binaryen knows.
    pub known_wasm_features: BTreeSet<String>,
    /// The package's locked `wasm-bindgen` version (cargo's resolve), when it depends on it.
    pub locked_wasm_bindgen: Option<String>,
    /// The wasm-bindgen version the driver runs.
    pub tool_wasm_bindgen: String,
}

/// Codegen options that the `cargo` settings own; repeating them in `rustflags` is refused.
const OWNED_CODEGEN_FLAGS: [&str; 6] = ["opt-level", "lto", "codegen-units", "debuginfo", "panic", "strip"];

impl Policy {
    /// Parses the policy without checking it against a package or binaryen.
    pub fn parse(file: &str, text: &str) -> Result<Policy, DocumentError> {
        parse_document(file, text)
    }

    pub fn variant(&self, kind: VariantKind) -> Option<&Variant> {
        self.profiles.iter().find(|v| v.variant == kind)
    }

    /// Checks every rule of the policy; the first broken one is returned.
    pub fn validate(&self, file: &str, cx: &PolicyContext) -> Result<(), DocumentError> {
        let rule = |pointer: String, message: String| Err(DocumentError::rule(file, pointer, message));
        check_schema_version(file, &self.schema_version, SCHEMA_VERSION)?;
        if self.package.trim().is_empty() {
            return rule("/package".into(), "expected a package name".into());
        }
        if !self.target.starts_with("wasm32-") && !self.target.starts_with("wasm64-") {
            return rule(
                "/target".into(),
                format!("expected a wasm target such as wasm32-unknown-unknown, found \"{}\"", self.target),
            );
        }
        for (key, list) in
            [("required_features", &self.required_features), ("forbidden_features", &self.forbidden_features)]
        {
            for (i, f) in list.iter().enumerate() {
                if let Some(message) = cx.unknown_feature(f) {
                    return rule(format!("/{key}/{i}"), message);
                }
            }
        }
        if let Some(message) = self.wasm_bindgen_problem(cx) {
            return rule("/wasm_bindgen".into(), message);
        }
        let forbidden = |f: &str, chain: &[String]| {
            let x = chain.last().map_or(f, String::as_str);
            format!("benchmark feature \"{f}\" enables \"{x}\", which is forbidden in every variant")
        };
        if let Some((i, message)) = self.feature_list_problem(&self.benchmark_features, cx, forbidden) {
            return rule(format!("/benchmark_features/{i}"), message);
        }
        for (i, f) in self.required_features.iter().enumerate() {
            if self.forbidden_features.contains(f) {
                return rule(
                    format!("/required_features/{i}"),
                    format!("feature \"{f}\" is both required and forbidden"),
                );
            }
        }
        for kind in VariantKind::ALL {
            let n = self.profiles.iter().filter(|v| v.variant == kind).count();
            if n != 1 {
                let at = if n == 0 { "/profiles".to_owned() } else { self.pointer_of_second(kind) };
                return rule(at, format!("expected exactly one \"{}\" variant, found {n}", kind.as_str()));
            }
        }
        let mut ids = BTreeSet::new();
        let mut dirs = BTreeSet::new();
        for (i, v) in self.profiles.iter().enumerate() {
            let at = format!("/profiles/{i}");
            if v.id.trim().is_empty() || !ids.insert(v.id.as_str()) {
                return rule(format!("{at}/id"), format!("expected a unique, non-empty id, found \"{}\"", v.id));
            }
            let expected = v.variant.budget_profile();
            if v.budget_profile != expected {
                return rule(
                    format!("{at}/budget_profile"),
                    format!(
                        "the {} variant is gated as \"{expected}\", found \"{}\"",
                        v.variant.as_str(),
                        v.budget_profile
                    ),
                );
            }
            if !cx.budget_profiles.contains(&v.budget_profile) {
                return rule(
                    format!("{at}/budget_profile"),
                    format!("budget profile \"{}\" is not declared in the budgets file", v.budget_profile),
                );
            }
            self.validate_cargo(file, &at, &v.cargo, cx)?;
            validate_wasm_opt(file, &at, v, cx)?;
            let Some(dir) = normalized_relative(&v.artifact_dir) else {
                return rule(
                    format!("{at}/artifact_dir"),
                    format!("expected a relative path inside the workspace, found \"{}\"", v.artifact_dir),
                );
            };
            if !dirs.insert(dir) {
                return rule(
                    format!("{at}/artifact_dir"),
                    format!("artifact directory \"{}\" is used by another variant", v.artifact_dir),
                );
            }
        }
        Ok(())
    }

    /// Why the `wasm_bindgen` key does not fit the package: present for a package without
    /// the dependency, missing for one with it, or the crate's locked version is not the
    /// tool's (the module's schema and the glue are bound to one version).
    fn wasm_bindgen_problem(&self, cx: &PolicyContext) -> Option<String> {
        let package = &cx.package;
        let depends = cx.package_dependencies.contains("wasm-bindgen");
        match (&self.wasm_bindgen, depends) {
            (Some(_), false) => Some(format!(
                "package {package} does not depend on wasm-bindgen: remove \"wasm_bindgen\", or gate a package that \
                 uses it"
            )),
            (None, true) => Some(format!(
                "package {package} depends on wasm-bindgen, so what ships is wasm-bindgen's module and its JS glue: \
                 add \"wasm_bindgen\": {{\"target\": \"web\"}}"
            )),
            (Some(_), true) => {
                let tool = &cx.tool_wasm_bindgen;
                match &cx.locked_wasm_bindgen {
                    Some(locked) if locked == tool => None,
                    Some(locked) => Some(format!(
                        "package {package} locks wasm-bindgen {locked}, but this tool runs wasm-bindgen {tool} (the \
                         module's schema and the glue must be of one version): run `cargo update -p wasm-bindgen \
                         --precise {tool}`"
                    )),
                    None => Some(format!("cannot find the wasm-bindgen version package {package} locks")),
                }
            }
            (None, false) => None,
        }
    }

    /// The first entry of a feature list that the package lacks, that is listed twice, or that
    /// enables a forbidden feature (`forbidden` words that one from the entry and its chain),
    /// with its index and why.
    fn feature_list_problem(
        &self,
        list: &[String],
        cx: &PolicyContext,
        forbidden: impl Fn(&str, &[String]) -> String,
    ) -> Option<(usize, String)> {
        let mut seen = BTreeSet::new();
        for (i, f) in list.iter().enumerate() {
            if let Some(message) = cx.unknown_feature(f) {
                return Some((i, message));
            }
            if !seen.insert(f) {
                return Some((i, format!("feature \"{f}\" is listed twice")));
            }
            if let Some(chain) = self.forbidden_features.iter().find_map(|x| cx.enabling_chain(f, x)) {
                return Some((i, forbidden(f, &chain)));
            }
        }
        None
    }

    fn pointer_of_second(&self, kind: VariantKind) -> String {
        let i = self.profiles.iter().enumerate().filter(|(_, v)| v.variant == kind).nth(1).map_or(0, |(i, _)| i);
        format!("/profiles/{i}/variant")
    }

    fn validate_cargo(&self, file: &str, at: &str, c: &CargoSettings, cx: &PolicyContext) -> Result<(), DocumentError> {
        let rule = |pointer: String, message: String| Err(DocumentError::rule(file, pointer, message));
        if c.codegen_units == 0 {
            return rule(format!("{at}/cargo/codegen_units"), "expected at least 1".into());
        }
        let forbidden = |f: &str, chain: &[String]| match chain.split_last() {
            Some((forbidden, [_, ..])) => format!(
                "feature \"{f}\" enables \"{forbidden}\" (through {}), which is forbidden in every variant",
                chain.join(" -> ")
            ),
            _ => format!("feature \"{f}\" is forbidden in every variant"),
        };
        if let Some((j, message)) = self.feature_list_problem(&c.features, cx, forbidden) {
            return rule(format!("{at}/cargo/features/{j}"), message);
        }
        for f in &self.required_features {
            if !c.features.iter().any(|g| cx.enabling_chain(g, f).is_some()) {
                return rule(format!("{at}/cargo/features"), format!("required feature \"{f}\" is not enabled"));
            }
        }
        for (j, f) in c.features.iter().enumerate() {
            if let Some(b) = self.benchmark_features.iter().find(|b| cx.enabling_chain(f, b).is_some()) {
                return rule(
                    format!("{at}/cargo/features/{j}"),
                    format!(
                        "\"{f}\" enables the benchmark feature \"{b}\": the production build, whose sizes are gated, \
                         must not have it (the benchmark build adds it)"
                    ),
                );
            }
        }
        for (j, flag) in c.rustflags.iter().enumerate() {
            if let Some(message) = rustflag_problem(flag) {
                return rule(format!("{at}/cargo/rustflags/{j}"), message);
            }
        }
        Ok(())
    }
}

/// Why a `rustflags` entry is refused, or `None` for one the policy may carry. Each entry is
/// one rustc argument (they are passed through `CARGO_ENCODED_RUSTFLAGS`), so an option and
/// its value are written together.
fn rustflag_problem(flag: &str) -> Option<String> {
    let expected = "expected one of -Cname[=value], --cfg=name[=\"value\"] or --check-cfg=cfg(...)";
    if let Some(option) = flag.strip_prefix("-C").filter(|o| !o.is_empty()) {
        // rustc reads `-Copt_level` as `-Copt-level`.
        let name = option.split('=').next().unwrap_or(option).replace('_', "-");
        return OWNED_CODEGEN_FLAGS
            .contains(&name.as_str())
            .then(|| format!("-C{name} is set by the cargo settings of this variant, not by rustflags"));
    }
    if let Some(spec) = flag.strip_prefix("--cfg=") {
        let name = spec.split('=').next().unwrap_or(spec);
        if name == "feature" {
            return Some(format!(
                "\"{flag}\" would enable a feature behind the policy's feature rules: list it in this variant's features"
            ));
        }
        if BUILTIN_CFGS.contains(&name) || name.starts_with("target_") {
            return Some(format!(
                "\"{flag}\" sets {name}, which rustc itself sets: the build would not be the one the policy describes"
            ));
        }
        return (!is_cfg_spec(spec)).then(|| {
            format!("expected --cfg=name or --cfg=name=\"value\" (a Rust identifier, a quoted value), found \"{flag}\"")
        });
    }
    if let Some(spec) = flag.strip_prefix("--check-cfg=") {
        return (!(spec.starts_with("cfg(") && spec.ends_with(')')))
            .then(|| format!("expected --check-cfg=cfg(...), found \"{flag}\""));
    }
    if flag == "--cfg" || flag == "--check-cfg" {
        return Some(format!("{expected}: write the option and its value as one entry, found \"{flag}\" alone"));
    }
    Some(format!("{expected}, found \"{flag}\""))
}

/// Configuration names rustc sets itself (besides `target_*`), which a `--cfg` may not fake.
const BUILTIN_CFGS: [&str; 12] = [
    "debug_assertions",
    "doc",
    "doctest",
    "miri",
    "overflow_checks",
    "panic",
    "proc_macro",
    "relocation_model",
    "sanitize",
    "test",
    "ub_checks",
    "unix",
];

/// `name` or `name="value"`, as rustc's `--cfg` takes it.
fn is_cfg_spec(spec: &str) -> bool {
    let (name, value) = match spec.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (spec, None),
    };
    let mut chars = name.chars();
    let identifier = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    let quoted = value.is_none_or(|v| {
        v.len() >= 2 && v.starts_with('"') && v.ends_with('"') && !v[1..v.len() - 1].contains(['"', '\\'])
    });
    identifier && quoted
}

fn validate_wasm_opt(file: &str, at: &str, v: &Variant, cx: &PolicyContext) -> Result<(), DocumentError> {
    let rule = |pointer: String, message: String| Err(DocumentError::rule(file, pointer, message));
    let w = &v.wasm_opt;
    let wp = format!("{at}/wasm_opt");
    if !w.enabled {
        if v.variant != VariantKind::Dev {
            return rule(
                format!("{wp}/enabled"),
                format!("the {} variant ships, so it must run wasm-opt", v.variant.as_str()),
            );
        }
        let given = [
            ("optimize_level", w.optimize_level.is_some()),
            ("shrink_level", w.shrink_level.is_some()),
            ("passes", w.passes.is_some()),
            ("features", w.features.is_some()),
        ];
        if let Some((key, _)) = given.iter().find(|(_, set)| *set) {
            return rule(
                format!("{wp}/{key}"),
                "wasm-opt is disabled for this variant; remove this setting or enable wasm-opt".into(),
            );
        }
        return Ok(());
    }
    match w.optimize_level {
        None => return rule(wp, "missing field `optimize_level` (0-4)".into()),
        Some(n) if n > 4 => return rule(format!("{wp}/optimize_level"), format!("expected 0-4, found {n}")),
        Some(_) => {}
    }
    match w.shrink_level {
        None => return rule(wp, "missing field `shrink_level` (0-2)".into()),
        Some(n) if n > 2 => return rule(format!("{wp}/shrink_level"), format!("expected 0-2, found {n}")),
        Some(_) => {}
    }
    for (j, p) in w.passes.iter().flatten().enumerate() {
        if !cx.known_passes.contains(p) {
            return rule(format!("{wp}/passes/{j}"), format!("binaryen knows no pass named \"{p}\""));
        }
    }
    let Some(features) = &w.features else {
        return rule(wp, "missing field `features` (the wasm features rustc emits, e.g. bulk-memory, sign-ext)".into());
    };
    for (j, f) in features.iter().enumerate() {
        if !cx.known_wasm_features.contains(f) {
            return rule(format!("{wp}/features/{j}"), format!("binaryen knows no wasm feature named \"{f}\""));
        }
    }
    Ok(())
}

impl PolicyContext {
    fn unknown_feature(&self, feature: &str) -> Option<String> {
        let package = &self.package;
        match feature.split_once('/') {
            Some((dep, _)) => {
                let dep = dep.trim_end_matches('?');
                (!self.package_dependencies.contains(dep))
                    .then(|| format!("\"{dep}\" in \"{feature}\" is not a dependency of package {package}"))
            }
            None => (!self.package_features.contains_key(feature)).then(|| {
                let known: Vec<&str> = self.package_features.keys().map(String::as_str).collect();
                format!("package {package} has no feature \"{feature}\" (it has: {})", known.join(", "))
            }),
        }
    }

    /// The chain of `[features]` entries by which enabling `from` enables `target` (`[from]`
    /// when they are the same), or `None` when it does not. `dep:x` entries enable no feature;
    /// `x/y` also enables the package's own feature `x` (the optional dependency), `x?/y`
    /// does not.
    pub fn enabling_chain(&self, from: &str, target: &str) -> Option<Vec<String>> {
        let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([from]);
        let mut seen = BTreeSet::from([from]);
        while let Some(feature) = queue.pop_front() {
            if feature == target {
                let mut chain = vec![feature.to_owned()];
                let mut at = feature;
                while let Some(prev) = came_from.get(at) {
                    chain.push((*prev).to_owned());
                    at = prev;
                }
                chain.reverse();
                return Some(chain);
            }
            for enabled in self.package_features.get(feature).into_iter().flatten() {
                let mut next = vec![enabled.as_str()];
                if let Some((dep, _)) = enabled.split_once('/').filter(|(dep, _)| !dep.ends_with('?')) {
                    next.push(dep);
                }
                for n in next {
                    if !n.starts_with("dep:") && seen.insert(n) {
                        came_from.insert(n, feature);
                        queue.push_back(n);
                    }
                }
            }
        }
        None
    }
}

/// A relative path with no `..`, `.` or empty segments, without a trailing slash.
fn normalized_relative(path: &str) -> Option<String> {
    if path.is_empty() || path.starts_with('/') || path.contains('\\') {
        return None;
    }
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    if parts.iter().any(|p| p.is_empty() || *p == "." || *p == "..") {
        return None;
    }
    Some(parts.join("/"))
}

/// Runs every built-in broken policy, derived from `valid` (a policy document that passes),
/// through [`Policy::validate`] with `cx`.
pub fn run_self_test(file: &str, valid: &serde_json::Value, cx: &PolicyContext) -> Vec<SelfTestResult> {
    self_test::run(valid, self_test_cases(), |text| Policy::parse(file, text)?.validate(file, cx))
}

/// Built-in broken policies for `policy check --self-test`.
/// Index of the first profile of variant `kind` in a policy document (0 when there is none).
fn profile_index(v: &serde_json::Value, kind: &str) -> usize {
    let profiles = v["profiles"].as_array().map(Vec::as_slice).unwrap_or_default();
    profiles.iter().position(|p| p["variant"] == kind).unwrap_or(0)
}

fn array_len(v: &serde_json::Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

pub fn self_test_cases() -> Vec<SelfTestCase> {
    use serde_json::json;
    vec![
        SelfTestCase {
            name: "unknown top-level key",
            not_applicable: self_test::always,
            expected_pointer: |_| "/colour".into(),
            edit: |v| v["colour"] = json!("red"),
        },
        SelfTestCase {
            name: "unknown cargo setting",
            not_applicable: self_test::always,
            expected_pointer: |_| "/profiles/0/cargo/incremental".into(),
            edit: |v| v["profiles"][0]["cargo"]["incremental"] = json!(true),
        },
        SelfTestCase {
            name: "release variant missing",
            not_applicable: self_test::always,
            expected_pointer: |_| "/profiles".into(),
            edit: |v| {
                let i = profile_index(v, "release");
                if let Some(a) = v["profiles"].as_array_mut() {
                    a.remove(i);
                }
            },
        },
        SelfTestCase {
            name: "canary variant twice",
            not_applicable: self_test::always,
            expected_pointer: |v| format!("/profiles/{}/variant", array_len(&v["profiles"])),
            edit: |v| {
                let mut twin = v["profiles"][profile_index(v, "canary")].clone();
                twin["id"] = json!("second-canary");
                twin["artifact_dir"] = json!("artifacts/wasm/second-canary");
                if let Some(a) = v["profiles"].as_array_mut() {
                    a.push(twin);
                }
            },
        },
        SelfTestCase {
            name: "release gated as full-dev",
            not_applicable: self_test::always,
            expected_pointer: |v| format!("/profiles/{}/budget_profile", profile_index(v, "release")),
            edit: |v| {
                let i = profile_index(v, "release");
                v["profiles"][i]["budget_profile"] = json!("full-dev");
            },
        },
        SelfTestCase {
            name: "forbidden feature enabled",
            not_applicable: self_test::always,
            expected_pointer: |v| {
                format!("/profiles/0/cargo/features/{}", array_len(&v["profiles"][0]["cargo"]["features"]))
            },
            edit: |v| {
                let forbidden = v["forbidden_features"][0].clone();
                if let Some(a) = v["profiles"][0]["cargo"]["features"].as_array_mut() {
                    a.push(forbidden);
                }
            },
        },
        SelfTestCase {
            name: "required feature disabled",
            not_applicable: self_test::always,
            expected_pointer: |_| "/profiles/0/cargo/features".into(),
            edit: |v| {
                let canary = profile_index(v, "canary");
                v["required_features"] = json!([v["profiles"][canary]["cargo"]["features"][0].clone()]);
                v["profiles"][0]["cargo"]["features"] = json!([]);
            },
        },
        SelfTestCase {
            name: "benchmark feature in a production build",
            not_applicable: self_test::always,
            expected_pointer: |v| {
                let i = profile_index(v, "release");
                format!("/profiles/{i}/cargo/features/{}", array_len(&v["profiles"][i]["cargo"]["features"]))
            },
            edit: |v| {
                let i = profile_index(v, "release");
                let bench = v["benchmark_features"][0].clone();
                if let Some(a) = v["profiles"][i]["cargo"]["features"].as_array_mut() {
                    a.push(bench);
                }
            },
        },
        SelfTestCase {
            name: "feature the package does not have",
            not_applicable: self_test::always,
            expected_pointer: |v| {
                format!("/profiles/0/cargo/features/{}", array_len(&v["profiles"][0]["cargo"]["features"]))
            },
            edit: |v| {
                if let Some(a) = v["profiles"][0]["cargo"]["features"].as_array_mut() {
                    a.push(json!("no-such-feature"));
                }
            },
        },
        SelfTestCase {
            name: "rustflag rustc is not given by the policy",
            not_applicable: self_test::always,
            expected_pointer: |_| "/profiles/0/cargo/rustflags/0".into(),
            edit: |v| v["profiles"][0]["cargo"]["rustflags"] = json!(["-Zbuild-std"]),
        },
        SelfTestCase {
            name: "--cfg that enables a feature behind the feature rules",
            not_applicable: self_test::always,
            expected_pointer: |_| "/profiles/0/cargo/rustflags/0".into(),
            edit: |v| v["profiles"][0]["cargo"]["rustflags"] = json!(["--cfg=feature=\"host-diagnostics\""]),
        },
        SelfTestCase {
            name: "--cfg whose value is not quoted",
            not_applicable: self_test::always,
            expected_pointer: |_| "/profiles/0/cargo/rustflags/1".into(),
            edit: |v| {
                v["profiles"][0]["cargo"]["rustflags"] =
                    json!(["--cfg=web_sys_unstable_apis", "--cfg=getrandom_backend=wasm_js"])
            },
        },
        SelfTestCase {
            name: "rustflag repeating a cargo setting",
            not_applicable: self_test::always,
            expected_pointer: |_| "/profiles/0/cargo/rustflags/0".into(),
            edit: |v| v["profiles"][0]["cargo"]["rustflags"] = json!(["-Copt-level=3"]),
        },
        SelfTestCase {
            name: "rustflag repeating a cargo setting spelled with underscores",
            not_applicable: self_test::always,
            expected_pointer: |_| "/profiles/0/cargo/rustflags/1".into(),
            edit: |v| v["profiles"][0]["cargo"]["rustflags"] = json!(["-Ctarget-cpu=mvp", "-Copt_level=0"]),
        },
        SelfTestCase {
            name: "unknown wasm-opt pass",
            not_applicable: self_test::always,
            expected_pointer: |v| format!("/profiles/{}/wasm_opt/passes/0", profile_index(v, "release")),
            edit: |v| {
                let i = profile_index(v, "release");
                v["profiles"][i]["wasm_opt"]["passes"] = json!(["make-it-small"]);
            },
        },
        SelfTestCase {
            name: "release without wasm-opt",
            not_applicable: self_test::always,
            expected_pointer: |v| format!("/profiles/{}/wasm_opt/enabled", profile_index(v, "release")),
            edit: |v| {
                let i = profile_index(v, "release");
                v["profiles"][i]["wasm_opt"] = json!({"enabled": false});
            },
        },
        SelfTestCase {
            name: "shared artifact directory",
            not_applicable: self_test::always,
            expected_pointer: |v| format!("/profiles/{}/artifact_dir", profile_index(v, "release").max(1)),
            edit: |v| {
                let dir = v["profiles"][0]["artifact_dir"].clone();
                let i = profile_index(v, "release").max(1);
                v["profiles"][i]["artifact_dir"] = dir;
            },
        },
        SelfTestCase {
            name: "string where a number belongs",
            not_applicable: self_test::always,
            expected_pointer: |_| "/profiles/1/cargo/codegen_units".into(),
            edit: |v| v["profiles"][1]["cargo"]["codegen_units"] = json!("1"),
        },
    ]
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const VALID: &str = r#"{
      "schema_version": "wasm-optimization-policy-v1",
      "package": "sample-kernel",
      "target": "wasm32-unknown-unknown",
      "required_features": [],
      "forbidden_features": ["host-diagnostics"],
      "benchmark_features": ["exports"],
      "profiles": [
        {"id": "dev", "variant": "dev", "budget_profile": "full-dev",
         "cargo": {"opt_level": "1", "lto": "off", "codegen_units": 16, "debug": "full", "panic": "abort", "strip": "none", "features": ["trace"]},
         "wasm_opt": {"enabled": false}, "artifact_dir": "artifacts/wasm/dev"},
        {"id": "canary", "variant": "canary", "budget_profile": "core-trace",
         "cargo": {"opt_level": "s", "lto": "thin", "codegen_units": 1, "debug": "line-tables-only", "panic": "abort", "strip": "none", "features": ["trace"]},
         "wasm_opt": {"enabled": true, "optimize_level": 2, "shrink_level": 1, "passes": ["strip-dwarf"], "features": ["bulk-memory"]},
         "artifact_dir": "artifacts/wasm/canary"},
        {"id": "release", "variant": "release", "budget_profile": "core-min",
         "cargo": {"opt_level": "z", "lto": "fat", "codegen_units": 1, "debug": "none", "panic": "abort", "strip": "none", "features": [], "rustflags": ["-Ctarget-cpu=mvp"]},
         "wasm_opt": {"enabled": true, "optimize_level": 4, "shrink_level": 2, "passes": ["strip-debug"], "features": ["bulk-memory"]},
         "artifact_dir": "artifacts/wasm/release"}
      ]
    }"#;

    fn cx() -> PolicyContext {
        let set = |xs: &[&str]| xs.iter().map(|s| (*s).to_owned()).collect();
        PolicyContext {
            package: "sample-kernel".into(),
            package_features: [
                ("exports", &[][..]),
                ("trace", &[]),
                ("host-diagnostics", &[]),
                ("diagnostics", &["trace", "host-diagnostics"]),
                ("web", &["dep:js-sys", "log/std"]),
                ("log", &["dep:log"]),
            ]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
            .collect(),
            package_dependencies: set(&["js-sys", "log"]),
            budget_profiles: set(&["full-dev", "core-trace", "core-min"]),
            known_passes: set(&["strip-dwarf", "strip-debug", "vacuum"]),
            known_wasm_features: set(&["bulk-memory", "sign-ext"]),
            locked_wasm_bindgen: None,
            tool_wasm_bindgen: "0.2.130".into(),
        }
    }

    fn check(text: &str) -> Result<Policy, DocumentError> {
        let p = Policy::parse("policy.json", text)?;
        p.validate("policy.json", &cx())?;
        Ok(p)
    }

    #[test]
    fn the_valid_policy_passes() {
        check(VALID).unwrap();
    }

    #[test]
    fn wasm_bindgen_is_declared_exactly_for_a_package_using_it_at_the_tools_version() {
        // (the policy has the key, the package depends on wasm-bindgen, its locked version, the error)
        let cases: [(bool, bool, Option<&str>, Option<&str>); 6] = [
            (false, false, None, None),
            (true, true, Some("0.2.130"), None),
            (true, false, None, Some("does not depend on wasm-bindgen: remove \"wasm_bindgen\"")),
            (false, true, Some("0.2.130"), Some("add \"wasm_bindgen\": {\"target\": \"web\"}")),
            (
                true,
                true,
                Some("0.2.100"),
                Some(
                    "package sample-kernel locks wasm-bindgen 0.2.100, but this tool runs wasm-bindgen 0.2.130 (the \
                     module's schema and the glue must be of one version): run `cargo update -p wasm-bindgen \
                     --precise 0.2.130`",
                ),
            ),
            (true, true, None, Some("cannot find the wasm-bindgen version")),
        ];
        for (key, depends, locked, expected) in cases {
            let mut v: serde_json::Value = serde_json::from_str(VALID).unwrap();
            if key {
                v["wasm_bindgen"] = serde_json::json!({"target": "web"});
            }
            let mut cx = cx();
            if depends {
                cx.package_dependencies.insert("wasm-bindgen".into());
            }
            cx.locked_wasm_bindgen = locked.map(str::to_owned);
            let got = Policy::parse("policy.json", &v.to_string()).unwrap().validate("policy.json", &cx);
            match (got, expected) {
                (Ok(()), None) => {}
                (Err(e), Some(want)) => {
                    let e = e.to_string();
                    assert!(e.starts_with("policy.json: /wasm_bindgen: ") && e.contains(want), "{e}");
                }
                (got, want) => panic!("{depends} {locked:?}: got {got:?}, expected {want:?}"),
            }
        }
        let mut v: serde_json::Value = serde_json::from_str(VALID).unwrap();
        v["wasm_bindgen"] = serde_json::json!({"target": "bundler"});
        let e = Policy::parse("policy.json", &v.to_string()).unwrap_err().to_string();
        assert!(e.contains("/wasm_bindgen/target") && e.contains("web"), "{e}");
    }

    #[test]
    fn every_self_test_case_is_rejected_at_its_pointer() {
        let valid: serde_json::Value = serde_json::from_str(VALID).unwrap();
        let results = run_self_test("policy.json", &valid, &cx());
        assert_eq!(results.len(), self_test_cases().len());
        for r in results {
            assert!(r.ok, "{}: {}", r.name, r.message);
        }
    }

    #[test]
    fn a_validator_that_accepts_everything_fails_the_self_test() {
        // With binaryen knowing every pass and the package every feature, the cases that
        // depend on those facts must be reported as accepted, not silently pass.
        let valid: serde_json::Value = serde_json::from_str(VALID).unwrap();
        let mut lax = cx();
        lax.known_passes.insert("make-it-small".into());
        lax.package_features.insert("no-such-feature".into(), vec![]);
        let failed: Vec<String> =
            run_self_test("policy.json", &valid, &lax).into_iter().filter(|r| !r.ok).map(|r| r.name).collect();
        assert_eq!(failed, ["feature the package does not have", "unknown wasm-opt pass"]);
    }

    #[test]
    fn messages_say_what_was_expected() {
        type Edit = fn(&mut serde_json::Value);
        let cases: [(Edit, &str); 4] = [
            (
                |v| v["profiles"][2]["wasm_opt"]["passes"] = serde_json::json!(["vacuum", "shrinkify"]),
                "policy.json: /profiles/2/wasm_opt/passes/1: binaryen knows no pass named \"shrinkify\"",
            ),
            (
                |v| v["profiles"][1]["cargo"]["features"] = serde_json::json!(["trace", "tracing"]),
                "policy.json: /profiles/1/cargo/features/1: package sample-kernel has no feature \"tracing\" (it has: diagnostics, exports, host-diagnostics, log, trace, web)",
            ),
            (
                |v| v["profiles"][0]["wasm_opt"]["shrink_level"] = serde_json::json!(1),
                "policy.json: /profiles/0/wasm_opt/shrink_level: wasm-opt is disabled for this variant; remove this setting or enable wasm-opt",
            ),
            (
                |v| v["profiles"][1]["wasm_opt"]["optimize_level"] = serde_json::json!(5),
                "policy.json: /profiles/1/wasm_opt/optimize_level: expected 0-4, found 5",
            ),
        ];
        for (edit, expected) in cases {
            let mut v: serde_json::Value = serde_json::from_str(VALID).unwrap();
            edit(&mut v);
            assert_eq!(check(&v.to_string()).unwrap_err().to_string(), expected);
        }
    }

    #[test]
    fn rustflags_are_checked_one_argument_at_a_time() {
        let cases: [(&str, Option<&str>); 15] = [
            ("-Ctarget-cpu=mvp", None),
            ("-Ctarget-feature=+simd128", None),
            ("--cfg=web_sys_unstable_apis", None),
            ("--cfg=getrandom_backend=\"wasm_js\"", None),
            ("--check-cfg=cfg(getrandom_backend, values(\"wasm_js\"))", None),
            ("-Copt-level=3", Some("-Copt-level is set by the cargo settings of this variant, not by rustflags")),
            ("-Ccodegen_units=4", Some("-Ccodegen-units is set by the cargo settings of this variant")),
            ("--cfg=getrandom_backend=wasm_js", Some("expected --cfg=name or --cfg=name=\"value\"")),
            ("--cfg=2fast", Some("expected --cfg=name or --cfg=name=\"value\"")),
            ("--cfg", Some("write the option and its value as one entry, found \"--cfg\" alone")),
            (
                "-Zbuild-std",
                Some(
                    "expected one of -Cname[=value], --cfg=name[=\"value\"] or --check-cfg=cfg(...), found \"-Zbuild-std\"",
                ),
            ),
            ("--check-cfg=values(x)", Some("expected --check-cfg=cfg(...)")),
            ("--cfg=feature=\"host-diagnostics\"", Some("would enable a feature behind the policy's feature rules")),
            ("--cfg=panic=\"unwind\"", Some("sets panic, which rustc itself sets")),
            ("--cfg=target_feature=\"simd128\"", Some("sets target_feature, which rustc itself sets")),
        ];
        for (flag, expected) in cases {
            match (rustflag_problem(flag), expected) {
                (None, None) => {}
                (Some(got), Some(want)) => assert!(got.contains(want), "{flag}: {got}"),
                (got, want) => panic!("{flag}: got {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn forbidden_features_are_found_through_the_features_table() {
        let cases: [(&str, &str, Option<&[&str]>); 6] = [
            ("diagnostics", "host-diagnostics", Some(&["diagnostics", "host-diagnostics"])),
            ("trace", "trace", Some(&["trace"])),
            ("exports", "host-diagnostics", None),
            // `log/std` turns on the optional dependency's implicit feature `log`.
            ("web", "log", Some(&["web", "log"])),
            ("web", "log/std", Some(&["web", "log/std"])),
            // `dep:` names a dependency, never a feature.
            ("web", "js-sys", None),
        ];
        for (from, target, expected) in cases {
            let expected = expected.map(|c| c.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
            assert_eq!(cx().enabling_chain(from, target), expected, "{from} -> {target}");
        }
        let mut v: serde_json::Value = serde_json::from_str(VALID).unwrap();
        v["profiles"][1]["cargo"]["features"] = serde_json::json!(["trace", "diagnostics"]);
        assert_eq!(
            check(&v.to_string()).unwrap_err().to_string(),
            "policy.json: /profiles/1/cargo/features/1: feature \"diagnostics\" enables \"host-diagnostics\" \
             (through diagnostics -> host-diagnostics), which is forbidden in every variant"
        );
        v["profiles"][1]["cargo"]["features"] = serde_json::json!(["trace"]);
        v["required_features"] = serde_json::json!(["trace"]);
        assert_eq!(
            check(&v.to_string()).unwrap_err().to_string(),
            "policy.json: /profiles/2/cargo/features: required feature \"trace\" is not enabled"
        );
    }

    #[test]
    fn a_production_build_may_not_have_a_benchmark_feature() {
        type Edit = fn(&mut serde_json::Value);
        let refused: [(Edit, &str); 3] = [
            (
                |v| v["profiles"][2]["cargo"]["features"] = serde_json::json!(["exports"]),
                "policy.json: /profiles/2/cargo/features/0: \"exports\" enables the benchmark feature \"exports\": \
                 the production build, whose sizes are gated, must not have it (the benchmark build adds it)",
            ),
            (
                |v| v["benchmark_features"] = serde_json::json!(["exports", "diagnostics"]),
                "policy.json: /benchmark_features/1: benchmark feature \"diagnostics\" enables \"host-diagnostics\", \
                 which is forbidden in every variant",
            ),
            (
                |v| v["benchmark_features"] = serde_json::json!(["bench"]),
                "policy.json: /benchmark_features/0: package sample-kernel has no feature \"bench\"",
            ),
        ];
        for (edit, expected) in refused {
            let mut v: serde_json::Value = serde_json::from_str(VALID).unwrap();
            edit(&mut v);
            let message = check(&v.to_string()).unwrap_err().to_string();
            assert!(message.starts_with(expected), "{message}");
        }
    }
}
