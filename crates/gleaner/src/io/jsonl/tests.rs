//! Tests of JSONL reading and writing on real articles (examples/data/news-sample.jsonl.zst):
//! the block reader against a plain split, the encoder against serde_json, record errors.

use super::*;
use crate::config::ByteSize;
use crate::document::{LineEdit, Reason};
use serde_json::{Map, Value};

/// Reads `path` with the block reader: (record, offset, id or reject kind) per item.
fn read_all(path: &std::path::Path, max_record: u64) -> Vec<(u64, u64, String)> {
    let file = InputFile::new(
        0,
        path.to_path_buf(),
        std::fs::metadata(path).unwrap().len(),
    );
    let cfg = InputConfig {
        max_record_bytes: ByteSize(max_record),
        ..Default::default()
    };
    JsonlReader::open(&file, &cfg, Arc::new(AtomicU64::new(0)), Arc::default())
        .map(|r| match r {
            RawRecord::Json(line) => {
                let (record, offset) = (line.record, line.offset);
                match line.decode() {
                    Ok(d) => (record, offset, d.id),
                    Err(r) => (record, offset, r.kind),
                }
            }
            RawRecord::Ready(Err(r)) => (r.record.unwrap(), r.offset.unwrap(), r.kind),
            RawRecord::Ready(Ok(d)) => (0, 0, d.id),
        })
        .collect()
}

/// What the reader must produce, from a plain split of the bytes on `\n`.
fn expected(bytes: &[u8], max_record: usize) -> Vec<(u64, u64, String)> {
    let mut out = Vec::new();
    let mut offset = 0u64;
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    for (i, line) in body.split(|&b| b == b'\n').enumerate() {
        let record = i as u64 + 1;
        if line.len() > max_record {
            out.push((record, offset, "too_large".to_string()));
        } else if !trim_ascii(line).is_empty() {
            let id = match parse_record(trim_ascii(line), "text", "id") {
                Ok((d, _)) => d.id,
                Err((kind, _)) => kind.to_string(),
            };
            out.push((record, offset, id));
        }
        offset += line.len() as u64 + 1;
    }
    out
}

/// Real articles (1.4 MB, so lines cross the 1 MiB block boundary), with blank lines, a
/// malformed line, an over-long line and no final newline; plain and zstd-compressed.
#[test]
fn block_reader_hands_out_every_line_with_its_number_and_offset() {
    let zst = include_bytes!("../../../../../examples/data/news-sample.jsonl.zst");
    let mut data = zstd::decode_all(&zst[..]).unwrap();
    data.extend_from_slice(b"\n  \n{\"text\": broken\n");
    data.extend_from_slice(
        format!("{{\"id\":\"long\",\"text\":\"{}\"}}\n", "y".repeat(9000)).as_bytes(),
    );
    data.extend_from_slice(b"{\"id\":\"last\",\"text\":\"no newline\"}");
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("a.jsonl");
    std::fs::write(&plain, &data).unwrap();
    let packed = dir.path().join("a.jsonl.zst");
    std::fs::write(&packed, zstd::encode_all(&data[..], 1).unwrap()).unwrap();
    let want = expected(&data, 8192);
    assert!(want.len() > 400 && want.last().unwrap().2 == "last");
    assert!(
        want.iter().any(|w| w.2 == "too_large") && want.iter().any(|w| w.2 == "malformed_json")
    );
    assert_eq!(read_all(&plain, 8192), want);
    assert_eq!(read_all(&packed, 8192), want);
    // A record longer than a whole block, and than the limit, is skipped as one.
    let huge = 3 << 20;
    let mut big = format!("{{\"id\":\"big\",\"text\":\"{}\"}}\n", "z".repeat(huge)).into_bytes();
    big.extend_from_slice(&data);
    std::fs::write(&plain, &big).unwrap();
    assert_eq!(read_all(&plain, 1 << 30), expected(&big, 1 << 30));
    assert_eq!(read_all(&plain, 1 << 20), expected(&big, 1 << 20));
}

#[test]
fn a_truncated_frame_releases_none_of_its_records() {
    // The sample is one zstd frame: cut, it cannot be verified, so none of its records may be
    // used (io/members.rs); the file is one reject naming the frame.
    let zst = include_bytes!("../../../../../examples/data/news-sample.jsonl.zst");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.jsonl.zst");
    std::fs::write(&path, &zst[..zst.len() * 3 / 4]).unwrap();
    let got = read_all(&path, 1 << 30);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].2, "corrupt_zstd_frame");
}

#[test]
fn encoded_lines_match_serde_json_byte_for_byte() {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        id: &'a str,
        text: &'a str,
        metadata: &'a Map<String, Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        removal: Option<&'a Reason>,
        #[serde(skip_serializing_if = "Option::is_none")]
        edits: Option<&'a [LineEdit]>,
    }
    let seed = include_str!("../../../../../examples/data/raw-example.txt");
    // Every byte that needs escaping, at every offset within an 8-byte word, next to
    // multi-byte characters and DEL (which JSON leaves alone).
    let mut specials = String::new();
    for b in (0u8..0x20).chain([b'"', b'\\', 0x7f]) {
        for pad in 0..9 {
            specials.push_str(&"x".repeat(pad));
            specials.push(b as char);
            specials.push_str("é€😀/");
        }
    }
    // Metadata of every JSON type, nested, with escapes in keys and values.
    let meta = serde_json::json!({
        "url": "http://example.com/\"q\"",
        "language_score": 0.8731268644332886,
        "counts": [0, -3, 18446744073709551615u64, 1e300, 2.5e-8, null, true, false],
        "nested": {"ke\ty": {"deeper": ["a\u{1}b", {}, []]}, "": "empty key"},
        "title": "Ça va — \"quoted\"\n",
    });
    let Value::Object(meta) = meta else {
        unreachable!("an object literal")
    };
    let reason = Reason {
        stage: "len".into(),
        rule: "min_words".into(),
        value: Value::from(3),
        threshold: Value::from(50),
        kept_id: None,
        against: None,
        detail: Some("tab\there".into()),
    };
    let edit = LineEdit {
        stage: "c4".into(),
        rule: "javascript".into(),
        line: 2,
        text: "enable \"JavaScript\"\n".into(),
        value: Value::Null,
        threshold: Value::Null,
    };
    for text in [seed, &specials, "", "\"", "ab\\", "short", "12345678\n"] {
        let doc = Document {
            id: format!("id\u{1}{}", text.len()),
            text: text.to_string(),
            metadata: meta.clone(),
            ..Default::default()
        };
        for (removal, edits) in [
            (None, None),
            (Some(&reason), None),
            (Some(&reason), Some(std::slice::from_ref(&edit))),
            (None, Some(std::slice::from_ref(&edit))),
        ] {
            let mut ours = Vec::new();
            encode_line(&mut ours, &doc, removal, edits);
            let mut theirs = serde_json::to_vec(&Line {
                id: &doc.id,
                text: &doc.text,
                metadata: &doc.metadata,
                removal,
                edits,
            })
            .unwrap();
            theirs.push(b'\n');
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            );
        }
    }
}

#[test]
fn configured_fields_and_extra_fields_land_in_the_document() {
    let d = parse_record(
        br#"{"doc_id": 7, "content": "hello", "source": "cc", "metadata": {"url": "http://a"}}"#,
        "content",
        "doc_id",
    )
    .unwrap()
    .0;
    assert_eq!(d.id, "7");
    assert_eq!(d.text, "hello");
    assert_eq!(d.url(), Some("http://a"));
    assert_eq!(d.source(), Some("cc"));
}

#[test]
fn bad_records_name_the_problem() {
    assert_eq!(
        parse_record(b"{\"id\":1}", "text", "id").unwrap_err().0,
        "missing_text"
    );
    assert_eq!(
        parse_record(b"{\"text\":", "text", "id").unwrap_err().0,
        "malformed_json"
    );
    assert_eq!(
        parse_record(b"[1,2]", "text", "id").unwrap_err().0,
        "malformed_json"
    );
    assert_eq!(
        parse_record(b"{\"text\":3}", "text", "id").unwrap_err().0,
        "missing_text"
    );
    let (kind, msg) = parse_record(b"{\"text\":\"a\xff\"}", "text", "id").unwrap_err();
    assert_eq!(kind, "invalid_utf8");
    assert!(msg.contains("byte 10"), "{msg}");
}

/// dolma records carry `source` both at the top level and (after some tools) inside `metadata`;
/// neither value may vanish.
#[test]
fn a_top_level_key_also_inside_metadata_is_kept_under_a_prefixed_name() {
    let line = br#"{"id": "a", "text": "t", "source": "common-crawl", "added": "2024-01-01", "metadata": {"source": "cc-news", "top_level.added": "x"}}"#;
    for parse in [parse_record, parse_record_serde_only] {
        let (d, quirks) = parse(line, "text", "id").unwrap();
        assert_eq!(quirks.key_collisions, 1);
        assert_eq!(d.metadata["source"], "cc-news");
        assert_eq!(d.metadata["top_level.source"], "common-crawl");
        // No collision: kept under its own name.
        assert_eq!(d.metadata["added"], "2024-01-01");
        assert_eq!(d.metadata["top_level.added"], "x");
        assert_eq!(d.metadata.len(), 4);
    }
}

/// MongoDB exports hold `{"_id": {"$oid": "…"}}`; a composite key may be an array.
#[test]
fn object_and_array_ids_become_their_json_text() {
    for parse in [parse_record, parse_record_serde_only] {
        let (d, _) = parse(
            br#"{"_id": {"$oid": "5f1d7a"}, "text": "t"}"#,
            "text",
            "_id",
        )
        .unwrap();
        assert_eq!(d.id, r#"{"$oid":"5f1d7a"}"#);
        let (d, _) = parse(br#"{"id": ["shard-3", 17], "text": "t"}"#, "text", "id").unwrap();
        assert_eq!(d.id, r#"["shard-3",17]"#);
    }
}

/// Odd ids and key collisions are counted in the reader's counters (the run's `skipped_by_kind`).
#[test]
fn odd_ids_and_key_collisions_are_counted_by_the_reader() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.jsonl");
    std::fs::write(
        &path,
        concat!(
            "{\"id\": \"plain\", \"text\": \"a\", \"metadata\": {\"url\": \"u\"}}\n",
            "{\"id\": true, \"text\": \"b\"}\n",
            "{\"id\": {\"k\": 1}, \"text\": \"c\"}\n",
            "{\"id\": [1, 2], \"text\": \"d\", \"url\": \"x\", \"metadata\": {\"url\": \"u\"}}\n",
        ),
    )
    .unwrap();
    let file = InputFile::new(0, path.clone(), std::fs::metadata(&path).unwrap().len());
    let counters = Arc::new(super::super::ReadCounters::default());
    let docs: Vec<Document> = super::super::open_records_counted(
        &file,
        &InputConfig::default(),
        Arc::new(AtomicU64::new(0)),
        counters.clone(),
    )
    .map(|r| r.unwrap())
    .collect();
    let ids: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
    // A boolean identifies nothing: the record gets the default id of its line.
    assert_eq!(ids, ["plain", "odd.jsonl:2", r#"{"k":1}"#, "[1,2]"]);
    assert_eq!(docs[3].metadata["top_level.url"], "x");
    let counts = counters.snapshot();
    assert_eq!(counts.get("quirk.id_boolean"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("quirk.id_serialized"), Some(&2), "{counts:?}");
    assert_eq!(
        counts.get("quirk.metadata_key_collision"),
        Some(&1),
        "{counts:?}"
    );
}
