//! Change control of a subject's committed documents, where the verdict is made (`policy
//! check` here; `perf`, `gate` and `rebaseline` run the same check): the newest change-log
//! entry records the subject's corpus, names a code owner of the budgets as its approver
//! and cites a committed measurement document. Each case edits a copy of the checkout.

use std::path::Path;

use crate::harness::{scratch, text};
use crate::support;

fn policy_check(checkout: &Path) -> std::process::Output {
    support::xtask_command()
        .args(["policy", "check"])
        .env("CARGO_MANIFEST_DIR", checkout.join("xtask"))
        .current_dir(checkout)
        .output()
        .unwrap()
}

fn edit_json(path: &Path, edit: impl Fn(&mut serde_json::Value)) {
    let mut value: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    edit(&mut value);
    std::fs::write(path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
}

#[test]
fn a_subjects_change_needs_its_corpus_a_code_owners_approval_and_measured_evidence() {
    let dir = scratch("change-control");
    let checkout = dir.join("checkout");
    support::copy_checkout(&checkout);
    let budgets = checkout.join(".github/wasm_perf_budgets.json");
    let corpus = checkout.join(".github/wasm_benchmark_corpus.json");
    let (committed_budgets, committed_corpus) =
        (std::fs::read_to_string(&budgets).unwrap(), std::fs::read_to_string(&corpus).unwrap());
    let o = policy_check(&checkout);
    assert_eq!(o.status.code(), Some(0), "the committed documents pass: {}", text(&o.stderr));
    let newest =
        serde_json::from_str::<serde_json::Value>(&committed_budgets).unwrap()["change_log"].as_array().unwrap().len()
            - 1;
    type Edit = fn(&mut serde_json::Value);
    let phone = |c: &mut serde_json::Value, key: &str, value: serde_json::Value| {
        let environments = c["environments"].as_array_mut().unwrap();
        environments.iter_mut().find(|e| e["id"] == "mobile-emulated-chromium").unwrap()[key] = value;
    };
    let throttle: Edit = |c| {
        let environments = c["environments"].as_array_mut().unwrap();
        let phone = environments.iter_mut().find(|e| e["id"] == "mobile-emulated-chromium").unwrap();
        phone["cpu_throttling_rate"] = serde_json::json!(6.0);
    };
    let refused: [(&str, Edit, Edit, String); 4] = [
        (
            "the phone's throttling changed",
            |_| {},
            throttle,
            format!(
                "/change_log/{newest}/corpus_sha256: .github/wasm_benchmark_corpus.json changed what it measures \
                 since this entry"
            ),
        ),
        (
            "a README section as evidence",
            |b| {
                let entry = b["change_log"].as_array_mut().unwrap().last_mut().unwrap();
                entry["evidence"] = serde_json::json!("README.md, section \"Changing a threshold\"");
            },
            |_| {},
            format!("/change_log/{newest}/evidence: must begin with the path of a measurement document"),
        ),
        (
            "self-review",
            |b| {
                let entry = b["change_log"].as_array_mut().unwrap().last_mut().unwrap();
                entry["approved_by"] = serde_json::json!("the founding engineer, self-review");
            },
            |_| {},
            format!(
                "/change_log/{newest}/approved_by: \"the founding engineer, self-review\" names none of the owners"
            ),
        ),
        (
            "an issue in words",
            |b| {
                let entry = b["change_log"].as_array_mut().unwrap().last_mut().unwrap();
                entry["issue"] = serde_json::json!("the wasm-bindgen issue");
            },
            |_| {},
            format!("/change_log/{newest}/issue: the entry that sets the current thresholds needs the issue"),
        ),
    ];
    for (what, edit_budgets, edit_corpus, expected) in refused {
        std::fs::write(&budgets, &committed_budgets).unwrap();
        std::fs::write(&corpus, &committed_corpus).unwrap();
        edit_json(&budgets, edit_budgets);
        edit_json(&corpus, edit_corpus);
        let o = policy_check(&checkout);
        let stderr = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains(&format!(".github/wasm_perf_budgets.json: {expected}")), "{what}: {stderr}");
    }
    // The throttling change with its entry passes; renaming an environment needs none.
    let restore = || {
        std::fs::write(&budgets, &committed_budgets).unwrap();
        std::fs::write(&corpus, &committed_corpus).unwrap();
    };
    restore();
    edit_json(&corpus, throttle);
    edit_json(&budgets, |b| support::record_committed_change(b, &corpus, "the phone throttled 6x"));
    let o = policy_check(&checkout);
    assert_eq!(o.status.code(), Some(0), "with its entry: {}", text(&o.stderr));
    restore();
    edit_json(&corpus, |c| phone(c, "label", serde_json::json!("a phone, by another name")));
    let o = policy_check(&checkout);
    assert_eq!(o.status.code(), Some(0), "a label measures nothing: {}", text(&o.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}
