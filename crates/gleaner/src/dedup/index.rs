//! A persistent dedup index: what a dedup stage's run saw, kept on disk so that a later run can
//! be deduplicated against it without reading the earlier corpus again (`save_index`, `against`).
//!
//! An index is a directory:
//!
//! | file | what |
//! |---|---|
//! | `manifest.json` | [`Manifest`]: format version, stage, the parameters that shape the keys, gleaner version, documents, entries, a fingerprint of every input that went in |
//! | `keys-pNNN.bin` | exact and MinHash: sorted [`Keyed`] records packed in blocks ([`super::index_keys`]), one per distinct key (text hash, or band key of partition NNN), naming the entry that represents its duplicate cluster |
//! | `counts-pNNN.bin` | line dedup: sorted `(line hash, document count)` records |
//! | `entries.bin`, `entries.idx` | the representatives (the first document of each cluster in input order): ids and URLs in zstd frames, and where each frame starts ([`super::index_entries`]) |
//!
//! Entries are numbered in input order, earlier corpora first, so "the smallest entry" is "the
//! first copy in input order", the same rule the stages use within a run. The manifest is written
//! last: a directory without one is incomplete. A new version of an index is built beside it
//! (`DIR.gleaner-new`) and swapped in by two renames ([`publish`]); opening an index whose swap was
//! interrupted finishes or undoes it, so a killed run never leaves a half-written index in place.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use super::index_entries::{ENTRIES_FILE, ENTRIES_INDEX_FILE, EntryReader, EntryWriter};
use super::runfile::FixedRecord;
use crate::error::{Error, Result};

/// `format` of every manifest.
pub const INDEX_FORMAT: &str = "gleaner-dedup-index";
/// Version of the on-disk layout; an index of another version is refused. Version 2 packs the
/// key files ([`super::index_keys`]) and compresses the entries ([`super::index_entries`]);
/// version 1 stored 12- or 20-byte key records and raw entries.
pub const INDEX_VERSION: u32 = 2;
/// The manifest's file name (written last).
pub const MANIFEST_FILE: &str = "manifest.json";
/// Suffix of the directory a new version of an index is built in, beside it.
const NEW_SUFFIX: &str = "gleaner-new";
/// Suffix the old version is renamed to while the new one is swapped in.
const OLD_SUFFIX: &str = "gleaner-old";

/// Sorted key records of partition `part`.
pub fn keys_path(dir: &Path, part: usize) -> PathBuf {
    dir.join(format!("keys-p{part:03}.bin"))
}

/// Sorted line counts of partition `part`.
pub fn counts_path(dir: &Path, part: usize) -> PathBuf {
    dir.join(format!("counts-p{part:03}.bin"))
}

/// One input that went into an index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// xxh3-64 of the ids of every document the stage saw, in input order (hex).
    pub fingerprint: String,
    /// Documents the stage saw.
    pub documents: u64,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`INDEX_FORMAT`].
    pub format: String,
    /// [`INDEX_VERSION`] when written.
    pub version: u32,
    /// The stage type that wrote it (`exact_dedup`, `minhash_dedup`, `line_dedup`).
    pub stage: String,
    /// The stage parameters that shape the keys; a run must use the same to compare against it.
    pub params: Map<String, Value>,
    /// gleaner version that wrote it.
    pub gleaner_version: String,
    /// Documents of every source together.
    pub documents: u64,
    /// Representatives (0 for line dedup).
    pub entries: u64,
    /// Key records (or line counts) over all partitions.
    pub keys: u64,
    /// Number of `keys-pNNN.bin` / `counts-pNNN.bin` files.
    pub partitions: usize,
    /// MinHash with `jaccard_threshold`: representatives whose shingle sets the index holds
    /// (`reps.*`); the key files then name representatives rather than entries.
    #[serde(default)]
    pub representatives: u64,
    /// Every input, in the order they were added.
    pub sources: Vec<Source>,
}

impl Manifest {
    /// The manifest as printed by `gleaner index info`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "format    {} v{}\nstage     {}\nwritten by gleaner {}\ndocuments {}\nentries   {}\nkeys      {} in {} partitions\nparams    {}\nsources   {}\n",
            self.format,
            self.version,
            self.stage,
            self.gleaner_version,
            self.documents,
            self.entries,
            self.keys,
            self.partitions,
            Value::Object(self.params.clone()),
            self.sources.len(),
        );
        for src in &self.sources {
            s.push_str(&format!(
                "  fingerprint {}  {} documents\n",
                src.fingerprint, src.documents
            ));
        }
        s
    }
}

/// A key width an index stores: 64-bit band keys and line hashes, 128-bit text hashes.
pub trait IndexKey: Copy + Ord + Send + Sync + std::fmt::Debug + 'static {
    /// Bytes on disk.
    const BYTES: usize;
    /// Little-endian bytes into `out`.
    fn put(&self, out: &mut [u8]);
    /// Back from `BYTES` bytes.
    fn get(b: &[u8]) -> Self;
    /// As a u128 (for the gaps of key files, [`super::index_keys`]).
    fn widen(self) -> u128;
    /// Back from a u128 that [`widen`](Self::widen) gave (higher bits dropped).
    fn narrow(v: u128) -> Self;
}

impl IndexKey for u64 {
    const BYTES: usize = 8;
    fn put(&self, out: &mut [u8]) {
        out[..8].copy_from_slice(&self.to_le_bytes());
    }
    fn get(b: &[u8]) -> Self {
        u64::from_le_bytes(b[..8].try_into().unwrap_or_default())
    }
    fn widen(self) -> u128 {
        self as u128
    }
    fn narrow(v: u128) -> Self {
        v as u64
    }
}

impl IndexKey for u128 {
    const BYTES: usize = 16;
    fn put(&self, out: &mut [u8]) {
        out[..16].copy_from_slice(&self.to_le_bytes());
    }
    fn get(b: &[u8]) -> Self {
        u128::from_le_bytes(b[..16].try_into().unwrap_or_default())
    }
    fn widen(self) -> u128 {
        self
    }
    fn narrow(v: u128) -> Self {
        v
    }
}

/// A key and a node: in an index the entry representing the key's cluster; while a run
/// clusters, an entry of an `against` index (below the index total) or a document of the run
/// (index total + its ordinal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Keyed<K> {
    /// Text hash or band key.
    pub key: K,
    /// Entry or node.
    pub node: u32,
}

impl<K: IndexKey> FixedRecord for Keyed<K> {
    const SIZE: usize = K::BYTES + 4;
    fn write_to(&self, out: &mut [u8]) {
        self.key.put(out);
        out[K::BYTES..K::BYTES + 4].copy_from_slice(&self.node.to_le_bytes());
    }
    fn read_from(b: &[u8]) -> Self {
        Keyed {
            key: K::get(b),
            node: u32::from_le_bytes(b[K::BYTES..K::BYTES + 4].try_into().unwrap_or_default()),
        }
    }
}

/// An opened index: its directory, manifest and entry files.
#[derive(Debug)]
pub struct IndexDir {
    /// The directory as named.
    pub path: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    entries: Option<EntryReader>,
}

fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{suffix}"));
    dir.with_file_name(name)
}

/// Where the next version of the index at `dir` is built.
pub fn new_version_path(dir: &Path) -> PathBuf {
    sibling(dir, NEW_SUFFIX)
}

fn index_err(dir: &Path, message: impl std::fmt::Display) -> Error {
    Error::Config(format!("dedup index {}: {message}", dir.display()))
}

/// Finishes or undoes a swap of `dir` that a killed process left half done: with `dir` gone and
/// its old version beside it, a complete new version is moved in, else the old one is restored.
fn recover(dir: &Path) -> Result<()> {
    let old = sibling(dir, OLD_SUFFIX);
    if !dir.exists() && old.exists() {
        let new = new_version_path(dir);
        let from = if new.join(MANIFEST_FILE).exists() {
            new
        } else {
            old.clone()
        };
        fs::rename(&from, dir).map_err(|e| Error::io(dir, e))?;
    }
    if dir.exists() && old.exists() {
        fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
    }
    Ok(())
}

/// Moves the complete index built in `new` to `dir` (replacing any old version): `dir` is renamed
/// aside, `new` renamed in, the old one removed. At every instant either `dir` or its old version
/// beside it is a complete index, which [`IndexDir::open`] restores.
pub fn publish(new: &Path, dir: &Path) -> Result<()> {
    recover(dir)?;
    let old = sibling(dir, OLD_SUFFIX);
    if dir.exists() {
        fs::rename(dir, &old).map_err(|e| Error::io(dir, e))?;
    }
    fs::rename(new, dir).map_err(|e| Error::io(dir, e))?;
    if old.exists() {
        fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
    }
    Ok(())
}

impl IndexDir {
    /// Opens the index at `dir` (finishing an interrupted swap first).
    pub fn open(dir: &Path) -> Result<IndexDir> {
        recover(dir)?;
        let manifest_path = dir.join(MANIFEST_FILE);
        let text = fs::read_to_string(&manifest_path).map_err(|e| {
            index_err(
                dir,
                format!("no readable {MANIFEST_FILE} ({e}); is this a dedup index?"),
            )
        })?;
        let manifest: Manifest = serde_json::from_str(&text)
            .map_err(|e| index_err(dir, format!("{MANIFEST_FILE} is not valid: {e}")))?;
        if manifest.format != INDEX_FORMAT || manifest.version != INDEX_VERSION {
            return Err(index_err(
                dir,
                format!(
                    "format {} v{}; this gleaner reads {INDEX_FORMAT} v{INDEX_VERSION} (save \
                     the index again with this gleaner: a run with save_index over its corpus)",
                    manifest.format, manifest.version
                ),
            ));
        }
        let entries = if manifest.entries > 0 {
            Some(EntryReader::open(dir, manifest.entries)?)
        } else {
            None
        };
        Ok(IndexDir {
            path: dir.to_path_buf(),
            manifest,
            entries,
        })
    }

    /// Opens the index at `dir` for a `stage` run with `params`, refusing one written by another
    /// stage or with other parameters (naming each that differs).
    pub fn open_for(dir: &Path, stage: &str, params: &Map<String, Value>) -> Result<IndexDir> {
        let index = Self::open(dir)?;
        let m = &index.manifest;
        if m.stage != stage {
            return Err(index_err(
                dir,
                format!("written by {}, cannot be used by {stage}", m.stage),
            ));
        }
        let mut differ = Vec::new();
        let mut names: Vec<&String> = params.keys().chain(m.params.keys()).collect();
        names.sort();
        names.dedup();
        for name in names {
            let (ours, theirs) = (params.get(name), m.params.get(name));
            if ours != theirs {
                let show = |v: Option<&Value>| v.map_or("unset".to_string(), Value::to_string);
                differ.push(format!(
                    "{name} = {} in the index, {} in this stage",
                    show(theirs),
                    show(ours)
                ));
            }
        }
        if !differ.is_empty() {
            return Err(index_err(
                dir,
                format!(
                    "made with different parameters: {}; deduplicating against it would not \
                     match what one run would do",
                    differ.join("; ")
                ),
            ));
        }
        Ok(index)
    }

    /// The id and URL (empty when absent) of entry `n`.
    pub fn entry(&self, n: u32) -> Result<(String, String)> {
        match &self.entries {
            Some(e) => e.entry(n as u64),
            None => Err(index_err(&self.path, format!("no entry {n}"))),
        }
    }

    /// The index's entries (none for line dedup).
    pub fn entries(&self) -> Option<&EntryReader> {
        self.entries.as_ref()
    }
}

/// Empties (or creates) the directory a new version of an index is built in.
pub fn start_new_version(new: &Path) -> Result<()> {
    if new.exists() {
        fs::remove_dir_all(new).map_err(|e| Error::io(new, e))?;
    }
    fs::create_dir_all(new).map_err(|e| Error::io(new, e))
}

/// Writes the manifest, which completes an index.
pub fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<()> {
    let text = serde_json::to_string_pretty(manifest).map_err(|e| Error::Stage {
        stage: manifest.stage.clone(),
        message: format!("index manifest: {e}"),
    })?;
    crate::io::write_atomic(&dir.join(MANIFEST_FILE), text.as_bytes())
}

/// The manifest fields every index gets: format, version, gleaner version.
pub fn new_manifest(stage: &str, params: Map<String, Value>, partitions: usize) -> Manifest {
    Manifest {
        format: INDEX_FORMAT.into(),
        version: INDEX_VERSION,
        stage: stage.into(),
        params,
        gleaner_version: env!("CARGO_PKG_VERSION").into(),
        documents: 0,
        entries: 0,
        keys: 0,
        partitions,
        representatives: 0,
        sources: Vec::new(),
    }
}

/// Fingerprint text of a run's input: xxh3-64 of its ids (computed by the caller) as hex.
pub fn fingerprint_hex(hash: u64) -> String {
    format!("{hash:016x}")
}

/// The `against` indexes of a run, in the order named: their entries numbered one after the
/// other, so entry `base[i] + n` is entry `n` of index `i`.
#[derive(Debug, Default)]
pub struct IndexSet {
    /// The indexes.
    pub dirs: Vec<IndexDir>,
    /// First global entry number of each index.
    pub bases: Vec<u32>,
    /// Entries of all indexes.
    pub total: u32,
    /// First global representative number of each index (MinHash with `jaccard_threshold`).
    pub rep_bases: Vec<u32>,
    /// Representatives of all indexes.
    pub rep_total: u32,
}

impl IndexSet {
    /// Opens every index in `paths` for `stage` with `params` (refusing mismatches). The index
    /// the run saves (`save`) may be named before it exists: the first run of a pipeline that
    /// grows its index starts it.
    pub fn open(
        paths: &[PathBuf],
        stage: &str,
        params: &Map<String, Value>,
        save: Option<&Path>,
    ) -> Result<IndexSet> {
        let mut set = IndexSet::default();
        let (mut total, mut reps) = (0u64, 0u64);
        let mut seen: Vec<(&str, &Path)> = Vec::new();
        for p in paths {
            recover(p)?;
            if save == Some(p.as_path()) && !p.exists() {
                continue;
            }
            let dir = IndexDir::open_for(p, stage, params)?;
            set.bases.push(total as u32);
            set.rep_bases.push(reps as u32);
            total += dir.manifest.entries;
            reps += dir.manifest.representatives;
            if total > u32::MAX as u64 / 2 || reps > u32::MAX as u64 / 2 {
                return Err(index_err(
                    p,
                    "more than 2 billion entries in the indexes named",
                ));
            }
            set.dirs.push(dir);
        }
        // An input counted twice would count its lines twice and name its own copies.
        for d in &set.dirs {
            for s in &d.manifest.sources {
                if let Some((_, other)) = seen.iter().find(|(f, _)| *f == s.fingerprint) {
                    return Err(index_err(
                        &d.path,
                        format!(
                            "holds input {} that {} holds too (an index saved by a run \
                             against another already contains it)",
                            s.fingerprint,
                            other.display()
                        ),
                    ));
                }
                seen.push((&s.fingerprint, &d.path));
            }
        }
        set.total = total as u32;
        set.rep_total = reps as u32;
        Ok(set)
    }

    /// Whether no index was named.
    pub fn is_empty(&self) -> bool {
        self.dirs.is_empty()
    }

    /// The index holding global entry `entry`, and the entry's number within it.
    pub fn locate(&self, entry: u32) -> (&IndexDir, u32) {
        let i = self
            .bases
            .partition_point(|&b| b <= entry)
            .saturating_sub(1);
        (&self.dirs[i], entry - self.bases[i])
    }

    /// Documents in all indexes.
    pub fn documents(&self) -> u64 {
        self.dirs.iter().map(|d| d.manifest.documents).sum()
    }

    /// Sources of all indexes, in order.
    pub fn sources(&self) -> Vec<Source> {
        self.dirs
            .iter()
            .flat_map(|d| d.manifest.sources.iter().cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_through_copy_and_lookup() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a");
        fs::create_dir_all(&a).unwrap();
        let mut w = EntryWriter::create(&a).unwrap();
        w.push("doc-1", "https://a.test/1").unwrap();
        w.push("doc-2", "").unwrap();
        assert_eq!(w.finish().unwrap(), 2);
        let mut m = new_manifest("exact_dedup", Map::new(), 16);
        m.entries = 2;
        write_manifest(&a, &m).unwrap();
        let b = tmp.path().join("b");
        fs::create_dir_all(&b).unwrap();
        let mut w = EntryWriter::create(&b).unwrap();
        w.copy_from(&IndexDir::open(&a).unwrap(), |_| true).unwrap();
        w.push("doc-3", "u3").unwrap();
        m.entries = w.finish().unwrap();
        write_manifest(&b, &m).unwrap();
        let b = IndexDir::open(&b).unwrap();
        assert_eq!(
            b.entry(0).unwrap(),
            ("doc-1".into(), "https://a.test/1".into())
        );
        assert_eq!(b.entry(1).unwrap(), ("doc-2".into(), String::new()));
        assert_eq!(b.entry(2).unwrap(), ("doc-3".into(), "u3".into()));
        assert!(b.entry(3).is_err());
    }

    #[test]
    fn an_index_with_other_parameters_is_refused_naming_them() {
        let tmp = tempfile::tempdir().unwrap();
        let mut params = Map::new();
        params.insert("n_grams".into(), 5.into());
        params.insert("seed".into(), 1.into());
        write_manifest(
            tmp.path(),
            &new_manifest("minhash_dedup", params.clone(), 14),
        )
        .unwrap();
        let mut ours = params.clone();
        ours.insert("seed".into(), 2.into());
        let err = IndexDir::open_for(tmp.path(), "minhash_dedup", &ours)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("seed = 1 in the index, 2 in this stage"),
            "{err}"
        );
        assert!(!err.contains("n_grams"), "{err}");
        let err = IndexDir::open_for(tmp.path(), "exact_dedup", &params)
            .unwrap_err()
            .to_string();
        assert!(err.contains("written by minhash_dedup"), "{err}");
        assert!(IndexDir::open_for(tmp.path(), "minhash_dedup", &params).is_ok());
    }

    #[test]
    fn an_index_of_format_v1_is_refused_saying_to_save_it_again() {
        let tmp = tempfile::tempdir().unwrap();
        let mut m = new_manifest("exact_dedup", Map::new(), 16);
        m.version = 1;
        write_manifest(tmp.path(), &m).unwrap();
        let err = IndexDir::open(tmp.path()).unwrap_err().to_string();
        assert!(
            err.contains("v1; this gleaner reads gleaner-dedup-index v2"),
            "{err}"
        );
        assert!(err.contains("save the index again"), "{err}");
    }

    #[test]
    fn a_swap_killed_between_its_renames_leaves_a_complete_index() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("idx");
        let mut m = new_manifest("line_dedup", Map::new(), 16);
        fs::create_dir_all(&dir).unwrap();
        write_manifest(&dir, &m).unwrap();
        // Killed after the old version was moved aside, before the new one was complete.
        fs::rename(&dir, sibling(&dir, OLD_SUFFIX)).unwrap();
        fs::create_dir_all(new_version_path(&dir)).unwrap();
        assert_eq!(IndexDir::open(&dir).unwrap().manifest.documents, 0);
        // Killed after the old version was moved aside, with the new one complete.
        m.documents = 7;
        start_new_version(&new_version_path(&dir)).unwrap();
        write_manifest(&new_version_path(&dir), &m).unwrap();
        fs::rename(&dir, sibling(&dir, OLD_SUFFIX)).unwrap();
        assert_eq!(IndexDir::open(&dir).unwrap().manifest.documents, 7);
        assert!(!sibling(&dir, OLD_SUFFIX).exists());
    }
}
