//! End to end, the smaller ways input and configuration used to go wrong without a word: a Parquet
//! file without rows, JSONL key collisions and object ids, impossible stage parameters.

mod common;

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use common::*;

/// A Parquet file with the usual columns and no rows (what an export of an empty query gives)
/// exits 2, like an empty JSONL file, and says why in rejects.jsonl.
#[test]
fn a_parquet_file_without_rows_is_a_reject() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("zero.parquet");
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("text", DataType::Utf8, false),
    ]));
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&input).unwrap(),
        schema.clone(),
        None,
    )
    .unwrap();
    let empty: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(Vec::<&str>::new())),
        Arc::new(StringArray::from(Vec::<&str>::new())),
    ];
    w.write(&RecordBatch::try_new(schema, empty).unwrap())
        .unwrap();
    w.close().unwrap();
    let out = tmp.path().join("out");
    let p = pipeline(tmp.path(), BASIC);
    let o = gleaner()
        .args(run_args(&p, Some(&input), &out, &[]))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let rejects = read_jsonl(&out.join("rejects.jsonl"));
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert_eq!(rejects[0]["kind"], "empty_file");
    assert!(
        rejects[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("zero.parquet")
    );
    assert_eq!(stats(&out)["input"]["rejects"], 1);
}

/// A dolma-style record with `source` at the top level and in `metadata`, and a MongoDB id:
/// both values and the id come out, and stats.json counts what was done.
#[test]
fn key_collisions_and_object_ids_come_out_and_are_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("dolma.jsonl");
    let text = sample_docs()[0]["text"].as_str().unwrap().to_string();
    let line = serde_json::json!({
        "_id": {"$oid": "5f1d7a2b"},
        "text": text,
        "source": "common-crawl",
        "metadata": {"source": "cc-news"},
    });
    std::fs::write(&input, format!("{line}\n")).unwrap();
    let out = tmp.path().join("out");
    let p = pipeline(
        tmp.path(),
        "[input]\nid_field = \"_id\"\n\n[[stage]]\ntype = \"normalize\"\n",
    );
    run_ok(&p, Some(&input), &out, &[]);
    let kept = read_shards(&out.join("kept"));
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["id"], r#"{"$oid":"5f1d7a2b"}"#);
    assert_eq!(kept[0]["metadata"]["source"], "cc-news");
    assert_eq!(kept[0]["metadata"]["top_level.source"], "common-crawl");
    let skipped = &stats(&out)["input"]["skipped_by_kind"];
    assert_eq!(skipped["quirk.metadata_key_collision"], 1, "{skipped}");
    assert_eq!(skipped["quirk.id_serialized"], 1, "{skipped}");
}

/// `languages = ["klingon"]` used to run and remove every document.
#[test]
fn an_unknown_language_code_stops_the_run_before_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    std::fs::write(&input, "{\"text\": \"hello\"}\n").unwrap();
    let out = tmp.path().join("out");
    let p = pipeline(
        tmp.path(),
        "[[stage]]\ntype = \"language\"\nlanguages = [\"klingon\"]\n",
    );
    let o = gleaner()
        .args(run_args(&p, Some(&input), &out, &[]))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("\"klingon\"") && err.contains("lid.176"),
        "{err}"
    );
    assert!(!out.join("kept").exists(), "nothing was written");
}
