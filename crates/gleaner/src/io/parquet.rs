//! Parquet reading: the text and id columns are configurable; every other column becomes a
//! metadata field, nested ones (struct, map, list) as JSON objects and arrays. A column named
//! `metadata` that holds a struct, a map or a JSON object string is the metadata itself, and the
//! other columns are folded into it as JSONL's top-level fields are
//! ([`super::fields`]).
//!
//! Text and id columns may be strings of any Arrow layout (`Utf8`, `LargeUtf8`, `Utf8View`),
//! dictionaries of those, or binary columns holding UTF-8 (what many writers use for text); a
//! binary cell that is not UTF-8 rejects its row only. A file whose schema lacks the text column,
//! or whose text column is of another type, is rejected as a whole with a message naming the
//! columns it does have; a file without rows is one reject, like an empty JSONL file.
//!
//! Row groups are read one at a time, so a damaged row group (a page that does not decode) is one
//! reject naming its rows, and the row groups after it are still read.
//!
//! Cells are turned into JSON here rather than by `arrow-json`: that crate (and `arrow-cast`,
//! which it needs) is not otherwise a dependency, and only these few layouts occur in document
//! metadata. Types with no JSON counterpart (dates, decimals, …) are left out of the metadata.

use std::fs::File;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Decimal256Type, DecimalType, Float32Type, Float64Type,
    Int8Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Field};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder,
};
use serde_json::{Map, Value};

use super::fields::{QUIRK_KEY_COLLISION, default_id, fold_into_metadata, id_from_value};
use super::{InputFile, ReadCounters, RecordStream, Reject, compress, single_reject};
use crate::config::InputConfig;
use crate::document::Document;

const BATCH_ROWS: usize = 1024;

/// The bytes of a Parquet file: the file itself, or a whole-file-compressed one in memory.
enum Source {
    File(File),
    Memory(bytes::Bytes),
}

impl Source {
    fn metadata(&self) -> parquet::errors::Result<ArrowReaderMetadata> {
        let options = ArrowReaderOptions::default();
        match self {
            Source::File(f) => ArrowReaderMetadata::load(f, options),
            Source::Memory(b) => ArrowReaderMetadata::load(b, options),
        }
    }

    /// A reader of row group `group` alone.
    fn row_group(
        &self,
        metadata: &ArrowReaderMetadata,
        group: usize,
    ) -> parquet::errors::Result<ParquetRecordBatchReader> {
        match self {
            Source::File(f) => {
                ParquetRecordBatchReaderBuilder::new_with_metadata(f.try_clone()?, metadata.clone())
                    .with_row_groups(vec![group])
                    .with_batch_size(BATCH_ROWS)
                    .build()
            }
            Source::Memory(b) => {
                ParquetRecordBatchReaderBuilder::new_with_metadata(b.clone(), metadata.clone())
                    .with_row_groups(vec![group])
                    .with_batch_size(BATCH_ROWS)
                    .build()
            }
        }
    }
}

/// Runs `f`, turning a panic of the Parquet decoder (which damaged input can still provoke)
/// into an error message, so one bad file or row group cannot end the run.
fn guarded<T, E: std::fmt::Display>(f: impl FnOnce() -> Result<T, E>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the Parquet decoder failed on damaged data".to_string()),
    }
}

/// Opens a Parquet file (optionally gzip/zstd-compressed as a whole) as a record stream; quirks
/// (metadata key collisions, odd ids) are counted in `counters`.
pub fn read_parquet(
    file: &InputFile,
    cfg: &InputConfig,
    bytes_read: Arc<AtomicU64>,
    counters: Arc<ReadCounters>,
) -> RecordStream {
    let path = &file.path;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let compressed = compress::strip_compression_suffix(&name).len() != name.len();
    let source = if compressed {
        // A compressed Parquet file cannot be read by seeking; decompress it into memory.
        let mut buf = Vec::new();
        let res = compress::open_decompressed(path, bytes_read.clone(), file.large_members)
            .and_then(|mut r| std::io::Read::read_to_end(&mut r, &mut buf));
        if let Err(e) = res {
            let kind = if super::members::needs_reread(&e) {
                super::members::REREAD_KIND
            } else {
                "truncated"
            };
            return single_reject(Reject::new(path, kind, e.to_string()));
        }
        Source::Memory(bytes::Bytes::from(buf))
    } else {
        match File::open(path) {
            Ok(f) => {
                bytes_read.fetch_add(file.size, Ordering::Relaxed);
                Source::File(f)
            }
            Err(e) => return single_reject(Reject::new(path, "io", e.to_string())),
        }
    };
    let metadata = match guarded(|| source.metadata()) {
        Ok(m) => m,
        Err(e) => {
            return single_reject(Reject::new(
                path,
                "malformed_parquet",
                format!("not a readable Parquet file: {e}"),
            ));
        }
    };
    let schema = metadata.schema().clone();
    let text_ok = schema
        .field_with_name(&cfg.text_field)
        .map(|f| is_text(f.data_type()))
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
    if metadata.metadata().file_metadata().num_rows() == 0 {
        return single_reject(Reject::new(
            path,
            "empty_file",
            "the Parquet file has no rows",
        ));
    }
    let groups = metadata.metadata().num_row_groups();
    Box::new(ParquetRows {
        source,
        metadata,
        groups,
        next_group: 0,
        reader: None,
        group_end: 0,
        file: file.clone(),
        text_field: cfg.text_field.clone(),
        id_field: cfg.id_field.clone(),
        counters,
        pending: std::collections::VecDeque::new(),
        row: 0,
    })
}

/// Whether a column of this type can hold text (and ids): strings, dictionaries of them, and
/// binary columns, which many writers use for UTF-8 text.
fn is_text(t: &DataType) -> bool {
    match t {
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView => true,
        DataType::Dictionary(_, values) => is_text(values),
        _ => false,
    }
}

struct ParquetRows {
    source: Source,
    metadata: ArrowReaderMetadata,
    groups: usize,
    next_group: usize,
    /// The reader of the row group being read, which ends at row `group_end`.
    reader: Option<ParquetRecordBatchReader>,
    group_end: u64,
    file: InputFile,
    text_field: String,
    id_field: String,
    counters: Arc<ReadCounters>,
    pending: std::collections::VecDeque<Result<Document, Reject>>,
    /// The next row's number in the file.
    row: u64,
}

impl Iterator for ParquetRows {
    type Item = Result<Document, Reject>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            if let Some(reader) = &mut self.reader {
                match guarded(|| reader.next().transpose()) {
                    Ok(Some(batch)) => self.convert(&batch),
                    Ok(None) => self.reader = None,
                    Err(e) => return Some(Err(self.lose_rest_of_group(&e))),
                }
                continue;
            }
            if self.next_group == self.groups {
                return None;
            }
            let group = self.next_group;
            self.next_group += 1;
            let rows = self.metadata.metadata().row_group(group).num_rows();
            self.group_end = self.row + rows.max(0) as u64;
            match guarded(|| self.source.row_group(&self.metadata, group)) {
                Ok(reader) => self.reader = Some(reader),
                Err(e) => return Some(Err(self.lose_rest_of_group(&e))),
            }
        }
    }
}

impl ParquetRows {
    /// The reject for the rows of the current row group not read yet (all of them unless the
    /// damage lies past its first pages); reading goes on with the next row group.
    fn lose_rest_of_group(&mut self, error: &str) -> Reject {
        let (first, end) = (self.row, self.group_end);
        self.reader = None;
        self.row = end;
        Reject::new(
            &self.file.path,
            "corrupt_row_group",
            format!(
                "row group {} (rows {first} to {}) cannot be read: {error}; the other row groups are read",
                self.next_group - 1,
                end.saturating_sub(1)
            ),
        )
        .at_record(first)
    }

    fn convert(&mut self, batch: &RecordBatch) {
        let schema = batch.schema();
        let text_idx = schema.index_of(&self.text_field).expect("checked at open");
        let id_idx = schema.index_of(&self.id_field).ok();
        let meta_idx = schema
            .index_of("metadata")
            .ok()
            .filter(|&i| i != text_idx && Some(i) != id_idx);
        for r in 0..batch.num_rows() {
            let row = self.row;
            self.row += 1;
            let text_cell = text_at(batch.column(text_idx).as_ref(), r);
            let text = match text_cell {
                Some(Ok(s)) => s.to_string(),
                Some(Err(e)) => {
                    self.pending
                        .push_back(Err(self.invalid_utf8(&self.text_field, e, row)));
                    continue;
                }
                None => {
                    self.pending.push_back(Err(Reject::new(
                        &self.file.path,
                        "missing_text",
                        format!("row has a null \"{}\"", self.text_field),
                    )
                    .at_record(row)));
                    continue;
                }
            };
            let id_value = match id_idx.map(|i| batch.column(i).as_ref()) {
                Some(col) if is_text(col.data_type()) => match text_at(col, r) {
                    Some(Ok(s)) => Some(Value::String(s.to_string())),
                    Some(Err(e)) => {
                        self.pending
                            .push_back(Err(self.invalid_utf8(&self.id_field, e, row)));
                        continue;
                    }
                    None => None,
                },
                Some(col) => Some(cell(col, r)),
                None => None,
            };
            let (mut id, id_quirk) = id_from_value(id_value);
            if let Some(q) = id_quirk {
                self.counters.add(q, 1);
            }
            if id.is_empty() {
                id = default_id(&self.file.path, row);
            }
            let mut metadata = match meta_idx.map(|i| cell(batch.column(i).as_ref(), r)) {
                Some(Value::Object(m)) => m,
                Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
                    Ok(Value::Object(m)) => m,
                    _ => Map::from_iter([("metadata".to_string(), Value::String(s))]),
                },
                Some(Value::Null) | None => Map::new(),
                Some(other) => Map::from_iter([("metadata".to_string(), other)]),
            };
            let mut collisions = 0;
            for (i, field) in schema.fields().iter().enumerate() {
                if i == text_idx || Some(i) == id_idx || Some(i) == meta_idx {
                    continue;
                }
                let column = batch.column(i);
                let v = cell(column.as_ref(), r);
                if v.is_null() {
                    if column.is_valid(r) {
                        self.counters.add(QUIRK_UNSUPPORTED_TYPE, 1);
                    }
                } else if fold_into_metadata(&mut metadata, field.name().clone(), v) {
                    collisions += 1;
                }
            }
            if collisions > 0 {
                self.counters.add(QUIRK_KEY_COLLISION, collisions);
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

    fn invalid_utf8(&self, column: &str, e: std::str::Utf8Error, row: u64) -> Reject {
        Reject::new(
            &self.file.path,
            "invalid_utf8",
            format!(
                "binary column \"{column}\" holds invalid UTF-8 at byte {} of the row's value",
                e.valid_up_to()
            ),
        )
        .at_record(row)
    }
}

/// The array and index holding cell `r` of `col`, looking through a dictionary; `None` when the
/// cell is null.
fn resolve(col: &dyn Array, r: usize) -> Option<(&dyn Array, usize)> {
    if col.is_null(r) {
        return None;
    }
    let Some(dict) = col.as_any_dictionary_opt() else {
        return Some((col, r));
    };
    let keys = dict.keys();
    let key = match keys.data_type() {
        DataType::Int8 => keys.as_primitive::<Int8Type>().value(r) as usize,
        DataType::Int16 => keys.as_primitive::<Int16Type>().value(r) as usize,
        DataType::Int32 => keys.as_primitive::<Int32Type>().value(r) as usize,
        DataType::Int64 => keys.as_primitive::<Int64Type>().value(r) as usize,
        DataType::UInt8 => keys.as_primitive::<UInt8Type>().value(r) as usize,
        DataType::UInt16 => keys.as_primitive::<UInt16Type>().value(r) as usize,
        DataType::UInt32 => keys.as_primitive::<UInt32Type>().value(r) as usize,
        DataType::UInt64 => keys.as_primitive::<UInt64Type>().value(r) as usize,
        _ => return None,
    };
    let values = dict.values().as_ref();
    // Arrow validates dictionary keys when the array is built; a key out of range is a null.
    if key >= values.len() {
        return None;
    }
    resolve(values, key)
}

/// The text in cell `r` of a column [`is_text`] accepts: `None` when null, an error when a
/// binary cell is not UTF-8.
fn text_at(col: &dyn Array, r: usize) -> Option<Result<&str, std::str::Utf8Error>> {
    let (col, r) = resolve(col, r)?;
    let bytes = match col.data_type() {
        DataType::Utf8 => return Some(Ok(col.as_string::<i32>().value(r))),
        DataType::LargeUtf8 => return Some(Ok(col.as_string::<i64>().value(r))),
        DataType::Utf8View => return Some(Ok(col.as_string_view().value(r))),
        DataType::Binary => col.as_binary::<i32>().value(r),
        DataType::LargeBinary => col.as_binary::<i64>().value(r),
        DataType::BinaryView => col.as_binary_view().value(r),
        _ => return None,
    };
    // simdutf8 first, as for JSONL; its error carries no position, so std words it.
    Some(simdutf8::basic::from_utf8(bytes).or_else(|_| std::str::from_utf8(bytes)))
}

/// One cell as JSON. Binary cells that are UTF-8 become strings, others arrays of byte values
/// (lossless); structs become objects (null fields left out, as null columns are), maps objects
/// (non-string keys as their JSON text), lists arrays; dates and timestamps ISO 8601 strings
/// (`Z` when the column has a time zone: Arrow stores those as UTC instants), decimals their exact
/// decimal text. Other types (times of day, durations, intervals) are null, and the reader counts
/// each such non-null cell ([`QUIRK_UNSUPPORTED_TYPE`]) so nothing is dropped without a word.
fn cell(col: &dyn Array, r: usize) -> Value {
    let Some((col, r)) = resolve(col, r) else {
        return Value::Null;
    };
    match col.data_type() {
        DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView => match text_at(col, r) {
            Some(Ok(s)) => Value::String(s.to_string()),
            Some(Err(_)) => match col.data_type() {
                DataType::Binary => bytes_value(col.as_binary::<i32>().value(r)),
                DataType::LargeBinary => bytes_value(col.as_binary::<i64>().value(r)),
                _ => bytes_value(col.as_binary_view().value(r)),
            },
            None => Value::Null,
        },
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
        DataType::Struct(fields) => {
            let s = col.as_struct();
            Value::Object(struct_object(fields, s.columns(), r))
        }
        DataType::Map(..) => {
            let m = col.as_map();
            let offsets = m.value_offsets();
            let (start, end) = (offsets[r] as usize, offsets[r + 1] as usize);
            let mut out = Map::new();
            for i in start..end {
                let key = match cell(m.keys().as_ref(), i) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out.insert(key, cell(m.values().as_ref(), i));
            }
            Value::Object(out)
        }
        DataType::List(_) => {
            let l = col.as_list::<i32>();
            let offsets = l.value_offsets();
            list_value(
                l.values().as_ref(),
                offsets[r] as usize,
                offsets[r + 1] as usize,
            )
        }
        DataType::LargeList(_) => {
            let l = col.as_list::<i64>();
            let offsets = l.value_offsets();
            list_value(
                l.values().as_ref(),
                offsets[r] as usize,
                offsets[r + 1] as usize,
            )
        }
        DataType::FixedSizeList(..) => {
            let l = col.as_fixed_size_list();
            let start = l.value_offset_at(r);
            list_value(l.values().as_ref(), start, l.value_offset_at(r + 1))
        }
        DataType::Date32 => date_value(col.as_primitive::<Date32Type>().value_as_date(r)),
        DataType::Date64 => date_value(col.as_primitive::<Date64Type>().value_as_date(r)),
        DataType::Timestamp(unit, tz) => {
            use arrow_schema::TimeUnit;
            let dt = match unit {
                TimeUnit::Second => col
                    .as_primitive::<TimestampSecondType>()
                    .value_as_datetime(r),
                TimeUnit::Millisecond => col
                    .as_primitive::<TimestampMillisecondType>()
                    .value_as_datetime(r),
                TimeUnit::Microsecond => col
                    .as_primitive::<TimestampMicrosecondType>()
                    .value_as_datetime(r),
                TimeUnit::Nanosecond => col
                    .as_primitive::<TimestampNanosecondType>()
                    .value_as_datetime(r),
            };
            match dt {
                Some(dt) => {
                    let zone = if tz.is_some() { "Z" } else { "" };
                    Value::String(format!("{}{zone}", dt.format("%Y-%m-%dT%H:%M:%S%.f")))
                }
                None => Value::Null,
            }
        }
        DataType::Decimal128(precision, scale) => Value::String(Decimal128Type::format_decimal(
            col.as_primitive::<Decimal128Type>().value(r),
            *precision,
            *scale,
        )),
        DataType::Decimal256(precision, scale) => Value::String(Decimal256Type::format_decimal(
            col.as_primitive::<Decimal256Type>().value(r),
            *precision,
            *scale,
        )),
        _ => Value::Null,
    }
}

/// Counted once per non-null Parquet cell whose type has no JSON form (see [`cell`]).
pub const QUIRK_UNSUPPORTED_TYPE: &str = "quirk.parquet_unsupported_type";

fn date_value<D: std::fmt::Display>(d: Option<D>) -> Value {
    d.map_or(Value::Null, |d| Value::String(d.to_string()))
}

fn struct_object(
    fields: &arrow_schema::Fields,
    columns: &[arrow_array::ArrayRef],
    r: usize,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (field, child) in fields.iter().zip(columns) {
        let field: &Field = field;
        let v = cell(child.as_ref(), r);
        if !v.is_null() {
            out.insert(field.name().clone(), v);
        }
    }
    out
}

fn list_value(values: &dyn Array, start: usize, end: usize) -> Value {
    Value::Array((start..end).map(|i| cell(values, i)).collect())
}

fn bytes_value(b: &[u8]) -> Value {
    Value::Array(b.iter().map(|&x| Value::from(x)).collect())
}
