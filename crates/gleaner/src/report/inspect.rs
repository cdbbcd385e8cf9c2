//! The document inspector: one document of a finished run as it came in, line by line, each
//! removed line with the stage and rule that removed it, whether the document was kept, and its
//! duplicates. `gleaner inspect` prints this; `--json` prints the [`Inspection`] as is.
//!
//! The input text is rebuilt from what the run wrote: the kept or removed text plus the line
//! edits. Each [`LineEdit::line`] is an index into the text as *that* stage received it and edits
//! are listed in pipeline order, so stages are undone in reverse order, each re-inserting its
//! removed lines at their indices. Character-level rewrites (normalisation) are counted by the
//! stages, not recorded per line, so the rebuilt text is the input up to those rewrites.

use std::io::Write;
use std::path::Path;

use anstyle::{AnsiColor, Style};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::read::{
    ClusterMember, OutputRecord, ShardKind, SyndicationCluster, find_cluster, fold_shards,
};
use crate::document::{LineEdit, Reason};
use crate::error::{Error, Result};

/// Most removed copies listed for one kept document; a syndicated wire story can have thousands.
const MAX_COPIES_LISTED: usize = 200;

/// Members of the document's syndication cluster shown (the count covers the rest).
const CLUSTER_MEMBERS_SHOWN: usize = 200;

/// Token ids of a token-shard document printed in text mode (`--json` has them all).
const TOKEN_IDS_SHOWN: usize = 24;

/// Whether the document made it into the kept output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocStatus {
    /// In `kept/`.
    Kept,
    /// In `removed/`.
    Removed,
}

/// Why a line was removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineRemoval {
    /// Stage instance name.
    pub stage: String,
    /// Rule inside the stage.
    pub rule: String,
    /// What the rule measured on the line.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub value: Value,
    /// The limit it crossed.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub threshold: Value,
}

/// One line of the document as it came in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InspectedLine {
    /// 1-based line number in the input.
    pub number: usize,
    /// The line's text.
    pub text: String,
    /// Set when a stage removed the line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<LineRemoval>,
    /// Set when a stage kept the line but flagged it (`metadata.flagged_lines`, e.g. an author
    /// bio); `value` holds what the rule matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flagged: Option<LineRemoval>,
}

/// Copies of the same text found by the dedup stages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Duplicates {
    /// For a removed duplicate: the document kept in its place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_id: Option<String>,
    /// That kept document's URL, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_url: Option<String>,
    /// When the kept document is in an earlier corpus: the dedup index (`against`) holding it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_index: Option<String>,
    /// Other documents removed as duplicates of the same kept document (or of this one, when this
    /// one is the kept copy), in output order, at most 200.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed_copies: Vec<ClusterMember>,
    /// Total number of such copies (may exceed the list).
    pub removed_copies_total: u64,
    /// The syndication cluster the document belongs to, when the run wrote `syndication.jsonl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<SyndicationCluster>,
}

/// Everything the inspector shows about one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    /// Document id.
    pub id: String,
    /// `metadata.url`, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Kept or removed.
    pub status: DocStatus,
    /// Why the whole document was removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removal: Option<Reason>,
    /// The input, line by line, removed lines marked.
    pub lines: Vec<InspectedLine>,
    /// Metadata as written.
    pub metadata: Map<String, Value>,
    /// Duplicates.
    pub duplicates: Duplicates,
}

impl Inspection {
    /// Number of lines removed by line-level stages.
    pub fn removed_line_count(&self) -> usize {
        self.lines.iter().filter(|l| l.removed.is_some()).count()
    }
}

/// Rebuilds the input lines of a document from its output `text` and its line `edits`.
///
/// Edits whose index is past the end of the text at that point (a damaged record) are appended
/// rather than panicking, so the inspector always shows every recorded line.
pub fn reconstruct_lines(text: &str, edits: &[LineEdit]) -> Vec<InspectedLine> {
    // An empty text is zero lines (a stage that removed every line leaves ""), not one empty line.
    let mut lines: Vec<(String, Option<LineRemoval>)> = if text.is_empty() {
        Vec::new()
    } else {
        text.split('\n').map(|l| (l.to_string(), None)).collect()
    };
    // Consecutive edits of one stage form one group; groups are undone last stage first.
    let mut groups: Vec<&[LineEdit]> = Vec::new();
    let mut start = 0;
    for i in 1..=edits.len() {
        if i == edits.len() || edits[i].stage != edits[start].stage {
            if i > start {
                groups.push(&edits[start..i]);
            }
            start = i;
        }
    }
    for group in groups.iter().rev() {
        let mut sorted: Vec<&LineEdit> = group.iter().collect();
        sorted.sort_by_key(|e| e.line);
        for e in sorted {
            let at = e.line.min(lines.len());
            lines.insert(
                at,
                (
                    e.text.clone(),
                    Some(LineRemoval {
                        stage: e.stage.clone(),
                        rule: e.rule.clone(),
                        value: e.value.clone(),
                        threshold: e.threshold.clone(),
                    }),
                ),
            );
        }
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(i, (text, removed))| InspectedLine {
            number: i + 1,
            text,
            removed,
            flagged: None,
        })
        .collect()
}

/// Marks the lines listed in `metadata.flagged_lines` (stage, rule, matched, text). Flags are
/// matched by text, first unflagged kept line first: later stages may have moved the line.
pub fn mark_flagged_lines(lines: &mut [InspectedLine], metadata: &Map<String, Value>) {
    let Some(Value::Array(flags)) = metadata.get("flagged_lines") else {
        return;
    };
    for f in flags {
        let Some(text) = f.get("text").and_then(Value::as_str) else {
            continue;
        };
        let field = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        if let Some(l) = lines
            .iter_mut()
            .find(|l| l.removed.is_none() && l.flagged.is_none() && l.text == text)
        {
            l.flagged = Some(LineRemoval {
                stage: field("stage"),
                rule: field("rule"),
                value: f.get("matched").cloned().unwrap_or(Value::Null),
                threshold: Value::Null,
            });
        }
    }
}

/// Finds document `id` in the output directory `out_dir` and explains it.
pub fn inspect(out_dir: &Path, id: &str) -> Result<Inspection> {
    if !out_dir.is_dir() {
        return Err(Error::Output(format!(
            "{}: not a directory (give a run's output directory)",
            out_dir.display()
        )));
    }
    // Removed shards first: they must be read in full anyway to find copies of this document.
    // Shards are read in parallel and merged in shard order, so the answer is the same on any
    // number of threads.
    let kept_by = |r: &OutputRecord| r.removal.as_ref().and_then(|x| x.kept_id.clone());
    let mut found: Option<(OutputRecord, DocStatus)> = None;
    let mut copies = Copies::default();
    for (hit, c) in fold_shards(
        out_dir,
        ShardKind::Removed,
        || (None, Copies::default()),
        |(hit, c): &mut (Option<OutputRecord>, Copies), r| {
            if r.id == id {
                *hit = Some(r);
            } else if kept_by(&r).as_deref() == Some(id) {
                c.push(&r);
            }
            true
        },
    )? {
        if found.is_none() {
            found = hit.map(|r| (r, DocStatus::Removed));
        }
        copies.merge(c);
    }
    // A kept document with removed lines is in audit/ with its edits; otherwise only in kept/.
    for kind in [ShardKind::Audit, ShardKind::Kept] {
        if found.is_some() {
            break;
        }
        found = first_with_id(out_dir, kind, id)?.map(|r| (r, DocStatus::Kept));
    }
    let Some((record, status)) = found else {
        return Err(Error::Output(format!(
            "no document with id {id:?} in {}",
            out_dir.display()
        )));
    };

    let mut duplicates = Duplicates::default();
    let kept_id = kept_by(&record);
    if let Some(kept_id) = &kept_id {
        // This is a removed copy: list its siblings and find the kept copy's URL.
        // The kept copy may itself have been removed by a later stage, so look in both.
        copies = Copies::default();
        let mut kept_url = None;
        for (url, c) in fold_shards(
            out_dir,
            ShardKind::Removed,
            || (None, Copies::default()),
            |(url, c): &mut (Option<String>, Copies), r| {
                if &r.id == kept_id {
                    *url = r.url().map(str::to_string);
                } else if r.id != id && kept_by(&r).as_ref() == Some(kept_id) {
                    c.push(&r);
                }
                true
            },
        )? {
            kept_url = kept_url.or(url);
            copies.merge(c);
        }
        let against = record.removal.as_ref().and_then(|r| r.against.as_deref());
        if let Some(a) = against {
            // The kept document is in an earlier corpus, not in this run's output: the index
            // named its URL.
            kept_url = a.kept_url.clone();
        } else if kept_url.is_none() {
            kept_url = first_with_id(out_dir, ShardKind::Kept, kept_id)?
                .and_then(|r| r.url().map(str::to_string));
        }
        duplicates.kept_id = Some(kept_id.clone());
        duplicates.kept_url = kept_url;
        duplicates.kept_index = against.map(|a| a.index.clone());
    }
    if copies.total == 0 && kept_id.is_none() {
        // No removed/ shards (write_removed = false) or none of them point here: the dedup stages
        // also list a kept document's copies in its metadata.
        copies = copies_from_metadata(&record.metadata);
    }
    duplicates.removed_copies = copies.listed;
    duplicates.removed_copies_total = copies.total;
    let mut ids = vec![id];
    ids.extend(kept_id.as_deref());
    duplicates.cluster = find_cluster(out_dir, &ids, CLUSTER_MEMBERS_SHOWN)?;

    let mut lines = reconstruct_lines(&record.text, &record.edits);
    mark_flagged_lines(&mut lines, &record.metadata);
    Ok(Inspection {
        id: record.id.clone(),
        url: record.url().map(str::to_string),
        status,
        lines,
        removal: record.removal,
        metadata: record.metadata,
        duplicates,
    })
}

/// The first record with `id` in the shards of `kind` (shards searched in parallel).
fn first_with_id(out_dir: &Path, kind: ShardKind, id: &str) -> Result<Option<OutputRecord>> {
    let hits = fold_shards(
        out_dir,
        kind,
        || None,
        |hit: &mut Option<OutputRecord>, r| {
            if r.id == id {
                *hit = Some(r);
                return false;
            }
            true
        },
    )?;
    Ok(hits.into_iter().flatten().next())
}

/// Copies the dedup stages listed on a kept document: `PREFIX_duplicates` (`[{"id","url"}]`,
/// possibly cut short) and `PREFIX_cluster_size` (the whole cluster, kept document included).
fn copies_from_metadata(metadata: &Map<String, Value>) -> Copies {
    let mut copies = Copies::default();
    for (key, value) in metadata {
        let Some(prefix) = key.strip_suffix("_duplicates") else {
            continue;
        };
        let Ok(listed) = serde_json::from_value::<Vec<ClusterMember>>(value.clone()) else {
            continue;
        };
        let size = metadata
            .get(&format!("{prefix}_cluster_size"))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let mut these = Copies {
            total: size.saturating_sub(1).max(listed.len() as u64),
            listed,
        };
        these.listed.truncate(MAX_COPIES_LISTED);
        copies.merge(these);
    }
    copies
}

#[derive(Default)]
struct Copies {
    listed: Vec<ClusterMember>,
    total: u64,
}

impl Copies {
    fn merge(&mut self, other: Copies) {
        self.total += other.total;
        let room = MAX_COPIES_LISTED.saturating_sub(self.listed.len());
        self.listed.extend(other.listed.into_iter().take(room));
    }

    fn push(&mut self, r: &OutputRecord) {
        self.total += 1;
        if self.listed.len() < MAX_COPIES_LISTED {
            self.listed.push(ClusterMember {
                id: r.id.clone(),
                url: r.url().map(str::to_string),
            });
        }
    }
}

/// Writes an inspection as text with ANSI styles. Callers that print to a terminal wrap their
/// output in `anstream::AutoStream`, which keeps the styles on a colour terminal and strips them
/// when piped or when `NO_COLOR` is set; tests strip them the same way.
pub fn render_text(ins: &Inspection, out: &mut dyn Write) -> std::io::Result<()> {
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let red = AnsiColor::Red.on_default();
    let green = AnsiColor::Green.on_default().bold();
    let removed_line = AnsiColor::Red.on_default().strikethrough();
    let reason = AnsiColor::Yellow.on_default();

    writeln!(out, "{bold}document{bold:#}  {}", ins.id)?;
    if let Some(url) = &ins.url {
        writeln!(out, "{bold}url{bold:#}       {url}")?;
    }
    let n_removed = ins.removed_line_count();
    match (&ins.status, &ins.removal) {
        (DocStatus::Removed, Some(r)) => writeln!(
            out,
            "{bold}status{bold:#}    {red}REMOVED{red:#} by {}/{}: {}",
            r.stage,
            r.rule,
            measured(&r.value, &r.threshold, r.detail.as_deref())
        )?,
        _ => writeln!(
            out,
            "{bold}status{bold:#}    {green}KEPT{green:#} ({n_removed} of {} lines removed{})",
            ins.lines.len(),
            match ins.lines.iter().filter(|l| l.flagged.is_some()).count() {
                0 => String::new(),
                n => format!(", {n} flagged"),
            }
        )?,
    }
    if let (Some(Value::Array(ids)), Some(shard)) = (
        ins.metadata.get("token_ids"),
        ins.metadata.get("token_shard").and_then(Value::as_str),
    ) {
        // A token shard's document (`format = "tokens"`): its text above is the ids decoded.
        let shown: Vec<String> = ids
            .iter()
            .take(TOKEN_IDS_SHOWN)
            .map(Value::to_string)
            .collect();
        writeln!(
            out,
            "{bold}tokens{bold:#}    {} ids in {shard} (text decoded from them): {}{}",
            ids.len(),
            shown.join(" "),
            if ids.len() > TOKEN_IDS_SHOWN {
                " … (all with --json)"
            } else {
                ""
            }
        )?;
    }
    if ins.status == DocStatus::Removed && n_removed > 0 {
        writeln!(
            out,
            "          {n_removed} of {} lines had been removed before that",
            ins.lines.len()
        )?;
    }
    writeln!(out, "{dim}{}{dim:#}", "─".repeat(72))?;
    let width = ins.lines.len().max(1).to_string().len();
    for l in &ins.lines {
        match &l.removed {
            None => {
                writeln!(out, "{dim}{:>width$}{dim:#}   {}", l.number, l.text)?;
                if let Some(f) = &l.flagged {
                    writeln!(
                        out,
                        "{:>width$}   {reason}⚑ kept, flagged by {}/{}: {}{reason:#}",
                        "",
                        f.stage,
                        f.rule,
                        compact(&f.value)
                    )?;
                }
            }
            Some(r) => {
                writeln!(
                    out,
                    "{red}{:>width$} - {red:#}{removed_line}{}{removed_line:#}",
                    l.number, l.text
                )?;
                writeln!(
                    out,
                    "{:>width$}   {reason}↳ removed by {}/{}: {}{reason:#}",
                    "",
                    r.stage,
                    r.rule,
                    measured(&r.value, &r.threshold, None)
                )?;
            }
        }
    }
    writeln!(out, "{dim}{}{dim:#}", "─".repeat(72))?;
    let d = &ins.duplicates;
    if let Some(k) = &d.kept_id {
        writeln!(
            out,
            "{bold}duplicate of{bold:#} {k}{}",
            d.kept_url
                .as_deref()
                .map(|u| format!("  {u}"))
                .unwrap_or_default()
        )?;
        if let Some(index) = &d.kept_index {
            writeln!(
                out,
                "             in an earlier corpus, held by the dedup index {index}"
            )?;
        }
    }
    if d.removed_copies_total > 0 {
        let what = if d.kept_id.is_some() {
            "other removed copies"
        } else {
            "removed copies of this document"
        };
        writeln!(out, "{bold}{what}{bold:#}: {}", d.removed_copies_total)?;
        for m in &d.removed_copies {
            writeln!(out, "  {}  {}", m.id, m.url.as_deref().unwrap_or(""))?;
        }
        if d.removed_copies_total > d.removed_copies.len() as u64 {
            writeln!(
                out,
                "  … and {} more",
                d.removed_copies_total - d.removed_copies.len() as u64
            )?;
        }
    }
    if let Some(c) = &d.cluster {
        writeln!(
            out,
            "{bold}syndication cluster{bold:#} {} ({} documents, kept {})",
            c.cluster,
            c.size,
            c.kept_id.as_deref().unwrap_or("?")
        )?;
        for m in &c.members {
            writeln!(out, "  {}  {}", m.id, m.url.as_deref().unwrap_or(""))?;
        }
        if c.size > c.members.len() as u64 {
            writeln!(out, "  … and {} more", c.size - c.members.len() as u64)?;
        }
    }
    if d.kept_id.is_none() && d.removed_copies_total == 0 && d.cluster.is_none() {
        writeln!(out, "{bold}duplicates{bold:#}   none recorded")?;
    }
    Ok(())
}

/// "value V, threshold T" (each part only when recorded), plus any detail.
pub(crate) fn measured(value: &Value, threshold: &Value, detail: Option<&str>) -> String {
    let mut parts = Vec::new();
    if !value.is_null() {
        parts.push(format!("value {}", compact(value)));
    }
    if !threshold.is_null() {
        parts.push(format!("threshold {}", compact(threshold)));
    }
    if let Some(d) = detail {
        parts.push(d.to_string());
    }
    if parts.is_empty() {
        "no measurement recorded".to_string()
    } else {
        parts.join(", ")
    }
}

/// A JSON value as a short string: numbers rounded to 4 decimals, strings unquoted, objects as
/// `key value, key value` (a rule that measures several things records an object).
pub(crate) fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => {
                let s = format!("{f:.4}");
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            }
            _ => n.to_string(),
        },
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| format!("{k} {}", compact(v)))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Array(a) => format!("[{}]", a.iter().map(compact).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(stage: &str, line: usize, text: &str) -> LineEdit {
        LineEdit {
            stage: stage.into(),
            rule: "r".into(),
            line,
            text: text.into(),
            value: Value::Null,
            threshold: Value::Null,
        }
    }

    #[test]
    fn two_stages_are_undone_in_reverse_order() {
        // Input a b c d e. Stage s1 removes b (1) and d (3) → a c e. Stage s2 removes e (2 in
        // "a c e") → a c.
        let edits = vec![edit("s1", 1, "b"), edit("s1", 3, "d"), edit("s2", 2, "e")];
        let lines = reconstruct_lines("a\nc", &edits);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["a", "b", "c", "d", "e"]);
        let by: Vec<Option<&str>> = lines
            .iter()
            .map(|l| l.removed.as_ref().map(|r| r.stage.as_str()))
            .collect();
        assert_eq!(by, [None, Some("s1"), None, Some("s1"), Some("s2")]);
    }

    #[test]
    fn everything_removed_and_damaged_indices_do_not_panic() {
        let lines = reconstruct_lines("", &[edit("s", 0, "x"), edit("s", 1, "y")]);
        assert_eq!(lines.len(), 2);
        let lines = reconstruct_lines("a", &[edit("s", 99, "z")]);
        assert_eq!(lines[1].text, "z");
    }

    #[test]
    fn copies_listed_in_dedup_metadata_are_read() {
        let m = serde_json::json!({
            "minhash_cluster_id": 4,
            "minhash_cluster_size": 5,
            "minhash_duplicates": [{"id": "b", "url": "http://b"}, {"id": "c"}],
            "title": "not a list of copies",
        });
        let c = copies_from_metadata(m.as_object().unwrap());
        assert_eq!(c.total, 4);
        let ids: Vec<&str> = c.listed.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["b", "c"]);
    }

    #[test]
    fn numbers_print_short() {
        assert_eq!(compact(&serde_json::json!(0.123456)), "0.1235");
        assert_eq!(compact(&serde_json::json!(50)), "50");
        assert_eq!(compact(&serde_json::json!(2.5)), "2.5");
        assert_eq!(
            compact(&serde_json::json!({"label": "en", "score": 0.12450417876243591})),
            "label en, score 0.1245"
        );
    }
}
