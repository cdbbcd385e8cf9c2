//! The `gleaner._gleaner` extension module: `Pipeline`, `minhash_signatures`,
//! `minhash_band_keys`, `read_file`, `expand_inputs` and the exception hierarchy.
//!
//! Every call converts its Python arguments first (Arrow data comes in through the C data
//! interface without copying), then releases the GIL for the Rust work, so Python threads and Ray
//! actors run in parallel, and converts the results back with the GIL held.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use arrow_array::{Array, RecordBatch};
use arrow_pyarrow::{FromPyArrow, PyArrowType, Table};
use arrow_schema::ArrowError;
use arrow_select::concat::concat_batches;
use gleaner::config::ByteSize;
use gleaner::executor::{self, Progress, RunOptions, RunOverrides, RunPlan};
use gleaner::{Error, Pipeline, PipelineConfig};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::batch::{self, BatchOptions};
use crate::minhash;
use crate::steps::{self, PyRunPlan, PySteps, summary_to_py};

create_exception!(
    gleaner,
    GleanerError,
    PyException,
    "Base class of every error gleaner raises; the message is the one the CLI prints."
);
create_exception!(
    gleaner,
    ConfigError,
    GleanerError,
    "The pipeline or a stage's parameters are wrong."
);
create_exception!(
    gleaner,
    InputError,
    GleanerError,
    "Input paths matched nothing, nothing could be read, or a batch lacks a needed column."
);
create_exception!(
    gleaner,
    OutputError,
    GleanerError,
    "The output directory holds a different run, or another run is writing into it."
);

/// Maps an engine error to the matching Python exception, keeping the CLI's message.
pub(crate) fn to_py(e: Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::Config(_) => ConfigError::new_err(msg),
        Error::Input(_) => InputError::new_err(msg),
        Error::Output(_) => OutputError::new_err(msg),
        Error::Io { .. } | Error::Stage { .. } => GleanerError::new_err(msg),
    }
}

fn arrow_err(e: ArrowError) -> PyErr {
    InputError::new_err(format!("arrow: {e}"))
}

/// Python value → JSON via the `json` module (dicts, lists, strings, numbers, booleans).
fn to_json(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
    let text: String = py
        .import("json")?
        .call_method1("dumps", (obj,))?
        .extract()?;
    serde_json::from_str(&text).map_err(|e| ConfigError::new_err(e.to_string()))
}

/// JSON → Python objects via the `json` module.
pub(crate) fn from_json<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

/// Accepts a `pyarrow.Table`, `RecordBatch` or any Arrow stream as one record batch.
fn one_batch(obj: &Bound<'_, PyAny>) -> PyResult<RecordBatch> {
    let table = Table::from_pyarrow_bound(obj)?;
    let (batches, schema) = table.into_inner();
    if batches.len() == 1 {
        return Ok(batches
            .into_iter()
            .next()
            .unwrap_or_else(|| RecordBatch::new_empty(schema)));
    }
    concat_batches(&schema, &batches).map_err(arrow_err)
}

fn to_table(batch: RecordBatch) -> PyResult<PyArrowType<Table>> {
    let schema = batch.schema();
    Table::try_new(vec![batch], schema)
        .map(PyArrowType)
        .map_err(arrow_err)
}

fn byte_size(obj: &Bound<'_, PyAny>) -> PyResult<ByteSize> {
    if let Ok(n) = obj.extract::<u64>() {
        return Ok(ByteSize(n));
    }
    let s: String = obj.extract()?;
    ByteSize::from_str(&s).map_err(|e| ConfigError::new_err(format!("memory: {e}")))
}

/// A gleaner pipeline: stages in order, built and checked when created.
///
/// Build one with `Pipeline.from_toml(path)`, `Pipeline.from_toml_string(text)` or
/// `Pipeline.from_stages([{"type": "gopher_quality"}, ...])`. A pipeline is immutable, can be
/// shared by threads, and pickles (as its TOML), so it travels to Ray workers.
#[pyclass(frozen, module = "gleaner._gleaner", name = "Pipeline")]
pub struct PyPipeline {
    cfg: PipelineConfig,
    /// Built once when the pipeline has no corpus-wide stage (those hold per-corpus state, so a
    /// pipeline with one is built afresh for each call).
    shared: Option<Arc<Pipeline>>,
}

impl PyPipeline {
    fn new(cfg: PipelineConfig) -> PyResult<Self> {
        let built = Pipeline::from_config(&cfg).map_err(to_py)?;
        let shared = built
            .corpus_stage_indices()
            .is_empty()
            .then(|| Arc::new(built));
        Ok(PyPipeline { cfg, shared })
    }
}

impl PyPipeline {
    /// The pipeline with `run`'s arguments applied, as the CLI applies its flags.
    fn with_overrides(
        &self,
        input: Option<&Bound<'_, PyAny>>,
        output: Option<PathBuf>,
        threads: Option<usize>,
        memory: Option<&Bound<'_, PyAny>>,
        overwrite: bool,
    ) -> PyResult<(PipelineConfig, RunOptions)> {
        let mut cfg = self.cfg.clone();
        let inputs = match input {
            None => Vec::new(),
            Some(i) => match i.extract::<PathBuf>() {
                Ok(p) => vec![p],
                Err(_) => i.extract::<Vec<PathBuf>>()?,
            },
        };
        let memory = memory.map(byte_size).transpose()?;
        RunOverrides {
            inputs,
            output,
            memory,
        }
        .apply(&mut cfg);
        let opts = RunOptions {
            threads: threads.unwrap_or(0),
            overwrite,
        };
        Ok((cfg, opts))
    }
}

#[pymethods]
impl PyPipeline {
    /// Loads a pipeline file (TOML). Relative paths in it resolve against the file's directory.
    #[staticmethod]
    fn from_toml(path: PathBuf) -> PyResult<Self> {
        Self::new(PipelineConfig::load(&path).map_err(to_py)?)
    }

    /// Parses a pipeline from TOML text; relative paths resolve against `base_dir` (default: the
    /// working directory).
    #[staticmethod]
    #[pyo3(signature = (text, base_dir = None))]
    fn from_toml_string(text: &str, base_dir: Option<PathBuf>) -> PyResult<Self> {
        let base = base_dir.unwrap_or_else(|| PathBuf::from("."));
        Self::new(PipelineConfig::from_toml(text, &base).map_err(to_py)?)
    }

    /// Builds a pipeline from stage tables: dicts with `type`, an optional `name`, and the
    /// stage's parameters, exactly as `[[stage]]` tables in a pipeline file.
    #[staticmethod]
    fn from_stages(py: Python<'_>, stages: &Bound<'_, PyAny>) -> PyResult<Self> {
        let json = to_json(py, stages)?;
        Self::new(batch::config_from_stage_json(&json).map_err(to_py)?)
    }

    /// The stage tables in order (dicts with `type`, optional `name` and parameters; relative
    /// paths already resolved).
    #[getter]
    fn stages<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let tables = serde_json::Value::Array(batch::stage_tables(&self.cfg));
        from_json(py, &tables.to_string())
    }

    /// Names of the stages that need the whole corpus (dedup), in pipeline order.
    #[getter]
    fn corpus_stages(&self) -> PyResult<Vec<String>> {
        let built = Pipeline::from_config(&self.cfg).map_err(to_py)?;
        Ok(built
            .corpus_stage_indices()
            .into_iter()
            .map(|i| built.stages[i].name.clone())
            .collect())
    }

    /// The pipeline as TOML text (what `gleaner run` writes to `pipeline.toml`).
    fn to_toml(&self) -> String {
        self.cfg.to_toml()
    }

    /// Runs the pipeline over files into an output directory, exactly as `gleaner run` does,
    /// and returns the run's statistics (the content of `stats.json`). `input` (path or list of
    /// paths) and `output` override the pipeline's `[input]`/`[output]`; `memory` is a byte
    /// count or a size such as `"2GiB"`. The GIL is released while the run works.
    #[pyo3(signature = (input = None, output = None, threads = None, memory = None, overwrite = false))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        input: Option<&Bound<'py, PyAny>>,
        output: Option<PathBuf>,
        threads: Option<usize>,
        memory: Option<&Bound<'py, PyAny>>,
        overwrite: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (cfg, opts) = self.with_overrides(input, output, threads, memory, overwrite)?;
        let summary = py
            .detach(|| executor::run(&cfg, &opts, Arc::new(Progress::default())))
            .map_err(to_py)?;
        summary_to_py(py, &summary)
    }

    /// Plans a run as `run` would (same arguments) for a driver that runs the steps itself, e.g.
    /// on a cluster: expands the input, prepares and locks the output directory. `listed_inputs`,
    /// a list of `(path, size)` in input order, replaces the expansion of `input` (objects only
    /// the caller can list). Returns a `RunPlan` holding the lock until it is published.
    #[pyo3(signature = (input = None, output = None, threads = None, memory = None, overwrite = false, listed_inputs = None))]
    #[allow(clippy::too_many_arguments)]
    fn plan<'py>(
        &self,
        py: Python<'py>,
        input: Option<&Bound<'py, PyAny>>,
        output: Option<PathBuf>,
        threads: Option<usize>,
        memory: Option<&Bound<'py, PyAny>>,
        overwrite: bool,
        listed_inputs: Option<Vec<(PathBuf, u64)>>,
    ) -> PyResult<PyRunPlan> {
        let (cfg, opts) = self.with_overrides(input, output, threads, memory, overwrite)?;
        let listed = listed_inputs.map(steps::listed_inputs);
        let (plan, lock) = py
            .detach(|| RunPlan::create_with_inputs(&cfg, &opts, listed))
            .map_err(to_py)?;
        PyRunPlan::new(plan, lock).map_err(to_py)
    }

    /// Applies the pipeline to an in-memory `pyarrow.Table` or `RecordBatch` and returns
    /// `(kept, removed)` tables.
    ///
    /// `text_column` holds the text, `id_column` the id (row numbers when absent); a string
    /// column named `metadata` is read as a JSON object; every other column passes through.
    /// `kept` has the id, text and metadata (JSON string) columns then the other input columns;
    /// `removed` adds `stage`, `rule`, `value`, `threshold` (JSON), `kept_id` and `detail`, and
    /// for a copy of a document of an `against` dedup index, `kept_index` (the index) and
    /// `kept_url` (the earlier document's URL).
    /// Corpus-wide stages (dedup) treat the table as the whole corpus. `with_edits` adds an
    /// `edits` column (JSON list of removed lines). The GIL is released during the work.
    #[pyo3(signature = (table, text_column = "text", id_column = "id", threads = None, with_edits = false))]
    fn process<'py>(
        &self,
        py: Python<'py>,
        table: &Bound<'py, PyAny>,
        text_column: &str,
        id_column: &str,
        threads: Option<usize>,
        with_edits: bool,
    ) -> PyResult<(PyArrowType<Table>, PyArrowType<Table>)> {
        let batch = one_batch(table)?;
        let opts = BatchOptions {
            text_column: text_column.to_string(),
            id_column: id_column.to_string(),
            with_edits,
            threads: threads.unwrap_or(0),
            memory_budget: self.cfg.run.memory.0,
        };
        let out = match &self.shared {
            Some(p) => py.detach(|| batch::process_batch_shared(p, &batch, &opts)),
            None => py.detach(|| {
                let mut p = Pipeline::from_config(&self.cfg)?;
                batch::process_batch(&mut p, &batch, &opts)
            }),
        }
        .map_err(to_py)?;
        Ok((to_table(out.kept)?, to_table(out.removed)?))
    }

    fn __repr__(&self) -> String {
        let kinds: Vec<String> = self
            .cfg
            .stages
            .iter()
            .map(|t| {
                t.get("name")
                    .or_else(|| t.get("type"))
                    .and_then(|v| v.as_str())
                    .unwrap_or("?")
                    .to_string()
            })
            .collect();
        format!("Pipeline([{}])", kinds.join(", "))
    }

    /// Pickles as TOML text, so a pipeline can be sent to Ray workers.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, (String,))> {
        let ctor = py
            .import("gleaner._gleaner")?
            .getattr("Pipeline")?
            .getattr("from_toml_string")?;
        Ok((ctor, (self.cfg.to_toml(),)))
    }
}

fn texts_of(batch: &RecordBatch, text_column: &str) -> PyResult<arrow_array::ArrayRef> {
    let i = batch
        .schema()
        .index_of(text_column)
        .map_err(|_| InputError::new_err(format!("input: no text column {text_column:?}")))?;
    Ok(batch.column(i).clone())
}

/// A column function's keyword arguments as the parameter table of `stage`, with the CLI's
/// wording for a bad one.
fn stage_params(
    py: Python<'_>,
    stage: &str,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<toml::Table> {
    match params {
        Some(p) => serde_json::from_value(to_json(py, p.as_any())?)
            .map_err(|e| ConfigError::new_err(format!("pipeline config: stage {stage}: {e}"))),
        None => Ok(toml::Table::new()),
    }
}

/// MinHash signatures of a text column, computed exactly as the `minhash_dedup` stage does:
/// a `fixed_size_list<uint64>` of `num_buckets × hashes_per_bucket` values per row, null for
/// texts with fewer words than `n_grams`. Keyword arguments are the stage's parameters
/// (`n_grams`, `num_buckets`, `hashes_per_bucket`, `seed`, ...).
#[pyfunction]
#[pyo3(signature = (table, text_column = "text", **params))]
fn minhash_signatures(
    py: Python<'_>,
    table: &Bound<'_, PyAny>,
    text_column: &str,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyArrowType<arrow_data::ArrayData>> {
    let cfg = minhash::minhash_config(stage_params(py, "minhash_dedup", params)?).map_err(to_py)?;
    per_text_column(py, table, text_column, |t| minhash::signatures(t, &cfg))
}

/// LSH band keys of a text column (one `uint64` per band, lead bands after the main ones when
/// `lead_words` is set), as the `minhash_dedup` stage computes them; null for texts too short to
/// have shingles. Documents sharing a key at the same index are near-duplicate candidates.
#[pyfunction]
#[pyo3(signature = (table, text_column = "text", **params))]
fn minhash_band_keys(
    py: Python<'_>,
    table: &Bound<'_, PyAny>,
    text_column: &str,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyArrowType<arrow_data::ArrayData>> {
    let cfg = minhash::minhash_config(stage_params(py, "minhash_dedup", params)?).map_err(to_py)?;
    per_text_column(py, table, text_column, |t| minhash::band_keys(t, &cfg))
}

/// The body the column functions share: the text column of `table` as strings, `f` on
/// them without the GIL, the result as a pyarrow array.
fn per_text_column(
    py: Python<'_>,
    table: &Bound<'_, PyAny>,
    text_column: &str,
    f: impl FnOnce(&[Option<&str>]) -> gleaner::Result<arrow_array::FixedSizeListArray> + Send,
) -> PyResult<PyArrowType<arrow_data::ArrayData>> {
    let batch = one_batch(table)?;
    let texts = texts_of(&batch, text_column)?;
    let out = py
        .detach(|| f(&batch::strings(texts.as_ref(), text_column)?))
        .map_err(to_py)?;
    Ok(PyArrowType(out.into_data()))
}

/// The `exact_dedup` stage's 128-bit text hashes of a text column, as a
/// `fixed_size_list<uint64>[2]` (high and low halves) per row. Keyword arguments are the stage's
/// parameters (`normalize = "none" | "whitespace" | "simplify"`).
#[pyfunction]
#[pyo3(signature = (table, text_column = "text", **params))]
fn exact_hashes(
    py: Python<'_>,
    table: &Bound<'_, PyAny>,
    text_column: &str,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyArrowType<arrow_data::ArrayData>> {
    let cfg =
        crate::exact::exact_config(stage_params(py, "exact_dedup", params)?).map_err(to_py)?;
    per_text_column(py, table, text_column, |t| {
        crate::exact::exact_hashes(t, &cfg)
    })
}

/// Reads one input file with gleaner's own readers (JSONL, Parquet, WARC; gz/zst), as
/// `gleaner run` would, into a table with `id`, `text`, `metadata` (JSON) and `_position`
/// (`file_index << 40 | record`, the input order dedup keeps the first of). Returns
/// `(table, rejects)` where `rejects` lists the records that could not be read.
#[pyfunction]
#[pyo3(signature = (path, file_index = 0, text_field = "text", id_field = "id"))]
fn read_file(
    py: Python<'_>,
    path: PathBuf,
    file_index: usize,
    text_field: &str,
    id_field: &str,
) -> PyResult<(PyArrowType<Table>, Vec<String>)> {
    let input = gleaner::config::InputConfig {
        text_field: text_field.to_string(),
        id_field: id_field.to_string(),
        ..Default::default()
    };
    let (batch, rejects) = py
        .detach(|| batch::read_file(&path, file_index, &input))
        .map_err(to_py)?;
    Ok((to_table(batch)?, rejects))
}

/// Expands files, directories and glob patterns into the sorted file list `gleaner run` reads;
/// a file's index in it is the high part of its documents' positions.
#[pyfunction]
fn expand_inputs(paths: Vec<PathBuf>) -> PyResult<Vec<String>> {
    let files = gleaner::io::expand_inputs(&paths).map_err(to_py)?;
    Ok(files
        .into_iter()
        .map(|f| f.path.to_string_lossy().into_owned())
        .collect())
}

/// The stage types gleaner knows, as `{type: summary}`.
#[pyfunction]
fn stage_types<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for s in gleaner::stages::registry() {
        d.set_item(s.kind, s.summary)?;
    }
    Ok(d)
}

/// gleaner's Rust engine, exposed to Python.
#[pymodule]
fn _gleaner(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<PyPipeline>()?;
    m.add_class::<PyRunPlan>()?;
    m.add_class::<PySteps>()?;
    m.add_function(wrap_pyfunction!(minhash_signatures, m)?)?;
    m.add_function(wrap_pyfunction!(minhash_band_keys, m)?)?;
    m.add_function(wrap_pyfunction!(exact_hashes, m)?)?;
    m.add_function(wrap_pyfunction!(read_file, m)?)?;
    m.add_function(wrap_pyfunction!(expand_inputs, m)?)?;
    m.add_function(wrap_pyfunction!(stage_types, m)?)?;
    m.add_function(wrap_pyfunction!(steps::output_layout, m)?)?;
    m.add("GleanerError", py.get_type::<GleanerError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("OutputError", py.get_type::<OutputError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
