//! The subjects this repository has, read off its folders (`perf_core::subject` names the
//! convention): the default one where `.github` holds a policy itself, and every folder of
//! `.github` that holds one.

use std::path::Path;

use anyhow::{Context, bail};
use perf_core::subject::{self, POLICY_FILE, Subject};

use crate::settings::DEFAULT_POLICY;

/// The subjects under `root`: the default first, then by name.
pub(crate) fn list(root: &Path) -> anyhow::Result<Vec<Subject>> {
    let github = root.join(".github");
    let mut folders = Vec::new();
    let entries = std::fs::read_dir(&github).with_context(|| format!("cannot read {}", github.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", github.display()))?;
        if entry.path().join(POLICY_FILE).is_file() {
            folders.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    let has_default = root.join(DEFAULT_POLICY).is_file();
    subject::subjects(has_default, &folders).with_context(|| format!("a folder of {} holds a policy", github.display()))
}

/// The subject `--subject` names, the default one without it; refused where the repository
/// has no policy for it.
pub(crate) fn chosen(root: &Path, named: Option<&Subject>) -> anyhow::Result<Subject> {
    let Some(subject) = named.cloned() else { return Ok(Subject::default_subject()) };
    let policy = subject.path(Path::new(DEFAULT_POLICY));
    if !root.join(&policy).is_file() {
        let known = list(root).map(|l| l.iter().map(|s| s.name().to_owned()).collect::<Vec<_>>().join(", "));
        bail!(
            "--subject {subject}: {} does not exist; this repository's subjects: {}",
            policy.display(),
            known.unwrap_or_else(|e| format!("unknown ({e:#})"))
        );
    }
    Ok(subject)
}
