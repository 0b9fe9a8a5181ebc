//! perf-core's golden tests, in one test binary: what the Markdown report and `rebaseline`
//! write is compared with the files in `tests/golden/expected/`.
//!
//! After a deliberate change, regenerate them with `UPDATE_GOLDEN=1 cargo test -p perf-core
//! --test golden` and review the diff before committing. With `CI` set, rewriting is
//! refused: a CI run never blesses its own output.

#![allow(clippy::unwrap_used)]

mod markdown;
mod rebaseline;

use std::path::Path;

/// Compares `actual` with `tests/golden/expected/<name>`, failing with a line diff, or
/// rewrites the file when `UPDATE_GOLDEN` is set (and `CI` is not).
pub fn check(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/expected").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        assert!(
            std::env::var_os("CI").is_none(),
            "UPDATE_GOLDEN is refused when CI is set: rewrite goldens locally and review the diff"
        );
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        panic!(
            "{} differs from this run (- expected, + actual); if the change is deliberate, rerun with \
             UPDATE_GOLDEN=1 and review the diff:\n{}",
            path.display(),
            diff(&expected, actual)
        );
    }
}

/// The lines that differ between `a` and `b` (a longest-common-subsequence diff), each with
/// its line number in its own file, and one line of context (numbered as in `b`) around
/// each change.
fn diff(a: &str, b: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let mut ops: Vec<(char, usize, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', j + 1, b[j]));
            (i, j) = (i + 1, j + 1);
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', i + 1, a[i]));
            i += 1;
        } else {
            ops.push(('+', j + 1, b[j]));
            j += 1;
        }
    }
    let near_change = |k: usize| ops[k.saturating_sub(1)..(k + 2).min(ops.len())].iter().any(|(c, _, _)| *c != ' ');
    let mut out = String::new();
    for (k, (c, line, text)) in ops.iter().enumerate() {
        if *c != ' ' || near_change(k) {
            out.push_str(&format!("{c} {line:>4} | {text}\n"));
        }
    }
    out
}

#[test]
fn the_diff_names_changed_lines_only_with_their_context() {
    let d = diff("a\nb\nc\nd\ne\nf\n", "a\nb\nC\nd\ne\nf\ng\n");
    let expected = ["     2 | b", "-    3 | c", "+    3 | C", "     4 | d", "     6 | f", "+    7 | g"];
    assert_eq!(d.lines().collect::<Vec<_>>(), expected);
}
