//! The C4 heuristics (Raffel et al. 2020, section 2.2; reference code in TensorFlow Datasets'
//! `c4_utils.py`) with datatrove 0.10.1's defaults and names: `c4_quality` rewrites a document
//! line by line (each removed line reported with its rule) and drops documents that contain
//! "lorem ipsum", a curly bracket, or too few sentences afterwards; `c4_paragraph` (the mC4 rule)
//! drops documents without three long lines.
//!
//! Line rule names are datatrove's stat names without the `line-filter-` prefix
//! (`too_long_word`, `no_terminal_punc`, `too_few_words`, `javascript`, `policy`); document rule
//! names are datatrove's reasons (`lorem_ipsum`, `curly_bracket`, `too_few_sentences`,
//! `< 3 paragraphs`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::document::{Document, Removal};
use crate::error::{Error, Result};
use crate::stage::{Stage, StageContext, Verdict};
use crate::text::chars::{
    PY_DECIMAL, py_len, py_lower, py_split_whitespace, py_splitlines, py_strip,
};
use crate::text::tokenizer::{Token, count_sentences_in, sentence_ends, tokenize_into};

/// datatrove 0.10.1 `c4_filters.END_PUNCTUATION`.
const END_PUNCTUATION: [char; 5] = ['.', '?', '!', '"', '\''];
/// datatrove 0.10.1 `c4_filters.POLICY_SUBSTRINGS`.
const POLICY_SUBSTRINGS: [&str; 6] = [
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
];

/// Parameters of [`C4QualityFilter`]; defaults are datatrove 0.10.1's `C4QualityFilter.__init__`
/// (the C4 paper's settings). `-1` disables the numeric rules, as in datatrove.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct C4QualityConfig {
    /// Apply the rules to lines (`\n`); when false, to spaCy sentences, joined back with spaces.
    pub split_paragraph: bool,
    /// Remove Wikipedia-style citations (`[1]`, `[edit]`, `[citation needed]`).
    pub remove_citations: bool,
    /// Remove lines that do not end in `.`, `?`, `!`, `"` or `'` (or that end in `...`).
    pub filter_no_terminal_punct: bool,
    /// Drop documents with fewer sentences than this in their kept lines (-1 disables).
    pub min_num_sentences: i64,
    /// Remove lines with fewer whitespace-separated words than this (-1 disables).
    pub min_words_per_line: i64,
    /// Remove lines containing a word longer than this many characters (-1 disables).
    pub max_word_length: i64,
    /// Drop documents containing "lorem ipsum".
    pub filter_lorem_ipsum: bool,
    /// Remove lines mentioning "javascript".
    pub filter_javascript: bool,
    /// Drop documents containing `{`.
    pub filter_curly_bracket: bool,
    /// Remove lines with terms-of-use, privacy- or cookie-policy phrases.
    pub filter_policy: bool,
}

impl Default for C4QualityConfig {
    fn default() -> Self {
        C4QualityConfig {
            split_paragraph: true, // datatrove 0.10.1 C4QualityFilter: split_paragraph=True
            remove_citations: true, // datatrove 0.10.1 C4QualityFilter: remove_citations=True
            filter_no_terminal_punct: true, // datatrove 0.10.1 C4QualityFilter: filter_no_terminal_punct=True
            min_num_sentences: 5,           // datatrove 0.10.1 C4QualityFilter: min_num_sentences=5
            min_words_per_line: 3, // datatrove 0.10.1 C4QualityFilter: min_words_per_line=3
            max_word_length: 1000, // datatrove 0.10.1 C4QualityFilter: max_word_length=1000
            filter_lorem_ipsum: true, // datatrove 0.10.1 C4QualityFilter: filter_lorem_ipsum=True
            filter_javascript: true, // datatrove 0.10.1 C4QualityFilter: filter_javascript=True
            filter_curly_bracket: true, // datatrove 0.10.1 C4QualityFilter: filter_curly_bracket=True
            filter_policy: true,        // datatrove 0.10.1 C4QualityFilter: filter_policy=True
        }
    }
}

/// Rewrites documents to their C4-clean lines and drops the ones C4 rejects as a whole.
pub struct C4QualityFilter {
    cfg: C4QualityConfig,
}

impl C4QualityFilter {
    /// Builds the filter.
    pub fn new(cfg: C4QualityConfig) -> Self {
        C4QualityFilter { cfg }
    }
}

/// `re.sub(r"\[\d*]|\[edit]|\[citation needed]", "", line)`; returns the new line (borrowed when
/// nothing matched) and how many citations went.
fn remove_citations(line: &str) -> (std::borrow::Cow<'_, str>, u64) {
    if !line.contains('[') {
        return (line.into(), 0);
    }
    let mut out = String::with_capacity(line.len());
    let mut removed = 0;
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let digits = after
            .char_indices()
            .find(|&(_, c)| !PY_DECIMAL.contains(c))
            .map_or(after.len(), |(i, _)| i);
        let matched = if after[digits..].starts_with(']') {
            Some(digits + 1)
        } else if after.starts_with("edit]") {
            Some(5)
        } else if after.starts_with("citation needed]") {
            Some(16)
        } else {
            None
        };
        match matched {
            Some(len) => {
                removed += 1;
                rest = &after[len..];
            }
            None => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    (out.into(), removed)
}

/// A line removal waiting for the document's verdict (a dropped document keeps its text, so its
/// line edits are not reported).
struct PendingEdit<'a> {
    line: usize,
    text: &'a str,
    rule: &'static str,
    value: Value,
    threshold: Value,
}

impl Stage for C4QualityFilter {
    fn kind(&self) -> &'static str {
        "c4_quality"
    }

    fn process(&self, doc: &mut Document, cx: &mut StageContext) -> Verdict {
        let c = &self.cfg;
        let mut tokens: Vec<Token> = Vec::new();
        let units: Vec<&str> = if c.split_paragraph {
            py_splitlines(&doc.text)
        } else {
            let text = doc.text.as_str();
            tokenize_into(text, &mut tokens);
            let mut start = 0;
            let mut pieces: Vec<&str> = Vec::new();
            let ends = sentence_ends(text, &tokens);
            // datatrove split_into_sentences: text[a:b] between consecutive sentence ends, the
            // last one running to the end of the text.
            for (k, &end) in ends.iter().enumerate() {
                let end = if k + 1 == ends.len() { text.len() } else { end };
                pieces.push(&text[start..end]);
                start = end;
            }
            if pieces.is_empty() {
                pieces.push(text);
            }
            pieces
        };

        let mut num_sentences: i64 = 0;
        let mut kept: Vec<std::borrow::Cow<'_, str>> = Vec::new();
        let mut edits: Vec<PendingEdit<'_>> = Vec::new();
        let (mut citations, mut blank) = (0u64, 0u64);
        for (index, &raw) in units.iter().enumerate() {
            let stripped = py_strip(raw);
            let mut edit = |rule: &'static str, value: Value, threshold: Value| {
                if stripped.is_empty() {
                    blank += 1;
                } else {
                    edits.push(PendingEdit {
                        line: index,
                        text: raw,
                        rule,
                        value,
                        threshold,
                    });
                }
            };
            let n_words = py_split_whitespace(stripped).count();
            if c.max_word_length != -1 {
                let longest = py_split_whitespace(stripped).map(py_len).max().unwrap_or(0);
                if longest as i64 > c.max_word_length {
                    edit("too_long_word", longest.into(), c.max_word_length.into());
                    continue;
                }
            }
            let line = if c.remove_citations {
                let (line, n) = remove_citations(stripped);
                citations += n;
                line
            } else {
                stripped.into()
            };
            if c.filter_no_terminal_punct
                && (!line.ends_with(END_PUNCTUATION) || line.ends_with("..."))
            {
                let last = line.chars().last().map(String::from);
                edit("no_terminal_punc", last.into(), Value::Null);
                continue;
            }
            if (n_words as i64) < c.min_words_per_line {
                edit("too_few_words", n_words.into(), c.min_words_per_line.into());
                continue;
            }
            // One lower-casing per line for the three substring rules below.
            let lower = if c.filter_lorem_ipsum || c.filter_javascript || c.filter_policy {
                py_lower(&line)
            } else {
                Default::default()
            };
            if c.filter_lorem_ipsum && lower.contains("lorem ipsum") {
                return Verdict::Drop(
                    Removal::new("lorem_ipsum", "lorem ipsum", Value::Null)
                        .with_detail(format!("line {index}")),
                );
            }
            if c.filter_javascript && lower.contains("javascript") {
                edit("javascript", "javascript".into(), Value::Null);
                continue;
            }
            if c.filter_curly_bracket && line.contains('{') {
                return Verdict::Drop(
                    Removal::new("curly_bracket", "{", Value::Null)
                        .with_detail(format!("line {index}")),
                );
            }
            if c.filter_policy
                && let Some(p) = POLICY_SUBSTRINGS.iter().find(|p| lower.contains(*p))
            {
                edit("policy", (*p).into(), Value::Null);
                continue;
            }
            if c.min_num_sentences != -1 {
                num_sentences += if c.split_paragraph {
                    tokenize_into(&line, &mut tokens);
                    count_sentences_in(&line, &tokens) as i64
                } else {
                    1
                };
            }
            kept.push(line);
        }
        if num_sentences < c.min_num_sentences {
            return Verdict::Drop(Removal::new(
                "too_few_sentences",
                num_sentences,
                c.min_num_sentences,
            ));
        }
        for e in edits {
            cx.remove_line(e.line, e.text, e.rule, e.value, e.threshold);
        }
        cx.count("citations_removed", citations);
        cx.count("blank_lines_removed", blank);
        let joined = kept.join(if c.split_paragraph { "\n" } else { " " });
        let new_text = py_strip(&joined).to_string();
        if new_text != doc.text {
            doc.text = new_text;
        }
        Verdict::Keep
    }
}

/// Parameters of [`C4ParagraphFilter`]. datatrove 0.10.1 hard-codes these; they are exposed here
/// with its values as defaults.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct C4ParagraphConfig {
    /// Fewest lines, and how many of the longest lines must be long enough.
    pub min_paragraphs: usize,
    /// Characters each of those lines needs.
    pub min_paragraph_len: usize,
}

impl Default for C4ParagraphConfig {
    fn default() -> Self {
        C4ParagraphConfig {
            min_paragraphs: 3, // datatrove 0.10.1 C4ParagraphFilter: self.min_paragraphs = 3
            min_paragraph_len: 200, // datatrove 0.10.1 C4ParagraphFilter: self.min_paragraph_len = 200
        }
    }
}

/// Drops documents without `min_paragraphs` lines of at least `min_paragraph_len` characters
/// (the mC4 paragraph rule).
pub struct C4ParagraphFilter {
    cfg: C4ParagraphConfig,
    rule: String,
}

impl C4ParagraphFilter {
    /// Needs at least one paragraph.
    pub fn new(cfg: C4ParagraphConfig) -> Result<Self> {
        if cfg.min_paragraphs == 0 {
            return Err(Error::Config(
                "stage c4_paragraph: min_paragraphs must be at least 1".into(),
            ));
        }
        // datatrove's reason string: f"< {self.min_paragraphs} paragraphs".
        let rule = format!("< {} paragraphs", cfg.min_paragraphs);
        Ok(C4ParagraphFilter { cfg, rule })
    }
}

impl Stage for C4ParagraphFilter {
    fn kind(&self) -> &'static str {
        "c4_paragraph"
    }

    fn process(&self, doc: &mut Document, _cx: &mut StageContext) -> Verdict {
        let c = &self.cfg;
        let mut lens: Vec<usize> = doc.text.split('\n').map(py_len).collect();
        if lens.len() < c.min_paragraphs {
            return Verdict::Drop(
                Removal::new(self.rule.as_str(), lens.len(), c.min_paragraphs)
                    .with_detail("lines in the document"),
            );
        }
        // min(heapq.nlargest(k, lens)) is the k-th largest length.
        lens.sort_unstable_by(|a, b| b.cmp(a));
        let kth = lens[c.min_paragraphs - 1];
        if kth < c.min_paragraph_len {
            return Verdict::Drop(
                Removal::new(self.rule.as_str(), kth, c.min_paragraph_len)
                    .with_detail(format!("length of the {}th longest line", c.min_paragraphs)),
            );
        }
        Verdict::Keep
    }
}

#[cfg(test)]
#[path = "c4_tests.rs"]
mod tests;
