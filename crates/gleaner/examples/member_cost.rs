//! What holding a member until it verifies costs, for the choice documented in io/members.rs:
//! decodes one file (a single-member `.gz` or single-frame `.zst`, e.g. bench/throughput.py's
//! inputs) to nowhere in five ways and prints the best wall seconds of each:
//! the plain streaming decoder (flate2 `MultiGzDecoder` / zstd `Decoder`, nothing verified
//! before release), [`MemberReader`] as runs use it (streaming past 4 MiB), [`MemberReader`] holding the member in memory, [`MemberReader`] spilling it
//! to a temporary file past 64 MiB, and a checksum pre-pass (the streaming decoder twice).
//!
//! `cargo run --release -p gleaner --example member_cost -- FILE [repeat]`

use std::fs::File;
use std::io::{BufReader, Read};
use std::time::Instant;

use gleaner::io::members::{Codec, LargeMembers, MemberReader};

fn drain(mut r: impl Read) -> u64 {
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        match r.read(&mut buf) {
            Ok(0) => return total,
            Ok(n) => total += n as u64,
            Err(e) => panic!("{e}"),
        }
    }
}

fn streaming(path: &str, codec: Codec) -> u64 {
    let raw = BufReader::with_capacity(1 << 16, File::open(path).unwrap());
    match codec {
        Codec::Gzip => drain(flate2::bufread::MultiGzDecoder::new(raw)),
        Codec::Zstd => drain(zstd::stream::read::Decoder::with_buffer(raw).unwrap()),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = &args[1];
    let repeat: usize = args.get(2).map_or(5, |s| s.parse().unwrap());
    let mut head = [0u8; 4];
    File::open(path).unwrap().read_exact(&mut head).unwrap();
    let codec = Codec::sniff(&head).expect("gzip or zstd");
    let time = |f: &dyn Fn() -> u64| {
        (0..repeat)
            .map(|_| {
                let t = Instant::now();
                let n = f();
                (t.elapsed().as_secs_f64(), n)
            })
            .fold((f64::INFINITY, 0), |(b, _), (t, n)| (b.min(t), n))
    };
    let rows: [(&str, &dyn Fn() -> u64); 5] = [
        ("streaming, unverified", &|| streaming(path, codec)),
        ("member reader, streaming past 4 MiB", &|| {
            drain(MemberReader::new(
                File::open(path).unwrap(),
                codec,
                LargeMembers::Stream,
            ))
        }),
        ("held in memory", &|| {
            drain(MemberReader::with_limit(
                File::open(path).unwrap(),
                codec,
                LargeMembers::Spill,
                1 << 30,
            ))
        }),
        ("spilled past 64 MiB", &|| {
            drain(MemberReader::with_limit(
                File::open(path).unwrap(),
                codec,
                LargeMembers::Spill,
                64 << 20,
            ))
        }),
        ("pre-pass (decode twice)", &|| {
            streaming(path, codec);
            streaming(path, codec)
        }),
    ];
    for (name, f) in rows {
        let (s, n) = time(f);
        println!(
            "{name:<24} {s:6.3} s  {:6.0} MB/s  ({n} bytes)",
            n as f64 / 1e6 / s
        );
    }
}
