//! Carried intermediates: the documents one pass hands to the next, as one zstd JSONL shard per
//! input file under `.work/pass-P/` ([`WorkLayout::carried_path`]), and the view of them a corpus
//! stage's `prepare` reads.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::Progress;
use super::layout::WorkLayout;
use crate::document::Document;
use crate::error::{Error, Result};
use crate::io::compress::open_decompressed;
use crate::io::members::LargeMembers;
use crate::io::{self, InputFile, Reject};
use crate::stage::CorpusInput;

/// Reads a carried file back (a missing file means no document survived the pass).
pub(super) fn open_carried(path: &Path, counter: Arc<AtomicU64>) -> io::RecordStream {
    if !path.exists() {
        return Box::new(std::iter::empty());
    }
    let reader = match open_decompressed(path, counter, LargeMembers::Stream) {
        Ok(r) => r,
        Err(e) => return Box::new(std::iter::once(Err(Reject::new(path, "io", e.to_string())))),
    };
    let path = path.to_path_buf();
    Box::new(reader.split(b'\n').map(move |line| {
        let line = line
            .map_err(|e| Reject::new(&path, "io", format!("intermediate file unreadable: {e}")))?;
        io::decode_carried(&line)
            .map_err(|e| Reject::new(&path, "io", format!("intermediate file is corrupt: {e}")))
    }))
}

/// Bytes of the carried files pass `pass` left, the next pass's input size (for progress).
pub(super) fn carried_bytes(work: &WorkLayout, pass: usize, file: usize) -> u64 {
    std::fs::metadata(work.carried_path(pass, file))
        .map(|m| m.len())
        .unwrap_or(0)
}

/// The previous pass's carried files, as a corpus stage's prepare input.
pub(super) struct CarriedInput<'a> {
    pub(super) work: &'a WorkLayout,
    /// The pass whose survivors these are.
    pub(super) pass: usize,
    pub(super) files: &'a [InputFile],
    pub(super) progress: &'a Progress,
}

impl CorpusInput for CarriedInput<'_> {
    fn file_count(&self) -> usize {
        self.files.len()
    }

    fn for_each_in_file(&self, index: usize, f: &mut dyn FnMut(&Document)) -> Result<()> {
        let path: PathBuf = self.work.carried_path(self.pass, self.files[index].index);
        for item in open_carried(&path, Arc::new(AtomicU64::new(0))) {
            match item {
                Ok(doc) => {
                    self.progress.docs_done.fetch_add(1, Ordering::Relaxed);
                    f(&doc)
                }
                Err(r) => return Err(Error::Input(r.to_string())),
            }
        }
        Ok(())
    }
}
