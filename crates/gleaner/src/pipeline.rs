//! A built pipeline: named stages in order, and the code that walks documents through them.
//!
//! This is the in-memory half of the engine: [`Pipeline::process_batch`] takes a batch of
//! documents and returns the kept ones, the removed ones with their reasons, and per-stage stats.
//! The [`executor`](crate::executor) wraps it with files, passes and resume; the Python bindings
//! and Ray workers call it directly on Arrow batches.

use std::ops::Range;
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::PipelineConfig;
use crate::document::{Document, RemovedDocument};
use crate::error::Result;
use crate::stage::{HeldMemory, StageContext, Verdict};
use crate::stages::token_count::TOKENS_FIELD;
use crate::stages::{BuiltStage, build_stage};
use crate::stats::StageStats;
use crate::tokens::Tokenizer;
use xxhash_rust::xxh3::xxh3_64;

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
    /// With a `token_count` stage: its index and tokenizer, for the token columns of every stage
    /// from it on.
    pub token_accounting: Option<(usize, Arc<Tokenizer>)>,
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

/// A document's token count as the `token_count` stage recorded it (0 before it ran).
fn doc_tokens(doc: &Document) -> u64 {
    doc.metadata
        .get(TOKENS_FIELD)
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0)
}

/// Documents per unit of parallel work inside a batch: small enough to balance two to dozens of
/// threads, large enough that per-chunk stats merging is noise.
const CHUNK: usize = 16;

impl Pipeline {
    /// Builds every stage named in the config.
    pub fn from_config(cfg: &PipelineConfig) -> Result<Self> {
        let mut stages = Vec::with_capacity(cfg.stages.len());
        let mut token_accounting = None;
        for (i, table) in cfg.stages.iter().enumerate() {
            let (name, stage) = build_stage(i, table, cfg.run.memory.0)?;
            if token_accounting.is_none() && stage.kind() == "token_count" {
                // Built again from its table: the stage itself loaded (and cached) the tokenizer.
                let mut params = table.clone();
                params.remove("type");
                params.remove("name");
                let tc: crate::stages::token_count::TokenCountConfig =
                    crate::stages::params("token_count", params)?;
                token_accounting = Some((i, crate::tokens::load(tc.spec())?));
            }
            stages.push(NamedStage { name, stage });
        }
        Ok(Pipeline {
            stages,
            token_accounting,
        })
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

    /// Bytes the stages hold for the whole run ([`Stage::held_memory`](crate::stage::Stage::held_memory)),
    /// each shared structure counted once.
    pub fn held_memory(&self) -> u64 {
        let mut held: Vec<HeldMemory> = self
            .stages
            .iter()
            .filter_map(|s| match &s.stage {
                BuiltStage::Document(stage) => stage.held_memory(),
                BuiltStage::Corpus(stage) => stage.held_memory(),
            })
            .collect();
        held.sort_unstable_by_key(|h| h.id);
        held.dedup_by_key(|h| h.id);
        held.iter().map(|h| h.bytes).sum()
    }

    /// What is left of the run's memory budget `run_memory` (`--memory`) once the stages' held
    /// memory is taken out: the budget corpus stages (dedup) and the token spill split among
    /// themselves. Every part of a run that sizes itself from `--memory` starts from this.
    pub fn spare_memory(&self, run_memory: u64) -> u64 {
        run_memory.saturating_sub(self.held_memory())
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
            // From the token_count stage on, each stage's tokens in and out; a stage after it
            // that rewrote the text has the document recounted.
            let tokens = match &self.token_accounting {
                Some((at, tokenizer)) if i >= *at => Some((
                    tokenizer,
                    (i > *at).then(|| (doc_tokens(&doc), xxh3_64(doc.text.as_bytes()))),
                )),
                _ => None,
            };
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
            if let Some((tokenizer, before)) = tokens {
                let tokens_in = match before {
                    Some((n, hash)) => {
                        if verdict == Verdict::Keep && hash != xxh3_64(doc.text.as_bytes()) {
                            let n = tokenizer.count(&doc.text);
                            doc.metadata.insert(TOKENS_FIELD.into(), n.into());
                        }
                        n
                    }
                    // The token_count stage itself: its count is both in and out.
                    None => doc_tokens(&doc),
                };
                st.tokens_in += tokens_in;
                match &verdict {
                    Verdict::Keep => st.tokens_out += doc_tokens(&doc),
                    Verdict::Drop(removal) => {
                        *st.tokens_removed_by_rule
                            .entry(removal.rule.clone())
                            .or_insert(0) += tokens_in;
                    }
                }
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
