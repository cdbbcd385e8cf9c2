//! The fast path for reading one JSONL record: the top-level object is scanned by hand and the
//! id and text strings are unescaped straight into their final `String`s; every other value
//! (metadata, extra fields) is still parsed by serde_json.
//!
//! Why by hand: the text is nearly all of a record's bytes, and serde_json, given a fresh
//! deserializer per record, unescapes it into a scratch buffer that regrows from empty every time
//! and then copies it again into the `String` — profiling showed that as the largest part of
//! reading. The fast path is only a shortcut: whenever it meets anything outside the common shape
//! (an escaped key, an invalid or unusual escape, deep nesting, trailing data, any error at all)
//! it gives up, and the caller parses the record with serde_json, which then decides and words
//! the error. So its results never differ from serde_json's; the fuzz target `jsonl_record`
//! checks exactly that.

use serde_json::Value;

use super::record::RecordFields;

/// Scans `line` (one whole JSON object) into its fields, or `None` to leave it to serde_json.
pub(super) fn scan_record(line: &str, text_field: &str, id_field: &str) -> Option<RecordFields> {
    let b = line.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    let mut out = RecordFields::default();
    if b.get(i) == Some(&b'}') {
        return (skip_ws(b, i + 1) == b.len()).then_some(out);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = i + 1 + find_json_special(&b[i + 1..]);
        if b.get(key_end) != Some(&b'"') {
            return None;
        }
        let key = &line[i + 1..key_end];
        i = skip_ws(b, key_end + 1);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        // Same precedence as the serde visitor in jsonl.rs: text, id, metadata, ignored, extra.
        let wants_string = key == text_field || key == id_field;
        let value = if wants_string && b.get(i) == Some(&b'"') {
            let (s, end) = decode_string(line, i)?;
            i = end;
            Value::String(s)
        } else {
            let (v, end) = parse_value(line, i)?;
            i = end;
            v
        };
        if key == text_field {
            out.text = Some(value);
        } else if key == id_field {
            out.id = Some(value);
        } else if key == "metadata" {
            out.metadata = Some(value);
        } else if !key.is_empty() {
            out.extra.push((key.to_string(), value));
        }
        i = skip_ws(b, i);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return (skip_ws(b, i + 1) == b.len()).then_some(out),
            _ => return None,
        }
    }
}

/// Nesting serde_json accepts inside a value here: its limit is 128 levels for the whole record,
/// one of which is the record itself. Counting brackets (even inside strings) overestimates the
/// depth, so the fast path gives up early rather than accept what serde_json would refuse.
const MAX_BRACKETS: usize = 126;

/// Parses the JSON value starting at `line[start..]` with serde_json; returns it and where it ends.
fn parse_value(line: &str, start: usize) -> Option<(Value, usize)> {
    let mut values = serde_json::Deserializer::from_str(&line[start..]).into_iter::<Value>();
    let value = values.next()?.ok()?;
    let end = start + values.byte_offset();
    let span = &line.as_bytes()[start..end];
    if matches!(value, Value::Array(_) | Value::Object(_))
        && memchr::memchr2_iter(b'[', b'{', span)
            .nth(MAX_BRACKETS)
            .is_some()
    {
        return None;
    }
    Some((value, end))
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        i += 1;
    }
    i
}

/// Decodes the JSON string whose opening quote is at `b[start]`; returns it and the index just
/// after its closing quote, or `None` for anything serde_json should judge (an invalid escape, a
/// lone surrogate, a raw control character, a missing end).
fn decode_string(s: &str, start: usize) -> Option<(String, usize)> {
    let b = s.as_bytes();
    let mut i = start + 1;
    // The decoded string is never longer than what is left of the line.
    let mut out = String::with_capacity(b.len() - i);
    loop {
        let run = find_json_special(&b[i..]);
        // Runs end at ASCII bytes, so they are whole characters: no validation needed.
        out.push_str(&s[i..i + run]);
        i += run;
        match *b.get(i)? {
            b'"' => return Some((out, i + 1)),
            b'\\' => {
                let (ch, next) = decode_escape(b, i)?;
                out.push(ch);
                i = next;
            }
            _ => return None, // a raw control character
        }
    }
}

/// Decodes the escape starting at the backslash `b[i]`; returns the character and the index
/// after the escape.
fn decode_escape(b: &[u8], i: usize) -> Option<(char, usize)> {
    let ch = match *b.get(i + 1)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let hi = hex4(b, i + 2)?;
            return match hi {
                0xD800..=0xDBFF => {
                    if b.get(i + 6) != Some(&b'\\') || b.get(i + 7) != Some(&b'u') {
                        return None;
                    }
                    let lo = hex4(b, i + 8)?;
                    if !(0xDC00..=0xDFFF).contains(&lo) {
                        return None;
                    }
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    Some((char::from_u32(c)?, i + 12))
                }
                0xDC00..=0xDFFF => None,
                _ => Some((char::from_u32(hi)?, i + 6)),
            };
        }
        _ => return None,
    };
    Some((ch, i + 2))
}

fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let digits = b.get(i..i + 4)?;
    let mut v = 0;
    for &d in digits {
        v = v * 16 + (d as char).to_digit(16)?;
    }
    Some(v)
}

/// Length of the longest prefix of `b` with no byte a JSON string must escape: `"`, `\\` or a
/// control character below 0x20. (The same set serde_json escapes on output.)
///
/// Sixteen bytes are tested per step with a branch-free fold, which the compiler turns into
/// vector compares on every target; no crate offers this class of bytes as one search (memchr
/// finds at most three fixed bytes).
#[inline]
pub(super) fn find_json_special(b: &[u8]) -> usize {
    const STEP: usize = 32;
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + STEP) {
        let chunk: &[u8; STEP] = chunk.try_into().expect("STEP bytes");
        // Three accumulators, so each test stays one vector compare.
        let (mut quote, mut backslash, mut control) = (0u8, 0u8, 0u8);
        for &c in chunk {
            quote |= u8::from(c == b'"');
            backslash |= u8::from(c == b'\\');
            control |= u8::from(c < 0x20);
        }
        if quote | backslash | control != 0 {
            break;
        }
        i += STEP;
    }
    // The first hit, eight bytes at a time.
    while let Some(word) = b.get(i..i + 8) {
        let hits = special_mask(u64::from_le_bytes(word.try_into().expect("eight bytes")));
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + b[i..]
        .iter()
        .position(|&c| is_json_special(c))
        .unwrap_or(b.len() - i)
}

/// High bit set in each byte of `word` (read little-endian) that is `"`, `\\` or below 0x20:
/// exact for the lowest such byte; bytes above it may be flagged falsely (borrows), which is
/// why only the lowest is used.
#[inline]
pub(super) fn special_mask(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    below_space | has_zero(word ^ (ONES * b'"' as u64)) | has_zero(word ^ (ONES * b'\\' as u64))
}

#[inline(always)]
fn is_json_special(c: u8) -> bool {
    (c == b'"') | (c == b'\\') | (c < 0x20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_bytes_are_found_at_every_position() {
        for len in 0..40 {
            for pos in 0..=len {
                for special in [b'"', b'\\', b'\n', 0u8, 0x1f] {
                    let mut b = vec![b'a'; len];
                    b.extend_from_slice("é".as_bytes());
                    if pos < len {
                        b[pos] = special;
                    }
                    let want = if pos < len { pos } else { b.len() };
                    assert_eq!(find_json_special(&b), want, "len {len} pos {pos}");
                }
            }
        }
    }

    #[test]
    fn strings_decode_like_serde_json() {
        for raw in [
            r#""plain""#,
            r#""""#,
            r#""a \"quoted\" word\\ and \/ \b\f\n\r\t end""#,
            r#""\u00e9\u00E9 \u4e2d \ud83d\ude00 \u0000""#,
            "\"multi-byte: caf\u{e9} \u{1F600} straight through\"",
        ] {
            let want: String = serde_json::from_str(raw).unwrap();
            let (got, end) = decode_string(raw, 0).expect(raw);
            assert_eq!(got, want, "{raw}");
            assert_eq!(end, raw.len());
        }
    }

    #[test]
    fn anything_unusual_is_left_to_serde_json() {
        for raw in [
            r#""lone \ud83d surrogate""#,
            r#""lone \ude00 low""#,
            r#""bad \x escape""#,
            r#""short \u12""#,
            "\"raw\ttab\"",
            r#""no end"#,
        ] {
            assert!(decode_string(raw, 0).is_none(), "{raw}");
        }
        for line in [
            r#"{"text": "a",}"#,
            r#"{"text": "a"} x"#,
            r#"{"te\u0078t": "a"}"#,
            r#"["text"]"#,
            r#"{"text" "a"}"#,
        ] {
            assert!(scan_record(line, "text", "id").is_none(), "{line}");
        }
        let deep = format!(
            r#"{{"text": "a", "metadata": {}{}}}"#,
            "[".repeat(127),
            "]".repeat(127)
        );
        assert!(scan_record(&deep, "text", "id").is_none());
        let ok = format!(
            r#"{{"text": "a", "metadata": {}{}}}"#,
            "[".repeat(100),
            "]".repeat(100)
        );
        assert!(scan_record(&ok, "text", "id").is_some());
    }

    #[test]
    fn fields_are_assigned_like_the_serde_visitor() {
        let line = r#" { "id" : 7, "text":"t\n1", "": {"x": 1}, "source": "s", "text": "t2",
            "metadata": {"url": "u"}, "source": "s2" } "#;
        let f = scan_record(line, "text", "id").unwrap();
        assert_eq!(f.id, Some(Value::from(7)));
        assert_eq!(f.text, Some(Value::from("t2")));
        assert_eq!(f.metadata, Some(serde_json::json!({"url": "u"})));
        assert_eq!(
            f.extra,
            vec![
                ("source".into(), Value::from("s")),
                ("source".into(), Value::from("s2"))
            ]
        );
    }
}
