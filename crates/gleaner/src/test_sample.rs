//! The bundled real news sample (`examples/data/news-sample.jsonl.zst`, 400 articles) as the unit
//! tests of every module read it: decoded once here instead of in each test module.

use serde_json::Value;

/// Every record of the sample, in file order, as JSON.
pub(crate) fn news_records() -> Vec<Value> {
    let zst = include_bytes!("../../../examples/data/news-sample.jsonl.zst");
    let jsonl = zstd::decode_all(&zst[..]).expect("bundled sample decompresses");
    jsonl
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("bundled sample is valid JSONL"))
        .collect()
}

/// The sample's texts, in file order.
pub(crate) fn news_texts() -> Vec<String> {
    news_records()
        .into_iter()
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect()
}
