//! One whole run: expand the input, prepare (and lock) the output directory, run the passes with
//! each corpus stage's prepare between them, then publish the final files.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use super::batch::TokenOutput;
use super::carried::CarriedInput;
use super::layout::{self, WorkLayout};
use super::output_dir::{drop_stale_work, prepare_output_dir, run_fingerprint};
use super::passes::{PassPlan, RunContext, pass_ranges};
use super::{InputInfo, PassInfo, Progress, RunInfo, RunOptions, RunSummary};
use crate::config::{OutputFormat, PipelineConfig};
use crate::error::{Error, IoContext, Result};
use crate::io::{self, InputFile};
use crate::pipeline::Pipeline;
use crate::stage::PrepareContext;
use crate::stages::BuiltStage;
use crate::stats::RunStats;

/// Runs the pipeline described by `cfg` (input and output must be set) to completion.
pub fn run(cfg: &PipelineConfig, opts: &RunOptions, progress: Arc<Progress>) -> Result<RunSummary> {
    let started = Instant::now();
    let out_dir = cfg.output.dir.clone().ok_or_else(|| {
        Error::Config("no output directory (give --output or [output] dir)".into())
    })?;
    let expanded = io::inputs::expand(&cfg.input.paths, &[out_dir.as_path()])?;
    let inputs = expanded.files;
    let mut notices = expanded.notices;
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

    // Before the output directory is touched: a tokenizer that does not load or lacks the special
    // tokens named is a config error.
    let tokens = match cfg.output.format {
        OutputFormat::Tokens => Some(TokenOutput::new(&cfg.output.tokens)?),
        _ => None,
    };
    let ranges = pass_ranges(&pipeline);
    let npasses = ranges.len();
    let fingerprint = run_fingerprint(cfg, &inputs);
    // Held to the end of the run: no other run writes here meanwhile.
    let prepared = prepare_output_dir(&out_dir, &fingerprint, opts.overwrite)?;
    if prepared.resuming {
        notices.extend(pool.install(|| drop_stale_work(&out_dir, &fingerprint, &inputs, npasses))?);
    }
    let work = WorkLayout::new(&out_dir);
    let ctx = RunContext {
        cfg,
        out_dir: out_dir.clone(),
        work: work.clone(),
        progress,
        tokens,
    };

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
        fingerprint,
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
                work: &work,
                pass: pass - 1,
                files: &inputs,
                progress: &ctx.progress,
            };
            let stage_dir = work.stage_dir(idx, &name);
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
        let pass_bytes = inputs.iter().map(|f| ctx.pass_input_bytes(pass, f)).sum();
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

    if let Some(t) = &ctx.tokens {
        let started = Instant::now();
        ctx.progress.start_phase("merge token shards".into(), 0);
        let (shards, docs) = write_token_shards(cfg, t, &work, &inputs, &out_dir)?;
        total.output.kept_shards = shards;
        info.passes.push(PassInfo {
            name: "merge token shards".into(),
            stages: Vec::new(),
            elapsed_secs: started.elapsed().as_secs_f64(),
            docs,
            bytes: 0,
        });
    }

    info.resumed_files = resumed.load(Ordering::Relaxed);
    info.notices = notices;
    publish(
        cfg, &pipeline, &inputs, &out_dir, &total, &mut info, started,
    )?;
    drop(prepared.lock);
    Ok(RunSummary {
        stats: total,
        info,
        out_dir,
    })
}

/// Merges every input file's sorted token runs into the token shards under `kept/`, in shuffle
/// key order; returns the shards and documents written. Rerun whole by a resumed run.
fn write_token_shards(
    cfg: &PipelineConfig,
    t: &TokenOutput,
    work: &WorkLayout,
    inputs: &[InputFile],
    out_dir: &Path,
) -> Result<(u64, u64)> {
    use crate::tokens::megatron::{IdType, MegatronWriter, ShardLimits};
    let dir = work.token_runs_dir();
    let mut runs = Vec::new();
    for f in inputs {
        runs.extend(crate::tokens::shuffle::runs_of(
            &dir,
            &WorkLayout::token_runs_prefix(f.index),
        )?);
    }
    let id_type = IdType::for_vocab(t.encoder.tokenizer.vocab_size());
    let limits = ShardLimits {
        max_bytes: cfg.output.max_bytes_per_shard.0.max(1),
        max_docs: cfg.output.max_docs_per_shard.max(1),
    };
    let mut writer = MegatronWriter::new(&out_dir.join(layout::KEPT_DIR), id_type, limits);
    let mut docs = 0u64;
    crate::tokens::shuffle::merge_runs(runs, &dir.join("merge"), &mut |d| {
        docs += 1;
        writer.push(&d.id, &d.ids)
    })?;
    Ok((writer.finish()?.len() as u64, docs))
}

/// Writes the final files from the work directory — rejects in input order, stats, the effective
/// pipeline, timings, the syndication map — then removes the work directory and writes the
/// report.
fn publish(
    cfg: &PipelineConfig,
    pipeline: &Pipeline,
    inputs: &[InputFile],
    out_dir: &Path,
    total: &RunStats,
    info: &mut RunInfo,
    started: Instant,
) -> Result<()> {
    let work = WorkLayout::new(out_dir);
    let mut rejects = Vec::new();
    for f in inputs {
        if let Ok(bytes) = fs::read(work.rejects_path(f.index)) {
            rejects.extend_from_slice(&bytes);
        }
    }
    io::write_atomic(&out_dir.join(layout::REJECTS_FILE), &rejects)?;
    let mut stats_json = serde_json::to_vec_pretty(total).expect("stats serialise");
    stats_json.push(b'\n');
    io::write_atomic(&out_dir.join(layout::STATS_FILE), &stats_json)?;
    // The output directory is left out: it is wherever this file is, and leaving it out keeps
    // two runs of the same pipeline into different directories byte-identical.
    let mut recorded = cfg.clone();
    recorded.output.dir = None;
    io::write_atomic(
        &out_dir.join(layout::PIPELINE_FILE),
        recorded.to_toml().as_bytes(),
    )?;
    info.elapsed_secs = started.elapsed().as_secs_f64();
    let mut info_json = serde_json::to_vec_pretty(&*info).expect("run info serialises");
    info_json.push(b'\n');
    io::write_atomic(&out_dir.join(layout::RUN_FILE), &info_json)?;
    // Dedup stages leave their syndication maps in their work directories; the run publishes
    // them, in pipeline order, as one file (each line names its stage).
    // Streamed, not read whole: a map of millions of copies is hundreds of megabytes.
    let maps: Vec<PathBuf> = pipeline
        .corpus_stage_indices()
        .into_iter()
        .map(|idx| crate::dedup::syndication_path(&work.stage_dir(idx, &pipeline.stages[idx].name)))
        .filter(|p| fs::metadata(p).is_ok_and(|m| m.len() > 0))
        .collect();
    if !maps.is_empty() {
        let dest = out_dir.join(layout::SYNDICATION_FILE);
        let mut out = io::AtomicFile::create(&dest)?;
        for map in &maps {
            let mut f = fs::File::open(map).with_path(map)?;
            std::io::copy(&mut f, &mut out).with_path(&dest)?;
        }
        out.commit()?;
    }
    fs::remove_dir_all(&work.dir).with_path(&work.dir)?;
    // Last, from the finished files alone, so it can be rebuilt for any past run the same way.
    if cfg.output.report {
        crate::report::write_report(out_dir)?;
    }
    Ok(())
}
