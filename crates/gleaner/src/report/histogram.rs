//! Histograms with a "before" and an "after" series: document counts per bin (length, language
//! score) or per label (language), kept and removed documents counted apart so a partial scan
//! can scale each by its own total.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// Label counted for documents without `metadata.language`; kept out of the language chart (it
/// would dwarf the languages) and reported as a number beside it.
pub const NO_LANGUAGE: &str = "(none)";

/// A histogram with a "before the pipeline" and an "after" series over the same bins.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BeforeAfter {
    /// Bin labels.
    pub labels: Vec<String>,
    /// Documents per bin in the input (kept and removed documents, lines put back).
    pub before: Vec<f64>,
    /// Documents per bin in the kept output.
    pub after: Vec<f64>,
}

/// Languages shown by name before the rest are summed as "other".
const TOP_LANGUAGES: usize = 12;
/// Counts per bin: kept documents as written (after) and as they came in (their share of
/// before), and removed documents as they came in. "Before" is kept-before plus removed.
pub(super) struct Bins {
    pub(super) kept: Vec<u64>,
    pub(super) kept_before: Vec<u64>,
    pub(super) removed: Vec<u64>,
}

impl Bins {
    pub(super) fn new(n: usize) -> Self {
        Bins {
            kept: vec![0; n],
            kept_before: vec![0; n],
            removed: vec![0; n],
        }
    }

    pub(super) fn finish(&self, ks: f64, rs: f64, label: impl Fn(usize) -> String) -> BeforeAfter {
        let after: Vec<f64> = self.kept.iter().map(|&k| (k as f64 * ks).round()).collect();
        let before = self
            .removed
            .iter()
            .zip(&self.kept_before)
            .map(|(&r, &k)| (k as f64 * ks).round() + (r as f64 * rs).round())
            .collect();
        BeforeAfter {
            labels: (0..self.kept.len()).map(label).collect(),
            before,
            after,
        }
    }
}

/// Language label counts.
#[derive(Default)]
pub(super) struct LangCounts {
    pub(super) kept: HashMap<String, u64>,
    pub(super) removed: HashMap<String, u64>,
}

impl LangCounts {
    pub(super) fn finish(&self, ks: f64, rs: f64) -> BeforeAfter {
        let mut totals: BTreeMap<&str, f64> = BTreeMap::new();
        for (l, &n) in &self.kept {
            *totals.entry(l).or_default() += n as f64 * ks;
        }
        for (l, &n) in &self.removed {
            *totals.entry(l).or_default() += n as f64 * rs;
        }
        let mut order: Vec<(&str, f64)> = totals
            .into_iter()
            .filter(|(l, _)| *l != NO_LANGUAGE)
            .collect();
        // Most frequent first; ties by name so the order is deterministic.
        order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        let shown: Vec<&str> = order.iter().take(TOP_LANGUAGES).map(|x| x.0).collect();
        let mut out = BeforeAfter::default();
        let get = |m: &HashMap<String, u64>, l: &str| m.get(l).copied().unwrap_or(0) as f64;
        for l in &shown {
            out.labels.push(l.to_string());
            let a = (get(&self.kept, l) * ks).round();
            out.after.push(a);
            out.before.push(a + (get(&self.removed, l) * rs).round());
        }
        if order.len() > shown.len() {
            let rest = |m: &HashMap<String, u64>| -> f64 {
                m.iter()
                    .filter(|(l, _)| *l != NO_LANGUAGE && !shown.contains(&l.as_str()))
                    .map(|(_, &n)| n as f64)
                    .sum()
            };
            let a = (rest(&self.kept) * ks).round();
            out.labels.push("other".into());
            out.after.push(a);
            out.before.push(a + (rest(&self.removed) * rs).round());
        }
        out
    }
}
