//! Drives the shared WARC/ARC record framer directly on arbitrary bytes, read through a buffer of
//! fuzzer-chosen size (so record starts and terminators fall across buffer boundaries) with a
//! small record limit (so the streaming skip of too-large blocks and its bounded hold run).
//!
//! Checks, besides never panicking or hanging: offsets only grow and lie inside the input; every
//! record's block is bytes of the input after its offset, unchanged, and no larger than the limit.
#![no_main]

use std::io::{BufReader, Cursor};

use gleaner::io::crawl::{ArcFramer, ArchiveStream, Framed, WarcFramer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&knobs, data)) = input.split_first() else {
        return;
    };
    let arc = knobs & 1 == 1;
    let buffer = 1 + usize::from(knobs >> 1) * 3;
    let max_record = 16u64 << (knobs >> 5);
    let reader = BufReader::with_capacity(buffer, Cursor::new(data.to_vec()));
    let stream = ArchiveStream::new(Box::new(reader));
    let framer: Box<dyn Iterator<Item = Framed>> = if arc {
        Box::new(ArcFramer::new(stream, max_record))
    } else {
        Box::new(WarcFramer::new(stream, max_record))
    };
    let mut last: Option<u64> = None;
    for f in framer {
        let offset = match &f {
            Framed::Record(r) => r.offset,
            Framed::Malformed(m) => m.offset,
            Framed::Quirk(_) => continue,
        };
        assert!(offset < data.len() as u64, "offset {offset} past the input");
        if let Some(prev) = last {
            assert!(offset > prev, "offset {offset} after {prev}");
        }
        last = Some(offset);
        if let Framed::Record(r) = &f {
            assert!(r.block.len() as u64 <= max_record);
            let after = &data[offset as usize..];
            assert!(
                memchr::memmem::find(after, &r.block).is_some(),
                "block of the record at {offset} is not input bytes"
            );
        }
    }
});
