//! A run as a sequence of public, serialisable steps, so the CLI and a cluster (the Python
//! package's Ray runner) drive one implementation:
//!
//! 1. [`RunPlan::create`] (the driver, once): expands the input, prepares and locks the output
//!    directory, drops stale work of a resumed run and opens every corpus stage's work directory.
//!    The plan serialises to JSON; the [`OutputLock`] stays with the driver until the run is
//!    published.
//! 2. [`RunPlan::process_file`] (any process, one input file of one pass): the pass over the file
//!    ([`RunContext::process_file`]), then the next corpus stage's scan of the survivors it just
//!    carried, while they are still in the page cache. Both are idempotent through their done
//!    markers, so a step killed half-way is simply run again.
//! 3. [`RunPlan::finish_corpus_stage`] (before a pass that starts at a corpus stage): merges the
//!    scans into the stage's decision state, or loads it when a finish in any process completed
//!    it — which is how every process running the pass gets the state.
//! 4. [`RunPlan::publish`] (the driver): totals from the done markers, then the final files.
//!
//! Every process that takes part must see the output directory at the same path.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::batch::TokenOutput;
use super::carried::CarriedInput;
use super::layout::WorkLayout;
use super::lock::OutputLock;
use super::output_dir::{drop_stale_work, prepare_output_dir, run_fingerprint};
use super::passes::{PassPlan, RunContext, pass_ranges};
use super::resume::DoneMarker;
use super::{PassInfo, Progress, RunInfo, RunOptions, RunSummary};
use crate::config::{ByteSize, OutputFormat, PipelineConfig};
use crate::error::{Error, IoContext, Result};
use crate::io::{self, InputFile};
use crate::pipeline::Pipeline;
use crate::stage::PrepareContext;
use crate::stages::BuiltStage;
use crate::stats::RunStats;

/// What the command line (and `Pipeline.run` in Python) may set over a pipeline file, applied
/// the same way everywhere.
#[derive(Debug, Clone, Default)]
pub struct RunOverrides {
    /// Replace `[input] paths` when not empty.
    pub inputs: Vec<PathBuf>,
    /// Replace `[output] dir`.
    pub output: Option<PathBuf>,
    /// Replace `[run] memory`.
    pub memory: Option<ByteSize>,
}

impl RunOverrides {
    /// Applies the overrides to `cfg`.
    pub fn apply(&self, cfg: &mut PipelineConfig) {
        if !self.inputs.is_empty() {
            cfg.input.paths = self.inputs.clone();
        }
        if let Some(o) = &self.output {
            cfg.output.dir = Some(o.clone());
        }
        if let Some(m) = self.memory {
            cfg.run.memory = m;
        }
    }
}

/// One input file of a plan: its index in the sorted input list, path and size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedFile {
    /// Index in the sorted input list (the high bits of its documents' positions).
    pub index: usize,
    /// Path (as every process sees it, unless a step is told to read a local copy).
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
}

impl PlannedFile {
    fn input_file(&self, read_from: Option<&Path>) -> InputFile {
        InputFile::new(
            self.index,
            read_from.unwrap_or(&self.path).to_path_buf(),
            self.size,
        )
    }
}

/// Everything a process needs to run any step of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunPlan {
    /// The effective pipeline (overrides applied, paths resolved).
    pub config: PipelineConfig,
    /// The expanded input, in input order.
    pub inputs: Vec<PlannedFile>,
    /// The output directory.
    pub out_dir: PathBuf,
    /// Stage ranges of the passes ([`pass_ranges`]); every pass after the first starts at a
    /// corpus stage.
    pub passes: Vec<Range<usize>>,
    /// Identifies pipeline and input ([`RunInfo::fingerprint`]).
    pub fingerprint: String,
    /// Worker threads of the run (the driver's; a step may run with fewer).
    pub threads: usize,
    /// Notices gathered while planning (inputs left out, work redone).
    pub notices: Vec<String>,
    /// Tells this run from any other (a process that caches a pipeline ready for a pass must not
    /// reuse it for another run of the same plan).
    pub run_id: String,
}

fn new_run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

/// What one file's step reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileOutcome {
    /// The file's stats for the pass (also in its done marker).
    pub stats: RunStats,
    /// The pass had been done by an earlier, interrupted run.
    pub resumed: bool,
}

/// Timings the driver gathered, for `run.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunTiming {
    /// Each pass and corpus-stage finish.
    pub passes: Vec<PassInfo>,
    /// Input files whose first pass was found done.
    pub resumed_files: u64,
    /// Wall time of the whole run, seconds.
    pub elapsed_secs: f64,
}

/// What `format = "tokens"` needs to turn kept documents into ids (tokenizers load once per
/// process and are cached), `None` for the other formats.
fn token_output(cfg: &PipelineConfig) -> Result<Option<TokenOutput>> {
    match cfg.output.format {
        OutputFormat::Tokens => TokenOutput::new(&cfg.output.tokens).map(Some),
        _ => Ok(None),
    }
}

/// The threads a run uses: `--threads`, else `[run] threads`, else one per core.
pub fn run_threads(cfg: &PipelineConfig, opts: &RunOptions) -> usize {
    match (opts.threads, cfg.run.threads) {
        (0, 0) => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        (0, t) | (t, _) => t,
    }
}

impl RunPlan {
    /// Plans the run of `cfg` (input and output must be set): expands the input, takes the
    /// output directory's lock, prepares the directory (resume, overwrite) and opens the work
    /// directory of every corpus stage. The lock must be held until [`publish`](Self::publish)
    /// has returned.
    pub fn create(cfg: &PipelineConfig, opts: &RunOptions) -> Result<(RunPlan, OutputLock)> {
        Self::create_with_inputs(cfg, opts, None)
    }

    /// [`create`](Self::create) over input files listed by the caller (in input order; e.g.
    /// objects of a bucket, which only the caller can list) instead of `[input] paths`.
    pub fn create_with_inputs(
        cfg: &PipelineConfig,
        opts: &RunOptions,
        listed: Option<Vec<PlannedFile>>,
    ) -> Result<(RunPlan, OutputLock)> {
        Self::create_with_pipeline(cfg, opts, listed).map(|(plan, lock, _)| (plan, lock))
    }

    /// [`create_with_inputs`](Self::create_with_inputs), also handing back the pipeline it
    /// built, as [`pipeline`](Self::pipeline) would build it again: a run in this process keeps
    /// it rather than building its stages twice (a decontamination index is read from its files
    /// again once the last stage holding it is dropped).
    pub(crate) fn create_with_pipeline(
        cfg: &PipelineConfig,
        opts: &RunOptions,
        listed: Option<Vec<PlannedFile>>,
    ) -> Result<(RunPlan, OutputLock, Pipeline)> {
        let out_dir = cfg.output.dir.clone().ok_or_else(|| {
            Error::Config("no output directory (give --output or [output] dir)".into())
        })?;
        let (inputs, mut notices) = match listed {
            Some(files) if files.is_empty() => {
                return Err(Error::Input("no input files were listed".into()));
            }
            Some(files) => (
                files.iter().map(|f| f.input_file(None)).collect(),
                Vec::new(),
            ),
            None => {
                let expanded = io::inputs::expand(&cfg.input.paths, &[out_dir.as_path()])?;
                (expanded.files, expanded.notices)
            }
        };

        let pipeline = Pipeline::from_config(cfg)?;
        // Before the output directory is touched: a tokenizer that does not load or lacks the
        // special tokens named is a config error.
        let tokens = token_output(cfg)?;
        let held = pipeline.held_memory();
        let memory = cfg.run.memory.0;
        if held > memory / 2 && (tokens.is_some() || !pipeline.corpus_stage_indices().is_empty()) {
            // Said, not refused: the index fits its own budget, and what is left is still a
            // working (if spill-heavy) budget.
            notices.push(format!(
                "the stages' indexes and models hold {} MiB of the run's memory budget of {} MiB (--memory); \
                 the dedup stages and the token spill get the {} MiB left",
                held.div_ceil(1 << 20),
                memory >> 20,
                pipeline.spare_memory(memory) >> 20
            ));
        }
        let threads = run_threads(cfg, opts);
        let passes = pass_ranges(&pipeline);
        let fingerprint = run_fingerprint(cfg, &inputs);
        let prepared = prepare_output_dir(&out_dir, &fingerprint, opts.overwrite)?;
        if prepared.resuming {
            notices.extend(drop_stale_work(
                &out_dir,
                &fingerprint,
                &inputs,
                passes.len(),
            )?);
        }
        let plan = RunPlan {
            config: cfg.clone(),
            inputs: inputs
                .iter()
                .map(|f| PlannedFile {
                    index: f.index,
                    path: f.path.clone(),
                    size: f.size,
                })
                .collect(),
            out_dir,
            passes,
            fingerprint,
            threads,
            notices,
            run_id: new_run_id(),
        };
        for &idx in &pipeline.corpus_stage_indices() {
            if let BuiltStage::Corpus(stage) = &pipeline.stages[idx].stage {
                let dir = plan.stage_dir(&pipeline, idx);
                std::fs::create_dir_all(&dir).with_path(&dir)?;
                stage.open(
                    &plan.prepare_context(&pipeline, &dir, threads),
                    plan.inputs.len(),
                )?;
            }
        }
        Ok((plan, prepared.lock, pipeline))
    }

    /// The plan as JSON, for other processes.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a plan serialises")
    }

    /// A plan another process sent as JSON.
    pub fn from_json(json: &str) -> Result<RunPlan> {
        serde_json::from_str(json).map_err(|e| Error::Config(format!("run plan: {e}")))
    }

    /// Builds the pipeline (corpus stages without state: see
    /// [`finish_corpus_stage`](Self::finish_corpus_stage)).
    pub fn pipeline(&self) -> Result<Pipeline> {
        Pipeline::from_config(&self.config)
    }

    fn stage_dir(&self, pipeline: &Pipeline, idx: usize) -> PathBuf {
        WorkLayout::new(&self.out_dir).stage_dir(idx, &pipeline.stages[idx].name)
    }

    /// The work directory of the corpus stage pass `pass` starts with, if it starts with one:
    /// what the previous pass's scans write and the stage's finish reads.
    pub fn corpus_stage_dir(&self, pipeline: &Pipeline, pass: usize) -> Option<PathBuf> {
        self.corpus_stage_of(pipeline, pass)
            .map(|idx| self.stage_dir(pipeline, idx))
    }

    /// A corpus stage's resources: its work directory, `threads`, and the run's memory less what
    /// `pipeline`'s stages hold for the whole run (decontamination indexes, model files).
    fn prepare_context<'a>(
        &self,
        pipeline: &Pipeline,
        work_dir: &'a Path,
        threads: usize,
    ) -> PrepareContext<'a> {
        PrepareContext {
            work_dir,
            memory_budget: pipeline.spare_memory(self.config.run.memory.0),
            threads: threads.max(1),
        }
    }

    /// The corpus stage pass `pass` starts with, if it starts with one.
    pub fn corpus_stage_of(&self, pipeline: &Pipeline, pass: usize) -> Option<usize> {
        let idx = self.passes.get(pass)?.start;
        (pass > 0 && matches!(pipeline.stages.get(idx)?.stage, BuiltStage::Corpus(_)))
            .then_some(idx)
    }

    /// Gets `pipeline` ready for pass `pass`: the corpus stage it starts with is finished from
    /// every file's scan (or its finished state loaded), with `threads` threads. Nothing to do
    /// for the first pass.
    pub fn finish_corpus_stage(
        &self,
        pipeline: &mut Pipeline,
        pass: usize,
        threads: usize,
    ) -> Result<()> {
        let Some(idx) = self.corpus_stage_of(pipeline, pass) else {
            return Ok(());
        };
        let dir = self.stage_dir(pipeline, idx);
        let cx = self.prepare_context(pipeline, &dir, threads);
        if let BuiltStage::Corpus(stage) = &mut pipeline.stages[idx].stage {
            stage.finish(&cx, self.inputs.len())?;
        }
        Ok(())
    }

    /// Runs pass `pass` over input file `file` (its place in [`inputs`](Self::inputs)), then the
    /// next corpus stage's scan of what the pass carried. `pipeline` must be ready for the pass
    /// ([`finish_corpus_stage`](Self::finish_corpus_stage)); `read_from` reads the input file from
    /// another path (a local copy of remote input) on the first pass. Runs on the current rayon
    /// pool.
    pub fn process_file(
        &self,
        pipeline: &Pipeline,
        pass: usize,
        file: usize,
        read_from: Option<&Path>,
        progress: Arc<Progress>,
    ) -> Result<FileOutcome> {
        let planned = self
            .inputs
            .get(file)
            .ok_or_else(|| Error::Config(format!("run plan: no input file {file}")))?;
        let range = self
            .passes
            .get(pass)
            .ok_or_else(|| Error::Config(format!("run plan: no pass {pass}")))?;
        let work = WorkLayout::new(&self.out_dir);
        let ctx = RunContext {
            cfg: &self.config,
            out_dir: self.out_dir.clone(),
            work: work.clone(),
            progress,
            tokens: token_output(&self.config)?,
        };
        let plan = PassPlan {
            pass,
            npasses: self.passes.len(),
            range: range.clone(),
        };
        let resumed = AtomicU64::new(0);
        let stats = ctx.process_file(pipeline, &plan, &planned.input_file(read_from), &resumed)?;
        if let Some(idx) = self.corpus_stage_of(pipeline, pass + 1) {
            let dir = self.stage_dir(pipeline, idx);
            let cx = self.prepare_context(pipeline, &dir, self.threads);
            let files: Vec<InputFile> = self.inputs.iter().map(|f| f.input_file(None)).collect();
            // Its own counter: the scan's documents are not the pass's (`run.json` counts them apart).
            let scan_progress = Progress::default();
            let carried = CarriedInput {
                work: &work,
                pass,
                files: &files,
                progress: &scan_progress,
            };
            if let BuiltStage::Corpus(stage) = &pipeline.stages[idx].stage {
                stage.scan(&cx, &carried, file)?;
            }
        }
        Ok(FileOutcome {
            stats,
            resumed: resumed.load(Ordering::Relaxed) > 0,
        })
    }

    /// The run's totals: every file's stats of every pass, from their done markers, in pass
    /// then input order.
    pub fn totals(&self, pipeline: &Pipeline) -> Result<RunStats> {
        let work = WorkLayout::new(&self.out_dir);
        let mut total = RunStats {
            stages: pipeline.empty_stats(),
            ..Default::default()
        };
        for pass in 0..self.passes.len() {
            for f in &self.inputs {
                let marker = work.marker_path(pass, f.index);
                let done = DoneMarker::read(&marker).ok_or_else(|| {
                    Error::Output(format!(
                        "{}: pass {} of {} is not done; run every file's step before publishing",
                        marker.display(),
                        pass + 1,
                        f.path.display()
                    ))
                })?;
                total.merge(&done.stats);
            }
        }
        Ok(total)
    }

    /// Writes the final files once every step is done ([`super::run::publish`]) and removes the
    /// work directory. The driver drops its [`OutputLock`] afterwards.
    pub fn publish(&self, pipeline: &Pipeline, mut timing: RunTiming) -> Result<RunSummary> {
        let mut stats = self.totals(pipeline)?;
        if let Some(tokens) = token_output(&self.config)? {
            // Every file's kept documents wait as sorted runs of shuffle keys; the shards are
            // written from their merge, here, once all of them are done.
            let started = std::time::Instant::now();
            let files: Vec<InputFile> = self.inputs.iter().map(|f| f.input_file(None)).collect();
            let work = WorkLayout::new(&self.out_dir);
            let (shards, docs) = super::run::write_token_shards(
                &self.config,
                &tokens,
                &work,
                &files,
                &self.out_dir,
            )?;
            stats.output.kept_shards = shards;
            timing.passes.push(PassInfo {
                name: "merge token shards".into(),
                stages: Vec::new(),
                elapsed_secs: started.elapsed().as_secs_f64(),
                docs,
                bytes: 0,
            });
        }
        let info = RunInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            elapsed_secs: timing.elapsed_secs,
            threads: self.threads,
            inputs: self
                .inputs
                .iter()
                .map(|f| super::InputInfo {
                    path: f.path.display().to_string(),
                    size: f.size,
                })
                .collect(),
            config_toml: self.config.to_toml(),
            passes: timing.passes,
            resumed_files: timing.resumed_files,
            fingerprint: self.fingerprint.clone(),
            notices: self.notices.clone(),
        };
        super::run::publish(&self.config, pipeline, &self.out_dir, &stats, &info)?;
        Ok(RunSummary {
            stats,
            info,
            out_dir: self.out_dir.clone(),
        })
    }
}

impl RunSummary {
    /// The error of a run that read no document at all (the CLI exits with status 2 on it,
    /// Python raises `InputError`), naming the rejects file that says why.
    pub fn nothing_readable(&self) -> Option<String> {
        let input = &self.stats.input;
        (input.docs == 0).then(|| {
            format!(
                "no document could be read from the input ({} rejects; see {})",
                input.rejects,
                self.out_dir.join(super::layout::REJECTS_FILE).display()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_survives_json() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.jsonl");
        std::fs::write(&input, "{\"id\":\"a\",\"text\":\"one two three\"}\n").unwrap();
        let toml = "[[stage]]\ntype = \"normalize\"\n\n[[stage]]\ntype = \"exact_dedup\"\n";
        let mut cfg = PipelineConfig::from_toml(toml, dir.path()).unwrap();
        RunOverrides {
            inputs: vec![input.clone()],
            output: Some(dir.path().join("out")),
            memory: Some(ByteSize(1 << 30)),
        }
        .apply(&mut cfg);
        let (plan, _lock) = RunPlan::create(&cfg, &RunOptions::default()).unwrap();
        assert_eq!(plan.passes, vec![0..1, 1..2]);
        assert_eq!(plan.inputs[0].path, input);
        let back = RunPlan::from_json(&plan.to_json()).unwrap();
        assert_eq!(back.to_json(), plan.to_json());
        assert_eq!(back.config.to_toml(), cfg.to_toml());
        // The same run into another directory is the same run (a run into object storage plans
        // into a fresh local copy of its output each time it is started).
        RunOverrides {
            output: Some(dir.path().join("elsewhere")),
            ..Default::default()
        }
        .apply(&mut cfg);
        let (moved, _lock2) = RunPlan::create(&cfg, &RunOptions::default()).unwrap();
        assert_eq!(moved.fingerprint, plan.fingerprint);
        assert!(
            plan.corpus_stage_dir(&plan.pipeline().unwrap(), 1)
                .is_some_and(|d| d.starts_with(&plan.out_dir))
        );
    }

    #[test]
    fn corpus_stages_get_the_run_memory_less_the_decontamination_indexes_counted_once() {
        use crate::stages::decontaminate::{Decontaminate, DecontaminateConfig};
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.jsonl");
        std::fs::write(&input, "{\"id\":\"a\",\"text\":\"one two three\"}\n").unwrap();
        // Two benchmark files of real sentences: lines of the bundled news articles.
        let texts = crate::test_sample::news_texts();
        let lines = |skip: usize| -> String {
            let mut out: String = texts
                .iter()
                .skip(skip)
                .step_by(4)
                .take(60)
                .map(|t| t.replace('\n', " ") + "\n")
                .collect();
            out.pop();
            out
        };
        let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
        std::fs::write(&a, lines(0)).unwrap();
        std::fs::write(&b, lines(1)).unwrap();
        let decont = |name: &str, file: &Path| {
            format!(
                "[[stage]]\ntype = \"decontaminate\"\nname = \"{name}\"\nbenchmark_files = [{:?}]\n",
                file.display().to_string()
            )
        };
        // Stages one and two share file a's index; three has its own.
        let toml = format!(
            "{}{}{}[[stage]]\ntype = \"exact_dedup\"\n",
            decont("one", &a),
            decont("two", &a),
            decont("three", &b)
        );
        let mut cfg = PipelineConfig::from_toml(&toml, dir.path()).unwrap();
        RunOverrides {
            inputs: vec![input],
            output: Some(dir.path().join("out")),
            memory: Some(ByteSize(256 << 20)),
        }
        .apply(&mut cfg);
        let (plan, _lock) = RunPlan::create(&cfg, &RunOptions::default()).unwrap();
        let pipeline = plan.pipeline().unwrap();
        let index_bytes = |file: &Path| {
            let stage = Decontaminate::new(DecontaminateConfig {
                benchmark_files: vec![file.to_path_buf()],
                ..Default::default()
            })
            .unwrap();
            stage.index().bytes()
        };
        let (bytes_a, bytes_b) = (index_bytes(&a), index_bytes(&b));
        assert!(
            bytes_a > 100_000 && bytes_b > 100_000,
            "{bytes_a} {bytes_b}"
        );
        assert_eq!(pipeline.held_memory(), bytes_a + bytes_b);
        let cx = plan.prepare_context(&pipeline, dir.path(), 2);
        assert_eq!(cx.memory_budget, (256 << 20) - bytes_a - bytes_b);
        // Without the decontamination stages the dedup stage has the whole budget.
        let dedup_only = Pipeline::from_config(
            &PipelineConfig::from_toml("[[stage]]\ntype = \"exact_dedup\"\n", dir.path()).unwrap(),
        )
        .unwrap();
        assert_eq!(
            plan.prepare_context(&dedup_only, dir.path(), 2)
                .memory_budget,
            256 << 20
        );
        assert!(plan.notices.is_empty(), "{:?}", plan.notices);
        drop((plan, _lock));
        // Indexes holding most of the budget are said, with what is left.
        let memory = (bytes_a + bytes_b) * 19 / 10;
        cfg.run.memory = ByteSize(memory);
        let overwrite = RunOptions {
            overwrite: true,
            ..Default::default()
        };
        let (plan, _lock) = RunPlan::create(&cfg, &overwrite).unwrap();
        let left = (memory - bytes_a - bytes_b) >> 20;
        assert!(
            plan.notices
                .iter()
                .any(|n| n.contains("indexes and models hold")
                    && n.contains(&format!("get the {left} MiB left"))),
            "{:?}",
            plan.notices
        );
    }
}
