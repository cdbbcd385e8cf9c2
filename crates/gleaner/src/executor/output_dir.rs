//! The output directory before a run: take its lock, refuse to mix two different runs in it,
//! clear it on `--overwrite`, and on resume keep only the work whose input is unchanged.

use std::fs;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::RunInfo;
use super::layout::{self, OUTPUT_ENTRIES, RUN_FILE, SHARD_DIRS, WorkLayout};
use super::lock::OutputLock;
use super::resume::DoneMarker;
use crate::config::PipelineConfig;
use crate::error::{Error, IoContext, Result};
use crate::io::{self, InputFile};

/// Identifies the unfinished run in `.work/` ([`WorkLayout::state_file`]).
#[derive(Serialize, Deserialize, PartialEq)]
struct RunState {
    fingerprint: String,
    version: String,
}

/// An output directory ready for the run.
pub(super) struct PreparedOutput {
    /// Held until the run ends.
    pub(super) lock: OutputLock,
    /// The directory holds an unfinished run of the same pipeline and input, to resume.
    pub(super) resuming: bool,
}

/// Identifies a run: the pipeline (minus resource settings, which must not change results) and the
/// input files with their sizes. A resumed run must match it; whether each file's content is
/// unchanged is checked file by file ([`drop_stale_work`]).
pub(super) fn run_fingerprint(cfg: &PipelineConfig, inputs: &[InputFile]) -> String {
    let mut c = cfg.clone();
    // [run] holds resources (threads, memory, batch size), which never change the output.
    c.run = Default::default();
    // Where the output goes is not what the run is: the state lives in that directory anyway,
    // and a run into object storage plans into a fresh local copy of it each time.
    c.output.dir = None;
    let mut text = c.to_toml();
    for f in inputs {
        text.push_str(&format!("\n{}\t{}", f.path.display(), f.size));
    }
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

/// Takes the output directory's lock, then checks what it holds: nothing, the same unfinished
/// run (resume), or a finished run (replaced only with `overwrite` or when it is the same run).
pub(super) fn prepare_output_dir(
    out: &Path,
    fingerprint: &str,
    overwrite: bool,
) -> Result<PreparedOutput> {
    let lock = OutputLock::acquire(out)?;
    let work = WorkLayout::new(out);
    let state_path = work.state_file();
    let state = RunState {
        fingerprint: fingerprint.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let existing: Option<RunState> = fs::read(&state_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let has_output = OUTPUT_ENTRIES.iter().any(|e| out.join(e).exists());
    let finished: Option<RunInfo> = fs::read(out.join(RUN_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let same_finished_run =
        existing.is_none() && finished.is_some_and(|f| f.fingerprint == fingerprint);
    if overwrite || same_finished_run {
        remove_output(out)?;
    } else if let Some(prev) = &existing {
        if prev != &state {
            return Err(Error::Output(format!(
                "{} holds an unfinished run of a different pipeline or input; \
                 run the same command to resume it, or pass --overwrite to start over",
                out.display()
            )));
        }
    } else if has_output {
        return Err(Error::Output(format!(
            "{} already holds a finished run; pass --overwrite to replace it or choose another --output",
            out.display()
        )));
    }
    let resuming = !overwrite && existing.as_ref() == Some(&state);
    fs::create_dir_all(&work.dir).with_path(&work.dir)?;
    if !resuming {
        let json = serde_json::to_vec(&state).expect("state serialises");
        io::write_atomic(&state_path, &json)?;
    }
    for dir in SHARD_DIRS {
        remove_temp_files(&out.join(dir));
    }
    Ok(PreparedOutput { lock, resuming })
}

/// Removes everything a run writes (the lock stays: it is held).
fn remove_output(out: &Path) -> Result<()> {
    for e in OUTPUT_ENTRIES {
        let p = out.join(e);
        if p.is_dir() {
            fs::remove_dir_all(&p).with_path(&p)?;
        } else if p.exists() {
            fs::remove_file(&p).with_path(&p)?;
        }
    }
    Ok(())
}

/// On resume: re-hashes every input file whose first pass is marked done and drops the work of
/// those whose content changed since, so they are redone. With one pass that is the file's own
/// markers, rejects and shards; with corpus-wide stages every later pass saw the changed file,
/// so the run starts over. Returns a notice per changed file.
pub(super) fn drop_stale_work(
    out: &Path,
    fingerprint: &str,
    inputs: &[InputFile],
    npasses: usize,
) -> Result<Vec<String>> {
    let work = WorkLayout::new(out);
    let changed: Vec<&InputFile> = inputs
        .par_iter()
        .filter(|f| {
            DoneMarker::read(&work.marker_path(0, f.index))
                .is_some_and(|m| !m.input_unchanged(&f.path))
        })
        .collect();
    let mut notices: Vec<String> = changed
        .iter()
        .map(|f| {
            format!(
                "{} changed since the interrupted run; its work is redone",
                f.path.display()
            )
        })
        .collect();
    if changed.is_empty() {
        return Ok(notices);
    }
    if npasses > 1 {
        remove_output(out)?;
        fs::create_dir_all(&work.dir).with_path(&work.dir)?;
        let state = RunState {
            fingerprint: fingerprint.to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        };
        io::write_atomic(
            &work.state_file(),
            &serde_json::to_vec(&state).expect("state serialises"),
        )?;
        notices.push("the pipeline has corpus-wide stages, so the run starts over".into());
        return Ok(notices);
    }
    for f in changed {
        remove_if_present(&work.marker_path(0, f.index))?;
        remove_if_present(&work.rejects_path(f.index))?;
        let prefix = format!("{}-", layout::shard_prefix(f.index));
        for dir in SHARD_DIRS {
            let dir = out.join(dir);
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(&prefix) {
                    remove_if_present(&e.path())?;
                }
            }
        }
    }
    Ok(notices)
}

fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}

/// Deletes `.NAME.tmp` leftovers of a killed run (they are never read, but waste space).
fn remove_temp_files(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.ends_with(".tmp") {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}
