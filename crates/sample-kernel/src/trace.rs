//! Deterministic event trace and replay: a traced workload appends one event per operation;
//! `replay` runs the same workload again from the trace's seed and checks every event, so a
//! divergence (non-determinism) is caught at its first step.

pub use crate::workload::Kind;
use crate::workload::run_workload;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub seq: u32,
    pub kind: Kind,
    pub value: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    pub seed: u64,
    pub events: Vec<Event>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Divergence {
    pub seq: u32,
    pub expected: Option<Event>,
    pub found: Option<Event>,
}

pub fn record(seed: u64, ops: u32) -> Trace {
    let mut trace = Trace { seed, events: Vec::new() };
    run_workload(seed, ops, &mut |kind, value| {
        let seq = trace.events.len() as u32;
        trace.events.push(Event { seq, kind, value });
    });
    trace
}

/// Replays `trace`, comparing event by event; returns the workload's checksum.
pub fn replay(trace: &Trace, ops: u32) -> Result<u64, Divergence> {
    let mut next = 0usize;
    let mut first_divergence = None;
    let checksum = run_workload(trace.seed, ops, &mut |kind, value| {
        let seq = next as u32;
        let found = Event { seq, kind, value };
        let expected = trace.events.get(next).copied();
        if first_divergence.is_none() && expected != Some(found) {
            first_divergence = Some(Divergence { seq, expected, found: Some(found) });
        }
        next += 1;
    });
    if let Some(d) = first_divergence {
        return Err(d);
    }
    if next != trace.events.len() {
        let seq = next as u32;
        return Err(Divergence { seq, expected: trace.events.get(next).copied(), found: None });
    }
    Ok(checksum)
}

#[cfg(test)]
mod tests {
    use super::{Kind, record, replay};

    #[test]
    fn replay_of_a_recording_agrees() {
        let trace = record(42, 200);
        assert!(trace.events.len() > 100);
        assert_eq!(trace.events.last().map(|e| e.kind), Some(Kind::Close));
        assert!(replay(&trace, 200).is_ok());
    }

    #[test]
    fn a_tampered_trace_diverges_at_the_tampered_event() {
        let mut trace = record(7, 100);
        trace.events[10].value ^= 1;
        let d = replay(&trace, 100).unwrap_err();
        assert_eq!(d.seq, 10);
        let mut short = record(7, 100);
        short.events.pop();
        assert!(replay(&short, 100).is_err());
    }
}
