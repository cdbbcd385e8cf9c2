//! The output directory's layout: every file and directory name a run writes, defined once.
//!
//! The executor writes by these names, the report and the inspector read by them, the CLI prints
//! them, the Python package exposes them, and input expansion uses them to recognise an output
//! directory so a run never reads one back as input. The scratch space of an unfinished run
//! (`.work/`) is laid out here too, so resume and cleanup agree on it.

use std::path::{Path, PathBuf};

/// Kept documents, as shards `part-FFFFF-SSSS.EXT` ([`shard_prefix`], [`shard_file_name`]).
pub const KEPT_DIR: &str = "kept";
/// Removed documents, each with its reason.
pub const REMOVED_DIR: &str = "removed";
/// Lines removed from kept documents.
pub const AUDIT_DIR: &str = "audit";
/// Input that could not be read, one JSON line per record, in input order.
pub const REJECTS_FILE: &str = "rejects.jsonl";
/// The run's statistics (deterministic).
pub const STATS_FILE: &str = "stats.json";
/// Timings and provenance ([`super::RunInfo`]); differs between runs by design.
pub const RUN_FILE: &str = "run.json";
/// The effective pipeline, as TOML.
pub const PIPELINE_FILE: &str = "pipeline.toml";
/// The self-contained HTML report.
pub const REPORT_FILE: &str = "report.html";
/// Duplicate clusters found by the dedup stages, one JSON line each.
pub const SYNDICATION_FILE: &str = "syndication.jsonl";
/// Scratch space of an unfinished run: carried documents, done markers, stage state. Removed
/// when the run finishes; its presence means a run to resume.
pub const WORK_DIR: &str = ".work";
/// The advisory lock a running run holds ([`super::lock`]); removed when the run ends.
pub const LOCK_FILE: &str = ".gleaner.lock";

/// Token shards (`[output] format = "tokens"`) go to [`KEPT_DIR`] as `tokens-SSSS` plus these
/// extensions ([`token_shard_stem`]): Megatron-LM's data and index files, and the documents in
/// shard order.
pub const TOKEN_BIN_EXT: &str = ".bin";
/// See [`TOKEN_BIN_EXT`].
pub const TOKEN_IDX_EXT: &str = ".idx";
/// See [`TOKEN_BIN_EXT`].
pub const TOKEN_IDS_EXT: &str = ".ids";

/// The name, without extension, of token shard `seq` (`tokens-SSSS`): one sequence for the whole
/// run, since the shuffle mixes every input file's documents.
pub fn token_shard_stem(seq: u32) -> String {
    format!("tokens-{seq:04}")
}

/// Everything a run writes in its output directory; `--overwrite` removes exactly these and
/// nothing else the user may keep there. The lock is not listed: it is held while they go.
pub const OUTPUT_ENTRIES: &[&str] = &[
    KEPT_DIR,
    REMOVED_DIR,
    AUDIT_DIR,
    WORK_DIR,
    STATS_FILE,
    RUN_FILE,
    REJECTS_FILE,
    PIPELINE_FILE,
    REPORT_FILE,
    SYNDICATION_FILE,
];

/// The shard directories, which hold files named after their input file.
pub const SHARD_DIRS: [&str; 3] = [KEPT_DIR, REMOVED_DIR, AUDIT_DIR];

/// Name prefix of the shards written for input file `file` (its index in the sorted input list):
/// `part-FFFFF`.
pub fn shard_prefix(file: usize) -> String {
    format!("part-{file:05}")
}

/// Name prefix of the removed shards of input file `file` written by pass `pass`: passes of a
/// multi-pass run each remove documents, so their shards are told apart (`part-FFFFF-pP`).
pub fn removed_prefix(file: usize, pass: usize, npasses: usize) -> String {
    if npasses > 1 {
        format!("{}-p{pass}", shard_prefix(file))
    } else {
        shard_prefix(file)
    }
}

/// A shard's file name: `PREFIX-SSSS.EXT`, `seq` counting the shards of one prefix from 0.
pub fn shard_file_name(prefix: &str, seq: u32, extension: &str) -> String {
    format!("{prefix}-{seq:04}{extension}")
}

/// Whether `dir` is a gleaner output directory: it holds a run in progress (the lock or the work
/// directory's state) or a finished run (`run.json` beside `kept/`). A directory the user
/// merely keeps a `pipeline.toml` in is not one.
pub fn is_output_dir(dir: &Path) -> bool {
    dir.join(LOCK_FILE).is_file()
        || WorkLayout::new(dir).state_file().is_file()
        || (dir.join(RUN_FILE).is_file() && dir.join(KEPT_DIR).is_dir())
}

/// Paths inside `.work/`, the scratch space of an unfinished run.
#[derive(Debug, Clone)]
pub struct WorkLayout {
    /// `OUT/.work`.
    pub dir: PathBuf,
}

impl WorkLayout {
    /// The work directory of output directory `out`.
    pub fn new(out: &Path) -> Self {
        WorkLayout {
            dir: out.join(WORK_DIR),
        }
    }

    /// Identifies the unfinished run (pipeline and input), so only the same command resumes it.
    pub fn state_file(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    /// Survivors of pass `pass`, carried to the next pass.
    pub fn carried_dir(&self, pass: usize) -> PathBuf {
        self.dir.join(format!("pass-{pass}"))
    }

    /// Name prefix of the carried shard of input file `file`.
    pub fn carried_prefix(file: usize) -> String {
        format!("f{file:05}")
    }

    /// The one shard a pass writes per input file; absent when no document of the file survived
    /// the pass.
    pub fn carried_path(&self, pass: usize, file: usize) -> PathBuf {
        self.carried_dir(pass).join(shard_file_name(
            &Self::carried_prefix(file),
            0,
            ".jsonl.zst",
        ))
    }

    /// Written when input file `file`'s pass `pass` is complete; holds its stats.
    pub fn marker_path(&self, pass: usize, file: usize) -> PathBuf {
        self.carried_dir(pass).join(format!("done-{file:05}.json"))
    }

    /// Rejects of input file `file`, gathered into [`REJECTS_FILE`] at the end.
    pub fn rejects_path(&self, file: usize) -> PathBuf {
        self.dir.join("rejects").join(format!("{file:05}.jsonl"))
    }

    /// Sorted runs of tokenized documents awaiting the final merge (`format = "tokens"`).
    pub fn token_runs_dir(&self) -> PathBuf {
        self.dir.join("tokens")
    }

    /// Name prefix of input file `file`'s token runs in [`token_runs_dir`](Self::token_runs_dir).
    pub fn token_runs_prefix(file: usize) -> String {
        format!("f{file:05}")
    }

    /// State of the corpus stage at pipeline index `index`.
    pub fn stage_dir(&self, index: usize, name: &str) -> PathBuf {
        self.dir.join(format!("stage-{index}-{name}"))
    }

    /// Receipt of a step of a run whose output is object storage (`gleaner.ray` with an
    /// `s3://`-like output): the files the step uploaded, written after them, so its presence
    /// means the step's output is complete there. Input file `file`'s pass `pass`, or with `None`
    /// the finish of the corpus stage pass `pass` starts with.
    pub fn receipt_path(&self, pass: usize, file: Option<usize>) -> PathBuf {
        let name = match file {
            Some(file) => format!("pass-{pass}-f{file:05}.json"),
            None => format!("finish-{pass}.json"),
        };
        self.dir.join("receipts").join(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_names_sort_by_input_file_then_sequence() {
        let a = shard_file_name(&shard_prefix(2), 11, ".jsonl");
        let b = shard_file_name(&shard_prefix(10), 0, ".jsonl");
        assert_eq!(a, "part-00002-0011.jsonl");
        assert!(a < b);
        assert_eq!(removed_prefix(3, 1, 2), "part-00003-p1");
        assert_eq!(removed_prefix(3, 0, 1), "part-00003");
        let work = WorkLayout::new(Path::new("out"));
        assert_ne!(work.receipt_path(1, Some(0)), work.receipt_path(1, None));
        assert!(work.receipt_path(1, None).starts_with(&work.dir));
    }

    #[test]
    fn a_directory_with_only_a_pipeline_file_is_not_an_output_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(PIPELINE_FILE), "").unwrap();
        assert!(!is_output_dir(dir.path()));
        std::fs::write(dir.path().join(RUN_FILE), "{}").unwrap();
        assert!(!is_output_dir(dir.path()));
        std::fs::create_dir(dir.path().join(KEPT_DIR)).unwrap();
        assert!(is_output_dir(dir.path()));
    }
}
