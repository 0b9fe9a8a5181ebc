//! The machine: the toolchain and its targets, consent to install, the workspace root and
//! the base commit's worktree, atomic writes and the machine-wide timing locks. Imports
//! nothing of this crate above it.

pub(crate) mod atomic_write;
pub(crate) mod install_consent;
pub(crate) mod timing_lock;
pub(crate) mod toolchain;
pub(crate) mod workspace;
pub(crate) mod worktree;
