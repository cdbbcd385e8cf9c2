//! Prints gleaner's English tokenization of each JSONL record's `text`, one JSON line per record:
//! `{"words": [...], "sentences": N}`. bench/parity/tokenizer.py compares this with spaCy.
//!
//! Usage: `cargo run --release -p gleaner --example tokenize_jsonl < docs.jsonl > words.jsonl`;
//! with `--bench`, reads everything first and prints tokenization throughput instead.

use std::io::{BufRead, BufWriter, Write};

fn bench() -> std::io::Result<()> {
    let texts: Vec<String> = std::io::stdin()
        .lock()
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(&l).ok())
        .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(String::from))
        .collect();
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let started = std::time::Instant::now();
    let mut tokens = Vec::new();
    let mut n = 0;
    for t in &texts {
        gleaner::text::tokenizer::tokenize_into(t, &mut tokens);
        n += tokens.len();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{} docs, {:.1} MB, {n} tokens in {secs:.2}s: {:.1} MB/s, {:.0} docs/s",
        texts.len(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs,
        texts.len() as f64 / secs
    );
    Ok(())
}

fn main() -> std::io::Result<()> {
    if std::env::args().any(|a| a == "--bench") {
        return bench();
    }
    let stdin = std::io::stdin();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line?;
        let value: serde_json::Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("skipping a bad record: {e}");
                continue;
            }
        };
        let text = value.get("text").and_then(|t| t.as_str()).unwrap_or("");
        let words = gleaner::text::split_into_words(text);
        let sentences = gleaner::text::count_sentences(text);
        serde_json::to_writer(
            &mut out,
            &serde_json::json!({"words": words, "sentences": sentences}),
        )?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
