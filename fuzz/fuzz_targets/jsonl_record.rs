//! Feeds arbitrary bytes to the JSONL record parser, and whatever text it yields to the text
//! normalizer. Neither may panic on any input; a parsed document must survive normalization
//! with valid UTF-8 and no control characters other than newline and tab left in it.
#![no_main]

use gleaner::StageContext;
use gleaner::io::jsonl::parse_record;
use gleaner::stages::normalize::{NormalizeConfig, TextNormalizer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = parse_record(data, "text", "id") else {
        return;
    };
    let mut cx = StageContext::new();
    let out = TextNormalizer::new(NormalizeConfig::default()).normalize(&doc.text, &mut cx);
    assert!(out.chars().all(|c| !c.is_control() || c == '\n' || c == '\t'));
    // Normalizing twice changes nothing more.
    let mut cx2 = StageContext::new();
    let again = TextNormalizer::new(NormalizeConfig::default()).normalize(&out, &mut cx2);
    assert_eq!(again, out);
});
