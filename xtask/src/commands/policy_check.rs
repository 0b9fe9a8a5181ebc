//! `cargo xtask policy check`: validate the optimization policy against the budgets, the
//! package's real features and binaryen, and write the pipeline summary: the verdict and,
//! for a valid policy, the build plan `perf` executes.

use anyhow::bail;
use perf_core::plan::{self, PipelineSummary, PlanContext, VariantPlan};
use perf_core::policy;
use perf_core::self_test;
use perf_core::status::Status;
use xshell::Shell;

use crate::atomic_write::write_json_atomic;
use crate::bindgen::WASM_BINDGEN_VERSION;
use crate::flags;
use crate::inputs;
use crate::optimize::BINARYEN_VERSION;
use crate::pipeline;
use crate::toolchain;

impl flags::PolicyCheck {
    pub(crate) fn run(self, sh: &Shell) -> anyhow::Result<Status> {
        let loaded = inputs::load(&self.inputs)?;
        let policy = &loaded.policy.value;
        let package = toolchain::package_info(sh, &loaded.package)?;
        let cx = inputs::policy_context(&loaded, &package);
        let verdict =
            policy.validate(&loaded.policy.name, &cx).and_then(|()| inputs::check_change_control(sh, &loaded, None));
        let target_dir = pipeline::wasm_target_dir(&crate::project_root(), &package.target_directory);
        let remaps = toolchain::path_remaps(sh, &toolchain::versions(sh)?, &crate::project_root())?;
        let plan_cx = PlanContext {
            package: &package.name,
            lib_name: &package.lib_name,
            target_dir: &target_dir,
            remaps: &remaps,
            binaryen: BINARYEN_VERSION,
            wasm_bindgen: WASM_BINDGEN_VERSION,
        };
        let variants = match verdict {
            Ok(()) => policy.profiles.iter().map(|v| VariantPlan::of(policy, v, &plan_cx)).collect(),
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
            schema_version: plan::PIPELINE_SUMMARY_SCHEMA_VERSION.to_owned(),
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
