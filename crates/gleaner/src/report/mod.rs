//! What a run did, for people: the self-contained `report.html` written into every output
//! directory, and the per-document inspector behind `gleaner inspect`.
//!
//! Both read only the finished output directory (`stats.json`, `run.json`, the kept, removed and
//! audit shards, `rejects.jsonl`, `syndication.jsonl`), never the run's memory, so a report can be
//! rebuilt for any past run and the inspector works on a copy of the output alone.
//!
//! * [`read`] reads the output files back as records.
//! * [`collect`] gathers the report's numbers in one bounded pass (first N in file order, so a
//!   report of a terabyte run is as small and quick as one of a test run).
//! * [`html`] renders them into one HTML file with the charting library and data inlined.
//! * [`inspect`] explains one document, line by line.
//!
//! [`RunInfo`] is the shape of `run.json`: the executor fills it, the report shows it.

pub mod collect;
pub mod html;
pub mod inspect;
pub mod read;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Result;

pub use collect::{ReportData, collect};
pub use inspect::{DocStatus, Inspection, inspect, reconstruct_lines, render_text};

/// File name of the report inside an output directory.
pub const REPORT_FILE: &str = "report.html";

/// `run.json`: how a run was made and how long each part took. Every field has a default so
/// older or partial files still load.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunInfo {
    /// gleaner version that ran.
    pub version: String,
    /// Start time, RFC 3339 in UTC.
    pub started: String,
    /// Wall-clock seconds for the whole run.
    pub elapsed_secs: f64,
    /// Worker threads.
    pub threads: usize,
    /// Input files in reading order.
    pub inputs: Vec<InputInfo>,
    /// The pipeline as run (TOML, with defaults and command-line overrides applied).
    pub config_toml: String,
    /// Passes over the data (a pass ends at each corpus-wide stage).
    pub passes: Vec<PassInfo>,
    /// Seconds spent in each stage, summed over threads.
    pub stage_secs: Vec<StageTime>,
}

/// One input file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InputInfo {
    /// Path as given.
    pub path: String,
    /// Size on disk in bytes.
    pub size: u64,
}

/// One pass over the data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PassInfo {
    /// What the pass did, e.g. `stages 1-3`, `prepare minhash`.
    pub name: String,
    /// Wall-clock seconds.
    pub elapsed_secs: f64,
    /// Documents processed.
    pub docs: u64,
    /// Text bytes processed.
    pub bytes: u64,
}

/// Time spent in one stage.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StageTime {
    /// Stage instance name (as in `stats.json`).
    pub name: String,
    /// Seconds, summed over threads (CPU time in the stage, not wall-clock).
    pub secs: f64,
}

/// Builds `OUT_DIR/report.html` from a finished run's output directory and returns its path.
/// The file is written atomically: a reader never sees half a report.
pub fn write_report(out_dir: &Path) -> Result<PathBuf> {
    let data = collect(out_dir)?;
    let page = html::render(&data);
    let dest = out_dir.join(REPORT_FILE);
    crate::io::write_atomic(&dest, page.as_bytes())?;
    Ok(dest)
}
