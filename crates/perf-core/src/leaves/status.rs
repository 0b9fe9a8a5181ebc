//! A status: what a rule, a record, a pipeline step or a whole run came to (pass, warn,
//! fail, or skip when nothing was judged), and the order that folds many into a verdict.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Skip,
}

impl Status {
    /// The more severe of two statuses: fail > warn > pass > skip.
    pub fn worst(self, other: Status) -> Status {
        let rank = |s: Status| match s {
            Status::Skip => 0,
            Status::Pass => 1,
            Status::Warn => 2,
            Status::Fail => 3,
        };
        if rank(other) > rank(self) { other } else { self }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}
