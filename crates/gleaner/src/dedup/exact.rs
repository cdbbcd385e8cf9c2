//! Exact document dedup: documents whose normalized text hashes (xxh3-128, fixed seed) to the
//! same value are copies; the first in input order is kept and the others name it.
//!
//! Hashes are partitioned by their top bits so the merge and the unions run on every core; each
//! partition's runs are merged k-way and each run of equal hashes becomes edges
//! `(first, other)` in the union-find.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_128_with_seed;

use super::against::AgainstState;
use super::cluster::{ClusterState, Labels, Layout};
use super::doctable::DocTableWriter;
use super::index::{IndexSet, Keyed};
use super::index_merge::{
    KeyedSource, KeysStep, RunIndexing, RunKeys, cluster_run, publish_saved, union_against,
};
use super::runfile::{PartitionedSpiller, WideKeyDoc, merge_partition};
use super::{
    done_payload, mark_done, open_work_dir, prefetch_against, scan_once, scanned_counts,
    simplify_text, spill_bytes,
};
use crate::document::Document;
use crate::error::{Error, Result};
use crate::stage::{CorpusInput, CorpusStage, PrepareContext, StageContext, Verdict};

/// Fixed seed of the exact-dedup text hash (any constant works; it must never change, or hashes
/// left by an earlier run would not match).
const EXACT_SEED: u64 = 0x676c_6561_6e65_7201;

/// Hash partitions (top 4 bits of the hash): enough to keep every core busy while merging.
const PARTITIONS: usize = 16;

/// How text is normalized before hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExactNormalization {
    /// Byte-identical text only.
    None,
    /// Runs of whitespace collapse to one space and the ends are trimmed: copies that differ only
    /// in line wrapping or trailing newlines are still copies.
    Whitespace,
    /// datatrove's `simplify_text` (lowercase, numbers, punctuation, accents): catches copies that
    /// differ in punctuation or casing too.
    Simplify,
}

/// Parameters of [`ExactDedup`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExactDedupConfig {
    /// Normalization applied before hashing.
    pub normalize: ExactNormalization,
    /// Most duplicate ids/URLs listed in a kept document's metadata (the syndication map lists
    /// all of them).
    pub max_listed_duplicates: usize,
    /// Saves a dedup index of this run (and of its `against` indexes) to this directory
    /// ([`super::index`]); the same path as an `against` index grows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub save_index: Option<PathBuf>,
    /// Dedup indexes of earlier corpora: a copy of one of their documents is removed, naming it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub against: Vec<PathBuf>,
}

impl Default for ExactDedupConfig {
    fn default() -> Self {
        ExactDedupConfig {
            normalize: ExactNormalization::Whitespace,
            max_listed_duplicates: 100,
            save_index: None,
            against: Vec::new(),
        }
    }
}

impl ExactDedupConfig {
    /// The parameters an index records and an `against` index must share.
    pub fn index_params(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        m.insert("normalize".into(), serde_json::json!(self.normalize));
        m
    }
}

/// The exact-dedup corpus stage (`type = "exact_dedup"`).
pub struct ExactDedup {
    cfg: ExactDedupConfig,
    state: ClusterState,
    against: AgainstState,
    labels: Labels,
}

impl ExactDedup {
    /// A stage with these parameters.
    pub fn new(cfg: ExactDedupConfig) -> Self {
        let labels = Labels {
            rule: "exact_duplicate",
            prefix: "exact_dup",
            max_listed: cfg.max_listed_duplicates,
        };
        ExactDedup {
            cfg,
            state: ClusterState::default(),
            against: AgainstState::default(),
            labels,
        }
    }

    /// Number of documents that had at least one exact copy (kept and removed), after `prepare`.
    pub fn clustered_documents(&self) -> usize {
        self.state.clustered_documents()
    }

    /// Run files this process's clustering spilled ([`ClusterState::spilled_runs`]).
    pub fn spilled_runs(&self) -> usize {
        self.state.spilled_runs()
    }

    /// Bytes the decisions index holds in memory ([`ClusterState::resident_bytes`]).
    pub fn resident_bytes(&self) -> usize {
        self.state.resident_bytes()
    }

    /// Loads what a finish (in any process) persisted, finishing a saved index's swap.
    fn load_finished(&mut self, dir: &Path) -> Result<()> {
        if let Some(dest) = &self.cfg.save_index {
            publish_saved(dest)?;
        }
        self.state = ClusterState::load(dir)?;
        self.against = AgainstState::load(dir)?;
        Ok(())
    }
}

/// The 128-bit hash exact dedup groups on.
pub fn exact_hash(text: &str, normalize: ExactNormalization) -> u128 {
    match normalize {
        ExactNormalization::None => xxh3_128_with_seed(text.as_bytes(), EXACT_SEED),
        ExactNormalization::Whitespace => {
            let mut s = String::with_capacity(text.len());
            for w in text.split_whitespace() {
                if !s.is_empty() {
                    s.push(' ');
                }
                s.push_str(w);
            }
            xxh3_128_with_seed(s.as_bytes(), EXACT_SEED)
        }
        ExactNormalization::Simplify => {
            xxh3_128_with_seed(simplify_text(text).as_bytes(), EXACT_SEED)
        }
    }
}

fn scan_file(
    dir: &Path,
    input: &dyn CorpusInput,
    file: usize,
    normalize: ExactNormalization,
    budget: usize,
) -> Result<u32> {
    let tag = format!("f{file:06}");
    let mut spill = PartitionedSpiller::<WideKeyDoc>::new(dir, &tag, PARTITIONS, budget)?;
    let mut table = DocTableWriter::create(dir, file)?;
    let mut err: Option<Error> = None;
    input.for_each_in_file(file, &mut |doc: &Document| {
        if err.is_some() {
            return;
        }
        let res = table.push(doc).and_then(|local| {
            let key = exact_hash(&doc.text, normalize);
            let part = (key >> 124) as usize;
            spill.push(
                part,
                WideKeyDoc {
                    key,
                    file: file as u32,
                    local,
                },
            )
        });
        if let Err(e) = res {
            err = Some(e);
        }
    })?;
    if let Some(e) = err {
        return Err(e);
    }
    spill.finish()?;
    table.finish()
}

impl CorpusStage for ExactDedup {
    fn kind(&self) -> &'static str {
        "exact_dedup"
    }

    fn open(&self, cx: &PrepareContext<'_>, files: usize) -> Result<()> {
        open_work_dir(cx.work_dir, "exact_dedup", 2, files, &self.cfg)?;
        prefetch_against(cx.work_dir, "cluster", &self.cfg.against);
        Ok(())
    }

    fn scan(&self, cx: &PrepareContext<'_>, input: &dyn CorpusInput, file: usize) -> Result<()> {
        let dir = cx.work_dir;
        let (normalize, budget) = (self.cfg.normalize, spill_bytes(cx));
        scan_once(dir, file, |file| {
            scan_file(dir, input, file, normalize, budget)
        })
    }

    fn finish(&mut self, cx: &PrepareContext<'_>, files: usize) -> Result<()> {
        let dir = cx.work_dir;
        let budget = spill_bytes(cx);
        let counts = scanned_counts(dir, "exact_dedup", files)?;
        let layout = Layout::from_counts(&counts)?;
        if done_payload(dir, "cluster").is_some() {
            return self.load_finished(dir);
        }
        let against = IndexSet::open(
            &self.cfg.against,
            "exact_dedup",
            &self.cfg.index_params(),
            self.cfg.save_index.as_deref(),
        )?;
        let idx = RunIndexing {
            stage: "exact_dedup",
            params: self.cfg.index_params(),
            against: &against,
            save: self.cfg.save_index.as_deref(),
            partitions: PARTITIONS,
        };
        let state = super::with_threads(cx.threads, || -> Result<ClusterState> {
            // Documents are nodes after the `against` entries (see `index_merge`).
            let virt = against.total;
            let layout = &layout;
            let run_keys = |part: usize| -> Result<Box<dyn KeyedSource<u128> + '_>> {
                let runs = merge_partition::<WideKeyDoc>(dir, part)?;
                Ok(Box::new(RunKeys::new(runs, move |r: WideKeyDoc| Keyed {
                    key: r.key,
                    node: virt + layout.ordinal(r.file, r.local),
                })))
            };
            let uf = cluster_run(
                &idx,
                dir,
                layout,
                KeysStep::Distinct(&run_keys),
                &|part, uf| union_against(&against, part, run_keys(part)?, uf),
            )?;
            let state =
                ClusterState::persist(dir, uf, layout, &self.labels, "exact_dedup", budget)?;
            mark_done(dir, "cluster", "")?;
            Ok(state)
        })??;
        if let Some(dest) = &self.cfg.save_index {
            publish_saved(dest)?;
        }
        self.state = state;
        self.against = AgainstState::load(dir)?;
        Ok(())
    }

    fn process(&self, doc: &mut Document, cx: &mut StageContext) -> Verdict {
        if let Some(v) = self.against.decide(doc, &self.labels, cx) {
            return v;
        }
        self.state.decide(doc, &self.labels, cx)
    }
}
