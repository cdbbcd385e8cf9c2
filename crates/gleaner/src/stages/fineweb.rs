//! The FineWeb quality filter (Penedo et al. 2024, "The FineWeb Datasets"), with datatrove
//! 0.10.1's defaults and reason strings: too few lines ending in terminal punctuation
//! (`line_punct_ratio`), too many short lines (`short_line_ratio`), too many characters in
//! duplicate lines (`char_dup_ratio`), and too many newlines per word (`list_ratio`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::document::{Document, Removal};
use crate::stage::{Stage, StageContext, Verdict};
use crate::text::chars::{is_terminal_punctuation, py_len, py_strip};
use crate::text::repetition::find_duplicates;
use crate::text::tokenizer::with_words;

/// Parameters of [`FineWebQualityFilter`]; defaults are datatrove 0.10.1's
/// `FineWebQualityFilter.__init__`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FineWebQualityConfig {
    /// Fewest lines ending in a stop character, as a fraction of non-blank lines.
    pub line_punct_thr: f64,
    /// Do not apply `line_punct_thr` to documents where no line ends in a stop character.
    pub line_punct_exclude_zero: bool,
    /// Line endings that count as terminal punctuation; unset means datatrove's
    /// `TERMINAL_PUNCTUATION` (sentence-final marks of many scripts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_chars: Option<Vec<String>>,
    /// Most short lines, as a fraction of non-blank lines.
    pub short_line_thr: f64,
    /// A line of at most this many characters is short.
    pub short_line_length: usize,
    /// Most characters in duplicate lines, as a fraction of non-newline characters.
    pub char_duplicates_ratio: f64,
    /// Most newlines per word.
    pub new_line_ratio: f64,
}

impl Default for FineWebQualityConfig {
    fn default() -> Self {
        FineWebQualityConfig {
            line_punct_thr: 0.12, // datatrove 0.10.1 FineWebQualityFilter: line_punct_thr=0.12
            line_punct_exclude_zero: false, // datatrove 0.10.1 FineWebQualityFilter: line_punct_exclude_zero=False
            stop_chars: None, // datatrove 0.10.1 FineWebQualityFilter: tuple(TERMINAL_PUNCTUATION)
            short_line_thr: 0.67, // datatrove 0.10.1 FineWebQualityFilter: short_line_thr=0.67
            short_line_length: 30, // datatrove 0.10.1 FineWebQualityFilter: short_line_length=30
            char_duplicates_ratio: 0.01, // datatrove 0.10.1 FineWebQualityFilter: char_duplicates_ratio=0.01
            new_line_ratio: 0.3, // datatrove 0.10.1 FineWebQualityFilter: new_line_ratio=0.3
        }
    }
}

/// Drops list-like, fragmentary and repetitive documents.
pub struct FineWebQualityFilter {
    cfg: FineWebQualityConfig,
}

impl FineWebQualityFilter {
    /// Builds the filter.
    pub fn new(cfg: FineWebQualityConfig) -> Self {
        FineWebQualityFilter { cfg }
    }

    fn ends_with_stop(&self, line: &str) -> bool {
        match &self.cfg.stop_chars {
            Some(stops) => stops.iter().any(|s| line.ends_with(s.as_str())),
            None => line
                .chars()
                .next_back()
                .is_some_and(is_terminal_punctuation),
        }
    }
}

impl Stage for FineWebQualityFilter {
    fn kind(&self) -> &'static str {
        "fineweb_quality"
    }

    fn process(&self, doc: &mut Document, _cx: &mut StageContext) -> Verdict {
        let c = &self.cfg;
        let text = doc.text.as_str();
        let lines: Vec<&str> = text
            .split('\n')
            .filter(|l| !py_strip(l).is_empty())
            .collect();
        if lines.is_empty() {
            return Verdict::Drop(Removal::new("empty", 0, Value::Null));
        }
        let n = lines.len() as f64;
        let punct = lines.iter().filter(|l| self.ends_with_stop(l)).count();
        let frac = punct as f64 / n;
        if frac < c.line_punct_thr && !(punct == 0 && c.line_punct_exclude_zero) {
            return Verdict::Drop(Removal::new("line_punct_ratio", frac, c.line_punct_thr));
        }
        let short = lines
            .iter()
            .filter(|l| py_len(l) <= c.short_line_length)
            .count();
        let frac = short as f64 / n;
        if frac > c.short_line_thr {
            return Verdict::Drop(Removal::new("short_line_ratio", frac, c.short_line_thr));
        }
        let (_, dup_chars) = find_duplicates(lines.iter().copied());
        let non_newline = py_len(text) - text.bytes().filter(|&b| b == b'\n').count();
        let frac = dup_chars as f64 / non_newline as f64;
        if frac > c.char_duplicates_ratio {
            return Verdict::Drop(Removal::new(
                "char_dup_ratio",
                frac,
                c.char_duplicates_ratio,
            ));
        }
        let words = with_words(text, |w| w.len());
        let newlines = text.bytes().filter(|&b| b == b'\n').count();
        let frac = newlines as f64 / words as f64;
        if frac > c.new_line_ratio {
            return Verdict::Drop(Removal::new("list_ratio", frac, c.new_line_ratio));
        }
        Verdict::Keep
    }
}

#[cfg(test)]
#[path = "fineweb_tests.rs"]
mod tests;
