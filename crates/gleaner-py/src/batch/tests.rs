//! Arrow in/out on the user's raw example document (examples/data/raw-example.txt).

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, Int32Array, RecordBatch, StringArray};
use gleaner::{Pipeline, PipelineConfig};

use super::*;

const RAW: &str = include_str!("../../../../examples/data/raw-example.txt");

fn pipeline(toml: &str) -> Pipeline {
    let cfg = PipelineConfig::from_toml(toml, Path::new(".")).unwrap();
    Pipeline::from_config(&cfg).unwrap()
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn col<'a>(b: &'a RecordBatch, name: &str) -> Vec<Option<&'a str>> {
    strings(b.column_by_name(name).unwrap().as_ref(), name).unwrap()
}

#[test]
fn kept_and_removed_carry_reasons_metadata_and_other_columns() {
    let texts = vec![RAW, "Too short to keep.", RAW];
    let input = batch(vec![
        ("text", Arc::new(StringArray::from(texts)) as ArrayRef),
        ("id", Arc::new(Int32Array::from(vec![7, 8, 9]))),
        (
            "metadata",
            Arc::new(StringArray::from(vec![
                Some(r#"{"url":"https://example.com/a"}"#),
                None,
                Some("{}"),
            ])),
        ),
        ("score", Arc::new(Int32Array::from(vec![70, 80, 90]))),
    ]);
    let p = pipeline("[[stage]]\ntype = \"length_filter\"\nmin_words = 50\n");
    let out = process_batch_shared(&p, &input, &BatchOptions::default()).unwrap();
    assert_eq!(col(&out.kept, "id"), vec![Some("7"), Some("9")]);
    assert_eq!(col(&out.kept, "text")[0], Some(RAW));
    assert_eq!(
        col(&out.kept, "metadata"),
        vec![Some(r#"{"url":"https://example.com/a"}"#), Some("{}")]
    );
    let score = out.kept.column_by_name("score").unwrap();
    assert_eq!(score.as_primitive::<Int32Type>().values(), &[70, 90]);
    assert_eq!(col(&out.removed, "id"), vec![Some("8")]);
    assert_eq!(col(&out.removed, "stage"), vec![Some("length_filter")]);
    assert_eq!(col(&out.removed, "rule"), vec![Some("min_words")]);
    assert_eq!(col(&out.removed, "value"), vec![Some("4")]);
    assert_eq!(col(&out.removed, "threshold"), vec![Some("50")]);
    assert_eq!(col(&out.removed, "kept_id"), vec![None]);
    let score = out.removed.column_by_name("score").unwrap();
    assert_eq!(score.as_primitive::<Int32Type>().values(), &[80]);
}

#[test]
fn dedup_in_a_batch_keeps_the_first_copy() {
    let input = batch(vec![
        (
            "id",
            Arc::new(StringArray::from(vec!["a", "b", "c"])) as ArrayRef,
        ),
        (
            "text",
            Arc::new(StringArray::from(vec![
                RAW,
                "Something else entirely, five words or more.",
                RAW,
            ])),
        ),
    ]);
    let mut p = pipeline("[[stage]]\ntype = \"normalize\"\n[[stage]]\ntype = \"minhash_dedup\"\n");
    let err = process_batch_shared(&p, &input, &BatchOptions::default()).unwrap_err();
    assert!(err.to_string().contains("minhash_dedup"), "{err}");
    let out = process_batch(&mut p, &input, &BatchOptions::default()).unwrap();
    assert_eq!(col(&out.kept, "id"), vec![Some("a"), Some("b")]);
    assert_eq!(col(&out.removed, "id"), vec![Some("c")]);
    assert_eq!(col(&out.removed, "rule"), vec![Some("near_duplicate")]);
    assert_eq!(col(&out.removed, "kept_id"), vec![Some("a")]);
    assert!(
        col(&out.kept, "metadata")[0]
            .unwrap()
            .contains("\"minhash_cluster_size\":2")
    );
}

#[test]
fn a_copy_of_an_indexed_document_names_the_index_and_the_earlier_document() {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("index");
    let first = batch(vec![
        (
            "id",
            Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef,
        ),
        (
            "text",
            Arc::new(StringArray::from(vec![RAW, "Something else entirely."])),
        ),
        (
            "metadata",
            Arc::new(StringArray::from(vec![
                r#"{"url":"https://example.com/a"}"#,
                "{}",
            ])),
        ),
    ]);
    let mut save = pipeline(&format!(
        "[[stage]]\ntype = \"exact_dedup\"\nsave_index = \"{}\"\n",
        index.display()
    ));
    process_batch(&mut save, &first, &BatchOptions::default()).unwrap();
    let second = batch(vec![
        (
            "id",
            Arc::new(StringArray::from(vec!["c", "d"])) as ArrayRef,
        ),
        (
            "text",
            Arc::new(StringArray::from(vec!["A new text.", RAW])),
        ),
    ]);
    let mut against = pipeline(&format!(
        "[[stage]]\ntype = \"exact_dedup\"\nagainst = [\"{}\"]\n",
        index.display()
    ));
    let out = process_batch(&mut against, &second, &BatchOptions::default()).unwrap();
    assert_eq!(col(&out.kept, "id"), vec![Some("c")]);
    assert_eq!(col(&out.removed, "id"), vec![Some("d")]);
    assert_eq!(col(&out.removed, "kept_id"), vec![Some("a")]);
    let shown = index.display().to_string();
    assert_eq!(col(&out.removed, "kept_index"), vec![Some(shown.as_str())]);
    assert_eq!(
        col(&out.removed, "kept_url"),
        vec![Some("https://example.com/a")]
    );
    // A duplicate within the batch names no index.
    let twice = batch(vec![
        (
            "id",
            Arc::new(StringArray::from(vec!["e", "f"])) as ArrayRef,
        ),
        ("text", Arc::new(StringArray::from(vec![RAW, RAW]))),
    ]);
    let mut plain = pipeline("[[stage]]\ntype = \"exact_dedup\"\n");
    let out = process_batch(&mut plain, &twice, &BatchOptions::default()).unwrap();
    assert_eq!(col(&out.removed, "kept_id"), vec![Some("e")]);
    assert_eq!(col(&out.removed, "kept_index"), vec![None]);
    assert_eq!(col(&out.removed, "kept_url"), vec![None]);
}

#[test]
fn bad_input_is_an_input_error_naming_the_problem() {
    let p = pipeline("[[stage]]\ntype = \"normalize\"\n");
    let no_text = batch(vec![(
        "body",
        Arc::new(StringArray::from(vec![RAW])) as ArrayRef,
    )]);
    let e = process_batch_shared(&p, &no_text, &BatchOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "input: no text column \"text\" (columns: body)"
    );
    let bad_meta = batch(vec![
        (
            "text",
            Arc::new(StringArray::from(vec![RAW, RAW])) as ArrayRef,
        ),
        ("metadata", Arc::new(StringArray::from(vec!["{}", "[1]"]))),
    ]);
    let e = process_batch_shared(&p, &bad_meta, &BatchOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "input: row 1: column \"metadata\" must hold a JSON object, found an array"
    );
    let clash = batch(vec![
        ("text", Arc::new(StringArray::from(vec!["x"])) as ArrayRef),
        ("rule", Arc::new(StringArray::from(vec!["mine"]))),
    ]);
    let p = pipeline("[[stage]]\ntype = \"length_filter\"\nmin_words = 5\n");
    let e = process_batch_shared(&p, &clash, &BatchOptions::default()).unwrap_err();
    assert!(e.to_string().contains("\"rule\" clashes"), "{e}");
}

#[test]
fn band_keys_match_for_copies_and_are_null_without_shingles() {
    let cfg = crate::minhash::minhash_config(toml::Table::new()).unwrap();
    let texts = [Some(RAW), Some("only four words here"), Some(RAW), None];
    let keys = crate::minhash::band_keys(&texts, &cfg).unwrap();
    assert_eq!(keys.value_length(), 14);
    assert_eq!(
        (0..4).map(|i| keys.is_null(i)).collect::<Vec<_>>(),
        vec![false, true, false, true]
    );
    assert_eq!(keys.value(0).as_ref(), keys.value(2).as_ref());
    let sigs = crate::minhash::signatures(&texts, &cfg).unwrap();
    assert_eq!(sigs.value_length(), 112);
    let bad = crate::minhash::minhash_config(toml::toml! { num_buckets = 0 });
    assert!(bad.unwrap_err().to_string().contains("at least 1"));
}

#[test]
fn read_file_gives_the_cli_ids_and_positions() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/neardup-sample.jsonl.zst");
    let (b, rejects) = read_file(&path, 3, &Default::default()).unwrap();
    assert!(rejects.is_empty());
    assert_eq!(b.num_rows(), 332);
    let pos = b.column_by_name(POSITION_COLUMN).unwrap();
    let pos = pos.as_primitive::<arrow_array::types::UInt64Type>();
    assert_eq!(pos.value(0), 3 << 40);
    assert_eq!(pos.value(331), (3 << 40) | 331);
}

#[test]
fn exact_hashes_follow_the_stage_normalization() {
    let wrapped = RAW.replace(". ", ".\n");
    let texts = [Some(RAW), Some(wrapped.as_str()), Some("Another text.")];
    let cfg = crate::exact::exact_config(toml::Table::new()).unwrap();
    let h = crate::exact::exact_hashes(&texts, &cfg).unwrap();
    assert_eq!(h.value(0).as_ref(), h.value(1).as_ref());
    assert_ne!(h.value(0).as_ref(), h.value(2).as_ref());
    let strict = crate::exact::exact_config(toml::toml! { normalize = "none" }).unwrap();
    let h = crate::exact::exact_hashes(&texts, &strict).unwrap();
    assert_ne!(h.value(0).as_ref(), h.value(1).as_ref());
}
