//! The executor: runs a [`Pipeline`] over input files into an output directory — in parallel,
//! deterministically, atomically and resumably.
//!
//! * **Units of work** are input files. Each file's documents keep their input order; its kept
//!   documents go to `kept/part-NNNNN-SSSS.*`, named after the file's index in the sorted input
//!   list, so output is byte-identical whatever the thread count.
//! * **Parallelism**: files run concurrently on a rayon pool, and within a file each batch of
//!   documents is spread over the same pool while the next batch is read and decompressed
//!   (`rayon::join`), so even one large file keeps every thread busy. With JSONL output a task
//!   takes each small chunk of a batch from raw record to encoded output line (`batch.rs` says
//!   why); Parquet output goes phase by phase ([`Pipeline::run_batch`]).
//! * **Passes**: a pipeline with corpus-wide stages (dedup) is split at each of them. Pass *p*
//!   writes its survivors to `.work/pass-p/`; right after, in the same step, the next corpus
//!   stage scans the file's survivors; once every file is through, the stage is finished (its
//!   clusters built), then pass *p+1* continues from them. Removed documents go straight to
//!   `removed/`.
//! * **Steps**: a run is a sequence of public, serialisable steps ([`RunPlan`]): plan, one file's
//!   pass, a corpus stage's finish, publish. `gleaner run` drives them on one machine
//!   ([`run`](fn@run)); the Python package's Ray runner drives the same steps on a cluster.
//! * **Resume**: when a file's pass is complete the executor writes a done marker with that file's
//!   stats. A killed run started again with the same command skips marked work; shards are only
//!   ever renamed into place complete, so a half-written shard is never taken for a finished one.
//!   `.work/` is removed once the run has finished. A marker of the first pass records the input
//!   file's content hash, and a resume redoes files whose content changed ([`resume`]).
//! * **Guarding the output**: a run holds a lock on its output directory ([`lock`]), so two runs
//!   never write into one directory at once.
//!
//! Modules: `plan.rs` holds the steps, [`run`](fn@run) drives a whole run (`run.rs`), `passes.rs` cuts the pipeline into
//! passes and runs one file through one, `batch.rs` one batch of one file, `carried.rs` the
//! intermediates between passes, `output_dir.rs` prepares the output directory, and [`layout`]
//! names every file and directory a run writes.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::stats::RunStats;

mod batch;
mod carried;
pub mod layout;
pub mod lock;
mod output_dir;
mod passes;
mod plan;
pub mod resume;
mod run;

pub use passes::pass_ranges;
pub use plan::{FileOutcome, PlannedFile, RunOverrides, RunPlan, RunTiming, run_threads};
pub use run::run;

/// Bytes of text gathered into one batch at most, whatever the document count, so a run of huge
/// documents does not hold gigabytes at once.
const MAX_BATCH_BYTES: usize = 64 << 20;

/// Options that are not part of the pipeline file.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Worker threads; 0 takes `[run] threads`, and if that is 0 too, one per core.
    pub threads: usize,
    /// Delete a previous run's output in the output directory instead of refusing to start.
    pub overwrite: bool,
}

/// Live counters for a progress display, updated by the workers.
#[derive(Debug, Default)]
pub struct Progress {
    /// What the run is doing now (e.g. `pass 1/2`).
    pub phase: Mutex<String>,
    /// Bytes the current phase will read, when known.
    pub bytes_total: AtomicU64,
    /// Bytes read so far in the current phase.
    pub bytes_done: AtomicU64,
    /// Documents processed so far in the current phase.
    pub docs_done: AtomicU64,
}

impl Progress {
    fn start_phase(&self, name: String, total: u64) {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner()) = name;
        self.bytes_total.store(total, Ordering::Relaxed);
        self.bytes_done.store(0, Ordering::Relaxed);
        self.docs_done.store(0, Ordering::Relaxed);
    }
}

/// Timing and provenance of a run, written to `run.json`. Unlike `stats.json` it holds wall
/// times, so it differs between runs of the same input; everything else in the output does not.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunInfo {
    /// gleaner version.
    pub version: String,
    /// Wall time of the whole run, seconds.
    pub elapsed_secs: f64,
    /// Worker threads used.
    pub threads: usize,
    /// Input files.
    pub inputs: Vec<InputInfo>,
    /// The effective pipeline, as TOML.
    pub config_toml: String,
    /// Each pass and preparation phase.
    pub passes: Vec<PassInfo>,
    /// Input files whose work was found done and skipped (resume).
    pub resumed_files: u64,
    /// Identifies the pipeline and input; a finished run with the same fingerprint may be
    /// replaced without `--overwrite`, since it would produce the same output.
    #[serde(default)]
    pub fingerprint: String,
    /// Things the user should know that are not errors, one line each: input paths skipped as
    /// gleaner output directories, inputs redone on resume because their content changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<String>,
}

/// One input file in [`RunInfo`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InputInfo {
    /// Path.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
}

/// One phase in [`RunInfo`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PassInfo {
    /// e.g. `pass 1/2 (normalize..length_filter)` or `prepare minhash_dedup`.
    pub name: String,
    /// Stages it ran.
    pub stages: Vec<String>,
    /// Wall time, seconds.
    pub elapsed_secs: f64,
    /// Documents it read.
    pub docs: u64,
    /// Bytes it read (as stored).
    pub bytes: u64,
}

/// What [`run`] returns.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// The run's statistics (also in `stats.json`).
    pub stats: RunStats,
    /// Timings (also in `run.json`).
    pub info: RunInfo,
    /// The output directory.
    pub out_dir: PathBuf,
}
