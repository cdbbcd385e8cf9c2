//! The tokenizer: a byte-level pass following the WHATWG tokenizer's main states (tags, quoted
//! and unquoted attributes, comments, doctype, raw-text and RCDATA elements, character
//! references), handing tags and text to the [`Builder`].

use std::borrow::Cow;

use memchr::memchr;

use super::super::tag::{Attr, Tag};
use super::MAX_ATTR_VALUE;
use super::tree_builder::Builder;

/// Appends `html[start..end]` with character references decoded.
fn decode_into(b: &mut Builder<'_>, start: usize, end: usize) {
    let raw = &b.html[start..end];
    if memchr(b'&', raw.as_bytes()).is_some() {
        decode_references(b, raw);
    } else {
        b.text_span(start, end);
    }
}

/// Appends `raw`, which holds a `&`, with character references decoded.
fn decode_references(b: &mut Builder<'_>, raw: &str) {
    b.text_owned(html_escape::decode_html_entities(raw));
}

/// The text run starting at `from`: where it ends (the next `<`, or the end) and whether it
/// holds a `&`. One search for both bytes, then one for `<` only if a `&` came first: searching
/// the run for `<` and then again for `&` made two memchr calls per run, and their fixed cost
/// (most runs are short: whitespace between tags) was ~2% of extraction instructions
/// (callgrind, WCXB dev).
fn text_run_end(bytes: &[u8], from: usize) -> (usize, bool) {
    match memchr::memchr2(b'<', b'&', &bytes[from..]) {
        None => (bytes.len(), false),
        Some(p) if bytes[from + p] == b'<' => (from + p, false),
        Some(p) => {
            let amp = from + p;
            let lt = memchr(b'<', &bytes[amp + 1..]).map_or(bytes.len(), |q| amp + 1 + q);
            (lt, true)
        }
    }
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// Byte classes inside a tag ([`BYTE_CLASS`]): whitespace, `/`, `>`, `=`.
const WS: u8 = 1;
const SLASH: u8 = 2;
const GT: u8 = 4;
const EQ: u8 = 8;

/// The class bits of each byte: the scans through tag names, attribute names and blanks test
/// one table entry per byte. Written as chains of comparisons, those loops kept a dozen
/// positions live across the tokenizer's body and spilled them to the stack, ~26 instructions
/// per byte of attribute name, ~6% of extraction instructions (callgrind, WCXB dev).
static BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b' ' as usize] = WS;
    t[b'\t' as usize] = WS;
    t[b'\n' as usize] = WS;
    t[b'\r' as usize] = WS;
    t[0x0c] = WS;
    t[b'/' as usize] = SLASH;
    t[b'>' as usize] = GT;
    t[b'=' as usize] = EQ;
    t
};

/// The first position at or after `from` whose byte is in one of the classes `stop`, or the
/// end. Not inlined: inside the tokenizer's body the compiler kept eight copies of the position
/// in step through the loop, 14 instructions per byte (callgrind, WCXB dev); out of line it is
/// a plain pointer walk.
#[inline(never)]
fn scan_to(bytes: &[u8], from: usize, stop: u8) -> usize {
    let rest = bytes.get(from..).unwrap_or_default();
    rest.iter()
        .position(|&c| BYTE_CLASS[c as usize] & stop != 0)
        .map_or(bytes.len(), |p| from + p)
}

/// The first position at or after `from` whose byte is in none of the classes `skip`, or the
/// end. Not inlined, as [`scan_to`].
#[inline(never)]
fn scan_past(bytes: &[u8], from: usize, skip: u8) -> usize {
    let rest = bytes.get(from..).unwrap_or_default();
    rest.iter()
        .position(|&c| BYTE_CLASS[c as usize] & skip == 0)
        .map_or(bytes.len(), |p| from + p)
}

/// The kept attribute named by `bytes[start..end]` ([`Attr::from_name`]). A name of up to eight
/// bytes with eight bytes of page from its start is read as one word, masked to its length, not
/// gathered byte by byte: the name lookup inlined in the tokenizer went from 56M to 27M
/// instructions on every third WCXB dev page (callgrind).
fn attr_at(bytes: &[u8], start: usize, end: usize) -> Option<Attr> {
    let len = end - start;
    match bytes.get(start..start + 8) {
        Some(eight) if (1..=8).contains(&len) => {
            let mut word = [0u8; 8];
            word.copy_from_slice(eight);
            let mask = u64::MAX >> (8 * (8 - len));
            Attr::from_word(u64::from_le_bytes(word) & mask, len)
        }
        _ => Attr::from_name(&bytes[start..end]),
    }
}

/// `name` lower-cased into `buf` when it fits: every name the parser tells apart fits
/// ([`Tag::from_lower`]'s longest is 10 bytes); a longer one is [`Tag::Other`] and its bytes
/// are never read. Collecting each tag name into a `Vec` was ~11 instructions per byte.
fn lower_name<'b>(name: &'b [u8], buf: &'b mut [u8; 16]) -> &'b [u8] {
    if name.len() > buf.len() {
        return name;
    }
    let lower = &mut buf[..name.len()];
    for (l, &c) in lower.iter_mut().zip(name) {
        *l = c.to_ascii_lowercase();
    }
    lower
}

/// Cuts `s` to at most `max` bytes on a character boundary.
fn truncate_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Position just after the next `>` at or after `from`, or the end.
fn skip_past_gt(bytes: &[u8], from: usize) -> usize {
    match memchr(b'>', &bytes[from.min(bytes.len())..]) {
        Some(p) => from + p + 1,
        None => bytes.len(),
    }
}

/// Finds `</name` (ASCII case-insensitive) followed by whitespace, `/` or `>` at or after `from`.
/// Searches for `</` as a pair: scripts are full of lone `<` (comparisons, markup in strings), and
/// stopping at each was ~2% of extraction time (perf, WCXB dev).
fn find_end_tag(bytes: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut i = from;
    let finder = memchr::memmem::Finder::new(b"</");
    while i < bytes.len() {
        let p = i + finder.find(&bytes[i..])?;
        let after = p + 2 + name.len();
        if after <= bytes.len()
            && bytes[p + 2..after].eq_ignore_ascii_case(name)
            && bytes
                .get(after)
                .is_none_or(|&c| is_ws(c) || c == b'/' || c == b'>')
        {
            return Some(p);
        }
        i = p + 1;
    }
    None
}

/// Feeds `html`'s tags and text to `b`, in order.
pub(super) fn tokenize<'a>(html: &'a str, b: &mut Builder<'a>) {
    let bytes = html.as_bytes();
    let n = bytes.len();
    let mut i = 0;
    let mut name_buf = [0u8; 16];
    // One element's kept attributes, reused from tag to tag.
    let mut attrs: Vec<(Attr, Cow<'a, str>)> = Vec::with_capacity(8);
    while i < n {
        // A tag right after the last one (`</a></li>`) needs no search.
        if bytes[i] != b'<' {
            let (lt, has_reference) = text_run_end(bytes, i);
            if has_reference {
                decode_references(b, &html[i..lt]);
            } else {
                b.text_span(i, lt);
            }
            i = lt;
        }
        if i >= n {
            break;
        }
        let next = bytes.get(i + 1).copied().unwrap_or(0);
        if next == b'!' {
            if bytes[i..].starts_with(b"<!--") {
                // Comment: ends at the first "-->" (also "<!-->" and "<!--->").
                let body = i + 4;
                let mut j = body;
                i = loop {
                    match memchr(b'>', &bytes[j.min(n)..]) {
                        None => break n,
                        Some(p) => {
                            let gt = j + p;
                            if gt == body
                                || (gt == body + 1 && bytes[body] == b'-')
                                || (gt >= body + 2 && &bytes[gt - 2..gt] == b"--")
                            {
                                break gt + 1;
                            }
                            j = gt + 1;
                        }
                    }
                };
            } else {
                // Doctype, CDATA and bogus comments carry no text for us.
                i = skip_past_gt(bytes, i + 2);
            }
            continue;
        }
        if next == b'?' {
            i = skip_past_gt(bytes, i + 2);
            continue;
        }
        let is_end = next == b'/';
        let name_start = if is_end { i + 2 } else { i + 1 };
        if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            if is_end && bytes.get(name_start) == Some(&b'>') {
                i = name_start + 1; // "</>" is ignored
            } else if is_end {
                i = skip_past_gt(bytes, name_start); // bogus comment
            } else {
                b.text_span(i, i + 1);
                i += 1;
            }
            continue;
        }
        let mut j = scan_to(bytes, name_start, WS | SLASH | GT);
        let name = lower_name(&bytes[name_start..j], &mut name_buf);
        let tag = Tag::from_lower(name);
        if is_end {
            // Most end tags close right after the name: no search for the `>`.
            i = if bytes.get(j) == Some(&b'>') {
                j + 1
            } else {
                skip_past_gt(bytes, j)
            };
            b.end_tag(tag, name);
            continue;
        }
        // Attributes.
        let mut present = 0u16;
        loop {
            j = scan_past(bytes, j, WS | SLASH);
            if j >= n || bytes[j] == b'>' {
                j += 1;
                break;
            }
            let an_start = j;
            // A leading '=' belongs to the name.
            j = scan_to(bytes, j + 1, WS | SLASH | GT | EQ);
            let an_end = j;
            j = scan_past(bytes, j, WS);
            let mut value: &'a str = "";
            if j < n && bytes[j] == b'=' {
                j = scan_past(bytes, j + 1, WS);
                if j < n && (bytes[j] == b'"' || bytes[j] == b'\'') {
                    let q = bytes[j];
                    let end = memchr(q, &bytes[j + 1..]).map_or(n, |p| j + 1 + p);
                    value = &html[j + 1..end];
                    j = (end + 1).min(n);
                } else {
                    let vs = j;
                    j = scan_to(bytes, j, WS | GT);
                    value = &html[vs..j];
                }
            }
            if let Some(k) = attr_at(bytes, an_start, an_end)
                && present & k.bit() == 0
            {
                present |= k.bit();
                let v = truncate_str(value, MAX_ATTR_VALUE);
                let v = if memchr(b'&', v.as_bytes()).is_some() {
                    html_escape::decode_html_entities(v)
                } else {
                    Cow::Borrowed(v)
                };
                attrs.push((k, v));
            }
        }
        i = j.min(n);
        b.start_tag(tag, &mut attrs);
        if tag == Tag::Plaintext {
            b.text_span(i, n);
            break;
        }
        // Inside <svg>/<math> (foreign content) <title> and <style> are ordinary elements.
        let foreign = matches!(tag, Tag::Title | Tag::Style | Tag::Textarea)
            && (b.is_open(Tag::Svg) || b.is_open(Tag::Math));
        if let Some(decode) = tag.raw_text().filter(|_| !foreign) {
            let end = find_end_tag(bytes, i, name).unwrap_or(n);
            if decode {
                decode_into(b, i, end);
            } else {
                b.text_span(i, end);
            }
            i = end;
            if end < n {
                i = skip_past_gt(bytes, end);
                b.end_tag(tag, name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_names_read_as_words_match_bytewise() {
        let names = [
            "class",
            "ID",
            "Role",
            "itemprop",
            "NAME",
            "property",
            "content",
            "datetime",
            "type",
            "rel",
            "hidden",
            "style",
            "aria-hidden",
            "href",
            "itemtype",
            "hreflang",
            "x",
            "id\0",
            "data-id",
            "classes",
            "onclick",
        ];
        for name in names {
            // The name at the end of the page, and followed by more of the tag.
            for tail in ["", "=", "=\"a\" class=b>"] {
                let page = format!("<a {name}{tail}");
                let (start, end) = (3, 3 + name.len());
                assert_eq!(
                    attr_at(page.as_bytes(), start, end),
                    Attr::from_name(name.as_bytes()),
                    "{page:?}"
                );
            }
        }
    }
}
