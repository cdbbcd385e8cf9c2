//! The dictionary's word lookup by fastText hash (gleaner patch).
//!
//! Prediction looks every token up in the vocabulary. With a `HashMap<String, usize>` plus the
//! word entries that costs up to four dependent cache misses per token on a large vocabulary
//! (the map's control bytes, its bucket, the entry, the entry's heap string); profiling the
//! `classifier` stage on a 100,000-word model put a third of the time there. This table answers
//! from one 16-byte slot for words of up to 8 bytes (most words: the slot holds their bytes),
//! keyed by the FNV-1a hash every token needs anyway for word n-grams, and its slot can be
//! prefetched while earlier tokens are processed. Longer words compare their bytes in one
//! contiguous arena. Lookups are exact (bytes compared, never only hashes), so results are
//! those of the map it replaces.

/// A word of up to [`INLINE`] bytes is compared in its slot; longer ones in the arena.
const INLINE: usize = 8;
/// `Slot::id` of an empty slot.
const EMPTY: u32 = u32::MAX;
/// `Slot::id` flag: the word is longer than [`INLINE`] bytes.
const LONG: u32 = 1 << 31;

#[derive(Debug, Clone, Copy)]
#[repr(C, align(16))]
struct Slot {
   /// The word's first [`INLINE`] bytes, little-endian, zero-padded. Words hold no NUL byte
   /// (fastText reads them up to one, and NUL separates tokens), so for short words the padding
   /// fixes the length.
   head: u64,
   /// The word's fastText hash.
   hash: u32,
   /// The word's index, with [`LONG`] set for long words; [`EMPTY`] for a free slot.
   id: u32,
}

/// An open-addressing (linear probing) table from word bytes to word index.
#[derive(Debug)]
pub(crate) struct WordTable {
   slots: Vec<Slot>,
   mask: usize,
   /// Long words' bytes, concatenated; `spans[id]` locates word `id` in it.
   arena: Vec<u8>,
   spans: Vec<(u32, u32)>,
}

fn head(word: &[u8]) -> u64 {
   let mut buf = [0u8; INLINE];
   let n = word.len().min(INLINE);
   buf[..n].copy_from_slice(&word[..n]);
   u64::from_le_bytes(buf)
}

impl WordTable {
   /// A table of `words` (index = position), each with its fastText hash. Of two equal words the
   /// later one wins, as in fastText's `word2int_` (and the `HashMap` this replaces).
   pub fn new<'a>(words: impl ExactSizeIterator<Item = (&'a [u8], u32)>) -> Self {
      // At most half full, so probe sequences stay short.
      let capacity = (words.len().max(1) * 2).next_power_of_two();
      let mut table = WordTable {
         slots: vec![
            Slot {
               head: 0,
               hash: 0,
               id: EMPTY,
            };
            capacity
         ],
         mask: capacity - 1,
         arena: Vec::new(),
         spans: Vec::with_capacity(words.len()),
      };
      for (id, (word, hash)) in words.enumerate() {
         let long = word.len() > INLINE;
         let start = table.arena.len() as u32;
         if long {
            table.arena.extend_from_slice(word);
         }
         table.spans.push((start, if long { word.len() as u32 } else { 0 }));
         let flagged = id as u32 | if long { LONG } else { 0 };
         let mut i = table.slot_of(hash);
         loop {
            let slot = table.slots[i];
            if slot.id == EMPTY {
               table.slots[i] = Slot {
                  head: head(word),
                  hash,
                  id: flagged,
               };
               break;
            }
            if table.matches(slot, word, hash) {
               table.slots[i].id = flagged;
               break;
            }
            i = (i + 1) & table.mask;
         }
      }
      table
   }

   #[inline]
   fn slot_of(&self, hash: u32) -> usize {
      // FNV-1a's low bits are weak for short keys; a multiplicative mix spreads them.
      ((u64::from(hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)) >> 32) as usize & self.mask
   }

   #[inline]
   fn matches(&self, slot: Slot, word: &[u8], hash: u32) -> bool {
      if slot.hash != hash || slot.head != head(word) {
         return false;
      }
      if slot.id & LONG == 0 {
         return word.len() <= INLINE;
      }
      let (start, len) = self.spans[(slot.id & !LONG) as usize];
      let start = start as usize;
      self.arena[start..start + len as usize] == *word
   }

   /// The index of `word` (whose fastText hash is `hash`), if it is in the table.
   #[inline]
   pub fn get(&self, word: &[u8], hash: u32) -> Option<u32> {
      let mut i = self.slot_of(hash);
      loop {
         let slot = self.slots[i];
         if slot.id == EMPTY {
            return None;
         }
         if self.matches(slot, word, hash) {
            return Some(slot.id & !LONG);
         }
         i = (i + 1) & self.mask;
      }
   }

   /// Asks the CPU to bring the slot for `hash` into cache ahead of a [`get`](Self::get).
   #[inline]
   pub fn prefetch(&self, hash: u32) {
      crate::prefetch::prefetch(self.slots.as_ptr().wrapping_add(self.slot_of(hash)).cast());
   }
}

#[cfg(test)]
mod tests {
   use super::*;
   use crate::dictionary::Dictionary;

   #[test]
   fn finds_every_word_and_nothing_else() {
      let words: Vec<String> = (0..5000)
         .map(|i| match i % 4 {
            0 => format!("w{i}"),
            1 => format!("averyveryverylongword{i}"),
            2 => format!("exactly8{}", i % 10).chars().take(8).collect(),
            _ => format!("é{i}ü"),
         })
         .collect();
      let table = WordTable::new(
         words
            .iter()
            .map(|w| (w.as_bytes(), Dictionary::hash(w.as_bytes()))),
      );
      let mut expected = std::collections::HashMap::new();
      for (i, w) in words.iter().enumerate() {
         expected.insert(w.as_str(), i as u32);
      }
      for w in &words {
         assert_eq!(table.get(w.as_bytes(), Dictionary::hash(w.as_bytes())), expected.get(w.as_str()).copied());
      }
      for probe in ["w", "w1", "averyveryverylongword", "exactly", "exactly8", "", "é"] {
         assert_eq!(
            table.get(probe.as_bytes(), Dictionary::hash(probe.as_bytes())),
            expected.get(probe).copied(),
            "{probe}"
         );
      }
      // A token sharing a word's hash and first bytes but not its length is not that word.
      let long = "averyveryverylongword1";
      assert_eq!(table.get(&long.as_bytes()[..8], Dictionary::hash(long.as_bytes())), None);
      assert_eq!(table.get(&long.as_bytes()[..9], Dictionary::hash(long.as_bytes())), None);
   }
}
