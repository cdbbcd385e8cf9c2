//! Fuzz target: any bytes, read as (lossy) UTF-8 HTML, must extract without panicking.
#![no_main]

use gleaner::extract::{ExtractOptions, extract};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let opts = ExtractOptions::default();
    let _ = extract(&html, &opts);
    let no_tables = ExtractOptions {
        include_comments: true,
        include_tables: false,
        include_lists: false,
        ..opts
    };
    let _ = extract(&html, &no_tables);
});
