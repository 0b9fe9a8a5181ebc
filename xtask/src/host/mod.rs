//! The host apps (`xtask/hosts/`) a variant's shipped module is measured inside: what each
//! app is (`host_app.rs`), the `pkg/` the gate writes into it (`host_pkg.rs`), its install
//! and build, cached (`host_build.rs`), and how the loopback server serves the result
//! (`host_site.rs`). A tool: imports other tools and the machine only.

pub(crate) mod host_app;
pub(crate) mod host_build;
pub(crate) mod host_pkg;
pub(crate) mod host_site;
