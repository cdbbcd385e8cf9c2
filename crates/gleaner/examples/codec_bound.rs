//! The codecs of a read → write run alone, through the same libraries and settings as gleaner:
//! what a compressed-input or compressed-output run can never go below. `bench/throughput.py`
//! times it beside each of its rows, so that gleaner's own cost can be told from its codecs'.
//!
//! Usage (`cargo build --release -p gleaner --example codec_bound`):
//! - `codec_bound decode FILE`: decompresses FILE (gzip, zstd or plain, told by its magic bytes)
//!   through gleaner's reader stack, in the 1 MiB reads its JSONL reader makes, and discards it;
//! - `codec_bound zstd LEVEL FILE` / `codec_bound gz LEVEL FILE`: compresses FILE in frames of
//!   [`gleaner::io::FRAME_BYTES`], as the shard writer does (one reused zstd context; one gzip
//!   member per frame), and discards the result.
//!
//! Prints the uncompressed and compressed sizes, and the CPU seconds of the codec work alone
//! (`cpu_s=`, from the thread's schedstat: reading the plain file into memory is not counted).

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// CPU time this thread has run, in seconds (Linux's schedstat; 0 elsewhere).
fn thread_cpu_s() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0.0, |ns| ns as f64 / 1e9)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["decode", file] => {
            let counter = Arc::new(AtomicU64::new(0));
            let mut r = gleaner::io::compress::open_decompressed(
                file.as_ref(),
                counter.clone(),
                gleaner::io::members::LargeMembers::Stream,
            )?;
            let mut buf = vec![0u8; 1 << 20];
            let start = thread_cpu_s();
            let mut total = 0u64;
            loop {
                let n = r.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                total += n as u64;
            }
            let compressed = counter.load(std::sync::atomic::Ordering::Relaxed);
            let cpu = thread_cpu_s() - start;
            println!("{total} bytes decoded from {compressed} cpu_s={cpu:.4}");
        }
        [codec @ ("zstd" | "gz"), level, file] => {
            let level: i32 = level.parse()?;
            let data = std::fs::read(file)?;
            let mut compressor = zstd::bulk::Compressor::new(level)?;
            let mut compressed = 0usize;
            let start = thread_cpu_s();
            for frame in data.chunks(gleaner::io::FRAME_BYTES) {
                compressed += if *codec == "zstd" {
                    compressor.compress(frame)?.len()
                } else {
                    let mut e = flate2::write::GzEncoder::new(
                        Vec::with_capacity(frame.len() / 3),
                        flate2::Compression::new(level.clamp(0, 9) as u32),
                    );
                    e.write_all(frame)?;
                    e.finish()?.len()
                };
            }
            let cpu = thread_cpu_s() - start;
            println!(
                "{} bytes compressed to {compressed} cpu_s={cpu:.4}",
                data.len()
            );
        }
        _ => {
            eprintln!("usage: codec_bound decode FILE | codec_bound (zstd|gz) LEVEL FILE");
            std::process::exit(2);
        }
    }
    Ok(())
}
