//! ARC record framing: the Internet Archive's pre-WARC format, used by Common Crawl until 2012.
//!
//! A record is one header line `URL IP-address Archive-date Content-type Archive-length` (version
//! 1; version 2 adds five fields before the length), then `Archive-length` bytes, then a newline.
//! The first record (`filedesc://…`) describes the file; its second line names the version.
//! Spec: <https://archive.org/web/researcher/ArcFileFormat.php>.
//!
//! How records are cut and how reading goes on after a bad one is the shared
//! [`framer`](super::framer)'s: a body not followed by its newline means the length is wrong,
//! and reading resumes at the next line that parses as an ARC header after the bad one's.
//! Common Crawl's 2008–2010 ARCs declare their `filedesc` version block two bytes too long
//! (73 for 71 bytes plus the separator); since that record never becomes a document, this is
//! counted as the quirk `quirk.arc_filedesc_length` instead of a reject.

use std::io;

use super::framer::{ArchiveStream, BadHead, Framer, Head, MAX_LINE, RecordFormat};
use super::warc::trim_end;

/// How far the `filedesc` length quirk may overrun the version block.
const FILEDESC_SLACK: usize = 16;

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
pub type ArcFramer = Framer<Arc>;

impl Framer<Arc> {
    /// A framer over `stream`; bodies over `max_record` bytes are skipped as `too_large`.
    pub fn new(stream: ArchiveStream, max_record: u64) -> Self {
        Framer::with_format(Arc { version: 1 }, stream, max_record)
    }
}

/// The ARC record format; its header syntax depends on the version the `filedesc` names.
#[derive(Debug)]
pub struct Arc {
    version: u8,
}

impl RecordFormat for Arc {
    const NAME: &'static str = "ARC";
    const LENGTH_FIELD: &'static str = "Archive-length";

    fn is_start(&self, line: &[u8]) -> bool {
        parse_header(line, self.version).is_some()
    }

    fn embedded_start(&self, _line: &[u8]) -> Option<usize> {
        // An ARC header has no fixed prefix to find inside a line.
        None
    }

    fn is_blank(&self, line: &[u8]) -> bool {
        trim_end(line).is_empty()
    }

    fn read_head(
        &mut self,
        _stream: &mut ArchiveStream,
        first: &[u8],
    ) -> io::Result<Result<Head, BadHead>> {
        let Some(h) = parse_header(first, self.version) else {
            return Ok(Err(BadHead {
                kind: "malformed_header",
                message: "not an ARC header line".into(),
                raw: first.to_vec(),
                at_end: false,
            }));
        };
        let date = iso_date(&h.date).unwrap_or_else(|| h.date.clone());
        let record_type = if h.url.starts_with("filedesc:") {
            "filedesc"
        } else if h.url.starts_with("dns:") {
            "dns"
        } else {
            ""
        };
        Ok(Ok(Head {
            raw: first.to_vec(),
            length: h.length,
            headers: vec![
                ("WARC-Target-URI".into(), h.url),
                ("WARC-Date".into(), date),
                ("Content-Type".into(), h.mime),
                ("WARC-IP-Address".into(), h.ip),
            ],
            record_type: record_type.into(),
        }))
    }

    /// The newline after a body (or the end of the stream).
    fn terminator_ok(&self, stream: &mut ArchiveStream, _block: &[u8]) -> io::Result<bool> {
        let next = stream.peek(1)?;
        match next.first() {
            None => Ok(true),
            Some(b'\n') => {
                stream.skip(1)?;
                Ok(true)
            }
            Some(_) => Ok(false),
        }
    }

    /// The `filedesc` length quirk: the body ran a few bytes into the next header line. The
    /// body ends at the newline before that line, which is pushed back.
    fn salvage(
        &mut self,
        head: &Head,
        block: &mut Vec<u8>,
        stream: &mut ArchiveStream,
    ) -> io::Result<Option<&'static str>> {
        if head.record_type != "filedesc" {
            return Ok(None);
        }
        let mut rest = Vec::new();
        stream.read_line(&mut rest, MAX_LINE)?;
        let from = block.len().saturating_sub(FILEDESC_SLACK);
        let cut = memchr::memrchr_iter(b'\n', &block[from..])
            .map(|i| from + i)
            .find(|&nl| {
                let line = [&block[nl + 1..], &rest[..]].concat();
                // The version block is not read yet: both header versions are candidates.
                parse_header(&line, 1).is_some() || parse_header(&line, 2).is_some()
            });
        let Some(nl) = cut else {
            stream.unread(&rest);
            return Ok(None);
        };
        let line = [&block[nl + 1..], &rest[..]].concat();
        stream.unread(&line);
        block.truncate(nl);
        Ok(Some("quirk.arc_filedesc_length"))
    }

    fn record_type(&mut self, head: &Head, block: &[u8]) -> String {
        if head.record_type == "filedesc" {
            // Version block: "1 0 Origin\nURL IP-address ...\n".
            if block.starts_with(b"2 ") {
                self.version = 2;
            }
            return head.record_type.clone();
        }
        if !head.record_type.is_empty() {
            head.record_type.clone()
        } else if block.starts_with(b"HTTP/") {
            "response".into()
        } else {
            "resource".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::crawl::framer::Framed;

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
