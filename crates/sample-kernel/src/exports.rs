//! The C-ABI scenarios a wasm host drives, one per runtime metric.
//!
//! Each scenario `S` exports three functions: `S_setup(seed: i64) -> i32` builds its state
//! from the seed (0 = ok), `S_op() -> i64` performs one measured operation and returns a
//! checksum (so the work cannot be optimized away), and `S_teardown() -> i32` checks the
//! kernel's invariants and drops the state (0 = ok, otherwise an error code).
//! `perf_heap_in_use() -> i64` reports the bytes the allocator has handed out. The ABI and
//! the macro that writes these exports are the `wasm-scenario` crate's.
//!
//! | export prefix           | metric     | one operation                                   |
//! |-------------------------|------------|-------------------------------------------------|
//! | `channel_reserve_send`  | M-PERF-04A | reserve a permit, send, receive                 |
//! | `timer_arm_cancel`      | M-PERF-04B | arm a timer at a seeded delay, cancel it        |
//! | `task_spawn_join`       | M-PERF-04C | spawn a small task, run it, join it             |
//! | `cancel_response`       | M-PERF-03B | region of 8 tasks: request → drain → finalize   |
//! | `steady_state`          | M-PERF-03A | a mixed operation on long-lived state           |
//! | `trace_replay` (trace)  | M-PERF-04D | replay a recorded 64-op workload, checking it   |
//! | `untraced_workload`     | M-PERF-04D | the same workload without trace (the reference) |

use crate::channel::Channel;
use crate::region::Region;
use crate::rng::Rng;
use crate::task::{Outcome, Slab};
use crate::timer::Wheel;
use wasm_scenario::{Scenario, export_scenario};

pub struct ChannelReserveSend {
    channel: Channel,
    rng: Rng,
}

impl Scenario for ChannelReserveSend {
    fn setup(seed: u64) -> Self {
        ChannelReserveSend { channel: Channel::new(64), rng: Rng::new(seed) }
    }
    fn op(&mut self) -> u64 {
        let v = self.rng.next_u64();
        #[cfg(feature = "slow-reserve-send")]
        let v = crate::slowdown::spin(v);
        match self.channel.reserve() {
            Ok(permit) => permit.send(v),
            Err(_) => return u64::MAX,
        }
        self.channel.recv().unwrap_or(0)
    }
    fn teardown(self) -> Result<(), i32> {
        match (self.channel.len(), self.channel.outstanding_permits()) {
            (0, 0) => Ok(()),
            _ => Err(1),
        }
    }
}
export_scenario!(channel_reserve_send, ChannelReserveSend);

pub struct TimerArmCancel {
    wheel: Wheel,
    rng: Rng,
}

impl Scenario for TimerArmCancel {
    fn setup(seed: u64) -> Self {
        TimerArmCancel { wheel: Wheel::new(256), rng: Rng::new(seed) }
    }
    fn op(&mut self) -> u64 {
        let handle = self.wheel.arm(1 + self.rng.below(1024), 7);
        u64::from(self.wheel.cancel(handle))
    }
    fn teardown(self) -> Result<(), i32> {
        if self.wheel.armed() == 0 { Ok(()) } else { Err(2) }
    }
}
export_scenario!(timer_arm_cancel, TimerArmCancel);

pub struct TaskSpawnJoin {
    slab: Slab,
    rng: Rng,
}

impl Scenario for TaskSpawnJoin {
    fn setup(seed: u64) -> Self {
        TaskSpawnJoin { slab: Slab::new(), rng: Rng::new(seed) }
    }
    fn op(&mut self) -> u64 {
        let id = self.slab.spawn(4, self.rng.next_u64());
        self.slab.run_until_idle();
        match self.slab.join(id) {
            Some(Outcome::Completed(v)) => v,
            _ => u64::MAX,
        }
    }
    fn teardown(self) -> Result<(), i32> {
        if self.slab.running() == 0 { Ok(()) } else { Err(3) }
    }
}
export_scenario!(task_spawn_join, TaskSpawnJoin);

pub struct CancelResponse {
    rng: Rng,
    failures: u32,
}

impl Scenario for CancelResponse {
    fn setup(seed: u64) -> Self {
        CancelResponse { rng: Rng::new(seed), failures: 0 }
    }
    fn op(&mut self) -> u64 {
        let mut region = Region::new(16);
        for _ in 0..8 {
            let steps = 8 + self.rng.below(56) as u32;
            if region.spawn(steps, self.rng.next_u64()).is_err() {
                self.failures += 1;
            }
        }
        for _ in 0..self.rng.below(8) {
            region.tasks.poll();
        }
        let closed =
            region.request_cancel().and_then(|()| region.drain()).and_then(|report| region.finalize().map(|()| report));
        match closed {
            Ok(report) => report.checksum,
            Err(_) => {
                self.failures += 1;
                0
            }
        }
    }
    fn teardown(self) -> Result<(), i32> {
        if self.failures == 0 { Ok(()) } else { Err(4) }
    }
}
export_scenario!(cancel_response, CancelResponse);

/// Long-lived state under a mixed load: the heap it settles at is the steady-state figure.
pub struct SteadyState {
    region: Region,
    rng: Rng,
    fired: Vec<u64>,
}

impl Scenario for SteadyState {
    fn setup(seed: u64) -> Self {
        SteadyState { region: Region::new(128), rng: Rng::new(seed), fired: Vec::new() }
    }
    fn op(&mut self) -> u64 {
        let r = self.rng.next_u64();
        // Bounded state: at most 32 tasks run and 64 values are queued at any time.
        if self.region.tasks.running() < 32 {
            let _ = self.region.spawn(1 + (r % 16) as u32, r);
        }
        if let Ok(permit) = self.region.channel.reserve() {
            permit.send(r);
        }
        if self.region.channel.len() > 64 {
            self.region.channel.recv();
        }
        self.region.tasks.poll();
        let now = self.region.timers.now() + 1;
        self.fired.clear();
        self.region.timers.advance(now, &mut self.fired);
        self.fired.len() as u64 ^ r
    }
    fn teardown(mut self) -> Result<(), i32> {
        let closed = self.region.request_cancel().and_then(|()| self.region.drain());
        match closed.and_then(|_| self.region.finalize()) {
            Ok(()) => Ok(()),
            Err(_) => Err(5),
        }
    }
}
export_scenario!(steady_state, SteadyState);

/// The trace scenarios run one workload per seed; their ratio is the replay overhead.
const TRACED_OPS: u32 = 64;

pub struct UntracedWorkload {
    seed: u64,
}

impl Scenario for UntracedWorkload {
    fn setup(seed: u64) -> Self {
        UntracedWorkload { seed }
    }
    fn op(&mut self) -> u64 {
        crate::workload::run_workload(self.seed, TRACED_OPS, &mut |_, _| {})
    }
    fn teardown(self) -> Result<(), i32> {
        Ok(())
    }
}
export_scenario!(untraced_workload, UntracedWorkload);

#[cfg(feature = "trace")]
pub struct TraceReplay {
    trace: crate::trace::Trace,
    divergences: u32,
}

#[cfg(feature = "trace")]
impl Scenario for TraceReplay {
    fn setup(seed: u64) -> Self {
        TraceReplay { trace: crate::trace::record(seed, TRACED_OPS), divergences: 0 }
    }
    fn op(&mut self) -> u64 {
        match crate::trace::replay(&self.trace, TRACED_OPS) {
            Ok(checksum) => checksum,
            Err(_) => {
                self.divergences += 1;
                0
            }
        }
    }
    fn teardown(self) -> Result<(), i32> {
        if self.divergences == 0 { Ok(()) } else { Err(6) }
    }
}
#[cfg(feature = "trace")]
export_scenario!(trace_replay, TraceReplay);

wasm_scenario::counting_allocator!();

#[cfg(test)]
mod tests {
    use super::*;

    fn run<S: Scenario>(seed: u64, ops: usize) -> Vec<u64> {
        let mut s = S::setup(seed);
        let out = (0..ops).map(|_| s.op()).collect();
        assert_eq!(s.teardown(), Ok(()));
        out
    }

    #[test]
    fn every_scenario_is_deterministic_per_seed_and_tears_down_clean() {
        fn check<S: Scenario>() {
            assert_eq!(run::<S>(42, 300), run::<S>(42, 300));
        }
        check::<ChannelReserveSend>();
        check::<TimerArmCancel>();
        check::<TaskSpawnJoin>();
        check::<CancelResponse>();
        check::<SteadyState>();
        check::<UntracedWorkload>();
        #[cfg(feature = "trace")]
        check::<TraceReplay>();
    }

    #[test]
    fn exported_functions_follow_the_abi() {
        use channel_reserve_send::{op, setup, teardown};
        assert_eq!(op(), i64::MIN, "op before setup is refused");
        assert_eq!(teardown(), -1, "teardown before setup is refused");
        assert_eq!(setup(11), 0);
        assert_ne!(op(), i64::MIN);
        assert_eq!(teardown(), 0);
    }
}
