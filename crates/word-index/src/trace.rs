//! The deterministic operation log (the `trace` feature): every add and search folded into
//! one digest, so a page can check that two runs did the same work. It is what the
//! developer and canary builds carry and the release build does not.

use std::cell::Cell;

#[derive(Debug, Clone, Copy)]
pub enum Op {
    Add = 1,
    Search = 2,
}

#[derive(Debug)]
pub struct Trace {
    digest: Cell<u64>,
}

/// FNV-1a's offset basis and prime: a fixed, well-known fold.
const BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

impl Default for Trace {
    fn default() -> Trace {
        Trace { digest: Cell::new(BASIS) }
    }
}

impl Trace {
    /// Searches take `&self`, so the digest is a `Cell`.
    pub fn record(&self, op: Op, value: u32) {
        let mut d = self.digest.get();
        for byte in [op as u8].into_iter().chain(value.to_le_bytes()) {
            d = (d ^ u64::from(byte)).wrapping_mul(PRIME);
        }
        self.digest.set(d);
    }

    pub fn digest(&self) -> u64 {
        self.digest.get()
    }
}

#[cfg(test)]
mod tests {
    use crate::Index;

    #[test]
    fn the_digest_follows_the_operations_and_their_results() {
        let run = |queries: &[&str]| {
            let mut index = Index::new();
            index.add("one two");
            index.add("two three");
            for q in queries {
                index.search(q);
            }
            index.trace_digest()
        };
        assert_eq!(run(&["two"]), run(&["two"]));
        assert_ne!(run(&["two"]), run(&["one"]), "a search with another result count must change the digest");
        assert_ne!(run(&["two"]), run(&[]));
    }
}
