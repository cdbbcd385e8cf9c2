//! Same input and pipeline → byte-identical output, whatever the thread count, and after a
//! `kill -9` and a restart.

mod common;

use common::*;

#[test]
fn output_is_byte_identical_for_one_two_and_four_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let input = sample_shards(tmp.path(), 6);
    let p = pipeline(
        tmp.path(),
        &format!("[output]\nmax_docs_per_shard=150\n[run]\nbatch_size=37\n{BASIC}"),
    );
    let mut snaps = Vec::new();
    for threads in ["1", "2", "4"] {
        let out = tmp.path().join(format!("out-{threads}"));
        run_ok(&p, Some(&input), &out, &["-j", threads]);
        snaps.push(snapshot(&out));
    }
    assert!(
        snaps[0].keys().filter(|k| k.starts_with("kept/")).count() >= 6 * 2,
        "several shards per input"
    );
    assert_same(&snaps[0], &snaps[1]);
    assert_same(&snaps[0], &snaps[2]);
}

#[test]
fn a_run_killed_mid_way_resumes_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let input = sample_shards(tmp.path(), 24);
    let p = pipeline(
        tmp.path(),
        &format!("[output]\nmax_docs_per_shard=120\n{BASIC}"),
    );
    let reference = tmp.path().join("reference");
    run_ok(&p, Some(&input), &reference, &["-j", "1"]);

    let out = tmp.path().join("killed");
    let args = run_args(&p, Some(&input), &out, &["-j", "1"]);
    kill_after_two_files(&args, &out);
    assert!(
        out.join(".work").exists(),
        "the killed run left its work state"
    );
    resume_ok(&args);
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    let resumed = info["resumed_files"].as_u64().unwrap();
    assert!((2..24).contains(&resumed), "resumed {resumed} of 24 files");
    assert_same(&snapshot(&reference), &snapshot(&out));
}

/// JSONL output takes each document from raw line to encoded output in one task; Parquet output
/// goes phase by phase over a batch. Both must account for every document, line and reject the
/// same way, and keep and remove the same documents.
#[test]
fn jsonl_and_parquet_output_routes_agree_on_every_count_and_document() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = sample_docs();
    let mut input = jsonl_bytes(&docs[..200]);
    input.extend_from_slice(b"{\"id\": \"broken\", \"text\": \n");
    input.extend_from_slice(&jsonl_bytes(&docs[200..]));
    std::fs::write(tmp.path().join("in.jsonl"), input).unwrap();
    let stages = "[[stage]]\ntype=\"normalize\"\n[[stage]]\ntype=\"line_clean\"\n\
                  [[stage]]\ntype=\"length_filter\"\nmin_words=120\n";
    let mut outs = Vec::new();
    // The third run writes no removed shards, which must not change what is counted.
    for (format, write_removed) in [("jsonl", true), ("parquet", true), ("jsonl", false)] {
        let p = pipeline(
            tmp.path(),
            &format!(
                "[input]\npaths=[\"in.jsonl\"]\n[output]\nformat=\"{format}\"\nwrite_removed={write_removed}\n[run]\nbatch_size=53\n{stages}"
            ),
        );
        let out = tmp.path().join(format!("out-{format}-{write_removed}"));
        run_ok(&p, None, &out, &["-j", "2"]);
        outs.push(out);
    }
    let (a, b) = (stats(&outs[0]), stats(&outs[1]));
    assert_eq!(a, b, "stats.json");
    assert_eq!(a, stats(&outs[2]), "stats.json without removed shards");
    assert!(!outs[2].join("removed").exists());
    assert_eq!(a["input"]["rejects"], 1);
    assert!(a["output"]["removed_docs"].as_u64().unwrap() > 20);
    let line_edits: u64 = a["stages"][1]["lines_removed_by_rule"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert!(line_edits > 0, "line_clean removed lines: {a}");
    assert_eq!(
        std::fs::read(outs[0].join("rejects.jsonl")).unwrap(),
        std::fs::read(outs[1].join("rejects.jsonl")).unwrap()
    );
    // The Parquet shards read back (as input) to the same kept and removed documents.
    for part in ["kept", "removed"] {
        let back = tmp.path().join(format!("back-{part}"));
        let p2 = pipeline(tmp.path(), "[[stage]]\ntype=\"length_filter\"\n");
        run_ok(&p2, Some(&outs[1].join(part)), &back, &[]);
        let from_parquet = read_shards(&back.join("kept"));
        let from_jsonl = read_shards(&outs[0].join(part));
        assert_eq!(from_parquet.len(), from_jsonl.len(), "{part}");
        for (x, y) in from_parquet.iter().zip(&from_jsonl) {
            assert_eq!(x["id"], y["id"]);
            assert_eq!(x["text"], y["text"]);
        }
    }
}
