//! Built-in broken documents run through a real validator: each case edits a valid
//! document and names the JSON pointer (computed on the unedited one) where it must be
//! rejected. `policy check --self-test` and `corpus check --self-test` run them.

use serde::{Deserialize, Serialize};

use crate::document::DocumentError;

pub struct SelfTestCase {
    pub name: &'static str,
    pub expected_pointer: fn(&serde_json::Value) -> String,
    pub edit: fn(&mut serde_json::Value),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelfTestResult {
    pub name: String,
    pub expected_pointer: String,
    /// Rejected at the expected pointer.
    pub ok: bool,
    /// The validator's message, or why the case did not pass.
    pub message: String,
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
            let expected_pointer = (case.expected_pointer)(valid);
            let mut doc = valid.clone();
            (case.edit)(&mut doc);
            let (ok, message) = match check(&doc.to_string()) {
                Ok(()) => (false, "accepted: the validator did not reject this broken document".to_owned()),
                Err(e) if e.pointer() == expected_pointer => (true, e.to_string()),
                Err(e) => (false, format!("rejected at the wrong place: {e}")),
            };
            SelfTestResult { name: case.name.to_owned(), expected_pointer, ok, message }
        })
        .collect()
}
