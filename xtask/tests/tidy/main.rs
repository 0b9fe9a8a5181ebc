//! Repository conventions, checked by `cargo test` (there is no separate lint step): every
//! Rust file opens with a `//!` doc saying what it is for, no file is a grab-bag
//! (`utils.rs`, `helpers.rs`), perf-core does no IO, processes start only through xshell,
//! tests install nothing, the `xtask` alias shows cargo's progress, README.md opens with the
//! two commands a newcomer runs, CODEOWNERS lists every document that sets what the gate
//! enforces; the layers (`layers.rs`), the length of functions (`function_length.rs`), the
//! host apps (`hosts.rs`) and README.md's sample output and commands (`readme.rs`) have
//! modules of their own.

mod function_length;
mod hosts;
mod layers;
mod readme;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use xshell::{Shell, cmd};

/// The workspace root.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

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
    let root = project_root();
    let mut files = Vec::new();
    rust_files(&root.join("xtask"), &mut files);
    rust_files(&root.join("crates"), &mut files);
    files.sort();
    files
}

#[test]
fn every_rust_file_opens_with_a_module_doc() {
    let root = project_root();
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

/// Every line of `dir`'s Rust files that contains one of `needles`, as `path:line: text`.
fn lines_with(dir: &Path, needles: &[&str]) -> Vec<String> {
    let root = project_root();
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
    let src = project_root().join("crates/perf-core/src");
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
    let src = project_root().join("xtask/src");
    // Spelled in two parts so that this line does not find itself.
    let hits = lines_with(&src, &[concat!("Command::", "new(")]);
    assert!(
        hits.is_empty(),
        "start processes with xshell's `cmd!` (one argv element per `{{x}}`, no shell):\n{}",
        hits.join("\n")
    );
}

/// The variable that forbids the tool's installs, read from `install_consent.rs` (a test of a
/// binary cannot import it).
fn no_install_variable() -> String {
    let path = project_root().join("xtask/src/machine/install_consent.rs");
    let text = std::fs::read_to_string(&path).expect("xtask/src/machine/install_consent.rs is readable");
    let declared = text.lines().find_map(|l| l.strip_prefix("pub const NO_INSTALL: &str = "));
    declared
        .map(|v| v.trim_end_matches(';').trim_matches('"').to_owned())
        .expect("install_consent.rs declares NO_INSTALL")
}

/// A test never changes the machine: every test file that starts the tool forbids its
/// installs (`install_consent.rs`), and no test runs an installer itself.
#[test]
fn tests_start_the_tool_with_installs_forbidden_and_install_nothing() {
    let no_install = no_install_variable();
    let tests = project_root().join("xtask/tests");
    let mut files = Vec::new();
    rust_files(&tests, &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let name = f.strip_prefix(&tests).unwrap_or(&f).display().to_string();
        // Spelled in two parts so that this file does not find itself.
        if text.contains(concat!("CARGO_BIN_EXE", "_xtask")) {
            assert!(
                text.contains(&no_install) || text.contains("support::NO_INSTALL"),
                "xtask/tests/{name} starts the tool without {}: start it with support::xtask_command()",
                no_install
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
fn readme_opens_with_the_two_commands() {
    let readme = std::fs::read_to_string(project_root().join("README.md")).unwrap();
    let commands: Vec<&str> =
        readme.lines().filter(|l| l.starts_with("    ") && !l.trim().is_empty()).take(2).map(str::trim).collect();
    // The toolchain rust-toolchain.toml pins first: rustup's auto-install may be off.
    assert_eq!(commands, ["rustup toolchain install && cargo xtask perf", "cargo test --workspace"]);
    let ci = std::fs::read_to_string(project_root().join(".ci/run")).unwrap();
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
        sh.change_dir(project_root());
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
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

/// The first `cargo xtask` of a fresh clone compiles for about 15 minutes: the alias keeps
/// cargo's progress on (no `--quiet`), so the first line shows within a second.
#[test]
fn the_xtask_alias_shows_cargos_progress() {
    let config = std::fs::read_to_string(project_root().join(".cargo/config.toml")).expect(".cargo/config.toml");
    let alias = config.lines().find(|l| l.trim_start().starts_with("xtask =")).expect("an xtask alias");
    let words: Vec<&str> = alias.split(['"', ' ', '=']).filter(|w| !w.is_empty()).collect();
    assert_eq!(words, ["xtask", "run", "--package", "xtask", "--"], "{alias}");
}

/// Every subject's committed policy, budgets, corpus and baseline, and the toolchain pin,
/// needs a code owner's review: `.github/CODEOWNERS` lists each by its exact path, and
/// nothing else.
#[test]
fn codeowners_lists_every_gate_document() {
    let root = project_root();
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
                || name == "wasm_benchmark_corpus.json"
                || (dir == "baselines" && name.ends_with(".json"));
            if gate_document {
                documents.insert(format!("/{}", path.strip_prefix(&root).unwrap().display()));
            }
        }
    }
    assert_eq!(listed, documents);
}
