//! WARC records (WARC 0.18 as in ClueWeb09, 1.0 and 1.1; WET and WAT are WARC too): a version
//! line, `Name: value` headers up to a blank line, `Content-Length` bytes of block, and CRLF CRLF.
//! How records are cut and how reading goes on after a bad one is the shared
//! [`framer`](super::framer)'s; this module says what a WARC header and terminator are.

use std::io;

use super::framer::{ArchiveStream, BadHead, Framer, Head, MAX_LINE, RecordFormat};

/// A record's header block may be at most this long (Common Crawl's are under 2 KiB).
const MAX_HEADER: usize = 256 << 10;

/// Cuts a WARC stream into records.
pub type WarcFramer = Framer<Warc>;

impl Framer<Warc> {
    /// A framer over `stream`; blocks over `max_record` bytes are skipped as `too_large`. Block
    /// digests are not checked (see [`with_block_digests`](Self::with_block_digests)).
    pub fn new(stream: ArchiveStream, max_record: u64) -> Self {
        Self::with_block_digests(stream, max_record, false)
    }

    /// [`new`](Self::new), checking each record's `WARC-Block-Digest` when `verify` is set: a
    /// record whose block does not match it is the reject `block_digest_mismatch`.
    pub fn with_block_digests(stream: ArchiveStream, max_record: u64, verify: bool) -> Self {
        let format = Warc {
            line: Vec::new(),
            verify_digest: verify,
        };
        Framer::with_format(format, stream, max_record)
    }
}

/// The WARC record format.
#[derive(Debug, Default)]
pub struct Warc {
    line: Vec<u8>,
    verify_digest: bool,
}

/// Checks `block` against a `WARC-Block-Digest` value. Only `sha1` (what Common Crawl, Heritrix
/// and warcio write), in base32 or hex, is checked; `None` when the value is another algorithm
/// or not readable, so nothing is claimed either way.
pub fn block_digest_matches(value: &str, block: &[u8]) -> Option<bool> {
    use sha1::Digest;
    let (algorithm, digest) = value.trim().split_once(':')?;
    if !algorithm.eq_ignore_ascii_case("sha1") {
        return None;
    }
    let digest = digest.trim().to_ascii_uppercase();
    let want = match digest.len() {
        32 => data_encoding::BASE32.decode(digest.as_bytes()).ok()?,
        40 => data_encoding::HEXUPPER.decode(digest.as_bytes()).ok()?,
        _ => return None,
    };
    Some(sha1::Sha1::digest(block).as_slice() == want.as_slice())
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

impl RecordFormat for Warc {
    const NAME: &'static str = "WARC";
    const LENGTH_FIELD: &'static str = "Content-Length";

    fn is_start(&self, line: &[u8]) -> bool {
        is_version_line(line)
    }

    fn embedded_start(&self, line: &[u8]) -> Option<usize> {
        embedded_version_line(line)
    }

    fn is_blank(&self, line: &[u8]) -> bool {
        is_blank(line)
    }

    fn read_head(
        &mut self,
        stream: &mut ArchiveStream,
        first: &[u8],
    ) -> io::Result<Result<Head, BadHead>> {
        let mut raw = first.to_vec();
        let bad = |kind, message: String, raw: &[u8], at_end| {
            Ok(Err(BadHead {
                kind,
                message,
                raw: raw.to_vec(),
                at_end,
            }))
        };
        let mut headers: Vec<(String, String)> = Vec::new();
        loop {
            let n = stream.read_line(&mut self.line, MAX_LINE)?;
            if n == 0 {
                return bad(
                    "truncated",
                    "the file ends inside a record header".into(),
                    &raw,
                    true,
                );
            }
            if is_blank(&self.line) {
                break;
            }
            if raw.len() + n > MAX_HEADER || n > MAX_LINE {
                return bad(
                    "malformed_header",
                    format!("record header is longer than {MAX_HEADER} bytes"),
                    &raw,
                    false,
                );
            }
            if is_version_line(&self.line) {
                // A new record begins before this one's header ended: this one was cut off.
                stream.unread(&self.line);
                return bad(
                    "truncated",
                    "record header is cut off by the next record".into(),
                    &raw,
                    false,
                );
            }
            if let Some(p) = embedded_version_line(&self.line) {
                // The same, with the next record glued to a half-written header line.
                raw.extend_from_slice(&self.line[..p]);
                stream.unread(&self.line[p..]);
                return bad(
                    "truncated",
                    "record header is cut off by the next record".into(),
                    &raw,
                    false,
                );
            }
            raw.extend_from_slice(&self.line);
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
                    let shown = String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned();
                    return bad(
                        "malformed_header",
                        format!("header line is not `Name: value`: {shown:?}"),
                        &raw,
                        false,
                    );
                }
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let Some(length) = header("Content-Length").and_then(|v| v.parse::<u64>().ok()) else {
            return bad(
                "bad_content_length",
                "record has no valid Content-Length".into(),
                &raw,
                false,
            );
        };
        let record_type = header("WARC-Type")
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        Ok(Ok(Head {
            raw,
            length,
            headers,
            record_type,
        }))
    }

    /// The CRLF CRLF after a block. Also accepts 1–3 line-end bytes followed by the end of the
    /// stream or the next version line (writers that end records with fewer), unless the block
    /// itself ends with the rest of a CRLF CRLF: then its length swallowed part of the terminator.
    /// A full CRLF CRLF followed by anything is accepted (what follows is judged on its own).
    fn terminator_ok(&self, stream: &mut ArchiveStream, block: &[u8]) -> io::Result<bool> {
        const END: &[u8; 4] = b"\r\n\r\n";
        let ahead = stream.peek(4 + 5)?;
        let k = ahead
            .iter()
            .take(4)
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        let rest = &ahead[k..];
        let swallowed = k < 4 && ahead[..k] == END[4 - k..] && block.ends_with(&END[..4 - k]);
        let ok = (k == 4 && ahead[..4] == *END)
            || (!swallowed && (rest.is_empty() || (k > 0 && rest.starts_with(b"WARC/"))));
        if ok {
            stream.skip(k as u64)?;
        }
        Ok(ok)
    }

    fn verify(&self, head: &Head, block: &[u8]) -> Result<(), (&'static str, String)> {
        if !self.verify_digest {
            return Ok(());
        }
        let Some((_, value)) = head
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("WARC-Block-Digest"))
        else {
            return Ok(());
        };
        match block_digest_matches(value, block) {
            Some(false) => Err((
                "block_digest_mismatch",
                format!(
                    "the record's block does not match its WARC-Block-Digest {value}: its bytes were altered after it was written"
                ),
            )),
            _ => Ok(()),
        }
    }

    fn record_type(&mut self, head: &Head, _block: &[u8]) -> String {
        head.record_type.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::crawl::framer::Framed;

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
