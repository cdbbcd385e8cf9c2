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

/// Copies the files of directory `from` into a fresh directory `to` (an index is flat).
fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

/// `gleaner index info --json DIR`.
fn index_info(dir: &Path) -> Value {
    let o = run(&["index", "info", "--json", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The ids a run removed, each with the id named as kept in its place.
fn removed_pairs(out: &Path) -> Vec<(String, String)> {
    let mut pairs: Vec<_> = read_shards(&out.join("removed"))
        .iter()
        .map(|d| {
            let kept = d["removal"]["kept_id"].as_str().unwrap_or_default();
            (d["id"].as_str().unwrap().to_string(), kept.to_string())
        })
        .collect();
    pairs.sort();
    pairs
}

/// A run growing its index in place (`against` and `save_index` on one path), SIGKILLed while
/// the new version is being built beside the old one, leaves the old index in place: `gleaner
/// index info` prints the same manifest and a later run against it gives the same answers. The
/// same command then resumes the killed run, which completes the grown index: the same files and
/// the same output as a run that was never killed.
#[test]
fn a_run_killed_while_growing_its_index_leaves_the_old_one_and_resumes_to_the_grown_one() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // A: the sample's first 200 articles. B: eight copies of the whole sample (its first half
    // copies A, the second half is new and repeated within B). C: a copy of one article of
    // each half, so its answer tells the old index from the grown one.
    let sample = sample_docs();
    let relabel = |d: &Value, suffix: &str| {
        let mut d = d.clone();
        d["id"] = format!("{}-{suffix}", d["id"].as_str().unwrap()).into();
        d
    };
    let a: Vec<Value> = sample[..200].iter().map(|d| relabel(d, "a")).collect();
    write_jsonl(&t.join("a.jsonl"), &a);
    let b = write_sample_shards(&t.join("b"), 8, true);
    let c: Vec<Value> = [&sample[150], &sample[350]]
        .iter()
        .map(|d| relabel(d, "c"))
        .collect();
    write_jsonl(&t.join("c.jsonl"), &c);
    let index = t.join("index");
    let grow = pipeline(
        t,
        &format!(
            "[[stage]]\ntype = \"exact_dedup\"\nagainst = [\"{0}\"]\nsave_index = \"{0}\"\n",
            index.display()
        ),
    );
    let use_only = t.join("use-only.toml");
    std::fs::write(
        &use_only,
        format!(
            "[[stage]]\ntype = \"exact_dedup\"\nagainst = [\"{}\"]\n",
            index.display()
        ),
    )
    .unwrap();
    run_ok(&grow, Some(&t.join("a.jsonl")), &t.join("out-a"), &[]);
    let old_info = index_info(&index);
    assert_eq!(old_info["sources"].as_array().unwrap().len(), 1);
    run_ok(&use_only, Some(&t.join("c.jsonl")), &t.join("c-old"), &[]);
    let old_answer = removed_pairs(&t.join("c-old"));
    // Only the copy of A's article is removed against the old index.
    assert_eq!(
        old_answer,
        vec![(
            c[0]["id"].as_str().unwrap().into(),
            a[150]["id"].as_str().unwrap().into()
        )]
    );

    // The grown index and the output of a run that is not killed, for comparison.
    let old_copy = t.join("index-old");
    copy_dir(&index, &old_copy);
    run_ok(&grow, Some(&b), &t.join("out-ref"), &["-j", "1"]);
    let grown = snapshot(&index);
    copy_dir(&old_copy, &index);

    // Killed once the new version's directory appears (it is swapped in only after the stage's
    // clustering is on disk, which takes far longer than the poll). Should the run still win the
    // race on a loaded machine, the old index is restored and the kill tried again.
    let out = t.join("out-killed");
    let args = run_args(&grow, Some(&b), &out, &["-j", "1"]);
    let mut killed = false;
    for _ in 0..5 {
        let _ = std::fs::remove_dir_all(&out);
        copy_dir(&old_copy, &index);
        let mut child = gleaner().args(&args).spawn().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while count_files(t, "index.gleaner-new") == 0
            && child.try_wait().unwrap().is_none()
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        if t.join("index.gleaner-new").exists() && !out.join("stats.json").exists() {
            killed = true;
            break;
        }
    }
    assert!(killed, "the run never was killed while growing its index");
    assert_eq!(index_info(&index), old_info, "the old index changed");
    run_ok(
        &use_only,
        Some(&t.join("c.jsonl")),
        &t.join("c-after-kill"),
        &[],
    );
    assert_eq!(removed_pairs(&t.join("c-after-kill")), old_answer);

    // Resumed: the grown index and output, as without the kill.
    let o = gleaner().args(&args).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_same(&grown, &snapshot(&index));
    assert!(!t.join("index.gleaner-new").exists());
    assert_same(&snapshot(&t.join("out-ref")), &snapshot(&out));
    let info = index_info(&index);
    assert_eq!(info["sources"].as_array().unwrap().len(), 2);
    assert_eq!(info["documents"], 200 + 8 * sample.len());
    run_ok(&use_only, Some(&t.join("c.jsonl")), &t.join("c-grown"), &[]);
    let grown_answer = removed_pairs(&t.join("c-grown"));
    assert_eq!(grown_answer.len(), 2, "{grown_answer:?}");
    assert_eq!(grown_answer[0], old_answer[0]);
    // The new article's copy names its first copy in B (shard 0).
    assert_eq!(
        grown_answer[1].1,
        format!("{}-s0", sample[350]["id"].as_str().unwrap())
    );
}
