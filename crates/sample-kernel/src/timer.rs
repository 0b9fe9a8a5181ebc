//! A hashed timer wheel: `arm` files a timer in the slot of its deadline, `cancel` removes it
//! in O(1) through a generation-checked handle, and `advance` fires what is due.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerHandle {
    index: u32,
    generation: u32,
}

impl TimerHandle {
    /// The handle as one positive number, for a host that keeps it (see `api.rs`).
    pub fn to_bits(self) -> i64 {
        ((i64::from(self.generation) << 32) | i64::from(self.index)) + 1
    }

    /// The handle [`TimerHandle::to_bits`] gave, or `None` for a number it cannot have given.
    pub fn from_bits(bits: i64) -> Option<TimerHandle> {
        let raw = bits.checked_sub(1).filter(|b| *b >= 0)?;
        Some(TimerHandle { index: raw as u32, generation: (raw >> 32) as u32 })
    }
}

/// Generations count in 31 bits, so that a handle fits a positive i64 (`to_bits`).
fn next_generation(g: u32) -> u32 {
    (g + 1) & 0x7fff_ffff
}

#[derive(Clone, Debug)]
struct Entry {
    deadline: u64,
    token: u64,
    generation: u32,
    armed: bool,
}

#[derive(Debug)]
pub struct Wheel {
    slots: Vec<Vec<u32>>,
    entries: Vec<Entry>,
    free: Vec<u32>,
    now: u64,
    armed: usize,
}

impl Wheel {
    /// `slot_count` is rounded up to a power of two so the slot of a deadline is a mask.
    pub fn new(slot_count: usize) -> Wheel {
        let n = slot_count.max(1).next_power_of_two();
        Wheel { slots: vec![Vec::new(); n], entries: Vec::new(), free: Vec::new(), now: 0, armed: 0 }
    }

    pub fn now(&self) -> u64 {
        self.now
    }

    pub fn armed(&self) -> usize {
        self.armed
    }

    /// Arms a timer `delay` ticks from now (at least one), carrying `token` back when it fires.
    pub fn arm(&mut self, delay: u64, token: u64) -> TimerHandle {
        let deadline = self.now.saturating_add(delay.max(1));
        let index = match self.free.pop() {
            Some(i) => {
                let e = &mut self.entries[i as usize];
                e.deadline = deadline;
                e.token = token;
                e.armed = true;
                i
            }
            None => {
                self.entries.push(Entry { deadline, token, generation: 0, armed: true });
                (self.entries.len() - 1) as u32
            }
        };
        let mask = self.slots.len() as u64 - 1;
        self.slots[(deadline & mask) as usize].push(index);
        self.armed += 1;
        TimerHandle { index, generation: self.entries[index as usize].generation }
    }

    /// Cancels an armed timer; false when it already fired or was cancelled.
    pub fn cancel(&mut self, handle: TimerHandle) -> bool {
        let Some(e) = self.entries.get_mut(handle.index as usize) else { return false };
        if e.generation != handle.generation || !e.armed {
            return false;
        }
        // The slot list keeps the stale index; `advance` skips it by generation and state.
        e.armed = false;
        e.generation = next_generation(e.generation);
        self.armed -= 1;
        self.free.push(handle.index);
        true
    }

    /// Moves time to `now`, pushing the tokens of every timer due by then, in deadline order.
    pub fn advance(&mut self, now: u64, fired: &mut Vec<u64>) {
        let mask = self.slots.len() as u64 - 1;
        while self.now < now {
            if now - self.now > mask + 1 {
                // Far ahead (a host's clock): skip the ticks before the earliest armed
                // deadline instead of walking them one by one.
                let earliest = self.entries.iter().filter(|e| e.armed).map(|e| e.deadline).min().unwrap_or(now);
                self.now = self.now.max(earliest.min(now) - 1);
            }
            self.now += 1;
            let slot = (self.now & mask) as usize;
            let mut pending = std::mem::take(&mut self.slots[slot]);
            pending.retain(|&i| {
                let e = &mut self.entries[i as usize];
                if !e.armed {
                    return false;
                }
                if e.deadline > self.now {
                    return true;
                }
                fired.push(e.token);
                e.armed = false;
                e.generation = next_generation(e.generation);
                self.armed -= 1;
                self.free.push(i);
                false
            });
            // Keep the later-round timers that shared this slot.
            self.slots[slot] = pending;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Wheel;

    #[test]
    fn fires_in_deadline_order_across_rounds() {
        let mut w = Wheel::new(4);
        w.arm(9, 90);
        w.arm(1, 10);
        w.arm(5, 50);
        let mut fired = Vec::new();
        w.advance(4, &mut fired);
        assert_eq!(fired, [10]);
        w.advance(20, &mut fired);
        assert_eq!(fired, [10, 50, 90]);
        assert_eq!(w.armed(), 0);
    }

    #[test]
    fn cancel_is_once_and_stale_handles_are_refused() {
        let mut w = Wheel::new(8);
        let h = w.arm(3, 1);
        assert!(w.cancel(h));
        assert!(!w.cancel(h));
        // The slot is reused with a new generation: the old handle must not cancel it.
        let h2 = w.arm(3, 2);
        assert!(!w.cancel(h));
        let mut fired = Vec::new();
        w.advance(10, &mut fired);
        assert_eq!(fired, [2]);
        assert!(!w.cancel(h2));
    }

    #[test]
    fn advancing_far_ahead_skips_to_the_due_timers() {
        let mut w = Wheel::new(8);
        w.arm(1_000_000_000_000, 1);
        w.arm(3, 2);
        let mut fired = Vec::new();
        w.advance(u64::MAX - 1, &mut fired);
        assert_eq!((fired, w.now(), w.armed()), (vec![2, 1], u64::MAX - 1, 0));
        let handle = w.arm(u64::MAX, 3);
        assert!(w.cancel(handle), "a deadline past the end of time saturates");
    }
}
