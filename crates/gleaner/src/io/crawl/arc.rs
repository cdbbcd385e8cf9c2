//! ARC record framing: the Internet Archive's pre-WARC format, used by Common Crawl until 2012.
//!
//! A record is one header line `URL IP-address Archive-date Content-type Archive-length` (version
//! 1; version 2 adds five fields before the length), then `Archive-length` bytes, then a newline.
//! The first record (`filedesc://…`) describes the file; its second line names the version.
//! Spec: <https://archive.org/web/researcher/ArcFileFormat.php>.
//!
//! Recovery mirrors the WARC framer: a body not followed by its newline means the length is
//! wrong; if the next header line's first bytes were swallowed by the body (length too large),
//! reading resumes at that line, otherwise at the next line that parses as an ARC header.
//! Common Crawl's 2008–2010 ARCs declare their `filedesc` version block two bytes too long
//! (73 for 71 bytes plus the separator); since that record never becomes a document, this is
//! counted as the quirk `quirk.arc_filedesc_length` instead of a reject.

use std::io;

use super::warc::{ArchiveStream, Framed, MAX_LINE, Malformed, RawRecord, trim_end};

/// How far back into a body the framer looks for the start of a swallowed header line.
const LOOKBACK: usize = 512;
const EXCERPT: usize = 800;

/// The fields of an ARC header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArcHeader {
    /// The URL (may contain spaces in badly written files).
    pub url: String,
    /// The server's IP address.
    pub ip: String,
    /// `YYYYMMDDhhmmss`.
    pub date: String,
    /// Declared MIME type of the body.
    pub mime: String,
    /// Body length in bytes.
    pub length: u64,
}

/// Parses a header line of ARC `version` 1 or 2 (anything but 2 is read as 1).
pub fn parse_header(line: &[u8], version: u8) -> Option<ArcHeader> {
    let line = std::str::from_utf8(trim_end(line)).ok()?;
    let fields: Vec<&str> = line.split(' ').filter(|f| !f.is_empty()).collect();
    // Version 2: URL IP date mime result-code checksum location offset filename length.
    let (tail, mime_at) = if version == 2 { (9, 3) } else { (4, 3) };
    if fields.len() < tail + 1 {
        return None;
    }
    let n = fields.len();
    let url_end = n - tail;
    let length_field = fields[n - 1];
    if length_field.len() > 15 || !length_field.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ip = fields[url_end];
    let date = fields[url_end + 1];
    let mime = fields[url_end + mime_at - 1];
    let url = fields[..url_end].join(" ");
    let date_ok = (12..=17).contains(&date.len()) && date.bytes().all(|b| b.is_ascii_digit());
    if !date_ok || !url.contains(':') || ip.is_empty() {
        return None;
    }
    Some(ArcHeader {
        url,
        ip: ip.to_string(),
        date: date.to_string(),
        mime: mime.to_string(),
        length: length_field.parse().ok()?,
    })
}

/// `YYYYMMDDhhmmss` → `YYYY-MM-DDThh:mm:ssZ` (ARC dates are UTC); `None` when not 14 digits.
pub fn iso_date(arc_date: &str) -> Option<String> {
    let d = arc_date.as_bytes();
    if d.len() != 14 || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let s = |a: usize, b: usize| &arc_date[a..b];
    Some(format!(
        "{}-{}-{}T{}:{}:{}Z",
        s(0, 4),
        s(4, 6),
        s(6, 8),
        s(8, 10),
        s(10, 12),
        s(12, 14)
    ))
}

/// Cuts an ARC stream into records.
pub struct ArcFramer {
    stream: ArchiveStream,
    max_record: u64,
    version: u8,
    line: Vec<u8>,
    done: bool,
    resync_silently: bool,
    /// A record held back while a quirk about it is yielded first.
    pending: Option<Framed>,
}

impl ArcFramer {
    /// A framer over `stream`; bodies over `max_record` bytes are skipped as `too_large`.
    pub fn new(stream: ArchiveStream, max_record: u64) -> Self {
        ArcFramer {
            stream,
            max_record,
            version: 1,
            line: Vec::new(),
            done: false,
            resync_silently: false,
            pending: None,
        }
    }

    fn fail(offset: u64, kind: &'static str, message: String, ex: &[u8]) -> Framed {
        Framed::Malformed(Malformed {
            offset,
            kind,
            message,
            excerpt: ex[..ex.len().min(EXCERPT)].to_vec(),
        })
    }

    fn io_failure(&mut self, offset: u64, e: io::Error) -> Framed {
        if crate::io::gzmembers::is_recoverable(&e) {
            // The gzip layer skipped a corrupt member and goes on: so does the framer, from
            // the next record start.
            self.resync_silently = true;
            return Self::fail(
                offset,
                "corrupt_input",
                format!("{e}; the record here is lost, reading resumes at the next record"),
                &[],
            );
        }
        self.done = true;
        Self::fail(
            offset,
            "corrupt_input",
            format!("the stream cannot be read past this point ({e}); records before it were read"),
            &[],
        )
    }

    /// Skips lines until one parses as a header (pushed back). Returns bytes skipped.
    fn skip_to_next_record(&mut self, start: u64) -> io::Result<u64> {
        loop {
            let line_start = self.stream.offset;
            let mut line = std::mem::take(&mut self.line);
            let n = self.stream.read_line(&mut line, MAX_LINE);
            self.line = line;
            if n? == 0 {
                return Ok(self.stream.offset - start);
            }
            if parse_header(&self.line, self.version).is_some() {
                let l = self.line.clone();
                self.stream.unread(&l);
                return Ok(line_start - start);
            }
        }
    }

    fn read_record(&mut self, start: u64, header: ArcHeader) -> io::Result<Framed> {
        let head = self.line.clone();
        let is_filedesc = header.url.starts_with("filedesc:");
        if header.length > self.max_record {
            if self.stream.skip(header.length)? < header.length {
                self.done = true;
            }
            return Ok(Self::fail(
                start,
                "too_large",
                format!(
                    "record body of {} bytes is larger than max_record_bytes ({}); raise [input] max_record_bytes to read it",
                    header.length, self.max_record
                ),
                &head,
            ));
        }
        let mut body = Vec::new();
        let got = self.stream.read_block(header.length, &mut body)?;
        if got < header.length {
            self.done = true;
            return Ok(Self::fail(
                start,
                "truncated",
                format!(
                    "the file ends {got} bytes into a body of {} bytes",
                    header.length
                ),
                &head,
            ));
        }
        let mut quirk = false;
        let next = self.stream.peek(1)?;
        if next.first() == Some(&b'\n') {
            self.stream.skip(1)?;
        } else if !next.is_empty() {
            // The body is not followed by its newline: the length is wrong.
            if let Some(cut) = self.recover_swallowed_header(&body)? {
                body.truncate(cut);
                if !is_filedesc {
                    return Ok(Self::fail(
                        start,
                        "bad_content_length",
                        format!(
                            "Archive-length {} runs into the next record's header line",
                            header.length
                        ),
                        &head,
                    ));
                }
                quirk = true;
            } else {
                self.resync_silently = true;
                return Ok(Self::fail(
                    start,
                    "bad_content_length",
                    format!(
                        "the body of Archive-length {} is not followed by a newline",
                        header.length
                    ),
                    &head,
                ));
            }
        }
        if is_filedesc {
            // Version block: "1 0 Origin\nURL IP-address ...\n".
            if body.starts_with(b"2 ") {
                self.version = 2;
            }
        }
        let record_type = if is_filedesc {
            "filedesc"
        } else if header.url.starts_with("dns:") {
            "dns"
        } else if body.starts_with(b"HTTP/") {
            "response"
        } else {
            "resource"
        };
        let date = iso_date(&header.date).unwrap_or_else(|| header.date.clone());
        let record = Framed::Record(RawRecord {
            offset: start,
            record_type: record_type.to_string(),
            headers: vec![
                ("WARC-Target-URI".into(), header.url),
                ("WARC-Date".into(), date),
                ("Content-Type".into(), header.mime),
                ("WARC-IP-Address".into(), header.ip),
            ],
            block: body,
        });
        if quirk {
            // Yield the quirk first; the record follows on the next call.
            self.pending = Some(record);
            return Ok(Framed::Quirk("quirk.arc_filedesc_length"));
        }
        Ok(record)
    }

    /// When a body ran past its end into the next header line, finds where that line starts
    /// inside the body's last bytes, pushes the line back and returns the body's true length.
    fn recover_swallowed_header(&mut self, body: &[u8]) -> io::Result<Option<usize>> {
        let mut rest = Vec::new();
        self.stream.read_line(&mut rest, MAX_LINE)?;
        let from = body.len().saturating_sub(LOOKBACK);
        let mut candidates: Vec<usize> = memchr::memchr_iter(b'\n', &body[from..])
            .map(|i| from + i)
            .collect();
        candidates.reverse();
        for nl in candidates {
            let mut line = body[nl + 1..].to_vec();
            line.extend_from_slice(&rest);
            if parse_header(&line, self.version).is_some() {
                self.stream.unread(&line);
                return Ok(Some(nl));
            }
        }
        self.stream.unread(&rest);
        Ok(None)
    }
}

impl Iterator for ArcFramer {
    type Item = Framed;

    fn next(&mut self) -> Option<Framed> {
        if let Some(r) = self.pending.take() {
            return Some(r);
        }
        loop {
            if self.done {
                return None;
            }
            let mut line = std::mem::take(&mut self.line);
            let next = self
                .stream
                .next_content_line(&mut line, MAX_LINE, |l| trim_end(l).is_empty());
            self.line = line;
            let start = match next {
                Err((start, e)) => return Some(self.io_failure(start, e)),
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Ok(Some(start)) => start,
            };
            if let Some(h) = parse_header(&self.line, self.version) {
                self.resync_silently = false;
                return Some(match self.read_record(start, h) {
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
            return Some(Self::fail(
                start,
                "garbage",
                format!("{skipped} bytes that are not an ARC record, skipped to the next record"),
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
        ArcFramer::new(stream, 1 << 20).collect()
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

    fn rec(url: &str, body: &str) -> String {
        format!(
            "{url} 1.2.3.4 20080509190241 text/html {}\n{body}\n",
            body.len()
        )
    }

    #[test]
    fn parses_header_lines() {
        let h = parse_header(b"http://a.b/c d 1.2.3.4 20080509190241 text/html 6508\n", 1).unwrap();
        assert_eq!((h.url.as_str(), h.length), ("http://a.b/c d", 6508));
        assert_eq!(iso_date(&h.date).as_deref(), Some("2008-05-09T19:02:41Z"));
        assert!(parse_header(b"HTTP/1.1 200 OK\r\n", 1).is_none());
        let v2 = b"http://x.y/ 1.2.3.4 20080509190241 text/html 200 abc - 123 f.arc 10\n";
        assert_eq!(parse_header(v2, 2).unwrap().length, 10);
    }

    #[test]
    fn filedesc_length_quirk_is_tolerated() {
        let vb = "1 0 CommonCrawl\nURL IP-address Archive-date Content-type Archive-length\n";
        let fd = format!(
            "filedesc://x.arc 0.0.0.0 20080619093439 text/plain {}\n{vb}\n",
            vb.len() + 2
        );
        let r = rec("http://a.b/", "HTTP/1.1 200 OK\r\n\r\n<p>x</p>");
        let f = frame(format!("{fd}{r}{r}").as_bytes());
        let first = fd.len();
        assert_eq!(
            summary(&f),
            vec![
                "~quirk.arc_filedesc_length".to_string(),
                "filedesc@0".to_string(),
                format!("response@{first}"),
                format!("response@{}", first + r.len()),
            ]
        );
    }

    #[test]
    fn bad_lengths_and_garbage() {
        let r = rec("http://a.b/", "HTTP/1.1 200 OK\r\n\r\nbody");
        let short = "http://c.d/ 1.2.3.4 20080509190241 text/html 3\nHTTP/1.1 200 OK\n";
        let f = frame(format!("{short}{r}\x00garbage\n{r}").as_bytes());
        assert_eq!(
            summary(&f),
            vec![
                "!bad_content_length@0".to_string(),
                format!("response@{}", short.len()),
                format!("!garbage@{}", short.len() + r.len()),
                format!("response@{}", short.len() + r.len() + 9),
            ]
        );
        let f =
            frame(format!("{r}http://c.d/ 1.2.3.4 20080509190241 text/html 99\nabc").as_bytes());
        assert_eq!(
            summary(&f),
            vec!["response@0".to_string(), format!("!truncated@{}", r.len())]
        );
    }
}
