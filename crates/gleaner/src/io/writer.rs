//! Sharded output: documents go to `PREFIX-0000.jsonl.zst`, `PREFIX-0001…`, a new shard starting
//! when the current one reaches its document or byte limit. Every shard is an [`AtomicFile`], so
//! a killed run leaves temporary files, never truncated shards under final names.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression as PqCompression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::AtomicFile;
use super::compress::CompressedWriter;
use super::jsonl::encode_line;
use crate::config::{Compression, OutputConfig, OutputFormat};
use crate::document::{Document, LineEdit, Reason};
use crate::error::{Error, Result};

/// One row to write: a document, and for removed documents the reason (and any line edits).
#[derive(Clone, Copy)]
pub struct OutRow<'a> {
    /// The document.
    pub doc: &'a Document,
    /// Why it was removed (removed shards only).
    pub removal: Option<&'a Reason>,
    /// Lines removed from it (audit shards only).
    pub edits: Option<&'a [LineEdit]>,
}

/// How shards are written.
#[derive(Debug, Clone, Copy)]
pub struct ShardWriterOptions {
    /// File format.
    pub format: OutputFormat,
    /// JSONL compression.
    pub compression: Compression,
    /// Compression level.
    pub level: i32,
    /// Documents per shard.
    pub max_docs: u64,
    /// Uncompressed bytes per shard.
    pub max_bytes: u64,
}

impl ShardWriterOptions {
    /// The options an `[output]` section asks for.
    pub fn from_output(cfg: &OutputConfig) -> Self {
        ShardWriterOptions {
            format: cfg.format,
            compression: cfg.compression,
            level: cfg.level,
            max_docs: cfg.max_docs_per_shard.max(1),
            max_bytes: cfg.max_bytes_per_shard.0.max(1),
        }
    }

    /// Plain zstd JSONL, for audit and intermediate files.
    pub fn jsonl_zst() -> Self {
        ShardWriterOptions {
            format: OutputFormat::Jsonl,
            compression: Compression::Zst,
            level: 3,
            max_docs: u64::MAX,
            max_bytes: u64::MAX,
        }
    }

    fn extension(&self) -> String {
        match self.format {
            OutputFormat::Jsonl => format!(".jsonl{}", self.compression.suffix()),
            OutputFormat::Parquet => ".parquet".to_string(),
        }
    }
}

enum OpenShard {
    Jsonl(CompressedWriter<AtomicFile>),
    Parquet(ParquetShard),
}

/// Writes documents into size-limited shards under one directory and name prefix.
pub struct ShardWriter {
    dir: PathBuf,
    prefix: String,
    opts: ShardWriterOptions,
    current: Option<OpenShard>,
    next_shard: u32,
    docs_in_shard: u64,
    bytes_in_shard: u64,
    written: Vec<PathBuf>,
    line: Vec<u8>,
}

impl ShardWriter {
    /// A writer of `DIR/PREFIX-NNNN.EXT` shards. Nothing is created until the first document.
    pub fn new(dir: &Path, prefix: &str, opts: ShardWriterOptions) -> Self {
        ShardWriter {
            dir: dir.to_path_buf(),
            prefix: prefix.to_string(),
            opts,
            current: None,
            next_shard: 0,
            docs_in_shard: 0,
            bytes_in_shard: 0,
            written: Vec::new(),
            line: Vec::new(),
        }
    }

    fn open_next(&mut self) -> Result<()> {
        let name = format!(
            "{}-{:04}{}",
            self.prefix,
            self.next_shard,
            self.opts.extension()
        );
        self.next_shard += 1;
        let file = AtomicFile::create(&self.dir.join(name))?;
        let dest = file.dest().to_path_buf();
        self.current = Some(match self.opts.format {
            OutputFormat::Jsonl => OpenShard::Jsonl(
                CompressedWriter::new(file, self.opts.compression, self.opts.level)
                    .map_err(|e| Error::io(&dest, e))?,
            ),
            OutputFormat::Parquet => OpenShard::Parquet(ParquetShard::new(file, self.opts.level)?),
        });
        self.docs_in_shard = 0;
        self.bytes_in_shard = 0;
        Ok(())
    }

    /// Appends one row, opening or rolling over shards as needed.
    pub fn write(&mut self, row: OutRow<'_>) -> Result<()> {
        if self.current.is_none() {
            self.open_next()?;
        }
        let size = match self.current.as_mut().expect("opened above") {
            OpenShard::Jsonl(w) => {
                self.line.clear();
                encode_line(&mut self.line, row.doc, row.removal, row.edits);
                w.write_all(&self.line)
                    .map_err(|e| Error::io(&self.dir, e))?;
                self.line.len() as u64
            }
            OpenShard::Parquet(p) => p.push(row)?,
        };
        self.docs_in_shard += 1;
        self.bytes_in_shard += size;
        if self.docs_in_shard >= self.opts.max_docs || self.bytes_in_shard >= self.opts.max_bytes {
            self.close_current()?;
        }
        Ok(())
    }

    fn close_current(&mut self) -> Result<()> {
        if let Some(shard) = self.current.take() {
            let path = match shard {
                OpenShard::Jsonl(w) => {
                    let file = w.finish().map_err(|e| Error::io(&self.dir, e))?;
                    file.commit()?
                }
                OpenShard::Parquet(p) => p.finish()?,
            };
            self.written.push(path);
        }
        Ok(())
    }

    /// Closes the last shard and returns every shard written, in order.
    pub fn finish(mut self) -> Result<Vec<PathBuf>> {
        self.close_current()?;
        Ok(std::mem::take(&mut self.written))
    }
}

/// Rows buffered between Parquet row groups: enough to compress well, few enough to bound memory.
const PARQUET_BATCH_ROWS: usize = 4096;
const PARQUET_BATCH_BYTES: usize = 64 << 20;

struct ParquetShard {
    writer: ArrowWriter<AtomicFile>,
    dest: PathBuf,
    ids: Vec<String>,
    texts: Vec<String>,
    metadata: Vec<String>,
    removals: Vec<Option<String>>,
    edits: Vec<Option<String>>,
    buffered_bytes: usize,
}

fn parquet_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("text", DataType::Utf8, false),
        Field::new("metadata", DataType::Utf8, false),
        Field::new("removal", DataType::Utf8, true),
        Field::new("edits", DataType::Utf8, true),
    ]))
}

impl ParquetShard {
    fn new(file: AtomicFile, level: i32) -> Result<Self> {
        let dest = file.dest().to_path_buf();
        let level = ZstdLevel::try_new(level.clamp(1, 22)).unwrap_or_default();
        let props = WriterProperties::builder()
            .set_compression(PqCompression::ZSTD(level))
            .set_created_by("gleaner".to_string())
            .build();
        let writer = ArrowWriter::try_new(file, parquet_schema(), Some(props))
            .map_err(|e| Error::Output(format!("{}: {e}", dest.display())))?;
        Ok(ParquetShard {
            writer,
            dest,
            ids: Vec::new(),
            texts: Vec::new(),
            metadata: Vec::new(),
            removals: Vec::new(),
            edits: Vec::new(),
            buffered_bytes: 0,
        })
    }

    fn push(&mut self, row: OutRow<'_>) -> Result<u64> {
        let meta = serde_json::to_string(&row.doc.metadata).expect("JSON map serialises");
        let size = row.doc.id.len() + row.doc.text.len() + meta.len();
        self.ids.push(row.doc.id.clone());
        self.texts.push(row.doc.text.clone());
        self.metadata.push(meta);
        self.removals.push(
            row.removal
                .map(|r| serde_json::to_string(r).expect("reason serialises")),
        );
        self.edits.push(
            row.edits
                .map(|e| serde_json::to_string(e).expect("edits serialise")),
        );
        self.buffered_bytes += size;
        if self.ids.len() >= PARQUET_BATCH_ROWS || self.buffered_bytes >= PARQUET_BATCH_BYTES {
            self.flush_batch()?;
        }
        Ok(size as u64)
    }

    fn flush_batch(&mut self) -> Result<()> {
        if self.ids.is_empty() {
            return Ok(());
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(std::mem::take(&mut self.ids))),
            Arc::new(StringArray::from(std::mem::take(&mut self.texts))),
            Arc::new(StringArray::from(std::mem::take(&mut self.metadata))),
            Arc::new(StringArray::from(std::mem::take(&mut self.removals))),
            Arc::new(StringArray::from(std::mem::take(&mut self.edits))),
        ];
        self.buffered_bytes = 0;
        let batch = RecordBatch::try_new(parquet_schema(), columns)
            .map_err(|e| Error::Output(format!("{}: {e}", self.dest.display())))?;
        self.writer
            .write(&batch)
            .map_err(|e| Error::Output(format!("{}: {e}", self.dest.display())))
    }

    fn finish(mut self) -> Result<PathBuf> {
        self.flush_batch()?;
        let dest = self.dest.clone();
        let file = self
            .writer
            .into_inner()
            .map_err(|e| Error::Output(format!("{}: {e}", dest.display())))?;
        file.commit()
    }
}
