//! Length filter: drops documents with too few or too many characters, words or lines. Words are
//! whitespace-separated tokens here; the quality filters use a real tokenizer where the published
//! rules demand it, but a length gate only needs a cheap, predictable count.

use serde::{Deserialize, Serialize};

use crate::document::{Document, Removal};
use crate::error::Result;
use crate::stage::{Stage, StageContext, Verdict};

/// Parameters of [`LengthFilter`]. Every bound is optional; unset bounds are not checked.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LengthFilterConfig {
    /// Fewest characters (Unicode scalar values).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_chars: Option<u64>,
    /// Most characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<u64>,
    /// Fewest whitespace-separated words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_words: Option<u64>,
    /// Most words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_words: Option<u64>,
    /// Fewest non-empty lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_lines: Option<u64>,
    /// Most non-empty lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_lines: Option<u64>,
}

/// Drops documents outside configured length bounds.
pub struct LengthFilter {
    cfg: LengthFilterConfig,
}

impl LengthFilter {
    /// Checks that every min is at most its max.
    pub fn new(cfg: LengthFilterConfig) -> Result<Self> {
        for (min, max) in [
            (("min_chars", cfg.min_chars), ("max_chars", cfg.max_chars)),
            (("min_words", cfg.min_words), ("max_words", cfg.max_words)),
            (("min_lines", cfg.min_lines), ("max_lines", cfg.max_lines)),
        ] {
            if let ((min_name, Some(lo)), (max_name, Some(hi))) = (min, max) {
                super::check_bounds("length_filter", (min_name, lo), (max_name, hi), None)?;
            }
        }
        Ok(LengthFilter { cfg })
    }
}

fn check(
    rule_min: &str,
    rule_max: &str,
    v: u64,
    min: Option<u64>,
    max: Option<u64>,
) -> Option<Removal> {
    if let Some(m) = min
        && v < m
    {
        return Some(Removal::new(rule_min, v, m));
    }
    if let Some(m) = max
        && v > m
    {
        return Some(Removal::new(rule_max, v, m));
    }
    None
}

impl Stage for LengthFilter {
    fn kind(&self) -> &'static str {
        "length_filter"
    }

    fn process(&self, doc: &mut Document, _cx: &mut StageContext) -> Verdict {
        let c = &self.cfg;
        let text = &doc.text;
        if c.min_chars.is_some() || c.max_chars.is_some() {
            let n = text.chars().count() as u64;
            if let Some(r) = check("min_chars", "max_chars", n, c.min_chars, c.max_chars) {
                return Verdict::Drop(r);
            }
        }
        if c.min_words.is_some() || c.max_words.is_some() {
            let n = text.split_whitespace().count() as u64;
            if let Some(r) = check("min_words", "max_words", n, c.min_words, c.max_words) {
                return Verdict::Drop(r);
            }
        }
        if c.min_lines.is_some() || c.max_lines.is_some() {
            let n = text.lines().filter(|l| !l.trim().is_empty()).count() as u64;
            if let Some(r) = check("min_lines", "max_lines", n, c.min_lines, c.max_lines) {
                return Verdict::Drop(r);
            }
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = include_str!("../../../../examples/data/raw-example.txt");

    fn run(cfg: LengthFilterConfig, text: &str) -> Verdict {
        LengthFilter::new(cfg)
            .unwrap()
            .process(&mut Document::new("d", text), &mut StageContext::new())
    }

    #[test]
    fn both_sides_of_each_bound_on_the_users_document() {
        let words = SEED.split_whitespace().count() as u64;
        let ok = LengthFilterConfig {
            min_words: Some(words),
            max_words: Some(words),
            ..Default::default()
        };
        assert_eq!(run(ok, SEED), Verdict::Keep);
        let too_few = LengthFilterConfig {
            min_words: Some(words + 1),
            ..Default::default()
        };
        assert_eq!(
            run(too_few, SEED),
            Verdict::Drop(Removal::new("min_words", words, words + 1))
        );
        let too_many = LengthFilterConfig {
            max_words: Some(words - 1),
            ..Default::default()
        };
        assert_eq!(
            run(too_many, SEED),
            Verdict::Drop(Removal::new("max_words", words, words - 1))
        );
        let lines = SEED.lines().filter(|l| !l.trim().is_empty()).count() as u64;
        let lines_cfg = LengthFilterConfig {
            min_lines: Some(lines + 1),
            ..Default::default()
        };
        assert_eq!(
            run(lines_cfg, SEED),
            Verdict::Drop(Removal::new("min_lines", lines, lines + 1))
        );
        let chars = SEED.chars().count() as u64;
        let chars_cfg = LengthFilterConfig {
            max_chars: Some(chars - 1),
            ..Default::default()
        };
        assert_eq!(
            run(chars_cfg, SEED),
            Verdict::Drop(Removal::new("max_chars", chars, chars - 1))
        );
    }

    #[test]
    fn inverted_bounds_are_a_config_error() {
        let cfg = LengthFilterConfig {
            min_words: Some(10),
            max_words: Some(5),
            ..Default::default()
        };
        assert!(LengthFilter::new(cfg).is_err());
    }
}
