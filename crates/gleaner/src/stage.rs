//! The stage traits: what a pipeline step may do to a document, and nothing about threads or files.
//!
//! A [`Stage`] sees one document at a time and returns a [`Verdict`]: keep it (perhaps after
//! rewriting its text, reporting each removed line through the [`StageContext`]) or drop it with a
//! [`Removal`]. Stages hold no mutable state, so the executor runs them on any thread, on batches,
//! and later inside Python or Ray workers.
//!
//! A [`CorpusStage`] needs the whole corpus before it can decide (exact dedup, repeated lines,
//! MinHash). The executor splits the run into passes around it: it first hands the stage every
//! surviving document through [`CorpusStage::scan`], one input file at a time (in any process),
//! then [`CorpusStage::finish`] builds its decision state, which may spill to disk within a memory
//! budget, and then it calls [`CorpusStage::process`] per document like any other stage.

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

    /// Memory the stage holds for the whole run (an index built from files, a model), which the run
    /// takes out of `--memory` before corpus stages get their budget
    /// ([`Pipeline::spare_memory`](crate::pipeline::Pipeline::spare_memory)).
    fn held_memory(&self) -> Option<HeldMemory> {
        None
    }
}

/// Memory one stage holds for the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldMemory {
    /// Identifies the structure held: stages that share one (several `decontaminate` stages over
    /// the same files) give the same `id`, so it is counted once.
    pub id: usize,
    /// Its size in bytes.
    pub bytes: u64,
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
///
/// Its preparation comes in three steps so that a run can spread the reading over processes
/// and machines: [`open`](Self::open) readies the work directory once, [`scan`](Self::scan)
/// reads one input file (in any process, any number at once, each file idempotently: a finished
/// scan is marked done in the work directory and skipped when asked again), and
/// [`finish`](Self::finish) merges what the scans left into the decision state — or loads the
/// state a finished run of it persisted, which is cheap, so every process that decides on
/// documents calls it. [`prepare`](Self::prepare) does all three in this process.
pub trait CorpusStage: Send + Sync {
    /// The stage type as written in a pipeline file.
    fn kind(&self) -> &'static str;

    /// Readies `cx.work_dir` for a corpus of `files` input files: work left by the same stage
    /// configuration over the same number of files is kept (a resumed run), anything else is
    /// cleared. Called once, before any scan.
    fn open(&self, cx: &PrepareContext<'_>, files: usize) -> Result<()>;

    /// Reads input file `file` of `input` into the work directory, unless a scan of it already
    /// finished there.
    fn scan(&self, cx: &PrepareContext<'_>, input: &dyn CorpusInput, file: usize) -> Result<()>;

    /// Builds the decision state from the scans of all `files` files (every one must have been
    /// scanned), or loads it when an earlier `finish` in any process completed it.
    fn finish(&mut self, cx: &PrepareContext<'_>, files: usize) -> Result<()>;

    /// Memory the stage holds for the whole run besides its prepare budget (a model), as
    /// [`Stage::held_memory`].
    fn held_memory(&self) -> Option<HeldMemory> {
        None
    }

    /// Reads the whole corpus once and builds the stage's decision state: [`open`](Self::open),
    /// every file's [`scan`](Self::scan) in parallel on `cx.threads` threads, then
    /// [`finish`](Self::finish).
    fn prepare(&mut self, cx: &PrepareContext<'_>, input: &dyn CorpusInput) -> Result<()> {
        use rayon::prelude::*;
        let files = input.file_count();
        self.open(cx, files)?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(cx.threads.max(1))
            .build()
            .map_err(|e| crate::error::Error::Stage {
                stage: self.kind().into(),
                message: format!("thread pool: {e}"),
            })?;
        let this = &*self;
        pool.install(|| {
            (0..files)
                .into_par_iter()
                .try_for_each(|file| this.scan(cx, input, file))
        })?;
        pool.install(|| self.finish(cx, files))
    }

    /// Decides on one document, after `prepare` (or `finish`).
    fn process(&self, doc: &mut Document, cx: &mut StageContext) -> Verdict;
}
