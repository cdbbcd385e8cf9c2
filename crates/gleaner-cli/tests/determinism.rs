//! Same input and pipeline → byte-identical output, whatever the thread count, and after a
//! `kill -9` and a restart.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;

/// Many shards of real text (the sample, re-labelled per shard), so a run has many units of work.
fn build_corpus(dir: &Path, shards: usize) -> PathBuf {
    let docs = sample_docs();
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    for s in 0..shards {
        let relabelled: Vec<_> = docs
            .iter()
            .map(|d| {
                let mut d = d.clone();
                d["id"] = format!("{}-s{s}", d["id"].as_str().unwrap()).into();
                d
            })
            .collect();
        std::fs::write(
            input.join(format!("shard-{s:03}.jsonl.zst")),
            zstd_bytes(&jsonl_bytes(&relabelled)),
        )
        .unwrap();
    }
    input
}

#[test]
fn output_is_byte_identical_for_one_two_and_four_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let input = build_corpus(tmp.path(), 6);
    let p = pipeline(
        tmp.path(),
        &format!("[output]\nmax_docs_per_shard=150\n[run]\nbatch_size=37\n{BASIC}"),
    );
    let mut snaps = Vec::new();
    for threads in ["1", "2", "4"] {
        let out = tmp.path().join(format!("out-{threads}"));
        let o = run(&[
            "run",
            p.to_str().unwrap(),
            "-i",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "-j",
            threads,
            "-q",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
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
    let input = build_corpus(tmp.path(), 24);
    let p = pipeline(
        tmp.path(),
        &format!("[output]\nmax_docs_per_shard=120\n{BASIC}"),
    );
    let reference = tmp.path().join("reference");
    let o = run(&[
        "run",
        p.to_str().unwrap(),
        "-i",
        input.to_str().unwrap(),
        "-o",
        reference.to_str().unwrap(),
        "-j",
        "1",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    let out = tmp.path().join("killed");
    let args = [
        "run",
        p.to_str().unwrap(),
        "-i",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "-j",
        "1",
        "-q",
    ];
    let mut child = gleaner().args(args).spawn().unwrap();
    let markers = out.join(".work/pass-0");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let done = std::fs::read_dir(&markers)
            .map(|d| {
                d.filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .starts_with("done-")
                })
                .count()
            })
            .unwrap_or(0);
        if done >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "the run made no progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run finished before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // SIGKILL: no chance to clean up, exactly like `kill -9`.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        out.join(".work").exists(),
        "the killed run left its work state"
    );
    assert!(
        !out.join("stats.json").exists(),
        "the killed run did not finish"
    );

    let o = gleaner().args(args).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    let resumed = info["resumed_files"].as_u64().unwrap();
    assert!((2..24).contains(&resumed), "resumed {resumed} of 24 files");
    assert_same(&snapshot(&reference), &snapshot(&out));
}
