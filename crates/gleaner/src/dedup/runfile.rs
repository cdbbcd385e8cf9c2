//! External sort for dedup state that does not fit in memory: fixed-width binary records are
//! buffered, sorted in parallel and written as run files; runs are later merged k-way into one
//! sorted stream.
//!
//! Hand-written because the crates that exist for this (`extsort`, `external_sort`) serialise
//! through serde per record and own their temp directory, while dedup needs fixed-width records in
//! a work directory it controls, so finished runs survive a killed process and are reused on resume.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use rayon::slice::ParallelSliceMut;

use crate::error::{Error, Result};

/// A record with a fixed binary width, ordered the way the run files are sorted.
pub trait FixedRecord: Copy + Ord + Send + Sync {
    /// Bytes per record on disk.
    const SIZE: usize;
    /// Writes the record into `out` (exactly `SIZE` bytes, little endian).
    fn write_to(&self, out: &mut [u8]);
    /// Reads a record back from `SIZE` bytes.
    fn read_from(bytes: &[u8]) -> Self;
}

/// Most run files merged at once; beyond this, runs are first merged in groups so the number of
/// open files and read buffers stays bounded.
pub const MAX_FAN_IN: usize = 128;

/// Read buffer per run during a merge.
const READ_BUFFER: usize = 64 * 1024;

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::io(path, e)
}

/// Sorts `records` (in parallel) and writes them to `path` atomically (temp file + rename), so a
/// run file that exists is always complete. Clears `records` for reuse.
pub fn write_run<R: FixedRecord>(path: &Path, records: &mut Vec<R>) -> Result<()> {
    records.par_sort_unstable();
    write_sorted(path, records.iter().copied())?;
    records.clear();
    Ok(())
}

/// Writes already sorted records to `path` atomically.
pub fn write_sorted<R: FixedRecord>(path: &Path, records: impl Iterator<Item = R>) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let file = File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut buf = vec![0u8; R::SIZE];
    for r in records {
        r.write_to(&mut buf);
        out.write_all(&buf).map_err(|e| io_err(&tmp, e))?;
    }
    out.flush().map_err(|e| io_err(&tmp, e))?;
    drop(out);
    fs::rename(&tmp, path).map_err(|e| io_err(path, e))
}

/// Streams the records of one run file in order.
pub struct RunReader<R> {
    path: PathBuf,
    reader: BufReader<File>,
    buf: Vec<u8>,
    _record: std::marker::PhantomData<R>,
}

impl<R: FixedRecord> RunReader<R> {
    /// Opens a run file.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| io_err(path, e))?;
        Ok(RunReader {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(READ_BUFFER, file),
            buf: vec![0u8; R::SIZE],
            _record: std::marker::PhantomData,
        })
    }

    /// The next record, `None` at the end. A truncated trailing record is an error.
    pub fn next_record(&mut self) -> Result<Option<R>> {
        let mut filled = 0;
        while filled < R::SIZE {
            match self.reader.read(&mut self.buf[filled..]) {
                Ok(0) if filled == 0 => return Ok(None),
                Ok(0) => {
                    return Err(Error::Stage {
                        stage: "dedup".into(),
                        message: format!("{}: truncated run file", self.path.display()),
                    });
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_err(&self.path, e)),
            }
        }
        Ok(Some(R::read_from(&self.buf)))
    }
}

/// A k-way merge of sorted run files: yields every record of every run in sorted order.
pub struct MergedRuns<R: FixedRecord> {
    readers: Vec<RunReader<R>>,
    heap: BinaryHeap<Reverse<(R, usize)>>,
}

impl<R: FixedRecord> MergedRuns<R> {
    /// Opens `paths` (at most [`MAX_FAN_IN`] expected; see [`reduce_runs`]) for merging.
    pub fn open(paths: &[PathBuf]) -> Result<Self> {
        let mut readers = Vec::with_capacity(paths.len());
        let mut heap = BinaryHeap::with_capacity(paths.len());
        for (i, p) in paths.iter().enumerate() {
            let mut r = RunReader::open(p)?;
            if let Some(rec) = r.next_record()? {
                heap.push(Reverse((rec, i)));
            }
            readers.push(r);
        }
        Ok(MergedRuns { readers, heap })
    }

    /// The next record in sorted order.
    pub fn next_record(&mut self) -> Result<Option<R>> {
        let Some(Reverse((rec, i))) = self.heap.pop() else {
            return Ok(None);
        };
        if let Some(next) = self.readers[i].next_record()? {
            self.heap.push(Reverse((next, i)));
        }
        Ok(Some(rec))
    }
}

/// Merges the sorted runs `paths` (at most [`MAX_FAN_IN`]) into the sorted file `dest`.
pub fn merge_into<R: FixedRecord>(paths: &[PathBuf], dest: &Path) -> Result<()> {
    let mut merged = MergedRuns::<R>::open(paths)?;
    let mut err = None;
    let iter = std::iter::from_fn(|| match merged.next_record() {
        Ok(r) => r,
        Err(e) => {
            err = Some(e);
            None
        }
    });
    write_sorted(dest, iter)?;
    err.map_or(Ok(()), Err)
}

/// Merges runs in groups until at most [`MAX_FAN_IN`] remain, writing intermediate runs named
/// `{prefix}.m{level}-{group}.mrun` in `dir` (an extension [`list_runs`] does not pick up, so a
/// resumed run never counts a half-merged intermediate twice). Returns the runs to merge last.
pub fn reduce_runs<R: FixedRecord>(
    mut runs: Vec<PathBuf>,
    dir: &Path,
    prefix: &str,
) -> Result<Vec<PathBuf>> {
    let mut level = 0;
    while runs.len() > MAX_FAN_IN {
        let mut next = Vec::new();
        for (g, group) in runs.chunks(MAX_FAN_IN).enumerate() {
            let out = dir.join(format!("{prefix}.m{level}-{g}.mrun"));
            merge_into::<R>(group, &out)?;
            next.push(out);
        }
        runs = next;
        level += 1;
    }
    Ok(runs)
}

/// Lists the `*.run` files in `dir` whose name starts with `prefix`, sorted by name.
pub fn list_runs(dir: &Path, prefix: &str) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io_err(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(prefix) && name.ends_with(".run") {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

/// Buffers records into partitions (MinHash bands, or key ranges) and spills every partition as a
/// sorted run once the buffer holds `capacity` records. Run files are named
/// `p{partition:03}-{tag}-{seq:05}.run`, so each partition can be merged on its own thread.
pub struct PartitionedSpiller<R> {
    dir: PathBuf,
    tag: String,
    parts: Vec<Vec<R>>,
    len: usize,
    capacity: usize,
    seq: u32,
}

impl<R: FixedRecord> PartitionedSpiller<R> {
    /// A spiller for `partitions` partitions holding at most `budget_bytes` of records at once.
    /// Any runs a killed earlier attempt left under the same `tag` are removed first.
    pub fn new(dir: &Path, tag: &str, partitions: usize, budget_bytes: usize) -> Result<Self> {
        for p in 0..partitions {
            for old in list_runs(dir, &format!("p{p:03}-{tag}-"))? {
                fs::remove_file(&old).map_err(|e| io_err(&old, e))?;
            }
        }
        Ok(PartitionedSpiller {
            dir: dir.to_path_buf(),
            tag: tag.to_string(),
            parts: (0..partitions).map(|_| Vec::new()).collect(),
            len: 0,
            capacity: (budget_bytes / R::SIZE.max(1)).max(1024),
            seq: 0,
        })
    }

    /// Adds a record to partition `part`, spilling when the buffer is full.
    pub fn push(&mut self, part: usize, record: R) -> Result<()> {
        self.parts[part].push(record);
        self.len += 1;
        if self.len >= self.capacity {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> Result<()> {
        for (p, recs) in self.parts.iter_mut().enumerate() {
            if !recs.is_empty() {
                let path = self
                    .dir
                    .join(format!("p{p:03}-{}-{:05}.run", self.tag, self.seq));
                write_run(&path, recs)?;
            }
        }
        self.seq += 1;
        self.len = 0;
        Ok(())
    }

    /// Spills what is left; returns how many times the buffer was spilled (runs per partition).
    pub fn finish(mut self) -> Result<usize> {
        if self.len > 0 {
            self.spill()?;
        }
        Ok(self.seq as usize)
    }
}

/// Opens the merged, sorted stream of all runs of partition `part` in `dir`.
pub fn merge_partition<R: FixedRecord>(dir: &Path, part: usize) -> Result<MergedRuns<R>> {
    let prefix = format!("p{part:03}-");
    let runs = list_runs(dir, &prefix)?;
    let runs = reduce_runs::<R>(runs, dir, &format!("p{part:03}"))?;
    MergedRuns::open(&runs)
}

/// A record of a 64-bit key and the dense ordinal of the document it came from (band keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyDoc {
    /// The hash being grouped on.
    pub key: u64,
    /// File index.
    pub file: u32,
    /// Document index within the file (in visit order).
    pub local: u32,
}

impl FixedRecord for KeyDoc {
    const SIZE: usize = 16;
    fn write_to(&self, out: &mut [u8]) {
        out[0..8].copy_from_slice(&self.key.to_le_bytes());
        out[8..12].copy_from_slice(&self.file.to_le_bytes());
        out[12..16].copy_from_slice(&self.local.to_le_bytes());
    }
    fn read_from(b: &[u8]) -> Self {
        KeyDoc {
            key: u64::from_le_bytes(b[0..8].try_into().unwrap_or_default()),
            file: u32::from_le_bytes(b[8..12].try_into().unwrap_or_default()),
            local: u32::from_le_bytes(b[12..16].try_into().unwrap_or_default()),
        }
    }
}

/// A 128-bit key (exact-dedup text hash) and the document it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WideKeyDoc {
    /// The text hash.
    pub key: u128,
    /// File index.
    pub file: u32,
    /// Document index within the file.
    pub local: u32,
}

impl FixedRecord for WideKeyDoc {
    const SIZE: usize = 24;
    fn write_to(&self, out: &mut [u8]) {
        out[0..16].copy_from_slice(&self.key.to_le_bytes());
        out[16..20].copy_from_slice(&self.file.to_le_bytes());
        out[20..24].copy_from_slice(&self.local.to_le_bytes());
    }
    fn read_from(b: &[u8]) -> Self {
        WideKeyDoc {
            key: u128::from_le_bytes(b[0..16].try_into().unwrap_or_default()),
            file: u32::from_le_bytes(b[16..20].try_into().unwrap_or_default()),
            local: u32::from_le_bytes(b[20..24].try_into().unwrap_or_default()),
        }
    }
}

/// A line hash and how many documents contain it (repeated-line counting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyCount {
    /// Hash of the normalized line.
    pub key: u64,
    /// Documents containing it (within the run, then summed in the merge).
    pub count: u32,
}

impl FixedRecord for KeyCount {
    const SIZE: usize = 12;
    fn write_to(&self, out: &mut [u8]) {
        out[0..8].copy_from_slice(&self.key.to_le_bytes());
        out[8..12].copy_from_slice(&self.count.to_le_bytes());
    }
    fn read_from(b: &[u8]) -> Self {
        KeyCount {
            key: u64::from_le_bytes(b[0..8].try_into().unwrap_or_default()),
            count: u32::from_le_bytes(b[8..12].try_into().unwrap_or_default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_of_runs_is_sorted_and_complete_across_fan_in_levels() {
        let dir = tempfile::tempdir().unwrap();
        let mut expected = Vec::new();
        // 300 runs forces two merge levels with MAX_FAN_IN = 128.
        for r in 0..300u32 {
            let mut recs: Vec<KeyDoc> = (0..7u32)
                .map(|i| KeyDoc {
                    key: xxhash_rust::xxh3::xxh3_64(&(r * 7 + i).to_le_bytes()) % 50,
                    file: r,
                    local: i,
                })
                .collect();
            expected.extend(recs.iter().copied());
            write_run(&dir.path().join(format!("t-{r:04}.run")), &mut recs).unwrap();
        }
        let runs = list_runs(dir.path(), "t-").unwrap();
        assert_eq!(runs.len(), 300);
        let runs = reduce_runs::<KeyDoc>(runs, dir.path(), "t").unwrap();
        assert!(runs.len() <= MAX_FAN_IN);
        let mut merged = MergedRuns::<KeyDoc>::open(&runs).unwrap();
        let mut got = Vec::new();
        while let Some(r) = merged.next_record().unwrap() {
            got.push(r);
        }
        expected.sort();
        assert_eq!(got, expected);
    }
}
