//! Language identification with fastText `lid.176` (built in) or any fastText language-ID model
//! (`model = PATH`: GlotLID, OpenLID), deciding like datatrove 0.10.1's `LanguageFilter` (the
//! first step of the FineWeb recipe).
//!
//! With a model whose labels carry a script (`__label__eng_Latn`, GlotLID and OpenLID),
//! `metadata.language` is the language part (`eng`) and `metadata.language_script` the script
//! (`Latn`), as datatrove's GlotLID backend writes them; `languages` and
//! `min_score_per_language` name full labels (`eng_Latn`). `min_score_per_language` gives a
//! language its own threshold (FineWeb-2 tunes one per language); the others use `min_score`.
//!
//! The model is the quantized `lid.176.ftz` (176 languages, 917 KiB; © Facebook, CC-BY-SA-3.0)
//! as shipped inside the `fasttext-pure-rs` package, copied to `crates/gleaner/assets/` and
//! compiled into the binary, so nothing is downloaded at run time. Inference is
//! `fasttext-pure-rs`, a pure-Rust port of fastText's predict path (the `fasttext` crate loads the
//! same model but returns wrong labels). The model is decoded once per process and shared by
//! every stage instance and thread.
//!
//! What datatrove does, and what this stage reproduces (datatrove `utils/lid.py`,
//! `filters/language_filter.py`):
//! * the model sees `doc.text.replace("\n", " ")`: the whole document as one line, with one
//!   end-of-sentence token at the end;
//! * the top label and its probability go to `metadata.language` / `metadata.language_score`
//!   for every document, kept or not;
//! * with a language list, a document is kept when one of the listed languages scores strictly
//!   above `language_threshold`; without one (datatrove's `languages=None`), when the top label
//!   does.
//!
//! Inference follows fastText's C++ code exactly: words are split on ASCII whitespace only (a
//! no-break space stays inside a word), and the hierarchical-softmax sigmoid and logarithm are
//! computed as its prediction path does. Upstream `fasttext-pure-rs` 0.1.0 differs on both
//! (scores off by up to 0.33 on raw page text); gleaner builds a patched copy
//! (`vendor/fasttext-pure-rs/PATCHED.md`), and `bench/parity/language.py` finds labels, scores
//! and decisions identical to datatrove's on 5,804 real documents.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use fasttext_pure_rs::FastText;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::document::{Document, Removal};
use crate::error::{Error, Result};
use crate::stage::{HeldMemory, Stage, StageContext, Verdict};
use crate::stages::classifier::{LoadedModel, load_model, model_memory};

/// The `lid.176.ftz` model bytes (CC-BY-SA-3.0, see `NOTICE`).
const LID_176_FTZ: &[u8] = include_bytes!("../../assets/lid.176.ftz");

/// fastText's label prefix, stripped from the labels written to metadata (datatrove keeps the
/// part after `__label__`).
const LABEL_PREFIX: &str = "__label__";

/// Parameters of [`LanguageFilter`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LanguageConfig {
    /// ISO 639 codes as `lid.176` writes them (`en`, `de`, `zh`…). Empty means any language
    /// (datatrove's `languages=None`). Default `["en"]`: datatrove's default is `None`, but its
    /// FineWeb recipe and every published English corpus pass English.
    pub languages: Vec<String>,
    /// A listed language must score strictly above this.
    // datatrove 0.10.1 LanguageFilter: language_threshold=0.65
    pub min_score: f64,
    /// Only label documents (metadata), never drop (datatrove's `label_only`).
    pub label_only: bool,
    /// Another fastText language-ID model instead of the built-in lid.176: GlotLID
    /// (`model_v3.bin`), OpenLID or any other; `languages` then uses its labels (`eng_Latn`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<PathBuf>,
    /// Thresholds per language that replace `min_score` for that language (FineWeb-2 tunes one
    /// per language), e.g. `{ eng_Latn = 0.7, srp_Cyrl = 0.4 }`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub min_score_per_language: BTreeMap<String, f64>,
}

impl Default for LanguageConfig {
    fn default() -> Self {
        LanguageConfig {
            languages: vec!["en".to_string()],
            min_score: 0.65,
            label_only: false,
            model: None,
            min_score_per_language: BTreeMap::new(),
        }
    }
}

/// The process-wide model: decoded on first use, then shared.
fn model() -> Result<&'static FastText> {
    static MODEL: OnceLock<std::result::Result<FastText, String>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            FastText::load_from_reader(std::io::Cursor::new(LID_176_FTZ))
                .map_err(|e| format!("cannot load the built-in lid.176.ftz model: {e}"))
        })
        .as_ref()
        .map_err(|e| Error::Config(e.clone()))
}

/// Every label `lid.176` gives (without the prefix), sorted.
fn model_labels(model: &FastText) -> &'static [String] {
    static LABELS: OnceLock<Vec<String>> = OnceLock::new();
    LABELS.get_or_init(|| {
        let mut labels: Vec<String> = model
            .labels()
            .into_iter()
            .map(|l| l.strip_prefix(LABEL_PREFIX).unwrap_or(l).to_string())
            .collect();
        labels.sort();
        labels
    })
}

/// Refuses language codes the model never gives (a document could never match them, so a
/// filter listing only such codes removes everything), suggesting the nearest known codes.
fn check_languages(model_name: &str, languages: &[String], labels: &[String]) -> Result<()> {
    let unknown: Vec<String> = languages
        .iter()
        .filter(|l| !labels.contains(l))
        .map(|l| {
            format!(
                "{l:?} (did you mean {}?)",
                nearest_labels(l, labels).join(" or ")
            )
        })
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(Error::Config(format!(
        "stage language: {model_name} has no language {}; its {} labels: {}",
        unknown.join(", "),
        labels.len(),
        if labels.len() > 12 {
            format!("{}, …", labels[..12].join(", "))
        } else {
            labels.join(", ")
        }
    )))
}

/// Up to three known codes nearest `code`: its lowercase form if known; otherwise codes that
/// are a prefix of it or it of them (`deu` → `de`, `eng` → `en`) first, then by edit distance.
fn nearest_labels<'a>(code: &str, labels: &'a [String]) -> Vec<&'a str> {
    let code = code.trim().to_lowercase();
    if let Some(l) = labels.iter().find(|l| **l == code) {
        return vec![l];
    }
    let mut ranked: Vec<(bool, usize, &str)> = labels
        .iter()
        .map(|l| {
            let prefix = code.starts_with(l.as_str()) || l.starts_with(&code);
            (!prefix, strsim::levenshtein(&code, l), l.as_str())
        })
        .collect();
    ranked.sort();
    ranked.into_iter().take(3).map(|(_, _, l)| l).collect()
}

/// The model a language stage uses: the built-in lid.176 or a file.
enum LidModel {
    BuiltIn(&'static FastText),
    File(Arc<LoadedModel>),
}

impl LidModel {
    fn fasttext(&self) -> &FastText {
        match self {
            LidModel::BuiltIn(m) => m,
            LidModel::File(m) => &m.model,
        }
    }

    fn name(&self) -> String {
        match self {
            LidModel::BuiltIn(_) => "lid.176".to_string(),
            LidModel::File(m) => m.path.display().to_string(),
        }
    }
}

/// Splits a GlotLID / OpenLID label (`eng_Latn`: ISO 639-3 code, `_`, ISO 15924 script) into
/// language and script, as datatrove's GlotLID backend does; `None` for labels without a
/// script (lid.176's `en`).
pub fn split_script(label: &str) -> Option<(&str, &str)> {
    let (lang, script) = label.split_once('_')?;
    let is_script = script.len() == 4
        && script.starts_with(|c: char| c.is_ascii_uppercase())
        && script[1..].chars().all(|c| c.is_ascii_lowercase());
    (is_script && !lang.is_empty()).then_some((lang, script))
}

/// A language prediction: label without the `__label__` prefix, and its probability.
#[derive(Debug, Clone, PartialEq)]
pub struct LanguagePrediction {
    /// e.g. `en`.
    pub label: String,
    /// Probability in [0, 1], as fastText computes it (single precision).
    pub score: f32,
}

/// Identifies languages with `lid.176` or another fastText model, records them, and drops
/// documents not in the list.
pub struct LanguageFilter {
    cfg: LanguageConfig,
    model: LidModel,
    label_count: usize,
}

impl LanguageFilter {
    /// Loads (once per process) the model and checks the parameters.
    pub fn new(cfg: LanguageConfig) -> Result<Self> {
        let scores = std::iter::once(("min_score".to_string(), cfg.min_score)).chain(
            cfg.min_score_per_language
                .iter()
                .map(|(l, v)| (format!("min_score_per_language.{l}"), *v)),
        );
        for (name, v) in scores {
            if !(0.0..=1.0).contains(&v) {
                return Err(Error::Config(format!(
                    "stage language: {name} must be in [0, 1], got {v}"
                )));
            }
        }
        let (model, labels) = match &cfg.model {
            None => {
                let m = model()?;
                (LidModel::BuiltIn(m), model_labels(m).to_vec())
            }
            Some(path) => {
                let m = load_model("language", path)?;
                let mut labels = m.labels.clone();
                labels.sort();
                (LidModel::File(m), labels)
            }
        };
        check_languages(&model.name(), &cfg.languages, &labels)?;
        let per_language: Vec<String> = cfg.min_score_per_language.keys().cloned().collect();
        check_languages(&model.name(), &per_language, &labels)?;
        Ok(LanguageFilter {
            cfg,
            model,
            label_count: labels.len(),
        })
    }

    /// The threshold a removal names: the top label's without a language list, else the
    /// listed languages' (one number when they share `min_score`).
    fn removal_threshold(&self, top: &str) -> Value {
        if self.cfg.languages.is_empty() {
            return json!(self.threshold(top));
        }
        if self.cfg.min_score_per_language.is_empty() {
            return json!(self.cfg.min_score);
        }
        let per: serde_json::Map<String, Value> = self
            .cfg
            .languages
            .iter()
            .map(|l| (l.clone(), json!(self.threshold(l))))
            .collect();
        Value::Object(per)
    }

    /// The threshold `label` must score strictly above.
    fn threshold(&self, label: &str) -> f64 {
        self.cfg
            .min_score_per_language
            .get(label)
            .copied()
            .unwrap_or(self.cfg.min_score)
    }

    /// The top `k` labels for `text`, best first. fastText's own `predict` refuses text with
    /// newlines; datatrove replaces them by spaces. Both are whitespace to the tokenizer, which
    /// splits on them and adds one end-of-sentence token at the end of the input, so passing
    /// the text unchanged gives the same tokens without copying it.
    pub fn predict(&self, text: &str, k: usize, threshold: f32) -> Vec<LanguagePrediction> {
        // The only error is an input without any token, which cannot happen for lid.176 (the
        // end-of-sentence token is in its vocabulary); treat it as "no prediction" regardless.
        self.model
            .fasttext()
            .predict(text, k, threshold)
            .unwrap_or_default()
            .into_iter()
            .map(|p| LanguagePrediction {
                label: p
                    .label
                    .strip_prefix(LABEL_PREFIX)
                    .unwrap_or(&p.label)
                    .to_string(),
                score: p.probability,
            })
            .collect()
    }

    /// Whether datatrove would keep a document whose top prediction is `top`: one of the listed
    /// languages (any language when none is listed: the top one) scores strictly above its
    /// threshold.
    fn accepts(&self, text: &str, top: &LanguagePrediction) -> bool {
        let top_passes = f64::from(top.score) > self.threshold(&top.label);
        if self.cfg.languages.is_empty() {
            return top_passes;
        }
        let top_listed = self.cfg.languages.contains(&top.label);
        if top_listed && top_passes {
            return true;
        }
        let lowest = self
            .cfg
            .languages
            .iter()
            .map(|l| self.threshold(l))
            .fold(f64::INFINITY, f64::min);
        if top_listed && self.cfg.min_score_per_language.is_empty() {
            // One threshold for all: no other listed label scores above the top one.
            return false;
        }
        if lowest >= 0.5 {
            // A label other than the top one scores below 0.5.
            return false;
        }
        self.predict(text, self.label_count, lowest as f32)
            .iter()
            .any(|p| {
                self.cfg.languages.contains(&p.label)
                    && f64::from(p.score) > self.threshold(&p.label)
            })
    }
}

impl Stage for LanguageFilter {
    fn kind(&self) -> &'static str {
        "language"
    }

    fn process(&self, doc: &mut Document, cx: &mut StageContext) -> Verdict {
        let top = self
            .predict(&doc.text, 1, 0.0)
            .into_iter()
            .next()
            .unwrap_or(LanguagePrediction {
                label: "unknown".to_string(),
                score: 0.0,
            });
        // datatrove's metadata names; the score is the single-precision probability widened
        // to f64, which is what `numpy.float32.item()` gives datatrove.
        // datatrove's GlotLID backend: `eng_Latn` is language `eng`, script `Latn`.
        match split_script(&top.label) {
            Some((lang, script)) => {
                doc.metadata.insert("language".into(), Value::from(lang));
                doc.metadata
                    .insert("language_script".into(), Value::from(script));
            }
            None => {
                doc.metadata
                    .insert("language".into(), Value::from(top.label.clone()));
            }
        }
        doc.metadata
            .insert("language_score".into(), Value::from(f64::from(top.score)));
        cx.count(&format!("language.{}", top.label), 1);
        if self.cfg.label_only || self.accepts(&doc.text, &top) {
            return Verdict::Keep;
        }
        Verdict::Drop(
            Removal::new(
                "language",
                json!({"label": top.label, "score": f64::from(top.score)}),
                self.removal_threshold(&top.label),
            )
            .with_detail(format!(
                "kept languages: {}",
                if self.cfg.languages.is_empty() {
                    "any".to_string()
                } else {
                    self.cfg.languages.join(", ")
                }
            )),
        )
    }

    fn held_memory(&self) -> Option<HeldMemory> {
        // The built-in lid.176 (under 1 MB, part of the binary) is not counted.
        match &self.model {
            LidModel::BuiltIn(_) => None,
            LidModel::File(m) => Some(model_memory(m)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = include_str!("../../../../examples/data/raw-example.txt");
    // Two German paragraphs from a page of the trafilatura evaluation set (Apache-2.0), see
    // NOTICE.
    const GERMAN: &str = include_str!("../../tests/fixtures/german-blog.txt");

    fn run(cfg: LanguageConfig, text: &str) -> (Document, Verdict) {
        let stage = LanguageFilter::new(cfg).unwrap();
        let mut doc = Document::new("d", text);
        let v = stage.process(&mut doc, &mut StageContext::new());
        (doc, v)
    }

    fn score_of(doc: &Document) -> f64 {
        doc.metadata["language_score"].as_f64().unwrap()
    }

    #[test]
    fn english_column_is_kept_and_labelled() {
        let (doc, v) = run(LanguageConfig::default(), SEED);
        assert_eq!(v, Verdict::Keep);
        assert_eq!(doc.metadata["language"], "en");
        assert!(score_of(&doc) > 0.9, "{}", score_of(&doc));
    }

    #[test]
    fn german_page_is_dropped_with_label_and_score() {
        let (doc, v) = run(LanguageConfig::default(), GERMAN);
        assert_eq!(doc.metadata["language"], "de");
        let Verdict::Drop(r) = v else {
            panic!("German text kept by an English filter")
        };
        assert_eq!(r.rule, "language");
        assert_eq!(r.value["label"], "de");
        assert_eq!(r.value["score"].as_f64(), Some(score_of(&doc)));
        assert_eq!(r.threshold, json!(0.65));
        // Listing German keeps it.
        let de = LanguageConfig {
            languages: vec!["de".into()],
            ..Default::default()
        };
        assert_eq!(run(de, GERMAN).1, Verdict::Keep);
    }

    #[test]
    fn both_sides_of_min_score_on_the_seed() {
        let (doc, _) = run(LanguageConfig::default(), SEED);
        let score = score_of(&doc);
        // datatrove keeps strictly above the threshold: at the score itself the document goes.
        let at = LanguageConfig {
            min_score: score,
            ..Default::default()
        };
        assert!(matches!(run(at, SEED).1, Verdict::Drop(_)));
        let below = LanguageConfig {
            min_score: score - 1e-6,
            ..Default::default()
        };
        assert_eq!(run(below, SEED).1, Verdict::Keep);
    }

    #[test]
    fn mixed_text_below_half_uses_every_label() {
        // The German fixture followed by one sentence of the seed: a mixed document where the
        // top label is German and English scores well below 0.5 but above zero.
        let english_sentence = SEED.split(". ").nth(2).unwrap();
        let mixed = format!("{GERMAN}\n{english_sentence}.");
        let stage = LanguageFilter::new(LanguageConfig::default()).unwrap();
        let all = stage.predict(&mixed, 176, 0.0);
        let en = all
            .iter()
            .find(|p| p.label == "en")
            .map_or(0.0, |p| p.score);
        assert_eq!(all[0].label, "de", "{:?}", &all[..3]);
        assert!(en > 0.001 && en < 0.5, "{:?}", &all[..3]);
        let just_below = LanguageConfig {
            min_score: f64::from(en) - 1e-5,
            ..Default::default()
        };
        assert_eq!(run(just_below, &mixed).1, Verdict::Keep);
        let just_above = LanguageConfig {
            min_score: f64::from(en) + 1e-5,
            ..Default::default()
        };
        assert!(matches!(run(just_above, &mixed).1, Verdict::Drop(_)));
    }

    #[test]
    fn any_language_and_label_only() {
        let any = LanguageConfig {
            languages: vec![],
            ..Default::default()
        };
        assert_eq!(run(any, GERMAN).1, Verdict::Keep);
        let label_only = LanguageConfig {
            label_only: true,
            ..Default::default()
        };
        let (doc, v) = run(label_only, GERMAN);
        assert_eq!(v, Verdict::Keep);
        assert_eq!(doc.metadata["language"], "de");
    }

    #[test]
    fn no_break_spaces_stay_inside_words_as_in_fasttext() {
        // fastText splits words on ASCII whitespace only: replacing the spaces of a sentence by
        // no-break spaces turns it into one long word, which the model scores differently.
        let stage = LanguageFilter::new(LanguageConfig::default()).unwrap();
        let sentence = SEED.split(". ").nth(2).unwrap();
        let glued = sentence.replace(' ', "\u{a0}");
        let plain = stage.predict(sentence, 1, 0.0);
        let nbsp = stage.predict(&glued, 1, 0.0);
        assert!(
            (plain[0].score - nbsp[0].score).abs() > 0.01,
            "{plain:?} {nbsp:?}"
        );
        // Tabs and other ASCII whitespace do split, exactly like spaces.
        let tabs = stage.predict(&sentence.replace(' ', "\t"), 1, 0.0);
        assert_eq!(plain, tabs);
    }

    #[test]
    fn empty_and_odd_inputs_do_not_panic() {
        for text in ["", " ", "\n\n", "\u{0}", "12345 67890", "🙂🙂🙂"] {
            let (doc, _) = run(LanguageConfig::default(), text);
            assert!(doc.metadata.contains_key("language"));
        }
    }

    #[test]
    fn bad_min_score_is_a_config_error() {
        let cfg = LanguageConfig {
            min_score: 1.5,
            ..Default::default()
        };
        assert!(LanguageFilter::new(cfg).is_err());
    }
}

#[cfg(test)]
#[path = "language_model_tests.rs"]
mod model_file_tests;
