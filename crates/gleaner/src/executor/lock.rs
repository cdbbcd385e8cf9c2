//! The output directory's lock: one run at a time writes into a directory.
//!
//! A run holds an advisory lock ([`std::fs::File::try_lock`], `flock` on Unix) on
//! [`layout::LOCK_FILE`](super::layout::LOCK_FILE) with its pid written in. A second run fails at
//! once, naming that pid. The kernel drops the lock of a process that dies however it dies, so a
//! file left by a killed run is simply taken over and `kill -9` → resume keeps working. The file
//! is removed when the run ends, so a finished output directory holds only the run's output.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use super::layout::LOCK_FILE;
use crate::error::{Error, IoContext, Result};

/// A held lock on an output directory; released (and its file removed) when dropped.
#[derive(Debug)]
pub struct OutputLock {
    path: PathBuf,
    file: File,
}

impl OutputLock {
    /// Takes the lock of output directory `out` (created if missing), or fails at once if another
    /// process holds it.
    pub fn acquire(out: &Path) -> Result<OutputLock> {
        std::fs::create_dir_all(out).with_path(out)?;
        let path = out.join(LOCK_FILE);
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .with_path(&path)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    let holder = match holder.trim() {
                        "" => "pid not written yet".to_string(),
                        pid => format!("pid {pid}"),
                    };
                    return Err(Error::Output(format!(
                        "{} is in use by another gleaner run ({holder}); wait for it to finish \
                         or choose another --output",
                        out.display()
                    )));
                }
                // A file system without locks (some network mounts): run unguarded rather than
                // refuse every run there.
                Err(TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {}
                Err(TryLockError::Error(e)) => return Err(Error::io(&path, e)),
            }
            // The previous holder removes the file as it ends; if it did so between our open and
            // our lock, we hold a lock on a file nobody else can see: open the path afresh.
            if !same_file(&file, &path) {
                continue;
            }
            file.set_len(0).with_path(&path)?;
            file.rewind().with_path(&path)?;
            write!(file, "{}", std::process::id()).with_path(&path)?;
            file.flush().with_path(&path)?;
            return Ok(OutputLock { path, file });
        }
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Removed while still held, so no other run can be holding the name we remove.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Elsewhere an open file cannot be removed, so the path still names the file we opened.
#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_fails_naming_the_holder_and_a_released_one_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let first = OutputLock::acquire(dir.path()).unwrap();
        let err = OutputLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(first);
        assert!(!dir.path().join(LOCK_FILE).exists());
        // A file left behind unlocked (what a killed run leaves) is taken over.
        std::fs::write(dir.path().join(LOCK_FILE), "999999").unwrap();
        let again = OutputLock::acquire(dir.path()).unwrap();
        let pid = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert_eq!(pid, std::process::id().to_string());
        drop(again);
    }
}
