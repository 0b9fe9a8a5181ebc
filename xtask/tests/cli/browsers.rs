//! The browsers, for real: every corpus environment measured in its browser, a browser
//! killed mid-run, a wasm-bindgen crate measured through its glue, and a module expensive to
//! compile caught by desktop Chromium's cold init against an active baseline.

use std::path::Path;
use std::process::Command;

use perf_core::run::VariantReport;
use perf_core::status::Status;
use perf_core::summary::Summary;

use crate::harness::{
    both, copies_lock, measuring, measuring_env, on_test_protocol, perf, perf_env, pipeline_lock, python_gzip_len,
    read_json, read_summary, record, scratch, text,
};
use crate::support::{self, fixture, root};

/// The pids and command lines of the processes whose command line contains `needle`.
fn processes_with(needle: &str) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else { continue };
        let line = String::from_utf8_lossy(&raw).replace('\0', " ");
        if line.contains(needle) {
            found.push((pid, line));
        }
    }
    found
}

/// Whether a browser profile under `tmp` says its browser listens for the protocol.
fn listening_under(tmp: &std::path::Path) -> bool {
    let profiles = std::fs::read_dir(tmp).into_iter().flatten().flatten();
    profiles.into_iter().any(|p| p.path().join("DevToolsActivePort").is_file())
}

/// Every corpus environment measures every variant in its real browser, each sample cold
/// (the canary never finds a fresh context warm) and cross-origin isolated, and the records
/// name the browser, its version and engine.
#[test]
fn browsers_measure_cold_init_in_every_environment() {
    let _turn = pipeline_lock();
    let out = scratch("browsers");
    let summary = out.join("summary.json");
    let o = perf(&out, &["--engine", "chromium", "--engine", "firefox", "--summary", summary.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let s = read_summary(&summary);
    let mut environments = Vec::new();
    for v in &s.variants {
        assert_eq!(v.runtime, None, "wasmtime was left out");
        for b in &v.browsers {
            let what = format!("{} {}: {:?}", v.variant.as_str(), b.environment, b.error);
            let phases = b.phases.as_ref().unwrap_or_else(|| panic!("{what}"));
            assert!(phases.cross_origin_isolated, "5 µs timers");
            assert_eq!(phases.total.seeds.iter().map(|x| x.seed).collect::<Vec<_>>(), [11, 42]);
            assert!(phases.total.median_of_p95 > 0.0 && phases.fetch_compile.median_of_p95 > 0.0);
            let canary = b.cache_canary.unwrap();
            assert_ne!(canary.verdict, perf_core::browser::CanaryVerdict::Warm, "{canary:?}");
            let browser = b.browser.as_ref().unwrap();
            assert!(browser.major > 100, "{browser:?}");
            environments.push((b.environment.clone(), browser.name.clone(), b.cpu_throttling_rate));
        }
    }
    environments.sort_by(|a, b| a.0.cmp(&b.0));
    environments.dedup();
    assert_eq!(
        environments,
        [
            ("desktop-chromium".into(), "Chromium".into(), 1.0),
            ("desktop-firefox".into(), "Firefox".into(), 1.0),
            ("mobile-emulated-chromium".into(), "Chromium".into(), 4.0)
        ]
    );
    for id in ["M-PERF-02A", "M-PERF-02B", "M-FIREFOX-02A"] {
        for r in s.records.iter().filter(|r| r.metric_id == id) {
            assert_eq!(r.status, Status::Pass, "{id} {}: {:?}", r.variant.as_str(), r.reason);
            assert!(r.value.is_some_and(|v| v > 0.0) && r.wall_clock);
            assert!(r.commands.last().is_some_and(|c| c.contains("--headless")), "{:?}", r.commands);
        }
    }
    cold_init_loads_what_ships(&s, &["M-PERF-02A", "M-PERF-02B", "M-FIREFOX-02A"], "42");
    let chromium_record = s.records.iter().find(|r| r.metric_id == "M-PERF-02B").unwrap();
    assert!(chromium_record.environment.contains("Chromium 1") && chromium_record.environment.contains("V8 "));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("left out"), "the table says what the run left out: {stdout}");
}

/// A metric the budgets require never skips: where its environment is not among the
/// corpus's required ones and its browser does not start (here a "browser" that exits at
/// once), the metric fails, naming why, as it would in a required environment.
#[test]
fn a_required_metric_whose_browser_did_not_start_fails_and_does_not_skip() {
    let _turn = pipeline_lock();
    let out = scratch("browser-not-started");
    let mut corpus = read_json(&root().join(support::quick_corpus()));
    corpus["coverage"]["required_environments"] = serde_json::json!(["desktop-chromium", "mobile-emulated-chromium"]);
    let corpus_path = out.join("corpus.json");
    std::fs::write(&corpus_path, corpus.to_string()).unwrap();
    let summary = out.join("summary.json");
    let args =
        ["--engine", "firefox", "--corpus", corpus_path.to_str().unwrap(), "--summary", summary.to_str().unwrap()];
    let o = perf_env(&out, &args, &[("WASM_BUDGET_GATE_FIREFOX", "/bin/false")]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let s = read_summary(&summary);
    let firefox: Vec<_> = s.records.iter().filter(|r| r.metric_id == "M-FIREFOX-02A").collect();
    assert_eq!(firefox.len(), 3);
    for r in firefox {
        assert_eq!(r.status, Status::Fail, "{:?}", r.reason);
        let reason = r.reason.as_deref().unwrap_or_default();
        assert!(
            reason.starts_with("required metric not measured: desktop-firefox's browser did not start"),
            "{reason}"
        );
    }
}

/// A browser named by the override that is not there is refused, naming the variable. A
/// browser killed mid-run: a clear failure naming the browser, the variant and the cause,
/// exit 2 with the summary written, and no browser process or profile left behind.
#[test]
fn a_killed_browser_fails_clean_and_leaves_nothing() {
    let _turn = pipeline_lock();
    let out = scratch("killed-browser");
    let summary = out.join("summary.json");
    let missing = out.join("no-such-browser");
    let args = ["perf", "--engine", "chromium", "--summary", summary.to_str().unwrap()];
    let o = measuring_env(&args, &[("WASM_BUDGET_GATE_CHROMIUM", missing.to_str().unwrap())]);
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("WASM_BUDGET_GATE_CHROMIUM=") && stderr.contains("is not a file"), "{stderr}");

    // Every browser of this run has its profile under this test's TMPDIR.
    let tmp = out.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let child = support::xtask_command()
        .args(on_test_protocol(&args))
        .env("TMPDIR", &tmp)
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let needle = tmp.display().to_string();
    let started = std::time::Instant::now();
    // The browser listens once its profile holds DevToolsActivePort: killed before that, it
    // would be a browser that never started (a first start after an install takes seconds).
    let browser = loop {
        let main = processes_with(&needle).into_iter().find(|(_, l)| l.contains("--remote-debugging-port"));
        if let Some((pid, _)) = main.filter(|_| listening_under(&tmp)) {
            break pid;
        }
        assert!(started.elapsed().as_secs() < 120, "no browser started under {needle}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    // Mid-run: the canary and the first samples are under way.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(Command::new("kill").args(["-KILL", &browser.to_string()]).status().unwrap().success());
    let o = child.wait_with_output().unwrap();
    let stderr = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("desktop-chromium") && stderr.contains("the browser exited"), "{stderr}");
    for variant in ["dev ", "canary ", "release "] {
        assert!(stderr.contains(variant), "every variant is named: {stderr}");
    }
    let killed = read_summary(&summary).records.into_iter().find(|r| r.metric_id == "M-PERF-02A").unwrap();
    assert_eq!(killed.status, Status::Fail, "{:?}", killed.reason);
    let left: Vec<(u32, String)> = (0..50)
        .map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            processes_with(&needle)
        })
        .find(Vec::is_empty)
        .unwrap_or_else(|| processes_with(&needle));
    assert_eq!(left, Vec::new(), "no browser process is left behind");
    let profiles: Vec<_> = std::fs::read_dir(&tmp).unwrap().flatten().map(|e| e.file_name()).collect();
    let profiles: Vec<_> = profiles.iter().filter(|n| n.to_string_lossy().starts_with("wasm-budget-gate-")).collect();
    assert_eq!(profiles, Vec::<&std::ffi::OsString>::new(), "no profile is left behind");
}

/// Where the tool builds wasm (`pipeline::wasm_target_dir`), as its commands name it: the
/// checkout's `target/perf-wasm`, or in a `CARGO_TARGET_DIR` outside the checkout, a
/// directory of this checkout's own.
/// Cold init loads the production build, never the benchmark build: every record of
/// `metrics` names what ships (the module and its glue), and the first call through the
/// JS API answered `answer` in every environment.
fn cold_init_loads_what_ships(s: &Summary, metrics: &[&str], answer: &str) {
    for v in &s.variants {
        let shipped = &v.post_opt.as_ref().unwrap().path;
        for r in s.records.iter().filter(|r| r.variant == v.variant && metrics.contains(&r.metric_id.as_str())) {
            assert!(r.artifact_paths.contains(shipped), "{} {}: {:?}", r.metric_id, r.profile, r.artifact_paths);
            let bench = v.benchmark.as_ref().map(|b| b.path.as_str());
            assert!(bench.is_none_or(|b| !r.artifact_paths.iter().any(|p| p == b)), "{:?}", r.artifact_paths);
            if let Some(glue) = &v.glue {
                assert!(glue.files.iter().all(|f| r.artifact_paths.contains(&f.path)), "{:?}", r.artifact_paths);
            }
        }
        for b in v.browsers.iter().filter(|b| b.left_out.is_none()) {
            assert_eq!(b.answer.as_deref(), Some(answer), "{} {}", v.variant.as_str(), b.environment);
        }
    }
}

fn wasm_target_dir() -> String {
    let target = support::target_dir();
    let dir = if target.starts_with(root()) {
        target.join("perf-wasm")
    } else {
        let checkout = perf_core::digest::sha256_hex(root().as_os_str().as_encoded_bytes());
        target.join(format!("perf-wasm-{}", &checkout[..16]))
    };
    dir.strip_prefix(root()).unwrap_or(&dir).display().to_string()
}

/// What ships: cargo, then wasm-bindgen on cargo's output, then wasm-opt on wasm-bindgen's
/// (dev skips it), naming no path of this machine; the glue measured on its own.
fn ships_module_and_glue(s: &Summary, v: &VariantReport) {
    let dir = format!("artifacts/wasm/word-index/{}", v.variant.as_str());
    // No policy rustflags: the tool's path remaps only.
    assert!(v.commands[0].starts_with("CARGO_ENCODED_RUSTFLAGS=$'--remap-path-prefix="), "{v:?}");
    assert!(v.commands[0].contains("' cargo build --package word-index"), "{v:?}");
    let cargo_output =
        format!("{}/wasm32-unknown-unknown/perf-{}/word_index.wasm", wasm_target_dir(), v.variant.as_str());
    assert_eq!(
        v.commands[1],
        format!(
            "wasm-bindgen ({}, in-process): wasm-bindgen --target web --out-dir {dir} {cargo_output}",
            locked_bindgen()
        )
    );
    assert_eq!(v.commands.len(), if v.variant.as_str() == "dev" { 2 } else { 3 });
    if let Some(wasm_opt) = v.commands.get(2) {
        assert!(wasm_opt.starts_with("wasm-opt (binaryen 116, in-process)"), "{wasm_opt}");
    }
    let post = v.post_opt.as_ref().unwrap();
    assert_eq!(post.path, format!("{dir}/word_index_bg.wasm"));
    // What ships names no path of this machine: js-sys's panic locations read
    // /cargo/registry/src/…, not $CARGO_HOME's, and std's never name a rust-src copy.
    let module = std::fs::read(root().join(&post.path)).unwrap();
    let cargo_home =
        std::env::var("CARGO_HOME").unwrap_or_else(|_| format!("{}/.cargo", std::env::var("HOME").unwrap()));
    let has = |needle: &str| module.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!has(&cargo_home) && !has("lib/rustlib/src/rust"), "{}: a path of this machine", post.path);
    if v.variant.as_str() == "release" {
        assert!(has("/cargo/registry/src/index.crates.io-"), "{}: js-sys's panic location, remapped", post.path);
    }
    // The glue: its file on disk, measured on its own; gzip as Python's gzip module gives it.
    let glue = v.glue.as_ref().unwrap();
    assert_eq!(glue.files.len(), 1, "word-index has no snippets");
    let file = &glue.files[0];
    assert_eq!(file.path, format!("{dir}/word_index.js"));
    let js = std::fs::read(root().join(&file.path)).unwrap();
    assert!(text(&js).contains("new URL('word_index_bg.wasm', import.meta.url)"));
    assert_eq!(
        (glue.raw_bytes, file.raw_bytes, file.sha256.clone()),
        (js.len() as u64, js.len() as u64, perf_core::digest::sha256_hex(&js))
    );
    if let Some(gzip) = python_gzip_len(&root().join(&file.path)) {
        assert_eq!(glue.gzip_bytes, gzip);
    }
    let glue_record = |id: &str| s.records.iter().find(|r| r.metric_id == id && r.variant == v.variant).unwrap();
    for (id, bytes) in
        [("M-GLUE-01A", glue.raw_bytes), ("M-GLUE-01B", glue.gzip_bytes), ("M-GLUE-01C", glue.brotli_bytes)]
    {
        let r = glue_record(id);
        assert_eq!((r.value, r.status), (Some(bytes as f64), Status::Pass), "{id}");
        assert_eq!(r.artifact_paths, std::slice::from_ref(&file.path));
    }
}

/// What ships is the library's API; the scenarios live in the benchmark build only. Cold
/// init ran in Chromium through the glue, and the scenarios ran there too, timed in batches;
/// wasmtime has no JS, so its scenarios were skipped there, saying why.
fn measured_through_the_glue(v: &VariantReport) {
    let dir = format!("artifacts/wasm/word-index/{}", v.variant.as_str());
    assert!(v.shipped_exports.contains(&"wordindex_search".to_owned()), "{:?}", v.shipped_exports);
    assert!(!v.shipped_exports.iter().any(|e| e.ends_with("_setup")), "{:?}", v.shipped_exports);
    let bench = v.benchmark.as_ref().unwrap();
    assert_eq!(bench.path, format!("{dir}/bench/word_index_bg.wasm"));
    assert!(root().join(format!("{dir}/bench/word_index.js")).exists());
    let attribution = v.attribution.as_ref().unwrap();
    assert!(attribution.profiled.named, "wasm-bindgen's output keeps the names");
    assert!(v.runtime.is_none(), "{:?}", v.runtime);
    let skipped = v.runtime_skipped.as_deref().unwrap_or_default();
    assert!(skipped.contains("wasmtime does not have: it runs in the browsers only"), "{skipped}");
    for b in v.browsers.iter().filter(|b| b.environment.ends_with("chromium")) {
        let phases =
            b.phases.as_ref().unwrap_or_else(|| panic!("{} {}: {:?}", v.variant.as_str(), b.environment, b.error));
        assert!(phases.instantiate.median_of_p95 > 0.0 && phases.first_call.median_of_p95 > 0.0);
        // The memory-pressure scenario is sampled, not timed (and on the desktop only).
        let timed: Vec<String> = b.operations.iter().filter(|o| o.metric != "M-PERF-03A").map(|o| o.what()).collect();
        let through_the_api =
            ["WI-JS-SEARCH-01's operation through the JS API", "WI-JS-ADD-01's operation through the JS API"];
        assert_eq!(timed, [&["index_search", "index_add"][..], &through_the_api[..]].concat(), "{}", b.environment);
        for o in b.operations.iter().filter(|o| o.metric != "M-PERF-03A") {
            let per_op = o.per_op.as_ref().unwrap_or_else(|| panic!("{} {}: {:?}", b.environment, o.what(), o.error));
            assert_eq!(per_op.seeds.iter().map(|s| (s.seed, s.distribution.n)).collect::<Vec<_>>(), [(11, 5), (42, 5)]);
            assert!(o.ops_per_batch.iter().all(|(_, n)| *n >= 1) && per_op.seeds[0].distribution.p50 > 0.0);
        }
    }
}

/// The wasm-bindgen release Cargo.lock holds: the tool's and every subject's.
fn locked_bindgen() -> String {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
    let entry = "name = \"wasm-bindgen\"\nversion = \"";
    let at = lock.find(entry).unwrap() + entry.len();
    lock[at..].split('"').next().unwrap().to_owned()
}

#[test]
fn a_wasm_bindgen_crate_is_gated_as_it_ships_module_and_glue_and_cold_init_runs_through_the_glue() {
    let _turn = pipeline_lock();
    let out = scratch("bindgen");
    let summary = out.join("summary.json");
    let corpus = fixture("corpus/word-index-quick.json");
    let args = [
        "--policy",
        ".github/word-index/wasm_optimization_policy.json",
        "--budgets",
        ".github/word-index/wasm_perf_budgets.json",
        "--corpus",
        &corpus,
        "--engine",
        "chromium",
        "--summary",
        summary.to_str().unwrap(),
    ];
    let o = perf(&out, &args);
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let s = read_summary(&summary);
    assert_eq!((s.package.as_str(), s.verdict), ("word-index", Status::Pass));
    assert_eq!(s.provenance.wasm_bindgen, Some(locked_bindgen()), "the release the workspace locks");
    for v in &s.variants {
        ships_module_and_glue(&s, v);
        measured_through_the_glue(v);
    }
    cold_init_loads_what_ships(&s, &["M-PERF-02A", "M-PERF-02B"], "0,1");
    let per_op =
        ["M-WEB-04A", "M-WEB-04B", "M-WEB-04C", "M-WEB-04D", "M-WEB-05A", "M-WEB-05B", "M-WEB-05C", "M-WEB-05D"];
    for id in per_op {
        let records: Vec<_> = s.records.iter().filter(|r| r.metric_id == id).collect();
        assert_eq!(records.len(), 3, "{id}: one per variant");
        assert!(records.iter().all(|r| r.value.is_some_and(|v| v > 0.0) && r.wall_clock), "{records:?}");
    }
    assert!(text(&o.stdout).contains("one operation in browsers"), "{}", text(&o.stdout));
    // Memory under pressure through the JS API: linear memory after each sampled operation
    // (whole wasm pages), counted, not timed; and the page's memory as Chromium measures it.
    let heap: Vec<_> = s.records.iter().filter(|r| r.metric_id == "M-PERF-03A").collect();
    assert_eq!(heap.len(), 3, "one per variant: {heap:?}");
    assert!(heap.iter().all(|r| r.value.is_some_and(|v| v > 0.0) && !r.wall_clock), "{heap:?}");
    for v in &s.variants {
        let desktop = v.browsers.iter().find(|b| b.environment == "desktop-chromium").unwrap();
        let op = desktop.operations.iter().find(|o| o.metric == "M-PERF-03A").unwrap();
        let memory = op.linear_memory.as_ref().unwrap_or_else(|| panic!("{op:?}"));
        assert_eq!(memory.seeds.iter().map(|s| (s.seed, s.distribution.n)).collect::<Vec<_>>(), [(11, 500), (42, 500)]);
        assert!(memory.seeds.iter().all(|s| s.distribution.max % 65536.0 == 0.0), "whole pages: {memory:?}");
        assert_eq!(op.ua_memory_bytes.iter().map(|(seed, _)| *seed).collect::<Vec<_>>(), [11, 42], "{op:?}");
        assert!(op.ua_memory_bytes.iter().all(|(_, bytes)| *bytes > 0) && op.per_op.is_none(), "{op:?}");
    }
}

/// An active baseline at `baseline` from a rebaseline with `documents` on the tests'
/// protocol, with `overrides` of its tolerances (metric, relative %, absolute); returned.
fn active_baseline(baseline: &Path, documents: &[&str], overrides: &[(&str, f64, f64)]) -> serde_json::Value {
    let rebaseline = ["rebaseline", "--activate", "--baseline", baseline.to_str().unwrap()];
    let o = measuring(&[&rebaseline[..], documents].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let mut active = read_json(baseline);
    for (id, relative_pct, absolute) in overrides {
        active["tolerances"]["overrides"][id] = serde_json::json!({"relative_pct": relative_pct, "absolute": absolute});
    }
    std::fs::write(baseline, serde_json::to_string_pretty(&active).unwrap()).unwrap();
    active
}

/// A module expensive to compile (the sample kernel's test-only `compile-heavy`: 16,384
/// functions called when a runtime is created, the first call, in the release build) against an
/// active baseline of the clean build: desktop Chromium's cold init (M-PERF-02A) fails the
/// baseline rule, naming the values; reverting passes. The runs select Chromium, so wasmtime's
/// metrics are left out and not compared; the budgets are out of reach, so only the baseline
/// rule can fail, with a tolerance (+150% and +25 ms, for cold init and for the vanilla host's
/// time to ready, two loads) no unchanged run on a busy machine reaches.
/// The heavy module builds in a target directory of its own: in the checkout's, switching the
/// feature on and back would rebuild both builds of the release variant every time.
#[test]
fn a_module_expensive_to_compile_fails_browser_cold_init_against_an_active_baseline() {
    let _turn = pipeline_lock();
    // Cold init of the heavy module is compared with the clean one's: no build beside them.
    let _copies = copies_lock();
    let out = scratch("compile-heavy");
    let baseline = out.join("baseline.json");
    let (budgets, corpus) = (fixture("budgets/chromium-desktop.json"), fixture("corpus/quick-chromium.json"));
    let documents = ["--budgets", budgets.as_str(), "--corpus", corpus.as_str()];
    let active = active_baseline(&baseline, &documents, &[("M-PERF-02A", 150.0, 25.0), ("M-HOST-01A", 150.0, 25.0)]);
    let anchored = active["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["profile"] == "core-min" && m["metric_id"] == "M-PERF-02A")
        .and_then(|m| m["value"].as_f64());
    assert!(anchored.is_some_and(|v| v > 0.0), "the baseline anchors Chromium's cold init: {anchored:?}");
    let recorded = active["provenance"]["browsers"]["desktop-chromium"].as_str().unwrap_or_default();
    assert!(recorded.starts_with("Chromium 1"), "and the browser's major, for the drift check: {recorded:?}");

    let summary_path = out.join("summary.json");
    let summary = summary_path.to_str().unwrap();
    let chromium = ["--engine", "chromium", "--summary", summary];
    let heavy = fixture("policy/release-compile-heavy.json");
    let heavy_target = support::target_dir().join("compile-heavy");
    let heavy_target = [("CARGO_TARGET_DIR", heavy_target.to_str().unwrap())];
    let o = perf_env(&out, &[&documents[..], &chromium[..], &["--policy", heavy.as_str()]].concat(), &heavy_target);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    let failed = stdout.lines().find(|l| l.starts_with("fail [baseline] M-PERF-02A (core-min): regressed "));
    assert!(failed.is_some_and(|l| l.contains(" ms (+")), "{stdout}");
    let s = read_summary(&summary_path);
    let cold = record(&s, "core-min", "M-PERF-02A");
    assert_eq!(cold.status, Status::Fail, "{:?}", cold.reason);
    let left_out = record(&s, "core-min", "M-FUEL-04A");
    assert_eq!(left_out.status, Status::Skip, "wasmtime's metrics are left out, not compared");

    let o = perf(&out, &[&documents[..], &chromium[..]].concat());
    assert_eq!(o.status.code(), Some(0), "reverted: {}", text(&o.stdout));
}

/// A regression only the JS API shows (word-index's test-only `slow-search-ids`: `search`
/// returns each id as a string through a JavaScript `Array`, in the release build) against an active
/// baseline of the clean build: desktop Chromium's search through the JS API of what ships
/// (M-WEB-05A) fails the baseline rule, while the same search through the benchmark build's
/// raw scenario export (M-WEB-04A) stays green, as neither calls the binding; reverting
/// passes. Both get +150% and +10 µs of room: the slowed search is 7-10x its anchor, while
/// an unchanged raw search moved +68% beside a compiling build (the committed baseline's
/// +50% suits a quiet runner, not a busy test machine). The budgets are out of reach, so
/// only the baseline rule can fail. The slow build has a target directory of its own, as
/// the compile-heavy one does.
#[test]
fn a_regression_only_the_js_api_shows_fails_its_metric_while_the_raw_export_stays_green() {
    let _turn = pipeline_lock();
    let _copies = copies_lock();
    let out = scratch("slow-search-ids");
    let baseline = out.join("baseline.json");
    let (budgets, corpus) = (fixture("budgets/word-index-js.json"), fixture("corpus/word-index-js.json"));
    let policy = ".github/word-index/wasm_optimization_policy.json";
    let documents = ["--policy", policy, "--budgets", budgets.as_str(), "--corpus", corpus.as_str()];
    // Cold init (one load a seed) and the vanilla host's time to ready (two loads) are not
    // the subject: the compile-heavy test's room.
    let overrides = [
        ("M-WEB-04A", 150.0, 10.0),
        ("M-WEB-05A", 150.0, 10.0),
        ("M-PERF-02A", 150.0, 25.0),
        ("M-HOST-01A", 150.0, 25.0),
    ];
    active_baseline(&baseline, &documents, &overrides);

    let summary_path = out.join("slowed.json");
    let summary = summary_path.to_str().unwrap();
    let chromium = ["--engine", "chromium", "--summary", summary];
    let slow = fixture("policy/word-index-slow-search-ids.json");
    let slow_target = support::target_dir().join("slow-search-ids");
    let slow_target = [("CARGO_TARGET_DIR", slow_target.to_str().unwrap())];
    let slowed = [&documents[2..], &chromium[..], &["--policy", slow.as_str()]].concat();
    let o = perf_env(&out, &slowed, &slow_target);
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{}", both(&o));
    let failed = stdout.lines().find(|l| l.starts_with("fail [baseline] M-WEB-05A (core-min): regressed "));
    assert!(failed.is_some(), "{stdout}");
    let s = read_summary(&summary_path);
    assert_eq!(record(&s, "core-min", "M-WEB-05A").status, Status::Fail);
    assert_eq!(record(&s, "core-min", "M-WEB-04A").status, Status::Pass, "the raw export does not call the binding");
    assert!(!stdout.contains("M-WEB-04A (core-min): regressed"), "{stdout}");
    let release = s.variants.iter().find(|v| v.variant.as_str() == "release").unwrap();
    let js = record(&s, "core-min", "M-WEB-05A");
    assert!(
        js.artifact_paths.contains(&release.post_opt.as_ref().unwrap().path),
        "what ships: {:?}",
        js.artifact_paths
    );
    let raw = record(&s, "core-min", "M-WEB-04A");
    assert_eq!(raw.artifact_paths, [release.benchmark.as_ref().unwrap().path.clone()], "the benchmark build");

    let reverted = out.join("reverted.json");
    let o =
        perf(&out, &[&documents[..], &["--engine", "chromium", "--summary", reverted.to_str().unwrap()][..]].concat());
    assert_eq!(o.status.code(), Some(0), "reverted: {}", text(&o.stdout));
}

/// The corpus's hosts section, narrowed to vanilla-js (the npm hosts need the registry, which
/// a test does not reach): the release build as it ships, loaded in the host app from
/// navigation, answers its first call through its exports, and its time to ready feeds
/// M-HOST-01A with the production module among the record's artifacts, and its bytes (the
/// control build's scripts, the page's with the module) M-HOST-03A and 04A; the hosts left out
/// are skipped, saying why; `--all-cells` loads the host on the variants the section does not
/// (dev, canary) for figures that feed no metric.
#[test]
fn the_shipped_module_is_measured_in_a_host_app_and_what_was_left_out_says_so() {
    let _turn = pipeline_lock();
    let out = scratch("hosts");
    let summary = out.join("summary.json");
    let (budgets, corpus) = (fixture("budgets/chromium-desktop.json"), fixture("corpus/quick-chromium.json"));
    let args =
        ["--budgets", &budgets, "--corpus", &corpus, "--engine", "chromium", "--host", "vanilla-js", "--all-cells"];
    let (markdown, html) = (out.join("report.md"), out.join("report.html"));
    let written = ["--summary", summary.to_str().unwrap(), "--markdown", markdown.to_str().unwrap()];
    let o = perf(&out, &[&args[..], &written[..], &["--html", html.to_str().unwrap()]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", both(&o));
    let s = read_summary(&summary);
    let release = s.variants.iter().find(|v| v.variant.as_str() == "release").unwrap();
    let hosts = &release.browsers[0].hosts;
    let vanilla = &hosts[0];
    assert_eq!((vanilla.app.as_str(), vanilla.answer.as_deref()), ("vanilla-js", Some("42")), "{vanilla:?}");
    assert_eq!((vanilla.samples.len(), vanilla.control_ready_ms.len()), (2, 2), "the warm-up discarded");
    let figures = vanilla.figures.unwrap();
    assert!(figures.ready_ms > figures.init_ms && figures.init_ms > figures.first_call_ms, "{figures:?}");
    for h in &hosts[1..] {
        assert_eq!(h.left_out.as_deref(), Some("this run selected --engine chromium --host vanilla-js"), "{h:?}");
    }
    // --all-cells: the host on every variant, and one control build for all.
    for build in ["vanilla-js/dev", "vanilla-js/canary", "vanilla-js/release", "vanilla-js/control"] {
        assert!(s.pipeline.phases.iter().any(|p| p.phase.starts_with("host") && p.variant == build), "{build}");
    }
    let steps = (s.pipeline.steps.host_builds, s.pipeline.steps.host_cache_hits);
    assert_eq!(steps.0 + steps.1, 4, "one host on three variants and its control, built or cached: {steps:?}");
    let stdout = text(&o.stdout);
    assert!(stdout.contains(&format!(", {} host builds, {} host cache hits, ", steps.0, steps.1)), "{stdout}");
    let block = stdout.split("time to ready in the host apps").nth(1).unwrap_or_else(|| panic!("{stdout}"));
    assert!(block.lines().any(|l| l.starts_with("M-HOST-01A") && !l.ends_with("skip")), "measured on release: {block}");
    let shipped_block = stdout.split("what the host apps ship, bytes").nth(1).unwrap_or_else(|| panic!("{stdout}"));
    for id in ["M-HOST-03A", "M-HOST-04A"] {
        assert!(shipped_block.lines().any(|l| l.starts_with(id) && !l.ends_with("skip")), "{id}: {shipped_block}");
        assert_eq!(stdout.matches(&format!("\n{id} ")).count(), 1, "{id} in one block: {stdout}");
    }

    // The reports' host grid: the figures of the host that ran, why the others have none.
    let report = std::fs::read_to_string(&markdown).unwrap();
    let grid = report.split("### Host apps: release").nth(1).unwrap_or_else(|| panic!("{report}"));
    let row = |app: &str| grid.lines().find(|l| l.starts_with(&format!("| {app} | desktop-chromium |"))).unwrap();
    let js = vanilla.loaded_js.as_ref().unwrap_or_else(|| panic!("the scripts its page loaded: {vanilla:?}"));
    let mut scripts: Vec<&str> = js.files.iter().map(|f| f.path.as_str()).collect();
    scripts.sort();
    assert_eq!(scripts, ["/main.js", "/pkg/calls.js", "/pkg/probe.js", "/pkg/subject.js"], "no module, no page");
    assert_eq!(js.gzip_bytes, js.files.iter().map(|f| f.gzip_bytes).sum::<u64>());
    assert!(js.raw_bytes > js.gzip_bytes && js.gzip_bytes > 0, "{js:?}");
    // The control page loads the control build: the same scripts, the subject stubbed out.
    let alone = vanilla.control_js.as_ref().unwrap_or_else(|| panic!("the scripts its control loaded: {vanilla:?}"));
    let mut control_scripts: Vec<&str> = alone.files.iter().map(|f| f.path.as_str()).collect();
    control_scripts.sort();
    assert_eq!(control_scripts, scripts);
    let subject =
        |js: &perf_core::host_run::LoadedJs| js.files.iter().find(|f| f.path == "/pkg/subject.js").unwrap().raw_bytes;
    assert!(subject(alone) < subject(js), "a stub, not the module's loader: {alone:?}");
    let number = |bytes: u64| perf_core::display::number(bytes as f64);
    let expected =
        format!("| {:.1} | {} | {} |", figures.first_call_ms, number(js.gzip_bytes), number(alone.gzip_bytes));
    assert!(row("vanilla-js").ends_with(&expected), "{grid}");
    // The table's host grid too.
    let table_grid = stdout.split("host apps on release: medians in ms").nth(1).unwrap_or_else(|| panic!("{stdout}"));
    let line = table_grid.lines().find(|l| l.starts_with("vanilla-js      desktop-chromium")).unwrap();
    let expected =
        format!("{:>6.1} {:>9} {:>9}", figures.first_call_ms, number(js.gzip_bytes), number(alone.gzip_bytes));
    assert!(line.ends_with(&expected) && line.contains(&format!(" {:.1} ", figures.ready_ms)), "{line} / {expected}");
    assert!(row("react").contains("this run selected --engine chromium --host vanilla-js"), "{grid}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<h2>Host apps: release (ms, medians over page loads)</h2>"), "the HTML report too");
    let record =
        |id: &str, profile: &str| s.records.iter().find(|r| r.metric_id == id && r.profile == profile).unwrap();
    let ready = record("M-HOST-01A", "core-min");
    assert!(ready.value.is_some_and(|v| v > 0.0) && ready.wall_clock, "{ready:?}");
    let shipped = release.post_opt.as_ref().unwrap();
    assert!(ready.artifact_paths.contains(&shipped.path), "the production build: {:?}", ready.artifact_paths);
    assert!(!ready.artifact_paths.iter().any(|p| p.contains("bench")), "{:?}", ready.artifact_paths);
    // Its bytes: counted, not timed, in the first hosts environment.
    let host_alone = record("M-HOST-03A", "core-min");
    assert_eq!(host_alone.value, Some(alone.gzip_bytes as f64), "{host_alone:?}");
    let total = record("M-HOST-04A", "core-min");
    assert_eq!(total.value, Some((js.gzip_bytes + shipped.gzip_bytes) as f64), "the page's scripts and the module");
    for r in [host_alone, total] {
        assert!(!r.wall_clock && r.seed_set.is_empty() && r.status == Status::Pass, "{r:?}");
    }
    let next = record("M-HOST-01D", "core-min");
    assert_eq!(next.status, Status::Skip);
    assert!(next.reason.as_deref().is_some_and(|r| r.contains("the nextjs host was left out")), "{next:?}");
    // The cells beyond the corpus's (the dev variant here) give figures and feed no metric.
    let dev_run = s.variants.iter().find(|v| v.variant.as_str() == "dev").unwrap();
    let dev_vanilla = &dev_run.browsers[0].hosts[0];
    assert_eq!((dev_vanilla.samples.len(), dev_vanilla.answer.as_deref()), (2, Some("42")), "{dev_vanilla:?}");
    assert!(dev_vanilla.figures_only.as_deref().is_some_and(|r| r.contains("--all-cells")), "{dev_vanilla:?}");
    assert!(report.contains("### Host apps: dev"), "{report}");
    for id in ["M-HOST-01A", "M-HOST-03A"] {
        let dev = record(id, "full-dev");
        assert_eq!((dev.status, dev.value), (Status::Skip, None), "{dev:?}");
        assert!(dev.reason.as_deref().is_some_and(|r| r.contains("does not gate the dev variant here")), "{dev:?}");
    }
}
