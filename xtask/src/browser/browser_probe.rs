//! The page half of every probe (`perf_core::browser_schedule::Probe`): the page the probes
//! load, where the loopback server serves the modules they fetch (cold init loads what
//! ships; per-operation timing, the benchmark build's scenario exports), and for each probe
//! the harness it evaluates and the arguments it calls it with. `browser_harness.js` is cold
//! init's harness (the cache canary's too), `browser_op_harness.js` per-operation timing's,
//! `browser_host_harness.js` the host apps' (their pages are `host_site.rs`'s).

use std::collections::BTreeMap;
use std::sync::Arc;

use perf_core::browser::OperationCall;
use perf_core::browser_schedule::{Probe, Side, Visit, Work};
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

/// One variant's two builds, as a browser loads them: the one its scenario exports run on
/// (the benchmark build, or what ships when there is none; `None` when the benchmark build
/// failed) and what ships, whose cold init, JS-API operations and host apps are measured.
pub(crate) struct VariantBuilds {
    pub scenarios: Option<Shipped>,
    pub production: Shipped,
}

/// Each variant's builds the browsers load: the working tree's and, with `--compare`, the
/// base commit's (`None` without `--compare`).
pub(crate) struct Modules {
    pub head: Vec<(VariantKind, Arc<VariantBuilds>)>,
    pub base: Option<BaseModules>,
}

/// The base commit's builds the browsers compare with.
pub(crate) struct BaseModules {
    /// The variants it built.
    pub builds: Vec<(VariantKind, Arc<VariantBuilds>)>,
    /// How many comparisons with the base the run makes in all: they share its error rate
    /// (`Design::within`).
    pub family: usize,
}

impl Modules {
    /// The builds `visit` loads; `None` for the canary's own module, or a variant that side lacks.
    pub fn of(&self, visit: &Visit) -> Option<&(VariantKind, Arc<VariantBuilds>)> {
        let side = match visit.side {
            Side::Head => &self.head,
            Side::Base => &self.base.as_ref()?.builds,
        };
        side.iter().find(|(v, _)| Some(*v) == visit.variant)
    }
}

/// Which of a variant's builds a probe loads, and where the server keeps it.
#[derive(Clone, Copy)]
enum Build {
    Scenarios,
    Production,
}

impl Build {
    fn of(builds: &VariantBuilds, build: Build) -> Option<&Shipped> {
        match build {
            Build::Scenarios => builds.scenarios.as_ref(),
            Build::Production => Some(&builds.production),
        }
    }

    /// The folder of `variant`'s build: `/m/<variant>` (scenarios) or `/p/<variant>`, under
    /// `/base` for the base commit's (`--compare`); the module is served beside it as
    /// `<folder>.wasm`, the glue inside it.
    fn folder(self, variant: VariantKind, side: Side) -> String {
        let prefix = match self {
            Build::Scenarios => "m",
            Build::Production => "p",
        };
        let side = match side {
            Side::Head => "",
            Side::Base => "/base",
        };
        format!("{side}/{prefix}/{}", variant.as_str())
    }
}

/// What the loopback server serves the probes: the page, each variant's two builds (each
/// module with a fresh nonce per fetch, and its glue), the base commit's beside them
/// (`--compare`), and the cache canary's module (the same bytes every time).
pub(crate) fn routes(modules: &Modules) -> BTreeMap<String, Resource> {
    let mut routes = BTreeMap::from([(PAGE_PATH.to_owned(), Resource::Page(PAGE.to_owned()))]);
    let base = modules.base.iter().flat_map(|b| &b.builds).map(|b| (Side::Base, b));
    for (side, (variant, builds)) in modules.head.iter().map(|b| (Side::Head, b)).chain(base) {
        for build in [Build::Scenarios, Build::Production] {
            let Some(shipped) = Build::of(builds, build) else { continue };
            let folder = build.folder(*variant, side);
            routes.insert(format!("{folder}.wasm"), Resource::Module(Arc::new(shipped.module.clone())));
            for (path, js) in &shipped.glue {
                routes.insert(format!("{folder}/{path}"), Resource::Script(Arc::new(js.clone())));
            }
        }
    }
    routes.insert(CANARY_PATH.to_owned(), Resource::ExactModule(Arc::new(canary_module())));
    routes
}

/// The expression `visit`'s page evaluates: its probe's harness called with its arguments.
pub(crate) fn expression(visit: &Visit, modules: &Modules, server: &Loopback) -> String {
    let builds = modules.of(visit);
    // The module's URL and its main glue file's, when it has glue.
    let urls = |build: Build| match builds {
        Some((variant, builds)) => {
            let folder = build.folder(*variant, visit.side);
            let main = Build::of(builds, build).and_then(|b| b.glue.first());
            let glue = main.map(|(main, _)| server.url(&format!("{folder}/{main}")));
            (server.url(&format!("{folder}.wasm")), glue)
        }
        None => (server.url(CANARY_PATH), None),
    };
    let (harness, args) = match &visit.probe {
        Probe::Canary { rounds } => {
            let (url, glue) = urls(Build::Production);
            // The canary's module has no scenario and no glue: its first call is `run`.
            let first_call = "return api.exports.run(1);";
            (COLD_INIT_HARNESS, json!({"url": url, "glue": glue, "first_call": first_call, "rounds": rounds}))
        }
        Probe::ColdInit { first_call } => {
            let (url, glue) = urls(Build::Production);
            (COLD_INIT_HARNESS, json!({"url": url, "glue": glue, "first_call": first_call, "rounds": 1}))
        }
        Probe::Operation { call, work, .. } => {
            // A scenario export is the benchmark build's; the JS API is what ships.
            let (build, scenario, js_api) = match call {
                OperationCall::Export(export) => (Build::Scenarios, Some(export), None),
                OperationCall::JsApi(js) => (Build::Production, None, Some(json!({"setup": js.setup, "op": js.op}))),
            };
            let (url, glue) = urls(build);
            let work = match work {
                Work::Timed(b) => json!({"batches": b.timed, "warmup": b.warm_up, "batch_ms": b.millis}),
                Work::Memory { warm_up, sampled } => json!({"memory": {"warmup_ops": warm_up, "sample_ops": sampled}}),
            };
            let args = json!({"url": url, "glue": glue, "scenario": scenario, "js_api": js_api, "seed": visit.seed, "work": work});
            (OPERATION_HARNESS, args)
        }
        // The host page loads its own module; the harness only reads what the page left.
        Probe::Host { .. } => return format!("({})()", HOST_HARNESS.trim_end()),
    };
    format!("({})({args})", harness.trim_end().trim_end_matches(';'))
}
