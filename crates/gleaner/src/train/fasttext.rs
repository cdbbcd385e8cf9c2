//! fastText supervised training (softmax loss) writing fastText's own `.bin` format (version 12),
//! which the `fasttext` Python package and the `classifier` stage load.
//!
//! Hand-written because no maintained Rust crate trains fastText models (`fasttext` binds the C++
//! library through a C++ toolchain; `fasttext-pure-rs` only predicts). It follows fastText 0.9.2's
//! supervised path (`Dictionary::readFromFile`/`threshold`/`getLine`, `FastText::trainThread`,
//! `Model::update`, `SoftmaxLoss::forward`) on one thread:
//!
//! * words are split on ASCII whitespace; each example ends with the end-of-sentence token `</s>`;
//!   words seen fewer than `min_count` times leave the vocabulary, which is sorted by count
//!   (ties in first-seen order, where C++'s unstable sort leaves them unspecified);
//! * an example's input is its words' ids, their character n-grams (`minn`..`maxn`) and its word
//!   n-grams up to `word_ngrams` (FNV-1a hashes, sign-extended as C++ does, modulo `bucket`);
//! * the input matrix starts uniform in ±1/dim, the output matrix at zero; each example moves the
//!   softmax towards its label with the learning rate decaying linearly to zero over
//!   `epoch × tokens` (updated every 100 tokens, fastText's `lrUpdateRate`), the input gradient
//!   averaged over the example's inputs.
//!
//! Differences, on purpose: the random generator is gleaner's own (SplitMix64), so weights are
//! not bit-identical to a C++ run with the same seed, only deterministic for a given seed; and
//! `bucket` is 0 when nothing is hashed (`word_ngrams` 1, no character n-grams), as fastText's
//! command line sets it (its Python package keeps 2,000,000 empty rows).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// fastText's file magic and version.
const MAGIC: i32 = 793_712_314;
const VERSION: i32 = 12;
const EOS: &str = "</s>";
const LABEL_PREFIX: &str = "__label__";
/// Largest input matrix trained, in floats (16 GiB): fastText's Python defaults (2 M buckets,
/// dim 100) need 0.8 GiB; a typo should not exhaust memory.
const MAX_INPUT_CELLS: usize = 4 << 30;
/// fastText's `lrUpdateRate`: tokens between learning-rate updates.
const LR_UPDATE_RATE: u64 = 100;

/// Hyperparameters, named as fastText's.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainParams {
    /// Embedding dimension.
    pub dim: usize,
    /// Passes over the data.
    pub epoch: usize,
    /// Initial learning rate.
    pub lr: f32,
    /// Longest word n-gram.
    pub word_ngrams: usize,
    /// Minimum count of a word to enter the vocabulary.
    pub min_count: u64,
    /// Hash buckets for word and character n-grams.
    pub bucket: usize,
    /// Shortest character n-gram (0 = none).
    pub minn: usize,
    /// Longest character n-gram (0 = none).
    pub maxn: usize,
    /// Seed of the weight initialisation.
    pub seed: u64,
}

impl Default for TrainParams {
    /// fastText 0.9.2's supervised defaults (`Args`, `train_supervised`).
    fn default() -> Self {
        TrainParams {
            dim: 100,
            epoch: 5,
            lr: 0.1,
            word_ngrams: 1,
            min_count: 1,
            bucket: 2_000_000,
            minn: 0,
            maxn: 0,
            seed: 0,
        }
    }
}

/// FNV-1a over bytes, each sign-extended first, as fastText's `Dictionary::hash`.
fn fnv(bytes: &[u8]) -> u32 {
    let mut h: u32 = 2_166_136_261;
    for &b in bytes {
        h ^= b as i8 as u32;
        h = h.wrapping_mul(16_777_619);
    }
    h
}

/// fastText's word separators (`Dictionary::readWord`).
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '\n' | '\r' | '\t' | '\x0B' | '\x0C' | '\0')
}

/// Character n-gram buckets of `<word>`, as fastText's `computeSubwords`.
fn char_ngrams(word: &str, minn: usize, maxn: usize, bucket: usize, out: &mut Vec<u32>) {
    let marked = format!("<{word}>");
    let b = marked.as_bytes();
    for i in 0..b.len() {
        if b[i] & 0xC0 == 0x80 {
            continue;
        }
        let (mut j, mut n) = (i, 1);
        let mut ngram: Vec<u8> = Vec::new();
        while j < b.len() && n <= maxn {
            ngram.push(b[j]);
            j += 1;
            while j < b.len() && b[j] & 0xC0 == 0x80 {
                ngram.push(b[j]);
                j += 1;
            }
            if n >= minn && !(n == 1 && (i == 0 || j == b.len())) {
                out.push((fnv(&ngram) as usize % bucket) as u32);
            }
            n += 1;
        }
    }
}

/// SplitMix64: small, fast, and reproducible across platforms.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-a, a).
    fn uniform(&mut self, a: f32) -> f32 {
        let unit = (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
        (unit * 2.0 - 1.0) * a
    }
}

struct Entry {
    word: String,
    count: u64,
    first_seen: usize,
}

/// A trained model: dictionary and both matrices, ready to save.
pub struct TrainedModel {
    params: TrainParams,
    words: Vec<Entry>,
    labels: Vec<Entry>,
    ntokens: u64,
    input: Vec<f32>,
    output: Vec<f32>,
}

/// The vocabulary built from the examples, and each example's input ids and label.
struct Prepared {
    words: Vec<Entry>,
    labels: Vec<Entry>,
    ntokens: u64,
    examples: Vec<(Vec<u32>, u32, u64)>,
}

fn prepare(examples: &[(String, String)], p: &TrainParams) -> Prepared {
    let mut word_ids: HashMap<&str, usize> = HashMap::new();
    let mut words: Vec<Entry> = Vec::new();
    let mut label_ids: HashMap<&str, usize> = HashMap::new();
    let mut labels: Vec<Entry> = Vec::new();
    let mut ntokens = 0u64;
    fn count<'a>(map: &mut HashMap<&'a str, usize>, list: &mut Vec<Entry>, w: &'a str) {
        let i = *map.entry(w).or_insert_with(|| {
            list.push(Entry {
                word: w.to_string(),
                count: 0,
                first_seen: list.len(),
            });
            list.len() - 1
        });
        list[i].count += 1;
    }
    for (label, text) in examples {
        count(&mut label_ids, &mut labels, label.as_str());
        ntokens += 1;
        for token in text.split(is_separator).filter(|t| !t.is_empty()) {
            ntokens += 1;
            if !token.starts_with(LABEL_PREFIX) {
                count(&mut word_ids, &mut words, token);
            }
        }
        count(&mut word_ids, &mut words, EOS);
        ntokens += 1;
    }
    // fastText's `threshold`: drop rare words, sort by count (descending).
    words.retain(|e| e.count >= p.min_count);
    words.sort_by(|a, b| b.count.cmp(&a.count).then(a.first_seen.cmp(&b.first_seen)));
    labels.sort_by(|a, b| b.count.cmp(&a.count).then(a.first_seen.cmp(&b.first_seen)));
    let index: HashMap<&str, u32> = words
        .iter()
        .enumerate()
        .map(|(i, e)| (e.word.as_str(), i as u32))
        .collect();
    let label_index: HashMap<&str, u32> = labels
        .iter()
        .enumerate()
        .map(|(i, e)| (e.word.as_str(), i as u32))
        .collect();
    let nwords = words.len() as u32;
    let subwords = p.maxn > 0;
    let mut prepared = Vec::with_capacity(examples.len());
    for (label, text) in examples {
        let mut ids = Vec::new();
        let mut hashes: Vec<u32> = Vec::new();
        let mut tokens = 1u64;
        let line = text
            .split(is_separator)
            .filter(|t| !t.is_empty() && !t.starts_with(LABEL_PREFIX))
            .chain(std::iter::once(EOS));
        for token in line {
            tokens += 1;
            let id = index.get(token).copied();
            if let Some(id) = id {
                ids.push(id);
            }
            if subwords && token != EOS {
                let start = ids.len();
                char_ngrams(token, p.minn, p.maxn, p.bucket, &mut ids);
                ids[start..].iter_mut().for_each(|h| *h += nwords);
            }
            hashes.push(fnv(token.as_bytes()));
        }
        // Word n-grams, from sign-extended word hashes as C++ keeps them (`int32_t`).
        for (i, &first) in hashes.iter().enumerate() {
            let mut h = first as i32 as i64 as u64;
            for next in hashes
                .iter()
                .take(hashes.len().min(i + p.word_ngrams))
                .skip(i + 1)
            {
                h = h
                    .wrapping_mul(116_049_371)
                    .wrapping_add(*next as i32 as i64 as u64);
                ids.push(nwords + (h % p.bucket as u64) as u32);
            }
        }
        prepared.push((ids, label_index[label.as_str()], tokens));
    }
    Prepared {
        words,
        labels,
        ntokens,
        examples: prepared,
    }
}

/// Trains a softmax classifier on `(label, text)` examples, in the order given. Labels are
/// written without the `__label__` prefix (it is added in the model file).
pub fn train(examples: &[(String, String)], params: &TrainParams) -> Result<TrainedModel> {
    let mut p = params.clone();
    if p.word_ngrams <= 1 && p.maxn == 0 {
        p.bucket = 0;
    }
    if p.dim == 0 || p.epoch == 0 || p.lr.is_nan() || p.lr <= 0.0 {
        return Err(Error::Config(
            "train-classifier: dim, epoch and lr must be positive".into(),
        ));
    }
    if (p.word_ngrams > 1 || p.maxn > 0) && p.bucket == 0 {
        return Err(Error::Config(
            "train-classifier: bucket must be positive with wordNgrams > 1 or maxn > 0".into(),
        ));
    }
    let examples: Vec<(String, String)> = examples
        .iter()
        .map(|(l, t)| (format!("{LABEL_PREFIX}{l}"), t.clone()))
        .collect();
    let prep = prepare(&examples, &p);
    let (nwords, nlabels, dim) = (prep.words.len(), prep.labels.len(), p.dim);
    if nlabels < 2 {
        return Err(Error::Config(format!(
            "train-classifier: the examples hold {nlabels} label(s); a classifier needs at least 2"
        )));
    }
    let cells = (nwords + p.bucket).checked_mul(dim);
    if p.bucket > i32::MAX as usize || cells.is_none_or(|c| c > MAX_INPUT_CELLS) {
        return Err(Error::Config(format!(
            "train-classifier: an input matrix of ({nwords} words + {} buckets) x {dim} is too large",
            p.bucket
        )));
    }
    let mut rng = Rng(p.seed);
    let a = 1.0 / dim as f32;
    let mut input: Vec<f32> = (0..(nwords + p.bucket) * dim)
        .map(|_| rng.uniform(a))
        .collect();
    let mut output = vec![0.0f32; nlabels * dim];
    let mut hidden = vec![0.0f32; dim];
    let mut grad = vec![0.0f32; dim];
    let mut scores = vec![0.0f32; nlabels];
    let total = (p.epoch as u64 * prep.ntokens) as f64;
    let (mut token_count, mut local) = (0u64, 0u64);
    for _ in 0..p.epoch {
        for (ids, target, tokens) in &prep.examples {
            let lr = (f64::from(p.lr) * (1.0 - token_count as f64 / total)) as f32;
            local += tokens;
            if local > LR_UPDATE_RATE {
                token_count += local;
                local = 0;
            }
            if ids.is_empty() {
                continue;
            }
            // Hidden: the mean of the input rows.
            hidden.iter_mut().for_each(|h| *h = 0.0);
            for &id in ids {
                let row = &input[id as usize * dim..(id as usize + 1) * dim];
                hidden.iter_mut().zip(row).for_each(|(h, r)| *h += r);
            }
            let inv = 1.0 / ids.len() as f32;
            hidden.iter_mut().for_each(|h| *h *= inv);
            // Softmax over the labels.
            for (i, s) in scores.iter_mut().enumerate() {
                let row = &output[i * dim..(i + 1) * dim];
                *s = row.iter().zip(&hidden).map(|(w, h)| w * h).sum();
            }
            let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut z = 0.0f32;
            scores.iter_mut().for_each(|s| {
                *s = (*s - max).exp();
                z += *s;
            });
            // Gradient of the log-likelihood; output rows move towards the target.
            grad.iter_mut().for_each(|g| *g = 0.0);
            for (i, s) in scores.iter().enumerate() {
                let label = if i as u32 == *target { 1.0 } else { 0.0 };
                let alpha = lr * (label - s / z);
                let row = &mut output[i * dim..(i + 1) * dim];
                for ((g, w), h) in grad.iter_mut().zip(row.iter_mut()).zip(&hidden) {
                    *g += alpha * *w;
                    *w += alpha * h;
                }
            }
            grad.iter_mut().for_each(|g| *g *= inv);
            for &id in ids {
                let row = &mut input[id as usize * dim..(id as usize + 1) * dim];
                row.iter_mut().zip(&grad).for_each(|(r, g)| *r += g);
            }
        }
    }
    Ok(TrainedModel {
        params: p,
        words: prep.words,
        labels: prep.labels,
        ntokens: prep.ntokens,
        input,
        output,
    })
}

impl TrainedModel {
    /// The labels, without prefix, in the model's order.
    pub fn labels(&self) -> Vec<&str> {
        self.labels
            .iter()
            .map(|e| e.word.strip_prefix(LABEL_PREFIX).unwrap_or(&e.word))
            .collect()
    }

    /// Vocabulary size.
    pub fn words(&self) -> usize {
        self.words.len()
    }

    /// Writes the model in fastText's `.bin` format (version 12), atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut file = crate::io::AtomicFile::create(path)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, &mut file);
        self.write_to(&mut w).map_err(|e| Error::io(path, e))?;
        w.flush().map_err(|e| Error::io(path, e))?;
        drop(w);
        file.commit()?;
        Ok(())
    }

    fn write_to(&self, out: &mut impl Write) -> std::io::Result<()> {
        let p = &self.params;
        let i32s = |out: &mut dyn Write, v: &[i32]| -> std::io::Result<()> {
            v.iter().try_for_each(|x| out.write_all(&x.to_le_bytes()))
        };
        i32s(out, &[MAGIC, VERSION])?;
        // Args: dim, ws, epoch, minCount, neg, wordNgrams, loss (3 = softmax), model (3 =
        // supervised), bucket, minn, maxn, lrUpdateRate, then t as f64 (fastText's defaults
        // for the ones supervised training does not use).
        i32s(
            out,
            &[
                p.dim as i32,
                5,
                p.epoch as i32,
                p.min_count as i32,
                5,
                p.word_ngrams as i32,
                3,
                3,
                p.bucket as i32,
                p.minn as i32,
                p.maxn as i32,
                LR_UPDATE_RATE as i32,
            ],
        )?;
        out.write_all(&1e-4f64.to_le_bytes())?;
        // Dictionary: size, nwords, nlabels, ntokens, pruneidx_size (-1: not pruned), entries.
        let size = self.words.len() + self.labels.len();
        i32s(
            out,
            &[
                size as i32,
                self.words.len() as i32,
                self.labels.len() as i32,
            ],
        )?;
        out.write_all(&(self.ntokens as i64).to_le_bytes())?;
        out.write_all(&(-1i64).to_le_bytes())?;
        for (entries, kind) in [(&self.words, 0u8), (&self.labels, 1u8)] {
            for e in entries {
                out.write_all(e.word.as_bytes())?;
                out.write_all(&[0])?;
                out.write_all(&(e.count as i64).to_le_bytes())?;
                out.write_all(&[kind])?;
            }
        }
        for (rows, data) in [
            (self.words.len() + p.bucket, &self.input),
            (self.labels.len(), &self.output),
        ] {
            out.write_all(&[0])?; // not quantized
            out.write_all(&(rows as i64).to_le_bytes())?;
            out.write_all(&(p.dim as i64).to_le_bytes())?;
            for chunk in data.chunks(1 << 14) {
                let bytes: Vec<u8> = chunk.iter().flat_map(|x| x.to_le_bytes()).collect();
                out.write_all(&bytes)?;
            }
        }
        Ok(())
    }
}
