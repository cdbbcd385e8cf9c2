//! Dedup indexes end to end through the CLI, on the bundled real sample split in two batches
//! with copies of the first batch's articles in the second: `save_index` and `against` on the
//! same path (examples/dedup/incremental.toml), `gleaner index info`, the removal reason naming
//! the index and the earlier document in removed/, `gleaner inspect` and report.html, and
//! `gleaner index merge` with its refusal of indexes made with other parameters.

mod common;

use std::path::Path;

use common::*;
use serde_json::{Value, json};

fn write_jsonl(path: &Path, docs: &[Value]) {
    std::fs::write(path, jsonl_bytes(docs)).unwrap();
}

/// The sample's first 200 articles, and the other 200 with exact and re-headed copies of ten of
/// the first batch's articles (each with its own id and URL).
fn batches(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, Vec<Value>) {
    let sample: Vec<Value> = sample_docs()
        .into_iter()
        .filter(|d| d["text"].as_str().unwrap().split_whitespace().count() > 150)
        .collect();
    let (first, rest) = sample.split_at(sample.len() / 2);
    let mut second = rest.to_vec();
    let mut copies = Vec::new();
    for (i, d) in first.iter().take(10).enumerate() {
        let text = d["text"].as_str().unwrap();
        let text = if i % 2 == 0 {
            text.to_string()
        } else {
            format!("Syndicated | Other Site\n{text}\nShare this article")
        };
        let copy = json!({"id": format!("copy-{i}"), "text": text,
            "metadata": {"url": format!("https://other.example/copy-{i}")}});
        copies.push((d.clone(), copy.clone()));
        second.insert(i * 7, copy);
    }
    let (a, b) = (dir.join("batch-1.jsonl"), dir.join("batch-2.jsonl"));
    write_jsonl(&a, first);
    write_jsonl(&b, &second);
    (a, b, copies.into_iter().map(|(orig, _)| orig).collect())
}

#[test]
fn a_second_batch_is_deduplicated_against_the_first_through_a_grown_index() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (a, b, originals) = batches(t);
    let example = std::fs::read_to_string(repo_root().join("examples/dedup/incremental.toml"))
        .unwrap()
        .replace("../../out/dedup-index", "index");
    let p = pipeline(t, &example);
    run_ok(&p, Some(&a), &t.join("out-1"), &[]);
    let info = run(&["index", "info", t.join("index/minhash").to_str().unwrap()]);
    assert!(info.status.success(), "{}", stderr(&info));
    let info = String::from_utf8(info.stdout).unwrap();
    assert!(info.contains("stage     minhash_dedup"), "{info}");
    let kept_1 = read_shards(&t.join("out-1/kept")).len();
    assert!(info.contains(&format!("documents {kept_1}")), "{info}");

    run_ok(&p, Some(&b), &t.join("out-2"), &[]);
    let removed = read_shards(&t.join("out-2/removed"));
    for (i, orig) in originals.iter().enumerate() {
        let r = removed
            .iter()
            .find(|d| d["id"] == format!("copy-{i}"))
            .unwrap_or_else(|| panic!("copy-{i} kept"));
        let reason = &r["removal"];
        assert_eq!(reason["kept_id"], orig["id"], "{reason}");
        let stage = if i % 2 == 0 { "exact" } else { "minhash" };
        assert_eq!(reason["stage"], format!("{stage}_dedup"), "{reason}");
        assert_eq!(
            reason["against"]["index"],
            t.join(format!("index/{stage}")).display().to_string()
        );
    }
    // Nothing of the second batch's own articles is removed: they have no copy anywhere.
    assert_eq!(removed.len(), originals.len());
    let info = run(&[
        "index",
        "info",
        "--json",
        t.join("index/exact").to_str().unwrap(),
    ]);
    let m: Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(m["sources"].as_array().unwrap().len(), 2);

    let o = run(&[
        "inspect",
        t.join("out-2").to_str().unwrap(),
        "--id",
        "copy-1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "duplicate of {}",
            originals[1]["id"].as_str().unwrap()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "held by the dedup index {}",
            t.join("index/minhash").display()
        )),
        "{text}"
    );
    let html = std::fs::read_to_string(t.join("out-2/report.html")).unwrap();
    assert!(html.contains(&format!(
        "a copy of {}",
        originals[1]["id"].as_str().unwrap()
    )));

    // Merging the exact index with the MinHash one is refused, naming why.
    let o = run(&[
        "index",
        "merge",
        t.join("index/exact").to_str().unwrap(),
        t.join("index/minhash").to_str().unwrap(),
        "-o",
        t.join("merged").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("written by minhash_dedup, cannot be used by exact_dedup"),
        "{}",
        stderr(&o)
    );
    assert!(!t.join("merged").exists());
}

#[test]
fn indexes_made_apart_merge_into_the_index_of_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (a, b, _) = batches(t);
    let body = "[[stage]]\ntype = \"exact_dedup\"\nsave_index = \"IDX\"\n";
    let save = |input: &Path, name: &str| {
        let dir = t.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let p = pipeline(&dir, &body.replace("IDX", "index"));
        run_ok(&p, Some(input), &dir.join("out"), &[]);
        dir.join("index")
    };
    let (ia, ib) = (save(&a, "a"), save(&b, "b"));
    std::fs::write(
        t.join("ab.jsonl"),
        [std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap()].concat(),
    )
    .unwrap();
    let iab = save(&t.join("ab.jsonl"), "ab");
    let merged = t.join("merged");
    let o = run(&[
        "index",
        "merge",
        ia.to_str().unwrap(),
        ib.to_str().unwrap(),
        "-o",
        merged.to_str().unwrap(),
        "--memory",
        "64MiB",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Same keys, entries and documents as the index of one run over both batches.
    for f in [
        "keys-p000.bin",
        "keys-p007.bin",
        "keys-p015.bin",
        "entries.bin",
    ] {
        assert_eq!(
            std::fs::read(merged.join(f)).unwrap(),
            std::fs::read(iab.join(f)).unwrap(),
            "{f}"
        );
    }
}
