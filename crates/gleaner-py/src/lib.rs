//! gleaner for Python: the PyO3 extension module `gleaner._gleaner` and the Arrow glue under it.
//!
//! [`batch`] maps Arrow record batches to gleaner documents and back (what `Pipeline.process`
//! runs); `steps` exposes the executor's run steps (what the `gleaner.ray`
//! tasks call); [`minhash`] computes MinHash signatures and band keys as Arrow
//! arrays, and [`exact`] the exact-dedup text hashes. All are plain Rust and tested by `cargo test`. The Python module itself (`python`)
//! is compiled only with the `python` feature, which maturin turns on (see `pyproject.toml`), so
//! the workspace builds and tests without a Python interpreter.

pub mod batch;
pub mod exact;
pub mod minhash;

#[cfg(feature = "python")]
mod python;
#[cfg(feature = "python")]
mod steps;
