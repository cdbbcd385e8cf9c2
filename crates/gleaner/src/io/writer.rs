//! Sharded output: documents go to `PREFIX-0000.jsonl.zst`, `PREFIX-0001…`, a new shard starting
//! when the current one reaches its document or byte limit. Every shard is an [`AtomicFile`], so
//! a killed run leaves temporary files, never truncated shards under final names.
//!
//! Compressed JSONL is written as a sequence of independent frames (zstd frames or gzip members,
//! both valid single files to every decoder) of about [`FRAME_BYTES`] each. Rows are encoded and
//! frames compressed in parallel on the current rayon pool, so one large input file still uses
//! every core for its output; frame boundaries depend only on the bytes written, never on the
//! thread count, so output stays byte-identical. Uncompressed JSONL skips framing: encoded rows
//! go to the file as they are.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression as PqCompression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::AtomicFile;
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
    /// How rows are encoded.
    pub encoding: RowEncoding,
}

/// How a row becomes a JSON line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowEncoding {
    /// `{"id","text","metadata"[,"removal"][,"edits"]}`: the output format.
    Output,
    /// The output fields plus the input position and every line edit: what one pass hands the
    /// next, so nothing a later stage or the audit needs is lost between passes.
    Carried,
}

/// Rows encoded as JSON lines into one buffer, ready for [`ShardWriter::write_encoded`].
#[derive(Debug, Default)]
pub struct EncodedRows {
    buf: Vec<u8>,
    /// Where each line ends in `buf`.
    ends: Vec<usize>,
}

impl EncodedRows {
    /// An empty buffer with room for `bytes` of text in `rows` rows, plus what their escapes
    /// and metadata usually add, so it is not regrown (and copied) while filling.
    pub fn with_capacity(bytes: usize, rows: usize) -> Self {
        let mut e = EncodedRows::default();
        e.reserve(bytes, rows);
        e
    }

    /// The buffer bytes [`with_capacity`](Self::with_capacity) sets aside for `bytes` of text
    /// in `rows` rows.
    pub fn room_for(bytes: usize, rows: usize) -> usize {
        bytes + bytes / 8 + 256 * rows
    }

    /// Makes room for `bytes` of text in `rows` more rows (see [`with_capacity`](Self::with_capacity)).
    pub fn reserve(&mut self, bytes: usize, rows: usize) {
        self.buf.reserve(Self::room_for(bytes, rows));
        self.ends.reserve(rows);
    }

    /// Forgets every row, keeping the memory for reuse.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.ends.clear();
    }

    /// An empty buffer sized for `rows`.
    pub fn for_rows(rows: &[OutRow<'_>]) -> Self {
        let text: usize = rows.iter().map(|r| r.doc.id.len() + r.doc.text.len()).sum();
        Self::with_capacity(text, rows.len())
    }

    /// Encodes one row as a line.
    pub fn push(&mut self, encoding: RowEncoding, row: OutRow<'_>) {
        match encoding {
            RowEncoding::Output => encode_line(&mut self.buf, row.doc, row.removal, row.edits),
            RowEncoding::Carried => encode_carried(&mut self.buf, row.doc),
        }
        self.ends.push(self.buf.len());
    }

    /// Bytes the buffer holds room for.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Rows encoded.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether no row is encoded.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// Uncompressed bytes per compressed frame: large enough that splitting costs ~1-2% of
/// compression ratio, small enough that one batch yields several frames to compress in parallel.
pub const FRAME_BYTES: usize = 512 << 10;

impl ShardWriterOptions {
    /// The options an `[output]` section asks for.
    pub fn from_output(cfg: &OutputConfig) -> Self {
        ShardWriterOptions {
            format: cfg.format,
            compression: cfg.compression,
            level: cfg.level,
            max_docs: cfg.max_docs_per_shard.max(1),
            max_bytes: cfg.max_bytes_per_shard.0.max(1),
            encoding: RowEncoding::Output,
        }
    }

    /// Plain zstd JSONL at level 1 (the `[output] level` default: see its speed table), for
    /// audit and intermediate files.
    pub fn jsonl_zst() -> Self {
        ShardWriterOptions {
            format: OutputFormat::Jsonl,
            compression: Compression::Zst,
            level: 1,
            max_docs: u64::MAX,
            max_bytes: u64::MAX,
            encoding: RowEncoding::Output,
        }
    }

    /// Carried documents between passes: zstd level 1 (read once, then deleted), one shard.
    /// Negative levels would not pay: on text they are barely faster and a third larger.
    pub fn carried() -> Self {
        ShardWriterOptions {
            encoding: RowEncoding::Carried,
            ..Self::jsonl_zst()
        }
    }

    /// Whether rows are written as JSON lines, which [`EncodedRows`] can prepare on any thread.
    pub fn encodes_lines(&self) -> bool {
        self.format == OutputFormat::Jsonl
    }

    fn extension(&self) -> String {
        match self.format {
            OutputFormat::Jsonl => format!(".jsonl{}", self.compression.suffix()),
            OutputFormat::Parquet => ".parquet".to_string(),
        }
    }
}

enum OpenShard {
    Jsonl(AtomicFile),
    Parquet(Box<ParquetShard>),
}

/// A frame of encoded rows to compress, and whether the shard ends after it.
struct FrameJob {
    data: Vec<u8>,
    closes_shard: bool,
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
    /// Encoded rows of the current shard not yet compressed (JSONL only).
    pending: Vec<u8>,
    /// Frame buffers already written out, kept for reuse: a fresh half-megabyte buffer per frame
    /// costs page faults and zeroing that profiling showed as several percent of a run.
    spare: Vec<Vec<u8>>,
    /// Compressed-frame buffers already written out, kept for reuse for the same reason.
    spare_compressed: Vec<Vec<u8>>,
    written: Vec<PathBuf>,
}

/// Frame buffers kept for reuse at most (a batch yields a handful of frames).
const MAX_SPARE_FRAMES: usize = 16;

/// Larger frame buffers are not kept: a frame that took in one huge document is as large as it,
/// and sixteen of those would hold gigabytes.
const MAX_SPARE_FRAME_BYTES: usize = 4 * FRAME_BYTES;

/// Rows encoded together by one task: enough that per-task allocation is noise, few enough that
/// a batch still spreads over every thread.
const ENCODE_CHUNK_ROWS: usize = 64;

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
            pending: Vec::new(),
            spare: Vec::new(),
            spare_compressed: Vec::new(),
            written: Vec::new(),
        }
    }

    fn open_next(&mut self) -> Result<()> {
        let name = crate::executor::layout::shard_file_name(
            &self.prefix,
            self.next_shard,
            &self.opts.extension(),
        );
        self.next_shard += 1;
        let file = AtomicFile::create(&self.dir.join(name))?;
        self.current = Some(match self.opts.format {
            OutputFormat::Jsonl => OpenShard::Jsonl(file),
            OutputFormat::Parquet => {
                OpenShard::Parquet(Box::new(ParquetShard::new(file, self.opts.level)?))
            }
        });
        Ok(())
    }

    /// Appends one row. Prefer [`write_batch`](Self::write_batch), which encodes and compresses
    /// in parallel.
    pub fn write(&mut self, row: OutRow<'_>) -> Result<()> {
        self.write_batch(&[row])
    }

    /// Appends rows in order, opening and rolling over shards as needed.
    pub fn write_batch(&mut self, rows: &[OutRow<'_>]) -> Result<()> {
        if self.opts.format == OutputFormat::Parquet {
            for row in rows {
                if self.current.is_none() {
                    self.open_next()?;
                }
                let Some(OpenShard::Parquet(p)) = self.current.as_mut() else {
                    unreachable!("parquet writer holds parquet shards")
                };
                let size = p.push(*row)?;
                self.count_row(size);
                if self.shard_full() {
                    self.close_current()?;
                }
            }
            return Ok(());
        }
        let encoding = self.opts.encoding;
        // Each task encodes a run of rows into one buffer.
        let encoded: Vec<EncodedRows> = rows
            .par_chunks(ENCODE_CHUNK_ROWS)
            .map(|chunk| {
                let mut enc = EncodedRows::for_rows(chunk);
                for &row in chunk {
                    enc.push(encoding, row);
                }
                enc
            })
            .collect();
        self.write_encoded(&encoded)
    }

    /// The options the writer was made with.
    pub fn options(&self) -> &ShardWriterOptions {
        &self.opts
    }

    /// Appends rows already encoded (by [`EncodedRows::push`] with this writer's
    /// [`RowEncoding`]), in order, opening and rolling over shards as needed. JSONL only.
    ///
    /// This is what lets the executor encode each document on the thread that just processed
    /// it, while its text is still in that core's cache, and leave only the ordered writing here.
    pub fn write_encoded<'a>(
        &mut self,
        encoded: impl IntoIterator<Item = &'a EncodedRows>,
    ) -> Result<()> {
        debug_assert!(self.opts.format == OutputFormat::Jsonl);
        if self.opts.compression == Compression::None {
            return self.write_uncompressed(encoded);
        }
        let mut jobs = Vec::new();
        for EncodedRows { buf, ends } in encoded {
            let mut start = 0;
            for &end in ends {
                let line = &buf[start..end];
                start = end;
                if self.pending.capacity() == 0 {
                    self.pending = self.fresh_buffer();
                }
                self.pending.extend_from_slice(line);
                self.count_row(line.len() as u64);
                if self.shard_full() {
                    jobs.push(FrameJob {
                        data: std::mem::take(&mut self.pending),
                        closes_shard: true,
                    });
                    self.docs_in_shard = 0;
                    self.bytes_in_shard = 0;
                } else if self.pending.len() >= FRAME_BYTES {
                    jobs.push(FrameJob {
                        data: std::mem::take(&mut self.pending),
                        closes_shard: false,
                    });
                }
            }
        }
        self.write_frames(jobs)
    }

    /// Uncompressed output needs no frames: encoded runs of lines go to the shard as they are,
    /// cut only where a shard fills up.
    fn write_uncompressed<'a>(
        &mut self,
        encoded: impl IntoIterator<Item = &'a EncodedRows>,
    ) -> Result<()> {
        for EncodedRows { buf, ends } in encoded {
            let (mut run_start, mut line_start) = (0, 0);
            for &end in ends {
                self.count_row((end - line_start) as u64);
                line_start = end;
                if self.shard_full() {
                    self.write_to_shard(&buf[run_start..end])?;
                    run_start = end;
                    self.close_current()?;
                }
            }
            if run_start < buf.len() {
                self.write_to_shard(&buf[run_start..])?;
            }
        }
        Ok(())
    }

    /// Appends bytes to the open JSONL shard, opening the next one if none is.
    fn write_to_shard(&mut self, bytes: &[u8]) -> Result<()> {
        if self.current.is_none() {
            self.open_next()?;
        }
        if let Some(OpenShard::Jsonl(f)) = self.current.as_mut()
            && let Err(e) = f.write_all(bytes)
        {
            return Err(Error::io(f.dest().to_path_buf(), e));
        }
        Ok(())
    }

    /// An empty frame buffer, reused when one is spare.
    fn fresh_buffer(&mut self) -> Vec<u8> {
        self.spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(FRAME_BYTES + (FRAME_BYTES >> 2)))
    }

    fn count_row(&mut self, size: u64) {
        self.docs_in_shard += 1;
        self.bytes_in_shard += size;
    }

    fn shard_full(&self) -> bool {
        self.docs_in_shard >= self.opts.max_docs || self.bytes_in_shard >= self.opts.max_bytes
    }

    fn write_frames(&mut self, jobs: Vec<FrameJob>) -> Result<()> {
        let (compression, level) = (self.opts.compression, self.opts.level);
        let outputs: Vec<Vec<u8>> = jobs
            .iter()
            .map(|_| self.spare_compressed.pop().unwrap_or_default())
            .collect();
        // Uncompressed frames are written as they are, without a copy.
        let frames: Vec<Option<std::io::Result<Vec<u8>>>> = jobs
            .par_iter()
            .zip(outputs)
            .map(|(j, out)| {
                (compression != Compression::None)
                    .then(|| compress_frame(&j.data, compression, level, out))
            })
            .collect();
        for (job, frame) in jobs.into_iter().zip(frames) {
            let frame = frame.transpose().map_err(|e| Error::io(&self.dir, e))?;
            self.write_to_shard(frame.as_deref().unwrap_or(&job.data))?;
            if job.closes_shard {
                self.close_current()?;
            }
            if self.spare.len() < MAX_SPARE_FRAMES && job.data.capacity() <= MAX_SPARE_FRAME_BYTES {
                let mut data = job.data;
                data.clear();
                self.spare.push(data);
            }
            if let Some(out) = frame
                && self.spare_compressed.len() < MAX_SPARE_FRAMES
                && out.capacity() <= MAX_SPARE_FRAME_BYTES
            {
                self.spare_compressed.push(out);
            }
        }
        Ok(())
    }

    fn close_current(&mut self) -> Result<()> {
        self.docs_in_shard = 0;
        self.bytes_in_shard = 0;
        if let Some(shard) = self.current.take() {
            let path = match shard {
                OpenShard::Jsonl(file) => file.commit()?,
                OpenShard::Parquet(p) => p.finish()?,
            };
            self.written.push(path);
        }
        Ok(())
    }

    /// Removes every shard this writer finished and drops the one it was writing (its temporary
    /// file goes with it): the output of an attempt that must not count, such as a file read
    /// again after a streamed member turned out damaged.
    pub fn abandon(mut self) -> Result<()> {
        self.current = None;
        for path in std::mem::take(&mut self.written) {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(crate::error::Error::io(&path, e)),
            }
        }
        Ok(())
    }

    /// Closes the last shard and returns every shard written, in order.
    pub fn finish(mut self) -> Result<Vec<PathBuf>> {
        if !self.pending.is_empty() {
            let job = FrameJob {
                data: std::mem::take(&mut self.pending),
                closes_shard: true,
            };
            self.write_frames(vec![job])?;
        }
        self.close_current()?;
        Ok(std::mem::take(&mut self.written))
    }
}

thread_local! {
    /// One zstd compression context per thread and level: creating a context allocates and
    /// clears its match tables, which per half-megabyte frame is a measurable share of the work.
    static ZSTD_COMPRESSOR: std::cell::RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> =
        const { std::cell::RefCell::new(None) };
}

/// Compresses `data` as one frame into `out` (emptied first; its memory is reused).
fn compress_frame(
    data: &[u8],
    c: Compression,
    level: i32,
    mut out: Vec<u8>,
) -> std::io::Result<Vec<u8>> {
    out.clear();
    match c {
        Compression::None => {
            out.extend_from_slice(data);
            Ok(out)
        }
        Compression::Zst => ZSTD_COMPRESSOR.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.as_ref().is_none_or(|(l, _)| *l != level) {
                *slot = Some((level, zstd::bulk::Compressor::new(level)?));
            }
            let (_, compressor) = slot.as_mut().expect("set above");
            // With room for the worst case, compression into the buffer cannot run out of it.
            out.reserve(zstd::zstd_safe::compress_bound(data.len()));
            compressor.compress_to_buffer(data, &mut out)?;
            Ok(out)
        }),
        Compression::Gz => {
            let mut e = flate2::write::GzEncoder::new(
                out,
                flate2::Compression::new(level.clamp(0, 9) as u32),
            );
            e.write_all(data)?;
            e.finish()
        }
    }
}

/// A document as carried between passes (see [`RowEncoding::Carried`]).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct CarriedRow<'a> {
    /// Id.
    #[serde(borrow)]
    pub id: std::borrow::Cow<'a, str>,
    /// Text.
    #[serde(borrow)]
    pub text: std::borrow::Cow<'a, str>,
    /// Metadata.
    pub metadata: std::borrow::Cow<'a, serde_json::Map<String, serde_json::Value>>,
    /// Input position.
    pub position: u64,
    /// Line edits so far.
    #[serde(default, skip_serializing_if = "<[LineEdit]>::is_empty")]
    pub edits: std::borrow::Cow<'a, [LineEdit]>,
}

fn encode_carried(out: &mut Vec<u8>, doc: &Document) {
    let row = CarriedRow {
        id: doc.id.as_str().into(),
        text: doc.text.as_str().into(),
        metadata: std::borrow::Cow::Borrowed(&doc.metadata),
        position: doc.position,
        edits: std::borrow::Cow::Borrowed(&doc.edits),
    };
    serde_json::to_writer(&mut *out, &row).expect("serialising to a Vec cannot fail");
    out.push(b'\n');
}

/// Decodes a line written with [`RowEncoding::Carried`].
pub fn decode_carried(line: &[u8]) -> serde_json::Result<Document> {
    let row: CarriedRow = serde_json::from_slice(line)?;
    Ok(Document {
        id: row.id.into_owned(),
        text: row.text.into_owned(),
        metadata: row.metadata.into_owned(),
        position: row.position,
        edits: row.edits.into_owned(),
    })
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
