//! Dedup stages on real text: the news-articles set (Harvard Dataverse "News Articles", Dai 2017,
//! Apache-2.0, read from `../shared/data/news-articles/NewsArticles.zip`) and the user's seed
//! document (`examples/data/raw-example.txt`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;

use super::test_corpus::prepare_and_process;
use super::*;
use crate::document::{Document, Reason};
use crate::stage::{CorpusStage, Verdict};

/// Every article as a document `news-{article_id}` with its URL, in file order; `None` (the test
/// is skipped) when the shared news set is absent, as in a lone clone.
fn news_articles() -> Option<Vec<Document>> {
    let zip = gleaner_testdata::shared_file("news-articles/NewsArticles.zip")?;
    let file = std::fs::File::open(zip).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let csv_file = zip.by_name("NewsArticles.csv").unwrap();
    let mut reader = csv::Reader::from_reader(csv_file);
    let docs = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let mut d = Document::new(format!("news-{}", &r[0]), &r[5]);
            d.metadata.insert("url".into(), json!(&r[2]));
            d
        })
        .collect();
    Some(docs)
}

/// Prepares `stage` on `corpus` and processes every document; returns kept docs (after the
/// stage), removed docs with reasons, and line edits.
fn run_stage(
    stage: &mut dyn CorpusStage,
    corpus: &MemoryCorpus,
    work_dir: &Path,
    budget: u64,
) -> (
    Vec<Document>,
    Vec<(Document, Reason)>,
    Vec<crate::document::LineEdit>,
) {
    let (mut kept, mut removed, mut edits) = (Vec::new(), Vec::new(), Vec::new());
    let kind = stage.kind();
    prepare_and_process(stage, corpus, work_dir, budget, 2, |d, v, scx| {
        edits.extend(scx.edits().iter().cloned());
        match v {
            Verdict::Keep => kept.push(d),
            Verdict::Drop(r) => removed.push((d, r.into_reason(kind))),
        }
    });
    (kept, removed, edits)
}

fn normalized(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn exact_dedup_finds_every_exact_duplicate_of_the_news_set() {
    let Some(docs) = news_articles() else {
        return;
    };
    assert!(docs.len() > 3000);
    // Count independently: the first document with each normalized text is the original.
    let mut first_with: HashMap<String, String> = HashMap::new();
    let mut expected_removed = HashMap::new();
    for d in &docs {
        match first_with.get(&normalized(&d.text)) {
            Some(orig) => {
                expected_removed.insert(d.id.clone(), orig.clone());
            }
            None => {
                first_with.insert(normalized(&d.text), d.id.clone());
            }
        }
    }
    assert!(
        !expected_removed.is_empty(),
        "the news set has exact duplicates"
    );

    let corpus = MemoryCorpus::new(docs, 5);
    let dir = tempfile::tempdir().unwrap();
    let mut stage = ExactDedup::new(ExactDedupConfig::default());
    // A zero budget forces many spilled runs per file (64 KiB each).
    let (kept, removed, _) = run_stage(&mut stage, &corpus, dir.path(), 0);

    let got: HashMap<String, String> = removed
        .iter()
        .map(|(d, r)| (d.id.clone(), r.kept_id.clone().unwrap()))
        .collect();
    assert_eq!(got, expected_removed);
    assert!(removed.iter().all(|(_, r)| r.rule == "exact_duplicate"));

    // Every kept original carries its cluster, and the syndication map lists each cluster once.
    let originals: std::collections::BTreeSet<&String> = expected_removed.values().collect();
    for id in &originals {
        let d = kept.iter().find(|d| &&d.id == id).unwrap();
        let copies = expected_removed.values().filter(|o| o == id).count();
        assert_eq!(d.metadata["exact_dup_cluster_size"], json!(copies + 1));
        assert_eq!(
            d.metadata["exact_dup_duplicates"].as_array().unwrap().len(),
            copies
        );
    }
    let map = std::fs::read_to_string(syndication_path(dir.path())).unwrap();
    assert_eq!(map.lines().count(), originals.len());
    let line: serde_json::Value = serde_json::from_str(map.lines().next().unwrap()).unwrap();
    assert!(line["kept"]["url"].as_str().unwrap().starts_with("http"));
}

/// A corpus input that counts how many documents were read, to observe resume.
struct CountingInput<'a> {
    inner: &'a MemoryCorpus,
    visited: AtomicUsize,
}

impl CorpusInput for CountingInput<'_> {
    fn file_count(&self) -> usize {
        self.inner.file_count()
    }
    fn for_each_in_file(&self, index: usize, f: &mut dyn FnMut(&Document)) -> Result<()> {
        self.inner.for_each_in_file(index, &mut |d| {
            self.visited.fetch_add(1, Ordering::Relaxed);
            f(d)
        })
    }
}

#[test]
fn a_killed_minhash_run_resumes_from_its_finished_work_files() {
    let Some(docs) = news_articles() else {
        return;
    };
    let docs: Vec<Document> = docs.into_iter().take(600).collect();
    let corpus = MemoryCorpus::new(docs, 4);
    let dir = tempfile::tempdir().unwrap();
    let cx = PrepareContext {
        work_dir: dir.path(),
        memory_budget: 1 << 20,
        threads: 2,
    };
    let mut first = MinHashDedup::new(MinHashDedupConfig::default()).unwrap();
    let counting = CountingInput {
        inner: &corpus,
        visited: AtomicUsize::new(0),
    };
    first.prepare(&cx, &counting).unwrap();
    assert_eq!(counting.visited.load(Ordering::Relaxed), 600);
    let before = std::fs::read_to_string(syndication_path(dir.path())).unwrap();

    // Simulate a kill during clustering after file 2 was scanned again: its marker and the
    // cluster marker are gone, so only file 2 is rescanned and clustering reruns.
    std::fs::remove_file(marker(dir.path(), "cluster")).unwrap();
    std::fs::remove_file(marker(dir.path(), "scan-f000002")).unwrap();
    std::fs::remove_file(syndication_path(dir.path())).unwrap();
    let counting = CountingInput {
        inner: &corpus,
        visited: AtomicUsize::new(0),
    };
    let mut resumed = MinHashDedup::new(MinHashDedupConfig::default()).unwrap();
    resumed.prepare(&cx, &counting).unwrap();
    assert_eq!(counting.visited.load(Ordering::Relaxed), 150);
    assert_eq!(
        std::fs::read_to_string(syndication_path(dir.path())).unwrap(),
        before
    );
    assert_eq!(resumed.clustered_documents(), first.clustered_documents());

    // A finished run reads nothing again; a changed configuration starts over.
    let counting = CountingInput {
        inner: &corpus,
        visited: AtomicUsize::new(0),
    };
    MinHashDedup::new(MinHashDedupConfig::default())
        .unwrap()
        .prepare(&cx, &counting)
        .unwrap();
    assert_eq!(counting.visited.load(Ordering::Relaxed), 0);
    let cfg = MinHashDedupConfig {
        n_grams: 4,
        ..Default::default()
    };
    MinHashDedup::new(cfg)
        .unwrap()
        .prepare(&cx, &counting)
        .unwrap();
    assert_eq!(counting.visited.load(Ordering::Relaxed), 600);
}

/// A syndicated copy of `text`: another site's header and byline, a teaser block of other
/// articles and a footer, the body cut at 95 % and lightly edited.
fn syndicated_copy(text: &str, site: usize, teasers: &[&str]) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let cut = words.len() * 19 / 20;
    let mut body: Vec<String> = words[..cut].iter().map(|w| w.to_string()).collect();
    // Light edits: a word changed every 150 words.
    for i in (75..body.len()).step_by(150) {
        body[i] = "reportedly".into();
    }
    let teaser_block: Vec<String> = teasers
        .iter()
        .map(|t| t.split_whitespace().take(12).collect::<Vec<_>>().join(" "))
        .collect();
    format!(
        "Site {site} News | Home | World | Business\nBy staff reporter, Site {site} wire service\n{}\n\nRead more:\n{}\n© 2017 Site {site}. All rights reserved.",
        body.join(" "),
        teaser_block.join("\n")
    )
}

#[test]
fn minhash_clusters_syndicated_copies_and_keeps_the_original() {
    let Some(articles) = news_articles() else {
        return;
    };
    let articles: Vec<Document> = articles
        .into_iter()
        .filter(|d| d.text.split_whitespace().count() > 300)
        .take(400)
        .collect();
    let mut docs = articles.clone();
    // Copies of the first 40 articles, each on 2 other sites, appended after all originals.
    let mut expected = HashMap::new();
    for (i, orig) in articles.iter().take(40).enumerate() {
        for site in 0..2 {
            let teasers: Vec<&str> = articles[100 + i * 3 + site..103 + i * 3 + site]
                .iter()
                .map(|d| d.text.as_str())
                .collect();
            let mut d = Document::new(
                format!("copy-{i}-{site}"),
                syndicated_copy(&orig.text, site, &teasers),
            );
            d.metadata.insert(
                "url".into(),
                json!(format!("https://site{site}.example/{i}")),
            );
            expected.insert(d.id.clone(), orig.id.clone());
            docs.push(d);
        }
    }
    let corpus = MemoryCorpus::new(docs, 3);
    for jaccard in [None, Some(0.5)] {
        let dir = tempfile::tempdir().unwrap();
        let mut stage = MinHashDedup::new(MinHashDedupConfig {
            jaccard_threshold: jaccard,
            ..Default::default()
        })
        .unwrap();
        let (kept, removed, _) = run_stage(&mut stage, &corpus, dir.path(), 64 << 20);
        let got: HashMap<String, String> = removed
            .iter()
            .filter(|(d, _)| d.id.starts_with("copy-"))
            .map(|(d, r)| (d.id.clone(), r.kept_id.clone().unwrap()))
            .collect();
        // LSH is probabilistic: these copies have Jaccard ~0.8 with their original, where 14x8
        // bands find a pair with probability ~0.92 (and a copy has two chances: the original and
        // the other copy).
        let found = got.len();
        assert!(found >= 72, "{jaccard:?}: found {found} of 80 copies");
        // A copy attributed to anything but its original is fine only if that is the other copy
        // of the same article, or the original was itself merged into that document (the news
        // set has its own near-duplicates).
        for (copy, kept_id) in &got {
            let sibling =
                kept_id.rsplit_once('-').map(|(p, _)| p) == copy.rsplit_once('-').map(|(p, _)| p);
            if expected[copy] != *kept_id && !sibling {
                let orig_reason = removed.iter().find(|(d, _)| d.id == expected[copy]);
                assert_eq!(
                    orig_reason.and_then(|(_, r)| r.kept_id.as_ref()),
                    Some(kept_id),
                    "{copy} attributed to {kept_id}"
                );
            }
        }
        // No two distinct originals are merged (removed originals would be exact duplicates).
        for (d, r) in &removed {
            if !d.id.starts_with("copy-") {
                let kept_doc = corpus
                    .documents()
                    .find(|k| Some(&k.id) == r.kept_id.as_ref())
                    .unwrap();
                assert_eq!(
                    normalized(&kept_doc.text),
                    normalized(&d.text),
                    "{} merged",
                    d.id
                );
            }
        }
        let orig = kept.iter().find(|d| d.id == articles[0].id).unwrap();
        assert!(orig.metadata["minhash_cluster_size"].as_u64().unwrap() >= 2);
        assert!(
            orig.metadata["minhash_duplicates"]
                .to_string()
                .contains("site0.example")
                || orig.metadata["minhash_duplicates"]
                    .to_string()
                    .contains("site1.example")
        );
    }
}

fn seed_lines() -> Vec<String> {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/raw-example.txt");
    std::fs::read_to_string(seed)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn line_dedup_removes_the_bio_repeated_under_many_columns_and_nothing_else() {
    let seed = seed_lines();
    let bio = seed
        .iter()
        .find(|l| l.starts_with("Marc Champion is a Bloomberg Opinion columnist"))
        .unwrap()
        .clone();
    let Some(articles) = news_articles() else {
        return;
    };
    let articles: Vec<Document> = articles
        .into_iter()
        .filter(|d| !d.text.trim().is_empty())
        .take(300)
        .collect();
    // The bio under 12 of the articles, as syndicated columns carry it.
    let mut docs = Vec::new();
    for (i, mut d) in articles.into_iter().enumerate() {
        if i % 25 == 0 {
            d.text = format!("{}\n{}", d.text, bio);
        }
        docs.push(d);
    }
    let corpus = MemoryCorpus::new(docs.clone(), 2);
    let dir = tempfile::tempdir().unwrap();
    let mut stage = LineDedup::new(LineDedupConfig {
        min_docs: 5,
        min_chars: 20,
        ..Default::default()
    })
    .unwrap();
    let (kept, removed, edits) = run_stage(&mut stage, &corpus, dir.path(), 0);
    assert!(removed.is_empty());
    let bio_edits: Vec<_> = edits.iter().filter(|e| e.text == bio).collect();
    assert_eq!(bio_edits.len(), 12);
    assert!(
        bio_edits
            .iter()
            .all(|e| e.value == json!(12) && e.threshold == json!(5))
    );
    assert!(kept.iter().all(|d| !d.text.contains("Marc Champion is")));
    // Whatever else was removed really is in at least 5 documents of the input.
    for e in edits.iter().filter(|e| e.text != bio) {
        let n = docs
            .iter()
            .filter(|d| {
                d.text
                    .lines()
                    .any(|l| simplify_text(l) == simplify_text(&e.text))
            })
            .count();
        assert!(n >= 5, "{:?} removed but in {n} documents", e.text);
        assert_eq!(e.value, json!(n));
    }
}

#[test]
fn line_dedup_in_paragraph_mode_reports_the_first_line_of_each_paragraph() {
    let para = "Subscribe to our newsletter\nfor the best stories every morning";
    let docs: Vec<Document> = (0..4)
        .map(|i| {
            let name = ["alpha", "beta", "gamma", "delta"][i];
            Document::new(
                format!("d{i}"),
                format!("Story {name} begins here.\n\n{para}\n\nThe end of story {name}."),
            )
        })
        .collect();
    let corpus = MemoryCorpus::new(docs, 1);
    let dir = tempfile::tempdir().unwrap();
    let mut stage = LineDedup::new(LineDedupConfig {
        unit: lines::LineUnit::Paragraph,
        min_docs: 3,
        min_chars: 0,
        ..Default::default()
    })
    .unwrap();
    let (kept, _, edits) = run_stage(&mut stage, &corpus, dir.path(), 0);
    assert_eq!(edits.len(), 4);
    assert!(
        edits
            .iter()
            .all(|e| e.line == 2 && e.text == para && e.value == json!(4))
    );
    assert_eq!(
        kept[1].text,
        "Story beta begins here.\n\n\nThe end of story beta."
    );
}

#[test]
fn lead_bands_find_excerpts_that_whole_text_minhash_misses() {
    let Some(articles) = news_articles() else {
        return;
    };
    let articles: Vec<Document> = articles
        .into_iter()
        .filter(|d| d.text.split_whitespace().count() > 400)
        .take(200)
        .collect();
    let mut docs = articles.clone();
    // Excerpts: the first 45 % of 30 articles, re-wrapped, with a "read more" line.
    for (i, orig) in articles.iter().take(30).enumerate() {
        let words: Vec<&str> = orig.text.split_whitespace().collect();
        let excerpt = words[..words.len() * 45 / 100]
            .chunks(12)
            .map(|c| c.join(" "))
            .collect::<Vec<_>>();
        // Every other excerpt sits under another site's header of short lines, which the lead
        // window skips (minhash::lead_text): 14 header words would otherwise shift it.
        let header = if i % 2 == 1 {
            "Home\nWorld | Politics\nWhat this week's news means for you\nBy Staff Writer\n"
        } else {
            ""
        };
        docs.push(Document::new(
            format!("excerpt-{i}"),
            format!("{header}{}\nRead the full story.", excerpt.join("\n")),
        ));
    }
    let corpus = MemoryCorpus::new(docs, 2);
    let found = |cfg: MinHashDedupConfig| {
        let dir = tempfile::tempdir().unwrap();
        let mut stage = MinHashDedup::new(cfg).unwrap();
        let (_, removed, _) = run_stage(&mut stage, &corpus, dir.path(), 32 << 20);
        let mut ok = 0;
        for (d, r) in &removed {
            if let Some(i) = d.id.strip_prefix("excerpt-") {
                let i: usize = i.parse().unwrap();
                assert_eq!(r.kept_id.as_deref(), Some(articles[i].id.as_str()));
                ok += 1;
            } else {
                // An article merged with another must be a near-copy of it in the source set.
                let kept = corpus
                    .documents()
                    .find(|k| Some(&k.id) == r.kept_id.as_ref())
                    .unwrap();
                let a = minhash::MinHasher::new(&MinHashDedupConfig::default());
                let mut sa = a.shingles(&kept.text);
                let mut sb = a.shingles(&d.text);
                sa.sort_unstable();
                sa.dedup();
                sb.sort_unstable();
                sb.dedup();
                assert!(
                    minhash::contained(&sa, &sb) > 0.5,
                    "{} merged into {}",
                    d.id,
                    kept.id
                );
            }
        }
        ok
    };
    let whole = found(MinHashDedupConfig::default());
    let lead = found(MinHashDedupConfig {
        lead_words: Some(50),
        jaccard_threshold: Some(0.5),
        ..Default::default()
    });
    // Jaccard of a 45 % excerpt with its article is ~0.45: 14x8 bands find it ~1 % of the time.
    assert!(whole <= 3, "whole-text MinHash found {whole} excerpts");
    assert!(lead >= 28, "lead bands found {lead} of 30 excerpts");
}
