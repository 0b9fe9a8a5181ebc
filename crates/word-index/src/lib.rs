//! A small full-text index over short documents, exposed to JavaScript through
//! wasm-bindgen: what a team's wasm-bindgen crate looks like when `cargo xtask perf` gates
//! it (a module and its JS glue, `#[wasm_bindgen]` functions taking strings and returning
//! `js-sys` arrays).

mod bindings;
#[cfg(feature = "exports")]
mod exports;
mod index;
#[cfg(feature = "trace")]
mod trace;

pub use index::{Index, tokens};
