//! One host app's samples in one browser environment, on one variant's production build:
//! per page load, the page contract's figures (`xtask/hosts/probe.js`), and the control
//! page's (the same app with the module stubbed), then their medians.
//! - **time to ready**: the `wasm:ready` mark from navigation start, the framework's boot,
//!   hydration and chunk loading included: what a user of that app waits for;
//! - **init → first answer**: from the `wasm:init-start` mark to the first call's answer,
//!   the same work in every host;
//! - **the first call** alone, through the public JS API (the corpus's `first_call`);
//! - **the control's time to ready**: the host's own cost, with no module;
//!
//! and, counted on the first kept load of each page, the bytes it ships: the scripts the
//! control page fetched (the host alone) and the app's page's scripts with the module.

use serde::{Deserialize, Serialize};

use crate::host::HostApp;
use crate::runtime::{Measurement, RunError};
use crate::sequential::{Look, Standing};
use crate::stats::median;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostRun {
    pub app: HostApp,
    /// The metric its time to ready feeds here (the environment's `host_metrics`).
    pub metric: String,
    /// The metrics its pages' bytes feed (the hosts section's `size_metrics`; in its
    /// first environment only, as the bytes are the same in every one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub size_metrics: Vec<String>,
    /// Why it was not run (`--host` left it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_out: Option<String>,
    /// Why its figures feed no metric: a cell the corpus does not gate, loaded by
    /// `--all-cells`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures_only: Option<String>,
    /// Why it stopped: its build failed, or a page did not answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
    /// The kept samples of the app's page, in the order they were taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<HostSample>,
    /// The kept samples of its control page: time to ready in ms.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub control_ready_ms: Vec<f64>,
    /// What the first call answered (the same on every load, or it is an error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<HostFigures>,
    /// Where the page's sampling stopped, against the gate's limits (`early_stop.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub look: Option<Look<Standing>>,
    /// The JavaScript the app's page loaded (every script it fetched: the framework, the
    /// app, and the glue, bundled in or beside), each file compressed on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loaded_js: Option<LoadedJs>,
    /// The JavaScript its control page loaded: the same app built with the subject stubbed
    /// out (no glue, no module), so the host alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_js: Option<LoadedJs>,
}

/// Files a page fetched, measured, and their sums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadedJs {
    pub raw_bytes: u64,
    pub gzip_bytes: u64,
    pub brotli_bytes: u64,
    pub files: Vec<LoadedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadedFile {
    /// Its path on the site, as the page requested it.
    pub path: String,
    pub raw_bytes: u64,
    pub gzip_bytes: u64,
    pub brotli_bytes: u64,
}

impl LoadedJs {
    pub fn of(files: Vec<LoadedFile>) -> LoadedJs {
        LoadedJs {
            raw_bytes: files.iter().map(|f| f.raw_bytes).sum(),
            gzip_bytes: files.iter().map(|f| f.gzip_bytes).sum(),
            brotli_bytes: files.iter().map(|f| f.brotli_bytes).sum(),
            files,
        }
    }
}

/// One load of the app's page, in ms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostSample {
    pub ready_ms: f64,
    pub init_ms: f64,
    pub first_call_ms: f64,
}

/// The medians of a host's samples, in ms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostFigures {
    pub ready_ms: f64,
    pub init_ms: f64,
    pub first_call_ms: f64,
    pub control_ready_ms: f64,
}

impl HostRun {
    pub fn planned(app: HostApp, metric: &str) -> HostRun {
        HostRun {
            app,
            metric: metric.to_owned(),
            size_metrics: Vec::new(),
            left_out: None,
            figures_only: None,
            error: None,
            samples: Vec::new(),
            control_ready_ms: Vec::new(),
            answer: None,
            figures: None,
            look: None,
            loaded_js: None,
            control_js: None,
        }
    }

    /// Why none of its figures feed a metric, in `environment`: it was left out or loaded
    /// for its figures only, or it failed.
    pub fn unavailable(&self, environment: &str) -> Option<Measurement> {
        let app = self.app.as_str();
        if let Some(why) = self.left_out.as_ref().or(self.figures_only.as_ref()) {
            return Some(Measurement::LeftOut(format!("the {app} host was left out: {why}")));
        }
        let e = self.error.as_ref()?;
        Some(Measurement::Failed(format!("{environment} in the {app} host: {}", e.message)))
    }

    /// The medians, once both pages have samples and nothing failed.
    pub fn conclude(&mut self) {
        if self.error.is_some() || self.left_out.is_some() {
            return;
        }
        let of = |f: fn(&HostSample) -> f64| median(&self.samples.iter().map(f).collect::<Vec<_>>());
        self.figures = match (of(|s| s.ready_ms), of(|s| s.init_ms), of(|s| s.first_call_ms)) {
            (Some(ready_ms), Some(init_ms), Some(first_call_ms)) => median(&self.control_ready_ms)
                .map(|control_ready_ms| HostFigures { ready_ms, init_ms, first_call_ms, control_ready_ms }),
            _ => None,
        };
        if self.figures.is_none() {
            self.error = Some(RunError::environment("no sample of the app's page and its control page both"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_concludes_with_its_medians_or_fails_without_samples_of_both_pages() {
        let mut run = HostRun::planned(HostApp::React, "M-HOST");
        for (ready, init, call) in [(90.0, 40.0, 2.0), (70.0, 30.0, 1.0), (80.0, 35.0, 3.0)] {
            run.samples.push(HostSample { ready_ms: ready, init_ms: init, first_call_ms: call });
        }
        run.control_ready_ms = vec![50.0, 40.0];
        run.conclude();
        let figures = HostFigures { ready_ms: 80.0, init_ms: 35.0, first_call_ms: 2.0, control_ready_ms: 45.0 };
        assert_eq!((run.figures, &run.error), (Some(figures), &None));

        let mut no_control = HostRun { control_ready_ms: vec![], figures: None, ..run.clone() };
        no_control.conclude();
        assert_eq!(no_control.figures, None);
        assert!(no_control.error.unwrap().message.contains("control page"));
    }
}
