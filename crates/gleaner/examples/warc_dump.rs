//! Reads crawl files and prints what the reader made of them: counts of documents, skips and
//! rejects per file, and throughput. `cargo run --release --example warc_dump -- FILE...`
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use gleaner::config::InputConfig;
use gleaner::io::{self, ReadCounters};

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    let verbose = std::env::var_os("VERBOSE").is_some();
    let files = io::expand_inputs(&paths).expect("inputs");
    let cfg = InputConfig {
        format: gleaner::config::InputFormat::Warc,
        ..InputConfig::default()
    };
    for f in files {
        let counters = Arc::new(ReadCounters::default());
        let bytes = Arc::new(AtomicU64::new(0));
        let t = Instant::now();
        let (mut docs, mut text_bytes, mut rejects) = (0u64, 0u64, Vec::new());
        for r in io::open_records_counted(&f, &cfg, bytes.clone(), counters.clone()) {
            match r {
                Ok(d) => {
                    docs += 1;
                    text_bytes += d.text.len() as u64;
                    if verbose {
                        println!("  doc {} {}", d.id, serde_json::Value::Object(d.metadata));
                    }
                }
                Err(e) => rejects.push(e),
            }
        }
        let secs = t.elapsed().as_secs_f64();
        let mb = bytes.load(Ordering::Relaxed) as f64 / 1e6;
        println!(
            "{}: {docs} documents ({:.1} MB text), {} rejects, {:.2} MB read in {:.3}s = {:.1} MB/s compressed",
            f.path.display(),
            text_bytes as f64 / 1e6,
            rejects.len(),
            mb,
            secs,
            mb / secs
        );
        println!("  counters {:?}", counters.snapshot());
        for r in rejects.iter().take(10) {
            println!("  reject {r}");
        }
    }
}
