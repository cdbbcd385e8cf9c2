//! A fast path for byte-level BPE `tokenizer.json` models (GPT-2's scheme, and the tokenizers
//! trained with `pre_tokenizers.ByteLevel`): the same ids as the `tokenizers` crate, several
//! times faster.
//!
//! Why hand-written beside the `tokenizers` crate: its pipeline keeps offsets and alignments for
//! every byte (a `NormalizedString` per piece, a `String` per token) that token counts and shards
//! never use, and its word cache is one lock-guarded map shared by all threads (bench/tokens:
//! the crate ran at the speed of the Python package, which is the same Rust code). Here a text is
//! cut by the GPT-2 pattern ([`Pretokenizer::gpt2`]), each piece's bytes are looked up in a
//! per-thread cache and, on a miss, merged by the model's merge ranks exactly as the crate's
//! `Word::merge_all` does (lowest rank first, then leftmost; a queue entry is stale when its pair
//! no longer maps to its new id).
//!
//! Only models whose every step this reproduces are taken ([`ByteLevelBpe::from_json`] returns
//! `None` for the rest, which keep the `tokenizers` crate): no normalizer or NFC; a `ByteLevel`
//! pre-tokenizer with its regex; a BPE model without dropout, subword prefix or word suffix,
//! holding all 256 byte symbols; no truncation or padding. A text holding an added token's
//! content (which the crate splits out before pre-tokenizing) is handed to the crate as well.

use std::collections::BinaryHeap;

use aho_corasick::AhoCorasick;
use rustc_hash::FxHashMap;
use serde_json::Value;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use super::pretokenize::Pretokenizer;

/// A byte-level BPE model read out of a tokenizer.json.
pub(super) struct ByteLevelBpe {
    nfc: bool,
    add_prefix_space: bool,
    pre: Pretokenizer,
    /// The id of each byte's symbol.
    byte_ids: [u32; 256],
    /// (left id, right id) -> (rank, merged id), as the crate's `merges` map.
    merges: FxHashMap<(u32, u32), (u32, u32)>,
    /// Whole pieces that are tokens, by their bytes: set only when the model has
    /// `ignore_merges` (such a piece is that token, merges or not).
    whole: Option<FxHashMap<Box<[u8]>, u32>>,
    /// Added tokens' contents: a text holding one goes to the crate.
    added: Option<AhoCorasick>,
}

/// GPT-2's byte -> character table (`bytes_to_unicode`): printable bytes stand for themselves,
/// the others for code points from 256 up, in byte order.
fn byte_chars() -> [char; 256] {
    let mut table = ['\0'; 256];
    let mut next = 256u32;
    for b in 0..=255u8 {
        let printable = matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
        table[b as usize] = if printable {
            b as char
        } else {
            let c = char::from_u32(next).unwrap_or('\0');
            next += 1;
            c
        };
    }
    table
}

impl ByteLevelBpe {
    /// The fast path for `json` (a parsed tokenizer.json), or `None` when the model has a step
    /// it does not reproduce.
    pub(super) fn from_json(json: &Value) -> Option<ByteLevelBpe> {
        if !json["truncation"].is_null() || !json["padding"].is_null() {
            return None;
        }
        let nfc = match &json["normalizer"] {
            Value::Null => false,
            n if n["type"] == "NFC" => true,
            _ => return None,
        };
        let pre = &json["pre_tokenizer"];
        if pre["type"] != "ByteLevel" || pre["use_regex"] == false {
            return None;
        }
        let add_prefix_space = pre["add_prefix_space"].as_bool().unwrap_or(true);
        let model = &json["model"];
        let empty_or_null = |v: &Value| v.is_null() || v == "";
        if model["type"] != "BPE"
            || !(model["dropout"].is_null() || model["dropout"] == 0.0)
            || !empty_or_null(&model["continuing_subword_prefix"])
            || !empty_or_null(&model["end_of_word_suffix"])
        {
            return None;
        }
        let vocab = model["vocab"].as_object()?;
        let id_of = |s: &str| vocab.get(s).and_then(Value::as_u64).map(|id| id as u32);
        let chars = byte_chars();
        let mut byte_ids = [0u32; 256];
        for (b, c) in chars.iter().enumerate() {
            byte_ids[b] = id_of(c.encode_utf8(&mut [0; 4]))?;
        }
        let mut merges = FxHashMap::default();
        for (rank, merge) in model["merges"].as_array()?.iter().enumerate() {
            let (a, b) = match merge {
                Value::String(s) => s.split_once(' ')?,
                Value::Array(pair) if pair.len() == 2 => (pair[0].as_str()?, pair[1].as_str()?),
                _ => return None,
            };
            let new_id = id_of(&format!("{a}{b}"))?;
            // Later duplicates win, as when the crate collects its map.
            merges.insert((id_of(a)?, id_of(b)?), (rank as u32, new_id));
        }
        let whole = if model["ignore_merges"] == true {
            let byte_of: FxHashMap<char, u8> = chars
                .iter()
                .enumerate()
                .map(|(b, c)| (*c, b as u8))
                .collect();
            let mut whole = FxHashMap::default();
            for (token, id) in vocab {
                let bytes: Option<Box<[u8]>> =
                    token.chars().map(|c| byte_of.get(&c).copied()).collect();
                if let (Some(bytes), Some(id)) = (bytes, id.as_u64()) {
                    whole.insert(bytes, id as u32);
                }
            }
            Some(whole)
        } else {
            None
        };
        let contents: Vec<&str> = json["added_tokens"]
            .as_array()
            .map(|a| a.iter().filter_map(|t| t["content"].as_str()).collect())
            .unwrap_or_default();
        let added = if contents.is_empty() {
            None
        } else {
            Some(AhoCorasick::new(&contents).ok()?)
        };
        Some(ByteLevelBpe {
            nfc,
            add_prefix_space,
            pre: Pretokenizer::gpt2().ok()?,
            byte_ids,
            merges,
            whole,
            added,
        })
    }

    /// Cuts `text` (normalized, prefixed) into pieces and calls `piece` on each; returns
    /// `false`, calling nothing, when the text holds an added token and must go to the crate.
    pub(super) fn pieces(&self, text: &str, mut piece: impl FnMut(&[u8])) -> bool {
        // The crate splits added tokens out of the raw text and again out of the normalized one.
        let holds_added = |text: &str| self.added.as_ref().is_some_and(|a| a.is_match(text));
        if holds_added(text) {
            return false;
        }
        let normalized;
        let mut text = text;
        if self.nfc && is_nfc_quick(text.chars()) != IsNormalized::Yes {
            normalized = text.nfc().collect::<String>();
            text = &normalized;
            if holds_added(text) {
                return false;
            }
        }
        let prefixed;
        if self.add_prefix_space && !text.starts_with(' ') {
            if text.is_empty() {
                return false;
            }
            prefixed = format!(" {text}");
            text = &prefixed;
        }
        for p in self.pre.split(text) {
            piece(p.as_bytes());
        }
        true
    }

    /// The ids of one piece, appended to `out`.
    pub(super) fn encode_piece(&self, bytes: &[u8], out: &mut Vec<u32>) {
        if let Some(id) = self.whole.as_ref().and_then(|w| w.get(bytes)) {
            out.push(*id);
            return;
        }
        let mut symbols: Vec<Symbol> = bytes
            .iter()
            .enumerate()
            .map(|(i, b)| Symbol {
                id: self.byte_ids[*b as usize],
                prev: i as isize - 1,
                next: if i + 1 < bytes.len() {
                    i as isize + 1
                } else {
                    -1
                },
                merged: false,
            })
            .collect();
        let mut queue: BinaryHeap<Merge> = symbols
            .windows(2)
            .enumerate()
            .filter_map(|(pos, w)| {
                self.merges
                    .get(&(w[0].id, w[1].id))
                    .map(|&(rank, new_id)| Merge { rank, pos, new_id })
            })
            .collect();
        while let Some(top) = queue.pop() {
            let left = symbols[top.pos];
            if left.merged || left.next < 0 {
                continue;
            }
            let next = left.next as usize;
            let right = symbols[next];
            match self.merges.get(&(left.id, right.id)) {
                Some(&(_, new_id)) if new_id == top.new_id => {}
                _ => continue, // stale: the pair changed since it was queued
            }
            symbols[top.pos].id = top.new_id;
            symbols[top.pos].next = right.next;
            symbols[next].merged = true;
            if right.next >= 0 {
                symbols[right.next as usize].prev = top.pos as isize;
            }
            let current = symbols[top.pos];
            if current.prev >= 0 {
                let prev = current.prev as usize;
                if let Some(&(rank, new_id)) = self.merges.get(&(symbols[prev].id, current.id)) {
                    queue.push(Merge {
                        rank,
                        pos: prev,
                        new_id,
                    });
                }
            }
            if current.next >= 0 {
                let following = symbols[current.next as usize].id;
                if let Some(&(rank, new_id)) = self.merges.get(&(current.id, following)) {
                    queue.push(Merge {
                        rank,
                        pos: top.pos,
                        new_id,
                    });
                }
            }
        }
        out.extend(symbols.iter().filter(|s| !s.merged).map(|s| s.id));
    }
}

/// One symbol of a word being merged (a linked list over the word's bytes, as in the crate).
#[derive(Clone, Copy)]
struct Symbol {
    id: u32,
    prev: isize,
    next: isize,
    /// Absorbed into the symbol on its left.
    merged: bool,
}

/// A queued merge of the symbol at `pos` with the next one.
struct Merge {
    rank: u32,
    pos: usize,
    new_id: u32,
}

impl PartialEq for Merge {
    fn eq(&self, other: &Self) -> bool {
        (self.rank, self.pos) == (other.rank, other.pos)
    }
}

impl Eq for Merge {}

impl Ord for Merge {
    /// Reversed, so that the max-heap pops the lowest rank, then the leftmost position.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.rank, other.pos).cmp(&(self.rank, self.pos))
    }
}

impl PartialOrd for Merge {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
