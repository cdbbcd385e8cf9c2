//! A real run's output directory, built through the library for the report and inspector tests:
//! the 400 real news articles bundled in `examples/data/news-sample.jsonl.zst`, the 20 CCNet
//! documents (with their real `language`/`language_score` metadata) of Dolma's test data
//! (`tests/fixtures/ccnet/`), and the user's seed document (`examples/data/raw-example.txt`) —
//! all in the repository, so these tests run on a lone clone — through normalize → length filter → exact dedup → a C4-style line filter → length filter, written
//! with the engine's own shard writer the way `gleaner run` lays out its output.
//!
//! The C4 line filter and the exact dedup here are test-only stages: the real ones live on other
//! branches. They follow the published rules closely enough to remove real lines and real
//! copies, which is all the report and the inspector need.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use gleaner::config::InputConfig;
use gleaner::executor::{InputInfo, PassInfo, RunInfo};
use gleaner::io::{self, OutRow, ShardWriter, ShardWriterOptions};
use gleaner::pipeline::{DocOutcome, NamedStage};
use gleaner::report::read::{ClusterMember, SyndicationCluster};
use gleaner::stage::{CorpusInput, PrepareContext};
use gleaner::stages::BuiltStage;
use gleaner::stats::{InputStats, OutputStats, RunStats};
use gleaner::{
    CorpusStage, Document, Pipeline, PipelineConfig, Reason, Removal, Stage, StageContext, Verdict,
};
use serde_json::{Value, json};

/// The workspace's root directory.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The user's raw document.
pub fn seed_text() -> String {
    std::fs::read_to_string(seed_path()).expect("examples/data/raw-example.txt")
}

fn seed_path() -> PathBuf {
    repo().join("examples/data/raw-example.txt")
}

fn news_path() -> PathBuf {
    repo().join("examples/data/news-sample.jsonl.zst")
}

fn ccnet_paths() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ccnet");
    ["cc_en_head-0091.jsonl.gz", "cc_en_head-0174.jsonl.gz"]
        .iter()
        .map(|n| dir.join(n))
        .collect()
}

/// Id the seed document gets in the test run.
pub const SEED_ID: &str = "seed/raw-example";

/// Every document of `paths`, read with gleaner's own reader.
fn read_documents(paths: &[PathBuf]) -> Vec<Document> {
    let files = io::expand_inputs(paths).expect("test inputs");
    let mut docs = Vec::new();
    for f in &files {
        for d in io::open_records(f, &InputConfig::default(), Arc::new(AtomicU64::new(0))) {
            docs.push(d.expect("test input record"));
        }
    }
    docs
}

/// The bundled news articles (id `news-N`, metadata url/title/date/source), then the four
/// articles of the full set that are real exact copies of one another (two pairs, in set order:
/// `tests/fixtures/news-repeats.jsonl`), so the dedup parts of the report have real clusters.
pub fn news_documents() -> Vec<Document> {
    let mut docs = read_documents(&[news_path()]);
    docs.extend(read_documents(&[repeats_path()]));
    docs
}

fn repeats_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/news-repeats.jsonl")
}

/// The CCNet documents in Dolma format.
pub fn dolma_documents() -> Vec<Document> {
    read_documents(&ccnet_paths())
}

/// C4's line rule (Raffel et al. 2020, §2.2; datatrove 0.10.1 C4QualityFilter
/// `filter_no_terminal_punct=True`): keep only lines that end in a terminal punctuation mark.
pub struct TerminalPunctuation;

/// datatrove 0.10.1 `END_PUNCTUATION` (with the closing quote C4 allows after the mark).
const TERMINAL: &[char] = &['.', '?', '!', '"', '\'', '”', '’'];

impl Stage for TerminalPunctuation {
    fn kind(&self) -> &'static str {
        "c4_terminal_punct_test"
    }

    fn process(&self, doc: &mut Document, cx: &mut StageContext) -> Verdict {
        let mut kept = Vec::new();
        for (i, line) in doc.text.split('\n').enumerate() {
            let trimmed = line.trim_end();
            match trimmed.chars().last() {
                Some(c) if TERMINAL.contains(&c) => kept.push(line),
                last => cx.remove_line(
                    i,
                    line,
                    "no_terminal_punct",
                    last.map(String::from).unwrap_or_default(),
                    ".?!\"'",
                ),
            }
        }
        if kept.len() != doc.text.split('\n').count() {
            doc.text = kept.join("\n");
        }
        Verdict::Keep
    }
}

/// Exact dedup on whitespace-normalised text: the first copy in input order is kept.
#[derive(Default)]
pub struct ExactDedup {
    first: HashMap<u64, String>,
    /// `(key, id)` of each scanned file's documents, by file, until `finish` takes the first.
    scanned: std::sync::Mutex<std::collections::BTreeMap<usize, Vec<(u64, String)>>>,
}

fn key(text: &str) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for w in text.split_whitespace() {
        h.update(w.as_bytes());
        h.update(b" ");
    }
    h.digest()
}

impl CorpusStage for ExactDedup {
    fn kind(&self) -> &'static str {
        "exact_dedup_test"
    }

    fn open(&self, _cx: &PrepareContext<'_>, _files: usize) -> gleaner::Result<()> {
        Ok(())
    }

    fn scan(
        &self,
        _cx: &PrepareContext<'_>,
        input: &dyn CorpusInput,
        file: usize,
    ) -> gleaner::Result<()> {
        let mut keys = Vec::new();
        input.for_each_in_file(file, &mut |d| keys.push((key(&d.text), d.id.clone())))?;
        self.scanned.lock().unwrap().insert(file, keys);
        Ok(())
    }

    fn finish(&mut self, _cx: &PrepareContext<'_>, _files: usize) -> gleaner::Result<()> {
        for (k, id) in std::mem::take(self.scanned.get_mut().unwrap())
            .into_values()
            .flatten()
        {
            self.first.entry(k).or_insert(id);
        }
        Ok(())
    }

    fn process(&self, doc: &mut Document, _cx: &mut StageContext) -> Verdict {
        match self.first.get(&key(&doc.text)) {
            Some(id) if id != &doc.id => Verdict::Drop(
                Removal::new("exact_duplicate", Value::Null, Value::Null).with_kept_id(id.clone()),
            ),
            _ => Verdict::Keep,
        }
    }
}

struct VecInput<'a>(&'a [Document]);

impl CorpusInput for VecInput<'_> {
    fn file_count(&self) -> usize {
        1
    }
    fn for_each_in_file(&self, _index: usize, f: &mut dyn FnMut(&Document)) -> gleaner::Result<()> {
        self.0.iter().for_each(f);
        Ok(())
    }
}

/// The pipeline file the hand-built run stands for (test stages named as in the run).
pub const PIPELINE_TOML: &str = "\
[[stage]]
type = \"normalize\"

[[stage]]
type = \"length_filter\"
# datatrove 0.10.1 GopherQualityFilter: min_doc_words=50
min_words = 50

[[stage]]
type = \"length_filter\"
name = \"length_after_lines\"
min_words = 50
";

/// What the hand-built run produced, for assertions.
pub struct BuiltRun {
    /// Output directory.
    pub dir: PathBuf,
    /// Every input document after the normalize stage (what reconstruction should give back).
    pub normalized: HashMap<String, String>,
    /// Removed documents.
    pub removed: Vec<(Document, Reason)>,
    /// Kept documents.
    pub kept: Vec<Document>,
    /// Stats as written.
    pub stats: RunStats,
}

/// Runs the pipeline over news + dolma + seed and writes a complete output directory at `dir`.
pub fn build_run(dir: &Path) -> BuiltRun {
    let started = Instant::now();
    let mut inputs: Vec<Document> = news_documents();
    inputs.extend(dolma_documents());
    let mut seed = Document::new(SEED_ID, seed_text());
    seed.metadata
        .insert("source".into(), json!("user seed (raw-example.txt)"));
    inputs.push(seed);
    for (i, d) in inputs.iter_mut().enumerate() {
        d.position = i as u64;
    }

    let cfg = PipelineConfig::from_toml(PIPELINE_TOML, Path::new(".")).expect("pipeline");
    let mut pipeline = Pipeline::from_config(&cfg).expect("pipeline builds");
    // normalize → length_filter → exact_dedup → c4_lines → length_after_lines
    pipeline.stages.insert(
        2,
        NamedStage {
            name: "exact_dedup".into(),
            stage: BuiltStage::Corpus(Box::new(ExactDedup::default())),
        },
    );
    pipeline.stages.insert(
        3,
        NamedStage {
            name: "c4_lines".into(),
            stage: BuiltStage::Document(Box::new(TerminalPunctuation)),
        },
    );

    let input_stats = InputStats {
        files: 4,
        docs: inputs.len() as u64,
        text_bytes: inputs.iter().map(|d| d.text.len() as u64).sum(),
        ..Default::default()
    };
    // Stage by stage, so each stage's time is measured and a corpus stage can be prepared on
    // exactly the documents that reach it.
    let mut stats = pipeline.empty_stats();
    let mut stage_secs: Vec<(String, f64, u64, u64)> = Vec::new();
    let mut current = inputs;
    let mut removed: Vec<(Document, Reason)> = Vec::new();
    let mut normalized = HashMap::new();
    for i in 0..pipeline.stages.len() {
        let t = Instant::now();
        if let BuiltStage::Corpus(s) = &mut pipeline.stages[i].stage {
            let work = dir.join(".work");
            let cx = PrepareContext {
                work_dir: &work,
                memory_budget: 1 << 30,
                threads: 2,
            };
            s.prepare(&cx, &VecInput(&current)).expect("prepare");
        }
        let (outcomes, st) = pipeline.run_batch(i..i + 1, std::mem::take(&mut current));
        stage_secs.push((
            pipeline.stages[i].name.clone(),
            t.elapsed().as_secs_f64(),
            st[i].docs_in,
            st[i].bytes_in,
        ));
        for (a, b) in stats.iter_mut().zip(&st) {
            a.merge(b);
        }
        for o in outcomes {
            match o {
                DocOutcome::Kept(d) => current.push(d),
                DocOutcome::Removed(r) => removed.push((r.document, r.reason)),
            }
        }
        if i == 0 {
            normalized = current
                .iter()
                .map(|d| (d.id.clone(), d.text.clone()))
                .collect();
        }
    }
    removed.sort_by_key(|(d, _)| d.position);
    let kept = current;

    // Shards of 1000 documents, so the report reads more than one file per kind.
    let opts = ShardWriterOptions {
        max_docs: 1000,
        ..ShardWriterOptions::jsonl_zst()
    };
    let mut kept_w = ShardWriter::new(&dir.join("kept"), "part", opts);
    let mut audit_w = ShardWriter::new(&dir.join("audit"), "part", opts);
    let mut removed_w = ShardWriter::new(&dir.join("removed"), "part", opts);
    for d in &kept {
        kept_w
            .write(OutRow {
                doc: d,
                removal: None,
                edits: None,
            })
            .expect("write kept");
        if !d.edits.is_empty() {
            audit_w
                .write(OutRow {
                    doc: d,
                    removal: None,
                    edits: Some(&d.edits),
                })
                .expect("write audit");
        }
    }
    for (d, r) in &removed {
        removed_w
            .write(OutRow {
                doc: d,
                removal: Some(r),
                edits: (!d.edits.is_empty()).then_some(&d.edits[..]),
            })
            .expect("write removed");
    }
    let kept_shards = kept_w.finish().expect("kept shards").len() as u64;
    audit_w.finish().expect("audit shards");
    removed_w.finish().expect("removed shards");

    let run_stats = RunStats {
        input: input_stats,
        stages: stats,
        output: OutputStats {
            kept_docs: kept.len() as u64,
            kept_bytes: kept.iter().map(|d| d.text.len() as u64).sum(),
            removed_docs: removed.len() as u64,
            removed_bytes: removed.iter().map(|(d, _)| d.text.len() as u64).sum(),
            kept_shards,
            kept_tokens: 0,
        },
    };
    io::write_atomic(
        &dir.join("stats.json"),
        serde_json::to_string_pretty(&run_stats).unwrap().as_bytes(),
    )
    .unwrap();

    // The syndication map: each kept document with copies, and its copies, with URLs.
    let url = |d: &Document| d.url().map(str::to_string);
    let mut clusters: Vec<SyndicationCluster> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (d, r) in &removed {
        let Some(k) = r.kept_id.as_deref() else {
            continue;
        };
        let at = *index.entry(k).or_insert_with(|| {
            // The kept copy may itself have been removed by a later stage.
            let kd = kept
                .iter()
                .chain(removed.iter().map(|(d, _)| d))
                .find(|x| x.id == k)
                .expect("kept copy exists");
            clusters.push(SyndicationCluster {
                cluster: json!(clusters.len()),
                size: 1,
                kept_id: Some(k.to_string()),
                members: vec![ClusterMember {
                    id: k.to_string(),
                    url: url(kd),
                }],
                ..Default::default()
            });
            clusters.len() - 1
        });
        clusters[at].size += 1;
        clusters[at].members.push(ClusterMember {
            id: d.id.clone(),
            url: url(d),
        });
    }
    // In the shape the dedup stages write (`kept` apart from `duplicates`).
    let mut lines = String::new();
    for c in &clusters {
        let line = json!({
            "stage": "exact_dedup",
            "rule": "exact_duplicate",
            "cluster_id": c.cluster,
            "size": c.size,
            "kept": c.members[0],
            "duplicates": c.members[1..],
        });
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    io::write_atomic(&dir.join("syndication.jsonl"), lines.as_bytes()).unwrap();

    let file_size = |p: PathBuf| {
        let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        InputInfo {
            path: p.display().to_string(),
            size,
        }
    };
    // The passes the executor would make: stages before the corpus-wide dedup, its prepare
    // phase (timed with it here), and the stages from dedup on; times measured above.
    let pass = |name: &str, range: std::ops::Range<usize>| {
        let part = &stage_secs[range];
        PassInfo {
            name: name.into(),
            stages: part.iter().map(|s| s.0.clone()).collect(),
            elapsed_secs: part.iter().map(|s| s.1).sum(),
            docs: part[0].2,
            bytes: part[0].3,
        }
    };
    let run = RunInfo {
        version: env!("CARGO_PKG_VERSION").into(),
        elapsed_secs: started.elapsed().as_secs_f64(),
        threads: rayon::current_num_threads(),
        inputs: vec![
            file_size(news_path()),
            file_size(repeats_path()),
            file_size(ccnet_paths()[0].clone()),
            file_size(ccnet_paths()[1].clone()),
            file_size(seed_path()),
        ],
        config_toml: format!(
            "{PIPELINE_TOML}\n# test-only stages inserted by the test harness:\n\
             # exact_dedup (after length_filter): exact copies of whitespace-normalised text\n\
             # c4_lines (after exact_dedup): C4 terminal punctuation line rule\n"
        ),
        passes: vec![pass("pass 1/2", 0..2), pass("pass 2/2", 2..5)],
        resumed_files: 0,
        fingerprint: "hand-built".into(),
        notices: Vec::new(),
    };
    io::write_atomic(
        &dir.join("run.json"),
        serde_json::to_string_pretty(&run).unwrap().as_bytes(),
    )
    .unwrap();

    BuiltRun {
        dir: dir.to_path_buf(),
        normalized,
        removed,
        kept,
        stats: run_stats,
    }
}
