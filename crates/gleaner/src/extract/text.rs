//! Whitespace helpers with the exact results of `str::split_whitespace`, `str::trim` and
//! [`char::is_whitespace`] counts, working bytewise on ASCII (most page text) and decoding only
//! non-ASCII characters: the standard versions decode every character, and splitting, trimming
//! and counting text that way was ~10% of extraction time (perf, WCXB dev).
//! Also the one ASCII-case-insensitive substring test the extractor's name and label checks
//! share ([`contains_ignore_ascii_case`]), and the one line filter the text clean-up rules share
//! ([`retain_lines`]).

/// The ASCII characters of [`char::is_whitespace`]: tab, LF, VT, FF, CR and space.
fn is_ascii_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t'..=b'\r')
}

/// Whether the non-ASCII character starting at byte `i` of `s` (a character boundary) is
/// whitespace, and its length in bytes.
#[cold]
fn non_ascii_blank_at(s: &str, i: usize) -> (bool, usize) {
    match s.get(i..).and_then(|rest| rest.chars().next()) {
        Some(c) => (c.is_whitespace(), c.len_utf8()),
        None => (false, 1),
    }
}

/// The words of `s`: `s.split_whitespace()`, item for item (~25% faster on page text).
pub fn words(s: &str) -> Words<'_> {
    Words { s, pos: 0 }
}

/// Iterator of [`words`].
pub struct Words<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Words<'a> {
    /// Index of the first character at or after `i` whose whitespace-ness is `blank`.
    #[inline]
    fn end_of_run(&self, mut i: usize, blank: bool) -> usize {
        let b = self.s.as_bytes();
        while i < b.len() {
            let c = b[i];
            if c < 0x80 {
                if is_ascii_blank(c) != blank {
                    break;
                }
                i += 1;
            } else {
                let (is_blank, len) = non_ascii_blank_at(self.s, i);
                if is_blank != blank {
                    break;
                }
                i += len;
            }
        }
        i
    }
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let start = self.end_of_run(self.pos, true);
        if start >= self.s.len() {
            self.pos = start;
            return None;
        }
        self.pos = self.end_of_run(start, false);
        self.s.get(start..self.pos)
    }
}

/// The words of `s` in runs already spaced as [`words`] joined by single spaces would be (words
/// apart by one ASCII space): `spaced_runs(s)` joined by spaces is `words(s)` joined by spaces.
/// The serialiser appends a run at a time: appending word by word, a copy call for a few bytes
/// each, made serialize (its phrase tests aside) ~50M instructions dearer on every third WCXB
/// dev page (callgrind, 1.5% of extraction).
pub fn spaced_runs(s: &str) -> SpacedRuns<'_> {
    SpacedRuns { words: words(s) }
}

/// Iterator of [`spaced_runs`].
pub struct SpacedRuns<'a> {
    words: Words<'a>,
}

impl<'a> Iterator for SpacedRuns<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let w = &mut self.words;
        let b = w.s.as_bytes();
        let start = w.end_of_run(w.pos, true);
        if start >= b.len() {
            w.pos = start;
            return None;
        }
        let mut end = w.end_of_run(start, false);
        // One space, then a word: the run goes on.
        while end + 1 < b.len() && b[end] == b' ' && w.end_of_run(end + 1, true) == end + 1 {
            end = w.end_of_run(end + 1, false);
        }
        w.pos = end;
        w.s.get(start..end)
    }
}

/// `s.trim()`, ASCII blanks stripped bytewise first.
pub fn trim(s: &str) -> &str {
    // Text that starts and ends with a visible ASCII character (a word, most text that is not
    // blanks between tags) is already trimmed: no block tests (callgrind, every third WCXB dev
    // page: trim 74.2M -> 63.4M instructions, most of it for the page-type features).
    let visible = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x80);
    if visible(s.as_bytes().first()) && visible(s.as_bytes().last()) {
        return s;
    }
    // Whole 16-byte blocks of ASCII blanks first, tested branch-free (whitespace-only runs between
    // tags are common, and `trim_ascii` steps through them a byte at a time).
    let blank_block = |b: &[u8]| b.iter().fold(true, |all, &c| all & is_ascii_blank(c));
    let b = s.as_bytes();
    let mut start = 0;
    while start + 16 <= b.len() && blank_block(&b[start..start + 16]) {
        start += 16;
    }
    let mut end = b.len();
    while end >= start + 16 && blank_block(&b[end - 16..end]) {
        end -= 16;
    }
    let t = s.get(start..end).unwrap_or(s).trim_ascii();
    // A non-ASCII character or a vertical tab (not ASCII whitespace to `trim_ascii`) at either
    // end may still be whitespace to `str::trim`.
    let maybe_more = |b: Option<&u8>| b.is_some_and(|&b| b >= 0x80 || b == 0x0b);
    if maybe_more(t.as_bytes().first()) || maybe_more(t.as_bytes().last()) {
        t.trim()
    } else {
        t
    }
}

/// Characters of `s` that are not [`char::is_whitespace`], and of those the commas (Latin, CJK
/// and Arabic). Bytes are counted in chunks of 255 into byte-wide counters, which the compiler
/// vectorises (4–6 times faster than a count into word-wide counters); only the non-ASCII
/// characters, if any, are decoded, to test them for whitespace (NBSP, ideographic space) and
/// CJK or Arabic commas. Counting char by char was ~5% of extraction time (perf, WCXB dev).
pub fn visible_chars_and_commas(s: &str) -> (usize, usize) {
    let bytes = s.as_bytes();
    let (mut blanks, mut commas) = (0usize, 0usize);
    let (mut continuation, mut non_ascii) = (0usize, 0usize);
    for chunk in bytes.chunks(255) {
        let (mut b, mut c, mut k, mut h) = (0u8, 0u8, 0u8, 0u8);
        for &byte in chunk {
            b += u8::from(is_ascii_blank(byte));
            c += u8::from(byte == b',');
            k += u8::from(byte & 0xc0 == 0x80);
            h += u8::from(byte >= 0x80);
        }
        blanks += usize::from(b);
        commas += usize::from(c);
        continuation += usize::from(k);
        non_ascii += usize::from(h);
    }
    // Characters = bytes that start one.
    let mut visible = bytes.len() - continuation - blanks;
    if non_ascii > 0 {
        for (i, &byte) in bytes.iter().enumerate() {
            if byte < 0xc0 {
                continue;
            }
            match s.get(i..).and_then(|rest| rest.chars().next()) {
                Some(ch) if ch.is_whitespace() => visible -= 1,
                Some('，' | '、' | '،') => commas += 1,
                _ => {}
            }
        }
    }
    (visible, commas)
}

/// Whether `needle` occurs in `haystack`, ASCII case ignored, without a lower-cased copy.
pub fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    haystack.len() >= needle.len()
        && haystack
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Keeps the lines of `text` (split at `\n`, each passed as written) for which `keep` holds,
/// joined by `\n` again; `text` is left untouched, and nothing is allocated, when every line is
/// kept, which is the common case for the clean-up rules that use it.
pub fn retain_lines(text: &mut String, keep: impl Fn(&str) -> bool) {
    if let Some(kept) = kept_lines(text, keep) {
        *text = kept;
    }
}

/// [`retain_lines`] for a `text` borrowed elsewhere: the kept lines, or `None` when every line
/// is kept.
pub fn kept_lines(text: &str, keep: impl Fn(&str) -> bool) -> Option<String> {
    if text.split('\n').all(&keep) {
        return None;
    }
    Some(
        text.split('\n')
            .filter(|l| keep(l))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text with ASCII and Unicode whitespace (NBSP, ideographic space, NEL, VT) and non-ASCII
    /// letters, at the ends and between words.
    const SAMPLES: &[&str] = &[
        "",
        " ",
        "a",
        "  two  words ",
        "\u{a0}nbsp\u{a0}joined\u{a0}",
        "\x0bvt\x0b\x0c\r\n\tend\x0b",
        "日本語\u{3000}テキスト、です，ok",
        "\u{85}nel\u{2009}thin\u{200b}zwsp",
        "é è\u{a0}\u{a0}ü",
        "trailing é",
        "one two  three \u{a0}four five\tsix seven ",
        "a b",
        "a  b c",
    ];

    #[test]
    fn helpers_agree_with_the_standard_library() {
        for s in SAMPLES {
            assert_eq!(
                words(s).collect::<Vec<_>>(),
                s.split_whitespace().collect::<Vec<_>>(),
                "{s:?}"
            );
            assert_eq!(trim(s), s.trim(), "{s:?}");
            assert_eq!(
                spaced_runs(s).collect::<Vec<_>>().join(" "),
                s.split_whitespace().collect::<Vec<_>>().join(" "),
                "{s:?}"
            );
            let visible = s.chars().filter(|c| !c.is_whitespace()).count();
            let commas = s
                .chars()
                .filter(|c| matches!(c, ',' | '，' | '、' | '،'))
                .count();
            assert_eq!(visible_chars_and_commas(s), (visible, commas), "{s:?}");
        }
    }
}
