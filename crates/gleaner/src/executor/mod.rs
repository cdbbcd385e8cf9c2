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
//!   writes its survivors to `.work/pass-p/`; the next corpus stage's `prepare` reads them all,
//!   then pass *p+1* continues from them. Removed documents go straight to `removed/`.
//! * **Resume**: when a file's pass is complete the executor writes a done marker with that file's
//!   stats. A killed run started again with the same command skips marked work; shards are only
//!   ever renamed into place complete, so a half-written shard is never taken for a finished one.
//!   `.work/` is removed once the run has finished.

use std::fs;
use std::io::BufRead;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::PipelineConfig;
use crate::document::Document;
use crate::error::{Error, IoContext, Result};
use crate::io::compress::open_decompressed;
use crate::io::{self, InputFile, RawRecord, RawStream, Reject, ShardWriter, ShardWriterOptions};
use crate::pipeline::Pipeline;
use crate::stage::{CorpusInput, PrepareContext};
use crate::stages::BuiltStage;
use crate::stats::RunStats;

mod batch;
use batch::{FileOutputs, read_batch};

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

#[derive(Serialize, Deserialize, PartialEq)]
struct RunState {
    fingerprint: String,
    version: String,
}

/// Files and directories a run writes in its output directory; `--overwrite` removes exactly
/// these and nothing else the user may keep there.
const OUTPUT_ENTRIES: &[&str] = &[
    "kept",
    "removed",
    "audit",
    ".work",
    "stats.json",
    "run.json",
    "rejects.jsonl",
    "pipeline.toml",
    "report.html",
    "syndication.jsonl",
];

/// Runs the pipeline described by `cfg` (input and output must be set) to completion.
pub fn run(cfg: &PipelineConfig, opts: &RunOptions, progress: Arc<Progress>) -> Result<RunSummary> {
    let started = Instant::now();
    let out_dir = cfg.output.dir.clone().ok_or_else(|| {
        Error::Config("no output directory (give --output or [output] dir)".into())
    })?;
    let inputs = io::expand_inputs(&cfg.input.paths)?;
    let mut pipeline = Pipeline::from_config(cfg)?;
    let threads = match (opts.threads, cfg.run.threads) {
        (0, 0) => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        (0, t) | (t, _) => t,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("gleaner-{i}"))
        .build()
        .map_err(|e| Error::Config(format!("cannot start {threads} threads: {e}")))?;

    let work = out_dir.join(".work");
    let fingerprint = fingerprint(cfg, &inputs);
    prepare_output_dir(&out_dir, &work, &fingerprint, opts.overwrite)?;

    let ctx = RunContext {
        cfg,
        out_dir: out_dir.clone(),
        work: work.clone(),
        progress,
    };
    let corpus = pipeline.corpus_stage_indices();
    let mut bounds = vec![0];
    bounds.extend(&corpus);
    bounds.push(pipeline.stages.len());
    bounds.dedup();
    // A corpus stage in first place still needs a pass before it (reading and carrying the input)
    // so that its prepare runs and sees the documents: give it an empty pass 0.
    if corpus.first() == Some(&0) {
        bounds.insert(0, 0);
    }
    let ranges: Vec<Range<usize>> = bounds.windows(2).map(|w| w[0]..w[1]).collect();
    let ranges = if ranges.is_empty() {
        // A pipeline without stages still copies input to output in one pass.
        std::iter::once(0..0).collect()
    } else {
        ranges
    };
    let npasses = ranges.len();

    let mut total = RunStats {
        stages: pipeline.empty_stats(),
        ..Default::default()
    };
    let mut info = RunInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        threads,
        inputs: inputs
            .iter()
            .map(|f| InputInfo {
                path: f.path.display().to_string(),
                size: f.size,
            })
            .collect(),
        config_toml: cfg.to_toml(),
        fingerprint: fingerprint.clone(),
        ..Default::default()
    };
    let resumed = AtomicU64::new(0);
    for (pass, range) in ranges.iter().enumerate() {
        if pass > 0 {
            let idx = range.start;
            let t = Instant::now();
            let name = pipeline.stages[idx].name.clone();
            ctx.progress.start_phase(format!("prepare {name}"), 0);
            let input = CarriedInput {
                dir: work.join(format!("pass-{}", pass - 1)),
                files: &inputs,
                progress: &ctx.progress,
            };
            let stage_dir = work.join(format!("stage-{idx}-{name}"));
            fs::create_dir_all(&stage_dir).with_path(&stage_dir)?;
            let pcx = PrepareContext {
                work_dir: &stage_dir,
                memory_budget: cfg.run.memory.0,
                threads,
            };
            if let BuiltStage::Corpus(stage) = &mut pipeline.stages[idx].stage {
                pool.install(|| stage.prepare(&pcx, &input))?;
            }
            info.passes.push(PassInfo {
                name: format!("prepare {name}"),
                stages: vec![name],
                elapsed_secs: t.elapsed().as_secs_f64(),
                docs: ctx.progress.docs_done.load(Ordering::Relaxed),
                bytes: ctx.progress.bytes_done.load(Ordering::Relaxed),
            });
        }
        let t = Instant::now();
        let stage_names: Vec<String> = pipeline.stages[range.clone()]
            .iter()
            .map(|s| s.name.clone())
            .collect();
        let label = format!("pass {}/{}", pass + 1, npasses);
        let pass_bytes = if pass == 0 {
            inputs.iter().map(|f| f.size).sum()
        } else {
            inputs
                .iter()
                .map(|f| {
                    fs::metadata(carried_path(&work, pass - 1, f.index))
                        .map(|m| m.len())
                        .unwrap_or(0)
                })
                .sum()
        };
        ctx.progress.start_phase(label.clone(), pass_bytes);
        let plan = PassPlan {
            pass,
            npasses,
            range: range.clone(),
        };
        let pipeline_ref = &pipeline;
        let per_file: Vec<Result<RunStats>> = pool.install(|| {
            inputs
                .par_iter()
                .map(|f| ctx.process_file(pipeline_ref, &plan, f, &resumed))
                .collect()
        });
        for r in per_file {
            total.merge(&r?);
        }
        info.passes.push(PassInfo {
            name: label,
            stages: stage_names,
            elapsed_secs: t.elapsed().as_secs_f64(),
            docs: ctx.progress.docs_done.load(Ordering::Relaxed),
            bytes: ctx.progress.bytes_done.load(Ordering::Relaxed),
        });
    }

    // Final files: rejects in input order, stats, the effective pipeline, timings.
    let mut rejects = Vec::new();
    for f in &inputs {
        if let Ok(bytes) = fs::read(rejects_path(&work, f.index)) {
            rejects.extend_from_slice(&bytes);
        }
    }
    io::write_atomic(&out_dir.join("rejects.jsonl"), &rejects)?;
    let mut stats_json = serde_json::to_vec_pretty(&total).expect("stats serialise");
    stats_json.push(b'\n');
    io::write_atomic(&out_dir.join("stats.json"), &stats_json)?;
    // The output directory is left out: it is wherever this file is, and leaving it out keeps
    // two runs of the same pipeline into different directories byte-identical.
    let mut recorded = cfg.clone();
    recorded.output.dir = None;
    io::write_atomic(
        &out_dir.join("pipeline.toml"),
        recorded.to_toml().as_bytes(),
    )?;
    info.resumed_files = resumed.load(Ordering::Relaxed);
    info.elapsed_secs = started.elapsed().as_secs_f64();
    let mut info_json = serde_json::to_vec_pretty(&info).expect("run info serialises");
    info_json.push(b'\n');
    io::write_atomic(&out_dir.join("run.json"), &info_json)?;
    // Dedup stages leave their syndication maps in their work directories; the run publishes
    // them, in pipeline order, as one file (each line names its stage).
    // Streamed, not read whole: a map of millions of copies is hundreds of megabytes.
    let maps: Vec<PathBuf> = pipeline
        .corpus_stage_indices()
        .into_iter()
        .map(|idx| {
            let dir = work.join(format!("stage-{idx}-{}", pipeline.stages[idx].name));
            crate::dedup::syndication_path(&dir)
        })
        .filter(|p| fs::metadata(p).is_ok_and(|m| m.len() > 0))
        .collect();
    if !maps.is_empty() {
        let dest = out_dir.join("syndication.jsonl");
        let mut out = io::AtomicFile::create(&dest)?;
        for map in &maps {
            let mut f = fs::File::open(map).with_path(map)?;
            std::io::copy(&mut f, &mut out).with_path(&dest)?;
        }
        out.commit()?;
    }
    fs::remove_dir_all(&work).with_path(&work)?;
    // Last, from the finished files alone, so it can be rebuilt for any past run the same way.
    if cfg.output.report {
        crate::report::write_report(&out_dir)?;
    }
    Ok(RunSummary {
        stats: total,
        info,
        out_dir,
    })
}

/// Identifies a run: the pipeline (minus resource settings, which must not change results) and the
/// input files with their sizes. A resumed run must match it.
fn fingerprint(cfg: &PipelineConfig, inputs: &[InputFile]) -> String {
    let mut c = cfg.clone();
    // [run] holds resources (threads, memory, batch size), which never change the output.
    c.run = Default::default();
    let mut text = c.to_toml();
    for f in inputs {
        text.push_str(&format!("\n{}\t{}", f.path.display(), f.size));
    }
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

fn prepare_output_dir(out: &Path, work: &Path, fingerprint: &str, overwrite: bool) -> Result<()> {
    let state_path = work.join("state.json");
    let state = RunState {
        fingerprint: fingerprint.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let existing: Option<RunState> = fs::read(&state_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let has_output = OUTPUT_ENTRIES.iter().any(|e| out.join(e).exists());
    let finished: Option<RunInfo> = fs::read(out.join("run.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let same_finished_run =
        existing.is_none() && finished.is_some_and(|f| f.fingerprint == fingerprint);
    if overwrite || same_finished_run {
        for e in OUTPUT_ENTRIES {
            let p = out.join(e);
            if p.is_dir() {
                fs::remove_dir_all(&p).with_path(&p)?;
            } else if p.exists() {
                fs::remove_file(&p).with_path(&p)?;
            }
        }
    } else if let Some(prev) = &existing {
        if prev != &state {
            return Err(Error::Output(format!(
                "{} holds an unfinished run of a different pipeline or input; \
                 run the same command to resume it, or pass --overwrite to start over",
                out.display()
            )));
        }
    } else if has_output {
        return Err(Error::Output(format!(
            "{} already holds a finished run; pass --overwrite to replace it or choose another --output",
            out.display()
        )));
    }
    fs::create_dir_all(work).with_path(work)?;
    if existing.as_ref() != Some(&state) || overwrite {
        let json = serde_json::to_vec(&state).expect("state serialises");
        io::write_atomic(&state_path, &json)?;
    }
    for dir in ["kept", "removed", "audit"] {
        remove_temp_files(&out.join(dir));
    }
    Ok(())
}

/// Deletes `.NAME.tmp` leftovers of a killed run (they are never read, but waste space).
fn remove_temp_files(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.ends_with(".tmp") {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

fn carried_dir(work: &Path, pass: usize) -> PathBuf {
    work.join(format!("pass-{pass}"))
}

fn carried_prefix(file: usize) -> String {
    format!("f{file:05}")
}

/// The one shard a pass writes per input file (see [`ShardWriterOptions::carried`]); absent when
/// no document of the file survived the pass.
fn carried_path(work: &Path, pass: usize, file: usize) -> PathBuf {
    carried_dir(work, pass).join(format!("{}-0000.jsonl.zst", carried_prefix(file)))
}

fn marker_path(work: &Path, pass: usize, file: usize) -> PathBuf {
    work.join(format!("pass-{pass}"))
        .join(format!("done-{file:05}.json"))
}

fn rejects_path(work: &Path, file: usize) -> PathBuf {
    work.join("rejects").join(format!("{file:05}.jsonl"))
}

struct RunContext<'a> {
    cfg: &'a PipelineConfig,
    out_dir: PathBuf,
    work: PathBuf,
    progress: Arc<Progress>,
}

struct PassPlan {
    pass: usize,
    npasses: usize,
    range: Range<usize>,
}

impl RunContext<'_> {
    fn process_file(
        &self,
        pipeline: &Pipeline,
        plan: &PassPlan,
        file: &InputFile,
        resumed: &AtomicU64,
    ) -> Result<RunStats> {
        let marker = marker_path(&self.work, plan.pass, file.index);
        if let Ok(bytes) = fs::read(&marker)
            && let Ok(stats) = serde_json::from_slice::<RunStats>(&bytes)
        {
            if plan.pass == 0 {
                resumed.fetch_add(1, Ordering::Relaxed);
            }
            let size = if plan.pass == 0 {
                file.size
            } else {
                fs::metadata(carried_path(&self.work, plan.pass - 1, file.index))
                    .map(|m| m.len())
                    .unwrap_or(0)
            };
            self.progress.bytes_done.fetch_add(size, Ordering::Relaxed);
            return Ok(stats);
        }
        let cfg = self.cfg;
        let last = plan.pass + 1 == plan.npasses;
        let mut stats = RunStats {
            stages: pipeline.empty_stats(),
            ..Default::default()
        };
        let counter = Arc::new(AtomicU64::new(0));
        let read_counters = Arc::new(io::ReadCounters::default());
        let mut records: RawStream = if plan.pass == 0 {
            stats.input.files = 1;
            stats.input.file_bytes = file.size;
            io::open_raw(file, &cfg.input, counter.clone(), read_counters.clone())
        } else {
            Box::new(
                open_carried(
                    &carried_path(&self.work, plan.pass - 1, file.index),
                    counter.clone(),
                )
                .map(RawRecord::Ready),
            )
        };
        let out_opts = ShardWriterOptions::from_output(&cfg.output);
        let prefix = format!("part-{:05}", file.index);
        let kept = if last {
            ShardWriter::new(&self.out_dir.join("kept"), &prefix, out_opts)
        } else {
            ShardWriter::new(
                &carried_dir(&self.work, plan.pass),
                &carried_prefix(file.index),
                ShardWriterOptions::carried(),
            )
        };
        let removed_prefix = if plan.npasses > 1 {
            format!("{prefix}-p{}", plan.pass)
        } else {
            prefix.clone()
        };
        let removed = cfg
            .output
            .write_removed
            .then(|| ShardWriter::new(&self.out_dir.join("removed"), &removed_prefix, out_opts));
        let audit = last.then(|| {
            ShardWriter::new(
                &self.out_dir.join("audit"),
                &prefix,
                ShardWriterOptions::jsonl_zst(),
            )
        });

        let mut out = FileOutputs {
            stats,
            kept,
            removed,
            audit,
            rejects: None,
            spare: Default::default(),
        };
        // Reading (and decompressing) the next batch overlaps processing the current one: with
        // two or more threads one file keeps them all busy; with one thread `join` simply runs
        // the two halves in turn. Batches are still read and written strictly in order.
        let mut last_count = 0u64;
        let mut read_next = |records: &mut RawStream| {
            let batch = read_batch(records, cfg.run.batch_size);
            let now = counter.load(Ordering::Relaxed);
            self.progress
                .bytes_done
                .fetch_add(now - last_count, Ordering::Relaxed);
            last_count = now;
            batch
        };
        let (mut raw, mut eof) = read_next(&mut records);
        loop {
            if eof {
                self.process_batch(pipeline, plan, file, raw, &mut out)?;
                break;
            }
            let (next, done) = rayon::join(
                || read_next(&mut records),
                || self.process_batch(pipeline, plan, file, raw, &mut out),
            );
            done?;
            (raw, eof) = next;
        }
        let FileOutputs {
            mut stats,
            kept,
            removed,
            audit,
            rejects,
            ..
        } = out;
        stats.input.skipped_by_kind = read_counters.snapshot();
        // Readers also count the records they turned into documents; those are in `docs`.
        stats.input.skipped_by_kind.remove("documents");
        let kept_shards = kept.finish()?.len() as u64;
        if last {
            stats.output.kept_shards += kept_shards;
        }
        if let Some(w) = removed {
            w.finish()?;
        }
        if let Some(w) = audit {
            w.finish()?;
        }
        if let Some(f) = rejects {
            f.commit()?;
        }
        let json = serde_json::to_vec(&stats).expect("stats serialise");
        io::write_atomic(&marker, &json)?;
        Ok(stats)
    }
}

/// Reads a carried file back (a missing file means no document survived the pass).
fn open_carried(path: &Path, counter: Arc<AtomicU64>) -> io::RecordStream {
    if !path.exists() {
        return Box::new(std::iter::empty());
    }
    let reader = match open_decompressed(path, counter) {
        Ok(r) => r,
        Err(e) => return Box::new(std::iter::once(Err(Reject::new(path, "io", e.to_string())))),
    };
    let path = path.to_path_buf();
    Box::new(reader.split(b'\n').map(move |line| {
        let line = line
            .map_err(|e| Reject::new(&path, "io", format!("intermediate file unreadable: {e}")))?;
        io::decode_carried(&line)
            .map_err(|e| Reject::new(&path, "io", format!("intermediate file is corrupt: {e}")))
    }))
}

/// The previous pass's carried files, as a corpus stage's prepare input.
struct CarriedInput<'a> {
    dir: PathBuf,
    files: &'a [InputFile],
    progress: &'a Progress,
}

impl CorpusInput for CarriedInput<'_> {
    fn file_count(&self) -> usize {
        self.files.len()
    }

    fn for_each_in_file(&self, index: usize, f: &mut dyn FnMut(&Document)) -> Result<()> {
        let name = format!("{}-0000.jsonl.zst", carried_prefix(self.files[index].index));
        let path = self.dir.join(name);
        for item in open_carried(&path, Arc::new(AtomicU64::new(0))) {
            match item {
                Ok(doc) => {
                    self.progress.docs_done.fetch_add(1, Ordering::Relaxed);
                    f(&doc)
                }
                Err(r) => return Err(Error::Input(r.to_string())),
            }
        }
        Ok(())
    }
}
