//! A compressed input whose large member (one that a reader streams before its checksum is
//! known, io/members.rs) turns out damaged: the run reads the file again verifying every member,
//! so the damaged member's documents are not in the output, even those already written to
//! finished shards, and everything else is, exactly once.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use gleaner::config::PipelineConfig;
use gleaner::executor::{self, Progress, RunOptions};
use gleaner::io::members::{REREAD_COUNTER, REREAD_KIND, STREAM_AFTER};

fn news_lines() -> Vec<String> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/news-sample.jsonl.zst");
    let plain = zstd::decode_all(&std::fs::read(path).unwrap()[..]).unwrap();
    String::from_utf8(plain)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The news sample repeated under fresh ids until it exceeds `min_bytes`, as JSONL.
fn articles(tag: &str, min_bytes: usize) -> (Vec<u8>, Vec<String>) {
    let mut out = Vec::new();
    let mut ids = Vec::new();
    for round in 0.. {
        for line in news_lines() {
            let mut v: serde_json::Value = serde_json::from_str(&line).unwrap();
            let id = format!("{tag}-{round}-{}", v["id"].as_str().unwrap());
            v["id"] = id.clone().into();
            out.extend(serde_json::to_vec(&v).unwrap());
            out.push(b'\n');
            ids.push(id);
        }
        if out.len() > min_bytes {
            return (out, ids);
        }
    }
    unreachable!()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn kept_ids(out: &Path) -> Vec<String> {
    let mut shards: Vec<PathBuf> = std::fs::read_dir(out.join("kept"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    shards.sort();
    let mut ids = Vec::new();
    for s in shards {
        let text = zstd::decode_all(&std::fs::read(&s).unwrap()[..]).unwrap();
        for line in String::from_utf8(text).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            ids.push(v["id"].as_str().unwrap().to_string());
        }
    }
    ids
}

#[test]
fn a_damaged_streamed_member_is_one_reject_and_its_documents_leave_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    // Member one is larger than a streaming reader holds, so its documents flow into the run
    // (and into finished 50-document shards) before its checksum fails; member two is intact.
    let (big, _) = articles("big", STREAM_AFTER + (1 << 20));
    let (tail, tail_ids) = articles("tail", 1);
    let mut first = gz(&big);
    let k = first.len() - 6; // in the CRC-32 trailer: every byte inflates, the check fails
    first[k] ^= 0x5a;
    let input = dir.path().join("news.jsonl.gz");
    std::fs::write(&input, [first.clone(), gz(&tail)].concat()).unwrap();

    let out = dir.path().join("out");
    let toml = format!(
        "[input]\npaths = [{input:?}]\n[output]\ndir = {out:?}\nmax_docs_per_shard = 50\n[[stage]]\ntype = \"normalize\"\n"
    );
    let cfg = PipelineConfig::from_toml(&toml, dir.path()).unwrap();
    let threads = 2;
    let opts = RunOptions {
        threads,
        overwrite: true,
    };
    let summary = executor::run(&cfg, &opts, Arc::new(Progress::default())).unwrap();

    assert_eq!(kept_ids(&out), tail_ids, "threads {threads}");
    let rejects = std::fs::read_to_string(out.join("rejects.jsonl")).unwrap();
    let rejects: Vec<serde_json::Value> = rejects
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert_eq!(rejects[0]["kind"], "corrupt_gzip_member");
    let span = format!("compressed bytes 0..{}", first.len());
    assert!(
        rejects[0]["message"].as_str().unwrap().contains(&span),
        "{rejects:?}"
    );
    let input_stats = &summary.stats.input;
    assert!(!input_stats.rejects_by_kind.contains_key(REREAD_KIND));
    assert_eq!(input_stats.skipped_by_kind.get(REREAD_COUNTER), Some(&1));
    assert_eq!(summary.stats.input.docs as usize, tail_ids.len());
}

#[test]
fn a_warc_gzipped_as_one_damaged_member_is_read_again_and_keeps_the_intact_member() {
    let dir = tempfile::tempdir().unwrap();
    let warc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/whirlwind.warc.gz");
    let mut plain = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::MultiGzDecoder::new(std::fs::File::open(&warc).unwrap()),
        &mut plain,
    )
    .unwrap();
    // The crawl repeated into one member past the streaming threshold, damaged in its trailer,
    // then one intact copy as a second member.
    let big: Vec<u8> = plain.repeat(STREAM_AFTER / plain.len() + 2);
    let mut first = gz(&big);
    let k = first.len() - 6;
    first[k] ^= 0x5a;
    let input = dir.path().join("crawl.warc.gz");
    std::fs::write(&input, [first, gz(&plain)].concat()).unwrap();
    let intact = dir.path().join("intact.warc.gz");
    std::fs::write(&intact, gz(&plain)).unwrap();

    let run = |path: &Path, out: &Path| {
        let toml = format!(
            "[input]\npaths = [{path:?}]\n[output]\ndir = {out:?}\nmax_docs_per_shard = 5\n"
        );
        let cfg = PipelineConfig::from_toml(&toml, dir.path()).unwrap();
        let opts = RunOptions {
            threads: 2,
            overwrite: true,
        };
        executor::run(&cfg, &opts, Arc::new(Progress::default())).unwrap()
    };
    let damaged = run(&input, &dir.path().join("out"));
    let reference = run(&intact, &dir.path().join("ref"));
    assert!(reference.stats.input.docs > 0);
    assert_eq!(
        kept_ids(&dir.path().join("out")),
        kept_ids(&dir.path().join("ref")),
        "only the intact member's records are kept"
    );
    let stats = &damaged.stats.input;
    assert_eq!(stats.skipped_by_kind.get(REREAD_COUNTER), Some(&1));
    assert!(!stats.rejects_by_kind.contains_key(REREAD_KIND));
    assert!(stats.rejects > 0, "the damaged member is reported");
}
