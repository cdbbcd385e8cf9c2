//! Reading one damaged file through the library's public reader and checking the result
//! against the read of the clean file, for the fault-injection suite; the properties checked
//! are listed in `tests/fault_injection.rs`.

use std::collections::{BTreeMap, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;

use gleaner::config::InputConfig;
use gleaner::document::Document;
use gleaner::io::{self, InputFile, ReadCounters, Reject};
use serde_json::{Map, Value};

use crate::damage::{Clean, Damaged, Framing};

/// What a read produced.
pub struct Read_ {
    pub docs: Vec<Document>,
    pub rejects: Vec<Reject>,
    /// Records skipped on purpose (`skipped_record.*` and `skipped_payload.*`).
    pub skipped: u64,
}

/// Reads `path` through the public reader; a panic or a runaway stream is an `Err`.
pub fn read_path(path: &Path, max_items: usize) -> Result<Read_, String> {
    let file = InputFile::new(
        0,
        path.to_path_buf(),
        std::fs::metadata(path).unwrap().len(),
    );
    let counters = Arc::new(ReadCounters::default());
    let run = || {
        let mut docs = Vec::new();
        let mut rejects = Vec::new();
        let stream = io::open_records_counted(
            &file,
            &InputConfig::default(),
            Arc::default(),
            counters.clone(),
        );
        for (n, r) in stream.enumerate() {
            if n > max_items {
                return Err(format!("more than {max_items} items: a runaway stream"));
            }
            match r {
                Ok(d) => docs.push(d),
                Err(e) => rejects.push(e),
            }
        }
        Ok((docs, rejects))
    };
    let (docs, rejects) = match catch_unwind(AssertUnwindSafe(run)) {
        Ok(r) => r?,
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            return Err(format!("reader panicked: {msg}"));
        }
    };
    let skipped = counters
        .snapshot()
        .iter()
        .filter(|(k, _)| k.starts_with("skipped_record.") || k.starts_with("skipped_payload."))
        .map(|(_, v)| v)
        .sum();
    Ok(Read_ {
        docs,
        rejects,
        skipped,
    })
}

/// A clean file, its records, and what the reader made of each.
pub struct Baseline {
    pub label: String,
    pub clean: Clean,
    /// File name for plain copies (`x.warc`, `x.arc`, `x.jsonl`); containers add `.gz`/`.zst`.
    pub plain_name: String,
    /// The document each record became, if any.
    pub docs: Vec<Option<Document>>,
}

impl Baseline {
    /// Reads the clean `bytes` (as a file named `plain_name`) and maps its documents to records.
    pub fn new(label: &str, framing: Framing, bytes: Vec<u8>, plain_name: &str) -> Baseline {
        let clean = Clean::new(framing, bytes);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(plain_name);
        std::fs::write(&p, &clean.bytes).unwrap();
        let r = read_path(&p, 100 * clean.len() + 1000).unwrap();
        assert!(
            r.rejects.is_empty(),
            "{label}: clean read rejects {:?}",
            r.rejects
        );
        let mut docs: Vec<Option<Document>> = vec![None; clean.len()];
        if framing == Framing::Jsonl {
            assert_eq!(r.docs.len(), clean.len(), "{label}: one document per line");
            docs = r.docs.into_iter().map(Some).collect();
        } else {
            for d in r.docs {
                let o = d.metadata["offset"].as_u64().unwrap() as usize;
                let i = clean.record_at(o);
                assert_eq!(clean.starts[i], o, "{label}: document at a record start");
                assert!(docs[i].is_none());
                docs[i] = Some(d);
            }
            let nondoc = docs.iter().filter(|d| d.is_none()).count() as u64;
            assert_eq!(
                r.skipped, nondoc,
                "{label}: every record a document or a skip"
            );
        }
        Baseline {
            label: label.to_string(),
            clean,
            plain_name: plain_name.to_string(),
            docs,
        }
    }
}

/// A document as compared: id, text and metadata without `source` (the file name differs
/// between plain and compressed copies) and, when offsets are unknowable, without `offset`
/// (also in ARC-style `url@offset` ids).
pub type Key = (String, String, Map<String, Value>);

pub fn key(d: &Document, offset: Option<Option<u64>>) -> Key {
    let mut m = d.metadata.clone();
    m.remove("source");
    let mut id = d.id.clone();
    if let Some(old) = m.get("offset").and_then(Value::as_u64) {
        let suffix = format!("@{old}");
        let new = match offset {
            None => Some(old),
            Some(o) => o,
        };
        let renamed = |new: String| {
            if id.ends_with(&suffix) {
                format!("{}@{new}", &id[..id.len() - suffix.len()])
            } else {
                id.clone()
            }
        };
        match new {
            Some(n) => {
                id = renamed(n.to_string());
                m.insert("offset".into(), Value::from(n));
            }
            None => {
                id = renamed("?".into());
                m.remove("offset");
            }
        }
    }
    (id, d.text.clone(), m)
}

pub fn short(k: &Key) -> String {
    format!("{} ({} chars)", k.0, k.1.len())
}

/// Checks one damaged read against the baseline; `Err` says what is wrong.
pub fn check(base: &Baseline, d: &Damaged, path: &Path, got: &Read_) -> Result<(), String> {
    let known = d.edits.is_some();
    let expect = |i: usize| {
        base.docs[i].as_ref().map(|doc| {
            let at = doc.metadata.get("offset").and_then(Value::as_u64);
            key(doc, Some(at.and_then(|o| d.shifted(o as usize))))
        })
    };
    let expected: Vec<Key> = (0..d.present)
        .filter(|&i| d.intact(i) && !d.unsure.contains(&i))
        .filter_map(expect)
        .collect();
    let mut unsure: Vec<Key> = d.unsure.iter().filter_map(|&i| expect(i)).collect();
    let keys: Vec<Key> = got
        .docs
        .iter()
        .map(|doc| key(doc, if known { None } else { Some(None) }))
        .collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for doc in &got.docs {
        *seen.entry(doc.id.as_str()).or_default() += 1;
    }
    if let Some((id, n)) = seen.iter().find(|(_, n)| **n > 1) {
        return Err(format!("document {id} came out {n} times"));
    }
    let name = path.file_name().unwrap().to_str().unwrap();
    let crawl = base.clean.framing != Framing::Jsonl;
    if let Some(doc) = got
        .docs
        .iter()
        .find(|x| crawl && x.source().is_some_and(|s| s != name))
    {
        return Err(format!(
            "document {} names source {:?}",
            doc.id,
            doc.source()
        ));
    }
    if let Some(r) = got
        .rejects
        .iter()
        .find(|r| r.file != path.display().to_string())
    {
        return Err(format!("reject does not name the file: {r}"));
    }
    // Every expected document, once and in order; what is left over are outputs of damaged
    // records.
    let mut extra = Vec::new();
    let mut next = 0;
    for k in &keys {
        if next < expected.len() && *k == expected[next] {
            next += 1;
        } else if let Some(u) = unsure.iter().position(|u| u == k) {
            unsure.remove(u);
        } else {
            extra.push(k);
        }
    }
    if next < expected.len() {
        let missing = &expected[next];
        let changed = keys.iter().find(|k| k.0 == missing.0);
        return Err(match changed {
            Some(c) => format!(
                "intact record {} came out changed (text {} vs {} chars, metadata equal: {}) or out of order",
                missing.0,
                c.1.len(),
                missing.1.len(),
                c.2 == missing.2
            ),
            None => format!(
                "intact record {} is missing ({} of {} intact documents out; rejects: {})",
                short(missing),
                next,
                expected.len(),
                summary(&got.rejects)
            ),
        });
    }
    let damaged_docs = d
        .damaged
        .iter()
        .filter(|&&i| i < d.present && base.docs[i].is_some())
        .count();
    if d.certain && !extra.is_empty() {
        return Err(format!(
            "{} document(s) from damaged records came out, e.g. {}",
            extra.len(),
            short(extra[0])
        ));
    }
    if extra.len() > d.damaged.len() {
        return Err(format!(
            "{} unexpected documents for {} damaged records ({damaged_docs} of them documents), e.g. {}",
            extra.len(),
            d.damaged.len(),
            short(extra[0])
        ));
    }
    let most = d.sites + d.damaged.len() + d.unsure.len();
    if d.certain && got.rejects.len() < d.sites {
        return Err(format!(
            "{} damage site(s) but {} rejects (damaged records: {:?})",
            d.sites,
            got.rejects.len(),
            d.damaged
        ));
    }
    if got.rejects.len() > most {
        return Err(format!(
            "{} rejects for {} site(s) and {} damaged record(s): {}",
            got.rejects.len(),
            d.sites,
            d.damaged.len(),
            summary(&got.rejects)
        ));
    }
    let intact_skips = (0..d.present)
        .filter(|&i| d.intact(i) && !d.unsure.contains(&i) && base.docs[i].is_none())
        .count() as u64;
    let unsure_skips = d.unsure.iter().filter(|&&i| base.docs[i].is_none()).count() as u64;
    let bad_skips = unsure_skips + if d.certain { 0 } else { d.damaged.len() as u64 };
    if got.skipped < intact_skips || got.skipped > intact_skips + bad_skips {
        return Err(format!(
            "{} records skipped, expected {intact_skips}{}",
            got.skipped,
            if bad_skips > 0 {
                format!(" to {}", intact_skips + bad_skips)
            } else {
                String::new()
            }
        ));
    }
    Ok(())
}

pub fn summary(rejects: &[Reject]) -> String {
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rejects {
        *by.entry(r.kind.as_str()).or_default() += 1;
    }
    format!("{by:?}")
}
