//! Measuring in browsers: one description per browser (`browser_chromium.rs`,
//! `browser_firefox.rs`), its process, one session type per remote protocol behind
//! `BrowserSession` (CDP for Chromium, WebDriver BiDi for Firefox), the probes' pages and
//! harnesses, the loopback server, and the runner that executes perf-core's schedule. A
//! tool: imports other tools and the machine only.

pub(crate) mod bidi;
pub(crate) mod browser_chromium;
pub(crate) mod browser_firefox;
pub(crate) mod browser_probe;
pub(crate) mod browser_process;
pub(crate) mod browser_runner;
pub(crate) mod browser_session;
pub(crate) mod browser_support;
pub(crate) mod cdp;
pub(crate) mod loopback;
pub(crate) mod remote_protocol;
