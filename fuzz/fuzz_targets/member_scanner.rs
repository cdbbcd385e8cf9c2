//! Feeds arbitrary bytes to the member-wise gzip and zstd readers (io/members.rs), with a tiny
//! hold limit so the spill path runs too, and drains them. They must never panic or hang, must
//! end after finitely many damage reports, each a non-empty range inside the input.
#![no_main]

use std::io::{Cursor, Read};

use gleaner::io::members::{Codec, LargeMembers, MemberReader, damage_of, needs_reread};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for codec in [Codec::Gzip, Codec::Zstd] {
        for (large, limit) in [
            (LargeMembers::Spill, 4096),
            (LargeMembers::Spill, 1 << 20),
            (LargeMembers::Stream, 4096),
        ] {
            let mut r = MemberReader::with_limit(Cursor::new(data.to_vec()), codec, large, limit);
            let mut out = Vec::new();
            let mut buf = [0u8; 4096];
            let mut reports = 0usize;
            loop {
                match r.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        out.extend_from_slice(&buf[..n]);
                        // zstd RLE blocks expand 4 bytes to 128 KiB: stop early rather than
                        // spend the run on output volume.
                        if out.len() > 64 << 20 {
                            break;
                        }
                    }
                    // A streamed member that failed after release ends the reader.
                    Err(e) if large == LargeMembers::Stream && needs_reread(&e) => break,
                    Err(e) => {
                        let d = damage_of(&e).expect("only damage is reported on in-memory input");
                        assert!(d.start < d.end && d.end <= data.len() as u64, "{d:?}");
                        reports += 1;
                        // Each report covers at least one byte, so there are at most as many
                        // as bytes.
                        assert!(reports <= data.len());
                    }
                }
            }
            if codec == Codec::Gzip {
                // Deflate expands at most 1032:1; more would mean bytes released twice.
                assert!(out.len() <= data.len().saturating_mul(1032));
            }
        }
    }
});
