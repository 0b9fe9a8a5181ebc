//! The host grid both reports show: per variant the hosts loaded, one row per host and
//! environment with its time to ready, the control page's (the host alone), init → first
//! answer, the first call, the scripts its page loaded and those its control page loaded
//! (the host alone), or why there is no figure.

use crate::display::number;
use crate::host::HostApp;
use crate::host_run::{HostFigures, LoadedJs};
use crate::policy::VariantKind;
use crate::run::VariantReport;

pub struct Row<'a> {
    pub app: HostApp,
    pub environment: &'a str,
    pub figures: Option<HostFigures>,
    /// The scripts its page fetched.
    pub loaded_js: Option<&'a LoadedJs>,
    /// The scripts its control page fetched: the host alone.
    pub control_js: Option<&'a LoadedJs>,
    /// Why there are no figures: the host's error or why it was left out.
    pub note: Option<&'a str>,
}

/// Each variant that loaded a host (not only left them out), with its rows in host order,
/// then environment order.
pub fn grids(variants: &[VariantReport]) -> Vec<(VariantKind, Vec<Row<'_>>)> {
    let mut out = Vec::new();
    for v in variants {
        let loaded = v.browsers.iter().flat_map(|b| &b.hosts).any(|h| h.figures.is_some() || h.error.is_some());
        if !loaded {
            continue;
        }
        let mut rows = Vec::new();
        for app in HostApp::ALL {
            for b in &v.browsers {
                if let Some(h) = b.hosts.iter().find(|h| h.app == app) {
                    let note = h.error.as_ref().map(|e| e.message.as_str()).or(h.left_out.as_deref());
                    rows.push(Row {
                        app,
                        environment: &b.environment,
                        figures: h.figures,
                        loaded_js: h.loaded_js.as_ref(),
                        control_js: h.control_js.as_ref(),
                        note,
                    });
                }
            }
        }
        out.push((v.variant, rows));
    }
    out
}

/// A grid's bytes cell: the scripts' gzip bytes, or `-` where they were not counted.
pub fn gzip_cell(js: Option<&LoadedJs>) -> String {
    js.map_or("-".to_owned(), |js| number(js.gzip_bytes as f64))
}
