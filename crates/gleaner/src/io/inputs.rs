//! Input expansion: the files, directories and glob patterns a run is given, turned once into
//! the sorted list of distinct files it reads.
//!
//! * A file is identified by its device and inode (on Unix; elsewhere by its canonical path), so
//!   one file named twice — `data/a.jsonl` and `./data/../data/a.jsonl`, or through a symlink — is
//!   read once, under the smallest spelling that does not go through a symlink.
//! * Directories are walked in name order; symlinked directories are followed after the real
//!   ones, and a directory already walked is never walked again, so symlink loops end.
//! * gleaner's own output directories ([`layout::is_output_dir`]) are never read as input when
//!   a walk or a pattern reaches them, and nothing inside the run's own output directory is ever
//!   read; each skip is reported in a one-line notice. A `kept/` directory named as input is read.
//! * Only input-format file names are picked up from directories (`.jsonl`, `.ndjson`,
//!   `.parquet`, `.warc`, `.wet`, `.arc`, each optionally `.gz`/`.zst`). `.json` files are read
//!   when named or matched by a pattern, but not picked up from directories: there they are
//!   mostly metadata, not JSON lines; a notice says how many were left.
//!
//! The order is the sorted order of the paths, as it always was: for inputs without repeats,
//! links or output directories the list is exactly the sorted, de-duplicated list of paths.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::Metadata;
use std::io;
use std::path::{Path, PathBuf};

use super::{InputFile, compress};
use crate::error::{Error, Result};
use crate::executor::layout;

/// File name suffixes that directory expansion picks up. WAT files (`.wat`) and `.json` files
/// are readable when named explicitly but not picked up from directories: WAT files hold only
/// JSON metadata records, never page text, and `.json` files beside data are mostly metadata.
const DATA_SUFFIXES: &[&str] = &[".jsonl", ".ndjson", ".parquet", ".warc", ".wet", ".arc"];

/// The expanded input of a run.
#[derive(Debug, Clone, Default)]
pub struct ExpandedInputs {
    /// Distinct files, sorted by path, indexed in that order.
    pub files: Vec<InputFile>,
    /// One line per kind of thing left out that the user may not expect (output directories,
    /// `.json` files in directories).
    pub notices: Vec<String>,
}

/// Expands files, directories and glob patterns into a sorted list of distinct files.
pub fn expand_inputs(paths: &[PathBuf]) -> Result<Vec<InputFile>> {
    expand(paths, &[]).map(|e| e.files)
}

/// [`expand_inputs`], never reading anything inside the directories `exclude` (a run passes its
/// own output directory), and returning notices of what was left out.
pub fn expand(paths: &[PathBuf], exclude: &[&Path]) -> Result<ExpandedInputs> {
    let mut walk = Expansion::new(exclude);
    for p in paths {
        let s = p.to_string_lossy();
        if s.contains(['*', '?', '[']) {
            let matches =
                glob::glob(&s).map_err(|e| Error::Input(format!("{s}: bad pattern: {e}")))?;
            let root = literal_root(p);
            let before = walk.candidates.len();
            for m in matches.flatten() {
                if let Ok(meta) = std::fs::metadata(&m)
                    && meta.is_file()
                {
                    walk.add_matched(m, &meta, &root);
                }
            }
            if walk.candidates.len() == before && walk.skipped_outputs.is_empty() {
                return Err(Error::Input(format!("{s}: pattern matched no files")));
            }
        } else if p.is_dir() {
            walk.enter_dir(p.clone(), false)
                .map_err(|e| Error::io(p, e))?;
        } else if p.exists() {
            let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
            walk.add_named(p.clone(), &meta);
        } else {
            return Err(Error::Input(format!(
                "{}: no such file or directory",
                p.display()
            )));
        }
    }
    // Symlinked directories last, so files reachable without a link keep their real path.
    while let Some(dir) = walk.deferred.pop_front() {
        walk.enter_dir(dir.clone(), true)
            .map_err(|e| Error::io(&dir, e))?;
    }
    let notices = walk.notices();
    let files = walk.into_files();
    if files.is_empty() {
        let mut msg = "no input files (give --input or [input] paths)".to_string();
        for n in &notices {
            msg.push_str("; ");
            msg.push_str(n);
        }
        return Err(Error::Input(msg));
    }
    Ok(ExpandedInputs { files, notices })
}

/// What identifies a file or directory however it is named.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum FileId {
    /// Device and inode.
    #[cfg(unix)]
    Inode(u64, u64),
    /// The canonical path, where there are no inodes (or a dangling link has no target).
    Path(PathBuf),
}

impl FileId {
    #[cfg(unix)]
    fn of(_path: &Path, meta: &Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId::Inode(meta.dev(), meta.ino())
    }

    #[cfg(not(unix))]
    fn of(path: &Path, _meta: &Metadata) -> FileId {
        FileId::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
    }
}

/// A file found, before duplicates are dropped.
struct Candidate {
    path: PathBuf,
    id: FileId,
    /// Reached through a symlink (a linked file or a linked directory).
    via_link: bool,
}

/// The state of one expansion.
struct Expansion {
    candidates: Vec<Candidate>,
    /// Directories walked (or being walked): a loop meets one of them again.
    seen_dirs: HashSet<FileId>,
    /// Symlinked directories met in walks, walked after the rest.
    deferred: VecDeque<PathBuf>,
    /// The directories nothing is read from, by identity and canonical path.
    excluded: Vec<(FileId, PathBuf)>,
    skipped_outputs: Vec<PathBuf>,
    skipped_json: Vec<PathBuf>,
    /// Whether a directory is an output directory, by path (globs ask about ancestors often).
    output_dir_cache: HashMap<PathBuf, bool>,
}

impl Expansion {
    fn new(exclude: &[&Path]) -> Self {
        let excluded = exclude
            .iter()
            .filter_map(|d| {
                let meta = std::fs::metadata(d).ok()?;
                let canonical = std::fs::canonicalize(d).ok()?;
                Some((FileId::of(d, &meta), canonical))
            })
            .collect();
        Expansion {
            candidates: Vec::new(),
            seen_dirs: HashSet::new(),
            deferred: VecDeque::new(),
            excluded,
            skipped_outputs: Vec::new(),
            skipped_json: Vec::new(),
            output_dir_cache: HashMap::new(),
        }
    }

    /// A file named as input: read, unless it lies in an excluded directory.
    fn add_named(&mut self, path: PathBuf, meta: &Metadata) {
        if let Some(dir) = self.excluding_dir_of(&path) {
            self.skipped_outputs.push(dir);
            return;
        }
        let id = FileId::of(&path, meta);
        self.candidates.push(Candidate {
            path,
            id,
            via_link: false,
        });
    }

    /// A file a pattern matched: read unless a wildcard reached into an output directory (an
    /// output directory below the pattern's literal part, or the run files beside `kept/`).
    fn add_matched(&mut self, path: PathBuf, meta: &Metadata, root: &Path) {
        let mut dir = path.parent();
        let mut first = true;
        while let Some(d) = dir {
            let below_root = d != root && d.starts_with(root);
            if (first || below_root) && self.is_output_dir(d) {
                self.skipped_outputs.push(d.to_path_buf());
                return;
            }
            if !below_root {
                break;
            }
            first = false;
            dir = d.parent();
        }
        self.add_named(path, meta);
    }

    fn is_output_dir(&mut self, dir: &Path) -> bool {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Some(&known) = self.output_dir_cache.get(dir) {
            return known;
        }
        let found = layout::is_output_dir(dir);
        self.output_dir_cache.insert(dir.to_path_buf(), found);
        found
    }

    /// The excluded directory `path` lies in, if any.
    fn excluding_dir_of(&self, path: &Path) -> Option<PathBuf> {
        if self.excluded.is_empty() {
            return None;
        }
        let canonical = std::fs::canonicalize(path).ok()?;
        self.excluded
            .iter()
            .find(|(_, dir)| canonical.starts_with(dir))
            .map(|(_, dir)| dir.clone())
    }

    /// Walks `dir` unless it was walked already, is excluded or is an output directory.
    fn enter_dir(&mut self, dir: PathBuf, via_link: bool) -> io::Result<()> {
        let meta = std::fs::metadata(&dir)?;
        let id = FileId::of(&dir, &meta);
        if !self.seen_dirs.insert(id.clone()) {
            return Ok(());
        }
        if self.excluded.iter().any(|(x, _)| *x == id) || self.is_output_dir(&dir) {
            self.skipped_outputs.push(dir);
            return Ok(());
        }
        let mut entries: Vec<_> = std::fs::read_dir(&dir)?.collect::<io::Result<_>>()?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = e.path();
            let kind = e.file_type()?;
            if kind.is_dir() {
                self.enter_dir(path, via_link)?;
                continue;
            }
            // A symlink is followed to what it names; a dangling one is listed, and reading
            // it then gives the reject that says so.
            let target = if kind.is_symlink() {
                std::fs::metadata(&path).ok()
            } else {
                None
            };
            if target.as_ref().is_some_and(Metadata::is_dir) {
                self.deferred.push_back(path);
            } else if is_data_file(&name) {
                let id = match (&target, kind.is_symlink()) {
                    (Some(m), _) => FileId::of(&path, m),
                    (None, true) => FileId::Path(path.clone()),
                    (None, false) => FileId::of(&path, &e.metadata()?),
                };
                self.candidates.push(Candidate {
                    path,
                    id,
                    via_link: via_link || kind.is_symlink(),
                });
            } else if is_json_file(&name) {
                self.skipped_json.push(path);
            }
        }
        Ok(())
    }

    fn notices(&self) -> Vec<String> {
        let mut notices = Vec::new();
        let mut outputs = self.skipped_outputs.clone();
        outputs.sort();
        outputs.dedup();
        if !outputs.is_empty() {
            let names: Vec<String> = outputs.iter().map(|p| p.display().to_string()).collect();
            notices.push(format!(
                "not read as input: {} (gleaner output; name its {}/ directory to read the documents it kept)",
                names.join(", "),
                layout::KEPT_DIR
            ));
        }
        if let Some(first) = self.skipped_json.first() {
            notices.push(format!(
                "not read as input: {} .json file(s) in input directories, e.g. {} \
                 (name them or match them with a pattern to read them as JSON lines)",
                self.skipped_json.len(),
                first.display()
            ));
        }
        notices
    }

    /// The distinct files, sorted by path: of several names for one file, the smallest that
    /// does not go through a link.
    fn into_files(self) -> Vec<InputFile> {
        let mut best: HashMap<FileId, (bool, PathBuf)> = HashMap::new();
        for c in self.candidates {
            let key = (c.via_link, c.path);
            best.entry(c.id)
                .and_modify(|b| {
                    if key < *b {
                        *b = key.clone();
                    }
                })
                .or_insert(key);
        }
        let mut paths: Vec<PathBuf> = best.into_values().map(|(_, p)| p).collect();
        paths.sort();
        paths
            .into_iter()
            .enumerate()
            .map(|(index, path)| {
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                InputFile::new(index, path, size)
            })
            .collect()
    }
}

/// The part of a pattern before its first component with a wildcard.
fn literal_root(pattern: &Path) -> PathBuf {
    let mut root = PathBuf::new();
    for c in pattern.components() {
        if c.as_os_str().to_string_lossy().contains(['*', '?', '[']) {
            break;
        }
        root.push(c);
    }
    root
}

fn is_data_file(name: &str) -> bool {
    let stem = compress::strip_compression_suffix(name);
    DATA_SUFFIXES.iter().any(|s| stem.ends_with(s))
}

fn is_json_file(name: &str) -> bool {
    compress::strip_compression_suffix(name).ends_with(".json")
}
