//! The `extract` pipeline stage: replaces an HTML document's text with its main text and adds
//! `title`, `author`, `date`, `page_type`, `extracted_as` and `extract_confidence` to its metadata,
//! or drops it when no main text is found.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ExtractOptions, extract_page};
use crate::document::{Document, Removal};
use crate::stage::{Stage, StageContext, Verdict};

/// Parameters of [`ExtractStage`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExtractConfig {
    /// Fewest characters of main text; pages with less are dropped as `no_main_text`.
    /// Default 1 (drop only empty results): length policy belongs to the quality filters.
    pub min_extracted_chars: usize,
    /// Pages larger than this many bytes are dropped as `html_too_large` before parsing
    /// (extraction is linear, this bounds the time and memory spent on one record).
    pub max_html_bytes: usize,
    /// Keep comment sections (trafilatura's `include_comments`; off here because comments are
    /// not the page's main text).
    pub include_comments: bool,
    /// Keep tables (trafilatura default: on).
    pub include_tables: bool,
    /// Keep lists.
    pub include_lists: bool,
    /// Keep the headline as the first line of article and documentation text (off: WCXB's
    /// readers leave it out; it is in `metadata.title` either way).
    pub keep_headline: bool,
    /// Only documents whose `metadata.content_kind` is `"html"` are extracted; others pass
    /// untouched. Off: every document's text is treated as HTML.
    pub only_html_kind: bool,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        ExtractConfig {
            min_extracted_chars: 1,
            max_html_bytes: 16 << 20,
            include_comments: false,
            include_tables: true,
            include_lists: true,
            keep_headline: false,
            only_html_kind: false,
        }
    }
}

/// HTML → main text stage.
pub struct ExtractStage {
    cfg: ExtractConfig,
    opts: ExtractOptions,
}

impl ExtractStage {
    /// Builds the stage.
    pub fn new(cfg: ExtractConfig) -> Self {
        let opts = ExtractOptions {
            include_comments: cfg.include_comments,
            include_tables: cfg.include_tables,
            include_lists: cfg.include_lists,
            keep_headline: cfg.keep_headline,
            ..ExtractOptions::default()
        };
        ExtractStage { cfg, opts }
    }
}

impl Stage for ExtractStage {
    fn kind(&self) -> &'static str {
        "extract"
    }

    fn process(&self, doc: &mut Document, cx: &mut StageContext) -> Verdict {
        if self.cfg.only_html_kind
            && doc.metadata.get("content_kind").and_then(Value::as_str) != Some("html")
        {
            cx.count("extract_skipped_not_html", 1);
            return Verdict::Keep;
        }
        if doc.text.len() > self.cfg.max_html_bytes {
            return Verdict::Drop(Removal::new(
                "html_too_large",
                doc.text.len(),
                self.cfg.max_html_bytes,
            ));
        }
        let ex = extract_page(&doc.text, doc.url(), &self.opts);
        let chars = ex.text.chars().count();
        if chars < self.cfg.min_extracted_chars {
            return Verdict::Drop(Removal::new(
                "no_main_text",
                chars,
                self.cfg.min_extracted_chars,
            ));
        }
        cx.count("extract_html_bytes", doc.text.len() as u64);
        cx.count("extract_text_bytes", ex.text.len() as u64);
        doc.text = ex.text;
        let md = ex.metadata;
        for (k, v) in [
            ("title", md.title),
            ("author", md.author),
            ("date", md.date),
        ] {
            if let Some(v) = v {
                doc.metadata.insert(k.to_string(), Value::String(v));
            }
        }
        doc.metadata.insert(
            "page_type".to_string(),
            Value::String(ex.page_type.as_str().to_string()),
        );
        // Where the reading differs from the type (a shop category read as one product, say),
        // a user sorting pages by type sees which rules made the text.
        doc.metadata.insert(
            "extracted_as".to_string(),
            Value::String(ex.read_as.as_str().to_string()),
        );
        // Three decimals: the model is not finer than that, and the output stays readable.
        let confidence = (f64::from(ex.confidence) * 1000.0).round() / 1000.0;
        doc.metadata
            .insert("extract_confidence".to_string(), Value::from(confidence));
        Verdict::Keep
    }
}
