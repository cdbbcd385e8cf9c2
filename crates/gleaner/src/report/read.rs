//! Reading a finished run's output directory back: the kept, removed and audit shards (JSONL,
//! optionally gzip/zstd, or Parquet), `rejects.jsonl` and `syndication.jsonl`, as plain records in
//! file order. Shards are visited in sorted name order so everything built on them is
//! deterministic.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::InputConfig;
use crate::document::{LineEdit, Reason};
use crate::error::{Error, IoContext, Result};
use crate::executor::layout;
use crate::io::members::LargeMembers;
use crate::io::{self, InputFile, compress};

/// One output row: a kept, removed or audited document with what the run recorded about it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutputRecord {
    /// Document id.
    pub id: String,
    /// Text as written (after the stages that ran on it).
    pub text: String,
    /// Metadata as written.
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// Why it was removed (removed shards only).
    #[serde(default)]
    pub removal: Option<Reason>,
    /// Lines removed from it, in pipeline order.
    #[serde(default)]
    pub edits: Vec<LineEdit>,
}

impl OutputRecord {
    /// `metadata.url`, when present.
    pub fn url(&self) -> Option<&str> {
        self.metadata.get("url").and_then(Value::as_str)
    }
}

/// One of the shard directories of an output directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardKind {
    /// `kept/`: documents that survived.
    Kept,
    /// `removed/`: documents dropped, with their reason.
    Removed,
    /// `audit/`: kept documents that had lines removed, with the edits.
    Audit,
}

impl ShardKind {
    /// The directory name.
    pub fn dir_name(self) -> &'static str {
        match self {
            ShardKind::Kept => layout::KEPT_DIR,
            ShardKind::Removed => layout::REMOVED_DIR,
            ShardKind::Audit => layout::AUDIT_DIR,
        }
    }
}

/// The shard files of one kind, sorted by name. A missing directory is no shards (a run that
/// removed nothing writes no `removed/`); temporary files of an interrupted run are skipped.
pub fn shard_files(out_dir: &Path, kind: ShardKind) -> Result<Vec<PathBuf>> {
    let dir = out_dir.join(kind.dir_name());
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).with_path(&dir)? {
        let entry = entry.with_path(&dir)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let stem = compress::strip_compression_suffix(&name);
        let token_shard = kind == ShardKind::Kept && name.ends_with(layout::TOKEN_IDX_EXT);
        if name.starts_with('.')
            || !(stem.ends_with(".jsonl") || stem.ends_with(".parquet") || token_shard)
        {
            continue;
        }
        files.push(entry.path());
    }
    files.sort();
    Ok(files)
}

/// Calls `f` on every record of the shards of `kind`, in file order, until `f` returns `false`.
pub fn for_each_record(
    out_dir: &Path,
    kind: ShardKind,
    f: &mut dyn FnMut(OutputRecord) -> bool,
) -> Result<()> {
    for path in shard_files(out_dir, kind)? {
        if !for_each_in_shard(&path, f)? {
            break;
        }
    }
    Ok(())
}

/// Reads the shards of `kind` in parallel (one shard per task), folding each shard's records into
/// a state made by `init` until `f` returns `false`, and returns the states in shard order, so
/// callers merge them deterministically. For whole-output searches such as the inspector's.
pub fn fold_shards<T: Send>(
    out_dir: &Path,
    kind: ShardKind,
    init: impl Fn() -> T + Sync,
    f: impl Fn(&mut T, OutputRecord) -> bool + Sync,
) -> Result<Vec<T>> {
    use rayon::prelude::*;
    shard_files(out_dir, kind)?
        .par_iter()
        .map(|path| {
            let mut state = init();
            for_each_in_shard(path, &mut |r| f(&mut state, r))?;
            Ok(state)
        })
        .collect()
}

/// Calls `f` on every record of one shard; returns `false` if `f` asked to stop.
fn for_each_in_shard(path: &Path, f: &mut dyn FnMut(OutputRecord) -> bool) -> Result<bool> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    if compress::strip_compression_suffix(&name).ends_with(".parquet") {
        return for_each_in_parquet(path, f);
    }
    if name.ends_with(layout::TOKEN_IDX_EXT) {
        return for_each_in_token_shard(path, f);
    }
    let reader =
        compress::open_decompressed(path, Arc::new(AtomicU64::new(0)), LargeMembers::Stream)
            .with_path(path)?;
    for (n, line) in reader.lines().enumerate() {
        let line = line.with_path(path)?;
        if line.trim().is_empty() {
            continue;
        }
        let record: OutputRecord = serde_json::from_str(&line)
            .map_err(|e| Error::Output(format!("{}: line {}: {e}", path.display(), n + 1)))?;
        if !f(record) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A token shard (`format = "tokens"`): each document's text decoded with the run's tokenizer
/// (named in the `pipeline.toml` the run left beside its shards), its ids in
/// `metadata.token_ids` (special tokens included) and its shard in `metadata.token_shard`.
fn for_each_in_token_shard(path: &Path, f: &mut dyn FnMut(OutputRecord) -> bool) -> Result<bool> {
    let out_dir = path
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    let pipeline = out_dir.join(layout::PIPELINE_FILE);
    let cfg = crate::config::PipelineConfig::load(&pipeline)?;
    let shard = path.with_extension("");
    let shard = shard.file_name().unwrap_or_default().to_string_lossy();
    crate::tokens::for_each_shard_document(path, &cfg.output.tokens, &mut |doc| {
        let mut metadata = Map::new();
        metadata.insert("token_shard".into(), Value::from(shard.as_ref()));
        metadata.insert("token_ids".into(), Value::from(doc.ids));
        f(OutputRecord {
            id: doc.id,
            text: doc.text,
            metadata,
            ..OutputRecord::default()
        })
    })
}

/// Parquet shards carry `removal` and `edits` as JSON strings; the shared reader puts unknown
/// string columns into metadata, so they are taken back out of it here.
fn for_each_in_parquet(path: &Path, f: &mut dyn FnMut(OutputRecord) -> bool) -> Result<bool> {
    let size = std::fs::metadata(path).with_path(path)?.len();
    let file = InputFile::new(0, path.to_path_buf(), size);
    let stream = io::parquet::read_parquet(
        &file,
        &InputConfig::default(),
        Arc::new(AtomicU64::new(0)),
        Arc::default(),
    );
    for item in stream {
        let mut doc = item.map_err(|r| Error::Output(r.to_string()))?;
        let removal = match doc.metadata.remove("removal") {
            Some(Value::String(s)) => serde_json::from_str(&s).ok(),
            _ => None,
        };
        let edits = match doc.metadata.remove("edits") {
            Some(Value::String(s)) => serde_json::from_str(&s).unwrap_or_default(),
            _ => Vec::new(),
        };
        let record = OutputRecord {
            id: doc.id,
            text: doc.text,
            metadata: doc.metadata,
            removal,
            edits,
        };
        if !f(record) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A cluster of `syndication.jsonl`: documents carrying the same article.
///
/// Two line shapes are read: the dedup stages' own
/// `{"stage","rule","cluster_id","size","kept":{"id","url"},"duplicates":[{"id","url"}...]}`, and
/// the flat `{"cluster","size","kept_id","members":[{"id","url"}...]}` (kept member included).
/// Both become this one shape, with the kept document first among the members. The dedup stages
/// continue a big cluster on further lines with `"chunk": k` (only `duplicates` on them), which
/// [`for_each_cluster`] joins back, up to a number of members.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "RawCluster")]
pub struct SyndicationCluster {
    /// Cluster id as the dedup stage numbered it.
    pub cluster: Value,
    /// The dedup stage that found it, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Its rule (`exact_duplicate`, `near_duplicate`), when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Number of documents in the cluster (kept one included).
    pub size: u64,
    /// The member that was kept.
    pub kept_id: Option<String>,
    /// Members, kept one first, with their URLs when known (the first ones only when the
    /// reader was given a limit: `size` still counts them all).
    pub members: Vec<ClusterMember>,
    /// Which line of its cluster this was read from (0 for the first); not written back.
    #[serde(skip_serializing)]
    pub chunk: u64,
}

/// Every field either line shape may carry.
#[derive(Deserialize)]
struct RawCluster {
    #[serde(default)]
    cluster: Value,
    #[serde(default)]
    cluster_id: Value,
    #[serde(default)]
    stage: Option<String>,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    kept_id: Option<String>,
    #[serde(default)]
    kept: Option<ClusterMember>,
    #[serde(default)]
    members: Vec<ClusterMember>,
    #[serde(default)]
    duplicates: Vec<ClusterMember>,
    #[serde(default)]
    chunk: u64,
}

impl From<RawCluster> for SyndicationCluster {
    fn from(r: RawCluster) -> Self {
        let mut members = Vec::with_capacity(r.members.len() + r.duplicates.len() + 1);
        let kept_id = r.kept_id.or_else(|| r.kept.as_ref().map(|k| k.id.clone()));
        if let Some(k) = r.kept {
            members.push(k);
        }
        members.extend(r.members);
        members.extend(r.duplicates);
        SyndicationCluster {
            cluster: if r.cluster.is_null() {
                r.cluster_id
            } else {
                r.cluster
            },
            stage: r.stage,
            rule: r.rule,
            size: r.size.max(members.len() as u64),
            kept_id,
            members,
            chunk: r.chunk,
        }
    }
}

/// A member of a syndication cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterMember {
    /// Document id.
    pub id: String,
    /// Its URL, when the input had one.
    #[serde(default)]
    pub url: Option<String>,
}

/// Calls `f` on every cluster of `syndication.jsonl`, if the run wrote one, with at most
/// `max_members` members each (`size` counts all), so a cluster of millions is never held whole.
/// Lines that do not parse are skipped and counted (returned), so a report still renders from a
/// partly damaged map.
pub fn for_each_cluster(
    out_dir: &Path,
    max_members: usize,
    f: &mut dyn FnMut(SyndicationCluster),
) -> Result<u64> {
    scan_clusters(out_dir, max_members, &|_| false, &mut |c, _| {
        f(c);
        true
    })
}

/// The first cluster of `syndication.jsonl` that holds a document with one of `ids` (among all
/// its members, not only the first `max_members` returned).
pub fn find_cluster(
    out_dir: &Path,
    ids: &[&str],
    max_members: usize,
) -> Result<Option<SyndicationCluster>> {
    let mut found = None;
    scan_clusters(
        out_dir,
        max_members,
        &|m| ids.contains(&m.id.as_str()),
        &mut |c, hit| {
            if hit {
                found = Some(c);
            }
            !hit
        },
    )?;
    Ok(found)
}

/// Joins the lines of each cluster, keeping `max_members` members, and calls
/// `f(cluster, whether any member matched)` until it returns false; returns unreadable lines.
fn scan_clusters(
    out_dir: &Path,
    max_members: usize,
    matches: &dyn Fn(&ClusterMember) -> bool,
    f: &mut dyn FnMut(SyndicationCluster, bool) -> bool,
) -> Result<u64> {
    let path = out_dir.join(layout::SYNDICATION_FILE);
    if !path.is_file() {
        return Ok(0);
    }
    let reader =
        compress::open_decompressed(&path, Arc::new(AtomicU64::new(0)), LargeMembers::Stream)
            .with_path(&path)?;
    let mut bad = 0;
    let mut current: Option<(SyndicationCluster, bool)> = None;
    for line in reader.lines() {
        let line = line.with_path(&path)?;
        if line.trim().is_empty() {
            continue;
        }
        let Ok(mut c) = serde_json::from_str::<SyndicationCluster>(&line) else {
            bad += 1;
            continue;
        };
        let hit = c.members.iter().any(matches);
        match current.as_mut() {
            Some((cur, cur_hit))
                if c.chunk > 0 && cur.cluster == c.cluster && cur.stage == c.stage =>
            {
                let room = max_members.saturating_sub(cur.members.len());
                cur.members.extend(c.members.drain(..).take(room));
                *cur_hit |= hit;
            }
            _ => {
                if let Some((done, done_hit)) = current.take()
                    && !f(done, done_hit)
                {
                    return Ok(bad);
                }
                c.members.truncate(max_members);
                current = Some((c, hit));
            }
        }
    }
    if let Some((done, hit)) = current {
        f(done, hit);
    }
    Ok(bad)
}

/// Calls `f` on every reject in `rejects.jsonl`, if present; unparseable lines are skipped.
pub fn for_each_reject(out_dir: &Path, f: &mut dyn FnMut(io::Reject)) -> Result<()> {
    let path = out_dir.join(layout::REJECTS_FILE);
    if !path.is_file() {
        return Ok(());
    }
    let reader =
        compress::open_decompressed(&path, Arc::new(AtomicU64::new(0)), LargeMembers::Stream)
            .with_path(&path)?;
    for line in reader.lines() {
        let line = line.with_path(&path)?;
        if let Ok(r) = serde_json::from_str::<io::Reject>(&line) {
            f(r);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_syndication_line_shapes_read_the_same() {
        let dedup: SyndicationCluster = serde_json::from_str(
            r#"{"stage":"exact_dedup","rule":"exact_duplicate","cluster_id":3,"size":2,
               "kept":{"id":"a","url":"http://a"},"duplicates":[{"id":"b"}]}"#,
        )
        .unwrap();
        let flat: SyndicationCluster = serde_json::from_str(
            r#"{"cluster":3,"size":2,"kept_id":"a","members":[{"id":"a","url":"http://a"},{"id":"b"}]}"#,
        )
        .unwrap();
        assert_eq!(dedup.kept_id.as_deref(), Some("a"));
        assert_eq!(dedup.members, flat.members);
        assert_eq!((dedup.size, &dedup.cluster), (flat.size, &flat.cluster));
        assert_eq!(dedup.rule.as_deref(), Some("exact_duplicate"));
    }
}
