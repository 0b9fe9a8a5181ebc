//! The base commit's sources for `perf --compare REF`: a detached git worktree of the commit
//! under `artifacts/compare/<commit>`, kept between runs. A second run against the same
//! commit finds its sources and its own target directory there and rebuilds nothing; a
//! worktree that is at another commit, was edited or lost its git metadata (restored from a
//! CI cache) is made anew around its target directory.

use std::path::{Path, PathBuf};

use anyhow::Context;
use xshell::{Shell, cmd};

/// A commit checked out for comparison.
pub(crate) struct BaseCheckout {
    /// What the command line named (`origin/main`, `HEAD~1`, a SHA).
    pub reference: String,
    /// The full SHA it resolved to.
    pub commit: String,
    pub dir: PathBuf,
}

impl BaseCheckout {
    /// Resolves `reference` to a commit and checks it out (or finds it checked out).
    pub(crate) fn prepare(sh: &Shell, reference: &str) -> anyhow::Result<BaseCheckout> {
        let spec = format!("{reference}^{{commit}}");
        let commit = cmd!(sh, "git rev-parse --verify --quiet {spec}")
            .quiet()
            .ignore_stderr()
            .read()
            .ok()
            .filter(|c| c.len() == 40)
            .with_context(|| {
                format!("--compare {reference}: not a commit of this repository (git rev-parse {spec})")
            })?;
        let dir = crate::project_root().join("artifacts/compare").join(&commit);
        if !clean_at(sh, &dir, &commit) {
            // The checkout's target directory is the commit's builds, whatever became of the
            // checkout: a CI cache restores `artifacts/compare` without the git metadata the
            // worktree had on another runner. It is kept, and cargo rebuilds only what the
            // new checkout's file times make stale (the commit's own crates).
            // Kept beside it meanwhile; one an earlier run left there (its checkout failed)
            // is still the commit's builds.
            let (target, kept) = (dir.join("target"), dir.with_extension("target"));
            if target.is_dir() {
                let _ = std::fs::remove_dir_all(&kept);
                let _ = std::fs::rename(&target, &kept);
            }
            let keep = kept.is_dir();
            if dir.exists() {
                // Best effort: what stays is removed by hand, and `worktree add` says so.
                let _ = cmd!(sh, "git worktree remove --force {dir}").quiet().ignore_stderr().run();
                let _ = std::fs::remove_dir_all(&dir);
            }
            let _ = cmd!(sh, "git worktree prune").quiet().ignore_stderr().run();
            eprintln!("note: checking out {reference} ({}) for --compare in {}", &commit[..12], dir.display());
            cmd!(sh, "git worktree add --detach --quiet {dir} {commit}")
                .quiet()
                .run()
                .with_context(|| format!("--compare {reference}: cannot check out {commit} in {}", dir.display()))?;
            if keep {
                std::fs::rename(&kept, &target)
                    .with_context(|| format!("--compare {reference}: cannot move {} back", kept.display()))?;
                eprintln!("note: kept the base's builds in {}", target.display());
            }
        }
        Ok(BaseCheckout { reference: reference.to_owned(), commit, dir })
    }
}

/// Whether `dir` is a worktree at `commit` with no change to a tracked file.
fn clean_at(sh: &Shell, dir: &Path, commit: &str) -> bool {
    if !dir.join(".git").is_file() {
        return false;
    }
    let head = cmd!(sh, "git -C {dir} rev-parse HEAD").quiet().ignore_stderr().read();
    let status = cmd!(sh, "git -C {dir} status --porcelain --untracked-files=no").quiet().ignore_stderr().read();
    head.is_ok_and(|h| h == commit) && status.is_ok_and(|s| s.is_empty())
}
