//! Word and label dictionary with subword hashing and tokenization.
//!
//! The dictionary is the second section of the fastText binary format,
//! following the model args header. It contains the word list, label list,
//! and metadata needed for subword hashing.

use std::collections::HashMap;

// gleaner patch: FxHash instead of SipHash for the in-memory lookups (word ids and pruned n-gram
// ids are looked up once per word and per character n-gram; SipHash was ~15% of language-ID time).
// The maps are never iterated or persisted, so results are unchanged.
type FastMap<K, V> = HashMap<K, V, rustc_hash::FxBuildHasher>;
use std::io::Read;

use crate::args::ModelArgs;
use crate::error::{Error, Result};
use crate::io::BinaryReader;
use crate::word_table::WordTable;

const EOS: &str = "</s>";
const FNV_BASIS: u32 = 2_166_136_261;

/// One byte of FNV-1a as fastText computes it: the byte sign-extended before the XOR
/// (`h = h ^ uint32_t(int8_t(c))`).
#[inline(always)]
fn fnv_step(h: u32, byte: u8) -> u32 {
   (h ^ (byte as i8) as u32).wrapping_mul(16_777_619)
}

/// Buffers [`Dictionary::get_line_into`] reuses from one text to the next (gleaner patch).
#[derive(Debug, Default)]
pub struct LineScratch {
   /// Each token's byte range and fastText hash.
   tokens: Vec<(usize, usize, u32)>,
   word_hashes: Vec<u32>,
}
const LABEL_PREFIX: &str = "__label__";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryType {
   Word = 0,
   Label = 1,
}

#[derive(Debug)]
struct Entry {
   word: String,
   count: i64,
   entry_type: EntryType,
   subwords: Vec<i32>,
}

/// The word/label dictionary loaded from a fastText model.
///
/// Handles tokenization, word lookup, subword n-gram hashing, and word
/// n-gram hashing. The hash function is FNV-1a (32-bit) and must be
/// bit-exact with the C++ implementation.
#[derive(Debug)]
pub(crate) struct Dictionary {
   args: ModelArgs,
   words: Vec<Entry>,
   /// gleaner patch: words looked up by their fastText hash in a flat table (see
   /// [`WordTable`]), in place of a `HashMap<String, usize>`: tokens are hashed anyway (for word
   /// n-grams), and the table answers most lookups from one prefetchable cache line.
   table: WordTable,
   /// The fastText hash of `</s>` (gleaner patch).
   eos_hash: u32,
   pub nwords: i32,
   #[allow(dead_code)]
   pub nlabels: i32,
   pruneidx_size: i64,
   pruneidx: FastMap<i32, i32>,
   /// gleaner patch: `u64::MAX / bucket + 1`, for an exact modulo by `bucket` without a
   /// division (Lemire, Kaser & Kurz 2019, "Faster remainder by direct computation"); 0 when
   /// `bucket` is not positive (the plain `%` then runs, as upstream).
   bucket_magic: u64,
}

impl Dictionary {
   /// Load a dictionary from the binary format.
   pub fn load<R: Read>(reader: &mut BinaryReader<R>, args: &ModelArgs) -> Result<Self> {
      let size = reader.read_i32_as_usize()?;
      let nwords = reader.read_i32()?;
      let nlabels = reader.read_i32()?;
      let _ntokens = reader.read_i64()?;
      let pruneidx_size = reader.read_i64()?;

      let mut words = Vec::with_capacity(size);

      for _ in 0..size {
         let word = reader.read_string()?;
         let count = reader.read_i64()?;
         let entry_type = match reader.read_u8()? {
            0 => EntryType::Word,
            1 => EntryType::Label,
            t => return Err(Error::InvalidModel(format!("unknown entry type: {t}"))),
         };

         words.push(Entry {
            word,
            count,
            entry_type,
            subwords: Vec::new(),
         });
      }

      let table = WordTable::new(
         words
            .iter()
            .map(|e| (e.word.as_bytes(), Self::hash(e.word.as_bytes()))),
      );

      let mut pruneidx = FastMap::default();
      for _ in 0..pruneidx_size.max(0) {
         let first = reader.read_i32()?;
         let second = reader.read_i32()?;
         pruneidx.insert(first, second);
      }

      let mut dict = Self {
         args: args.clone(),
         words,
         table,
         eos_hash: Self::hash(EOS.as_bytes()),
         nwords,
         nlabels,
         pruneidx_size,
         pruneidx,
         bucket_magic: if args.bucket > 0 {
            u64::MAX / args.bucket as u64 + 1
         } else {
            0
         },
      };

      dict.init_ngrams();

      Ok(dict)
   }

   /// FNV-1a 32-bit hash, bit-exact with the C++ fastText implementation.
   ///
   /// The C++ version sign-extends each byte before XOR:
   /// `h = h ^ uint32_t(int8_t(c))`. We replicate this via `byte as i8 as
   /// u32`.
   pub fn hash(word: &[u8]) -> u32 {
      word.iter().fold(FNV_BASIS, |h, &b| fnv_step(h, b))
   }

   /// Tokenize input text into word IDs and subword hashes for prediction.
   ///
   /// Returns `(words, labels)` where `words` contains word IDs and
   /// subword hash indices, and `labels` contains any label IDs found in
   /// the input.
   pub fn get_line(&self, text: &str) -> (Vec<i32>, Vec<i32>) {
      let mut words = Vec::new();
      let mut labels = Vec::new();
      self.get_line_into(text, &mut LineScratch::default(), &mut words, &mut labels);
      (words, labels)
   }

   /// [`get_line`](Self::get_line) into buffers the caller reuses (gleaner patch).
   pub fn get_line_into(
      &self,
      text: &str,
      scratch: &mut LineScratch,
      words: &mut Vec<i32>,
      labels: &mut Vec<i32>,
   ) {
      words.clear();
      labels.clear();
      let tokens = &mut scratch.tokens;
      let word_hashes = &mut scratch.word_hashes;
      tokens.clear();
      word_hashes.clear();
      let bytes = text.as_bytes();

      // gleaner patch: split on the characters fastText's C++ `readWord` treats as word
      // separators (ASCII space, \n, \r, \t, \v, \f, NUL), not on every Unicode space. They are
      // ASCII, so splitting bytes is splitting characters (no UTF-8 continuation byte is ASCII),
      // and each token's FNV-1a hash is computed in the same pass.
      // gleaner patch: C++ `getLine` stops at the first end-of-sentence token, so a literal
      // `</s>` in the text ends the input there (fastText's Python `predict` appends the `\n`
      // that becomes the final one).
      let mut start = 0;
      let mut h: u32 = FNV_BASIS;
      let mut stopped = false;
      for (i, &b) in bytes.iter().enumerate() {
         if matches!(b, b' ' | b'\n' | b'\r' | b'\t' | 0x0B | 0x0C | 0) {
            if i > start {
               tokens.push((start, i, h));
               if &bytes[start..i] == EOS.as_bytes() {
                  stopped = true;
                  break;
               }
            }
            start = i + 1;
            h = FNV_BASIS;
         } else {
            h = fnv_step(h, b);
         }
      }
      if !stopped && bytes.len() > start {
         tokens.push((start, bytes.len(), h));
         stopped = &bytes[start..] == EOS.as_bytes();
      }

      // Looking tokens up is a cache miss each on a large vocabulary: the slots of the tokens a
      // few places ahead are prefetched so the misses overlap.
      const AHEAD: usize = 8;
      for &(_, _, h) in tokens.iter().take(AHEAD) {
         self.table.prefetch(h);
      }
      let eos = (EOS.as_bytes(), self.eos_hash);
      let count = tokens.len() + usize::from(!stopped);
      for k in 0..count {
         if let Some(&(_, _, h)) = tokens.get(k + AHEAD) {
            self.table.prefetch(h);
         }
         let (token, h) = match tokens.get(k) {
            Some(&(s, e, h)) => (&bytes[s..e], h),
            None => eos,
         };
         let wid = self.get_id_hashed(token, h);
         let entry_type = if wid < 0 {
            Self::get_type_by_token(token)
         } else if wid < self.nwords {
            EntryType::Word
         } else {
            EntryType::Label
         };

         if entry_type == EntryType::Word {
            self.add_subwords(words, token, wid);
            word_hashes.push(h);
         } else if entry_type == EntryType::Label && wid >= 0 {
            labels.push(wid - self.nwords);
         }
      }

      self.add_word_ngrams(words, word_hashes, self.args.word_ngrams);
   }

   /// Every label string, in label-index order (gleaner patch).
   pub fn labels(&self) -> impl Iterator<Item = &str> {
      self
         .words
         .iter()
         .filter(|e| e.entry_type == EntryType::Label)
         .map(|e| e.word.as_str())
   }

   /// Whether the word table has `nwords` words followed by `nlabels` labels, as fastText
   /// writes it (gleaner patch: checked at load so lookups by index cannot go out of range).
   pub fn is_consistent(&self) -> bool {
      let (nw, nl) = (self.nwords.max(0) as usize, self.nlabels.max(0) as usize);
      self.nwords >= 0
         && self.nlabels >= 0
         && self.words.len() == nw + nl
         && self.words[..nw].iter().all(|e| e.entry_type == EntryType::Word)
         && self.words[nw..].iter().all(|e| e.entry_type == EntryType::Label)
   }

   /// Number of hashed rows the input matrix needs after the words: `bucket`, or the pruned
   /// index's size for a quantized model with pruned n-grams (gleaner patch).
   pub fn hashed_rows(&self) -> Result<usize> {
      if self.pruneidx_size >= 0 {
         if self.pruneidx.values().any(|&v| v < 0) {
            return Err(Error::InvalidModel("negative pruned n-gram index".to_string()));
         }
         return Ok(self.pruneidx.values().map(|&v| v as usize + 1).max().unwrap_or(0));
      }
      if self.args.bucket <= 0 && (self.args.maxn > 0 || self.args.word_ngrams > 1) {
         return Err(Error::InvalidModel(format!(
            "bucket is {} but the model hashes n-grams",
            self.args.bucket
         )));
      }
      Ok(self.args.bucket.max(0) as usize)
   }

   /// Get the label string for a label index.
   pub fn get_label(&self, lid: i32) -> &str {
      &self.words[(lid + self.nwords) as usize].word
   }

   /// Get the label counts in dictionary order (descending by count).
   ///
   /// Used to build the Huffman tree for hierarchical softmax prediction.
   pub fn get_label_counts(&self) -> Vec<i64> {
      self
         .words
         .iter()
         .filter(|e| e.entry_type == EntryType::Label)
         .map(|e| e.count)
         .collect()
   }

   /// The index of `word`, whose fastText hash is `h`, or -1 if it is not in the dictionary.
   #[inline]
   fn get_id_hashed(&self, word: &[u8], h: u32) -> i32 {
      self.table.get(word, h).map_or(-1, |id| id as i32)
   }

   /// Determine the entry type of a token based on the label prefix.
   fn get_type_by_token(token: &[u8]) -> EntryType {
      if token.starts_with(LABEL_PREFIX.as_bytes()) {
         EntryType::Label
      } else {
         EntryType::Word
      }
   }

   /// Initialize precomputed subword n-grams for all dictionary entries.
   fn init_ngrams(&mut self) {
      for i in 0..self.words.len() {
         self.words[i].subwords.clear();
         self.words[i].subwords.push(i as i32);
         if self.words[i].word != EOS {
            let mut subwords = Vec::new();
            self.compute_sub_words_with_markers(self.words[i].word.as_bytes(), &mut subwords);
            self.words[i].subwords.extend(subwords);
         }
      }
   }

   /// Compute character n-gram hashes for a word (with BOW/EOW markers).
   ///
   /// Iterates over UTF-8 character boundaries and hashes n-grams
   /// incrementally using the FNV-1a property: the hash of a prefix
   /// can be extended one byte at a time. This avoids allocating a
   /// temporary byte vector for each n-gram.
   fn compute_sub_words(&self, word: &[u8], ngrams: &mut Vec<i32>) {
      if self.args.maxn <= 0 {
         return;
      }

      let minn = self.args.minn as usize;
      let maxn = self.args.maxn as usize;

      for i in 0..word.len() {
         // Skip UTF-8 continuation bytes
         if (word[i] & 0xC0) == 0x80 {
            continue;
         }

         let mut h: u32 = 2_166_136_261; // FNV offset basis
         let mut j = i;
         let mut n: usize = 1;

         while j < word.len() && n <= maxn {
            // Hash the next byte
            h ^= (word[j] as i8) as u32;
            h = h.wrapping_mul(16_777_619);
            j += 1;

            // Consume remaining bytes of the current UTF-8 character
            while j < word.len() && (word[j] & 0xC0) == 0x80 {
               h ^= (word[j] as i8) as u32;
               h = h.wrapping_mul(16_777_619);
               j += 1;
            }

            // Exclude single-char n-grams that are BOW or EOW markers
            if n >= minn && !(n == 1 && (i == 0 || j == word.len())) {
               self.push_hash(ngrams, self.bucket_of(h) as i32);
            }

            n += 1;
         }
      }
   }

   /// `h % bucket`. gleaner patch: the hardware division was the largest single cost of
   /// character n-gram hashing (one per n-gram); the multiply-shift form is exact for every
   /// 32-bit `h` and divisor.
   #[inline]
   fn bucket_of(&self, h: u32) -> u32 {
      if self.bucket_magic == 0 {
         return h % self.args.bucket as u32;
      }
      let low = self.bucket_magic.wrapping_mul(h as u64);
      ((low as u128 * self.args.bucket as u128) >> 64) as u32
   }

   /// Push a hashed subword index, respecting pruning state.
   ///
   /// - `pruneidx_size < 0` (e.g., -1): no pruning, push directly
   /// - `pruneidx_size == 0`: all subwords pruned, push nothing
   /// - `pruneidx_size > 0`: remap through `pruneidx`, skip if not found
   fn push_hash(&self, hashes: &mut Vec<i32>, id: i32) {
      if self.pruneidx_size == 0 || id < 0 {
         return;
      }
      if self.pruneidx_size > 0 {
         if let Some(&remapped) = self.pruneidx.get(&id) {
            hashes.push(self.nwords + remapped);
         }
         return;
      }
      // pruneidx_size < 0: no pruning, push raw hash index
      hashes.push(self.nwords + id);
   }

   /// Add word IDs and/or subword hashes for a token to the line.
   fn add_subwords(&self, line: &mut Vec<i32>, token: &[u8], wid: i32) {
      if wid < 0 {
         // Out of vocabulary: compute subwords on the fly
         if token != EOS.as_bytes() {
            self.compute_sub_words_with_markers(token, line);
         }
      } else if self.args.maxn <= 0 {
         // In vocabulary without subwords
         line.push(wid);
      } else {
         // In vocabulary with precomputed subwords
         line.extend_from_slice(&self.words[wid as usize].subwords);
      }
   }

   /// Compute subwords for a token by prepending "<" and appending ">"
   /// without allocating a new string. Uses a small stack buffer for
   /// tokens up to 256 bytes.
   fn compute_sub_words_with_markers(&self, token: &[u8], ngrams: &mut Vec<i32>) {
      let total_len = token.len() + 2; // "<" + token + ">"
      if total_len <= 258 {
         // Stack-allocated path for typical tokens
         let mut buf = [0u8; 258];
         buf[0] = b'<';
         buf[1..1 + token.len()].copy_from_slice(token);
         buf[1 + token.len()] = b'>';
         self.compute_sub_words(&buf[..total_len], ngrams);
      } else {
         // Heap-allocated fallback for very long tokens
         let mut word = Vec::with_capacity(total_len);
         word.push(b'<');
         word.extend_from_slice(token);
         word.push(b'>');
         self.compute_sub_words(&word, ngrams);
      }
   }

   /// Add word n-gram hashes (bigrams, trigrams, etc.) to the line.
   ///
   /// Uses 64-bit arithmetic with the word n-gram hash constant
   /// `116049371`, matching the C++ implementation.
   fn add_word_ngrams(&self, line: &mut Vec<i32>, hashes: &[u32], n: i32) {
      // gleaner patch: C++ keeps word hashes in a `std::vector<int32_t>`, so each widens to
      // 64 bits with sign extension; upstream zero-extended, which moves every word n-gram that
      // starts with or contains a word whose hash is 2^31 or more to another bucket.
      let widen = |h: u32| h as i32 as i64 as u64;
      for i in 0..hashes.len() {
         let mut h = widen(hashes[i]);
         for hash in hashes
            .iter()
            .take(hashes.len().min(i + n as usize))
            .skip(i + 1)
         {
            h = h.wrapping_mul(116_049_371).wrapping_add(widen(*hash));
            self.push_hash(line, (h % (self.args.bucket as u64)) as i32);
         }
      }
   }
}

#[cfg(test)]
mod tests {
   use super::*;

   #[test]
   fn fast_bucket_modulo_is_exact() {
      // gleaner patch: the multiply-shift remainder against `%` for lid.176's bucket count and
      // others, on hashes spread over the whole u32 range.
      for bucket in [1u32, 2, 3, 7, 2_000_000, 2_000_003, u32::MAX / 3, i32::MAX as u32] {
         let magic = u64::MAX / bucket as u64 + 1;
         let mut h: u32 = 12345;
         for _ in 0..200_000 {
            h = h.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            for x in [h, u32::MAX - h, h >> 7] {
               let low = magic.wrapping_mul(x as u64);
               assert_eq!(((low as u128 * bucket as u128) >> 64) as u32, x % bucket);
            }
         }
      }
   }

   #[test]
   fn hash_matches_cpp_fnv1a() {
      // Known FNV-1a values with C++ sign-extension behavior
      assert_eq!(Dictionary::hash(b"hello"), 1_335_831_723);
      assert_eq!(Dictionary::hash(b"world"), 933_488_787);
      assert_eq!(Dictionary::hash(b""), 2_166_136_261); // FNV offset basis
   }

   #[test]
   fn hash_empty_string_is_offset_basis() {
      assert_eq!(Dictionary::hash(b""), 0x811C_9DC5);
   }
}
