//! The one interface every remote protocol's session offers the executor: the browser's
//! identity, one page load in a fresh context with an expression evaluated in it, and a
//! polite close. `cdp.rs` (Chromium's DevTools Protocol) and `bidi.rs` (WebDriver BiDi)
//! implement it; `browser_runner.rs` picks one per browser.

use perf_core::browser::BrowserIdentity;

/// One page load: the page, how its main thread is throttled, and what is evaluated in it.
pub(crate) struct PageLoad<'a> {
    pub page: &'a str,
    /// The main thread's CPU slowdown (1 = none): from the page's load on, or with
    /// `from_navigation` from before it is navigated to.
    pub cpu_throttling_rate: f64,
    /// The page itself is measured (a host app's boot): the expression is evaluated as soon
    /// as the page's document exists, and the throttling is on before the navigation.
    pub from_navigation: bool,
    /// An expression whose value is a promise of a string (a harness called with its
    /// arguments).
    pub expression: &'a str,
}

pub(crate) trait BrowserSession {
    fn identity(&self) -> &BrowserIdentity;

    /// Loads `load.page` in a fresh context (its own caches), evaluates `load.expression`
    /// there and returns the string it resolves to, the context disposed afterwards. An
    /// exception or error the page reports meanwhile is an error; every call to the
    /// browser has the session's deadline.
    fn evaluate_fresh(&mut self, load: &PageLoad) -> anyhow::Result<String>;

    /// Asks the browser to close (its process is killed on drop regardless).
    fn close(self: Box<Self>);
}
