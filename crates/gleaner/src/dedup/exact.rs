//! Exact document dedup: documents whose normalized text hashes (xxh3-128, fixed seed) to the
//! same value are copies; the first in input order is kept and the others name it.
//!
//! Hashes are partitioned by their top bits so the merge and the unions run on every core; each
//! partition's runs are merged k-way and each run of equal hashes becomes edges
//! `(first, other)` in the union-find.

use std::path::Path;
use std::sync::Mutex;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_128_with_seed;

use super::cluster::{ClusterState, Labels, Layout};
use super::doctable::DocTableWriter;
use super::runfile::{PartitionedSpiller, WideKeyDoc, merge_partition};
use super::unionfind::UnionFind;
use super::{
    done_payload, mark_done, open_work_dir, scan_once, scanned_counts, simplify_text, spill_bytes,
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
}

impl Default for ExactDedupConfig {
    fn default() -> Self {
        ExactDedupConfig {
            normalize: ExactNormalization::Whitespace,
            max_listed_duplicates: 100,
        }
    }
}

/// The exact-dedup corpus stage (`type = "exact_dedup"`).
pub struct ExactDedup {
    cfg: ExactDedupConfig,
    state: ClusterState,
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
        open_work_dir(cx.work_dir, "exact_dedup", 2, files, &self.cfg)
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
            self.state = ClusterState::load(dir)?;
            return Ok(());
        }
        let state = super::with_threads(cx.threads, || -> Result<ClusterState> {
            let uf = UnionFind::new(layout.total as usize);
            let first_error = Mutex::new(None);
            (0..PARTITIONS).into_par_iter().for_each(|part| {
                let res = (|| -> Result<()> {
                    let mut merged = merge_partition::<WideKeyDoc>(dir, part)?;
                    let mut group: Option<(u128, u32)> = None;
                    while let Some(r) = merged.next_record()? {
                        let ord = layout.ordinal(r.file, r.local);
                        match group {
                            Some((key, first)) if key == r.key => uf.union(first, ord),
                            _ => group = Some((r.key, ord)),
                        }
                    }
                    Ok(())
                })();
                if let Err(e) = res {
                    first_error
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_or_insert(e);
                }
            });
            if let Some(e) = first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
                return Err(e);
            }
            let state =
                ClusterState::persist(dir, uf, &layout, &self.labels, "exact_dedup", budget)?;
            mark_done(dir, "cluster", "")?;
            Ok(state)
        })??;
        self.state = state;
        Ok(())
    }

    fn process(&self, doc: &mut Document, cx: &mut StageContext) -> Verdict {
        self.state.decide(doc, &self.labels, cx)
    }
}
