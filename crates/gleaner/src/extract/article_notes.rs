//! Lines an article carries about itself rather than its subject: affiliate disclosures ("If you
//! buy through our links, we may earn a commission"), bylines and datelines left as lines of
//! their own ("Written by: Elise Nass", "Updated on October 21, 2025", "By Kyle Howells") and
//! reading-time lines ("Reading Time: 8 minutes"). WCXB's readers leave them out of the main
//! text; sites put them inside the article's container, above its first paragraph or below its
//! last, so neither class names nor link density give them away.
//!
//! Only the opening and closing lines of an article are tested: an article about affiliate
//! marketing or about a publication date says these words in its body.
//!
//! WCXB dev, tuning part (article pages): disclosures alone 0.9621 -> 0.9624, bylines and
//! reading times alone -> 0.9622, both -> 0.9626 (55 pages up, 10 down: the gold keeps the
//! disclosure on a few blogs, 4111 and 4695 the most); all 0.8970 -> 0.8973; extraction-dev
//! snippet F1 unchanged (0.9373). Author bios below the story were looked at too and left: the
//! gold drops them on 7 pages and keeps them on 6.

use std::sync::LazyLock;

use regex::Regex;

use super::text::Lines;

/// How many of an article's first lines are tested for affiliate disclosures. On WCXB dev's
/// tuning article pages the disclosures sat in lines 0-6.
const OPENING_DISCLOSURE_LINES: usize = 8;

/// How many of an article's last lines are tested for affiliate disclosures.
const CLOSING_DISCLOSURE_LINES: usize = 4;

/// How many of an article's first lines are tested for bylines, datelines and reading time: on
/// WCXB dev's tuning article pages they sat in lines 0-3 (after the headline, when kept).
const OPENING_BYLINE_LINES: usize = 6;

/// Longest disclosure (bytes); longer lines are paragraphs of the story.
const MAX_DISCLOSURE_BYTES: usize = 400;

/// Longest byline or dateline (bytes): "By Matthew Frankel, CFP – Updated Mar 5, 2026 at 4:28
/// PM EST | Fact-checked by Frank Bass" is 89.
const MAX_BYLINE_BYTES: usize = 100;

/// Affiliate disclosures: the site may earn a commission from the links, the post contains
/// affiliate links, "As an Amazon Associate", "reader-supported".
static AFFILIATE_DISCLOSURE: LazyLock<Regex> = LazyLock::new(|| {
    let patterns = [
        r"\b(?:may|might|will|could|can|to) (?:earn|receive|get|make)\b.{0,30}\b(?:commissions?|compensation)\b",
        r"\bcontains? (?:some )?(?:affiliate|commissionable) links\b|\b(?:uses?|may contain) affiliate links?\b|\baffiliate links? (?:are|is) used\b",
        r"\bas an amazon associate\b|\breader-supported\b",
    ];
    // ASCII word boundaries, as in `calls_to_action`: the lazy DFA then runs on non-ASCII
    // lines too.
    let joined = patterns.join("|").replace(r"\b", r"(?-u:\b)");
    Regex::new(&format!("(?i){joined}")).expect("static regex")
});

/// Bylines and datelines alone on a line: a label alone ("Updated:", "Edited by"), a date label
/// and a date ("Published on: February 14, 2025", "Posted: 2 days ago"), a person label and a
/// name ("Reviewed by: Brian Stormont, CFP®"), "By" and a capitalised name.
static BYLINE_OR_DATELINE: LazyLock<Regex> = LazyLock::new(|| {
    let patterns = [
        r"(?i:^(?:last )?(?:updated|published|posted|written|edited|reviewed|fact[- ]checked|medically reviewed)(?: on| by)?\s*[:,]?$)",
        r"(?i:^(?:last )?(?:updated|published|posted)(?: on)?\s*:?\s*(?:\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun|yesterday|today))",
        r"(?i:^(?:written|edited|reviewed|fact[- ]checked|medically reviewed) by\s*:?\s*\S)",
        r"^[Bb]y:? [A-Z]",
    ];
    Regex::new(&patterns.join("|")).expect("static regex")
});

/// A reading-time label alone ("Estimated reading time:"), whose duration may follow on a line
/// of its own.
static READING_TIME_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:estimated )?read(?:ing)? time:?$").expect("static regex")
});

/// A reading time: labelled ("Reading Time: 8 minutes") or said to be read ("4 minute read
/// time", "X min read"). A bare duration ("10 mins") is a recipe's time unless a label precedes.
static READING_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:(?:estimated )?read(?:ing)? time:?\s*(?:\d+|x)\s*(?:min(?:ute)?s?\.?)?|(?:\d+|x)(?:\s*-\s*\d+)?\s*(?:min(?:ute)?s?)\.? read(?:ing)?(?: time)?)$",
    )
    .expect("static regex")
});

/// A bare duration ("1 minute", "5 Minutes"), dropped after a reading-time label only.
static DURATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\d+\s*min(?:ute)?s?\.?$").expect("static regex"));

/// A caption that ends with its photo credit ("The Sony mirrorless system. Photo by: 'Markus
/// Lompa'.", "Guests pick their pastries. | Photo by Lisa Jennings"): the image's caption, left
/// when the image went. Captions still beside their image are dropped earlier, in the serialiser
/// (see [`super::caption`]); this line test catches those the pruning pass separated from it.
static CAPTION_CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:^|[.|(]\s*)(?:photo|image|picture) (?:by|credit|courtesy)\s*:?\s*\S.{0,50}$",
    )
    .expect("static regex")
});

/// Whether `line` holds "photo", "image" or "picture" (ASCII case ignored), which every
/// [`CAPTION_CREDIT`] match does: most article lines are tested, and this one pass over the
/// bytes is cheaper than the case-blind regex's search (WCXB dev, every third page: the regex
/// cost about 100M instructions before this test, 3% of extraction).
fn names_a_picture(line: &str) -> bool {
    let b = line.as_bytes();
    (0..b.len()).any(|i| {
        let rest = &b[i..];
        match b[i] | 0x20 {
            b'p' => {
                rest.get(..5)
                    .is_some_and(|w| w.eq_ignore_ascii_case(b"photo"))
                    || rest
                        .get(..7)
                        .is_some_and(|w| w.eq_ignore_ascii_case(b"picture"))
            }
            b'i' => rest
                .get(..5)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"image")),
            _ => false,
        }
    })
}

/// Longest caption line (bytes) tested for a credit.
const MAX_CAPTION_BYTES: usize = 200;

/// A table of contents' label alone on an opening line (its entries are dropped as the
/// headings' repeats).
static CONTENTS_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:table of contents|in this article):?$").expect("static regex")
});

/// Whether `line` is an affiliate disclosure.
fn is_affiliate_disclosure(line: &str) -> bool {
    line.len() <= MAX_DISCLOSURE_BYTES && AFFILIATE_DISCLOSURE.is_match(line)
}

/// Whether `line` (trimmed) is a byline, a dateline or a reading time.
fn is_byline_or_dateline(line: &str) -> bool {
    line.len() <= MAX_BYLINE_BYTES
        && !line.ends_with('.')
        && (BYLINE_OR_DATELINE.is_match(line) || READING_TIME.is_match(line))
}

/// Drops the affiliate disclosures among an article's first [`OPENING_DISCLOSURE_LINES`] and
/// last [`CLOSING_DISCLOSURE_LINES`] lines, the bylines, datelines, reading times and table of
/// contents labels among its first [`OPENING_BYLINE_LINES`], and captions ending with a photo
/// credit below those. The labels and captions, measured after the rest: WCXB dev tuning
/// article 0.96256 -> 0.96271 (15 pages up, none down; 11 by the labels, 4 by the captions).
pub fn drop_article_notes(lines: &mut Lines<'_>) {
    let n = lines.len();
    let mut label_before = false;
    lines.retain(|i, raw| {
        let line = raw.trim().trim_start_matches(['•', '·']).trim_start();
        let disclosure_window = i < OPENING_DISCLOSURE_LINES || i + CLOSING_DISCLOSURE_LINES >= n;
        let dropped = if disclosure_window && is_affiliate_disclosure(line) {
            true
        } else if i < OPENING_BYLINE_LINES {
            let label = READING_TIME_LABEL.is_match(line);
            let dropped = label
                || is_byline_or_dateline(line)
                || (label_before && DURATION.is_match(line))
                || CONTENTS_LABEL.is_match(line);
            label_before = label;
            dropped
        } else {
            line.len() <= MAX_CAPTION_BYTES
                && names_a_picture(line)
                && CAPTION_CREDIT.is_match(line)
        };
        !dropped
    });
}

#[cfg(test)]
mod tests {
    use super::drop_article_notes;
    use crate::extract::text::edit_lines;

    fn story() -> Vec<String> {
        (1..=20)
            .map(|i| format!("Paragraph {i} of the story, long enough to be prose."))
            .collect()
    }

    #[test]
    fn opening_disclosure_and_byline_go() {
        let body = story().join("\n");
        let mut text = format!(
            "Pack Hacker is reader-supported. When you buy through links on our site, we may earn an affiliate commission. Learn more\n\
             Written by:Elise Nass\n\
             Updated on October 21, 2025\n\
             Estimated reading time:\n\
             1 minute\n\
             Table of Contents\n\
             {body}\n\
             The Sony mirrorless system. Photo by: 'Markus Lompa'.\n\
             Disclosure: This post contains affiliate links."
        );
        edit_lines(&mut text, drop_article_notes);
        assert_eq!(text, body);
    }

    #[test]
    fn the_same_words_in_the_body_stay() {
        let mut lines = story();
        lines.insert(
            10,
            "Creators can earn a commission when viewers buy through affiliate links.".into(),
        );
        lines.insert(0, "By 2030, half of all cars sold will be electric.".into());
        lines.insert(1, "10 mins".into());
        let mut text = lines.join("\n");
        let before = text.clone();
        edit_lines(&mut text, drop_article_notes);
        assert_eq!(text, before);
    }
}
