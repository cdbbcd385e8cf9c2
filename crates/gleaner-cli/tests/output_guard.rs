//! A run guards its output directory: one run at a time writes into it, a lock left by a killed
//! run is taken over, and a resume never keeps work done on input that has changed since.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;

use gleaner::executor::layout::LOCK_FILE;

/// `shards` plain JSONL files of the real sample under `dir/in` (plain, so a test can edit one in
/// place keeping its size).
fn plain_shards(dir: &Path, shards: usize) -> PathBuf {
    write_sample_shards(dir, shards, false)
}

#[test]
fn a_run_fails_at_once_naming_the_pid_that_holds_the_output_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let input = plain_shards(tmp.path(), 1);
    let p = pipeline(tmp.path(), BASIC);
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // This test process holds the lock, as a running gleaner would.
    let lock = File::create(out.join(LOCK_FILE)).unwrap();
    lock.try_lock().unwrap();
    std::fs::write(out.join(LOCK_FILE), "4242").unwrap();
    let o = gleaner()
        .args(run_args(&p, Some(&input), &out, &[]))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("pid 4242"), "{}", stderr(&o));
    assert!(!out.join("kept").exists(), "the refused run wrote output");
    // Released (a holder that died), the lock is taken over and removed at the end.
    drop(lock);
    run_ok(&p, Some(&input), &out, &[]);
    assert!(!out.join(LOCK_FILE).exists());
}

#[test]
fn of_two_runs_into_one_directory_the_second_fails_and_the_first_completes_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let input = sample_shards(tmp.path(), 12);
    let p = pipeline(
        tmp.path(),
        &format!("[output]\nmax_docs_per_shard=120\n{BASIC}"),
    );
    let out = tmp.path().join("out");
    let args = run_args(&p, Some(&input), &out, &["-j", "1"]);
    let mut first = gleaner().args(&args).spawn().unwrap();
    let pid = first.id().to_string();
    // Until the first run has taken the lock and written its pid.
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::fs::read_to_string(out.join(LOCK_FILE)).unwrap_or_default() != pid {
        assert!(
            Instant::now() < deadline,
            "the first run never took the lock"
        );
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first run ended early"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let second = gleaner().args(&args).output().unwrap();
    let still_running = first.try_wait().unwrap().is_none();
    assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
    assert!(
        stderr(&second).contains(&format!("pid {pid}")),
        "{}",
        stderr(&second)
    );
    assert!(
        still_running,
        "the first run ended before the second was refused"
    );
    assert!(first.wait().unwrap().success());
    let s = stats(&out);
    let kept = read_shards(&out.join("kept"));
    assert_eq!(
        s["output"]["kept_docs"].as_u64().unwrap(),
        kept.len() as u64
    );
    let removed = read_shards(&out.join("removed"));
    assert_eq!(
        s["input"]["docs"].as_u64().unwrap(),
        (kept.len() + removed.len()) as u64
    );
    assert_eq!(s["input"]["docs"].as_u64().unwrap(), 12 * 401);
}

/// Replaces " the " by " The " in `path` (same size) and sets its modification time back.
fn edit_keeping_size_and_mtime(path: &Path) {
    let before = std::fs::metadata(path).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let edited = text.replace(" the ", " The ");
    assert_ne!(text, edited);
    assert_eq!(text.len(), edited.len());
    std::fs::write(path, edited).unwrap();
    let f = File::options().write(true).open(path).unwrap();
    f.set_modified(before.modified().unwrap()).unwrap();
    drop(f);
    let after = std::fs::metadata(path).unwrap();
    assert_eq!(after.len(), before.len());
    assert_eq!(after.modified().unwrap(), before.modified().unwrap());
}

fn done_files(out: &Path) -> Vec<usize> {
    let mut done: Vec<usize> = std::fs::read_dir(out.join(".work/pass-0"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_prefix("done-")?
                .strip_suffix(".json")?
                .parse()
                .ok()
        })
        .collect();
    done.sort();
    done
}

/// Kills a run once two files are done, edits one of those (same size, same mtime), resumes,
/// and compares with a fresh run of the edited input.
fn an_input_edited_after_a_kill_is_redone(body: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let input = plain_shards(tmp.path(), 8);
    let p = pipeline(tmp.path(), body);
    let out = tmp.path().join("killed");
    let args = run_args(&p, Some(&input), &out, &["-j", "1"]);
    kill_after_two_files(&args, &out);
    let done = done_files(&out);
    let edited = input.join(format!("shard-{:03}.jsonl", done[0]));
    edit_keeping_size_and_mtime(&edited);

    let o = resume_ok(&args);
    assert!(
        stderr(&o).contains(&format!(
            "{} changed since the interrupted run",
            edited.display()
        )),
        "{}",
        stderr(&o)
    );
    let reference = tmp.path().join("reference");
    run_ok(&p, Some(&input), &reference, &["-j", "1"]);
    assert_same(&snapshot(&reference), &snapshot(&out));
}

#[test]
fn an_input_edited_after_a_kill_keeping_size_and_mtime_is_redone() {
    an_input_edited_after_a_kill_is_redone(&format!("[output]\nmax_docs_per_shard=120\n{BASIC}"));
}

#[test]
fn an_input_edited_after_a_kill_is_redone_with_corpus_stages() {
    an_input_edited_after_a_kill_is_redone(&format!(
        "{BASIC}\n[[stage]]\ntype = \"exact_dedup\"\n"
    ));
}
