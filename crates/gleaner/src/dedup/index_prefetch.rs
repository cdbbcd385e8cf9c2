//! Reading `against` indexes into the page cache while the run does other work.
//!
//! A run against an index streams all of its key files and most of its entries when the stage
//! finishes, after the scan of every input file. Read cold from a slow disk, that read alone can
//! take longer than the rest of the run. So when a stage with `against` opens, one background
//! thread per process reads the index files through, front to back, in the order the finish will
//! want them (earlier stages' indexes first, key files before entries), while the run reads and
//! hashes its input: the finish then finds them in memory. It is only a hint: errors are ignored
//! (the finish reports them), nothing waits for it, and an index that would not fit in half the
//! memory the system has available is left alone, as reading it early would only evict its start
//! before it is used.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Mutex, OnceLock};

/// The prefetch thread's queue of index directories.
static QUEUE: OnceLock<Option<Mutex<Sender<PathBuf>>>> = OnceLock::new();

/// Queues the index directories `dirs` to be read ahead (see the module doc).
pub fn prefetch(dirs: &[PathBuf]) {
    let queue = QUEUE.get_or_init(|| {
        let (tx, rx) = channel::<PathBuf>();
        std::thread::Builder::new()
            .name("gleaner-index-prefetch".into())
            .spawn(move || {
                let mut buf = vec![0u8; 1 << 20];
                for dir in rx {
                    read_ahead(&dir, &mut buf);
                }
            })
            .ok()
            .map(|_| Mutex::new(tx))
    });
    if let Some(q) = queue {
        let tx = q.lock().unwrap_or_else(|p| p.into_inner());
        for d in dirs {
            let _ = tx.send(d.clone());
        }
    }
}

/// The files of the index in `dir` in the order a run reads them, with their sizes.
fn files_in_read_order(dir: &Path) -> Vec<(PathBuf, u64)> {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(u8, PathBuf, u64)> = listing
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let rank = if name.starts_with("keys-") || name.starts_with("counts-") {
                0
            } else if name.starts_with("reps") {
                1
            } else if name.starts_with("entries") {
                // The offsets before the frames they point into.
                if name.ends_with(".idx") { 2 } else { 3 }
            } else {
                return None;
            };
            Some((rank, e.path(), e.metadata().ok()?.len()))
        })
        .collect();
    files.sort();
    files.into_iter().map(|(_, p, n)| (p, n)).collect()
}

/// `MemAvailable` of `/proc/meminfo` in bytes; `None` where there is none (not Linux).
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn read_ahead(dir: &Path, buf: &mut [u8]) {
    let files = files_in_read_order(dir);
    let total: u64 = files.iter().map(|(_, n)| n).sum();
    if available_memory().is_none_or(|m| total > m / 2) {
        return;
    }
    for (path, _) in files {
        let Ok(mut f) = std::fs::File::open(&path) else {
            continue;
        };
        while matches!(f.read(buf), Ok(n) if n > 0) {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_files_are_read_keys_first_and_other_files_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        for name in [
            "entries.bin",
            "manifest.json",
            "keys-p001.bin",
            "entries.idx",
            "reps.bin",
            "keys-p000.bin",
        ] {
            std::fs::write(tmp.path().join(name), name).unwrap();
        }
        let names: Vec<String> = files_in_read_order(tmp.path())
            .into_iter()
            .map(|(p, n)| {
                assert_eq!(n, std::fs::metadata(&p).unwrap().len());
                p.file_name().unwrap().to_string_lossy().into_owned()
            })
            .collect();
        assert_eq!(
            names,
            [
                "keys-p000.bin",
                "keys-p001.bin",
                "reps.bin",
                "entries.idx",
                "entries.bin"
            ]
        );
        assert!(files_in_read_order(&tmp.path().join("missing")).is_empty());
    }
}
