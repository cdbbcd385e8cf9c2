//! Feeds arbitrary bytes to the JSONL record parser, and whatever text it yields to the text
//! normalizer. Neither may panic on any input; the parser's hand-written fast path must give
//! exactly what serde_json alone gives (document and quirks, or error); a parsed document must
//! survive normalization with valid UTF-8 and no control characters other than newline and tab
//! left in it.
#![no_main]

use gleaner::StageContext;
use gleaner::io::jsonl::{parse_record, parse_record_serde_only};
use gleaner::stages::normalize::{NormalizeConfig, TextNormalizer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = parse_record(data, "text", "id");
    assert_eq!(parsed, parse_record_serde_only(data, "text", "id"));
    let Ok((doc, _)) = parsed else {
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
