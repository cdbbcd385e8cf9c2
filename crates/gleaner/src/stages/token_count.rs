//! Token counts: records how many tokens each document has (`metadata.tokens`) and, optionally,
//! drops documents with too few or too many.
//!
//! Placed early in a pipeline, it also turns on token accounting for every stage after it: the
//! pipeline then reports tokens in, out and removed per rule for each of them (`stats.json`, the
//! summary and the report), recounting a document only when a stage rewrote its text
//! ([`crate::pipeline::Pipeline`]).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::document::{Document, Removal};
use crate::error::Result;
use crate::stage::{Stage, StageContext, Verdict};
use crate::tokens::{self, Tokenizer};

/// The metadata field the count goes to.
pub const TOKENS_FIELD: &str = "tokens";

/// Parameters of [`TokenCount`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenCountConfig {
    /// A built-in encoding: `cl100k_base` (GPT-4) or `o200k_base` (GPT-4o).
    pub tokenizer: String,
    /// A Hugging Face `tokenizer.json` instead (relative to the pipeline file); wins over
    /// `tokenizer` when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokenizer_file: Option<String>,
    /// Drop documents with fewer tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_tokens: Option<u64>,
    /// Drop documents with more tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
}

impl Default for TokenCountConfig {
    fn default() -> Self {
        TokenCountConfig {
            tokenizer: "cl100k_base".into(),
            tokenizer_file: None,
            min_tokens: None,
            max_tokens: None,
        }
    }
}

impl TokenCountConfig {
    /// What [`tokens::load`] is given: the file when set, else the built-in name.
    pub fn spec(&self) -> &str {
        self.tokenizer_file.as_deref().unwrap_or(&self.tokenizer)
    }
}

/// Counts tokens into `metadata.tokens`.
pub struct TokenCount {
    cfg: TokenCountConfig,
    tokenizer: Arc<Tokenizer>,
}

impl TokenCount {
    /// Loads the tokenizer (shared with the rest of the run) and checks the bounds.
    pub fn new(cfg: TokenCountConfig) -> Result<Self> {
        if let (Some(lo), Some(hi)) = (cfg.min_tokens, cfg.max_tokens) {
            super::check_bounds("token_count", ("min_tokens", lo), ("max_tokens", hi), None)?;
        }
        let tokenizer = tokens::load(cfg.spec())?;
        Ok(TokenCount { cfg, tokenizer })
    }

    /// The tokenizer it counts with.
    pub fn tokenizer(&self) -> &Arc<Tokenizer> {
        &self.tokenizer
    }
}

impl Stage for TokenCount {
    fn kind(&self) -> &'static str {
        "token_count"
    }

    fn process(&self, doc: &mut Document, _cx: &mut StageContext) -> Verdict {
        let n = self.tokenizer.count(&doc.text);
        doc.metadata
            .insert(TOKENS_FIELD.to_string(), Value::from(n));
        if let Some(min) = self.cfg.min_tokens
            && n < min
        {
            return Verdict::Drop(Removal::new("min_tokens", n, min));
        }
        if let Some(max) = self.cfg.max_tokens
            && n > max
        {
            return Verdict::Drop(Removal::new("max_tokens", n, max));
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_the_count_and_drops_by_bounds_with_the_measured_value() {
        let stage = TokenCount::new(TokenCountConfig {
            min_tokens: Some(3),
            ..Default::default()
        })
        .unwrap();
        let mut doc = Document::new("a", "Hello world, hello tokens.");
        assert_eq!(
            stage.process(&mut doc, &mut StageContext::new()),
            Verdict::Keep
        );
        let n = doc.metadata[TOKENS_FIELD].as_u64().unwrap();
        assert_eq!(n, stage.tokenizer().encode(&doc.text).len() as u64);
        let mut short = Document::new("b", "Hi");
        match stage.process(&mut short, &mut StageContext::new()) {
            Verdict::Drop(r) => {
                assert_eq!(r.rule, "min_tokens");
                assert_eq!(r.value, Value::from(1));
            }
            other => panic!("kept a 1-token document: {other:?}"),
        }
    }

    #[test]
    fn an_unknown_tokenizer_is_a_config_error_naming_the_choices() {
        let err = TokenCount::new(TokenCountConfig {
            tokenizer: "gpt5_base".into(),
            ..Default::default()
        })
        .err()
        .unwrap();
        assert!(err.to_string().contains("cl100k_base"), "{err}");
    }
}
