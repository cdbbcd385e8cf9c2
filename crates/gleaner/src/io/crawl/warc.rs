//! WARC record framing (WARC 0.18 as in ClueWeb09, 1.0 and 1.1; WET and WAT are WARC too), and
//! the byte stream with push-back that the WARC and ARC framers share.
//!
//! Why not the `fastwarc` crate (2.0.0, checked in its source): a parse error drops the record
//! that owns the reader, so one bad record ends the iteration and nothing after it is read; it
//! has no ARC support; it hands out records as `Rc<RefCell<_>>`/`Arc<Mutex<_>>`; and it does
//! not report where a bad record starts. gleaner must read past broken records, report each
//! with its offset, and never panic, so the framing is written here. It is simple: a version
//! line, `Name: value` headers up to a blank line, `Content-Length` bytes of block, and CRLF CRLF.
//!
//! Recovery rules, all counted as rejects with the record's offset in the decompressed stream:
//! * bytes that are not a record (binary garbage, a half-written record) are skipped to the next
//!   line that is a WARC version line (`WARC/1.0`, also found at the end of a garbage line);
//! * a block not followed by its CRLF CRLF terminator means `Content-Length` is wrong: if the
//!   block swallowed the next record's version line, reading resumes there; otherwise the reader
//!   resynchronises on the next version line. The record itself is rejected, because where it
//!   ends cannot be known;
//! * a stream that ends inside a record (truncated file) or fails to decompress ends reading.

use std::io::{self, BufRead};

/// One line of a header may be at most this long; longer means garbage.
pub(crate) const MAX_LINE: usize = 64 << 10;
/// A record's header block may be at most this long (Common Crawl's are under 2 KiB).
const MAX_HEADER: usize = 256 << 10;
/// How much of a bad record to keep for the reject's excerpt.
const EXCERPT: usize = 800;

/// A record cut out of a WARC or ARC stream.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRecord {
    /// Offset of the record's first byte in the decompressed stream.
    pub offset: u64,
    /// Lowercased record type: WARC-Type (`response`, `request`, `conversion`, …); for ARC
    /// records `response`, `resource`, `dns` or `filedesc`.
    pub record_type: String,
    /// Header fields in order, names as written. ARC records carry synthesised WARC names
    /// (`WARC-Target-URI`, `WARC-Date`, `Content-Type`).
    pub headers: Vec<(String, String)>,
    /// The record block (for a response: HTTP head and body).
    pub block: Vec<u8>,
}

impl RawRecord {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Something that is not a readable record, and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Malformed {
    /// Offset in the decompressed stream.
    pub offset: u64,
    /// Reject class: `garbage`, `bad_content_length`, `truncated`, `malformed_header`,
    /// `too_large`, `corrupt_input`.
    pub kind: &'static str,
    /// What is wrong.
    pub message: String,
    /// The first bytes of the offending region.
    pub excerpt: Vec<u8>,
}

/// What a framer yields.
#[derive(Debug, Clone, PartialEq)]
pub enum Framed {
    /// A well-framed record.
    Record(RawRecord),
    /// A region that is not a readable record.
    Malformed(Malformed),
    /// A tolerated deviation worth counting (e.g. `quirk.arc_filedesc_length`).
    Quirk(&'static str),
}

/// A decompressed byte stream with an offset and push-back, so a framer that read too far (a
/// block that swallowed the next record's start) can put bytes back.
pub struct ArchiveStream {
    inner: Box<dyn BufRead + Send>,
    front: Vec<u8>,
    front_pos: usize,
    /// Bytes consumed so far (minus bytes pushed back).
    pub offset: u64,
}

impl ArchiveStream {
    /// Wraps a (decompressed) reader.
    pub fn new(inner: Box<dyn BufRead + Send>) -> Self {
        ArchiveStream {
            inner,
            front: Vec::new(),
            front_pos: 0,
            offset: 0,
        }
    }

    /// The buffered bytes: pushed-back bytes first, then the inner reader's buffer.
    pub fn fill(&mut self) -> io::Result<&[u8]> {
        if self.front_pos < self.front.len() {
            return Ok(&self.front[self.front_pos..]);
        }
        loop {
            match self.inner.fill_buf() {
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        // Buffered now; asking again returns the same bytes without reading.
        self.inner.fill_buf()
    }

    /// Marks `n` bytes of the last [`fill`](Self::fill) as read.
    pub fn consume(&mut self, n: usize) {
        self.offset += n as u64;
        if self.front_pos < self.front.len() {
            self.front_pos += n;
            if self.front_pos >= self.front.len() {
                self.front.clear();
                self.front_pos = 0;
            }
        } else {
            self.inner.consume(n);
        }
    }

    /// Puts `bytes` back in front of the stream; they are read again next.
    pub fn unread(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut front = Vec::with_capacity(bytes.len() + self.front.len() - self.front_pos);
        front.extend_from_slice(bytes);
        front.extend_from_slice(&self.front[self.front_pos..]);
        self.front = front;
        self.front_pos = 0;
        self.offset = self.offset.saturating_sub(bytes.len() as u64);
    }

    /// Reads one line (with its `\n`) into `out`, keeping at most `cap` bytes of it and
    /// skipping the rest. Returns the bytes consumed (0 at end of stream).
    pub fn read_line(&mut self, out: &mut Vec<u8>, cap: usize) -> io::Result<usize> {
        out.clear();
        let mut consumed = 0;
        loop {
            let chunk = self.fill()?;
            if chunk.is_empty() {
                return Ok(consumed);
            }
            let (take, found) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let room = cap.saturating_sub(out.len());
            out.extend_from_slice(&chunk[..take.min(room)]);
            self.consume(take);
            consumed += take;
            if found {
                return Ok(consumed);
            }
        }
    }

    /// Reads lines into `line` until one that `blank` does not match, the line a record header
    /// must start at. Returns that line's offset, `Ok(None)` at the end of the stream; an error
    /// carries the offset of the line being read.
    pub(crate) fn next_content_line(
        &mut self,
        line: &mut Vec<u8>,
        cap: usize,
        blank: fn(&[u8]) -> bool,
    ) -> Result<Option<u64>, (u64, io::Error)> {
        loop {
            let start = self.offset;
            match self.read_line(line, cap) {
                Err(e) => return Err((start, e)),
                Ok(0) => return Ok(None),
                Ok(_) if blank(line) => continue,
                Ok(_) => return Ok(Some(start)),
            }
        }
    }

    /// Appends up to `n` bytes to `out`; fewer only at end of stream. Memory grows with the bytes
    /// actually present, not with `n`, so a lying length cannot allocate gigabytes.
    pub fn read_block(&mut self, n: u64, out: &mut Vec<u8>) -> io::Result<u64> {
        let mut left = n;
        while left > 0 {
            let chunk = self.fill()?;
            if chunk.is_empty() {
                break;
            }
            let take = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            out.extend_from_slice(&chunk[..take]);
            self.consume(take);
            left -= take as u64;
        }
        Ok(n - left)
    }

    /// Skips up to `n` bytes; fewer only at end of stream.
    pub fn skip(&mut self, n: u64) -> io::Result<u64> {
        let mut left = n;
        while left > 0 {
            let chunk = self.fill()?;
            if chunk.is_empty() {
                break;
            }
            let take = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            self.consume(take);
            left -= take as u64;
        }
        Ok(n - left)
    }

    /// Up to `n` next bytes without consuming them.
    pub fn peek(&mut self, n: usize) -> io::Result<Vec<u8>> {
        let mut got = Vec::with_capacity(n);
        self.read_block(n as u64, &mut got)?;
        self.unread(&got);
        Ok(got)
    }
}

/// True for a WARC version line: `WARC/` digits `.` digits, then only the line end.
pub fn is_version_line(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"WARC/") else {
        return false;
    };
    let rest = trim_end(rest);
    let Some(dot) = memchr::memchr(b'.', rest) else {
        return false;
    };
    let (major, minor) = (&rest[..dot], &rest[dot + 1..]);
    (1..=2).contains(&major.len())
        && (1..=3).contains(&minor.len())
        && major.iter().chain(minor).all(u8::is_ascii_digit)
}

/// Where a version line starts inside `line` after other bytes (garbage glued to the next
/// record without a line break).
fn embedded_version_line(line: &[u8]) -> Option<usize> {
    memchr::memmem::find_iter(line, b"WARC/").find(|&p| p > 0 && is_version_line(&line[p..]))
}

/// Finds the start of the first version line inside `block` (a block that swallowed the next
/// record because its `Content-Length` was too large).
fn version_line_in_block(block: &[u8]) -> Option<usize> {
    memchr::memmem::find_iter(block, b"\nWARC/")
        .map(|p| p + 1)
        .find(|&p| {
            let end = memchr::memchr(b'\n', &block[p..]).map_or(block.len(), |e| p + e + 1);
            end < block.len() && is_version_line(&block[p..end])
        })
}

pub(crate) fn trim_end(b: &[u8]) -> &[u8] {
    let mut e = b.len();
    while e > 0 && b[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    &b[..e]
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&b| b == b'\r' || b == b'\n')
}

fn excerpt(b: &[u8]) -> Vec<u8> {
    b[..b.len().min(EXCERPT)].to_vec()
}

/// Cuts a WARC stream into records; see the module documentation for the recovery rules.
pub struct WarcFramer {
    stream: ArchiveStream,
    max_record: u64,
    line: Vec<u8>,
    done: bool,
    /// After a rejected record, the bytes up to the next record belong to that reject and are
    /// skipped without a second one.
    resync_silently: bool,
}

impl WarcFramer {
    /// A framer over `stream`; blocks over `max_record` bytes are skipped as `too_large`.
    pub fn new(stream: ArchiveStream, max_record: u64) -> Self {
        WarcFramer {
            stream,
            max_record,
            line: Vec::new(),
            done: false,
            resync_silently: false,
        }
    }

    fn fail(&mut self, offset: u64, kind: &'static str, message: String, ex: &[u8]) -> Framed {
        Framed::Malformed(Malformed {
            offset,
            kind,
            message,
            excerpt: excerpt(ex),
        })
    }

    fn io_failure(&mut self, offset: u64, e: io::Error) -> Framed {
        if crate::io::gzmembers::is_recoverable(&e) {
            // The gzip layer skipped a corrupt member and goes on: so does the framer, from
            // the next record start.
            self.resync_silently = true;
            return self.fail(
                offset,
                "corrupt_input",
                format!("{e}; the record here is lost, reading resumes at the next record"),
                &[],
            );
        }
        self.done = true;
        self.fail(
            offset,
            "corrupt_input",
            format!("the stream cannot be read past this point ({e}); records before it were read"),
            &[],
        )
    }

    /// Skips from `start` (whose first line is in `self.line`) to the next version line.
    /// Returns the number of bytes skipped.
    fn skip_to_next_record(&mut self, start: u64) -> io::Result<u64> {
        loop {
            if let Some(p) = embedded_version_line(&self.line) {
                let tail = self.line[p..].to_vec();
                self.stream.unread(&tail);
                return Ok(self.stream.offset - start);
            }
            let line_start = self.stream.offset;
            let mut line = std::mem::take(&mut self.line);
            let n = self.stream.read_line(&mut line, MAX_LINE);
            self.line = line;
            if n? == 0 {
                return Ok(self.stream.offset - start);
            }
            if is_version_line(&self.line) {
                let l = self.line.clone();
                self.stream.unread(&l);
                return Ok(line_start - start);
            }
        }
    }

    /// Reads one record whose version line is in `self.line` and started at `start`.
    fn read_record(&mut self, start: u64) -> io::Result<Framed> {
        let mut head = self.line.clone();
        let mut headers: Vec<(String, String)> = Vec::new();
        loop {
            let mut line = std::mem::take(&mut self.line);
            let n = self.stream.read_line(&mut line, MAX_LINE)?;
            self.line = line;
            if n == 0 {
                self.done = true;
                return Ok(self.fail(
                    start,
                    "truncated",
                    "the file ends inside a record header".into(),
                    &head,
                ));
            }
            if is_blank(&self.line) {
                break;
            }
            if head.len() + n > MAX_HEADER || n > MAX_LINE {
                self.resync_silently = true;
                return Ok(self.fail(
                    start,
                    "malformed_header",
                    format!("record header is longer than {MAX_HEADER} bytes"),
                    &head,
                ));
            }
            head.extend_from_slice(&self.line);
            if is_version_line(&self.line) {
                // A new record begins before this one's header ended: this one was cut off.
                let l = self.line.clone();
                self.stream.unread(&l);
                return Ok(self.fail(
                    start,
                    "truncated",
                    "record header is cut off by the next record".into(),
                    &head,
                ));
            }
            let line = trim_end(&self.line);
            if matches!(line.first(), Some(b' ' | b'\t'))
                && let Some((_, v)) = headers.last_mut()
            {
                v.push(' ');
                v.push_str(String::from_utf8_lossy(line).trim());
                continue;
            }
            match memchr::memchr(b':', line) {
                Some(c) if c > 0 => headers.push((
                    String::from_utf8_lossy(&line[..c]).trim().to_string(),
                    String::from_utf8_lossy(&line[c + 1..]).trim().to_string(),
                )),
                _ => {
                    self.resync_silently = true;
                    let shown = String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned();
                    return Ok(self.fail(
                        start,
                        "malformed_header",
                        format!("header line is not `Name: value`: {shown:?}"),
                        &head,
                    ));
                }
            }
        }
        let length = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Content-Length"))
            .and_then(|(_, v)| v.parse::<u64>().ok());
        let Some(length) = length else {
            self.resync_silently = true;
            return Ok(self.fail(
                start,
                "bad_content_length",
                "record has no valid Content-Length".into(),
                &head,
            ));
        };
        let record_type = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("WARC-Type"))
            .map(|(_, v)| v.to_ascii_lowercase())
            .unwrap_or_default();
        if length > self.max_record {
            let got = self.stream.skip(length)?;
            if got < length {
                self.done = true;
            }
            return Ok(self.fail(
                start,
                "too_large",
                format!(
                    "record block of {length} bytes is larger than max_record_bytes ({}); raise [input] max_record_bytes to read it",
                    self.max_record
                ),
                &head,
            ));
        }
        let mut block = Vec::new();
        let got = self.stream.read_block(length, &mut block)?;
        if got < length {
            if let Some(f) = self.overrun(start, length, &block, &head) {
                return Ok(f);
            }
            self.done = true;
            return Ok(self.fail(
                start,
                "truncated",
                format!("the file ends {got} bytes into a block of {length} bytes"),
                &head,
            ));
        }
        if !self.terminator_ok()? {
            if let Some(f) = self.overrun(start, length, &block, &head) {
                return Ok(f);
            }
            self.resync_silently = true;
            return Ok(self.fail(
                start,
                "bad_content_length",
                format!(
                    "the block of Content-Length {length} is not followed by the record terminator"
                ),
                &head,
            ));
        }
        Ok(Framed::Record(RawRecord {
            offset: start,
            record_type,
            headers,
            block,
        }))
    }

    /// A block that holds the start of the next record (its Content-Length is too long): pushes
    /// that record back to be read on its own and reports this one.
    fn overrun(&mut self, start: u64, length: u64, block: &[u8], head: &[u8]) -> Option<Framed> {
        let p = version_line_in_block(block)?;
        self.stream.unread(&block[p..]);
        Some(self.fail(
            start,
            "bad_content_length",
            format!(
                "Content-Length {length} runs past the next record, which starts {p} bytes into the block"
            ),
            head,
        ))
    }

    /// Consumes the CRLF CRLF after a block. Accepts any 1–4 line-end bytes followed by the end
    /// of the stream or the next version line, and a full CRLF CRLF followed by anything (what
    /// follows is then judged on its own). Also accepts a missing terminator at end of stream.
    fn terminator_ok(&mut self) -> io::Result<bool> {
        let ahead = self.stream.peek(4 + 5)?;
        let k = ahead
            .iter()
            .take(4)
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        let rest = &ahead[k..];
        let ok = (k == 4 && ahead[..4] == *b"\r\n\r\n")
            || rest.is_empty()
            || (k > 0 && rest.starts_with(b"WARC/"));
        if ok {
            self.stream.consume_ahead(k);
        }
        Ok(ok)
    }
}

impl ArchiveStream {
    /// Consumes `n` bytes known to be buffered (just peeked).
    fn consume_ahead(&mut self, n: usize) {
        let mut left = n;
        while left > 0 {
            let Ok(chunk) = self.fill() else { return };
            if chunk.is_empty() {
                return;
            }
            let take = chunk.len().min(left);
            self.consume(take);
            left -= take;
        }
    }
}

impl Iterator for WarcFramer {
    type Item = Framed;

    fn next(&mut self) -> Option<Framed> {
        loop {
            if self.done {
                return None;
            }
            let mut line = std::mem::take(&mut self.line);
            let next = self.stream.next_content_line(&mut line, MAX_LINE, is_blank);
            self.line = line;
            let start = match next {
                Err((start, e)) => return Some(self.io_failure(start, e)),
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Ok(Some(start)) => start,
            };
            if is_version_line(&self.line) {
                self.resync_silently = false;
                return Some(match self.read_record(start) {
                    Ok(f) => f,
                    Err(e) => self.io_failure(start, e),
                });
            }
            let first = self.line.clone();
            let skipped = match self.skip_to_next_record(start) {
                Ok(n) => n,
                Err(e) => return Some(self.io_failure(start, e)),
            };
            if std::mem::take(&mut self.resync_silently) {
                continue;
            }
            return Some(self.fail(
                start,
                "garbage",
                format!("{skipped} bytes that are not a WARC record, skipped to the next record"),
                &first,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(bytes: &[u8]) -> Vec<Framed> {
        let stream = ArchiveStream::new(Box::new(io::Cursor::new(bytes.to_vec())));
        WarcFramer::new(stream, 1 << 20).collect()
    }

    fn record(kind: &str, body: &str) -> String {
        format!(
            "WARC/1.0\r\nWARC-Type: {kind}\r\nContent-Length: {}\r\n\r\n{body}\r\n\r\n",
            body.len()
        )
    }

    fn summary(f: &[Framed]) -> Vec<String> {
        f.iter()
            .map(|f| match f {
                Framed::Record(r) => format!("{}@{}", r.record_type, r.offset),
                Framed::Malformed(m) => format!("!{}@{}", m.kind, m.offset),
                Framed::Quirk(q) => format!("~{q}"),
            })
            .collect()
    }

    #[test]
    fn frames_records_and_keeps_blocks_exact() {
        let a = record("response", "HTTP/1.1 200 OK\r\n\r\nhello");
        let b = record("request", "GET / HTTP/1.1\r\n\r\n");
        let f = frame(format!("{a}{b}").as_bytes());
        assert_eq!(
            summary(&f),
            vec!["response@0".to_string(), format!("request@{}", a.len())]
        );
        let Framed::Record(r) = &f[0] else { panic!() };
        assert_eq!(r.block, b"HTTP/1.1 200 OK\r\n\r\nhello");
    }

    #[test]
    fn skips_garbage_and_reports_its_offset() {
        let a = record("response", "x");
        let b = record("response", "y");
        let input = [a.as_bytes(), b"\x00\xff binary\ngarbage\x01", b.as_bytes()].concat();
        let f = frame(&input);
        assert_eq!(
            summary(&f),
            vec![
                "response@0".to_string(),
                format!("!garbage@{}", a.len()),
                format!("response@{}", a.len() + 18),
            ]
        );
    }

    #[test]
    fn too_long_content_length_recovers_next_record() {
        let good = record("response", "y");
        let bad = "WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 30\r\n\r\nshort\r\n\r\n";
        let f = frame(format!("{bad}{good}{good}").as_bytes());
        assert_eq!(
            summary(&f),
            vec![
                "!bad_content_length@0".to_string(),
                format!("response@{}", bad.len()),
                format!("response@{}", bad.len() + good.len()),
            ]
        );
    }

    #[test]
    fn too_short_content_length_is_rejected_and_resynchronised() {
        let good = record("response", "y");
        let bad = "WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 2\r\n\r\nlonger body\r\n\r\n";
        let f = frame(format!("{bad}{good}").as_bytes());
        assert_eq!(
            summary(&f),
            vec![
                "!bad_content_length@0".to_string(),
                format!("response@{}", bad.len())
            ]
        );
    }

    #[test]
    fn truncated_file_and_bad_headers() {
        let good = record("response", "y");
        let f = frame(format!("{good}WARC/1.0\r\nContent-Length: 100\r\n\r\nabc").as_bytes());
        assert_eq!(
            summary(&f),
            vec![
                "response@0".to_string(),
                format!("!truncated@{}", good.len())
            ]
        );
        let f = frame(format!("WARC/1.1\r\nno colon here\r\n\r\nbody\r\n\r\n{good}").as_bytes());
        assert_eq!(summary(&f)[0], "!malformed_header@0");
        assert_eq!(summary(&f).len(), 2);
        let f = frame(format!("WARC/1.1\r\nWARC-Type: x\r\n\r\n{good}").as_bytes());
        assert_eq!(summary(&f)[0], "!bad_content_length@0");
        assert_eq!(summary(&f).len(), 2);
    }

    #[test]
    fn version_lines() {
        assert!(is_version_line(b"WARC/1.0\r\n"));
        assert!(is_version_line(b"WARC/0.18\n"));
        assert!(!is_version_line(b"WARC/1.0 extra\r\n"));
        assert!(!is_version_line(b"WARC/\r\n"));
        assert_eq!(embedded_version_line(b"junkWARC/1.1\r\n"), Some(4));
    }
}
