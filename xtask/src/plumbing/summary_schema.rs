//! The committed JSON Schema of the budget summary, enforced on every summary before it is
//! written: the schema is a contract for downstream consumers, so drift is a tool error
//! (exit 2), not something a consumer finds out about.

use anyhow::{Context, bail};

const SCHEMA: &str = include_str!("../../../docs/schemas/wasm_budget_summary.schema.json");

/// Every way `summary` breaks the schema, one line each, as `pointer: message`.
pub fn violations(summary: &serde_json::Value) -> anyhow::Result<Vec<String>> {
    let schema: serde_json::Value = serde_json::from_str(SCHEMA).context("the embedded summary schema is not JSON")?;
    let validator = match jsonschema::validator_for(&schema) {
        Ok(v) => v,
        Err(e) => bail!("the embedded summary schema is not a valid JSON Schema: {e}"),
    };
    Ok(validator.iter_errors(summary).map(|e| format!("{}: {e}", e.instance_path)).collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn the_schema_rejects_what_the_gate_must_never_write() {
        let minimal = || {
            json!({
                "commit": "c", "profile": "core-min", "variant": "release", "environment": "static",
                "metric_id": "M-PERF-01A", "metric": "raw", "value": 10.0, "unit": "bytes",
                "threshold_warn": null, "threshold_hard": 20.0, "status": "pass", "required": true, "wall_clock": false,
                "reason": null, "seed_set": [], "commands": ["cargo build"], "artifact_paths": [],
                "artifact_sha256": null
            })
        };
        let summary = |record: serde_json::Value| {
            json!({
                "schema_version": "wasm-budget-summary-v1", "verdict": "pass", "commit": "c", "package": "k",
                "seed_set": [11], "report_signature": "0".repeat(64),
                "provenance": {"rustc": "r", "cargo": "c", "binaryen": "116", "host": "h", "policy_sha256": "p", "budgets_sha256": "b"},
                "variants": [{"id": "r", "variant": "release", "budget_profile": "core-min", "features": [],
                              "commands": ["cargo build"], "wasm_opt": null, "pre_opt": null, "post_opt": null, "runtime": null, "error": "failed"}],
                "records": [record],
                "pipeline": {"steps": {"cargo_builds": 1, "wasm_opt_runs": 0, "wasm_opt_cache_hits": 0},
                             "step_budget": {"cargo_builds": 1, "wasm_opt_runs": 0}, "status": "pass", "phases": [], "total_millis": 1.0}
            })
        };
        assert_eq!(super::violations(&summary(minimal())).unwrap(), Vec::<String>::new());
        let mut pass_without_value = minimal();
        pass_without_value["value"] = json!(null);
        pass_without_value["reason"] = json!("not measured");
        let mut skip_without_reason = minimal();
        skip_without_reason["status"] = json!("skip");
        skip_without_reason["value"] = json!(null);
        skip_without_reason["required"] = json!(false);
        let mut stray_key = minimal();
        stray_key["colour"] = json!("red");
        let mut string_value = minimal();
        string_value["value"] = json!("TODO");
        for (case, broken) in [
            ("pass without a value", pass_without_value),
            ("skip without a reason", skip_without_reason),
            ("unknown key", stray_key),
            ("string value", string_value),
        ] {
            assert!(!super::violations(&summary(broken)).unwrap().is_empty(), "{case} was accepted");
        }
    }
}
