//! A built host app as the loopback server serves it, at the root of an origin of its own
//! (Next's export loads `/_next/...` by absolute path), and its control build on another:
//! every file of a site by its path, a folder's `index.html` at the folder too, each with
//! its content type, and every module with a fresh nonce per fetch, as the probes' own
//! modules are. While served, it notes the scripts each page fetched: what the app ships
//! to a user, and what the host alone does.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use perf_core::host::HostApp;
use perf_core::host_run::{LoadedFile, LoadedJs};
use perf_core::policy::VariantKind;

use crate::host_build::{HostBuild, HostPages};
use crate::loopback::{Loopback, Resource};
use crate::measure;

/// A host app served while an environment loads it: its page on one origin and its control
/// build (the app with no subject) on another.
pub(crate) struct ServedSite {
    pub variant: VariantKind,
    pub app: HostApp,
    page: &'static str,
    app_origin: Origin,
    control_origin: Origin,
}

/// One build served on its own origin, and the scripts its page fetched.
struct Origin {
    server: Loopback,
    /// The scripts of the site, by path (the bytes the server serves).
    scripts: BTreeMap<String, Arc<Vec<u8>>>,
    /// The scripts the page fetched on its first kept load, in the order fetched.
    fetched: Option<Vec<String>>,
}

impl Origin {
    fn serve(build: &HostBuild) -> anyhow::Result<Origin> {
        let routes = routes(&build.site)?;
        let scripts = routes
            .iter()
            .filter_map(|(path, r)| match r {
                Resource::File(SCRIPT, bytes) => Some((path.clone(), Arc::clone(bytes))),
                _ => None,
            })
            .collect();
        Ok(Origin { server: Loopback::serve(routes)?, scripts, fetched: None })
    }

    /// The scripts the page fetched, each measured (gzip and brotli memoized in `cache`);
    /// `None` before a counted load.
    fn loaded_js(&self, cache: &Path) -> anyhow::Result<Option<LoadedJs>> {
        let Some(fetched) = &self.fetched else { return Ok(None) };
        let mut files = Vec::new();
        for path in fetched {
            let m = measure::measure_js_file(path, &self.scripts[path], cache)?;
            files.push(LoadedFile {
                path: path.clone(),
                raw_bytes: m.raw_bytes,
                gzip_bytes: m.gzip_bytes,
                brotli_bytes: m.brotli_bytes,
            });
        }
        Ok(Some(LoadedJs::of(files)))
    }
}

impl ServedSite {
    pub(crate) fn serve(variant: VariantKind, app: HostApp, pages: &HostPages) -> anyhow::Result<ServedSite> {
        Ok(ServedSite {
            variant,
            app,
            page: pages.page.page,
            app_origin: Origin::serve(&pages.page)?,
            control_origin: Origin::serve(&pages.control)?,
        })
    }

    fn origin(&self, control: bool) -> &Origin {
        if control { &self.control_origin } else { &self.app_origin }
    }

    /// The app's page, or its control page (the control build, told to make no call).
    pub(crate) fn url(&self, control: bool) -> String {
        self.origin(control).server.url(self.page) + if control { "?control" } else { "" }
    }

    /// Whether a load of this page still counts its scripts: until its first kept load.
    pub(crate) fn counts(&self, control: bool) -> bool {
        self.origin(control).fetched.is_none()
    }

    /// Before a load whose scripts count: forgets what was served before it.
    pub(crate) fn before_counted_load(&self, control: bool) {
        self.origin(control).server.take_served();
    }

    /// After that load: the scripts it fetched, in the order first fetched.
    pub(crate) fn after_counted_load(&mut self, control: bool) {
        let origin = if control { &mut self.control_origin } else { &mut self.app_origin };
        let mut fetched: Vec<String> = Vec::new();
        for path in origin.server.take_served().into_iter().filter(|p| origin.scripts.contains_key(p)) {
            if !fetched.contains(&path) {
                fetched.push(path);
            }
        }
        origin.fetched = Some(fetched);
    }

    /// The scripts the app's page and its control page fetched (each `None` before its
    /// counted load).
    pub(crate) fn loaded_js(&self, cache: &Path) -> anyhow::Result<(Option<LoadedJs>, Option<LoadedJs>)> {
        Ok((self.app_origin.loaded_js(cache)?, self.control_origin.loaded_js(cache)?))
    }
}

const SCRIPT: &str = "text/javascript; charset=utf-8";

/// The routes of the site in `dir`.
pub(crate) fn routes(dir: &Path) -> anyhow::Result<BTreeMap<String, Resource>> {
    let mut routes = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(dir)?.to_string_lossy().replace('\\', "/");
        let bytes =
            Arc::new(std::fs::read(entry.path()).with_context(|| format!("cannot read {}", entry.path().display()))?);
        let path = format!("/{relative}");
        let resource = match content_type(&relative) {
            None => Resource::Module(bytes),
            Some(kind) => Resource::File(kind, bytes),
        };
        if let Some(folder) = path.strip_suffix("index.html") {
            routes.insert(folder.to_owned(), resource.clone());
        }
        routes.insert(path, resource);
    }
    Ok(routes)
}

/// The content type a file is served with; `None` for a wasm module.
fn content_type(path: &str) -> Option<&'static str> {
    let extension = path.rsplit_once('.').map_or("", |(_, e)| e);
    Some(match extension {
        "wasm" => return None,
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => SCRIPT,
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "png" => "image/png",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_is_served_by_path_with_folder_indexes_and_modules_with_nonces() {
        let dir = crate::project_root().join("artifacts/test/host-site");
        let _ = std::fs::remove_dir_all(&dir);
        for (name, bytes) in
            [("index.html", &b"<p>"[..]), ("page/index.html", b"<p>"), ("_next/a.js", b"1"), ("pkg/m.wasm", b"\0asm")]
        {
            std::fs::create_dir_all(dir.join(name).parent().unwrap()).unwrap();
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        let routes = routes(&dir).unwrap();
        let keys: Vec<&str> = routes.keys().map(String::as_str).collect();
        assert_eq!(keys, ["/", "/_next/a.js", "/index.html", "/page/", "/page/index.html", "/pkg/m.wasm"]);
        assert!(matches!(routes["/"], Resource::File("text/html; charset=utf-8", _)));
        assert!(matches!(routes["/_next/a.js"], Resource::File("text/javascript; charset=utf-8", _)));
        assert!(matches!(routes["/pkg/m.wasm"], Resource::Module(_)));
    }
}
