//! wasm-bindgen in process: a cargo build's module turned into what a wasm-bindgen crate
//! ships, its module and its JS glue, byte for byte as `wasm-bindgen --target web` of the
//! same version writes them (the library's own `emit`, into a staging directory), with the
//! TypeScript declarations the CLI writes by default (a TypeScript SDK type-checks against
//! them; the glue names them in its first line).

use std::path::{Path, PathBuf};

use anyhow::Context;
use perf_core::policy::{BindgenTarget, WasmBindgen};
use wasm_bindgen_cli_support::Bindgen;

/// The `wasm-bindgen-cli-support` version this tool links, as the workspace lock holds it
/// (`build.rs`); a crate must lock `wasm-bindgen` at exactly this version, which a crate of
/// this workspace does by the lock.
pub const WASM_BINDGEN_VERSION: &str = env!("WASM_BINDGEN_VERSION");

/// What wasm-bindgen wrote: the module (before wasm-opt), the glue files, the main glue
/// first and then its snippets, each with its path relative to the output directory, and
/// the main glue's TypeScript declarations (not loaded by a page, so not glue).
pub struct Generated {
    pub module: Vec<u8>,
    pub glue: Vec<(String, Vec<u8>)>,
    pub declarations: (String, Vec<u8>),
}

/// Runs wasm-bindgen on `wasm` (cargo's output for the crate `lib_name`), emitting into
/// `staging` (emptied first), and reads back what it wrote.
pub fn generate(lib_name: &str, wasm: Vec<u8>, settings: &WasmBindgen, staging: &Path) -> anyhow::Result<Generated> {
    if staging.exists() {
        std::fs::remove_dir_all(staging).with_context(|| format!("cannot empty {}", staging.display()))?;
    }
    let mut bindgen = Bindgen::new();
    bindgen.input_bytes(lib_name, wasm).omit_default_module_path(false).typescript(true);
    match settings.target {
        BindgenTarget::Web => bindgen.web(true)?,
    };
    let mut output = bindgen.generate_output().context("wasm-bindgen failed")?;
    output.emit(staging).with_context(|| format!("wasm-bindgen cannot write into {}", staging.display()))?;

    let module_path = staging.join(format!("{lib_name}_bg.wasm"));
    let module =
        std::fs::read(&module_path).with_context(|| format!("wasm-bindgen wrote no {}", module_path.display()))?;
    let declarations = format!("{lib_name}.d.ts");
    let declarations = (declarations.clone(), read(&staging.join(&declarations))?);
    let main = format!("{lib_name}.js");
    let mut glue = vec![(main.clone(), read(&staging.join(&main))?)];
    let snippets = staging.join("snippets");
    if snippets.exists() {
        let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&snippets)
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("cannot list {}", snippets.display()))?
            .into_iter()
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect();
        files.sort();
        for file in files {
            let relative = file.strip_prefix(staging).unwrap_or(&file).to_string_lossy().replace('\\', "/");
            glue.push((relative, read(&file)?));
        }
    }
    Ok(Generated { module, glue, declarations })
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("wasm-bindgen wrote no {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The oldest wasm-bindgen release the tool is checked with (docs/perf.md).
    const WASM_BINDGEN_MINIMUM: &str = "0.2.129";

    /// The tool and the subjects ask for a range from the same minimum, never a pin, so a
    /// `cargo update -p wasm-bindgen` moves them together; the lock holds one version.
    #[test]
    fn the_tool_and_the_subjects_take_any_release_from_the_minimum_and_lock_one() {
        let root = crate::project_root();
        let requirement = |manifest: &str, krate: &str| {
            let text = std::fs::read_to_string(root.join(manifest)).unwrap();
            let line = text.lines().find(|l| l.starts_with(&format!("{krate} = "))).unwrap().to_owned();
            line.split('"').nth(1).unwrap().to_owned()
        };
        assert_eq!(requirement("xtask/Cargo.toml", "wasm-bindgen-cli-support"), WASM_BINDGEN_MINIMUM);
        assert_eq!(requirement("crates/word-index/Cargo.toml", "wasm-bindgen"), WASM_BINDGEN_MINIMUM);
        let locked = crate::toolchain::locked_version("wasm-bindgen-cli-support");
        assert_eq!(
            (locked.as_str(), crate::toolchain::locked_version("wasm-bindgen").as_str()),
            (WASM_BINDGEN_VERSION, WASM_BINDGEN_VERSION)
        );
    }

    #[test]
    fn the_glue_loads_the_module_by_its_shipped_name_names_its_declarations_and_stale_snippets_are_dropped() {
        let staging = crate::project_root().join("artifacts/test/bindgen-staging");
        let stale = staging.join("snippets/old/inline0.js");
        std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
        std::fs::write(&stale, "stale").unwrap();
        let web = WasmBindgen { target: BindgenTarget::Web };
        let generated = generate("plain", crate::canary_module::canary_module(), &web, &staging).unwrap();
        let names: Vec<&str> = generated.glue.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["plain.js"]);
        let js = String::from_utf8(generated.glue[0].1.clone()).unwrap();
        assert!(js.contains("new URL('plain_bg.wasm', import.meta.url)"), "{js}");
        assert!(js.contains("export { initSync, __wbg_init as default };"), "{js}");
        assert!(js.starts_with("/* @ts-self-types=\"./plain.d.ts\" */"), "{js}");
        let (name, dts) = &generated.declarations;
        assert_eq!(name, "plain.d.ts");
        assert!(String::from_utf8_lossy(dts).contains("export default function __wbg_init"), "{dts:?}");
        assert!(!stale.exists());
        assert_eq!(&generated.module[..4], b"\0asm");
    }
}
