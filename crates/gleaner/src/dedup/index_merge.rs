//! Streaming merges between a run's sorted key runs and dedup indexes: clustering a run against
//! `against` indexes, writing the index a run saves (`save_index`), and `gleaner index merge`.
//!
//! Every step is a k-way merge of sorted files, so memory holds one record per source, plus a
//! union-find of 4 bytes per node: each entry of the `against` indexes is a node numbered below
//! the run's documents ([`IndexSet::total`] + ordinal), so a cluster that reaches an earlier
//! corpus is rooted at that corpus's entry (the smallest node), exactly as one run over both
//! corpora roots it at its first document. A document of the run whose cluster is rooted at an
//! entry is removed against the index ([`super::against`]); the others cluster among themselves
//! as before.
//!
//! The index a run saves maps every key the run saw (and every key of the `against` indexes) to
//! the entry of its cluster's root: an earlier entry, or a new entry for a document of the run
//! that is the first of its cluster. Merging indexes is the same computation with no run.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use serde_json::{Map, Value};
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use super::cluster::Layout;
use super::doctable::read_table;
use super::index::{
    EntryWriter, IndexDir, IndexKey, IndexSet, Keyed, Manifest, Source, fingerprint_hex, keys_path,
    new_manifest, new_version_path, publish, start_new_version, write_manifest,
};
use super::index_keys::{KeyFileReader, KeyFileWriter};
use super::runfile::{FixedRecord, MergedRuns};
use super::unionfind::UnionFind;
use crate::error::{Error, Result};

/// A sorted stream of keyed records.
pub trait KeyedSource<K>: Send {
    /// The next record, `None` at the end.
    fn next_keyed(&mut self) -> Result<Option<Keyed<K>>>;
}

/// Opens a run's keys of one partition as a keyed stream.
pub type RunKeysFn<'a, K> = dyn Fn(usize) -> Result<Box<dyn KeyedSource<K> + 'a>> + Sync + 'a;

/// An index's key file ([`super::index_keys`]), its nodes shifted to global numbers.
struct IndexKeys<K> {
    file: Option<KeyFileReader<K>>,
    base: u32,
}

impl<K: IndexKey> IndexKeys<K> {
    fn open(path: &Path, base: u32, node_limit: u64) -> Result<Self> {
        let file = if path.exists() {
            Some(KeyFileReader::open(path, node_limit)?)
        } else {
            None
        };
        Ok(IndexKeys { file, base })
    }
}

impl<K: IndexKey> KeyedSource<K> for IndexKeys<K> {
    #[inline]
    fn next_keyed(&mut self) -> Result<Option<Keyed<K>>> {
        let Some(f) = self.file.as_mut() else {
            return Ok(None);
        };
        Ok(f.next_record()?.map(|mut k| {
            k.node += self.base;
            k
        }))
    }
}

/// A run's merged partition, each record turned into a keyed node.
pub struct RunKeys<R: FixedRecord, K, F> {
    runs: MergedRuns<R>,
    map: F,
    _key: std::marker::PhantomData<K>,
}

impl<R: FixedRecord, K, F: Fn(R) -> Keyed<K>> RunKeys<R, K, F> {
    /// Wraps `runs`, mapping each record with `map`.
    pub fn new(runs: MergedRuns<R>, map: F) -> Self {
        RunKeys {
            runs,
            map,
            _key: std::marker::PhantomData,
        }
    }
}

impl<R: FixedRecord, K: IndexKey, F: Fn(R) -> Keyed<K> + Send> KeyedSource<K> for RunKeys<R, K, F> {
    fn next_keyed(&mut self) -> Result<Option<Keyed<K>>> {
        Ok(self.runs.next_record()?.map(&self.map))
    }
}

/// No records.
pub struct Empty;

impl<K> KeyedSource<K> for Empty {
    fn next_keyed(&mut self) -> Result<Option<Keyed<K>>> {
        Ok(None)
    }
}

/// The sorted union of a few sorted sources (the indexes and the run: a linear scan of the heads
/// beats a heap at this size).
pub struct MergeKeyed<'a, K> {
    sources: Vec<Box<dyn KeyedSource<K> + 'a>>,
    heads: Vec<Option<Keyed<K>>>,
}

impl<'a, K: IndexKey> MergeKeyed<'a, K> {
    fn new(mut sources: Vec<Box<dyn KeyedSource<K> + 'a>>) -> Result<Self> {
        let heads = sources
            .iter_mut()
            .map(|s| s.next_keyed())
            .collect::<Result<_>>()?;
        Ok(MergeKeyed { sources, heads })
    }

    /// The next record in (key, node) order.
    pub fn next_keyed(&mut self) -> Result<Option<Keyed<K>>> {
        let mut best: Option<usize> = None;
        for (i, h) in self.heads.iter().enumerate() {
            if let Some(h) = h
                && best.is_none_or(|b| self.heads[b].is_some_and(|x| *h < x))
            {
                best = Some(i);
            }
        }
        let Some(i) = best else {
            return Ok(None);
        };
        let out = self.heads[i];
        self.heads[i] = self.sources[i].next_keyed()?;
        Ok(out)
    }
}

/// Partition `part` of every index in `set`, merged with `run` (the run's own keys, nodes
/// already offset by `set.total`): equal keys come out together, index entries first.
pub fn joined<'a, K: IndexKey>(
    set: &IndexSet,
    part: usize,
    run: Box<dyn KeyedSource<K> + 'a>,
) -> Result<MergeKeyed<'a, K>> {
    joined_with(set, part, false, run)
}

/// [`joined`] over the nodes the key files name: entries, or with `reps` representatives (MinHash
/// with `jaccard_threshold`), those of index `i` shifted by its entry or representative base.
pub fn joined_with<'a, K: IndexKey>(
    set: &IndexSet,
    part: usize,
    reps: bool,
    run: Box<dyn KeyedSource<K> + 'a>,
) -> Result<MergeKeyed<'a, K>> {
    let mut sources: Vec<Box<dyn KeyedSource<K> + 'a>> = Vec::new();
    for (i, dir) in set.dirs.iter().enumerate() {
        let (base, limit) = if reps {
            (set.rep_bases[i], dir.manifest.representatives)
        } else {
            (set.bases[i], dir.manifest.entries)
        };
        sources.push(Box::new(IndexKeys::open(
            &keys_path(&dir.path, part),
            base,
            limit,
        )?));
    }
    sources.push(run);
    MergeKeyed::new(sources)
}

/// How a saved index gets its key files.
pub enum KeysStep<'a, K> {
    /// Every distinct key of the `against` indexes and the run (the run's keys opened per
    /// partition by the function), each naming its cluster's entry.
    Distinct(&'a RunKeysFn<'a, K>),
    /// Written by the caller into the new index directory (MinHash representatives, see
    /// [`super::index_reps`]); returns the key records and representatives written.
    Custom(&'a WriteKeysFn<'a>),
}

/// Writes a saved index's key files into its directory; returns key records and representatives.
pub type WriteKeysFn<'a> = dyn Fn(&Path, &Saved<'_>) -> Result<(u64, u64)> + Sync + 'a;

/// The entry numbering of an index being saved: one entry per cluster, its first node (an entry
/// of the `against` indexes, in their order, or a document of the run, in input order). Entries
/// that joined an earlier one's cluster are dropped, so merging indexes made apart gives the
/// index one run over both corpora gives.
pub struct Saved<'a> {
    roots: &'a [u32],
    number: Vec<u32>,
}

impl Saved<'_> {
    fn new(roots: &[u32]) -> Saved<'_> {
        let mut number = vec![u32::MAX; roots.len()];
        let mut next = 0;
        for (node, n) in number.iter_mut().enumerate() {
            if roots[node] as usize == node {
                *n = next;
                next += 1;
            }
        }
        Saved { roots, number }
    }

    /// The new index's entry for node `node` (an entry of `against`, or `virt` + an ordinal).
    pub fn entry_of(&self, node: u32) -> u32 {
        self.number[self.roots[node as usize] as usize]
    }

    /// Whether node `node` is the first of its cluster (and so an entry of the new index).
    pub fn is_entry(&self, node: u32) -> bool {
        self.roots[node as usize] == node
    }
}

/// What a run does with indexes: compares against `against`, saves to `save`.
pub struct RunIndexing<'a> {
    /// Stage type.
    pub stage: &'static str,
    /// The stage's key-shaping parameters (the manifest's `params`).
    pub params: Map<String, Value>,
    /// The `against` indexes, opened.
    pub against: &'a IndexSet,
    /// Where to save the run's index, if anywhere.
    pub save: Option<&'a Path>,
    /// Key partitions.
    pub partitions: usize,
}

impl RunIndexing<'_> {
    /// Whether the run touches indexes at all (otherwise clustering is exactly as without them).
    pub fn active(&self) -> bool {
        !self.against.is_empty() || self.save.is_some()
    }
}

/// Unions every group of equal keys in `stream` (first node with each other), the clustering
/// step the exact and MinHash stages share.
pub fn union_groups<K: IndexKey>(stream: &mut MergeKeyed<'_, K>, uf: &UnionFind) -> Result<()> {
    let mut group: Option<Keyed<K>> = None;
    while let Some(r) = stream.next_keyed()? {
        match group {
            Some(g) if g.key == r.key => uf.union(g.node, r.node),
            _ => group = Some(r),
        }
    }
    Ok(())
}

/// [`union_groups`] over [`joined`]: unions the groups of equal keys of partition `part` of the
/// `against` indexes and the run. Against one index, whose keys are distinct (each written once,
/// see [`write_distinct`]), an index record whose key the run lacks is alone in its group, so
/// those are stepped over in a tight loop instead of going through the merge one by one: that is
/// most of the index in a run against a large one, and the merge was most of what such a run
/// spent on it beyond reading.
pub fn union_against<'a, K: IndexKey>(
    set: &IndexSet,
    part: usize,
    mut run: Box<dyn KeyedSource<K> + 'a>,
    uf: &UnionFind,
) -> Result<()> {
    let [dir] = &set.dirs[..] else {
        return union_groups(&mut joined(set, part, run)?, uf);
    };
    let path = keys_path(&dir.path, part);
    let mut index = IndexKeys::<K>::open(&path, set.bases[0], dir.manifest.entries)?;
    let mut ih = index.next_keyed()?;
    let mut group: Option<Keyed<K>> = None;
    while let Some(r) = run.next_keyed()? {
        if group.is_none_or(|g| g.key != r.key) {
            while ih.is_some_and(|i| i.key < r.key) {
                ih = index.next_keyed()?;
            }
            // Index nodes come before the run's, so the index's record heads the group.
            group = None;
            while let Some(i) = ih.filter(|i| i.key == r.key) {
                match group {
                    Some(g) => uf.union(g.node, i.node),
                    None => group = Some(i),
                }
                ih = index.next_keyed()?;
            }
        }
        match group {
            Some(g) if g.key == r.key => uf.union(g.node, r.node),
            _ => group = Some(r),
        }
    }
    Ok(())
}

/// Clusters a run against its indexes: `union_part(part, uf)` unions partition `part` over a
/// union-find of the `against` entries followed by the run's documents; then, when the run uses
/// or saves indexes, the index is saved, the copies of earlier documents are written as against
/// decisions and the union-find over the run's own documents is returned for
/// [`super::cluster::ClusterState::persist`].
pub fn cluster_run<K: IndexKey>(
    idx: &RunIndexing<'_>,
    dir: &Path,
    layout: &Layout,
    keys: KeysStep<'_, K>,
    union_part: &(dyn Fn(usize, &UnionFind) -> Result<()> + Sync),
) -> Result<UnionFind> {
    let nodes = idx.against.total as u64 + layout.total;
    if nodes > u32::MAX as u64 {
        return Err(Error::Stage {
            stage: idx.stage.into(),
            message: format!("{nodes} documents and index entries: dedup ordinals are 32-bit"),
        });
    }
    let uf = UnionFind::new(nodes as usize);
    for_each_partition(idx.partitions, &|part| union_part(part, &uf))?;
    if !idx.active() {
        return Ok(uf);
    }
    let (own, hits) = split_clusters(idx, dir, uf, layout, keys)?;
    if !idx.against.is_empty() {
        super::against::write_hits(dir, idx.against, layout, &hits)?;
    }
    Ok(own)
}

/// Runs `f` on every partition in parallel, returning the first error.
pub fn for_each_partition(
    partitions: usize,
    f: &(dyn Fn(usize) -> Result<()> + Sync),
) -> Result<()> {
    let first_error = Mutex::new(None);
    (0..partitions).into_par_iter().for_each(|part| {
        if let Err(e) = f(part) {
            first_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get_or_insert(e);
        }
    });
    match first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// After a run's unions over `against` entries and its documents: writes the index the run saves
/// (when asked), and returns the documents whose cluster is rooted at an earlier entry (`(ordinal,
/// global entry)`, in ordinal order) with a union-find over the run's documents alone in which
/// those documents are singletons, ready for [`super::cluster::ClusterState::persist`].
pub fn split_clusters<K: IndexKey>(
    idx: &RunIndexing<'_>,
    dir: &Path,
    uf: UnionFind,
    layout: &Layout,
    keys: KeysStep<'_, K>,
) -> Result<(UnionFind, Vec<(u32, u32)>)> {
    let virt = idx.against.total;
    let roots = uf.into_roots();
    if let Some(dest) = idx.save {
        save_index(idx, dest, &roots, Some((dir, layout)), keys)?;
    }
    let docs = layout.total as usize;
    let hits: Vec<(u32, u32)> = (0..docs as u32)
        .filter_map(|x| {
            let r = roots[(virt + x) as usize];
            (r < virt).then_some((x, r))
        })
        .collect();
    let own = UnionFind::new(docs);
    (0..docs as u32).into_par_iter().for_each(|x| {
        let r = roots[(virt + x) as usize];
        if r >= virt && r != virt + x {
            own.union(x, r - virt);
        }
    });
    Ok((own, hits))
}

/// xxh3-64 of one input file's ids, each followed by a newline.
pub fn ids_hasher() -> Xxh3 {
    Xxh3::new()
}

/// The fingerprint of a whole input from its per-file id hashes.
pub fn combine_fingerprints(per_file: &[u64]) -> String {
    let bytes: Vec<u8> = per_file.iter().flat_map(|h| h.to_le_bytes()).collect();
    fingerprint_hex(xxh3_64(&bytes))
}

/// Writes the index of `idx.against` plus a run (its document tables in `run.0`, `roots` over
/// against entries then its documents) to `dest`, built beside it and swapped in by the caller's
/// [`publish_saved`] once the run's own state is safe. With no run, this merges the indexes.
pub(crate) fn save_index<K: IndexKey>(
    idx: &RunIndexing<'_>,
    dest: &Path,
    roots: &[u32],
    run: Option<(&Path, &Layout)>,
    keys_step: KeysStep<'_, K>,
) -> Result<()> {
    let virt = idx.against.total;
    let new = new_version_path(dest);
    start_new_version(&new)?;
    let saved = Saved::new(roots);
    let mut entries = EntryWriter::create(&new)?;
    for (d, &base) in idx.against.dirs.iter().zip(&idx.against.bases) {
        entries.copy_from(d, |n| saved.is_entry(base + n))?;
    }
    let mut sources = idx.against.sources();
    if let Some((dir, layout)) = run {
        let mut per_file = Vec::with_capacity(layout.bases.len());
        for (file, &base) in layout.bases.iter().enumerate() {
            let mut hasher = ids_hasher();
            let mut err = None;
            read_table(dir, file, |local, _, rec| {
                hasher.update(rec.id.as_bytes());
                hasher.update(b"\n");
                let node = virt as usize + (base + local as u64) as usize;
                if err.is_none()
                    && roots[node] as usize == node
                    && let Err(e) = entries.push(&rec.id, &rec.url)
                {
                    err = Some(e);
                }
            })?;
            if let Some(e) = err {
                return Err(e);
            }
            per_file.push(hasher.digest());
        }
        sources.push(Source {
            fingerprint: combine_fingerprints(&per_file),
            documents: layout.total,
        });
    }
    let entry_count = entries.finish()?;
    let (keys, representatives) = match keys_step {
        KeysStep::Distinct(run_keys) => (write_distinct(idx, &new, &saved, run_keys)?, 0),
        KeysStep::Custom(write) => write(&new, &saved)?,
    };
    let mut manifest = new_manifest(idx.stage, idx.params.clone(), idx.partitions);
    manifest.documents = sources.iter().map(|s| s.documents).sum();
    manifest.entries = entry_count;
    manifest.keys = keys;
    manifest.representatives = representatives;
    manifest.sources = sources;
    write_manifest(&new, &manifest)
}

/// Writes every distinct key of the `against` indexes and the run, naming its entry.
fn write_distinct<K: IndexKey>(
    idx: &RunIndexing<'_>,
    new: &Path,
    saved: &Saved<'_>,
    run_keys: &RunKeysFn<'_, K>,
) -> Result<u64> {
    let keys = std::sync::atomic::AtomicU64::new(0);
    for_each_partition(idx.partitions, &|part| {
        let mut stream = joined(idx.against, part, run_keys(part)?)?;
        let mut out = KeyFileWriter::<K>::create(&keys_path(new, part))?;
        let mut last: Option<K> = None;
        while let Some(r) = stream.next_keyed()? {
            if last != Some(r.key) {
                last = Some(r.key);
                out.push(Keyed {
                    key: r.key,
                    node: saved.entry_of(r.node),
                })?;
            }
        }
        keys.fetch_add(out.finish()?, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    })?;
    Ok(keys.into_inner())
}

/// Swaps a saved index built beside `dest` into place, if one is complete there (a run killed
/// after clustering finishes the swap when resumed).
pub fn publish_saved(dest: &Path) -> Result<()> {
    let new = new_version_path(dest);
    if new.join(super::index::MANIFEST_FILE).exists() {
        publish(&new, dest)?;
    }
    Ok(())
}

/// [`merge_indexes`] after checking that what it holds in memory fits `memory` bytes: 4 bytes per
/// entry for the union-find, with `jaccard_threshold` 12 more per representative.
pub fn merge_indexes_within(
    inputs: &[PathBuf],
    out: &Path,
    threads: usize,
    memory: u64,
) -> Result<Manifest> {
    let mut need = 0u64;
    for p in inputs {
        let m = IndexDir::open(p)?.manifest;
        need += m.entries * 4 + m.representatives * 12;
    }
    if need > memory {
        return Err(Error::Config(format!(
            "index merge needs about {need} bytes of memory for its entries, more than the \
             budget of {memory}; raise --memory"
        )));
    }
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    merge_indexes(inputs, out, threads)
}

/// `gleaner index merge`: merges the indexes `inputs` (same stage and parameters) into `out`,
/// as if their corpora had been one run in the order given. Streaming: one record per input per
/// partition, plus 4 bytes per entry for the union of clusters that share a key.
pub fn merge_indexes(inputs: &[PathBuf], out: &Path, threads: usize) -> Result<Manifest> {
    let Some(first) = inputs.first() else {
        return Err(Error::Config("index merge: no index given".into()));
    };
    let head = IndexDir::open(first)?.manifest;
    let set = IndexSet::open(inputs, &head.stage, &head.params, None)?;
    let stage: &'static str = match head.stage.as_str() {
        "exact_dedup" => "exact_dedup",
        "minhash_dedup" => "minhash_dedup",
        "line_dedup" => "line_dedup",
        other => {
            return Err(Error::Config(format!(
                "index merge: {}: unknown stage {other}",
                first.display()
            )));
        }
    };
    if let Some(p) = set
        .dirs
        .iter()
        .find(|d| d.manifest.partitions != head.partitions)
    {
        return Err(Error::Config(format!(
            "index merge: {} has {} partitions, {} has {}",
            p.path.display(),
            p.manifest.partitions,
            first.display(),
            head.partitions
        )));
    }
    let idx = RunIndexing {
        stage,
        params: head.params.clone(),
        against: &set,
        save: Some(out),
        partitions: head.partitions,
    };
    super::with_threads(threads, || -> Result<()> {
        if stage == "line_dedup" {
            use super::index_lines::{finish_line_index, line_totals, start_line_index};
            start_line_index(out)?;
            let keys = std::sync::atomic::AtomicU64::new(0);
            for_each_partition(idx.partitions, &|part| {
                let mut n = 0u64;
                line_totals(&set, part, None, Some(out), &mut |_, _, _| n += 1)?;
                keys.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                Ok(())
            })?;
            return finish_line_index(&idx, out, None, keys.into_inner());
        }
        let threshold = head.params.get("jaccard_threshold").and_then(Value::as_f64);
        match (stage, threshold) {
            ("exact_dedup", _) => merge_keyed::<u128>(&idx, out),
            (_, Some(t)) => merge_reps(&idx, out, t),
            _ => merge_keyed::<u64>(&idx, out),
        }
    })??;
    publish_saved(out)?;
    Ok(IndexDir::open(out)?.manifest)
}

fn merge_keyed<K: IndexKey>(idx: &RunIndexing<'_>, out: &Path) -> Result<()> {
    let uf = UnionFind::new(idx.against.total as usize);
    let none = |_: usize| -> Result<Box<dyn KeyedSource<K>>> { Ok(Box::new(Empty)) };
    for_each_partition(idx.partitions, &|part| {
        union_groups(&mut joined(idx.against, part, none(part)?)?, &uf)
    })?;
    let roots = uf.into_roots();
    save_index(idx, out, &roots, None, KeysStep::Distinct(&none))
}

/// Merges MinHash indexes with `jaccard_threshold`: each band group's representatives of a later
/// index are verified against the earlier ones' ([`super::index_reps`]).
fn merge_reps(idx: &RunIndexing<'_>, out: &Path, threshold: f64) -> Result<()> {
    let work = out.with_file_name(format!(
        "{}.gleaner-merge",
        out.file_name().unwrap_or_default().to_string_lossy()
    ));
    start_new_version(&work)?;
    let layout = Layout::default();
    let no_shingles = |_: u32, _: u32| -> Result<Vec<u64>> { Ok(Vec::new()) };
    let reps = super::index_reps::RepClustering::new(
        idx.against,
        &layout,
        &work,
        threshold,
        &no_shingles,
        true,
    )?;
    let bands = idx
        .params
        .get("num_buckets")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let uf = UnionFind::new(idx.against.total as usize);
    for_each_partition(idx.partitions, &|band| {
        reps.cluster_band(band, &uf, band >= bands)
    })?;
    let roots = uf.into_roots();
    let write = |new: &Path, saved: &Saved<'_>| reps.save(new, saved, idx.partitions);
    save_index::<u64>(idx, out, &roots, None, KeysStep::Custom(&write))?;
    std::fs::remove_dir_all(&work).map_err(|e| Error::io(&work, e))
}
