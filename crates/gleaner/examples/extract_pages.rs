//! Benchmark driver for `bench/extraction/eval.py`: reads JSON lines `{"id", "html"}` from the
//! file named by the first argument, extracts each page on one thread, writes JSON lines
//! `{"id", "text", "title", "author", "date"}` to the second argument, and prints the extraction
//! time (parsing of the input file excluded, as on the Python side) to stdout.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::time::Instant;

use gleaner::extract::{ExtractOptions, extract};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        return Err("usage: extract_pages PAGES.jsonl OUT.jsonl".into());
    }
    let mut pages: Vec<(String, String)> = Vec::new();
    for line in BufReader::new(std::fs::File::open(&args[1])?).lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        let id = v["id"].as_str().unwrap_or_default().to_string();
        let html = v["html"].as_str().unwrap_or_default().to_string();
        pages.push((id, html));
    }
    let opts = ExtractOptions::default();
    let start = Instant::now();
    let results: Vec<_> = pages.iter().map(|(_, html)| extract(html, &opts)).collect();
    let secs = start.elapsed().as_secs_f64();
    let mut out = BufWriter::new(std::fs::File::create(&args[2])?);
    for ((id, _), r) in pages.iter().zip(&results) {
        let v = serde_json::json!({
            "id": id, "text": r.text, "title": r.metadata.title,
            "author": r.metadata.author, "date": r.metadata.date,
        });
        writeln!(out, "{v}")?;
    }
    println!("{{\"pages\": {}, \"seconds\": {secs}}}", pages.len());
    Ok(())
}
