//! A built pipeline: named stages in order, and the code that walks documents through them.
//!
//! This is the in-memory half of the engine: [`Pipeline::process_batch`] takes a batch of
//! documents and returns the kept ones, the removed ones with their reasons, and per-stage stats.
//! The [`executor`](crate::executor) wraps it with files, passes and resume; the Python bindings
//! and Ray workers call it directly on Arrow batches.

use std::ops::Range;

use rayon::prelude::*;

use crate::config::PipelineConfig;
use crate::document::{Document, RemovedDocument};
use crate::error::Result;
use crate::stage::{StageContext, Verdict};
use crate::stages::{BuiltStage, build_stage};
use crate::stats::StageStats;

/// A stage with the name the pipeline gives it.
pub struct NamedStage {
    /// Instance name (`name = ...` in the file, else its type).
    pub name: String,
    /// The stage.
    pub stage: BuiltStage,
}

/// Stages in pipeline order.
pub struct Pipeline {
    /// The stages.
    pub stages: Vec<NamedStage>,
}

/// What happened to one document.
#[derive(Debug)]
pub enum DocOutcome {
    /// Survived every stage in the range.
    Kept(Document),
    /// Dropped by a stage.
    Removed(RemovedDocument),
}

/// The result of [`Pipeline::process_batch`]: kept and removed documents in input order, and
/// per-stage stats for the batch.
#[derive(Debug, Default)]
pub struct BatchResult {
    /// Kept documents, rewritten by the stages.
    pub kept: Vec<Document>,
    /// Removed documents with their reasons.
    pub removed: Vec<RemovedDocument>,
    /// One entry per stage.
    pub stats: Vec<StageStats>,
}

/// Documents per unit of parallel work inside a batch: small enough to balance two to dozens of
/// threads, large enough that per-chunk stats merging is noise.
const CHUNK: usize = 16;

impl Pipeline {
    /// Builds every stage named in the config.
    pub fn from_config(cfg: &PipelineConfig) -> Result<Self> {
        let mut stages = Vec::with_capacity(cfg.stages.len());
        for (i, table) in cfg.stages.iter().enumerate() {
            let (name, stage) = build_stage(i, table)?;
            stages.push(NamedStage { name, stage });
        }
        Ok(Pipeline { stages })
    }

    /// Empty stats, one per stage, with names filled in.
    pub fn empty_stats(&self) -> Vec<StageStats> {
        self.stages
            .iter()
            .map(|s| StageStats {
                name: s.name.clone(),
                kind: s.stage.kind().to_string(),
                ..Default::default()
            })
            .collect()
    }

    /// Indices of the corpus-wide stages.
    pub fn corpus_stage_indices(&self) -> Vec<usize> {
        self.stages
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s.stage, BuiltStage::Corpus(_)))
            .map(|(i, _)| i)
            .collect()
    }

    /// Runs stages `range` on one document, updating `stats` (indexed like `self.stages`).
    pub fn run_document(
        &self,
        range: Range<usize>,
        mut doc: Document,
        stats: &mut [StageStats],
    ) -> DocOutcome {
        for i in range {
            let named = &self.stages[i];
            let st = &mut stats[i];
            st.docs_in += 1;
            st.bytes_in += doc.text.len() as u64;
            let mut cx = StageContext::new();
            let verdict = match &named.stage {
                BuiltStage::Document(s) => s.process(&mut doc, &mut cx),
                BuiltStage::Corpus(s) => s.process(&mut doc, &mut cx),
            };
            for (k, v) in cx.counters {
                *st.counters.entry(k).or_insert(0) += v;
            }
            for mut e in cx.edits {
                *st.lines_removed_by_rule.entry(e.rule.clone()).or_insert(0) += 1;
                e.stage = named.name.clone();
                doc.edits.push(e);
            }
            match verdict {
                Verdict::Keep => {
                    st.docs_out += 1;
                    st.bytes_out += doc.text.len() as u64;
                }
                Verdict::Drop(removal) => {
                    *st.removed_by_rule.entry(removal.rule.clone()).or_insert(0) += 1;
                    return DocOutcome::Removed(RemovedDocument {
                        reason: removal.into_reason(&named.name),
                        document: doc,
                    });
                }
            }
        }
        DocOutcome::Kept(doc)
    }

    /// Runs stages `range` on a batch in parallel (on the current rayon pool), returning outcomes
    /// in input order and the batch's stats.
    pub fn run_batch(
        &self,
        range: Range<usize>,
        docs: Vec<Document>,
    ) -> (Vec<DocOutcome>, Vec<StageStats>) {
        // Moved out front to back: splitting the tail off each time would copy it every chunk.
        let mut chunks: Vec<Vec<Document>> = Vec::with_capacity(docs.len() / CHUNK + 1);
        let mut docs = docs.into_iter();
        while docs.len() > 0 {
            chunks.push(docs.by_ref().take(CHUNK).collect());
        }
        let results: Vec<(Vec<DocOutcome>, Vec<StageStats>)> = chunks
            .into_par_iter()
            .map(|chunk| {
                let mut stats = self.empty_stats();
                let outcomes = chunk
                    .into_iter()
                    .map(|d| self.run_document(range.clone(), d, &mut stats))
                    .collect();
                (outcomes, stats)
            })
            .collect();
        let mut stats = self.empty_stats();
        let mut outcomes = Vec::new();
        for (o, s) in results {
            outcomes.extend(o);
            for (a, b) in stats.iter_mut().zip(&s) {
                a.merge(b);
            }
        }
        (outcomes, stats)
    }

    /// Runs every stage on a batch of documents. Corpus-wide stages must have been prepared.
    pub fn process_batch(&self, docs: Vec<Document>) -> BatchResult {
        let (outcomes, stats) = self.run_batch(0..self.stages.len(), docs);
        let mut out = BatchResult {
            stats,
            ..Default::default()
        };
        for o in outcomes {
            match o {
                DocOutcome::Kept(d) => out.kept.push(d),
                DocOutcome::Removed(r) => out.removed.push(r),
            }
        }
        out
    }
}
