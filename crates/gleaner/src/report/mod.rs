//! What a run did, for people: the self-contained `report.html` written into every output
//! directory, and the per-document inspector behind `gleaner inspect`.
//!
//! Both read only the finished output directory (`stats.json`, `run.json`, the kept, removed and
//! audit shards, `rejects.jsonl`, `syndication.jsonl`), never the run's memory, so a report can be
//! rebuilt for any past run and the inspector works on a copy of the output alone.
//!
//! * [`read`] reads the output files back as records.
//! * [`collect`](mod@collect) gathers the report's numbers in one bounded pass (first N in file order, so a
//!   report of a terabyte run is as small and quick as one of a test run).
//! * [`histogram`] holds the before/after distributions.
//! * [`html`] renders them into one HTML file with the charting library and data inlined (its
//!   closing sections live in `html_run`).
//! * [`inspect`](mod@inspect) explains one document, line by line.
//!
//! `run.json` is read as the executor writes it ([`crate::executor::RunInfo`]).

pub mod collect;
pub mod histogram;
pub mod html;
mod html_run;
pub mod inspect;
pub mod read;

use std::path::{Path, PathBuf};

use crate::error::Result;

pub use collect::{ReportData, collect};
pub use inspect::{DocStatus, Inspection, inspect, reconstruct_lines, render_text};

/// File name of the report inside an output directory.
pub use crate::executor::layout::REPORT_FILE;

/// Builds `OUT_DIR/report.html` from a finished run's output directory and returns its path.
/// The file is written atomically: a reader never sees half a report.
pub fn write_report(out_dir: &Path) -> Result<PathBuf> {
    let data = collect(out_dir)?;
    let page = html::render(&data);
    let dest = out_dir.join(REPORT_FILE);
    crate::io::write_atomic(&dest, page.as_bytes())?;
    Ok(dest)
}
