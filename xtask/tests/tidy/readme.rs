//! README.md says what the tool does, so it is checked against the tool: its sample output
//! is the table `cargo xtask perf` printed for the committed evidence run it names, rendered
//! again from that run's summary, and every `cargo xtask` command it shows uses a
//! subcommand and flags that `--help` lists.

// A test panics on what it finds wrong.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use perf_core::budget::Budgets;
use perf_core::summary::Summary;

use super::project_root;

fn readme() -> String {
    std::fs::read_to_string(project_root().join("README.md")).unwrap()
}

/// The first fenced block after `heading`, and the text between the heading and it.
fn block_after(text: &str, heading: &str) -> (String, String) {
    let from = text.find(heading).unwrap_or_else(|| panic!("README.md has no {heading:?}"));
    let rest = &text[from..];
    let open = rest.find("```text\n").unwrap();
    let body = &rest[open + "```text\n".len()..];
    let close = body.find("```").unwrap();
    (rest[..open].to_owned(), body[..close].to_owned())
}

#[test]
fn the_sample_output_is_the_table_of_the_committed_run_it_names() {
    let (intro, sample) = block_after(&readme(), "## What `cargo xtask perf` prints");
    let evidence = intro
        .split('`')
        .find(|s| s.starts_with("docs/perf-evidence/") && s.ends_with(".json"))
        .unwrap_or_else(|| panic!("the sample's introduction names no committed summary:\n{intro}"));
    let text = std::fs::read_to_string(project_root().join(evidence)).unwrap();
    let summary: Summary = serde_json::from_str(&text).unwrap();
    let budgets_text = std::fs::read_to_string(project_root().join(".github/wasm_perf_budgets.json")).unwrap();
    let budgets = Budgets::parse("budgets", &budgets_text).unwrap();
    let table = perf_core::table::render(&budgets, &summary.variants, &summary.records, &summary.pipeline);
    let rest = sample.strip_prefix(&table).unwrap_or_else(|| {
        let differs = sample.lines().zip(table.lines()).find(|(a, b)| a != b);
        panic!("the README's sample is not the table of {evidence}; first difference (README, rendered): {differs:?}")
    });
    let verdict = format!("verdict: {}", summary.verdict.as_str());
    let lines: Vec<&str> = rest.lines().collect();
    assert_eq!(lines.first(), Some(&verdict.as_str()), "{rest}");
    for line in &lines[1..] {
        assert!(line.starts_with("gate: ") || line.starts_with("summary: "), "not what perf prints last: {line}");
    }
    assert!(intro.contains(&summary.commit.chars().take(7).collect::<String>()), "the introduction names its commit");
}

/// Every `cargo xtask …` in README.md (in code blocks and in backticks), as the words up to
/// where the command ends.
fn readme_commands(text: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        let spans: Vec<&str> = if in_block { vec![line] } else { line.split('`').skip(1).step_by(2).collect() };
        for span in spans {
            for (at, _) in span.match_indices("cargo xtask ") {
                let words = span[at + "cargo xtask ".len()..]
                    .split_whitespace()
                    .take_while(|w| !["|", "&&", "#", ";", "\\"].contains(w) && !w.starts_with('#'))
                    .map(str::to_owned)
                    .collect();
                commands.push(words);
            }
        }
    }
    commands
}

#[test]
fn every_command_in_the_readme_is_one_the_cli_has() {
    let commands = readme_commands(&readme());
    assert!(commands.len() > 40, "found {} commands", commands.len());
    let nested = ["policy", "corpus"];
    let mut help: BTreeMap<Vec<String>, String> = BTreeMap::new();
    let mut checked = BTreeSet::new();
    for words in commands {
        let Some(first) = words.first() else { continue };
        if first.starts_with('-') || first.chars().any(|c| c.is_ascii_uppercase() || c == '<') {
            continue; // `cargo xtask --help`, `cargo xtask <command>`
        }
        let depth = if nested.contains(&first.as_str()) { 2 } else { 1 };
        let path: Vec<String> =
            words.iter().take(depth).map(|w| w.trim_end_matches(['.', ',', ':'])).map(str::to_owned).collect();
        let text = help.entry(path.clone()).or_insert_with(|| {
            let o = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
                .args(&path)
                .arg("--help")
                .env("WASM_BUDGET_GATE_NO_INSTALL", "1")
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "README: `cargo xtask {}` is no command: {}",
                path.join(" "),
                String::from_utf8_lossy(&o.stderr)
            );
            String::from_utf8_lossy(&o.stdout).into_owned()
        });
        for flag in words.iter().skip(depth).filter(|w| w.starts_with("--")) {
            let flag = flag.split(['=', ')', ',', '`', '.']).next().unwrap_or_default();
            if flag == "--" || flag.len() < 3 {
                continue;
            }
            let listed = text.lines().any(|l| l.trim_start().split([' ', ',']).any(|w| w == flag));
            assert!(listed, "README: `cargo xtask {} … {flag}`: `--help` lists no {flag}", path.join(" "));
            checked.insert(format!("{} {flag}", path.join(" ")));
        }
    }
    assert!(checked.len() > 30, "{checked:?}");
}
