//! wasm-bindgen in process: a cargo build's module turned into what a wasm-bindgen crate
//! ships, its module and its JS glue, byte for byte as `wasm-bindgen --target web` of the
//! same version writes them (the library's own `emit`, into a staging directory), with the
//! TypeScript declarations the CLI writes by default (a TypeScript SDK type-checks against
//! them; the glue names them in its first line).

use std::path::{Path, PathBuf};

use anyhow::Context;
use perf_core::policy::{BindgenTarget, WasmBindgen};
use wasm_bindgen_cli_support::Bindgen;

/// The `wasm-bindgen-cli-support` version this tool links (the tidy test checks it against
/// Cargo.lock); a crate must lock `wasm-bindgen` at exactly this version.
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";

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

    #[test]
    fn the_version_matches_the_locked_crate() {
        let version = crate::toolchain::locked_version("wasm-bindgen-cli-support");
        assert_eq!(version, WASM_BINDGEN_VERSION, "update WASM_BINDGEN_VERSION");
        // The subject crate is pinned to the same version (its Cargo.toml says why).
        let subject = std::fs::read_to_string(crate::project_root().join("crates/word-index/Cargo.toml")).unwrap();
        assert!(subject.contains(&format!("wasm-bindgen = \"={WASM_BINDGEN_VERSION}\"")), "pin word-index too");
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
