//! Repeated-line (boilerplate) removal across the corpus, in the manner of CCNet: a line, or a
//! paragraph, whose normalized text occurs in at least `min_docs` documents is removed wherever it
//! occurs, each removal reported with the number of documents the line appears in.
//!
//! The scan hashes every distinct normalized line of each document once (xxh3-64, fixed seed), so
//! counts are document frequencies, not occurrence counts; `(hash, 1)` records are spilled to
//! sorted runs in 16 hash partitions and merged in parallel, summing counts. Only hashes that
//! reach `min_docs` are kept in memory (12 bytes each), sorted, for binary search in `process`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::index::{IndexSet, Source};
use super::index_lines::{finish_line_index, line_totals, start_line_index};
use super::index_merge::{RunIndexing, combine_fingerprints, ids_hasher, publish_saved};
use super::runfile::{KeyCount, PartitionedSpiller, RunReader, merge_partition, write_sorted};
use super::{
    done_payload, mark_done, open_work_dir, prefetch_against, scan_once, scanned_counts,
    simplify_text, spill_bytes,
};
use crate::document::{Document, Removal};
use crate::error::{Error, Result};
use crate::stage::{CorpusInput, CorpusStage, PrepareContext, StageContext, Verdict};

/// Fixed seed of the line hash (must never change: work files of a resumed run depend on it).
const LINE_SEED: u64 = 0x676c_6561_6e65_7202;

/// Hash partitions (top 4 bits) merged in parallel.
const PARTITIONS: usize = 16;

/// What counts as one unit of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineUnit {
    /// Each `\n`-separated line (CCNet's "paragraphs" are newline-separated lines of WET text).
    Line,
    /// Blocks separated by blank lines (dolma-style paragraphs).
    Paragraph,
}

/// Parameters of [`LineDedup`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LineDedupConfig {
    /// Lines or paragraphs.
    pub unit: LineUnit,
    /// A unit found in at least this many documents is removed everywhere. CCNet (Wenzek et al.
    /// 2020, §3.2 "Deduplication") removes every paragraph seen more than once, i.e. 2. Run it
    /// after `minhash_dedup`, or raise it, when syndicated copies are still in the corpus: their
    /// shared article lines count too.
    pub min_docs: u32,
    /// Units whose normalized text is shorter than this many characters are never removed
    /// (CCNet has no minimum: 0; raise it to spare short lines such as "Yes.").
    pub min_chars: usize,
    /// Saves a dedup index of this run's line counts (added to its `against` indexes') to this
    /// directory ([`super::index`]); the same path as an `against` index grows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub save_index: Option<PathBuf>,
    /// Dedup indexes of earlier corpora whose line counts add to this run's: a line counts as
    /// repeated when it reaches `min_docs` documents over all of them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub against: Vec<PathBuf>,
}

impl LineDedupConfig {
    /// The parameters an index records and an `against` index must share: what decides which
    /// units are counted (`min_docs` is applied to the counts, so it may differ).
    pub fn index_params(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        m.insert("unit".into(), serde_json::json!(self.unit));
        m.insert("min_chars".into(), self.min_chars.into());
        m
    }
}

/// Where a line-dedup scan leaves the hash of one input file's ids (for the index fingerprint).
fn ids_path(dir: &Path, file: usize) -> PathBuf {
    dir.join(format!("ids-f{file:06}.hash"))
}

impl Default for LineDedupConfig {
    fn default() -> Self {
        LineDedupConfig {
            unit: LineUnit::Line,
            min_docs: 2,
            min_chars: 0,
            save_index: None,
            against: Vec::new(),
        }
    }
}

/// The repeated-line corpus stage (`type = "line_dedup"`).
pub struct LineDedup {
    cfg: LineDedupConfig,
    /// `(hash, document count)` of units seen in at least `min_docs` documents, sorted by hash.
    repeated: Vec<KeyCount>,
}

/// A unit of a document: its first line index and its text.
struct Unit<'a> {
    line: usize,
    text: &'a str,
    /// Index range of lines it spans.
    lines: std::ops::Range<usize>,
}

fn units<'a>(lines: &[&'a str], text: &'a str, unit: LineUnit) -> Vec<Unit<'a>> {
    match unit {
        LineUnit::Line => lines
            .iter()
            .enumerate()
            .map(|(i, l)| Unit {
                line: i,
                text: l,
                lines: i..i + 1,
            })
            .collect(),
        LineUnit::Paragraph => {
            // Byte offsets of each line start, to slice paragraphs out of the original text.
            let mut starts = Vec::with_capacity(lines.len() + 1);
            let mut off = 0;
            for l in lines {
                starts.push(off);
                off += l.len() + 1;
            }
            let mut out = Vec::new();
            let mut i = 0;
            while i < lines.len() {
                if lines[i].trim().is_empty() {
                    i += 1;
                    continue;
                }
                let start = i;
                while i < lines.len() && !lines[i].trim().is_empty() {
                    i += 1;
                }
                let end_byte = (starts[i - 1] + lines[i - 1].len()).min(text.len());
                out.push(Unit {
                    line: start,
                    text: &text[starts[start]..end_byte],
                    lines: start..i,
                });
            }
            out
        }
    }
}

impl LineDedup {
    /// A stage with these parameters.
    pub fn new(cfg: LineDedupConfig) -> Result<Self> {
        if cfg.min_docs < 2 {
            return Err(Error::Config(
                "stage line_dedup: min_docs must be at least 2 (a line in one document is not repeated)"
                    .into(),
            ));
        }
        Ok(LineDedup {
            cfg,
            repeated: Vec::new(),
        })
    }

    /// The hash of a unit, or `None` when it is too short to be considered.
    fn unit_hash(&self, text: &str) -> Option<u64> {
        let norm = simplify_text(text);
        if norm.is_empty() || norm.chars().count() < self.cfg.min_chars {
            return None;
        }
        Some(xxh3_64_with_seed(norm.as_bytes(), LINE_SEED))
    }

    /// In how many documents a unit occurs, if that reaches `min_docs`.
    fn repeated_count(&self, text: &str) -> Option<u32> {
        let h = self.unit_hash(text)?;
        self.repeated
            .binary_search_by_key(&h, |k| k.key)
            .ok()
            .map(|i| self.repeated[i].count)
    }

    /// Number of distinct repeated units found by `prepare`.
    pub fn repeated_units(&self) -> usize {
        self.repeated.len()
    }

    fn scan_file(
        &self,
        dir: &Path,
        input: &dyn CorpusInput,
        file: usize,
        budget: usize,
    ) -> Result<u32> {
        let tag = format!("f{file:06}");
        let mut spill = PartitionedSpiller::<KeyCount>::new(dir, &tag, PARTITIONS, budget)?;
        let mut err: Option<Error> = None;
        let mut count = 0u32;
        let mut hashes = Vec::new();
        let mut ids = ids_hasher();
        input.for_each_in_file(file, &mut |doc: &Document| {
            if err.is_some() {
                return;
            }
            ids.update(doc.id.as_bytes());
            ids.update(b"\n");
            count = count.saturating_add(1);
            let lines: Vec<&str> = doc.text.split('\n').collect();
            hashes.clear();
            hashes.extend(
                units(&lines, &doc.text, self.cfg.unit)
                    .iter()
                    .filter_map(|u| self.unit_hash(u.text)),
            );
            // Document frequency: each distinct unit counts once per document.
            hashes.sort_unstable();
            hashes.dedup();
            for &key in &hashes {
                if let Err(e) = spill.push((key >> 60) as usize, KeyCount { key, count: 1 }) {
                    err = Some(e);
                    return;
                }
            }
        })?;
        if let Some(e) = err {
            return Err(e);
        }
        spill.finish()?;
        if self.cfg.save_index.is_some() {
            let hash = ids.digest().to_le_bytes();
            crate::io::write_atomic(&ids_path(dir, file), &hash)?;
        }
        Ok(count)
    }
}

fn repeated_path(dir: &Path) -> std::path::PathBuf {
    dir.join("repeated.bin")
}

impl CorpusStage for LineDedup {
    fn kind(&self) -> &'static str {
        "line_dedup"
    }

    fn open(&self, cx: &PrepareContext<'_>, files: usize) -> Result<()> {
        open_work_dir(cx.work_dir, "line_dedup", 1, files, &self.cfg)?;
        prefetch_against(cx.work_dir, "count", &self.cfg.against);
        Ok(())
    }

    fn scan(&self, cx: &PrepareContext<'_>, input: &dyn CorpusInput, file: usize) -> Result<()> {
        let dir = cx.work_dir;
        let budget = spill_bytes(cx);
        scan_once(dir, file, |file| self.scan_file(dir, input, file, budget))
    }

    fn finish(&mut self, cx: &PrepareContext<'_>, files: usize) -> Result<()> {
        let dir = cx.work_dir;
        if done_payload(dir, "count").is_some() {
            let mut reader = RunReader::<KeyCount>::open(&repeated_path(dir))?;
            let mut repeated = Vec::new();
            while let Some(r) = reader.next_record()? {
                repeated.push(r);
            }
            self.repeated = repeated;
            if let Some(dest) = &self.cfg.save_index {
                publish_saved(dest)?;
            }
            return Ok(());
        }
        let counts = scanned_counts(dir, "line_dedup", files)?;
        let min_docs = self.cfg.min_docs;
        let against = IndexSet::open(
            &self.cfg.against,
            "line_dedup",
            &self.cfg.index_params(),
            self.cfg.save_index.as_deref(),
        )?;
        let idx = RunIndexing {
            stage: "line_dedup",
            params: self.cfg.index_params(),
            against: &against,
            save: self.cfg.save_index.as_deref(),
            partitions: PARTITIONS,
        };
        let repeated = super::with_threads(cx.threads, || -> Result<Vec<KeyCount>> {
            if let Some(dest) = idx.save {
                start_line_index(dest)?;
            }
            let first_error = Mutex::new(None);
            let keys = std::sync::atomic::AtomicU64::new(0);
            let parts: Vec<Vec<KeyCount>> = (0..PARTITIONS)
                .into_par_iter()
                .map(|part| {
                    let res = (|| -> Result<Vec<KeyCount>> {
                        let merged = merge_partition::<KeyCount>(dir, part)?;
                        let mut out = Vec::new();
                        let mut n = 0u64;
                        // Counts of the `against` indexes add to the run's (see `index_merge`).
                        line_totals(
                            &against,
                            part,
                            Some(merged),
                            idx.save,
                            &mut |key, run, old| {
                                n += 1;
                                let count = run.saturating_add(old);
                                if run > 0 && count >= min_docs {
                                    out.push(KeyCount { key, count });
                                }
                            },
                        )?;
                        keys.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                        Ok(out)
                    })();
                    res.unwrap_or_else(|e| {
                        first_error
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .get_or_insert(e);
                        Vec::new()
                    })
                })
                .collect();
            if let Some(e) = first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
                return Err(e);
            }
            if let Some(dest) = idx.save {
                let per_file = (0..counts.len())
                    .map(|f| {
                        let p = ids_path(dir, f);
                        let b = std::fs::read(&p).map_err(|e| Error::io(&p, e))?;
                        Ok(u64::from_le_bytes(b.try_into().unwrap_or_default()))
                    })
                    .collect::<Result<Vec<u64>>>()?;
                let source = Source {
                    fingerprint: combine_fingerprints(&per_file),
                    documents: counts.iter().map(|&c| c as u64).sum(),
                };
                finish_line_index(&idx, dest, Some(source), keys.into_inner())?;
            }
            // Partitions are key ranges in order, so the concatenation is sorted.
            Ok(parts.into_iter().flatten().collect())
        })??;
        write_sorted(&repeated_path(dir), repeated.iter().copied())?;
        mark_done(dir, "count", &repeated.len().to_string())?;
        if let Some(dest) = &self.cfg.save_index {
            publish_saved(dest)?;
        }
        self.repeated = repeated;
        Ok(())
    }

    fn process(&self, doc: &mut Document, cx: &mut StageContext) -> Verdict {
        if self.repeated.is_empty() {
            return Verdict::Keep;
        }
        let lines: Vec<&str> = doc.text.split('\n').collect();
        let mut removed_lines = vec![false; lines.len()];
        let mut removed = 0u64;
        for u in units(&lines, &doc.text, self.cfg.unit) {
            if let Some(n) = self.repeated_count(u.text) {
                cx.remove_line(u.line, u.text, "repeated_line", n, self.cfg.min_docs);
                for l in u.lines {
                    removed_lines[l] = true;
                }
                removed += 1;
            }
        }
        if removed == 0 {
            return Verdict::Keep;
        }
        cx.count("repeated_units_removed", removed);
        let kept: Vec<&str> = lines
            .iter()
            .zip(&removed_lines)
            .filter(|(_, r)| !**r)
            .map(|(l, _)| *l)
            .collect();
        let text = kept.join("\n");
        if text.trim().is_empty() {
            return Verdict::Drop(
                Removal::new("only_repeated_lines", removed, self.cfg.min_docs).with_detail(
                    if self.cfg.against.is_empty() {
                        "every line of the document is repeated across the corpus".to_string()
                    } else {
                        format!(
                            "every line of the document is repeated across the corpus and the \
                             dedup indexes {}",
                            self.cfg
                                .against
                                .iter()
                                .map(|p| p.display().to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    },
                ),
            );
        }
        doc.text = text;
        Verdict::Keep
    }
}
