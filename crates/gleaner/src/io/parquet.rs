//! Parquet reading: the text and id columns are configurable; other scalar columns (strings,
//! integers, floats, booleans) become metadata fields. A file whose schema lacks the text column,
//! or whose text column is not a string, is rejected as a whole with a message naming the columns
//! it does have.

use std::fs::File;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch, RecordBatchReader};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use serde_json::{Map, Value};

use super::jsonl::default_id;
use super::{InputFile, RecordStream, Reject, compress, single_reject};
use crate::config::InputConfig;
use crate::document::Document;

const BATCH_ROWS: usize = 1024;

/// Opens a Parquet file (optionally gzip/zstd-compressed as a whole) as a record stream.
pub fn read_parquet(
    file: &InputFile,
    cfg: &InputConfig,
    bytes_read: Arc<AtomicU64>,
) -> RecordStream {
    let path = &file.path;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let compressed = compress::strip_compression_suffix(&name).len() != name.len();
    let builder = if compressed {
        // A compressed Parquet file cannot be read by seeking; decompress it into memory.
        let mut buf = Vec::new();
        let res = compress::open_decompressed(path, bytes_read.clone())
            .and_then(|mut r| std::io::Read::read_to_end(&mut r, &mut buf));
        if let Err(e) = res {
            return single_reject(Reject::new(path, "truncated", e.to_string()));
        }
        ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(buf))
            .map(|b| b.with_batch_size(BATCH_ROWS).build())
    } else {
        let f = match File::open(path) {
            Ok(f) => f,
            Err(e) => return single_reject(Reject::new(path, "io", e.to_string())),
        };
        bytes_read.fetch_add(file.size, Ordering::Relaxed);
        ParquetRecordBatchReaderBuilder::try_new(f).map(|b| b.with_batch_size(BATCH_ROWS).build())
    };
    let reader = match builder {
        Ok(Ok(r)) => r,
        Ok(Err(e)) | Err(e) => {
            return single_reject(Reject::new(
                path,
                "malformed_parquet",
                format!("not a readable Parquet file: {e}"),
            ));
        }
    };
    let schema = reader.schema();
    let text_ok = schema
        .field_with_name(&cfg.text_field)
        .map(|f| is_string(f.data_type()))
        .ok();
    match text_ok {
        Some(true) => {}
        found => {
            let cols: Vec<String> = schema
                .fields()
                .iter()
                .map(|f| format!("{} ({})", f.name(), f.data_type()))
                .collect();
            let what = if found.is_some() {
                "is not a string column"
            } else {
                "is missing"
            };
            return single_reject(Reject::new(
                path,
                "schema",
                format!(
                    "text column \"{}\" {what}; the file has: {}",
                    cfg.text_field,
                    cols.join(", ")
                ),
            ));
        }
    }
    Box::new(ParquetRows {
        reader,
        file: file.clone(),
        text_field: cfg.text_field.clone(),
        id_field: cfg.id_field.clone(),
        pending: std::collections::VecDeque::new(),
        row: 0,
        done: false,
    })
}

fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

struct ParquetRows {
    reader: ParquetRecordBatchReader,
    file: InputFile,
    text_field: String,
    id_field: String,
    pending: std::collections::VecDeque<Result<Document, Reject>>,
    row: u64,
    done: bool,
}

impl Iterator for ParquetRows {
    type Item = Result<Document, Reject>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            match self.reader.next() {
                None => self.done = true,
                Some(Err(e)) => {
                    self.done = true;
                    return Some(Err(Reject::new(
                        &self.file.path,
                        "truncated",
                        format!("cannot read rows: {e}"),
                    )
                    .at_record(self.row)));
                }
                Some(Ok(batch)) => self.convert(&batch),
            }
        }
    }
}

impl ParquetRows {
    fn convert(&mut self, batch: &RecordBatch) {
        let schema = batch.schema();
        let text_idx = schema.index_of(&self.text_field).expect("checked at open");
        let id_idx = schema.index_of(&self.id_field).ok();
        for r in 0..batch.num_rows() {
            let row = self.row;
            self.row += 1;
            let text = match cell(batch.column(text_idx).as_ref(), r) {
                Value::String(s) => s,
                _ => {
                    self.pending.push_back(Err(Reject::new(
                        &self.file.path,
                        "missing_text",
                        format!("row has a null \"{}\"", self.text_field),
                    )
                    .at_record(row)));
                    continue;
                }
            };
            let id = match id_idx.map(|i| cell(batch.column(i).as_ref(), r)) {
                Some(Value::String(s)) => s,
                Some(Value::Number(n)) => n.to_string(),
                _ => default_id(&self.file.path, row),
            };
            let mut metadata = Map::new();
            for (i, field) in schema.fields().iter().enumerate() {
                if i == text_idx || Some(i) == id_idx {
                    continue;
                }
                let v = cell(batch.column(i).as_ref(), r);
                if field.name() == "metadata"
                    && let Value::String(s) = &v
                    && let Ok(Value::Object(m)) = serde_json::from_str::<Value>(s)
                {
                    for (k, v) in m {
                        metadata.entry(k).or_insert(v);
                    }
                    continue;
                }
                if !v.is_null() {
                    metadata.insert(field.name().clone(), v);
                }
            }
            self.pending.push_back(Ok(Document {
                id,
                text,
                metadata,
                position: Document::make_position(self.file.index, row),
                edits: Vec::new(),
            }));
        }
    }
}

/// One cell as JSON; nested and exotic types come back as null (not carried into metadata).
fn cell(col: &dyn Array, r: usize) -> Value {
    if col.is_null(r) {
        return Value::Null;
    }
    match col.data_type() {
        DataType::Utf8 => Value::String(col.as_string::<i32>().value(r).to_string()),
        DataType::LargeUtf8 => Value::String(col.as_string::<i64>().value(r).to_string()),
        DataType::Utf8View => Value::String(col.as_string_view().value(r).to_string()),
        DataType::Boolean => Value::Bool(col.as_boolean().value(r)),
        DataType::Int8 => col.as_primitive::<Int8Type>().value(r).into(),
        DataType::Int16 => col.as_primitive::<Int16Type>().value(r).into(),
        DataType::Int32 => col.as_primitive::<Int32Type>().value(r).into(),
        DataType::Int64 => col.as_primitive::<Int64Type>().value(r).into(),
        DataType::UInt8 => col.as_primitive::<UInt8Type>().value(r).into(),
        DataType::UInt16 => col.as_primitive::<UInt16Type>().value(r).into(),
        DataType::UInt32 => col.as_primitive::<UInt32Type>().value(r).into(),
        DataType::UInt64 => col.as_primitive::<UInt64Type>().value(r).into(),
        DataType::Float32 => {
            serde_json::Number::from_f64(col.as_primitive::<Float32Type>().value(r) as f64)
                .map(Value::Number)
                .unwrap_or(Value::Null)
        }
        DataType::Float64 => {
            serde_json::Number::from_f64(col.as_primitive::<Float64Type>().value(r))
                .map(Value::Number)
                .unwrap_or(Value::Null)
        }
        _ => Value::Null,
    }
}
