//! What the dedup test modules share: the bundled real news sample as documents, and one stage
//! prepared over an in-memory corpus and asked about every document.

use std::path::Path;

use serde_json::json;

use super::{MemoryCorpus, PrepareContext};
use crate::document::Document;
use crate::stage::{CorpusStage, StageContext, Verdict};

/// The 400 real news articles of `examples/data/news-sample.jsonl.zst`, in file order, each
/// with the URL `https://news.example/{id}`.
pub(super) fn news_sample() -> Vec<Document> {
    crate::test_sample::news_records()
        .into_iter()
        .map(|v| {
            let mut d = Document::new(v["id"].as_str().unwrap(), v["text"].as_str().unwrap());
            d.metadata.insert(
                "url".into(),
                json!(format!("https://news.example/{}", d.id)),
            );
            d
        })
        .collect()
}

/// Prepares `stage` on `corpus` (work files in `work_dir`), then processes every document in
/// input order, handing each (as the stage left it), its verdict and its context to `each`.
pub(super) fn prepare_and_process(
    stage: &mut dyn CorpusStage,
    corpus: &MemoryCorpus,
    work_dir: &Path,
    memory_budget: u64,
    threads: usize,
    mut each: impl FnMut(Document, Verdict, &StageContext),
) {
    let cx = PrepareContext {
        work_dir,
        memory_budget,
        threads,
    };
    stage.prepare(&cx, corpus).unwrap();
    for d in corpus.documents() {
        let mut d = d.clone();
        let mut scx = StageContext::new();
        let verdict = stage.process(&mut d, &mut scx);
        each(d, verdict, &scx);
    }
}
