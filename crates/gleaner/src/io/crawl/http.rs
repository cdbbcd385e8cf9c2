//! HTTP responses as archived in WARC and ARC records: status line and headers, chunked
//! transfer coding, content codings, and what kind of payload the body is.
//!
//! Hand-written rather than `httparse` because archived responses are routinely non-conforming
//! in ways a strict parser rejects: bare `LF` line ends (ClueWeb09), `Name:value` without a space,
//! header bytes outside the token grammar, and headers that describe the body as it was on the
//! wire (`Transfer-Encoding: chunked`, `Content-Encoding: gzip`) when the crawler stored it
//! already decoded (Common Crawl's 2008 ARCs, ClueWeb09). So codings are only undone when the
//! bytes actually carry them.

use std::io::Read;

/// The most header bytes accepted before the body; Common Crawl's own limit for stored headers is
/// far below this, and anything longer is not an HTTP response.
const MAX_HEAD_BYTES: usize = 256 << 10;

/// A parsed HTTP response head and its body.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse<'a> {
    /// Status code (0 when the status line carries none).
    pub status: u16,
    /// Headers in order, names as written.
    pub headers: Vec<(String, String)>,
    /// The body as stored, before undoing any coding.
    pub body: &'a [u8],
}

impl HttpResponse<'_> {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a response that starts with `HTTP/`. `Err` says what is wrong.
pub fn parse_response(block: &[u8]) -> Result<HttpResponse<'_>, String> {
    if !block.starts_with(b"HTTP/") {
        return Err("block does not start with an HTTP status line".into());
    }
    let limit = block.len().min(MAX_HEAD_BYTES);
    let mut pos = 0;
    let mut status = 0u16;
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut first = true;
    loop {
        if pos >= limit {
            if limit == block.len() {
                // Headers without the blank line: the response has no body.
                return Ok(HttpResponse {
                    status,
                    headers,
                    body: &block[block.len()..],
                });
            }
            return Err(format!("HTTP header is longer than {MAX_HEAD_BYTES} bytes"));
        }
        let end = memchr::memchr(b'\n', &block[pos..]).map_or(block.len(), |i| pos + i + 1);
        let line = trim_eol(&block[pos..end]);
        pos = end;
        if first {
            first = false;
            status = parse_status(line);
            continue;
        }
        if line.is_empty() {
            break;
        }
        if matches!(line[0], b' ' | b'\t') {
            // Obsolete line folding: continue the previous header's value.
            if let Some((_, v)) = headers.last_mut() {
                v.push(' ');
                v.push_str(String::from_utf8_lossy(line).trim());
            }
            continue;
        }
        if let Some(colon) = memchr::memchr(b':', line) {
            let name = String::from_utf8_lossy(&line[..colon]).trim().to_string();
            let value = String::from_utf8_lossy(&line[colon + 1..])
                .trim()
                .to_string();
            if !name.is_empty() {
                headers.push((name, value));
            }
        }
        // A line without a colon is noise some servers emit; browsers ignore it too.
    }
    Ok(HttpResponse {
        status,
        headers,
        body: &block[pos..],
    })
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let mut e = line.len();
    while e > 0 && matches!(line[e - 1], b'\n' | b'\r') {
        e -= 1;
    }
    &line[..e]
}

fn parse_status(line: &[u8]) -> u16 {
    let mut parts = line.split(|&b| b == b' ').filter(|p| !p.is_empty());
    parts.next();
    parts
        .next()
        .and_then(|c| std::str::from_utf8(c).ok())
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Undoes chunked transfer coding when `body` really is chunked; `None` when it is not (the
/// crawler stored the decoded body despite the header) so the caller keeps the body as is.
/// A chunked body cut short (a truncated capture) yields the chunks that are complete.
pub fn dechunk(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    let mut pos = 0;
    let mut chunks = 0usize;
    loop {
        let nl = memchr::memchr(b'\n', &body[pos..])?;
        let line = trim_eol(&body[pos..pos + nl]);
        let size_field = line.split(|&b| b == b';').next().unwrap_or(line);
        let size_field = std::str::from_utf8(size_field).ok()?.trim();
        if size_field.is_empty() || size_field.len() > 15 {
            return None;
        }
        let size = usize::from_str_radix(size_field, 16).ok()?;
        pos += nl + 1;
        if size == 0 {
            return Some(out);
        }
        chunks += 1;
        let end = pos.checked_add(size)?;
        if end > body.len() {
            // Truncated capture: keep what arrived, but only if at least one chunk was sound,
            // otherwise this was never chunked.
            if chunks > 1 {
                out.extend_from_slice(&body[pos..]);
                return Some(out);
            }
            return None;
        }
        out.extend_from_slice(&body[pos..end]);
        pos = end;
        // Each chunk ends with CRLF (tolerate LF).
        if body[pos..].starts_with(b"\r\n") {
            pos += 2;
        } else if body[pos..].starts_with(b"\n") {
            pos += 1;
        } else if pos == body.len() {
            return Some(out);
        } else {
            return None;
        }
        if pos == body.len() {
            return Some(out);
        }
    }
}

/// Why a content-coded body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The coding is one we do not implement (`br`, `compress`, …).
    Unsupported(String),
    /// The bytes carry the coding's signature but do not decode.
    Corrupt(String),
    /// Decoding would exceed the size limit (a compression bomb or a huge page).
    TooLarge,
}

/// Undoes `Content-Encoding` when the body carries it. Returns `Ok(None)` when there is nothing
/// to undo (no coding, `identity`, or a body that is evidently already decoded).
pub fn decode_content(
    body: &[u8],
    content_encoding: Option<&str>,
    max_bytes: usize,
) -> Result<Option<Vec<u8>>, DecodeError> {
    let coding = content_encoding.map(|c| c.trim().to_ascii_lowercase());
    let gzip_magic = body.starts_with(&[0x1f, 0x8b]);
    match coding.as_deref() {
        None | Some("") | Some("identity") | Some("none") => {
            // Some servers gzip without saying so; the magic bytes are unambiguous.
            if gzip_magic {
                inflate(flate2::read::MultiGzDecoder::new(body), max_bytes).map(Some)
            } else {
                Ok(None)
            }
        }
        Some("gzip") | Some("x-gzip") => {
            if gzip_magic {
                inflate(flate2::read::MultiGzDecoder::new(body), max_bytes).map(Some)
            } else {
                Ok(None)
            }
        }
        Some("deflate") => {
            if looks_like_text(body) {
                return Ok(None);
            }
            // "deflate" is zlib-wrapped by the standard but raw deflate from many servers.
            inflate(flate2::read::ZlibDecoder::new(body), max_bytes)
                .or_else(|_| inflate(flate2::read::DeflateDecoder::new(body), max_bytes))
                .map(Some)
        }
        Some("zstd") => {
            if !body.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
                return Ok(None);
            }
            let dec = zstd::stream::read::Decoder::new(body)
                .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
            inflate(dec, max_bytes).map(Some)
        }
        Some(other) => {
            if looks_like_text(body) {
                Ok(None)
            } else {
                Err(DecodeError::Unsupported(other.to_string()))
            }
        }
    }
}

fn inflate(reader: impl Read, max_bytes: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    let mut limited = reader.take(max_bytes as u64 + 1);
    limited
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
    if out.len() > max_bytes {
        return Err(DecodeError::TooLarge);
    }
    Ok(out)
}

/// True when the first bytes have no control bytes other than whitespace: decoded text or
/// markup rather than compressed or binary data.
pub fn looks_like_text(body: &[u8]) -> bool {
    let head = &body[..body.len().min(512)];
    !head
        .iter()
        .any(|&b| b < 0x09 || (b > 0x0d && b < 0x20 && b != 0x1b))
}

/// What a payload is, as far as gleaner cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadKind {
    /// HTML or XHTML: goes to the extraction stage.
    Html,
    /// Plain text: used as is.
    Text,
    /// Anything else (images, PDF, scripts, feeds, …): skipped.
    Other,
}

/// The MIME essence of a `Content-Type` value, lowercased (`Text/HTML; charset=x` → `text/html`).
pub fn mime_essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Classifies a payload from its declared MIME type, falling back to sniffing the bytes when the
/// declaration is missing or generic. A declared text type whose bytes are binary (a PDF served
/// as `text/html`) is `Other`.
pub fn classify(mime: &str, body: &[u8]) -> PayloadKind {
    let declared = match mime {
        "text/html" | "application/xhtml+xml" | "application/vnd.wap.xhtml+xml" => {
            Some(PayloadKind::Html)
        }
        "text/plain" => Some(PayloadKind::Text),
        "" | "application/octet-stream" | "unknown/unknown" | "application/unknown" => None,
        _ => Some(PayloadKind::Other),
    };
    match declared {
        Some(PayloadKind::Other) => PayloadKind::Other,
        Some(kind) => {
            if has_binary_signature(body) {
                PayloadKind::Other
            } else {
                kind
            }
        }
        None => {
            if sniff_html(body) {
                PayloadKind::Html
            } else {
                PayloadKind::Other
            }
        }
    }
}

fn has_binary_signature(body: &[u8]) -> bool {
    const SIGNATURES: &[&[u8]] = &[
        b"%PDF-",
        b"\x89PNG",
        b"GIF8",
        b"\xff\xd8\xff",
        b"PK\x03\x04",
        b"\x1f\x8b",
        b"RIFF",
        b"\x00\x00\x01\x00",
        b"OggS",
        b"ID3",
        b"\x7fELF",
    ];
    SIGNATURES.iter().any(|s| body.starts_with(s)) || !looks_like_text(body)
}

/// The WHATWG MIME-sniffing HTML signatures, after leading whitespace.
fn sniff_html(body: &[u8]) -> bool {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let head = &body[start..body.len().min(start + 16)];
    const TAGS: &[&[u8]] = &[
        b"<!doctype html",
        b"<html",
        b"<head",
        b"<body",
        b"<title",
        b"<meta",
        b"<script",
        b"<iframe",
        b"<h1",
        b"<div",
        b"<table",
        b"<p",
        b"<!--",
    ];
    TAGS.iter().any(|t| {
        head.len() > t.len()
            && head[..t.len()].eq_ignore_ascii_case(t)
            && (t.ends_with(b"--") || matches!(head[t.len()], b' ' | b'>' | b'\t' | b'\n' | b'\r'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lenient_heads() {
        let r = parse_response(
            b"HTTP/1.1 404 Not Found\nServer:nginx\r\nX-Long: a\r\n  b\r\nbogus line\r\n\r\n<html>",
        )
        .unwrap();
        assert_eq!(r.status, 404);
        assert_eq!(r.header("server"), Some("nginx"));
        assert_eq!(r.header("X-LONG"), Some("a b"));
        assert_eq!(r.body, b"<html>");
        assert!(parse_response(b"GET / HTTP/1.1\r\n\r\n").is_err());
    }

    #[test]
    fn dechunks_only_chunked_bodies() {
        assert_eq!(
            dechunk(b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\n\r\n").as_deref(),
            Some(&b"Wikipedia"[..])
        );
        assert_eq!(dechunk(b"<html><body>already decoded</body></html>"), None);
        assert_eq!(dechunk(b"ffffffffffffffffffff\r\nx"), None);
    }

    #[test]
    fn undoes_gzip_only_when_present() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"<html>hi</html>").unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(
            decode_content(&gz, Some("gzip"), 1 << 20)
                .unwrap()
                .as_deref(),
            Some(&b"<html>hi</html>"[..])
        );
        assert_eq!(decode_content(b"<html>", Some("gzip"), 1 << 20), Ok(None));
        assert_eq!(
            decode_content(&gz, Some("gzip"), 4),
            Err(DecodeError::TooLarge)
        );
        assert!(matches!(
            decode_content(&[0x1f, 0x8b, 8, 0, 1, 2, 3], Some("gzip"), 1 << 20),
            Err(DecodeError::Corrupt(_))
        ));
        assert!(matches!(
            decode_content(&[0xce, 0xb2, 0x00, 0x01], Some("br"), 1 << 20),
            Err(DecodeError::Unsupported(_))
        ));
    }

    #[test]
    fn classifies_payloads() {
        assert_eq!(classify("text/html", b"<html>"), PayloadKind::Html);
        assert_eq!(classify("text/html", b"%PDF-1.4 ..."), PayloadKind::Other);
        assert_eq!(classify("", b"  <!DOCTYPE html><html>"), PayloadKind::Html);
        assert_eq!(
            classify("application/octet-stream", b"\x00\x01"),
            PayloadKind::Other
        );
        assert_eq!(classify("image/png", b"<html>"), PayloadKind::Other);
        assert_eq!(classify("text/plain", b"hello"), PayloadKind::Text);
    }
}
