//! Tests of the shared record framer, on WARC and ARC records built in the test.

use std::io::{BufReader, Cursor};

use super::*;
use crate::io::crawl::{ArcFramer, WarcFramer};

fn stream_of(bytes: &[u8], buffer: usize) -> ArchiveStream {
    let reader = BufReader::with_capacity(buffer, Cursor::new(bytes.to_vec()));
    ArchiveStream::new(Box::new(reader))
}

fn warc(kind: &str, body: &str) -> String {
    format!(
        "WARC/1.0\r\nWARC-Type: {kind}\r\nContent-Length: {}\r\n\r\n{body}\r\n\r\n",
        body.len()
    )
}

fn summary(f: impl Iterator<Item = Framed>) -> Vec<String> {
    f.map(|f| match f {
        Framed::Record(r) => format!("{}@{}:{}", r.record_type, r.offset, r.block.len()),
        Framed::Malformed(m) => format!("!{}@{}", m.kind, m.offset),
        Framed::Quirk(q) => format!("~{q}"),
    })
    .collect()
}

fn frame(bytes: &[u8], max_record: u64) -> Vec<String> {
    let one = summary(WarcFramer::new(stream_of(bytes, 1), max_record));
    // Buffer boundaries must not matter: one byte at a time and all at once agree.
    let all = summary(WarcFramer::new(stream_of(bytes, 1 << 16), max_record));
    assert_eq!(one, all);
    all
}

#[test]
fn lines_keep_their_head_or_their_tail() {
    let mut s = stream_of(b"abcdefgh\nxy", 3);
    let mut line = Vec::new();
    assert_eq!(
        s.read_line_keeping(&mut line, 4, u64::MAX, true).unwrap(),
        9
    );
    assert_eq!(line, b"fgh\n");
    assert_eq!(s.read_line_within(&mut line, 4, 1).unwrap(), 1);
    assert_eq!(line, b"x");
    assert_eq!(s.offset, 10);
    s.unread_owned(b"123".to_vec());
    assert_eq!(s.offset, 7);
    assert_eq!(s.read_line(&mut line, 64).unwrap(), 4);
    assert_eq!(line, b"123y");
}

#[test]
fn too_large_block_with_a_true_length_is_one_reject() {
    let big = warc("response", &"x\n".repeat(100));
    let next = warc("request", "r");
    let f = frame(format!("{big}{next}").as_bytes(), 50);
    assert_eq!(
        f,
        vec![
            "!too_large@0".to_string(),
            format!("request@{}:1", big.len())
        ]
    );
}

#[test]
fn too_large_lying_length_resumes_at_the_record_inside() {
    let next = warc("request", "r");
    let bad = "WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 5000\r\n\r\nshort\r\n\r\n";
    let f = frame(format!("{bad}{next}{next}").as_bytes(), 50);
    assert_eq!(
        f,
        vec![
            "!bad_content_length@0".to_string(),
            format!("request@{}:1", bad.len()),
            format!("request@{}:1", bad.len() + next.len()),
        ]
    );
}

/// A record start further than `max_record` from a too-large block's declared end cannot be
/// checked without holding more than a record may be: the length is not trusted past it.
#[test]
fn too_large_hold_is_bounded_by_max_record() {
    let inner = warc("request", "r");
    let body = format!("{inner}{}", "y\n".repeat(200));
    let big = warc("response", &body);
    let after = warc("metadata", "m");
    let f = frame(format!("{big}{after}").as_bytes(), 64);
    let head = big.len() - body.len() - 4;
    assert_eq!(f[0], "!bad_content_length@0");
    assert_eq!(f[1], format!("request@{head}:1"));
    // The rest of the big block is garbage now; the record after it is still read.
    assert_eq!(f.last().unwrap(), &format!("metadata@{}:1", big.len()));
}

#[test]
fn too_large_block_cut_by_the_end_of_the_file_is_truncated() {
    let f = frame(b"WARC/1.0\r\nContent-Length: 900\r\n\r\nabc\ndef", 50);
    assert_eq!(f, vec!["!truncated@0".to_string()]);
}

#[test]
fn terminator_swallowed_by_the_length_is_a_bad_length() {
    let good = warc("request", "r");
    let body = "HTTP/1.1 200 OK\r\n\r\nhi";
    for extra in 1..=4 {
        let bad = format!(
            "WARC/1.0\r\nWARC-Type: response\r\nContent-Length: {}\r\n\r\n{body}\r\n\r\n",
            body.len() + extra
        );
        let f = frame(format!("{bad}{good}").as_bytes(), 1 << 20);
        assert_eq!(
            f,
            vec![
                "!bad_content_length@0".to_string(),
                format!("request@{}:1", bad.len())
            ],
            "+{extra}"
        );
    }
}

#[test]
fn garbage_line_longer_than_a_header_line_glued_to_a_record() {
    let good = warc("request", "r");
    let garbage = "z".repeat(MAX_LINE * 2 + 7);
    let f = frame(format!("{good}{garbage}{good}").as_bytes(), 1 << 20);
    assert_eq!(
        f,
        vec![
            "request@0:1".to_string(),
            format!("!garbage@{}", good.len()),
            format!("request@{}:1", good.len() + garbage.len()),
        ]
    );
}

#[test]
fn arc_shares_the_resynchronisation() {
    let rec = |url: &str, body: &str, len: usize| {
        format!("{url} 1.2.3.4 20080509190241 text/html {len}\n{body}\n")
    };
    let a = rec("http://a.b/", "HTTP/1.1 200 OK\r\n\r\naaaa", 23);
    let b = rec("http://c.d/", "HTTP/1.1 200 OK\r\n\r\nbbbb", 23);
    // Claims to run over both records after it.
    let bad = rec(
        "http://x.y/",
        "HTTP/1.1 200 OK\r\n\r\nxx",
        21 + a.len() + 10,
    );
    let input = format!("{bad}{a}{b}");
    let f = summary(ArcFramer::new(stream_of(input.as_bytes(), 1), 1 << 20));
    assert_eq!(
        f,
        vec![
            "!bad_content_length@0".to_string(),
            format!("response@{}:23", bad.len()),
            format!("response@{}:23", bad.len() + a.len()),
        ]
    );
}
