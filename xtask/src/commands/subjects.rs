//! `cargo xtask subjects`: the subjects this repository gates, each with its package and
//! where its documents, baseline and outputs are; a line per subject, or JSON for workflows.

use std::path::Path;

use perf_core::status::Status;
use perf_core::subject::Subject;
use serde_json::{Value, json};
use xshell::Shell;

use crate::settings::{DEFAULT_BASELINE, DEFAULT_BUDGETS, DEFAULT_CORPUS, DEFAULT_POLICY};
use crate::{flags, project_root, subject_dirs};

impl flags::Subjects {
    pub(crate) fn run(self, _sh: &Shell) -> anyhow::Result<Status> {
        let root = project_root();
        let listed: Vec<Value> = subject_dirs::list(&root)?.iter().map(|s| described(&root, s)).collect();
        if self.json {
            println!("{}", serde_json::to_string_pretty(&listed)?);
            return Ok(Status::Pass);
        }
        let width = listed.iter().filter_map(|s| s["subject"].as_str()).map(str::len).max().unwrap_or(0);
        for s in &listed {
            let missing = if s["baseline_exists"] == true { "" } else { " (none yet)" };
            println!(
                "{:width$}  package {}, documents in {}, baseline {}{missing}, outputs in {}",
                s["subject"].as_str().unwrap_or_default(),
                s["package"].as_str().unwrap_or("(unreadable)"),
                Path::new(s["policy"].as_str().unwrap_or_default())
                    .parent()
                    .map_or(String::new(), |p| p.display().to_string()),
                s["baseline"].as_str().unwrap_or_default(),
                s["outputs"].as_str().unwrap_or_default(),
            );
        }
        Ok(Status::Pass)
    }
}

/// What `cargo xtask subjects --json` says of `subject`: its name, its policy's package and
/// variants (`null` and none where the policy cannot be read: `perf` then says why), and its
/// paths, relative to the repository.
fn described(root: &Path, subject: &Subject) -> Value {
    let path = |default: &str| subject.path(Path::new(default)).display().to_string();
    let policy = path(DEFAULT_POLICY);
    let read = std::fs::read_to_string(root.join(&policy)).ok().and_then(|t| serde_json::from_str::<Value>(&t).ok());
    let package = read.as_ref().and_then(|v| v["package"].as_str().map(str::to_owned));
    let variants: Vec<&str> = read
        .as_ref()
        .and_then(|v| v["profiles"].as_array())
        .map(|profiles| profiles.iter().filter_map(|p| p["variant"].as_str()).collect())
        .unwrap_or_default();
    let baseline = path(DEFAULT_BASELINE);
    json!({
        "subject": subject.name(),
        "package": package,
        "variants": variants,
        "policy": policy,
        "budgets": path(DEFAULT_BUDGETS),
        "corpus": path(DEFAULT_CORPUS),
        "baseline": baseline,
        "baseline_exists": root.join(&baseline).is_file(),
        "outputs": path("artifacts/wasm_budget_summary.json").trim_end_matches("wasm_budget_summary.json").to_owned(),
    })
}
