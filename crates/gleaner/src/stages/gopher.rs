//! The Gopher rules (Rae et al. 2021, "Scaling Language Models", appendix A1) as two stages with
//! datatrove 0.10.1's defaults and rule names: `gopher_repetition` (repeated lines, paragraphs
//! and n-grams) and `gopher_quality` (length, word shape, symbols, bullets, stop words).
//!
//! Words are spaCy English tokens ([`crate::text::tokenizer`]), lengths are code points, and
//! every comparison is the one datatrove makes (strictly greater / strictly less), so the same
//! documents are kept and dropped. A threshold of 0 disables a rule wherever datatrove treats it
//! as falsy (`if self.x and ...`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::document::{Document, Removal};
use crate::error::{Error, Result};
use crate::stage::{Stage, StageContext, Verdict};
use crate::text::chars::{
    is_datatrove_punctuation, is_py_alpha, py_len, py_lstrip, py_rstrip, py_splitlines, py_strip,
};
use crate::text::repetition::{WordSequence, find_duplicates};
use crate::text::tokenizer::with_words;

/// Parameters of [`GopherRepetitionFilter`]; defaults are datatrove 0.10.1's
/// `GopherRepetitionFilter.__init__`, which are Gopher's table A1.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GopherRepetitionConfig {
    /// Most duplicate lines, as a fraction of lines (0 disables).
    pub dup_line_frac: f64,
    /// Most duplicate paragraphs, as a fraction of paragraphs (0 disables).
    pub dup_para_frac: f64,
    /// Most characters in duplicate lines, as a fraction of the text (0 disables).
    pub dup_line_char_frac: f64,
    /// Most characters in duplicate paragraphs, as a fraction of the text (0 disables).
    pub dup_para_char_frac: f64,
    /// `[n, fraction]`: the most frequent n-gram may cover at most this fraction of characters.
    pub top_n_grams: Vec<(usize, f64)>,
    /// `[n, fraction]`: repeated n-grams may cover at most this fraction of characters.
    pub dup_n_grams: Vec<(usize, f64)>,
}

impl Default for GopherRepetitionConfig {
    fn default() -> Self {
        GopherRepetitionConfig {
            dup_line_frac: 0.3, // datatrove 0.10.1 GopherRepetitionFilter: dup_line_frac=0.3
            dup_para_frac: 0.3, // datatrove 0.10.1 GopherRepetitionFilter: dup_para_frac=0.3
            dup_line_char_frac: 0.2, // datatrove 0.10.1 GopherRepetitionFilter: dup_line_char_frac=0.2
            dup_para_char_frac: 0.2, // datatrove 0.10.1 GopherRepetitionFilter: dup_para_char_frac=0.2
            // datatrove 0.10.1 GopherRepetitionFilter: top_n_grams=((2, 0.2), (3, 0.18), (4, 0.16))
            top_n_grams: vec![(2, 0.2), (3, 0.18), (4, 0.16)],
            // datatrove 0.10.1 GopherRepetitionFilter: dup_n_grams=((5, 0.15), (6, 0.14), (7, 0.13),
            // (8, 0.12), (9, 0.11), (10, 0.10))
            dup_n_grams: vec![
                (5, 0.15),
                (6, 0.14),
                (7, 0.13),
                (8, 0.12),
                (9, 0.11),
                (10, 0.10),
            ],
        }
    }
}

/// Drops documents dominated by repeated lines, paragraphs or n-grams.
pub struct GopherRepetitionFilter {
    cfg: GopherRepetitionConfig,
    top_rules: Vec<String>,
    dup_rules: Vec<String>,
}

impl GopherRepetitionFilter {
    /// Validates the n-gram sizes (n ≥ 1).
    pub fn new(cfg: GopherRepetitionConfig) -> Result<Self> {
        if cfg
            .top_n_grams
            .iter()
            .chain(&cfg.dup_n_grams)
            .any(|&(n, _)| n == 0)
        {
            return Err(Error::Config(
                "stage gopher_repetition: n-gram sizes must be at least 1".into(),
            ));
        }
        // datatrove's reason strings: f"top_{n}_gram", f"duplicated_{n}_n_grams".
        let top_rules = cfg
            .top_n_grams
            .iter()
            .map(|(n, _)| format!("top_{n}_gram"))
            .collect();
        let dup_rules = cfg
            .dup_n_grams
            .iter()
            .map(|(n, _)| format!("duplicated_{n}_n_grams"))
            .collect();
        Ok(GopherRepetitionFilter {
            cfg,
            top_rules,
            dup_rules,
        })
    }
}

/// `re.split(r"\n{2,}", s)`: paragraphs separated by runs of two or more newlines.
fn split_paragraphs(s: &str) -> Vec<&str> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            let run = bytes[i..].iter().take_while(|&&b| b == b'\n').count();
            if run >= 2 {
                out.push(&s[start..i]);
                start = i + run;
            }
            i += run;
        } else {
            i += 1;
        }
    }
    out.push(&s[start..]);
    out
}

/// `re.split("\n+", s)`: like `split('\n')` with inner empty pieces merged away.
fn split_lines_collapsed(s: &str) -> Vec<&str> {
    let pieces: Vec<&str> = s.split('\n').collect();
    let last = pieces.len() - 1;
    pieces
        .into_iter()
        .enumerate()
        .filter(|&(i, p)| !p.is_empty() || i == 0 || i == last)
        .map(|(_, p)| p)
        .collect()
}

fn ratio(a: usize, b: usize) -> f64 {
    a as f64 / b as f64
}

impl Stage for GopherRepetitionFilter {
    fn kind(&self) -> &'static str {
        "gopher_repetition"
    }

    fn process(&self, doc: &mut Document, _cx: &mut StageContext) -> Verdict {
        let c = &self.cfg;
        let text = doc.text.as_str();
        if text.is_empty() {
            return Verdict::Drop(Removal::new("empty", 0, Value::Null));
        }
        let text_len = py_len(text);

        let paragraphs = split_paragraphs(py_strip(text));
        let (dup_paras, dup_para_chars) = find_duplicates(paragraphs.iter().copied());
        let frac = ratio(dup_paras, paragraphs.len());
        if c.dup_para_frac != 0.0 && frac > c.dup_para_frac {
            return Verdict::Drop(Removal::new("dup_para_frac", frac, c.dup_para_frac));
        }
        let frac = ratio(dup_para_chars, text_len);
        if c.dup_para_char_frac != 0.0 && frac > c.dup_para_char_frac {
            return Verdict::Drop(Removal::new(
                "dup_para_char_frac",
                frac,
                c.dup_para_char_frac,
            ));
        }

        let lines = split_lines_collapsed(text);
        let (dup_lines, dup_line_chars) = find_duplicates(lines.iter().copied());
        let frac = ratio(dup_lines, lines.len());
        if c.dup_line_frac != 0.0 && frac > c.dup_line_frac {
            return Verdict::Drop(Removal::new("dup_line_frac", frac, c.dup_line_frac));
        }
        let frac = ratio(dup_line_chars, text_len);
        if c.dup_line_char_frac != 0.0 && frac > c.dup_line_char_frac {
            return Verdict::Drop(Removal::new(
                "dup_line_char_frac",
                frac,
                c.dup_line_char_frac,
            ));
        }

        let seq = with_words(text, WordSequence::new);
        for (&(n, limit), rule) in c.top_n_grams.iter().zip(&self.top_rules) {
            if let Some(chars) = seq.top_ngram_chars(n) {
                let frac = ratio(chars, text_len);
                if frac > limit {
                    return Verdict::Drop(Removal::new(rule.as_str(), frac, limit));
                }
            }
        }
        for (&(n, limit), rule) in c.dup_n_grams.iter().zip(&self.dup_rules) {
            let frac = ratio(seq.duplicated_ngram_chars(n), text_len);
            if frac > limit {
                return Verdict::Drop(Removal::new(rule.as_str(), frac, limit));
            }
        }
        Verdict::Keep
    }
}

/// datatrove 0.10.1 `gopher_quality_filter.STOP_WORDS`.
pub const GOPHER_STOP_WORDS: [&str; 8] = ["the", "be", "to", "of", "and", "that", "have", "with"];

/// Parameters of [`GopherQualityFilter`]; defaults are datatrove 0.10.1's
/// `GopherQualityFilter.__init__`. A value of 0 disables the rule, as in datatrove.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GopherQualityConfig {
    /// Fewest words that are not only punctuation.
    pub min_doc_words: usize,
    /// Most such words.
    pub max_doc_words: usize,
    /// Smallest mean length of those words.
    pub min_avg_word_length: f64,
    /// Largest mean length.
    pub max_avg_word_length: f64,
    /// Most `#` or ellipses per word.
    pub max_symbol_word_ratio: f64,
    /// Most lines starting with a bullet (`•` or `-`), as a fraction of lines.
    pub max_bullet_lines_ratio: f64,
    /// Most lines ending with an ellipsis, as a fraction of lines.
    pub max_ellipsis_lines_ratio: f64,
    /// Fewest words containing a letter, as a fraction of words (datatrove's misnamed
    /// `max_non_alpha_words_ratio`).
    pub max_non_alpha_words_ratio: f64,
    /// Fewest distinct stop words present.
    pub min_stop_words: usize,
    /// The stop words (case-sensitive, as in datatrove).
    pub stop_words: Vec<String>,
}

impl Default for GopherQualityConfig {
    fn default() -> Self {
        GopherQualityConfig {
            min_doc_words: 50,         // datatrove 0.10.1 GopherQualityFilter: min_doc_words=50
            max_doc_words: 100_000,    // datatrove 0.10.1 GopherQualityFilter: max_doc_words=100000
            min_avg_word_length: 3.0, // datatrove 0.10.1 GopherQualityFilter: min_avg_word_length=3
            max_avg_word_length: 10.0, // datatrove 0.10.1 GopherQualityFilter: max_avg_word_length=10
            max_symbol_word_ratio: 0.1, // datatrove 0.10.1 GopherQualityFilter: max_symbol_word_ratio=0.1
            max_bullet_lines_ratio: 0.9, // datatrove 0.10.1 GopherQualityFilter: max_bullet_lines_ratio=0.9
            max_ellipsis_lines_ratio: 0.3, // datatrove 0.10.1 GopherQualityFilter: max_ellipsis_lines_ratio=0.3
            max_non_alpha_words_ratio: 0.8, // datatrove 0.10.1 GopherQualityFilter: max_non_alpha_words_ratio=0.8
            min_stop_words: 2, // datatrove 0.10.1 GopherQualityFilter: min_stop_words=2
            stop_words: GOPHER_STOP_WORDS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// Drops documents whose words, symbols and lines do not look like prose.
pub struct GopherQualityFilter {
    cfg: GopherQualityConfig,
}

impl GopherQualityFilter {
    /// Builds the filter; a minimum above its maximum (both set) is a config error.
    pub fn new(cfg: GopherQualityConfig) -> Result<Self> {
        let stage = "gopher_quality";
        super::check_bounds(
            stage,
            ("min_doc_words", cfg.min_doc_words),
            ("max_doc_words", cfg.max_doc_words),
            Some(0),
        )?;
        super::check_bounds(
            stage,
            ("min_avg_word_length", cfg.min_avg_word_length),
            ("max_avg_word_length", cfg.max_avg_word_length),
            Some(0.0),
        )?;
        Ok(GopherQualityFilter { cfg })
    }
}

impl Stage for GopherQualityFilter {
    fn kind(&self) -> &'static str {
        "gopher_quality"
    }

    fn process(&self, doc: &mut Document, _cx: &mut StageContext) -> Verdict {
        let text = doc.text.as_str();
        with_words(text, |words| self.decide(text, words))
    }
}

impl GopherQualityFilter {
    /// The rules, in datatrove's order, over the document's words.
    fn decide(&self, text: &str, words: &[&str]) -> Verdict {
        let c = &self.cfg;
        let n_words = words.len();
        let (mut n_content, mut content_chars) = (0usize, 0usize);
        for w in words {
            if w.chars().any(|ch| !is_datatrove_punctuation(ch)) {
                n_content += 1;
                content_chars += py_len(w);
            }
        }
        if c.min_doc_words != 0 && n_content < c.min_doc_words {
            return Verdict::Drop(Removal::new("gopher_short_doc", n_content, c.min_doc_words));
        }
        if c.max_doc_words != 0 && n_content > c.max_doc_words {
            return Verdict::Drop(Removal::new("gopher_long_doc", n_content, c.max_doc_words));
        }
        // numpy's mean of integer lengths: the float sum is exact, then one division.
        let avg = content_chars as f64 / n_content as f64;
        if c.min_avg_word_length != 0.0 && avg < c.min_avg_word_length {
            return Verdict::Drop(Removal::new(
                "gopher_below_avg_threshold",
                avg,
                c.min_avg_word_length,
            ));
        }
        if c.max_avg_word_length != 0.0 && avg > c.max_avg_word_length {
            return Verdict::Drop(Removal::new(
                "gopher_above_avg_threshold",
                avg,
                c.max_avg_word_length,
            ));
        }
        if c.max_symbol_word_ratio != 0.0 {
            let hashes = ratio(text.matches('#').count(), n_words);
            if hashes > c.max_symbol_word_ratio {
                return Verdict::Drop(Removal::new(
                    "gopher_too_many_hashes",
                    hashes,
                    c.max_symbol_word_ratio,
                ));
            }
            let ellipses = ratio(
                text.matches("...").count() + text.matches('…').count(),
                n_words,
            );
            if ellipses > c.max_symbol_word_ratio {
                return Verdict::Drop(Removal::new(
                    "gopher_too_many_ellipsis",
                    ellipses,
                    c.max_symbol_word_ratio,
                ));
            }
        }
        let lines = py_splitlines(text);
        if c.max_bullet_lines_ratio != 0.0 {
            let bullets = lines
                .iter()
                .filter(|l| {
                    let l = py_lstrip(l);
                    l.starts_with('•') || l.starts_with('-')
                })
                .count();
            let frac = ratio(bullets, lines.len());
            if frac > c.max_bullet_lines_ratio {
                return Verdict::Drop(Removal::new(
                    "gopher_too_many_bullets",
                    frac,
                    c.max_bullet_lines_ratio,
                ));
            }
        }
        if c.max_ellipsis_lines_ratio != 0.0 {
            let ending = lines
                .iter()
                .filter(|l| {
                    let l = py_rstrip(l);
                    l.ends_with("...") || l.ends_with('…')
                })
                .count();
            let frac = ratio(ending, lines.len());
            if frac > c.max_ellipsis_lines_ratio {
                return Verdict::Drop(Removal::new(
                    "gopher_too_many_end_ellipsis",
                    frac,
                    c.max_ellipsis_lines_ratio,
                ));
            }
        }
        if c.max_non_alpha_words_ratio != 0.0 {
            let alpha = words.iter().filter(|w| w.chars().any(is_py_alpha)).count();
            let frac = ratio(alpha, n_words);
            if frac < c.max_non_alpha_words_ratio {
                return Verdict::Drop(Removal::new(
                    "gopher_below_alpha_threshold",
                    frac,
                    c.max_non_alpha_words_ratio,
                ));
            }
        }
        if c.min_stop_words != 0 {
            let present = c
                .stop_words
                .iter()
                .enumerate()
                .filter(|(i, s)| !c.stop_words[..*i].contains(s) && words.iter().any(|w| w == s))
                .count();
            if present < c.min_stop_words {
                return Verdict::Drop(Removal::new(
                    "gopher_enough_stop_words",
                    present,
                    c.min_stop_words,
                ));
            }
        }
        Verdict::Keep
    }
}

#[cfg(test)]
#[path = "gopher_tests.rs"]
mod tests;
