//! The `extract` stage lives with the extractor in [`crate::extract`]; this module re-exports it
//! under the stage catalogue.

pub use crate::extract::{ExtractConfig, ExtractStage};
