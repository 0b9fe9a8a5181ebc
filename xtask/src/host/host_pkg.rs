//! The `pkg/` folder the gate writes into a host app before its build: the subject's
//! shipped module and glue, exactly as measured, and three small files that make every app
//! generic over the subject:
//! - `subject.js` (and `subject.d.ts`): the glue re-exported under one name; for a module
//!   without glue, a loader of the same shape (`init()` instantiates it with
//!   `WebAssembly.instantiateStreaming`, `exports` is what it exports);
//! - `calls.js`: `firstCall(api)`, the corpus's first call through the subject's API;
//! - `probe.js`: the page contract (`xtask/hosts/probe.js`).
//!
//! The control build's `pkg/` has the same names with the subject stubbed out: no module,
//! no glue, an `init()` that does nothing; so its page loads the host alone.

use crate::browser_probe::Shipped;

/// A file of `pkg/`: its path inside `pkg/` and its bytes.
pub(crate) type PkgFile = (String, Vec<u8>);

/// `pkg/`'s files for `shipped`, whose first call through its API is `first_call` (the body
/// of a function of `api`), with the page contract `probe`.
pub(crate) fn pkg_files(shipped: &Shipped, first_call: &str, probe: &[u8]) -> Vec<PkgFile> {
    let mut files: Vec<PkgFile> = vec![(shipped.module_name.clone(), shipped.module.clone())];
    files.extend(shipped.glue.iter().cloned());
    files.extend(shipped.declarations.iter().cloned());
    let (subject, declarations) = match shipped.glue.first() {
        Some((main, _)) => {
            let reexport = format!(
                "// The subject's wasm-bindgen glue under one name (written by the gate).\n\
                 export {{ default }} from \"./{main}\";\nexport * from \"./{main}\";\n"
            );
            (reexport.clone(), reexport)
        }
        None => (
            format!(
                "// A module without glue, loaded in the glue's shape (written by the gate): init()\n\
                 // instantiates it; `exports` is what it exports once it has.\n\
                 export let exports;\n\
                 export default async function init() {{\n  \
                 const {{ instance }} = await WebAssembly.instantiateStreaming(fetch(new URL(\"./{}\", import.meta.url)), {{}});\n  \
                 exports = instance.exports;\n  return exports;\n}}\n",
                shipped.module_name
            ),
            "export declare let exports: WebAssembly.Exports;\n\
             export default function init(): Promise<WebAssembly.Exports>;\n"
                .to_owned(),
        ),
    };
    files.push(("subject.js".to_owned(), subject.into_bytes()));
    files.push(("subject.d.ts".to_owned(), declarations.into_bytes()));
    let calls = format!(
        "// The corpus's first call through the subject's API (written by the gate).\n\
         export function firstCall(api) {{\n{}\n}}\n",
        first_call.trim_end()
    );
    files.push(("calls.js".to_owned(), calls.into_bytes()));
    files.push(("probe.js".to_owned(), probe.to_vec()));
    files
}

/// `pkg/`'s files for the control build: the host app with no subject (a stub `init()`, no
/// module, no glue, no call), with the page contract `probe`, whose `?control` skips the
/// call. The same for every subject and variant, so one build per host serves them all.
pub(crate) fn control_pkg_files(probe: &[u8]) -> Vec<PkgFile> {
    vec![
        (
            "subject.js".to_owned(),
            b"// No subject: the control build loads the host alone (written by the gate).\n\
              export default async function init() {}\n"
                .to_vec(),
        ),
        ("subject.d.ts".to_owned(), b"export default function init(): Promise<void>;\n".to_vec()),
        (
            "calls.js".to_owned(),
            b"// The control page makes no call (written by the gate).\n\
              export function firstCall() {\n  throw new Error(\"the control build has no subject\");\n}\n"
                .to_vec(),
        ),
        ("probe.js".to_owned(), probe.to_vec()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(files: &[PkgFile]) -> Vec<&str> {
        files.iter().map(|(n, _)| n.as_str()).collect()
    }

    fn text<'a>(files: &'a [PkgFile], name: &str) -> &'a str {
        std::str::from_utf8(&files.iter().find(|(n, _)| n == name).unwrap().1).unwrap()
    }

    #[test]
    fn a_glued_subject_is_its_glue_reexported_and_a_bare_module_gets_a_loader_of_the_same_shape() {
        let glued = Shipped {
            module: b"\0asm".to_vec(),
            module_name: "word_index_bg.wasm".into(),
            glue: vec![("word_index.js".into(), b"glue".to_vec()), ("snippets/a/inline0.js".into(), b"s".to_vec())],
            declarations: Some(("word_index.d.ts".into(), b"types".to_vec())),
        };
        let files = pkg_files(&glued, "return new api.WordIndex().len();", b"probe");
        assert_eq!(
            names(&files),
            [
                "word_index_bg.wasm",
                "word_index.js",
                "snippets/a/inline0.js",
                "word_index.d.ts",
                "subject.js",
                "subject.d.ts",
                "calls.js",
                "probe.js"
            ]
        );
        assert!(text(&files, "subject.js").contains("export { default } from \"./word_index.js\";"));
        assert!(
            text(&files, "calls.js").contains("export function firstCall(api) {\nreturn new api.WordIndex().len();\n}")
        );

        let bare = Shipped { module_name: "sample_kernel.wasm".into(), glue: vec![], declarations: None, ..glued };
        let files = pkg_files(&bare, "return api.exports.run(1);", b"probe");
        assert_eq!(names(&files), ["sample_kernel.wasm", "subject.js", "subject.d.ts", "calls.js", "probe.js"]);
        let loader = text(&files, "subject.js");
        assert!(loader.contains("instantiateStreaming(fetch(new URL(\"./sample_kernel.wasm\", import.meta.url)), {})"));
        assert!(text(&files, "subject.d.ts").contains("export declare let exports"));
    }

    #[test]
    fn the_control_build_has_the_same_names_and_no_subject() {
        let files = control_pkg_files(b"probe");
        assert_eq!(names(&files), ["subject.js", "subject.d.ts", "calls.js", "probe.js"]);
        assert!(text(&files, "subject.js").contains("export default async function init() {}"));
        assert!(!text(&files, "subject.js").contains("import"), "it loads nothing");
    }
}
