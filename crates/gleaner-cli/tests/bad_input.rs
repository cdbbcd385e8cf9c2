//! Bad input never stops a run and never loses a good document: every problem becomes a reject
//! naming the file, the record and the problem, and everything readable is processed.

mod common;

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{Field, Schema};
use common::*;
use serde_json::{Value, json};

fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(
        schema.clone(),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None)
            .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// Builds a directory holding every kind of bad input next to good documents, and returns the
/// ids of all the good documents in it.
fn build_bad_corpus(dir: &Path) -> Vec<String> {
    let docs = sample_docs();
    let mut good: Vec<String> = Vec::new();
    let ids = |d: &[Value]| {
        d.iter()
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };

    // Mixed lines: good records around malformed ones.
    let mut mixed = Vec::new();
    mixed.extend(jsonl_bytes(&docs[0..2]));
    mixed.extend(b"{\"id\": \"broken\", \"text\": \"unterminated\n");
    mixed.extend(jsonl_bytes(&docs[2..3]));
    mixed.extend(b"{\"id\": \"latin1\", \"text\": \"caf\xe9 cr\xe8me\"}\n");
    mixed.extend(b"{\"id\": \"no-text\", \"body\": \"wrong field\"}\n");
    mixed.extend(b"{\"id\": \"numeric-text\", \"text\": 42}\n");
    mixed.extend(b"\n   \n");
    mixed.extend(jsonl_bytes(&docs[3..5]));
    std::fs::write(dir.join("a-mixed.jsonl"), mixed).unwrap();
    good.extend(ids(&docs[0..5]));

    // Truncated compressed files (one member / frame each): the member cannot be verified, so
    // none of its records are used; each file is one reject naming the member.
    let body = jsonl_bytes(&docs[10..60]);
    let gz = gzip_bytes(&body);
    std::fs::write(dir.join("b-truncated.jsonl.gz"), &gz[..gz.len() * 6 / 10]).unwrap();
    let zst = zstd_bytes(&body);
    std::fs::write(
        dir.join("c-truncated.jsonl.zst"),
        &zst[..zst.len() * 6 / 10],
    )
    .unwrap();

    std::fs::write(dir.join("d-empty.jsonl"), b"").unwrap();

    // A 100 MB single document between two normal ones.
    let mut huge = Vec::new();
    huge.extend(jsonl_bytes(&docs[60..61]));
    let sentence = "The quick brown fox jumps over the lazy dog near the river bank. ";
    let text: String = sentence.repeat(100 * 1024 * 1024 / sentence.len() + 1);
    huge.extend(jsonl_bytes(&[json!({"id": "huge", "text": text})]));
    huge.extend(jsonl_bytes(&docs[61..62]));
    std::fs::write(dir.join("e-huge.jsonl"), huge).unwrap();
    good.extend(ids(&docs[60..62]));
    good.push("huge".into());

    // Parquet: one good file, one with the wrong schema, one that is not Parquet at all.
    let texts: Vec<&str> = docs[70..80]
        .iter()
        .map(|d| d["text"].as_str().unwrap())
        .collect();
    let pids: Vec<String> = ids(&docs[70..80]);
    write_parquet(
        &dir.join("f-good.parquet"),
        vec![
            ("id", Arc::new(StringArray::from(pids.clone())) as ArrayRef),
            ("text", Arc::new(StringArray::from(texts)) as ArrayRef),
        ],
    );
    good.extend(pids);
    write_parquet(
        &dir.join("g-wrong-schema.parquet"),
        vec![
            (
                "content",
                Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef,
            ),
            (
                "title",
                Arc::new(StringArray::from(vec!["a", "b", "c"])) as ArrayRef,
            ),
        ],
    );
    std::fs::write(
        dir.join("h-garbage.parquet"),
        b"PAR1 this is not really a parquet file at all",
    )
    .unwrap();
    good
}

fn rejects(out: &Path) -> Vec<Value> {
    read_jsonl(&out.join("rejects.jsonl"))
}

#[test]
fn every_kind_of_bad_input_is_rejected_clearly_and_nothing_good_is_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    std::fs::create_dir(&input).unwrap();
    let good = build_bad_corpus(&input);
    let p = pipeline(tmp.path(), BASIC);
    let out = tmp.path().join("out");
    let o = run(&[
        "run",
        p.to_str().unwrap(),
        "-i",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "-j",
        "2",
    ]);
    assert!(
        o.status.success(),
        "bad input must not fail the run: {}",
        stderr(&o)
    );

    let kept = read_shards(&out.join("kept"));
    let removed = read_shards(&out.join("removed"));
    let seen: Vec<&str> = kept
        .iter()
        .chain(&removed)
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    for id in &good {
        assert!(seen.contains(&id.as_str()), "good document {id} was lost");
    }
    let huge = kept
        .iter()
        .find(|d| d["id"] == "huge")
        .expect("the 100 MB document is kept");
    assert!(huge["text"].as_str().unwrap().len() > 100 * 1024 * 1024 - 100);

    let rej = rejects(&out);
    let find = |file: &str, kind: &str| -> &Value {
        rej.iter()
            .find(|r| r["file"].as_str().unwrap().ends_with(file) && r["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} reject for {file}: {rej:#?}"))
    };
    let r = find("a-mixed.jsonl", "malformed_json");
    assert_eq!(r["record"], 3, "line number of the broken record");
    assert!(r["excerpt"].as_str().unwrap().contains("unterminated"));
    let r = find("a-mixed.jsonl", "invalid_utf8");
    assert_eq!(r["record"], 5);
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("invalid UTF-8 at byte 29"),
        "{r}"
    );
    let r = find("a-mixed.jsonl", "missing_text");
    assert_eq!(r["record"], 6);
    assert!(r["message"].as_str().unwrap().contains("no \"text\" field"));
    assert!(
        rej.iter()
            .any(|r| r["record"] == 7 && r["message"].as_str().unwrap().contains("is a number"))
    );
    assert!(
        find("b-truncated.jsonl.gz", "corrupt_gzip_member")["message"]
            .as_str()
            .unwrap()
            .contains("damaged gzip member at compressed bytes 0..")
    );
    find("c-truncated.jsonl.zst", "corrupt_zstd_frame");
    find("d-empty.jsonl", "empty_file");
    let r = find("g-wrong-schema.parquet", "schema");
    assert!(
        r["message"].as_str().unwrap().contains(
            "text column \"text\" is missing; the file has: content (Int64), title (Utf8)"
        ),
        "{r}"
    );
    find("h-garbage.parquet", "malformed_parquet");

    // A truncated member yields none of its records: they cannot be verified (io/members.rs).
    let from_gz = seen
        .iter()
        .filter(|id| sample_docs()[10..60].iter().any(|d| d["id"] == **id))
        .count();
    assert_eq!(
        from_gz, 0,
        "records of the unverifiable gzip member were used"
    );

    let st = stats(&out);
    assert_eq!(st["input"]["rejects"], rej.len() as u64);
    assert_eq!(st["input"]["rejects_by_kind"]["malformed_json"], 1);
    assert_eq!(st["input"]["files"], 8);
    assert!(stderr(&o).contains(&format!("{} rejected", rej.len())));
}

#[test]
fn strict_mode_and_unreadable_input_set_the_exit_status() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = sample_docs();
    let mut mixed = jsonl_bytes(&docs[..3]);
    mixed.extend(b"not json\n");
    std::fs::write(tmp.path().join("mixed.jsonl"), mixed).unwrap();
    let p = pipeline(tmp.path(), BASIC);
    let path = tmp.path().join("mixed.jsonl");
    let o = run(&[
        "run",
        p.to_str().unwrap(),
        "-i",
        path.to_str().unwrap(),
        "-o",
        tmp.path().join("o1").to_str().unwrap(),
        "-q",
        "--strict",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stats(&tmp.path().join("o1"))["output"]["kept_docs"]
            .as_u64()
            .unwrap()
            + stats(&tmp.path().join("o1"))["output"]["removed_docs"]
                .as_u64()
                .unwrap(),
        3
    );

    std::fs::write(tmp.path().join("bad.jsonl"), b"nope\n{\"text\": null}\n").unwrap();
    let bad = tmp.path().join("bad.jsonl");
    let o = run(&[
        "run",
        p.to_str().unwrap(),
        "-i",
        bad.to_str().unwrap(),
        "-o",
        tmp.path().join("o2").to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no document could be read"),
        "{}",
        stderr(&o)
    );
    assert_eq!(rejects(&tmp.path().join("o2")).len(), 2);
}

#[test]
fn oversized_records_are_rejected_and_reading_continues() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = sample_docs();
    let big = docs
        .iter()
        .max_by_key(|d| d["text"].as_str().unwrap().len())
        .unwrap();
    let limit = big["text"].as_str().unwrap().len() - 1;
    let mut body = jsonl_bytes(&docs[..2]);
    body.extend(jsonl_bytes(std::slice::from_ref(big)));
    body.extend(jsonl_bytes(&docs[2..4]));
    std::fs::write(tmp.path().join("in.jsonl"), body).unwrap();
    let p = pipeline(
        tmp.path(),
        &format!("[input]\npaths=[\"in.jsonl\"]\nmax_record_bytes={limit}\n{BASIC}"),
    );
    let out = tmp.path().join("out");
    run_ok(&p, None, &out, &[]);
    let rej = rejects(&out);
    assert_eq!(rej.len(), 1);
    assert_eq!(rej[0]["kind"], "too_large");
    assert_eq!(rej[0]["record"], 3);
    assert_eq!(stats(&out)["input"]["docs"], 4);
}
