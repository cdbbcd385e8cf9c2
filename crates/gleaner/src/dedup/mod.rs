//! Corpus-wide deduplication: exact documents, repeated lines, and MinHash near-duplicates, as
//! [`CorpusStage`](crate::stage::CorpusStage)s that scale past RAM on one machine.
//!
//! All three stages share one shape. `scan` reads one input file (the executor runs them in
//! parallel, in any process), hashing each document into fixed-width records that are sorted and spilled to run files whenever the
//! per-thread share of the memory budget fills ([`runfile`]); a per-file `done` marker lets a
//! killed run skip files already scanned. `finish` then merges the runs k-way, per band in parallel for
//! MinHash: equal keys become duplicate edges fed straight into a lock-free union-find over dense
//! document ordinals ([`unionfind`], 4 bytes per document), so clustering never builds one hash
//! map of the corpus. Components are rooted at their first document in input order, which is the
//! one kept. [`cluster`] then spills the members of every cluster to sorted runs, streams them
//! cluster by cluster into the syndication map `syndication.jsonl` ([`syndication_path`], a
//! chunk of at most [`cluster::SYNDICATION_CHUNK`] members per line) and into per-document
//! decisions on disk, which `process` looks up by position.
//!
//! Memory: the run buffers take at most half the budget (a quarter filled, split across threads,
//! with room for `Vec` doubling); the rest covers the union-find (4 B per document, turned into
//! the roots array in place), a bitmap of clustered documents (1 bit per document), the merge
//! buffers (64 KiB per run, at most [`runfile::MAX_FAN_IN`] at once) and, while documents are
//! processed, one bit per input record plus 8 B per 128 clustered documents. Nothing is held per
//! member of a cluster, so one cluster of millions costs what millions of unique documents cost;
//! the repeated-line table is 12 B per distinct line that reaches `min_docs`, however many
//! documents repeat it.
//!
//! Dedup indexes ([`index`]): with `save_index`, a stage keeps what it saw (every key mapped to
//! its cluster's first document) as sorted files beside a manifest; with `against`, a later run
//! clusters its documents together with those entries ([`index_merge`], `index_reps` for
//! MinHash with `jaccard_threshold`), and its copies of earlier documents are decided from
//! [`against`]'s files, so each batch keeps what one run over all batches would keep from it.
//!
//! Text normalization for MinHash follows datatrove 0.10.1 `simplify_text` so that signatures are
//! comparable with datatrove's MinHash dedup ([`simplify_text`]).

pub mod against;
pub mod cluster;
mod decisions;
pub mod doctable;
pub mod exact;
pub mod index;
pub mod index_entries;
pub mod index_keys;
pub mod index_lines;
pub mod index_merge;
mod index_prefetch;
mod index_reps;
pub mod lines;
pub mod minhash;
pub mod runfile;
pub mod unionfind;

use std::fs;
use std::path::{Path, PathBuf};

pub use cluster::{SYNDICATION_FILE, syndication_path};
pub use exact::{ExactDedup, ExactDedupConfig};
pub use lines::{LineDedup, LineDedupConfig};
pub use minhash::{MinHashDedup, MinHashDedupConfig};

use crate::document::Document;
use crate::error::{Error, Result};
use crate::stage::{CorpusInput, PrepareContext};

/// datatrove 0.10.1 `utils/text.py` `PUNCTUATION`: characters `simplify_text` turns into spaces
/// (ASCII control characters are added separately below, as datatrove does).
const DATATROVE_PUNCTUATION: &str =
    "!/—”:％１〈&(、━\\【#%「」，】；+^]~“《„';’{|∶´[=-`*．（–？！：$～«〉,><》)?）。…@_.\"}►»";

/// [`is_datatrove_punctuation`] for ASCII, as a table: searching the punctuation string for
/// every character was the largest cost of `simplify_text` (decontamination, MinHash).
const ASCII_PUNCTUATION: [bool; 128] = {
    let mut table = [false; 128];
    let bytes = DATATROVE_PUNCTUATION.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] < 128 {
            table[bytes[i] as usize] = true;
        }
        i += 1;
    }
    let mut u = 0;
    while u < 128 {
        if matches!(u, 0..=8 | 11..=31 | 127) {
            table[u] = true;
        }
        u += 1;
    }
    table
};

fn is_datatrove_punctuation(c: char) -> bool {
    let u = c as u32;
    if u < 128 {
        return ASCII_PUNCTUATION[u as usize];
    }
    // The ranges datatrove appends: 0..9, 11..13, 13..32, 127..160 (half-open), i.e. control
    // characters except \t (9) and \n (10), which are whitespace and collapse anyway.
    (u < 9) || (11..32).contains(&u) || (127..160).contains(&u) || DATATROVE_PUNCTUATION.contains(c)
}

/// datatrove 0.10.1 `simplify_text` with its default `TextNormConfig`: lowercase, numbers (a run of
/// digits with an optional decimal part) to `0`, punctuation to spaces, whitespace collapsed,
/// diacritics removed (NFD, then combining marks dropped). Rust's `char::is_numeric` stands in for
/// `\p{Nd}` (it also accepts other numeric characters such as `½`, a rare difference).
pub fn simplify_text(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let lower = text.to_lowercase();
    let mut out = String::with_capacity(lower.len());
    let mut chars = lower.chars().peekable();
    let mut pending_space = false;
    let push = |out: &mut String, c: char, pending_space: &mut bool| {
        if c.is_whitespace() || is_datatrove_punctuation(c) {
            *pending_space = true;
        } else {
            if *pending_space && !out.is_empty() {
                out.push(' ');
            }
            *pending_space = false;
            out.push(c);
        }
    };
    while let Some(c) = chars.next() {
        if c.is_numeric() {
            while chars.peek().is_some_and(|d| d.is_numeric()) {
                chars.next();
            }
            // Optional decimal part: one separator followed by digits.
            let mut look = chars.clone();
            if look
                .next()
                .is_some_and(|s| matches!(s, '.' | ',' | '،' | '٫' | '⎖' | '⎗' | '⎘'))
                && look.peek().is_some_and(|d| d.is_numeric())
            {
                chars = look;
                while chars.peek().is_some_and(|d| d.is_numeric()) {
                    chars.next();
                }
            }
            push(&mut out, '0', &mut pending_space);
        } else {
            push(&mut out, c, &mut pending_space);
        }
    }
    if out.is_ascii() {
        return out;
    }
    out.nfd().filter(|&c| !is_combining_mark(c)).collect()
}

/// Runs `f` on a rayon pool of `threads` workers (the run's `--threads`).
pub(crate) fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> Result<T> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| Error::Stage {
            stage: "dedup".into(),
            message: format!("thread pool: {e}"),
        })?;
    Ok(pool.install(f))
}

/// Prepares a stage's work directory for its fingerprint: the stage kind, the version of its
/// work-file layout, the input file count and its parameters. Work left by a run with the same
/// fingerprint is kept for resume; anything else is cleared, so a changed pipeline (or a newer
/// layout) never reuses stale hashes.
pub(crate) fn open_work_dir(
    dir: &Path,
    stage: &str,
    version: u32,
    files: usize,
    config: &impl serde::Serialize,
) -> Result<()> {
    let fingerprint = serde_json::json!({
        "stage": stage, "version": version, "files": files, "config": config,
    })
    .to_string();
    let marker = dir.join("fingerprint.json");
    if fs::read_to_string(&marker).is_ok_and(|old| old == fingerprint) {
        return Ok(());
    }
    if dir.exists() {
        for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let path = entry.map_err(|e| Error::io(dir, e))?.path();
            let res = if path.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
            res.map_err(|e| Error::io(&path, e))?;
        }
    }
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    crate::io::write_atomic(&marker, fingerprint.as_bytes())
}

/// Starts reading the `against` indexes into the page cache ([`index_prefetch`]) unless the
/// stage's finish already used them (its marker `finished` is written).
pub(crate) fn prefetch_against(dir: &Path, finished: &str, against: &[PathBuf]) {
    if !against.is_empty() && done_payload(dir, finished).is_none() {
        index_prefetch::prefetch(against);
    }
}

/// Path of a phase-completion marker.
pub(crate) fn marker(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.done"))
}

/// Marks a phase finished, storing a small payload (e.g. a document count).
pub(crate) fn mark_done(dir: &Path, name: &str, payload: &str) -> Result<()> {
    crate::io::write_atomic(&marker(dir, name), payload.as_bytes())
}

/// The payload of a finished phase's marker, `None` if the phase has not finished.
pub(crate) fn done_payload(dir: &Path, name: &str) -> Option<String> {
    fs::read_to_string(marker(dir, name)).ok()
}

/// Scans input file `file` with `scan_one(file) -> documents seen` unless its scan finished
/// before, then marks it done with its document count (the marker is written only once the
/// scan's outputs are complete, so a killed scan is redone).
pub(crate) fn scan_once(
    dir: &Path,
    file: usize,
    scan_one: impl FnOnce(usize) -> Result<u32>,
) -> Result<()> {
    let name = scan_marker(file);
    if done_payload(dir, &name).is_some_and(|p| p.trim().parse::<u32>().is_ok()) {
        return Ok(());
    }
    let count = scan_one(file)?;
    mark_done(dir, &name, &count.to_string())
}

/// Per-file document counts of the finished scans of `files` files; a file not scanned is an
/// error (`finish` was called too early).
pub(crate) fn scanned_counts(dir: &Path, stage: &str, files: usize) -> Result<Vec<u32>> {
    (0..files)
        .map(|file| {
            done_payload(dir, &scan_marker(file))
                .and_then(|p| p.trim().parse().ok())
                .ok_or_else(|| Error::Stage {
                    stage: stage.into(),
                    message: format!(
                        "input file {file} was not scanned before the stage was finished"
                    ),
                })
        })
        .collect()
}

fn scan_marker(file: usize) -> String {
    format!("scan-f{file:06}")
}

/// The share of the memory budget one scanning thread may fill with records before spilling: a
/// quarter of the budget split across threads (at least 64 KiB). A quarter, not a half, because
/// partition buffers grow by doubling, so their capacity can reach twice what they hold; the
/// other half is for the reader, the merge buffers and the clustering state.
pub(crate) fn spill_bytes(cx: &PrepareContext<'_>) -> usize {
    let per_thread = cx.memory_budget / 4 / cx.threads.max(1) as u64;
    per_thread.max(64 << 10).min(usize::MAX as u64) as usize
}

/// An in-memory corpus split into "files", for tests, benchmarks and library users who hold
/// documents in memory. Positions are assigned as the executor does (`file << 40 | record`).
pub struct MemoryCorpus {
    files: Vec<Vec<Document>>,
}

impl MemoryCorpus {
    /// Splits `docs`, in order, into `files` contiguous files of near-equal size.
    pub fn new(docs: Vec<Document>, files: usize) -> Self {
        let files = files.max(1);
        let per = docs.len().div_ceil(files).max(1);
        let mut out: Vec<Vec<Document>> = (0..files).map(|_| Vec::new()).collect();
        for (i, mut d) in docs.into_iter().enumerate() {
            let f = i / per;
            d.position = Document::make_position(f, out[f].len() as u64);
            out[f].push(d);
        }
        MemoryCorpus { files: out }
    }

    /// Every document, in input order.
    pub fn documents(&self) -> impl Iterator<Item = &Document> {
        self.files.iter().flatten()
    }
}

impl CorpusInput for MemoryCorpus {
    fn file_count(&self) -> usize {
        self.files.len()
    }
    fn for_each_in_file(&self, index: usize, f: &mut dyn FnMut(&Document)) -> Result<()> {
        for d in self.files.get(index).into_iter().flatten() {
            f(d);
        }
        Ok(())
    }
}

#[cfg(test)]
mod test_corpus;
#[cfg(test)]
mod tests;

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn the_ascii_punctuation_table_agrees_with_the_punctuation_string() {
        for u in 0u32..128 {
            let c = char::from_u32(u).unwrap();
            let slow = (u < 9)
                || (11..32).contains(&u)
                || (127..160).contains(&u)
                || DATATROVE_PUNCTUATION.contains(c);
            assert_eq!(is_datatrove_punctuation(c), slow, "{u}");
        }
    }

    #[test]
    fn simplify_text_matches_datatrove_on_numbers_punctuation_and_accents() {
        // Expected strings from datatrove 0.10.1: simplify_text(...) in /work/venv.
        assert_eq!(
            simplify_text("Café Crème: 3,5 kg — \"Déjà vu\"!\n\n  2017 Rates at 4.25%"),
            "cafe creme 0 kg deja vu 0 rates at 0"
        );
        assert_eq!(simplify_text("It's U.S.-based"), "it s u s based");
        assert_eq!(simplify_text(""), "");
    }
}

#[cfg(test)]
mod big_cluster_tests;

#[cfg(test)]
mod index_tests;
