//! Subjects: the crates a repository gates, each with its documents in one folder and its
//! baseline and outputs named by one convention. The default subject keeps the contract's
//! paths (`.github/wasm_optimization_policy.json`, `baselines/baseline_latest.json`,
//! `artifacts/wasm_budget_summary.json`); subject NAME has the same file names one folder
//! down (`.github/NAME/…`, `baselines/NAME/…`, `artifacts/NAME/…`), so that adding a crate
//! is adding a folder, and no command line or workflow names one.

use std::fmt;
use std::path::{Component, Path, PathBuf};

/// The default subject's name, as `--subject` and `cargo xtask subjects` spell it.
pub const DEFAULT: &str = "default";

/// The file whose presence in `.github/NAME/` makes NAME a subject.
pub const POLICY_FILE: &str = "wasm_optimization_policy.json";

/// Names a subject may not take: the folders the tool keeps beside the subjects' (under
/// `.github` and `artifacts`), which a subject's files would land in, and `all` (the
/// rebaseline workflow's input for every subject). (`default` names the default subject.)
const RESERVED: &[&str] =
    &["all", "workflows", "attribution", "cache", "compare", "logs", "partial", "screenshots", "test", "wasm"];

/// One gated crate: where its documents, baseline and outputs are.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subject {
    name: String,
}

/// A subject name that cannot be one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("subject {name:?}: {why}")]
pub struct BadName {
    pub name: String,
    pub why: &'static str,
}

impl Subject {
    /// The default subject: the contract's paths.
    pub fn default_subject() -> Subject {
        Subject { name: DEFAULT.to_owned() }
    }

    /// The subject called `name` (`default` is the default subject): lowercase ASCII
    /// letters, digits and hyphens, starting with a letter or digit, as a crate or folder
    /// name that needs no quoting in a shell or a workflow.
    pub fn named(name: &str) -> Result<Subject, BadName> {
        if name == DEFAULT {
            return Ok(Subject::default_subject());
        }
        let bad = |why| Err(BadName { name: name.to_owned(), why });
        if name.is_empty() || name.len() > 64 {
            return bad("expected 1 to 64 characters");
        }
        if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') || name.starts_with('-') {
            return bad("expected lowercase letters, digits and hyphens, not starting with a hyphen");
        }
        if RESERVED.contains(&name) {
            return bad(
                "the name is taken: the tool keeps a folder of it beside the subjects', or it stands for every subject",
            );
        }
        Ok(Subject { name: name.to_owned() })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_default(&self) -> bool {
        self.name == DEFAULT
    }

    /// Where this subject keeps what the default subject keeps at `default_path`: the same
    /// path with the subject's folder after its first component
    /// (`.github/wasm_perf_budgets.json` → `.github/NAME/wasm_perf_budgets.json`).
    pub fn path(&self, default_path: &Path) -> PathBuf {
        if self.is_default() {
            return default_path.to_path_buf();
        }
        let mut components = default_path.components();
        match components.next() {
            Some(first @ Component::Normal(_)) if components.clone().next().is_some() => {
                Path::new(first.as_os_str()).join(&self.name).join(components.as_path())
            }
            // A bare file name or an absolute path is the user's own, not a convention's.
            _ => default_path.to_path_buf(),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// The subjects of a repository: the default one where `.github` holds a policy itself
/// (`has_default`), then one per folder of `.github` that holds one (`folders`), sorted by
/// name. A folder whose name cannot be a subject's is an error naming it, not skipped.
pub fn subjects(has_default: bool, folders: &[String]) -> Result<Vec<Subject>, BadName> {
    let folder = |f: &String| match f.as_str() {
        // `.github/default/` would be gated by no name: `--subject default` is `.github/`.
        DEFAULT => Err(BadName { name: f.clone(), why: "the default subject's documents are in .github itself" }),
        _ => Subject::named(f),
    };
    let mut named = folders.iter().map(folder).collect::<Result<Vec<_>, _>>()?;
    named.sort();
    named.dedup();
    let default = has_default.then(Subject::default_subject);
    Ok(default.into_iter().chain(named).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_keeps_the_default_file_names_one_folder_down() {
        let word = Subject::named("word-index").unwrap();
        let cases = [
            (".github/wasm_perf_budgets.json", ".github/word-index/wasm_perf_budgets.json"),
            ("baselines/baseline_latest.json", "baselines/word-index/baseline_latest.json"),
            ("artifacts/wasm_budget_summary.json", "artifacts/word-index/wasm_budget_summary.json"),
            ("summary.json", "summary.json"),
            ("/tmp/summary.json", "/tmp/summary.json"),
        ];
        for (default, expected) in cases {
            assert_eq!(word.path(Path::new(default)), Path::new(expected), "{default}");
            assert_eq!(Subject::default_subject().path(Path::new(default)), Path::new(default));
        }
    }

    #[test]
    fn a_name_that_would_need_quoting_or_land_in_the_tools_folders_is_refused() {
        assert!(Subject::named("default").unwrap().is_default());
        for (name, why) in [
            ("", "expected 1 to 64"),
            ("Word", "lowercase"),
            ("-x", "hyphen"),
            ("a/b", "lowercase"),
            ("cache", "keeps a folder"),
            ("workflows", "keeps a folder"),
        ] {
            let e = Subject::named(name).unwrap_err();
            assert!(e.to_string().contains(why), "{name}: {e}");
        }
    }

    #[test]
    fn the_default_subject_comes_first_then_the_folders_by_name() {
        let folders = ["word-index".to_owned(), "a-crate".to_owned()];
        let names = |s: Vec<Subject>| s.iter().map(|s| s.name().to_owned()).collect::<Vec<_>>();
        assert_eq!(names(subjects(true, &folders).unwrap()), ["default", "a-crate", "word-index"]);
        assert_eq!(names(subjects(false, &folders).unwrap()), ["a-crate", "word-index"]);
        let bad = subjects(true, &["Bad".to_owned()]).unwrap_err();
        assert_eq!(bad.name, "Bad");
        let hidden = subjects(true, &["default".to_owned()]).unwrap_err();
        assert_eq!(hidden.why, "the default subject's documents are in .github itself");
    }
}
