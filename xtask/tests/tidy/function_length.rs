//! No function is over 100 lines but the data tables.

use std::collections::BTreeSet;

use crate::{project_root, sources};

/// The most lines a function may span, from its `fn` line to its closing brace.
const MAX_FUNCTION_LINES: usize = 100;

/// The functions allowed over [`MAX_FUNCTION_LINES`], as `path::name`, each with why: a body
/// that is a data table (rows of cases read one at a time, however many), or a function
/// another change is splitting. An entry that is no longer over the limit fails the test.
const LONG_FUNCTIONS_ALLOWED: [(&str, &str); 4] = [
    ("crates/perf-core/src/documents/corpus.rs::self_test_cases", "a data table: the self-test's broken corpora"),
    ("crates/perf-core/src/documents/policy.rs::self_test_cases", "a data table: the self-test's broken policies"),
    (
        "crates/perf-core/src/decide/conclude.rs::each_metric_has_one_status_decided_from_every_rule",
        "a table-driven test: its table of cases",
    ),
    ("crates/perf-core/src/decide/gate.rs::every_rule_in_both_modes", "a table-driven test: its table of cases"),
];

/// No function (tests included) is over [`MAX_FUNCTION_LINES`] lines: a long one is split
/// by the concepts it holds. The exceptions are [`LONG_FUNCTIONS_ALLOWED`].
#[test]
fn no_function_is_over_100_lines() {
    let root = project_root();
    let mut too_long = Vec::new();
    let mut allowed_found = BTreeSet::new();
    for file in sources() {
        let rel = file.strip_prefix(&root).unwrap_or(&file).display().to_string();
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for (name, line, lines) in function_lengths(&text) {
            let key = format!("{rel}::{name}");
            if lines <= MAX_FUNCTION_LINES {
                continue;
            }
            if LONG_FUNCTIONS_ALLOWED.iter().any(|(allowed, _)| *allowed == key) {
                allowed_found.insert(key);
            } else {
                too_long.push(format!("{rel}:{line} {name} ({lines} lines)"));
            }
        }
    }
    assert!(
        too_long.is_empty(),
        "split these functions into smaller ones named for what they do (at most {MAX_FUNCTION_LINES} lines):\n{}",
        too_long.join("\n")
    );
    let stale: Vec<&str> =
        LONG_FUNCTIONS_ALLOWED.iter().map(|(key, _)| *key).filter(|key| !allowed_found.contains(*key)).collect();
    assert!(
        stale.is_empty(),
        "no longer over {MAX_FUNCTION_LINES} lines: remove from LONG_FUNCTIONS_ALLOWED: {stale:?}"
    );
}

#[test]
fn function_lengths_count_from_the_fn_line_to_the_closing_brace() {
    let body = |n: usize| "    step();\n".repeat(n);
    let text = format!(
        "fn planted() {{\n{}}}\n\
         /// fn in_a_comment() {{\n\
         fn at_limit<'a>(x: &'a str) -> [u8; 2] {{\n\
         \x20   let _ = (\"}}\", '{{', '\\'', r#\"}}\"#, b'}}');\n\
         \x20   /* }} /* }} */ */ // }}\n\
         {}}}\n\
         trait Declared {{\n    fn declared(&self);\n}}\n",
        body(99),
        body(96),
    );
    assert_eq!(function_lengths(&text), [("planted".to_owned(), 1, 101), ("at_limit".to_owned(), 103, 100)], "{text}");
}

/// Each function with a body in `text`: its name, the line of its `fn` (1-based) and how
/// many lines it spans, from that line to the one of its closing brace.
fn function_lengths(text: &str) -> Vec<(String, usize, usize)> {
    let code = code_only(text);
    let newlines: Vec<usize> = code.iter().enumerate().filter(|(_, c)| **c == '\n').map(|(i, _)| i).collect();
    let line_of = |i: usize| newlines.partition_point(|&n| n < i) + 1;
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut found = Vec::new();
    for i in 0..code.len().saturating_sub(2) {
        let keyword = code[i] == 'f' && code[i + 1] == 'n' && code[i + 2].is_whitespace();
        if !keyword || (i > 0 && ident(code[i - 1])) {
            continue;
        }
        let name_start = (i + 2..code.len()).find(|&j| !code[j].is_whitespace()).unwrap_or(code.len());
        let name: String = code[name_start..].iter().take_while(|&&c| ident(c)).collect();
        // A macro's `fn $name` has no name to report.
        if name.is_empty() {
            continue;
        }
        let Some(open) = body_start(&code, name_start) else { continue };
        let mut depth = 0;
        let close = code[open..].iter().position(|&c| {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            depth == 0
        });
        if let Some(close) = close {
            let first = line_of(i);
            found.push((name, first, line_of(open + close) - first + 1));
        }
    }
    found
}

/// Where the body of the function whose signature starts at `from` opens: the first `{`
/// outside the signature's parentheses and brackets; `None` for a declaration (`;` first).
fn body_start(code: &[char], from: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (i, &c) in code.iter().enumerate().skip(from) {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ';' if depth == 0 => return None,
            '{' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

/// `text` with its comments, strings and char literals blanked to spaces (newlines kept),
/// so that the braces and `fn`s left are code.
fn code_only(text: &str) -> Vec<char> {
    let mut code: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < code.len() {
        let Some(end) = literal_or_comment_end(&code, i) else {
            i += 1;
            continue;
        };
        let end = end.min(code.len());
        for c in &mut code[i..end] {
            if *c != '\n' {
                *c = ' ';
            }
        }
        i = end;
    }
    code
}

/// The end (exclusive) of the comment, string or char literal starting at `i`, if one does.
fn literal_or_comment_end(code: &[char], i: usize) -> Option<usize> {
    let at = |j: usize| code.get(j).copied().unwrap_or('\0');
    let after_ident = i > 0 && (code[i - 1].is_alphanumeric() || code[i - 1] == '_');
    match code[i] {
        '/' if at(i + 1) == '/' => Some((i..code.len()).find(|&j| code[j] == '\n').unwrap_or(code.len())),
        '/' if at(i + 1) == '*' => {
            // Block comments nest.
            let (mut depth, mut j) = (0, i);
            while j < code.len() {
                if code[j] == '/' && at(j + 1) == '*' {
                    depth += 1;
                    j += 2;
                } else if code[j] == '*' && at(j + 1) == '/' {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            Some(j)
        }
        'r' | 'b' if !after_ident => {
            // A raw string `r#"…"#` (or `br"…"`); `r#ident` and other code are not.
            let start = if code[i] == 'b' && at(i + 1) == 'r' { i + 2 } else { i + 1 };
            let hashes = (start..code.len()).take_while(|&j| code[j] == '#').count();
            if code[i] == 'b' && start == i + 1 || at(start + hashes) != '"' {
                return None;
            }
            let closes = |j: usize| code[j] == '"' && (1..=hashes).all(|h| at(j + h) == '#');
            let close = (start + hashes + 1..code.len()).find(|&j| closes(j)).unwrap_or(code.len());
            Some(close + 1 + hashes)
        }
        '"' => {
            let mut j = i + 1;
            while j < code.len() && code[j] != '"' {
                j += if code[j] == '\\' { 2 } else { 1 };
            }
            Some(j + 1)
        }
        // A char literal: an escape, or one char; a quote otherwise starts a lifetime.
        '\'' if at(i + 1) == '\\' => Some((i + 3..code.len()).find(|&j| code[j] == '\'').map_or(code.len(), |j| j + 1)),
        '\'' if at(i + 2) == '\'' => Some(i + 3),
        _ => None,
    }
}
