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
    kill_when_files(&args, &out.join(".work/pass-0"), "done-", 2);
    assert!(
        out.join(".work").exists(),
        "the killed run left its work state"
    );
    assert!(
        !out.join("stats.json").exists(),
        "the killed run did not finish"
    );

    let o = gleaner().args(&args).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    let resumed = info["resumed_files"].as_u64().unwrap();
    assert!((2..24).contains(&resumed), "resumed {resumed} of 24 files");
    assert_same(&snapshot(&reference), &snapshot(&out));
}
