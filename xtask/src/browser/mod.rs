//! Measuring in browsers: the browser processes, their remote protocols (CDP for Chromium,
//! WebDriver BiDi for Firefox), the loopback server and the page harnesses. A tool: imports
//! other tools and the machine only.

pub(crate) mod bidi;
pub(crate) mod browser_process;
pub(crate) mod browser_runner;
pub(crate) mod cdp;
pub(crate) mod loopback;
pub(crate) mod remote_protocol;
