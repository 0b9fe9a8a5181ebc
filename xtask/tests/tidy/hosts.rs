//! The host apps' conventions (`xtask/hosts/`): the four hosts the contract names, versions
//! pinned exactly and locked, and the traps the framework notes found kept out: TypeScript 7
//! beside Next, a font fetched at build time, a module small enough for Vite to inline.

use std::path::{Path, PathBuf};

use serde_json::Value;
use xshell::{Shell, cmd};

use crate::project_root;

const HOSTS: [&str; 4] = ["vanilla-js", "typescript-sdk", "react", "nextjs"];

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file of a host that git tracks or would (what `.gitignore` leaves out, a build's or
/// an install's output, is not the host's).
fn host_files(host: &str) -> Vec<PathBuf> {
    let sh = Shell::new().unwrap_or_else(|e| panic!("{e}"));
    sh.change_dir(project_root());
    let dir = format!("xtask/hosts/{host}");
    let listed = cmd!(sh, "git ls-files --cached --others --exclude-standard -- {dir}")
        .quiet()
        .read()
        .unwrap_or_else(|e| panic!("listing {dir}: {e}"));
    listed.lines().map(|name| project_root().join(name)).filter(|path| path.is_file()).collect()
}

/// `(name, version)` of a package.json's dependencies and devDependencies.
fn dependencies(package: &Value) -> Vec<(String, String)> {
    ["dependencies", "devDependencies"]
        .iter()
        .filter_map(|key| package[key].as_object())
        .flatten()
        .map(|(name, version)| (name.clone(), version.as_str().unwrap_or_default().to_owned()))
        .collect()
}

fn exact(version: &str) -> bool {
    let parts: Vec<&str> = version.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

#[test]
fn the_four_hosts_exist_and_keep_the_page_contract() {
    let hosts = project_root().join("xtask/hosts");
    assert!(hosts.join("probe.js").is_file(), "xtask/hosts/probe.js is the page contract");
    for host in HOSTS {
        let sources: Vec<String> = host_files(host).iter().filter_map(|f| std::fs::read_to_string(f).ok()).collect();
        for import in ["pkg/subject.js", "pkg/probe.js"] {
            assert!(sources.iter().any(|text| text.contains(import)), "xtask/hosts/{host}: no source imports {import}");
        }
    }
}

#[test]
fn host_dependencies_are_pinned_exactly_and_locked() {
    let hosts = project_root().join("xtask/hosts");
    for host in HOSTS {
        let package = hosts.join(host).join("package.json");
        if !package.exists() {
            continue;
        }
        let declared = dependencies(&read_json(&package));
        let loose: Vec<_> = declared.iter().filter(|(_, v)| !exact(v)).collect();
        assert!(loose.is_empty(), "xtask/hosts/{host}/package.json: not an exact version: {loose:?}");
        let lock = read_json(&hosts.join(host).join("package-lock.json"));
        let locked = dependencies(&lock["packages"][""]);
        assert_eq!(locked, declared, "xtask/hosts/{host}/package-lock.json is stale: run npm install there");
        for (name, version) in &declared {
            let resolved = lock["packages"][format!("node_modules/{name}")]["version"].as_str();
            assert_eq!(resolved, Some(version.as_str()), "xtask/hosts/{host}: {name} locked at another version");
        }
    }
}

#[test]
fn hosts_keep_out_the_known_traps() {
    let hosts = project_root().join("xtask/hosts");
    for host in HOSTS {
        for file in host_files(host) {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            assert!(!text.contains("next/font/google"), "{}: next/font/google fetches at build time", file.display());
        }
    }
    let next = dependencies(&read_json(&hosts.join("nextjs/package.json")));
    let typescript_7 = next.iter().any(|(name, v)| name == "typescript" && !v.starts_with(|c: char| c < '7'));
    assert!(!typescript_7, "xtask/hosts/nextjs: `next build` fails with TypeScript 7; pin typescript@6");
    let vite = std::fs::read_to_string(hosts.join("react/vite.config.js")).unwrap_or_default();
    assert!(vite.contains("assetsInlineLimit: 0"), "xtask/hosts/react: Vite would inline a small module as base64");
}
