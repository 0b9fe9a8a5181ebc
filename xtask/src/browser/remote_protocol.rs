//! One WebSocket connection to a browser's remote protocol: JSON commands with an id, the
//! response with that id, events in between. Chromium's DevTools Protocol and WebDriver
//! BiDi share this shape; `cdp.rs` and `bidi.rs` speak their dialects over it. Every call
//! has a deadline, and an event that means the page is gone ends the wait at once.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

pub(crate) struct Connection {
    socket: WebSocket<TcpStream>,
    next_id: u64,
    /// Event methods that end any call waiting on their session (a crashed page).
    fatal: &'static [&'static str],
    /// Events received so far and not yet taken.
    events: Vec<Value>,
}

impl Connection {
    /// Connects to `url` (`ws://127.0.0.1:<port>/<path>`).
    pub(crate) fn open(url: &str, fatal: &'static [&'static str], timeout: Duration) -> anyhow::Result<Connection> {
        let authority = url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .ok_or_else(|| anyhow!("not a ws:// address: {url}"))?;
        let addr = authority.parse().with_context(|| format!("the address in {url}"))?;
        let stream = TcpStream::connect_timeout(&addr, timeout).with_context(|| format!("connecting to {url}"))?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        let (socket, _) =
            tungstenite::client(url, stream).map_err(|e| anyhow!("WebSocket handshake with {url}: {e}"))?;
        Ok(Connection { socket, next_id: 0, fatal, events: Vec::new() })
    }

    /// Sends `method` with `params` (and `extra` members, e.g. a CDP `sessionId`) and waits
    /// up to `timeout` for its response; a protocol error comes back as an error.
    pub(crate) fn call(
        &mut self,
        method: &str,
        params: Value,
        extra: &[(&str, &str)],
        timeout: Duration,
    ) -> anyhow::Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({ "id": id, "method": method, "params": params });
        for (k, v) in extra {
            command[*k] = json!(v);
        }
        self.socket.send(Message::text(command.to_string())).map_err(|e| anyhow!("sending {method}: {e}"))?;
        let session = extra.iter().find(|(k, _)| *k == "sessionId").map(|(_, v)| *v);
        let deadline = Instant::now() + timeout;
        loop {
            let message = self.next_message(deadline).with_context(|| format!("waiting for the reply to {method}"))?;
            if message.get("id").and_then(Value::as_u64) == Some(id) {
                if let Some(e) = message.get("error") {
                    let text = message.get("message").and_then(Value::as_str).map(str::to_owned);
                    bail!("{method} failed: {}", text.unwrap_or_else(|| e.to_string()));
                }
                return Ok(message.get("result").cloned().unwrap_or(Value::Null));
            }
            if let Some(event) = message.get("method").and_then(Value::as_str) {
                // Only the page this call talks to: disposing a context detaches its page.
                let same_session = message.get("sessionId").and_then(Value::as_str) == session;
                if self.fatal.contains(&event) && same_session {
                    bail!("{method} did not complete: the browser sent {event} {}", message["params"]);
                }
                self.events.push(message);
            }
        }
    }

    /// Waits up to `timeout` for an event that `wanted` accepts (one already received
    /// counts) and returns it; events before it are kept.
    pub(crate) fn wait_for(
        &mut self,
        what: &str,
        wanted: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> anyhow::Result<Value> {
        if let Some(at) = self.events.iter().position(&wanted) {
            return Ok(self.events.remove(at));
        }
        let deadline = Instant::now() + timeout;
        loop {
            let message = self.next_message(deadline).with_context(|| format!("waiting for {what}"))?;
            if let Some(event) = message.get("method").and_then(Value::as_str) {
                if self.fatal.contains(&event) {
                    bail!("while waiting for {what}, the browser sent {event} {}", message["params"]);
                }
                if wanted(&message) {
                    return Ok(message);
                }
                self.events.push(message);
            }
        }
    }

    /// The events received since the last call to this, in order.
    pub(crate) fn take_events(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.events)
    }

    fn next_message(&mut self, deadline: Instant) -> anyhow::Result<Value> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!("timed out");
            }
            self.socket.get_ref().set_read_timeout(Some(left))?;
            match self.socket.read() {
                Ok(Message::Text(text)) => {
                    return serde_json::from_str(text.as_str()).context("the browser sent a message that is not JSON");
                }
                Ok(Message::Close(_)) => bail!("the browser closed the connection"),
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
                {
                    bail!("timed out")
                }
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    bail!("the browser closed the connection")
                }
                Err(e) => bail!("the connection to the browser broke: {e}"),
            }
        }
    }
}
