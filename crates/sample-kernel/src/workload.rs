//! The seeded region workload behind the trace scenarios: spawns, sends, timer arms and
//! cancels drawn from one seed, ending in a cancelled, drained region. Each operation is
//! reported to a sink, which the trace records or checks and the untraced run ignores.

use crate::region::Region;
use crate::rng::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Spawn,
    Send,
    Arm,
    Cancel,
    Close,
}

/// Runs a seeded region workload of `ops` operations, handing each event to `sink`.
pub fn run_workload(seed: u64, ops: u32, sink: &mut dyn FnMut(Kind, u64)) -> u64 {
    let mut rng = Rng::new(seed);
    let mut region = Region::new(8);
    for _ in 0..ops {
        match rng.below(3) {
            0 => {
                let steps = 1 + rng.below(4) as u32;
                let input = rng.next_u64();
                region.spawn(steps, input).expect("region is open");
                sink(Kind::Spawn, input);
            }
            1 => {
                let v = rng.next_u64();
                if let Ok(permit) = region.channel.reserve() {
                    permit.send(v);
                    sink(Kind::Send, v);
                } else {
                    region.channel.recv();
                }
            }
            _ => {
                let h = region.timers.arm(1 + rng.below(32), rng.next_u64());
                sink(Kind::Arm, u64::from(region.timers.armed() as u32));
                if rng.below(2) == 0 {
                    region.timers.cancel(h);
                    sink(Kind::Cancel, 0);
                }
            }
        }
        region.tasks.poll();
    }
    region.request_cancel().expect("open");
    let report = region.drain().expect("cancel requested");
    sink(Kind::Close, report.checksum);
    report.checksum
}
