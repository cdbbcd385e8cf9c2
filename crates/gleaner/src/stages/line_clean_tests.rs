//! Tests of the line cleaner on the user's seed document and on real page text (trafilatura
//! evaluation set and news-articles corpus, Apache-2.0, see NOTICE).

use super::*;

const SEED: &str = include_str!("../../../../examples/data/raw-example.txt");

fn clean(cfg: LineCleanConfig, text: &str) -> (Document, Verdict, StageContext) {
    let stage = LineCleaner::new(cfg).unwrap();
    let mut doc = Document::new("d", text);
    let mut cx = StageContext::new();
    let v = stage.process(&mut doc, &mut cx);
    (doc, v, cx)
}

fn removed_rules(cx: &StageContext) -> Vec<(usize, &str)> {
    cx.edits()
        .iter()
        .map(|e| (e.line, e.rule.as_str()))
        .collect()
}

#[test]
fn seed_keeps_column_flags_bio_and_removes_the_four_teasers() {
    let (doc, v, cx) = clean(LineCleanConfig::default(), SEED);
    assert_eq!(v, Verdict::Keep);
    let lines: Vec<&str> = SEED.lines().collect();
    assert_eq!(lines.len(), 14);
    // Exactly the four teasers, each with its reason and the word it was cut at.
    assert_eq!(
        removed_rules(&cx),
        vec![
            (10, "truncated_teaser"),
            (11, "truncated_teaser"),
            (12, "truncated_teaser"),
            (13, "truncated_teaser"),
        ]
    );
    let ends: Vec<&str> = cx
        .edits()
        .iter()
        .map(|e| e.value["ends_with"].as_str().unwrap())
        .collect();
    assert_eq!(ends, ["pronounced", "home", "his", "within"]);
    for e in cx.edits() {
        assert_eq!(e.text, lines[e.line]);
        assert!(e.value["words"].as_u64().unwrap() >= 20);
    }
    // The column (nine paragraphs) and the bio stay, unchanged and in order.
    assert_eq!(doc.text, lines[..10].join("\n"));
    assert!(doc.text.ends_with("Bloomberg LP and its owners."));
    assert_eq!(cx.counters().get("line_clean.lines_removed"), Some(&4));
    // The bio (line 10 of the input) is flagged, not removed, with the role that gave it away.
    let flags = doc.metadata["flagged_lines"].as_array().unwrap();
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0]["rule"], "author_bio");
    assert_eq!(flags[0]["line"], 9);
    assert_eq!(flags[0]["matched"], "columnist");
    assert_eq!(flags[0]["text"], lines[9]);
    assert_eq!(cx.counters().get("line_clean.lines_flagged"), Some(&1));
}

#[test]
fn author_bio_can_be_removed_or_left_alone() {
    let lines: Vec<&str> = SEED.lines().collect();
    let remove = LineCleanConfig {
        author_bio: BioAction::Remove,
        ..Default::default()
    };
    let (doc, _, cx) = clean(remove, SEED);
    assert_eq!(removed_rules(&cx)[0], (9, "author_bio"));
    assert_eq!(doc.text, lines[..9].join("\n"));
    assert!(!doc.metadata.contains_key("flagged_lines"));
    let keep = LineCleanConfig {
        author_bio: BioAction::Keep,
        ..Default::default()
    };
    let (doc, _, cx) = clean(keep, SEED);
    assert_eq!(cx.edits().len(), 4);
    assert!(!doc.metadata.contains_key("flagged_lines"));
}

#[test]
fn bio_needs_a_name_a_role_and_the_edge_of_the_document() {
    let c = LineCleaner::new(LineCleanConfig::default()).unwrap();
    let bio = |l: &str| c.author_bio(l, l.split_whitespace().count());
    // Real bio lines: the seed's, and the shapes other publishers print.
    assert_eq!(
        bio(SEED.lines().nth(9).unwrap()).as_deref(),
        Some("columnist")
    );
    assert_eq!(
        bio("J. Bradford DeLong is a professor of economics at the University of California.")
            .as_deref(),
        Some("professor")
    );
    assert_eq!(
        bio("Anne-Marie van der Berg was previously a senior correspondent in Brussels.")
            .as_deref(),
        Some("correspondent")
    );
    assert_eq!(
        bio("The views expressed in this article are those of the author alone.").as_deref(),
        Some("disclaimer")
    );
    // Not bios: a sentence about a role without a leading name, a name without a role, a
    // lower-case start, a role too far from the name.
    assert_eq!(bio("The columnist is a regular guest on the show."), None);
    assert_eq!(
        bio("Donald Trump is expected to meet Vladimir Putin in Alaska."),
        None
    );
    assert_eq!(bio("marc champion is a columnist."), None);
    let far = format!("Jane Doe is {} and a writer.", "very ".repeat(40));
    assert_eq!(bio(&far), None);
    // Position: the same sentence in the middle of a story is not flagged.
    let story = [
        "Researchers met in Geneva on Monday to discuss the new findings about the climate.",
        "The panel said the results were clear and should be published this year.",
        "Maria Lopez is a professor of physics at the university and led the study.",
        "She said more work was needed before any conclusions could be drawn at all.",
        "Further talks are planned for next month in Brussels, officials said.",
        "The report is expected to run to several hundred pages in its final form.",
    ]
    .join("\n");
    let (doc, _, _) = clean(LineCleanConfig::default(), &story);
    assert!(!doc.metadata.contains_key("flagged_lines"));
    // At the end it is.
    let signed = format!("{story}\nMaria Lopez is a professor of physics at the university.");
    let (doc, _, _) = clean(LineCleanConfig::default(), &signed);
    assert_eq!(doc.metadata["flagged_lines"][0]["line"], 6);
}

#[test]
fn teaser_word_bounds_both_sides() {
    // The shortest seed teaser, "Having lived through …", has N words: at min_words = N it
    // goes, at N + 1 it stays; likewise for max_words.
    let teaser = SEED.lines().nth(11).unwrap();
    let n = teaser.split_whitespace().count();
    let doc = format!("{}\n{teaser}", SEED.lines().next().unwrap());
    let at = |min: usize, max: usize| {
        let cfg = LineCleanConfig {
            teaser_min_words: min,
            teaser_max_words: max,
            ..Default::default()
        };
        clean(cfg, &doc).2.edits().len()
    };
    assert_eq!(at(n, 200), 1);
    assert_eq!(at(n + 1, 200), 0);
    assert_eq!(at(20, n), 1);
    assert_eq!(at(20, n - 1), 0);
}

#[test]
fn teaser_needs_preceding_content() {
    // A document that is only a cut paragraph is left to the document filters.
    let teaser = SEED.lines().nth(10).unwrap();
    let (doc, v, cx) = clean(LineCleanConfig::default(), teaser);
    assert_eq!(v, Verdict::Keep);
    assert!(cx.edits().is_empty());
    assert_eq!(doc.text, teaser);
}

#[test]
fn closed_lines_list_items_and_tables_are_not_teasers() {
    let first = SEED.lines().next().unwrap();
    let teaser = SEED.lines().nth(12).unwrap();
    for (variant, kept) in [
        (format!("{teaser}."), true),
        (format!("{teaser}?"), true),
        (format!("{teaser}”"), true),
        (format!("{teaser})"), true),
        (format!("{teaser}:"), true),
        (format!("{teaser},"), true),
        (format!("{teaser} 2025"), true),
        (format!("{teaser} Reuters"), true),
        (format!("{teaser} @handle"), true),
        (format!("- {teaser}"), true),
        (format!("3. {teaser}"), true),
        (format!("{teaser}\tcell"), true),
        (format!("{teaser} own"), false),
    ] {
        let (_, _, cx) = clean(LineCleanConfig::default(), &format!("{first}\n{variant}"));
        assert_eq!(cx.edits().is_empty(), kept, "{variant}");
    }
}

#[test]
fn teaser_needs_a_complete_sentence_and_a_new_block_after_it() {
    let first = SEED.lines().next().unwrap();
    // The last sentence of the second teaser alone: cut, long enough, but no complete
    // sentence before the cut — a caption or a split sentence, not a teaser.
    let teaser = SEED.lines().nth(11).unwrap();
    let last_sentence = teaser.rsplit(". ").next().unwrap();
    let padded = format!(
        "{last_sentence} and their families who live and work in Taipei and in the south of the island and in their home"
    );
    assert!(padded.split_whitespace().count() >= 20);
    assert!(
        clean(LineCleanConfig::default(), &format!("{first}\n{padded}"))
            .2
            .edits()
            .is_empty()
    );
    // A teaser followed by a line continuing in lowercase is a paragraph the extractor split.
    let split = format!("{first}\n{teaser}\ntown, he said.");
    assert!(
        clean(LineCleanConfig::default(), &split)
            .2
            .edits()
            .is_empty()
    );
    let new_block = format!("{first}\n{teaser}\nTown hall meetings resume.");
    assert_eq!(
        clean(LineCleanConfig::default(), &new_block)
            .2
            .edits()
            .len(),
        1
    );
}

#[test]
fn ellipsis_teasers_only_when_asked() {
    let first = SEED.lines().next().unwrap();
    let teaser = format!("{} …", SEED.lines().nth(10).unwrap());
    let text = format!("{first}\n{teaser}");
    assert!(
        clean(LineCleanConfig::default(), &text)
            .2
            .edits()
            .is_empty()
    );
    let cfg = LineCleanConfig {
        teaser_ellipsis: true,
        ..Default::default()
    };
    assert_eq!(
        removed_rules(&clean(cfg, &text).2),
        vec![(1, "truncated_teaser")]
    );
}

/// Lines of real pages (raw text of the trafilatura evaluation pages, and news articles), each
/// with the rule that must remove it.
const UI_LINES: &[(&str, &str)] = &[
    ("Read more", "read_more"),
    ("Weiterlesen »", "read_more"),
    ("Read more from Reality Check", "read_more"),
    ("Continue reading →", "read_more"),
    ("Share this:", "share"),
    ("Teilen", "share"),
    ("Share on Facebook", "share"),
    ("Facebook Twitter WhatsApp E-Mail", "social_buttons"),
    ("Facebook | Twitter | LinkedIn", "social_buttons"),
    ("Click here to subscribe", "click_here"),
    ("Klicken Sie hier, um den Inhalt zu laden.", "click_here"),
    (
        "This website uses cookies to improve your experience. We'll assume you're ok with this, but you can opt-out if you wish. Accept Read More",
        "cookie_notice",
    ),
    (
        "Diese Website verwendet Cookies. Wenn Sie die Website weiter nutzen, gehen wir von Ihrem Einverständnis aus.",
        "cookie_notice",
    ),
    ("Sign up for our newsletter", "newsletter"),
    ("Newsletter abonnieren", "newsletter"),
    ("© 2017 BBC. All rights reserved.", "copyright"),
    ("Copyright 2019 Alle Rechte vorbehalten", "copyright"),
    ("Follow us on Twitter", "follow_us"),
    ("Folgen Sie uns auf Facebook", "follow_us"),
    ("Skip to content", "site_navigation"),
    ("Zum Inhalt springen", "site_navigation"),
    ("Nach oben", "site_navigation"),
    ("You may also like", "site_navigation"),
    ("Leave a Reply", "comments"),
    ("3 Kommentare", "comments"),
    ("Anzeige", "advertisement"),
    ("Advertisement", "advertisement"),
];

#[test]
fn ui_lines_removed_with_their_rule() {
    let stage = LineCleaner::new(LineCleanConfig::default()).unwrap();
    for (line, rule) in UI_LINES {
        let words = line.split_whitespace().count();
        assert_eq!(
            stage.ui_rule(line, words).map(|r| r.name),
            Some(*rule),
            "{line}"
        );
    }
}

#[test]
fn prose_mentioning_ui_words_is_kept() {
    // Sentences that contain a UI phrase but are not UI lines: each is too long for its rule or
    // does not match the whole line.
    let stage = LineCleaner::new(LineCleanConfig::default()).unwrap();
    for line in [
        "Read more about the summit in our analysis of what Putin wants from Alaska and why Kyiv is worried.",
        "She urged readers to share their experiences of the floods with the BBC.",
        "Bake the cookies for 12 minutes, then let them cool before you accept any compliments.",
        "The company said all rights to the film had been sold to a Chinese studio last year.",
        "Trump’s invitation alone is a win for the Kremlin.",
        "Home prices rose 5% in January.",
        "Search teams found the wreckage on Monday.",
        "Die Anzeige wurde am Montag bei der Polizei erstattet.",
        "Er klickte hier und dort, fand aber nichts.",
    ] {
        let words = line.split_whitespace().count();
        assert_eq!(stage.ui_rule(line, words).map(|r| r.name), None, "{line}");
    }
}

#[test]
fn ui_word_limit_both_sides() {
    // The cookie rule allows 80 words: the notice with filler up to 80 words goes, at 81 stays.
    let stage = LineCleaner::new(LineCleanConfig::default()).unwrap();
    let base = "We use cookies to give you the best experience on our website.";
    let pad = |n: usize| {
        let mut s = base.to_string();
        while s.split_whitespace().count() < n {
            s.push_str(" more");
        }
        s
    };
    let at80 = pad(80);
    let at81 = pad(81);
    assert_eq!(
        stage.ui_rule(&at80, 80).map(|r| r.name),
        Some("cookie_notice")
    );
    assert_eq!(stage.ui_rule(&at81, 81).map(|r| r.name), None);
}

#[test]
fn disabled_rules_and_unknown_names() {
    let cfg = LineCleanConfig {
        disabled_rules: vec!["copyright".into(), "truncated_teaser".into()],
        ..Default::default()
    };
    let text = format!("{SEED}\n© 2025 Bloomberg LP. All rights reserved.");
    let (doc, _, cx) = clean(cfg, &text);
    assert!(cx.edits().is_empty());
    assert_eq!(doc.text, text);
    let bad = LineCleanConfig {
        disabled_rules: vec!["nope".into()],
        ..Default::default()
    };
    assert!(LineCleaner::new(bad).is_err());
}

#[test]
fn only_ui_lines_drops_the_document() {
    let (_, v, cx) = clean(
        LineCleanConfig::default(),
        "Skip to content\nMenu\n\nSearch\n",
    );
    assert_eq!(cx.edits().len(), 3);
    assert_eq!(
        v,
        Verdict::Drop(Removal::new("all_lines_removed", 3, Value::Null))
    );
}

#[test]
fn odd_inputs_do_not_panic() {
    for text in ["", "\n", "\n\n\n", " ", "…", "|", "\t\t", "- ", "©"] {
        let _ = clean(LineCleanConfig::default(), text);
    }
}
