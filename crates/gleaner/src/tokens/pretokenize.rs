//! tiktoken's pre-tokenizers (the regex that cuts text into pieces before BPE), without
//! look-around.
//!
//! tiktoken's patterns use a negative look-ahead (`\s+(?!\S)`) that the `regex` crates do not
//! support, and backtracking engines run them several times slower. As `bpe-openai` does, the
//! look-ahead becomes a separate pattern `\s+\s` whose last character is given back. The
//! patterns here are written again rather than taken from `bpe-openai` because its `cl100k_base`
//! follows tiktoken's original pattern, and tiktoken 0.8+ tries `\s++$` before `\s*[\r\n]`: a
//! text ending in a newline and spaces (`"a\n  "`) is one piece to tiktoken today and two to
//! the old pattern, which changes its ids.

use regex_automata::meta::Regex;
use regex_automata::{Anchored, Input};

use crate::error::{Error, Result};

/// Cuts text into pieces, leftmost-first over its patterns (earlier patterns win at a position).
pub(super) struct Pretokenizer {
    regex: Regex,
    /// Per pattern: whether its last character is a look-ahead to give back.
    lookahead: Vec<bool>,
}

impl Pretokenizer {
    fn new(patterns: &[(&str, bool)]) -> Result<Self> {
        let (pats, lookahead): (Vec<&str>, Vec<bool>) = patterns.iter().copied().unzip();
        let regex = Regex::new_many(&pats)
            .map_err(|e| Error::Config(format!("tokenizer pattern does not compile: {e}")))?;
        Ok(Pretokenizer { regex, lookahead })
    }

    /// tiktoken's `cl100k_base` pattern (tiktoken_ext/openai_public.py, tiktoken 0.8-0.14):
    /// `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`.
    /// The possessive quantifiers change no match here (what follows each cannot match what it
    /// gave up), so they are written plain.
    pub(super) fn cl100k() -> Result<Self> {
        Self::new(&[
            (
                r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s+$|\s*[\r\n]",
                false,
            ),
            (r"\s+\s", true),
            (r"\s", false),
        ])
    }

    /// tiktoken's `o200k_base` pattern (same source), its `\s+(?!\S)` split as above; at the end
    /// of the text `\s+(?!\S)` takes the whole run, hence `\s+$`.
    pub(super) fn o200k() -> Result<Self> {
        let first = [
            r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            r"\p{N}{1,3}",
            r" ?[^\s\p{L}\p{N}]+[\r\n/]*",
            r"\s*[\r\n]+",
            r"\s+$",
        ]
        .join("|");
        Self::new(&[(&first, false), (r"\s+\s", true), (r"\s+", false)])
    }

    /// GPT-2's pattern, as the `tokenizers` crate's `ByteLevel` pre-tokenizer has it:
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, its
    /// look-ahead split as above (`\s+$` first: at the end of the text the look-ahead holds).
    pub(super) fn gpt2() -> Result<Self> {
        Self::new(&[
            (
                r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+$",
                false,
            ),
            (r"\s+\s", true),
            (r"\s+", false),
        ])
    }

    /// The pieces of `text`, in order; together they are `text`.
    pub(super) fn split<'a>(&'a self, text: &'a str) -> Pieces<'a> {
        Pieces {
            pre: self,
            text,
            at: 0,
        }
    }
}

/// Iterator over the pieces of one text.
pub(super) struct Pieces<'a> {
    pre: &'a Pretokenizer,
    text: &'a str,
    at: usize,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.at >= self.text.len() {
            return None;
        }
        let rest = &self.text[self.at..];
        let start = self.at;
        let end = match self
            .pre
            .regex
            .find(Input::new(rest).anchored(Anchored::Yes))
        {
            Some(m) if !m.is_empty() => {
                let mut end = start + m.end();
                if self.pre.lookahead[m.pattern().as_usize()] {
                    // `\s+\s` matched at least two characters: giving the last back leaves one.
                    let last = self.text[start..end]
                        .chars()
                        .next_back()
                        .map_or(0, char::len_utf8);
                    end -= last;
                }
                end
            }
            // The patterns together match any character, so this is never reached; one character
            // as its own piece keeps the pieces covering the text if it were.
            _ => start + rest.chars().next().map_or(rest.len(), char::len_utf8),
        };
        self.at = end;
        Some(&self.text[start..end])
    }
}
