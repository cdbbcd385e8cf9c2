//! Tokenizes the `text` of every line of the given JSONL files on one thread and prints
//! `{"tokens": N, "seconds": S}`: gleaner's tokenizers alone, for `bench/tokens/speed.py`, which
//! times tiktoken and tokenizers on the same documents beside it.
//!
//! `cargo run --release -p gleaner --example tokenize_speed -- SPEC FILE...` (SPEC: `cl100k_base`,
//! `o200k_base` or a tokenizer.json path).

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let spec = args.next().ok_or("usage: tokenize_speed SPEC FILE...")?;
    let mut texts = Vec::new();
    for path in args {
        for line in std::fs::read_to_string(&path)?.lines() {
            let v: serde_json::Value = serde_json::from_str(line)?;
            texts.push(v["text"].as_str().unwrap_or_default().to_string());
        }
    }
    let tokenizer = gleaner::tokens::load(&spec)?;
    let mut ids = Vec::new();
    // One untimed pass: the first use builds the tokenizer's tables.
    tokenizer.encode_into("warm up", &mut ids);
    let started = Instant::now();
    let mut tokens = 0u64;
    for text in &texts {
        ids.clear();
        tokenizer.encode_into(text, &mut ids);
        tokens += ids.len() as u64;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({"tokens": tokens, "seconds": seconds})
    );
    Ok(())
}
