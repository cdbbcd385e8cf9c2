//! Where gleaner's tests find the large development data sets (`shared/data`: the 3,824 news
//! articles, the real WARC/WET/ARC files, the extraction sets), decided once for every test in
//! the workspace.
//!
//! Those sets live beside a developer's checkout and in CI, not in the repository: a user who
//! clones gleaner alone has none of them, and `scripts/test` must still pass there. So a test
//! that needs one asks [`shared_file`] and returns early (saying so on stderr) when the file is
//! absent. CI sets `GLEANER_REQUIRE_SHARED_DATA=1`, which turns that absence into a failure, so
//! a misplaced data directory can never make CI skip those tests silently. Data the everyday
//! tests need is small and lives in the repository (`examples/data`, `tests/fixtures`).

use std::path::{Path, PathBuf};

/// Set to `1` (as `.ci/run` does) to make a missing data set fail the test instead of skipping it.
pub const REQUIRE_VAR: &str = "GLEANER_REQUIRE_SHARED_DATA";

/// Overrides the location of the shared `data` directory.
pub const LOCATION_VAR: &str = "GLEANER_SHARED_DATA";

/// The shared `data` directory: `$GLEANER_SHARED_DATA`, else `../shared/data` beside the
/// workspace. It may not exist.
pub fn shared_data_dir() -> PathBuf {
    if let Some(p) = std::env::var_os(LOCATION_VAR) {
        return PathBuf::from(p);
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    p.canonicalize().unwrap_or(p)
}

/// `rel` (a file or directory under the shared `data` directory) when it exists. When it does
/// not, prints why the calling test is skipped and returns `None`, or panics if
/// `GLEANER_REQUIRE_SHARED_DATA=1`.
pub fn shared_file(rel: &str) -> Option<PathBuf> {
    let p = shared_data_dir().join(rel);
    if p.exists() {
        return Some(p);
    }
    let required = std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{} is missing and {REQUIRE_VAR}=1: the shared development data must be present \
         (set {LOCATION_VAR} to its `data` directory)",
        p.display()
    );
    eprintln!(
        "skipped: needs {} (the shared development data; absent in a lone clone, present in CI)",
        p.display()
    );
    None
}
