//! # gleaner
//!
//! gleaner turns raw web documents into clean, deduplicated, quality-filtered text corpora, and
//! explains every byte it removes.
//!
//! The engine is a pipeline of stages over one [`Document`] type:
//!
//! ```text
//! read (JSONL, Parquet; gz/zst) → stages, in the order the pipeline file names them → write
//!                                   kept shards + removed shards with reasons + rejects + stats
//! ```
//!
//! * [`io`] reads input files into documents (bad records become [`io::Reject`]s, never panics or
//!   lost documents) and writes sharded, atomically renamed output.
//! * [`stage`] defines what a step may do: the per-document [`Stage`] trait and the corpus-wide
//!   [`CorpusStage`] trait (dedup). Stages know nothing about threads or files.
//! * [`stages`] is the catalogue of stage types a pipeline file can name.
//! * [`pipeline`] builds stages from a [`PipelineConfig`] and applies them to batches of
//!   documents in memory (what the Python bindings and Ray workers call).
//! * [`executor`] runs a pipeline over files: parallel, deterministic, resumable, in passes
//!   around corpus-wide stages.
//!
//! A minimal use of the library:
//!
//! ```
//! use gleaner::{Document, Pipeline, PipelineConfig};
//! let cfg = PipelineConfig::from_toml(
//!     "[[stage]]\ntype = \"normalize\"\n[[stage]]\ntype = \"length_filter\"\nmin_words = 3\n",
//!     std::path::Path::new("."),
//! ).unwrap();
//! let pipeline = Pipeline::from_config(&cfg).unwrap();
//! let out = pipeline.process_batch(vec![
//!     Document::new("a", "Three  words here"),
//!     Document::new("b", "Too short"),
//! ]);
//! assert_eq!(out.kept[0].text, "Three words here");
//! assert_eq!(out.removed[0].reason.rule, "min_words");
//! ```

// Rejects travel in `Result`s on the per-record path; they are rare, and boxing them would cost
// an allocation each for no gain, so the size lint is off for the crate.
#![allow(clippy::result_large_err)]

pub mod config;
pub mod dedup;
pub mod document;
pub mod error;
pub mod executor;
pub mod extract;
pub mod io;
pub mod pipeline;
pub mod report;
pub mod stage;
pub mod stages;
pub mod stats;
#[cfg(test)]
mod test_sample;
pub mod text;
pub mod tokens;
pub mod train;

pub use config::PipelineConfig;
pub use document::{Document, KeptInIndex, LineEdit, Reason, Removal, RemovedDocument};
pub use error::{Error, Result};
pub use pipeline::{BatchResult, Pipeline};
pub use stage::{CorpusStage, Stage, StageContext, Verdict};
pub use stats::{RunStats, StageStats};
