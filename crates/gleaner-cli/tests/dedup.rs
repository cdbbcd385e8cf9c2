//! The shipped dedup pipelines (examples/dedup/*.toml) run end to end on the bundled real sample
//! (400 news articles + the user's raw document): every removed duplicate names a kept document,
//! kept documents list their copies, and the syndication map is published in the output.

mod common;

use std::collections::{HashMap, HashSet};

use common::*;
use serde_json::Value;

fn run_example(
    name: &str,
) -> (
    Vec<Value>,
    Vec<Value>,
    std::path::PathBuf,
    tempfile::TempDir,
) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let file = repo_root().join(format!("examples/dedup/{name}.toml"));
    let o = run(&[
        "run",
        file.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--memory",
        "64MiB",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    (
        read_shards(&out.join("kept")),
        read_shards(&out.join("removed")),
        out,
        tmp,
    )
}

#[test]
fn every_dedup_example_explains_its_removals_with_a_kept_document() {
    let sample = sample_docs();
    // Copies in the sample, counted independently: same whitespace-normalized text.
    let mut seen = HashSet::new();
    let exact_copies = sample
        .iter()
        .filter(|d| {
            let t: Vec<&str> = d["text"].as_str().unwrap().split_whitespace().collect();
            !seen.insert(t.join(" "))
        })
        .count();
    assert!(exact_copies > 0);
    for name in ["exact", "lines", "minhash", "syndication"] {
        let (kept, removed, out, _tmp) = run_example(name);
        assert_eq!(
            kept.len() + removed.len(),
            sample.len(),
            "{name}: no document lost"
        );
        let kept_ids: HashMap<&str, &Value> = kept
            .iter()
            .map(|d| (d["id"].as_str().unwrap(), d))
            .collect();
        let mut dups = 0;
        for d in &removed {
            let r = &d["removal"];
            if let Some(k) = r.get("kept_id").and_then(Value::as_str) {
                dups += 1;
                let kd = kept_ids
                    .get(k)
                    .unwrap_or_else(|| panic!("{name}: kept {k} not in output"));
                let prefix = if r["stage"] == "exact_dedup" {
                    "exact_dup"
                } else {
                    "minhash"
                };
                let listed = kd["metadata"][format!("{prefix}_duplicates").as_str()].to_string();
                assert!(
                    listed.contains(d["id"].as_str().unwrap()),
                    "{name}: {k} does not list {} in {listed}",
                    d["id"]
                );
            }
        }
        if name != "lines" {
            // lines.toml runs minhash first, which also catches exact copies.
            assert!(
                dups >= exact_copies,
                "{name}: {dups} duplicates removed, {exact_copies} exact copies"
            );
            let map = std::fs::read_to_string(out.join("syndication.jsonl")).unwrap();
            let listed: usize = map
                .lines()
                .map(|l| {
                    serde_json::from_str::<Value>(l).unwrap()["duplicates"]
                        .as_array()
                        .unwrap()
                        .len()
                })
                .sum();
            assert_eq!(
                listed, dups,
                "{name}: syndication map lists every removed copy"
            );
        }
    }
}

#[test]
fn a_dedup_stage_first_in_the_pipeline_still_sees_the_corpus() {
    let tmp = tempfile::tempdir().unwrap();
    let file = pipeline(tmp.path(), "[[stage]]\ntype = \"exact_dedup\"\n");
    let out = tmp.path().join("out");
    let input = repo_root().join("examples/data/news-sample.jsonl.zst");
    let o = run(&[
        "run",
        file.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let removed = read_shards(&out.join("removed"));
    assert!(!removed.is_empty());
    assert!(
        removed
            .iter()
            .all(|d| d["removal"]["rule"] == "exact_duplicate")
    );
}

/// A dedup run killed with SIGKILL — once while MinHash scans its input, once while the final
/// pass writes the output after clustering — and restarted with the same command ends with the
/// same bytes as an uninterrupted run, having reused the finished work.
#[test]
fn a_killed_dedup_run_resumes_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    // 12 shards of the same 401 texts: every document after the first shard is a duplicate of a
    // document in shard 0, so clusters span files and a resumed scan must rebuild them exactly.
    let input = sample_shards(tmp.path(), 12);
    let p = pipeline(
        tmp.path(),
        "[output]\nmax_docs_per_shard=200\n[[stage]]\ntype = \"normalize\"\n\n\
         [[stage]]\ntype = \"minhash_dedup\"\n",
    );
    let reference = tmp.path().join("reference");
    run_ok(&p, Some(&input), &reference, &["-j", "1"]);
    // Every copy outside shard 0 is removed, except texts too short for one 5-word shingle
    // (empty or "- -" in the sample), which MinHash never deduplicates.
    let kept = read_shards(&reference.join("kept"));
    for d in &kept {
        let id = d["id"].as_str().unwrap();
        assert!(
            id.ends_with("-s0") || d["text"].as_str().unwrap().split_whitespace().count() < 5,
            "copy {id} kept"
        );
    }
    assert!(kept.len() < 401 + 11 * 10, "kept {}", kept.len());

    // The stage directory is named after its index and type (executor.rs).
    let stage_dir = ".work/stage-1-minhash_dedup";
    for (name, dir, prefix) in [
        ("scan", stage_dir, "scan-f"),
        ("final pass", ".work/pass-1", "done-"),
    ] {
        let out = tmp
            .path()
            .join(format!("killed-{}", name.replace(' ', "-")));
        let args = run_args(&p, Some(&input), &out, &["-j", "1"]);
        kill_when_files(&args, &out.join(dir), prefix, 2);
        assert!(
            !out.join("stats.json").exists(),
            "{name}: the killed run did not finish"
        );
        let o = gleaner().args(&args).output().unwrap();
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let info: Value =
            serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
        let resumed = info["resumed_files"].as_u64().unwrap();
        assert!(resumed >= 2, "{name}: only {resumed} files reused");
        assert_same(&snapshot(&reference), &snapshot(&out));
    }
}

/// A cluster bigger than a line of the syndication map (2,500 copies of a 404 page among the
/// sample's articles), through `gleaner run` at a small budget: the map is complete over several
/// lines, the report shows the cluster with its count, and `gleaner inspect` finds the cluster of
/// a copy listed on the last line.
#[test]
fn a_cluster_longer_than_a_map_line_is_published_reported_and_inspected() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    let page = "Not Found\n\nThe requested URL was not found on this server.";
    let mut lines: Vec<String> = sample_docs().iter().map(|d| d.to_string()).collect();
    for i in 0..2_500 {
        let doc = serde_json::json!({"id": format!("err-{i}"), "text": page,
            "url": format!("https://site{}.example/missing/{i}", i % 13)});
        lines.insert((i * 7) % lines.len(), doc.to_string());
    }
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let config = tmp.path().join("exact.toml");
    std::fs::write(&config, "[[stage]]\ntype = \"exact_dedup\"\n").unwrap();
    let out = tmp.path().join("out");
    let o = run(&[
        "run",
        config.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--memory",
        "1MiB",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    let map = std::fs::read_to_string(out.join("syndication.jsonl")).unwrap();
    let lines: Vec<Value> = map
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &Value| v["size"] == 2_500)
        .collect();
    assert_eq!(lines.len(), 3, "1,000 members per line");
    let kept = lines[0]["kept"]["id"].as_str().unwrap().to_string();
    let mut members: Vec<String> = vec![kept.clone()];
    for (k, line) in lines.iter().enumerate() {
        assert_eq!(line["chunk"].as_u64().unwrap_or(0), k as u64);
        members.extend(
            line["duplicates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_string()),
        );
    }
    let unique: HashSet<&String> = members.iter().collect();
    assert_eq!((members.len(), unique.len()), (2_500, 2_500));

    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("2,500") || report.contains("2500"),
        "cluster size shown"
    );
    let last = members.last().unwrap();
    let o = run(&["inspect", out.to_str().unwrap(), "--id", last]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("2500 documents") && text.contains(&format!("kept {kept}")),
        "{text}"
    );
    assert!(text.contains("and 2300 more"), "{text}");
}
