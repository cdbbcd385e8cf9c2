//! Decisions for documents that copy a document of an earlier corpus (`against` indexes).
//!
//! Clustering against indexes ([`super::index_merge::split_clusters`]) yields the run's documents
//! whose cluster is rooted at an index entry. They are written as the stage's usual sorted
//! decisions ([`super::decisions`]) in a directory of their own, [`AGAINST_DIR`], each pointing
//! at one payload per entry naming the index and the earlier document's id and URL, so `process`
//! answers them with the same bitmap and block index, in memory that does not grow with them.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::cluster::{Labels, Layout};
use super::decisions::{DECISIONS_FILE, Decision, Decisions, Payload, PayloadWriter};
use super::doctable::read_table;
use super::index::IndexSet;
use super::index_entries::frame_of;
use super::runfile::write_sorted;
use crate::document::{Document, Removal};
use crate::error::{Error, Result};
use crate::stage::{StageContext, Verdict};

/// Work subdirectory of a dedup stage holding its against decisions.
pub const AGAINST_DIR: &str = "against";

fn against_dir(work_dir: &Path) -> PathBuf {
    work_dir.join(AGAINST_DIR)
}

/// Writes the decisions for `hits` (`(ordinal, global entry)` in ordinal order) into the stage's
/// work directory `dir`, reading ids and positions from its document tables.
pub fn write_hits(dir: &Path, set: &IndexSet, layout: &Layout, hits: &[(u32, u32)]) -> Result<()> {
    let out = against_dir(dir);
    if out.exists() {
        fs::remove_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    }
    fs::create_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    let mut payloads = PayloadWriter::create(&out)?;
    // One payload per earlier document, looked up in entry order: entries.idx and entries.bin are
    // then read front to back, which readahead serves, instead of one random read per copy in
    // the run's order (on a cold index on disk, that made a run against a large index I/O-bound).
    let mut wanted: Vec<u32> = hits.iter().map(|&(_, entry)| entry).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut payload_of: HashMap<u32, u64> = HashMap::with_capacity(wanted.len());
    // The entries of one zstd frame together; frames decompressed on all threads (the step's
    // main cost when copies name entries all over a large index), a bounded batch at a time so
    // memory holds only that batch's ids and URLs. Payloads are still written in entry order.
    let frame = |entry: u32| {
        let (index, n) = set.locate(entry);
        (index.path.as_path(), frame_of(n as u64))
    };
    let groups: Vec<&[u32]> = wanted.chunk_by(|&a, &b| frame(a) == frame(b)).collect();
    for batch in groups.chunks(256) {
        let found: Vec<Result<Vec<(String, String)>>> = batch
            .par_iter()
            .map_init(zstd::bulk::Decompressor::new, |decompressor, group| {
                let (index, _) = set.locate(group[0]);
                let Some(reader) = index.entries() else {
                    return Err(Error::Config(format!(
                        "dedup index {}: no entries",
                        index.path.display()
                    )));
                };
                let decompressor = decompressor
                    .as_mut()
                    .map_err(|e| Error::Config(format!("zstd: {e}")))?;
                let ns: Vec<u64> = group.iter().map(|&e| set.locate(e).1 as u64).collect();
                reader.entries_in_frame(&ns, decompressor)
            })
            .collect();
        for (group, found) in batch.iter().zip(found) {
            for (&entry, (kept_id, kept_url)) in group.iter().zip(found?) {
                let (index, _) = set.locate(entry);
                let payload = payloads.write(&Payload::Against {
                    index: index.path.display().to_string(),
                    kept_id,
                    kept_url,
                })?;
                payload_of.insert(entry, payload);
            }
        }
    }
    let mut decisions = Vec::with_capacity(hits.len());
    let mut next = 0usize;
    for (file, &base) in layout.bases.iter().enumerate() {
        let end = layout.bases.get(file + 1).copied().unwrap_or(layout.total);
        if next >= hits.len() || hits[next].0 as u64 >= end {
            continue;
        }
        read_table(dir, file, |local, _, rec| {
            let ord = (base + local as u64) as u32;
            while next < hits.len() && hits[next].0 == ord {
                let payload = payload_of[&hits[next].1];
                next += 1;
                decisions.push(Decision {
                    position: rec.position,
                    id_hash: Decision::id_hash(&rec.id),
                    payload,
                });
            }
        })?;
    }
    payloads.finish()?;
    decisions.sort_unstable();
    write_sorted(&out.join(DECISIONS_FILE), decisions.into_iter())
}

/// The against decisions of a stage, loaded for `process`.
#[derive(Debug, Default)]
pub struct AgainstState {
    decisions: Option<Decisions>,
}

impl AgainstState {
    /// Loads what [`write_hits`] left in `dir` (nothing when the stage had no `against`).
    pub fn load(dir: &Path) -> Result<AgainstState> {
        let d = against_dir(dir);
        if !d.join(DECISIONS_FILE).exists() {
            return Ok(AgainstState::default());
        }
        Ok(AgainstState {
            decisions: Some(Decisions::open(&d)?),
        })
    }

    /// Documents removed against an index.
    pub fn count(&self) -> u64 {
        self.decisions.as_ref().map_or(0, Decisions::count)
    }

    /// The verdict on a copy of an earlier corpus's document, `None` for any other document.
    pub fn decide(
        &self,
        doc: &Document,
        labels: &Labels,
        cx: &mut StageContext,
    ) -> Option<Verdict> {
        let decisions = self.decisions.as_ref()?;
        match decisions.lookup(doc.position, &doc.id) {
            Ok(Some(Payload::Against {
                index,
                kept_id,
                kept_url,
            })) => {
                cx.count("removed_against_index", 1);
                let url = (!kept_url.is_empty()).then_some(kept_url);
                let detail = match &url {
                    Some(u) => format!("a copy of {kept_id} ({u}) in the dedup index {index}"),
                    None => format!("a copy of {kept_id} in the dedup index {index}"),
                };
                Some(Verdict::Drop(
                    Removal::new(labels.rule, 2, 2)
                        .with_kept_id(kept_id)
                        .with_index(index, url)
                        .with_detail(detail),
                ))
            }
            Ok(_) => None,
            Err(_) => {
                cx.count("lookup_errors", 1);
                None
            }
        }
    }
}
