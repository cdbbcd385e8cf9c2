//! Character-set resolution and decoding of crawled payloads to UTF-8.
//!
//! The order follows the WHATWG HTML encoding-sniffing algorithm
//! (<https://html.spec.whatwg.org/multipage/parsing.html#encoding-sniffing-algorithm>): a byte
//! order mark, then the transport layer's declaration (the HTTP `Content-Type` charset), then a
//! `<meta>` prescan of the first 1024 bytes, then statistical detection (`chardetng`, the
//! detector Firefox uses). Decoding is done by `encoding_rs`, which implements the WHATWG
//! Encoding Standard, so labels map to encodings exactly as in a browser (`iso-8859-1` →
//! windows-1252, `gb2312` → GBK, …).
//!
//! One deliberate departure from a browser: when the declaration is windows-1252 (which includes
//! `iso-8859-1` and `us-ascii`) but the bytes are valid UTF-8 containing non-ASCII, the page is
//! decoded as UTF-8. A browser shows such pages as mojibake; for a text corpus the author's
//! evident intent matters more, and valid multi-byte UTF-8 is vanishingly unlikely in real
//! windows-1252 text.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// Where the character set of a payload came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharsetSource {
    /// A UTF-8 or UTF-16 byte order mark.
    Bom,
    /// The `charset` parameter of the HTTP `Content-Type` header.
    HttpHeader,
    /// A `<meta charset>` or `<meta http-equiv=content-type>` tag.
    HtmlMeta,
    /// The declaration said windows-1252/latin-1 but the bytes are valid non-ASCII UTF-8.
    Utf8Override,
    /// Statistical detection by `chardetng`.
    Detected,
}

impl CharsetSource {
    /// The name written to `metadata.charset_source`.
    pub fn as_str(self) -> &'static str {
        match self {
            CharsetSource::Bom => "bom",
            CharsetSource::HttpHeader => "http_header",
            CharsetSource::HtmlMeta => "html_meta",
            CharsetSource::Utf8Override => "utf8_override",
            CharsetSource::Detected => "detected",
        }
    }
}

/// A payload decoded to UTF-8, with the encoding used and where it came from.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The text.
    pub text: String,
    /// The encoding's WHATWG name, e.g. `UTF-8`, `EUC-JP`, `windows-1251`.
    pub charset: &'static str,
    /// How the encoding was chosen.
    pub source: CharsetSource,
    /// Whether malformed byte sequences were replaced with U+FFFD.
    pub had_errors: bool,
}

/// How many bytes the `<meta>` prescan looks at: the HTML standard says 1024; pages with a long
/// `<head>` preamble (comments, scripts) often declare later, and browsers' prescans reach
/// further in practice, so we allow 4096.
const META_PRESCAN_BYTES: usize = 4096;

/// How many bytes the detector is fed. chardetng's guess settles within a few KiB of non-ASCII
/// text; feeding megabytes only costs time.
const DETECT_BYTES: usize = 64 << 10;

/// Decodes `bytes` to UTF-8. `http_charset` is the `charset` parameter from the HTTP header,
/// `is_html` enables the `<meta>` prescan, and `tld` (e.g. `b"jp"`) sharpens detection.
pub fn decode(
    bytes: &[u8],
    http_charset: Option<&str>,
    is_html: bool,
    tld: Option<&[u8]>,
) -> Decoded {
    let (encoding, source) = resolve(bytes, http_charset, is_html, tld);
    // `decode` strips a BOM matching the encoding (and would switch encodings on a BOM, which
    // `resolve` has already honoured).
    let (text, used, had_errors) = encoding.decode(bytes);
    Decoded {
        text: text.into_owned(),
        charset: used.name(),
        source,
        had_errors,
    }
}

/// Chooses the encoding for `bytes` without decoding.
pub fn resolve(
    bytes: &[u8],
    http_charset: Option<&str>,
    is_html: bool,
    tld: Option<&[u8]>,
) -> (&'static Encoding, CharsetSource) {
    if let Some((enc, _)) = Encoding::for_bom(bytes) {
        return (enc, CharsetSource::Bom);
    }
    let declared = http_charset
        .and_then(|l| Encoding::for_label(l.trim().trim_matches(['"', '\'']).as_bytes()))
        .map(|e| (e, CharsetSource::HttpHeader))
        .or_else(|| {
            if is_html {
                meta_charset(&bytes[..bytes.len().min(META_PRESCAN_BYTES)])
                    .map(|e| (e, CharsetSource::HtmlMeta))
            } else {
                None
            }
        });
    match declared {
        Some((enc, _)) if enc == WINDOWS_1252 && is_non_ascii_utf8(bytes) => {
            (UTF_8, CharsetSource::Utf8Override)
        }
        // A declared UTF-16 without a BOM is almost always a mislabelled ASCII-compatible page;
        // the HTML standard's prescan maps it to UTF-8 for the same reason.
        Some((enc, src)) if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE => {
            if bytes.contains(&0) {
                (enc, src)
            } else {
                (UTF_8, src)
            }
        }
        // `replacement` (for labels such as iso-2022-kr) would turn the whole page into one
        // U+FFFD; detection gives the text a chance.
        Some((enc, src)) if enc != encoding_rs::REPLACEMENT => (enc, src),
        _ => (detect(bytes, tld), CharsetSource::Detected),
    }
}

fn detect(bytes: &[u8], tld: Option<&[u8]>) -> &'static Encoding {
    let sample = &bytes[..bytes.len().min(DETECT_BYTES)];
    if sample.is_ascii() {
        return UTF_8;
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
    det.feed(sample, sample.len() == bytes.len());
    det.guess(tld, chardetng::Utf8Detection::Allow)
}

fn is_non_ascii_utf8(bytes: &[u8]) -> bool {
    !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok()
}

/// A simplified version of the HTML standard's `<meta>` prescan: finds the first `<meta` tag
/// carrying `charset=` (either as its own attribute or inside `content="text/html;
/// charset=..."`) and returns the encoding it names. Comments are skipped so a commented-out
/// declaration does not count.
pub fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let mut i = 0;
    while i < head.len() {
        let rest = &head[i..];
        let lt = memchr::memchr(b'<', rest)?;
        let tag = &rest[lt..];
        if tag.starts_with(b"<!--") {
            let end = memchr::memmem::find(&tag[4..], b"-->")?;
            i += lt + 4 + end + 3;
            continue;
        }
        let gt = memchr::memchr(b'>', tag).unwrap_or(tag.len());
        let body = &tag[..gt];
        if body.len() > 5
            && body[..5].eq_ignore_ascii_case(b"<meta")
            && let Some(enc) = charset_in_attrs(&body[5..])
        {
            return Some(enc);
        }
        i += lt + gt.max(1);
    }
    None
}

/// Finds `charset` followed by optional spaces, `=`, and a (possibly quoted) label.
fn charset_in_attrs(attrs: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = attrs.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(p) = memchr::memmem::find(&lower[from..], b"charset") {
        let mut j = from + p + 7;
        while j < lower.len() && lower[j].is_ascii_whitespace() {
            j += 1;
        }
        if j < lower.len() && lower[j] == b'=' {
            j += 1;
            while j < lower.len()
                && (lower[j].is_ascii_whitespace() || matches!(lower[j], b'"' | b'\''))
            {
                j += 1;
            }
            let start = j;
            while j < lower.len()
                && !lower[j].is_ascii_whitespace()
                && !matches!(lower[j], b'"' | b'\'' | b';' | b'/' | b'>')
            {
                j += 1;
            }
            if let Some(enc) = Encoding::for_label(&lower[start..j]) {
                return Some(enc);
            }
        }
        from += p + 7;
    }
    None
}

/// The `charset` parameter of a `Content-Type` value, if any.
pub fn content_type_charset(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']))
            .filter(|v| !v.is_empty())
    })
}

/// The top-level domain of a URL's host, for the detector (`http://a.b.jp/x` → `jp`).
pub fn url_tld(url: &str) -> Option<&str> {
    let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    let host_port = after_scheme.split(['/', '?', '#']).next()?;
    let host = host_port.rsplit_once('@').map_or(host_port, |(_, h)| h);
    let host = host.split(':').next()?;
    let tld = host.rsplit('.').next()?;
    (!tld.is_empty() && tld.bytes().all(|b| b.is_ascii_alphabetic())).then_some(tld)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_beats_meta_and_bom_beats_header() {
        let html = b"<html><head><meta charset=\"windows-1251\"></head><body>\xcf\xf0\xe8\xe2\xe5\xf2</body>";
        let d = decode(html, Some("koi8-r"), true, None);
        assert_eq!((d.charset, d.source), ("KOI8-R", CharsetSource::HttpHeader));
        let d = decode(html, None, true, None);
        assert_eq!(
            (d.charset, d.source),
            ("windows-1251", CharsetSource::HtmlMeta)
        );
        assert!(d.text.contains("Привет"));
        let mut bom = b"\xef\xbb\xbf".to_vec();
        bom.extend_from_slice("Привет".as_bytes());
        let d = decode(&bom, Some("windows-1251"), true, None);
        assert_eq!(
            (d.charset, d.source, d.text.as_str()),
            ("UTF-8", CharsetSource::Bom, "Привет")
        );
    }

    #[test]
    fn http_equiv_and_comments() {
        let html = b"<!-- <meta charset=big5> --><META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=EUC-JP'>";
        assert_eq!(meta_charset(html).map(|e| e.name()), Some("EUC-JP"));
        assert_eq!(meta_charset(b"<meta name=x><p>charset=utf-8"), None);
    }

    #[test]
    fn latin1_label_on_utf8_bytes_decodes_as_utf8() {
        let d = decode("café".as_bytes(), Some("iso-8859-1"), true, None);
        assert_eq!(
            (d.text.as_str(), d.source),
            ("café", CharsetSource::Utf8Override)
        );
        let d = decode(b"caf\xe9", Some("iso-8859-1"), true, None);
        assert_eq!((d.text.as_str(), d.charset), ("café", "windows-1252"));
    }

    #[test]
    fn undeclared_shift_jis_is_detected() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(
            "日本語のテキストです。これは文字コードの判定のための文章であり、十分な長さがあります。",
        );
        let d = decode(&sjis, None, true, Some(b"jp"));
        assert_eq!(
            (d.charset, d.source),
            ("Shift_JIS", CharsetSource::Detected)
        );
        assert!(d.text.starts_with("日本語"));
    }

    #[test]
    fn parses_content_type_and_tld() {
        assert_eq!(
            content_type_charset("text/html; Charset=\"UTF-8\""),
            Some("UTF-8")
        );
        assert_eq!(content_type_charset("text/html"), None);
        assert_eq!(
            url_tld("http://user@www.example.co.jp:8080/a?b"),
            Some("jp")
        );
        assert_eq!(url_tld("http://127.0.0.1/"), None);
    }
}
