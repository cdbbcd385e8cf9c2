//! Dedup against saved indexes gives the same answer as one run over everything.
//!
//! The corpus is the 400 real news articles of `examples/data/news-sample.jsonl.zst` with copies
//! made here: exact copies, syndicated copies (another site's header and footer, the body cut and
//! lightly edited) and copies of those copies, placed so that they cross the split points. "The
//! same answer" means: for every document of a later part, whether it is kept, its text when kept
//! (line dedup removes lines) and, when removed as a duplicate, the id of the document named as
//! kept in its place are what one run over all parts in order gives. In one run, a document of B
//! is removed exactly when its duplicate cluster holds an earlier document; that cluster may reach
//! A only through other documents of B (a copy of a copy), or join two of A's clusters. The index
//! keeps every key A saw mapped to its cluster's first document, and B's clustering runs over A's
//! entries and B's documents together, so both cases come out as in the single run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::test_corpus::{news_sample, prepare_and_process};
use super::*;
use crate::document::{Document, Reason};
use crate::stage::{CorpusStage, Verdict};

fn news() -> Vec<Document> {
    news_sample()
        .into_iter()
        .filter(|d| d.text.split_whitespace().count() > 120)
        .collect()
}

/// Another site's copy of `text`: its header and footer lines, the body cut at 90 % and one word
/// in `every` changed (a copy of a copy drifts further from the original than from its source).
fn syndicated(text: &str, site: usize, every: usize, offset: usize) -> String {
    let mut words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    words.truncate(words.len() * 9 / 10);
    for i in (offset..words.len()).step_by(every) {
        words[i] = format!("edited{site}");
    }
    format!(
        "Site {site} News | Home | World\nBy staff, Site {site} wire\n{}\n© Site {site}. All rights reserved.",
        words.join(" ")
    )
}

fn copy(id: String, text: String) -> Document {
    let mut d = Document::new(id.clone(), text);
    d.metadata
        .insert("url".into(), json!(format!("https://copies.example/{id}")));
    d
}

/// Three parts, in input order. Each later part holds exact copies, syndicated copies and
/// copies of copies of earlier parts' documents (including copies an earlier part itself
/// removed), copies within itself, and documents of its own.
fn parts() -> [Vec<Document>; 3] {
    let news = news();
    assert!(news.len() > 300, "{}", news.len());
    let (a_news, b_news, c_news) = (&news[..120], &news[120..220], &news[220..300]);
    let mut a: Vec<Document> = a_news.to_vec();
    // A removes some copies itself: near copies of its first ten articles and exact copies.
    for (i, d) in a_news[..10].iter().enumerate() {
        a.push(copy(format!("a-syn-{i}"), syndicated(&d.text, 1, 200, 7)));
    }
    for (i, d) in a_news[10..14].iter().enumerate() {
        a.push(copy(format!("a-exact-{i}"), d.text.clone()));
    }
    let mut b = Vec::new();
    for (i, d) in b_news.iter().enumerate() {
        b.push(d.clone());
        if i < 30 {
            // Crossing the split: copies of A's originals, of A's removed copies, and a copy of
            // that copy (which may match only the first copy, not A).
            let orig = &a_news[20 + i];
            let first = copy(format!("b-syn-{i}"), syndicated(&orig.text, 2, 150, 3));
            let second = copy(format!("b-syn2-{i}"), syndicated(&first.text, 3, 150, 75));
            b.push(first);
            b.push(second);
        }
        if i < 8 {
            let removed_in_a = &a[a_news.len() + i];
            b.push(copy(format!("b-of-a-syn-{i}"), removed_in_a.text.clone()));
            b.push(copy(format!("b-exact-{i}"), a_news[60 + i].text.clone()));
        }
        if (30..40).contains(&i) {
            // Copies within B.
            b.push(copy(format!("b-self-{i}"), syndicated(&d.text, 4, 200, 11)));
        }
    }
    let mut c = Vec::new();
    for (i, d) in c_news.iter().enumerate() {
        c.push(d.clone());
        if i < 12 {
            let of_a = &a_news[90 + i];
            c.push(copy(
                format!("c-syn-a-{i}"),
                syndicated(&of_a.text, 5, 150, 5),
            ));
            let of_b = &b_news[50 + i];
            c.push(copy(
                format!("c-syn-b-{i}"),
                syndicated(&of_b.text, 6, 150, 9),
            ));
            c.push(copy(format!("c-exact-b-{i}"), b[1 + 3 * i].text.clone()));
        }
    }
    [a, b, c]
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Exact,
    MinHash(Option<f64>),
    Line,
}

fn stage(kind: Kind, save: Option<&Path>, against: &[PathBuf]) -> Box<dyn CorpusStage> {
    let save = save.map(Path::to_path_buf);
    let against = against.to_vec();
    match kind {
        Kind::Exact => Box::new(ExactDedup::new(ExactDedupConfig {
            save_index: save,
            against,
            ..Default::default()
        })),
        Kind::MinHash(t) => Box::new(
            MinHashDedup::new(MinHashDedupConfig {
                jaccard_threshold: t,
                save_index: save,
                against,
                ..Default::default()
            })
            .unwrap(),
        ),
        Kind::Line => Box::new(
            LineDedup::new(LineDedupConfig {
                save_index: save,
                against,
                ..Default::default()
            })
            .unwrap(),
        ),
    }
}

/// Per document: `Ok(text)` when kept, `Err(reason)` when removed.
type Outcome = BTreeMap<String, std::result::Result<String, Reason>>;

fn run(stage: &mut dyn CorpusStage, docs: &[Document], work: &Path) -> Outcome {
    let corpus = MemoryCorpus::new(docs.to_vec(), 3);
    let kind = stage.kind();
    let mut out = Outcome::new();
    prepare_and_process(stage, &corpus, work, 64 << 20, 2, |d, v, _| {
        let v = match v {
            Verdict::Keep => Ok(d.text.clone()),
            Verdict::Drop(r) => Err(r.into_reason(kind)),
        };
        out.insert(d.id, v);
    });
    out
}

/// What must match a single run: kept text, or the kept duplicate's id.
fn answer(outcome: &Outcome, ids: &[Document]) -> Vec<(String, String)> {
    ids.iter()
        .map(|d| {
            let v = match &outcome[&d.id] {
                Ok(text) => format!("kept: {text}"),
                Err(r) => format!("removed: {} {:?}", r.rule, r.kept_id),
            };
            (d.id.clone(), v)
        })
        .collect()
}

fn concat(parts: &[&[Document]]) -> Vec<Document> {
    parts.iter().flat_map(|p| p.iter().cloned()).collect()
}

fn check_split(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let [a, b, c] = parts();
    let work = |n: &str| t.join(format!("work-{n}"));
    let whole = run(
        &mut *stage(kind, None, &[]),
        &concat(&[&a, &b, &c]),
        &work("all"),
    );
    let whole_ab = run(
        &mut *stage(kind, None, &[]),
        &concat(&[&a, &b]),
        &work("ab"),
    );

    // A, then B against A's index (saving A+B), then C against that.
    let (ia, iab) = (t.join("index-a"), t.join("index-ab"));
    run(&mut *stage(kind, Some(&ia), &[]), &a, &work("a"));
    let got_b = run(
        &mut *stage(kind, Some(&iab), std::slice::from_ref(&ia)),
        &b,
        &work("b"),
    );
    assert_eq!(
        answer(&got_b, &b),
        answer(&whole_ab, &b),
        "{kind:?}: B against A"
    );
    let removed_against = got_b
        .values()
        .filter(|v| v.as_ref().is_err_and(|r| r.against.is_some()))
        .count();
    if !matches!(kind, Kind::Line) {
        // 16 exact copies of A's documents; MinHash also finds the syndicated ones.
        let least = if matches!(kind, Kind::Exact) { 16 } else { 50 };
        assert!(removed_against >= least, "{kind:?}: {removed_against}");
        let r = got_b["b-exact-0"].as_ref().unwrap_err();
        let kept_in = r.against.as_deref().unwrap();
        assert_eq!(kept_in.index, ia.display().to_string());
        assert_eq!(r.kept_id.as_deref(), Some(a[60].id.as_str()));
        assert_eq!(
            kept_in.kept_url,
            Some(format!("https://news.example/{}", a[60].id))
        );
    }
    // The index decides: B alone keeps what B against A removes.
    let alone = run(&mut *stage(kind, None, &[]), &b, &work("b-no-index"));
    assert_ne!(answer(&alone, &b), answer(&got_b, &b), "{kind:?}");
    if let Kind::MinHash(_) = kind {
        // Copies of copies that reach A only through B's first copy: removed naming A's
        // document, though on their own they are not near duplicates of it.
        let second: Vec<Document> = b
            .iter()
            .filter(|d| d.id.starts_with("b-syn2-"))
            .cloned()
            .collect();
        let direct = run(
            &mut *stage(kind, None, std::slice::from_ref(&ia)),
            &second,
            &work("b-syn2"),
        );
        let through_b = second
            .iter()
            .filter(|d| {
                direct[&d.id].is_ok() && got_b[&d.id].as_ref().is_err_and(|r| r.against.is_some())
            })
            .count();
        assert!(
            through_b > 0,
            "{kind:?}: no copy of a copy joins A only through B"
        );
    }
    let got_c = run(
        &mut *stage(kind, None, std::slice::from_ref(&iab)),
        &c,
        &work("c"),
    );
    assert_eq!(
        answer(&got_c, &c),
        answer(&whole, &c),
        "{kind:?}: C against A+B"
    );

    // Growing one index in place, then C against it.
    let grown = t.join("index-grown");
    run(&mut *stage(kind, Some(&grown), &[]), &a, &work("g-a"));
    run(
        &mut *stage(kind, Some(&grown), std::slice::from_ref(&grown)),
        &b,
        &work("g-b"),
    );
    let manifest = index::IndexDir::open(&grown).unwrap().manifest;
    assert_eq!(manifest.sources.len(), 2);
    assert_eq!(manifest.documents, (a.len() + b.len()) as u64);
    let got_c = run(
        &mut *stage(kind, None, std::slice::from_ref(&grown)),
        &c,
        &work("g-c"),
    );
    assert_eq!(
        answer(&got_c, &c),
        answer(&whole, &c),
        "{kind:?}: C against grown"
    );

    // Indexes of A and of B made apart, merged, then C against the merge.
    {
        let ib = t.join("index-b-alone");
        run(&mut *stage(kind, Some(&ib), &[]), &b, &work("b-alone"));
        let merged = t.join("index-merged");
        let m = index_merge::merge_indexes(&[ia.clone(), ib.clone()], &merged, 2).unwrap();
        assert_eq!(m.documents, (a.len() + b.len()) as u64);
        let got_c = run(&mut *stage(kind, None, &[merged]), &c, &work("m-c"));
        assert_eq!(
            answer(&got_c, &c),
            answer(&whole, &c),
            "{kind:?}: C against merged"
        );
        // Both named instead of merged: the k-way merge over several indexes (one index takes
        // a shortcut past the keys the run lacks) gives the same answer.
        let got_c = run(
            &mut *stage(kind, None, &[ia.clone(), ib]),
            &c,
            &work("ab-c"),
        );
        assert_eq!(
            answer(&got_c, &c),
            answer(&whole, &c),
            "{kind:?}: C against A and B"
        );
    }

    // B holding only copies of A: every one removed, as in one run.
    let only_copies: Vec<Document> = b
        .iter()
        .filter(|d| d.id.starts_with("b-"))
        .cloned()
        .collect();
    let whole = run(
        &mut *stage(kind, None, &[]),
        &concat(&[&a, &only_copies]),
        &work("copies-all"),
    );
    let got = run(
        &mut *stage(kind, None, &[ia]),
        &only_copies,
        &work("copies"),
    );
    assert_eq!(answer(&got, &only_copies), answer(&whole, &only_copies));
}

#[test]
fn exact_dedup_against_an_index_matches_one_run() {
    check_split(Kind::Exact);
}

#[test]
fn minhash_dedup_against_an_index_matches_one_run() {
    check_split(Kind::MinHash(None));
}

#[test]
fn minhash_dedup_with_jaccard_against_an_index_matches_one_run() {
    check_split(Kind::MinHash(Some(0.7)));
}

#[test]
fn line_dedup_against_an_index_matches_one_run() {
    check_split(Kind::Line);
}

#[test]
fn an_index_made_with_other_parameters_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let [a, ..] = parts();
    let ia = tmp.path().join("index");
    run(
        &mut *stage(Kind::MinHash(None), Some(&ia), &[]),
        &a[..40],
        &tmp.path().join("w1"),
    );
    let mut other = MinHashDedup::new(MinHashDedupConfig {
        num_buckets: 20,
        against: vec![ia.clone()],
        ..Default::default()
    })
    .unwrap();
    let cx = PrepareContext {
        work_dir: &tmp.path().join("w2"),
        memory_budget: 64 << 20,
        threads: 1,
    };
    let err = other
        .prepare(&cx, &MemoryCorpus::new(a[..5].to_vec(), 1))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("num_buckets = 14 in the index, 20 in this stage"),
        "{err}"
    );
    let mut exact = stage(Kind::Exact, None, &[ia]);
    let err = exact
        .prepare(&cx, &MemoryCorpus::new(a[..5].to_vec(), 1))
        .unwrap_err()
        .to_string();
    assert!(err.contains("written by minhash_dedup"), "{err}");
}
