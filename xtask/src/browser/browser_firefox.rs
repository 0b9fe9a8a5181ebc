//! Firefox ESR (or another Firefox, named by `WASM_BUDGET_GATE_FIREFOX`): started headless
//! with preferences that stop it calling home, reached over WebDriver BiDi (`bidi.rs`),
//! which it speaks itself.

use std::path::Path;
use std::time::Duration;

use xshell::Shell;

use crate::bidi;
use crate::browser_session::BrowserSession;
use crate::browser_support::BrowserSupport;

pub(crate) static FIREFOX: BrowserSupport = BrowserSupport {
    executable: "firefox-esr",
    package: "firefox-esr",
    override_variable: "WASM_BUDGET_GATE_FIREFOX",
    arguments,
    connect,
};

/// Preferences that stop Firefox calling home or updating itself mid-run.
const PREFS: &str = "user_pref(\"app.update.enabled\", false);\n\
user_pref(\"browser.shell.checkDefaultBrowser\", false);\n\
user_pref(\"datareporting.policy.dataSubmissionEnabled\", false);\n\
user_pref(\"toolkit.telemetry.enabled\", false);\n\
user_pref(\"browser.safebrowsing.malware.enabled\", false);\n\
user_pref(\"browser.safebrowsing.phishing.enabled\", false);\n\
user_pref(\"network.captive-portal-service.enabled\", false);\n\
user_pref(\"extensions.update.enabled\", false);\n";

fn arguments(profile: &Path) -> anyhow::Result<Vec<String>> {
    std::fs::write(profile.join("user.js"), PREFS)?;
    Ok(["--headless", "--no-remote", "--profile", &profile.display().to_string(), "--remote-debugging-port", "0"]
        .map(str::to_owned)
        .to_vec())
}

fn connect(_: &Shell, _: &Path, ws_url: &str, timeout: Duration) -> anyhow::Result<Box<dyn BrowserSession>> {
    Ok(Box::new(bidi::Session::connect(ws_url, timeout)?))
}
