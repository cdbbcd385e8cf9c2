//! `rs-trafilatura-pages PAGES.jsonl OUT.jsonl`: runs rs-trafilatura 0.2.2 (the best extractor on
//! the WCXB leaderboard) on every page of a pages file (`{"id", "url", "html"}` per line, as
//! bench/extraction/compare.py caches them) and writes what gleaner's `extract_pages` example
//! writes: one `{"id", "text", "title", "author", "date", "page_type", "confidence"}` line per
//! page, then `{"pages", "seconds", "cpu_seconds"}` on stdout, CPU time of the extracting thread
//! only. A page rs-trafilatura refuses (an `Err`) gets empty text, as a failed extraction scores.
use std::io::{BufRead, BufWriter, Write};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        return Err("usage: rs-trafilatura-pages PAGES.jsonl OUT.jsonl".into());
    }
    let mut pages = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(&args[1])?).lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        let text = |k: &str| v[k].as_str().map(str::to_string);
        pages.push((text("id").unwrap_or_default(), text("url"), text("html").unwrap_or_default()));
    }
    let cpu_start = thread_cpu_seconds();
    let start = Instant::now();
    let results: Vec<_> = pages
        .iter()
        .map(|(_, url, html)| {
            let options = rs_trafilatura::Options { url: url.clone(), ..Default::default() };
            rs_trafilatura::extract_with_options(html, &options).ok()
        })
        .collect();
    let secs = start.elapsed().as_secs_f64();
    let cpu = match (cpu_start, thread_cpu_seconds()) {
        (Some(a), Some(b)) => b - a,
        _ => secs,
    };
    let mut out = BufWriter::new(std::fs::File::create(&args[2])?);
    for ((id, _, _), r) in pages.iter().zip(&results) {
        let v = match r {
            Some(r) => serde_json::json!({
                "id": id, "text": r.content_text, "title": r.metadata.title,
                "author": r.metadata.author,
                "date": r.metadata.date.map(|d| d.format("%Y-%m-%d").to_string()),
                "page_type": r.metadata.page_type, "confidence": r.extraction_quality,
            }),
            None => serde_json::json!({"id": id, "text": ""}),
        };
        writeln!(out, "{v}")?;
    }
    println!("{{\"pages\": {}, \"seconds\": {secs}, \"cpu_seconds\": {cpu}}}", pages.len());
    Ok(())
}

/// CPU time of the calling thread (Linux `schedstat`: nanoseconds on the CPU, first field).
fn thread_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}
