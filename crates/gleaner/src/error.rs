//! Engine errors. Each names the file (and where it can, the record) and the problem, because the
//! user's first question on a failed corpus run is always "which input, where?".

use std::path::PathBuf;

/// Result alias used across the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error that stops a run (as opposed to a bad record, which becomes a reject).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The pipeline file or a stage's parameters are wrong.
    #[error("pipeline config: {0}")]
    Config(String),
    /// Input paths matched nothing, or nothing at all could be read.
    #[error("input: {0}")]
    Input(String),
    /// The output directory holds a different run.
    #[error("output: {0}")]
    Output(String),
    /// A stage failed in a way that is not about one document (e.g. its work files).
    #[error("stage {stage}: {message}")]
    Stage {
        /// Stage name.
        stage: String,
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Extension to attach a path to `std::io::Result`s.
pub trait IoContext<T> {
    /// Names the file an I/O error concerns.
    fn with_path(self, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn with_path(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|e| Error::io(path, e))
    }
}
