//! Repetition statistics of the Gopher rules (Rae et al. 2021, table A1) with datatrove 0.10.1's
//! exact definitions (`gopher_repetition_filter.py`): duplicate elements and their characters,
//! the most frequent n-gram's character mass, and the characters covered by repeated n-grams.
//!
//! Lengths are Python code-point lengths, ties break the way Python's `Counter.most_common`
//! does (first inserted wins), and n-grams are compared as the strings datatrove builds: words
//! joined by a space for the top n-gram, joined by nothing for duplicated n-grams.

use rustc_hash::{FxHashMap, FxHashSet};

use super::chars::py_len;

/// datatrove `find_duplicates`: how many elements repeat an earlier element, and their total
/// length in code points.
pub fn find_duplicates<'a>(items: impl IntoIterator<Item = &'a str>) -> (usize, usize) {
    let mut seen: FxHashSet<&str> = FxHashSet::default();
    let (mut dup_elements, mut dup_chars) = (0, 0);
    for item in items {
        if !seen.insert(item) {
            dup_elements += 1;
            dup_chars += py_len(item);
        }
    }
    (dup_elements, dup_chars)
}

/// A document's words prepared for n-gram statistics.
pub struct WordSequence {
    /// Word ids: equal ids ⇔ equal words.
    ids: Vec<u32>,
    /// Code-point length of each word.
    lens: Vec<usize>,
    /// All words concatenated without separator.
    concat: String,
    /// Byte offset of each word in `concat`, plus the end.
    byte_offsets: Vec<usize>,
    /// Code points before each word in `concat`, plus the total.
    char_offsets: Vec<usize>,
}

impl WordSequence {
    /// Prepares `words`.
    pub fn new(words: &[&str]) -> Self {
        let mut interned: FxHashMap<&str, u32> =
            FxHashMap::with_capacity_and_hasher(words.len(), Default::default());
        let mut ids = Vec::with_capacity(words.len());
        let mut lens = Vec::with_capacity(words.len());
        let mut concat = String::with_capacity(words.iter().map(|w| w.len()).sum());
        let mut byte_offsets = Vec::with_capacity(words.len() + 1);
        let mut char_offsets = Vec::with_capacity(words.len() + 1);
        let mut chars = 0;
        for w in words {
            let next = interned.len() as u32;
            ids.push(*interned.entry(w).or_insert(next));
            let n = py_len(w);
            lens.push(n);
            byte_offsets.push(concat.len());
            char_offsets.push(chars);
            concat.push_str(w);
            chars += n;
        }
        byte_offsets.push(concat.len());
        char_offsets.push(chars);
        WordSequence {
            ids,
            lens,
            concat,
            byte_offsets,
            char_offsets,
        }
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no words.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// datatrove `find_top_duplicate(get_n_grams(words, n))`: length of the most frequent
    /// space-joined n-gram times its count; `None` when there are fewer than `n` words (datatrove
    /// skips the rule then).
    pub fn top_ngram_chars(&self, n: usize) -> Option<usize> {
        if n == 0 || self.ids.len() < n {
            return None;
        }
        // count and first position per distinct n-gram (as word-id windows: exact equality).
        let mut counts: FxHashMap<&[u32], (usize, usize)> =
            FxHashMap::with_capacity_and_hasher(self.ids.len() + 1 - n, Default::default());
        for (i, window) in self.ids.windows(n).enumerate() {
            counts.entry(window).or_insert((0, i)).0 += 1;
        }
        let (count, first) = counts
            .values()
            .copied()
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))?;
        let chars: usize = self.lens[first..first + n].iter().sum::<usize>() + (n - 1);
        Some(chars * count)
    }

    /// datatrove `find_all_duplicate(words, n)`: characters of n-grams (joined without spaces)
    /// that repeat an earlier one, scanning left to right and jumping past each repeat.
    pub fn duplicated_ngram_chars(&self, n: usize) -> usize {
        let total = self.ids.len();
        if n == 0 || total < n {
            return 0;
        }
        // Sized for every n-gram up front: growing the set was ~7% of the FineWeb chain.
        let mut seen: FxHashSet<&str> =
            FxHashSet::with_capacity_and_hasher(total + 1 - n, Default::default());
        let mut repeated = 0;
        let mut idx = 0;
        while idx + n <= total {
            let gram = &self.concat[self.byte_offsets[idx]..self.byte_offsets[idx + n]];
            if seen.insert(gram) {
                idx += 1;
            } else {
                repeated += self.char_offsets[idx + n] - self.char_offsets[idx];
                idx += n;
            }
        }
        repeated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_count_repeats_not_first_occurrences() {
        assert_eq!(find_duplicates(["a", "bb", "a", "bb", "a", ""]), (3, 4));
        assert_eq!(find_duplicates(["", ""]), (1, 0));
    }

    #[test]
    fn top_ngram_breaks_ties_by_first_occurrence() {
        // "x y" and "long words" both occur twice; Python's most_common picks "x y" (first).
        let words = ["x", "y", "long", "words", "x", "y", "long", "words"];
        let seq = WordSequence::new(&words);
        // bigrams: "x y"×2, "y long"×2, "long words"×2, "words x"×1 → "x y": 3 chars × 2.
        assert_eq!(seq.top_ngram_chars(2), Some(6));
        assert_eq!(seq.top_ngram_chars(9), None);
    }

    #[test]
    fn duplicated_ngrams_compare_concatenations_and_jump() {
        // "ab"+"c" and "a"+"bc" are the same unspaced 2-gram in datatrove.
        let words = ["ab", "c", "a", "bc"];
        assert_eq!(WordSequence::new(&words).duplicated_ngram_chars(2), 3);
        let words = ["a", "b", "a", "b", "a", "b"];
        // grams: ab(0) ba(1) ab(2, repeat → +2, jump to 4) ab(4, repeat → +2) → 4
        assert_eq!(WordSequence::new(&words).duplicated_ngram_chars(2), 4);
    }
}
