//! Firefox through WebDriver BiDi (spoken by Firefox itself, no geckodriver): one session,
//! the browser's identity, and an expression evaluated in a page loaded in a fresh user
//! context (its own caches), the context removed afterwards. BiDi has no CPU throttling,
//! so Firefox measures desktop only.

use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use perf_core::browser::BrowserIdentity;
use serde_json::{Value, json};

use crate::browser_session::{BrowserSession, PageLoad};
use crate::remote_protocol::Connection;

pub(crate) struct Session {
    connection: Connection,
    identity: BrowserIdentity,
    /// The deadline of every call.
    timeout: Duration,
}

impl Session {
    /// `ws_url` is the address Firefox printed (`ws://127.0.0.1:<port>`).
    pub(crate) fn connect(ws_url: &str, timeout: Duration) -> anyhow::Result<Session> {
        let url = format!("{}/session", ws_url.trim_end_matches('/'));
        let mut connection = Connection::open(&url, &[], timeout)?;
        let s = connection.call("session.new", json!({"capabilities": {}}), &[], timeout)?;
        let caps = &s["capabilities"];
        let version = caps["browserVersion"].as_str().unwrap_or_default();
        // SpiderMonkey ships with Firefox and carries its version.
        let identity = BrowserIdentity::new("Firefox", version, &format!("SpiderMonkey {version}"))
            .ok_or_else(|| anyhow!("session.new reported no browser version: {s}"))?;
        connection.call("session.subscribe", json!({"events": ["log.entryAdded"]}), &[], timeout)?;
        Ok(Session { connection, identity, timeout })
    }
}

impl BrowserSession for Session {
    fn identity(&self) -> &BrowserIdentity {
        &self.identity
    }

    /// Loads the page in a new user context and evaluates the expression; an error logged
    /// by the page meanwhile is an error.
    fn evaluate_fresh(&mut self, load: &PageLoad) -> anyhow::Result<String> {
        let PageLoad { page, cpu_throttling_rate, expression, .. } = *load;
        if cpu_throttling_rate != 1.0 {
            // The corpus check refuses a throttled Firefox environment before anything runs.
            bail!("WebDriver BiDi cannot throttle the CPU (asked for {cpu_throttling_rate}x)");
        }
        let timeout = self.timeout;
        let c = &mut self.connection;
        let user = c.call("browser.createUserContext", json!({}), &[], timeout)?;
        let user = user["userContext"].as_str().ok_or_else(|| anyhow!("no userContext"))?.to_owned();
        let result = (|| {
            let tab = c.call("browsingContext.create", json!({"type": "tab", "userContext": user}), &[], timeout)?;
            let tab = tab["context"].as_str().ok_or_else(|| anyhow!("no browsing context"))?.to_owned();
            c.call("browsingContext.navigate", json!({"context": tab, "url": page, "wait": "complete"}), &[], timeout)?;
            let r = c.call(
                "script.evaluate",
                json!({"expression": expression, "target": {"context": tab}, "awaitPromise": true}),
                &[],
                timeout,
            )?;
            if r["type"] == "exception" {
                bail!("the page threw: {}", r["exceptionDetails"]["text"].as_str().unwrap_or("an exception"));
            }
            let errors: Vec<String> = c
                .take_events()
                .iter()
                .filter(|e| {
                    e["method"] == "log.entryAdded"
                        && e["params"]["level"] == "error"
                        && e["params"]["source"]["context"].as_str() == Some(tab.as_str())
                })
                .map(|e| e["params"]["text"].as_str().unwrap_or("an error").to_owned())
                .collect();
            if !errors.is_empty() {
                bail!("the page logged errors: {}", errors.join("; "));
            }
            string_value(&r["result"]).ok_or_else(|| anyhow!("the page returned no string: {r}"))
        })();
        let removed = c.call("browser.removeUserContext", json!({"userContext": user}), &[], timeout);
        let value = result?;
        removed.context("removing the user context")?;
        Ok(value)
    }

    fn close(mut self: Box<Self>) {
        let t = Duration::from_secs(5);
        let _ = self.connection.call("browser.close", json!({}), &[], t);
    }
}

fn string_value(remote: &Value) -> Option<String> {
    (remote["type"] == "string").then(|| remote["value"].as_str().map(str::to_owned)).flatten()
}
