//! Model-based scoring with any fastText supervised model (`type = "classifier"`): DCLM's
//! quality classifier, a FineWeb-Edu-style fastText, or one trained by the user.
//!
//! Every label's probability goes to `metadata.<key>` (`{"hq": 0.93, "cc": 0.07}`, labels
//! without `__label__`); `key` defaults to the stage's name. The stage then keeps documents whose
//! `label` scores at least `min_score` (datatrove's `FastTextClassifierFilter` compares with
//! `>=`), or, with `keep_fraction`, the top fraction of the whole corpus by that score — a
//! corpus stage, see [`top_fraction`](super::top_fraction).
//!
//! Text preprocessing is fastText's own `predict`'s: the document is one line whose words are
//! split on ASCII whitespace only (space, `\n`, `\r`, `\t`, `\v`, `\f`, NUL), followed by one
//! end-of-sentence token. fastText's Python `predict` refuses text containing `\n`; datatrove's
//! `LanguageFilter` and dolma replace newlines by spaces first, which gives exactly the tokens
//! gleaner uses when it passes the text unchanged (a newline is a separator like a space). The
//! scores equal the `fasttext` Python package's on the same model and text
//! (`crates/gleaner-py/tests/test_classifier.py`); the model is read by the vendored
//! `fasttext-pure-rs`, dense `.bin` and quantized `.ftz` alike.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use fasttext_pure_rs::FastText;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::BuiltStage;
use crate::document::{Document, Removal};
use crate::error::{Error, Result};
use crate::stage::{HeldMemory, Stage, StageContext, Verdict};

/// fastText's label prefix, left out of the labels gleaner writes (as datatrove does).
pub const LABEL_PREFIX: &str = "__label__";

/// Parameters of the `classifier` stage.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClassifierConfig {
    /// The fastText supervised model (`.bin` or quantized `.ftz`); relative to the pipeline file.
    pub model: PathBuf,
    /// The label whose probability decides (`hq` or `__label__hq`). Needed with `min_score` or
    /// `keep_fraction`; without either, the stage only records scores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Keep documents whose `label` scores at least this (datatrove: `>=`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_score: Option<f64>,
    /// Keep this fraction of the corpus, the documents with the highest `label` scores (DCLM kept
    /// the top 10%). Ties at the cut-off are kept in input order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_fraction: Option<f64>,
    /// The metadata key the scores go under; defaults to the stage's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// A loaded model with its labels (prefix stripped), shared by every stage using the same file.
pub struct LoadedModel {
    /// The model.
    pub model: FastText,
    /// Its labels without `__label__`, in the model's label order.
    pub labels: Vec<String>,
    /// The file it was read from.
    pub path: PathBuf,
    /// The file's size: what the model holds in memory, to within its small headers (its
    /// matrices are read as stored, a `.ftz`'s quantized codes included).
    pub bytes: u64,
}

/// The memory a shared model holds for the run: stages loading the same file share one copy
/// ([`load_model`]), so its address identifies it and it is counted once.
pub fn model_memory(model: &Arc<LoadedModel>) -> HeldMemory {
    HeldMemory {
        id: Arc::as_ptr(model) as usize,
        bytes: model.bytes,
    }
}

impl LoadedModel {
    /// Every label's probability for `text`, in label order, as fastText's `predict` reports it.
    /// A text with no token at all (impossible for a model whose vocabulary holds the
    /// end-of-sentence token, as every supervised model's does) scores 0 everywhere.
    pub fn probabilities(&self, text: &str) -> Vec<f32> {
        self.model
            .label_probabilities(text)
            .unwrap_or_else(|_| vec![0.0; self.labels.len()])
    }

    /// Index of `label` (with or without the prefix), or a config error listing the labels.
    pub fn label_index(&self, stage: &str, label: &str) -> Result<usize> {
        let bare = label.strip_prefix(LABEL_PREFIX).unwrap_or(label);
        self.labels.iter().position(|l| l == bare).ok_or_else(|| {
            Error::Config(format!(
                "stage {stage}: model {} has no label {bare:?}; its labels: {}",
                self.path.display(),
                self.labels.join(", ")
            ))
        })
    }
}

/// Loads a fastText model file once per process: stages naming the same file (same path, size
/// and modification time) share one copy, since a large classifier can take gigabytes.
pub fn load_model(stage: &str, path: &Path) -> Result<Arc<LoadedModel>> {
    type Cache = Mutex<HashMap<(PathBuf, u64, Option<std::time::SystemTime>), Weak<LoadedModel>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    if path.as_os_str().is_empty() {
        return Err(Error::Config(format!(
            "stage {stage}: `model = \"PATH\"` (a fastText .bin or .ftz file) is required"
        )));
    }
    let meta = std::fs::metadata(path).map_err(|e| {
        Error::Config(format!(
            "stage {stage}: cannot read model {}: {e}",
            path.display()
        ))
    })?;
    let key = (path.to_path_buf(), meta.len(), meta.modified().ok());
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(model) = cache.get(&key).and_then(Weak::upgrade) {
        return Ok(model);
    }
    let model = FastText::load(path).map_err(|e| {
        Error::Config(format!(
            "stage {stage}: {} is not a readable fastText model: {e}",
            path.display()
        ))
    })?;
    let labels = model
        .labels()
        .iter()
        .map(|l| l.strip_prefix(LABEL_PREFIX).unwrap_or(l).to_string())
        .collect();
    let loaded = Arc::new(LoadedModel {
        model,
        labels,
        path: path.to_path_buf(),
        bytes: meta.len(),
    });
    cache.insert(key, Arc::downgrade(&loaded));
    Ok(loaded)
}

/// Builds the stage: per document with `min_score` or no filter, a corpus stage with
/// `keep_fraction`.
pub fn build(cfg: ClassifierConfig) -> Result<BuiltStage> {
    let scorer = Scorer::new(&cfg)?;
    match cfg.keep_fraction {
        Some(fraction) => Ok(BuiltStage::Corpus(Box::new(
            super::top_fraction::TopFraction::new(scorer, fraction)?,
        ))),
        None => Ok(BuiltStage::Document(Box::new(Classifier {
            scorer,
            min_score: cfg.min_score,
        }))),
    }
}

/// Scores documents with a model and records the scores: the part shared by the per-document
/// and the corpus form of the stage.
pub struct Scorer {
    model: Arc<LoadedModel>,
    key: String,
    /// The deciding label's index and name, when the stage filters.
    label: Option<(usize, String)>,
}

impl Scorer {
    /// Loads the model and checks the parameters.
    pub fn new(cfg: &ClassifierConfig) -> Result<Self> {
        let stage = "classifier";
        let model = load_model(stage, &cfg.model)?;
        if let Some(m) = cfg.min_score
            && !(0.0..=1.0).contains(&m)
        {
            return Err(Error::Config(format!(
                "stage {stage}: min_score must be in [0, 1], got {m}"
            )));
        }
        if cfg.min_score.is_some() && cfg.keep_fraction.is_some() {
            return Err(Error::Config(format!(
                "stage {stage}: give min_score or keep_fraction, not both (use two stages)"
            )));
        }
        let filters = cfg.min_score.is_some() || cfg.keep_fraction.is_some();
        let label = match (&cfg.label, filters) {
            (Some(l), _) => {
                let i = model.label_index(stage, l)?;
                Some((i, model.labels[i].clone()))
            }
            (None, true) if model.labels.len() == 1 => Some((0, model.labels[0].clone())),
            (None, true) => {
                return Err(Error::Config(format!(
                    "stage {stage}: min_score and keep_fraction need `label = \"...\"`, one of: {}",
                    model.labels.join(", ")
                )));
            }
            (None, false) => None,
        };
        Ok(Scorer {
            model,
            key: cfg.key.clone().unwrap_or_else(|| stage.to_string()),
            label,
        })
    }

    /// Scores `doc`, records every label's probability under `metadata.<key>`, and returns the
    /// deciding label's probability (0 when the stage does not filter).
    pub fn score(&self, doc: &mut Document) -> f32 {
        let probs = self.model.probabilities(&doc.text);
        let mut scores = Map::new();
        for (label, p) in self.model.labels.iter().zip(&probs) {
            // The single-precision probability widened to f64: what `numpy.float32.item()`
            // gives the Python package's users.
            scores.insert(label.clone(), Value::from(f64::from(*p)));
        }
        doc.metadata.insert(self.key.clone(), Value::Object(scores));
        self.label.as_ref().map_or(0.0, |(i, _)| probs[*i])
    }

    /// The deciding label's probability for `text`, without recording anything.
    pub fn label_score(&self, text: &str) -> f32 {
        let probs = self.model.probabilities(text);
        self.label.as_ref().map_or(0.0, |(i, _)| probs[*i])
    }

    /// What identifies the model file for resume: its path, size and modification time.
    pub fn model_identity(&self) -> serde_json::Value {
        let meta = std::fs::metadata(&self.model.path).ok();
        json!({
            "path": self.model.path,
            "bytes": meta.as_ref().map(|m| m.len()),
            "modified": meta
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos().to_string()),
        })
    }

    /// The deciding label, without prefix.
    pub fn label(&self) -> &str {
        self.label.as_ref().map_or("", |(_, l)| l.as_str())
    }

    /// The metadata key scores are recorded under.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The model's memory, held for the whole run.
    pub fn held_memory(&self) -> HeldMemory {
        model_memory(&self.model)
    }
}

/// The per-document form: records scores, keeps by `min_score`.
pub struct Classifier {
    scorer: Scorer,
    min_score: Option<f64>,
}

impl Stage for Classifier {
    fn kind(&self) -> &'static str {
        "classifier"
    }

    fn process(&self, doc: &mut Document, _cx: &mut StageContext) -> Verdict {
        let score = self.scorer.score(doc);
        match self.min_score {
            Some(min) if f64::from(score) < min => Verdict::Drop(Removal::new(
                "classifier_score",
                json!({"label": self.scorer.label(), "score": f64::from(score)}),
                min,
            )),
            _ => Verdict::Keep,
        }
    }

    fn held_memory(&self) -> Option<HeldMemory> {
        Some(self.scorer.held_memory())
    }
}

#[cfg(test)]
#[path = "classifier_tests.rs"]
mod tests;
