//! Reading documents from files and writing them back: formats, compression, input expansion,
//! sharded atomic writers, and rejects for input that cannot be read.
//!
//! Readers turn one input file into a stream of `Result<Document, Reject>`: a bad record becomes a
//! [`Reject`] naming the file, the record and the problem, and reading goes on with the next
//! record. Writers never expose a half-written file: each shard is written under a temporary name
//! and renamed into place once complete ([`AtomicFile`]).

pub mod charset;
pub mod compress;
pub mod content_hash;
pub mod crawl;
pub mod fields;
pub mod gzmembers;
pub mod inputs;
pub mod jsonl;
pub mod members;
pub mod parquet;
mod writer;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::config::{InputConfig, InputFormat};
use crate::document::Document;
use crate::error::{Error, Result};

pub use inputs::{ExpandedInputs, expand_inputs};
pub use writer::{
    CarriedRow, EncodedRows, FRAME_BYTES, OutRow, RowEncoding, ShardWriter, ShardWriterOptions,
    decode_carried,
};

/// Input that could not be turned into a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reject {
    /// The input file.
    pub file: String,
    /// 1-based line (JSONL) or 0-based row (Parquet) or record number, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    /// Byte offset of the record in the (decompressed) stream, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Class of problem, e.g. `malformed_json`, `invalid_utf8`, `missing_text`, `truncated`.
    pub kind: String,
    /// What is wrong, in words.
    pub message: String,
    /// The start of the offending record, for a look without opening the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
}

impl Reject {
    /// A reject of `file` of class `kind`.
    pub fn new(file: &Path, kind: &str, message: impl Into<String>) -> Self {
        Reject {
            file: file.display().to_string(),
            record: None,
            offset: None,
            kind: kind.to_string(),
            message: message.into(),
            excerpt: None,
        }
    }

    /// Sets the record number.
    pub fn at_record(mut self, record: u64) -> Self {
        self.record = Some(record);
        self
    }

    /// Sets the byte offset.
    pub fn at_offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Keeps the first 200 characters of the record (lossily decoded).
    pub fn with_excerpt(mut self, bytes: &[u8]) -> Self {
        let cut = &bytes[..bytes.len().min(800)];
        let s = String::from_utf8_lossy(cut);
        self.excerpt = Some(s.chars().take(200).collect());
        self
    }
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(r) = self.record {
            write!(f, ": record {r}")?;
        }
        if let Some(o) = self.offset {
            write!(f, " (byte {o})")?;
        }
        write!(f, ": {}: {}", self.kind, self.message)
    }
}

/// A stream of documents (or rejects) from one input file.
pub type RecordStream = Box<dyn Iterator<Item = std::result::Result<Document, Reject>> + Send>;

/// A record as read from a file, possibly not decoded yet (see [`RawRecord::decode`]).
#[derive(Debug)]
pub enum RawRecord {
    /// Already a document or a reject.
    Ready(std::result::Result<Document, Reject>),
    /// A JSONL line to parse.
    Json(jsonl::RawJsonLine),
}

impl RawRecord {
    /// Turns the record into a document or a reject. Pure: safe to run on any thread.
    pub fn decode(self) -> std::result::Result<Document, Reject> {
        match self {
            RawRecord::Ready(r) => r,
            RawRecord::Json(line) => line.decode(),
        }
    }

    /// Approximate size in bytes, for batching.
    pub fn size(&self) -> usize {
        match self {
            RawRecord::Ready(Ok(d)) => d.text.len(),
            RawRecord::Ready(Err(_)) => 0,
            RawRecord::Json(line) => line.len(),
        }
    }
}

/// A stream of raw records from one input file.
pub type RawStream = Box<dyn Iterator<Item = RawRecord> + Send>;

/// One input file to read, with its place in the deterministic input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// Index in the sorted input list; becomes the high bits of [`Document::position`].
    pub index: usize,
    /// Path.
    pub path: PathBuf,
    /// Size on disk in bytes.
    pub size: u64,
    /// How compressed members too large to hold until verified are read: streamed by default;
    /// the executor reads a file again with [`members::LargeMembers::Spill`] when a streamed
    /// member turns out damaged ([`members::REREAD_KIND`]).
    pub large_members: members::LargeMembers,
}

impl InputFile {
    /// File `index` of the input list, at `path`, of `size` bytes, read the default way.
    pub fn new(index: usize, path: PathBuf, size: u64) -> Self {
        InputFile {
            index,
            path,
            size,
            large_members: members::LargeMembers::default(),
        }
    }
}

/// Counts of input records that were read but deliberately not turned into documents (a WARC
/// `request` record, an image response) and of tolerated quirks, by name. These are not rejects:
/// nothing is wrong with the input. One instance is shared by all readers of a run (pass it to
/// [`open_records_counted`]); readers add to it in batches, so contention is negligible.
#[derive(Debug, Default)]
pub struct ReadCounters(Mutex<BTreeMap<String, u64>>);

impl ReadCounters {
    /// Adds `n` to the counter `name`.
    pub fn add(&self, name: &str, n: u64) {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *m.entry(name.to_string()).or_default() += n;
    }

    /// The counts so far, sorted by name.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Decides a file's format from the configured format or its name.
pub fn detect_format(path: &Path, configured: InputFormat) -> Option<InputFormat> {
    if configured != InputFormat::Auto {
        return Some(configured);
    }
    let name = path.file_name()?.to_string_lossy();
    let stem = compress::strip_compression_suffix(&name);
    if stem.ends_with(".parquet") {
        Some(InputFormat::Parquet)
    } else if stem.ends_with(".jsonl") || stem.ends_with(".json") || stem.ends_with(".ndjson") {
        Some(InputFormat::Jsonl)
    } else if [".warc", ".wet", ".wat", ".arc"]
        .iter()
        .any(|s| stem.ends_with(s))
    {
        Some(InputFormat::Warc)
    } else {
        None
    }
}

/// Decides a file's format from its first (decompressed) bytes, for names that say nothing:
/// `WARC/` or ARC's `filedesc://` mean [`InputFormat::Warc`].
pub fn sniff_format(path: &Path) -> Option<InputFormat> {
    let reader =
        compress::open_decompressed(path, Arc::default(), members::LargeMembers::Stream).ok()?;
    let mut head = Vec::with_capacity(64);
    reader.take(64).read_to_end(&mut head).ok()?;
    crawl::sniff(&head).map(|_| InputFormat::Warc)
}

/// Opens one input file as a stream of raw records, leaving JSON parsing to the caller's worker
/// threads. Problems opening it become a single reject; records skipped on purpose are counted
/// in `counters`.
pub fn open_raw(
    file: &InputFile,
    cfg: &InputConfig,
    bytes_read: Arc<AtomicU64>,
    counters: Arc<ReadCounters>,
) -> RawStream {
    if file.size > 0 && detect_format(&file.path, cfg.format) == Some(InputFormat::Jsonl) {
        jsonl::JsonlReader::open(file, cfg, bytes_read, counters)
    } else {
        Box::new(open_records_counted(file, cfg, bytes_read, counters).map(RawRecord::Ready))
    }
}

/// Opens one input file as a record stream. Problems opening it become a single reject.
/// Counts of skipped records are dropped; use [`open_records_counted`] to keep them.
pub fn open_records(
    file: &InputFile,
    cfg: &InputConfig,
    bytes_read: Arc<AtomicU64>,
) -> RecordStream {
    open_records_counted(file, cfg, bytes_read, Arc::default())
}

/// Everything one input file holds, read whole (see [`read_whole_file`]).
#[derive(Debug, Default)]
pub struct FileContents {
    /// Its documents, in order.
    pub docs: Vec<Document>,
    /// Its rejects, in order.
    pub rejects: Vec<Reject>,
    /// Records skipped on purpose and tolerated quirks, by name ([`ReadCounters`]).
    pub counters: BTreeMap<String, u64>,
}

/// Reads the file at `path` whole, as a run would read it: for tools, tests and library users
/// with files that fit in memory (a run streams instead). An unreadable file is a reject, as in a
/// run; only a missing file is an error.
pub fn read_whole_file(path: &Path, cfg: &InputConfig) -> Result<FileContents> {
    let size = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    let file = InputFile::new(0, path.to_path_buf(), size);
    let counters = Arc::new(ReadCounters::default());
    let mut out = FileContents::default();
    for r in open_records_counted(&file, cfg, Arc::default(), counters.clone()) {
        match r {
            Ok(d) => out.docs.push(d),
            Err(e) => out.rejects.push(e),
        }
    }
    out.counters = counters.snapshot();
    Ok(out)
}

/// [`open_records`], adding counts of records skipped on purpose (and tolerated quirks) to
/// `counters`.
pub fn open_records_counted(
    file: &InputFile,
    cfg: &InputConfig,
    bytes_read: Arc<AtomicU64>,
    counters: Arc<ReadCounters>,
) -> RecordStream {
    let path = &file.path;
    if file.size == 0 {
        return single_reject(Reject::new(path, "empty_file", "the file is empty"));
    }
    let format = detect_format(path, cfg.format).or_else(|| sniff_format(path));
    match format {
        Some(InputFormat::Jsonl) => Box::new(
            jsonl::JsonlReader::open(file, cfg, bytes_read, counters).map(RawRecord::decode),
        ),
        Some(InputFormat::Parquet) => parquet::read_parquet(file, cfg, bytes_read, counters),
        Some(InputFormat::Warc) => crawl::open(file, cfg, bytes_read, counters),
        Some(InputFormat::Auto) | None => single_reject(Reject::new(
            path,
            "unsupported_format",
            "cannot tell the format from the file name; set [input] format",
        )),
    }
}

pub(crate) fn single_reject(r: Reject) -> RecordStream {
    Box::new(std::iter::once(Err(r)))
}

/// A file written under a temporary name in the same directory and renamed over the final name
/// on [`commit`](AtomicFile::commit), so readers (and a resumed run) only ever see complete files.
pub struct AtomicFile {
    tmp: PathBuf,
    dest: PathBuf,
    file: Option<io::BufWriter<File>>,
}

impl AtomicFile {
    /// Creates `dest`'s temporary sibling `.NAME.tmp`.
    pub fn create(dest: &Path) -> Result<Self> {
        let dir = dest.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let name = dest.file_name().unwrap_or_default().to_string_lossy();
        let tmp = dir.join(format!(".{name}.tmp"));
        let file = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        Ok(AtomicFile {
            tmp,
            dest: dest.to_path_buf(),
            file: Some(io::BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// The final path.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Flushes and renames into place. No fsync: the guarantee is against killed processes,
    /// which leave the page cache intact, not against power loss.
    pub fn commit(mut self) -> Result<PathBuf> {
        let mut w = self.file.take().expect("committed once");
        w.flush().map_err(|e| Error::io(&self.tmp, e))?;
        drop(w);
        std::fs::rename(&self.tmp, &self.dest).map_err(|e| Error::io(&self.dest, e))?;
        Ok(self.dest.clone())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.as_mut().expect("open").write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.as_mut().expect("open").write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().expect("open").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `bytes` to `dest` atomically.
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(dest)?;
    f.write_all(bytes).map_err(|e| Error::io(dest, e))?;
    f.commit()?;
    Ok(())
}
