//! The classifier's corpus form (`keep_fraction`): keep exactly the top fraction of the corpus by
//! a model's score, ties at the cut-off kept in input order.
//!
//! With `N` documents reaching the stage, the `K = ceil(keep_fraction × N)` with the highest
//! scores are kept; among equal scores the earlier document in input order ranks higher, so the
//! cut is exact and deterministic whatever the thread count. Memory stays bounded however large
//! the corpus:
//!
//! * **scan** (one input file at a time, in parallel): each document's score, as the f32 fastText
//!   reports, goes with its input position to a per-file score file in the work directory
//!   (12 bytes per document, written atomically, in input order);
//! * **finish**: a 65,536-bucket histogram of the scores' top 16 bits finds the bucket holding the
//!   K-th score, a second one over that bucket's low 16 bits finds the exact score `v`, and a last
//!   walk over the score files in input order finds the position `p` of the last tie at `v` that
//!   still fits in `K` (1 MiB of counters, three sequential reads of the score files);
//! * **process**: a document is kept when its score is above `v`, or equal to it at a position
//!   up to `p`. Every removal names its score, `v`, the fraction and `K` of `N`.
//!
//! The cut-off is persisted (`cutoff.json`), and scanned files are marked done, so a killed run
//! resumes without rescoring. Scan, finish and load are separate functions so that they map onto
//! the executor's per-file corpus-stage passes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::classifier::Scorer;
use crate::dedup::runfile::{FixedRecord, RunReader, write_sorted};
use crate::dedup::{done_payload, mark_done, open_work_dir, scan_once, scanned_counts};
use crate::document::{Document, Removal};
use crate::error::{Error, Result};
use crate::stage::{CorpusInput, CorpusStage, HeldMemory, PrepareContext, StageContext, Verdict};

/// Work-file layout version (part of the work directory's fingerprint).
const LAYOUT_VERSION: u32 = 1;

/// One scored document: the score's order key and the document's input position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct ScoreRecord {
    key: u32,
    position: u64,
}

impl FixedRecord for ScoreRecord {
    const SIZE: usize = 12;
    fn write_to(&self, out: &mut [u8]) {
        out[..4].copy_from_slice(&self.key.to_le_bytes());
        out[4..12].copy_from_slice(&self.position.to_le_bytes());
    }
    fn read_from(bytes: &[u8]) -> Self {
        let mut k = [0u8; 4];
        let mut p = [0u8; 8];
        k.copy_from_slice(&bytes[..4]);
        p.copy_from_slice(&bytes[4..12]);
        ScoreRecord {
            key: u32::from_le_bytes(k),
            position: u64::from_le_bytes(p),
        }
    }
}

/// A score as an integer with the same order: probabilities are never negative, and the bits of
/// a non-negative f32 grow with its value; NaN (only from a broken model) ranks lowest.
fn order_key(score: f32) -> u32 {
    if score.is_nan() || score <= 0.0 {
        0
    } else {
        score.to_bits()
    }
}

/// Where the cut falls, once the whole corpus is scored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cutoff {
    /// Documents scored.
    pub total: u64,
    /// Documents kept: `ceil(keep_fraction × total)`.
    pub kept: u64,
    /// The lowest kept score (`None` when nothing is kept).
    pub score: Option<f32>,
    /// Documents scoring exactly `score` are kept up to this input position.
    pub last_tie_position: u64,
}

impl Cutoff {
    /// Whether a document with this score and position is among the kept.
    pub fn keeps(&self, score: f32, position: u64) -> bool {
        match self.score {
            None => false,
            Some(v) => {
                let (k, kv) = (order_key(score), order_key(v));
                k > kv || (k == kv && position <= self.last_tie_position)
            }
        }
    }
}

fn score_file(dir: &Path, file: usize) -> PathBuf {
    dir.join(format!("scores-f{file:06}.bin"))
}

/// Scores every document of input file `file` and writes its score file; returns the number of
/// documents.
pub fn scan_file(
    dir: &Path,
    input: &dyn CorpusInput,
    file: usize,
    score: &(dyn Fn(&Document) -> f32 + Sync),
) -> Result<u32> {
    let mut records = Vec::new();
    input.for_each_in_file(file, &mut |doc: &Document| {
        records.push(ScoreRecord {
            key: order_key(score(doc)),
            position: doc.position,
        });
    })?;
    let count = u32::try_from(records.len()).map_err(|_| Error::Stage {
        stage: "classifier".into(),
        message: format!("input file {file} holds more than 2^32 documents"),
    })?;
    write_sorted(&score_file(dir, file), records.into_iter())?;
    Ok(count)
}

/// Reads every score record, file by file in input order.
fn for_each_record(dir: &Path, files: usize, mut f: impl FnMut(ScoreRecord)) -> Result<()> {
    for file in 0..files {
        let mut reader = RunReader::<ScoreRecord>::open(&score_file(dir, file))?;
        while let Some(r) = reader.next_record()? {
            f(r);
        }
    }
    Ok(())
}

/// Walks a histogram from the highest bucket down to the one holding the `rank`-th highest
/// value (1-based); returns that bucket and how many values lie in higher buckets.
fn bucket_of_rank(histogram: &[u64], rank: u64) -> (usize, u64) {
    let mut above = 0;
    for (bucket, &n) in histogram.iter().enumerate().rev() {
        if above + n >= rank {
            return (bucket, above);
        }
        above += n;
    }
    (0, above)
}

/// Finds the cut-off from the score files of `files` input files.
pub fn finish(dir: &Path, files: usize, keep_fraction: f64) -> Result<Cutoff> {
    let mut high = vec![0u64; 1 << 16];
    for_each_record(dir, files, |r| high[(r.key >> 16) as usize] += 1)?;
    let total: u64 = high.iter().sum();
    // ceil, so that any positive fraction of a non-empty corpus keeps at least one document.
    let kept = ((keep_fraction * total as f64).ceil() as u64).min(total);
    if kept == 0 {
        return Ok(Cutoff {
            total,
            kept,
            score: None,
            last_tie_position: 0,
        });
    }
    let (hi, above_hi) = bucket_of_rank(&high, kept);
    let mut low = vec![0u64; 1 << 16];
    for_each_record(dir, files, |r| {
        if (r.key >> 16) as usize == hi {
            low[(r.key & 0xffff) as usize] += 1;
        }
    })?;
    let (lo, above) = bucket_of_rank(&low, kept - above_hi);
    let key = ((hi as u32) << 16) | lo as u32;
    // The ties at `key` that fit: the first `kept - above - above_hi` of them in input order.
    let ties_kept = kept - above_hi - above;
    let mut seen = 0u64;
    let mut last_tie_position = 0;
    for_each_record(dir, files, |r| {
        if r.key == key && seen < ties_kept {
            seen += 1;
            last_tie_position = r.position;
        }
    })?;
    Ok(Cutoff {
        total,
        kept,
        score: Some(f32::from_bits(key)),
        last_tie_position,
    })
}

/// The cut-off a finished prepare left in `dir`, if any.
pub fn load(dir: &Path) -> Option<Cutoff> {
    done_payload(dir, "cutoff").and_then(|p| serde_json::from_str(&p).ok())
}

/// The `classifier` stage with `keep_fraction`.
pub struct TopFraction {
    scorer: Scorer,
    keep_fraction: f64,
    cutoff: Option<Cutoff>,
}

impl TopFraction {
    /// A stage keeping `keep_fraction` (in (0, 1]) of the corpus by `scorer`'s label.
    pub fn new(scorer: Scorer, keep_fraction: f64) -> Result<Self> {
        if keep_fraction.is_nan() || keep_fraction <= 0.0 || keep_fraction > 1.0 {
            return Err(Error::Config(format!(
                "stage classifier: keep_fraction must be in (0, 1], got {keep_fraction}"
            )));
        }
        Ok(TopFraction {
            scorer,
            keep_fraction,
            cutoff: None,
        })
    }

    /// The cut-off, after `prepare`.
    pub fn cutoff(&self) -> Option<Cutoff> {
        self.cutoff
    }
}

impl CorpusStage for TopFraction {
    fn kind(&self) -> &'static str {
        "classifier"
    }

    fn held_memory(&self) -> Option<HeldMemory> {
        Some(self.scorer.held_memory())
    }

    fn open(&self, cx: &PrepareContext<'_>, files: usize) -> Result<()> {
        let fingerprint = json!({
            "model": self.scorer.model_identity(),
            "label": self.scorer.label(),
            "keep_fraction": self.keep_fraction,
        });
        open_work_dir(
            cx.work_dir,
            "classifier",
            LAYOUT_VERSION,
            files,
            &fingerprint,
        )
    }

    fn scan(&self, cx: &PrepareContext<'_>, input: &dyn CorpusInput, file: usize) -> Result<()> {
        let dir = cx.work_dir;
        if load(dir).is_some() {
            return Ok(());
        }
        let scorer = &self.scorer;
        let score = |doc: &Document| scorer.label_score(&doc.text);
        scan_once(dir, file, |file| scan_file(dir, input, file, &score))
    }

    fn finish(&mut self, cx: &PrepareContext<'_>, files: usize) -> Result<()> {
        let dir = cx.work_dir;
        if let Some(cutoff) = load(dir) {
            self.cutoff = Some(cutoff);
            return Ok(());
        }
        scanned_counts(dir, "classifier", files)?;
        let cutoff = finish(dir, files, self.keep_fraction)?;
        mark_done(
            dir,
            "cutoff",
            &serde_json::to_string(&cutoff).unwrap_or_default(),
        )?;
        self.cutoff = Some(cutoff);
        Ok(())
    }

    fn process(&self, doc: &mut Document, _cx: &mut StageContext) -> Verdict {
        let score = self.scorer.score(doc);
        let Some(cutoff) = self.cutoff else {
            // Not prepared: the executor always prepares corpus stages first; refuse to guess.
            return Verdict::Drop(Removal::new("not_prepared", json!(null), json!(null)));
        };
        if cutoff.keeps(score, doc.position) {
            return Verdict::Keep;
        }
        let cut = cutoff.score.map(f64::from);
        let mut removal = Removal::new(
            "below_corpus_cutoff",
            json!({"label": self.scorer.label(), "score": f64::from(score)}),
            json!({
                "keep_fraction": self.keep_fraction,
                "cutoff_score": cut,
                "kept": cutoff.kept,
                "of": cutoff.total,
            }),
        );
        if cutoff.score == Some(score) {
            removal = removal.with_detail(
                "scored exactly the cut-off; ties at the cut-off are kept in input order and this \
                 document came after the last one that fit",
            );
        }
        Verdict::Drop(removal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_key_sorts_like_the_scores() {
        let mut scores = vec![0.5f32, 0.0, 1.0, 1e-5, 0.49999997, 0.75, f32::NAN, -0.0];
        let mut keys: Vec<u32> = scores.iter().map(|&s| order_key(s)).collect();
        keys.sort();
        scores.retain(|s| !s.is_nan());
        scores.sort_by(f32::total_cmp);
        // NaN and both zeros share the lowest key.
        assert_eq!(keys[0], 0);
        assert_eq!(keys[1], 0);
        assert_eq!(keys[2], 0);
        assert_eq!(keys[3], 1e-5f32.to_bits());
        assert_eq!(keys[7], 1.0f32.to_bits());
        assert!(keys.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn bucket_of_rank_counts_from_the_top() {
        let h = [5u64, 0, 3, 2];
        assert_eq!(bucket_of_rank(&h, 1), (3, 0));
        assert_eq!(bucket_of_rank(&h, 2), (3, 0));
        assert_eq!(bucket_of_rank(&h, 3), (2, 2));
        assert_eq!(bucket_of_rank(&h, 5), (2, 2));
        assert_eq!(bucket_of_rank(&h, 6), (0, 5));
    }
}
