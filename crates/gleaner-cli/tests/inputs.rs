//! Input expansion end to end: every input file is read once however often it is named or
//! reached, symlink loops end, and a run never reads gleaner output directories back as input.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

/// Three short documents that a pipeline without stages keeps.
fn three_docs(dir: &Path) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("a.jsonl");
    std::fs::write(
        &path,
        "{\"id\":\"1\",\"text\":\"one\"}\n{\"id\":\"2\",\"text\":\"two\"}\n{\"id\":\"3\",\"text\":\"three\"}\n",
    )
    .unwrap();
    path
}

/// Runs `args`, failing the test (and killing the run) if it has not ended within a minute: a
/// run that loops forever must not hang the suite.
fn run_bounded(args: &[String]) -> std::process::Output {
    let mut child = gleaner()
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("the run did not end: gleaner run {}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn symlink_dir(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

#[cfg(unix)]
#[test]
fn a_directory_symlink_loop_reads_each_file_once() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    three_docs(&input);
    symlink_dir(Path::new("."), &input.join("loop"));
    let p = pipeline(tmp.path(), "");
    let out = tmp.path().join("out");
    let o = run_bounded(&run_args(&p, Some(&input), &out, &[]));
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stats(&out);
    assert_eq!(s["input"]["files"], 1);
    assert_eq!(s["input"]["docs"], 3);
    assert_eq!(read_shards(&out.join("kept")).len(), 3);
}

#[cfg(unix)]
#[test]
fn two_directory_symlink_loops_end_and_read_each_file_once() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    three_docs(&input);
    let sub = input.join("sub");
    three_docs(&sub);
    symlink_dir(Path::new(".."), &sub.join("up"));
    symlink_dir(Path::new("sub"), &input.join("again"));
    symlink_dir(&input, &sub.join("root"));
    let p = pipeline(tmp.path(), "");
    let out = tmp.path().join("out");
    let o = run_bounded(&run_args(&p, Some(&input), &out, &[]));
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stats(&out);
    assert_eq!(s["input"]["files"], 2);
    assert_eq!(s["input"]["docs"], 6);
    // Each file under its real path, not through a link.
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    let paths: Vec<&str> = info["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            input.join("a.jsonl").display().to_string(),
            sub.join("a.jsonl").display().to_string()
        ]
    );
}

#[cfg(unix)]
#[test]
fn one_file_named_under_two_spellings_is_read_once() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    let file = three_docs(&input);
    let other_spelling = tmp.path().join("in/../in/a.jsonl");
    let link = tmp.path().join("link.jsonl");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    let p = pipeline(tmp.path(), "");
    let out = tmp.path().join("out");
    let mut args = run_args(&p, Some(&file), &out, &[]);
    args.extend([
        "-i".into(),
        other_spelling.display().to_string(),
        "-i".into(),
        link.display().to_string(),
    ]);
    let o = run_bounded(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stats(&out);
    assert_eq!(s["input"]["files"], 1);
    assert_eq!(s["input"]["docs"], 3);
}

#[test]
fn an_output_directory_inside_the_input_directory_is_never_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    three_docs(&input);
    let p = pipeline(tmp.path(), "");
    let out = input.join("out");
    for round in 0..3 {
        let o = run_ok(&p, Some(&input), &out, &["--overwrite"]);
        let s = stats(&out);
        assert_eq!(s["input"]["files"], 1, "round {round}");
        assert_eq!(s["input"]["docs"], 3, "round {round}");
        assert_eq!(s["input"]["rejects"], 0, "round {round}");
        assert_eq!(read_shards(&out.join("kept")).len(), 3, "round {round}");
        if round > 0 {
            let err = stderr(&o);
            assert!(
                err.contains("gleaner: note: not read as input") && err.contains("out"),
                "round {round}: {err}"
            );
        }
    }
}

#[test]
fn another_runs_output_directory_under_the_input_is_skipped_with_a_notice() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    three_docs(&input);
    let p = pipeline(tmp.path(), "");
    let first = input.join("first");
    run_ok(&p, Some(&input), &first, &[]);
    // A pattern that reaches into it is kept out too.
    let pattern = input.join("**").join("*.jsonl");
    for given in [input.clone(), pattern] {
        let second = tmp.path().join("second");
        let o = run_ok(&p, Some(&given), &second, &["--overwrite"]);
        let s = stats(&second);
        assert_eq!(s["input"]["docs"], 3, "{}: {}", given.display(), stderr(&o));
        assert!(
            stderr(&o).contains(&format!("not read as input: {}", first.display())),
            "{}",
            stderr(&o)
        );
    }
    // Its kept documents are read when asked for by name.
    let third = tmp.path().join("third");
    run_ok(&p, Some(&first.join("kept")), &third, &[]);
    assert_eq!(stats(&third)["input"]["docs"], 3);
}

#[test]
fn json_files_in_an_input_directory_are_not_read_as_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    three_docs(&input);
    std::fs::write(input.join("meta.json"), "{\"license\":\"cc-by\"}\n").unwrap();
    let p = pipeline(tmp.path(), "");
    let out = tmp.path().join("out");
    let o = run_ok(&p, Some(&input), &out, &[]);
    let s = stats(&out);
    assert_eq!(s["input"]["files"], 1);
    assert_eq!(s["input"]["rejects"], 0);
    assert!(stderr(&o).contains("1 .json file(s)"), "{}", stderr(&o));
    // Named, a .json file is read as JSON lines, as before.
    let named = tmp.path().join("named");
    let o = Command::new(env!("CARGO_BIN_EXE_gleaner"))
        .args(run_args(&p, Some(&input.join("meta.json")), &named, &[]))
        .output()
        .unwrap();
    assert_eq!(stats(&named)["input"]["files"], 1, "{}", stderr(&o));
}
