//! Compressed inputs damaged member by member, built from real text (the news articles of
//! `examples/data/news-sample.jsonl.zst`, the per-record gzipped `examples/data/whirlwind.warc.gz`):
//! every record of an intact gzip member or zstd frame comes out exactly once with its bytes
//! unchanged, and each damaged member or frame is one reject naming its byte range and the
//! records it held.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use gleaner::Document;
use gleaner::config::InputConfig;
use gleaner::io::{self, Reject};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/data")
        .join(name)
}

/// The news sample as JSONL lines, each with its newline.
fn news_lines() -> Vec<Vec<u8>> {
    let zst = std::fs::read(example("news-sample.jsonl.zst")).unwrap();
    let plain = zstd::decode_all(&zst[..]).unwrap();
    let lines: Vec<Vec<u8>> = plain
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    assert!(lines.len() >= 400);
    lines
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zst(data: &[u8]) -> Vec<u8> {
    let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    e.include_checksum(true).unwrap();
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

use gleaner::io::FileContents as Outcome;

fn read_file(path: &Path) -> Outcome {
    io::read_whole_file(path, &InputConfig::default()).unwrap()
}

fn read_bytes(dir: &Path, name: &str, bytes: &[u8]) -> Outcome {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    read_file(&path)
}

/// What a document is, for comparing across files: its id and text.
fn key(d: &Document) -> (String, String) {
    (d.id.clone(), d.text.clone())
}

/// The documents of the intact sample, in order.
fn intact_docs(dir: &Path) -> Vec<(String, String)> {
    let lines = news_lines();
    let out = read_bytes(dir, "intact.jsonl", &lines.concat());
    assert!(out.rejects.is_empty());
    assert_eq!(out.docs.len(), lines.len());
    out.docs.iter().map(key).collect()
}

/// Members (or frames) of 100 articles each (the last takes the rest), the second damaged by `damage`; returns the
/// file and the byte range of the damaged member.
fn four_members(
    encode: fn(&[u8]) -> Vec<u8>,
    damage: impl Fn(&mut Vec<u8>),
) -> (Vec<u8>, (usize, usize)) {
    let lines = news_lines();
    let mut members: Vec<Vec<u8>> = [&lines[..100], &lines[100..200], &lines[200..]]
        .iter()
        .map(|c| encode(&c.concat()))
        .collect();
    damage(&mut members[1]);
    let start = members[0].len();
    let end = start + members[1].len();
    (members.concat(), (start, end))
}

fn assert_member_reject(r: &Reject, kind: &str, range: (usize, usize)) {
    assert_eq!(r.kind, kind, "{r:?}");
    let span = format!("compressed bytes {}..{}", range.0, range.1);
    assert!(r.message.contains(&span), "{} lacks {span}", r.message);
    assert_eq!(r.record, Some(101), "the first lost record is line 101");
}

fn records_lost(r: &Reject) -> u64 {
    let tail = r.message.rsplit("records lost: ").next().unwrap();
    tail.trim().parse().unwrap()
}

#[test]
fn jsonl_gz_with_a_bad_crc_in_the_middle_member_keeps_every_other_member() {
    let dir = tempfile::tempdir().unwrap();
    let intact = intact_docs(dir.path());
    // The member decodes whole; only its CRC says it is wrong.
    let (file, range) = four_members(gz, |m| {
        let n = m.len();
        m[n - 6] ^= 0x01;
    });
    let out = read_bytes(dir.path(), "news.jsonl.gz", &file);
    let expected: Vec<_> = [&intact[..100], &intact[200..]].concat();
    assert_eq!(out.docs.iter().map(key).collect::<Vec<_>>(), expected);
    assert_eq!(out.rejects.len(), 1, "{:?}", out.rejects);
    assert_member_reject(&out.rejects[0], "corrupt_gzip_member", range);
    assert_eq!(records_lost(&out.rejects[0]), 100);
}

#[test]
fn jsonl_gz_with_a_bit_flipped_middle_member_keeps_every_other_member() {
    let dir = tempfile::tempdir().unwrap();
    let intact = intact_docs(dir.path());
    let (file, range) = four_members(gz, |m| {
        let mid = m.len() / 2;
        m[mid] ^= 0x08;
    });
    let out = read_bytes(dir.path(), "news.jsonl.gz", &file);
    let expected: Vec<_> = [&intact[..100], &intact[200..]].concat();
    assert_eq!(out.docs.iter().map(key).collect::<Vec<_>>(), expected);
    assert_eq!(out.rejects.len(), 1, "{:?}", out.rejects);
    assert_member_reject(&out.rejects[0], "corrupt_gzip_member", range);
    // As far as decoded: the flip garbles what follows it, so the lines counted are those of the
    // garbled bytes (not necessarily 100); there are some.
    assert!(
        records_lost(&out.rejects[0]) > 0,
        "{:?}",
        out.rejects[0].message
    );
}

#[test]
fn jsonl_zst_with_a_corrupt_middle_frame_keeps_every_other_frame() {
    let dir = tempfile::tempdir().unwrap();
    let intact = intact_docs(dir.path());
    let (file, range) = four_members(zst, |m| {
        let mid = m.len() / 2;
        for b in &mut m[mid..mid + 16] {
            *b ^= 0x5a;
        }
    });
    let out = read_bytes(dir.path(), "news.jsonl.zst", &file);
    let expected: Vec<_> = [&intact[..100], &intact[200..]].concat();
    assert_eq!(out.docs.iter().map(key).collect::<Vec<_>>(), expected);
    assert_eq!(out.rejects.len(), 1, "{:?}", out.rejects);
    assert_member_reject(&out.rejects[0], "corrupt_zstd_frame", range);
}

#[test]
fn a_truncated_middle_member_of_a_jsonl_gz_costs_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    let intact = intact_docs(dir.path());
    let (file, range) = four_members(gz, |m| {
        let keep = m.len() * 2 / 3;
        m.truncate(keep);
    });
    let out = read_bytes(dir.path(), "news.jsonl.gz", &file);
    let expected: Vec<_> = [&intact[..100], &intact[200..]].concat();
    assert_eq!(out.docs.iter().map(key).collect::<Vec<_>>(), expected);
    assert_eq!(out.rejects.len(), 1, "{:?}", out.rejects);
    assert_member_reject(&out.rejects[0], "corrupt_gzip_member", range);
}

#[test]
fn a_byte_order_mark_costs_no_record() {
    let dir = tempfile::tempdir().unwrap();
    let intact = intact_docs(dir.path());
    let body = [b"\xef\xbb\xbf".to_vec(), news_lines().concat()].concat();
    for (name, bytes) in [
        ("bom.jsonl", body.clone()),
        ("bom.jsonl.gz", gz(&body)),
        ("bom.jsonl.zst", zst(&body)),
    ] {
        let out = read_bytes(dir.path(), name, &bytes);
        assert!(out.rejects.is_empty(), "{name}: {:?}", out.rejects);
        assert_eq!(
            out.docs.iter().map(key).collect::<Vec<_>>(),
            intact,
            "{name}"
        );
        assert_eq!(out.counters.get("quirk.bom"), Some(&1), "{name}");
    }
}

/// `printf '{"id":"x1","text":"hello from xz"}\n' | xz -c`
const XZ_FILE: [u8; 92] = [
    0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04, 0xe6, 0xd6, 0xb4, 0x46, 0x02, 0x00, 0x21, 0x01,
    0x16, 0x00, 0x00, 0x00, 0x74, 0x2f, 0xe5, 0xa3, 0x01, 0x00, 0x22, 0x7b, 0x22, 0x69, 0x64, 0x22,
    0x3a, 0x22, 0x78, 0x31, 0x22, 0x2c, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0x68, 0x65,
    0x6c, 0x6c, 0x6f, 0x20, 0x66, 0x72, 0x6f, 0x6d, 0x20, 0x78, 0x7a, 0x22, 0x7d, 0x0a, 0x00, 0x00,
    0xe5, 0xfe, 0x84, 0xe9, 0x4e, 0x0b, 0x91, 0x64, 0x00, 0x01, 0x3b, 0x23, 0x61, 0x2b, 0x53, 0xbe,
    0x1f, 0xb6, 0xf3, 0x7d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x04, 0x59, 0x5a,
];

#[test]
fn an_xz_file_is_one_clear_reject() {
    let dir = tempfile::tempdir().unwrap();
    let out = read_bytes(dir.path(), "data.jsonl", &XZ_FILE);
    assert!(out.docs.is_empty());
    assert_eq!(out.rejects.len(), 1, "{:?}", out.rejects);
    assert!(
        out.rejects[0].message.contains("xz"),
        "{:?}",
        out.rejects[0]
    );
}

/// The gzip members of a per-record `.warc.gz`, as byte ranges.
fn gzip_members(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut members = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let mut rest = &bytes[at..];
        let mut dec = flate2::bufread::GzDecoder::new(&mut rest);
        std::io::copy(&mut dec, &mut std::io::sink()).unwrap();
        drop(dec);
        let end = bytes.len() - rest.len();
        members.push((at, end));
        at = end;
    }
    members
}

/// The decompressed text of a member.
fn member_text(bytes: &[u8], (s, e): (usize, usize)) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(&bytes[s..e])
        .read_to_string(&mut out)
        .unwrap();
    out
}

#[test]
fn a_truncated_record_member_of_a_warc_gz_loses_no_other_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = example("whirlwind.warc.gz");
    let bytes = std::fs::read(&path).unwrap();
    let intact = read_file(&path);
    assert!(intact.rejects.is_empty());
    let intact_docs: Vec<_> = intact.docs.iter().map(key).collect();
    let members = gzip_members(&bytes);
    assert!(members.len() >= 4, "per-record members");
    // A request member right before a response: the response (a document) must survive.
    let request = (0..members.len() - 1)
        .find(|&i| {
            member_text(&bytes, members[i]).contains("WARC-Type: request")
                && member_text(&bytes, members[i + 1]).contains("WARC-Type: response")
        })
        .expect("a request followed by its response");
    let (s, e) = members[request];
    let cut = e - (e - s) / 3;
    let damaged = [&bytes[..cut], &bytes[e..]].concat();
    let out = read_bytes(dir.path(), "cut.warc.gz", &damaged);
    assert_eq!(out.docs.iter().map(key).collect::<Vec<_>>(), intact_docs);
    assert_eq!(out.rejects.len(), 1, "{:?}", out.rejects);
    let span = format!("compressed bytes {s}..{cut}");
    assert!(
        out.rejects[0].message.contains(&span),
        "{:?}",
        out.rejects[0]
    );
}
