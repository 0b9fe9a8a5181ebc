//! Chromium through the DevTools Protocol: the browser's identity, and an expression
//! evaluated in a page loaded in a fresh browser context (its own caches and renderer),
//! optionally with the main thread's CPU throttled, the context disposed afterwards.

use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use perf_core::browser::BrowserIdentity;
use serde_json::{Value, json};

use crate::browser_session::{BrowserSession, PageLoad};
use crate::remote_protocol::Connection;

/// Events after which a page's pending calls can never be answered.
const FATAL: &[&str] = &["Inspector.targetCrashed", "Target.targetCrashed", "Inspector.detached"];

pub(crate) struct Session {
    connection: Connection,
    identity: BrowserIdentity,
    /// The deadline of every call.
    timeout: Duration,
}

impl Session {
    /// `product` is what the executable calls itself ("Chromium", "Google Chrome").
    pub(crate) fn connect(ws_url: &str, product: &str, timeout: Duration) -> anyhow::Result<Session> {
        let mut connection = Connection::open(ws_url, FATAL, timeout)?;
        let v = connection.call("Browser.getVersion", json!({}), &[], timeout)?;
        // "HeadlessChrome/156.0.8078.114": Chromium reports itself as Chrome, hence `product`.
        let reported = v["product"].as_str().unwrap_or_default();
        let version = reported.rsplit('/').next().unwrap_or_default().to_owned();
        let engine = format!("V8 {}", v["jsVersion"].as_str().unwrap_or("unknown"));
        let identity = BrowserIdentity::new(product, &version, &engine)
            .ok_or_else(|| anyhow!("Browser.getVersion reported no version: {v}"))?;
        Ok(Session { connection, identity, timeout })
    }
}

impl BrowserSession for Session {
    fn identity(&self) -> &BrowserIdentity {
        &self.identity
    }

    /// Loads the page in a new browser context, throttles its main thread (per target and
    /// once loaded) and evaluates the expression; any exception the page throws meanwhile
    /// is an error.
    fn evaluate_fresh(&mut self, load: &PageLoad) -> anyhow::Result<String> {
        let PageLoad { page, cpu_throttling_rate: cpu_rate, expression, from_navigation } = *load;
        let timeout = self.timeout;
        let c = &mut self.connection;
        let context = c.call("Target.createBrowserContext", json!({"disposeOnDetach": true}), &[], timeout)?;
        let context = context["browserContextId"].as_str().ok_or_else(|| anyhow!("no browserContextId"))?.to_owned();
        let result = (|| {
            // Opened at the page itself: a detour through about:blank starts one renderer
            // more per sample (about 50 ms here). A page measured from its navigation takes
            // the detour, so that the throttling is on before the navigation starts.
            let first = if from_navigation { "about:blank" } else { page };
            let target =
                c.call("Target.createTarget", json!({"url": first, "browserContextId": context}), &[], timeout)?;
            let target = target["targetId"].as_str().ok_or_else(|| anyhow!("no targetId"))?.to_owned();
            let attached =
                c.call("Target.attachToTarget", json!({"targetId": target, "flatten": true}), &[], timeout)?;
            let session = attached["sessionId"].as_str().ok_or_else(|| anyhow!("no sessionId"))?.to_owned();
            let s = [("sessionId", session.as_str())];
            let of_session = |e: &Value| e["sessionId"].as_str() == Some(session.as_str());
            // Runtime.enable reports the contexts that exist and every later one: the page's
            // own (its origin, not the initial blank document's) is where the sample runs.
            c.call("Runtime.enable", json!({}), &s, timeout)?;
            if from_navigation {
                if cpu_rate != 1.0 {
                    c.call("Emulation.setCPUThrottlingRate", json!({"rate": cpu_rate}), &s, timeout)?;
                }
                c.call("Page.navigate", json!({"url": page}), &s, timeout)?;
            }
            let origin = origin_of(page);
            let created = c.wait_for(
                "the page's execution context",
                |e| {
                    e["method"] == "Runtime.executionContextCreated"
                        && of_session(e)
                        && e["params"]["context"]["origin"] == origin
                        && e["params"]["context"]["auxData"]["isDefault"] == true
                },
                timeout,
            )?;
            let context_id = created["params"]["context"]["id"].clone();
            if !from_navigation {
                let loaded = "document.readyState === 'complete' || new Promise(r => addEventListener('load', r))";
                let params = json!({"expression": loaded, "awaitPromise": true, "contextId": context_id});
                c.call("Runtime.evaluate", params, &s, timeout)?;
                if cpu_rate != 1.0 {
                    // Per target and after the load: a renderer swap has lost it before.
                    c.call("Emulation.setCPUThrottlingRate", json!({"rate": cpu_rate}), &s, timeout)?;
                }
            }
            let r = c.call(
                "Runtime.evaluate",
                json!({"expression": expression, "awaitPromise": true, "returnByValue": true, "contextId": context_id}),
                &s,
                timeout,
            )?;
            if let Some(e) = r.get("exceptionDetails") {
                bail!("the page threw: {}", exception_text(e));
            }
            let errors: Vec<String> = c
                .take_events()
                .iter()
                .filter(|e| of_session(e) && e["method"] == "Runtime.exceptionThrown")
                .map(|e| exception_text(&e["params"]["exceptionDetails"]))
                .collect();
            if !errors.is_empty() {
                bail!("the page threw: {}", errors.join("; "));
            }
            r["result"]["value"].as_str().map(str::to_owned).ok_or_else(|| anyhow!("the page returned no string: {r}"))
        })();
        let disposed = c.call("Target.disposeBrowserContext", json!({"browserContextId": context}), &[], timeout);
        let value = result?;
        disposed.context("disposing the browser context")?;
        Ok(value)
    }

    fn close(mut self: Box<Self>) {
        let _ = self.connection.call("Browser.close", json!({}), &[], Duration::from_secs(5));
    }
}

/// `scheme://host:port` of `url`, as the protocol names an execution context's origin.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    url[after_scheme..].find('/').map_or(url, |i| &url[..after_scheme + i])
}

fn exception_text(details: &Value) -> String {
    details["exception"]["description"]
        .as_str()
        .or_else(|| details["text"].as_str())
        .unwrap_or("an exception without a description")
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_origin_is_the_url_up_to_its_path() {
        assert_eq!(super::origin_of("http://127.0.0.1:4000/"), "http://127.0.0.1:4000");
        assert_eq!(super::origin_of("http://127.0.0.1:4000/page/?control"), "http://127.0.0.1:4000");
        assert_eq!(super::origin_of("http://127.0.0.1:4000"), "http://127.0.0.1:4000");
    }
}
