//! MinHash-LSH near-duplicate dedup, comparable with datatrove 0.10.1's four MinHash stages.
//!
//! Like datatrove: text is normalized with `simplify_text`, split into words, and every word
//! 5-gram (joined by a space) is hashed with xxh64 (seed 0); each of `num_buckets ×
//! hashes_per_bucket` hash functions is `(h·a + b) mod (2^61 − 1)` with 64-bit wrapping
//! arithmetic, exactly datatrove's numpy expression, and the signature keeps each function's
//! minimum. Documents with fewer words than `n_grams` have no shingles and are never deduplicated,
//! as in datatrove. Differences: the `a, b` parameters come from a SplitMix64 stream of `seed`
//! rather than numpy's Mersenne Twister, and words are whitespace tokens of the simplified text
//! (datatrove runs spaCy's tokenizer, which on punctuation-free text splits almost identically).
//!
//! Each band's rows are hashed (xxh3-64, seeded by the band number) to a band key; `(key, doc)`
//! records are spilled per band to sorted runs and each band is merged on its own thread. Documents
//! sharing a band key are candidates; with `jaccard_threshold` set, a candidate is joined only if
//! the true Jaccard similarity of its shingle set with an earlier member of the band group reaches
//! the threshold (shingle sets are then written to disk during the scan and read back by offset).
//! Optional lead bands (`lead_words`) add a signature of each document's opening words, which
//! finds excerpts of an article that whole-text Jaccard misses.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;
use xxhash_rust::xxh64::xxh64;

use super::against::AgainstState;
use super::cluster::{ClusterState, Labels, Layout};
use super::doctable::DocTableWriter;
use super::index::{IndexSet, Keyed};
use super::index_merge::{
    KeyedSource, KeysStep, RunIndexing, RunKeys, Saved, cluster_run, publish_saved, union_against,
};
use super::index_reps::RepClustering;
use super::runfile::{KeyDoc, PartitionedSpiller, merge_partition};
use super::{
    done_payload, mark_done, open_work_dir, prefetch_against, scan_once, scanned_counts,
    simplify_text, spill_bytes,
};
use crate::document::Document;
use crate::error::{Error, Result};
use crate::stage::{CorpusInput, CorpusStage, PrepareContext, StageContext, Verdict};

/// 2^61 − 1, the Mersenne prime datatrove's universal hashing works modulo.
const MERSENNE_61: u64 = (1 << 61) - 1;

/// Band groups larger than this compare each candidate with at most this many earlier verified
/// members (a group of thousands of copies of one page would otherwise cost quadratic time).
pub(crate) const MAX_JACCARD_PROBES: usize = 8;

/// Parameters of [`MinHashDedup`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MinHashDedupConfig {
    /// Words per shingle. datatrove 0.10.1 `MinhashConfig.n_grams = 5`.
    pub n_grams: usize,
    /// LSH bands. datatrove 0.10.1 `MinhashConfig.num_buckets = 14`.
    pub num_buckets: usize,
    /// Rows (hashes) per band. datatrove 0.10.1 `MinhashConfig.hashes_per_bucket = 8`.
    pub hashes_per_bucket: usize,
    /// Seed of the hash-function parameters. datatrove 0.10.1 `MinhashConfig.seed = 1`.
    pub seed: u64,
    /// When set, candidates must have at least this true Jaccard similarity of shingle sets.
    /// Off by default, like datatrove (which has no such check); 0.7 is close to the LSH
    /// threshold of 14×8 bands, (1/14)^(1/8) ≈ 0.72.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jaccard_threshold: Option<f64>,
    /// Most duplicate ids/URLs listed in a kept document's metadata (the syndication map lists
    /// all of them).
    pub max_listed_duplicates: usize,
    /// When set, a second signature over the shingles of each document's first `lead_words`
    /// words adds `num_buckets` more bands: an excerpt of an article (a truncated syndicated copy)
    /// shares its lead with the full article even when their whole-text Jaccard similarity is far
    /// below the LSH threshold. Off by default (datatrove has no such bands). With
    /// `jaccard_threshold`, lead candidates are checked by containment (shared shingles over the
    /// smaller set) instead of Jaccard, since an excerpt is contained in the full text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_words: Option<usize>,
    /// Saves a dedup index of this run (and of its `against` indexes) to this directory
    /// ([`super::index`]); the same path as an `against` index grows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub save_index: Option<PathBuf>,
    /// Dedup indexes of earlier corpora: a near copy of one of their documents is removed,
    /// naming it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub against: Vec<PathBuf>,
}

impl MinHashDedupConfig {
    /// The parameters an index records and an `against` index must share: everything that
    /// shapes band keys and decides a match.
    pub fn index_params(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        m.insert("n_grams".into(), self.n_grams.into());
        m.insert("num_buckets".into(), self.num_buckets.into());
        m.insert("hashes_per_bucket".into(), self.hashes_per_bucket.into());
        m.insert("seed".into(), self.seed.into());
        m.insert(
            "jaccard_threshold".into(),
            serde_json::json!(self.jaccard_threshold),
        );
        m.insert("lead_words".into(), serde_json::json!(self.lead_words));
        m
    }
}

impl Default for MinHashDedupConfig {
    fn default() -> Self {
        MinHashDedupConfig {
            n_grams: 5,
            num_buckets: 14,
            hashes_per_bucket: 8,
            seed: 1,
            jaccard_threshold: None,
            max_listed_duplicates: 100,
            lead_words: None,
            save_index: None,
            against: Vec::new(),
        }
    }
}

/// Lines before a document's first prose line are skipped by the lead window when they have
/// fewer words than this: site names, section labels, headlines, bylines and dates. An excerpt
/// carried under another site's header then still opens with the same words as the original.
/// (gleaner's choice: headlines and bylines run under ten words; the shortest opening paragraph
/// of the 3,824 news articles in ../shared/data is longer.)
pub const LEAD_MIN_LINE_WORDS: usize = 10;

/// The text from the first line with at least [`LEAD_MIN_LINE_WORDS`] words (the whole text if
/// no line is that long).
pub fn lead_text(text: &str) -> &str {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line
            .split_whitespace()
            .nth(LEAD_MIN_LINE_WORDS - 1)
            .is_some()
        {
            return &text[offset..];
        }
        offset += line.len();
    }
    text
}

/// The prefix of `text` holding its first `n` whitespace-separated words.
fn first_words(text: &str, n: usize) -> &str {
    let mut seen = 0;
    let mut in_word = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if in_word {
                seen += 1;
                if seen == n {
                    return &text[..i];
                }
            }
            in_word = false;
        } else {
            in_word = true;
        }
    }
    text
}

/// Signature computer: the hash-function parameters for one configuration.
pub struct MinHasher {
    n_grams: usize,
    bands: usize,
    rows: usize,
    /// Shingles in a document's lead, when lead bands are on.
    lead_shingles: Option<usize>,
    a: Vec<u64>,
    b: Vec<u64>,
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `x mod (2^61 − 1)` without a division.
fn mod_mersenne(x: u64) -> u64 {
    let r = (x & MERSENNE_61) + (x >> 61);
    if r >= MERSENNE_61 { r - MERSENNE_61 } else { r }
}

impl MinHasher {
    /// Parameters for `cfg` (validated by [`MinHashDedup::new`]).
    pub fn new(cfg: &MinHashDedupConfig) -> Self {
        let n = cfg.num_buckets * cfg.hashes_per_bucket;
        let mut state = cfg.seed;
        let mut a = Vec::with_capacity(n);
        let mut b = Vec::with_capacity(n);
        for _ in 0..n {
            // a in [1, P), b in [0, P): the ranges datatrove draws from.
            a.push(1 + splitmix64(&mut state) % (MERSENNE_61 - 1));
            b.push(splitmix64(&mut state) % MERSENNE_61);
        }
        MinHasher {
            n_grams: cfg.n_grams,
            bands: cfg.num_buckets,
            rows: cfg.hashes_per_bucket,
            lead_shingles: cfg.lead_words.map(|w| w.saturating_sub(cfg.n_grams) + 1),
            a,
            b,
        }
    }

    /// xxh64 hashes of the word n-grams of the simplified text (with repeats, in text order).
    pub fn shingles(&self, text: &str) -> Vec<u64> {
        let simple = simplify_text(text);
        // The simplified text has single spaces between words, so an n-gram joined by spaces is
        // a contiguous slice of it: no per-shingle allocation.
        let mut starts = Vec::new();
        let mut ends = Vec::new();
        let mut offset = 0;
        for w in simple.split(' ') {
            if !w.is_empty() {
                starts.push(offset);
                ends.push(offset + w.len());
            }
            offset += w.len() + 1;
        }
        if starts.len() < self.n_grams || self.n_grams == 0 {
            return Vec::new();
        }
        (0..=starts.len() - self.n_grams)
            .map(|i| xxh64(&simple.as_bytes()[starts[i]..ends[i + self.n_grams - 1]], 0))
            .collect()
    }

    /// The MinHash signature (`bands × rows` minima) of a set of shingles.
    pub fn signature(&self, shingles: &[u64]) -> Vec<u64> {
        let mut mins = vec![u64::MAX; self.a.len()];
        for &h in shingles {
            for ((m, &a), &b) in mins.iter_mut().zip(&self.a).zip(&self.b) {
                let v = mod_mersenne(h.wrapping_mul(a).wrapping_add(b));
                if v < *m {
                    *m = v;
                }
            }
        }
        mins
    }

    /// Number of band partitions: the bands, three times over with lead bands (main, lead of the
    /// text, lead of its first prose line).
    pub fn partitions(&self) -> usize {
        self.bands * if self.lead_shingles.is_some() { 3 } else { 1 }
    }

    /// Whether partition `part` holds lead bands.
    pub fn is_lead_partition(&self, part: usize) -> bool {
        part >= self.bands
    }

    /// Band keys of a document (`shingles` are [`Self::shingles`] of `text`), one per partition:
    /// the main bands, then, with `lead_words`, two sets of lead bands: over the opening words of
    /// the text, and over the opening words of its first prose line ([`lead_text`]). The first
    /// finds excerpts whose line breaks differ from the original's (re-wrapped copies); the
    /// second finds excerpts under another site's header of short lines, which only a
    /// corpus-wide `line_dedup` would otherwise strip. A document without such a header gets the
    /// same keys twice, which costs spill space but never a wrong pair: lead candidates are
    /// checked by containment.
    pub fn document_band_keys(&self, shingles: &[u64], text: &str) -> Vec<u64> {
        let mut keys = self.band_keys(&self.signature(shingles), 0);
        if let Some(lead) = self.lead_shingles {
            let opening = &shingles[..lead.min(shingles.len())];
            keys.extend(self.band_keys(&self.signature(opening), self.bands));
            let prose = lead_text(text);
            let mut prose_shingles = if prose.len() == text.len() {
                opening.to_vec()
            } else {
                let words = lead + self.n_grams - 1;
                self.shingles(first_words(prose, 2 * words))
            };
            if prose_shingles.is_empty() {
                prose_shingles = opening.to_vec();
            }
            prose_shingles.truncate(lead);
            keys.extend(self.band_keys(&self.signature(&prose_shingles), 2 * self.bands));
        }
        keys
    }

    /// Band keys of a signature: xxh3-64 of each band's rows, seeded with the band index plus
    /// `first_band` (so lead bands never collide with main bands).
    pub fn band_keys(&self, signature: &[u64], first_band: usize) -> Vec<u64> {
        signature
            .chunks(self.rows)
            .take(self.bands)
            .enumerate()
            .map(|(band, rows)| {
                let band = band + first_band;
                let mut bytes = Vec::with_capacity(rows.len() * 8);
                for r in rows {
                    bytes.extend_from_slice(&r.to_le_bytes());
                }
                xxh3_64_with_seed(&bytes, band as u64)
            })
            .collect()
    }
}

/// The MinHash dedup corpus stage (`type = "minhash_dedup"`).
pub struct MinHashDedup {
    cfg: MinHashDedupConfig,
    state: ClusterState,
    against: AgainstState,
    labels: Labels,
}

impl MinHashDedup {
    /// A stage with these parameters.
    pub fn new(cfg: MinHashDedupConfig) -> Result<Self> {
        if cfg.n_grams == 0 || cfg.num_buckets == 0 || cfg.hashes_per_bucket == 0 {
            return Err(Error::Config(
                "stage minhash_dedup: n_grams, num_buckets and hashes_per_bucket must be at least 1"
                    .into(),
            ));
        }
        if cfg.num_buckets > 499 {
            return Err(Error::Config(
                "stage minhash_dedup: at most 499 buckets".into(),
            ));
        }
        if cfg.lead_words.is_some_and(|w| w < cfg.n_grams) {
            return Err(Error::Config(
                "stage minhash_dedup: lead_words must be at least n_grams".into(),
            ));
        }
        if let Some(t) = cfg.jaccard_threshold
            && !(0.0..=1.0).contains(&t)
        {
            return Err(Error::Config(format!(
                "stage minhash_dedup: jaccard_threshold {t} is not in [0, 1]"
            )));
        }
        let labels = Labels {
            rule: "near_duplicate",
            prefix: "minhash",
            max_listed: cfg.max_listed_duplicates,
        };
        Ok(MinHashDedup {
            cfg,
            state: ClusterState::default(),
            against: AgainstState::default(),
            labels,
        })
    }

    /// Number of documents in near-duplicate clusters (kept and removed), after `prepare`.
    pub fn clustered_documents(&self) -> usize {
        self.state.clustered_documents()
    }

    /// Run files this process's clustering spilled ([`ClusterState::spilled_runs`]).
    pub fn spilled_runs(&self) -> usize {
        self.state.spilled_runs()
    }

    /// Bytes the decisions index holds in memory ([`ClusterState::resident_bytes`]).
    pub fn resident_bytes(&self) -> usize {
        self.state.resident_bytes()
    }
}

fn shingle_paths(dir: &Path, file: usize) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("shingles-f{file:06}.bin")),
        dir.join(format!("shingles-f{file:06}.idx")),
    )
}

/// Writes sorted, deduplicated shingle sets of one input file, plus their end offsets.
struct ShingleWriter {
    data: BufWriter<File>,
    index: BufWriter<File>,
    paths: [PathBuf; 4],
    offset: u64,
}

impl ShingleWriter {
    fn create(dir: &Path, file: usize) -> Result<Self> {
        let (data, index) = shingle_paths(dir, file);
        let (data_tmp, index_tmp) = (
            data.with_extension("bin.tmp"),
            index.with_extension("idx.tmp"),
        );
        let open = |p: &Path| File::create(p).map_err(|e| Error::io(p, e));
        Ok(ShingleWriter {
            data: BufWriter::new(open(&data_tmp)?),
            index: BufWriter::new(open(&index_tmp)?),
            paths: [data_tmp, index_tmp, data, index],
            offset: 0,
        })
    }

    fn push(&mut self, shingles: &[u64]) -> Result<()> {
        let mut set = shingles.to_vec();
        set.sort_unstable();
        set.dedup();
        for s in &set {
            self.data
                .write_all(&s.to_le_bytes())
                .map_err(|e| Error::io(&self.paths[0], e))?;
        }
        self.offset += set.len() as u64;
        self.index
            .write_all(&self.offset.to_le_bytes())
            .map_err(|e| Error::io(&self.paths[1], e))
    }

    fn finish(mut self) -> Result<()> {
        self.data
            .flush()
            .map_err(|e| Error::io(&self.paths[0], e))?;
        self.index
            .flush()
            .map_err(|e| Error::io(&self.paths[1], e))?;
        drop(self.data);
        drop(self.index);
        for (tmp, dest) in [(0, 2), (1, 3)] {
            std::fs::rename(&self.paths[tmp], &self.paths[dest])
                .map_err(|e| Error::io(&self.paths[dest], e))?;
        }
        Ok(())
    }
}

/// Random access to the shingle sets written during the scan, for the Jaccard check.
struct ShingleStore {
    files: Vec<File>,
    /// Per input file, the end offset (in shingles) of each document's set.
    ends: Vec<Vec<u64>>,
}

impl ShingleStore {
    fn open(dir: &Path, file_count: usize) -> Result<Self> {
        let mut files = Vec::with_capacity(file_count);
        let mut ends = Vec::with_capacity(file_count);
        for f in 0..file_count {
            let (data, index) = shingle_paths(dir, f);
            files.push(File::open(&data).map_err(|e| Error::io(&data, e))?);
            let bytes = std::fs::read(&index).map_err(|e| Error::io(&index, e))?;
            ends.push(
                bytes
                    .chunks_exact(8)
                    .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
                    .collect(),
            );
        }
        Ok(ShingleStore { files, ends })
    }

    fn set(&self, file: u32, local: u32) -> Result<Vec<u64>> {
        let ends = &self.ends[file as usize];
        let end = ends.get(local as usize).copied().unwrap_or(0);
        let start = if local == 0 {
            0
        } else {
            ends[local as usize - 1]
        };
        let mut bytes = vec![0u8; ((end - start) * 8) as usize];
        self.files[file as usize]
            .read_exact_at(&mut bytes, start * 8)
            .map_err(|e| Error::io(format!("shingles-f{file:06}.bin"), e))?;
        Ok(bytes
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect())
    }
}

fn intersection(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    inter
}

/// Jaccard similarity of two sorted, deduplicated sets.
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let inter = intersection(a, b);
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

/// Containment of the smaller of two sorted, deduplicated sets in the larger.
pub fn contained(a: &[u64], b: &[u64]) -> f64 {
    let smaller = a.len().min(b.len());
    if smaller == 0 {
        0.0
    } else {
        intersection(a, b) as f64 / smaller as f64
    }
}

struct ScanParams<'a> {
    dir: &'a Path,
    hasher: &'a MinHasher,
    keep_shingles: bool,
    budget: usize,
}

fn scan_file(p: &ScanParams<'_>, input: &dyn CorpusInput, file: usize) -> Result<u32> {
    let tag = format!("f{file:06}");
    let partitions = p.hasher.partitions();
    let mut spill = PartitionedSpiller::<KeyDoc>::new(p.dir, &tag, partitions, p.budget)?;
    let mut table = DocTableWriter::create(p.dir, file)?;
    let mut shingle_out = if p.keep_shingles {
        Some(ShingleWriter::create(p.dir, file)?)
    } else {
        None
    };
    let mut err: Option<Error> = None;
    input.for_each_in_file(file, &mut |doc: &Document| {
        if err.is_some() {
            return;
        }
        let res = (|| -> Result<()> {
            let local = table.push(doc)?;
            let shingles = p.hasher.shingles(&doc.text);
            if let Some(w) = shingle_out.as_mut() {
                w.push(&shingles)?;
            }
            if shingles.is_empty() {
                return Ok(());
            }
            for (band, key) in p
                .hasher
                .document_band_keys(&shingles, &doc.text)
                .into_iter()
                .enumerate()
            {
                let file = file as u32;
                spill.push(band, KeyDoc { key, file, local })?;
            }
            Ok(())
        })();
        if let Err(e) = res {
            err = Some(e);
        }
    })?;
    if let Some(e) = err {
        return Err(e);
    }
    spill.finish()?;
    if let Some(w) = shingle_out {
        w.finish()?;
    }
    table.finish()
}

impl CorpusStage for MinHashDedup {
    fn kind(&self) -> &'static str {
        "minhash_dedup"
    }

    fn open(&self, cx: &PrepareContext<'_>, files: usize) -> Result<()> {
        // Version 2: lead bands come in two sets (work files of version 1 do not resume).
        open_work_dir(cx.work_dir, "minhash_dedup", 3, files, &self.cfg)?;
        prefetch_against(cx.work_dir, "cluster", &self.cfg.against);
        Ok(())
    }

    fn scan(&self, cx: &PrepareContext<'_>, input: &dyn CorpusInput, file: usize) -> Result<()> {
        let hasher = MinHasher::new(&self.cfg);
        let scan = ScanParams {
            dir: cx.work_dir,
            hasher: &hasher,
            keep_shingles: self.cfg.jaccard_threshold.is_some(),
            budget: spill_bytes(cx),
        };
        scan_once(cx.work_dir, file, |file| scan_file(&scan, input, file))
    }

    fn finish(&mut self, cx: &PrepareContext<'_>, files: usize) -> Result<()> {
        let dir = cx.work_dir;
        let counts = scanned_counts(dir, "minhash_dedup", files)?;
        let layout = Layout::from_counts(&counts)?;
        if done_payload(dir, "cluster").is_some() {
            if let Some(dest) = &self.cfg.save_index {
                publish_saved(dest)?;
            }
            self.state = ClusterState::load(dir)?;
            self.against = AgainstState::load(dir)?;
            return Ok(());
        }
        let hasher = MinHasher::new(&self.cfg);
        let threshold = self.cfg.jaccard_threshold;
        let labels = &self.labels;
        let budget = spill_bytes(cx);
        let against = IndexSet::open(
            &self.cfg.against,
            "minhash_dedup",
            &self.cfg.index_params(),
            self.cfg.save_index.as_deref(),
        )?;
        let idx = RunIndexing {
            stage: "minhash_dedup",
            params: self.cfg.index_params(),
            against: &against,
            save: self.cfg.save_index.as_deref(),
            partitions: hasher.partitions(),
        };
        let state = super::with_threads(cx.threads, || -> Result<ClusterState> {
            // Documents are nodes after the `against` entries (see `index_merge`).
            let virt = against.total;
            let layout = &layout;
            let uf = match threshold {
                None => {
                    let run_keys = |band: usize| -> Result<Box<dyn KeyedSource<u64> + '_>> {
                        let runs = merge_partition::<KeyDoc>(dir, band)?;
                        Ok(Box::new(RunKeys::new(runs, move |r: KeyDoc| Keyed {
                            key: r.key,
                            node: virt + layout.ordinal(r.file, r.local),
                        })))
                    };
                    cluster_run(
                        &idx,
                        dir,
                        layout,
                        KeysStep::Distinct(&run_keys),
                        &|band, uf| union_against(&against, band, run_keys(band)?, uf),
                    )?
                }
                Some(t) => {
                    let store = ShingleStore::open(dir, counts.len())?;
                    let shingles = |file: u32, local: u32| store.set(file, local);
                    let save = idx.save.is_some();
                    let reps = RepClustering::new(&against, layout, dir, t, &shingles, save)?;
                    let write =
                        |new: &Path, saved: &Saved<'_>| reps.save(new, saved, idx.partitions);
                    cluster_run::<u64>(&idx, dir, layout, KeysStep::Custom(&write), &|band, uf| {
                        reps.cluster_band(band, uf, hasher.is_lead_partition(band))
                    })?
                }
            };
            let state = ClusterState::persist(dir, uf, layout, labels, "minhash_dedup", budget)?;
            mark_done(dir, "cluster", "")?;
            Ok(state)
        })??;
        if let Some(dest) = &self.cfg.save_index {
            publish_saved(dest)?;
        }
        self.state = state;
        self.against = AgainstState::load(dir)?;
        Ok(())
    }

    fn process(&self, doc: &mut Document, cx: &mut StageContext) -> Verdict {
        if let Some(v) = self.against.decide(doc, &self.labels, cx) {
            return v;
        }
        self.state.decide(doc, &self.labels, cx)
    }
}
