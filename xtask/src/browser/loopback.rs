//! The loopback HTTP server the browsers load the harness page and the modules from:
//! 127.0.0.1 on an ephemeral port, GET only, one request per connection. Every response is
//! `Cache-Control: no-store` (no HTTP cache, hence no wasm code cache) and cross-origin
//! isolated (COOP + COEP + CORP), which gives the page 5 µs timers instead of 100 µs.
//!
//! A module route serves its bytes with a fresh nonce custom section per request, so no two
//! fetches return the same bytes and V8's in-process module cache (keyed by the bytes)
//! cannot hit; the canary's routes serve the bytes unchanged, to prove that it would.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;

use crate::leb128;

/// The name of the custom section appended to every module served with a nonce.
pub(crate) const NONCE_SECTION: &str = "wasm-budget-gate-nonce";

/// What a path serves.
#[derive(Clone)]
pub(crate) enum Resource {
    Page(String),
    /// A module, with a fresh nonce section per request.
    Module(Arc<Vec<u8>>),
    /// A module's bytes exactly as given.
    ExactModule(Arc<Vec<u8>>),
    /// A JavaScript module (wasm-bindgen's glue), as given.
    Script(Arc<Vec<u8>>),
    /// Any other file of a host app's site, with its content type.
    File(&'static str, Arc<Vec<u8>>),
}

/// A running server; dropping it stops it and frees the port.
pub(crate) struct Loopback {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// The paths served since [`Loopback::take_served`] last emptied it, in order.
    served: Arc<Mutex<Vec<String>>>,
}

impl Loopback {
    pub(crate) fn serve(routes: BTreeMap<String, Resource>) -> anyhow::Result<Loopback> {
        let listener = TcpListener::bind("127.0.0.1:0").context("binding the loopback server to 127.0.0.1")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let served = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&served);
        let thread = std::thread::spawn(move || {
            let nonce = AtomicU64::new(0);
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                // A broken connection is the browser's to report (its fetch fails).
                if let Ok(stream) = stream {
                    let _ = respond(stream, &routes, &nonce, &log);
                }
            }
        });
        Ok(Loopback { addr, stop, thread: Some(thread), served })
    }

    /// The paths of the routes served since the last call (each request once), emptied.
    pub(crate) fn take_served(&self) -> Vec<String> {
        self.served.lock().map(|mut s| std::mem::take(&mut *s)).unwrap_or_default()
    }

    /// `http://127.0.0.1:<port><path>`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers one request, logging the route's path in `served` before the response is sent
/// (so a page that has loaded finds every path it fetched there).
fn respond(
    stream: TcpStream,
    routes: &BTreeMap<String, Resource>,
    nonce: &AtomicU64,
    served: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // The headers are read to their end so the browser does not see a reset.
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, content_type, body) = match (method, routes.get(path)) {
        ("GET", Some(Resource::Page(html))) => ("200 OK", "text/html; charset=utf-8", html.as_bytes().to_vec()),
        ("GET", Some(Resource::Module(bytes))) => {
            ("200 OK", "application/wasm", with_nonce(bytes, nonce.fetch_add(1, Ordering::SeqCst)))
        }
        ("GET", Some(Resource::ExactModule(bytes))) => ("200 OK", "application/wasm", bytes.to_vec()),
        ("GET", Some(Resource::Script(js))) => ("200 OK", "text/javascript; charset=utf-8", js.to_vec()),
        ("GET", Some(Resource::File(kind, bytes))) => ("200 OK", *kind, bytes.to_vec()),
        ("GET", None) => ("404 Not Found", "text/plain", b"not found".to_vec()),
        _ => ("405 Method Not Allowed", "text/plain", b"GET only".to_vec()),
    };
    if routes.contains_key(path)
        && let Ok(mut log) = served.lock()
    {
        log.push(path.to_owned());
    }
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n\
         Cross-Origin-Opener-Policy: same-origin\r\nCross-Origin-Embedder-Policy: require-corp\r\n\
         Cross-Origin-Resource-Policy: same-origin\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    out.write_all(&body)?;
    out.flush()
}

/// `module` with a custom section named [`NONCE_SECTION`] holding `nonce` appended (a
/// custom section may follow any section).
pub(crate) fn with_nonce(module: &[u8], nonce: u64) -> Vec<u8> {
    let mut payload = Vec::new();
    leb128::unsigned(&mut payload, NONCE_SECTION.len() as u64);
    payload.extend_from_slice(NONCE_SECTION.as_bytes());
    payload.extend_from_slice(&nonce.to_le_bytes());
    let mut out = module.to_vec();
    out.push(0);
    leb128::unsigned(&mut out, payload.len() as u64);
    out.extend_from_slice(&payload);
    out
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn get(server: &Loopback, path: &str) -> String {
        let mut s = TcpStream::connect(server.addr).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn every_response_is_uncached_and_isolated_and_modules_differ_per_fetch() {
        let module = b"\0asm\x01\0\0\0".to_vec();
        let routes = BTreeMap::from([
            ("/".to_owned(), Resource::Page("<p>hi</p>".into())),
            ("/m.wasm".to_owned(), Resource::Module(Arc::new(module.clone()))),
        ]);
        let server = Loopback::serve(routes).unwrap();
        let page = get(&server, "/");
        for header in ["Cache-Control: no-store", "Cross-Origin-Embedder-Policy: require-corp", "Content-Length: 9"] {
            assert!(page.contains(header), "{header} missing from {page}");
        }
        assert!(page.ends_with("<p>hi</p>"));
        let (a, b) = (get(&server, "/m.wasm?n=1"), get(&server, "/m.wasm?n=1"));
        assert!(a.starts_with("HTTP/1.1 200 OK") && a != b, "a fresh nonce per fetch");
        assert!(get(&server, "/nope").starts_with("HTTP/1.1 404"));
        assert_eq!(server.take_served(), ["/", "/m.wasm", "/m.wasm"], "what was served, not the 404");
        assert_eq!(server.take_served(), Vec::<String>::new(), "taken");
        let addr = server.addr;
        drop(server);
        assert!(TcpListener::bind(addr).is_ok(), "the port is free once the server is dropped");
    }

    #[test]
    fn a_nonce_is_a_well_formed_custom_section() {
        let module = b"\0asm\x01\0\0\0".to_vec();
        let served = with_nonce(&module, 300);
        wasmtime::Module::validate(&wasmtime::Engine::default(), &served).unwrap();
        // id 0, 31 bytes: the name's length, the name, the nonce.
        let section = [&[0u8, 31, 22][..], NONCE_SECTION.as_bytes(), &300u64.to_le_bytes()].concat();
        assert_eq!(served, [&module[..], &section].concat());
    }
}
