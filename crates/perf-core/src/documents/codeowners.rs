//! `.github/CODEOWNERS`: who must review a change to a file. Parsed as GitHub reads it (a
//! pattern, then owners, per line; `#` comments; the last matching line wins), so that a
//! change-log entry's approver can be checked against the owners of the budgets it changes.

/// The rules of a CODEOWNERS file, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodeOwners {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    pattern: String,
    owners: Vec<String>,
}

impl CodeOwners {
    pub fn parse(text: &str) -> CodeOwners {
        let rules = text
            .lines()
            .map(|l| l.split_once(" #").map_or(l, |(rule, _)| rule).trim())
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let mut words = l.split_whitespace();
                let pattern = words.next()?.to_owned();
                Some(Rule { pattern, owners: words.map(str::to_owned).collect() })
            })
            .collect();
        CodeOwners { rules }
    }

    /// The owners of `path` (relative to the repository root, `/`-separated): those of the
    /// last line whose pattern matches it; none when no line does, or that line names none.
    pub fn owners_of(&self, path: &str) -> &[String] {
        let path = path.trim_start_matches('/');
        self.rules.iter().rev().find(|r| matches(&r.pattern, path)).map_or(&[], |r| &r.owners)
    }

    /// Whether `approval` (a change-log entry's `approved_by`: "@alice in #123") names one of
    /// `path`'s owners, as a word of its own; handles compare without case, as GitHub's do.
    pub fn names_an_owner_of(&self, path: &str, approval: &str) -> bool {
        let owners = self.owners_of(path);
        approval
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | ':'))
            .any(|word| owners.iter().any(|o| o.eq_ignore_ascii_case(word.trim_end_matches('.'))))
    }
}

/// Whether a CODEOWNERS pattern matches `path`, as GitHub documents its rules: a leading
/// `/` or a `/` inside anchors the pattern at the root, else it matches at any depth; a
/// trailing `/` matches a folder's contents only; `*` and `?` stay within one path
/// component, `**` spans any; a pattern without a wildcard in its last component that names
/// a folder matches everything under it, one with a wildcard there does not (`docs/*`
/// matches `docs/a.md`, not `docs/build/b.md`).
fn matches(pattern: &str, path: &str) -> bool {
    let folder_only = pattern.ends_with('/');
    let trimmed = pattern.trim_end_matches('/');
    let anchored = trimmed.starts_with('/') || trimmed.contains('/');
    let trimmed = trimmed.trim_start_matches('/');
    let last_is_wild = trimmed.rsplit('/').next().is_some_and(|last| last.contains(['*', '?']));
    let parts: Vec<&str> = path.split('/').collect();
    // The path itself, or (for a pattern that can name a folder) a folder it is in.
    let ends = (1..=parts.len()).filter(|&n| {
        let whole = n == parts.len();
        (whole && !folder_only) || (!whole && !(last_is_wild && !folder_only))
    });
    let starts: Vec<usize> = if anchored { vec![0] } else { (0..parts.len()).collect() };
    ends.into_iter().any(|end| {
        starts.iter().filter(|&&start| start < end).any(|&start| glob(trimmed, &parts[start..end].join("/")))
    })
}

/// `*` and `?` within a component, `**` across components.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    glob_at(&p, &t)
}

fn glob_at(p: &[char], t: &[char]) -> bool {
    match p {
        [] => t.is_empty(),
        // `**/` matches no component or whole components: it resumes at a component's start.
        ['*', '*', '/', rest @ ..] => {
            glob_at(rest, t) || (0..t.len()).any(|i| t[i] == '/' && glob_at(rest, &t[i + 1..]))
        }
        ['*', '*', rest @ ..] => (0..=t.len()).any(|i| glob_at(rest, &t[i..])),
        ['*', rest @ ..] => (0..=t.len()).take_while(|&i| i == 0 || t[i - 1] != '/').any(|i| glob_at(rest, &t[i..])),
        ['?', rest @ ..] => t.first().is_some_and(|&c| c != '/') && glob_at(rest, &t[1..]),
        [c, rest @ ..] => t.first() == Some(c) && glob_at(rest, &t[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# comment
*                         @org/everyone
/.github/wasm_perf_budgets.json @org/perf @alice # the gate's thresholds
docs/                     @org/docs
/baselines/**/*.json      @org/perf
*.md                      @org/writers
/crates/private           @bob
/.github/word-index/      @org/perf
";

    #[test]
    fn the_last_matching_line_names_the_owners() {
        let owners = CodeOwners::parse(FILE);
        let cases = [
            (".github/wasm_perf_budgets.json", &["@org/perf", "@alice"][..]),
            ("/.github/wasm_perf_budgets.json", &["@org/perf", "@alice"]),
            (".github/word-index/wasm_perf_budgets.json", &["@org/perf"]),
            (".github/word-index/deep/x.json", &["@org/perf"]),
            (".github/wasm_benchmark_corpus.json", &["@org/everyone"]),
            ("baselines/baseline_latest.json", &["@org/perf"]),
            ("baselines/word-index/baseline_latest.json", &["@org/perf"]),
            ("docs/perf.md", &["@org/writers"]),
            ("docs/evidence/a.json", &["@org/docs"]),
            ("crates/docs/x.rs", &["@org/docs"]),
            ("README.md", &["@org/writers"]),
            ("crates/private/src/lib.rs", &["@bob"]),
            ("crates/private-not/x.rs", &["@org/everyone"]),
        ];
        for (path, expected) in cases {
            assert_eq!(owners.owners_of(path), expected, "{path}");
        }
        assert!(CodeOwners::parse("/a.json @x\n").owners_of("b.json").is_empty());
        // GitHub's documented examples, and `**/` at component boundaries only.
        let matched =
            |pattern: &str, path: &str| !CodeOwners::parse(&format!("{pattern} @x")).owners_of(path).is_empty();
        for (pattern, path, expected) in [
            ("docs/*", "docs/getting-started.md", true),
            ("docs/*", "docs/build-app/troubleshooting.md", false),
            ("/docs/", "docs/build-app/troubleshooting.md", true),
            ("apps/", "src/apps/x.js", true),
            ("/build/logs/", "build/logs/a/b.log", true),
            ("/build/logs/", "x/build/logs/a.log", false),
            ("**/logs", "deeply/nested/logs", true),
            ("**/logs", "logs/a.log", true),
            ("**/logs", "build/catlogs", false),
            ("a/**/b", "a/x/y/b", true),
            ("a/**/b", "a/b", true),
            ("a/**/b", "a/xb", false),
            ("**/wasm_perf_budgets.json", ".github/old_wasm_perf_budgets.json", false),
            ("*.js", "src/deep/a.js", true),
            ("/scripts/", "scripts", false),
        ] {
            assert_eq!(matched(pattern, path), expected, "{pattern} on {path}");
        }
        assert!(CodeOwners::parse("/a.json @x\n/a.json\n").owners_of("a.json").is_empty(), "owners removed");
    }

    #[test]
    fn an_approval_must_name_an_owner_of_the_file() {
        let owners = CodeOwners::parse(FILE);
        let budgets = ".github/wasm_perf_budgets.json";
        for (approval, names) in [
            ("@alice in #123", true),
            ("@Alice, in the pull request", true),
            ("@org/perf (review of #31).", true),
            ("self-review", false),
            ("@alice2 in #1", false),
            ("alice", false),
            ("@org/everyone", false),
            ("", false),
        ] {
            assert_eq!(owners.names_an_owner_of(budgets, approval), names, "{approval:?}");
        }
    }
}
