//! The kernel's public API as a host page calls it: what the production build ships. A
//! runtime is a region (its tasks, timers and channel) behind a handle; the page creates
//! one, spawns tasks, sends values, arms and cancels timers, advances time, and cancels the
//! region (request → drain → finalize), which frees the handle.
//!
//! Handles are never 0. Results: 0 is ok; [`NO_RUNTIME`], [`WRONG_PHASE`],
//! [`NOT_QUIESCENT`] and [`CHANNEL_FULL`] are errors, negative so that functions returning
//! a count or a timer handle can return them too.

use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::channel::SendError;
use crate::region::{CloseReport, Phase, Region, RegionError};
use crate::timer::TimerHandle;

pub const NO_RUNTIME: i64 = -1;
pub const WRONG_PHASE: i64 = -2;
pub const NOT_QUIESCENT: i64 = -3;
pub const CHANNEL_FULL: i64 = -4;

/// The largest channel a runtime may ask for: larger requests get no runtime (handle 0)
/// rather than an allocation failure, which would abort the module.
pub const MAX_CHANNEL_CAPACITY: u32 = 1 << 16;

/// A runtime: its region, the value its last receive took (handed to the host by
/// [`kernel_received`], since a host has no memory of ours to be written into), and the
/// drain's report once cancellation has drained it.
struct Runtime {
    region: Region,
    received: u64,
    drained: Option<CloseReport>,
}

/// Slot `h - 1` holds runtime `h`; a cancelled runtime leaves `None` until its slot is reused.
static RUNTIMES: Mutex<Vec<Option<Runtime>>> = Mutex::new(Vec::new());

fn runtimes() -> MutexGuard<'static, Vec<Option<Runtime>>> {
    // A panic aborts on wasm; natively a poisoned lock still holds consistent regions.
    RUNTIMES.lock().unwrap_or_else(PoisonError::into_inner)
}

fn with_runtime(handle: u32, f: impl FnOnce(&mut Runtime) -> i64) -> i64 {
    let mut all = runtimes();
    match handle.checked_sub(1).and_then(|i| all.get_mut(i as usize)).and_then(Option::as_mut) {
        Some(runtime) => f(runtime),
        None => NO_RUNTIME,
    }
}

fn code(e: RegionError) -> i64 {
    match e {
        RegionError::WrongPhase { .. } => WRONG_PHASE,
        RegionError::NotQuiescent { .. } => NOT_QUIESCENT,
    }
}

/// Creates a runtime whose channel holds `channel_capacity` values (1 to
/// [`MAX_CHANNEL_CAPACITY`]); returns its handle, or 0 for a capacity out of that range.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_runtime_new(channel_capacity: u32) -> u32 {
    if !(1..=MAX_CHANNEL_CAPACITY).contains(&channel_capacity) {
        return 0;
    }
    #[cfg(feature = "compile-heavy")]
    std::hint::black_box(crate::compile_heavy::warm_up(u64::from(channel_capacity)));
    #[cfg(feature = "slow-start")]
    std::hint::black_box(crate::compile_heavy::slow_start(u64::from(channel_capacity)));
    let runtime = Runtime { region: Region::new(channel_capacity as usize), received: 0, drained: None };
    let mut all = runtimes();
    let index = match all.iter().position(Option::is_none) {
        Some(i) => {
            all[i] = Some(runtime);
            i
        }
        None => {
            all.push(Some(runtime));
            all.len() - 1
        }
    };
    index as u32 + 1
}

/// Spawns a task of `steps` checkpoints folding `input`, with a watchdog timer.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_spawn(runtime: u32, steps: u32, input: u64) -> i64 {
    with_runtime(runtime, |r| r.region.spawn(steps, input).map_or_else(code, |_| 0))
}

/// Reserves a slot in the runtime's channel and sends `value` into it.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_send(runtime: u32, value: u64) -> i64 {
    with_runtime(runtime, |r| match r.region.channel.reserve() {
        Ok(permit) => {
            permit.send(value);
            0
        }
        Err(SendError::Full) => CHANNEL_FULL,
        Err(SendError::Closed) => WRONG_PHASE,
    })
}

/// Takes the oldest value from the channel: 1 when there was one ([`kernel_received`] then
/// returns it), 0 when the channel is empty.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_recv(runtime: u32) -> i64 {
    with_runtime(runtime, |r| match r.region.channel.recv() {
        Some(v) => {
            r.received = v;
            1
        }
        None => 0,
    })
}

/// The value the runtime's last successful [`kernel_recv`] took (0 before any, or for no
/// such runtime).
#[unsafe(no_mangle)]
pub extern "C" fn kernel_received(runtime: u32) -> u64 {
    let all = runtimes();
    runtime.checked_sub(1).and_then(|i| all.get(i as usize)).and_then(Option::as_ref).map_or(0, |r| r.received)
}

/// Arms a timer `delay` ticks from now carrying `token`; returns its handle (positive).
#[unsafe(no_mangle)]
pub extern "C" fn kernel_timer_arm(runtime: u32, delay: u64, token: u64) -> i64 {
    with_runtime(runtime, |r| r.region.timers.arm(delay, token).to_bits())
}

/// Cancels a timer: 1 when it was armed, 0 when it had fired or was cancelled already.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_timer_cancel(runtime: u32, timer: i64) -> i64 {
    with_runtime(runtime, |r| TimerHandle::from_bits(timer).map_or(0, |t| i64::from(r.region.timers.cancel(t))))
}

/// Polls every task one checkpoint and moves time to `now`; returns how many timers fired.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_advance(runtime: u32, now: u64) -> i64 {
    with_runtime(runtime, |r| {
        r.region.tasks.poll();
        let mut fired = Vec::new();
        r.region.timers.advance(now, &mut fired);
        fired.len() as i64
    })
}

/// Cancels the runtime's region (request → drain → finalize) and frees the handle; returns
/// how many tasks had completed. A timer the page armed and did not cancel keeps the region
/// from finalizing ([`NOT_QUIESCENT`]): the runtime stays, drained, and cancelling it again
/// once the page has cancelled its timers finalizes it and returns the drain's count.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_region_cancel(runtime: u32) -> i64 {
    let mut all = runtimes();
    let Some(slot) = runtime.checked_sub(1).and_then(|i| all.get_mut(i as usize)) else { return NO_RUNTIME };
    let Some(r) = slot.as_mut() else { return NO_RUNTIME };
    if r.region.phase() == Phase::Open {
        match r.region.request_cancel().and_then(|()| r.region.drain()) {
            Ok(report) => r.drained = Some(report),
            Err(e) => return code(e),
        }
    }
    match r.region.finalize() {
        Ok(()) => {
            let completed = r.drained.map_or(0, |d| i64::from(d.completed));
            *slot = None;
            completed
        }
        Err(e) => code(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_runs_a_runtime_through_its_life() {
        let rt = kernel_runtime_new(2);
        assert!(rt > 0);
        assert_eq!(kernel_spawn(rt, 1, 7), 0);
        assert_eq!(kernel_spawn(rt, 50, 8), 0);
        assert_eq!((kernel_send(rt, 1), kernel_send(rt, 2), kernel_send(rt, 3)), (0, 0, CHANNEL_FULL));
        assert_eq!((kernel_recv(rt), kernel_received(rt)), (1, 1));
        let timer = kernel_timer_arm(rt, 5, 99);
        assert!(timer > 0);
        assert_eq!(kernel_advance(rt, 1), 0, "nothing is due yet");
        assert_eq!(kernel_region_cancel(rt), NOT_QUIESCENT, "the page's own timer is still armed");
        assert_eq!((kernel_timer_cancel(rt, timer), kernel_timer_cancel(rt, timer)), (1, 0));
        assert_eq!(kernel_region_cancel(rt), 1, "finalized: the task of one step had completed");
        assert_eq!(kernel_spawn(rt, 1, 1), NO_RUNTIME, "the handle is freed");
        assert_eq!(kernel_region_cancel(0), NO_RUNTIME);
        assert_eq!((kernel_runtime_new(0), kernel_runtime_new(u32::MAX)), (0, 0), "no runtime for such a channel");
    }

    #[test]
    fn cancelling_reports_the_tasks_that_completed() {
        let rt = kernel_runtime_new(1);
        assert_eq!((kernel_spawn(rt, 1, 1), kernel_spawn(rt, 1, 2), kernel_spawn(rt, 9, 3)), (0, 0, 0));
        kernel_advance(rt, 1);
        assert_eq!(kernel_region_cancel(rt), 2);
    }
}
