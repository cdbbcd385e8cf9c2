//! Reads every crawl file in `shared/data/warc/` to the end and checks what became of each
//! record, then damages real files (truncation, garbage, wrong Content-Length) and checks that
//! the reader reports the damage at the right offset and still reads the rest.
//!
//! The expected counts were established independently of gleaner: WARC/WET/WAT files with
//! `warcio` 1.7 (record types, HTTP status and Content-Type of each response), ARC files with a
//! separate Python parser of the ARC header lines (warcio stops at the first record of these
//! Common Crawl ARCs because their `filedesc` length is two bytes too long).
//!
//! The data lives beside the checkout (`<workspace>/../shared/data`, as in CI) or wherever
//! `GLEANER_SHARED_DATA` points.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use gleaner::Document;
use gleaner::config::InputConfig;
use gleaner::io::{self, InputFile};

/// The shared data directory; every test here first checks it is present ([`have_shared_data`]).
fn shared_data() -> PathBuf {
    gleaner_testdata::shared_data_dir()
}

/// True when the shared crawl files are present; otherwise the test is skipped (a lone clone has
/// no `../shared`; CI has it and sets `GLEANER_REQUIRE_SHARED_DATA=1`, so there a missing set fails).
fn have_shared_data() -> bool {
    gleaner_testdata::shared_file("warc").is_some()
}

use gleaner::io::FileContents as Read_;

fn read(path: &Path) -> Read_ {
    io::read_whole_file(path, &InputConfig::default()).unwrap()
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn check(rel: &str, expected: &[(&str, u64)]) -> Read_ {
    let r = read(&shared_data().join("warc").join(rel));
    assert!(r.rejects.is_empty(), "{rel}: {:?}", r.rejects);
    assert_eq!(r.counters, counts(expected), "{rel}");
    assert_eq!(
        r.docs.len() as u64,
        r.counters.get("documents").copied().unwrap_or(0),
        "{rel}"
    );
    let name = Path::new(rel).file_name().unwrap().to_str().unwrap();
    for d in &r.docs {
        assert_eq!(d.source(), Some(name));
        assert!(d.url().is_some_and(|u| u.starts_with("http")), "{}", d.id);
        assert!(!d.text.trim().is_empty());
    }
    r
}

#[test]
fn commoncrawl_whirlwind_warc_wet_wat() {
    if !have_shared_data() {
        return;
    }
    let r = check(
        "commoncrawl-whirlwind/whirlwind.warc.gz",
        &[
            ("documents", 1),
            ("skipped_record.warcinfo", 1),
            ("skipped_record.request", 1),
            ("skipped_record.metadata", 1),
        ],
    );
    let d = &r.docs[0];
    assert_eq!(d.url(), Some("https://an.wikipedia.org/wiki/Escopete"));
    assert_eq!(d.metadata["content_kind"], "html");
    assert_eq!(d.metadata["http_status"], 200);
    assert_eq!(d.metadata["charset"], "UTF-8");
    assert_eq!(d.metadata["charset_source"], "http_header");
    assert_eq!(d.metadata["date"], "2024-05-18T01:58:10Z");
    assert!(d.id.starts_with("urn:uuid:"));
    assert!(d.text.contains("<html") && d.text.contains("Escopete"));

    let wet = check(
        "commoncrawl-whirlwind/whirlwind.warc.wet.gz",
        &[("documents", 1), ("skipped_record.warcinfo", 1)],
    );
    let w = &wet.docs[0];
    assert_eq!(w.metadata["content_kind"], "text");
    assert_eq!(w.metadata["warc_type"], "conversion");
    assert_eq!(w.url(), d.url());
    assert!(w.text.contains("Escopete") && !w.text.contains("<html"));

    check(
        "commoncrawl-whirlwind/whirlwind.warc.wat.gz",
        &[
            ("skipped_record.warcinfo", 1),
            ("skipped_record.metadata", 1),
        ],
    );
}

#[test]
fn resiliparse_common_crawl_excerpt() {
    if !have_shared_data() {
        return;
    }
    let r = check(
        "resiliparse/warcfile.warc.gz",
        &[
            ("documents", 16),
            ("skipped_record.warcinfo", 1),
            ("skipped_record.request", 17),
            ("skipped_record.metadata", 16),
        ],
    );
    // One page per declared charset path: windows-1251 from the header, GBK (gb2312) too.
    let charsets: Vec<&str> = r
        .docs
        .iter()
        .map(|d| d.metadata["charset"].as_str().unwrap())
        .collect();
    assert!(
        charsets.contains(&"windows-1251") && charsets.contains(&"GBK"),
        "{charsets:?}"
    );
    assert!(
        r.docs
            .iter()
            .all(|d| !d.metadata.contains_key("charset_errors"))
    );
}

#[test]
fn clueweb_records_with_broken_dates_are_documents() {
    if !have_shared_data() {
        return;
    }
    let r = check(
        "resiliparse/clueweb-quirk.warc.gz",
        &[
            ("documents", 29),
            ("skipped_record.warcinfo", 1),
            ("quirk.malformed_date", 29),
        ],
    );
    for d in &r.docs {
        assert_eq!(d.metadata["date"], "2008-10-294T05:21:46-0700");
        assert_eq!(d.metadata["date_malformed"], true);
        assert_eq!(d.metadata["charset"], "EUC-JP");
        assert!(
            d.metadata["trec_id"]
                .as_str()
                .unwrap()
                .starts_with("clueweb09-ja")
        );
        assert!(!d.metadata.contains_key("charset_errors"), "{}", d.id);
    }
    // EUC-JP decoded: the page titles are Japanese.
    assert!(
        r.docs[0].text.contains("ブラウニー"),
        "{}",
        &r.docs[0].text[..300]
    );
}

#[test]
fn dolma_wget_crawls_with_chunked_bodies() {
    if !have_shared_data() {
        return;
    }
    let r = check(
        "dolma/sample-0000.warc.gz",
        &[
            ("documents", 22),
            ("skipped_record.warcinfo", 1),
            ("skipped_record.request", 22),
            ("skipped_record.metadata", 1),
            ("skipped_record.resource", 2),
        ],
    );
    // wget stores chunked bodies as sent; after de-chunking no chunk-size line leads the HTML.
    for d in &r.docs {
        let start = d.text.trim_start();
        assert!(
            start.starts_with('<'),
            "{}: {:?}",
            d.id,
            &start[..start.len().min(40)]
        );
    }
    check(
        "dolma/sample-0001.warc.gz",
        &[
            ("documents", 15),
            ("skipped_record.warcinfo", 1),
            ("skipped_record.request", 15),
            ("skipped_record.metadata", 1),
            ("skipped_record.resource", 2),
        ],
    );
}

#[test]
fn common_crawl_2008_arc_files() {
    if !have_shared_data() {
        return;
    }
    // 146 records: the filedesc, 139 text/html (one a 302 with an empty body), 6 PDFs.
    let r = check(
        "copycat-cc-arc/small-sample-1213893279526_0.arc.gz",
        &[
            ("documents", 138),
            ("skipped_record.filedesc", 1),
            ("skipped_payload.application", 6),
            ("skipped_payload.empty", 1),
            ("quirk.arc_filedesc_length", 1),
        ],
    );
    let first = &r.docs[0];
    assert_eq!(
        first.url(),
        Some("http://cineciudad.com/pelicula/index/502")
    );
    assert_eq!(first.id, "http://cineciudad.com/pelicula/index/502@144");
    assert_eq!(first.metadata["date"], "2008-05-09T19:02:41Z");
    // Headers claim gzip and chunked, but the crawler stored the decoded page.
    assert!(first.text.starts_with("<!DOCTYPE html"));
    let statuses: Vec<u64> = r
        .docs
        .iter()
        .map(|d| d.metadata["http_status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 125);
    check(
        "copycat-cc-arc/small-sample-1262850551027_8.arc.gz",
        &[
            ("documents", 8),
            ("skipped_record.filedesc", 1),
            ("quirk.arc_filedesc_length", 1),
        ],
    );
}

#[test]
fn directory_expansion_picks_up_crawl_files_but_not_wat() {
    if !have_shared_data() {
        return;
    }
    let files = io::expand_inputs(&[shared_data().join("warc")]).unwrap();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for n in [
        "whirlwind.warc.gz",
        "whirlwind.warc.wet.gz",
        "small-sample-1213893279526_0.arc.gz",
        "clueweb-quirk.warc.gz",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
    }
    assert!(!names.iter().any(|x| x.ends_with(".wat.gz")));
}

fn decompressed(rel: &str) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(
        std::fs::File::open(shared_data().join("warc").join(rel)).unwrap(),
    )
    .read_to_end(&mut out)
    .unwrap();
    out
}

fn read_bytes(name: &str, bytes: &[u8]) -> Read_ {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    read(&p)
}

/// Offsets of the `WARC/1.0` lines that start records.
fn record_starts(bytes: &[u8]) -> Vec<usize> {
    let mut v = vec![0];
    let mut i = 0;
    while let Some(p) = find(&bytes[i..], b"\r\n\r\nWARC/1.0\r\n") {
        v.push(i + p + 4);
        i += p + 4;
    }
    v
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// Equal ids, texts, positions and metadata apart from `source` (the file name).
fn same_documents(a: &[Document], b: &[Document]) -> bool {
    let strip = |d: &Document| {
        let mut m = d.metadata.clone();
        m.remove("source");
        (d.id.clone(), d.text.clone(), d.position, m)
    };
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| strip(x) == strip(y))
}

#[test]
fn plain_and_whole_file_gzip_read_like_per_record_gzip() {
    if !have_shared_data() {
        return;
    }
    let plain = decompressed("resiliparse/warcfile.warc.gz");
    let a = read_bytes("x.warc", &plain);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&plain).unwrap();
    let b = read_bytes("x.warc.gz", &enc.finish().unwrap());
    let c = read(&shared_data().join("warc/resiliparse/warcfile.warc.gz"));
    assert_eq!(a.docs.len(), 16);
    assert!(same_documents(&a.docs, &c.docs));
    assert!(same_documents(&b.docs, &c.docs));
    // Content sniffing: a name that says nothing still reads as WARC.
    let d = read_bytes("crawl.bin", &plain);
    assert!(same_documents(&d.docs, &c.docs));
}

#[test]
fn damaged_real_file_is_reported_at_offsets_and_read_to_the_end() {
    if !have_shared_data() {
        return;
    }
    let plain = decompressed("resiliparse/warcfile.warc.gz");
    let starts = record_starts(&plain);
    assert_eq!(starts.len(), 50);
    // Records: 0 warcinfo, then request/response/metadata triples (one extra request).
    // 1. Binary garbage between records 10 and 11.
    let mut bytes = plain[..starts[11]].to_vec();
    let garbage_at = bytes.len();
    bytes.extend_from_slice(b"\x00\x9f\x92\x96 junk\n\xff\xfe\n");
    bytes.extend_from_slice(&plain[starts[11]..]);
    // 2. A Content-Length ten bytes short in record 20 (shifts nothing before it).
    let r20 = starts[20] + (bytes.len() - plain.len());
    let cl = r20 + find(&bytes[r20..], b"Content-Length: ").unwrap() + 16;
    let end = cl + find(&bytes[cl..], b"\r\n").unwrap();
    let n: u64 = std::str::from_utf8(&bytes[cl..end])
        .unwrap()
        .parse()
        .unwrap();
    bytes.splice(cl..end, (n - 10).to_string().into_bytes());
    // 3. Truncated in the middle of the last record.
    let last = *starts.last().unwrap() + (bytes.len() - plain.len());
    bytes.truncate(last + 600);

    let r = read_bytes("damaged.warc", &bytes);
    let kinds: Vec<(&str, Option<u64>)> = r
        .rejects
        .iter()
        .map(|j| (j.kind.as_str(), j.offset))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("garbage", Some(garbage_at as u64)),
            ("bad_content_length", Some(r20 as u64)),
            ("truncated", Some(last as u64)),
        ]
    );
    // Each damaged record costs exactly itself: 50 records - 2 lost = 48 read, of which the
    // undamaged responses become documents.
    let skipped: u64 = r
        .counters
        .iter()
        .filter(|(k, _)| k.starts_with("skipped_record."))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(r.docs.len() as u64 + skipped, 48);
    let full = read(&shared_data().join("warc/resiliparse/warcfile.warc.gz"));
    let lost: Vec<&str> = full
        .docs
        .iter()
        .filter(|d| !r.docs.iter().any(|x| x.id == d.id))
        .map(|d| d.metadata["offset"].as_u64().unwrap())
        .map(|o| {
            if o as usize == starts[20] || o as usize == starts[49] {
                "damaged"
            } else {
                "other"
            }
        })
        .collect();
    assert!(lost.iter().all(|l| *l == "damaged"), "{lost:?}");
}

#[test]
fn content_length_too_long_recovers_the_swallowed_record() {
    if !have_shared_data() {
        return;
    }
    let plain = decompressed("resiliparse/warcfile.warc.gz");
    let starts = record_starts(&plain);
    let mut bytes = plain.clone();
    let r5 = starts[5];
    let cl = r5 + find(&bytes[r5..], b"Content-Length: ").unwrap() + 16;
    let end = cl + find(&bytes[cl..], b"\r\n").unwrap();
    let n: u64 = std::str::from_utf8(&bytes[cl..end])
        .unwrap()
        .parse()
        .unwrap();
    let new = (n + 300).to_string().into_bytes();
    let shift = new.len() as isize - (end - cl) as isize;
    bytes.splice(cl..end, new);
    let r = read_bytes("long.warc", &bytes);
    assert_eq!(r.rejects.len(), 1, "{:?}", r.rejects);
    assert_eq!(r.rejects[0].kind, "bad_content_length");
    assert_eq!(r.rejects[0].offset, Some(r5 as u64));
    let full = read(&shared_data().join("warc/resiliparse/warcfile.warc.gz"));
    let total = |x: &Read_| {
        x.docs.len() as u64
            + x.counters
                .iter()
                .filter(|(k, _)| k.starts_with("skipped_record."))
                .map(|(_, v)| v)
                .sum::<u64>()
    };
    assert_eq!(total(&r), total(&full) - 1);
    // Only the damaged record is lost; the one after it is read at its true (shifted) offset.
    let lost: Vec<u64> = full
        .docs
        .iter()
        .filter(|d| !r.docs.iter().any(|x| x.id == d.id))
        .map(|d| d.metadata["offset"].as_u64().unwrap())
        .collect();
    assert!(lost.iter().all(|&o| o == r5 as u64), "{lost:?}");
    for d in r
        .docs
        .iter()
        .filter(|d| d.metadata["offset"].as_u64().unwrap() > r5 as u64)
    {
        let orig = full.docs.iter().find(|x| x.id == d.id).unwrap();
        assert_eq!(
            d.metadata["offset"].as_u64().unwrap() as i64,
            orig.metadata["offset"].as_u64().unwrap() as i64 + shift as i64
        );
        assert_eq!(d.text, orig.text);
    }
}

#[test]
fn explicit_input_file_struct_works_for_arc_without_suffix() {
    if !have_shared_data() {
        return;
    }
    let plain = decompressed("copycat-cc-arc/small-sample-1262850551027_8.arc.gz");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("old-crawl.dat");
    std::fs::write(&p, &plain).unwrap();
    let file = InputFile::new(3, p, plain.len() as u64);
    let docs: Vec<Document> = io::open_records(&file, &InputConfig::default(), Arc::default())
        .filter_map(Result::ok)
        .collect();
    assert_eq!(docs.len(), 8);
    assert!(docs.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!(docs[0].position >> 40, 3);
}

#[test]
fn corrupt_gzip_member_costs_only_its_record() {
    if !have_shared_data() {
        return;
    }
    // warcfile.warc.gz is gzipped per record: damage the middle of one member.
    let path = shared_data().join("warc/resiliparse/warcfile.warc.gz");
    let mut gz = std::fs::read(&path).unwrap();
    let members: Vec<usize> = (0..gz.len() - 2)
        .filter(|&i| gz[i] == 0x1f && gz[i + 1] == 0x8b && gz[i + 2] == 0x08)
        .collect();
    assert!(members.len() >= 50, "{}", members.len());
    // Member 10 of the real file (a whole record; no false magic in these members).
    let (a, b) = (members[10], members[11]);
    let mid = (a + b) / 2;
    for x in &mut gz[mid..mid + 16] {
        *x ^= 0xa5;
    }
    let r = read_bytes("damaged.warc.gz", &gz);
    assert_eq!(r.rejects.len(), 1, "{:?}", r.rejects);
    assert_eq!(r.rejects[0].kind, "corrupt_input");
    let full = read(&path);
    let total = |x: &Read_| {
        x.docs.len() as u64
            + x.counters
                .iter()
                .filter(|(k, _)| k.starts_with("skipped_record."))
                .map(|(_, v)| v)
                .sum::<u64>()
    };
    assert_eq!(total(&r), total(&full) - 1);
}
