//! Tests of the C4 stages on real text: the user's raw web document and a news article
//! (fixtures/, Apache-2.0), with each line and document rule on both sides of its limit.

use super::*;

const SEED: &str = include_str!("../../../../examples/data/raw-example.txt");
const ARTICLE: &str = include_str!("fixtures/news-30.txt");

fn run(cfg: C4QualityConfig, text: &str) -> (Verdict, Document, StageContext) {
    let mut doc = Document::new("d", text);
    let mut cx = StageContext::new();
    let v = C4QualityFilter::new(cfg).process(&mut doc, &mut cx);
    (v, doc, cx)
}

/// The article's sentences, one per line (a multi-line real document).
fn article_lines() -> Vec<String> {
    ARTICLE
        .split_inclusive(". ")
        .map(|s| s.trim().to_string())
        .collect()
}

fn rules(cx: &StageContext) -> Vec<&str> {
    cx.edits().iter().map(|e| e.rule.as_str()).collect()
}

#[test]
fn seed_keeps_the_column_and_removes_the_four_teasers() {
    let (v, doc, cx) = run(Default::default(), SEED);
    assert_eq!(v, Verdict::Keep);
    let teasers: Vec<&str> = SEED.lines().skip(10).collect();
    assert_eq!(teasers.len(), 4);
    assert_eq!(rules(&cx), ["no_terminal_punc"; 4]);
    for (edit, teaser) in cx.edits().iter().zip(&teasers) {
        assert_eq!(edit.text, *teaser);
    }
    // The kept text is the column and bio, line for line.
    let kept: Vec<&str> = SEED.lines().take(10).collect();
    assert_eq!(doc.text, kept.join("\n"));
    // With the rule off (the FineWeb recipe), the teasers stay.
    let cfg = C4QualityConfig {
        filter_no_terminal_punct: false,
        ..Default::default()
    };
    let (v, doc, cx) = run(cfg, SEED);
    assert_eq!(v, Verdict::Keep);
    assert!(cx.edits().is_empty());
    assert_eq!(doc.text, SEED.trim());
}

#[test]
fn sentence_count_on_both_sides_of_five() {
    let lines: Vec<&str> = SEED.lines().collect();
    // Line 9 is one sentence, line 10 (the author's bio) three.
    let (closing, bio) = (lines[8], lines[9]);
    let (v, _, _) = run(Default::default(), &format!("{closing}\n{bio}"));
    assert_eq!(v, Verdict::Drop(Removal::new("too_few_sentences", 4, 5)));
    let (v, _, _) = run(Default::default(), &format!("{closing}\n{bio}\n{closing}"));
    assert_eq!(v, Verdict::Keep);
    // Removed lines do not count.
    let (v, _, _) = run(
        Default::default(),
        &format!("{closing}\n{bio}\n{}", lines[10]),
    );
    assert_eq!(v, Verdict::Drop(Removal::new("too_few_sentences", 4, 5)));
    let cfg = C4QualityConfig {
        min_num_sentences: -1,
        ..Default::default()
    };
    assert_eq!(run(cfg, closing).0, Verdict::Keep);
}

#[test]
fn short_javascript_policy_and_long_word_lines_are_removed() {
    let mut lines = article_lines();
    lines.insert(1, "Read more.".into());
    lines.insert(2, "Please enable JavaScript to view the comments.".into());
    lines.insert(
        3,
        "By using this site you agree to our Terms of Use.".into(),
    );
    lines.insert(4, format!("See {} now.", "x".repeat(1001)));
    lines.insert(5, format!("See {} now.", "x".repeat(1000)));
    let (v, doc, cx) = run(Default::default(), &lines.join("\n"));
    assert_eq!(v, Verdict::Keep);
    assert_eq!(
        rules(&cx),
        ["too_few_words", "javascript", "policy", "too_long_word"]
    );
    assert_eq!(cx.edits()[3].value, serde_json::json!(1001));
    assert_eq!(cx.edits()[0].line, 1);
    assert!(!doc.text.contains("JavaScript") && !doc.text.contains("Terms of Use"));
    // A word of exactly 1000 characters is allowed.
    assert!(doc.text.contains(&format!("See {} now.", "x".repeat(1000))));
    // Three words are enough.
    let (_, doc, _) = run(
        Default::default(),
        &format!("{}\nThree words here.", lines.join("\n")),
    );
    assert!(doc.text.ends_with("\nThree words here."));
}

#[test]
fn lorem_ipsum_and_curly_brackets_drop_the_document() {
    let lines = article_lines();
    let with = |extra: &str| format!("{}\n{extra}", lines.join("\n"));
    let (v, doc, cx) = run(Default::default(), &with("Lorem ipsum dolor sit amet."));
    assert_eq!(rule_of(&v), Some("lorem_ipsum"));
    assert_eq!(
        doc.text,
        with("Lorem ipsum dolor sit amet."),
        "a dropped document keeps its text"
    );
    assert!(cx.edits().is_empty());
    let (v, _, _) = run(
        Default::default(),
        &with("The function is f(x) { return x; }."),
    );
    assert_eq!(rule_of(&v), Some("curly_bracket"));
    // Only lines that survive the line rules count: a bracket in a line without terminal
    // punctuation is removed with its line.
    let (v, _, cx) = run(Default::default(), &with("var x = { a: 1 }"));
    assert_eq!(v, Verdict::Keep);
    assert_eq!(rules(&cx), ["no_terminal_punc"]);
    let cfg = C4QualityConfig {
        filter_curly_bracket: false,
        filter_lorem_ipsum: false,
        ..Default::default()
    };
    assert_eq!(
        run(cfg, &with("Lorem ipsum { dolor } sit amet.")).0,
        Verdict::Keep
    );
}

#[test]
fn citations_are_cut_before_the_punctuation_test() {
    let lines = article_lines();
    let text = format!(
        "{}\nBranson won the bet.[1]\nObama won[citation needed]\nHe did.[edit] [12]",
        lines.join("\n")
    );
    let (v, doc, cx) = run(Default::default(), &text);
    assert_eq!(v, Verdict::Keep);
    assert!(doc.text.ends_with("\nBranson won the bet."));
    // "Obama won" no longer ends in punctuation; "He did. " keeps a trailing space and fails too.
    assert_eq!(rules(&cx), ["no_terminal_punc", "no_terminal_punc"]);
    assert_eq!(cx.counters()["citations_removed"], 4);
}

#[test]
fn sentence_mode_splits_with_spacy_sentences() {
    let cfg = C4QualityConfig {
        split_paragraph: false,
        ..Default::default()
    };
    let (v, doc, _) = run(cfg, ARTICLE);
    assert_eq!(v, Verdict::Keep);
    assert!(doc.text.starts_with("Before returning to Washington"));
}

fn rule_of(v: &Verdict) -> Option<&str> {
    match v {
        Verdict::Drop(r) => Some(r.rule.as_str()),
        Verdict::Keep => None,
    }
}

fn paragraph(cfg: C4ParagraphConfig, text: &str) -> Verdict {
    C4ParagraphFilter::new(cfg)
        .unwrap()
        .process(&mut Document::new("d", text), &mut StageContext::new())
}

#[test]
fn paragraph_rule_needs_three_long_lines() {
    assert_eq!(paragraph(Default::default(), SEED), Verdict::Keep);
    // One long line: too few lines.
    let v = paragraph(Default::default(), ARTICLE);
    assert_eq!(
        v,
        Verdict::Drop(Removal::new("< 3 paragraphs", 1, 3).with_detail("lines in the document"))
    );
    // Three lines, the third-longest exactly 200 characters passes; 199 does not.
    let long: String = ARTICLE.chars().take(300).collect();
    let at: String = ARTICLE.chars().take(200).collect();
    let under: String = ARTICLE.chars().take(199).collect();
    assert_eq!(
        paragraph(Default::default(), &format!("{long}\n{long}\n{at}")),
        Verdict::Keep
    );
    assert_eq!(
        rule_of(&paragraph(
            Default::default(),
            &format!("{long}\n{long}\n{under}")
        )),
        Some("< 3 paragraphs")
    );
    assert!(
        C4ParagraphFilter::new(C4ParagraphConfig {
            min_paragraphs: 0,
            ..Default::default()
        })
        .is_err()
    );
}
