//! Applies a pipeline file to JSONL documents on stdin and writes one JSON line per document to
//! stdout: `{"id", "kept", "text", "metadata", "removal"?, "edits"}`, in input order.
//!
//! The parity scripts under `bench/parity/` use it to compare single stages with their datatrove
//! counterparts document by document, without the executor's sharded output in between:
//!
//! ```text
//! cargo run -p gleaner --example apply_pipeline -- examples/filters/language.toml < docs.jsonl
//! ```
//!
//! Only per-document stages are supported (corpus stages need the executor's passes).

use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

use gleaner::pipeline::DocOutcome;
use gleaner::{Document, Pipeline, PipelineConfig};
use serde_json::{Value, json};

fn main() {
    if let Err(e) = run() {
        eprintln!("apply_pipeline: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: apply_pipeline PIPELINE.toml < docs.jsonl > results.jsonl")?;
    let cfg = PipelineConfig::load(Path::new(&path))?;
    let pipeline = Pipeline::from_config(&cfg)?;
    let mut stats = pipeline.empty_stats();
    let stdin = std::io::stdin();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let doc: Document =
            serde_json::from_str(&line).map_err(|e| format!("input line {}: {e}", n + 1))?;
        let record = match pipeline.run_document(0..pipeline.stages.len(), doc, &mut stats) {
            DocOutcome::Kept(d) => json!({
                "id": d.id, "kept": true, "text": d.text, "metadata": d.metadata,
                "edits": d.edits,
            }),
            DocOutcome::Removed(r) => json!({
                "id": r.document.id, "kept": false, "text": r.document.text,
                "metadata": r.document.metadata, "removal": r.reason, "edits": r.document.edits,
            }),
        };
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    let stats: Vec<Value> = stats
        .iter()
        .map(|s| json!({"name": s.name, "in": s.docs_in, "out": s.docs_out}))
        .collect();
    eprintln!("{}", Value::from(stats));
    Ok(())
}
