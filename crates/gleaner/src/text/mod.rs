//! Text primitives shared by the quality filters: Python-compatible string semantics
//! ([`chars`]), spaCy-compatible English word and sentence splitting ([`tokenizer`]), and the
//! repetition statistics the Gopher and FineWeb rules are defined on ([`repetition`]).
//!
//! Everything here exists to make gleaner's decisions identical to datatrove's on the same text;
//! each function names the Python behaviour it reproduces.

pub mod chars;
pub mod repetition;
#[rustfmt::skip]
#[allow(clippy::all)]
mod tables;
pub mod tokenizer;

pub use tokenizer::{count_sentences, split_into_words, tokenize};
