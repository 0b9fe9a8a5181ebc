//! Measured: what a run built and measured (sizes, attribution, wasmtime and browser
//! figures, the pipeline's steps), a matrix's partial runs, and the committed baseline, which
//! is a reviewed measured run. Nothing here judges: no thresholds are applied. Imports leaves,
//! documents and measured only.

pub mod attribution;
pub mod baseline;
pub mod browser;
pub mod browser_pairing;
pub mod browser_sampling;
pub mod browser_schedule;
pub mod early_stop;
pub mod host_run;
pub mod partial;
pub mod pipeline;
pub mod run;
pub mod runtime;
