//! The `exact_dedup` stage's 128-bit text hashes of a text column, as an Arrow array, so a
//! distributed exact dedup (Ray) groups documents exactly as `gleaner run` does.

use std::sync::Arc;

use arrow_array::{FixedSizeListArray, UInt64Array};
use arrow_schema::{DataType, Field};
use gleaner::dedup::ExactDedupConfig;
use gleaner::dedup::exact::exact_hash;
use gleaner::{Error, Result};
use rayon::prelude::*;

/// Parses `exact_dedup` parameters given as a TOML table (same names, defaults and messages as
/// the stage in a pipeline file).
pub fn exact_config(params: toml::Table) -> Result<ExactDedupConfig> {
    gleaner::stages::params("exact_dedup", params)
}

/// One `[high, low]` pair of 64-bit halves of the stage's xxh3-128 hash per text (a null text
/// hashes as the empty text, which is what the stage sees for it).
pub fn exact_hashes(texts: &[Option<&str>], cfg: &ExactDedupConfig) -> Result<FixedSizeListArray> {
    let hashes: Vec<u128> = texts
        .par_iter()
        .map(|t| exact_hash(t.unwrap_or(""), cfg.normalize))
        .collect();
    let mut values = Vec::with_capacity(hashes.len() * 2);
    for h in hashes {
        values.push((h >> 64) as u64);
        values.push(h as u64);
    }
    let item = Arc::new(Field::new("item", DataType::UInt64, false));
    FixedSizeListArray::try_new(item, 2, Arc::new(UInt64Array::from(values)), None)
        .map_err(|e| Error::Config(format!("exact_dedup: {e}")))
}
