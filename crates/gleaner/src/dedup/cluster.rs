//! From duplicate components to per-document decisions and the syndication map, in memory that
//! does not grow with cluster sizes.
//!
//! After a dedup stage has unioned its duplicate edges, every component is rooted at its first
//! document in input order (see [`super::unionfind`]). The documents of components of two or more
//! become `(root, member, table offset)` records, spilled to sorted runs within the stage's
//! budget and merged into `members.bin`, so each cluster is a contiguous stream with its kept
//! document first. One pass over that stream (plus a second reader running ahead to count each
//! cluster before its members are written) looks up ids and URLs in the document tables, writes
//! `syndication.jsonl` a chunk of [`SYNDICATION_CHUNK`] members per line, and spills one
//! [`Decision`] per member; the decisions, merged by position, are what `process` answers from
//! ([`super::decisions`]). The finished files are kept for a resumed run.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::{Value, json};

use super::decisions::{DECISIONS_FILE, Decision, Decisions, Payload, PayloadWriter};
use super::doctable::{DocRecord, TableReader, read_table};
use super::runfile::{
    FixedRecord, PartitionedSpiller, RunReader, list_runs, merge_into, reduce_runs,
};
use super::unionfind::UnionFind;
use crate::document::{Document, Removal};
use crate::error::{Error, Result};
use crate::stage::{StageContext, Verdict};

/// The stage writes its map in its work directory under the name the run publishes it by.
pub use crate::executor::layout::SYNDICATION_FILE;

/// Most members on one line of `syndication.jsonl`: a bigger cluster continues on lines that
/// carry `"chunk": 1, 2, ...`, so no line (and no reader's buffer) grows with the cluster.
pub const SYNDICATION_CHUNK: usize = 1000;

/// One clustered document: its component's root, its own ordinal, and where its record starts in
/// its file's document table. Sorted by root, the members of a cluster follow each other with
/// the kept document (the root, the smallest ordinal) first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Membership {
    root: u32,
    member: u32,
    offset: u64,
}

impl FixedRecord for Membership {
    const SIZE: usize = 16;
    fn write_to(&self, out: &mut [u8]) {
        out[0..4].copy_from_slice(&self.root.to_le_bytes());
        out[4..8].copy_from_slice(&self.member.to_le_bytes());
        out[8..16].copy_from_slice(&self.offset.to_le_bytes());
    }
    fn read_from(b: &[u8]) -> Self {
        Membership {
            root: u32::from_le_bytes(b[0..4].try_into().unwrap_or_default()),
            member: u32::from_le_bytes(b[4..8].try_into().unwrap_or_default()),
            offset: u64::from_le_bytes(b[8..16].try_into().unwrap_or_default()),
        }
    }
}

/// Where each input file's documents start in the dense ordinal space.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// First ordinal of each file.
    pub bases: Vec<u64>,
    /// Total documents.
    pub total: u64,
}

impl Layout {
    /// From per-file document counts.
    pub fn from_counts(counts: &[u32]) -> Result<Self> {
        let mut bases = Vec::with_capacity(counts.len());
        let mut total = 0u64;
        for &c in counts {
            bases.push(total);
            total += c as u64;
        }
        if total > u32::MAX as u64 {
            return Err(Error::Stage {
                stage: "dedup".into(),
                message: format!("{total} documents: dedup ordinals are 32-bit"),
            });
        }
        Ok(Layout { bases, total })
    }

    /// Dense ordinal of document `local` of file `file`.
    pub fn ordinal(&self, file: u32, local: u32) -> u32 {
        (self.bases[file as usize] + local as u64) as u32
    }

    /// The file holding ordinal `ordinal` (empty files share their base with the next file, so
    /// the last file whose base is not past the ordinal is the one).
    pub fn file_of(&self, ordinal: u32) -> usize {
        self.bases
            .partition_point(|&b| b <= ordinal as u64)
            .saturating_sub(1)
    }
}

/// What a dedup stage knows after clustering: enough to decide on every document.
#[derive(Debug, Default)]
pub struct ClusterState {
    decisions: Option<Decisions>,
    /// Run files the clustering phase spilled (members and decisions), when it ran in this process.
    spilled_runs: usize,
}

/// How a stage labels its decisions.
pub struct Labels {
    /// Rule name on removed duplicates (`exact_duplicate`, `near_duplicate`).
    pub rule: &'static str,
    /// Metadata key prefix on kept documents (`exact_dup`, `minhash`).
    pub prefix: &'static str,
    /// Most copies listed in a kept document's metadata (the syndication file lists all).
    pub max_listed: usize,
}

impl ClusterState {
    /// Turns the unioned components into `decisions.bin`, `payloads.bin` and `syndication.jsonl`
    /// in `dir`, holding at most about `budget` bytes of records at a time, then loads the state.
    pub fn persist(
        dir: &Path,
        uf: UnionFind,
        layout: &Layout,
        labels: &Labels,
        stage: &str,
        budget: usize,
    ) -> Result<ClusterState> {
        // Runs in a folder of their own, emptied first: the scan's partition runs (`p000-...`)
        // are merged by listing a prefix, and neither they nor this merge may pick up a member or
        // decision run left by a killed run.
        let runs = dir.join("cluster-runs");
        if runs.exists() {
            fs::remove_dir_all(&runs).map_err(|e| Error::io(&runs, e))?;
        }
        fs::create_dir_all(&runs).map_err(|e| Error::io(&runs, e))?;
        let roots = uf.into_roots();
        let member_runs = spill_members(dir, &runs, &roots, layout, budget)?;
        drop(roots);
        let members = dir.join("members.bin");
        merge_all::<Membership>(&runs, "m-", &members)?;
        let decision_runs = write_clusters(dir, &runs, &members, layout, labels, stage, budget)?;
        fs::remove_file(&members).map_err(|e| Error::io(&members, e))?;
        merge_all::<Decision>(&runs, "d-", &dir.join(DECISIONS_FILE))?;
        let mut state = Self::load(dir)?;
        state.spilled_runs = member_runs + decision_runs;
        Ok(state)
    }

    /// Reloads the state a finished clustering phase left in `dir`.
    pub fn load(dir: &Path) -> Result<ClusterState> {
        Ok(ClusterState {
            decisions: Some(Decisions::open(dir)?),
            spilled_runs: 0,
        })
    }

    /// Number of documents that have at least one copy (kept and removed).
    pub fn clustered_documents(&self) -> usize {
        self.decisions.as_ref().map_or(0, |d| d.count() as usize)
    }

    /// Run files the clustering phase of this process spilled (0 after a resume): more than one
    /// per kind means cluster membership did not fit the budget and went to disk.
    pub fn spilled_runs(&self) -> usize {
        self.spilled_runs
    }

    /// Bytes the state holds in memory while documents are processed; it grows with the number of
    /// input records (one bit each) and clustered documents (one position per 128), not with
    /// cluster sizes, ids or URLs.
    pub fn resident_bytes(&self) -> usize {
        self.decisions.as_ref().map_or(0, Decisions::resident_bytes)
    }

    /// Decides on `doc`: drops a copy naming the kept document, annotates a kept document that had
    /// copies, keeps everything else untouched. A work file that cannot be read keeps the document
    /// and counts `lookup_errors`, so a disk fault never removes text.
    pub fn decide(&self, doc: &mut Document, labels: &Labels, cx: &mut StageContext) -> Verdict {
        let Some(decisions) = &self.decisions else {
            return Verdict::Keep;
        };
        let payload = match decisions.lookup(doc.position, &doc.id) {
            Ok(Some(p)) => p,
            Ok(None) => return Verdict::Keep,
            Err(_) => {
                cx.count("lookup_errors", 1);
                return Verdict::Keep;
            }
        };
        match payload {
            Payload::Removed {
                cluster,
                size,
                kept_id,
            } => Verdict::Drop(
                Removal::new(labels.rule, size, 2)
                    .with_kept_id(kept_id)
                    .with_detail(format!(
                        "cluster {cluster} of {size} documents; the first in input order is kept"
                    )),
            ),
            Payload::Kept {
                cluster,
                size,
                listed,
            } => {
                let p = labels.prefix;
                doc.metadata
                    .insert(format!("{p}_cluster_id"), json!(cluster));
                doc.metadata
                    .insert(format!("{p}_cluster_size"), json!(size));
                doc.metadata.insert(format!("{p}_duplicates"), listed);
                Verdict::Keep
            }
            // Written only by `super::against`, which answers from its own files.
            Payload::Against { .. } => Verdict::Keep,
        }
    }
}

/// Spills (into `runs`) a [`Membership`] for every document in a component of two or more, one spiller per
/// input file (in parallel), reading each file's table once for the offsets. Returns the number
/// of run files written.
fn spill_members(
    dir: &Path,
    runs: &Path,
    roots: &[u32],
    layout: &Layout,
    budget: usize,
) -> Result<usize> {
    // A component of two or more has a member whose root is not itself; mark both ends.
    let n = roots.len();
    let mut clustered = vec![0u64; n.div_ceil(64)];
    for (x, &r) in roots.iter().enumerate() {
        if r as usize != x {
            for y in [x, r as usize] {
                clustered[y / 64] |= 1 << (y % 64);
            }
        }
    }
    let is_clustered = |y: u64| clustered[(y / 64) as usize] & (1 << (y % 64)) != 0;
    let runs: Vec<usize> = (0..layout.bases.len())
        .into_par_iter()
        .map(|file| -> Result<usize> {
            let base = layout.bases[file];
            let end = layout.bases.get(file + 1).copied().unwrap_or(layout.total);
            if !(base..end).any(is_clustered) {
                return Ok(0);
            }
            let tag = format!("m-f{file:06}");
            let mut spill = PartitionedSpiller::<Membership>::new(runs, &tag, 1, budget)?;
            let mut err = None;
            read_table(dir, file, |local, offset, _| {
                let ord = base + local as u64;
                if err.is_none() && ord < end && is_clustered(ord) {
                    let m = Membership {
                        root: roots[ord as usize],
                        member: ord as u32,
                        offset,
                    };
                    if let Err(e) = spill.push(0, m) {
                        err = Some(e);
                    }
                }
            })?;
            if let Some(e) = err {
                return Err(e);
            }
            spill.finish()
        })
        .collect::<Result<_>>()?;
    Ok(runs.iter().sum())
}

/// Merges every run named `p000-{prefix}*` in `dir` into the sorted file `dest`, then removes the
/// runs and any intermediate merges (an empty `dest` when there are none).
fn merge_all<R: FixedRecord>(dir: &Path, prefix: &str, dest: &Path) -> Result<()> {
    let runs = list_runs(dir, &format!("p000-{prefix}"))?;
    let reduced = reduce_runs::<R>(runs.clone(), dir, &format!("p000-{prefix}"))?;
    merge_into::<R>(&reduced, dest)?;
    for run in runs
        .iter()
        .chain(reduced.iter().filter(|r| !runs.contains(r)))
    {
        fs::remove_file(run).map_err(|e| Error::io(run, e))?;
    }
    Ok(())
}

/// Streams `members.bin` cluster by cluster: writes the syndication map and the payloads, and
/// spills one decision per member into `runs`. Returns the number of decision runs written.
fn write_clusters(
    dir: &Path,
    runs: &Path,
    members: &Path,
    layout: &Layout,
    labels: &Labels,
    stage: &str,
    budget: usize,
) -> Result<usize> {
    let mut main = RunReader::<Membership>::open(members)?;
    // Runs ahead of `main` to count each cluster before its members are written.
    let mut ahead = RunReader::<Membership>::open(members)?;
    let mut ahead_next = ahead.next_record()?;
    let mut tables = TableReader::new(dir);
    let mut payloads = PayloadWriter::create(dir)?;
    let mut decisions = PartitionedSpiller::<Decision>::new(runs, "d", 1, budget)?;
    let mut syndication = SyndicationWriter::create(dir, stage, labels.rule)?;
    let mut next = main.next_record()?;
    while let Some(first) = next {
        let root = first.root;
        let mut size = 0u32;
        while let Some(a) = ahead_next.filter(|a| a.root == root) {
            debug_assert!(a.member >= root);
            size = size.saturating_add(1);
            ahead_next = ahead.next_record()?;
        }
        let kept = tables.record_at(layout.file_of(first.member), first.offset)?;
        let removed = payloads.write(&Payload::Removed {
            cluster: root,
            size,
            kept_id: kept.id.clone(),
        })?;
        syndication.start(root, size, doc_ref(&kept))?;
        let mut listed = Vec::new();
        next = main.next_record()?;
        while let Some(m) = next.filter(|m| m.root == root) {
            let rec = tables.record_at(layout.file_of(m.member), m.offset)?;
            let r = doc_ref(&rec);
            if listed.len() < labels.max_listed {
                listed.push(r.clone());
            }
            syndication.push(r)?;
            decisions.push(
                0,
                Decision {
                    position: rec.position,
                    id_hash: Decision::id_hash(&rec.id),
                    payload: removed,
                },
            )?;
            next = main.next_record()?;
        }
        syndication.end_cluster()?;
        let kept_payload = payloads.write(&Payload::Kept {
            cluster: root,
            size,
            listed: Value::Array(listed),
        })?;
        decisions.push(
            0,
            Decision {
                position: kept.position,
                id_hash: Decision::id_hash(&kept.id),
                payload: kept_payload,
            },
        )?;
    }
    payloads.finish()?;
    syndication.finish()?;
    decisions.finish()
}

/// Writes `syndication.jsonl` one chunk at a time: the first line of a cluster is
/// `{"stage","rule","cluster_id","size","kept":{"id","url"},"duplicates":[...]}` with up to
/// [`SYNDICATION_CHUNK`] - 1 copies; further lines add `"chunk": k` and carry the next copies.
struct SyndicationWriter {
    tmp: PathBuf,
    dest: PathBuf,
    out: BufWriter<File>,
    stage: String,
    rule: &'static str,
    cluster: u32,
    size: u32,
    kept: Option<Value>,
    chunk: u32,
    duplicates: Vec<Value>,
}

impl SyndicationWriter {
    fn create(dir: &Path, stage: &str, rule: &'static str) -> Result<Self> {
        let dest = syndication_path(dir);
        let tmp = dest.with_extension("tmp");
        let f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        Ok(SyndicationWriter {
            tmp,
            dest,
            out: BufWriter::new(f),
            stage: stage.to_string(),
            rule,
            cluster: 0,
            size: 0,
            kept: None,
            chunk: 0,
            duplicates: Vec::new(),
        })
    }

    fn start(&mut self, cluster: u32, size: u32, kept: Value) -> Result<()> {
        self.cluster = cluster;
        self.size = size;
        self.kept = Some(kept);
        self.chunk = 0;
        self.duplicates.clear();
        Ok(())
    }

    fn push(&mut self, duplicate: Value) -> Result<()> {
        self.duplicates.push(duplicate);
        let room = if self.chunk == 0 {
            SYNDICATION_CHUNK - 1
        } else {
            SYNDICATION_CHUNK
        };
        if self.duplicates.len() >= room {
            self.write_line()?;
        }
        Ok(())
    }

    fn end_cluster(&mut self) -> Result<()> {
        if self.kept.is_some() || !self.duplicates.is_empty() {
            self.write_line()?;
        }
        Ok(())
    }

    fn write_line(&mut self) -> Result<()> {
        let duplicates = std::mem::take(&mut self.duplicates);
        let line = match self.kept.take() {
            Some(kept) => json!({
                "stage": self.stage,
                "rule": self.rule,
                "cluster_id": self.cluster,
                "size": self.size,
                "kept": kept,
                "duplicates": duplicates,
            }),
            None => json!({
                "stage": self.stage,
                "rule": self.rule,
                "cluster_id": self.cluster,
                "size": self.size,
                "chunk": self.chunk,
                "duplicates": duplicates,
            }),
        };
        self.chunk += 1;
        writeln!(self.out, "{line}").map_err(|e| Error::io(&self.tmp, e))
    }

    fn finish(mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(&self.tmp, e))?;
        drop(self.out);
        fs::rename(&self.tmp, &self.dest).map_err(|e| Error::io(&self.dest, e))
    }
}

fn doc_ref(r: &DocRecord) -> Value {
    if r.url.is_empty() {
        json!({"id": r.id})
    } else {
        json!({"id": r.id, "url": r.url})
    }
}

/// Path of the syndication map a dedup stage writes in its work directory: one JSON line per
/// cluster, `{"stage","rule","cluster_id","size","kept":{"id","url"},"duplicates":[{"id","url"}]}`,
/// continued on lines with `"chunk": k` when it has more than [`SYNDICATION_CHUNK`] members.
pub fn syndication_path(work_dir: &Path) -> PathBuf {
    work_dir.join(SYNDICATION_FILE)
}
