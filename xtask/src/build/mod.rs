//! Building and measuring artifacts: wasm-bindgen in-process, wasm-opt, the canary
//! module, the sizes (raw, gzip, brotli, sections) and twiggy's attribution. A tool: imports
//! other tools and the machine only.

pub(crate) mod attribution;
pub(crate) mod bindgen;
pub(crate) mod canary_module;
pub(crate) mod leb128;
pub(crate) mod measure;
pub(crate) mod optimize;
