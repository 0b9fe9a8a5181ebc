//! What this tool needs to know to run one kind of browser: where its executable is found
//! and which package installs it, the arguments that start it headless with a fresh profile
//! and its remote protocol on an ephemeral port, and how that protocol's session is opened.
//! Each browser has its description in a file of its own (`browser_chromium.rs`,
//! `browser_firefox.rs`), registered in `browser_process::support`.

use std::path::Path;
use std::time::Duration;

use xshell::Shell;

use crate::browser_session::BrowserSession;

pub(crate) struct BrowserSupport {
    /// The executable looked up on `PATH`.
    pub executable: &'static str,
    /// The Debian package that installs it.
    pub package: &'static str,
    /// The environment variable that names an executable to use instead (GitHub's Ubuntu
    /// runners ship Google Chrome and Firefox, not Debian's packages).
    pub override_variable: &'static str,
    /// The arguments after the executable, for a run in the fresh `profile` directory
    /// (which it may first write preferences into).
    pub arguments: fn(profile: &Path) -> anyhow::Result<Vec<String>>,
    /// The session of its remote protocol.
    pub connect: Connect,
}

/// Opens a remote protocol's session on the browser `exe` listening at `ws_url`, with
/// `timeout` as the deadline of every call.
pub(crate) type Connect =
    fn(sh: &Shell, exe: &Path, ws_url: &str, timeout: Duration) -> anyhow::Result<Box<dyn BrowserSession>>;
