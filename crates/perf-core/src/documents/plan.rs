//! The build plan: what building a variant is, step by step, derived from the policy alone.
//! A variant's production build (what ships and is size-gated) and, with benchmark features,
//! its benchmark build (what the scenarios run on) are each a cargo build, then wasm-bindgen
//! when the package uses it, then wasm-opt when the variant runs it, with the paths each step
//! reads and writes. `policy check` writes the plan in its [`PipelineSummary`]; `perf`, its
//! matrix jobs and `init` execute it and record its [`Build::commands`], so the two can no
//! longer disagree.

use serde::{Deserialize, Serialize};

use crate::policy::{
    BindgenTarget, DebugInfo, Lto, OptLevel, Panic, Policy, Strip, Variant, VariantKind, WasmBindgen, WasmOptSettings,
};
use crate::self_test::SelfTestResult;
use crate::shell::shell_words;

/// What `policy check` writes (`artifacts/wasm_optimization_pipeline_summary.json`): the
/// verdict on the policy and, when valid, the exact build of every variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSummary {
    pub schema_version: String,
    pub policy_file: String,
    pub policy_sha256: String,
    pub package: String,
    pub target: String,
    pub binaryen: String,
    /// `valid` or `invalid`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Each variant's build plan (none for an invalid policy).
    pub variants: Vec<VariantPlan>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_test: Option<Vec<SelfTestResult>>,
}

/// v2: each variant is its build plan ([`VariantPlan`]: the steps of its production and
/// benchmark builds, wasm-bindgen included, with their command lines), no longer v1's flat
/// commands.
pub const PIPELINE_SUMMARY_SCHEMA_VERSION: &str = "wasm-optimization-pipeline-summary-v2";

/// What the plan needs besides the policy, gathered by the driver.
#[derive(Debug, Clone, Copy)]
pub struct PlanContext<'a> {
    /// The cargo package being built (the policy's, or the one named with `--package`).
    pub package: &'a str,
    /// Its library target's name, which names the `.wasm` cargo writes.
    pub lib_name: &'a str,
    /// Cargo's target directory for the wasm builds, as the recorded commands name it.
    pub target_dir: &'a str,
    /// Rustflags the tool adds after the policy's (the path remaps, [`path_remaps`]).
    pub remaps: &'a [String],
    /// The binaryen release wasm-opt runs.
    pub binaryen: &'a str,
    /// The wasm-bindgen version the driver runs.
    pub wasm_bindgen: &'a str,
}

/// One variant's builds, as `policy check` shows them and the pipeline runs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantPlan {
    pub id: String,
    pub variant: VariantKind,
    pub budget_profile: String,
    /// The build that ships: its sizes are gated.
    pub production: Build,
    /// The build the runtime scenarios run on (the policy's benchmark features added); `None`
    /// when the policy has none: the production build serves both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benchmark: Option<Build>,
}

impl VariantPlan {
    /// The plan of variant `v` of `policy`.
    pub fn of(policy: &Policy, v: &Variant, cx: &PlanContext) -> VariantPlan {
        let bindgen = policy.wasm_bindgen.as_ref();
        let production = ArtifactPaths::production(v, cx.lib_name, bindgen);
        let production =
            Build::of(policy, v, format!("perf-{}", v.variant.as_str()), v.cargo.features.clone(), production, cx);
        // A cdylib's output is not keyed by its features: a profile of its own keeps the
        // benchmark build from relinking over the production build on every run.
        let benchmark = ArtifactPaths::benchmark(v, &policy.benchmark_features, cx.lib_name, bindgen).map(|paths| {
            let features = v.cargo.features.iter().chain(&policy.benchmark_features).cloned().collect();
            Build::of(policy, v, format!("perf-{}-bench", v.variant.as_str()), features, paths, cx)
        });
        VariantPlan {
            id: v.id.clone(),
            variant: v.variant,
            budget_profile: v.budget_profile.clone(),
            production,
            benchmark,
        }
    }
}

/// One build of a variant: cargo, then wasm-bindgen (a wasm-bindgen package), then wasm-opt
/// (unless the variant skips it), and the files they leave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "BuildRecord", from = "BuildRecord")]
pub struct Build {
    /// The features this build enables.
    pub features: Vec<String>,
    pub cargo: CargoBuild,
    /// The `.wasm` cargo writes, under the target directory.
    pub cargo_output: String,
    pub wasm_bindgen: Option<BindgenStep>,
    pub wasm_opt: Option<WasmOptStep>,
    pub paths: ArtifactPaths,
}

impl Build {
    /// Build `profile` of `v` with `features`, keeping `paths`.
    fn of(
        policy: &Policy,
        v: &Variant,
        profile: String,
        features: Vec<String>,
        paths: ArtifactPaths,
        cx: &PlanContext,
    ) -> Build {
        let bindgen = policy.wasm_bindgen.as_ref();
        let cargo_output = format!("{}/{}/{profile}/{}.wasm", cx.target_dir, policy.target, cx.lib_name);
        let cargo = CargoBuild::in_profile(v, profile, &features, &policy.target, cx);
        let wasm_bindgen = bindgen.zip(paths.glue.as_deref()).map(|(settings, glue)| BindgenStep {
            version: cx.wasm_bindgen.to_owned(),
            settings: settings.clone(),
            lib_name: cx.lib_name.to_owned(),
            input: cargo_output.clone(),
            out_dir: glue.rsplit_once('/').map_or(".", |(dir, _)| dir).to_owned(),
            staging: format!("{}/wasm-bindgen/{}", cx.target_dir, cargo.profile),
        });
        let wasm_opt =
            v.wasm_opt.enabled.then(|| WasmOptStep { binaryen: cx.binaryen.to_owned(), settings: v.wasm_opt.clone() });
        Build { features, cargo, cargo_output, wasm_bindgen, wasm_opt, paths }
    }

    /// Every step as a shell would run it, in order: what the summary records.
    pub fn commands(&self) -> Vec<String> {
        let bindgen = self.wasm_bindgen.as_ref().map(BindgenStep::command_line);
        let wasm_opt = self.wasm_opt.as_ref().map(WasmOptStep::command_line);
        [Some(self.cargo.command_line()), bindgen, wasm_opt].into_iter().flatten().collect()
    }
}

/// A [`Build`] as written: its steps, with their command lines first for the reader. Read
/// back, the command lines are derived again from the steps, which they follow from.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BuildRecord {
    features: Vec<String>,
    #[serde(default)]
    commands: Vec<String>,
    cargo: CargoBuild,
    cargo_output: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    wasm_bindgen: Option<BindgenStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    wasm_opt: Option<WasmOptStep>,
    paths: ArtifactPaths,
}

impl From<Build> for BuildRecord {
    fn from(b: Build) -> BuildRecord {
        BuildRecord {
            commands: b.commands(),
            features: b.features,
            cargo: b.cargo,
            cargo_output: b.cargo_output,
            wasm_bindgen: b.wasm_bindgen,
            wasm_opt: b.wasm_opt,
            paths: b.paths,
        }
    }
}

impl From<BuildRecord> for Build {
    fn from(r: BuildRecord) -> Build {
        Build {
            features: r.features,
            cargo: r.cargo,
            cargo_output: r.cargo_output,
            wasm_bindgen: r.wasm_bindgen,
            wasm_opt: r.wasm_opt,
            paths: r.paths,
        }
    }
}

/// wasm-bindgen run in process on cargo's output: the module and JS glue a wasm-bindgen
/// crate ships, before wasm-opt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindgenStep {
    pub version: String,
    pub settings: WasmBindgen,
    /// The crate's library name, which names the module and the glue wasm-bindgen writes.
    pub lib_name: String,
    /// Cargo's `.wasm`.
    pub input: String,
    /// Where the glue is kept (the artifacts' directory).
    pub out_dir: String,
    /// Where wasm-bindgen writes before its files are moved into place, under the target
    /// directory (one per cargo profile).
    pub staging: String,
}

impl BindgenStep {
    /// The command the in-process run stands for.
    pub fn command_line(&self) -> String {
        let target = match self.settings.target {
            BindgenTarget::Web => "web",
        };
        format!(
            "wasm-bindgen ({}, in-process): wasm-bindgen --target {target} --out-dir {} {}",
            self.version, self.out_dir, self.input
        )
    }
}

/// wasm-opt run in process on the build's pre-opt module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WasmOptStep {
    pub binaryen: String,
    pub settings: WasmOptSettings,
}

impl WasmOptStep {
    /// What runs, in words exact enough to reproduce it.
    pub fn command_line(&self) -> String {
        let s = &self.settings;
        let passes = s.passes.as_deref().unwrap_or_default().join(", ");
        let features = s.features.as_deref().unwrap_or_default().join(", ");
        format!(
            "wasm-opt (binaryen {}, in-process): optimize_level={} shrink_level={}, default passes then [{passes}], features +[{features}], validate on",
            self.binaryen,
            s.optimize_level.unwrap_or(0),
            s.shrink_level.unwrap_or(0)
        )
    }
}

/// The cargo invocation of one build, derived only from the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CargoBuild {
    /// Arguments after `cargo`.
    pub args: Vec<String>,
    /// `CARGO_ENCODED_RUSTFLAGS`: the policy's `rustflags` joined by 0x1f, then the tool's
    /// path remaps; empty for none. It outranks every other source of rustflags (RUSTFLAGS,
    /// `build.rustflags` and `target.<triple>.rustflags` in any config, their environment
    /// forms), so nothing but the policy and the remaps reaches the build.
    pub encoded_rustflags: String,
    /// The custom cargo profile the settings are applied to (`perf-<variant>[-bench]`).
    pub profile: String,
}

impl CargoBuild {
    /// The build exactly as a shell would run it, environment included: what the summary
    /// records and the driver prints.
    pub fn command_line(&self) -> String {
        let flags = if self.encoded_rustflags.is_empty() {
            String::new()
        } else if self.encoded_rustflags.contains('\u{1f}') {
            // Bash's ANSI-C quoting spells the separator, so the line can be pasted.
            let escaped = self.encoded_rustflags.replace('\\', "\\\\").replace('\'', "\\'").replace('\u{1f}', "\\x1f");
            format!("$'{escaped}'")
        } else {
            shell_words(std::slice::from_ref(&self.encoded_rustflags))
        };
        format!("CARGO_ENCODED_RUSTFLAGS={flags} cargo {}", shell_words(&self.args))
    }

    /// A build of `v` in the custom profile `profile` carrying exactly the policy's settings
    /// (so the variants build side by side without invalidating each other), with
    /// `features`, the policy's rustflags and then the context's remaps.
    fn in_profile(v: &Variant, profile: String, features: &[String], target: &str, cx: &PlanContext) -> CargoBuild {
        let mut args: Vec<String> = [
            "build",
            "--package",
            cx.package,
            "--lib",
            "--target",
            target,
            "--profile",
            &profile,
            "--target-dir",
            cx.target_dir,
            "--no-default-features",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        if !features.is_empty() {
            args.push("--features".into());
            args.push(features.join(","));
        }
        for (key, value) in profile_settings(v) {
            args.push("--config".into());
            args.push(format!("profile.{profile}.{key}={value}"));
        }
        let encoded_rustflags = v.cargo.rustflags.iter().chain(cx.remaps).cloned().collect::<Vec<_>>().join("\u{1f}");
        CargoBuild { args, encoded_rustflags, profile }
    }
}

/// The cargo profile settings of variant `v`, as `--config profile.<name>.<key>=<value>`
/// takes them (TOML values).
fn profile_settings(v: &Variant) -> [(&'static str, String); 8] {
    let c = &v.cargo;
    let inherits = if v.variant == VariantKind::Dev { "dev" } else { "release" };
    let opt_level = match c.opt_level {
        OptLevel::O0 => "0",
        OptLevel::O1 => "1",
        OptLevel::O2 => "2",
        OptLevel::O3 => "3",
        OptLevel::S => "\"s\"",
        OptLevel::Z => "\"z\"",
    };
    let lto = match c.lto {
        Lto::Off => "\"off\"",
        Lto::Thin => "\"thin\"",
        Lto::Fat => "\"fat\"",
    };
    let debug = match c.debug {
        DebugInfo::None => "\"none\"",
        DebugInfo::LineTablesOnly => "\"line-tables-only\"",
        DebugInfo::Limited => "\"limited\"",
        DebugInfo::Full => "\"full\"",
    };
    let panic = match c.panic {
        Panic::Abort => "\"abort\"",
        Panic::Unwind => "\"unwind\"",
    };
    let strip = match c.strip {
        Strip::None => "\"none\"",
        Strip::Debuginfo => "\"debuginfo\"",
        Strip::Symbols => "\"symbols\"",
    };
    [
        ("inherits", format!("\"{inherits}\"")),
        ("opt-level", opt_level.to_owned()),
        ("lto", lto.to_owned()),
        ("codegen-units", c.codegen_units.to_string()),
        ("debug", debug.to_owned()),
        ("panic", panic.to_owned()),
        ("strip", strip.to_owned()),
        // Incremental builds (the dev profile's default) emit other bytes than clean ones,
        // and cargo turns them off when CI is set: off always, a laptop builds what CI does.
        ("incremental", "false".to_owned()),
    ]
}

/// The `--remap-path-prefix` flags that keep the build machine's paths out of what ships. A
/// panic location in std or in a dependency is a file path: without them it names the
/// toolchain's `rust-src` copy (rustc uses it when that component is installed) or the
/// registry under `$CARGO_HOME`, so one commit builds different bytes on two machines (a
/// CI runner's `/home/runner/.cargo` against a laptop's) and leaks the builder's home into
/// the module; debug info also names the checkout. Mapped, they read as on a machine without
/// `rust-src`, wherever cargo and the checkout live.
pub fn path_remaps(workspace: &str, sysroot: &str, rustc_commit_hash: &str, cargo_home: &str) -> Vec<String> {
    let (sysroot, cargo_home) = (sysroot.trim_end_matches('/'), cargo_home.trim_end_matches('/'));
    vec![
        // The checkout itself, which DWARF names as its compilation directory. First: when
        // rustc finds several prefixes of one path, the last one given wins.
        format!("--remap-path-prefix={}=/workspace", workspace.trim_end_matches('/')),
        format!("--remap-path-prefix={sysroot}/lib/rustlib/src/rust=/rustc/{rustc_commit_hash}"),
        format!("--remap-path-prefix={cargo_home}/registry/src=/cargo/registry/src"),
        format!("--remap-path-prefix={cargo_home}/git/checkouts=/cargo/git/checkouts"),
    ]
}

/// The artifacts a build keeps, relative to the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactPaths {
    /// What wasm-opt reads: cargo's output (`<artifact_dir>/<lib>.pre-opt.wasm`), or
    /// wasm-bindgen's (`<artifact_dir>/<lib>_bg.pre-opt.wasm`).
    pub pre_opt: String,
    /// After wasm-opt, what ships: `<artifact_dir>/<lib>.wasm`, or `<lib>_bg.wasm` beside
    /// its glue (the name the glue loads by default).
    pub post_opt: String,
    /// wasm-bindgen's JS glue, `<artifact_dir>/<lib>.js` (its snippets in `snippets/` beside
    /// it); `None` without wasm-bindgen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glue: Option<String>,
}

impl ArtifactPaths {
    /// The production build's artifacts.
    pub fn production(v: &Variant, lib_name: &str, bindgen: Option<&WasmBindgen>) -> ArtifactPaths {
        ArtifactPaths::in_dir(v.artifact_dir.trim_end_matches('/'), lib_name, lib_name, bindgen)
    }

    /// The benchmark build's artifacts: beside the production build's, or, with wasm-bindgen,
    /// in `bench/` below them (module and glue keep the names the glue expects); `None` when
    /// there are no benchmark features (the production build serves both).
    pub fn benchmark(
        v: &Variant,
        benchmark_features: &[String],
        lib_name: &str,
        bindgen: Option<&WasmBindgen>,
    ) -> Option<ArtifactPaths> {
        let dir = v.artifact_dir.trim_end_matches('/');
        (!benchmark_features.is_empty()).then(|| match bindgen {
            None => ArtifactPaths::in_dir(dir, &format!("{lib_name}.bench"), lib_name, None),
            Some(_) => ArtifactPaths::in_dir(&format!("{dir}/bench"), lib_name, lib_name, bindgen),
        })
    }

    /// The module the runtime scenarios of variant `v` run on: the benchmark build's, or
    /// the production build's when there are no benchmark features.
    pub fn runtime_module(policy: &Policy, v: &Variant, lib_name: &str) -> String {
        let bindgen = policy.wasm_bindgen.as_ref();
        ArtifactPaths::benchmark(v, &policy.benchmark_features, lib_name, bindgen)
            .unwrap_or_else(|| ArtifactPaths::production(v, lib_name, bindgen))
            .post_opt
    }

    fn in_dir(dir: &str, stem: &str, lib_name: &str, bindgen: Option<&WasmBindgen>) -> ArtifactPaths {
        match bindgen {
            None => ArtifactPaths {
                pre_opt: format!("{dir}/{stem}.pre-opt.wasm"),
                post_opt: format!("{dir}/{stem}.wasm"),
                glue: None,
            },
            Some(_) => ArtifactPaths {
                pre_opt: format!("{dir}/{lib_name}_bg.pre-opt.wasm"),
                post_opt: format!("{dir}/{lib_name}_bg.wasm"),
                glue: Some(format!("{dir}/{lib_name}.js")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::tests::VALID;

    const WORD_INDEX: &str = include_str!("../../../../.github/word-index/wasm_optimization_policy.json");

    const REMAPS: [&str; 2] = ["--remap-path-prefix=/a=/b", "--remap-path-prefix=/c=/d"];

    /// The plans of every variant of `policy`, built into `T/perf-wasm` with `remaps`.
    fn plans(policy: &Policy, lib_name: &str, remaps: &[String]) -> Vec<VariantPlan> {
        let cx = PlanContext {
            package: &policy.package,
            lib_name,
            target_dir: "T/perf-wasm",
            remaps,
            binaryen: "116",
            wasm_bindgen: "0.2.130",
        };
        policy.profiles.iter().map(|v| VariantPlan::of(policy, v, &cx)).collect()
    }

    fn valid() -> Policy {
        Policy::parse("policy.json", VALID).unwrap()
    }

    fn release(plans: &[VariantPlan]) -> &VariantPlan {
        plans.iter().find(|p| p.variant == VariantKind::Release).unwrap()
    }

    #[test]
    fn the_cargo_command_carries_every_setting() {
        let p = valid();
        let plans = plans(&p, "sample_kernel", &[]);
        let build = &release(&plans).production.cargo;
        assert_eq!(build.profile, "perf-release");
        assert_eq!(
            build.args.join(" "),
            "build --package sample-kernel --lib --target wasm32-unknown-unknown --profile perf-release \
             --target-dir T/perf-wasm --no-default-features \
             --config profile.perf-release.inherits=\"release\" --config profile.perf-release.opt-level=\"z\" \
             --config profile.perf-release.lto=\"fat\" --config profile.perf-release.codegen-units=1 \
             --config profile.perf-release.debug=\"none\" --config profile.perf-release.panic=\"abort\" \
             --config profile.perf-release.strip=\"none\" \
             --config profile.perf-release.incremental=false"
        );
        assert_eq!(build.encoded_rustflags, "-Ctarget-cpu=mvp");
        assert!(build.command_line().starts_with("CARGO_ENCODED_RUSTFLAGS=-Ctarget-cpu=mvp cargo build "));
        let mut two = p.clone();
        two.profiles[2].cargo.rustflags = vec!["-Ctarget-cpu=mvp".into(), "--cfg=backend=\"it's\"".into()];
        let line = release(&plans_of(&two, &[])).production.cargo.command_line();
        assert!(
            line.starts_with(r#"CARGO_ENCODED_RUSTFLAGS=$'-Ctarget-cpu=mvp\x1f--cfg=backend="it\'s"' cargo build "#),
            "{line}"
        );
        let remaps = path_remaps("/home/me/src/app/", "/opt/rust/", "abc123", "/home/me/.cargo");
        assert_eq!(
            remaps,
            [
                "--remap-path-prefix=/home/me/src/app=/workspace",
                "--remap-path-prefix=/opt/rust/lib/rustlib/src/rust=/rustc/abc123",
                "--remap-path-prefix=/home/me/.cargo/registry/src=/cargo/registry/src",
                "--remap-path-prefix=/home/me/.cargo/git/checkouts=/cargo/git/checkouts",
            ]
        );
        let remapped = plans_of(&p, &remaps[1..2]);
        assert_eq!(
            release(&remapped).production.cargo.encoded_rustflags,
            "-Ctarget-cpu=mvp\u{1f}--remap-path-prefix=/opt/rust/lib/rustlib/src/rust=/rustc/abc123"
        );
        let mut none = p.clone();
        none.profiles[2].cargo.rustflags = Vec::new();
        assert_eq!(
            release(&plans_of(&none, &remaps[2..3])).production.cargo.encoded_rustflags,
            "--remap-path-prefix=/home/me/.cargo/registry/src=/cargo/registry/src"
        );
        let dev = &plans.iter().find(|v| v.variant == VariantKind::Dev).unwrap().production.cargo;
        assert!(dev.args.contains(&"profile.perf-dev.inherits=\"dev\"".to_owned()));
        assert!(dev.args.contains(&"profile.perf-dev.opt-level=1".to_owned()));
    }

    fn plans_of(policy: &Policy, remaps: &[String]) -> Vec<VariantPlan> {
        plans(policy, "k", remaps)
    }

    #[test]
    fn a_changed_setting_changes_the_command() {
        let p = valid();
        let mut edited = p.clone();
        edited.profiles[2].cargo.opt_level = OptLevel::S;
        let args = |p: &Policy| release(&plans_of(p, &[])).production.cargo.args.clone();
        assert_ne!(args(&p), args(&edited));
    }

    #[test]
    fn the_benchmark_build_adds_the_benchmark_features_in_a_profile_of_its_own() {
        let p = valid();
        let plans = plans_of(&p, &[]);
        let production = &release(&plans).production;
        let bench = release(&plans).benchmark.as_ref().unwrap();
        assert!(!production.cargo.args.iter().any(|a| a.contains("exports")), "{:?}", production.cargo.args);
        let features = |b: &Build| b.cargo.args.iter().skip_while(|a| *a != "--features").nth(1).cloned();
        assert_eq!(features(bench).as_deref(), Some("exports"));
        assert_eq!((production.features.clone(), bench.features.clone()), (vec![], vec!["exports".to_owned()]));
        assert_eq!(
            (bench.cargo.profile.as_str(), bench.cargo.encoded_rustflags.as_str()),
            ("perf-release-bench", "-Ctarget-cpu=mvp")
        );
        assert!(
            bench.cargo.args.contains(&"profile.perf-release-bench.opt-level=\"z\"".to_owned()),
            "{:?}",
            bench.cargo.args
        );
        let canary = plans.iter().find(|v| v.variant == VariantKind::Canary).unwrap();
        assert_eq!(features(canary.benchmark.as_ref().unwrap()).as_deref(), Some("trace,exports"));
        // Paths are those the runs have always kept.
        assert_eq!(
            (production.paths.post_opt.as_str(), bench.paths.pre_opt.as_str(), bench.paths.post_opt.as_str()),
            (
                "artifacts/wasm/release/k.wasm",
                "artifacts/wasm/release/k.bench.pre-opt.wasm",
                "artifacts/wasm/release/k.bench.wasm"
            )
        );
        assert_eq!(bench.cargo_output, "T/perf-wasm/wasm32-unknown-unknown/perf-release-bench/k.wasm");
        let release_variant = p.variant(VariantKind::Release).unwrap();
        assert_eq!(ArtifactPaths::runtime_module(&p, release_variant, "k"), "artifacts/wasm/release/k.bench.wasm");

        let mut none = p.clone();
        none.benchmark_features.clear();
        assert_eq!(release(&plans_of(&none, &[])).benchmark, None, "without benchmark features one build serves both");
        assert_eq!(ArtifactPaths::runtime_module(&none, release_variant, "k"), "artifacts/wasm/release/k.wasm");
    }

    #[test]
    fn a_plain_build_is_cargo_then_wasm_opt_unless_the_variant_skips_it() {
        let plans = plans_of(&valid(), &[]);
        let steps: Vec<(VariantKind, usize, usize)> = plans
            .iter()
            .map(|v| (v.variant, v.production.commands().len(), v.benchmark.as_ref().unwrap().commands().len()))
            .collect();
        assert_eq!(steps, [(VariantKind::Dev, 1, 1), (VariantKind::Canary, 2, 2), (VariantKind::Release, 2, 2)]);
        assert!(plans.iter().all(|v| v.production.wasm_bindgen.is_none() && v.production.paths.glue.is_none()));
    }

    #[test]
    fn a_wasm_bindgen_build_is_cargo_then_wasm_bindgen_then_wasm_opt_for_every_build() {
        let p = Policy::parse("wasm_optimization_policy.json", WORD_INDEX).unwrap();
        let remaps: Vec<String> = REMAPS.map(str::to_owned).to_vec();
        let plans = plans(&p, "word_index", &remaps);
        for v in &plans {
            for build in [Some(&v.production), v.benchmark.as_ref()].into_iter().flatten() {
                // Each step by its tool: the cargo line opens with its environment.
                let tools: Vec<String> = build
                    .commands()
                    .iter()
                    .map(|c| {
                        if c.contains(" cargo build ") { "cargo" } else { c.split(' ').next().unwrap_or("") }.to_owned()
                    })
                    .collect();
                let expected = match v.variant {
                    VariantKind::Dev => vec!["cargo", "wasm-bindgen"],
                    VariantKind::Canary | VariantKind::Release => vec!["cargo", "wasm-bindgen", "wasm-opt"],
                };
                assert_eq!(tools, expected, "{} {}", v.id, build.cargo.profile);
            }
        }
        // Byte for byte what a run of the pipeline recorded before the plan existed.
        let r = release(&plans);
        assert_eq!(
            r.production.commands(),
            [
                "CARGO_ENCODED_RUSTFLAGS=$'--remap-path-prefix=/a=/b\\x1f--remap-path-prefix=/c=/d' cargo build \
                 --package word-index --lib --target wasm32-unknown-unknown --profile perf-release --target-dir \
                 T/perf-wasm --no-default-features --config 'profile.perf-release.inherits=\"release\"' --config \
                 'profile.perf-release.opt-level=\"z\"' --config 'profile.perf-release.lto=\"fat\"' --config \
                 profile.perf-release.codegen-units=1 --config 'profile.perf-release.debug=\"none\"' --config \
                 'profile.perf-release.panic=\"abort\"' --config 'profile.perf-release.strip=\"none\"' --config \
                 profile.perf-release.incremental=false",
                "wasm-bindgen (0.2.130, in-process): wasm-bindgen --target web --out-dir \
                 artifacts/wasm/word-index/release T/perf-wasm/wasm32-unknown-unknown/perf-release/word_index.wasm",
                "wasm-opt (binaryen 116, in-process): optimize_level=2 shrink_level=2, default passes then \
                 [strip-debug, strip-producers], features +[bulk-memory, sign-ext, reference-types, multivalue, \
                 mutable-globals, nontrapping-float-to-int], validate on",
            ]
        );
        let bench = r.benchmark.as_ref().unwrap();
        assert_eq!(
            bench.commands()[1],
            "wasm-bindgen (0.2.130, in-process): wasm-bindgen --target web --out-dir \
             artifacts/wasm/word-index/release/bench T/perf-wasm/wasm32-unknown-unknown/perf-release-bench/word_index.wasm"
        );
        let step = bench.wasm_bindgen.as_ref().unwrap();
        assert_eq!(
            (step.input.as_str(), step.staging.as_str(), step.lib_name.as_str()),
            (bench.cargo_output.as_str(), "T/perf-wasm/wasm-bindgen/perf-release-bench", "word_index")
        );
        // The module ships beside its glue, under the name the glue loads.
        let paths = |b: &Build| (b.paths.pre_opt.clone(), b.paths.post_opt.clone(), b.paths.glue.clone());
        let dir = "artifacts/wasm/word-index/release";
        assert_eq!(
            paths(&r.production),
            (
                format!("{dir}/word_index_bg.pre-opt.wasm"),
                format!("{dir}/word_index_bg.wasm"),
                Some(format!("{dir}/word_index.js"))
            )
        );
        assert_eq!(
            paths(bench),
            (
                format!("{dir}/bench/word_index_bg.pre-opt.wasm"),
                format!("{dir}/bench/word_index_bg.wasm"),
                Some(format!("{dir}/bench/word_index.js"))
            )
        );
    }

    #[test]
    fn a_plan_is_written_with_its_command_lines_and_read_back_whole() {
        let p = Policy::parse("wasm_optimization_policy.json", WORD_INDEX).unwrap();
        let plan = release(&plans(&p, "word_index", &[])).clone();
        let written = serde_json::to_value(&plan).unwrap();
        assert_eq!(written["production"]["commands"], serde_json::json!(plan.production.commands()));
        assert_eq!(
            written["benchmark"]["commands"][1],
            serde_json::json!(plan.benchmark.as_ref().unwrap().commands()[1])
        );
        let read: VariantPlan = serde_json::from_value(written).unwrap();
        assert_eq!(read, plan);
    }
}
