//! Repository conventions, checked by `cargo test` (there is no separate lint step):
//! every Rust file opens with a `//!` doc saying what it is for, no file is a grab-bag
//! (`utils.rs`, `helpers.rs`), ARCHITECTURE.md names every module under its crate, no two
//! modules of a crate depend on each other in a cycle, perf-core does no IO, processes
//! start only through xshell, README.md opens with the two commands a newcomer runs,
//! CODEOWNERS lists every document that sets what the gate enforces, and no function is
//! over 100 lines but the data tables.

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
    // A process named after an installer, started either way a test can start one (spelled
    // in two parts so that the xshell rule above does not find this line).
    let installers: Vec<String> = ["rustup", "apt-get", "apt", "sudo", "dpkg"]
        .iter()
        .flat_map(|p| [format!("{}(\"{p}\"", concat!("Command::", "new")), format!("cmd!(sh, \"{p} ")])
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

/// The most lines a function may span, from its `fn` line to its closing brace.
const MAX_FUNCTION_LINES: usize = 100;

/// The functions allowed over [`MAX_FUNCTION_LINES`], as `path::name`, each with why: a body
/// that is a data table (rows of cases read one at a time, however many), or a function
/// another change is splitting. An entry that is no longer over the limit fails the test.
const LONG_FUNCTIONS_ALLOWED: [(&str, &str); 5] = [
    ("crates/perf-core/src/corpus.rs::self_test_cases", "a data table: the self-test's broken corpora"),
    ("crates/perf-core/src/policy.rs::self_test_cases", "a data table: the self-test's broken policies"),
    (
        "crates/perf-core/src/conclude.rs::each_metric_has_one_status_decided_from_every_rule",
        "a table-driven test: its table of cases",
    ),
    ("crates/perf-core/src/gate.rs::every_rule_in_both_modes", "a table-driven test: its table of cases"),
    ("xtask/src/pipeline.rs::measure", "being split (issue 26)"),
];

/// No function (tests included) is over [`MAX_FUNCTION_LINES`] lines: a long one is split
/// by the concepts it holds. The exceptions are [`LONG_FUNCTIONS_ALLOWED`]. `xtask/tests/`
/// is left out for now: its integration tests are being rewritten (issue 26).
#[test]
fn no_function_is_over_100_lines() {
    let root = crate::project_root();
    let skipped = root.join("xtask/tests");
    let mut too_long = Vec::new();
    let mut allowed_found = BTreeSet::new();
    for file in sources().into_iter().filter(|p| !p.starts_with(&skipped)) {
        let rel = file.strip_prefix(&root).unwrap_or(&file).display().to_string();
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for (name, line, lines) in function_lengths(&text) {
            let key = format!("{rel}::{name}");
            if lines <= MAX_FUNCTION_LINES {
                continue;
            }
            if LONG_FUNCTIONS_ALLOWED.iter().any(|(allowed, _)| *allowed == key) {
                allowed_found.insert(key);
            } else {
                too_long.push(format!("{rel}:{line} {name} ({lines} lines)"));
            }
        }
    }
    assert!(
        too_long.is_empty(),
        "split these functions into smaller ones named for what they do (at most {MAX_FUNCTION_LINES} lines):\n{}",
        too_long.join("\n")
    );
    let stale: Vec<&str> =
        LONG_FUNCTIONS_ALLOWED.iter().map(|(key, _)| *key).filter(|key| !allowed_found.contains(*key)).collect();
    assert!(
        stale.is_empty(),
        "no longer over {MAX_FUNCTION_LINES} lines: remove from LONG_FUNCTIONS_ALLOWED: {stale:?}"
    );
}

#[test]
fn function_lengths_count_from_the_fn_line_to_the_closing_brace() {
    let body = |n: usize| "    step();\n".repeat(n);
    let text = format!(
        "fn planted() {{\n{}}}\n\
         /// fn in_a_comment() {{\n\
         fn at_limit<'a>(x: &'a str) -> [u8; 2] {{\n\
         \x20   let _ = (\"}}\", '{{', '\\'', r#\"}}\"#, b'}}');\n\
         \x20   /* }} /* }} */ */ // }}\n\
         {}}}\n\
         trait Declared {{\n    fn declared(&self);\n}}\n",
        body(99),
        body(96),
    );
    assert_eq!(function_lengths(&text), [("planted".to_owned(), 1, 101), ("at_limit".to_owned(), 103, 100)], "{text}");
}

/// Each function with a body in `text`: its name, the line of its `fn` (1-based) and how
/// many lines it spans, from that line to the one of its closing brace.
fn function_lengths(text: &str) -> Vec<(String, usize, usize)> {
    let code = code_only(text);
    let newlines: Vec<usize> = code.iter().enumerate().filter(|(_, c)| **c == '\n').map(|(i, _)| i).collect();
    let line_of = |i: usize| newlines.partition_point(|&n| n < i) + 1;
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut found = Vec::new();
    for i in 0..code.len().saturating_sub(2) {
        let keyword = code[i] == 'f' && code[i + 1] == 'n' && code[i + 2].is_whitespace();
        if !keyword || (i > 0 && ident(code[i - 1])) {
            continue;
        }
        let name_start = (i + 2..code.len()).find(|&j| !code[j].is_whitespace()).unwrap_or(code.len());
        let name: String = code[name_start..].iter().take_while(|&&c| ident(c)).collect();
        // A macro's `fn $name` has no name to report.
        if name.is_empty() {
            continue;
        }
        let Some(open) = body_start(&code, name_start) else { continue };
        let mut depth = 0;
        let close = code[open..].iter().position(|&c| {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            depth == 0
        });
        if let Some(close) = close {
            let first = line_of(i);
            found.push((name, first, line_of(open + close) - first + 1));
        }
    }
    found
}

/// Where the body of the function whose signature starts at `from` opens: the first `{`
/// outside the signature's parentheses and brackets; `None` for a declaration (`;` first).
fn body_start(code: &[char], from: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (i, &c) in code.iter().enumerate().skip(from) {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ';' if depth == 0 => return None,
            '{' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

/// `text` with its comments, strings and char literals blanked to spaces (newlines kept),
/// so that the braces and `fn`s left are code.
fn code_only(text: &str) -> Vec<char> {
    let mut code: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < code.len() {
        let Some(end) = literal_or_comment_end(&code, i) else {
            i += 1;
            continue;
        };
        let end = end.min(code.len());
        for c in &mut code[i..end] {
            if *c != '\n' {
                *c = ' ';
            }
        }
        i = end;
    }
    code
}

/// The end (exclusive) of the comment, string or char literal starting at `i`, if one does.
fn literal_or_comment_end(code: &[char], i: usize) -> Option<usize> {
    let at = |j: usize| code.get(j).copied().unwrap_or('\0');
    let after_ident = i > 0 && (code[i - 1].is_alphanumeric() || code[i - 1] == '_');
    match code[i] {
        '/' if at(i + 1) == '/' => Some((i..code.len()).find(|&j| code[j] == '\n').unwrap_or(code.len())),
        '/' if at(i + 1) == '*' => {
            // Block comments nest.
            let (mut depth, mut j) = (0, i);
            while j < code.len() {
                if code[j] == '/' && at(j + 1) == '*' {
                    depth += 1;
                    j += 2;
                } else if code[j] == '*' && at(j + 1) == '/' {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            Some(j)
        }
        'r' | 'b' if !after_ident => {
            // A raw string `r#"…"#` (or `br"…"`); `r#ident` and other code are not.
            let start = if code[i] == 'b' && at(i + 1) == 'r' { i + 2 } else { i + 1 };
            let hashes = (start..code.len()).take_while(|&j| code[j] == '#').count();
            if code[i] == 'b' && start == i + 1 || at(start + hashes) != '"' {
                return None;
            }
            let closes = |j: usize| code[j] == '"' && (1..=hashes).all(|h| at(j + h) == '#');
            let close = (start + hashes + 1..code.len()).find(|&j| closes(j)).unwrap_or(code.len());
            Some(close + 1 + hashes)
        }
        '"' => {
            let mut j = i + 1;
            while j < code.len() && code[j] != '"' {
                j += if code[j] == '\\' { 2 } else { 1 };
            }
            Some(j + 1)
        }
        // A char literal: an escape, or one char; a quote otherwise starts a lifetime.
        '\'' if at(i + 1) == '\\' => Some((i + 3..code.len()).find(|&j| code[j] == '\'').map_or(code.len(), |j| j + 1)),
        '\'' if at(i + 2) == '\'' => Some(i + 3),
        _ => None,
    }
}
