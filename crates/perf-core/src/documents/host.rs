//! The host apps a subject's shipped module is measured inside: the four framework hosts
//! of the corpus contract (seed 003, §8.2: "Framework coverage: vanilla-js, typescript-sdk,
//! react, nextjs"). Each is an app under `xtask/hosts/<id>/` that loads the module the way
//! its framework's users do.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::policy::VariantKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostApp {
    /// A static page whose ES module imports the glue.
    VanillaJs,
    /// A TypeScript package over the glue (tsc, esbuild), used by a page.
    TypescriptSdk,
    /// Vite + React 19.
    React,
    /// Next 16, app router, static export.
    Nextjs,
}

impl HostApp {
    /// Every host, in the order the reports list them.
    pub const ALL: [HostApp; 4] = [HostApp::VanillaJs, HostApp::TypescriptSdk, HostApp::React, HostApp::Nextjs];

    /// How the corpus and every output name it (also its folder under `xtask/hosts/`).
    pub fn as_str(self) -> &'static str {
        match self {
            HostApp::VanillaJs => "vanilla-js",
            HostApp::TypescriptSdk => "typescript-sdk",
            HostApp::React => "react",
            HostApp::Nextjs => "nextjs",
        }
    }

    /// Every host's name, comma-separated: what a message lists them as.
    pub fn all_names() -> String {
        HostApp::ALL.map(HostApp::as_str).join(", ")
    }
}

impl std::str::FromStr for HostApp {
    type Err = String;

    fn from_str(name: &str) -> Result<HostApp, String> {
        HostApp::ALL
            .into_iter()
            .find(|a| a.as_str() == name)
            .ok_or_else(|| format!("expected one of {}", HostApp::all_names()))
    }
}

/// The corpus's `hosts` section: which host apps the subject's shipped module is measured
/// in, and the cells (variants × environments) that run. Each app makes the browser
/// protocol's `first_call` through the public JS API.
/// ```json
///   "hosts": { "apps": ["vanilla-js", "typescript-sdk", "react", "nextjs"],
///              "variants": ["release"], "environments": ["desktop-chromium"], "samples": 6,
///              "size_metrics": { "react": ["M-HOST-03C", "M-HOST-04C"] } }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostProtocol {
    /// Every host of the contract's framework coverage.
    pub apps: Vec<HostApp>,
    /// The variants whose production builds the hosts load.
    pub variants: Vec<VariantKind>,
    /// The corpus environments (Chromium ones: the throttling must hold from navigation)
    /// the hosts run in.
    pub environments: Vec<String>,
    /// Page loads per host, variant and environment: each of the app's page and of its
    /// control page (after one discarded warm-up of each).
    pub samples: u32,
    /// Per host, the metrics its page's bytes feed (`browser.host_js_*`: the host alone;
    /// `browser.host_total_*`: the page's scripts and the module), one per source. The
    /// bytes are the same in every environment: the first of `environments` counts them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub size_metrics: BTreeMap<HostApp, Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_is_named_as_the_contract_names_it() {
        for app in HostApp::ALL {
            let json = serde_json::to_string(&app).unwrap();
            assert_eq!(json, format!("\"{}\"", app.as_str()));
            assert_eq!(serde_json::from_str::<HostApp>(&json).unwrap(), app);
        }
        assert!(serde_json::from_str::<HostApp>("\"svelte\"").is_err());
        assert_eq!("react".parse(), Ok(HostApp::React));
        assert_eq!(
            "svelte".parse::<HostApp>(),
            Err("expected one of vanilla-js, typescript-sdk, react, nextjs".to_owned())
        );
    }
}
