//! Run statistics: per-stage document and byte counts, removals and removed lines per rule, and
//! counters stages report. Everything is a sum, so stats merged from any number of threads in any
//! order are identical, and `stats.json` is byte-identical across thread counts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Counts for one stage of the pipeline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StageStats {
    /// Stage instance name.
    pub name: String,
    /// Stage type.
    pub kind: String,
    /// Documents that reached the stage.
    pub docs_in: u64,
    /// Documents that left it kept.
    pub docs_out: u64,
    /// UTF-8 bytes of text that reached the stage.
    pub bytes_in: u64,
    /// UTF-8 bytes of text of the kept documents after the stage.
    pub bytes_out: u64,
    /// Documents removed, per rule.
    pub removed_by_rule: BTreeMap<String, u64>,
    /// Lines removed from kept or removed documents, per rule.
    pub lines_removed_by_rule: BTreeMap<String, u64>,
    /// Stage-specific counters (characters normalised, PII redacted, …).
    pub counters: BTreeMap<String, u64>,
    /// Tokens of the documents that reached the stage; counted from a `token_count` stage on.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tokens_in: u64,
    /// Tokens of the kept documents after the stage (recounted when it rewrote the text).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tokens_out: u64,
    /// Tokens of the documents removed, per rule.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tokens_removed_by_rule: BTreeMap<String, u64>,
}

impl StageStats {
    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &StageStats) {
        self.docs_in += other.docs_in;
        self.docs_out += other.docs_out;
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
        add_maps(&mut self.removed_by_rule, &other.removed_by_rule);
        add_maps(
            &mut self.lines_removed_by_rule,
            &other.lines_removed_by_rule,
        );
        add_maps(&mut self.counters, &other.counters);
        self.tokens_in += other.tokens_in;
        self.tokens_out += other.tokens_out;
        add_maps(
            &mut self.tokens_removed_by_rule,
            &other.tokens_removed_by_rule,
        );
    }

    /// Documents removed by this stage.
    pub fn removed(&self) -> u64 {
        self.docs_in - self.docs_out
    }
}

/// What the readers saw.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputStats {
    /// Input files.
    pub files: u64,
    /// Documents read successfully.
    pub docs: u64,
    /// UTF-8 bytes of text read.
    pub text_bytes: u64,
    /// Bytes of input files (as stored, possibly compressed).
    pub file_bytes: u64,
    /// Records or files that could not be read, in total.
    pub rejects: u64,
    /// Rejects per kind of problem.
    pub rejects_by_kind: BTreeMap<String, u64>,
    /// Records skipped on purpose, not errors (WARC request/metadata records, binary payloads,
    /// tolerated quirks), per kind.
    #[serde(default)]
    pub skipped_by_kind: BTreeMap<String, u64>,
}

impl InputStats {
    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &InputStats) {
        self.files += other.files;
        self.docs += other.docs;
        self.text_bytes += other.text_bytes;
        self.file_bytes += other.file_bytes;
        self.rejects += other.rejects;
        add_maps(&mut self.rejects_by_kind, &other.rejects_by_kind);
        add_maps(&mut self.skipped_by_kind, &other.skipped_by_kind);
    }
}

/// What the writers wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutputStats {
    /// Documents kept.
    pub kept_docs: u64,
    /// UTF-8 bytes of kept text.
    pub kept_bytes: u64,
    /// Documents removed.
    pub removed_docs: u64,
    /// UTF-8 bytes of removed documents' text.
    pub removed_bytes: u64,
    /// Shard files written for kept documents.
    pub kept_shards: u64,
    /// With `format = "tokens"`: ids written to the token shards, special tokens included.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub kept_tokens: u64,
}

impl OutputStats {
    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &OutputStats) {
        self.kept_docs += other.kept_docs;
        self.kept_bytes += other.kept_bytes;
        self.removed_docs += other.removed_docs;
        self.removed_bytes += other.removed_bytes;
        self.kept_shards += other.kept_shards;
        self.kept_tokens += other.kept_tokens;
    }
}

/// The whole run's statistics, as written to `stats.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    /// Reading.
    pub input: InputStats,
    /// Each stage, in pipeline order.
    pub stages: Vec<StageStats>,
    /// Writing.
    pub output: OutputStats,
}

impl RunStats {
    /// Adds `other` into `self`; stage lists are matched by position.
    pub fn merge(&mut self, other: &RunStats) {
        self.input.merge(&other.input);
        self.output.merge(&other.output);
        if self.stages.len() < other.stages.len() {
            self.stages
                .resize(other.stages.len(), StageStats::default());
        }
        for (mine, theirs) in self.stages.iter_mut().zip(&other.stages) {
            if mine.name.is_empty() {
                mine.name = theirs.name.clone();
                mine.kind = theirs.kind.clone();
            }
            mine.merge(theirs);
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn add_maps(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_insert(0) += v;
    }
}
