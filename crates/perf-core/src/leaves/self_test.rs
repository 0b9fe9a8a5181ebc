//! Built-in broken documents run through a real validator: each case edits a valid
//! document and names the JSON pointer (computed on the unedited one) where it must be
//! rejected. `policy check --self-test` and `corpus check --self-test` run them.

use serde::{Deserialize, Serialize};

use crate::document::DocumentError;

pub struct SelfTestCase {
    pub name: &'static str,
    /// Why the case cannot be built from this valid document (it lacks what the case breaks,
    /// e.g. a corpus without scenarios); `None` when it applies.
    pub not_applicable: fn(&serde_json::Value) -> Option<&'static str>,
    pub expected_pointer: fn(&serde_json::Value) -> String,
    pub edit: fn(&mut serde_json::Value),
}

/// For a case that every valid document can be broken by.
pub fn always(_: &serde_json::Value) -> Option<&'static str> {
    None
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelfTestResult {
    pub name: String,
    pub expected_pointer: String,
    /// Rejected at the expected pointer (or not applicable, see `skipped`).
    pub ok: bool,
    /// Why the case was not run: the valid document has nothing it could break.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The validator's message, or why the case did not pass.
    pub message: String,
}

impl SelfTestResult {
    /// The line a check prints for this case.
    pub fn line(&self) -> String {
        let word = match (self.ok, &self.skipped) {
            (_, Some(_)) => "n/a ",
            (true, None) => "ok  ",
            (false, None) => "FAIL",
        };
        format!("self-test {word}: {} -> {}", self.name, self.message)
    }
}

/// The closing line when every applicable case was rejected as expected (`documents` names
/// them: "policies", "corpora").
pub fn all_rejected_line(results: &[SelfTestResult], documents: &str) -> String {
    let skipped = results.iter().filter(|r| r.skipped.is_some()).count();
    let not_applicable = if skipped == 0 { String::new() } else { format!(" ({skipped} not applicable)") };
    format!("self-test: all {} broken {documents} rejected{not_applicable}", results.len() - skipped)
}

/// Runs `cases` against `valid` through `check`, which parses and validates a document.
pub fn run(
    valid: &serde_json::Value,
    cases: Vec<SelfTestCase>,
    check: impl Fn(&str) -> Result<(), DocumentError>,
) -> Vec<SelfTestResult> {
    cases
        .into_iter()
        .map(|case| {
            if let Some(why) = (case.not_applicable)(valid) {
                let skipped = Some(why.to_owned());
                let message = format!("not applicable: {why}");
                return SelfTestResult {
                    name: case.name.to_owned(),
                    expected_pointer: String::new(),
                    ok: true,
                    skipped,
                    message,
                };
            }
            let expected_pointer = (case.expected_pointer)(valid);
            let mut doc = valid.clone();
            (case.edit)(&mut doc);
            let (ok, message) = match check(&doc.to_string()) {
                Ok(()) => (false, "accepted: the validator did not reject this broken document".to_owned()),
                Err(e) if e.pointer() == expected_pointer => (true, e.to_string()),
                Err(e) => (false, format!("rejected at the wrong place: {e}")),
            };
            SelfTestResult { name: case.name.to_owned(), expected_pointer, ok, skipped: None, message }
        })
        .collect()
}
