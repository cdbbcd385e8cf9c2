//! The entries of a dedup index (format v2): the id and URL of every cluster's first document,
//! numbered in input order, read only for the documents a later run removes as their copies.
//!
//! `entries.bin` holds zstd frames of [`ENTRY_BLOCK`] entries each (`u32 id length, id, u32 URL
//! length, URL` per entry), each after its decompressed length (u32 little endian); `entries.idx`
//! the start of every frame and then the end (u64 little endian). Ids and URLs of a crawl share long prefixes, so the frames are a fraction of the raw
//! records, and a run against the index, whose copies name entries all over it, reads that
//! fraction: it looks the entries up in entry order ([`super::against`]), each frame read and
//! decompressed once.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::decisions::read_at;
use crate::error::{Error, Result};

/// Representatives' ids and URLs, in zstd frames of [`ENTRY_BLOCK`].
pub const ENTRIES_FILE: &str = "entries.bin";
/// Start offset of every frame in [`ENTRIES_FILE`], then its end (u64 little endian).
pub const ENTRIES_INDEX_FILE: &str = "entries.idx";
/// Entries per zstd frame: ~20 KB of raw records, large enough for zstd to find the prefixes
/// they share, small enough that looking up one entry decompresses little.
pub const ENTRY_BLOCK: u64 = 512;
/// zstd level of the frames (the zstd default: the entries are written once per saved index).
const LEVEL: i32 = 3;

/// The frame holding entry `n`.
pub fn frame_of(n: u64) -> u64 {
    n / ENTRY_BLOCK
}

fn damaged(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Config(format!("dedup index {}: {what}", path.display()))
}

/// `u32 id length, id, u32 url length, url`.
fn encode_entry(id: &str, url: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&(id.len() as u32).to_le_bytes());
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(&(url.len() as u32).to_le_bytes());
    out.extend_from_slice(url.as_bytes());
}

/// The byte ranges of the entries in a decompressed frame; `None` when it does not parse.
fn split_entries(block: &[u8]) -> Option<Vec<(usize, usize)>> {
    let mut out = Vec::with_capacity(ENTRY_BLOCK as usize);
    let mut at = 0usize;
    let string_end = |at: usize| -> Option<usize> {
        let len = u32::from_le_bytes(block.get(at..at + 4)?.try_into().ok()?) as usize;
        let end = at.checked_add(4)?.checked_add(len)?;
        (end <= block.len()).then_some(end)
    };
    while at < block.len() {
        let end = string_end(string_end(at)?)?;
        out.push((at, end));
        at = end;
    }
    Some(out)
}

fn decode_entry(rec: &[u8]) -> (String, String) {
    let id_len = u32::from_le_bytes(rec[..4].try_into().unwrap_or_default()) as usize;
    let id = String::from_utf8_lossy(&rec[4..4 + id_len]).into_owned();
    let url = String::from_utf8_lossy(&rec[8 + id_len..]).into_owned();
    (id, url)
}

/// A decompressed frame: its number, bytes and entries' ranges.
type Frame = (u64, Vec<u8>, Vec<(usize, usize)>);

/// The last frame read, and the decompression context reused for the next.
struct Cache {
    frame: Option<Frame>,
    decompressor: zstd::bulk::Decompressor<'static>,
}

/// Reads the entries of one index by number, keeping the last frame decompressed.
pub struct EntryReader {
    data_path: PathBuf,
    data: File,
    /// Frame starts, then the end.
    starts: Vec<u64>,
    entries: u64,
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for EntryReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntryReader")
            .field("data_path", &self.data_path)
            .field("entries", &self.entries)
            .finish()
    }
}

impl EntryReader {
    /// Opens the entry files of the index in `dir`, which holds `entries` entries.
    pub fn open(dir: &Path, entries: u64) -> Result<EntryReader> {
        let idx_path = dir.join(ENTRIES_INDEX_FILE);
        let bytes = std::fs::read(&idx_path).map_err(|e| Error::io(&idx_path, e))?;
        let starts: Vec<u64> = bytes
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect();
        let frames = entries.div_ceil(ENTRY_BLOCK) as usize;
        if bytes.len() != (frames + 1) * 8 || starts.windows(2).any(|w| w[0] > w[1]) {
            return Err(damaged(
                &idx_path,
                format!("damaged or truncated: {entries} entries need {frames} frame offsets"),
            ));
        }
        let data_path = dir.join(ENTRIES_FILE);
        let data = File::open(&data_path).map_err(|e| Error::io(&data_path, e))?;
        let decompressor = zstd::bulk::Decompressor::new().map_err(|e| Error::io(&data_path, e))?;
        Ok(EntryReader {
            data_path,
            data,
            starts,
            entries,
            cache: Mutex::new(Cache {
                frame: None,
                decompressor,
            }),
        })
    }

    fn frame(&self, f: u64, decompressor: &mut zstd::bulk::Decompressor<'_>) -> Result<Frame> {
        let (start, end) = (self.starts[f as usize], self.starts[f as usize + 1]);
        let mut packed = vec![0u8; (end - start) as usize];
        if packed.len() < 4
            || read_at(&self.data, &self.data_path, &mut packed, start)? < packed.len()
        {
            return Err(damaged(&self.data_path, format!("frame {f} is truncated")));
        }
        let raw_len = u32::from_le_bytes(packed[..4].try_into().unwrap_or_default()) as usize;
        let raw = decompressor
            .decompress(&packed[4..], raw_len)
            .ok()
            .filter(|raw| raw.len() == raw_len)
            .ok_or_else(|| damaged(&self.data_path, format!("frame {f} is damaged")))?;
        let want = ENTRY_BLOCK.min(self.entries - f * ENTRY_BLOCK) as usize;
        match split_entries(&raw) {
            Some(ranges) if ranges.len() == want => Ok((f, raw, ranges)),
            _ => Err(damaged(
                &self.data_path,
                format!("frame {f} does not hold {want} entries"),
            )),
        }
    }

    /// The id and URL (empty when absent) of entry `n`.
    pub fn entry(&self, n: u64) -> Result<(String, String)> {
        if n >= self.entries {
            return Err(damaged(&self.data_path, format!("no entry {n}")));
        }
        let f = n / ENTRY_BLOCK;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let cache = &mut *cache;
        if cache.frame.as_ref().is_none_or(|l| l.0 != f) {
            cache.frame = Some(self.frame(f, &mut cache.decompressor)?);
        }
        let Some((_, raw, ranges)) = cache.frame.as_ref() else {
            return Err(damaged(&self.data_path, format!("no entry {n}")));
        };
        let (a, b) = ranges[(n % ENTRY_BLOCK) as usize];
        Ok(decode_entry(&raw[a..b]))
    }

    /// The ids and URLs of the entries `ns` (ascending, all in one frame, as [`frame_of`] tells),
    /// decompressing that frame with `decompressor`: lets a caller look up many frames at once,
    /// one decompression context per thread.
    pub fn entries_in_frame(
        &self,
        ns: &[u64],
        decompressor: &mut zstd::bulk::Decompressor<'_>,
    ) -> Result<Vec<(String, String)>> {
        let Some(&first) = ns.first() else {
            return Ok(Vec::new());
        };
        if ns
            .iter()
            .any(|&n| n >= self.entries || frame_of(n) != frame_of(first))
        {
            return Err(damaged(
                &self.data_path,
                format!("no entries {ns:?} in one frame"),
            ));
        }
        let (_, raw, ranges) = self.frame(frame_of(first), decompressor)?;
        Ok(ns
            .iter()
            .map(|&n| {
                let (a, b) = ranges[(n % ENTRY_BLOCK) as usize];
                decode_entry(&raw[a..b])
            })
            .collect())
    }

    /// Calls `f(n, record)` for every entry in order (records as [`EntryWriter::push_raw`] takes).
    pub fn for_each(&self, mut f: impl FnMut(u64, &[u8]) -> Result<()>) -> Result<()> {
        let mut decompressor =
            zstd::bulk::Decompressor::new().map_err(|e| Error::io(&self.data_path, e))?;
        for frame in 0..self.entries.div_ceil(ENTRY_BLOCK) {
            let (_, raw, ranges) = self.frame(frame, &mut decompressor)?;
            for (i, (a, b)) in ranges.into_iter().enumerate() {
                f(frame * ENTRY_BLOCK + i as u64, &raw[a..b])?;
            }
        }
        Ok(())
    }
}

/// Writes `entries.bin` and `entries.idx` of a new index: the entries of earlier indexes copied
/// in order, then new ones appended.
pub struct EntryWriter {
    dir: PathBuf,
    data: BufWriter<File>,
    idx: BufWriter<File>,
    compressor: zstd::bulk::Compressor<'static>,
    offset: u64,
    count: u64,
    block: Vec<u8>,
}

impl EntryWriter {
    /// Starts the entry files in `dir`.
    pub fn create(dir: &Path) -> Result<Self> {
        let create = |name: &str| {
            let p = dir.join(name);
            File::create(&p)
                .map(|f| BufWriter::with_capacity(1 << 20, f))
                .map_err(|e| Error::io(&p, e))
        };
        let data_path = dir.join(ENTRIES_FILE);
        let mut compressor =
            zstd::bulk::Compressor::new(LEVEL).map_err(|e| Error::io(&data_path, e))?;
        // A checksum per frame, so a damaged frame is an error rather than wrong ids.
        compressor
            .include_checksum(true)
            .map_err(|e| Error::io(&data_path, e))?;
        Ok(EntryWriter {
            dir: dir.to_path_buf(),
            data: create(ENTRIES_FILE)?,
            idx: create(ENTRIES_INDEX_FILE)?,
            compressor,
            offset: 0,
            count: 0,
            block: Vec::new(),
        })
    }

    fn err(&self, e: std::io::Error) -> Error {
        Error::io(self.dir.join(ENTRIES_FILE), e)
    }

    /// Appends one entry.
    pub fn push(&mut self, id: &str, url: &str) -> Result<()> {
        let mut rec = std::mem::take(&mut self.block);
        encode_entry(id, url, &mut rec);
        self.block = rec;
        self.pushed()
    }

    /// Appends one entry as encoded in an index's frames ([`EntryReader::for_each`]).
    pub fn push_raw(&mut self, rec: &[u8]) -> Result<()> {
        self.block.extend_from_slice(rec);
        self.pushed()
    }

    fn pushed(&mut self) -> Result<()> {
        self.count += 1;
        if self.count.is_multiple_of(ENTRY_BLOCK) {
            self.flush_block()?;
        }
        Ok(())
    }

    fn flush_block(&mut self) -> Result<()> {
        if self.block.is_empty() {
            return Ok(());
        }
        let frame = self
            .compressor
            .compress(&self.block)
            .map_err(|e| self.err(e))?;
        self.idx
            .write_all(&self.offset.to_le_bytes())
            .map_err(|e| self.err(e))?;
        let raw_len = (self.block.len() as u32).to_le_bytes();
        self.data
            .write_all(&raw_len)
            .and_then(|_| self.data.write_all(&frame))
            .map_err(|e| self.err(e))?;
        self.offset += 4 + frame.len() as u64;
        self.block.clear();
        Ok(())
    }

    /// Appends the entries `n` of `index` for which `keep(n)`, streaming its frames in order.
    pub fn copy_from(
        &mut self,
        index: &super::index::IndexDir,
        keep: impl Fn(u32) -> bool,
    ) -> Result<()> {
        let Some(reader) = index.entries() else {
            return Ok(());
        };
        reader.for_each(|n, rec| {
            if keep(n as u32) {
                self.push_raw(rec)?;
            }
            Ok(())
        })
    }

    /// Entries written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Writes the last frame and the end offset and flushes; returns the number of entries.
    pub fn finish(mut self) -> Result<u64> {
        self.flush_block()?;
        let end = self.offset.to_le_bytes();
        self.idx.write_all(&end).map_err(|e| self.err(e))?;
        self.idx.flush().map_err(|e| self.err(e))?;
        self.data.flush().map_err(|e| self.err(e))?;
        Ok(self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_across_frames_round_trip_and_damage_is_an_error_naming_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let n = ENTRY_BLOCK * 2 + 3;
        let mut w = EntryWriter::create(tmp.path()).unwrap();
        for i in 0..n {
            let url = if i % 7 == 0 {
                String::new()
            } else {
                format!("https://a.test/{i}")
            };
            w.push(&format!("doc-{i}"), &url).unwrap();
        }
        assert_eq!(w.finish().unwrap(), n);
        let r = EntryReader::open(tmp.path(), n).unwrap();
        // Out of order, so frames are read again.
        for i in [n - 1, 0, ENTRY_BLOCK, ENTRY_BLOCK - 1, 8, n - 2] {
            let url = if i % 7 == 0 {
                String::new()
            } else {
                format!("https://a.test/{i}")
            };
            assert_eq!(r.entry(i).unwrap(), (format!("doc-{i}"), url));
        }
        assert!(r.entry(n).is_err());
        let data = tmp.path().join(ENTRIES_FILE);
        let whole = std::fs::read(&data).unwrap();
        std::fs::write(&data, &whole[..whole.len() - 5]).unwrap();
        let err = EntryReader::open(tmp.path(), n)
            .unwrap()
            .entry(n - 1)
            .unwrap_err();
        assert!(err.to_string().contains(ENTRIES_FILE), "{err}");
        let mut bad = whole.clone();
        let mid = bad.len() / 2;
        bad[mid..mid + 8].copy_from_slice(&[0xff; 8]);
        std::fs::write(&data, &bad).unwrap();
        let r = EntryReader::open(tmp.path(), n).unwrap();
        let errs = (0..n).filter(|&i| r.entry(i).is_err()).count();
        assert!(errs > 0);
        // An index file that does not match the entry count.
        assert!(EntryReader::open(tmp.path(), n + ENTRY_BLOCK).is_err());
    }
}
