//! Whitespace helpers with the exact results of `str::split_whitespace`, `str::trim` and
//! [`char::is_whitespace`] counts, working bytewise on ASCII (most page text) and decoding only
//! non-ASCII characters: the standard versions decode every character, and splitting, trimming
//! and counting text that way was ~10% of extraction time (perf, WCXB dev).
//! Also the one ASCII-case-insensitive substring test the extractor's name and label checks
//! share ([`contains_ignore_ascii_case`]), and the lines of a text that the text clean-up rules
//! decide on ([`Lines`], [`edit_lines`]).

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

/// The lines of a text (split at `\n`, each as written) and which of them are still kept: what
/// the clean-up rules that decide by a line's position (an article's first or last lines) or by
/// the lines before it work on, so that a chain of them splits the text once and joins it once
/// ([`edit_lines`]) instead of each rule splitting and joining the text the one before left.
///
/// A rule sees the kept lines only, numbered from 0, exactly as it would see the lines of the
/// text the rules before it left: dropping lines and joining the rest by `\n` then splitting at
/// `\n` again gives the same lines back. (One edge: once every line is dropped, a later rule
/// sees no line here where the empty text would split into one empty line; keeping or dropping
/// that line, the text is empty either way.)
pub struct Lines<'a> {
    lines: Vec<&'a str>,
    kept: Vec<bool>,
    /// How many of `kept` hold, and their bytes: the length of the text the kept lines make.
    kept_count: usize,
    kept_bytes: usize,
}

impl<'a> Lines<'a> {
    /// The lines of `text`, all kept.
    pub fn new(text: &'a str) -> Self {
        let lines: Vec<&str> = text.split('\n').collect();
        Lines {
            kept: vec![true; lines.len()],
            kept_count: lines.len(),
            kept_bytes: text.len() + 1 - lines.len(),
            lines,
        }
    }

    /// How many lines are kept.
    pub fn len(&self) -> usize {
        self.kept_count
    }

    /// Whether every line was dropped.
    pub fn is_empty(&self) -> bool {
        self.kept_count == 0
    }

    /// Length in bytes of the text the kept lines make (joined by `\n`).
    pub fn text_len(&self) -> usize {
        self.kept_bytes + self.kept_count.saturating_sub(1)
    }

    /// The kept lines in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.lines
            .iter()
            .zip(&self.kept)
            .filter(|(_, kept)| **kept)
            .map(|(line, _)| *line)
    }

    /// Calls `keep(i, line)` on each kept line in order and drops those it returns false for;
    /// `i` is the line's position among the lines kept when the call began (what it was in the
    /// text the earlier rules left), so a rule's drops do not move the lines after them.
    pub fn retain(&mut self, mut keep: impl FnMut(usize, &'a str) -> bool) {
        let mut i = 0;
        for (line, kept) in self.lines.iter().zip(&mut self.kept) {
            if !*kept {
                continue;
            }
            if !keep(i, line) {
                *kept = false;
                self.kept_count -= 1;
                self.kept_bytes -= line.len();
            }
            i += 1;
        }
    }

    /// The kept lines joined by `\n`, or `None` when every line is kept (the text is unchanged).
    pub fn changed_text(&self) -> Option<String> {
        if self.kept_count == self.lines.len() {
            return None;
        }
        let mut out = String::with_capacity(self.text_len());
        for (i, line) in self.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(line);
        }
        Some(out)
    }
}

/// Splits `text` into [`Lines`], lets `rules` drop some, and writes the kept lines back, joined
/// by `\n`, when any went; `text` is left untouched, and nothing but the line list is
/// allocated, when none did.
pub fn edit_lines(text: &mut String, rules: impl FnOnce(&mut Lines<'_>)) {
    let mut lines = Lines::new(text);
    rules(&mut lines);
    if let Some(kept) = lines.changed_text() {
        *text = kept;
    }
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

    /// Drops the last line: a rule by position, which must see the lines the rules before it
    /// kept, renumbered.
    fn drop_last(lines: &mut Lines<'_>) {
        let n = lines.len();
        lines.retain(|i, _| i + 1 < n);
    }

    #[test]
    fn lines_number_what_earlier_rules_kept() {
        for text in ["a\nbb\n\nccc\nd", "", "\n", "one", "\nx\n"] {
            // The same rules on the text each one leaves, split and joined every time.
            let mut expected = text.to_string();
            for _ in 0..2 {
                let mut lines: Vec<&str> = expected.split('\n').collect();
                lines.pop();
                expected = lines.join("\n");
            }
            let mut lines = Lines::new(text);
            assert_eq!(lines.text_len(), text.len(), "{text:?}");
            drop_last(&mut lines);
            drop_last(&mut lines);
            let mut edited = text.to_string();
            edit_lines(&mut edited, |l| {
                drop_last(l);
                drop_last(l);
            });
            assert_eq!(edited, expected, "{text:?}");
            assert_eq!(lines.text_len(), expected.len(), "{text:?}");
            assert_eq!(lines.iter().collect::<Vec<_>>().join("\n"), expected);
        }
        // Nothing dropped: no new text.
        let mut lines = Lines::new("a\nb");
        lines.retain(|_, l| !l.is_empty());
        assert_eq!(lines.changed_text(), None);
    }

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
