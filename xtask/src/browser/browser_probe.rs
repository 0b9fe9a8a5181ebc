//! The page half of every probe (`perf_core::browser_schedule::Probe`): the page the probes
//! load, where the loopback server serves the modules they fetch, and for each probe the
//! harness it evaluates and the arguments it calls it with. `browser_harness.js` is cold
//! init's harness (the cache canary's too), `browser_op_harness.js` per-operation timing's,
//! `browser_host_harness.js` the host apps' (their pages are `host_site.rs`'s).

use std::collections::BTreeMap;
use std::sync::Arc;

use perf_core::browser_schedule::{Probe, Visit};
use perf_core::policy::VariantKind;
use serde_json::json;

use crate::canary_module::canary_module;
use crate::loopback::{Loopback, Resource};

const COLD_INIT_HARNESS: &str = include_str!("browser_harness.js");
const OPERATION_HARNESS: &str = include_str!("browser_op_harness.js");
const HOST_HARNESS: &str = include_str!("browser_host_harness.js");
/// Where the cache canary's module is served, without a nonce.
const CANARY_PATH: &str = "/canary.wasm";
/// The page the probes run in: empty, so its load costs nothing measurable.
const PAGE: &str = "<!doctype html><meta charset=utf-8><title>wasm cold init</title>";
/// Where [`PAGE`] is served.
pub(crate) const PAGE_PATH: &str = "/";

/// What a browser loads for one variant: the module (and the file name it ships under)
/// and, for a wasm-bindgen crate, its JS glue (paths relative to the module's directory,
/// the main glue file first) and the glue's TypeScript declarations.
pub(crate) struct Shipped {
    pub module: Vec<u8>,
    pub module_name: String,
    pub glue: Vec<(String, Vec<u8>)>,
    pub declarations: Option<(String, Vec<u8>)>,
}

/// What the loopback server serves the probes: the page, each variant's module (a fresh
/// nonce per fetch) and glue, and the cache canary's module (the same bytes every time).
pub(crate) fn routes(modules: &[(VariantKind, Arc<Shipped>)]) -> BTreeMap<String, Resource> {
    let mut routes = BTreeMap::from([(PAGE_PATH.to_owned(), Resource::Page(PAGE.to_owned()))]);
    for (variant, shipped) in modules {
        let v = variant.as_str();
        routes.insert(module_path(*variant), Resource::Module(Arc::new(shipped.module.clone())));
        for (path, js) in &shipped.glue {
            routes.insert(format!("/m/{v}/{path}"), Resource::Script(Arc::new(js.clone())));
        }
    }
    routes.insert(CANARY_PATH.to_owned(), Resource::ExactModule(Arc::new(canary_module())));
    routes
}

/// The expression `visit`'s page evaluates: its probe's harness called with its arguments.
pub(crate) fn expression(visit: &Visit, modules: &[(VariantKind, Arc<Shipped>)], server: &Loopback) -> String {
    let shipped = modules.iter().find(|(v, _)| Some(*v) == visit.variant);
    let url = match shipped {
        Some((variant, _)) => server.url(&module_path(*variant)),
        None => server.url(CANARY_PATH),
    };
    // The main glue file, when the module has glue.
    let glue = shipped.and_then(|(variant, s)| {
        s.glue.first().map(|(main, _)| server.url(&format!("/m/{}/{main}", variant.as_str())))
    });
    let seed = visit.seed;
    let (harness, args) = match &visit.probe {
        Probe::Canary { rounds } => (
            COLD_INIT_HARNESS,
            // The canary's module has no scenario: its first call is `run`.
            json!({"url": url, "glue": glue, "canary": true, "scenario": null, "seed": seed, "rounds": rounds}),
        ),
        Probe::ColdInit { first_call } => (
            COLD_INIT_HARNESS,
            json!({"url": url, "glue": glue, "canary": false, "scenario": first_call, "seed": seed, "rounds": 1}),
        ),
        Probe::Operation { export, batches, .. } => (
            OPERATION_HARNESS,
            json!({
                "url": url, "glue": glue, "scenario": export, "seed": seed,
                "batches": batches.timed, "warmup": batches.warm_up, "batch_ms": batches.millis
            }),
        ),
        // The host page loads its own module; the harness only reads what the page left.
        Probe::Host { .. } => return format!("({})()", HOST_HARNESS.trim_end()),
    };
    format!("({})({args})", harness.trim_end().trim_end_matches(';'))
}

fn module_path(variant: VariantKind) -> String {
    format!("/m/{}.wasm", variant.as_str())
}
