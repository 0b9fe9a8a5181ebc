//! Where the workspace is: tasks run from its root whatever the caller's directory.

use std::path::{Path, PathBuf};

/// The workspace root. `cargo run` (the `xtask` alias) names xtask's manifest directory at
/// run time, so a binary built in one checkout serves the checkout cargo ran it from; run
/// directly, it serves its own.
pub(crate) fn project_root() -> PathBuf {
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    manifest_dir.parent().map(Path::to_path_buf).unwrap_or_default()
}
