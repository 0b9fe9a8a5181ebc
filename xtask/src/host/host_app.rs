//! What each host app is to the gate: whether npm installs and builds it, which folder of
//! the build is served, and the page a sample navigates to.

use std::path::PathBuf;

use perf_core::host::HostApp;

pub(crate) struct AppFacts {
    /// Installed with `npm ci` and built with `npm run build`; else served as written.
    pub npm: bool,
    /// What of an npm app's build is served: each folder of the build, and where in the
    /// site it goes ("." for the site's root). Never the install itself.
    pub serve: &'static [(&'static str, &'static str)],
    /// The page a sample loads, from the site's root.
    pub page: &'static str,
    /// Where the module is copied after the build, for a bundler that leaves the glue's
    /// `new URL('<module>', import.meta.url)` alone (esbuild): beside the bundle.
    pub module_beside: Option<&'static str>,
}

pub(crate) fn facts(app: HostApp) -> AppFacts {
    match app {
        HostApp::VanillaJs => AppFacts { npm: false, serve: &[], page: "/", module_beside: None },
        HostApp::TypescriptSdk => AppFacts {
            npm: true,
            serve: &[("page", "page"), ("dist", "dist"), ("pkg", "pkg")],
            page: "/page/",
            module_beside: Some("dist"),
        },
        HostApp::React => AppFacts { npm: true, serve: &[("dist", ".")], page: "/", module_beside: None },
        HostApp::Nextjs => AppFacts { npm: true, serve: &[("out", ".")], page: "/", module_beside: None },
    }
}

/// The app's sources, as committed.
pub(crate) fn source_dir(app: HostApp) -> PathBuf {
    hosts_dir().join(app.as_str())
}

/// `xtask/hosts/`: the apps and the page contract (`probe.js`) they share.
pub(crate) fn hosts_dir() -> PathBuf {
    crate::project_root().join("xtask/hosts")
}

/// What a build of an app writes into its folder, which is never a source: a hand build in
/// `xtask/hosts/<app>/` leaves these (`.gitignore` lists them too).
pub(crate) const BUILD_OUTPUTS: [&str; 6] = ["node_modules", "pkg", "dist", "out", ".next", "next-env.d.ts"];
