//! Parquet input as other tools write it: dictionary-encoded and binary text columns, nested
//! metadata columns, files without rows, and a damaged row group among good ones. The files are
//! written here with the parquet crate's own writer, from the real news articles bundled in
//! examples/data.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, MapBuilder, StringBuilder};
use arrow_array::types::{Int16Type, Int32Type};
use arrow_array::{
    Array, ArrayRef, BinaryArray, BinaryViewArray, DictionaryArray, Float64Array, LargeBinaryArray,
    LargeStringArray, RecordBatch, StringArray, StringViewArray, StructArray,
};
use arrow_schema::{DataType, Field, Schema};
use gleaner::Document;
use gleaner::config::InputConfig;
use gleaner::io::{self, Reject};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use serde_json::{Value, json};

/// `(id, text)` of the first `n` real news articles.
fn articles(n: usize) -> Vec<(String, String)> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/news-sample.jsonl.zst");
    let mut text = String::new();
    zstd::stream::read::Decoder::new(std::fs::File::open(path).unwrap())
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .take(n)
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["id"].as_str().unwrap().to_string(),
                v["text"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>, props: WriterProperties) {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let mut w = ArrowWriter::try_new(
        std::fs::File::create(path).unwrap(),
        schema.clone(),
        Some(props),
    )
    .unwrap();
    if columns.first().is_some_and(|(_, a)| !a.is_empty()) {
        let batch =
            RecordBatch::try_new(schema, columns.into_iter().map(|(_, a)| a).collect()).unwrap();
        w.write(&batch).unwrap();
    }
    w.close().unwrap();
}

/// Dictionary encoding on (the writer's default, said out loud).
fn dictionary_props() -> WriterProperties {
    WriterProperties::builder()
        .set_dictionary_enabled(true)
        .build()
}

/// Everything the reader yields for `path`, and the counts it made.
fn read(path: &Path) -> (Vec<Document>, Vec<Reject>, BTreeMap<String, u64>) {
    let c = io::read_whole_file(path, &InputConfig::default()).unwrap();
    (c.docs, c.rejects, c.counters)
}

fn ids_and_texts(docs: &[Document]) -> Vec<(String, String)> {
    docs.iter()
        .map(|d| (d.id.clone(), d.text.clone()))
        .collect()
}

#[test]
fn dictionary_view_large_and_binary_text_columns_are_read() {
    let docs = articles(30);
    let ids: Vec<&str> = docs.iter().map(|(i, _)| i.as_str()).collect();
    let texts: Vec<&str> = docs.iter().map(|(_, t)| t.as_str()).collect();
    let bytes = |v: &[&str]| -> Vec<Vec<u8>> { v.iter().map(|s| s.as_bytes().to_vec()).collect() };
    let text_bytes = bytes(&texts);
    let id_bytes = bytes(&ids);
    let text_slices: Vec<&[u8]> = text_bytes.iter().map(|b| b.as_slice()).collect();
    let id_slices: Vec<&[u8]> = id_bytes.iter().map(|b| b.as_slice()).collect();
    let cases: Vec<(&str, ArrayRef, ArrayRef)> = vec![
        (
            "dictionary",
            Arc::new(ids.iter().copied().collect::<DictionaryArray<Int32Type>>()),
            Arc::new(
                texts
                    .iter()
                    .copied()
                    .collect::<DictionaryArray<Int32Type>>(),
            ),
        ),
        (
            "dictionary-large",
            Arc::new(StringArray::from(ids.clone())),
            Arc::new(
                DictionaryArray::<Int16Type>::try_new(
                    (0..texts.len() as i16).collect(),
                    Arc::new(LargeStringArray::from(texts.clone())),
                )
                .unwrap(),
            ),
        ),
        (
            "large",
            Arc::new(LargeStringArray::from(ids.clone())),
            Arc::new(LargeStringArray::from(texts.clone())),
        ),
        (
            "view",
            Arc::new(StringViewArray::from(ids.clone())),
            Arc::new(StringViewArray::from(texts.clone())),
        ),
        (
            "binary",
            Arc::new(BinaryArray::from(id_slices.clone())),
            Arc::new(BinaryArray::from(text_slices.clone())),
        ),
        (
            "large-binary",
            Arc::new(LargeBinaryArray::from(id_slices.clone())),
            Arc::new(LargeBinaryArray::from(text_slices.clone())),
        ),
        (
            "binary-view",
            Arc::new(BinaryViewArray::from(id_slices.clone())),
            Arc::new(BinaryViewArray::from(text_slices.clone())),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, id_col, text_col) in cases {
        let path = dir.path().join(format!("{name}.parquet"));
        write_parquet(
            &path,
            vec![("id", id_col), ("text", text_col)],
            dictionary_props(),
        );
        let (got, rejects, _) = read(&path);
        assert!(rejects.is_empty(), "{name}: {rejects:?}");
        assert_eq!(ids_and_texts(&got), docs, "{name}");
    }
}

#[test]
fn invalid_utf8_in_a_binary_text_cell_rejects_only_that_row() {
    let docs = articles(10);
    let mut texts: Vec<Vec<u8>> = docs.iter().map(|(_, t)| t.as_bytes().to_vec()).collect();
    texts[3] = b"Caf\xe9 au lait, written in Latin-1".to_vec();
    let text_slices: Vec<&[u8]> = texts.iter().map(|b| b.as_slice()).collect();
    let ids: Vec<&str> = docs.iter().map(|(i, _)| i.as_str()).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.parquet");
    write_parquet(
        &path,
        vec![
            ("id", Arc::new(StringArray::from(ids)) as ArrayRef),
            ("text", Arc::new(BinaryArray::from(text_slices))),
        ],
        dictionary_props(),
    );
    let (got, rejects, _) = read(&path);
    let mut want = docs.clone();
    want.remove(3);
    assert_eq!(ids_and_texts(&got), want);
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert_eq!(rejects[0].kind, "invalid_utf8");
    assert_eq!(rejects[0].record, Some(3));
    assert!(rejects[0].message.contains("\"text\""), "{}", rejects[0]);
}

#[test]
fn struct_map_and_list_columns_become_json_metadata() {
    let docs = articles(3);
    let n = docs.len();
    let metadata = StructArray::from(vec![
        (
            Arc::new(Field::new("url", DataType::Utf8, true)),
            Arc::new(StringArray::from(vec![
                Some("https://example.com/a"),
                Some("https://example.com/b"),
                None,
            ])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("source", DataType::Utf8, true)),
            Arc::new(StringArray::from(vec!["cc-news"; n])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("score", DataType::Float64, true)),
            Arc::new(Float64Array::from(vec![0.5, 0.25, 1.0])) as ArrayRef,
        ),
    ]);
    let mut tags = ListBuilder::new(StringBuilder::new());
    for row in [&["politics", "eu"][..], &[], &["sport"]] {
        for t in row {
            tags.values().append_value(t);
        }
        tags.append(true);
    }
    let mut headers = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
    for row in 0..n {
        headers.keys().append_value("content-language");
        headers
            .values()
            .append_value(if row == 1 { "de" } else { "en" });
        headers.append(true).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested.parquet");
    write_parquet(
        &path,
        vec![
            (
                "id",
                Arc::new(StringArray::from_iter_values(docs.iter().map(|d| &d.0))) as ArrayRef,
            ),
            (
                "text",
                Arc::new(StringArray::from_iter_values(docs.iter().map(|d| &d.1))),
            ),
            // Also inside the metadata struct: both values are kept.
            ("source", Arc::new(StringArray::from(vec!["crawl"; n]))),
            ("metadata", Arc::new(metadata)),
            ("tags", Arc::new(tags.finish())),
            ("headers", Arc::new(headers.finish())),
        ],
        dictionary_props(),
    );
    let (got, rejects, counts) = read(&path);
    assert!(rejects.is_empty(), "{rejects:?}");
    assert_eq!(ids_and_texts(&got), docs);
    assert_eq!(
        Value::Object(got[0].metadata.clone()),
        json!({
            "url": "https://example.com/a",
            "source": "cc-news",
            "score": 0.5,
            "top_level.source": "crawl",
            "tags": ["politics", "eu"],
            "headers": {"content-language": "en"},
        })
    );
    assert_eq!(got[0].url(), Some("https://example.com/a"));
    assert_eq!(got[1].metadata["tags"], json!([]));
    assert_eq!(
        got[1].metadata["headers"],
        json!({"content-language": "de"})
    );
    assert!(
        !got[2].metadata.contains_key("url"),
        "a null field stays out"
    );
    assert_eq!(
        counts.get("quirk.metadata_key_collision"),
        Some(&3),
        "{counts:?}"
    );
}

#[test]
fn a_file_without_rows_is_one_reject() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zero-rows.parquet");
    write_parquet(
        &path,
        vec![
            (
                "id",
                Arc::new(StringArray::from(Vec::<&str>::new())) as ArrayRef,
            ),
            ("text", Arc::new(StringArray::from(Vec::<&str>::new()))),
        ],
        dictionary_props(),
    );
    let (docs, rejects, _) = read(&path);
    assert!(docs.is_empty());
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert_eq!(rejects[0].kind, "empty_file");
    assert!(rejects[0].message.contains("no rows"), "{}", rejects[0]);
}

/// Four row groups of ten articles; the text column chunk of the second has its first bytes (the
/// page header) overwritten. Every row outside it is read; the damaged group is one reject
/// naming its rows.
#[test]
fn a_corrupt_row_group_is_one_reject_and_the_others_are_read() {
    let docs = articles(40);
    for compression in [Compression::UNCOMPRESSED, Compression::SNAPPY] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("groups.parquet");
        write_parquet(
            &path,
            vec![
                (
                    "id",
                    Arc::new(StringArray::from_iter_values(docs.iter().map(|d| &d.0))) as ArrayRef,
                ),
                (
                    "text",
                    Arc::new(StringArray::from_iter_values(docs.iter().map(|d| &d.1))),
                ),
            ],
            WriterProperties::builder()
                .set_dictionary_enabled(true)
                .set_compression(compression)
                .set_max_row_group_row_count(Some(10))
                .build(),
        );
        let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 4);
        let (start, len) = reader.metadata().row_group(1).column(1).byte_range();
        drop(reader);
        assert!(len > 64);
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.seek(SeekFrom::Start(start)).unwrap();
        f.write_all(&[0xff; 24]).unwrap();
        drop(f);

        let (got, rejects, _) = read(&path);
        let want: Vec<_> = docs[..10].iter().chain(&docs[20..]).cloned().collect();
        assert_eq!(ids_and_texts(&got), want, "{compression:?}");
        assert_eq!(rejects.len(), 1, "{rejects:?}");
        let r = &rejects[0];
        assert_eq!(r.kind, "corrupt_row_group");
        assert_eq!(r.record, Some(10));
        assert!(r.message.contains("row group 1 (rows 10 to 19)"), "{r}");
    }
}

#[test]
fn date_timestamp_and_decimal_columns_become_text_and_other_types_are_counted() {
    use arrow_array::{
        Date32Array, Decimal128Array, Time64MicrosecondArray, TimestampMillisecondArray,
    };
    let docs = articles(2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typed.parquet");
    // 2017-03-17 is day 17242 of the Unix epoch; 1489760000123 ms is 2017-03-17T14:13:20.123Z.
    let crawled =
        TimestampMillisecondArray::from(vec![Some(1_489_760_000_123), None]).with_timezone("UTC");
    let local = TimestampMillisecondArray::from(vec![1_489_760_000_000, 0]);
    write_parquet(
        &path,
        vec![
            (
                "text",
                Arc::new(StringArray::from_iter_values(docs.iter().map(|d| &d.1))) as ArrayRef,
            ),
            ("published", Arc::new(Date32Array::from(vec![17242, 0]))),
            ("crawled", Arc::new(crawled)),
            ("local", Arc::new(local)),
            (
                "price",
                Arc::new(
                    Decimal128Array::from(vec![12_345, -5])
                        .with_precision_and_scale(10, 2)
                        .unwrap(),
                ),
            ),
            // A time of day has no JSON form: left out, and each cell counted.
            (
                "time",
                Arc::new(Time64MicrosecondArray::from(vec![Some(1), None])),
            ),
        ],
        dictionary_props(),
    );
    let (got, rejects, counts) = read(&path);
    assert!(rejects.is_empty(), "{rejects:?}");
    assert_eq!(
        Value::Object(got[0].metadata.clone()),
        json!({
            "published": "2017-03-17",
            "crawled": "2017-03-17T14:13:20.123Z",
            "local": "2017-03-17T14:13:20",
            "price": "123.45",
        })
    );
    assert_eq!(got[1].metadata["published"], json!("1970-01-01"));
    assert_eq!(got[1].metadata["price"], json!("-0.05"));
    assert!(!got[1].metadata.contains_key("crawled"), "a null stays out");
    assert_eq!(
        counts.get("quirk.parquet_unsupported_type"),
        Some(&1),
        "one non-null time cell: {counts:?}"
    );
}
