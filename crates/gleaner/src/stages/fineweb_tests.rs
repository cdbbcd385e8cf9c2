//! Tests of the FineWeb quality stage on real text (the user's raw web document and a news
//! article from fixtures/, Apache-2.0), each rule on both sides of its threshold.

use super::*;

const SEED: &str = include_str!("../../../../examples/data/raw-example.txt");
const ARTICLE: &str = include_str!("fixtures/news-30.txt");

fn run(cfg: FineWebQualityConfig, text: &str) -> Verdict {
    FineWebQualityFilter::new(cfg).process(&mut Document::new("d", text), &mut StageContext::new())
}

fn rule(v: &Verdict) -> Option<&str> {
    match v {
        Verdict::Drop(r) => Some(r.rule.as_str()),
        Verdict::Keep => None,
    }
}

#[test]
fn real_documents_pass() {
    assert_eq!(run(Default::default(), SEED), Verdict::Keep);
    // The article is one line ending in a closing quote, which is not terminal punctuation.
    let v = run(Default::default(), ARTICLE);
    assert_eq!(
        v,
        Verdict::Drop(Removal::new("line_punct_ratio", 0.0, 0.12))
    );
    let fixed = format!("{}.", ARTICLE.trim_end_matches('"'));
    assert_eq!(run(Default::default(), &fixed), Verdict::Keep);
}

#[test]
fn blank_text_is_empty() {
    assert_eq!(rule(&run(Default::default(), " \n\t\n")), Some("empty"));
}

#[test]
fn terminal_punctuation_ratio() {
    // The seed's 14 lines: 10 end in "."; strip it from 9 of them → 1/14 = 0.071.
    let mut lines: Vec<String> = SEED.lines().map(String::from).collect();
    assert_eq!(lines.len(), 14);
    for l in lines.iter_mut().take(9) {
        l.pop();
    }
    let v = run(Default::default(), &lines.join("\n"));
    assert_eq!(rule(&v), Some("line_punct_ratio"));
    // 2/14 = 0.143 ≥ 0.12 passes.
    lines[0].push('.');
    assert_eq!(run(Default::default(), &lines.join("\n")), Verdict::Keep);
    // Custom stop characters: none of the lines ends in "!".
    let cfg = FineWebQualityConfig {
        stop_chars: Some(vec!["!".into()]),
        line_punct_exclude_zero: true,
        ..Default::default()
    };
    assert_eq!(run(cfg, SEED), Verdict::Keep);
    let cfg = FineWebQualityConfig {
        stop_chars: Some(vec!["!".into()]),
        ..Default::default()
    };
    assert_eq!(rule(&run(cfg, SEED)), Some("line_punct_ratio"));
}

#[test]
fn short_lines_ratio() {
    // The article cut into lines of three words: short lines.
    let words: Vec<&str> = ARTICLE.split(' ').collect();
    let short: Vec<String> = words.chunks(3).map(|c| c.join(" ") + ".").collect();
    assert_eq!(
        rule(&run(Default::default(), &short.join("\n"))),
        Some("short_line_ratio")
    );
    let cfg = FineWebQualityConfig {
        short_line_length: 10,
        ..Default::default()
    };
    assert_ne!(rule(&run(cfg, &short.join("\n"))), Some("short_line_ratio"));
}

#[test]
fn duplicate_line_characters() {
    // Repeating the seed's bio line once: its characters are over 1% of the text.
    let lines: Vec<&str> = SEED.lines().collect();
    let mut with_dup = lines.clone();
    with_dup.push(lines[8]);
    let v = run(Default::default(), &with_dup.join("\n"));
    assert_eq!(rule(&v), Some("char_dup_ratio"));
    let cfg = FineWebQualityConfig {
        char_duplicates_ratio: 0.1,
        ..Default::default()
    };
    assert_eq!(run(cfg, &with_dup.join("\n")), Verdict::Keep);
}

#[test]
fn newlines_per_word() {
    // Sentences of the article one per line pass; a word list one per line fails.
    let sentences = ARTICLE.replace(". ", ".\n");
    assert_eq!(run(Default::default(), &sentences), Verdict::Keep);
    let cfg = FineWebQualityConfig {
        short_line_thr: 1.0,
        line_punct_thr: 0.0,
        char_duplicates_ratio: 1.0,
        ..Default::default()
    };
    let list = ARTICLE.split(' ').take(60).collect::<Vec<_>>().join("\n");
    assert_eq!(rule(&run(cfg.clone(), &list)), Some("list_ratio"));
    let cfg = FineWebQualityConfig {
        new_line_ratio: 1.0,
        ..cfg
    };
    assert_eq!(run(cfg, &list), Verdict::Keep);
}
