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
use crate::region::{Region, RegionError};
use crate::timer::TimerHandle;

pub const NO_RUNTIME: i64 = -1;
pub const WRONG_PHASE: i64 = -2;
pub const NOT_QUIESCENT: i64 = -3;
pub const CHANNEL_FULL: i64 = -4;

/// Slot `h - 1` holds runtime `h`; a cancelled runtime leaves `None` until its slot is reused.
static RUNTIMES: Mutex<Vec<Option<Region>>> = Mutex::new(Vec::new());

fn runtimes() -> MutexGuard<'static, Vec<Option<Region>>> {
    // A panic aborts on wasm; natively a poisoned lock still holds consistent regions.
    RUNTIMES.lock().unwrap_or_else(PoisonError::into_inner)
}

fn with_runtime(handle: u32, f: impl FnOnce(&mut Region) -> i64) -> i64 {
    let mut all = runtimes();
    match handle.checked_sub(1).and_then(|i| all.get_mut(i as usize)).and_then(Option::as_mut) {
        Some(region) => f(region),
        None => NO_RUNTIME,
    }
}

fn code(e: RegionError) -> i64 {
    match e {
        RegionError::WrongPhase { .. } => WRONG_PHASE,
        RegionError::NotQuiescent { .. } => NOT_QUIESCENT,
    }
}

/// Creates a runtime whose channel holds `channel_capacity` values (at least 1); returns its
/// handle.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_runtime_new(channel_capacity: u32) -> u32 {
    let region = Region::new(channel_capacity.max(1) as usize);
    let mut all = runtimes();
    let index = match all.iter().position(Option::is_none) {
        Some(i) => {
            all[i] = Some(region);
            i
        }
        None => {
            all.push(Some(region));
            all.len() - 1
        }
    };
    index as u32 + 1
}

/// Spawns a task of `steps` checkpoints folding `input`, with a watchdog timer.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_spawn(runtime: u32, steps: u32, input: u64) -> i64 {
    with_runtime(runtime, |r| r.spawn(steps, input).map_or_else(code, |_| 0))
}

/// Reserves a slot in the runtime's channel and sends `value` into it.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_send(runtime: u32, value: u64) -> i64 {
    with_runtime(runtime, |r| match r.channel.reserve() {
        Ok(permit) => {
            permit.send(value);
            0
        }
        Err(SendError::Full) => CHANNEL_FULL,
        Err(SendError::Closed) => WRONG_PHASE,
    })
}

/// Takes the oldest value from the channel: 1 and the value written to `*out`, or 0 when
/// the channel is empty.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_recv(runtime: u32, out: &mut u64) -> i64 {
    with_runtime(runtime, |r| match r.channel.recv() {
        Some(v) => {
            *out = v;
            1
        }
        None => 0,
    })
}

/// Arms a timer `delay` ticks from now carrying `token`; returns its handle (positive).
#[unsafe(no_mangle)]
pub extern "C" fn kernel_timer_arm(runtime: u32, delay: u64, token: u64) -> i64 {
    with_runtime(runtime, |r| r.timers.arm(delay, token).to_bits())
}

/// Cancels a timer: 1 when it was armed, 0 when it had fired or was cancelled already.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_timer_cancel(runtime: u32, timer: i64) -> i64 {
    with_runtime(runtime, |r| TimerHandle::from_bits(timer).map_or(0, |t| i64::from(r.timers.cancel(t))))
}

/// Polls every task one checkpoint and moves time to `now`; returns how many timers fired.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_advance(runtime: u32, now: u64) -> i64 {
    with_runtime(runtime, |r| {
        r.tasks.poll();
        let mut fired = Vec::new();
        r.timers.advance(now, &mut fired);
        fired.len() as i64
    })
}

/// Cancels the runtime's region (request → drain → finalize) and frees the handle; returns
/// how many tasks had completed. A timer the page armed and did not cancel keeps the region
/// from finalizing ([`NOT_QUIESCENT`]); the runtime then stays, drained, until it is freed
/// by cancelling again after the page cancels its timers.
#[unsafe(no_mangle)]
pub extern "C" fn kernel_region_cancel(runtime: u32) -> i64 {
    let mut all = runtimes();
    let Some(slot) = runtime.checked_sub(1).and_then(|i| all.get_mut(i as usize)) else { return NO_RUNTIME };
    let Some(region) = slot.as_mut() else { return NO_RUNTIME };
    let completed = match region.phase() {
        crate::region::Phase::Open => match region.request_cancel().and_then(|()| region.drain()) {
            Ok(report) => i64::from(report.completed),
            Err(e) => return code(e),
        },
        _ => 0,
    };
    match region.finalize() {
        Ok(()) => {
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
        let mut v = 0;
        assert_eq!((kernel_recv(rt, &mut v), v), (1, 1));
        let timer = kernel_timer_arm(rt, 5, 99);
        assert!(timer > 0);
        assert_eq!(kernel_advance(rt, 1), 0, "nothing is due yet");
        assert_eq!(kernel_region_cancel(rt), NOT_QUIESCENT, "the page's own timer is still armed");
        assert_eq!((kernel_timer_cancel(rt, timer), kernel_timer_cancel(rt, timer)), (1, 0));
        assert_eq!(kernel_region_cancel(rt), 0, "finalized; the drain's count was reported by the first call");
        assert_eq!(kernel_spawn(rt, 1, 1), NO_RUNTIME, "the handle is freed");
        assert_eq!(kernel_region_cancel(0), NO_RUNTIME);
    }

    #[test]
    fn cancelling_reports_the_tasks_that_completed() {
        let rt = kernel_runtime_new(1);
        assert_eq!((kernel_spawn(rt, 1, 1), kernel_spawn(rt, 1, 2), kernel_spawn(rt, 9, 3)), (0, 0, 0));
        kernel_advance(rt, 1);
        assert_eq!(kernel_region_cancel(rt), 2);
    }
}
