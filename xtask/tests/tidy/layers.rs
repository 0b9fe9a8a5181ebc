//! The modules' dependencies: no two modules of a crate depend on each other in a cycle, and
//! each module imports only its own layer and the layers below it (ARCHITECTURE.md draws
//! them). A module is known by its file's stem (every module is re-exported at its crate's
//! root, so `crate::gate` names it wherever it lives) and its layer by its folder.

use crate::{project_root, rust_files};
use std::collections::{BTreeMap, BTreeSet};

/// Every crate of the workspace with its layers from the bottom up, each the folders under
/// `src/` it holds; `lib.rs` or `main.rs` stands above them all. A crate without layers keeps
/// its modules flat.
const CRATES: [(&str, &[&[&str]]); 5] = [
    ("crates/perf-core", &[&["leaves"], &["documents"], &["measured"], &["decide"], &["views"]]),
    ("xtask", &[&["machine"], &["build", "wasmtime", "browser", "host"], &["plumbing"], &["commands"]]),
    ("crates/wasm-scenario", &[]),
    ("crates/sample-kernel", &[]),
    ("crates/word-index", &[]),
];

/// One source file: its path under `src/`, the module it is and its text.
struct Source {
    path: String,
    module: String,
    text: String,
}

/// The module a file under `src/` is: its stem, or its folder's name for a `mod.rs`; `None`
/// for the crate root.
fn module_of(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = path.trim_end_matches(".rs").split('/').collect();
    if parts.last() == Some(&"mod") {
        parts.pop();
    }
    let stem = parts.last()?.to_string();
    (stem != "lib" && stem != "main").then_some(stem)
}

fn crate_sources(krate: &str) -> Vec<Source> {
    let src = project_root().join(krate).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .iter()
        .map(|f| {
            let path = f.strip_prefix(&src).unwrap_or(f).display().to_string();
            let module = module_of(&path).unwrap_or_default();
            Source { path, module, text: std::fs::read_to_string(f).unwrap_or_default() }
        })
        .collect()
}

/// The layer a file stands in: the index of the layer holding its top folder; the crate
/// root and a file outside every layer stand above them all.
fn layer_of(path: &str, layers: &[&[&str]]) -> usize {
    let top = path.split('/').next().unwrap_or("");
    layers.iter().position(|folders| path.contains('/') && folders.contains(&top)).unwrap_or(layers.len())
}

/// Every import of a module from a layer above the importing file's, as `file imports
/// module (folder)`.
fn upward_imports(sources: &[Source], layers: &[&[&str]]) -> Vec<String> {
    let layer_of_module: BTreeMap<&str, (usize, &str)> = sources
        .iter()
        .filter(|s| !s.module.is_empty())
        .map(|s| (s.module.as_str(), (layer_of(&s.path, layers), s.path.as_str())))
        .collect();
    let mut found = Vec::new();
    for s in sources {
        let own = layer_of(&s.path, layers);
        for module in crate_paths(&s.text) {
            if let Some((layer, path)) = layer_of_module.get(module.as_str())
                && *layer > own
            {
                found.push(format!("{} imports {module} ({path})", s.path));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn layers_import_only_downward() {
    for (krate, layers) in CRATES {
        let sources = crate_sources(krate);
        let loose: Vec<&str> = sources
            .iter()
            .filter(|s| !layers.is_empty() && !s.module.is_empty() && !s.path.contains('/'))
            .map(|s| s.path.as_str())
            .collect();
        assert!(loose.is_empty(), "{krate}: put these modules into the folder of their layer: {loose:?}");
        let mut seen = BTreeSet::new();
        let twice: Vec<&str> =
            sources.iter().map(|s| s.module.as_str()).filter(|m| !m.is_empty() && !seen.insert(*m)).collect();
        assert!(twice.is_empty(), "{krate}: a module name stands for one file: {twice:?}");
        let upward = upward_imports(&sources, layers);
        assert!(
            upward.is_empty(),
            "{krate}: a module imports only its own layer and those below it (ARCHITECTURE.md); move the \
             shared part down or pass it in:\n{}",
            upward.join("\n")
        );
    }
}

/// ARCHITECTURE.md stays one page and draws every layer folder, as `folder/`.
#[test]
fn architecture_is_one_page_and_draws_every_layer() {
    let arch = std::fs::read_to_string(project_root().join("ARCHITECTURE.md")).unwrap();
    let lines = arch.lines().count();
    assert!(lines <= 150, "ARCHITECTURE.md is {lines} lines: keep it to one page (150)");
    let undrawn: Vec<String> = CRATES
        .iter()
        .flat_map(|(krate, layers)| layers.iter().flat_map(move |l| l.iter().map(move |f| format!("{krate}/src/{f}/"))))
        .filter(|folder| !arch.contains(&format!("`{}`", folder.rsplit("src/").next().unwrap_or(folder))))
        .collect();
    assert!(undrawn.is_empty(), "ARCHITECTURE.md does not draw these layer folders (as `folder/`): {undrawn:?}");
}

#[test]
fn a_planted_upward_import_is_found() {
    let layers: &[&[&str]] = &[&["leaves"], &["decide"], &["views"]];
    let file = |path: &str, text: &str| Source {
        path: path.to_owned(),
        module: module_of(path).unwrap_or_default(),
        text: text.to_owned(),
    };
    let sources = [
        file("leaves/mod.rs", "pub mod digest;"),
        file("leaves/digest.rs", "use crate::{status, gate::Check};"),
        file("leaves/status.rs", ""),
        file("decide/gate.rs", "use crate::digest::sha256_hex;\nuse crate::table;"),
        file("views/table.rs", "use crate::gate::GateReport;"),
        file("lib.rs", "pub use views::table;"),
    ];
    assert_eq!(
        upward_imports(&sources, layers),
        ["decide/gate.rs imports table (views/table.rs)", "leaves/digest.rs imports gate (decide/gate.rs)"]
    );
    assert_eq!(layer_of("lib.rs", layers), 3, "the root stands above every layer");
}

#[test]
fn no_module_depends_on_itself_through_others() {
    for (krate, _) in CRATES {
        let sources = crate_sources(krate);
        if let Some(cycle) = find_cycle(&module_graph(&sources)) {
            panic!(
                "{krate}: the modules {} form a cycle; move what they share into a module of its own",
                cycle.join(" -> ")
            );
        }
    }
    let cycle = BTreeMap::from([
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]);
    assert_eq!(find_cycle(&cycle), Some(vec!["a".to_owned(), "b".to_owned(), "a".to_owned()]), "the check finds one");
    assert_eq!(
        crate_paths("use crate::{flags, gate::{self, X}};\nlet x = crate::inputs::read(p);"),
        ["flags", "gate", "inputs"]
    );
}

/// The modules each module names through `crate::`, by module name; the root is no module.
fn module_graph(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let known: BTreeSet<&str> = sources.iter().map(|s| s.module.as_str()).filter(|m| !m.is_empty()).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in sources.iter().filter(|s| !s.module.is_empty()) {
        let edges = graph.entry(s.module.clone()).or_default();
        edges.extend(crate_paths(&s.text).into_iter().filter(|to| *to != s.module && known.contains(to.as_str())));
    }
    graph
}

/// The first segment of every `crate::` path in `text`, `crate::{a, b::c}` included.
fn crate_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            out.push(first_segment(&item));
        } else {
            out.push(first_segment(rest));
        }
    }
    out.retain(|s| !s.is_empty() && s != "self");
    out
}

fn first_segment(path: &str) -> String {
    path.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// A cycle in `graph`, as the modules along it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}
