//! MinHash signatures and LSH band keys of a text column, as Arrow arrays, computed by the same
//! [`MinHasher`] the `minhash_dedup` stage uses, so a distributed dedup (Ray) that groups by these
//! band keys finds exactly the candidate pairs `gleaner run` finds.

use std::sync::Arc;

use arrow_array::{FixedSizeListArray, UInt64Array};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field};
use gleaner::dedup::minhash::MinHasher;
use gleaner::dedup::{MinHashDedup, MinHashDedupConfig};
use gleaner::{Error, Result};
use rayon::prelude::*;

/// Parses and validates `minhash_dedup` parameters given as a TOML table (same names, defaults
/// and error messages as the stage in a pipeline file).
pub fn minhash_config(params: toml::Table) -> Result<MinHashDedupConfig> {
    let cfg: MinHashDedupConfig = gleaner::stages::params("minhash_dedup", params)?;
    // The stage's constructor holds the parameter checks; build one to run them.
    MinHashDedup::new(cfg.clone())?;
    Ok(cfg)
}

/// One fixed-size list per text: `f(shingles)` of `width` values, null when the text has fewer
/// words than `n_grams` (such documents are never deduplicated, as in the stage).
fn per_text(
    texts: &[Option<&str>],
    hasher: &MinHasher,
    width: usize,
    f: impl Fn(&[u64], &str) -> Vec<u64> + Sync,
) -> Result<FixedSizeListArray> {
    let rows: Vec<Option<Vec<u64>>> = texts
        .par_iter()
        .map(|t| {
            let text = t.unwrap_or("");
            let shingles = hasher.shingles(text);
            (!shingles.is_empty()).then(|| f(&shingles, text))
        })
        .collect();
    let mut values = Vec::with_capacity(rows.len() * width);
    for r in &rows {
        match r {
            Some(v) => values.extend_from_slice(v),
            None => values.extend(std::iter::repeat_n(0, width)),
        }
    }
    let nulls = NullBuffer::from_iter(rows.iter().map(Option::is_some));
    let item = Arc::new(Field::new("item", DataType::UInt64, false));
    let width =
        i32::try_from(width).map_err(|_| Error::Config("minhash: signature too wide".into()))?;
    FixedSizeListArray::try_new(
        item,
        width,
        Arc::new(UInt64Array::from(values)),
        Some(nulls).filter(|n| n.null_count() > 0),
    )
    .map_err(|e| Error::Config(format!("minhash: {e}")))
}

/// MinHash signatures (`num_buckets × hashes_per_bucket` minima per text).
pub fn signatures(texts: &[Option<&str>], cfg: &MinHashDedupConfig) -> Result<FixedSizeListArray> {
    let hasher = MinHasher::new(cfg);
    let width = cfg.num_buckets * cfg.hashes_per_bucket;
    per_text(texts, &hasher, width, |s, _| hasher.signature(s))
}

/// LSH band keys (one per band; with `lead_words`, the lead bands after the main ones): two
/// documents are near-duplicate candidates when they share a key at the same index.
pub fn band_keys(texts: &[Option<&str>], cfg: &MinHashDedupConfig) -> Result<FixedSizeListArray> {
    let hasher = MinHasher::new(cfg);
    let width = hasher.partitions();
    per_text(texts, &hasher, width, |s, text| {
        hasher.document_band_keys(s, text)
    })
}
