//! A task slab: `spawn` places a task in a generation-checked slot, `poll` advances every live
//! task by one step (a checkpoint, where a cancel request is observed), and `join` takes a
//! finished task's outcome and frees its slot.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskId {
    index: u32,
    generation: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Completed(u64),
    Cancelled { at_step: u32 },
}

#[derive(Debug)]
enum Slot {
    Free { generation: u32 },
    Running { generation: u32, steps_left: u32, step: u32, acc: u64 },
    Done { generation: u32, outcome: Outcome },
}

#[derive(Debug, Default)]
pub struct Slab {
    slots: Vec<Slot>,
    free: Vec<u32>,
    running: usize,
    cancel_requested: bool,
}

impl Slab {
    pub fn new() -> Slab {
        Slab::default()
    }

    /// Spawns a task that runs `steps` checkpoints, folding `input` into its result.
    pub fn spawn(&mut self, steps: u32, input: u64) -> TaskId {
        let running = |generation| Slot::Running { generation, steps_left: steps, step: 0, acc: input };
        self.running += 1;
        match self.free.pop() {
            Some(index) => {
                let generation = match self.slots[index as usize] {
                    Slot::Free { generation } => generation,
                    _ => unreachable!("free list names a slot in use"),
                };
                self.slots[index as usize] = running(generation);
                TaskId { index, generation }
            }
            None => {
                self.slots.push(running(0));
                TaskId { index: (self.slots.len() - 1) as u32, generation: 0 }
            }
        }
    }

    /// From now on every running task stops at its next checkpoint.
    pub fn request_cancel(&mut self) {
        self.cancel_requested = true;
    }

    pub fn running(&self) -> usize {
        self.running
    }

    /// Advances every running task by one checkpoint; returns how many are still running.
    pub fn poll(&mut self) -> usize {
        let cancel = self.cancel_requested;
        for slot in &mut self.slots {
            if let Slot::Running { generation, steps_left, step, acc } = slot {
                let outcome = if cancel {
                    Some(Outcome::Cancelled { at_step: *step })
                } else {
                    *acc = acc.rotate_left(5) ^ u64::from(*step).wrapping_mul(0x100_0000_01B3);
                    *step += 1;
                    *steps_left -= 1;
                    (*steps_left == 0).then_some(Outcome::Completed(*acc))
                };
                if let Some(outcome) = outcome {
                    *slot = Slot::Done { generation: *generation, outcome };
                    self.running -= 1;
                }
            }
        }
        self.running
    }

    /// Polls until no task is running; returns the number of polls it took.
    pub fn run_until_idle(&mut self) -> u32 {
        let mut polls = 0;
        while self.running > 0 {
            self.poll();
            polls += 1;
        }
        polls
    }

    /// Takes the outcome of a finished task; `None` while it runs or for a stale id.
    pub fn join(&mut self, id: TaskId) -> Option<Outcome> {
        let slot = self.slots.get_mut(id.index as usize)?;
        match *slot {
            Slot::Done { generation, outcome } if generation == id.generation => {
                *slot = Slot::Free { generation: generation.wrapping_add(1) };
                self.free.push(id.index);
                Some(outcome)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Outcome, Slab};

    #[test]
    fn spawn_run_join_frees_the_slot() {
        let mut slab = Slab::new();
        let a = slab.spawn(3, 1);
        let b = slab.spawn(1, 2);
        assert_eq!(slab.join(a), None, "not finished yet");
        assert_eq!(slab.run_until_idle(), 3);
        assert!(matches!(slab.join(b), Some(Outcome::Completed(_))));
        assert!(matches!(slab.join(a), Some(Outcome::Completed(_))));
        assert_eq!(slab.join(a), None, "joined twice");
        let c = slab.spawn(1, 3);
        assert_ne!(c, a, "a reused slot gets a new generation");
    }

    #[test]
    fn same_input_same_result() {
        let mut s1 = Slab::new();
        let mut s2 = Slab::new();
        let (a, b) = (s1.spawn(10, 42), s2.spawn(10, 42));
        s1.run_until_idle();
        s2.run_until_idle();
        assert_eq!(s1.join(a), s2.join(b));
    }

    #[test]
    fn cancel_is_observed_at_the_next_checkpoint() {
        let mut slab = Slab::new();
        let t = slab.spawn(100, 0);
        slab.poll();
        slab.poll();
        slab.request_cancel();
        assert_eq!(slab.poll(), 0);
        assert_eq!(slab.join(t), Some(Outcome::Cancelled { at_step: 2 }));
    }
}
