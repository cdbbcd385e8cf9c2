//! Character classes and Python `str` semantics that the published filters depend on.
//!
//! datatrove's filters are Python: they split lines with `str.splitlines()`, words with
//! `str.split()`, trim with `str.strip()`, test letters with `str.isalpha()` and measure lengths in
//! code points. Rust's own notions differ at the edges (`char::is_whitespace` misses `\x1c`–`\x1f`,
//! `char::is_alphabetic` accepts combining marks), and at the edges is where keep/drop decisions
//! flip. This module reproduces the Python behaviour from tables generated from Python itself
//! (see `tools/gen_spacy_en_tables.py`).

use std::cmp::Ordering;

use super::tables;

/// A set of characters: a bitmask for ASCII and sorted inclusive ranges for the rest.
pub(crate) struct CharClass {
    ascii: u128,
    ranges: &'static [(u32, u32)],
}

impl CharClass {
    /// Builds the class from generated ranges (at compile time).
    pub(crate) const fn new(ranges: &'static [(u32, u32)]) -> Self {
        let mut ascii = 0u128;
        let mut i = 0;
        while i < ranges.len() {
            let (lo, hi) = ranges[i];
            let mut c = lo;
            while c <= hi && c < 128 {
                ascii |= 1u128 << c;
                c += 1;
            }
            i += 1;
        }
        CharClass { ascii, ranges }
    }

    /// Whether `c` is in the class.
    #[inline]
    pub(crate) fn contains(&self, c: char) -> bool {
        let u = c as u32;
        if u < 128 {
            return (self.ascii >> u) & 1 == 1;
        }
        self.ranges
            .binary_search_by(|&(lo, hi)| {
                if hi < u {
                    Ordering::Less
                } else if lo > u {
                    Ordering::Greater
                } else {
                    Ordering::Equal
                }
            })
            .is_ok()
    }
}

pub(crate) static PY_SPACE: CharClass = CharClass::new(tables::PY_SPACE);
pub(crate) static PY_ALPHA: CharClass = CharClass::new(tables::PY_ALPHA);
pub(crate) static PY_DECIMAL: CharClass = CharClass::new(tables::PY_DECIMAL);
pub(crate) static UNICODE_PUNCT: CharClass = CharClass::new(tables::UNICODE_PUNCT);
pub(crate) static DT_PUNCTUATION: CharClass = CharClass::new(tables::DT_PUNCTUATION);
pub(crate) static DT_TERMINAL_PUNCTUATION: CharClass =
    CharClass::new(tables::DT_TERMINAL_PUNCTUATION);

/// Python `str.isspace()` for one character.
#[inline]
pub fn is_py_space(c: char) -> bool {
    PY_SPACE.contains(c)
}

/// Python `str.isalpha()` for one character.
#[inline]
pub fn is_py_alpha(c: char) -> bool {
    PY_ALPHA.contains(c)
}

/// Whether `c` is in datatrove's `PUNCTUATION_SET` (punctuation, symbols and control characters).
#[inline]
pub fn is_datatrove_punctuation(c: char) -> bool {
    DT_PUNCTUATION.contains(c)
}

/// Whether `c` is in datatrove's `TERMINAL_PUNCTUATION` (sentence-ending marks of many scripts).
#[inline]
pub fn is_terminal_punctuation(c: char) -> bool {
    DT_TERMINAL_PUNCTUATION.contains(c)
}

/// Python `str.strip()`: trims `isspace` characters from both ends.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// Python `str.lstrip()`.
pub fn py_lstrip(s: &str) -> &str {
    s.trim_start_matches(is_py_space)
}

/// Python `str.rstrip()`.
pub fn py_rstrip(s: &str) -> &str {
    s.trim_end_matches(is_py_space)
}

/// Python `str.split()` without arguments: runs of `isspace` characters separate words.
pub fn py_split_whitespace(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_py_space).filter(|w| !w.is_empty())
}

/// Number of code points: Python's `len(str)`.
#[inline]
pub fn py_len(s: &str) -> usize {
    // Counting non-continuation bytes is what `chars().count()` does, minus the decoding.
    s.as_bytes().iter().filter(|&&b| (b as i8) >= -0x40).count()
}

/// Whether `c` ends a line for Python's `str.splitlines()`.
#[inline]
fn is_py_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\x0b'
            | '\x0c'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Python `str.splitlines()`: splits on every Unicode line boundary (`\r\n` counts once) and
/// drops the final empty piece after a trailing break.
pub fn py_splitlines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if is_py_line_break(c) {
            out.push(&s[start..i]);
            let mut end = i + c.len_utf8();
            if c == '\r'
                && let Some(&(_, '\n')) = iter.peek()
            {
                iter.next();
                end += 1;
            }
            start = end;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Python `s.lower()` (the full Unicode mapping), computed once so that several substring tests
/// share it; borrowed when `s` is ASCII without capitals, the common case, which needs no copy.
pub fn py_lower(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.is_ascii() {
        std::borrow::Cow::Owned(s.to_lowercase())
    } else if s.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(s.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_whitespace_includes_separators_rust_skips() {
        // '\x1c'..'\x1f' are whitespace to Python (and so to spaCy and str.split), not to Rust.
        assert!(is_py_space('\x1c') && !'\x1c'.is_whitespace());
        assert!(is_py_space('\u{a0}') && is_py_space('\u{3000}'));
        assert!(!is_py_space('\u{200b}'));
        assert_eq!(
            py_split_whitespace("a\x1fb\u{a0}c  d").collect::<Vec<_>>(),
            ["a", "b", "c", "d"]
        );
    }

    #[test]
    fn python_isalpha_rejects_marks_and_letter_numbers() {
        assert!(is_py_alpha('é') && is_py_alpha('ß') && is_py_alpha('中'));
        // U+0301 COMBINING ACUTE is Alphabetic to Rust? No, but U+0345 is; Python says no.
        assert!('\u{345}'.is_alphabetic() && !is_py_alpha('\u{345}'));
        // Roman numeral Ⅻ is Nl: alphabetic to Rust, not isalpha to Python.
        assert!('Ⅻ'.is_alphabetic() && !is_py_alpha('Ⅻ'));
    }

    #[test]
    fn splitlines_matches_python() {
        assert_eq!(
            py_splitlines("a\r\nb\rc\n\nd\x0c"),
            ["a", "b", "c", "", "d"]
        );
        assert_eq!(py_splitlines("x\u{2028}y\u{85}"), ["x", "y"]);
        assert!(py_splitlines("").is_empty());
        assert_eq!(py_splitlines("\n"), [""]);
    }

    #[test]
    fn lengths_are_code_points() {
        assert_eq!(py_len("naïve — ok"), 10);
        assert_eq!(py_len("𝄞"), 1);
    }

    #[test]
    fn py_lower_handles_unicode_case() {
        assert!(py_lower("Enable JavaScript now").contains("javascript"));
        // KELVIN SIGN lower-cases to 'k' in Python.
        assert!(py_lower("uses coo\u{212a}ies").contains("uses cookies"));
        assert!(!py_lower("Java Script").contains("javascript"));
        assert!(matches!(
            py_lower("no capitals"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
