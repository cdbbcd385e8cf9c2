//! The stage traits: what a pipeline step may do to a document, and nothing about threads or files.
//!
//! A [`Stage`] sees one document at a time and returns a [`Verdict`]: keep it (perhaps after
//! rewriting its text, reporting each removed line through the [`StageContext`]) or drop it with a
//! [`Removal`]. Stages hold no mutable state, so the executor runs them on any thread, on batches,
//! and later inside Python or Ray workers.
//!
//! A [`CorpusStage`] needs the whole corpus before it can decide (exact dedup, repeated lines,
//! MinHash). The executor splits the run into passes around it: it first hands the stage every
//! surviving document through [`CorpusStage::prepare`], which may spill state to disk within a
//! memory budget, and then calls [`CorpusStage::process`] per document like any other stage.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::document::{Document, LineEdit, Removal};
use crate::error::Result;

/// The outcome of a stage on one document.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The document goes on to the next stage (possibly rewritten).
    Keep,
    /// The document leaves the pipeline, for this reason.
    Drop(Removal),
}

/// What a stage reports while it processes one document: removed lines and named counters.
/// The executor stamps the stage name on each line edit and sums counters into the run stats.
#[derive(Debug, Default)]
pub struct StageContext {
    pub(crate) edits: Vec<LineEdit>,
    pub(crate) counters: BTreeMap<String, u64>,
}

impl StageContext {
    /// A fresh context (stages under test can inspect it afterwards).
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that line `line` (zero-based, in the text the stage received) was removed by `rule`.
    pub fn remove_line(
        &mut self,
        line: usize,
        text: &str,
        rule: &str,
        value: impl Into<Value>,
        threshold: impl Into<Value>,
    ) {
        self.edits.push(LineEdit {
            stage: String::new(),
            rule: rule.to_string(),
            line,
            text: text.to_string(),
            value: value.into(),
            threshold: threshold.into(),
        });
    }

    /// Adds `n` to the counter `name` (e.g. how many characters a normalizer changed).
    pub fn count(&mut self, name: &str, n: u64) {
        if n > 0 {
            *self.counters.entry(name.to_string()).or_insert(0) += n;
        }
    }

    /// Lines removed so far.
    pub fn edits(&self) -> &[LineEdit] {
        &self.edits
    }

    /// Counters so far.
    pub fn counters(&self) -> &BTreeMap<String, u64> {
        &self.counters
    }
}

/// A per-document pipeline step.
pub trait Stage: Send + Sync {
    /// The stage type as written in a pipeline file (`type = "..."`).
    fn kind(&self) -> &'static str;

    /// Decides on one document, rewriting it in place if the stage rewrites.
    fn process(&self, doc: &mut Document, cx: &mut StageContext) -> Verdict;
}

/// Where a corpus stage's prepare pass gets its documents and scratch space from.
pub trait CorpusInput: Sync {
    /// Number of input files (units of parallel work).
    fn file_count(&self) -> usize;
    /// Calls `f` on every document of file `index`, in input order. Files may be visited from
    /// several threads at once, each file by one thread.
    fn for_each_in_file(&self, index: usize, f: &mut dyn FnMut(&Document)) -> Result<()>;
}

/// Resources the executor grants a corpus stage for its prepare pass.
pub struct PrepareContext<'a> {
    /// A directory that belongs to this stage alone for the duration of the run.
    pub work_dir: &'a Path,
    /// Upper bound, in bytes, for the memory this stage may hold at once.
    pub memory_budget: u64,
    /// Number of worker threads the run uses.
    pub threads: usize,
}

/// A step that must see every document before deciding on any (dedup, repeated lines).
pub trait CorpusStage: Send + Sync {
    /// The stage type as written in a pipeline file.
    fn kind(&self) -> &'static str;

    /// Reads the whole corpus once and builds the stage's decision state.
    fn prepare(&mut self, cx: &PrepareContext<'_>, input: &dyn CorpusInput) -> Result<()>;

    /// Decides on one document, after `prepare`.
    fn process(&self, doc: &mut Document, cx: &mut StageContext) -> Verdict;
}
