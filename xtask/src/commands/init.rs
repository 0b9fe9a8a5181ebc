//! `cargo xtask init`: onboard a crate the tool has never seen. The drafts come from
//! `perf_core::onboarding`; this measures them with the same pipeline as `perf` (so the
//! thresholds start from what `perf` will measure) and writes the documents, all or none.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, bail};
use perf_core::attribution;
use perf_core::budget::{self, Budgets, Metric};
use perf_core::codeowners::CodeOwners;
use perf_core::corpus::Corpus;
use perf_core::digest::sha256_hex;
use perf_core::host::HostApp;
use perf_core::onboarding::{self, FirstEntry, Headroom, Samples, Subject};
use perf_core::policy::Policy;
use perf_core::rebaseline::{self, Fresh, Options};
use perf_core::record;
use perf_core::run::{Run, broken_variants};
use perf_core::sections::exported_functions;
use perf_core::shell::shell_words;
use perf_core::status::Status;
use perf_core::subject;
use xshell::Shell;

use crate::atomic_write::write_atomic;
use crate::inputs::{self, Document, Loaded};
use crate::pipeline::{self, RuntimePlan, Selection};
use crate::settings::{DEFAULT_BASELINE, DEFAULT_BUDGETS, DEFAULT_CORPUS, DEFAULT_POLICY};
use crate::{flags, project_root, toolchain};

/// The subject's four documents, as the default subject names them.
const DOCUMENTS: [&str; 4] = [DEFAULT_POLICY, DEFAULT_BUDGETS, DEFAULT_CORPUS, DEFAULT_BASELINE];

impl flags::Init {
    pub(crate) fn run(self, sh: &Shell) -> anyhow::Result<Status> {
        for (flag, pct) in [("--headroom-pct", self.headroom_pct), ("--timing-headroom-pct", self.timing_headroom_pct)]
        {
            if !(0.0..=1000.0).contains(&pct) {
                bail!("{flag} {pct}: expected a percentage from 0 to 1000");
            }
        }
        let package = toolchain::package_info(sh, &self.package)?;
        let out = self.target(sh, &package.name)?;
        let owners = Owners::for_subject(&out, &self.approved_by)?;
        let subject = Subject {
            package: package.name.clone(),
            features: package.features.clone(),
            bindgen: package.dependencies.contains("wasm-bindgen"),
        };
        let policy = onboarding::draft_policy(&subject);

        // First the sizes and cold init; the scenario exports are known once the benchmark
        // build exists, and then measured too (cargo and wasm-opt have nothing left to do).
        let first_call = match (&self.first_call, subject.bindgen) {
            (Some(_), false) => bail!(
                "--first-call: {} runs in wasmtime only (no wasm-bindgen), where cold init makes no call",
                subject.package
            ),
            (Some(body), true) => body.as_str(),
            // Only the browsers run a wasm-bindgen crate, and its cold init ends with a call
            // through its JS API, whose arguments no draft can guess.
            (None, true) => bail!(
                "--first-call: {} is a wasm-bindgen crate, measured in browsers, where cold init ends with its first \
                 call through the JS API: name it, e.g. --first-call 'return api.<function>(<arguments>);'",
                subject.package
            ),
            (None, false) => "",
        };
        if !subject.bindgen && !self.hosts.is_empty() {
            bail!("--host: {} runs in wasmtime only (no wasm-bindgen): it has no host apps", subject.package);
        }
        let samples = Samples { cold_start: self.cold_start_samples, browser: self.browser_samples };
        let drafts = Drafts { subject: &subject, policy: &policy, samples, first_call, hosts: &self.hosts };
        let first = measure(sh, &out, &drafts, &[])?;
        let scenarios = common_scenarios(&first.run)?;
        let measured = if scenarios.is_empty() { first } else { measure(sh, &out, &drafts, &scenarios)? };

        let baseline_name = out.name(DEFAULT_BASELINE);
        let evidence = out.evidence();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let entry = FirstEntry {
            date: onboarding::utc_date(now),
            issue: self.issue.clone(),
            approved_by: self.approved_by.clone(),
            evidence: evidence.clone(),
            corpus_sha256: measured.corpus.measurement_sha256(),
        };
        let headroom = Headroom { deterministic_pct: self.headroom_pct, timing_pct: self.timing_headroom_pct };
        let budgets = onboarding::draft_budgets(&subject, measured.metrics, &measured.fresh, headroom, entry)?;
        let provenance = measured.run.baseline_provenance();
        let items = attribution::baseline_items(measured.run.variants.iter().filter_map(|v| v.attribution.as_ref()));
        let options = Options { prune: false, activate: false, deterministic_only: false };
        let baseline = rebaseline::rebaseline(
            &baseline_name,
            rebaseline::TEMPLATE,
            &measured.fresh,
            &items,
            &provenance,
            options,
        )?;

        let texts = [json(&policy)?, json(&budgets)?, json(&measured.corpus)?, baseline.text];
        for (file, text) in DOCUMENTS.iter().zip(&texts) {
            let path = project_root().join(out.name(file));
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            }
            write_atomic(&path, text.as_bytes())?;
        }
        let evidence_path = project_root().join(&evidence);
        if let Some(dir) = evidence_path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        write_atomic(&evidence_path, format!("{}\n", serde_json::to_string_pretty(&measured.run)?).as_bytes())?;
        owners.write()?;
        print!("{}", report(&out, &budgets, &scenarios, &measured.without_threshold));
        Ok(Status::Pass)
    }

    /// The subject to write: --subject, else the package's name (lowercase, `_` as `-`);
    /// its documents not ignored by git (the change log's evidence must be committed), and
    /// none there yet unless --force.
    fn target(&self, sh: &Shell, package: &str) -> anyhow::Result<Target> {
        let name = self.subject.clone().unwrap_or_else(|| package.to_lowercase().replace('_', "-"));
        let out = Target { subject: subject::Subject::named(&name).map_err(|e| anyhow::anyhow!("--subject: {e}"))? };
        if !budget::names_an_issue(self.issue.trim()) {
            bail!(
                "--issue {:?}: expected #N or a link (https://...) to the issue that asked for the budgets",
                self.issue
            );
        }
        let written: Vec<String> = DOCUMENTS.iter().map(|f| out.name(f)).chain([out.evidence()]).collect();
        for file in &written {
            if inputs::is_ignored_by_git(sh, file) {
                bail!(
                    "{file} is ignored by git: the documents and the evidence the change log cites must be committed"
                );
            }
        }
        let existing: Vec<String> = written.into_iter().filter(|n| project_root().join(n).exists()).collect();
        if !existing.is_empty() && !self.force {
            bail!("subject {} already has {}: pass --force to overwrite them", out.subject, existing.join(", "));
        }
        Ok(out)
    }
}

/// The subject `init` writes.
struct Target {
    subject: subject::Subject,
}

impl Target {
    /// Where this subject keeps what the default subject keeps at `default_path`, relative
    /// to the workspace root.
    fn name(&self, default_path: &str) -> String {
        self.subject.path(Path::new(default_path)).display().to_string()
    }

    /// Where the run `init` measured is kept, the first change-log entry's evidence.
    fn evidence(&self) -> String {
        format!("docs/perf-evidence/{}/init_run.json", self.subject.name())
    }
}

/// The subject's documents in `.github/CODEOWNERS`: the lines `init` adds for the ones it
/// lists no owner for, with the owners of the default subject's budgets (the team that owns
/// performance), and whether `--approved-by` names one of them.
struct Owners {
    path: std::path::PathBuf,
    text: String,
    added: Vec<String>,
}

impl Owners {
    fn for_subject(out: &Target, approved_by: &str) -> anyhow::Result<Owners> {
        let file = inputs::codeowners_file(&project_root());
        let path = project_root().join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let owners = CodeOwners::parse(&text);
        let budgets = out.name(DEFAULT_BUDGETS);
        let team = match owners.owners_of(&budgets) {
            [] => owners.owners_of(DEFAULT_BUDGETS).to_vec(),
            listed => listed.to_vec(),
        };
        if team.is_empty() {
            bail!(
                "{file} lists no owner for {budgets} nor {DEFAULT_BUDGETS}: add the team that owns performance \
                 there first (README, \"Changing a threshold\")"
            );
        }
        let added: Vec<String> = DOCUMENTS
            .iter()
            .map(|d| out.name(d))
            .filter(|d| owners.owners_of(d).is_empty())
            .map(|d| format!("/{d} {}", team.join(" ")))
            .collect();
        let with_added = CodeOwners::parse(&format!("{text}\n{}\n", added.join("\n")));
        if !with_added.names_an_owner_of(&budgets, approved_by) {
            bail!(
                "--approved-by {approved_by:?} names none of the owners of {budgets} ({}): the approval must be a \
                 code owner's",
                team.join(", ")
            );
        }
        Ok(Owners { path, text, added })
    }

    /// Appends the added lines (none when CODEOWNERS already lists every document).
    fn write(&self) -> anyhow::Result<()> {
        if self.added.is_empty() {
            return Ok(());
        }
        let separator = if self.text.is_empty() || self.text.ends_with('\n') { "" } else { "\n" };
        let text = format!("{}{separator}{}\n", self.text, self.added.join("\n"));
        write_atomic(&self.path, text.as_bytes())
    }
}

/// What every measuring run of the drafts shares.
struct Drafts<'a> {
    subject: &'a Subject,
    policy: &'a Policy,
    samples: Samples,
    /// The first call through the JS API (empty for a crate that does not run in browsers).
    first_call: &'a str,
    /// `--host`: the host apps to build and load (all when empty).
    hosts: &'a [HostApp],
}

/// One measuring run of the drafts, and what it measured, per (profile, metric).
struct Measured {
    run: Run,
    corpus: Corpus,
    metrics: Vec<Metric>,
    fresh: Vec<Fresh>,
    /// The metrics that are not required (a host app's) measured on no profile, and why:
    /// they get no threshold.
    without_threshold: Vec<(String, String)>,
}

/// Measures the drafted policy with the drafted metrics (no thresholds yet) and corpus.
fn measure(sh: &Shell, out: &Target, drafts: &Drafts, scenarios: &[String]) -> anyhow::Result<Measured> {
    let Drafts { subject, policy, samples, first_call, hosts } = *drafts;
    let metrics = onboarding::draft_metrics(subject, scenarios);
    let corpus = onboarding::draft_corpus(subject, scenarios, samples, first_call);
    let budgets = Budgets {
        schema_version: budget::SCHEMA_VERSION.to_owned(),
        description: String::new(),
        profiles: policy.profiles.iter().map(|v| v.budget_profile.clone()).collect(),
        seed_set: onboarding::SEED_SET.to_vec(),
        metrics: metrics.clone(),
        change_log: Vec::new(),
        ratchet: None,
    };
    let loaded = Loaded {
        policy: document(out.name(DEFAULT_POLICY), policy.clone())?,
        budgets: document(out.name(DEFAULT_BUDGETS), budgets)?,
        package: subject.package.clone(),
        subject: out.subject.clone(),
    };
    let corpus_name = out.name(DEFAULT_CORPUS);
    let cx = perf_core::corpus::CorpusContext { budgets: &loaded.budgets.value, exports: None, only: None };
    corpus.check(&corpus_name, &cx)?;
    let command = "cargo xtask init".to_owned();
    let runtime = RuntimePlan {
        corpus: corpus.clone(),
        corpus_sha256: sha256_hex(json(&corpus)?.as_bytes()),
        engines: vec![flags::Engine::Wasmtime, flags::Engine::Chromium],
        hosts: if hosts.is_empty() { HostApp::ALL.to_vec() } else { hosts.to_vec() },
        all_cells: false,
        selection: Selection { scenario: None, seed: None, command: &command },
        wait: true,
        bindgen: subject.bindgen,
        // The drafts' thresholds come from these figures: every sample is wanted.
        early_stops: perf_core::early_stop::EarlyStops::none(),
    };
    let every: Vec<_> = policy.profiles.iter().collect();
    let run = pipeline::measure(sh, &loaded, &runtime, &every)?;
    let broken = broken_variants(&run.variants);
    if !broken.is_empty() {
        bail!("nothing was written: a variant could not be built or measured\n  {}", broken.join("\n  "));
    }
    let records = record::build_records(&loaded.budgets.value, &run.variants, &run.commit);
    let unmeasured: Vec<String> = records
        .iter()
        .filter(|r| r.value.is_none() && r.required)
        .map(|r| format!("{} {}: {}", r.profile, r.metric_id, r.reason.as_deref().unwrap_or("no value")))
        .collect();
    if !unmeasured.is_empty() {
        bail!(
            "nothing was written: these were not measured, so no threshold can start from them\n  {}",
            unmeasured.join("\n  ")
        );
    }
    // A host app's metric is measured on the hosts' variant only; one measured nowhere
    // (its host left out or failed) is listed with the reason its hosts' variant gave.
    let mut without_threshold = Vec::new();
    for m in metrics.iter().filter(|m| !m.required) {
        let of_metric: Vec<&record::Record> = records.iter().filter(|r| r.metric_id == m.id).collect();
        if of_metric.iter().all(|r| r.value.is_none()) {
            let hosts_variant =
                of_metric.iter().find(|r| corpus.hosts.as_ref().is_some_and(|h| h.variants.contains(&r.variant)));
            let why = hosts_variant.and_then(|r| r.reason.clone()).unwrap_or_else(|| "not measured".to_owned());
            without_threshold.push((m.id.clone(), why));
        }
    }
    let fresh = Fresh::of_runs(&[records]);
    Ok(Measured { run, corpus, metrics, fresh, without_threshold })
}

fn document<T: serde::Serialize>(name: String, value: T) -> anyhow::Result<Document<T>> {
    let text = json(&value)?;
    let sha256 = sha256_hex(text.as_bytes());
    Ok(Document { value, name, text, sha256 })
}

/// A document as the committed ones are written: two-space indent, a final newline.
fn json<T: serde::Serialize>(value: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(value)? + "\n")
}

/// The scenario exports every variant's module has (the benchmark build's when there is
/// one): a scenario runs on all three variants.
fn common_scenarios(run: &Run) -> anyhow::Result<Vec<String>> {
    let mut common: Option<BTreeSet<String>> = None;
    for v in &run.variants {
        let path = match (&v.benchmark, &v.post_opt) {
            (Some(b), _) => b.path.clone(),
            (None, Some(a)) => a.path.clone(),
            (None, None) => bail!("the {} variant has no module", v.variant.as_str()),
        };
        let full = crate::project_root().join(&path);
        let bytes = std::fs::read(&full).with_context(|| format!("cannot read {path}"))?;
        let exports = exported_functions(&bytes).with_context(|| format!("{path} is not a valid module"))?;
        let found: BTreeSet<String> = onboarding::scenario_exports(&exports).into_iter().collect();
        common = Some(match common {
            Some(c) => c.intersection(&found).cloned().collect(),
            None => found,
        });
    }
    Ok(common.unwrap_or_default().into_iter().collect())
}

/// What was written, the thresholds, and the `perf` command that gates with them.
fn report(out: &Target, budgets: &Budgets, scenarios: &[String], without_threshold: &[(String, String)]) -> String {
    let [policy, budgets_file, corpus, baseline] = DOCUMENTS.map(|f| out.name(f));
    let mut text =
        format!("wrote subject {}: {policy}, {budgets_file}, {corpus} and {baseline} (scaffold)\n", out.subject);
    if scenarios.is_empty() {
        text.push_str("scenario exports: none (cold start only)\n");
    } else {
        text.push_str(&format!("scenario exports: {}\n", scenarios.join(", ")));
    }
    text.push_str("thresholds (hard):\n");
    for m in &budgets.metrics {
        let per: Vec<String> =
            budgets.profiles.iter().filter_map(|p| Some(format!("{p} {}", m.thresholds.get(p)?.hard))).collect();
        let per = match without_threshold.iter().find(|(id, _)| *id == m.id) {
            Some((_, why)) => format!("none ({why}); add one once perf measures it"),
            None => per.join(", "),
        };
        text.push_str(&format!("  {} {} ({}): {per}\n", m.id, m.name, m.unit.as_str()));
    }
    let command = shell_words(&["cargo", "xtask", "perf", "--subject", out.subject.name()].map(str::to_owned));
    text.push_str(&format!("gate it with:\n  {command}\n"));
    text
}
