//! From duplicate components to per-document decisions and the syndication map.
//!
//! After a dedup stage has unioned its duplicate edges, every component is rooted at its first
//! document in input order (see [`super::unionfind`]). This module keeps only the documents that
//! belong to a component of two or more (8 bytes per such document for the `(root, ordinal)`
//! pairs, plus its id and URL), persists them to `clusters.bin` so a resumed run skips clustering,
//! writes `syndication.jsonl`, and answers, per document during `process`, "removed in favour of
//! whom" or "kept, with these copies".

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use serde_json::{Value, json};

use super::doctable::{DocRecord, read_table};
use super::runfile::{FixedRecord, RunReader, write_sorted};
use crate::document::{Document, Removal};
use crate::error::{Error, Result};
use crate::stage::Verdict;

/// Name of the syndication map a dedup stage writes in its work directory.
pub const SYNDICATION_FILE: &str = "syndication.jsonl";

/// `(root, member)` ordinals of one clustered document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Membership {
    root: u32,
    member: u32,
}

impl FixedRecord for Membership {
    const SIZE: usize = 8;
    fn write_to(&self, out: &mut [u8]) {
        out[0..4].copy_from_slice(&self.root.to_le_bytes());
        out[4..8].copy_from_slice(&self.member.to_le_bytes());
    }
    fn read_from(b: &[u8]) -> Self {
        Membership {
            root: u32::from_le_bytes(b[0..4].try_into().unwrap_or_default()),
            member: u32::from_le_bytes(b[4..8].try_into().unwrap_or_default()),
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
}

/// One document that has copies.
#[derive(Debug, Clone)]
struct Member {
    ordinal: u32,
    record: DocRecord,
    /// Index in `members` of its cluster's first (kept) member.
    first: u32,
    /// Cluster size.
    size: u32,
}

/// What a dedup stage knows after clustering: enough to decide on every document.
#[derive(Debug, Default)]
pub struct ClusterState {
    /// Clustered documents grouped by cluster, kept document first, then input order.
    members: Vec<Member>,
    /// `(position, index into members)`, sorted by position.
    by_position: Vec<(u64, u32)>,
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
    /// Writes `clusters.bin` and `syndication.jsonl` from the final roots, then loads the state.
    pub fn persist(
        dir: &Path,
        roots: &[u32],
        layout: &Layout,
        labels: &Labels,
        stage: &str,
    ) -> Result<ClusterState> {
        let n = roots.len();
        // Mark every document in a component of size >= 2: non-roots, and roots with a child.
        let marked: Vec<AtomicU64> = (0..n.div_ceil(64)).map(|_| AtomicU64::new(0)).collect();
        roots.par_iter().enumerate().for_each(|(x, &r)| {
            if r as usize != x {
                for y in [x, r as usize] {
                    marked[y / 64].fetch_or(1 << (y % 64), Ordering::Relaxed);
                }
            }
        });
        let is_marked = |y: usize| marked[y / 64].load(Ordering::Relaxed) & (1 << (y % 64)) != 0;
        let mut pairs: Vec<Membership> = (0..n)
            .into_par_iter()
            .filter(|&x| is_marked(x))
            .map(|x| Membership {
                root: roots[x],
                member: x as u32,
            })
            .collect();
        pairs.par_sort_unstable();
        write_sorted(&clusters_path(dir), pairs.iter().copied())?;
        let state = Self::from_pairs(dir, pairs, layout)?;
        state.write_syndication(dir, labels, stage)?;
        Ok(state)
    }

    /// Reloads the state a finished clustering phase left in `dir`.
    pub fn load(dir: &Path, layout: &Layout) -> Result<ClusterState> {
        let mut reader = RunReader::<Membership>::open(&clusters_path(dir))?;
        let mut pairs = Vec::new();
        while let Some(p) = reader.next_record()? {
            pairs.push(p);
        }
        Self::from_pairs(dir, pairs, layout)
    }

    fn from_pairs(dir: &Path, pairs: Vec<Membership>, layout: &Layout) -> Result<ClusterState> {
        // Look up ids and URLs of clustered documents in the per-file tables, in parallel.
        let mut by_ordinal: Vec<u32> = pairs.iter().map(|p| p.member).collect();
        by_ordinal.par_sort_unstable();
        let per_file: Vec<Vec<(u32, DocRecord)>> = (0..layout.bases.len())
            .into_par_iter()
            .map(|file| -> Result<Vec<(u32, DocRecord)>> {
                let mut found = Vec::new();
                let base = layout.bases[file];
                let end = layout.bases.get(file + 1).copied().unwrap_or(layout.total);
                let first = by_ordinal.partition_point(|&o| (o as u64) < base);
                if by_ordinal.get(first).is_none_or(|&o| o as u64 >= end) {
                    return Ok(found);
                }
                read_table(dir, file, |local, rec| {
                    let ord = (base + local as u64) as u32;
                    if by_ordinal.binary_search(&ord).is_ok() {
                        found.push((ord, rec));
                    }
                })?;
                Ok(found)
            })
            .collect::<Result<_>>()?;
        let mut records: Vec<(u32, DocRecord)> = per_file.into_iter().flatten().collect();
        records.sort_unstable_by_key(|(o, _)| *o);
        let mut members = Vec::with_capacity(pairs.len());
        let mut i = 0;
        while i < pairs.len() {
            let root = pairs[i].root;
            let mut j = i;
            while j < pairs.len() && pairs[j].root == root {
                j += 1;
            }
            for p in &pairs[i..j] {
                let record = match records.binary_search_by_key(&p.member, |(o, _)| *o) {
                    Ok(k) => records[k].1.clone(),
                    Err(_) => {
                        return Err(Error::Stage {
                            stage: "dedup".into(),
                            message: format!("document ordinal {} missing from tables", p.member),
                        });
                    }
                };
                members.push(Member {
                    ordinal: p.member,
                    record,
                    first: i as u32,
                    size: (j - i) as u32,
                });
            }
            i = j;
        }
        let mut by_position: Vec<(u64, u32)> = members
            .iter()
            .enumerate()
            .map(|(k, m)| (m.record.position, k as u32))
            .collect();
        by_position.par_sort_unstable();
        Ok(ClusterState {
            members,
            by_position,
        })
    }

    fn write_syndication(&self, dir: &Path, labels: &Labels, stage: &str) -> Result<()> {
        let dest = syndication_path(dir);
        let tmp = dest.with_extension("tmp");
        let f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let mut out = BufWriter::new(f);
        let mut i = 0;
        while i < self.members.len() {
            let size = self.members[i].size as usize;
            let cluster = &self.members[i..i + size];
            let line = json!({
                "stage": stage,
                "rule": labels.rule,
                "cluster_id": cluster[0].ordinal,
                "size": size,
                "kept": doc_ref(&cluster[0].record),
                "duplicates": cluster[1..].iter().map(|m| doc_ref(&m.record)).collect::<Vec<_>>(),
            });
            writeln!(out, "{line}").map_err(|e| Error::io(&tmp, e))?;
            i += size;
        }
        out.flush().map_err(|e| Error::io(&tmp, e))?;
        drop(out);
        std::fs::rename(&tmp, &dest).map_err(|e| Error::io(&dest, e))
    }

    /// Number of documents that have at least one copy (kept and removed).
    pub fn clustered_documents(&self) -> usize {
        self.members.len()
    }

    /// Decides on `doc`: drops a copy naming the kept document, annotates a kept document that had
    /// copies, keeps everything else untouched.
    pub fn decide(&self, doc: &mut Document, labels: &Labels) -> Verdict {
        let Ok(k) = self
            .by_position
            .binary_search_by_key(&doc.position, |(p, _)| *p)
        else {
            return Verdict::Keep;
        };
        let m = &self.members[self.by_position[k].1 as usize];
        let first = &self.members[m.first as usize];
        // Guard against a position collision with a different document (e.g. the caller did not
        // set positions): only act when the id matches what the scan recorded.
        if m.record.id != doc.id {
            return Verdict::Keep;
        }
        if m.first as usize != self.by_position[k].1 as usize {
            return Verdict::Drop(
                Removal::new(labels.rule, m.size, 2)
                    .with_kept_id(first.record.id.clone())
                    .with_detail(format!(
                        "cluster {} of {} documents; the first in input order is kept",
                        first.ordinal, m.size
                    )),
            );
        }
        let start = m.first as usize + 1;
        let end = m.first as usize + m.size as usize;
        let listed: Vec<Value> = self.members[start..end.min(start + labels.max_listed)]
            .iter()
            .map(|d| doc_ref(&d.record))
            .collect();
        let p = labels.prefix;
        doc.metadata
            .insert(format!("{p}_cluster_id"), json!(first.ordinal));
        doc.metadata
            .insert(format!("{p}_cluster_size"), json!(m.size));
        doc.metadata
            .insert(format!("{p}_duplicates"), json!(listed));
        Verdict::Keep
    }
}

fn doc_ref(r: &DocRecord) -> Value {
    if r.url.is_empty() {
        json!({"id": r.id})
    } else {
        json!({"id": r.id, "url": r.url})
    }
}

fn clusters_path(dir: &Path) -> PathBuf {
    dir.join("clusters.bin")
}

/// Path of the syndication map a dedup stage writes in its work directory: one JSON line per
/// cluster, `{"stage","rule","cluster_id","size","kept":{"id","url"},"duplicates":[{"id","url"}]}`.
pub fn syndication_path(work_dir: &Path) -> PathBuf {
    work_dir.join(SYNDICATION_FILE)
}
