//! Done markers: what lets a killed run, started again, skip the work it had finished — and only
//! work whose input has not changed since.
//!
//! When one input file's pass is complete the executor writes a marker with that file's stats
//! and, for the first pass (the one that reads the input file), a fingerprint of the file's
//! content. A resumed run re-hashes each input file that has a marker before trusting it: an
//! input edited after the kill (even to the same size and modification time) is redone. Size
//! and mtime alone cannot tell; hashing is far faster than processing, and only files with a
//! marker are hashed, once per resume. The first run's hash is taken as the reader reads the
//! file ([`ContentTap`](crate::io::content_hash::ContentTap)), so it costs no extra read.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::io::content_hash::ContentHash;
use crate::stats::RunStats;

/// What a done marker holds.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct DoneMarker {
    /// The file's stats for the pass.
    pub(super) stats: RunStats,
    /// The input file's content as read, for the pass that reads it (pass 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) input: Option<ContentHash>,
}

impl DoneMarker {
    /// The marker at `path`, if there is a complete one (markers are written atomically, so a
    /// marker that does not parse was written by another version: the work is redone).
    pub(super) fn read(path: &Path) -> Option<DoneMarker> {
        let bytes = std::fs::read(path).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Writes the marker atomically.
    pub(super) fn write(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec(self).expect("marker serialises");
        crate::io::write_atomic(path, &json)
    }

    /// Whether the input file at `path` still has the content this marker recorded.
    pub(super) fn input_unchanged(&self, path: &Path) -> bool {
        match &self.input {
            Some(recorded) => ContentHash::of_file(path).is_ok_and(|now| &now == recorded),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_trusts_only_the_content_it_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        std::fs::write(&path, b"{\"text\":\"one\"}\n").unwrap();
        let marker = DoneMarker {
            stats: RunStats::default(),
            input: Some(ContentHash::of_file(&path).unwrap()),
        };
        let marker_path = dir.path().join("done.json");
        marker.write(&marker_path).unwrap();
        let marker = DoneMarker::read(&marker_path).unwrap();
        assert!(marker.input_unchanged(&path));
        std::fs::write(&path, b"{\"text\":\"two\"}\n").unwrap();
        assert!(!marker.input_unchanged(&path));
    }
}
