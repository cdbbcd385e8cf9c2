//! Fuzz target: any bytes, read as (lossy) UTF-8 HTML, must extract without panicking, down the
//! path the page-type model picks and down each type's own path (forum thread widening, the
//! listing region, product pruning), with and without a URL (dates and page-type hints in it).
//! The first byte chooses the path and the options, so the fuzzer explores them all.
#![no_main]

use gleaner::extract::{ExtractOptions, PageType, extract_page_as};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let html = String::from_utf8_lossy(rest);
    let forced = match choice % 8 {
        7 => None,
        k => Some(PageType::ALL[k as usize]),
    };
    let opts = if choice & 8 == 0 {
        ExtractOptions::default()
    } else {
        ExtractOptions {
            include_comments: true,
            include_tables: false,
            include_lists: false,
            ..ExtractOptions::default()
        }
    };
    // A URL with a date and page-type words, or none.
    let url = (choice & 16 != 0).then_some("https://example.com/forum/2021/03/04/product-list/");
    let _ = extract_page_as(&html, url, &opts, forced);
});
