//! Warn-then-block state: how many runs in a row each (branch, budget profile, metric) has
//! been in its warn band. A warning increments the count, a pass or a failure resets it, a
//! metric that was not measured leaves it as it was; the N-th consecutive warning (N is the
//! metric's `escalate_after`) fails.
//!
//! # Format (`artifacts/wasm_perf_warn_streaks.json` by default)
//! ```json
//! { "schema_version": "wasm-perf-warn-streaks-v1",
//!   "branches": { "main": { "core-min/M-PERF-04A": 1 } } }
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::document::{DocumentError, check_schema_version, parse_document};
use crate::status::Status;

pub const SCHEMA_VERSION: &str = "wasm-perf-warn-streaks-v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreakState {
    pub schema_version: String,
    /// branch → "profile/metric_id" → consecutive warnings so far.
    pub branches: BTreeMap<String, BTreeMap<String, u32>>,
}

/// One warn-then-block metric's evaluation in this run, before escalation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub profile: String,
    pub metric_id: String,
    pub status: Status,
    pub escalate_after: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreakOutcome {
    pub profile: String,
    pub metric_id: String,
    /// Consecutive warnings including this run.
    pub streak: u32,
    pub escalate_after: u32,
    /// The status after escalation: a warning that reaches `escalate_after` is a failure.
    pub status: Status,
}

impl Default for StreakState {
    fn default() -> Self {
        StreakState { schema_version: SCHEMA_VERSION.to_owned(), branches: BTreeMap::new() }
    }
}

impl StreakState {
    pub fn parse(file: &str, text: &str) -> Result<StreakState, DocumentError> {
        let s: StreakState = parse_document(file, text)?;
        check_schema_version(file, &s.schema_version, SCHEMA_VERSION)?;
        Ok(s)
    }

    /// A new branch starts from `base`'s streaks (a pull request from its target branch).
    pub fn fork(&mut self, branch: &str, base: &str) {
        if !self.branches.contains_key(branch) {
            let inherited = self.branches.get(base).cloned().unwrap_or_default();
            self.branches.insert(branch.to_owned(), inherited);
        }
    }

    /// Applies this run's observations on `branch`; returns each metric's outcome.
    pub fn advance(&mut self, branch: &str, observations: &[Observation]) -> Vec<StreakOutcome> {
        let counts = self.branches.entry(branch.to_owned()).or_default();
        observations
            .iter()
            .map(|o| {
                let key = format!("{}/{}", o.profile, o.metric_id);
                let before = counts.get(&key).copied().unwrap_or(0);
                let streak = match o.status {
                    Status::Warn => before + 1,
                    Status::Pass | Status::Fail => 0,
                    Status::Skip => before,
                };
                if streak == 0 {
                    counts.remove(&key);
                } else {
                    counts.insert(key, streak);
                }
                let status = match o.status {
                    Status::Warn if streak >= o.escalate_after => Status::Fail,
                    s => s,
                };
                StreakOutcome {
                    profile: o.profile.clone(),
                    metric_id: o.metric_id.clone(),
                    streak,
                    escalate_after: o.escalate_after,
                    status,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(status: Status) -> Vec<Observation> {
        vec![Observation { profile: "core-min".into(), metric_id: "M-PERF-04A".into(), status, escalate_after: 2 }]
    }

    #[test]
    fn warn_then_block_sequence() {
        use Status::*;
        let mut state = StreakState::default();
        let cases = [
            (Warn, 1, Warn, "first warning"),
            (Skip, 1, Skip, "not measured: the streak stands"),
            (Warn, 2, Fail, "second consecutive warning escalates"),
            (Warn, 3, Fail, "and stays failed while it warns"),
            (Pass, 0, Pass, "a pass resets"),
            (Warn, 1, Warn, "counting starts again"),
            (Fail, 0, Fail, "a hard failure breaks the run of warnings"),
            (Warn, 1, Warn, "so the next warning is the first"),
        ];
        for (status, streak, outcome, case) in cases {
            let out = state.advance("main", &obs(status));
            assert_eq!((out[0].streak, out[0].status), (streak, outcome), "{case}");
        }
    }

    #[test]
    fn branches_are_independent_and_a_new_branch_starts_from_its_base() {
        let mut state = StreakState::default();
        state.advance("main", &obs(Status::Warn));
        state.fork("feature", "main");
        let out = state.advance("feature", &obs(Status::Warn));
        assert_eq!(out[0].status, Status::Fail, "main's warning counts for the pull request");
        assert_eq!(state.branches["main"]["core-min/M-PERF-04A"], 1, "the base branch is untouched");
        state.fork("feature", "main");
        assert_eq!(state.branches["feature"]["core-min/M-PERF-04A"], 2, "fork never resets an existing branch");
        state.advance("other", &obs(Status::Warn));
        assert_eq!(state.branches["other"]["core-min/M-PERF-04A"], 1);
    }

    #[test]
    fn state_round_trips_and_rejects_strings() {
        let mut state = StreakState::default();
        state.advance("main", &obs(Status::Warn));
        let text = serde_json::to_string(&state).unwrap();
        assert_eq!(StreakState::parse("s.json", &text).unwrap(), state);
        let err = StreakState::parse(
            "s.json",
            r#"{"schema_version": "wasm-perf-warn-streaks-v1", "branches": {"main": {"k": "1"}}}"#,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "s.json: /branches/main/k: invalid type: string \"1\", expected u32");
    }
}
