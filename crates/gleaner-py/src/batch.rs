//! Arrow record batches in, gleaner documents through the pipeline, kept and removed batches out.
//!
//! This module owns the mapping between Arrow columns and [`Document`]s that the Python bindings
//! and the Ray workers rely on: which column is the text and which the id, that a `metadata`
//! string column holds a JSON object, that every other column passes through untouched, and the
//! shape of the removed batch (the input columns plus the removal reason). It is plain Rust, so
//! `cargo test` covers it without a Python interpreter.

use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, UInt32Type, UInt64Type};
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray, UInt32Array, UInt64Array};
use arrow_schema::{DataType, Field, Schema};
use gleaner::io::{InputFile, open_records};
use gleaner::pipeline::DocOutcome;
use gleaner::stage::{CorpusInput, PrepareContext};
use gleaner::stages::BuiltStage;
use gleaner::{Document, Error, Pipeline, PipelineConfig, RemovedDocument, Result, StageStats};
use serde_json::{Map, Value};

/// Name of the column that holds a document's metadata as a JSON object string.
pub const METADATA_COLUMN: &str = "metadata";
/// Name of the column [`read_file`] fills with each document's input position.
pub const POSITION_COLUMN: &str = "_position";
/// Columns the removed batch adds after the input's columns. `kept_index` and `kept_url` are set
/// for a copy of an earlier corpus's document (dedup `against` an index): the index holding the
/// document `kept_id` names, and that document's URL when the index has one.
pub const REMOVAL_COLUMNS: [&str; 8] = [
    "stage",
    "rule",
    "value",
    "threshold",
    "kept_id",
    "detail",
    "kept_index",
    "kept_url",
];
/// Optional column holding the JSON list of lines the stages removed from a document.
pub const EDITS_COLUMN: &str = "edits";

/// Which columns hold what, and what to add to the output.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Column with the document text (Utf8, LargeUtf8 or Utf8View).
    pub text_column: String,
    /// Column with the document id (string or integer). When the batch has no such column, ids
    /// are the row numbers and the output gets an `id_column` of them.
    pub id_column: String,
    /// Add an `edits` column (JSON list of removed lines, null when none) to both outputs.
    pub with_edits: bool,
    /// Worker threads for this batch; 0 uses rayon's global pool (one thread per core).
    pub threads: usize,
    /// Memory budget in bytes for corpus-wide stages run on the batch.
    pub memory_budget: u64,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            text_column: "text".into(),
            id_column: "id".into(),
            with_edits: false,
            threads: 0,
            memory_budget: 2 << 30,
        }
    }
}

/// The result of [`process_batch`].
#[derive(Debug)]
pub struct ProcessedBatch {
    /// Kept documents in input order: id, text, metadata, then the other input columns.
    pub kept: RecordBatch,
    /// Removed documents in input order: the kept columns plus [`REMOVAL_COLUMNS`].
    pub removed: RecordBatch,
    /// Per-stage statistics of the batch.
    pub stats: Vec<StageStats>,
}

/// The input batch taken apart: documents (position = row number) and the columns that pass
/// through.
struct Decoded {
    docs: Vec<Document>,
    /// `(field, column)` of every column that is not text, id or metadata, in input order.
    passthrough: Vec<(Arc<Field>, ArrayRef)>,
}

/// Reads a string column of any Arrow string layout into per-row optional slices.
pub fn strings<'a>(array: &'a dyn Array, name: &str) -> Result<Vec<Option<&'a str>>> {
    if let Some(a) = array.as_string_opt::<i32>() {
        Ok(a.iter().collect())
    } else if let Some(a) = array.as_string_opt::<i64>() {
        Ok(a.iter().collect())
    } else if let Some(a) = array.as_string_view_opt() {
        Ok(a.iter().collect())
    } else {
        Err(Error::Input(format!(
            "column {name:?} must be a string column, found {}",
            array.data_type()
        )))
    }
}

/// Ids as strings: string columns as they are, integer columns printed in decimal.
fn ids(array: &dyn Array, name: &str) -> Result<Vec<Option<String>>> {
    macro_rules! ints {
        ($t:ty) => {
            if let Some(a) = array.as_primitive_opt::<$t>() {
                return Ok(a.iter().map(|v| v.map(|v| v.to_string())).collect());
            }
        };
    }
    ints!(Int64Type);
    ints!(Int32Type);
    ints!(UInt64Type);
    ints!(UInt32Type);
    Ok(strings(array, name)?
        .into_iter()
        .map(|s| s.map(str::to_string))
        .collect())
}

fn decode(batch: &RecordBatch, opts: &BatchOptions) -> Result<Decoded> {
    let schema = batch.schema();
    let text_index = schema.index_of(&opts.text_column).map_err(|_| {
        Error::Input(format!(
            "no text column {:?} (columns: {})",
            opts.text_column,
            column_names(&schema)
        ))
    })?;
    let texts = strings(batch.column(text_index).as_ref(), &opts.text_column)?;
    let id_index = schema.index_of(&opts.id_column).ok();
    let id_values = match id_index {
        Some(i) => Some(ids(batch.column(i).as_ref(), &opts.id_column)?),
        None => None,
    };
    let meta_index = schema
        .index_of(METADATA_COLUMN)
        .ok()
        .filter(|&i| Some(i) != id_index && i != text_index);
    let metas = match meta_index {
        Some(i) => Some(strings(batch.column(i).as_ref(), METADATA_COLUMN)?),
        None => None,
    };
    let mut docs = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let id = match &id_values {
            Some(v) => v[row].clone().unwrap_or_else(|| row.to_string()),
            None => row.to_string(),
        };
        // A null text is an empty document: every length rule will remove it with its reason.
        let mut doc = Document::new(id, texts[row].unwrap_or(""));
        if let Some(m) = metas.as_ref().and_then(|m| m[row]) {
            doc.metadata = parse_metadata(m, row)?;
        }
        doc.position = Document::make_position(0, row as u64);
        docs.push(doc);
    }
    let passthrough = (0..batch.num_columns())
        .filter(|&i| i != text_index && Some(i) != id_index && Some(i) != meta_index)
        .map(|i| (schema.fields()[i].clone(), batch.column(i).clone()))
        .collect();
    Ok(Decoded { docs, passthrough })
}

fn parse_metadata(text: &str, row: usize) -> Result<Map<String, Value>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(Error::Input(format!(
            "row {row}: column \"metadata\" must hold a JSON object, found {}",
            json_kind(&other)
        ))),
        Err(e) => Err(Error::Input(format!(
            "row {row}: column \"metadata\" is not JSON: {e}"
        ))),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn column_names(schema: &Schema) -> String {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    names.join(", ")
}

/// A batch's surviving documents as the input of a corpus stage's prepare pass (one "file").
struct SliceCorpus<'a>(&'a [Document]);

impl CorpusInput for SliceCorpus<'_> {
    fn file_count(&self) -> usize {
        1
    }
    fn for_each_in_file(&self, index: usize, f: &mut dyn FnMut(&Document)) -> Result<()> {
        if index == 0 {
            self.0.iter().for_each(f);
        }
        Ok(())
    }
}

/// Runs every stage of `pipeline` on the documents of `batch`, the batch standing for the whole
/// corpus: corpus-wide stages (dedup) are prepared on the documents that reach them, in a
/// temporary directory, so duplicates are found within the batch.
pub fn process_batch(
    pipeline: &mut Pipeline,
    batch: &RecordBatch,
    opts: &BatchOptions,
) -> Result<ProcessedBatch> {
    let Decoded { docs, passthrough } = decode(batch, opts)?;
    let (pool, threads) = pool(opts)?;
    let out = pool.install(|| run_segments(pipeline, docs, opts, threads))?;
    finish(out, &passthrough, opts)
}

/// [`process_batch`] for a pipeline without corpus-wide stages, which needs no exclusive access:
/// many threads (Python threads, Ray actors) may share one built pipeline.
pub fn process_batch_shared(
    pipeline: &Pipeline,
    batch: &RecordBatch,
    opts: &BatchOptions,
) -> Result<ProcessedBatch> {
    if let Some(&i) = pipeline.corpus_stage_indices().first() {
        return Err(Error::Config(format!(
            "stage {:?} needs the whole corpus; process the batch with a pipeline of its own",
            pipeline.stages[i].name
        )));
    }
    let Decoded { docs, passthrough } = decode(batch, opts)?;
    let (pool, _) = pool(opts)?;
    let out = pool.install(|| {
        let (outcomes, stats) = pipeline.run_batch(0..pipeline.stages.len(), docs);
        let mut kept = Vec::new();
        let mut removed = Vec::new();
        for o in outcomes {
            match o {
                DocOutcome::Kept(d) => kept.push(d),
                DocOutcome::Removed(r) => removed.push(r),
            }
        }
        (kept, removed, stats)
    });
    finish(out, &passthrough, opts)
}

fn pool(opts: &BatchOptions) -> Result<(rayon::ThreadPool, usize)> {
    let threads = if opts.threads == 0 {
        rayon::current_num_threads()
    } else {
        opts.threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Config(format!("cannot start {threads} threads: {e}")))?;
    Ok((pool, threads))
}

fn finish(
    (kept, removed, stats): SegmentOutput,
    passthrough: &[(Arc<Field>, ArrayRef)],
    opts: &BatchOptions,
) -> Result<ProcessedBatch> {
    let kept_batch = build_output(&kept, None, passthrough, opts)?;
    let removed_docs: Vec<&Document> = removed.iter().map(|r| &r.document).collect();
    let removed_batch = build_output(&removed_docs, Some(&removed), passthrough, opts)?;
    Ok(ProcessedBatch {
        kept: kept_batch,
        removed: removed_batch,
        stats,
    })
}

type SegmentOutput = (Vec<Document>, Vec<RemovedDocument>, Vec<StageStats>);

fn run_segments(
    pipeline: &mut Pipeline,
    docs: Vec<Document>,
    opts: &BatchOptions,
    threads: usize,
) -> Result<SegmentOutput> {
    let mut alive = docs;
    let mut removed = Vec::new();
    let mut stats = pipeline.empty_stats();
    let scratch = tempfile::Builder::new()
        .prefix("gleaner-batch-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    // What the stages hold for the whole run (a decontamination index) is not the corpus stages'.
    let spare_memory = pipeline.spare_memory(opts.memory_budget);
    // The executor's passes; an empty first pass (a corpus stage in first place) has nothing to
    // run in memory.
    for range in gleaner::executor::pass_ranges(pipeline)
        .into_iter()
        .filter(|r| !r.is_empty())
    {
        let first = range.start;
        if let BuiltStage::Corpus(stage) = &mut pipeline.stages[first].stage {
            let work_dir = scratch.path().join(format!("stage-{first}"));
            let cx = PrepareContext {
                work_dir: &work_dir,
                memory_budget: spare_memory,
                threads,
            };
            stage.prepare(&cx, &SliceCorpus(&alive))?;
        }
        let (outcomes, batch_stats) = pipeline.run_batch(range, std::mem::take(&mut alive));
        for (a, b) in stats.iter_mut().zip(&batch_stats) {
            a.merge(b);
        }
        for o in outcomes {
            match o {
                DocOutcome::Kept(d) => alive.push(d),
                DocOutcome::Removed(r) => removed.push(r),
            }
        }
    }
    removed.sort_by_key(|r| r.document.position);
    Ok((alive, removed, stats))
}

fn utf8_field(name: &str, nullable: bool) -> Arc<Field> {
    Arc::new(Field::new(name, DataType::Utf8, nullable))
}

fn json_or_null(v: &Value) -> Option<String> {
    (!v.is_null()).then(|| v.to_string())
}

fn build_output<D: std::borrow::Borrow<Document>>(
    docs: &[D],
    removals: Option<&[RemovedDocument]>,
    passthrough: &[(Arc<Field>, ArrayRef)],
    opts: &BatchOptions,
) -> Result<RecordBatch> {
    let docs: Vec<&Document> = docs.iter().map(|d| d.borrow()).collect();
    let mut fields = vec![
        utf8_field(&opts.id_column, false),
        utf8_field(&opts.text_column, false),
        utf8_field(METADATA_COLUMN, false),
    ];
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(docs.iter().map(|d| &d.id))),
        Arc::new(StringArray::from_iter_values(docs.iter().map(|d| &d.text))),
        Arc::new(StringArray::from_iter_values(docs.iter().map(|d| {
            serde_json::to_string(&d.metadata).unwrap_or_else(|_| "{}".into())
        }))),
    ];
    // Rows of the input batch, to carry the other columns along (position = row number).
    let rows =
        UInt32Array::from_iter_values(docs.iter().map(|d| (d.position & ((1 << 40) - 1)) as u32));
    for (field, column) in passthrough {
        let taken = arrow_select::take::take(column.as_ref(), &rows, None)
            .map_err(|e| Error::Input(format!("column {:?}: {e}", field.name())))?;
        fields.push(field.clone());
        columns.push(taken);
    }
    if let Some(removals) = removals {
        let reasons: Vec<_> = removals.iter().map(|r| &r.reason).collect();
        let cols: [Vec<Option<String>>; 8] = [
            reasons.iter().map(|r| Some(r.stage.clone())).collect(),
            reasons.iter().map(|r| Some(r.rule.clone())).collect(),
            reasons.iter().map(|r| json_or_null(&r.value)).collect(),
            reasons.iter().map(|r| json_or_null(&r.threshold)).collect(),
            reasons.iter().map(|r| r.kept_id.clone()).collect(),
            reasons.iter().map(|r| r.detail.clone()).collect(),
            reasons
                .iter()
                .map(|r| r.against.as_ref().map(|a| a.index.clone()))
                .collect(),
            reasons
                .iter()
                .map(|r| r.against.as_ref().and_then(|a| a.kept_url.clone()))
                .collect(),
        ];
        for (name, values) in REMOVAL_COLUMNS.iter().zip(cols) {
            let nullable = !matches!(*name, "stage" | "rule");
            fields.push(utf8_field(name, nullable));
            columns.push(Arc::new(StringArray::from(values)));
        }
    }
    if opts.with_edits {
        fields.push(utf8_field(EDITS_COLUMN, true));
        columns.push(Arc::new(StringArray::from_iter(docs.iter().map(|d| {
            (!d.edits.is_empty()).then(|| serde_json::to_string(&d.edits).unwrap_or_default())
        }))));
    }
    let mut seen = std::collections::BTreeSet::new();
    for f in &fields {
        if !seen.insert(f.name().as_str()) {
            return Err(Error::Input(format!(
                "input column {:?} clashes with a column gleaner writes; rename it",
                f.name()
            )));
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| Error::Input(format!("building the output batch: {e}")))
}

/// Reads one input file with gleaner's readers (as `gleaner run` does) into a batch with columns
/// `id`, `text`, `metadata` and [`POSITION_COLUMN`] (the document's input position: `file_index
/// << 40 | record`), plus the file's rejects as JSON lines.
pub fn read_file(
    path: &Path,
    file_index: usize,
    input: &gleaner::config::InputConfig,
) -> Result<(RecordBatch, Vec<String>)> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    let file = InputFile::new(file_index, path.to_path_buf(), size);
    let mut docs = Vec::new();
    let mut rejects = Vec::new();
    for record in open_records(&file, input, Arc::default()) {
        match record {
            Ok(d) => docs.push(d),
            Err(r) => rejects.push(r.to_string()),
        }
    }
    let fields = vec![
        utf8_field("id", false),
        utf8_field("text", false),
        utf8_field(METADATA_COLUMN, false),
        Arc::new(Field::new(POSITION_COLUMN, DataType::UInt64, false)),
    ];
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(docs.iter().map(|d| &d.id))),
        Arc::new(StringArray::from_iter_values(docs.iter().map(|d| &d.text))),
        Arc::new(StringArray::from_iter_values(docs.iter().map(|d| {
            serde_json::to_string(&d.metadata).unwrap_or_else(|_| "{}".into())
        }))),
        Arc::new(UInt64Array::from_iter_values(
            docs.iter().map(|d| d.position),
        )),
    ];
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
    Ok((batch, rejects))
}

/// The stage tables of a pipeline as JSON objects (paths already resolved), for introspection
/// and for building sub-pipelines.
pub fn stage_tables(cfg: &PipelineConfig) -> Vec<Value> {
    cfg.stages
        .iter()
        .map(|t| serde_json::to_value(t).unwrap_or(Value::Null))
        .collect()
}

/// A pipeline config from stage tables given as JSON objects (`{"type": ..., params...}`).
pub fn config_from_stage_json(stages: &Value) -> Result<PipelineConfig> {
    let list = stages
        .as_array()
        .ok_or_else(|| Error::Config("stages must be a list of tables".into()))?;
    let mut cfg = PipelineConfig::default();
    for (i, s) in list.iter().enumerate() {
        let table: toml::Table = serde_json::from_value(s.clone())
            .map_err(|e| Error::Config(format!("stage {}: {e}", i + 1)))?;
        cfg.stages.push(table);
    }
    // Build once to report bad types and parameters now, with the CLI's messages.
    Pipeline::from_config(&cfg)?;
    Ok(cfg)
}

#[cfg(test)]
mod tests;
