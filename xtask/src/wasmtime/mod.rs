//! Running scenarios in embedded wasmtime: cold init, latency, fuel and heap. A tool:
//! imports other tools and the machine only.

pub(crate) mod runner;
