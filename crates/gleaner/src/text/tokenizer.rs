//! English word tokenization and sentence counting that reproduce spaCy 3.8's blank English
//! pipeline (`spacy.blank("en")` + `sentencizer`), which is what datatrove 0.10.1's
//! `split_into_words` and `split_into_sentences` call for English.
//!
//! Why hand-written: the published filters' thresholds are ratios over spaCy's token counts, so a
//! generic Unicode word segmenter (e.g. `unicode-segmentation`) changes decisions near every
//! threshold: it splits "don't" differently, keeps "U.S." together only sometimes, and has no idea
//! of spaCy's exception table ("cannot" → "can" "not", ":)" stays whole). No crate implements
//! spaCy's rules, and calling Python would give up the speed that is the point of gleaner.
//!
//! The algorithm follows `spacy/tokenizer.pyx` step by step:
//! 1. split on whitespace: runs of `isspace` characters become tokens of their own, except one
//!    plain space after a word, which is dropped;
//! 2. for each non-space chunk: an exception (`SPECIALS`) wins outright; otherwise strip prefixes and
//!    suffixes repeatedly (stopping early when what is left is an exception), then split the core on
//!    infixes unless it is a URL;
//! 3. re-apply exceptions whose text the affix rules had cut up (spaCy's `_special_matcher`).
//!
//! The affix regexes are encoded as code over generated character classes (`tables.rs`) with the
//! same semantics as Python's `re`: leftmost match, alternatives in order, lookbehind seeing the
//! whole string being searched. That is several times faster than a regex engine with lookaround.

use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use super::chars::{CharClass, PY_SPACE, UNICODE_PUNCT};
use super::tables;

static SP_ICONS: CharClass = CharClass::new(tables::SP_ICONS);
static SP_PREFIX_CHARS: CharClass = CharClass::new(tables::SP_PREFIX_CHARS);
static SP_SUFFIX_CHARS: CharClass = CharClass::new(tables::SP_SUFFIX_CHARS);
static SP_SUFFIX_DOT_AFTER: CharClass = CharClass::new(tables::SP_SUFFIX_DOT_AFTER);
static SP_ALPHA_UPPER: CharClass = CharClass::new(tables::SP_ALPHA_UPPER);
static SP_INFIX_DOT_BEFORE: CharClass = CharClass::new(tables::SP_INFIX_DOT_BEFORE);
static SP_INFIX_DOT_AFTER: CharClass = CharClass::new(tables::SP_INFIX_DOT_AFTER);
static SP_ALPHA: CharClass = CharClass::new(tables::SP_ALPHA);
static SENT_PUNCT_CHARS: CharClass = CharClass::new(tables::SENT_PUNCT_CHARS);

/// Exceptions and the matcher index, built once per process.
struct Exceptions {
    specials: FxHashMap<&'static str, &'static [&'static str]>,
    /// (byte length, first byte) pairs of exception texts: most chunks are not exceptions, and
    /// this rejects them without hashing.
    special_shapes: ShapeSet,
    /// The same for the first tokens of matcher patterns.
    pattern_shapes: ShapeSet,
    /// Matcher patterns grouped by their first token.
    patterns_by_first: FxHashMap<&'static str, Vec<&'static [&'static str]>>,
}

/// A bitset over (byte length, first byte): a one-sided pre-filter for string sets.
struct ShapeSet([u64; 4 * 33]);

impl ShapeSet {
    fn new<'a>(items: impl IntoIterator<Item = &'a str>) -> Self {
        let mut set = ShapeSet([0; 4 * 33]);
        for s in items {
            let i = Self::index(s);
            set.0[i / 64] |= 1 << (i % 64);
        }
        set
    }

    #[inline]
    fn index(s: &str) -> usize {
        s.len().min(32) * 256 + s.as_bytes().first().copied().unwrap_or(0) as usize
    }

    #[inline]
    fn may_contain(&self, s: &str) -> bool {
        let i = Self::index(s);
        (self.0[i / 64] >> (i % 64)) & 1 == 1
    }
}

impl Exceptions {
    #[inline]
    fn special(&self, s: &str) -> Option<&'static [&'static str]> {
        if !self.special_shapes.may_contain(s) {
            return None;
        }
        self.specials.get(s).copied()
    }

    #[inline]
    fn is_special(&self, s: &str) -> bool {
        self.special(s).is_some()
    }
}

static EXCEPTIONS: LazyLock<Exceptions> = LazyLock::new(|| {
    let specials = tables::SPECIALS.iter().copied().collect();
    let mut patterns_by_first: FxHashMap<&'static str, Vec<&'static [&'static str]>> =
        FxHashMap::default();
    for &(_, pattern) in tables::MATCHER_PATTERNS {
        if let Some(first) = pattern.first() {
            patterns_by_first.entry(first).or_default().push(pattern);
        }
    }
    Exceptions {
        specials,
        special_shapes: ShapeSet::new(tables::SPECIALS.iter().map(|(k, _)| *k)),
        pattern_shapes: ShapeSet::new(patterns_by_first.keys().copied()),
        patterns_by_first,
    }
});

/// spaCy's URL_MATCH, as three linear-time regexes: the pattern with its IP branch captured, the
/// pattern without the IP branch, and the private/reserved ranges its lookaheads exclude. It is
/// only consulted for chunks that infixes would split, which keeps it off the hot path.
struct UrlMatcher {
    full: regex::Regex,
    domain: regex::Regex,
    excluded_ip: regex::Regex,
}

static URL_MATCH: LazyLock<Option<UrlMatcher>> = LazyLock::new(|| {
    Some(UrlMatcher {
        full: regex::Regex::new(tables::URL_PATTERN).ok()?,
        domain: regex::Regex::new(tables::URL_DOMAIN_PATTERN).ok()?,
        // spaCy URL_PATTERN's lookaheads: (?!(?:10|127)(?:\.\d{1,3}){3}),
        // (?!(?:169\.254|192\.168)(?:\.\d{1,3}){2}), (?!172\.(?:1[6-9]|2\d|3[0-1])(?:\.\d{1,3}){2})
        excluded_ip: regex::Regex::new(
            r"^(?:(?:10|127)(?:\.\d{1,3}){3}|(?:169\.254|192\.168)(?:\.\d{1,3}){2}|172\.(?:1[6-9]|2\d|3[0-1])(?:\.\d{1,3}){2})",
        )
        .ok()?,
    })
});

/// One token: a byte range of the tokenized text, and whether it is a whitespace token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Start byte offset.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
    /// A token made of whitespace (spaCy keeps these; datatrove's word lists drop them).
    pub is_space: bool,
}

/// Tokenizes `text` the way `spacy.blank("en")` does, whitespace tokens included.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::with_capacity(text.len() / 5 + 1);
    tokenize_into(text, &mut out);
    out
}

/// [`tokenize`] into a reusable buffer (cleared first).
pub fn tokenize_into(text: &str, out: &mut Vec<Token>) {
    out.clear();
    let ex = &*EXCEPTIONS;
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return;
    }
    let mut scratch = Scratch::default();
    let mut in_ws = space_at(text, 0).0;
    let mut start = 0;
    let mut i = 0;
    // One pass over the characters, ASCII without decoding. `letters` tracks whether the current
    // non-space chunk is ASCII letters only (the common case, which needs no affix rules).
    let mut letters = true;
    while i < bytes.len() {
        let (is_space, len) = space_at(text, i);
        if is_space != in_ws {
            if start < i {
                chunk(ex, text, start, i, in_ws, letters, out, &mut scratch);
            }
            // A single plain space after a chunk is the chunk's trailing space, not a token.
            start = if bytes[i] == b' ' { i + 1 } else { i };
            in_ws = !in_ws;
            letters = true;
        }
        if !is_space {
            letters &= bytes[i].is_ascii_alphabetic();
        }
        i += len;
    }
    if start < bytes.len() {
        chunk(
            ex,
            text,
            start,
            bytes.len(),
            in_ws,
            letters,
            out,
            &mut scratch,
        );
    }
}

/// Whether the character at byte `i` is Python whitespace, and its byte length.
#[inline(always)]
fn space_at(text: &str, i: usize) -> (bool, usize) {
    let b = text.as_bytes()[i];
    if b < 0x80 {
        // ASCII whitespace for Python: \t \n \v \f \r, \x1c-\x1f, space.
        (matches!(b, 9..=13 | 28..=32), 1)
    } else {
        let c = text[i..].chars().next().unwrap_or(' ');
        (PY_SPACE.contains(c), c.len_utf8())
    }
}

/// The words datatrove's `split_into_words` returns for English: spaCy tokens, stripped, empty
/// ones dropped (so whitespace tokens vanish).
pub fn split_into_words(text: &str) -> Vec<&str> {
    tokenize(text)
        .into_iter()
        .filter(|t| !t.is_space)
        .map(|t| &text[t.start..t.end])
        .collect()
}

/// Calls `f` with [`split_into_words`]`(text)`, reusing this thread's previous result when it was
/// for the same text. Gopher repetition and Gopher quality split the same document one after the
/// other; datatrove avoids the second split the same way (an `lru_cache` on `split_into_parts`).
pub fn with_words<'t, R>(text: &'t str, f: impl FnOnce(&[&'t str]) -> R) -> R {
    thread_local! {
        static LAST: std::cell::RefCell<(String, Vec<(usize, usize)>)> =
            const { std::cell::RefCell::new((String::new(), Vec::new())) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != text {
            let (cached_text, spans) = &mut *last;
            spans.clear();
            spans.extend(
                tokenize(text)
                    .into_iter()
                    .filter(|t| !t.is_space)
                    .map(|t| (t.start, t.end)),
            );
            cached_text.clear();
            cached_text.push_str(text);
        }
        let words: Vec<&'t str> = last.1.iter().map(|&(a, b)| &text[a..b]).collect();
        f(&words)
    })
}

/// Number of sentences datatrove's `split_into_sentences` returns for English (spaCy's
/// sentencizer over the tokens): 1 for text without tokens, as datatrove's span arithmetic gives.
pub fn count_sentences(text: &str) -> usize {
    count_sentences_in(text, &tokenize(text))
}

/// [`count_sentences`] over tokens already computed for `text`.
pub fn count_sentences_in(text: &str, tokens: &[Token]) -> usize {
    let mut count = 1;
    for_each_sentence_start(text, tokens, |_| count += 1);
    count
}

/// End byte offsets of spaCy's sentences over `tokens` (`sent.end_char`): the end of the last
/// token before each sentence start, and of the last token. Empty without tokens.
pub fn sentence_ends(text: &str, tokens: &[Token]) -> Vec<usize> {
    let mut ends = Vec::new();
    for_each_sentence_start(text, tokens, |i| ends.push(tokens[i - 1].end));
    if let Some(last) = tokens.last() {
        ends.push(last.end);
    }
    ends
}

/// Calls `f` with the index of every token that starts a sentence, except the first token.
/// This is spaCy's `Sentencizer.predict`: after a token that is one of the sentence punctuation
/// characters, the next token that is neither punctuation nor such a character starts a sentence.
fn for_each_sentence_start(text: &str, tokens: &[Token], mut f: impl FnMut(usize)) {
    let mut seen_period = false;
    for (i, t) in tokens.iter().enumerate() {
        let s = &text[t.start..t.end];
        let mut cs = s.chars();
        let in_punct_chars = match (cs.next(), cs.next()) {
            (Some(c), None) => SENT_PUNCT_CHARS.contains(c),
            _ => false,
        };
        if seen_period && !in_punct_chars && !is_punct(s) {
            f(i);
            seen_period = false;
        } else if in_punct_chars {
            seen_period = true;
        }
    }
}

/// spaCy's `is_punct` lexeme flag: every character is in a Unicode P* category.
fn is_punct(s: &str) -> bool {
    s.chars().all(|c| UNICODE_PUNCT.contains(c))
}

fn push(out: &mut Vec<Token>, start: usize, end: usize, is_space: bool) {
    out.push(Token {
        start,
        end,
        is_space,
    });
}

fn push_special(out: &mut Vec<Token>, start: usize, pieces: &[&str]) {
    let mut at = start;
    for p in pieces {
        push(out, at, at + p.len(), false);
        at += p.len();
    }
}

/// Buffers reused across chunks.
#[derive(Default)]
struct Scratch {
    prefixes: Vec<(usize, usize)>,
    suffixes: Vec<(usize, usize)>,
    infixes: Vec<(usize, usize)>,
}

/// Tokenizes one whitespace-delimited chunk `text[lo..hi]` (spaCy `_tokenize`), then re-applies
/// exceptions the affix rules cut up (spaCy `_apply_special_cases`, see [`apply_matcher`]).
#[allow(clippy::too_many_arguments)]
fn chunk(
    ex: &Exceptions,
    text: &str,
    lo: usize,
    hi: usize,
    is_space: bool,
    letters: bool,
    out: &mut Vec<Token>,
    scratch: &mut Scratch,
) {
    let s = &text[lo..hi];
    if is_space {
        // No affix rule matches whitespace, so a whitespace run is one token.
        push(out, lo, hi, true);
        return;
    }
    if let Some(pieces) = ex.special(s) {
        push_special(out, lo, pieces);
        return;
    }
    // Letters only: no prefix, suffix or infix rule can match (they all need a punctuation
    // mark, symbol, quote or digit), so the chunk is one token.
    if letters {
        push(out, lo, hi, false);
        return;
    }
    let first = out.len();
    split_affixes_and_attach(ex, text, lo, hi, out, scratch);
    if out.len() - first >= 2 {
        apply_matcher(ex, text, out, first);
    }
}

/// spaCy `_split_affixes` + `_attach_tokens` on `text[lo..hi]`.
fn split_affixes_and_attach(
    ex: &Exceptions,
    text: &str,
    lo: usize,
    hi: usize,
    out: &mut Vec<Token>,
    scratch: &mut Scratch,
) {
    let Scratch {
        prefixes,
        suffixes,
        infixes,
    } = scratch;
    prefixes.clear();
    suffixes.clear();
    let (mut a, mut b) = (lo, hi);
    let mut last_size = 0usize;
    let is_special = |x: usize, y: usize| ex.is_special(&text[x..y]);
    while a < b && b - a != last_size {
        if is_special(a, b) {
            break;
        }
        last_size = b - a;
        let cur = &text[a..b];
        let pre_len = find_prefix(cur);
        if pre_len != 0 && a + pre_len < b && is_special(a + pre_len, b) {
            prefixes.push((a, a + pre_len));
            a += pre_len;
            break;
        }
        let suf_len = find_suffix(&cur[pre_len..]);
        if suf_len != 0 && a < b - suf_len && is_special(a, b - suf_len) {
            suffixes.push((b - suf_len, b));
            b -= suf_len;
            break;
        }
        if pre_len != 0 && suf_len != 0 && pre_len + suf_len <= b - a {
            prefixes.push((a, a + pre_len));
            suffixes.push((b - suf_len, b));
            a += pre_len;
            b -= suf_len;
        } else if pre_len != 0 {
            prefixes.push((a, a + pre_len));
            a += pre_len;
        } else if suf_len != 0 {
            suffixes.push((b - suf_len, b));
            b -= suf_len;
        }
        if a < b && is_special(a, b) {
            break;
        }
    }
    for &(x, y) in prefixes.iter() {
        push(out, x, y, false);
    }
    if a < b {
        let core = &text[a..b];
        if let Some(pieces) = ex.special(core) {
            push_special(out, a, pieces);
        } else {
            find_infixes(core, infixes);
            if infixes.is_empty() || is_url(core) {
                push(out, a, b, false);
            } else {
                let mut start = 0;
                for &(x, y) in infixes.iter() {
                    // spaCy skips an infix at the very start (it stays glued to what follows).
                    if x == 0 {
                        continue;
                    }
                    if x != start {
                        push(out, a + start, a + x, false);
                    }
                    if x != y {
                        push(out, a + x, a + y, false);
                    }
                    start = y;
                }
                if start < core.len() {
                    push(out, a + start, b, false);
                }
            }
        }
    }
    for &(x, y) in suffixes.iter().rev() {
        push(out, x, y, false);
    }
}

fn is_url(s: &str) -> bool {
    // Both branches of the pattern (IP address, host name + TLD) need a dot.
    if !s.contains('.') {
        return false;
    }
    let Some(m) = &*URL_MATCH else { return false };
    if m.domain.is_match(s) {
        return true;
    }
    match m.full.captures(s).and_then(|c| c.name("ip")) {
        Some(ip) => !m.excluded_ip.is_match(&s[ip.start()..]),
        None => false,
    }
}

/// Byte length of the first prefix alternative matching at the start of `s` (spaCy English
/// prefixes: one punctuation/quote/currency/icon character, a run of 2+ dots, `+` not before a
/// digit, or `US$`/`C$`/`A$`).
fn find_prefix(s: &str) -> usize {
    let mut cs = s.chars();
    let Some(c0) = cs.next() else { return 0 };
    match c0 {
        '.' => {
            let dots = s.bytes().take_while(|&b| b == b'.').count();
            if dots >= 2 { dots } else { 0 }
        }
        '+' => match cs.next() {
            Some(d) if d.is_ascii_digit() => 0,
            _ => 1,
        },
        _ if SP_PREFIX_CHARS.contains(c0) || SP_ICONS.contains(c0) => c0.len_utf8(),
        'U' if s.starts_with("US$") => 3,
        'C' | 'A' if s[1..].starts_with('$') => 2,
        _ => 0,
    }
}

/// Byte length of the longest suffix matching one of spaCy's English suffix alternatives
/// (Python `re.search` returns the leftmost start, i.e. the longest match ending at `$`).
fn find_suffix(s: &str) -> usize {
    if s.is_empty() {
        return 0;
    }
    // A run of 2+ dots at the end: no other alternative can start earlier (none ends in "..").
    let dots = s.bytes().rev().take_while(|&b| b == b'.').count();
    if dots >= 2 {
        return dots;
    }
    // Candidate starts: the last 8 characters (longest literal alternative is 5 characters).
    let mut starts: [usize; 8] = [0; 8];
    let mut n = 0;
    for (i, _) in s.char_indices().rev().take(8) {
        starts[n] = i;
        n += 1;
    }
    for k in (0..n).rev() {
        let p = starts[k];
        // Past the longest literal alternative only one-character alternatives remain.
        if k > 0 && s.len() - p > MAX_SUFFIX_LITERAL_BYTES {
            continue;
        }
        if suffix_matches_at(s, p) {
            return s.len() - p;
        }
    }
    0
}

/// Bytes of the longest multi-character suffix literal (an Arabic unit, `اكواب`, is 10).
const MAX_SUFFIX_LITERAL_BYTES: usize = 12;

/// Whether some suffix alternative matches `s[p..]` exactly, with lookbehind into `s[..p]`.
fn suffix_matches_at(s: &str, p: usize) -> bool {
    let rest = &s[p..];
    let mut before = s[..p].chars().rev();
    let prev = before.next();
    let prev_digit = prev.is_some_and(|c| c.is_ascii_digit());
    let mut rc = rest.chars();
    let c = rc.next().unwrap_or('\0');
    if rc.next().is_none() {
        if SP_SUFFIX_CHARS.contains(c) || SP_ICONS.contains(c) {
            return true;
        }
        if c == '+' && prev_digit {
            return true;
        }
        if c == '.'
            && let Some(p1) = prev
        {
            if SP_SUFFIX_DOT_AFTER.contains(p1) {
                return true;
            }
            let p2 = before.next();
            if p2 == Some('°') && matches!(p1, 'F' | 'f' | 'C' | 'c' | 'K' | 'k') {
                return true;
            }
            if SP_ALPHA_UPPER.contains(p1) && p2.is_some_and(|x| SP_ALPHA_UPPER.contains(x)) {
                return true;
            }
        }
    }
    let lits = &*SUFFIX_LITERALS;
    if !lits.first_bytes[rest.as_bytes()[0] as usize] {
        return false;
    }
    lits.anywhere.contains(rest) || (prev_digit && lits.after_digit.contains(rest))
}

/// The multi-character suffix literals in hash sets, with their possible first bytes as a
/// pre-filter (numbers followed by punctuation would otherwise compare against every unit).
struct SuffixLiterals {
    anywhere: rustc_hash::FxHashSet<&'static str>,
    after_digit: rustc_hash::FxHashSet<&'static str>,
    first_bytes: [bool; 256],
}

static SUFFIX_LITERALS: LazyLock<SuffixLiterals> = LazyLock::new(|| {
    let mut first_bytes = [false; 256];
    let all = tables::SP_SUFFIX_MULTI
        .iter()
        .chain(tables::SP_CURRENCY)
        .chain(tables::SP_UNITS);
    for s in all {
        if let Some(&b) = s.as_bytes().first() {
            first_bytes[b as usize] = true;
        }
    }
    SuffixLiterals {
        anywhere: tables::SP_SUFFIX_MULTI.iter().copied().collect(),
        after_digit: tables::SP_CURRENCY
            .iter()
            .chain(tables::SP_UNITS)
            .copied()
            .collect(),
        first_bytes,
    }
});

/// Infix matches in `s` as Python `finditer` yields them: leftmost first, first alternative in
/// spaCy's order, non-overlapping; lookbehind sees the characters before the match in `s`.
fn find_infixes(s: &str, found: &mut Vec<(usize, usize)>) {
    found.clear();
    let mut prev: Option<char> = None;
    let mut skip_to = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let next = iter.peek().map(|&(_, n)| n);
        if i >= skip_to
            && let Some(len) = infix_at(s, i, c, prev, next)
        {
            found.push((i, i + len));
            skip_to = i + len;
        }
        prev = Some(c);
    }
}

/// The byte length of the infix matching at `i` (char `c`), if any.
fn infix_at(s: &str, i: usize, c: char, prev: Option<char>, next: Option<char>) -> Option<usize> {
    // \.\.+ and …
    if c == '.' && next == Some('.') {
        return Some(s[i..].bytes().take_while(|&b| b == b'.').count());
    }
    if c == '…' || SP_ICONS.contains(c) {
        return Some(c.len_utf8());
    }
    let prev = prev?;
    // (?<=[0-9])[+\-\*^](?=[0-9-])
    if prev.is_ascii_digit()
        && matches!(c, '+' | '-' | '*' | '^')
        && next.is_some_and(|n| n.is_ascii_digit() || n == '-')
    {
        return Some(1);
    }
    // (?<=[lower quotes])\.(?=[upper quotes])
    if c == '.'
        && SP_INFIX_DOT_BEFORE.contains(prev)
        && next.is_some_and(|n| SP_INFIX_DOT_AFTER.contains(n))
    {
        return Some(1);
    }
    let prev_alpha = SP_ALPHA.contains(prev);
    // (?<=[alpha]),(?=[alpha])
    if c == ',' && prev_alpha && next.is_some_and(|n| SP_ALPHA.contains(n)) {
        return Some(1);
    }
    if !(prev_alpha || prev.is_ascii_digit()) {
        return None;
    }
    // (?<=[alpha0-9])(?:-|–|—|--|---|——|~)(?=[alpha])
    let rest = &s[i..];
    // Every hyphen alternative starts with one of these.
    let hyphen_start = matches!(c, '-' | '–' | '—' | '~');
    for h in tables::SP_HYPHENS.iter().filter(|_| hyphen_start) {
        if let Some(after) = rest.strip_prefix(h)
            && after.chars().next().is_some_and(|n| SP_ALPHA.contains(n))
        {
            return Some(h.len());
        }
    }
    // (?<=[alpha0-9])[:<>=/](?=[alpha])
    if matches!(c, ':' | '<' | '>' | '=' | '/') && next.is_some_and(|n| SP_ALPHA.contains(n)) {
        return Some(1);
    }
    None
}

/// spaCy `_apply_special_cases` on the tokens of one chunk (`tokens[first..]`): finds token runs
/// equal to an exception's affix-split form, keeps the longest (then leftmost) non-overlapping
/// ones, and replaces each by the exception's own tokens.
///
/// spaCy matches over the whole document, but a run spanning whitespace never changes anything
/// (its text, spaces included, is no exception), so matching inside chunks gives the same tokens
/// except when such a no-op run overlaps a real one — not seen on any document of the parity
/// corpus.
fn apply_matcher(ex: &Exceptions, text: &str, tokens: &mut Vec<Token>, first: usize) {
    let mut matches: Vec<(usize, usize)> = Vec::new(); // (start token, length)
    let end = tokens.len();
    for i in first..end {
        let t = tokens[i];
        let s = &text[t.start..t.end];
        if !ex.pattern_shapes.may_contain(s) {
            continue;
        }
        let Some(patterns) = ex.patterns_by_first.get(s) else {
            continue;
        };
        for pattern in patterns {
            if i + pattern.len() <= end
                && pattern
                    .iter()
                    .zip(&tokens[i..])
                    .all(|(p, t)| *p == &text[t.start..t.end])
            {
                matches.push((i, pattern.len()));
            }
        }
    }
    if matches.is_empty() {
        return;
    }
    matches.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    matches.dedup();
    let mut seen = vec![false; end - first];
    let mut chosen: Vec<(usize, usize)> = Vec::new();
    for (start, len) in matches {
        if seen[start - first] || seen[start + len - 1 - first] {
            continue;
        }
        seen[start - first..start + len - first]
            .iter_mut()
            .for_each(|x| *x = true);
        chosen.push((start - first, len));
    }
    chosen.sort_unstable();
    let old: Vec<Token> = tokens.drain(first..).collect();
    let mut i = 0;
    for (start, len) in chosen {
        tokens.extend_from_slice(&old[i..start]);
        let (a, b) = (old[start].start, old[start + len - 1].end);
        match ex.special(&text[a..b]) {
            Some(pieces) => push_special(tokens, a, pieces),
            None => tokens.extend_from_slice(&old[start..start + len]),
        }
        i = start + len;
    }
    tokens.extend_from_slice(&old[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<&str> {
        split_into_words(s)
    }

    #[test]
    fn contractions_and_exceptions_split_like_spacy() {
        assert_eq!(words("I don't know."), ["I", "do", "n't", "know", "."]);
        assert_eq!(words("We cannot go"), ["We", "can", "not", "go"]);
        assert_eq!(words("It's 5 p.m. now"), ["It", "'s", "5", "p.m.", "now"]);
        assert_eq!(words("(U.S.)"), ["(", "U.S.", ")"]);
    }

    #[test]
    fn affixes_and_infixes() {
        assert_eq!(
            words("\"Hello,\" she said..."),
            ["\"", "Hello", ",", "\"", "she", "said", "..."]
        );
        assert_eq!(words("10km at $5.50"), ["10", "km", "at", "$", "5.50"]);
        assert_eq!(
            words("well-known 3-4 a/b"),
            ["well", "-", "known", "3", "-", "4", "a", "/", "b"]
        );
        assert_eq!(words("end.Next"), ["end", ".", "Next"]);
        assert_eq!(
            words("see www.example.com/a-b now"),
            ["see", "www.example.com/a-b", "now"]
        );
        // Public IP addresses are URLs, private ones are not (then "/" splits as an infix).
        assert_eq!(words("8.8.8.8/dns"), ["8.8.8.8/dns"]);
        assert_eq!(words("192.168.1.1/admin"), ["192.168.1.1", "/", "admin"]);
    }

    #[test]
    fn cached_words_follow_the_text() {
        let a = "First text, here.";
        let b = "Second one";
        assert_eq!(with_words(a, |w| w.to_vec()), words(a));
        assert_eq!(with_words(a, |w| w.len()), 5);
        assert_eq!(with_words(b, |w| w.to_vec()), ["Second", "one"]);
        assert_eq!(with_words(a, |w| w.len()), 5);
    }

    #[test]
    fn whitespace_tokens_are_kept_but_not_words() {
        let t = tokenize("a  b\n\nc");
        assert_eq!(t.iter().filter(|t| t.is_space).count(), 2);
        assert_eq!(words("a  b\n\nc"), ["a", "b", "c"]);
        assert!(words("").is_empty());
    }

    #[test]
    fn matcher_rejoins_exceptions_cut_by_affixes() {
        // Prefix "'" splits twice, then the matcher re-joins "''" as spaCy does.
        assert_eq!(words("''Quoted''"), ["''", "Quoted", "''"]);
        assert_eq!(words("Nice:)"), ["Nice", ":)"]);
    }

    #[test]
    fn hyphen_alternatives_start_with_a_known_dash() {
        for h in tables::SP_HYPHENS {
            assert!(
                matches!(h.chars().next(), Some('-' | '–' | '—' | '~')),
                "{h}"
            );
        }
    }

    #[test]
    fn suffix_literal_bound_covers_every_literal() {
        let longest = tables::SP_SUFFIX_MULTI
            .iter()
            .chain(tables::SP_CURRENCY)
            .chain(tables::SP_UNITS)
            .map(|s| s.len())
            .max()
            .unwrap_or(0);
        assert!(longest <= MAX_SUFFIX_LITERAL_BYTES, "{longest}");
        assert_eq!(
            words("5\u{627}\u{643}\u{648}\u{627}\u{628}"),
            ["5", "\u{627}\u{643}\u{648}\u{627}\u{628}"]
        );
    }

    #[test]
    fn sentences_follow_the_sentencizer() {
        assert_eq!(count_sentences("One. Two! Three?"), 3);
        assert_eq!(count_sentences("Wait... what"), 1);
        assert_eq!(count_sentences("He said \"No.\" Then left."), 2);
        assert_eq!(count_sentences(""), 1);
    }
}
