//! `[output] format = "tokens"`: Megatron shards read back with the layout reader recover every
//! kept document's ids (the tokenizer's ids of its text, then `<|endoftext|>`) in the shuffled
//! order the `.ids` files name; the bytes do not depend on the thread count or on a
//! `kill -9` and restart; `token_count` fills the token columns of stats.json.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::*;
use gleaner::tokens::{self, megatron};
use serde_json::Value;

const TOKEN_PIPELINE: &str = "[output]\nformat = \"tokens\"\nmax_bytes_per_shard = 300000\n\
    [output.tokens]\nseed = 3\n[run]\nbatch_size = 37\n\
    [[stage]]\ntype = \"token_count\"\n\
    [[stage]]\ntype = \"length_filter\"\nmin_words = 50\n";

/// `files` JSONL files of `per_file` real sample documents each (ids made unique per file).
fn inputs(dir: &Path, files: usize, per_file: usize) -> (PathBuf, HashMap<String, String>) {
    let docs = sample_docs();
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    let mut texts = HashMap::new();
    for f in 0..files {
        let rows: Vec<Value> = docs
            .iter()
            .cycle()
            .skip(f * per_file)
            .take(per_file)
            .map(|d| {
                let mut d = d.clone();
                let id = format!("{}-f{f}", d["id"].as_str().unwrap());
                d["id"] = id.clone().into();
                texts.insert(id, d["text"].as_str().unwrap().to_string());
                d
            })
            .collect();
        std::fs::write(input.join(format!("part-{f:03}.jsonl")), jsonl_bytes(&rows)).unwrap();
    }
    (input, texts)
}

/// Every document of the token shards under `out/kept`, in order: (id, ids).
fn read_back(out: &Path) -> Vec<(String, Vec<u32>)> {
    let kept = out.join("kept");
    let mut idx: Vec<PathBuf> = std::fs::read_dir(&kept)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "idx"))
        .collect();
    idx.sort();
    let mut docs = Vec::new();
    for path in idx {
        let ids = megatron::read_shard(&path).unwrap();
        let names = std::fs::read_to_string(path.with_extension("ids")).unwrap();
        let names: Vec<(String, usize)> = names
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(names.len(), ids.len(), "{}", path.display());
        for ((name, n), ids) in names.into_iter().zip(ids) {
            assert_eq!(n, ids.len());
            docs.push((name, ids));
        }
    }
    docs
}

#[test]
fn token_shards_hold_every_kept_document_shuffled_whatever_the_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, texts) = inputs(tmp.path(), 3, 160);
    let p = pipeline(tmp.path(), TOKEN_PIPELINE);
    let mut snaps = Vec::new();
    for threads in ["1", "2"] {
        let out = tmp.path().join(format!("out-{threads}"));
        run_ok(&p, Some(&input), &out, &["-j", threads]);
        snaps.push(snapshot(&out));
    }
    assert_same(&snaps[0], &snaps[1]);
    let out = tmp.path().join("out-1");
    let docs = read_back(&out);
    let st = stats(&out);
    assert_eq!(
        docs.len() as u64,
        st["output"]["kept_docs"].as_u64().unwrap()
    );
    assert!(
        st["output"]["kept_shards"].as_u64().unwrap() >= 2,
        "sharded by size"
    );

    let cl100k = tokens::load("cl100k_base").unwrap();
    let mut total = 0u64;
    for (id, ids) in &docs {
        let mut want = cl100k.encode(&texts[id]);
        want.push(100_257);
        assert!(ids == &want, "{id}: ids differ from the tokenizer's");
        total += ids.len() as u64;
    }
    assert_eq!(st["output"]["kept_tokens"].as_u64().unwrap(), total);

    // inspect and the report read token shards back: a kept document's text is its ids decoded
    // and its ids are listed; the report's "after" side counts every kept document (before,
    // it read no kept shard and scaled an estimate from zero documents).
    let (id, ids) = &docs[0];
    let inspect = |extra: &[&str]| {
        let mut args = vec!["inspect", out.to_str().unwrap(), "--id", id.as_str()];
        args.extend(extra);
        let o = gleaner().args(&args).output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        o.stdout
    };
    let ins: Value = serde_json::from_slice(&inspect(&["--json"])).unwrap();
    assert_eq!(ins["status"], "kept");
    assert_eq!(inspected_text(&ins), texts[id]);
    assert_eq!(ins["metadata"]["token_ids"], serde_json::json!(ids));
    let shown = String::from_utf8(inspect(&[])).unwrap();
    assert!(
        shown.contains(&format!("{} ids in tokens-", ids.len())),
        "{shown}"
    );
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        !report.contains("Estimated from the first"),
        "the report read every kept document"
    );

    // Shuffled across files: the order is neither input order nor file by file.
    let file_of = |id: &str| id.rsplit("-f").next().unwrap().to_string();
    let firsts: std::collections::BTreeSet<String> =
        docs.iter().take(12).map(|(id, _)| file_of(id)).collect();
    assert!(firsts.len() > 1, "the first documents come from one file");

    // Token accounting: token_count counts every document; length_filter's removals cost the
    // tokens of the documents it removed, and what it kept is what the shards hold.
    let counted = &st["stages"][0];
    let filter = &st["stages"][1];
    let all: u64 = texts.values().map(|t| cl100k.count(t)).sum();
    assert_eq!(counted["tokens_in"].as_u64(), Some(all));
    assert_eq!(counted["tokens_out"].as_u64(), Some(all));
    let removed = filter["tokens_removed_by_rule"]["min_words"]
        .as_u64()
        .unwrap();
    assert!(removed > 0);
    assert_eq!(filter["tokens_in"].as_u64(), Some(all));
    assert_eq!(filter["tokens_out"].as_u64(), Some(all - removed));
    assert_eq!(
        all - removed + docs.len() as u64,
        total,
        "kept tokens plus one eos each"
    );
}

#[test]
fn without_shuffle_the_shards_keep_input_order() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, _) = inputs(tmp.path(), 2, 40);
    let p = pipeline(
        tmp.path(),
        "[output]\nformat = \"tokens\"\n[output.tokens]\nshuffle = false\neos = \"\"\n",
    );
    let out = tmp.path().join("out");
    run_ok(&p, Some(&input), &out, &[]);
    let got: Vec<String> = read_back(&out).into_iter().map(|(id, _)| id).collect();
    let mut want = Vec::new();
    for f in 0..2 {
        for line in std::fs::read_to_string(input.join(format!("part-{f:03}.jsonl")))
            .unwrap()
            .lines()
        {
            let v: Value = serde_json::from_str(line).unwrap();
            want.push(v["id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(got, want);
}

#[test]
fn a_killed_token_run_resumes_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, _) = inputs(tmp.path(), 24, 20);
    let p = pipeline(tmp.path(), TOKEN_PIPELINE);
    let reference = tmp.path().join("reference");
    run_ok(&p, Some(&input), &reference, &["-j", "1"]);

    let out = tmp.path().join("killed");
    let args = run_args(&p, Some(&input), &out, &["-j", "1"]);
    kill_after_two_files(&args, &out);
    resume_ok(&args);
    assert_same(&snapshot(&reference), &snapshot(&out));
}

#[test]
fn an_unknown_eos_token_is_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, _) = inputs(tmp.path(), 1, 5);
    let p = pipeline(
        tmp.path(),
        "[output]\nformat = \"tokens\"\n[output.tokens]\neos = \"</s>\"\n",
    );
    let o = gleaner()
        .args(run_args(&p, Some(&input), &tmp.path().join("out"), &[]))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(stderr(&o).contains("</s>"), "{}", stderr(&o));
}
