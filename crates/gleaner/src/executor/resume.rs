//! Done markers: what lets a killed run, started again, skip the work it had finished — and only
//! work whose input has not changed since.
//!
//! When one input file's pass is complete the executor writes a marker with that file's stats
//! and, for the first pass (the one that reads the input file), a fingerprint of the file's
//! content. A resumed run re-hashes each input file that has a marker before trusting it: an
//! input edited after the kill (even to the same size and modification time) is redone. Size
//! and mtime alone cannot tell; hashing is far faster than processing, and only files with a
//! marker are hashed, once per resume.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::stats::RunStats;

/// A fingerprint of a file's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentHash {
    /// Size in bytes.
    pub size: u64,
    /// XXH3-64 of the bytes, as 16 hex digits.
    pub xxh3: String,
}

impl ContentHash {
    /// Hashes the file at `path`, reading it once from start to end.
    pub fn of_file(path: &Path) -> io::Result<ContentHash> {
        let mut file = File::open(path)?;
        let mut hasher = xxhash_rust::xxh3::Xxh3Default::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let n = match file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            hasher.update(&buf[..n]);
            size += n as u64;
        }
        Ok(ContentHash {
            size,
            xxh3: format!("{:016x}", hasher.digest()),
        })
    }
}

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
    fn an_edit_of_the_same_size_changes_the_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        std::fs::write(&path, b"{\"text\":\"one\"}\n").unwrap();
        let before = ContentHash::of_file(&path).unwrap();
        std::fs::write(&path, b"{\"text\":\"two\"}\n").unwrap();
        let after = ContentHash::of_file(&path).unwrap();
        assert_eq!(before.size, after.size);
        assert_ne!(before, after);
        let marker = DoneMarker {
            stats: RunStats::default(),
            input: Some(before),
        };
        assert!(!marker.input_unchanged(&path));
    }
}
