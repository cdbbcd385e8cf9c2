//! One whole run on this machine, as `gleaner run` does it: the plan, each pass's files in
//! parallel (each file's step also scans it for the next corpus stage), each corpus stage
//! finished between passes, then the final files published.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use rayon::prelude::*;

use super::carried::carried_bytes;
use super::layout::{self, WorkLayout};
use super::plan::{FileOutcome, RunPlan, RunTiming};
use super::{PassInfo, Progress, RunInfo, RunOptions, RunSummary};
use crate::config::PipelineConfig;
use crate::error::{Error, IoContext, Result};
use crate::io::{self, InputFile};
use crate::pipeline::Pipeline;
use crate::stats::RunStats;

/// Runs the pipeline described by `cfg` (input and output must be set) to completion: the
/// steps of [`RunPlan`], each pass's files in parallel on one pool of the run's threads.
pub fn run(cfg: &PipelineConfig, opts: &RunOptions, progress: Arc<Progress>) -> Result<RunSummary> {
    let started = Instant::now();
    // Held to the end of the run: no other run writes here meanwhile.
    let (plan, lock, mut pipeline) = RunPlan::create_with_pipeline(cfg, opts, None)?;
    let threads = plan.threads;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("gleaner-{i}"))
        .build()
        .map_err(|e| Error::Config(format!("cannot start {threads} threads: {e}")))?;
    let npasses = plan.passes.len();
    let mut timing = RunTiming::default();
    for (pass, range) in plan.passes.iter().enumerate() {
        if let Some(idx) = plan.corpus_stage_of(&pipeline, pass) {
            let t = Instant::now();
            let name = pipeline.stages[idx].name.clone();
            progress.start_phase(format!("prepare {name}"), 0);
            pool.install(|| plan.finish_corpus_stage(&mut pipeline, pass, threads))?;
            timing.passes.push(PassInfo {
                name: format!("prepare {name}"),
                stages: vec![name],
                elapsed_secs: t.elapsed().as_secs_f64(),
                docs: 0,
                bytes: 0,
            });
        }
        let t = Instant::now();
        let stage_names: Vec<String> = pipeline.stages[range.clone()]
            .iter()
            .map(|s| s.name.clone())
            .collect();
        let label = format!("pass {}/{}", pass + 1, npasses);
        let work = WorkLayout::new(&plan.out_dir);
        let pass_bytes = plan
            .inputs
            .iter()
            .map(|f| match pass {
                0 => f.size,
                _ => carried_bytes(&work, pass - 1, f.index),
            })
            .sum();
        progress.start_phase(label.clone(), pass_bytes);
        let pipeline_ref = &pipeline;
        let per_file: Vec<Result<FileOutcome>> = pool.install(|| {
            (0..plan.inputs.len())
                .into_par_iter()
                .map(|f| plan.process_file(pipeline_ref, pass, f, None, progress.clone()))
                .collect()
        });
        for r in per_file {
            timing.resumed_files += u64::from(r?.resumed && pass == 0);
        }
        timing.passes.push(PassInfo {
            name: label,
            stages: stage_names,
            elapsed_secs: t.elapsed().as_secs_f64(),
            docs: progress.docs_done.load(Ordering::Relaxed),
            bytes: progress.bytes_done.load(Ordering::Relaxed),
        });
    }
    timing.elapsed_secs = started.elapsed().as_secs_f64();
    let summary = plan.publish(&pipeline, timing)?;
    drop(lock);
    Ok(summary)
}

/// Merges every input file's sorted token runs into the token shards under `kept/`, in shuffle
/// key order; returns the shards and documents written. Rerun whole by a resumed run.
pub(super) fn write_token_shards(
    cfg: &PipelineConfig,
    t: &super::batch::TokenOutput,
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
pub(super) fn publish(
    cfg: &PipelineConfig,
    pipeline: &Pipeline,
    out_dir: &Path,
    total: &RunStats,
    info: &RunInfo,
) -> Result<()> {
    let work = WorkLayout::new(out_dir);
    let mut rejects = Vec::new();
    for f in 0..info.inputs.len() {
        if let Ok(bytes) = fs::read(work.rejects_path(f)) {
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
    let mut info_json = serde_json::to_vec_pretty(info).expect("run info serialises");
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
