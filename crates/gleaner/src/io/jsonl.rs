//! JSON-lines reading and writing in the shape datatrove and dolma use:
//! `{"id": ..., "text": ..., "metadata": {...}}`, with the id and text field names configurable.
//! Top-level fields other than id, text and metadata (dolma's `source`, `added`, …) are folded
//! into the metadata so nothing the input carried is lost.

use std::fmt;
use std::io::{BufRead, Read};
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
    /// The block of the file the line lies in, shared with the other lines read from it.
    block: Arc<Vec<u8>>,
    range: std::ops::Range<usize>,
    record: u64,
    offset: u64,
    ctx: Arc<JsonlContext>,
}

impl RawJsonLine {
    /// Bytes of the line.
    pub fn len(&self) -> usize {
        self.range.len()
    }

    /// Whether the line is empty.
    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }

    /// Parses the line into a document, or a reject naming the file, line and problem.
    pub fn decode(self) -> Result<Document, Reject> {
        let ctx = &self.ctx;
        let line = trim_ascii(&self.block[self.range.clone()]);
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

/// Bytes read from the (decompressed) input at a time. Lines are handed out as ranges of these
/// blocks rather than copied into a buffer each: one copy and one allocation fewer per document.
const BLOCK_BYTES: usize = 1 << 20;

/// Streams the lines of a JSONL file, with bounded line length; blank lines are skipped.
pub struct JsonlReader {
    ctx: Arc<JsonlContext>,
    reader: Box<dyn BufRead + Send>,
    max_record: usize,
    line_no: u64,
    offset: u64,
    /// The current block: `block[pos..]` is read but not yet handed out.
    block: Arc<Vec<u8>>,
    pos: usize,
    eof: bool,
    /// A read error that ended the input; reported once the complete lines before it are out.
    error: Option<std::io::Error>,
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
                block: Arc::new(Vec::new()),
                pos: 0,
                eof: false,
                error: None,
                done: false,
            }),
            Err(e) => Box::new(std::iter::once(RawRecord::Ready(Err(Reject::new(
                &file.path,
                "io",
                e.to_string(),
            ))))),
        }
    }

    /// Starts a new block holding the unread tail of the current one, then fills it from the
    /// input until it is full or the input ends. Lines handed out keep the old block alive.
    fn refill(&mut self) {
        let tail = &self.block[self.pos..];
        let mut next = Vec::with_capacity(BLOCK_BYTES.max(tail.len() * 2));
        next.extend_from_slice(tail);
        self.pos = 0;
        let result = fill(&mut self.reader, &mut next);
        self.block = Arc::new(next);
        match result {
            Ok(more) => self.eof = !more,
            Err(e) => {
                self.eof = true;
                self.error = Some(e);
            }
        }
    }

    /// Consumes the rest of a line longer than `max_record` (its first bytes are `block[pos..]`)
    /// without holding it, and returns the bytes consumed and an excerpt of its start.
    fn skip_long_line(&mut self) -> std::io::Result<(usize, Vec<u8>)> {
        let excerpt = self.block[self.pos..].iter().take(800).copied().collect();
        let mut consumed = self.block.len() - self.pos;
        let mut buf = Vec::with_capacity(BLOCK_BYTES);
        loop {
            buf.clear();
            let more = fill(&mut self.reader, &mut buf)?;
            if let Some(i) = memchr::memchr(b'\n', &buf) {
                consumed += i + 1;
                self.block = Arc::new(buf[i + 1..].to_vec());
                self.pos = 0;
                self.eof = !more;
                return Ok((consumed, excerpt));
            }
            consumed += buf.len();
            if !more {
                self.block = Arc::new(Vec::new());
                self.pos = 0;
                self.eof = true;
                return Ok((consumed, excerpt));
            }
        }
    }

    fn reject(&self, kind: &str, message: impl Into<String>, start: u64) -> Reject {
        Reject::new(&self.ctx.path, kind, message)
            .at_record(self.line_no)
            .at_offset(start)
    }

    fn too_large(&self, start: u64, excerpt: &[u8]) -> RawRecord {
        let r = self
            .reject(
                "too_large",
                format!(
                    "record is longer than max_record_bytes ({} bytes); raise [input] max_record_bytes to read it",
                    self.max_record
                ),
                start,
            )
            .with_excerpt(excerpt);
        RawRecord::Ready(Err(r))
    }
}

/// Reads from `reader` into `buf`'s spare capacity until it is full or the input ends (without
/// zeroing it first). Returns whether more input may follow; on an error, the bytes read before
/// it stay in `buf`.
fn fill(reader: &mut Box<dyn BufRead + Send>, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    let want = buf.capacity() - buf.len();
    let n = std::io::Read::take(reader, want as u64).read_to_end(buf)?;
    Ok(n == want)
}

impl Iterator for JsonlReader {
    type Item = RawRecord;

    fn next(&mut self) -> Option<RawRecord> {
        loop {
            if self.done {
                return None;
            }
            let start = self.offset;
            let rest = &self.block[self.pos..];
            let (range, consumed) = match memchr::memchr(b'\n', rest) {
                Some(i) => (self.pos..self.pos + i, i + 1),
                None if self.error.is_some() => {
                    self.done = true;
                    self.line_no += 1;
                    let e = self.error.take().expect("checked above");
                    let r = self
                        .reject(
                            "truncated",
                            format!(
                                "input ends early or is corrupt ({e}); records before it were read"
                            ),
                            start,
                        )
                        .with_excerpt(rest);
                    return Some(RawRecord::Ready(Err(r)));
                }
                None if rest.len() > self.max_record => {
                    // No end in sight within the limit: report the record and skip it.
                    self.line_no += 1;
                    return Some(match self.skip_long_line() {
                        Ok((consumed, excerpt)) => {
                            self.offset += consumed as u64;
                            self.too_large(start, &excerpt)
                        }
                        Err(e) => {
                            self.done = true;
                            RawRecord::Ready(Err(self.reject(
                                "truncated",
                                format!("input ends early or is corrupt ({e}); records before it were read"),
                                start,
                            )))
                        }
                    });
                }
                None if !self.eof => {
                    self.refill();
                    continue;
                }
                None if rest.is_empty() => {
                    self.done = true;
                    return None;
                }
                // The last line, without a newline.
                None => (self.pos..self.block.len(), rest.len()),
            };
            self.pos += consumed;
            self.offset += consumed as u64;
            self.line_no += 1;
            if range.len() > self.max_record {
                return Some(self.too_large(start, &self.block[range]));
            }
            if trim_ascii(&self.block[range.clone()]).is_empty() {
                continue;
            }
            return Some(RawRecord::Json(RawJsonLine {
                block: self.block.clone(),
                range,
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
    use crate::config::ByteSize;

    /// Reads `path` with the block reader: (record, offset, id or reject kind) per item.
    fn read_all(path: &std::path::Path, max_record: u64) -> Vec<(u64, u64, String)> {
        let file = InputFile {
            index: 0,
            path: path.to_path_buf(),
            size: std::fs::metadata(path).unwrap().len(),
        };
        let cfg = InputConfig {
            max_record_bytes: ByteSize(max_record),
            ..Default::default()
        };
        JsonlReader::open(&file, &cfg, Arc::new(AtomicU64::new(0)))
            .map(|r| match r {
                RawRecord::Json(line) => {
                    let (record, offset) = (line.record, line.offset);
                    match line.decode() {
                        Ok(d) => (record, offset, d.id),
                        Err(r) => (record, offset, r.kind),
                    }
                }
                RawRecord::Ready(Err(r)) => (r.record.unwrap(), r.offset.unwrap(), r.kind),
                RawRecord::Ready(Ok(d)) => (0, 0, d.id),
            })
            .collect()
    }

    /// What the reader must produce, from a plain split of the bytes on `\n`.
    fn expected(bytes: &[u8], max_record: usize) -> Vec<(u64, u64, String)> {
        let mut out = Vec::new();
        let mut offset = 0u64;
        let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        for (i, line) in body.split(|&b| b == b'\n').enumerate() {
            let record = i as u64 + 1;
            if line.len() > max_record {
                out.push((record, offset, "too_large".to_string()));
            } else if !trim_ascii(line).is_empty() {
                let id = match parse_record(trim_ascii(line), "text", "id") {
                    Ok(d) => d.id,
                    Err((kind, _)) => kind.to_string(),
                };
                out.push((record, offset, id));
            }
            offset += line.len() as u64 + 1;
        }
        out
    }

    /// Real articles (1.4 MB, so lines cross the 1 MiB block boundary), with blank lines, a
    /// malformed line, an over-long line and no final newline; plain and zstd-compressed.
    #[test]
    fn block_reader_hands_out_every_line_with_its_number_and_offset() {
        let zst = include_bytes!("../../../../examples/data/news-sample.jsonl.zst");
        let mut data = zstd::decode_all(&zst[..]).unwrap();
        data.extend_from_slice(b"\n  \n{\"text\": broken\n");
        data.extend_from_slice(
            format!("{{\"id\":\"long\",\"text\":\"{}\"}}\n", "y".repeat(9000)).as_bytes(),
        );
        data.extend_from_slice(b"{\"id\":\"last\",\"text\":\"no newline\"}");
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.jsonl");
        std::fs::write(&plain, &data).unwrap();
        let packed = dir.path().join("a.jsonl.zst");
        std::fs::write(&packed, zstd::encode_all(&data[..], 1).unwrap()).unwrap();
        let want = expected(&data, 8192);
        assert!(want.len() > 400 && want.last().unwrap().2 == "last");
        assert!(
            want.iter().any(|w| w.2 == "too_large") && want.iter().any(|w| w.2 == "malformed_json")
        );
        assert_eq!(read_all(&plain, 8192), want);
        assert_eq!(read_all(&packed, 8192), want);
        // A record longer than a whole block, and than the limit, is skipped as one.
        let huge = 3 << 20;
        let mut big =
            format!("{{\"id\":\"big\",\"text\":\"{}\"}}\n", "z".repeat(huge)).into_bytes();
        big.extend_from_slice(&data);
        std::fs::write(&plain, &big).unwrap();
        assert_eq!(read_all(&plain, 1 << 30), expected(&big, 1 << 30));
        assert_eq!(read_all(&plain, 1 << 20), expected(&big, 1 << 20));
    }

    #[test]
    fn truncated_input_keeps_the_records_before_the_cut() {
        let zst = include_bytes!("../../../../examples/data/news-sample.jsonl.zst");
        let data = zstd::decode_all(&zst[..]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.jsonl.zst");
        std::fs::write(&path, &zst[..zst.len() * 3 / 4]).unwrap();
        let got = read_all(&path, 1 << 30);
        let (last, read) = got.split_last().unwrap();
        assert_eq!(last.2, "truncated");
        let want = expected(&data, 1 << 30);
        assert!(
            read.len() > 200,
            "only {} records before the cut",
            read.len()
        );
        assert_eq!(read, &want[..read.len()]);
    }

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
