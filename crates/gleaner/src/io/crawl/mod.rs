//! Crawl files (WARC, WET, ARC) as a stream of documents: which records become documents, what
//! their metadata says, and how their payload becomes UTF-8 text.
//!
//! * `response` records (WARC) and HTTP records (ARC) with an HTML or plain-text payload become
//!   documents. HTML stays HTML (`metadata.content_kind = "html"`) for the extraction stage;
//!   plain text is used as is (`"text"`).
//! * WET `conversion` records are documents of kind `"text"`: Common Crawl already extracted
//!   the text.
//! * Every other record (`request`, `metadata`, `warcinfo`, `resource`, `revisit`, WAT JSON,
//!   ARC `filedesc`/`dns`) and every response whose payload is not text (images, PDF, …) is
//!   skipped. Skips are not errors: they are counted in [`ReadCounters`] under
//!   `skipped_record.<type>` and `skipped_payload.<kind>`.
//! * Records that cannot be read are [`Reject`]s with their byte offset; reading goes on.
//!
//! A `WARC-Date` that is not a valid W3C-DTF date (ClueWeb09 writes `2008-10-294T05:21:46-0700`)
//! does not reject the record: the date is one metadata field of an otherwise sound record whose
//! page is intact, so the document keeps the raw string in `date`, gets `date_malformed = true`,
//! and the count `quirk.malformed_date` is raised. Rejecting would throw away every ClueWeb09
//! page for a field no stage depends on.
//!
//! Records are cut by [`framer`], one framer for WARC and ARC (which lengths to trust, where
//! reading resumes after a bad record, how too-large records are skipped); [`warc`] and [`arc`]
//! say what their headers and terminators are, and [`http`] reads the HTTP messages inside.

pub mod arc;
pub mod framer;
pub mod http;
mod stream;
pub mod warc;

use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use serde_json::{Map, Value};

pub use self::arc::ArcFramer;
pub use self::framer::{ArchiveStream, Framed, Malformed, RawRecord};
use self::http::{DecodeError, PayloadKind};
pub use self::warc::WarcFramer;
use super::charset;
use super::{InputFile, ReadCounters, RecordStream, Reject, compress};
use crate::config::InputConfig;
use crate::document::Document;

/// Which framing a crawl file uses, decided from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    /// WARC (also WET and WAT).
    Warc,
    /// ARC.
    Arc,
}

/// Decides WARC or ARC from the first bytes of the decompressed stream (leading blank lines are
/// ignored); `None` when it is neither.
pub fn sniff(head: &[u8]) -> Option<ArchiveKind> {
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let head = &head[start..];
    if head.starts_with(b"WARC/") {
        Some(ArchiveKind::Warc)
    } else if head.starts_with(b"filedesc://") {
        Some(ArchiveKind::Arc)
    } else {
        None
    }
}

/// How crawl records are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrawlOptions {
    /// Blocks larger than this are skipped as `too_large` (`[input] max_record_bytes`).
    pub max_record: u64,
    /// Check each WARC record's `WARC-Block-Digest` (sha1) and reject a record whose block does
    /// not match it.
    pub verify_block_digest: bool,
}

/// Opens a crawl file as a document stream. Counts of skipped records go to `counters`.
pub fn open(
    file: &InputFile,
    cfg: &InputConfig,
    bytes_read: Arc<AtomicU64>,
    counters: Arc<ReadCounters>,
) -> RecordStream {
    match open_crawl_file(&file.path, bytes_read, file.large_members) {
        Ok(reader) => {
            let verify_block_digest = match cfg.verify_block_digest {
                Some(verify) => verify,
                None => !is_gzip(&file.path).unwrap_or(false),
            };
            let options = CrawlOptions {
                max_record: cfg.max_record_bytes.0,
                verify_block_digest,
            };
            from_reader(file, reader, options, counters)
        }
        Err(e) => super::single_reject(Reject::new(&file.path, "io", e.to_string())),
    }
}

/// Crawl files open like every other input: gzip member by member and zstd frame by frame,
/// each released only once its checksum verifies ([`compress::open_decompressed`]), so a damaged
/// record-member costs only that record.
fn open_crawl_file(
    path: &std::path::Path,
    bytes_read: Arc<AtomicU64>,
    large: crate::io::members::LargeMembers,
) -> std::io::Result<Box<dyn BufRead + Send>> {
    compress::open_decompressed(path, bytes_read, large)
}

/// True when the file starts with the gzip magic.
fn is_gzip(path: &std::path::Path) -> std::io::Result<bool> {
    let mut magic = [0u8; 2];
    Ok(std::fs::File::open(path)?.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b])
}

/// Reads crawl records from an already decompressed `reader`; `file` names the source in
/// metadata and rejects. This is also the fuzzing entry point.
pub fn from_reader(
    file: &InputFile,
    reader: Box<dyn BufRead + Send>,
    options: CrawlOptions,
    counters: Arc<ReadCounters>,
) -> RecordStream {
    let max_record = options.max_record;
    let mut stream = ArchiveStream::new(reader);
    let head = match stream.peek(64) {
        Ok(h) => h,
        Err(e) => {
            return super::single_reject(Reject::new(&file.path, "corrupt_input", e.to_string()));
        }
    };
    // Not recognisably ARC: read as WARC, whose framer reports leading garbage and finds the
    // first record after it.
    // A UTF-8 byte order mark (some tools write one before any text file) is not part of the
    // first record: skipped so the file is recognised and framed as if it were not there.
    let head = match head.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => {
            let _ = stream.skip(3);
            rest
        }
        None => &head[..],
    };
    let framer: Box<dyn Iterator<Item = Framed> + Send> = match sniff(head) {
        Some(ArchiveKind::Arc) => Box::new(ArcFramer::new(stream, max_record)),
        _ => Box::new(WarcFramer::with_block_digests(
            stream,
            max_record,
            options.verify_block_digest,
        )),
    };
    Box::new(CrawlReader::new(file, framer, max_record, counters))
}

/// Turns framed records into documents.
pub struct CrawlReader {
    path: PathBuf,
    file_name: String,
    file_index: usize,
    framer: Box<dyn Iterator<Item = Framed> + Send>,
    max_record: usize,
    counters: Arc<ReadCounters>,
    local: BTreeMap<String, u64>,
    record_index: u64,
}

/// What became of one record.
enum Outcome {
    Document(Box<Document>),
    Skipped(String),
    Rejected(&'static str, String),
}

impl CrawlReader {
    /// A reader over `framer`'s records from `file`.
    pub fn new(
        file: &InputFile,
        framer: Box<dyn Iterator<Item = Framed> + Send>,
        max_record: u64,
        counters: Arc<ReadCounters>,
    ) -> Self {
        CrawlReader {
            path: file.path.clone(),
            file_name: file
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            file_index: file.index,
            framer,
            max_record: usize::try_from(max_record).unwrap_or(usize::MAX),
            counters,
            local: BTreeMap::new(),
            record_index: 0,
        }
    }

    fn count(&mut self, name: &str) {
        *self.local.entry(name.to_string()).or_default() += 1;
    }

    fn flush(&mut self) {
        for (k, v) in std::mem::take(&mut self.local) {
            self.counters.add(&k, v);
        }
    }

    fn convert(&mut self, rec: RawRecord) -> Outcome {
        match rec.record_type.as_str() {
            "response" => self.response(&rec),
            "conversion" => {
                let mime = rec.header("Content-Type").map(http::mime_essence);
                if mime
                    .as_deref()
                    .is_some_and(|m| !m.is_empty() && m != "text/plain")
                {
                    return Outcome::Skipped("skipped_payload.conversion_not_text".into());
                }
                self.document(
                    &rec,
                    None,
                    &rec.block,
                    "text/plain",
                    PayloadKind::Text,
                    None,
                )
            }
            other => Outcome::Skipped(format!("skipped_record.{}", record_type_key(other))),
        }
    }

    fn response(&mut self, rec: &RawRecord) -> Outcome {
        if !rec.block.starts_with(b"HTTP/") {
            // dns:, ftp: and other non-HTTP captures.
            return Outcome::Skipped("skipped_record.response_not_http".into());
        }
        let resp = match http::parse_response(&rec.block) {
            Ok(r) => r,
            Err(e) => return Outcome::Rejected("malformed_http", e),
        };
        let mut body: std::borrow::Cow<[u8]> = resp.body.into();
        if resp
            .header("Transfer-Encoding")
            .is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
            && let Some(d) = http::dechunk(&body)
        {
            body = d.into();
        }
        match http::decode_content(&body, resp.header("Content-Encoding"), self.max_record) {
            Ok(Some(d)) => body = d.into(),
            Ok(None) => {}
            Err(DecodeError::Unsupported(c)) => {
                return Outcome::Rejected(
                    "unsupported_content_encoding",
                    format!("HTTP body uses Content-Encoding {c:?}, which gleaner cannot decode"),
                );
            }
            Err(DecodeError::Corrupt(e)) => {
                return Outcome::Rejected(
                    "corrupt_content_encoding",
                    format!("HTTP body does not decode: {e}"),
                );
            }
            Err(DecodeError::TooLarge) => {
                return Outcome::Rejected(
                    "too_large",
                    format!(
                        "decoded HTTP body is larger than max_record_bytes ({})",
                        self.max_record
                    ),
                );
            }
        }
        let content_type = resp.header("Content-Type").unwrap_or("");
        let mut mime = http::mime_essence(content_type);
        if matches!(mime.as_str(), "" | "application/octet-stream") {
            // Common Crawl's own identification (Apache Tika) of what the server left unsaid.
            if let Some(id) = rec
                .header("WARC-Identified-Payload-Type")
                .map(http::mime_essence)
                .filter(|m| !m.is_empty())
            {
                mime = id;
            }
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            return Outcome::Skipped("skipped_payload.empty".into());
        }
        let kind = http::classify(&mime, &body);
        if kind == PayloadKind::Other {
            return Outcome::Skipped(format!("skipped_payload.{}", mime_class(&mime)));
        }
        let http_charset = charset::content_type_charset(content_type);
        self.document(rec, Some(resp.status), &body, &mime, kind, http_charset)
    }

    fn document(
        &mut self,
        rec: &RawRecord,
        http_status: Option<u16>,
        payload: &[u8],
        mime: &str,
        kind: PayloadKind,
        http_charset: Option<&str>,
    ) -> Outcome {
        if payload.iter().all(u8::is_ascii_whitespace) {
            return Outcome::Skipped("skipped_payload.empty".into());
        }
        let url = rec
            .header("WARC-Target-URI")
            .map(|u| u.trim_start_matches('<').trim_end_matches('>').to_string());
        let tld = url.as_deref().and_then(charset::url_tld);
        let decoded = charset::decode(
            payload,
            http_charset,
            kind == PayloadKind::Html,
            tld.map(str::as_bytes),
        );
        let record_id = rec
            .header("WARC-Record-ID")
            .map(|id| id.trim_start_matches('<').trim_end_matches('>').to_string())
            .filter(|id| !id.is_empty());
        let id = match (&record_id, &url) {
            (Some(id), _) => id.clone(),
            (None, Some(u)) => format!("{u}@{}", rec.offset),
            (None, None) => format!("{}:{}", self.file_name, rec.offset),
        };
        let mut m = Map::new();
        if let Some(u) = url {
            m.insert("url".into(), Value::String(u));
        }
        if let Some(date) = rec.header("WARC-Date") {
            if !is_w3c_dtf(date) {
                m.insert("date_malformed".into(), Value::Bool(true));
                self.count("quirk.malformed_date");
            }
            m.insert("date".into(), Value::String(date.to_string()));
        }
        if let Some(id) = record_id {
            m.insert("warc_record_id".into(), Value::String(id));
        }
        if let Some(trec) = rec.header("WARC-TREC-ID") {
            m.insert("trec_id".into(), Value::String(trec.to_string()));
        }
        m.insert("warc_type".into(), Value::String(rec.record_type.clone()));
        m.insert("content_type".into(), Value::String(mime.to_string()));
        if let Some(s) = http_status {
            m.insert("http_status".into(), Value::from(s));
        }
        m.insert("source".into(), Value::String(self.file_name.clone()));
        m.insert("offset".into(), Value::from(rec.offset));
        m.insert("charset".into(), Value::String(decoded.charset.to_string()));
        m.insert(
            "charset_source".into(),
            Value::String(decoded.source.as_str().to_string()),
        );
        if decoded.had_errors {
            m.insert("charset_errors".into(), Value::Bool(true));
        }
        let content_kind = if kind == PayloadKind::Html {
            "html"
        } else {
            "text"
        };
        m.insert("content_kind".into(), Value::String(content_kind.into()));
        let mut doc = Document::new(id, decoded.text);
        doc.metadata = m;
        doc.position = Document::make_position(self.file_index, self.record_index - 1);
        Outcome::Document(Box::new(doc))
    }
}

impl Iterator for CrawlReader {
    type Item = Result<Document, Reject>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let Some(framed) = self.framer.next() else {
                self.flush();
                return None;
            };
            match framed {
                Framed::Quirk(q) => self.count(q),
                Framed::Malformed(m) => {
                    self.record_index += 1;
                    return Some(Err(Reject::new(&self.path, m.kind, m.message)
                        .at_record(self.record_index)
                        .at_offset(m.offset)
                        .with_excerpt(&m.excerpt)));
                }
                Framed::Record(rec) => {
                    self.record_index += 1;
                    let offset = rec.offset;
                    let head_len = rec.block.len().min(800);
                    let excerpt = rec.block[..head_len].to_vec();
                    match self.convert(rec) {
                        Outcome::Document(d) => {
                            self.count("documents");
                            return Some(Ok(*d));
                        }
                        Outcome::Skipped(why) => self.count(&why),
                        Outcome::Rejected(kind, message) => {
                            return Some(Err(Reject::new(&self.path, kind, message)
                                .at_record(self.record_index)
                                .at_offset(offset)
                                .with_excerpt(&excerpt)));
                        }
                    }
                }
            }
        }
    }
}

impl Drop for CrawlReader {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Counter key for a record type: the WARC 1.1 types and ARC's own verbatim, anything else
/// `other` (so a hostile file cannot create unbounded counter names).
fn record_type_key(t: &str) -> &str {
    match t {
        "warcinfo" | "request" | "metadata" | "resource" | "revisit" | "continuation"
        | "conversion" | "response" | "filedesc" | "dns" => t,
        "" => "missing_type",
        _ => "other",
    }
}

/// Counter key for a skipped payload: the MIME top-level type (`image`, `application`, …).
fn mime_class(mime: &str) -> &str {
    match mime.split('/').next().unwrap_or("") {
        t @ ("application" | "audio" | "font" | "image" | "message" | "model" | "multipart"
        | "text" | "video") => t,
        "" => "unknown",
        _ => "other",
    }
}

/// True for a W3C-DTF date as WARC 1.1 allows it (ISO 28500:2017 §5.4): `YYYY`, `YYYY-MM`,
/// `YYYY-MM-DD`, then optionally `Thh:mm`, `:ss` and a fraction, with `Z` or `±hh:mm`.
pub fn is_w3c_dtf(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |at: usize, n: usize| b.len() >= at + n && b[at..at + n].iter().all(u8::is_ascii_digit);
    let num = |at: usize, n: usize| -> u32 { s[at..at + n].parse().unwrap_or(u32::MAX) };
    if !digits(0, 4) {
        return false;
    }
    let mut i = 4;
    if i == b.len() {
        return true;
    }
    if b[i] != b'-' || !digits(i + 1, 2) || !(1..=12).contains(&num(i + 1, 2)) {
        return false;
    }
    i += 3;
    if i == b.len() {
        return true;
    }
    if b[i] != b'-' || !digits(i + 1, 2) || !(1..=31).contains(&num(i + 1, 2)) {
        return false;
    }
    i += 3;
    if i == b.len() {
        return true;
    }
    if b[i] != b'T' || !digits(i + 1, 2) || num(i + 1, 2) > 23 {
        return false;
    }
    i += 3;
    if b.get(i) != Some(&b':') || !digits(i + 1, 2) || num(i + 1, 2) > 59 {
        return false;
    }
    i += 3;
    if b.get(i) == Some(&b':') {
        if !digits(i + 1, 2) || num(i + 1, 2) > 60 {
            return false;
        }
        i += 3;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start {
                return false;
            }
        }
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            b.len() == i + 6 && digits(i + 1, 2) && b[i + 3] == b':' && digits(i + 4, 2)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn w3c_dates() {
        for ok in [
            "2024-05-17T23:31:22Z",
            "2024-05-17T23:31:22.123456Z",
            "2024-05-17T23:31Z",
            "2024-05-17",
            "2024",
            "2008-10-29T05:21:46-07:00",
        ] {
            assert!(is_w3c_dtf(ok), "{ok}");
        }
        for bad in [
            "2008-10-294T05:21:46-0700",
            "2024-13-01",
            "2024-05-17T23:31:22",
            "20240517",
            "",
            "2024-05-17T23:31:22.Z",
        ] {
            assert!(!is_w3c_dtf(bad), "{bad}");
        }
    }

    #[test]
    fn sniffs_formats() {
        assert_eq!(sniff(b"\r\nWARC/1.0\r\n"), Some(ArchiveKind::Warc));
        assert_eq!(sniff(b"filedesc://x.arc 0.0.0.0"), Some(ArchiveKind::Arc));
        assert_eq!(sniff(b"{\"id\":1}"), None);
    }
}
