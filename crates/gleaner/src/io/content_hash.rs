//! Content hashes of input files (XXH3-64), taken as the readers read them.
//!
//! A resumed run must know whether an input file changed since its work was done; size and
//! mtime cannot tell (an edit can keep both). The hash of a first run's input costs no extra read:
//! a [`ContentTap`] attached to the file's byte counter receives every byte the file's
//! [`CountingReader`](super::compress::CountingReader) reads, in order, and
//! [`finish`](ContentTap::finish) reads only what the reader left unread (nothing, for a reader
//! that read to the end; the whole file for one that does not stream, such as plain Parquet).
//!
//! Why a registry keyed by the counter: the byte counter is the one per-file handle every reader
//! already takes, so the tap reaches every reader without a second handle in each signature. A
//! tap that saw anything but one reader's sequential stream gives a hash that matches nothing
//! later, so the worst a misuse can do is make a resume redo a file, never skip a changed one.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3Default;

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
        let mut hasher = Xxh3Default::new();
        let size = hash_from(&mut File::open(path)?, &mut hasher)?;
        Ok(ContentHash::from_hasher(&hasher, size))
    }

    fn from_hasher(hasher: &Xxh3Default, size: u64) -> ContentHash {
        ContentHash {
            size,
            xxh3: format!("{:016x}", hasher.digest()),
        }
    }
}

/// Feeds the rest of `file` to `hasher`; returns the bytes fed.
fn hash_from(file: &mut File, hasher: &mut Xxh3Default) -> io::Result<u64> {
    let mut buf = vec![0u8; 1 << 20];
    let mut fed = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => return Ok(fed),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        fed += n as u64;
    }
}

/// What a tap has received.
#[derive(Default)]
struct TapInner {
    hasher: Xxh3Default,
    len: u64,
    /// Readers that fed it; anything but one makes [`ContentTap::finish`] hash the file afresh.
    readers: u32,
}

/// The receiving end of a tap, held by the readers of one file.
#[derive(Default)]
pub(crate) struct TapSink(Mutex<TapInner>);

impl TapSink {
    fn lock(&self) -> MutexGuard<'_, TapInner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds bytes just read.
    pub(crate) fn update(&self, bytes: &[u8]) {
        let mut inner = self.lock();
        inner.hasher.update(bytes);
        inner.len += bytes.len() as u64;
    }
}

/// Taps currently attached, by the address of their byte counter (a handful: one per file
/// being read).
static TAPS: Mutex<Vec<(usize, Arc<TapSink>)>> = Mutex::new(Vec::new());

fn taps() -> MutexGuard<'static, Vec<(usize, Arc<TapSink>)>> {
    TAPS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The tap attached to `counter`, for a reader counting into it (registered as its reader).
pub(crate) fn tap_for(counter: &Arc<AtomicU64>) -> Option<Arc<TapSink>> {
    let key = Arc::as_ptr(counter) as usize;
    let sink = taps().iter().find(|(k, _)| *k == key)?.1.clone();
    sink.lock().readers += 1;
    Some(sink)
}

/// Hashes the bytes readers draw through one byte counter; see the module docs.
pub struct ContentTap {
    /// Kept so the counter's address, the registry key, is not reused while attached.
    counter: Arc<AtomicU64>,
    sink: Arc<TapSink>,
}

impl ContentTap {
    /// Attaches a tap to `counter`: readers created with it from now on feed the tap.
    pub fn attach(counter: &Arc<AtomicU64>) -> ContentTap {
        let sink = Arc::new(TapSink::default());
        taps().push((Arc::as_ptr(counter) as usize, sink.clone()));
        ContentTap {
            counter: counter.clone(),
            sink,
        }
    }

    /// The hash of the file at `path` (the one the readers read, now done), reading only what
    /// they left unread.
    pub fn finish(self, path: &Path) -> io::Result<ContentHash> {
        let mut inner = std::mem::take(&mut *self.sink.lock());
        drop(self);
        if inner.readers != 1 {
            return ContentHash::of_file(path);
        }
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(inner.len))?;
        let rest = hash_from(&mut file, &mut inner.hasher)?;
        Ok(ContentHash::from_hasher(&inner.hasher, inner.len + rest))
    }
}

impl Drop for ContentTap {
    fn drop(&mut self) {
        let key = Arc::as_ptr(&self.counter) as usize;
        taps().retain(|(k, _)| *k != key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::compress::open_decompressed;

    fn file_of(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.jsonl");
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    #[test]
    fn a_tapped_read_gives_the_hash_of_the_whole_file_without_reading_it_again() {
        let bytes: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let (_dir, path) = file_of(&bytes);
        let counter = Arc::new(AtomicU64::new(0));
        let tap = ContentTap::attach(&counter);
        let mut reader = open_decompressed(
            &path,
            counter.clone(),
            crate::io::members::LargeMembers::Stream,
        )
        .unwrap();
        std::io::copy(&mut reader, &mut std::io::sink()).unwrap();
        drop(reader);
        let tapped_len = tap.sink.lock().len;
        assert_eq!(tapped_len, bytes.len() as u64);
        assert_eq!(
            tap.finish(&path).unwrap(),
            ContentHash::of_file(&path).unwrap()
        );
    }

    #[test]
    fn a_reader_that_stops_early_or_none_at_all_still_gives_the_whole_file_hash() {
        let bytes = vec![7u8; 200_000];
        let (_dir, path) = file_of(&bytes);
        let counter = Arc::new(AtomicU64::new(0));
        let tap = ContentTap::attach(&counter);
        let mut reader = open_decompressed(
            &path,
            counter.clone(),
            crate::io::members::LargeMembers::Stream,
        )
        .unwrap();
        let mut head = [0u8; 10];
        reader.read_exact(&mut head).unwrap();
        drop(reader);
        assert_eq!(
            tap.finish(&path).unwrap(),
            ContentHash::of_file(&path).unwrap()
        );
        let untouched = ContentTap::attach(&Arc::new(AtomicU64::new(0)));
        assert_eq!(
            untouched.finish(&path).unwrap(),
            ContentHash::of_file(&path).unwrap()
        );
    }

    #[test]
    fn an_edit_of_the_same_size_changes_the_hash() {
        let (_dir, path) = file_of(b"{\"text\":\"one\"}\n");
        let before = ContentHash::of_file(&path).unwrap();
        std::fs::write(&path, b"{\"text\":\"two\"}\n").unwrap();
        let after = ContentHash::of_file(&path).unwrap();
        assert_eq!(before.size, after.size);
        assert_ne!(before, after);
    }
}
