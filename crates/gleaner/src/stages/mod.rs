//! The stage catalogue: every stage type a pipeline file can name, how to build it from its TOML
//! table, and its documented defaults (which `gleaner init` and `gleaner stages` print).
//!
//! Each stage family lives in its own module with a serde parameter struct whose `Default` is the
//! published default; adding a stage means adding one [`StageInfo`] line to [`registry`].

pub mod extract;
pub mod length;
pub mod normalize;

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
    ]
}

/// Looks a stage type up by name.
pub fn find(kind: &str) -> Option<&'static StageInfo> {
    registry().iter().find(|s| s.kind == kind)
}

/// Builds a stage from a `[[stage]]` table; returns its instance name and the stage.
pub fn build_stage(index: usize, table: &toml::Table) -> Result<(String, BuiltStage)> {
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
    let stage = (info.build)(table)?;
    Ok((name, stage))
}

/// Deserialises a stage's parameters, naming the stage in any error.
pub fn params<T: DeserializeOwned>(kind: &str, table: toml::Table) -> Result<T> {
    toml::Value::Table(table)
        .try_into()
        .map_err(|e| Error::Config(format!("stage {kind}: {e}")))
}

/// A parameter struct's defaults as TOML `key = value` lines.
pub fn defaults_of<T: Default + Serialize>() -> String {
    toml::to_string(&T::default()).unwrap_or_default()
}
