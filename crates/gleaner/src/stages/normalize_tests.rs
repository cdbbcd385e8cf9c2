//! Tests of the normalizer: each change counted, clean text untouched, and the fast check
//! against the full normalizer on the bundled real news articles.

use super::*;
use crate::test_sample::news_texts;

fn norm(text: &str) -> (String, std::collections::BTreeMap<String, u64>) {
    let mut cx = StageContext::new();
    let out = TextNormalizer::new(NormalizeConfig::default()).normalize(text, &mut cx);
    (out, cx.counters().clone())
}

#[test]
fn each_kind_of_change_is_made_and_counted() {
    let (out, c) = norm(
        "\u{FEFF}Cafe\u{301} au  lait\r\n\r\n\r\n\r\nzero\u{200B}width\x07 bell\u{00A0}nbsp  \n\n",
    );
    assert_eq!(out, "Café au lait\n\nzerowidth bell nbsp");
    assert_eq!(c["nfc_docs"], 1);
    assert_eq!(c["line_endings"], 4);
    assert_eq!(c["zero_width_chars"], 2);
    assert_eq!(c["control_chars"], 1);
    assert_eq!(c["unicode_spaces"], 1);
    assert_eq!(c["blank_lines"], 4);
    // "au  lait" loses one space; "nbsp  " loses one to collapsing and one to trimming.
    assert_eq!(c["spaces_removed"], 3);
}

#[test]
fn clean_text_is_untouched_and_uncounted() {
    let seed = include_str!("../../../../examples/data/raw-example.txt").trim_end();
    let (out, c) = norm(seed);
    assert_eq!(out, seed);
    assert!(c.is_empty(), "{c:?}");
}

#[test]
fn composition_happens_after_invisible_characters_go() {
    // A DEL between a letter and its combining cedilla (a fuzzer find): normalising twice
    // must change nothing more.
    let (out, c) = norm("icane\u{7f}\u{327}\u{e3}o");
    assert_eq!(out, "ican\u{229}\u{e3}o");
    assert_eq!(c["nfc_docs"], 1);
    assert_eq!(norm(&out).0, out);
}

/// The fast check may only say "unchanged" when the full normalizer changes and counts
/// nothing. Checked on real articles, and on copies with every kind of character the
/// normalizer acts on (and some it leaves alone) spliced in at pseudo-random places, under
/// several option sets.
#[test]
fn fast_check_agrees_with_the_full_normalizer() {
    const SPLICES: &[&str] = &[
        " ",
        "  ",
        "\n",
        "\n\n",
        "\n\n\n",
        " \n",
        "\n ",
        "\t",
        "\r\n",
        "\r",
        "\x07",
        "\x7f",
        "\u{85}",
        "\u{A0}",
        "\u{AD}",
        "\u{200B}",
        "\u{200C}",
        "\u{200D}",
        "\u{2009}",
        "\u{3000}",
        "\u{FEFF}",
        "\u{301}",
        "\u{327}",
        "e\u{301}",
        "\u{e9}",
        "\u{2028}",
        "д",
        "\u{1F600}",
        "\u{1100}\u{1161}",
        "\u{212B}",
    ];
    let configs = [
        NormalizeConfig::default(),
        NormalizeConfig {
            collapse_spaces: false,
            max_blank_lines: 0,
            ..Default::default()
        },
        NormalizeConfig {
            joiners: true,
            zero_width: false,
            unicode_spaces: false,
            control_chars: false,
            line_endings: false,
            nfc: false,
            max_blank_lines: 3,
            ..Default::default()
        },
    ];
    let texts = news_texts();
    assert!(texts.len() >= 400);
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for cfg in configs {
        let n = TextNormalizer::new(cfg);
        let (mut fast_yes, mut slow_same) = (0, 0);
        for text in &texts {
            let mut variants = vec![text.clone()];
            for splice in SPLICES {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let mut at = (seed >> 33) as usize % (text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                variants.push(format!("{}{splice}{}", &text[..at], &text[at..]));
            }
            for (k, v) in variants.into_iter().enumerate() {
                let mut cx = StageContext::new();
                let out = n.normalize_slow(&v, &mut cx);
                let unchanged = out == v && cx.counters().is_empty();
                let fast = n.is_unchanged(&v);
                if n.cfg.collapse_spaces {
                    // What collapsing promises, whatever the word-at-a-time skipping does.
                    assert!(
                        !out.contains("  ")
                            && !out.contains(" \n")
                            && !out.contains("\n ")
                            && !out.starts_with(' ')
                            && !out.ends_with(' '),
                        "spaces left uncollapsed: {out:?}"
                    );
                }
                assert!(
                    !fast || unchanged,
                    "fast check passed a text the normalizer changes: {v:?} -> {out:?} {:?}",
                    cx.counters()
                );
                if k == 0 {
                    fast_yes += usize::from(fast);
                    slow_same += usize::from(unchanged);
                }
            }
        }
        // Conservative, but not uselessly so: it must recognise the clean real articles.
        assert!(
            fast_yes == slow_same && fast_yes > 0,
            "fast check recognised {fast_yes} of {slow_same} unchanged articles"
        );
    }
}

#[test]
fn joiners_survive_by_default() {
    let persian = "می\u{200C}خواهم";
    assert_eq!(norm(persian).0, persian);
}
