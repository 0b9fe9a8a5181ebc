//! Change control of a subject's committed documents. The budgets' change log already
//! records every threshold (`Budgets::check_change_log`); a subject's newest entry must also
//! record the corpus it was made with (`Corpus::measurement_sha256`), name an owner that
//! CODEOWNERS lists for the budgets file as its approver, and cite as its evidence a
//! measurement document committed to the repository (a summary, a run or a measurements
//! file) with the budgets' seed set. The caller reads the files; this decides.

use crate::budget::Budgets;
use crate::codeowners::CodeOwners;
use crate::corpus::Corpus;
use crate::document::DocumentError;
use crate::{measurements, run, summary};

/// What a subject's budgets answer to besides their thresholds.
pub struct Committed<'a> {
    /// The budgets file's path in the repository, as CODEOWNERS patterns match it.
    pub budgets_path: &'a str,
    pub owners: &'a CodeOwners,
    /// The subject's committed corpus, and its path.
    pub corpus: &'a Corpus,
    pub corpus_path: &'a str,
}

/// The schemas a measurement document has: a summary, a run (a matrix job's partial
/// summary, or what `init` measured) and figures measured elsewhere.
pub const MEASUREMENT_DOCUMENTS: [&str; 3] =
    [summary::SCHEMA_VERSION, run::SCHEMA_VERSION, measurements::SCHEMA_VERSION];

/// The newest entry of a subject's budgets against its corpus and CODEOWNERS; returns the
/// evidence document to read (its JSON pointer and path), for [`check_evidence`].
pub fn check_committed(
    budgets: &Budgets,
    file: &str,
    committed: &Committed,
) -> Result<(String, String), DocumentError> {
    budgets.check_change_log(file)?;
    let n = budgets.change_log.len();
    let Some(newest) = budgets.change_log.last() else {
        return Err(DocumentError::rule(file, "/change_log", "a subject's budgets need a change log"));
    };
    let rule = |field: &str, why: String| DocumentError::rule(file, format!("/change_log/{}/{field}", n - 1), why);
    let current = committed.corpus.measurement_sha256();
    let corpus_path = committed.corpus_path;
    match newest.corpus_sha256.as_deref() {
        None => {
            return Err(rule(
                "corpus_sha256",
                format!(
                    "the entry that sets the current thresholds records no corpus: add \"corpus_sha256\": \
                     \"{current}\" (the measurement-defining parts of {corpus_path})"
                ),
            ));
        }
        Some(recorded) if recorded != current => {
            return Err(rule(
                "corpus_sha256",
                format!(
                    "{corpus_path} changed what it measures since this entry (the sha256 of its environments, \
                     protocols, scenarios, hosts and coverage is now {current}): record why in a new change-log entry"
                ),
            ));
        }
        Some(_) => {}
    }
    let path = committed.budgets_path;
    let owners = committed.owners.owners_of(path);
    let approval = newest.approved_by.as_deref().unwrap_or_default();
    if owners.is_empty() {
        return Err(rule(
            "approved_by",
            format!(
                "CODEOWNERS lists no owner for {path}: a subject's budgets need one, whose approval the entry names"
            ),
        ));
    }
    if !committed.owners.names_an_owner_of(path, approval) {
        return Err(rule(
            "approved_by",
            format!(
                "{approval:?} names none of the owners CODEOWNERS lists for {path} ({}): the approval must be a \
                 code owner's",
                owners.join(", ")
            ),
        ));
    }
    let pointer = format!("/change_log/{}/evidence", n - 1);
    let first = newest.evidence.split_whitespace().next().unwrap_or_default().trim_end_matches([',', ';', ':', ')']);
    let relative = !first.starts_with('/') && !first.split('/').any(|part| part == "..");
    if !relative || !first.ends_with(".json") || first.contains("://") {
        return Err(rule(
            "evidence",
            format!(
                "must begin with the path of a measurement document committed to the repository (a summary, a run \
                 or a measurements file, measured with the budgets' seed set), found \"{first}\": a link or a \
                 write-up is no evidence the gate can check"
            ),
        ));
    }
    Ok((pointer, first.to_owned()))
}

/// The evidence document's text (read from `path`): a measurement document whose seed set
/// is the budgets'.
pub fn check_evidence(
    budgets: &Budgets,
    file: &str,
    pointer: &str,
    path: &str,
    text: &str,
) -> Result<(), DocumentError> {
    let refuse = |why: String| DocumentError::rule(file, pointer, why);
    let document: serde_json::Value =
        serde_json::from_str(text).map_err(|e| refuse(format!("{path} is not valid JSON: {e}")))?;
    let schema = document["schema_version"].as_str().unwrap_or_default();
    if !MEASUREMENT_DOCUMENTS.contains(&schema) {
        return Err(refuse(format!(
            "{path} is not a measurement document: its schema_version is {schema:?}, expected one of {}",
            MEASUREMENT_DOCUMENTS.join(", ")
        )));
    }
    let seeds: Vec<u64> = serde_json::from_value(document["seed_set"].clone())
        .map_err(|e| refuse(format!("{path}: /seed_set is not a list of seeds: {e}")))?;
    budgets.check_evidence_seeds(file, pointer, path, Some(&seeds))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNERS: &str = "/.github/wasm_perf_budgets.json @org/perf @alice\n";

    fn budgets(edit: impl Fn(&mut serde_json::Value)) -> Budgets {
        let text = include_str!("../../../../.github/wasm_perf_budgets.json");
        let mut value: serde_json::Value = serde_json::from_str(text).unwrap();
        edit(&mut value);
        Budgets::parse("b.json", &value.to_string()).unwrap()
    }

    fn corpus(edit: impl Fn(&mut serde_json::Value)) -> Corpus {
        let text = include_str!("../../../../.github/wasm_benchmark_corpus.json");
        let mut value: serde_json::Value = serde_json::from_str(text).unwrap();
        edit(&mut value);
        Corpus::parse("c.json", &value.to_string()).unwrap()
    }

    fn check(budgets: &Budgets, corpus: &Corpus) -> Result<(String, String), DocumentError> {
        let owners = CodeOwners::parse(OWNERS);
        let committed = Committed {
            budgets_path: ".github/wasm_perf_budgets.json",
            owners: &owners,
            corpus,
            corpus_path: "c.json",
        };
        check_committed(budgets, "b.json", &committed)
    }

    /// The committed budgets with their newest entry edited as `entry` says.
    fn with_newest(corpus: &Corpus, entry: impl Fn(&mut serde_json::Value)) -> Budgets {
        let sha = corpus.measurement_sha256();
        budgets(|b| {
            let newest = b["change_log"].as_array_mut().unwrap().last_mut().unwrap();
            newest["corpus_sha256"] = serde_json::json!(sha);
            newest["approved_by"] = serde_json::json!("@alice in #31");
            newest["evidence"] = serde_json::json!("docs/evidence/run.json, before and after");
            entry(newest);
        })
    }

    #[test]
    fn a_subjects_newest_entry_records_its_corpus_a_code_owner_and_a_measurement_document() {
        let committed = corpus(|_| {});
        let ok = with_newest(&committed, |_| {});
        assert_eq!(
            check(&ok, &committed).unwrap(),
            (
                "/change_log/".to_owned() + &(ok.change_log.len() - 1).to_string() + "/evidence",
                "docs/evidence/run.json".to_owned()
            )
        );
        let newest = ok.change_log.len() - 1;
        let throttled = corpus(|c| c["environments"][1]["cpu_throttling_rate"] = serde_json::json!(6.0));
        let relabelled = corpus(|c| {
            c["environments"][1]["label"] = serde_json::json!("another name");
            c["description"] = serde_json::json!("another description");
        });
        assert!(check(&ok, &relabelled).is_ok(), "labels and the description name things; they measure nothing");
        type Edit = fn(&mut serde_json::Value);
        let cases: [(&str, &Corpus, Edit, &str); 7] = [
            ("throttling", &throttled, |_| {}, "c.json changed what it measures since this entry"),
            (
                "no corpus",
                &committed,
                |e| e["corpus_sha256"] = serde_json::Value::Null,
                "records no corpus: add \"corpus_sha256\"",
            ),
            (
                "self-review",
                &committed,
                |e| e["approved_by"] = serde_json::json!("self-review"),
                "\"self-review\" names none of the owners CODEOWNERS lists for .github/wasm_perf_budgets.json (@org/perf, @alice)",
            ),
            (
                "README",
                &committed,
                |e| e["evidence"] = serde_json::json!("README.md, section \"Changing a threshold\""),
                "found \"README.md\"",
            ),
            (
                "link",
                &committed,
                |e| e["evidence"] = serde_json::json!("https://github.com/o/r/actions/runs/1"),
                "a link or a write-up is no evidence",
            ),
            (
                "outside",
                &committed,
                |e| e["evidence"] = serde_json::json!("../elsewhere/run.json"),
                "found \"../elsewhere/run.json\"",
            ),
            (
                "issue",
                &committed,
                |e| e["issue"] = serde_json::json!("issue 29"),
                "as #N or a link (https://...), found \"issue 29\"",
            ),
        ];
        for (what, corpus, edit, expected) in cases {
            let err = check(&with_newest(&committed, edit), corpus).unwrap_err();
            assert!(err.to_string().contains(expected), "{what}: {err}");
            assert!(err.pointer().starts_with(&format!("/change_log/{newest}/")), "{what}: {}", err.pointer());
        }
        let unowned = CodeOwners::parse("/other.json @x\n");
        let committed_docs = Committed {
            budgets_path: ".github/wasm_perf_budgets.json",
            owners: &unowned,
            corpus: &committed,
            corpus_path: "c.json",
        };
        let err = check_committed(&ok, "b.json", &committed_docs).unwrap_err();
        assert!(err.to_string().contains("CODEOWNERS lists no owner for .github/wasm_perf_budgets.json"), "{err}");
    }

    #[test]
    fn the_evidence_is_a_measurement_document_with_the_budgets_seeds() {
        let b = budgets(|_| {});
        let check = |text: &str| check_evidence(&b, "b.json", "/change_log/3/evidence", "e.json", text);
        let seeds = serde_json::json!(b.seed_set);
        for schema in MEASUREMENT_DOCUMENTS {
            check(&serde_json::json!({"schema_version": schema, "seed_set": seeds}).to_string()).unwrap();
        }
        let cases = [
            (
                serde_json::json!({"schema_version": "wasm-perf-baseline-v1", "seed_set": seeds}).to_string(),
                "e.json is not a measurement document: its schema_version is \"wasm-perf-baseline-v1\"",
            ),
            (
                serde_json::json!({"schema_version": summary::SCHEMA_VERSION, "seed_set": [11, 42]}).to_string(),
                "e.json was measured with the seeds [11, 42]",
            ),
            (
                serde_json::json!({"schema_version": summary::SCHEMA_VERSION}).to_string(),
                "e.json: /seed_set is not a list of seeds",
            ),
            ("# a write-up".to_owned(), "e.json is not valid JSON"),
        ];
        for (text, expected) in cases {
            let err = check(&text).unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
        }
    }
}
