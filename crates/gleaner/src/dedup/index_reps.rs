//! MinHash with `jaccard_threshold` against and into dedup indexes: band groups continued across
//! corpora.
//!
//! Within one run, a document sharing a band key with earlier documents is compared with the
//! group's representatives, the first (at most [`MAX_JACCARD_PROBES`]) members that joined no
//! earlier representative, and joins the first whose shingle set is similar enough. So that a
//! run against an index decides exactly as one run over both corpora, the index keeps each band
//! group's representatives, in order, with their shingle sets (`reps.bin`, `reps.idx`) and the
//! entry of their cluster (`reps-entry.bin`); its key files then name representatives, and a
//! group of the new run starts with the index's representatives for its key. Representatives of
//! a later index (in `gleaner index merge`) are checked only against those of earlier ones, as
//! they were never compared with them; documents of the run against all.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::cluster::Layout;
use super::index::{IndexSet, Keyed, keys_path};
use super::index_keys::KeyFileWriter;
use super::index_merge::{Empty, Saved, for_each_partition, joined_with};
use super::minhash::{MAX_JACCARD_PROBES, contained, jaccard};
use super::runfile::{FixedRecord, KeyDoc, RunReader, merge_partition};
use super::unionfind::UnionFind;
use crate::error::{Error, Result};

/// Shingles of every representative, concatenated (u64 little endian).
pub const REPS_FILE: &str = "reps.bin";
/// Start of every representative's shingles in [`REPS_FILE`] (in shingles), then the end.
pub const REPS_INDEX_FILE: &str = "reps.idx";
/// The entry of every representative's cluster (u32 little endian).
pub const REPS_ENTRY_FILE: &str = "reps-entry.bin";

/// Representatives of one band partition chosen while clustering, before renumbering.
fn chosen_path(work_dir: &Path, band: usize) -> PathBuf {
    work_dir.join(format!("index-reps-p{band:03}.bin"))
}

/// The representatives of the `against` indexes: shingle offsets and entries in memory (12 bytes
/// per representative), shingle sets read by position.
struct RepTables {
    tables: Vec<RepTable>,
}

struct RepTable {
    data: File,
    data_path: PathBuf,
    starts: Vec<u64>,
    entries: Vec<u32>,
}

fn read_words<const N: usize>(path: &Path) -> Result<Vec<[u8; N]>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    Ok(bytes
        .chunks_exact(N)
        .map(|c| c.try_into().unwrap_or([0; N]))
        .collect())
}

impl RepTables {
    fn open(set: &IndexSet) -> Result<Self> {
        let mut tables = Vec::new();
        for d in &set.dirs {
            let data_path = d.path.join(REPS_FILE);
            let starts: Vec<u64> = read_words::<8>(&d.path.join(REPS_INDEX_FILE))?
                .into_iter()
                .map(u64::from_le_bytes)
                .collect();
            let entries: Vec<u32> = read_words::<4>(&d.path.join(REPS_ENTRY_FILE))?
                .into_iter()
                .map(u32::from_le_bytes)
                .collect();
            let n = d.manifest.representatives as usize;
            if entries.len() != n || starts.len() != n + 1 {
                return Err(Error::Config(format!(
                    "dedup index {}: representative tables are truncated",
                    d.path.display()
                )));
            }
            tables.push(RepTable {
                data: File::open(&data_path).map_err(|e| Error::io(&data_path, e))?,
                data_path,
                starts,
                entries,
            });
        }
        Ok(RepTables { tables })
    }

    /// The index holding global representative `rep` and its number there.
    fn locate(set: &IndexSet, rep: u32) -> (usize, usize) {
        let i = set
            .rep_bases
            .partition_point(|&b| b <= rep)
            .saturating_sub(1);
        (i, (rep - set.rep_bases[i]) as usize)
    }

    /// Global entry of a representative's cluster.
    fn entry(&self, set: &IndexSet, rep: u32) -> u32 {
        let (i, n) = Self::locate(set, rep);
        set.bases[i] + self.tables[i].entries[n]
    }

    fn shingles(&self, set: &IndexSet, rep: u32) -> Result<Vec<u64>> {
        let (i, n) = Self::locate(set, rep);
        let t = &self.tables[i];
        let (start, end) = (t.starts[n], t.starts[n + 1]);
        let mut bytes = vec![0u8; (end.saturating_sub(start) * 8) as usize];
        if super::decisions::read_at(&t.data, &t.data_path, &mut bytes, start * 8)? < bytes.len() {
            return Err(Error::Config(format!(
                "dedup index {}: truncated",
                t.data_path.display()
            )));
        }
        Ok(bytes
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect())
    }
}

/// Shingle set of a document of the run by `(file, local)`.
pub type ShinglesOf<'a> = dyn Fn(u32, u32) -> Result<Vec<u64>> + Sync + 'a;

/// Band clustering with verification, continuing the groups of `against` indexes.
pub struct RepClustering<'a> {
    set: &'a IndexSet,
    tables: RepTables,
    layout: &'a Layout,
    dir: &'a Path,
    threshold: f64,
    shingles: &'a ShinglesOf<'a>,
    /// When saving: one bit per document of the run that became a representative.
    chosen: Option<Vec<AtomicU64>>,
}

/// One representative of the group being clustered: its node, its shingles, its number in the
/// index being saved (global representative, or `rep_total` + ordinal) and its source (index
/// number; `usize::MAX` for the run).
struct Rep {
    node: u32,
    set: Vec<u64>,
    id: u32,
    source: usize,
}

impl<'a> RepClustering<'a> {
    /// Clustering of the run whose work files are in `dir`, against `set`.
    pub fn new(
        set: &'a IndexSet,
        layout: &'a Layout,
        dir: &'a Path,
        threshold: f64,
        shingles: &'a ShinglesOf<'a>,
        save: bool,
    ) -> Result<Self> {
        let words = (layout.total as usize).div_ceil(64);
        Ok(RepClustering {
            set,
            tables: RepTables::open(set)?,
            layout,
            dir,
            threshold,
            shingles,
            chosen: save.then(|| (0..words).map(|_| AtomicU64::new(0)).collect()),
        })
    }

    /// Streams band `band` of the indexes and the run, unioning members with the representatives
    /// they are similar to (by containment for lead bands); when saving, writes each group's
    /// representatives.
    pub fn cluster_band(&self, band: usize, uf: &UnionFind, containment: bool) -> Result<()> {
        let similarity = if containment { contained } else { jaccard };
        let (set, virt) = (self.set, self.set.total);
        let mut index = joined_with::<u64>(set, band, true, Box::new(Empty))?;
        let mut run = merge_partition::<KeyDoc>(self.dir, band)?;
        let mut chosen_out = match &self.chosen {
            Some(_) => Some(ChosenWriter::create(&chosen_path(self.dir, band))?),
            None => None,
        };
        let (mut ih, mut rh) = (index.next_keyed()?, run.next_record()?);
        let mut reps: Vec<Rep> = Vec::new();
        let joins = |reps: &[Rep], node: u32, s: &[u64], source: usize| {
            reps.iter()
                .filter(|r| r.source < source)
                .find(|r| {
                    uf.find(r.node) == uf.find(node) || similarity(&r.set, s) >= self.threshold
                })
                .map(|r| r.node)
        };
        loop {
            let key = match (ih, rh) {
                (Some(i), Some(r)) => i.key.min(r.key),
                (Some(i), None) => i.key,
                (None, Some(r)) => r.key,
                (None, None) => break,
            };
            reps.clear();
            while let Some(r) = ih.filter(|r| r.key == key) {
                let source = RepTables::locate(set, r.node).0;
                let entry = self.tables.entry(set, r.node);
                let s = self.tables.shingles(set, r.node)?;
                match joins(&reps, entry, &s, source) {
                    Some(to) => uf.union(to, entry),
                    None if reps.len() < MAX_JACCARD_PROBES => reps.push(Rep {
                        node: entry,
                        set: s,
                        id: r.node,
                        source,
                    }),
                    None => {}
                }
                ih = index.next_keyed()?;
            }
            while let Some(r) = rh.filter(|r| r.key == key) {
                let ord = self.layout.ordinal(r.file, r.local);
                let node = virt + ord;
                let s = (self.shingles)(r.file, r.local)?;
                match joins(&reps, node, &s, usize::MAX) {
                    Some(to) => uf.union(to, node),
                    None if reps.len() < MAX_JACCARD_PROBES => {
                        if let Some(bits) = &self.chosen {
                            bits[ord as usize / 64].fetch_or(1 << (ord % 64), Ordering::Relaxed);
                        }
                        reps.push(Rep {
                            node,
                            set: s,
                            id: set.rep_total + ord,
                            source: usize::MAX - 1,
                        })
                    }
                    None => {}
                }
                rh = run.next_record()?;
            }
            if let Some(out) = chosen_out.as_mut() {
                for r in &reps {
                    out.push(Keyed { key, node: r.id })?;
                }
            }
        }
        chosen_out.map_or(Ok(()), ChosenWriter::finish)
    }

    /// Writes the representative tables and key files of the index being saved in `new`.
    /// Returns the key records and representatives written.
    pub fn save(&self, new: &Path, saved: &Saved<'_>, partitions: usize) -> Result<(u64, u64)> {
        let Some(bits) = &self.chosen else {
            return Ok((0, 0));
        };
        let (set, virt) = (self.set, self.set.total);
        let docs = self.layout.total as usize;
        let is_chosen =
            |ord: usize| bits[ord / 64].load(Ordering::Relaxed) & (1 << (ord % 64)) != 0;
        let mut number = vec![u32::MAX; docs];
        let mut next = set.rep_total;
        for (ord, n) in number.iter_mut().enumerate() {
            if is_chosen(ord) {
                *n = next;
                next += 1;
            }
        }
        let mut writer = RepWriter::create(new)?;
        for (t, &base) in self.tables.tables.iter().zip(&set.bases) {
            writer.copy(t, |entry| saved.entry_of(base + entry))?;
        }
        for ord in (0..docs).filter(|&o| is_chosen(o)) {
            let file = self.layout.file_of(ord as u32);
            let local = (ord as u64 - self.layout.bases[file]) as u32;
            let shingles = (self.shingles)(file as u32, local)?;
            writer.push(&shingles, saved.entry_of(virt + ord as u32))?;
        }
        let reps = writer.finish()?;
        let keys = AtomicU64::new(0);
        for_each_partition(partitions, &|band| {
            let path = chosen_path(self.dir, band);
            let mut reader = RunReader::<Keyed<u64>>::open(&path)?;
            let mut out = KeyFileWriter::<u64>::create(&keys_path(new, band))?;
            while let Some(mut k) = reader.next_record()? {
                if k.node >= set.rep_total {
                    k.node = number[(k.node - set.rep_total) as usize];
                }
                out.push(k)?;
            }
            keys.fetch_add(out.finish()?, Ordering::Relaxed);
            Ok(())
        })?;
        Ok((keys.into_inner(), reps))
    }
}

/// Writes `reps.bin`, `reps.idx` and `reps-entry.bin`.
struct RepWriter {
    path: PathBuf,
    data: BufWriter<File>,
    idx: BufWriter<File>,
    entries: BufWriter<File>,
    offset: u64,
    count: u64,
}

impl RepWriter {
    fn create(dir: &Path) -> Result<Self> {
        let create = |name: &str| {
            let p = dir.join(name);
            File::create(&p)
                .map(|f| BufWriter::with_capacity(1 << 20, f))
                .map_err(|e| Error::io(&p, e))
        };
        Ok(RepWriter {
            path: dir.join(REPS_FILE),
            data: create(REPS_FILE)?,
            idx: create(REPS_INDEX_FILE)?,
            entries: create(REPS_ENTRY_FILE)?,
            offset: 0,
            count: 0,
        })
    }

    /// Appends an index's whole table, its entries renumbered by `entry_of`.
    fn copy(&mut self, t: &RepTable, entry_of: impl Fn(u32) -> u32) -> Result<()> {
        let err = |e| Error::io(&self.path, e);
        let n = t.entries.len();
        for (&start, &entry) in t.starts[..n].iter().zip(&t.entries) {
            self.idx
                .write_all(&(self.offset + start).to_le_bytes())
                .map_err(err)?;
            self.entries
                .write_all(&entry_of(entry).to_le_bytes())
                .map_err(err)?;
        }
        let mut data = File::open(&t.data_path).map_err(|e| Error::io(&t.data_path, e))?;
        let copied = std::io::copy(&mut data, &mut self.data).map_err(err)?;
        if copied != t.starts[n] * 8 {
            return Err(Error::Config(format!(
                "dedup index {}: truncated",
                t.data_path.display()
            )));
        }
        self.offset += t.starts[n];
        self.count += n as u64;
        Ok(())
    }

    fn push(&mut self, shingles: &[u64], entry: u32) -> Result<()> {
        let err = |e| Error::io(&self.path, e);
        self.idx
            .write_all(&self.offset.to_le_bytes())
            .map_err(err)?;
        for s in shingles {
            self.data.write_all(&s.to_le_bytes()).map_err(err)?;
        }
        self.entries.write_all(&entry.to_le_bytes()).map_err(err)?;
        self.offset += shingles.len() as u64;
        self.count += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<u64> {
        let err = |e| Error::io(&self.path, e);
        self.idx
            .write_all(&self.offset.to_le_bytes())
            .map_err(err)?;
        for w in [&mut self.data, &mut self.idx, &mut self.entries] {
            w.flush().map_err(err)?;
        }
        Ok(self.count)
    }
}

/// Writes keyed records in the order given (already sorted: groups in key order, each group's
/// representatives in order), to a temp file renamed when complete.
struct ChosenWriter {
    tmp: PathBuf,
    dest: PathBuf,
    out: BufWriter<File>,
    buf: [u8; 12],
}

impl ChosenWriter {
    fn create(dest: &Path) -> Result<Self> {
        let tmp = dest.with_extension("tmp");
        let f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        Ok(ChosenWriter {
            tmp,
            dest: dest.to_path_buf(),
            out: BufWriter::with_capacity(1 << 20, f),
            buf: [0; 12],
        })
    }

    fn push(&mut self, k: Keyed<u64>) -> Result<()> {
        k.write_to(&mut self.buf);
        self.out
            .write_all(&self.buf)
            .map_err(|e| Error::io(&self.tmp, e))
    }

    fn finish(mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(&self.tmp, e))?;
        drop(self.out);
        std::fs::rename(&self.tmp, &self.dest).map_err(|e| Error::io(&self.dest, e))
    }
}
