//! Helpers shared by the integration tests: the real binary, the bundled real sample, and
//! byte-level snapshots of output directories.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The `gleaner` binary under test.
pub fn gleaner() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gleaner"))
}

/// Runs the binary with `args`, returning its output.
pub fn run(args: &[&str]) -> Output {
    gleaner()
        .args(args)
        .output()
        .expect("the gleaner binary runs")
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The 401 real documents bundled in examples/data (400 news articles + the user's document).
pub fn sample_docs() -> Vec<Value> {
    read_jsonl(&repo_root().join("examples/data/news-sample.jsonl.zst"))
}

/// Reads a JSONL file, plain, .gz or .zst.
pub fn read_jsonl(path: &Path) -> Vec<Value> {
    let raw = std::fs::read(path).unwrap();
    let mut text = String::new();
    if raw.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        zstd::stream::read::Decoder::new(&raw[..])
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
    } else if raw.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_string(&mut text)
            .unwrap();
    } else {
        text = String::from_utf8(raw).unwrap();
    }
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Reads every shard in `dir` (sorted by name) as JSONL documents.
pub fn read_shards(dir: &Path) -> Vec<Value> {
    let mut names: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.map(|e| e.unwrap().path()).collect(),
        Err(_) => return Vec::new(),
    };
    names.sort();
    names.iter().flat_map(|p| read_jsonl(p)).collect()
}

/// Lines of JSON as bytes.
pub fn jsonl_bytes(docs: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for d in docs {
        serde_json::to_writer(&mut out, d).unwrap();
        out.push(b'\n');
    }
    out
}

pub fn zstd_bytes(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

pub fn gzip_bytes(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Writes a pipeline file into `dir` and returns its path.
pub fn pipeline(dir: &Path, body: &str) -> PathBuf {
    let p = dir.join("pipeline.toml");
    std::fs::write(&p, body).unwrap();
    p
}

/// The normalise + length-filter pipeline the tests use.
pub const BASIC: &str =
    "[[stage]]\ntype = \"normalize\"\n\n[[stage]]\ntype = \"length_filter\"\nmin_words = 50\n";

/// Every file under `dir` (relative path → bytes), without `run.json` and `report.html` (which
/// shows run.json's wall times), which differ between any two runs by design.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().display().to_string();
                if rel != "run.json" && rel != "report.html" {
                    out.insert(rel, std::fs::read(&p).unwrap());
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Asserts two snapshots are byte-identical, naming the first differing file.
pub fn assert_same(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) {
    let ka: Vec<_> = a.keys().collect();
    let kb: Vec<_> = b.keys().collect();
    assert_eq!(ka, kb, "different file sets");
    for (k, v) in a {
        assert!(v == &b[k], "{k} differs");
    }
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stats(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("stats.json")).unwrap()).unwrap()
}

/// Runs `gleaner run PIPELINE [-i INPUT] -o OUT -q EXTRA...` and asserts that it succeeded; the
/// block every end-to-end test starts with.
pub fn run_ok(pipeline: &Path, input: Option<&Path>, out: &Path, extra: &[&str]) -> Output {
    let o = gleaner()
        .args(run_args(pipeline, input, out, extra))
        .output()
        .unwrap();
    assert!(o.status.success(), "gleaner run failed: {}", stderr(&o));
    o
}

/// The argument list of [`run_ok`], for tests that spawn the run themselves.
pub fn run_args(pipeline: &Path, input: Option<&Path>, out: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["run".to_string(), pipeline.display().to_string()];
    if let Some(i) = input {
        args.extend(["-i".to_string(), i.display().to_string()]);
    }
    args.extend([
        "-o".to_string(),
        out.display().to_string(),
        "-q".to_string(),
    ]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Number of files in `dir` whose names start with `prefix` (0 if `dir` does not exist yet).
pub fn count_files(dir: &Path, prefix: &str) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
                .count()
        })
        .unwrap_or(0)
}

/// Starts `gleaner run` with `args` and SIGKILLs it (no chance to clean up, exactly like
/// `kill -9`) as soon as `dir` holds `n` files starting with `prefix`. Panics if the run
/// finishes first or makes no progress in two minutes.
pub fn kill_when_files(args: &[String], dir: &Path, prefix: &str, n: usize) {
    let mut child = gleaner().args(args).spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while count_files(dir, prefix) < n {
        assert!(
            std::time::Instant::now() < deadline,
            "the run made no progress"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run finished before it could be killed"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Starts `gleaner run` with `args` (output `out`) and kills it as [`kill_when_files`] does once
/// two input files are done, checking it did not finish: a run killed mid-way.
pub fn kill_after_two_files(args: &[String], out: &Path) {
    kill_when_files(args, &out.join(".work/pass-0"), "done-", 2);
    assert!(
        !out.join("stats.json").exists(),
        "the killed run did not finish"
    );
}

/// Runs `gleaner` with `args` again (the resume of a killed run), which must succeed.
pub fn resume_ok(args: &[String]) -> Output {
    let o = gleaner().args(args).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    o
}

/// `shards` zstd JSONL files under `dir/in`, each holding the real sample with ids suffixed by the
/// shard number: a run then has many units of work, and every text has a copy in every shard.
pub fn sample_shards(dir: &Path, shards: usize) -> PathBuf {
    write_sample_shards(dir, shards, true)
}

/// [`sample_shards`], as plain JSONL when `zstd` is false (so a test can edit a file in place).
pub fn write_sample_shards(dir: &Path, shards: usize, zstd: bool) -> PathBuf {
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
        let plain = jsonl_bytes(&relabelled);
        let (name, bytes) = if zstd {
            (format!("shard-{s:03}.jsonl.zst"), zstd_bytes(&plain))
        } else {
            (format!("shard-{s:03}.jsonl"), plain)
        };
        std::fs::write(input.join(name), bytes).unwrap();
    }
    input
}

/// The text of a document as `gleaner inspect --json` shows it: its lines (kept and removed) in
/// order, joined by newlines.
pub fn inspected_text(ins: &Value) -> String {
    let lines: Vec<&str> = ins["lines"]
        .as_array()
        .expect("inspect --json has a lines array")
        .iter()
        .map(|l| l["text"].as_str().expect("each line has its text"))
        .collect();
    lines.join("\n")
}
