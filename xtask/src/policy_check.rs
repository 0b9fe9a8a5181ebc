//! `cargo xtask policy check`: validate the optimization policy against the budgets, the
//! package's real features and binaryen, and write the pipeline summary.

use anyhow::bail;
use perf_core::budget::Status;
use perf_core::policy::{self, ArtifactPaths, PipelineSummary, PlannedVariant};
use perf_core::self_test;
use xshell::Shell;

use crate::atomic_write::write_json_atomic;
use crate::flags;
use crate::inputs;
use crate::optimize::{self, BINARYEN_VERSION};
use crate::pipeline;
use crate::toolchain;

impl flags::PolicyCheck {
    pub(crate) fn run(self, sh: &Shell) -> anyhow::Result<Status> {
        let loaded = inputs::load(&self.inputs)?;
        let policy = &loaded.policy.value;
        let package = toolchain::package_info(sh, &loaded.package)?;
        let cx = inputs::policy_context(&loaded, &package);
        let verdict =
            policy.validate(&loaded.policy.name, &cx).and_then(|()| inputs::check_change_control(sh, &loaded.budgets));
        let target_dir = pipeline::wasm_target_dir(&package.target_directory);
        let remaps = toolchain::path_remaps(sh, &toolchain::versions(sh)?)?;
        let variants = match verdict {
            Ok(()) => policy
                .profiles
                .iter()
                .map(|v| PlannedVariant {
                    id: v.id.clone(),
                    variant: v.variant,
                    budget_profile: v.budget_profile.clone(),
                    features: v.cargo.features.clone(),
                    cargo_command: v
                        .cargo_build(&package.name, &policy.target, &target_dir)
                        .with_rustflags(&remaps)
                        .command_line(),
                    benchmark_command: v
                        .benchmark_build(&policy.benchmark_features, &package.name, &policy.target, &target_dir)
                        .map(|b| b.with_rustflags(&remaps).command_line()),
                    wasm_opt: v.wasm_opt.enabled.then(|| optimize::describe(&v.wasm_opt)),
                    artifacts: {
                        let bindgen = policy.wasm_bindgen.as_ref();
                        let production = Some(v.artifact_paths(&package.lib_name, bindgen));
                        let bench = v.benchmark_artifact_paths(&policy.benchmark_features, &package.lib_name, bindgen);
                        let files =
                            |p: ArtifactPaths| [Some(p.pre_opt), Some(p.post_opt), p.glue].into_iter().flatten();
                        production.into_iter().chain(bench).flat_map(files).collect()
                    },
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        let self_test = match (&verdict, self.self_test) {
            (Ok(()), true) => {
                let valid: serde_json::Value = serde_json::from_str(&loaded.policy.text)?;
                Some(policy::run_self_test(&loaded.policy.name, &valid, &cx))
            }
            _ => None,
        };
        let summary = PipelineSummary {
            schema_version: policy::PIPELINE_SUMMARY_SCHEMA_VERSION.to_owned(),
            policy_file: loaded.policy.name.clone(),
            policy_sha256: loaded.policy.sha256.clone(),
            package: package.name.clone(),
            target: policy.target.clone(),
            binaryen: BINARYEN_VERSION.to_owned(),
            status: if verdict.is_ok() { "valid" } else { "invalid" }.to_owned(),
            error: verdict.as_ref().err().map(ToString::to_string),
            variants,
            self_test,
        };
        let (path, name) = inputs::resolve(&self.summary);
        write_json_atomic(&path, &summary)?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        verdict?;
        if !self.json {
            println!(
                "{}: valid ({} variants; package {}; binaryen {BINARYEN_VERSION})",
                loaded.policy.name,
                policy.profiles.len(),
                package.name
            );
        }
        if let Some(results) = &summary.self_test {
            let failed: Vec<_> = results.iter().filter(|r| !r.ok).collect();
            if !self.json {
                for r in results {
                    println!("{}", r.line());
                }
            }
            if !failed.is_empty() {
                bail!(
                    "self-test: {} of {} broken policies were not rejected as expected (summary: {name})",
                    failed.len(),
                    results.len()
                );
            }
            if !self.json {
                println!("{}", self_test::all_rejected_line(results, "policies"));
            }
        }
        if !self.json {
            println!("summary: {name}");
        }
        Ok(Status::Pass)
    }
}
