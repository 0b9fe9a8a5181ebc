//! Parsing a JSON document into a typed value, with errors that name the file, the JSON
//! pointer of the offending value (`/profiles/2/wasm_opt/passes/0`) and what was expected.

use serde::de::DeserializeOwned;

/// A document that could not be accepted: what is wrong, where, and in which file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Not JSON at all.
    #[error("{file}: invalid JSON at line {line}, column {column}: {message}")]
    Syntax { file: String, line: usize, column: usize, message: String },
    /// JSON of the wrong shape: a missing or unknown key, a value of the wrong type.
    #[error("{file}: {pointer}: {expected}")]
    Shape { file: String, pointer: String, expected: String },
    /// Well-formed but breaks a rule (duplicate id, warn above hard, unknown feature, ...).
    #[error("{file}: {pointer}: {message}")]
    Rule { file: String, pointer: String, message: String },
}

impl DocumentError {
    pub fn rule(file: &str, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        DocumentError::Rule { file: file.to_owned(), pointer: pointer.into(), message: message.into() }
    }

    /// The JSON pointer of the offending value ("" for syntax errors).
    pub fn pointer(&self) -> &str {
        match self {
            DocumentError::Syntax { .. } => "",
            DocumentError::Shape { pointer, .. } | DocumentError::Rule { pointer, .. } => pointer,
        }
    }
}

/// Parses `text` (the content of `file`) into `T`, reporting shape errors by JSON pointer.
pub fn parse_document<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, DocumentError> {
    // Syntax first: a shape error's path means nothing in text that is not JSON.
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        return Err(DocumentError::Syntax {
            file: file.to_owned(),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        });
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let pointer = json_pointer(e.path());
        DocumentError::Shape { file: file.to_owned(), pointer, expected: strip_position(&e.inner().to_string()) }
    })
}

/// The `/schema_version` rule every versioned document shares.
pub fn check_schema_version(file: &str, found: &str, expected: &str) -> Result<(), DocumentError> {
    if found != expected {
        return Err(DocumentError::rule(
            file,
            "/schema_version",
            format!("expected \"{expected}\", found \"{found}\""),
        ));
    }
    Ok(())
}

/// Appends a key or index to a JSON pointer, escaping as RFC 6901 requires.
pub fn pointer_join(base: &str, segment: impl std::fmt::Display) -> String {
    let s = segment.to_string().replace('~', "~0").replace('/', "~1");
    format!("{base}/{s}")
}

fn json_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        pointer = match segment {
            Segment::Seq { index } => pointer_join(&pointer, index),
            Segment::Map { key } => pointer_join(&pointer, key),
            Segment::Enum { variant } => pointer_join(&pointer, variant),
            Segment::Unknown => pointer_join(&pointer, "?"),
        };
    }
    if pointer.is_empty() { "/".to_owned() } else { pointer }
}

/// serde_json appends " at line L column C"; the pointer says where, so drop it.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{DocumentError, parse_document};
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        name: String,
        size: u32,
    }

    fn err(text: &str) -> DocumentError {
        parse_document::<Doc>("doc.json", text).unwrap_err()
    }

    #[test]
    fn shape_errors_carry_the_pointer_and_the_expectation() {
        let cases = [
            (
                r#"{"items":[{"name":"a","size":1},{"name":"b","size":"x"}]}"#,
                "/items/1/size",
                "invalid type: string \"x\", expected u32",
            ),
            (
                r#"{"items":[{"name":"a","size":1,"extra":0}]}"#,
                "/items/0/extra",
                "unknown field `extra`, expected `name` or `size`",
            ),
            (r#"{"items":[{"name":"a"}]}"#, "/items/0", "missing field `size`"),
            (r#"{"items":{}}"#, "/items", "invalid type: map, expected a sequence"),
        ];
        for (text, pointer, expected) in cases {
            match err(text) {
                DocumentError::Shape { file, pointer: p, expected: e } => {
                    assert_eq!((file.as_str(), p.as_str(), e.as_str()), ("doc.json", pointer, expected), "{text}");
                }
                other => panic!("{text}: expected a shape error, got {other:?}"),
            }
        }
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let e = err("{\n  \"items\": [,]\n}");
        assert_eq!(e.to_string(), "doc.json: invalid JSON at line 2, column 13: expected value");
    }

    #[test]
    fn pointer_segments_are_escaped() {
        assert_eq!(super::pointer_join("/a", "b/c~d"), "/a/b~1c~0d");
    }
}
