//! The one type that flows through a pipeline, and the records a stage leaves on it.
//!
//! A [`Document`] is `{id, text, metadata}` in the shape datatrove and dolma use. Stages read and
//! rewrite it; when a stage removes lines it leaves a [`LineEdit`] per line, and when it drops the
//! whole document the executor pairs it with a [`Reason`]. Both are plain data that end up in the
//! output directory, so every removed byte can be explained after the run.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A document: an identifier, its text, and free-form JSON metadata.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Identifier, unique within a corpus. Readers synthesise one (`file:record`) when absent.
    pub id: String,
    /// The text every stage works on.
    pub text: String,
    /// Everything else known about the document (`url`, `source`, language, …), as a JSON object.
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// Position in the input order: `(input file index << 40) | record index`. The executor uses it
    /// to keep output deterministic and dedup uses it to keep the first copy in input order.
    #[serde(skip)]
    pub position: u64,
    /// Lines removed from this document by rewriting stages, in the order they were removed.
    #[serde(skip)]
    pub edits: Vec<LineEdit>,
}

impl Document {
    /// A document with the given id and text and no metadata.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Self {
        Document {
            id: id.into(),
            text: text.into(),
            ..Default::default()
        }
    }

    /// The document's URL, when the input carried one (`metadata.url`).
    pub fn url(&self) -> Option<&str> {
        self.metadata.get("url").and_then(Value::as_str)
    }

    /// The document's source (site, crawl or dataset name), when known (`metadata.source`).
    pub fn source(&self) -> Option<&str> {
        self.metadata.get("source").and_then(Value::as_str)
    }

    /// Packs an input file index and a record index into a [`Document::position`].
    pub fn make_position(file_index: usize, record_index: u64) -> u64 {
        ((file_index as u64) << 40) | (record_index & ((1 << 40) - 1))
    }
}

/// Why a document was removed: which stage, which rule, what was measured against what limit.
///
/// `value` and `threshold` are JSON values because not every rule measures a number: a language
/// filter measures a label and a score, a URL filter a matched domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// The name of the stage instance in the pipeline (its `name`, or its `type`).
    pub stage: String,
    /// The rule inside the stage, e.g. `min_words` or `dup_para_frac`.
    pub rule: String,
    /// What the rule measured on this document.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub value: Value,
    /// The limit the measured value crossed.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub threshold: Value,
    /// For a duplicate: the id of the document kept in its place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_id: Option<String>,
    /// Free-text detail where value/threshold do not say enough.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For a copy of a document of an earlier corpus: the dedup index holding that document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub against: Option<Box<KeptInIndex>>,
}

/// Where the document kept in place of a removed copy is, when it is in an earlier corpus: the
/// dedup index (`against`) that holds it, and its URL when the index has one. (Boxed in
/// [`Reason`], which most removals carry without it.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptInIndex {
    /// The index directory as named in the pipeline.
    pub index: String,
    /// The earlier document's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_url: Option<String>,
}

/// What a stage returns for a document that must go: everything in a [`Reason`] but the stage
/// name, which the executor fills in (stages do not know what the pipeline calls them).
#[derive(Debug, Clone, PartialEq)]
pub struct Removal {
    /// Rule name.
    pub rule: String,
    /// Measured value.
    pub value: Value,
    /// Threshold crossed.
    pub threshold: Value,
    /// Kept duplicate, for dedup stages.
    pub kept_id: Option<String>,
    /// Free-text detail.
    pub detail: Option<String>,
    /// For a copy of an earlier corpus's document: the index holding it.
    pub against: Option<Box<KeptInIndex>>,
}

impl Removal {
    /// A removal by `rule`, with the value measured and the threshold it crossed.
    pub fn new(
        rule: impl Into<String>,
        value: impl Into<Value>,
        threshold: impl Into<Value>,
    ) -> Self {
        Removal {
            rule: rule.into(),
            value: value.into(),
            threshold: threshold.into(),
            kept_id: None,
            detail: None,
            against: None,
        }
    }

    /// Adds the id of the document kept instead of this one.
    pub fn with_kept_id(mut self, id: impl Into<String>) -> Self {
        self.kept_id = Some(id.into());
        self
    }

    /// Names the dedup index holding the kept document, and its URL when known.
    pub fn with_index(mut self, index: impl Into<String>, kept_url: Option<String>) -> Self {
        self.against = Some(Box::new(KeptInIndex {
            index: index.into(),
            kept_url,
        }));
        self
    }

    /// Adds a free-text detail.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Stamps the stage name on, giving the full [`Reason`].
    pub fn into_reason(self, stage: &str) -> Reason {
        Reason {
            stage: stage.to_string(),
            rule: self.rule,
            value: self.value,
            threshold: self.threshold,
            kept_id: self.kept_id,
            detail: self.detail,
            against: self.against,
        }
    }
}

/// One line removed from a document by a rewriting stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineEdit {
    /// Stage instance name.
    pub stage: String,
    /// Rule that removed the line.
    pub rule: String,
    /// Zero-based index of the line in the text as that stage received it.
    pub line: usize,
    /// The removed line.
    pub text: String,
    /// What the rule measured on the line.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub value: Value,
    /// The limit it crossed.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub threshold: Value,
}

/// A document that a stage dropped, with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct RemovedDocument {
    /// The document as it was when the stage dropped it.
    pub document: Document,
    /// Why.
    pub reason: Reason,
}
