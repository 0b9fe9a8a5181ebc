//! Deciding: a measured run (or figures measured elsewhere) judged into records against the
//! budgets, then the gate's rules (hard budget, warn-then-block, baseline), the summary, what
//! ships against a base commit's builds, and the drafts that rewrite a baseline or onboard a
//! crate. Imports every layer but views.

pub mod against_base;
pub mod change_control;
pub mod conclude;
pub mod gate;
pub mod measurements;
pub mod onboarding;
pub mod ratchet;
pub mod rebaseline;
pub mod record;
pub mod regression;
pub mod summary;
