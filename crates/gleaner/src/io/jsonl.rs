//! JSON-lines reading and writing in the shape datatrove and dolma use:
//! `{"id": ..., "text": ..., "metadata": {...}}`, with the id and text field names configurable.
//! Top-level fields other than id, text and metadata (dolma's `source`, `added`, …) are folded
//! into the metadata so nothing the input carried is lost.

use std::fmt;
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::{InputFile, RawRecord, RawStream, Reject, compress};
use crate::config::InputConfig;
use crate::document::{Document, LineEdit, Reason};

/// What every line of one JSONL file needs to become a document.
#[derive(Debug)]
pub struct JsonlContext {
    path: PathBuf,
    file_index: usize,
    text_field: String,
    id_field: String,
}

/// One line of a JSONL file, read but not yet parsed: parsing is most of the cost of reading,
/// so the executor does it on the worker threads rather than the thread that reads the file.
#[derive(Debug)]
pub struct RawJsonLine {
    line: Vec<u8>,
    record: u64,
    offset: u64,
    ctx: Arc<JsonlContext>,
}

impl RawJsonLine {
    /// Bytes of the line.
    pub fn len(&self) -> usize {
        self.line.len()
    }

    /// Whether the line is empty.
    pub fn is_empty(&self) -> bool {
        self.line.is_empty()
    }

    /// Parses the line into a document, or a reject naming the file, line and problem.
    pub fn decode(self) -> Result<Document, Reject> {
        let ctx = &self.ctx;
        let line = trim_ascii(&self.line);
        parse_record(line, &ctx.text_field, &ctx.id_field)
            .map(|mut d| {
                d.position = Document::make_position(ctx.file_index, self.record - 1);
                if d.id.is_empty() {
                    d.id = default_id(&ctx.path, self.record);
                }
                d
            })
            .map_err(|(kind, msg)| {
                Reject::new(&ctx.path, kind, msg)
                    .at_record(self.record)
                    .at_offset(self.offset)
                    .with_excerpt(line)
            })
    }
}

/// Streams the lines of a JSONL file, with bounded line length; blank lines are skipped.
pub struct JsonlReader {
    ctx: Arc<JsonlContext>,
    reader: Box<dyn BufRead + Send>,
    max_record: usize,
    line_no: u64,
    offset: u64,
    buf: Vec<u8>,
    done: bool,
}

impl JsonlReader {
    /// Opens `file` as a stream of raw lines (a reject if it cannot be opened).
    pub fn open(file: &InputFile, cfg: &InputConfig, bytes_read: Arc<AtomicU64>) -> RawStream {
        match compress::open_decompressed(&file.path, bytes_read) {
            Ok(reader) => Box::new(JsonlReader {
                ctx: Arc::new(JsonlContext {
                    path: file.path.clone(),
                    file_index: file.index,
                    text_field: cfg.text_field.clone(),
                    id_field: cfg.id_field.clone(),
                }),
                reader,
                max_record: cfg.max_record_bytes.0 as usize,
                line_no: 0,
                offset: 0,
                buf: Vec::new(),
                done: false,
            }),
            Err(e) => Box::new(std::iter::once(RawRecord::Ready(Err(Reject::new(
                &file.path,
                "io",
                e.to_string(),
            ))))),
        }
    }

    /// Reads one line into `buf` (without the newline), keeping at most `max_record` bytes and
    /// skipping the rest. Returns (bytes consumed, whether the line was cut).
    fn read_line(&mut self) -> std::io::Result<(usize, bool)> {
        self.buf.clear();
        let mut consumed = 0usize;
        let mut cut = false;
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                return Ok((consumed, cut));
            }
            let (take, found) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let room = self.max_record.saturating_sub(self.buf.len());
            let data = &chunk[..if found { take - 1 } else { take }];
            if data.len() > room {
                cut = true;
                self.buf.extend_from_slice(&data[..room]);
            } else {
                self.buf.extend_from_slice(data);
            }
            self.reader.consume(take);
            consumed += take;
            if found {
                return Ok((consumed, cut));
            }
        }
    }

    fn reject(&self, kind: &str, message: impl Into<String>, start: u64) -> Reject {
        Reject::new(&self.ctx.path, kind, message)
            .at_record(self.line_no)
            .at_offset(start)
    }
}

impl Iterator for JsonlReader {
    type Item = RawRecord;

    fn next(&mut self) -> Option<RawRecord> {
        loop {
            if self.done {
                return None;
            }
            let start = self.offset;
            let (consumed, cut) = match self.read_line() {
                Ok(r) => r,
                Err(e) => {
                    self.done = true;
                    self.line_no += 1;
                    let r = self
                        .reject(
                            "truncated",
                            format!(
                                "input ends early or is corrupt ({e}); records before it were read"
                            ),
                            start,
                        )
                        .with_excerpt(&self.buf);
                    return Some(RawRecord::Ready(Err(r)));
                }
            };
            if consumed == 0 {
                self.done = true;
                return None;
            }
            self.offset += consumed as u64;
            self.line_no += 1;
            if cut {
                let r = self
                    .reject(
                        "too_large",
                        format!(
                            "record is longer than max_record_bytes ({} bytes); raise [input] max_record_bytes to read it",
                            self.max_record
                        ),
                        start,
                    )
                    .with_excerpt(&self.buf);
                return Some(RawRecord::Ready(Err(r)));
            }
            if trim_ascii(&self.buf).is_empty() {
                continue;
            }
            return Some(RawRecord::Json(RawJsonLine {
                line: std::mem::take(&mut self.buf),
                record: self.line_no,
                offset: start,
                ctx: self.ctx.clone(),
            }));
        }
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let mut s = 0;
    let mut e = b.len();
    while s < e && b[s].is_ascii_whitespace() {
        s += 1;
    }
    while e > s && b[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    &b[s..e]
}

/// The id given to a record without one: file name and line, stable across runs.
pub fn default_id(path: &std::path::Path, record: u64) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    format!("{name}:{record}")
}

/// Parses one JSON object into a document. Errors are `(kind, message)`.
pub fn parse_record(
    line: &[u8],
    text_field: &str,
    id_field: &str,
) -> Result<Document, (&'static str, String)> {
    let line = match std::str::from_utf8(line) {
        Ok(s) => s,
        Err(e) => {
            return Err((
                "invalid_utf8",
                format!("invalid UTF-8 at byte {} of the record", e.valid_up_to()),
            ));
        }
    };
    // Parsing from the validated `str` spares serde_json validating every string again.
    let mut de = serde_json::Deserializer::from_str(line);
    let fields = RecordSeed {
        text_field,
        id_field,
    }
    .deserialize(&mut de)
    .map_err(|e| ("malformed_json", format!("not a JSON object: {e}")))?;
    de.end().map_err(|e| {
        (
            "malformed_json",
            format!("trailing data after the JSON object: {e}"),
        )
    })?;
    let text = match fields.text {
        Some(Value::String(s)) => s,
        Some(Value::Null) | None => {
            return Err((
                "missing_text",
                format!("record has no \"{text_field}\" field"),
            ));
        }
        Some(other) => {
            return Err((
                "missing_text",
                format!(
                    "field \"{text_field}\" is a {}, not a string",
                    json_type(&other)
                ),
            ));
        }
    };
    let id = match fields.id {
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let mut metadata = match fields.metadata {
        Some(Value::Object(m)) => m,
        Some(Value::Null) | None => Map::new(),
        Some(other) => {
            let mut m = Map::new();
            m.insert("metadata".into(), other);
            m
        }
    };
    for (k, v) in fields.extra {
        metadata.entry(k).or_insert(v);
    }
    Ok(Document {
        id,
        text,
        metadata,
        ..Default::default()
    })
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[derive(Default)]
struct RecordFields {
    id: Option<Value>,
    text: Option<Value>,
    metadata: Option<Value>,
    extra: Vec<(String, Value)>,
}

/// Pulls the configured id/text fields out of the object in one pass, without building an
/// intermediate `Value` for the whole record (the text is most of its bytes).
struct RecordSeed<'a> {
    text_field: &'a str,
    id_field: &'a str,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = RecordFields;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<RecordFields, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = RecordFields;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RecordFields, A::Error> {
        let mut out = RecordFields::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == self.text_field {
                out.text = Some(map.next_value()?);
            } else if key == self.id_field {
                out.id = Some(map.next_value()?);
            } else if key == "metadata" {
                out.metadata = Some(map.next_value()?);
            } else if key.is_empty() {
                map.next_value::<IgnoredAny>()?;
            } else {
                out.extra.push((key.into_owned(), map.next_value()?));
            }
        }
        Ok(out)
    }
}

/// Serialises a kept or removed document as one JSON line (with the trailing newline).
///
/// Byte-identical to `serde_json::to_writer` on a `{id, text, metadata, removal?, edits?}`
/// struct (a test holds it to that), but the id and text, nearly all of the bytes, go through
/// [`write_json_string`] instead of serde_json's byte-at-a-time escaper.
pub fn encode_line(
    out: &mut Vec<u8>,
    doc: &Document,
    removal: Option<&Reason>,
    edits: Option<&[LineEdit]>,
) {
    out.extend_from_slice(b"{\"id\":");
    write_json_string(out, &doc.id);
    out.extend_from_slice(b",\"text\":");
    write_json_string(out, &doc.text);
    out.extend_from_slice(b",\"metadata\":");
    serde_json::to_writer(&mut *out, &doc.metadata).expect("serialising to a Vec cannot fail");
    if let Some(r) = removal {
        out.extend_from_slice(b",\"removal\":");
        serde_json::to_writer(&mut *out, r).expect("serialising to a Vec cannot fail");
    }
    if let Some(e) = edits {
        out.extend_from_slice(b",\"edits\":");
        serde_json::to_writer(&mut *out, e).expect("serialising to a Vec cannot fail");
    }
    out.extend_from_slice(b"}\n");
}

/// Appends `s` as a quoted JSON string, escaped exactly as serde_json escapes it: `"` and `\\`,
/// `\b \f \n \r \t`, other bytes below 0x20 as `\u00xx` (lowercase hex), nothing else.
///
/// Hand-written because serde_json looks every byte up in a table, which profiling showed as
/// ~8% of a read→normalize→write run; here eight bytes are tested at a time (SWAR) and clean
/// stretches are copied whole. No crate offers a serde_json-identical escaper.
pub fn write_json_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + 8) {
            let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            let hits = escape_mask(word);
            if hits == 0 {
                i += 8;
                continue;
            }
            // The lowest flagged byte is always a real hit (false flags only sit above one).
            i += (hits.trailing_zeros() / 8) as usize;
        }
        let b = bytes[i];
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => &[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 0xf) as usize],
            ],
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        i += 1;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// High bit set in each byte of `word` that is `"`, `\\` or below 0x20 — exact for the lowest
/// such byte; bytes above it may be flagged falsely (borrows), which the caller tolerates.
#[inline]
fn escape_mask(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    below_space | has_zero(word ^ (ONES * b'"' as u64)) | has_zero(word ^ (ONES * b'\\' as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_lines_match_serde_json_byte_for_byte() {
        #[derive(serde::Serialize)]
        struct Line<'a> {
            id: &'a str,
            text: &'a str,
            metadata: &'a Map<String, Value>,
            #[serde(skip_serializing_if = "Option::is_none")]
            removal: Option<&'a Reason>,
            #[serde(skip_serializing_if = "Option::is_none")]
            edits: Option<&'a [LineEdit]>,
        }
        let seed = include_str!("../../../../examples/data/raw-example.txt");
        // Every byte that needs escaping, at every offset within an 8-byte word, next to
        // multi-byte characters and DEL (which JSON leaves alone).
        let mut specials = String::new();
        for b in (0u8..0x20).chain([b'"', b'\\', 0x7f]) {
            for pad in 0..9 {
                specials.push_str(&"x".repeat(pad));
                specials.push(b as char);
                specials.push_str("é€😀/");
            }
        }
        let mut meta = Map::new();
        meta.insert("url".into(), Value::from("http://example.com/\"q\""));
        let reason = Reason {
            stage: "len".into(),
            rule: "min_words".into(),
            value: Value::from(3),
            threshold: Value::from(50),
            kept_id: None,
            detail: Some("tab\there".into()),
        };
        let edit = LineEdit {
            stage: "c4".into(),
            rule: "javascript".into(),
            line: 2,
            text: "enable \"JavaScript\"\n".into(),
            value: Value::Null,
            threshold: Value::Null,
        };
        for text in [seed, &specials, "", "\"", "ab\\", "short", "12345678\n"] {
            let doc = Document {
                id: format!("id\u{1}{}", text.len()),
                text: text.to_string(),
                metadata: meta.clone(),
                ..Default::default()
            };
            for (removal, edits) in [
                (None, None),
                (Some(&reason), None),
                (Some(&reason), Some(std::slice::from_ref(&edit))),
                (None, Some(std::slice::from_ref(&edit))),
            ] {
                let mut ours = Vec::new();
                encode_line(&mut ours, &doc, removal, edits);
                let mut theirs = serde_json::to_vec(&Line {
                    id: &doc.id,
                    text: &doc.text,
                    metadata: &doc.metadata,
                    removal,
                    edits,
                })
                .unwrap();
                theirs.push(b'\n');
                assert_eq!(
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&theirs)
                );
            }
        }
    }

    #[test]
    fn configured_fields_and_extra_fields_land_in_the_document() {
        let d = parse_record(
            br#"{"doc_id": 7, "content": "hello", "source": "cc", "metadata": {"url": "http://a"}}"#,
            "content",
            "doc_id",
        )
        .unwrap();
        assert_eq!(d.id, "7");
        assert_eq!(d.text, "hello");
        assert_eq!(d.url(), Some("http://a"));
        assert_eq!(d.source(), Some("cc"));
    }

    #[test]
    fn bad_records_name_the_problem() {
        assert_eq!(
            parse_record(b"{\"id\":1}", "text", "id").unwrap_err().0,
            "missing_text"
        );
        assert_eq!(
            parse_record(b"{\"text\":", "text", "id").unwrap_err().0,
            "malformed_json"
        );
        assert_eq!(
            parse_record(b"[1,2]", "text", "id").unwrap_err().0,
            "malformed_json"
        );
        assert_eq!(
            parse_record(b"{\"text\":3}", "text", "id").unwrap_err().0,
            "missing_text"
        );
        let (kind, msg) = parse_record(b"{\"text\":\"a\xff\"}", "text", "id").unwrap_err();
        assert_eq!(kind, "invalid_utf8");
        assert!(msg.contains("byte 10"), "{msg}");
    }
}
