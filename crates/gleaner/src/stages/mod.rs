//! The stage catalogue: every stage type a pipeline file can name, how to build it from its TOML
//! table, and its documented defaults (which `gleaner init` and `gleaner stages` print).
//!
//! Each stage family lives in its own module with a serde parameter struct whose `Default` is the
//! published default; adding a stage means adding one [`StageInfo`] line to [`registry`].

pub mod c4;
pub mod classifier;
pub mod decontaminate;
pub mod extract;
pub mod fineweb;
pub mod gopher;
pub mod language;
pub mod length;
pub mod line_clean;
pub mod normalize;
pub mod pii;
pub mod token_count;
pub mod top_fraction;
pub mod url_filter;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::stage::{CorpusStage, Stage};

/// A constructed stage, per-document or corpus-wide.
pub enum BuiltStage {
    /// Decides per document.
    Document(Box<dyn Stage>),
    /// Needs the whole corpus first.
    Corpus(Box<dyn CorpusStage>),
}

impl BuiltStage {
    /// The stage type name.
    pub fn kind(&self) -> &'static str {
        match self {
            BuiltStage::Document(s) => s.kind(),
            BuiltStage::Corpus(s) => s.kind(),
        }
    }
}

/// One entry of the catalogue.
pub struct StageInfo {
    /// `type = "..."` in a pipeline file.
    pub kind: &'static str,
    /// One line saying what it does.
    pub summary: &'static str,
    /// Builds it from its parameter table (without `type`/`name`).
    pub build: fn(toml::Table) -> Result<BuiltStage>,
    /// Its default parameters as TOML lines.
    pub defaults: fn() -> String,
}

/// Every stage type, in the order `gleaner stages` lists them.
pub fn registry() -> &'static [StageInfo] {
    &[
        StageInfo {
            kind: "normalize",
            summary: "Unicode NFC, line endings, control and zero-width characters, runs of spaces and blank lines",
            build: |t| {
                Ok(BuiltStage::Document(Box::new(
                    normalize::TextNormalizer::new(params("normalize", t)?),
                )))
            },
            defaults: || defaults_of::<normalize::NormalizeConfig>(),
        },
        StageInfo {
            kind: "extract",
            summary: "HTML to main text (navigation, footers, comments, link lists removed); title, author, date into metadata",
            build: |t| {
                Ok(BuiltStage::Document(Box::new(extract::ExtractStage::new(
                    params("extract", t)?,
                ))))
            },
            defaults: || defaults_of::<extract::ExtractConfig>(),
        },
        StageInfo {
            kind: "length_filter",
            summary: "Drops documents outside min/max characters, words or lines",
            build: |t| {
                Ok(BuiltStage::Document(Box::new(length::LengthFilter::new(
                    params("length_filter", t)?,
                )?)))
            },
            defaults: || defaults_of::<length::LengthFilterConfig>(),
        },
        StageInfo {
            kind: "gopher_repetition",
            summary: "Gopher repetition rules: duplicate lines/paragraphs, top and repeated n-grams (datatrove defaults)",
            build: |t| {
                Ok(BuiltStage::Document(Box::new(
                    gopher::GopherRepetitionFilter::new(params("gopher_repetition", t)?)?,
                )))
            },
            defaults: || defaults_of::<gopher::GopherRepetitionConfig>(),
        },
        StageInfo {
            kind: "gopher_quality",
            summary: "Gopher quality rules: word count and length, symbols, bullets, ellipses, stop words (datatrove defaults)",
            build: |t| {
                Ok(BuiltStage::Document(Box::new(
                    gopher::GopherQualityFilter::new(params("gopher_quality", t)?)?,
                )))
            },
            defaults: || defaults_of::<gopher::GopherQualityConfig>(),
        },
        StageInfo {
            kind: "c4_quality",
            summary: "C4 rules: removes lines without terminal punctuation, short, javascript and policy lines; drops lorem ipsum, curly brackets, < 5 sentences",
            build: |t| {
                Ok(BuiltStage::Document(Box::new(c4::C4QualityFilter::new(
                    params("c4_quality", t)?,
                ))))
            },
            defaults: || defaults_of::<c4::C4QualityConfig>(),
        },
        StageInfo {
            kind: "c4_paragraph",
            summary: "mC4 paragraph rule: needs 3 lines of at least 200 characters",
            build: |t| {
                Ok(BuiltStage::Document(Box::new(c4::C4ParagraphFilter::new(
                    params("c4_paragraph", t)?,
                )?)))
            },
            defaults: || defaults_of::<c4::C4ParagraphConfig>(),
        },
        StageInfo {
            kind: "fineweb_quality",
            summary: "FineWeb quality rules: terminal punctuation, short lines, duplicate line characters, newlines per word",
            build: |t| {
                Ok(BuiltStage::Document(Box::new(
                    fineweb::FineWebQualityFilter::new(params("fineweb_quality", t)?),
                )))
            },
            defaults: || defaults_of::<fineweb::FineWebQualityConfig>(),
        },
        StageInfo {
            kind: "language",
            summary: "fastText language ID (lid.176 built in, or any model: GlotLID, OpenLID): records language, script and score, drops other languages; thresholds per language",
            build: |t| {
                Ok(BuiltStage::Document(Box::new(
                    language::LanguageFilter::new(params("language", t)?)?,
                )))
            },
            defaults: || defaults_of::<language::LanguageConfig>(),
        },
        StageInfo {
            kind: "classifier",
            summary: "Any fastText supervised model (.bin/.ftz): every label's probability into metadata; keeps by min_score on a label, or the corpus's top keep_fraction",
            build: |t| classifier::build(params("classifier", t)?),
            defaults: || defaults_of::<classifier::ClassifierConfig>(),
        },
        StageInfo {
            kind: "decontaminate",
            summary: "Removes documents (or cuts lines) sharing a word 13-gram with benchmark items from JSONL/Parquet/text files (datatrove normalisation)",
            build: |t| {
                Ok(BuiltStage::Document(Box::new(
                    decontaminate::Decontaminate::new(params("decontaminate", t)?)?,
                )))
            },
            defaults: || defaults_of::<decontaminate::DecontaminateConfig>(),
        },
        StageInfo {
            kind: "pii",
            summary: "Replaces e-mail, IPv4/IPv6 addresses and phone numbers with placeholders (datatrove PIIFormatter rules), counted per kind",
            build: |t| {
                Ok(BuiltStage::Document(Box::new(pii::PiiRedactor::new(
                    params("pii", t)?,
                )?)))
            },
            defaults: || defaults_of::<pii::PiiConfig>(),
        },
        StageInfo {
            kind: "url_filter",
            summary: "Drops documents by URL: domain/URL blocklists, banned words and subwords (datatrove URLFilter rules)",
            build: |t| {
                Ok(BuiltStage::Document(Box::new(url_filter::UrlFilter::new(
                    params("url_filter", t)?,
                )?)))
            },
            defaults: || defaults_of::<url_filter::UrlFilterConfig>(),
        },
        StageInfo {
            kind: "line_clean",
            summary: "Removes teaser paragraphs cut mid-sentence and navigation/UI lines, each with its rule",
            build: |t| {
                Ok(BuiltStage::Document(Box::new(
                    line_clean::LineCleaner::new(params("line_clean", t)?)?,
                )))
            },
            defaults: || defaults_of::<line_clean::LineCleanConfig>(),
        },
        StageInfo {
            kind: "token_count",
            summary: "Counts tokens (tiktoken cl100k_base/o200k_base or a tokenizer.json) into metadata.tokens; stages after it report tokens in/out/removed",
            build: |t| {
                Ok(BuiltStage::Document(Box::new(
                    token_count::TokenCount::new(params("token_count", t)?)?,
                )))
            },
            defaults: || defaults_of::<token_count::TokenCountConfig>(),
        },
        StageInfo {
            kind: "exact_dedup",
            summary: "Drops exact copies (hash of whitespace-normalized text); keeps the first in input order",
            build: |t| {
                Ok(BuiltStage::Corpus(Box::new(crate::dedup::ExactDedup::new(
                    params("exact_dedup", t)?,
                ))))
            },
            defaults: || defaults_of::<crate::dedup::ExactDedupConfig>(),
        },
        StageInfo {
            kind: "line_dedup",
            summary: "Removes lines or paragraphs repeated in at least N documents across the corpus (CCNet)",
            build: |t| {
                Ok(BuiltStage::Corpus(Box::new(crate::dedup::LineDedup::new(
                    params("line_dedup", t)?,
                )?)))
            },
            defaults: || defaults_of::<crate::dedup::LineDedupConfig>(),
        },
        StageInfo {
            kind: "minhash_dedup",
            summary: "MinHash-LSH near-duplicate clusters (5-gram shingles, 14x8 bands); keeps the first in input order",
            build: |t| {
                Ok(BuiltStage::Corpus(Box::new(
                    crate::dedup::MinHashDedup::new(params("minhash_dedup", t)?)?,
                )))
            },
            defaults: || defaults_of::<crate::dedup::MinHashDedupConfig>(),
        },
    ]
}

/// Stage types whose `key` parameter (the metadata key they write) defaults to the stage's name.
const STAGES_KEYED_BY_NAME: &[&str] = &["classifier"];

/// Stage types with a `max_memory` parameter that defaults to the run's memory budget.
const STAGES_BOUNDED_BY_RUN_MEMORY: &[&str] = &["decontaminate"];

/// Looks a stage type up by name.
pub fn find(kind: &str) -> Option<&'static StageInfo> {
    registry().iter().find(|s| s.kind == kind)
}

/// Builds a stage from a `[[stage]]` table; returns its instance name and the stage.
/// `run_memory` is the run's memory budget (`--memory`), for stages that bound what they hold.
pub fn build_stage(
    index: usize,
    table: &toml::Table,
    run_memory: u64,
) -> Result<(String, BuiltStage)> {
    let mut table = table.clone();
    let kind = match table.remove("type") {
        Some(toml::Value::String(s)) => s,
        _ => {
            return Err(Error::Config(format!(
                "stage {} has no `type = \"...\"`",
                index + 1
            )));
        }
    };
    let name = match table.remove("name") {
        Some(toml::Value::String(s)) => s,
        Some(_) => {
            return Err(Error::Config(format!(
                "stage {}: `name` must be a string",
                index + 1
            )));
        }
        None => kind.clone(),
    };
    let info = find(&kind).ok_or_else(|| {
        let known: Vec<&str> = registry().iter().map(|s| s.kind).collect();
        Error::Config(format!(
            "stage {} has unknown type {kind:?}; known types: {}",
            index + 1,
            known.join(", ")
        ))
    })?;
    if STAGES_KEYED_BY_NAME.contains(&kind.as_str()) && !table.contains_key("key") {
        table.insert("key".into(), toml::Value::String(name.clone()));
    }
    if STAGES_BOUNDED_BY_RUN_MEMORY.contains(&kind.as_str()) && !table.contains_key("max_memory") {
        let bytes = i64::try_from(run_memory).unwrap_or(i64::MAX);
        table.insert("max_memory".into(), toml::Value::Integer(bytes));
    }
    let stage = (info.build)(table)?;
    Ok((name, stage))
}

/// Deserialises a stage's parameters, naming the stage in any error.
pub fn params<T: DeserializeOwned>(kind: &str, table: toml::Table) -> Result<T> {
    toml::Value::Table(table)
        .try_into()
        .map_err(|e| Error::Config(format!("stage {kind}: {e}")))
}

/// Refuses a lower bound above its upper bound, which would leave no value between them (for
/// a filter: every document removed), naming the stage and both parameters. `off` is the value
/// that turns a bound off (0 for the gopher rules); such a bound contradicts nothing.
pub fn check_bounds<T: PartialOrd + std::fmt::Display>(
    stage: &str,
    (min_name, min): (&str, T),
    (max_name, max): (&str, T),
    off: Option<T>,
) -> Result<()> {
    let is_off = |v: &T| off.as_ref() == Some(v);
    if min > max && !is_off(&min) && !is_off(&max) {
        return Err(Error::Config(format!(
            "stage {stage}: {min_name} ({min}) is above {max_name} ({max}), so no value lies between them"
        )));
    }
    Ok(())
}

/// A parameter struct's defaults as TOML `key = value` lines.
pub fn defaults_of<T: Default + Serialize>() -> String {
    toml::to_string(&T::default()).unwrap_or_default()
}
