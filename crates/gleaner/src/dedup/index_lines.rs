//! Line dedup against and into dedup indexes: document counts of line hashes, summed.
//!
//! A line-dedup index is one sorted file of `(line hash, document count)` per hash partition
//! over everything its sources saw. A run against it merges each partition of its own counts
//! with the indexes' (a k-way merge of sorted files), so a line is repeated when it reaches
//! `min_docs` documents over all corpora, exactly as in one run over all of them.

use std::path::Path;

use super::index::{
    IndexSet, Source, counts_path, new_manifest, new_version_path, start_new_version,
    write_manifest,
};
use super::index_merge::RunIndexing;
use super::runfile::{FixedRecord, KeyCount, MergedRuns, RunReader};
use crate::error::{Error, Result};

/// For partition `part` of a line-dedup run: every key with the documents the run counted and
/// the documents the `against` indexes counted, in key order; `save` gets each key's total.
pub fn line_totals(
    set: &IndexSet,
    part: usize,
    mut run: Option<MergedRuns<KeyCount>>,
    save: Option<&Path>,
    f: &mut dyn FnMut(u64, u32, u32),
) -> Result<()> {
    let mut readers: Vec<RunReader<KeyCount>> = Vec::new();
    for d in &set.dirs {
        let p = counts_path(&d.path, part);
        if p.exists() {
            readers.push(RunReader::open(&p)?);
        }
    }
    let mut heads: Vec<Option<KeyCount>> = readers
        .iter_mut()
        .map(|r| r.next_record())
        .collect::<Result<_>>()?;
    let mut run_head = match run.as_mut() {
        Some(r) => r.next_record()?,
        None => None,
    };
    let save_path = save.map(|s| counts_path(&new_version_path(s), part));
    let mut out = save_path
        .as_ref()
        .map(|p| {
            std::fs::File::create(p)
                .map(|f| std::io::BufWriter::with_capacity(1 << 20, f))
                .map_err(|e| Error::io(p, e))
        })
        .transpose()?;
    let mut rec = [0u8; KeyCount::SIZE];
    loop {
        let key = heads
            .iter()
            .flatten()
            .chain(run_head.iter())
            .map(|k| k.key)
            .min();
        let Some(key) = key else { break };
        let mut from_index = 0u32;
        for (h, r) in heads.iter_mut().zip(readers.iter_mut()) {
            while let Some(k) = h.filter(|k| k.key == key) {
                from_index = from_index.saturating_add(k.count);
                *h = r.next_record()?;
            }
        }
        let mut from_run = 0u32;
        while let Some(k) = run_head.filter(|k| k.key == key) {
            from_run = from_run.saturating_add(k.count);
            run_head = match run.as_mut() {
                Some(r) => r.next_record()?,
                None => None,
            };
        }
        f(key, from_run, from_index);
        if let (Some(o), Some(p)) = (out.as_mut(), save_path.as_ref()) {
            KeyCount {
                key,
                count: from_run.saturating_add(from_index),
            }
            .write_to(&mut rec);
            std::io::Write::write_all(o, &rec).map_err(|e| Error::io(p, e))?;
        }
    }
    if let (Some(mut o), Some(p)) = (out, save_path) {
        std::io::Write::flush(&mut o).map_err(|e| Error::io(&p, e))?;
    }
    Ok(())
}

/// Completes a line-dedup index built by [`line_totals`] calls: its manifest.
pub fn finish_line_index(
    idx: &RunIndexing<'_>,
    dest: &Path,
    run_source: Option<Source>,
    keys: u64,
) -> Result<()> {
    let mut manifest = new_manifest(idx.stage, idx.params.clone(), idx.partitions);
    let mut sources = idx.against.sources();
    sources.extend(run_source);
    manifest.documents = sources.iter().map(|s| s.documents).sum();
    manifest.keys = keys;
    manifest.sources = sources;
    write_manifest(&new_version_path(dest), &manifest)
}

/// Starts the directory a line-dedup run's index is built in.
pub fn start_line_index(dest: &Path) -> Result<()> {
    start_new_version(&new_version_path(dest))
}
