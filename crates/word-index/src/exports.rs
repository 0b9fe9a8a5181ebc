//! Scenario exports for the benchmark build (the `exports` feature): plain `extern "C"`
//! functions of the scenario ABI, callable on the instance the glue initialises.

use wasm_scenario::Scenario;

use crate::Index;

/// A fixed vocabulary; documents are drawn from it by a seeded generator, so a seed gives
/// the same corpus on every machine.
const WORDS: [&str; 32] = [
    "async", "budget", "cache", "deploy", "engine", "frame", "glue", "heap", "import", "jitter", "kernel", "latency",
    "module", "network", "opcode", "page", "query", "render", "shader", "thread", "unwind", "vector", "worker",
    "yield", "zone", "brotli", "gzip", "parse", "table", "memory", "export", "stack",
];

/// xorshift64*: small, fixed, good enough to pick words.
struct Words(u64);

impl Words {
    fn next(&mut self) -> &'static str {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        WORDS[(self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 59) as usize]
    }

    fn document(&mut self, words: usize) -> String {
        let mut text = String::new();
        for i in 0..words {
            if i > 0 {
                text.push(' ');
            }
            text.push_str(self.next());
        }
        text
    }
}

fn seeded(seed: u64) -> Words {
    Words(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
}

/// An index of `documents` seeded documents of `words` words each, and the generator, which
/// goes on from there.
fn filled(seed: u64, documents: usize, words: usize) -> (Index, Words) {
    let mut generator = seeded(seed);
    let mut index = Index::new();
    for _ in 0..documents {
        index.add(&generator.document(words));
    }
    (index, generator)
}

/// Indexing one more 24-word document into an index of 256.
pub struct AddDocument {
    index: Index,
    words: Words,
}

impl Scenario for AddDocument {
    fn setup(seed: u64) -> AddDocument {
        let (index, words) = filled(seed, 256, 24);
        AddDocument { index, words }
    }

    fn op(&mut self) -> u64 {
        u64::from(self.index.add(&self.words.document(24)))
    }

    fn teardown(self) -> Result<(), i32> {
        if self.index.distinct_words() <= WORDS.len() { Ok(()) } else { Err(1) }
    }
}

/// A two-word query over an index of 512 documents.
pub struct Search {
    index: Index,
    words: Words,
}

impl Scenario for Search {
    fn setup(seed: u64) -> Search {
        let (index, words) = filled(seed, 512, 24);
        Search { index, words }
    }

    fn op(&mut self) -> u64 {
        let query = self.words.document(2);
        self.index.search(&query).len() as u64
    }

    fn teardown(self) -> Result<(), i32> {
        if self.index.documents() == 512 { Ok(()) } else { Err(1) }
    }
}

wasm_scenario::export_scenario!(index_add, AddDocument);
wasm_scenario::export_scenario!(index_search, Search);
wasm_scenario::counting_allocator!();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_are_deterministic_per_seed_and_keep_their_invariants() {
        let checksums = |seed| {
            let mut s = Search::setup(seed);
            let sums: Vec<u64> = (0..16).map(|_| s.op()).collect();
            assert_eq!(s.teardown(), Ok(()));
            sums
        };
        assert_eq!(checksums(42), checksums(42));
        assert_ne!(checksums(42), checksums(11));
        let mut add = AddDocument::setup(7);
        assert_eq!(add.op(), 256);
        assert_eq!(add.op(), 257);
        assert_eq!(add.teardown(), Ok(()));
    }
}
