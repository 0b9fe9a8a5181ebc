//! The index itself, plain Rust: documents in, postings per lowercased word, lookups and
//! the most frequent words out.

use std::collections::BTreeMap;

/// Words of `text`: maximal runs of alphanumeric characters, lowercased.
pub fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

#[derive(Debug, Default)]
pub struct Index {
    /// Per word, the ids of the documents that contain it, ascending, each once.
    postings: BTreeMap<String, Vec<u32>>,
    /// Per word, how many times it occurs in all documents.
    occurrences: BTreeMap<String, u32>,
    documents: u32,
    #[cfg(feature = "trace")]
    trace: crate::trace::Trace,
}

impl Index {
    pub fn new() -> Index {
        Index::default()
    }

    /// Indexes `text` as the next document; returns its id.
    pub fn add(&mut self, text: &str) -> u32 {
        let id = self.documents;
        self.documents += 1;
        for word in tokens(text) {
            *self.occurrences.entry(word.clone()).or_insert(0) += 1;
            let ids = self.postings.entry(word).or_default();
            if ids.last() != Some(&id) {
                ids.push(id);
            }
        }
        #[cfg(feature = "trace")]
        self.trace.record(crate::trace::Op::Add, id);
        id
    }

    /// The documents containing every word of `query`, ascending.
    pub fn search(&self, query: &str) -> Vec<u32> {
        let mut words: Vec<String> = tokens(query).collect();
        words.sort();
        words.dedup();
        let mut lists: Vec<&[u32]> = Vec::with_capacity(words.len());
        for w in &words {
            match self.postings.get(w) {
                Some(ids) => lists.push(ids),
                None => return self.searched(Vec::new()),
            }
        }
        // Intersect starting from the shortest list: the result is no longer than it.
        lists.sort_by_key(|l| l.len());
        let Some((first, rest)) = lists.split_first() else { return self.searched(Vec::new()) };
        let hits = first.iter().copied().filter(|id| rest.iter().all(|l| l.binary_search(id).is_ok())).collect();
        self.searched(hits)
    }

    #[cfg_attr(not(feature = "trace"), allow(clippy::unused_self))]
    fn searched(&self, hits: Vec<u32>) -> Vec<u32> {
        #[cfg(feature = "trace")]
        self.trace.record(crate::trace::Op::Search, hits.len() as u32);
        hits
    }

    /// The `n` most frequent words with their counts, most frequent first (ties by word).
    pub fn top_words(&self, n: usize) -> Vec<(&str, u32)> {
        let mut all: Vec<(&str, u32)> = self.occurrences.iter().map(|(w, c)| (w.as_str(), *c)).collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        all.truncate(n);
        all
    }

    pub fn documents(&self) -> u32 {
        self.documents
    }

    pub fn distinct_words(&self) -> usize {
        self.postings.len()
    }

    /// The digest of every operation so far (see `trace.rs`).
    #[cfg(feature = "trace")]
    pub fn trace_digest(&self) -> u64 {
        self.trace.digest()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_alphanumeric_runs_lowercased() {
        let words: Vec<String> = tokens("Hello, wörld! 42-fold  ÉTÉ").collect();
        assert_eq!(words, ["hello", "wörld", "42", "fold", "été"]);
    }

    #[test]
    fn search_intersects_the_words_of_the_query() {
        let mut index = Index::new();
        assert_eq!(index.add("the quick brown fox"), 0);
        assert_eq!(index.add("the lazy dog"), 1);
        assert_eq!(index.add("a quick dog, a quick fox"), 2);
        assert_eq!(index.search("quick"), [0, 2]);
        assert_eq!(index.search("QUICK fox"), [0, 2]);
        assert_eq!(index.search("dog quick"), [2]);
        assert_eq!(index.search("cat"), Vec::<u32>::new());
        assert_eq!(index.search(" ,. "), Vec::<u32>::new());
        assert_eq!(index.documents(), 3);
        assert_eq!(index.distinct_words(), 7);
    }

    #[test]
    fn top_words_count_every_occurrence_and_break_ties_by_word() {
        let mut index = Index::new();
        index.add("b a b");
        index.add("c a b");
        assert_eq!(index.top_words(2), [("b", 3), ("a", 2)]);
        assert_eq!(index.top_words(9), [("b", 3), ("a", 2), ("c", 1)]);
    }
}
