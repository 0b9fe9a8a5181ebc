//! Reading the documents named on the command line (policy, budgets, corpus), and the
//! policy validated against the package it builds and binaryen's names.

use std::path::{Path, PathBuf};

use anyhow::Context;
use perf_core::DocumentError;
use perf_core::budget::{Budgets, Evidence};
use perf_core::change_control::{self, Committed};
use perf_core::codeowners::CodeOwners;
use perf_core::corpus::Corpus;
use perf_core::digest::sha256_hex;
use perf_core::policy::{Policy, PolicyContext};
use perf_core::subject::Subject;
use xshell::{Shell, cmd};

use crate::settings::{DEFAULT_BUDGETS, DEFAULT_CORPUS, Inputs};
use crate::toolchain::{self, PackageInfo};
use crate::{bindgen, optimize};

pub struct Document<T> {
    pub value: T,
    /// The name errors and summaries use: relative to the workspace when inside it.
    pub name: String,
    pub text: String,
    pub sha256: String,
}

pub struct Loaded {
    pub policy: Document<Policy>,
    pub budgets: Document<Budgets>,
    /// The package to gate: `--package`, else the policy's.
    pub package: String,
    /// The subject the command works on (`--subject`, else the default one).
    pub subject: Subject,
}

pub fn load(inputs: &Inputs) -> anyhow::Result<Loaded> {
    let subject = inputs.subject.clone().unwrap_or_else(Subject::default_subject);
    let budgets = read(&inputs.budgets, Budgets::parse)?;
    let policy = read(&inputs.policy, Policy::parse)?;
    let package = inputs.package.clone().unwrap_or_else(|| policy.value.package.clone());
    Ok(Loaded { policy, budgets, package, subject })
}

pub fn read<T>(
    path: &Path,
    parse: fn(&str, &str) -> Result<T, perf_core::DocumentError>,
) -> anyhow::Result<Document<T>> {
    let (full, name) = resolve(path);
    let text = std::fs::read_to_string(&full).with_context(|| format!("cannot read {name}"))?;
    let value = parse(&name, &text)?;
    let sha256 = sha256_hex(text.as_bytes());
    Ok(Document { value, name, text, sha256 })
}

/// A path given on the command line, absolute, and its display name. Relative paths are
/// relative to the workspace root wherever the command runs (as `cargo xtask` tasks are), so a
/// default output never lands in whatever directory the caller happened to be in.
pub fn resolve(path: &Path) -> (PathBuf, String) {
    let root = crate::project_root();
    let full = if path.is_absolute() { path.to_path_buf() } else { root.join(path) };
    let name = full.strip_prefix(&root).unwrap_or(&full).display().to_string();
    (full, name)
}

/// What the policy is checked against, read from cargo and binaryen.
pub fn policy_context(loaded: &Loaded, package: &PackageInfo) -> PolicyContext {
    PolicyContext {
        package: package.name.clone(),
        package_features: package.features.clone(),
        package_dependencies: package.dependencies.clone(),
        budget_profiles: loaded.budgets.value.profiles.iter().cloned().collect(),
        known_passes: optimize::known_passes(),
        known_wasm_features: optimize::known_features(),
        locked_wasm_bindgen: package.locked_wasm_bindgen.clone(),
        tool_wasm_bindgen: bindgen::WASM_BINDGEN_VERSION.to_owned(),
    }
}

/// Change control, wherever a verdict is made: the newest change-log entry records the
/// current thresholds with its issue (#N or a link) and approval. A subject's committed
/// budgets answer to more (`perf_core::change_control`): the entry records the subject's
/// committed corpus, names an owner CODEOWNERS lists for the budgets, and cites a committed
/// measurement document with the budgets' seed set. Budgets given by path (an experiment,
/// a test's fixture) keep the general rules (their evidence a link or a committed file, a
/// JSON one with the budgets' seeds), and the command says what it did not check.
///
/// `measures_with` is the corpus the command measures with, if it measures: one other than
/// the subject's is said aloud, as its change-log record is the subject's corpus's.
pub fn check_change_control(sh: &Shell, loaded: &Loaded, measures_with: Option<&Path>) -> Result<(), DocumentError> {
    let (b, file) = (&loaded.budgets.value, loaded.budgets.name.as_str());
    let subject = &loaded.subject;
    let subject_budgets = subject.path(Path::new(DEFAULT_BUDGETS)).display().to_string();
    if file != subject_budgets {
        eprintln!(
            "note: change control: {file} is not subject {subject}'s budgets ({subject_budgets}): its change log is \
             checked for its thresholds, issue, approval and evidence, not for a code owner's approval, a corpus or a \
             measurement document"
        );
        return check_evidence_given(sh, b, file);
    }
    let root = crate::project_root();
    let owners = CodeOwners::parse(&std::fs::read_to_string(root.join(codeowners_file(&root))).unwrap_or_default());
    let corpus_path = subject.path(Path::new(DEFAULT_CORPUS)).display().to_string();
    if let Some((_, measured)) = measures_with.map(resolve).filter(|(_, name)| *name != corpus_path) {
        eprintln!(
            "note: change control: this run measures with {measured}, not subject {subject}'s corpus ({corpus_path}), \
             which is the one the change log records"
        );
    }
    let corpus_text = std::fs::read_to_string(root.join(&corpus_path))
        .map_err(|e| DocumentError::rule(&corpus_path, "", format!("cannot read the subject's corpus: {e}")))?;
    let corpus = Corpus::parse(&corpus_path, &corpus_text)?;
    let committed = Committed { budgets_path: file, owners: &owners, corpus: &corpus, corpus_path: &corpus_path };
    let (pointer, path) = change_control::check_committed(b, file, &committed)?;
    let text = read_evidence(sh, file, &pointer, &path)?;
    change_control::check_evidence(b, file, &pointer, &path, &text)
}

/// Where GitHub reads the code owners from: the first of its three places that has the
/// file (`.github/CODEOWNERS` where none does), relative to the repository root.
pub fn codeowners_file(root: &Path) -> &'static str {
    ["CODEOWNERS", "docs/CODEOWNERS"]
        .into_iter()
        .find(|f| !root.join(".github/CODEOWNERS").is_file() && root.join(f).is_file())
        .unwrap_or(".github/CODEOWNERS")
}

/// The evidence file's text: committed (not ignored by git) and readable.
fn read_evidence(sh: &Shell, file: &str, pointer: &str, path: &str) -> Result<String, DocumentError> {
    let refuse = |why: String| DocumentError::rule(file, pointer, why);
    // A file git ignores (anything under artifacts/) exists here and in no fresh clone.
    if is_ignored_by_git(sh, path) {
        return Err(refuse(format!("{path} is ignored by git: the evidence must be committed to the repository")));
    }
    std::fs::read_to_string(crate::project_root().join(path))
        .map_err(|e| refuse(format!("{path} cannot be read ({e}): the evidence must be committed to the repository")))
}

/// Budgets given by path: their newest entry's evidence is a link or a file in the
/// repository; a JSON document with a seed set must have been measured with the budgets'.
fn check_evidence_given(sh: &Shell, b: &Budgets, file: &str) -> Result<(), DocumentError> {
    b.check_change_log(file)?;
    let Some((pointer, Evidence::Path(path))) = b.newest_evidence(file)? else { return Ok(()) };
    let text = read_evidence(sh, file, &pointer, &path)?;
    let refuse = |why: String| DocumentError::rule(file, pointer.as_str(), why);
    let seeds = if path.ends_with(".json") {
        let document: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| refuse(format!("{path} is not valid JSON: {e}")))?;
        match document.get("seed_set") {
            Some(seeds) => Some(
                serde_json::from_value::<Vec<u64>>(seeds.clone())
                    .map_err(|e| refuse(format!("{path}: /seed_set is not a list of seeds: {e}")))?,
            ),
            None => None,
        }
    } else {
        None
    };
    b.check_evidence_seeds(file, &pointer, &path, seeds.as_deref())
}

/// Whether git ignores `path` (relative to the project root), so that it exists here and in
/// no fresh clone. Asked only when the project root is a work tree's top level.
pub fn is_ignored_by_git(sh: &Shell, path: &str) -> bool {
    is_git_root(sh) && cmd!(sh, "git check-ignore -q -- {path}").quiet().ignore_stderr().run().is_ok()
}

/// Whether the project root is a git work tree's top level. A copy of the project inside
/// another repository's ignored directory (a test's scratch checkout under `target/`) is
/// not: there git would call every path ignored.
fn is_git_root(sh: &Shell) -> bool {
    let Ok(top) = cmd!(sh, "git rev-parse --show-toplevel").quiet().ignore_stderr().read() else { return false };
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    canonical(Path::new(top.trim())).is_some_and(|top| Some(top) == canonical(&crate::project_root()))
}

/// The package's metadata, once the policy has been validated against it. (Each command
/// that gates checks the budgets' change control itself: `init` measures with budgets that
/// have no thresholds yet.)
pub fn validated_package(sh: &Shell, loaded: &Loaded) -> anyhow::Result<PackageInfo> {
    let package = toolchain::package_info(sh, &loaded.package)?;
    loaded.policy.value.validate(&loaded.policy.name, &policy_context(loaded, &package))?;
    Ok(package)
}
