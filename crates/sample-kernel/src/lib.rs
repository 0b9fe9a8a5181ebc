//! A small structured-concurrency kernel, the default subject of the wasm budget gate.
//!
//! It is the kind of code the budgets in `.github/wasm_perf_budgets.json` describe: a bounded
//! channel whose senders reserve a permit before they commit a value, a hashed timer wheel
//! with arm and cancel, a task slab with spawn and join, and a region whose cancellation runs
//! request → drain → finalize. With the `trace` feature every operation is appended to a
//! deterministic event trace that can be replayed and checked.
//!
//! `api` is what a host page calls (create a runtime, spawn, send, arm and cancel timers,
//! cancel a region): the production build exports only it. `exports` holds the C-ABI
//! scenarios a benchmark host drives, one per runtime metric.

pub mod api;
pub mod channel;
pub mod region;
pub mod rng;
pub mod task;
pub mod timer;
#[cfg(feature = "trace")]
pub mod trace;
pub mod workload;

#[cfg(feature = "exports")]
pub mod exports;

#[cfg(feature = "host-diagnostics")]
pub mod diagnostics;

#[cfg(any(feature = "compile-heavy", feature = "slow-start"))]
pub mod compile_heavy;
#[cfg(feature = "mono-bloat")]
pub mod mono_bloat;
#[cfg(perf_gate_seeded_regression)]
pub mod seeded_regression;

#[cfg(feature = "slow-reserve-send")]
pub mod slowdown;
