//! Gathering what the report shows from an output directory: counts from `stats.json`, timings
//! from `run.json`, and one bounded pass over the removed, audit and kept shards for
//! distributions, excerpts and duplicate clusters.
//!
//! Bounded means: each shard kind is read until [`SCAN_BYTES_PER_KIND`] bytes of text have been
//! seen, excerpts are the first [`SAMPLES_PER_RULE`] per rule in file order (deterministic, no
//! random reservoir), and the largest clusters list is a fixed size. When a scan stops early its
//! histograms are scaled up by the exact totals from `stats.json`, and the report says so.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

pub use super::histogram::{BeforeAfter, NO_LANGUAGE};
use super::histogram::{Bins, LangCounts};
use super::read::{
    ClusterMember, OutputRecord, ShardKind, SyndicationCluster, for_each_cluster, for_each_record,
    for_each_reject,
};
use crate::error::{Error, IoContext, Result};
use crate::executor::{RunInfo, layout};
use crate::io::Reject;
use crate::stats::RunStats;

/// Text bytes read per shard kind before the scan stops (and its histograms become estimates).
/// 256 MiB reads in a few seconds and is far more than a distribution needs.
pub const SCAN_BYTES_PER_KIND: u64 = 256 << 20;
/// Removed documents, and removed lines, shown per rule.
pub const SAMPLES_PER_RULE: usize = 5;
/// Characters of a removed document shown in its excerpt.
pub const EXCERPT_CHARS: usize = 600;
/// Characters of a removed line shown.
pub const LINE_CHARS: usize = 300;
/// Largest duplicate clusters listed, and members shown per cluster.
pub const LARGEST_CLUSTERS: usize = 10;
const MEMBERS_SHOWN: usize = 25;
/// Document length bins in words: bin i is `[EDGES[i], EDGES[i+1])`, the last is open.
const LENGTH_EDGES: &[u64] = &[
    0, 10, 25, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 50_000,
];
const SCORE_BINS: usize = 20;
/// Cluster size bins: bin i is `[EDGES[i], EDGES[i+1])`, the last is open.
const CLUSTER_EDGES: &[u64] = &[2, 3, 4, 5, 6, 11, 21, 51, 101, 1001];

/// A removed document shown as an example of its rule.
#[derive(Debug, Clone, Serialize)]
pub struct DocSample {
    /// Document id.
    pub id: String,
    /// URL, when known.
    pub url: Option<String>,
    /// Measured value.
    pub value: Value,
    /// Threshold.
    pub threshold: Value,
    /// Kept copy, for duplicates.
    pub kept_id: Option<String>,
    /// Free-text detail.
    pub detail: Option<String>,
    /// The start of the text as it came in (lines removed by earlier stages put back).
    pub excerpt: String,
    /// Lines earlier stages had removed from it before this rule dropped it.
    pub lines_removed_before: usize,
    /// Whether the excerpt was cut.
    pub truncated: bool,
    /// Words in the removed text.
    pub words: u64,
}

/// A removed line shown as an example of its rule.
#[derive(Debug, Clone, Serialize)]
pub struct LineSample {
    /// Document id.
    pub id: String,
    /// Zero-based index of the line in the text the stage received.
    pub line: usize,
    /// The line (cut to [`LINE_CHARS`]).
    pub text: String,
    /// Measured value.
    pub value: Value,
    /// Threshold.
    pub threshold: Value,
}

/// Examples of one rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleSamples<T> {
    /// Stage instance name.
    pub stage: String,
    /// Rule.
    pub rule: String,
    /// How many documents (or lines) the rule removed in the whole run, from `stats.json`.
    pub total: u64,
    /// The first few, in file order.
    pub samples: Vec<T>,
}

/// Duplicate clusters.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Clusters {
    /// `syndication.jsonl` or `removed/ kept_id`, whichever the numbers come from.
    pub source: String,
    /// Number of clusters (of two or more documents).
    pub total: u64,
    /// Cluster size bin labels.
    pub size_labels: Vec<String>,
    /// Clusters per size bin.
    pub size_counts: Vec<u64>,
    /// The largest clusters, largest first (members cut to 25).
    pub largest: Vec<SyndicationCluster>,
    /// Lines of `syndication.jsonl` that could not be read.
    pub unreadable_lines: u64,
}

/// How much of each shard kind the scan read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanCoverage {
    /// Kept documents read.
    pub kept_docs: u64,
    /// Whether every kept document was read.
    pub kept_complete: bool,
    /// Removed documents read.
    pub removed_docs: u64,
    /// Whether every removed document was read.
    pub removed_complete: bool,
    /// Audit records read.
    pub audit_docs: u64,
    /// Whether every audit record was read.
    pub audit_complete: bool,
}

/// Everything the report shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportData {
    /// The output directory, as given.
    pub out_dir: String,
    /// `stats.json`.
    pub stats: RunStats,
    /// `run.json` (defaults when absent).
    pub run: RunInfo,
    /// Problems reading `run.json`, shown instead of timings.
    pub run_note: Option<String>,
    /// How much was scanned.
    pub coverage: ScanCoverage,
    /// Document length in words.
    pub lengths: BeforeAfter,
    /// Languages (`metadata.language`), when any document has one.
    pub languages: Option<BeforeAfter>,
    /// Documents without `metadata.language`: (before, after).
    pub languages_missing: (f64, f64),
    /// Language scores (`metadata.language_score`), when any document has one.
    pub language_scores: Option<BeforeAfter>,
    /// Removed documents per rule.
    pub doc_samples: Vec<RuleSamples<DocSample>>,
    /// Removed lines per rule.
    pub line_samples: Vec<RuleSamples<LineSample>>,
    /// Duplicate clusters.
    pub clusters: Clusters,
    /// The first rejects.
    pub reject_samples: Vec<Reject>,
}

/// Reads everything the report needs from `out_dir`, within [`SCAN_BYTES_PER_KIND`].
pub fn collect(out_dir: &Path) -> Result<ReportData> {
    collect_within(out_dir, SCAN_BYTES_PER_KIND)
}

/// [`collect`] reading at most `scan_bytes` of text per shard kind (tests use a small limit to
/// exercise the estimates a huge run gets).
pub fn collect_within(out_dir: &Path, scan_bytes: u64) -> Result<ReportData> {
    let stats_path = out_dir.join(layout::STATS_FILE);
    let stats_text = std::fs::read_to_string(&stats_path).with_path(&stats_path)?;
    let stats: RunStats = serde_json::from_str(&stats_text)
        .map_err(|e| Error::Output(format!("{}: {e}", stats_path.display())))?;
    let run_path = out_dir.join(layout::RUN_FILE);
    let (run, run_note) = match std::fs::read_to_string(&run_path) {
        Ok(text) => match serde_json::from_str::<RunInfo>(&text) {
            Ok(r) => (r, None),
            Err(e) => (
                RunInfo::default(),
                Some(format!("{} could not be read: {e}", layout::RUN_FILE)),
            ),
        },
        Err(_) => (
            RunInfo::default(),
            Some(format!(
                "this run wrote no {}: no configuration or timings to show",
                layout::RUN_FILE
            )),
        ),
    };

    let mut scan = Scan::new(&stats, scan_bytes);
    scan.removed(out_dir)?;
    scan.audit(out_dir)?;
    scan.kept(out_dir)?;
    let clusters = scan.clusters(out_dir)?;

    let mut reject_samples = Vec::new();
    for_each_reject(out_dir, &mut |r| {
        if reject_samples.len() < SAMPLES_PER_RULE {
            reject_samples.push(r);
        }
    })?;

    let kept_scale = scale(stats.output.kept_docs, scan.coverage.kept_docs);
    let removed_scale = scale(stats.output.removed_docs, scan.coverage.removed_docs);
    let lengths = scan.lengths.finish(kept_scale, removed_scale, |i| {
        let lo = LENGTH_EDGES[i];
        match LENGTH_EDGES.get(i + 1) {
            Some(hi) => format!("{lo}–{}", hi - 1),
            None => format!("≥{lo}"),
        }
    });
    let languages = scan
        .any_language
        .then(|| scan.languages.finish(kept_scale, removed_scale));
    let none = |m: &HashMap<String, u64>| m.get(NO_LANGUAGE).copied().unwrap_or(0) as f64;
    let missing_after = (none(&scan.languages.kept) * kept_scale).round();
    let languages_missing = (
        missing_after + (none(&scan.languages.removed) * removed_scale).round(),
        missing_after,
    );
    let language_scores = scan.any_score.then(|| {
        scan.scores.finish(kept_scale, removed_scale, |i| {
            format!(
                "{:.2}–{:.2}",
                i as f64 / SCORE_BINS as f64,
                (i + 1) as f64 / SCORE_BINS as f64
            )
        })
    });

    let doc_samples = order_samples(&stats, scan.doc_samples, |s, r| {
        s.removed_by_rule.get(r).copied()
    });
    let line_samples = order_samples(&stats, scan.line_samples, |s, r| {
        s.lines_removed_by_rule.get(r).copied()
    });

    Ok(ReportData {
        out_dir: out_dir.display().to_string(),
        stats,
        run,
        run_note,
        coverage: scan.coverage,
        lengths,
        languages,
        languages_missing,
        language_scores,
        doc_samples,
        line_samples,
        clusters,
        reject_samples,
    })
}

/// Factor that turns counts over `scanned` documents into estimates over `total`.
fn scale(total: u64, scanned: u64) -> f64 {
    if scanned == 0 || total <= scanned {
        1.0
    } else {
        total as f64 / scanned as f64
    }
}

/// Puts samples in pipeline order (stages as in stats.json, rules by name within a stage) with
/// totals from stats; rules the scan saw but stats do not know keep their sampled count.
fn order_samples<T>(
    stats: &RunStats,
    mut samples: BTreeMap<(String, String), Vec<T>>,
    total_of: impl Fn(&crate::stats::StageStats, &str) -> Option<u64>,
) -> Vec<RuleSamples<T>> {
    let mut out = Vec::new();
    for st in &stats.stages {
        let keys: Vec<(String, String)> = samples
            .keys()
            .filter(|(stage, _)| stage == &st.name)
            .cloned()
            .collect();
        for key in keys {
            let s = samples.remove(&key).unwrap_or_default();
            let total = total_of(st, &key.1).unwrap_or(s.len() as u64);
            out.push(RuleSamples {
                stage: key.0,
                rule: key.1,
                total,
                samples: s,
            });
        }
    }
    for ((stage, rule), s) in samples {
        out.push(RuleSamples {
            stage,
            rule,
            total: s.len() as u64,
            samples: s,
        });
    }
    out
}

/// Partial cluster built from `removal.kept_id` when there is no syndication map.
#[derive(Default)]
struct KeptIdCluster {
    removed: u64,
    members: Vec<ClusterMember>,
    first_seen: u64,
}

/// State of the one pass over the shards.
struct Scan {
    coverage: ScanCoverage,
    lengths: Bins,
    scores: Bins,
    languages: LangCounts,
    any_language: bool,
    any_score: bool,
    doc_samples: BTreeMap<(String, String), Vec<DocSample>>,
    line_samples: BTreeMap<(String, String), Vec<LineSample>>,
    /// Words in removed lines of kept documents, by id, from the audit shards.
    audit_extra_words: HashMap<String, u64>,
    by_kept_id: HashMap<String, KeptIdCluster>,
    /// Kept ids of the largest clusters, whose URLs the kept scan fills in.
    kept_urls: HashMap<String, Option<String>>,
    expect_kept: u64,
    expect_removed: u64,
    scan_bytes: u64,
}

fn length_bin(words: u64) -> usize {
    LENGTH_EDGES.iter().rposition(|&e| words >= e).unwrap_or(0)
}

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

fn cut(text: &str, chars: usize) -> (String, bool) {
    match text.char_indices().nth(chars) {
        Some((i, _)) => (text[..i].to_string(), true),
        None => (text.to_string(), false),
    }
}

impl Scan {
    fn new(stats: &RunStats, scan_bytes: u64) -> Self {
        Scan {
            coverage: ScanCoverage::default(),
            lengths: Bins::new(LENGTH_EDGES.len()),
            scores: Bins::new(SCORE_BINS),
            languages: LangCounts::default(),
            any_language: false,
            any_score: false,
            doc_samples: BTreeMap::new(),
            line_samples: BTreeMap::new(),
            audit_extra_words: HashMap::new(),
            by_kept_id: HashMap::new(),
            kept_urls: HashMap::new(),
            expect_kept: stats.output.kept_docs,
            expect_removed: stats.output.removed_docs,
            scan_bytes,
        }
    }

    /// Counts a document's language and score into the kept or removed series.
    fn language(&mut self, r: &OutputRecord, kept: bool) {
        let lang = match r.metadata.get("language") {
            Some(Value::String(s)) => {
                self.any_language = true;
                s.clone()
            }
            _ => NO_LANGUAGE.to_string(),
        };
        let langs = if kept {
            &mut self.languages.kept
        } else {
            &mut self.languages.removed
        };
        *langs.entry(lang).or_default() += 1;
        if let Some(score) = r.metadata.get("language_score").and_then(Value::as_f64) {
            self.any_score = true;
            let bin = ((score.clamp(0.0, 1.0) * SCORE_BINS as f64) as usize).min(SCORE_BINS - 1);
            if kept {
                self.scores.kept[bin] += 1;
                self.scores.kept_before[bin] += 1;
            } else {
                self.scores.removed[bin] += 1;
            }
        }
    }

    fn line_edits(&mut self, r: &OutputRecord) {
        for e in &r.edits {
            let list = self
                .line_samples
                .entry((e.stage.clone(), e.rule.clone()))
                .or_default();
            if list.len() < SAMPLES_PER_RULE {
                list.push(LineSample {
                    id: r.id.clone(),
                    line: e.line,
                    text: cut(&e.text, LINE_CHARS).0,
                    value: e.value.clone(),
                    threshold: e.threshold.clone(),
                });
            }
        }
    }

    fn removed(&mut self, out_dir: &Path) -> Result<()> {
        let mut bytes = 0u64;
        let mut complete = true;
        let mut seen = 0u64;
        for_each_record(out_dir, ShardKind::Removed, &mut |r| {
            if bytes >= self.scan_bytes {
                complete = false;
                return false;
            }
            bytes += r.text.len() as u64;
            seen += 1;
            let removed_words = words(&r.text);
            let edit_words: u64 = r.edits.iter().map(|e| words(&e.text)).sum();
            self.lengths.removed[length_bin(removed_words + edit_words)] += 1;
            self.language(&r, false);
            self.line_edits(&r);
            if let Some(reason) = &r.removal {
                let list = self
                    .doc_samples
                    .entry((reason.stage.clone(), reason.rule.clone()))
                    .or_default();
                if list.len() < SAMPLES_PER_RULE {
                    // Show the document as it came in: a rule that drops a document emptied by
                    // line removals would otherwise show nothing at all.
                    let input = if r.edits.is_empty() {
                        r.text.clone()
                    } else {
                        let lines = super::inspect::reconstruct_lines(&r.text, &r.edits);
                        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
                        texts.join("\n")
                    };
                    let (excerpt, truncated) = cut(&input, EXCERPT_CHARS);
                    list.push(DocSample {
                        id: r.id.clone(),
                        url: r.url().map(str::to_string),
                        value: reason.value.clone(),
                        threshold: reason.threshold.clone(),
                        kept_id: reason.kept_id.clone(),
                        detail: reason.detail.clone(),
                        excerpt,
                        lines_removed_before: r.edits.len(),
                        truncated,
                        words: removed_words,
                    });
                }
                if let Some(k) = &reason.kept_id {
                    let next = self.by_kept_id.len() as u64;
                    let c = self.by_kept_id.entry(k.clone()).or_insert(KeptIdCluster {
                        first_seen: next,
                        ..Default::default()
                    });
                    c.removed += 1;
                    if c.members.len() < MEMBERS_SHOWN {
                        c.members.push(ClusterMember {
                            id: r.id.clone(),
                            url: r.url().map(str::to_string),
                        });
                    }
                }
            }
            true
        })?;
        self.coverage.removed_docs = seen;
        self.coverage.removed_complete = complete && seen >= self.expect_removed;
        Ok(())
    }

    fn audit(&mut self, out_dir: &Path) -> Result<()> {
        let mut bytes = 0u64;
        let mut complete = true;
        let mut seen = 0u64;
        for_each_record(out_dir, ShardKind::Audit, &mut |r| {
            if bytes >= self.scan_bytes {
                complete = false;
                return false;
            }
            bytes += r.text.len() as u64;
            seen += 1;
            let extra: u64 = r.edits.iter().map(|e| words(&e.text)).sum();
            self.audit_extra_words.insert(r.id.clone(), extra);
            self.line_edits(&r);
            true
        })?;
        self.coverage.audit_docs = seen;
        self.coverage.audit_complete = complete;
        Ok(())
    }

    fn kept(&mut self, out_dir: &Path) -> Result<()> {
        // The kept documents of the largest clusters, whose URLs the cluster list shows.
        if !self.by_kept_id.is_empty() {
            for (k, _) in self.largest_by_kept_id() {
                self.kept_urls.insert(k, None);
            }
        }
        let mut bytes = 0u64;
        let mut complete = true;
        let mut seen = 0u64;
        for_each_record(out_dir, ShardKind::Kept, &mut |r| {
            if bytes >= self.scan_bytes {
                complete = false;
                return false;
            }
            bytes += r.text.len() as u64;
            seen += 1;
            let w = words(&r.text);
            // "Before" of a kept document counts the lines the stages removed from it.
            let before = w + self.audit_extra_words.get(&r.id).copied().unwrap_or(0);
            self.lengths.kept[length_bin(w)] += 1;
            self.lengths.kept_before[length_bin(before)] += 1;
            self.language(&r, true);
            if let Some(slot) = self.kept_urls.get_mut(&r.id) {
                *slot = r.url().map(str::to_string);
            }
            true
        })?;
        self.coverage.kept_docs = seen;
        self.coverage.kept_complete = complete && seen >= self.expect_kept;
        Ok(())
    }

    /// Kept ids of the largest clusters built from `kept_id`, largest first, ties by first seen.
    fn largest_by_kept_id(&self) -> Vec<(String, u64)> {
        let mut all: Vec<(&String, &KeptIdCluster)> = self.by_kept_id.iter().collect();
        all.sort_by(|a, b| {
            b.1.removed
                .cmp(&a.1.removed)
                .then(a.1.first_seen.cmp(&b.1.first_seen))
        });
        all.into_iter()
            .take(LARGEST_CLUSTERS)
            .map(|(k, c)| (k.clone(), c.removed + 1))
            .collect()
    }

    fn clusters(&self, out_dir: &Path) -> Result<Clusters> {
        let labels = (0..CLUSTER_EDGES.len())
            .map(|i| match CLUSTER_EDGES.get(i + 1) {
                Some(&hi) if hi == CLUSTER_EDGES[i] + 1 => CLUSTER_EDGES[i].to_string(),
                Some(&hi) => format!("{}–{}", CLUSTER_EDGES[i], hi - 1),
                None => format!("≥{}", CLUSTER_EDGES[i]),
            })
            .collect();
        let bin = |size: u64| CLUSTER_EDGES.iter().rposition(|&e| size >= e);
        let mut out = Clusters {
            size_labels: labels,
            size_counts: vec![0; CLUSTER_EDGES.len()],
            ..Default::default()
        };
        // Prefer the dedup stage's own map; fall back to grouping removed duplicates by kept_id.
        let mut largest: Vec<(u64, SyndicationCluster)> = Vec::new();
        let mut n = 0u64;
        let bad = for_each_cluster(out_dir, MEMBERS_SHOWN, &mut |mut c| {
            let size = c.size.max(c.members.len() as u64);
            if let Some(b) = bin(size) {
                out.size_counts[b] += 1;
                out.total += 1;
            }
            c.members.truncate(MEMBERS_SHOWN);
            largest.push((n, c));
            n += 1;
            // Keep the list bounded while reading: sort and cut whenever it doubles.
            if largest.len() >= 2 * LARGEST_CLUSTERS {
                sort_clusters(&mut largest);
                largest.truncate(LARGEST_CLUSTERS);
            }
        })?;
        out.unreadable_lines = bad;
        if n > 0 {
            out.source = layout::SYNDICATION_FILE.into();
            sort_clusters(&mut largest);
            largest.truncate(LARGEST_CLUSTERS);
            out.largest = largest.into_iter().map(|(_, c)| c).collect();
            return Ok(out);
        }
        out.source = format!("{}/ (kept_id)", layout::REMOVED_DIR);
        for c in self.by_kept_id.values() {
            if let Some(b) = bin(c.removed + 1) {
                out.size_counts[b] += 1;
                out.total += 1;
            }
        }
        for (kept_id, size) in self.largest_by_kept_id() {
            let c = &self.by_kept_id[&kept_id];
            let mut members = vec![ClusterMember {
                id: kept_id.clone(),
                url: self.kept_urls.get(&kept_id).cloned().flatten(),
            }];
            members.extend(c.members.iter().take(MEMBERS_SHOWN - 1).cloned());
            out.largest.push(SyndicationCluster {
                size,
                kept_id: Some(kept_id),
                members,
                ..Default::default()
            });
        }
        Ok(out)
    }
}

fn sort_clusters(list: &mut [(u64, SyndicationCluster)]) {
    list.sort_by(|a, b| b.1.size.cmp(&a.1.size).then(a.0.cmp(&b.0)));
}
