//! The document-level global shuffle, within a memory budget.
//!
//! Every kept document gets a key: a seeded bijective hash of its input position (the input file's
//! index and the record's index in it), so keys are unique and depend on neither the thread count
//! nor the order in which files finish. Each input file's pass tokenizes its kept documents and
//! keeps them in memory up to its share of `--memory`, then writes them sorted by key as a run
//! file under `.work/` (atomically; a resumed run redoes a file whose pass did not finish, and
//! reuses the runs of one that did). Once every file is done, a k-way merge of all runs (in
//! rounds of at most [`MAX_FAN_IN`] files) streams the documents in key order into the shards.
//! With `shuffle = false` the key is the position itself, which gives input order.
//!
//! A run file is a sequence of records, little-endian: `u64 key, u32 id length, id bytes,
//! u32 token count, u32 × count ids`. Hand-written: it is read back only by this module, and a
//! general format would cost a copy of every id.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::io::AtomicFile;

/// Run files merged at once at most: each holds an open file and a read buffer.
pub const MAX_FAN_IN: usize = 256;

/// Read buffer per run file during the merge.
const MERGE_BUFFER: usize = 256 << 10;

/// The sort key of the document at input `position`. Murmur3's 64-bit finalizer is a bijection,
/// so distinct positions never share a key and the order is total.
pub fn shuffle_key(position: u64, seed: u64, shuffle: bool) -> u64 {
    if shuffle {
        fmix64(position.wrapping_add(fmix64(seed ^ 0x9e37_79b9_7f4a_7c15)))
    } else {
        position
    }
}

fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

/// One tokenized document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenDoc {
    /// Sort key ([`shuffle_key`]).
    pub key: u64,
    /// Document id.
    pub id: String,
    /// Ids, special tokens included.
    pub ids: Vec<u32>,
}

/// Tokenized documents gathered on a worker, handed in order to the file's [`TokenSpill`].
#[derive(Debug, Default)]
pub struct TokenBatch {
    keys: Vec<u64>,
    ids: Vec<u32>,
    /// Where each document's ids end in `ids`.
    id_ends: Vec<usize>,
    names: String,
    name_ends: Vec<usize>,
}

impl TokenBatch {
    /// Adds a document whose ids were just appended by `fill` (given the shared id buffer).
    pub fn push_with(&mut self, key: u64, name: &str, fill: impl FnOnce(&mut Vec<u32>)) {
        fill(&mut self.ids);
        self.keys.push(key);
        self.id_ends.push(self.ids.len());
        self.names.push_str(name);
        self.name_ends.push(self.names.len());
    }

    /// Documents held.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Ids held, special tokens included.
    pub fn token_count(&self) -> u64 {
        self.ids.len() as u64
    }

    fn bytes(&self) -> usize {
        self.ids.len() * 4 + self.names.len() + self.keys.len() * 40
    }

    fn doc(&self, i: usize) -> (u64, &str, &[u32]) {
        let id_start = if i == 0 { 0 } else { self.id_ends[i - 1] };
        let name_start = if i == 0 { 0 } else { self.name_ends[i - 1] };
        (
            self.keys[i],
            &self.names[name_start..self.name_ends[i]],
            &self.ids[id_start..self.id_ends[i]],
        )
    }

    fn append(&mut self, other: &TokenBatch) {
        for i in 0..other.len() {
            let (key, name, ids) = other.doc(i);
            self.push_with(key, name, |buf| buf.extend_from_slice(ids));
        }
    }

    fn clear(&mut self) {
        self.keys.clear();
        self.ids.clear();
        self.id_ends.clear();
        self.names.clear();
        self.name_ends.clear();
    }
}

/// One input file's tokenized documents on their way to sorted run files.
pub struct TokenSpill {
    dir: PathBuf,
    prefix: String,
    budget: usize,
    held: TokenBatch,
    runs: u32,
}

impl TokenSpill {
    /// A spill writing `DIR/PREFIX-rNNNNN.run` files, holding at most about `budget` bytes.
    /// Runs a killed attempt at the same file left are removed first.
    pub fn new(dir: &Path, prefix: &str, budget: usize) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        for stale in runs_of(dir, prefix)? {
            std::fs::remove_file(&stale).map_err(|e| Error::io(&stale, e))?;
        }
        Ok(TokenSpill {
            dir: dir.to_path_buf(),
            prefix: prefix.to_string(),
            budget: budget.max(1 << 20),
            held: TokenBatch::default(),
            runs: 0,
        })
    }

    /// Takes a batch of documents; writes a run once the budget is reached.
    pub fn add(&mut self, batch: &TokenBatch) -> Result<()> {
        self.held.append(batch);
        if self.held.bytes() >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> Result<()> {
        if self.held.is_empty() {
            return Ok(());
        }
        let mut order: Vec<usize> = (0..self.held.len()).collect();
        order.sort_unstable_by_key(|&i| self.held.keys[i]);
        let path = self
            .dir
            .join(format!("{}-r{:05}.run", self.prefix, self.runs));
        self.runs += 1;
        let mut f = AtomicFile::create(&path)?;
        for i in order {
            let (key, name, ids) = self.held.doc(i);
            write_record(&mut f, key, name, ids).map_err(|e| Error::io(&path, e))?;
        }
        f.commit()?;
        self.held.clear();
        Ok(())
    }

    /// Writes what is held as the last run.
    pub fn finish(mut self) -> Result<()> {
        self.spill()
    }
}

/// The run files `DIR/PREFIX-r*.run`, sorted by name.
pub fn runs_of(dir: &Path, prefix: &str) -> Result<Vec<PathBuf>> {
    let start = format!("{prefix}-r");
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::io(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&start) && name.ends_with(".run") {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

fn write_record(out: &mut impl Write, key: u64, name: &str, ids: &[u32]) -> std::io::Result<()> {
    out.write_all(&key.to_le_bytes())?;
    out.write_all(&(name.len() as u32).to_le_bytes())?;
    out.write_all(name.as_bytes())?;
    out.write_all(&(ids.len() as u32).to_le_bytes())?;
    let mut bytes = Vec::with_capacity(ids.len() * 4);
    for id in ids {
        bytes.extend_from_slice(&id.to_le_bytes());
    }
    out.write_all(&bytes)
}

/// Reads a run file's records in order.
struct RunReader {
    path: PathBuf,
    r: BufReader<File>,
}

impl RunReader {
    fn open(path: &Path) -> Result<Self> {
        let f = File::open(path).map_err(|e| Error::io(path, e))?;
        Ok(RunReader {
            path: path.to_path_buf(),
            r: BufReader::with_capacity(MERGE_BUFFER, f),
        })
    }

    fn next(&mut self) -> Result<Option<TokenDoc>> {
        let mut key = [0u8; 8];
        match self.r.read_exact(&mut key) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(Error::io(&self.path, e)),
        }
        let err = |e| Error::io(&self.path, e);
        let mut n = [0u8; 4];
        self.r.read_exact(&mut n).map_err(err)?;
        let mut name = vec![0u8; u32::from_le_bytes(n) as usize];
        self.r.read_exact(&mut name).map_err(err)?;
        self.r.read_exact(&mut n).map_err(err)?;
        let mut bytes = vec![0u8; u32::from_le_bytes(n) as usize * 4];
        self.r.read_exact(&mut bytes).map_err(err)?;
        let id = String::from_utf8(name)
            .map_err(|_| Error::Input(format!("{}: damaged run file", self.path.display())))?;
        Ok(Some(TokenDoc {
            key: u64::from_le_bytes(key),
            id,
            ids: bytes
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        }))
    }
}

/// Merges sorted run files into one key-ordered stream handed to `sink`. More than
/// [`MAX_FAN_IN`] runs are first merged in groups into runs under `scratch`.
pub fn merge_runs(
    runs: Vec<PathBuf>,
    scratch: &Path,
    sink: &mut dyn FnMut(TokenDoc) -> Result<()>,
) -> Result<()> {
    merge_runs_with(runs, scratch, MAX_FAN_IN, sink)
}

/// [`merge_runs`] with at most `fan_in` (≥ 2) runs open at once.
pub fn merge_runs_with(
    mut runs: Vec<PathBuf>,
    scratch: &Path,
    fan_in: usize,
    sink: &mut dyn FnMut(TokenDoc) -> Result<()>,
) -> Result<()> {
    let fan_in = fan_in.max(2);
    let mut round = 0;
    while runs.len() > fan_in {
        std::fs::create_dir_all(scratch).map_err(|e| Error::io(scratch, e))?;
        let mut next = Vec::new();
        for (g, group) in runs.chunks(fan_in).enumerate() {
            let path = scratch.join(format!("merge-{round}-r{g:05}.run"));
            let mut f = AtomicFile::create(&path)?;
            merge_into(group, &mut |d| {
                write_record(&mut f, d.key, &d.id, &d.ids).map_err(|e| Error::io(&path, e))
            })?;
            f.commit()?;
            next.push(path);
        }
        runs = next;
        round += 1;
    }
    merge_into(&runs, sink)
}

fn merge_into(runs: &[PathBuf], sink: &mut dyn FnMut(TokenDoc) -> Result<()>) -> Result<()> {
    let mut readers = runs
        .iter()
        .map(|p| RunReader::open(p))
        .collect::<Result<Vec<_>>>()?;
    let mut heads: Vec<Option<TokenDoc>> = Vec::with_capacity(readers.len());
    let mut heap = BinaryHeap::new();
    for (i, r) in readers.iter_mut().enumerate() {
        let head = r.next()?;
        if let Some(d) = &head {
            heap.push(Reverse((d.key, i)));
        }
        heads.push(head);
    }
    while let Some(Reverse((_, i))) = heap.pop() {
        let doc = heads[i].take().expect("a run in the heap has a head");
        heads[i] = readers[i].next()?;
        if let Some(d) = &heads[i] {
            heap.push(Reverse((d.key, i)));
        }
        sink(doc)?;
    }
    Ok(())
}
