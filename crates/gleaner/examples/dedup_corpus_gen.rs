//! Generates a large synthetic corpus for the dedup scale benchmark (bench/dedup/scale.sh):
//! `--docs N` documents of 60–240 words drawn from a Zipf-like distribution over a vocabulary
//! seeded from the real text in examples/data/raw-example.txt plus generated word forms, written as
//! zstd-compressed JSONL shards. About 5 % of documents are exact copies of an earlier one and
//! 10 % near-copies (a header line, ~2 % of words changed, sometimes truncated), so every dedup
//! phase has real work. Deterministic for a given `--seed`.
//!
//! cargo run --release -p gleaner --example dedup_corpus_gen -- --docs 5000000 --files 32 --out DIR

use std::io::Write;
use std::path::PathBuf;

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_string())
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let docs: u64 = arg(&args, "--docs", "5000000").parse().expect("--docs N");
    let files: u64 = arg(&args, "--files", "32").parse().expect("--files N");
    let seed: u64 = arg(&args, "--seed", "42").parse().expect("--seed N");
    let out = PathBuf::from(arg(&args, "--out", "bench/dedup/data/scale"));
    std::fs::create_dir_all(&out)?;

    let seed_text = include_str!("../../../examples/data/raw-example.txt");
    let mut vocab: Vec<String> = Vec::new();
    for w in seed_text.split_whitespace() {
        let w: String = w.chars().filter(|c| c.is_alphanumeric()).collect();
        if !w.is_empty() && !vocab.contains(&w) {
            vocab.push(w);
        }
    }
    let mut state = seed;
    let syllables = [
        "ka", "lo", "mi", "ra", "ten", "vo", "sil", "dan", "e", "ur", "pho", "gri",
    ];
    while vocab.len() < 50_000 {
        let n = 1 + splitmix(&mut state) % 4;
        let w: String = (0..n)
            .map(|_| syllables[(splitmix(&mut state) % syllables.len() as u64) as usize])
            .collect();
        vocab.push(w);
    }
    // Zipf-like: index = floor(V^u) - 1 for uniform u, a cheap heavy-tailed draw.
    let zipf = |state: &mut u64| -> usize {
        let u = (splitmix(state) >> 11) as f64 / (1u64 << 53) as f64;
        ((vocab.len() as f64).powf(u) as usize)
            .saturating_sub(1)
            .min(vocab.len() - 1)
    };

    // Recent documents that copies are drawn from (bounded, so memory stays flat).
    let mut recent: Vec<String> = Vec::with_capacity(4096);
    let per_file = docs.div_ceil(files);
    let mut id = 0u64;
    for f in 0..files {
        let path = out.join(format!("part-{f:04}.jsonl.zst"));
        let file = std::fs::File::create(&path)?;
        let mut enc = zstd::Encoder::new(file, 3)?.auto_finish();
        let mut line = String::new();
        for _ in 0..per_file {
            if id >= docs {
                break;
            }
            let roll = splitmix(&mut state) % 100;
            let text = if roll < 5 && !recent.is_empty() {
                recent[(splitmix(&mut state) % recent.len() as u64) as usize].clone()
            } else if roll < 15 && !recent.is_empty() {
                let base = &recent[(splitmix(&mut state) % recent.len() as u64) as usize];
                let mut words: Vec<&str> = base.split(' ').collect();
                if splitmix(&mut state).is_multiple_of(4) {
                    let keep = words.len() * 85 / 100;
                    words.truncate(keep.max(10));
                }
                let mut out: Vec<String> =
                    vec![format!("Site {} edition", splitmix(&mut state) % 50)];
                for w in words {
                    if splitmix(&mut state).is_multiple_of(50) {
                        out.push(vocab[zipf(&mut state)].clone());
                    } else {
                        out.push(w.to_string());
                    }
                }
                out.join(" ")
            } else {
                let n = 60 + splitmix(&mut state) % 180;
                let words: Vec<&str> = (0..n).map(|_| vocab[zipf(&mut state)].as_str()).collect();
                words.join(" ")
            };
            if recent.len() < 4096 {
                recent.push(text.clone());
            } else {
                let slot = (splitmix(&mut state) % 4096) as usize;
                recent[slot] = text.clone();
            }
            line.clear();
            line.push_str(&format!(
                "{{\"id\":\"g{id:09}\",\"text\":{},\"metadata\":{{\"url\":\"https://gen.example/{id}\"}}}}\n",
                serde_json::to_string(&text).unwrap_or_default()
            ));
            enc.write_all(line.as_bytes())?;
            id += 1;
        }
    }
    eprintln!("wrote {id} documents in {files} files to {}", out.display());
    Ok(())
}
