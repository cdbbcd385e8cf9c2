//! Extraction confidence: a 0–1 prediction of the token F1 of the extracted text against the
//! text a person marks as the page's main content, so that only pages that came out badly need
//! a slower fallback. A logistic model over what extraction already measured (how much text,
//! which strategy found it, its share of the page, how its lines look, the page-type
//! probabilities); its coefficients were fitted by `bench/extraction/fit_models.py` on the
//! tuning part of WCXB dev only (cross-entropy against each page's real token F1).

use super::MainText;
use super::models::{CONFIDENCE_BIAS, CONFIDENCE_WEIGHTS};

/// Number of confidence features.
pub const N_FEATURES: usize = 19;

/// Names of the features, in order.
pub const FEATURE_NAMES: [&str; N_FEATURES] = [
    "text_len",
    "share_of_body",
    "strategy",
    "lines",
    "mean_line_len",
    "short_line_share",
    "body_link_density",
    "roots",
    "body_len",
    "p_article",
    "p_forum",
    "p_product",
    "p_collection",
    "p_listing",
    "p_documentation",
    "p_service",
    "from_noscript",
    "from_description",
    "listing_mode",
];

/// The confidence features of one page.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ConfidenceFeatures(pub [f32; N_FEATURES]);

fn log_scaled(n: f32, scale: f32) -> f32 {
    ((1.0 + n).ln() / scale).min(1.5)
}

/// Measures the features of an extraction.
pub fn features(main: &MainText, page_type_probabilities: &[f32; 7]) -> ConfidenceFeatures {
    let mut f = [0f32; N_FEATURES];
    let mut chars = 0usize;
    let mut lines = 0usize;
    let mut short = 0usize;
    for line in main.text.lines() {
        let n = super::text::visible_chars_and_commas(line).0;
        chars += n;
        lines += 1;
        if n < 30 {
            short += 1;
        }
    }
    f[0] = log_scaled(chars as f32, 10.0);
    f[1] = (chars as f32 / main.body_chars.max(1) as f32).min(1.0);
    f[2] = if main.strategy <= 2 {
        main.strategy as f32 / 2.0
    } else {
        0.0
    };
    f[3] = log_scaled(lines as f32, 5.0);
    f[4] = (chars as f32 / lines.max(1) as f32 / 200.0).min(1.5);
    f[5] = short as f32 / lines.max(1) as f32;
    f[6] = main.body_link_density;
    f[7] = log_scaled(main.roots as f32, 3.0);
    f[8] = log_scaled(main.body_chars as f32, 12.0);
    f[9..16].copy_from_slice(page_type_probabilities);
    f[16] = f32::from(main.strategy == 3);
    f[17] = f32::from(main.strategy == 4);
    f[18] = f32::from(main.strategy == 5);
    ConfidenceFeatures(f)
}

/// The model's confidence for `f`, in 0–1.
pub fn predict(f: &ConfidenceFeatures) -> f32 {
    let z = CONFIDENCE_BIAS
        + CONFIDENCE_WEIGHTS
            .iter()
            .zip(&f.0)
            .map(|(w, x)| w * x)
            .sum::<f32>();
    1.0 / (1.0 + (-z).exp())
}
