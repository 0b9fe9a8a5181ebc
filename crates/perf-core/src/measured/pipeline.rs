//! Accounting for the pipeline's expensive steps (cargo builds, wasm-opt runs) and the time
//! each phase took. A run that does more expensive work than its inputs call for fails: that
//! is how a caching or wiring mistake shows up before it costs CI minutes.

use serde::{Deserialize, Serialize};

use crate::policy::Variant;
use crate::status::Status;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepCounts {
    pub cargo_builds: u32,
    pub wasm_opt_runs: u32,
    pub wasm_opt_cache_hits: u32,
    /// Host apps built (npm) and served from their cache (`xtask/src/host/`).
    #[serde(default)]
    pub host_builds: u32,
    #[serde(default)]
    pub host_cache_hits: u32,
}

/// The most expensive work a run may do: one build per variant, and at most one wasm-opt
/// run per variant that enables it; twice that when each variant also has a benchmark build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepBudget {
    pub cargo_builds: u32,
    pub wasm_opt_runs: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseTiming {
    pub phase: String,
    pub variant: String,
    pub millis: f64,
}

/// A duration in ms to 0.1 ms, as every phase and wait is recorded.
pub fn rounded_millis(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1e4).round() / 10.0
}

/// How the run shared the machine while it timed (see xtask's `timing_lock.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contention {
    /// How long it waited for another run's timed phase to end.
    pub waited_millis: f64,
    /// Whether another run was building or compressing while this one timed.
    pub others_active: bool,
}

impl Contention {
    /// Two runs' contention as one (a matrix's jobs): the waits add up, an overlap in
    /// either is an overlap.
    pub fn and(self, other: Contention) -> Contention {
        Contention {
            waited_millis: self.waited_millis + other.waited_millis,
            others_active: self.others_active || other.others_active,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineReport {
    pub steps: StepCounts,
    pub step_budget: StepBudget,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub phases: Vec<PhaseTiming>,
    pub total_millis: f64,
    /// `None` when nothing was timed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contention: Option<Contention>,
}

impl StepBudget {
    /// One build per variant and one wasm-opt run per variant that enables it, each counted
    /// twice when the variants get a benchmark build beside the production one.
    pub fn for_variants<'a>(variants: impl IntoIterator<Item = &'a Variant>, benchmark_builds: bool) -> StepBudget {
        let builds_per_variant = 1 + u32::from(benchmark_builds);
        let mut budget = StepBudget { cargo_builds: 0, wasm_opt_runs: 0 };
        for v in variants {
            budget.cargo_builds += builds_per_variant;
            budget.wasm_opt_runs += builds_per_variant * u32::from(v.wasm_opt.enabled);
        }
        budget
    }

    /// `Fail` with the reason when `counts` exceed this budget.
    pub fn check(&self, counts: &StepCounts) -> (Status, Option<String>) {
        let mut excess = Vec::new();
        if counts.cargo_builds > self.cargo_builds {
            excess.push(format!("{} cargo builds (expected {})", counts.cargo_builds, self.cargo_builds));
        }
        if counts.wasm_opt_runs > self.wasm_opt_runs {
            excess.push(format!("{} wasm-opt runs (at most {})", counts.wasm_opt_runs, self.wasm_opt_runs));
        }
        if excess.is_empty() {
            (Status::Pass, None)
        } else {
            (
                Status::Fail,
                Some(format!("the pipeline did more expensive steps than its budget: {}", excess.join(", "))),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{StepBudget, StepCounts};
    use crate::status::Status;

    #[test]
    fn excess_steps_fail_and_say_which() {
        let budget = StepBudget { cargo_builds: 3, wasm_opt_runs: 2 };
        let cases = [
            (
                StepCounts { cargo_builds: 3, wasm_opt_runs: 2, wasm_opt_cache_hits: 0, ..StepCounts::default() },
                Status::Pass,
                None,
            ),
            (
                StepCounts { cargo_builds: 3, wasm_opt_runs: 0, wasm_opt_cache_hits: 2, ..StepCounts::default() },
                Status::Pass,
                None,
            ),
            (
                StepCounts { cargo_builds: 4, wasm_opt_runs: 2, wasm_opt_cache_hits: 0, ..StepCounts::default() },
                Status::Fail,
                Some("the pipeline did more expensive steps than its budget: 4 cargo builds (expected 3)"),
            ),
            (
                StepCounts { cargo_builds: 3, wasm_opt_runs: 3, wasm_opt_cache_hits: 0, ..StepCounts::default() },
                Status::Fail,
                Some("the pipeline did more expensive steps than its budget: 3 wasm-opt runs (at most 2)"),
            ),
        ];
        for (counts, status, reason) in cases {
            assert_eq!(budget.check(&counts), (status, reason.map(str::to_owned)));
        }
    }
}
