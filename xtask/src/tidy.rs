//! Repository conventions, checked by `cargo test` (there is no separate lint step):
//! every Rust file opens with a `//!` doc saying what it is for, no file is a grab-bag
//! (`utils.rs`, `helpers.rs`), ARCHITECTURE.md names every module under its crate, no two
//! modules of a crate depend on each other in a cycle, perf-core does no IO, processes
//! start only through xshell, README.md opens with the two commands a newcomer runs, and
//! CODEOWNERS lists every document that sets what the gate enforces.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use xshell::{Shell, cmd};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<PathBuf> {
    let root = crate::project_root();
    let mut files = Vec::new();
    rust_files(&root.join("xtask"), &mut files);
    rust_files(&root.join("crates"), &mut files);
    files.sort();
    files
}

#[test]
fn every_rust_file_opens_with_a_module_doc() {
    let root = crate::project_root();
    let missing: Vec<String> = sources()
        .into_iter()
        .filter(|p| !std::fs::read_to_string(p).unwrap_or_default().starts_with("//!"))
        .map(|p| p.strip_prefix(&root).unwrap_or(&p).display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "start these files with a `//!` line saying what they are for:\n{}",
        missing.join("\n")
    );
}

#[test]
fn no_grab_bag_modules() {
    let bad: Vec<PathBuf> = sources()
        .into_iter()
        .filter(|p| {
            p.file_stem()
                .is_some_and(|s| ["utils", "util", "helpers", "misc", "common"].contains(&s.to_str().unwrap_or("")))
        })
        .collect();
    assert!(bad.is_empty(), "name modules after the concept they hold: {bad:?}");
}

/// The crate directories whose `src` ARCHITECTURE.md maps, each under a `### ` heading that
/// names the directory in backticks.
const CRATES: [&str; 4] = ["xtask", "crates/perf-core", "crates/wasm-scenario", "crates/sample-kernel"];

#[test]
fn architecture_names_every_module_under_its_crate() {
    let root = crate::project_root();
    let arch = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let mut unnamed = Vec::new();
    for krate in CRATES {
        let heading = format!("### `{krate}`");
        let section = arch.split("\n### ").find(|s| format!("### {s}").starts_with(&heading)).unwrap_or("");
        let src = root.join(krate).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for f in files {
            let rel = f.strip_prefix(&src).unwrap_or(&f).display().to_string();
            if rel != "lib.rs" && rel != "main.rs" && !section.contains(&format!("`{rel}`")) {
                unnamed.push(format!("{krate}/src/{rel}"));
            }
        }
    }
    assert!(
        unnamed.is_empty(),
        "ARCHITECTURE.md does not name these modules (as `file.rs` under their crate's `### ` heading): {unnamed:?}"
    );
}

/// Every line of `dir`'s Rust files that contains one of `needles`, as `path:line: text`.
fn lines_with(dir: &Path, needles: &[&str]) -> Vec<String> {
    let root = crate::project_root();
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    files.sort();
    let mut hits = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if needles.iter().any(|n| code.contains(n)) {
                hits.push(format!("{}:{}: {}", f.strip_prefix(&root).unwrap_or(&f).display(), i + 1, line.trim()));
            }
        }
    }
    hits
}

#[test]
fn perf_core_does_no_process_file_network_environment_or_clock_io() {
    let io = [
        "std::process",
        "std::fs",
        "std::net",
        "std::env",
        "env!(",
        "std::io::stdin",
        "File::",
        "SystemTime",
        "Instant",
        "println!",
        "eprintln!",
        "include_bytes!(",
    ];
    let src = crate::project_root().join("crates/perf-core/src");
    let hits: Vec<String> = lines_with(&src, &io).into_iter().filter(|h| !h.contains("include_str!(")).collect();
    assert!(
        hits.is_empty(),
        "perf-core is pure (ARCHITECTURE.md): take the bytes, numbers or time as arguments and do the IO in \
         xtask:\n{}",
        hits.join("\n")
    );
}

#[test]
fn processes_start_only_through_xshell() {
    let src = crate::project_root().join("xtask/src");
    // Spelled in two parts so that this line does not find itself.
    let hits = lines_with(&src, &[concat!("Command::", "new(")]);
    assert!(
        hits.is_empty(),
        "start processes with xshell's `cmd!` (one argv element per `{{x}}`, no shell):\n{}",
        hits.join("\n")
    );
}

/// A test never changes the machine: every test file that starts the tool forbids its
/// installs (`install_consent.rs`), and no test runs an installer itself.
#[test]
fn tests_start_the_tool_with_installs_forbidden_and_install_nothing() {
    let tests = crate::project_root().join("xtask/tests");
    let mut files = Vec::new();
    rust_files(&tests, &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let name = f.strip_prefix(&tests).unwrap_or(&f).display().to_string();
        if text.contains("CARGO_BIN_EXE_xtask") {
            assert!(
                text.contains(crate::install_consent::NO_INSTALL) || text.contains("support::NO_INSTALL"),
                "xtask/tests/{name} starts the tool without {}: start it with support::xtask_command()",
                crate::install_consent::NO_INSTALL
            );
        }
    }
    // A process named after an installer; spelled in parts so that these lines do not find themselves.
    let installers: Vec<String> = ["rustup", "apt-get", "apt", "sudo", "dpkg"]
        .iter()
        .flat_map(|p| [format!("{}(\"{p}\"", concat!("Command::", "new")), format!("{}\"{p} ", concat!("cmd!(sh, "))])
        .collect();
    let installers: Vec<&str> = installers.iter().map(String::as_str).collect();
    let hits = lines_with(&tests, &installers);
    assert!(hits.is_empty(), "a test starts an installer (assert the command instead):\n{}", hits.join("\n"));
}

#[test]
fn no_module_depends_on_itself_through_others() {
    for krate in CRATES {
        let graph = module_graph(&crate::project_root().join(krate).join("src"));
        if let Some(cycle) = find_cycle(&graph) {
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

#[test]
fn readme_opens_with_the_two_commands() {
    let readme = std::fs::read_to_string(crate::project_root().join("README.md")).unwrap();
    let commands: Vec<&str> =
        readme.lines().filter(|l| l.starts_with("    ") && !l.trim().is_empty()).take(2).map(str::trim).collect();
    // The toolchain rust-toolchain.toml pins first: rustup's auto-install may be off.
    assert_eq!(commands, ["rustup toolchain install && cargo xtask perf", "cargo test --workspace"]);
    let ci = std::fs::read_to_string(crate::project_root().join(".ci/run")).unwrap();
    for c in commands {
        assert!(ci.lines().any(|l| l.trim() == c), ".ci/run must run `{c}`");
    }
}

/// `cargo xtask` builds without dev-dependencies and `cargo test --workspace` with them. If
/// the two resolve any dependency with different features, cargo compiles it (and what
/// depends on it, binaryen's build among them) twice: minutes on every cold machine.
#[test]
fn tests_and_the_tool_share_dependency_features() {
    fn tree(args: &[&str]) -> std::collections::BTreeMap<String, String> {
        let sh = Shell::new().unwrap();
        sh.change_dir(crate::project_root());
        let cargo = crate::toolchain::cargo();
        let format = "{p}|{f}";
        let out = cmd!(sh, "{cargo} tree --prefix none --format {format} {args...}").quiet().read().unwrap();
        out.lines()
            .filter_map(|l| l.trim_end_matches(" (*)").split_once('|'))
            .map(|(p, f)| (p.split(" (").next().unwrap_or(p).to_owned(), f.to_owned()))
            .collect()
    }
    let tool = tree(&["--package", "xtask", "--edges", "normal,build"]);
    let tests = tree(&["--workspace", "--edges", "normal,build,dev"]);
    let differ: Vec<String> = tool
        .iter()
        .filter(|(p, f)| tests.get(*p) != Some(f))
        .map(|(p, f)| format!("{p}: [{f}] for cargo xtask, [{}] for cargo test", tests.get(p).map_or("absent", |s| s)))
        .collect();
    assert!(differ.is_empty(), "align these features (see xtask/Cargo.toml):\n{}", differ.join("\n"));
}

/// The modules of one crate's `src` that each module names through `crate::` (or a parent's
/// `super::`), by file stem; `lib.rs` and `main.rs` are the root, not a module.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let module = |p: &Path| -> Option<String> {
        let rel = p.strip_prefix(src).ok()?;
        let first = rel.components().next()?.as_os_str().to_string_lossy().into_owned();
        let stem = first.trim_end_matches(".rs").to_owned();
        (stem != "lib" && stem != "main").then_some(stem)
    };
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let Some(from) = module(f) else { continue };
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let edges = graph.entry(from.clone()).or_default();
        for to in crate_paths(&text) {
            if to != from {
                edges.insert(to);
            }
        }
    }
    let known: BTreeSet<String> = graph.keys().cloned().collect();
    for edges in graph.values_mut() {
        edges.retain(|e| known.contains(e));
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

/// Every committed policy, budgets and baseline file, and the toolchain pin, needs a code
/// owner's review: `.github/CODEOWNERS` lists each by its exact path, and nothing else.
#[test]
fn codeowners_lists_every_gate_document() {
    let root = crate::project_root();
    let owners = std::fs::read_to_string(root.join(".github/CODEOWNERS")).unwrap();
    let listed: BTreeSet<String> = owners
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_owned())
        .collect();
    let mut documents = BTreeSet::from(["/rust-toolchain.toml".to_owned()]);
    for dir in [".github", "baselines"] {
        for entry in walkdir::WalkDir::new(root.join(dir)) {
            let path = entry.unwrap().into_path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let gate_document = name == "wasm_optimization_policy.json"
                || name == "wasm_perf_budgets.json"
                || (dir == "baselines" && name.ends_with(".json"));
            if gate_document {
                documents.insert(format!("/{}", path.strip_prefix(&root).unwrap().display()));
            }
        }
    }
    assert_eq!(listed, documents);
}
