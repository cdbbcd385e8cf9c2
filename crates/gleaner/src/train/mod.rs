//! `gleaner train-classifier`: labelled documents in, a fastText supervised model out.
//!
//! Examples come from JSONL or Parquet read by gleaner's own readers, either labelled by a field
//! (`--label-field`) or by the file they come from (`--positive` / `--negative`, DCLM's setup:
//! high-quality text against random web text). Each document is one example whose text is the
//! document as one line (newlines are word separators, as in the classifier stage). Training is
//! [`fasttext::train`].

pub mod fasttext;

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use crate::config::InputConfig;
use crate::error::{Error, Result};
use crate::io::{InputFile, open_records};

/// Where the labelled examples come from.
#[derive(Debug, Clone)]
pub enum ExampleSource {
    /// Every document carries its label in a field (a JSON key or Parquet column).
    LabelField {
        /// The files.
        files: Vec<PathBuf>,
        /// The field holding the label.
        field: String,
    },
    /// Documents labelled by the files they are in.
    Classes(Vec<(String, Vec<PathBuf>)>),
}

/// Examples read, and what was skipped.
#[derive(Debug, Default)]
pub struct Examples {
    /// `(label, text)`, in file and record order.
    pub examples: Vec<(String, String)>,
    /// Records that could not be read, each `file: problem` (as `rejects.jsonl` would say).
    pub rejects: Vec<String>,
    /// Documents without a usable label.
    pub unlabelled: u64,
}

/// A label's text: strings as they are, numbers and booleans as JSON writes them; the
/// `__label__` prefix is dropped if present; whitespace would split it, so it becomes `_`.
fn label_text(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(_) | Value::Bool(_) => v.to_string(),
        _ => return None,
    };
    let s = s.strip_prefix("__label__").unwrap_or(&s).trim().to_string();
    (!s.is_empty()).then(|| s.split_whitespace().collect::<Vec<_>>().join("_"))
}

/// Reads the examples. `text_field` names the text as in `[input] text_field`.
pub fn read_examples(source: &ExampleSource, text_field: &str) -> Result<Examples> {
    let input = InputConfig {
        text_field: text_field.to_string(),
        ..InputConfig::default()
    };
    let mut out = Examples::default();
    let mut read = |path: &PathBuf, label: &dyn Fn(&crate::Document) -> Option<String>| {
        let size = std::fs::metadata(path)
            .map_err(|e| Error::io(path, e))?
            .len();
        let file = InputFile::new(0, path.clone(), size);
        for record in open_records(&file, &input, Arc::default()) {
            match record {
                Err(r) => out.rejects.push(r.to_string()),
                Ok(doc) => match label(&doc) {
                    Some(l) => out.examples.push((l, doc.text)),
                    None => out.unlabelled += 1,
                },
            }
        }
        Ok::<(), Error>(())
    };
    match source {
        ExampleSource::LabelField { files, field } => {
            for f in files {
                read(f, &|d| d.metadata.get(field).and_then(label_text))?;
            }
        }
        ExampleSource::Classes(classes) => {
            for (label, files) in classes {
                for f in files {
                    read(f, &|_| Some(label.clone()))?;
                }
            }
        }
    }
    Ok(out)
}

/// Shuffles examples deterministically (Fisher-Yates with SplitMix64): fastText trains in file
/// order, so examples grouped by class must be mixed first.
pub fn shuffle(examples: &mut [(String, String)], seed: u64) {
    let mut state = seed ^ 0x5851_F42D_4C95_7F2D;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..examples.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        examples.swap(i, j);
    }
}

#[cfg(test)]
mod tests;
