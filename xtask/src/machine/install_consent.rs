//! Whether a run may install what it lacks (the wasm target, a browser). It may, saying so,
//! unless `WASM_BUDGET_GATE_NO_INSTALL` is set: the test suite sets it, because a test never
//! changes the machine it runs on, so there a missing tool is an error naming the command
//! that installs it.

use anyhow::bail;

/// The environment variable that forbids installs.
pub const NO_INSTALL: &str = "WASM_BUDGET_GATE_NO_INSTALL";

/// Ok when this run may install `what` with `command`; else the error a user acts on.
pub fn permit(what: &str, command: &str) -> anyhow::Result<()> {
    if std::env::var_os(NO_INSTALL).is_some_and(|v| !v.is_empty()) {
        bail!("{what} is not installed, and {NO_INSTALL} is set, so this run installs nothing: run `{command}`");
    }
    Ok(())
}
