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

/// Every file under `dir` (relative path → bytes), without `run.json`, whose wall times differ
/// between any two runs by design.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().display().to_string();
                if rel != "run.json" {
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
