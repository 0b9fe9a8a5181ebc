//! A region owns tasks, timers and a channel, and closes only when quiescent. Cancellation is
//! request → drain → finalize: the request marks the tasks, the drain polls them to their next
//! checkpoint and cancels their timers, and finalize proves nothing is left (no running task,
//! no armed timer, no outstanding permit) before the region may be dropped.

use crate::channel::Channel;
use crate::task::{Outcome, Slab, TaskId};
use crate::timer::{TimerHandle, Wheel};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Open,
    CancelRequested,
    Drained,
    Finalized,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionError {
    /// An operation came in the wrong phase, e.g. finalize before drain.
    WrongPhase { expected: Phase, found: Phase },
    /// Finalize found work left: the region is not quiescent.
    NotQuiescent { running: usize, armed_timers: usize, permits: usize },
}

/// What a finished region reports: how its tasks ended and how long the drain took.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CloseReport {
    pub completed: u32,
    pub cancelled: u32,
    pub drain_polls: u32,
    pub checksum: u64,
}

#[derive(Debug)]
pub struct Region {
    phase: Phase,
    pub tasks: Slab,
    pub timers: Wheel,
    pub channel: Channel,
    children: Vec<(TaskId, TimerHandle)>,
}

impl Region {
    pub fn new(channel_capacity: usize) -> Region {
        Region {
            phase: Phase::Open,
            tasks: Slab::new(),
            timers: Wheel::new(64),
            channel: Channel::new(channel_capacity),
            children: Vec::new(),
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Spawns a child task with a watchdog timer that the drain must cancel.
    pub fn spawn(&mut self, steps: u32, input: u64) -> Result<TaskId, RegionError> {
        self.expect(Phase::Open)?;
        let id = self.tasks.spawn(steps, input);
        let watchdog = self.timers.arm(u64::from(steps) + 16, input);
        self.children.push((id, watchdog));
        Ok(id)
    }

    pub fn request_cancel(&mut self) -> Result<(), RegionError> {
        self.expect(Phase::Open)?;
        self.tasks.request_cancel();
        self.channel.close();
        self.phase = Phase::CancelRequested;
        Ok(())
    }

    /// Polls every task to its next checkpoint, joins them and cancels their watchdogs.
    pub fn drain(&mut self) -> Result<CloseReport, RegionError> {
        self.expect(Phase::CancelRequested)?;
        let mut report = CloseReport { drain_polls: self.tasks.run_until_idle(), ..CloseReport::default() };
        for (id, watchdog) in self.children.drain(..) {
            self.timers.cancel(watchdog);
            match self.tasks.join(id) {
                Some(Outcome::Completed(v)) => {
                    report.completed += 1;
                    report.checksum ^= v;
                }
                Some(Outcome::Cancelled { at_step }) => {
                    report.cancelled += 1;
                    report.checksum = report.checksum.rotate_left(7) ^ u64::from(at_step);
                }
                None => {}
            }
        }
        while self.channel.recv().is_some() {}
        self.phase = Phase::Drained;
        Ok(report)
    }

    pub fn finalize(&mut self) -> Result<(), RegionError> {
        self.expect(Phase::Drained)?;
        let (running, armed_timers, permits) =
            (self.tasks.running(), self.timers.armed(), self.channel.outstanding_permits());
        if running + armed_timers + permits > 0 {
            return Err(RegionError::NotQuiescent { running, armed_timers, permits });
        }
        self.phase = Phase::Finalized;
        Ok(())
    }

    fn expect(&self, expected: Phase) -> Result<(), RegionError> {
        if self.phase != expected {
            return Err(RegionError::WrongPhase { expected, found: self.phase });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Phase, Region, RegionError};

    #[test]
    fn request_drain_finalize_leaves_nothing_behind() {
        let mut r = Region::new(4);
        for i in 0..5 {
            r.spawn(1 + i, u64::from(i)).unwrap();
        }
        r.tasks.poll();
        r.tasks.poll();
        r.request_cancel().unwrap();
        let report = r.drain().unwrap();
        // Tasks of one and two steps finished before the request; the rest were cancelled.
        assert_eq!((report.completed, report.cancelled), (2, 3));
        assert_eq!(report.drain_polls, 1);
        r.finalize().unwrap();
        assert_eq!(r.phase(), Phase::Finalized);
    }

    #[test]
    fn phases_cannot_be_skipped() {
        let mut r = Region::new(1);
        assert_eq!(r.finalize(), Err(RegionError::WrongPhase { expected: Phase::Drained, found: Phase::Open }));
        r.request_cancel().unwrap();
        assert!(r.spawn(1, 1).is_err(), "no spawn after the cancel request");
    }
}
