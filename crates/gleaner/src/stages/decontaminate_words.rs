//! The words and n-gram hashes the `decontaminate` stage compares: datatrove's `simplify_text`
//! words of a text, streamed without building the simplified text, and a rolling hash of every
//! run of `n` of them.
//!
//! Speed is the point of this module: every byte of the corpus passes through it, and calling
//! [`simplify_text`] on a whole document (lower-casing into one string, simplifying into a
//! second, splitting and joining into a third) then hashing every 13-word window anew (each
//! word hashed 13 times) held the stage near 30 MB/s per core. Here a text is cut into chunks at
//! ASCII whitespace, which `simplify_text` always turns into a word break and which no rule of it
//! looks across (its numbers stop there; lower-casing's final-sigma rule and the dropping of
//! combining marks do not cross whitespace either), so the words of the text are the words of its
//! chunks in order. A chunk of ASCII letters, digits and punctuation, possibly with a few common
//! non-ASCII punctuation characters (curly quotes, dashes, no-break space), is simplified byte by
//! byte from a table; any other chunk goes through [`simplify_text`] itself. The table is derived
//! from [`simplify_text`] at first use (each ASCII character and each candidate separator run
//! through it), and checked on numbers, so the two cannot drift apart: if `simplify_text` ever
//! treats them differently, the fast path is switched off rather than giving other words.
//!
//! An n-gram's hash combines its words' xxh3 hashes by a polynomial rolling hash (each word
//! hashed once, each window updated in O(1)), finished by a 64-bit mixer; the index and the
//! documents are hashed the same way, so only equality matters.

use std::sync::OnceLock;

use xxhash_rust::xxh3::xxh3_64;

use crate::dedup::simplify_text;

/// Table entry of a byte: a word break.
const BREAK: u8 = 0;
/// Table entry of an ASCII digit.
const DIGIT: u8 = 1;
/// Table entry of an ASCII whitespace byte: a chunk ends.
const SPACE: u8 = 2;
/// Table entry of an ASCII byte the fast path does not handle (none today).
const SLOW: u8 = 3;
/// Table entry of a byte of a non-ASCII character.
const HIGH: u8 = 4;

/// Non-ASCII characters common in web text that the fast path may treat as word breaks, if
/// [`simplify_text`] does (checked at first use; U+2018 `‘`, for one, is not in datatrove's
/// punctuation list and stays in its word). None of them is a decimal separator.
const CANDIDATE_BREAKS: &[char] = &[
    '\u{a0}', '’', '‘', '“', '”', '—', '–', '…', '«', '»', '„', '´', '•', '·', '\u{2009}',
];

/// The fast path's tables, derived from [`simplify_text`].
struct FastPath {
    /// Per byte: [`BREAK`], [`DIGIT`], [`SPACE`], [`SLOW`], [`HIGH`], or the lower-case byte an
    /// ASCII character that stays in its word becomes (all above [`HIGH`]: such characters are
    /// printable).
    class: [u8; 256],
    /// The non-ASCII characters that are word breaks.
    breaks: Vec<char>,
}

fn fast_path() -> Option<&'static FastPath> {
    static FAST: OnceLock<Option<FastPath>> = OnceLock::new();
    FAST.get_or_init(|| {
        let mut class = [HIGH; 256];
        for b in 0..128u8 {
            let c = b as char;
            let simple = simplify_text(&format!("a{c}b"));
            class[b as usize] = if is_ascii_space(b) && simple == "a b" {
                SPACE
            } else if simple == "a b" {
                BREAK
            } else if c.is_ascii_digit() && simple == "a0b" {
                DIGIT
            } else if simple == format!("a{}b", c.to_ascii_lowercase()) && b > b' ' {
                c.to_ascii_lowercase() as u8
            } else {
                SLOW
            };
        }
        let breaks = CANDIDATE_BREAKS
            .iter()
            .copied()
            .filter(|c| simplify_text(&format!("a{c}b")) == "a b")
            .collect();
        // The number rule the fast path implements: a run of digits with an optional decimal
        // part after one `.` or `,` becomes `0`.
        let numbers = [
            ("x12y", "x0y"),
            ("x1.5y", "x0y"),
            ("x1,50y", "x0y"),
            ("x1.y", "x0 y"),
            ("x1.2.3y", "x0 0y"),
            (".5", "0"),
        ];
        let agrees = numbers.iter().all(|(t, s)| simplify_text(t) == *s)
            && class[b'a' as usize] == b'a'
            && (0..128u8).all(|b| is_ascii_space(b) == (class[b as usize] == SPACE));
        agrees.then_some(FastPath { class, breaks })
    })
    .as_ref()
}

fn is_ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C)
}

/// Calls `f(word, line)` for every word of `simplify_text(text)` in order, `line` being the
/// 0-based line of `text` the word is on, until `f` returns false.
pub(crate) fn for_each_word(text: &str, mut f: impl FnMut(&str, u32) -> bool) {
    let Some(fast) = fast_path() else {
        return slow_words(text, &mut f);
    };
    let bytes = text.as_bytes();
    let mut word = String::new();
    let mut line = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        if fast.class[bytes[i] as usize] == SPACE {
            line += u32::from(bytes[i] == b'\n');
            i += 1;
            continue;
        }
        // The chunk's end, and whether every byte of it is in the ASCII table (one look-up per
        // byte, in the loop that finds the end).
        let start = i;
        let mut plain = true;
        while i < bytes.len() {
            let class = fast.class[bytes[i] as usize];
            if class == SPACE {
                break;
            }
            plain &= class != SLOW && class != HIGH;
            i += 1;
        }
        // ASCII whitespace bytes are character boundaries.
        let chunk = &text[start..i];
        let go_on = if plain || fast.handles(chunk) {
            fast.words(chunk, &mut word, &mut |w| f(w, line))
        } else {
            simplify_text(chunk)
                .split(' ')
                .filter(|w| !w.is_empty())
                .all(|w| f(w, line))
        };
        if !go_on {
            return;
        }
    }
}

/// [`for_each_word`] through [`simplify_text`] line by line, should the fast path's tables ever
/// disagree with it.
pub(crate) fn slow_words(text: &str, f: &mut impl FnMut(&str, u32) -> bool) {
    for (line, part) in text.split('\n').enumerate() {
        let simple = simplify_text(part);
        if !simple
            .split(' ')
            .filter(|w| !w.is_empty())
            .all(|w| f(w, line as u32))
        {
            return;
        }
    }
}

impl FastPath {
    /// Whether every character of a chunk with non-ASCII characters is one the tables know.
    fn handles(&self, chunk: &str) -> bool {
        chunk.chars().all(|c| {
            if c.is_ascii() {
                self.class[c as usize] != SLOW
            } else {
                self.breaks.contains(&c)
            }
        })
    }

    /// The words of a chunk whose characters the tables know (its non-ASCII characters are all
    /// breaks), as `simplify_text` gives them; false when `f` asked to stop.
    fn words(&self, chunk: &str, word: &mut String, f: &mut dyn FnMut(&str) -> bool) -> bool {
        let bytes = chunk.as_bytes();
        let class = |i: usize| self.class[bytes[i] as usize];
        let mut i = 0;
        while i < bytes.len() {
            if matches!(class(i), BREAK | HIGH) {
                i += 1;
                continue;
            }
            // Most words are lower-case letters already: then the word is a slice of the
            // chunk. A digit (numbers become `0` and may take a `.` or `,` in) or a capital
            // sends the word through `careful_word`.
            let start = i;
            let mut as_is = true;
            while i < bytes.len() && !matches!(class(i), BREAK | HIGH) {
                as_is &= class(i) == bytes[i];
                i += 1;
            }
            let go_on = if as_is {
                f(&chunk[start..i])
            } else {
                i = self.careful_word(bytes, start, word);
                f(word)
            };
            if !go_on {
                return false;
            }
        }
        true
    }

    /// Writes the word of `bytes` starting at `start` into `word`, lower-cased and with numbers
    /// as `0`; returns where it ends.
    fn careful_word(&self, bytes: &[u8], start: usize, word: &mut String) -> usize {
        let digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
        word.clear();
        let mut i = start;
        while i < bytes.len() {
            match self.class[bytes[i] as usize] {
                BREAK | HIGH => break,
                DIGIT => {
                    i += 1;
                    while digit(i) {
                        i += 1;
                    }
                    if matches!(bytes.get(i), Some(b'.' | b',')) && digit(i + 1) {
                        i += 1;
                        while digit(i) {
                            i += 1;
                        }
                    }
                    word.push('0');
                }
                lower => {
                    word.push(lower as char);
                    i += 1;
                }
            }
        }
        i
    }
}

/// Whether the fast path's tables agreed with [`simplify_text`] (for tests).
#[cfg(test)]
pub(crate) fn fast_path_is_on() -> bool {
    fast_path().is_some()
}

/// The hash of one normalised word.
pub(crate) fn word_hash(word: &str) -> u64 {
    xxh3_64(word.as_bytes())
}

/// Hashes of every run of `n` consecutive words, fed one word hash at a time.
pub(crate) struct RollingNgrams {
    n: usize,
    /// `BASE^(n-1)`, to take the oldest word out.
    top: u64,
    ring: Vec<u64>,
    /// `seen % n`: where the next word goes in `ring`.
    slot: usize,
    seen: usize,
    sum: u64,
}

/// The polynomial's base: odd (so invertible modulo 2^64) and with bits spread.
const BASE: u64 = 0x9E37_79B9_7F4A_7C15;

impl RollingNgrams {
    /// A hasher of `n`-word windows (`n` ≥ 1).
    pub(crate) fn new(n: usize) -> Self {
        let n = n.max(1);
        RollingNgrams {
            n,
            top: (1..n).fold(1u64, |p, _| p.wrapping_mul(BASE)),
            ring: vec![0; n],
            slot: 0,
            seen: 0,
            sum: 0,
        }
    }

    /// Adds the next word; the hash of the window it ends, once `n` words were seen.
    #[inline]
    pub(crate) fn push(&mut self, word_hash: u64) -> Option<u64> {
        // The oldest word's slot (a wrapping counter: a `%` here cost a division per word).
        let slot = self.slot;
        self.slot = if slot + 1 == self.n { 0 } else { slot + 1 };
        if self.seen >= self.n {
            self.sum = self
                .sum
                .wrapping_sub(self.ring[slot].wrapping_mul(self.top));
        }
        self.sum = self.sum.wrapping_mul(BASE).wrapping_add(word_hash);
        self.ring[slot] = word_hash;
        self.seen += 1;
        (self.seen >= self.n).then(|| mix(self.sum))
    }

    /// Words pushed so far.
    pub(crate) fn words(&self) -> usize {
        self.seen
    }
}

/// A 64-bit finaliser (MurmurHash3's fmix64), so that the index's bucket bits (the top ones) and
/// filter bits (the low ones) both depend on every word.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// The hashes of every `n`-gram of `text`'s words, with the index of each n-gram's first word.
#[cfg(test)]
pub(crate) fn ngram_hashes(text: &str, n: usize) -> Vec<(usize, u64)> {
    let mut roll = RollingNgrams::new(n);
    let mut out = Vec::new();
    for_each_word(text, |w, _| {
        if let Some(h) = roll.push(word_hash(w)) {
            out.push((roll.words() - n, h));
        }
        true
    });
    out
}
