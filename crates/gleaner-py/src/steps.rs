//! The engine's run steps for Python: `Pipeline.plan(...)` returns a [`PyRunPlan`] (the driver's
//! handle: the plan and the output directory's lock), and [`PySteps`] runs the steps of a plan
//! sent as JSON in any process — what each `gleaner.ray` task calls. There is no logic here beyond
//! conversion: every step is [`gleaner::executor::RunPlan`]'s.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use gleaner::executor::layout::{self, WorkLayout};
use gleaner::executor::lock::OutputLock;
use gleaner::executor::{PlannedFile, Progress, RunPlan, RunSummary, RunTiming};
use gleaner::{Error, Pipeline};
use pyo3::exceptions::PyUserWarning;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::python::{GleanerError, InputError, from_json, to_py};

/// A planned run, held by the driver: the plan (`to_json()` for the workers) and the output
/// directory's lock, released by `publish()` or `release()`.
#[pyclass(module = "gleaner._gleaner", name = "RunPlan")]
pub struct PyRunPlan {
    plan: RunPlan,
    lock: Mutex<Option<OutputLock>>,
    /// Stage names of each pass.
    pass_stages: Vec<Vec<String>>,
    /// Whether each pass starts with a corpus stage to finish first.
    corpus_passes: Vec<bool>,
    /// The work directory of the corpus stage each pass starts with, relative to the output
    /// directory.
    corpus_dirs: Vec<Option<String>>,
}

/// `path` relative to `base` (where the plan put it), as text.
fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

impl PyRunPlan {
    pub fn new(plan: RunPlan, lock: OutputLock) -> gleaner::Result<Self> {
        let pipeline = plan.pipeline()?;
        let pass_stages = plan
            .passes
            .iter()
            .map(|r| {
                pipeline.stages[r.clone()]
                    .iter()
                    .map(|s| s.name.clone())
                    .collect()
            })
            .collect();
        let corpus_passes = (0..plan.passes.len())
            .map(|p| plan.corpus_stage_of(&pipeline, p).is_some())
            .collect();
        let corpus_dirs = (0..plan.passes.len())
            .map(|p| {
                plan.corpus_stage_dir(&pipeline, p)
                    .map(|d| relative(&d, &plan.out_dir))
            })
            .collect();
        Ok(PyRunPlan {
            plan,
            lock: Mutex::new(Some(lock)),
            pass_stages,
            corpus_passes,
            corpus_dirs,
        })
    }
}

/// Raises the CLI's notices as Python warnings and the CLI's "nothing readable" error as
/// `InputError`; returns the stats as Python objects.
pub fn summary_to_py<'py>(py: Python<'py>, summary: &RunSummary) -> PyResult<Bound<'py, PyAny>> {
    for notice in &summary.info.notices {
        let message =
            std::ffi::CString::new(notice.replace('\0', " ")).expect("NUL bytes were replaced");
        PyErr::warn(py, &py.get_type::<PyUserWarning>(), &message, 1)?;
    }
    if let Some(message) = summary.nothing_readable() {
        return Err(InputError::new_err(message));
    }
    let stats =
        serde_json::to_string(&summary.stats).map_err(|e| GleanerError::new_err(e.to_string()))?;
    from_json(py, &stats)
}

#[pymethods]
impl PyRunPlan {
    /// The plan as JSON (what `Steps(...)` takes in another process).
    fn to_json(&self) -> String {
        self.plan.to_json()
    }

    /// The input files, in input order, as `(path, size)`.
    #[getter]
    fn inputs(&self) -> Vec<(String, u64)> {
        self.plan
            .inputs
            .iter()
            .map(|f| (f.path.to_string_lossy().into_owned(), f.size))
            .collect()
    }

    /// Number of passes.
    #[getter]
    fn passes(&self) -> usize {
        self.plan.passes.len()
    }

    /// Stage names of each pass, in order.
    #[getter]
    fn pass_stages(&self) -> Vec<Vec<String>> {
        self.pass_stages.clone()
    }

    /// Whether pass `pass_index` starts with a corpus stage, to finish before its files run.
    fn pass_starts_with_corpus_stage(&self, pass_index: usize) -> bool {
        self.corpus_passes.get(pass_index).copied().unwrap_or(false)
    }

    /// The output directory.
    #[getter]
    fn out_dir(&self) -> String {
        self.plan.out_dir.to_string_lossy().into_owned()
    }

    /// Whether publishing writes the report (`[output] report`), which reads the shards back.
    #[getter]
    fn writes_report(&self) -> bool {
        self.plan.config.output.report
    }

    /// The work directory of the corpus stage pass `pass_index` starts with (its scans and
    /// finished state), relative to the output directory; `None` if the pass starts with none.
    fn corpus_stage_dir(&self, pass_index: usize) -> Option<String> {
        self.corpus_dirs.get(pass_index).cloned().flatten()
    }

    /// The shard pass `pass_index` carries to the next pass for input file `file`, relative to
    /// the output directory.
    fn carried_path(&self, pass_index: usize, file: usize) -> String {
        relative(
            &WorkLayout::new(Path::new("")).carried_path(pass_index, file),
            Path::new(""),
        )
    }

    /// The receipt of a step whose files went to object storage, relative to the output
    /// directory: input file `file`'s pass `pass_index`, or (`file=None`) the finish of the
    /// corpus stage the pass starts with.
    #[pyo3(signature = (pass_index, file = None))]
    fn receipt_path(&self, pass_index: usize, file: Option<usize>) -> String {
        relative(
            &WorkLayout::new(Path::new("")).receipt_path(pass_index, file),
            Path::new(""),
        )
    }

    /// Writes the final files once every step is done (totals from the done markers), releases
    /// the lock and returns the stats (`stats.json`). `timing` is the JSON of the run's timings
    /// for `run.json` (`passes`, `resumed_files`, `elapsed_secs`), optional.
    #[pyo3(signature = (timing = None))]
    fn publish<'py>(&self, py: Python<'py>, timing: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
        let timing: RunTiming = match timing {
            Some(t) => serde_json::from_str(t)
                .map_err(|e| GleanerError::new_err(format!("run timing: {e}")))?,
            None => RunTiming::default(),
        };
        let plan = &self.plan;
        let summary = py
            .detach(|| {
                let pipeline = plan.pipeline()?;
                plan.publish(&pipeline, timing)
            })
            .map_err(to_py);
        self.release();
        summary_to_py(py, &summary?)
    }

    /// Releases the output directory's lock without publishing (a failed run; it resumes when
    /// planned again with the same pipeline and input).
    fn release(&self) {
        self.lock.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

/// Pipelines ready for a pass, built in this process, by `(run id, output directory, pass)`: a
/// worker process that runs many files of a pass builds and loads the corpus stage's state once.
type Ready = Mutex<HashMap<(String, PathBuf, usize), Arc<Pipeline>>>;

/// Runs the steps of a plan in this process (a Ray worker, or the driver).
#[pyclass(frozen, module = "gleaner._gleaner", name = "Steps")]
pub struct PySteps {
    plan: RunPlan,
}

static READY: std::sync::LazyLock<Ready> = std::sync::LazyLock::new(Default::default);

fn pool(threads: usize) -> gleaner::Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| Error::Config(format!("cannot start {threads} threads: {e}")))
}

impl PySteps {
    /// The pipeline ready for pass `pass` (its corpus stage's finished state loaded).
    fn ready(&self, pass: usize, threads: usize) -> gleaner::Result<Arc<Pipeline>> {
        let key = (self.plan.run_id.clone(), self.plan.out_dir.clone(), pass);
        if let Some(p) = READY.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(p.clone());
        }
        let mut pipeline = self.plan.pipeline()?;
        pool(threads)?.install(|| self.plan.finish_corpus_stage(&mut pipeline, pass, threads))?;
        let pipeline = Arc::new(pipeline);
        let mut ready = READY.lock().unwrap_or_else(|e| e.into_inner());
        // One run at a time per worker is the rule; drop the pipelines of other runs.
        ready.retain(|(run, dir, _), _| run == &self.plan.run_id && dir == &self.plan.out_dir);
        ready.insert(key, pipeline.clone());
        Ok(pipeline)
    }
}

#[pymethods]
impl PySteps {
    /// The steps of the plan `plan_json` (`RunPlan.to_json()`), writing into `out_dir` instead
    /// of the planned output directory when given (a node-local copy of the output layout, for
    /// output that goes to object storage).
    #[new]
    #[pyo3(signature = (plan_json, out_dir = None))]
    fn new(plan_json: &str, out_dir: Option<PathBuf>) -> PyResult<Self> {
        let mut plan = RunPlan::from_json(plan_json).map_err(to_py)?;
        if let Some(dir) = out_dir {
            plan.out_dir = dir;
        }
        Ok(PySteps { plan })
    }

    /// Finishes the corpus stage pass `pass` starts with (clusters from every file's scan) on
    /// `threads` threads. Run once per pass, before the pass's files.
    #[pyo3(signature = (pass_index, threads = 1))]
    fn finish_corpus_stage(
        &self,
        py: Python<'_>,
        pass_index: usize,
        threads: usize,
    ) -> PyResult<()> {
        py.detach(|| self.ready(pass_index, threads).map(|_| ()))
            .map_err(to_py)
    }

    /// Runs pass `pass_index` over input file `file` and the next corpus stage's scan of it, on
    /// `threads` threads; `read_from` is a local copy of the input file to read instead of its
    /// planned path. Returns the file's stats for the pass (its done marker's).
    #[pyo3(signature = (pass_index, file, read_from = None, threads = 1))]
    fn process_file<'py>(
        &self,
        py: Python<'py>,
        pass_index: usize,
        file: usize,
        read_from: Option<PathBuf>,
        threads: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let outcome = py
            .detach(|| {
                let pipeline = self.ready(pass_index, threads)?;
                pool(threads)?.install(|| {
                    self.plan.process_file(
                        &pipeline,
                        pass_index,
                        file,
                        read_from.as_deref(),
                        Arc::new(Progress::default()),
                    )
                })
            })
            .map_err(to_py)?;
        let json =
            serde_json::to_string(&outcome).map_err(|e| GleanerError::new_err(e.to_string()))?;
        from_json(py, &json)
    }
}

/// Input files listed by the caller, as plan inputs (index = place in the list).
pub fn listed_inputs(files: Vec<(PathBuf, u64)>) -> Vec<PlannedFile> {
    files
        .into_iter()
        .enumerate()
        .map(|(index, (path, size))| PlannedFile { index, path, size })
        .collect()
}

/// The names of the output directory's layout (`executor::layout`) that a driver writing the
/// output elsewhere (object storage) needs: `work_dir`, `state_file`, `run_file`, `lock_file`,
/// `entries` (everything a run writes) and `shard_dirs`, as paths relative to the output
/// directory.
#[pyfunction]
pub fn output_layout(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("work_dir", layout::WORK_DIR)?;
    let state = WorkLayout::new(Path::new("")).state_file();
    d.set_item("state_file", relative(&state, Path::new("")))?;
    d.set_item("run_file", layout::RUN_FILE)?;
    d.set_item("lock_file", layout::LOCK_FILE)?;
    d.set_item("entries", layout::OUTPUT_ENTRIES.to_vec())?;
    d.set_item("shard_dirs", layout::SHARD_DIRS.to_vec())?;
    Ok(d)
}
