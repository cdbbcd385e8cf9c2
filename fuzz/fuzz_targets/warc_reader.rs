//! Feeds arbitrary bytes (through the member-wise gzip reader when they start with the gzip
//! magic, as the file reader does) to the WARC/ARC reader and drains it. The reader must never panic, hang or allocate
//! without bound, whatever the input; documents it returns must be valid UTF-8 (guaranteed by
//! `String`) and carry an id.
#![no_main]

use std::io::{BufRead, BufReader, Cursor};
use std::path::PathBuf;
use std::sync::Arc;

use gleaner::io::gzmembers::GzMembers;
use gleaner::io::{InputFile, ReadCounters, crawl};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let raw = Cursor::new(data.to_vec());
    let reader: Box<dyn BufRead + Send> = if data.starts_with(&[0x1f, 0x8b]) {
        Box::new(BufReader::new(GzMembers::new(raw)))
    } else {
        Box::new(raw)
    };
    let file = InputFile {
        index: 0,
        path: PathBuf::from("fuzz.warc"),
        size: data.len() as u64,
    };
    let counters = Arc::new(ReadCounters::default());
    // A small record limit exercises the too_large path; 1 MiB keeps memory bounded.
    // Rejects are fine (that is what malformed input becomes); documents must have an id.
    let options = crawl::CrawlOptions {
        max_record: 1 << 20,
        verify_block_digest: true,
    };
    for doc in crawl::from_reader(&file, reader, options, counters).flatten() {
        assert!(!doc.id.is_empty());
    }
});
