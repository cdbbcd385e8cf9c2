//! One duplicate cluster much bigger than the memory budget: thousands of copies of a real
//! "404 Not Found" page between the real news articles of `examples/data/news-sample.jsonl.zst`.
//! Clustering must spill (the engine's own accounting says so), hold an index that does not grow
//! with the cluster, and give the same documents, reasons and syndication map as a run with a
//! large budget, at one thread or two.

use serde_json::{Value, json};

use super::test_corpus::{news_sample, prepare_and_process};
use super::*;
use crate::document::{Document, Removal};
use crate::report::read::{find_cluster, for_each_cluster};
use crate::stage::{CorpusStage, Verdict};

/// Apache's stock 404 page as a crawl's text extraction sees it.
const NOT_FOUND: &str = "Not Found\n\nThe requested URL was not found on this server.\n\n\
Additionally, a 404 Not Found error was encountered while trying to use an ErrorDocument to \
handle the request.";

/// The 400 news articles with `copies` copies of the 404 page interleaved (one after every few
/// articles, then the rest), each with its own id and URL.
fn corpus(copies: usize) -> Vec<Document> {
    let news = news_sample();
    let mut docs = Vec::new();
    let mut news = news.into_iter();
    for i in 0..copies {
        if i % 10 == 0
            && let Some(d) = news.next()
        {
            docs.push(d);
        }
        let mut d = Document::new(format!("err-{i}"), NOT_FOUND);
        d.metadata.insert(
            "url".into(),
            json!(format!("https://site{}.example/missing/{i}", i % 97)),
        );
        docs.push(d);
    }
    docs.extend(news);
    docs
}

/// Everything a run of `stage` produces: kept documents (with metadata), removed documents with
/// their reasons, and the syndication map's bytes.
struct Outcome {
    kept: Vec<Document>,
    removed: Vec<(String, Removal)>,
    syndication: String,
}

fn run(stage: &mut dyn CorpusStage, corpus: &MemoryCorpus, budget: u64, threads: usize) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let (mut kept, mut removed) = (Vec::new(), Vec::new());
    prepare_and_process(
        stage,
        corpus,
        dir.path(),
        budget,
        threads,
        |d, v, _| match v {
            Verdict::Keep => kept.push(d),
            Verdict::Drop(r) => removed.push((d.id.clone(), r)),
        },
    );
    let syndication = std::fs::read_to_string(syndication_path(dir.path())).unwrap();
    Outcome {
        kept,
        removed,
        syndication,
    }
}

fn assert_same(a: &Outcome, b: &Outcome) {
    assert_eq!(a.kept, b.kept);
    assert_eq!(a.removed, b.removed);
    assert_eq!(a.syndication, b.syndication, "syndication maps differ");
}

const SMALL: u64 = 256 << 10;
const LARGE: u64 = 2 << 30;

#[test]
fn a_cluster_bigger_than_the_budget_spills_and_decides_as_with_a_large_budget() {
    let copies = 30_000;
    let docs = MemoryCorpus::new(corpus(copies), 3);
    let mut small = ExactDedup::new(ExactDedupConfig::default());
    let got = run(&mut small, &docs, SMALL, 2);
    // 30,000 members of 16 bytes do not fit the 64 KiB a thread may fill: several runs each for
    // members and for decisions.
    assert!(
        small.spilled_runs() >= 6,
        "spilled {}",
        small.spilled_runs()
    );
    // The in-memory index is a bitmap and one position per 128 decisions, not a record per member.
    assert!(
        small.resident_bytes() < copies,
        "index holds {} bytes",
        small.resident_bytes()
    );
    // The news sample holds two exact pairs of its own besides the 404 cluster.
    assert_eq!(small.clustered_documents(), copies + 4);
    let removed_errors: Vec<_> = got
        .removed
        .iter()
        .filter(|(id, _)| id.starts_with("err-"))
        .collect();
    assert_eq!(removed_errors.len(), copies - 1);
    let first_error = &got.kept.iter().find(|d| d.id == "err-0").unwrap().metadata;
    assert_eq!(first_error["exact_dup_cluster_size"], json!(copies));
    assert_eq!(
        first_error["exact_dup_duplicates"]
            .as_array()
            .unwrap()
            .len(),
        100
    );
    assert!(
        removed_errors
            .iter()
            .all(|(_, r)| r.kept_id.as_deref() == Some("err-0"))
    );

    let mut large = ExactDedup::new(ExactDedupConfig::default());
    let want = run(&mut large, &docs, LARGE, 2);
    // With room to spare: one members run per input file and one decisions run.
    assert_eq!(large.spilled_runs(), 4);
    assert!(small.spilled_runs() > 3 * large.spilled_runs());
    assert_same(&got, &want);
    let one_thread = run(
        &mut ExactDedup::new(ExactDedupConfig::default()),
        &docs,
        SMALL,
        1,
    );
    assert_same(&got, &one_thread);
}

#[test]
fn minhash_keeps_one_of_a_big_cluster_within_a_small_budget() {
    let copies = 4_000;
    let docs = MemoryCorpus::new(corpus(copies), 2);
    let cfg = MinHashDedupConfig::default();
    let mut small = MinHashDedup::new(cfg.clone()).unwrap();
    let got = run(&mut small, &docs, SMALL, 2);
    assert!(
        small.spilled_runs() >= 2,
        "spilled {}",
        small.spilled_runs()
    );
    assert_eq!(
        got.removed
            .iter()
            .filter(|(id, _)| id.starts_with("err-"))
            .count(),
        copies - 1
    );
    let want = run(
        &mut MinHashDedup::new(cfg.clone()).unwrap(),
        &docs,
        LARGE,
        1,
    );
    assert_same(&got, &want);
}

#[test]
fn the_syndication_map_of_a_cluster_bigger_than_a_line_is_complete_and_reads_back() {
    let copies = 2_500;
    let docs = MemoryCorpus::new(corpus(copies), 2);
    let out = tempfile::tempdir().unwrap();
    let got = run(
        &mut ExactDedup::new(ExactDedupConfig::default()),
        &docs,
        SMALL,
        2,
    );
    std::fs::write(out.path().join(SYNDICATION_FILE), &got.syndication).unwrap();

    // Every line is bounded, and together the lines of the 404 cluster list every copy once.
    let mut members = Vec::new();
    let mut lines = 0;
    for line in got.syndication.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        if v["size"] != json!(copies) {
            continue;
        }
        lines += 1;
        let dups = v["duplicates"].as_array().unwrap();
        assert!(dups.len() <= cluster::SYNDICATION_CHUNK);
        if let Some(kept) = v.get("kept") {
            members.push(kept["id"].as_str().unwrap().to_string());
        }
        members.extend(dups.iter().map(|d| d["id"].as_str().unwrap().to_string()));
    }
    assert_eq!(lines, copies.div_ceil(cluster::SYNDICATION_CHUNK));
    let expected: Vec<String> = (0..copies).map(|i| format!("err-{i}")).collect();
    assert_eq!(members, expected);

    // The report's reader joins the lines into one cluster, cut to the members it shows.
    let mut clusters = Vec::new();
    for_each_cluster(out.path(), 25, &mut |c| clusters.push(c)).unwrap();
    let big: Vec<_> = clusters
        .iter()
        .filter(|c| c.size == copies as u64)
        .collect();
    assert_eq!(big.len(), 1);
    assert_eq!(big[0].members.len(), 25);
    assert_eq!(big[0].kept_id.as_deref(), Some("err-0"));
    assert_eq!(
        big[0].members[1].url.as_deref(),
        Some("https://site1.example/missing/1")
    );
    // `gleaner inspect` finds the cluster of a copy listed on the last line.
    let found = find_cluster(out.path(), &["err-2499"], 25)
        .unwrap()
        .unwrap();
    assert_eq!((found.size, found.members.len()), (copies as u64, 25));
    assert_eq!(found.kept_id.as_deref(), Some("err-0"));
}

#[test]
fn clustering_again_after_a_kill_ignores_the_runs_the_killed_attempt_left() {
    let docs = MemoryCorpus::new(corpus(3_000), 2);
    let dir = tempfile::tempdir().unwrap();
    let cx = PrepareContext {
        work_dir: dir.path(),
        memory_budget: SMALL,
        threads: 2,
    };
    let mut first = ExactDedup::new(ExactDedupConfig::default());
    first.prepare(&cx, &docs).unwrap();
    let want = std::fs::read(syndication_path(dir.path())).unwrap();
    // A kill during clustering: the marker is missing and runs of a file that has no clusters
    // this time (made-up records) are left beside the scan's runs.
    std::fs::remove_file(marker(dir.path(), "cluster")).unwrap();
    let junk = [0xA5u8; 16 * 64];
    std::fs::create_dir_all(dir.path().join("cluster-runs")).unwrap();
    std::fs::write(
        dir.path().join("cluster-runs/p000-m-f000007-00000.run"),
        junk,
    )
    .unwrap();
    let mut again = ExactDedup::new(ExactDedupConfig::default());
    again.prepare(&cx, &docs).unwrap();
    assert_eq!(std::fs::read(syndication_path(dir.path())).unwrap(), want);
    assert_eq!(again.clustered_documents(), first.clustered_documents());
}
