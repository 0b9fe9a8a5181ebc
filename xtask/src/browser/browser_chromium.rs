//! Chromium (or Google Chrome, named by `WASM_BUDGET_GATE_CHROMIUM`): started headless with
//! flags that keep it quiet and steady, reached over the DevTools Protocol (`cdp.rs`).

use std::path::Path;
use std::time::Duration;

use xshell::{Shell, cmd};

use crate::browser_session::BrowserSession;
use crate::browser_support::BrowserSupport;
use crate::cdp;

pub(crate) static CHROMIUM: BrowserSupport = BrowserSupport {
    executable: "chromium",
    package: "chromium",
    override_variable: "WASM_BUDGET_GATE_CHROMIUM",
    arguments,
    connect,
};

/// Flags that keep Chromium quiet and steady (chrome-launcher's set): no first-run UI, no
/// background networking (this machine's closed network refuses it, many times a second),
/// no throttling of a page nobody looks at; and `measureUserAgentSpecificMemory()` measured
/// at once, not at the next GC (up to 20 s later, by design against timing attacks).
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--mute-audio",
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-hang-monitor",
    "--metrics-recording-only",
    "--password-store=basic",
    "--remote-debugging-port=0",
    "--enable-blink-features=ForceEagerMeasureMemory",
];

fn arguments(profile: &Path) -> anyhow::Result<Vec<String>> {
    let mut a: Vec<String> = FLAGS.iter().map(|f| f.to_string()).collect();
    a.push(format!("--user-data-dir={}", profile.display()));
    a.push("about:blank".into());
    Ok(a)
}

fn connect(sh: &Shell, exe: &Path, ws_url: &str, timeout: Duration) -> anyhow::Result<Box<dyn BrowserSession>> {
    let product = product_name(sh, exe).unwrap_or_else(|| "Chromium".to_owned());
    Ok(Box::new(cdp::Session::connect(ws_url, &product, timeout)?))
}

/// What the executable calls itself before its version (`chromium --version` prints
/// "Chromium 156.0…", Google's build "Google Chrome 142.0…"): CDP reports both as Chrome.
fn product_name(sh: &Shell, exe: &Path) -> Option<String> {
    product_of(&cmd!(sh, "{exe} --version").quiet().ignore_stderr().read().ok()?)
}

fn product_of(version_text: &str) -> Option<String> {
    let words: Vec<&str> =
        version_text.split_whitespace().take_while(|w| !w.starts_with(|c: char| c.is_ascii_digit())).collect();
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_product_is_what_the_version_line_says_before_the_version() {
        let cases = [
            ("Chromium 156.0.8078.114 built on Debian GNU/Linux 12 (bookworm)", Some("Chromium")),
            ("Google Chrome 142.0.7444.59 ", Some("Google Chrome")),
            ("Mozilla Firefox 140.5.0esr", Some("Mozilla Firefox")),
            ("156.0", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(product_of(text).as_deref(), want, "{text}");
        }
    }
}
