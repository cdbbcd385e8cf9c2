//! Damaged crawl files: real WARC, WET and ARC records (from examples/data and
//! tests/fixtures/crawl) with one record damaged in the test. Every good record must come out of
//! the framer exactly once with its bytes unchanged, and the damaged one must be a reject.

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use gleaner::io::crawl::{self, ArcFramer, ArchiveStream, Framed, WarcFramer};
use gleaner::io::{InputFile, ReadCounters};

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// One WARC record split by hand (independently of the framer under test): its header block
/// (version line to the blank line, inclusive) and its block.
#[derive(Clone)]
struct WarcRec {
    head: Vec<u8>,
    block: Vec<u8>,
}

impl WarcRec {
    fn bytes(&self) -> Vec<u8> {
        [&self.head[..], &self.block, b"\r\n\r\n"].concat()
    }

    /// The same record with its Content-Length header replaced by `value`.
    fn with_length(&self, value: &str) -> Vec<u8> {
        let head = String::from_utf8(self.head.clone()).unwrap();
        let old = content_length(&self.head);
        let head = head.replace(
            &format!("Content-Length: {old}\r\n"),
            &format!("Content-Length: {value}\r\n"),
        );
        [head.as_bytes(), &self.block, b"\r\n\r\n"].concat()
    }
}

fn content_length(head: &[u8]) -> usize {
    let head = std::str::from_utf8(head).unwrap();
    let line = head
        .lines()
        .find(|l| l.starts_with("Content-Length:"))
        .unwrap();
    line["Content-Length:".len()..].trim().parse().unwrap()
}

fn split_warc(data: &[u8]) -> Vec<WarcRec> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        assert!(data[pos..].starts_with(b"WARC/1.0\r\n"), "record at {pos}");
        let end = pos + memchr::memmem::find(&data[pos..], b"\r\n\r\n").unwrap() + 4;
        let head = data[pos..end].to_vec();
        let len = content_length(&head);
        let block = data[end..end + len].to_vec();
        assert_eq!(&data[end + len..end + len + 4], b"\r\n\r\n");
        pos = end + len + 4;
        out.push(WarcRec { head, block });
    }
    out
}

fn whirlwind_warc() -> Vec<WarcRec> {
    split_warc(&gunzip(&repo_file("../../examples/data/whirlwind.warc.gz")))
}

fn whirlwind_wet() -> Vec<WarcRec> {
    split_warc(&gunzip(&repo_file(
        "../../examples/data/whirlwind.warc.wet.gz",
    )))
}

/// A stream assembled from pieces, knowing where each good record starts and what its block is.
#[derive(Default)]
struct Assembly {
    bytes: Vec<u8>,
    good: Vec<(u64, Vec<u8>)>,
    bad: Vec<u64>,
}

impl Assembly {
    fn good(&mut self, offset_in_piece: usize, piece: &[u8], block: &[u8]) {
        self.good
            .push(((self.bytes.len() + offset_in_piece) as u64, block.to_vec()));
        self.bytes.extend_from_slice(piece);
    }

    fn warc(&mut self, r: &WarcRec) {
        self.good(0, &r.bytes(), &r.block);
    }

    fn bad(&mut self, piece: &[u8]) {
        self.bad.push(self.bytes.len() as u64);
        self.bytes.extend_from_slice(piece);
    }
}

struct Outcome {
    records: Vec<(u64, Vec<u8>)>,
    rejects: Vec<(u64, &'static str, String)>,
}

fn stream(bytes: &[u8]) -> ArchiveStream {
    ArchiveStream::new(Box::new(Cursor::new(bytes.to_vec())))
}

fn collect(framer: impl Iterator<Item = Framed>) -> Outcome {
    let mut out = Outcome {
        records: Vec::new(),
        rejects: Vec::new(),
    };
    for f in framer {
        match f {
            Framed::Record(r) => out.records.push((r.offset, r.block)),
            Framed::Malformed(m) => out.rejects.push((m.offset, m.kind, m.message)),
            Framed::Quirk(_) => {}
        }
    }
    out
}

fn frame_warc(bytes: &[u8], max_record: u64) -> Outcome {
    collect(WarcFramer::new(stream(bytes), max_record))
}

fn frame_arc(bytes: &[u8], max_record: u64) -> Outcome {
    collect(ArcFramer::new(stream(bytes), max_record))
}

/// Every good record exactly once, bytes unchanged, in order; each damaged record a reject at
/// its offset; no reject anywhere else.
fn assert_recovered(case: &str, a: &Assembly, got: &Outcome) {
    let want: Vec<(u64, usize)> = a.good.iter().map(|(o, b)| (*o, b.len())).collect();
    let have: Vec<(u64, usize)> = got.records.iter().map(|(o, b)| (*o, b.len())).collect();
    assert_eq!(have, want, "{case}: records (offset, block length)");
    for ((o, want), (_, have)) in a.good.iter().zip(&got.records) {
        assert!(have == want, "{case}: block of record at {o} changed");
    }
    for bad in &a.bad {
        assert!(
            got.rejects.iter().any(|(o, _, _)| o == bad),
            "{case}: no reject at damaged record {bad}; rejects {:?}",
            got.rejects
        );
    }
    for (o, kind, msg) in &got.rejects {
        assert!(
            a.bad.contains(o),
            "{case}: reject {kind} at {o} is not a damaged record: {msg}"
        );
    }
}

const MIB: u64 = 1 << 20;
/// The default `[input] max_record_bytes`.
const DEFAULT_MAX: u64 = 256 << 20;

#[test]
fn warc_content_length_over_the_limit_keeps_the_records_after_it() {
    let recs = whirlwind_warc();
    let response = recs
        .iter()
        .position(|r| r.head.windows(8).any(|w| w == b"response"))
        .unwrap();
    for length in ["300000000", "1000000000000000000", "99999999999999999999"] {
        let mut a = Assembly::default();
        for r in &recs {
            a.warc(r);
        }
        a.bad(&recs[response].with_length(length));
        for r in &recs {
            a.warc(r);
        }
        let got = frame_warc(&a.bytes, DEFAULT_MAX);
        assert_recovered(&format!("Content-Length {length}"), &a, &got);
    }
}

#[test]
fn warc_content_length_too_long_or_short_by_a_few_bytes_keeps_the_next_record() {
    let recs = whirlwind_warc();
    for (i, victim) in recs.iter().enumerate() {
        let len = victim.block.len() as i64;
        for delta in [
            1i64, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 40, 300, -1, -3, -7,
        ] {
            let mut a = Assembly::default();
            for r in &recs {
                a.warc(r);
            }
            a.bad(&victim.with_length(&(len + delta).to_string()));
            for r in &recs {
                a.warc(r);
            }
            let got = frame_warc(&a.bytes, DEFAULT_MAX);
            assert_recovered(&format!("record {i}, Content-Length {delta:+}"), &a, &got);
        }
    }
}

#[test]
fn warc_content_length_running_past_several_records_keeps_them() {
    let recs = whirlwind_warc();
    // The request record (small) claims to run over the response and metadata records.
    let victim = &recs[1];
    let later: usize = recs[2..].iter().map(|r| r.bytes().len()).sum();
    for extra in [later - 10, later + 5] {
        let mut a = Assembly::default();
        a.warc(&recs[0]);
        a.bad(&victim.with_length(&(victim.block.len() + extra).to_string()));
        for r in &recs[2..] {
            a.warc(r);
        }
        for r in &recs {
            a.warc(r);
        }
        let got = frame_warc(&a.bytes, DEFAULT_MAX);
        assert_recovered(&format!("request +{extra}"), &a, &got);
    }
}

/// A record that really is larger than the limit, with a correct length, whose payload ends with
/// a WARC file (archived WARCs do exist): it is skipped as one `too_large` reject and nothing inside
/// it becomes a record. Under a larger limit it is one record with its block intact. (The framer
/// holds at most `max_record` bytes to check a length, so the archived records are placed within
/// that distance of the block's end.)
#[test]
fn a_true_length_is_trusted_even_with_warc_lines_in_the_payload() {
    let recs = whirlwind_warc();
    let inner: Vec<u8> = recs.iter().flat_map(|r| r.bytes()).collect();
    let mut payload = b"HTTP/1.1 200 OK\r\nContent-Type: application/warc\r\n\r\n".to_vec();
    while payload.len() < (3 * MIB / 2) as usize {
        payload.extend_from_slice(b"filler line of an archived file\r\n");
    }
    while payload.len() < (2 * MIB) as usize {
        payload.extend_from_slice(&inner);
    }
    let big = WarcRec {
        head: format!(
            "WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://example.test/crawl.warc\r\nContent-Length: {}\r\n\r\n",
            payload.len()
        )
        .into_bytes(),
        block: payload,
    };
    let mut a = Assembly::default();
    a.warc(&recs[0]);
    a.bad(&big.bytes());
    for r in &recs {
        a.warc(r);
    }
    let got = frame_warc(&a.bytes, MIB);
    assert_recovered("too large, true length", &a, &got);
    assert_eq!(got.rejects[0].1, "too_large");

    let mut a = Assembly::default();
    a.warc(&recs[0]);
    a.warc(&big);
    for r in &recs {
        a.warc(r);
    }
    assert_recovered("large, true length", &a, &frame_warc(&a.bytes, 4 * MIB));
}

#[test]
fn garbage_between_wet_records_loses_nothing() {
    let recs = whirlwind_wet();
    let long_binary: Vec<u8> = (0..100_000u32).map(|i| (i * 7 + 1) as u8 | 0x80).collect();
    let garbages: Vec<(&str, Vec<u8>)> = vec![
        ("line", b"this is not a record\r\n".to_vec()),
        ("binary, no newline", b"\x00\x01\xfe\xff junk".to_vec()),
        ("long line", long_binary.clone()),
        ("long line, newline", [&long_binary[..], b"\n"].concat()),
        ("bare CR", b"junk\r".to_vec()),
        ("half a header", b"WARC/1.0\r\nWARC-Type: conv".to_vec()),
    ];
    for (name, garbage) in garbages {
        let mut a = Assembly::default();
        for r in &recs {
            a.warc(r);
        }
        a.bad(&garbage);
        for r in &recs {
            a.warc(r);
        }
        let got = frame_warc(&a.bytes, DEFAULT_MAX);
        assert_recovered(&format!("WET garbage: {name}"), &a, &got);
    }
}

/// The ARC fixture split by hand: (offset, header line, body) per record.
fn arc_records() -> Vec<(Vec<u8>, Vec<u8>)> {
    let data = gunzip(&repo_file("tests/fixtures/crawl/cc-2008-sample.arc.gz"));
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let nl = pos + memchr::memchr(b'\n', &data[pos..]).unwrap() + 1;
        let line = data[pos..nl].to_vec();
        let declared: usize = std::str::from_utf8(&line)
            .unwrap()
            .split_whitespace()
            .last()
            .unwrap()
            .parse()
            .unwrap();
        // Common Crawl's 2008 filedesc declares 73 for its 71-byte version block.
        let len = if line.starts_with(b"filedesc:") {
            declared - 2
        } else {
            declared
        };
        out.push((line, data[nl..nl + len].to_vec()));
        assert_eq!(data[nl + len], b'\n');
        pos = nl + len + 1;
        while data.get(pos) == Some(&b'\n') {
            pos += 1;
        }
    }
    out
}

fn arc_with_length(line: &[u8], length: usize) -> Vec<u8> {
    let s = std::str::from_utf8(line).unwrap().trim_end();
    let cut = s.rfind(' ').unwrap();
    format!("{} {length}\n", &s[..cut]).into_bytes()
}

#[test]
fn arc_length_too_long_keeps_the_next_records() {
    let recs = arc_records();
    assert!(recs.len() >= 8, "fixture has {} records", recs.len());
    let filedesc = [&recs[0].0[..], &recs[0].1, b"\n"].concat();
    for victim in 1..4 {
        // (A body one byte short whose last byte is a newline cannot be told from a good one
        // by framing: the newline passes as its terminator. Not tried here.)
        for delta in [1i64, 2, 5, 20, 600, 3000, -20] {
            let mut a = Assembly::default();
            a.good(0, &filedesc, &recs[0].1);
            for (i, (line, body)) in recs.iter().enumerate().skip(1) {
                if i == victim {
                    let len = (body.len() as i64 + delta) as usize;
                    a.bad(&[&arc_with_length(line, len)[..], body, b"\n"].concat());
                } else {
                    a.good(0, &[&line[..], body, b"\n"].concat(), body);
                }
            }
            let got = frame_arc(&a.bytes, DEFAULT_MAX);
            assert_recovered(&format!("ARC record {victim}, length {delta:+}"), &a, &got);
        }
    }
}

#[test]
fn arc_length_over_the_limit_keeps_the_records_after_it() {
    let recs = arc_records();
    let filedesc = [&recs[0].0[..], &recs[0].1, b"\n"].concat();
    for length in [300_000_000usize, 999_999_999_999_999] {
        let mut a = Assembly::default();
        a.good(0, &filedesc, &recs[0].1);
        for (i, (line, body)) in recs.iter().enumerate().skip(1) {
            if i == 2 {
                a.bad(&[&arc_with_length(line, length)[..], body, b"\n"].concat());
            } else {
                a.good(0, &[&line[..], body, b"\n"].concat(), body);
            }
        }
        let got = frame_arc(&a.bytes, DEFAULT_MAX);
        assert_recovered(&format!("ARC length {length}"), &a, &got);
    }
}

/// The whole reader (framer + documents) on a damaged file: the good response after a record with
/// a lying length becomes its document, and the reject names the file and the offset.
#[test]
fn reader_reports_the_damaged_record_and_keeps_the_documents() {
    let recs = whirlwind_warc();
    let response = recs
        .iter()
        .position(|r| r.head.windows(8).any(|w| w == b"response"))
        .unwrap();
    let mut a = Assembly::default();
    a.bad(&recs[response].with_length("1000000000000000000"));
    for r in &recs {
        a.warc(r);
    }
    let file = InputFile::new(0, PathBuf::from("damaged.warc"), a.bytes.len() as u64);
    let counters = Arc::new(ReadCounters::default());
    let out: Vec<_> = crawl::from_reader(
        &file,
        Box::new(Cursor::new(a.bytes.clone())),
        crawl::CrawlOptions {
            max_record: DEFAULT_MAX,
            verify_block_digest: true,
        },
        counters,
    )
    .collect();
    let docs: Vec<_> = out.iter().filter_map(|r| r.as_ref().ok()).collect();
    let rejects: Vec<_> = out.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(docs.len(), 1, "the intact response is a document");
    assert_eq!(
        docs[0].metadata["offset"],
        serde_json::json!(a.good[response].0)
    );
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    let line = serde_json::to_string(rejects[0]).unwrap();
    assert!(line.contains("damaged.warc"), "{line}");
}

/// Common Crawl's own digests check out: every whirlwind WARC and WET record carries a sha1
/// WARC-Block-Digest, and the reader's check agrees with each.
#[test]
fn real_block_digests_verify() {
    for r in whirlwind_warc().iter().chain(&whirlwind_wet()) {
        let head = String::from_utf8(r.head.clone()).unwrap();
        let value = head
            .lines()
            .find_map(|l| l.strip_prefix("WARC-Block-Digest:"))
            .unwrap();
        assert_eq!(
            crawl::warc::block_digest_matches(value, &r.block),
            Some(true),
            "{value}"
        );
    }
}

/// A bit flipped inside an uncompressed record's block: framing cannot see it, the block digest
/// does. With digests checked the record is a reject and every other record is kept unchanged;
/// without, it would be kept with altered bytes.
#[test]
fn bit_flip_inside_a_block_is_caught_by_its_digest() {
    let recs = whirlwind_warc();
    for victim in 0..recs.len() {
        let mut flipped = recs[victim].clone();
        let at = flipped.block.len() / 2;
        flipped.block[at] ^= 0x04;
        let mut a = Assembly::default();
        for r in &recs {
            a.warc(r);
        }
        a.bad(&flipped.bytes());
        for r in &recs {
            a.warc(r);
        }
        let framer = WarcFramer::with_block_digests(stream(&a.bytes), DEFAULT_MAX, true);
        let got = collect(framer);
        assert_recovered(&format!("bit flip in record {victim}"), &a, &got);
        assert_eq!(got.rejects[0].1, "block_digest_mismatch");
        assert!(got.rejects[0].2.contains("WARC-Block-Digest"));
    }
}

/// Through the file reader with the default configuration: a plain `.warc` (no checksum of its
/// own) has its block digests checked, so the flipped record is a reject and the rest documents.
#[test]
fn plain_warc_files_check_block_digests_by_default() {
    let recs = whirlwind_warc();
    let response = recs
        .iter()
        .position(|r| r.head.windows(8).any(|w| w == b"response"))
        .unwrap();
    let mut flipped = recs[response].clone();
    let at = flipped.block.len() - 100;
    flipped.block[at] ^= 0x01;
    let bytes: Vec<u8> = [
        flipped.bytes(),
        recs.iter().flat_map(|r| r.bytes()).collect(),
    ]
    .concat();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flipped.warc");
    std::fs::write(&path, &bytes).unwrap();
    let file = InputFile::new(0, path.clone(), bytes.len() as u64);
    let cfg = gleaner::config::InputConfig::default();
    let out: Vec<_> = gleaner::io::open_records(&file, &cfg, Arc::default()).collect();
    let kinds: Vec<&str> = out
        .iter()
        .filter_map(|r| r.as_ref().err())
        .map(|r| r.kind.as_str())
        .collect();
    assert_eq!(kinds, vec!["block_digest_mismatch"]);
    assert_eq!(out.iter().filter(|r| r.is_ok()).count(), 1);
}
