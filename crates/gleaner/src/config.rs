//! The pipeline file: a TOML document naming the input, the output and the stages in order.
//!
//! ```toml
//! [input]
//! paths = ["data/*.jsonl.zst"]
//!
//! [output]
//! dir = "out"
//!
//! [[stage]]
//! type = "normalize"
//!
//! [[stage]]
//! type = "length_filter"
//! min_words = 50
//! ```
//!
//! Relative paths in the file resolve against the file's own directory, so a pipeline runs the
//! same from any working directory; paths given on the command line resolve against the working
//! directory as usual. Every section has defaults, and every stage's parameters are a serde struct
//! with documented defaults (see [`crate::stages`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, IoContext, Result};

/// A whole pipeline file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// Where documents come from.
    #[serde(default)]
    pub input: InputConfig,
    /// Where results go.
    #[serde(default)]
    pub output: OutputConfig,
    /// Resources.
    #[serde(default)]
    pub run: RunConfig,
    /// The stages, in order. Each table has `type` (the stage kind), an optional `name`, and the
    /// stage's own parameters.
    #[serde(default, rename = "stage")]
    pub stages: Vec<toml::Table>,
}

/// `[input]`: the documents to read.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InputConfig {
    /// Files, directories (read recursively) or glob patterns. Order is made deterministic by
    /// sorting the expanded file list.
    pub paths: Vec<PathBuf>,
    /// `auto` (by extension, then content), `jsonl`, `parquet` or `warc` (WARC, WET, ARC).
    pub format: InputFormat,
    /// JSON field / Parquet column holding the text.
    pub text_field: String,
    /// JSON field / Parquet column holding the id.
    pub id_field: String,
    /// Records larger than this are rejected instead of read into memory.
    pub max_record_bytes: ByteSize,
    /// Check each WARC record's `WARC-Block-Digest` (sha1, as Common Crawl writes it) and reject
    /// a record whose block does not match it (`block_digest_mismatch`). Unset: checked in crawl
    /// files without a checksum of their own (plain, zstd), not in gzip files, whose members'
    /// CRC already catches altered bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_block_digest: Option<bool>,
}

impl Default for InputConfig {
    fn default() -> Self {
        InputConfig {
            paths: Vec::new(),
            format: InputFormat::Auto,
            text_field: "text".into(),
            id_field: "id".into(),
            max_record_bytes: ByteSize(256 << 20),
            verify_block_digest: None,
        }
    }
}

/// Input file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    /// Decide from each file's name (`.jsonl`, `.json`, `.parquet`, with `.gz`/`.zst`).
    Auto,
    /// One JSON object per line.
    Jsonl,
    /// Apache Parquet.
    Parquet,
    /// Crawl files: WARC 0.18–1.1 (including WET and WAT) and ARC, plain or gzipped.
    Warc,
}

/// `[output]`: where and how to write.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputConfig {
    /// Output directory (created if missing).
    pub dir: Option<PathBuf>,
    /// `jsonl` or `parquet`.
    pub format: OutputFormat,
    /// For JSONL: `zst`, `gz` or `none`. Parquet compresses its pages with zstd regardless.
    pub compression: Compression,
    /// zstd/gzip level (also the zstd level of Parquet pages, clamped to 1..=22).
    ///
    /// The default is 1 because compression dominates a light pipeline's cost. zstd 1.5.4
    /// (`zstd -b`) on 122 MB of news-article JSONL, one core of the 2-core benchmark machine:
    ///
    /// | level | MB/s in | ratio |
    /// |------:|--------:|------:|
    /// | `-3` (`--fast=3`) | ~300-380 | 1.74 |
    /// | `-1` (`--fast=1`) | ~380 | 1.90 |
    /// | 1 | ~330 | 2.55 |
    /// | 2 | ~170 | 2.79 |
    /// | 3 | ~146 | 2.96 |
    ///
    /// Level 1 compresses 2.2× faster than 3 for 16% more bytes; the negative levels buy little
    /// speed on text and lose a third of the ratio. Raise it (e.g. 9–19) for archival output.
    pub level: i32,
    /// A shard is closed once it holds this many documents.
    pub max_docs_per_shard: u64,
    /// A shard is closed once this many uncompressed bytes were written to it.
    pub max_bytes_per_shard: ByteSize,
    /// Also write removed documents with their reasons (`removed/`).
    pub write_removed: bool,
    /// `format = "tokens"`: tokenizer, special tokens and shuffle of the token shards.
    pub tokens: crate::tokens::TokenOutputConfig,
    /// Write `report.html` at the end of the run. It re-reads the output (bounded samples), which
    /// costs a noticeable share of a run that only normalizes; turn off for throughput work.
    pub report: bool,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            dir: None,
            format: OutputFormat::Jsonl,
            compression: Compression::Zst,
            // See the size/speed table on `level`.
            level: 1,
            max_docs_per_shard: 100_000,
            max_bytes_per_shard: ByteSize(512 << 20),
            write_removed: true,
            tokens: Default::default(),
            report: true,
        }
    }
}

/// Output file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// JSON lines, `{"id","text","metadata"}`.
    Jsonl,
    /// Apache Parquet with `id`, `text`, `metadata` (JSON string) columns.
    Parquet,
    /// Token ids of the kept documents as Megatron-LM indexed datasets (`.bin` + `.idx`),
    /// globally shuffled (`[output.tokens]`); removed documents are written as JSONL.
    Tokens,
}

/// Compression of JSONL output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Zstandard (`.zst`).
    Zst,
    /// Gzip (`.gz`).
    Gz,
    /// Plain text.
    None,
}

impl Compression {
    /// File name suffix including the dot, empty for none.
    pub fn suffix(self) -> &'static str {
        match self {
            Compression::Zst => ".zst",
            Compression::Gz => ".gz",
            Compression::None => "",
        }
    }
}

/// `[run]`: resources.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Memory budget for corpus-wide stages (dedup), e.g. `"2GiB"`.
    pub memory: ByteSize,
    /// Documents per batch handed to the worker threads.
    pub batch_size: usize,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            threads: 0,
            memory: ByteSize(2 << 30),
            batch_size: 1024,
        }
    }
}

impl PipelineConfig {
    /// Parses a pipeline from TOML text; relative paths are resolved against `base_dir`.
    pub fn from_toml(text: &str, base_dir: &Path) -> Result<Self> {
        let mut cfg: PipelineConfig =
            toml::from_str(text).map_err(|e| Error::Config(e.to_string()))?;
        cfg.input.paths = cfg
            .input
            .paths
            .iter()
            .map(|p| resolve(base_dir, p))
            .collect();
        cfg.output.dir = cfg.output.dir.as_ref().map(|p| resolve(base_dir, p));
        if let Some(f) = cfg.output.tokens.tokenizer_file.as_mut() {
            *f = resolve(base_dir, Path::new(f)).display().to_string();
        }
        for table in &mut cfg.stages {
            resolve_stage_paths(table, base_dir);
        }
        Ok(cfg)
    }

    /// Reads and parses a pipeline file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_path(path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_toml(&text, base).map_err(|e| match e {
            Error::Config(m) => Error::Config(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// The config as TOML (used to record the effective pipeline in the output directory).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

/// Stage parameters named `model` or ending in `_file`, `_files`, `_path` or `_dir` name files; they
/// resolve against the pipeline file's directory like the input paths do.
fn resolve_stage_paths(table: &mut toml::Table, base: &Path) {
    for (key, value) in table.iter_mut() {
        let is_path = ["_file", "_files", "_path", "_paths", "_dir"]
            .iter()
            .any(|s| key.ends_with(s))
            || key == "model"
            // Dedup index directories (`save_index`, `against`).
            || key == "save_index"
            || key == "against";
        if !is_path {
            continue;
        }
        match value {
            toml::Value::String(s) => *s = resolve(base, Path::new(s)).display().to_string(),
            toml::Value::Array(items) => {
                for item in items {
                    if let toml::Value::String(s) = item {
                        *s = resolve(base, Path::new(s)).display().to_string();
                    }
                }
            }
            _ => {}
        }
    }
}

fn resolve(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() || base.as_os_str().is_empty() {
        p.to_path_buf()
    } else {
        lexical_clean(&base.join(p))
    }
}

/// Drops `.` and folds `dir/..` without touching the file system, so `examples/../out` prints as
/// `out` (the target may not exist yet, which rules out `canonicalize`).
fn lexical_clean(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        PathBuf::from(".")
    } else {
        out.iter().collect()
    }
}

/// A byte count written as an integer or a string with a unit (`"512MiB"`, `"2GB"`, `"64k"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl std::str::FromStr for ByteSize {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let t = s.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: f64 = num
            .parse()
            .map_err(|_| format!("not a size: {s:?} (expected e.g. 512MiB)"))?;
        let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" => 1_000,
            "kib" => 1 << 10,
            "m" | "mb" => 1_000_000,
            "mib" => 1 << 20,
            "g" | "gb" => 1_000_000_000,
            "gib" => 1 << 30,
            "t" | "tb" => 1_000_000_000_000,
            "tib" => 1 << 40,
            other => return Err(format!("unknown size unit {other:?} in {s:?}")),
        };
        Ok(ByteSize((n * mult as f64) as u64))
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(ByteSize(n)),
            Raw::S(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_parse_with_units() {
        assert_eq!("2GiB".parse::<ByteSize>().unwrap().0, 2 << 30);
        assert_eq!("512MB".parse::<ByteSize>().unwrap().0, 512_000_000);
        assert_eq!("1024".parse::<ByteSize>().unwrap().0, 1024);
        assert!("12 parsecs".parse::<ByteSize>().is_err());
    }

    #[test]
    fn relative_paths_resolve_against_the_pipeline_file() {
        let cfg = PipelineConfig::from_toml(
            "[input]\npaths=[\"data/a.jsonl\", \"/abs.jsonl\"]\n[output]\ndir=\"out\"\n\
             [[stage]]\ntype=\"url_filter\"\nblocklist_file=\"lists/x.txt\"\n",
            Path::new("/p"),
        )
        .unwrap();
        assert_eq!(cfg.input.paths[0], PathBuf::from("/p/data/a.jsonl"));
        assert_eq!(cfg.input.paths[1], PathBuf::from("/abs.jsonl"));
        assert_eq!(cfg.output.dir.unwrap(), PathBuf::from("/p/out"));
        assert_eq!(
            cfg.stages[0]["blocklist_file"].as_str(),
            Some("/p/lists/x.txt")
        );
    }

    #[test]
    fn unknown_sections_are_errors() {
        let err = PipelineConfig::from_toml("[inptu]\npaths=[]\n", Path::new("")).unwrap_err();
        assert!(err.to_string().contains("inptu"), "{err}");
    }
}
