//! Per-input-file tables of the documents a dedup stage saw (position, id, URL), written during
//! the scan so that, once clusters are known, the ids and URLs of their members can be looked up
//! without keeping every id in memory or reading the corpus again.
//!
//! Documents get dense ordinals `base[file] + index in file`, in input order, which is what the
//! union-find and the run-file records use instead of 8-byte positions or string ids.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::document::Document;
use crate::error::{Error, Result};

/// Path of file `file`'s table in `dir`.
pub fn table_path(dir: &Path, file: usize) -> PathBuf {
    dir.join(format!("docs-f{file:06}.bin"))
}

/// Writes one input file's document table (temp file, renamed on [`DocTableWriter::finish`]).
pub struct DocTableWriter {
    tmp: PathBuf,
    dest: PathBuf,
    out: BufWriter<File>,
    count: u32,
}

impl DocTableWriter {
    /// Starts the table of input file `file`.
    pub fn create(dir: &Path, file: usize) -> Result<Self> {
        let dest = table_path(dir, file);
        let tmp = dest.with_extension("tmp");
        let f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        Ok(DocTableWriter {
            tmp,
            dest,
            out: BufWriter::with_capacity(256 * 1024, f),
            count: 0,
        })
    }

    /// Appends a document; returns its index within the file.
    pub fn push(&mut self, doc: &Document) -> Result<u32> {
        let url = doc.url().unwrap_or("");
        let id = doc.id.as_bytes();
        let mut rec = Vec::with_capacity(16 + id.len() + url.len());
        rec.extend_from_slice(&doc.position.to_le_bytes());
        rec.extend_from_slice(&(id.len() as u32).to_le_bytes());
        rec.extend_from_slice(id);
        rec.extend_from_slice(&(url.len() as u32).to_le_bytes());
        rec.extend_from_slice(url.as_bytes());
        self.out
            .write_all(&rec)
            .map_err(|e| Error::io(&self.tmp, e))?;
        let local = self.count;
        self.count = self.count.checked_add(1).ok_or_else(|| Error::Stage {
            stage: "dedup".into(),
            message: "more than 4 billion documents in one input file".into(),
        })?;
        Ok(local)
    }

    /// Completes the table; returns the number of documents.
    pub fn finish(mut self) -> Result<u32> {
        self.out.flush().map_err(|e| Error::io(&self.tmp, e))?;
        drop(self.out);
        fs::rename(&self.tmp, &self.dest).map_err(|e| Error::io(&self.dest, e))?;
        Ok(self.count)
    }
}

/// One document as recorded in a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocRecord {
    /// [`Document::position`].
    pub position: u64,
    /// Document id.
    pub id: String,
    /// `metadata.url`, empty when absent.
    pub url: String,
}

/// Calls `f(index_in_file, byte_offset, record)` for every document of file `file`'s table, in
/// order; the offset is where [`TableReader::record_at`] finds the record again.
pub fn read_table(dir: &Path, file: usize, mut f: impl FnMut(u32, u64, DocRecord)) -> Result<()> {
    let path = table_path(dir, file);
    let file_handle = File::open(&path).map_err(|e| Error::io(&path, e))?;
    let mut r = BufReader::with_capacity(256 * 1024, file_handle);
    let mut local = 0u32;
    let mut offset = 0u64;
    loop {
        let Some((rec, len)) = read_record(&mut r, &path)? else {
            return Ok(());
        };
        f(local, offset, rec);
        offset += len;
        local += 1;
    }
}

/// Reads one record; `None` at a clean end of the table. Returns the record and its byte length.
fn read_record(r: &mut impl Read, path: &Path) -> Result<Option<(DocRecord, u64)>> {
    let corrupt = || Error::Stage {
        stage: "dedup".into(),
        message: format!("{}: truncated document table", path.display()),
    };
    let mut pos = [0u8; 8];
    match r.read_exact(&mut pos) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    }
    let mut len = 16u64;
    let mut read_string = || -> Result<String> {
        let mut n = [0u8; 4];
        r.read_exact(&mut n).map_err(|_| corrupt())?;
        let mut bytes = vec![0u8; u32::from_le_bytes(n) as usize];
        r.read_exact(&mut bytes).map_err(|_| corrupt())?;
        len += bytes.len() as u64;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    let id = read_string()?;
    let url = read_string()?;
    let rec = DocRecord {
        position: u64::from_le_bytes(pos),
        id,
        url,
    };
    Ok(Some((rec, len)))
}

/// Random access to the records of the tables by `(file, offset)`, for reading the members of a
/// cluster in cluster order. A member that follows the previous one read from its table (the
/// common case for a big cluster, which is mostly in input order) is served from a 64 KiB window
/// read ahead; any other is one positioned read of [`SMALL_READ`] bytes, so scattered small
/// clusters never pay for a refilled buffer per record. Only a few tables stay open at once, so
/// memory does not grow with the number of input files.
pub struct TableReader {
    dir: PathBuf,
    open: Vec<OpenTable>,
}

struct OpenTable {
    file: usize,
    handle: File,
    path: PathBuf,
    /// Bytes of the table from `window_start`.
    window: Vec<u8>,
    window_start: u64,
    /// Where the last record read ended.
    last_end: u64,
}

/// Tables kept open at once by a [`TableReader`].
const OPEN_TABLES: usize = 8;
/// Read-ahead window for members that follow each other in a table.
const WINDOW: usize = 64 * 1024;
/// A positioned read for a member elsewhere (ids and URLs are usually far shorter).
const SMALL_READ: usize = 512;

/// Parses a complete record at the start of `bytes`, `None` if `bytes` ends inside it.
fn parse_record(bytes: &[u8], path: &Path) -> Option<(DocRecord, u64)> {
    read_record(&mut &bytes[..], path).ok().flatten()
}

impl TableReader {
    /// A reader of the tables in `dir`.
    pub fn new(dir: &Path) -> Self {
        TableReader {
            dir: dir.to_path_buf(),
            open: Vec::new(),
        }
    }

    /// The record of file `file`'s table at byte `offset`.
    pub fn record_at(&mut self, file: usize, offset: u64) -> Result<DocRecord> {
        let slot = match self.open.iter().position(|t| t.file == file) {
            Some(i) => i,
            None => {
                let path = table_path(&self.dir, file);
                let handle = File::open(&path).map_err(|e| Error::io(&path, e))?;
                if self.open.len() >= OPEN_TABLES {
                    self.open.remove(0);
                }
                self.open.push(OpenTable {
                    file,
                    handle,
                    path,
                    window: Vec::new(),
                    window_start: 0,
                    last_end: 0,
                });
                self.open.len() - 1
            }
        };
        let t = &mut self.open[slot];
        let (rec, len) = t.record_at(offset)?;
        t.last_end = offset + len;
        Ok(rec)
    }
}

impl OpenTable {
    fn record_at(&mut self, offset: u64) -> Result<(DocRecord, u64)> {
        let in_window = offset
            .checked_sub(self.window_start)
            .filter(|&d| d < self.window.len() as u64);
        if let Some(d) = in_window
            && let Some(found) = parse_record(&self.window[d as usize..], &self.path)
        {
            return Ok(found);
        }
        if offset == self.last_end {
            self.window.resize(WINDOW, 0);
            let n = super::decisions::read_at(&self.handle, &self.path, &mut self.window, offset)?;
            self.window.truncate(n);
            self.window_start = offset;
            if let Some(found) = parse_record(&self.window, &self.path) {
                return Ok(found);
            }
        } else {
            let mut small = [0u8; SMALL_READ];
            let n = super::decisions::read_at(&self.handle, &self.path, &mut small, offset)?;
            if let Some(found) = parse_record(&small[..n], &self.path) {
                return Ok(found);
            }
        }
        // A record longer than the read: stream it.
        use std::io::{Seek, SeekFrom};
        let mut f = &self.handle;
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io(&self.path, e))?;
        read_record(&mut BufReader::new(f), &self.path)?.ok_or_else(|| Error::Stage {
            stage: "dedup".into(),
            message: format!("{}: no record at byte {offset}", self.path.display()),
        })
    }
}
