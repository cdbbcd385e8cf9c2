//! Text normalizer: Unicode NFC, line endings, control and invisible characters, runs of spaces
//! and of blank lines. Every kind of change is counted in the run stats, so a user can see how
//! much of the corpus a normalization touched.

use serde::{Deserialize, Serialize};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use crate::document::Document;
use crate::stage::{Stage, StageContext, Verdict};

/// Parameters of [`TextNormalizer`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NormalizeConfig {
    /// Compose to Unicode NFC (so the same word has the same bytes for dedup and filters).
    pub nfc: bool,
    /// Turn `\r\n` and lone `\r` into `\n`.
    pub line_endings: bool,
    /// Remove C0/C1 control characters other than tab and newline.
    pub control_chars: bool,
    /// Remove invisible characters that only break words apart: zero-width space, word joiner,
    /// byte-order mark, soft hyphen.
    pub zero_width: bool,
    /// Also remove zero-width joiner and non-joiner. Off by default: they carry meaning in
    /// Persian, the Indic scripts and emoji sequences.
    pub joiners: bool,
    /// Replace Unicode space characters (no-break space, en/em spaces, ideographic space…) by
    /// a plain space.
    pub unicode_spaces: bool,
    /// Collapse runs of spaces and tabs inside a line to one space, and trim line ends.
    pub collapse_spaces: bool,
    /// Most consecutive blank lines kept; longer runs are shortened. Leading and trailing blank
    /// lines are removed.
    pub max_blank_lines: usize,
}

impl Default for NormalizeConfig {
    fn default() -> Self {
        NormalizeConfig {
            nfc: true,
            line_endings: true,
            control_chars: true,
            zero_width: true,
            joiners: false,
            unicode_spaces: true,
            collapse_spaces: true,
            max_blank_lines: 1,
        }
    }
}

/// Normalizes text in place; never drops a document.
pub struct TextNormalizer {
    cfg: NormalizeConfig,
}

impl TextNormalizer {
    /// A normalizer with the given options.
    pub fn new(cfg: NormalizeConfig) -> Self {
        TextNormalizer { cfg }
    }

    /// Returns the normalized text, adding each change to the counters in `cx`.
    pub fn normalize(&self, text: &str, cx: &mut StageContext) -> String {
        if self.is_unchanged(text) {
            return text.to_string();
        }
        self.normalize_slow(text, cx)
    }

    /// True when normalizing `text` would change nothing and count nothing; false when it might.
    ///
    /// Most documents of a real corpus are already clean, and proving that takes one pass over
    /// the bytes with a 256-entry class table and no allocation, where the full normalizer copies
    /// every line into a new string. The check is conservative: anything it does not fully
    /// understand (tabs, `\r`, controls, any non-ASCII character the normalizer acts on, text that
    /// is not surely NFC) answers "might change", and the full normalizer decides exactly.
    pub fn is_unchanged(&self, text: &str) -> bool {
        let c = &self.cfg;
        let bytes = text.as_bytes();
        let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
            // The empty text is one blank line to the full normalizer, which counts it.
            return false;
        };
        // Leading and trailing blank lines go; with collapsing, so do spaces at either end.
        if first == b'\n' || last == b'\n' || (c.collapse_spaces && (first == b' ' || last == b' '))
        {
            return false;
        }
        let max_newlines = c.max_blank_lines.saturating_add(1);
        let mut prev = first;
        let mut newlines = 0usize;
        let mut non_ascii = false;
        let mut i = 0;
        while i < bytes.len() {
            // Thirty-two, sixteen, then eight printable ASCII bytes at a time; only words with
            // anything else (a line break, a control, a non-ASCII character) go through the byte
            // loop below.
            if skips_chunk(bytes, i, matches!(prev, b' ' | b'\n'), c.collapse_spaces) {
                prev = bytes[i + CHUNK - 1];
                i += CHUNK;
                continue;
            }
            if let Some(chunk) = bytes.get(i..i + 16) {
                let lo = u64::from_le_bytes(chunk[..8].try_into().expect("eight bytes"));
                let hi = u64::from_le_bytes(chunk[8..].try_into().expect("eight bytes"));
                if let (Some(a), Some(b)) = (printable_word(lo), printable_word(hi)) {
                    if c.collapse_spaces
                        && (a & (a << 8) != 0
                            || b & (b << 8 | a >> 56) != 0
                            || (matches!(prev, b' ' | b'\n') && a & 0x80 != 0))
                    {
                        return false;
                    }
                    prev = chunk[15];
                    i += 16;
                    continue;
                }
            }
            if let Some(chunk) = bytes.get(i..i + 8) {
                let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
                if let Some(spaces) = printable_word(word) {
                    if c.collapse_spaces
                        && (spaces & (spaces << 8) != 0
                            || (matches!(prev, b' ' | b'\n') && spaces & 0x80 != 0))
                    {
                        return false;
                    }
                    prev = chunk[7];
                    i += 8;
                    continue;
                }
            }
            let b = bytes[i];
            match BYTE_CLASS[b as usize] {
                PLAIN => {}
                SPACE => {
                    // Collapsing drops a space after a space and at the start of a line.
                    if c.collapse_spaces && (prev == b' ' || prev == b'\n') {
                        return false;
                    }
                }
                NEWLINE => {
                    // ...and trims spaces at the end of a line.
                    if c.collapse_spaces && prev == b' ' {
                        return false;
                    }
                    newlines = if prev == b'\n' { newlines + 1 } else { 1 };
                    if newlines > max_newlines {
                        return false;
                    }
                }
                LEAD => {
                    let ch = text[i..].chars().next().unwrap_or('\0');
                    if self.acts_on(ch) {
                        return false;
                    }
                    non_ascii = true;
                    i += ch.len_utf8();
                    prev = b;
                    continue;
                }
                _ => return false,
            }
            prev = b;
            i += 1;
        }
        !(c.nfc && non_ascii && !surely_nfc(text))
    }

    /// Whether [`clean_line`](Self::clean_line) would remove or replace this non-ASCII character
    /// under the current options (kept in step with the `match` there).
    fn acts_on(&self, ch: char) -> bool {
        let c = &self.cfg;
        match ch {
            '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => c.zero_width,
            '\u{200C}' | '\u{200D}' => c.joiners,
            ch if ch.is_control() => c.control_chars,
            '\u{00A0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200A}'
            | '\u{202F}'
            | '\u{205F}'
            | '\u{3000}' => c.unicode_spaces,
            _ => false,
        }
    }

    /// The full normalizer: rebuilds the text line by line, counting every change.
    fn normalize_slow(&self, text: &str, cx: &mut StageContext) -> String {
        let c = &self.cfg;
        let mut counts = Counts::default();
        let src = text;
        let mut out = String::with_capacity(src.len());
        let mut pending_blank = 0usize;
        let mut started = false;
        let mut line_endings = 0u64;
        for raw_line in split_lines(src, c.line_endings, &mut line_endings) {
            // Lines are cleaned straight into `out`, after the line breaks they would need;
            // a line that cleans to nothing is rolled back and counted as blank.
            let mark = out.len();
            let keep = pending_blank.min(c.max_blank_lines);
            if started {
                for _ in 0..=keep {
                    out.push('\n');
                }
            }
            let content = out.len();
            self.clean_line(raw_line, &mut out, content, &mut counts);
            if out.len() == content {
                out.truncate(mark);
                if started {
                    pending_blank += 1;
                } else {
                    counts.blank_lines += 1;
                }
                continue;
            }
            if started {
                counts.blank_lines += (pending_blank - keep) as u64;
            }
            pending_blank = 0;
            started = true;
        }
        counts.blank_lines += pending_blank as u64;
        counts.line_endings = line_endings;
        // NFC last: removing a control or invisible character can bring a base letter and a
        // combining mark together (found by fuzzing: "e\u{7f}\u{327}"), which only composes after.
        // Composition never creates spaces, controls or line breaks, so the cleaning above holds.
        if c.nfc && !surely_nfc(&out) {
            let nfc: String = out.nfc().collect();
            if nfc != out {
                counts.nfc = 1;
                out = nfc;
            }
        }
        cx.count("nfc_docs", counts.nfc);
        cx.count("line_endings", counts.line_endings);
        cx.count("control_chars", counts.control);
        cx.count("zero_width_chars", counts.zero_width);
        cx.count("unicode_spaces", counts.unicode_spaces);
        cx.count("spaces_removed", counts.spaces_removed);
        cx.count("blank_lines", counts.blank_lines);
        out
    }

    /// Appends `raw` to `out` cleaned. Unchanged stretches are copied as slices and only the
    /// characters that change are handled one by one: most lines of real text change nowhere,
    /// and this keeps the normalizer near memcpy speed on them.
    fn clean_line(&self, raw: &str, out: &mut String, line_start: usize, counts: &mut Counts) {
        let c = &self.cfg;
        let bytes = raw.as_bytes();
        // Start as if after a space, so that collapsing also drops leading spaces.
        let mut after_space = true;
        let mut copied_to = 0;
        let mut i = 0;
        while i < bytes.len() {
            // Thirty-two, then eight printable ASCII bytes that collapsing leaves alone are
            // skipped at once.
            if skips_chunk(bytes, i, after_space, c.collapse_spaces) {
                after_space = bytes[i + CHUNK - 1] == b' ';
                i += CHUNK;
                continue;
            }
            if let Some(chunk) = bytes.get(i..i + 8) {
                let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
                if let Some(spaces) = printable_word(word)
                    && (!c.collapse_spaces
                        || (spaces & (spaces << 8) == 0 && !(after_space && spaces & 0x80 != 0)))
                {
                    after_space = chunk[7] == b' ';
                    i += 8;
                    continue;
                }
            }
            let b = bytes[i];
            if (0x21..0x7f).contains(&b) {
                after_space = false;
                i += 1;
                continue;
            }
            // A single space between words, the next most common byte, also stays as it is.
            if b == b' ' && !(after_space && c.collapse_spaces) {
                after_space = true;
                i += 1;
                continue;
            }
            let ch = raw[i..].chars().next().expect("i is on a char boundary");
            let len = ch.len_utf8();
            let action = match ch {
                ' ' | '\t' if c.collapse_spaces => Action::Space,
                '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' if c.zero_width => {
                    counts.zero_width += 1;
                    Action::Drop
                }
                '\u{200C}' | '\u{200D}' if c.joiners => {
                    counts.zero_width += 1;
                    Action::Drop
                }
                '\t' => Action::Keep,
                ch if ch.is_control() && c.control_chars => {
                    counts.control += 1;
                    Action::Drop
                }
                '\u{00A0}'
                | '\u{1680}'
                | '\u{2000}'..='\u{200A}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                    if c.unicode_spaces =>
                {
                    counts.unicode_spaces += 1;
                    if c.collapse_spaces {
                        Action::Space
                    } else {
                        Action::Replace(' ')
                    }
                }
                _ => Action::Keep,
            };
            let replacement = match action {
                Action::Keep => {
                    after_space = false;
                    i += len;
                    continue;
                }
                Action::Space if after_space => {
                    counts.spaces_removed += u64::from(ch == ' ' || ch == '\t');
                    None
                }
                Action::Space => {
                    after_space = true;
                    if ch == ' ' {
                        i += len;
                        continue;
                    }
                    Some(' ')
                }
                Action::Replace(r) => Some(r),
                Action::Drop => None,
            };
            out.push_str(&raw[copied_to..i]);
            if let Some(r) = replacement {
                out.push(r);
            }
            i += len;
            copied_to = i;
        }
        out.push_str(&raw[copied_to..]);
        if c.collapse_spaces {
            let trimmed = line_start + out[line_start..].trim_end_matches(' ').len();
            counts.spaces_removed += (out.len() - trimmed) as u64;
            out.truncate(trimmed);
        }
    }
}

/// For eight bytes read little-endian (first byte lowest): `None` when any is outside printable
/// ASCII plus space (below 0x20, DEL, or non-ASCII), else a mask with the high bit of each space
/// byte set. A word-at-a-time (SWAR) test: the normalizer's loops take most text eight bytes per
/// step this way, where a byte-by-byte loop cost several cycles per byte.
#[inline]
fn printable_word(word: u64) -> Option<u64> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    // High bit of every zero byte of `v`, exactly (no borrow crosses bytes).
    let zero_bytes = |v: u64| !(((v & LOW7) + LOW7) | v | LOW7);
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    if below_space | (word & HIGH) | zero_bytes(word ^ (ONES * 0x7f)) != 0 {
        return None;
    }
    Some(zero_bytes(word ^ (ONES * u64::from(b' '))))
}

/// Bytes the normalizer's fast loops test per step with [`scan_chunk`].
const CHUNK: usize = 32;

/// Whether the [`CHUNK`] bytes at `bytes[i..]` (and one more byte after them exist) are printable
/// ASCII that space collapsing (when `collapse` is on) leaves alone, given whether a space or a
/// line start comes just before them: the normalizer's loops skip such a chunk in one step.
#[inline(always)]
fn skips_chunk(bytes: &[u8], i: usize, after_space: bool, collapse: bool) -> bool {
    let Some(window) = bytes.get(i..=i + CHUNK) else {
        return false;
    };
    let window: &[u8; CHUNK + 1] = window.try_into().expect("CHUNK + 1 bytes");
    let (printable, double_space) = scan_chunk(window);
    printable && !(collapse && (double_space || (after_space && window[0] == b' ')))
}

/// For the [`CHUNK`] bytes at the start of `window` (which holds one byte more): whether every
/// one is printable ASCII or a space, and whether any is a space followed by a space (the pair
/// may end on the extra byte, which only makes the caller more careful).
///
/// Written as element-wise operations on two overlapping fixed-size arrays, which the compiler
/// turns into a few vector compares for the whole chunk; the eight-byte word tests below take
/// several times as many instructions per byte.
#[inline(always)]
fn scan_chunk(window: &[u8; CHUNK + 1]) -> (bool, bool) {
    let here: &[u8; CHUNK] = window[..CHUNK].try_into().expect("CHUNK bytes");
    let next: &[u8; CHUNK] = window[1..].try_into().expect("CHUNK bytes");
    let mut other = 0u8;
    let mut double_space = 0u8;
    for (&a, &b) in here.iter().zip(next) {
        other |= u8::from(a < 0x20) | u8::from(a > 0x7e);
        double_space |= u8::from(a == b' ') & u8::from(b == b' ');
    }
    (other == 0, double_space != 0)
}

/// Byte classes for [`TextNormalizer::is_unchanged`].
const PLAIN: u8 = 0;
const SPACE: u8 = 1;
const NEWLINE: u8 = 2;
/// First byte of a multi-byte UTF-8 character.
const LEAD: u8 = 3;
/// Anything the fast check leaves to the full normalizer: tab, `\r`, other controls, DEL.
const OTHER: u8 = 4;

/// Class of every byte value: printable ASCII and UTF-8 continuation bytes are plain (a
/// continuation byte is only ever reached by skipping over its character, never on its own).
const BYTE_CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = match b as u8 {
            b' ' => SPACE,
            b'\n' => NEWLINE,
            0x00..=0x1f | 0x7f => OTHER,
            0xc0..=0xff => LEAD,
            _ => PLAIN,
        };
        b += 1;
    }
    t
};

/// What the normalizer does with one character.
enum Action {
    Keep,
    Drop,
    /// A space (or a character that becomes one) subject to collapsing.
    Space,
    Replace(char),
}

#[derive(Default)]
struct Counts {
    nfc: u64,
    line_endings: u64,
    control: u64,
    zero_width: u64,
    unicode_spaces: u64,
    spaces_removed: u64,
    blank_lines: u64,
}

/// True when `text` is certainly in NFC without looking at most of it. Every character below
/// U+0300 is NFC-stable with combining class 0, and those are exactly the UTF-8 sequences whose
/// lead byte is below 0xCC; the quick check then only needs the characters at or above U+0300.
/// Leaving out class-0 characters can only make the check stricter (never a false "yes"), and a
/// "maybe" or "no" falls back to full normalization, so the answer stays exact.
fn surely_nfc(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    // Only characters at or above U+0300 are looked at, found by their lead byte; ASCII is
    // skipped eight bytes at a time (a lone U+FFFD in a long article used to cost a char-by-char
    // walk of the rest of it).
    let rare = std::iter::from_fn(|| {
        while i < bytes.len() {
            if let Some(chunk) = bytes.get(i..i + CHUNK)
                && chunk.iter().fold(0, |acc, &b| acc | b) < 0x80
            {
                i += CHUNK;
                continue;
            }
            if let Some(chunk) = bytes.get(i..i + 8)
                && u64::from_le_bytes(chunk.try_into().expect("eight bytes"))
                    & 0x8080_8080_8080_8080
                    == 0
            {
                i += 8;
                continue;
            }
            if bytes[i] >= 0xCC {
                let ch = text[i..].chars().next()?;
                i += ch.len_utf8();
                return Some(ch);
            }
            i += 1;
        }
        None
    });
    is_nfc_quick(rare) == IsNormalized::Yes
}

/// Splits on `\n`, `\r\n` and lone `\r` (when `fix` is on), counting the non-`\n` endings.
fn split_lines<'a>(
    s: &'a str,
    fix: bool,
    fixed: &'a mut u64,
) -> impl Iterator<Item = &'a str> + 'a {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        let cut = if fix {
            memchr::memchr2(b'\n', b'\r', r.as_bytes())
        } else {
            memchr::memchr(b'\n', r.as_bytes())
        };
        match cut {
            None => {
                rest = None;
                Some(r)
            }
            Some(i) => {
                let line = &r[..i];
                let b = r.as_bytes();
                let skip = if b[i] == b'\r' {
                    *fixed += 1;
                    if b.get(i + 1) == Some(&b'\n') { 2 } else { 1 }
                } else {
                    1
                };
                rest = Some(&r[i + skip..]);
                Some(line)
            }
        }
    })
}

impl Stage for TextNormalizer {
    fn kind(&self) -> &'static str {
        "normalize"
    }

    fn process(&self, doc: &mut Document, cx: &mut StageContext) -> Verdict {
        // The check alone decides for most documents, which then cost no allocation at all.
        if !self.is_unchanged(&doc.text) {
            let out = self.normalize_slow(&doc.text, cx);
            if out != doc.text {
                doc.text = out;
            }
        }
        Verdict::Keep
    }
}

#[cfg(test)]
#[path = "normalize_tests.rs"]
mod tests;
