//! Benchmark driver for `bench/extraction/eval.py` and `compare.py`: reads JSON lines
//! `{"id", "html", "url"?}` from the file named by the first argument, extracts each page on one
//! thread, writes JSON lines `{"id", "text", "title", "author", "date", "page_type", "read_as",
//! "confidence"}` (plus `"features"` and `"words"` when `GLEANER_FEATURES=1`, for `fit_models.py`) to the
//! second argument, and prints the extraction time (parsing of the input file excluded, as on the
//! Python side) to stdout: wall seconds and, on Linux, the thread's CPU seconds (from
//! `/proc/thread-self/schedstat`; the wall time otherwise), which stay meaningful on a shared
//! machine. `GLEANER_PAGE_TYPE=<type>` sends every page down that type's path (the page type
//! printed stays the one given).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::time::Instant;

use gleaner::extract::{ExtractOptions, PageType, extract_page_as};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        return Err("usage: extract_pages PAGES.jsonl OUT.jsonl".into());
    }
    let with_features = std::env::var("GLEANER_FEATURES").is_ok_and(|v| v == "1");
    let mut pages: Vec<(String, Option<String>, String)> = Vec::new();
    for line in BufReader::new(std::fs::File::open(&args[1])?).lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        let id = v["id"].as_str().unwrap_or_default().to_string();
        let url = v["url"].as_str().map(str::to_string);
        let html = v["html"].as_str().unwrap_or_default().to_string();
        pages.push((id, url, html));
    }
    let opts = ExtractOptions::default();
    // Every page down one type's path (`GLEANER_PAGE_TYPE=listing`): what a type costs.
    let forced = std::env::var("GLEANER_PAGE_TYPE")
        .ok()
        .and_then(|t| PageType::ALL.into_iter().find(|p| p.as_str() == t));
    let cpu_start = thread_cpu_seconds();
    let start = Instant::now();
    let results: Vec<_> = pages
        .iter()
        .map(|(_, url, html)| extract_page_as(html, url.as_deref(), &opts, forced))
        .collect();
    let secs = start.elapsed().as_secs_f64();
    let cpu = match (cpu_start, thread_cpu_seconds()) {
        (Some(a), Some(b)) => b - a,
        _ => secs,
    };
    let mut out = BufWriter::new(std::fs::File::create(&args[2])?);
    for ((id, url, html), r) in pages.iter().zip(&results) {
        let mut v = serde_json::json!({
            "id": id, "text": r.text, "title": r.metadata.title,
            "author": r.metadata.author, "date": r.metadata.date,
            "page_type": r.page_type.as_str(), "read_as": r.read_as.as_str(),
            "confidence": r.confidence,
        });
        if with_features {
            v["features"] = serde_json::json!({
                "page": r.features.page.0.to_vec(),
                "confidence": r.features.confidence.0.to_vec(),
            });
            let dom = gleaner::extract::dom::Dom::parse(html);
            v["words"] = serde_json::json!(gleaner::extract::page_type::page_words(
                &dom,
                url.as_deref()
            ));
        }
        writeln!(out, "{v}")?;
    }
    println!(
        "{{\"pages\": {}, \"seconds\": {secs}, \"cpu_seconds\": {cpu}}}",
        pages.len()
    );
    Ok(())
}

/// CPU time of the calling thread (Linux `schedstat`: nanoseconds on the CPU, first field).
fn thread_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}
