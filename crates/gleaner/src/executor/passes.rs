//! Passes: how a pipeline is cut at its corpus-wide stages, and one input file's run through one
//! pass — read (the input file or the previous pass's carried shard), process batch by batch,
//! write kept, removed, audit and rejects, then the done marker that lets a resumed run skip it.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::Progress;
use super::batch::{FileOutputs, read_batch};
use super::carried::{carried_bytes, open_carried};
use super::layout::{self, WorkLayout};
use super::resume::DoneMarker;
use crate::config::PipelineConfig;
use crate::error::{Error, Result};
use crate::io::content_hash::ContentTap;
use crate::io::members::{LargeMembers, REREAD_COUNTER, REREAD_KIND};
use crate::io::{self, InputFile, RawRecord, RawStream, ShardWriter, ShardWriterOptions};
use crate::pipeline::Pipeline;
use crate::stats::RunStats;
use crate::tokens::shuffle::TokenSpill;

/// The stage ranges of the passes: the pipeline cut before each corpus-wide stage.
pub fn pass_ranges(pipeline: &Pipeline) -> Vec<Range<usize>> {
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
    if ranges.is_empty() {
        // A pipeline without stages still copies input to output in one pass.
        std::iter::once(0..0).collect()
    } else {
        ranges
    }
}

/// What every file's pass shares.
pub(super) struct RunContext<'a> {
    pub(super) cfg: &'a PipelineConfig,
    pub(super) out_dir: PathBuf,
    pub(super) work: WorkLayout,
    pub(super) progress: Arc<Progress>,
    /// With `format = "tokens"`: how kept documents become ids.
    pub(super) tokens: Option<super::batch::TokenOutput>,
}

/// Which pass this is and which stages it runs.
pub(super) struct PassPlan {
    pub(super) pass: usize,
    pub(super) npasses: usize,
    pub(super) range: Range<usize>,
}

impl RunContext<'_> {
    /// Bytes pass `pass` reads for `file` (for progress).
    pub(super) fn pass_input_bytes(&self, pass: usize, file: &InputFile) -> u64 {
        if pass == 0 {
            file.size
        } else {
            carried_bytes(&self.work, pass - 1, file.index)
        }
    }

    /// Runs pass `plan` over one input file, or returns the stats of a marker a killed run left.
    pub(super) fn process_file(
        &self,
        pipeline: &Pipeline,
        plan: &PassPlan,
        file: &InputFile,
        resumed: &AtomicU64,
    ) -> Result<RunStats> {
        let marker = self.work.marker_path(plan.pass, file.index);
        // Pass-0 markers of changed inputs were removed before the run started
        // (`output_dir::drop_stale_work`), so any marker here is of unchanged input.
        if let Some(done) = DoneMarker::read(&marker) {
            if plan.pass == 0 {
                resumed.fetch_add(1, Ordering::Relaxed);
            }
            self.progress
                .bytes_done
                .fetch_add(self.pass_input_bytes(plan.pass, file), Ordering::Relaxed);
            return Ok(done.stats);
        }
        let done = match self.read_file(pipeline, plan, file)? {
            Some(done) => done,
            None => {
                // A large compressed member failed its checksum after part of it had been
                // processed (members are streamed, see io/members.rs): that attempt's output is
                // gone; read the file again, verifying every member before using it.
                let verified = InputFile {
                    large_members: LargeMembers::Spill,
                    ..file.clone()
                };
                let mut done =
                    self.read_file(pipeline, plan, &verified)?
                        .ok_or_else(|| Error::Stage {
                            stage: "read".into(),
                            message: format!(
                                "{}: a verifying read still asked to be read again",
                                file.path.display()
                            ),
                        })?;
                // Said in stats.json: the file was read twice, and why.
                *done
                    .stats
                    .input
                    .skipped_by_kind
                    .entry(REREAD_COUNTER.into())
                    .or_default() += 1;
                done
            }
        };
        done.write(&marker)?;
        Ok(done.stats)
    }

    /// Reads one input file (or its carried shard) through pass `plan` and writes its outputs;
    /// `None` when a streamed member of the input turned out damaged, in which case nothing of
    /// this attempt is left on disk and the caller reads the file again with
    /// [`LargeMembers::Spill`].
    fn read_file(
        &self,
        pipeline: &Pipeline,
        plan: &PassPlan,
        file: &InputFile,
    ) -> Result<Option<DoneMarker>> {
        let cfg = self.cfg;
        let last = plan.pass + 1 == plan.npasses;
        let mut stats = RunStats {
            stages: pipeline.empty_stats(),
            ..Default::default()
        };
        let counter = Arc::new(AtomicU64::new(0));
        let read_counters = Arc::new(io::ReadCounters::default());
        // Attached before the reader opens, so the reader feeds it (see `resume`).
        let tap = (plan.pass == 0).then(|| ContentTap::attach(&counter));
        let mut records: RawStream = if plan.pass == 0 {
            stats.input.files = 1;
            stats.input.file_bytes = file.size;
            io::open_raw(file, &cfg.input, counter.clone(), read_counters.clone())
        } else {
            Box::new(
                open_carried(
                    &self.work.carried_path(plan.pass - 1, file.index),
                    counter.clone(),
                )
                .map(RawRecord::Ready),
            )
        };
        let out_opts = ShardWriterOptions::from_output(&cfg.output);
        let prefix = layout::shard_prefix(file.index);
        let kept = if last {
            ShardWriter::new(&self.out_dir.join(layout::KEPT_DIR), &prefix, out_opts)
        } else {
            ShardWriter::new(
                &self.work.carried_dir(plan.pass),
                &WorkLayout::carried_prefix(file.index),
                ShardWriterOptions::carried(),
            )
        };
        let removed_prefix = layout::removed_prefix(file.index, plan.pass, plan.npasses);
        let removed = cfg.output.write_removed.then(|| {
            ShardWriter::new(
                &self.out_dir.join(layout::REMOVED_DIR),
                &removed_prefix,
                out_opts,
            )
        });
        let audit = last.then(|| {
            ShardWriter::new(
                &self.out_dir.join(layout::AUDIT_DIR),
                &prefix,
                ShardWriterOptions::jsonl_zst(),
            )
        });

        // Each file holds its share of the memory budget of tokenized documents before spilling
        // a sorted run; files run concurrently, one per thread at most.
        let token_budget = (pipeline.spare_memory(cfg.run.memory.0)
            / (2 * rayon::current_num_threads().max(1) as u64))
            .try_into()
            .unwrap_or(usize::MAX);
        let tokens = match (&self.tokens, last) {
            (Some(_), true) => Some(TokenSpill::new(
                &self.work.token_runs_dir(),
                &WorkLayout::token_runs_prefix(file.index),
                token_budget,
            )?),
            _ => None,
        };
        let mut out = FileOutputs {
            stats,
            kept,
            removed,
            audit,
            rejects: None,
            tokens,
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
        drop(records);
        let FileOutputs {
            mut stats,
            kept,
            removed,
            audit,
            rejects,
            tokens,
            ..
        } = out;
        if stats.input.rejects_by_kind.contains_key(REREAD_KIND) {
            kept.abandon()?;
            if let Some(w) = removed {
                w.abandon()?;
            }
            if let Some(w) = audit {
                w.abandon()?;
            }
            // Dropped uncommitted: its temporary file goes.
            drop(rejects);
            return Ok(None);
        }
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
        if let Some(spill) = tokens {
            spill.finish()?;
        }
        // Pass 0 read the input file: record its content, so a resume can tell whether it
        // changed. A file that cannot be hashed (it could not be read either; its reject says
        // why) gets no fingerprint and is redone by a resume.
        let input = tap.and_then(|t| t.finish(&file.path).ok());
        Ok(Some(DoneMarker { stats, input }))
    }
}
