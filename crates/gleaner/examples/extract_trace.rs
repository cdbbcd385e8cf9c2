//! Diagnostic driver for `bench/extraction/diagnose.py`: for each query `{"url", "needle"}`
//! (JSON lines, second argument) finds the first text node of that page (pages as JSON lines
//! `{"id", "html"}`, first argument) whose whitespace-collapsed text contains the needle, and
//! prints one JSON line with the element chain above it (innermost first, as
//! `tag.class#id`), whether the pruning pass removed it, and its subtree's text length and link
//! density. The needle is a prefix of an evaluation snippet: snippets often span several text
//! nodes, so the script sends a short prefix.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, BufWriter, Write};

use gleaner::extract::dom::{Dom, NONE, NodeData};
use gleaner::extract::prune::{PruneOptions, analyse};
use gleaner::extract::tag::Tag;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, pages_file, queries_file] = &args[..] else {
        return Err("usage: extract_trace PAGES.jsonl QUERIES.jsonl".into());
    };
    let mut queries: HashMap<String, Vec<String>> = HashMap::new();
    for line in BufReader::new(std::fs::File::open(queries_file)?).lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        let url = v["url"].as_str().unwrap_or_default().to_string();
        let needle = v["needle"].as_str().unwrap_or_default().to_string();
        queries.entry(url).or_default().push(needle);
    }
    let mut out = BufWriter::new(std::io::stdout().lock());
    let opts = PruneOptions {
        shop_hints: false,
        class_hints: true,
        include_comments: false,
        include_tables: true,
        keep_authors: false,
        keep_disclosures: false,
        service_page: false,
    };
    for line in BufReader::new(std::fs::File::open(pages_file)?).lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        let url = v["id"].as_str().unwrap_or_default();
        let Some(needles) = queries.get(url) else {
            continue;
        };
        let dom = Dom::parse(v["html"].as_str().unwrap_or_default());
        let a = analyse(&dom, opts);
        let texts: Vec<(u32, String)> = dom
            .nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match &n.data {
                NodeData::Text(t) if !in_head_or_script(&dom, i as u32) => {
                    Some((i as u32, t.split_whitespace().collect::<Vec<_>>().join(" ")))
                }
                _ => None,
            })
            .collect();
        for needle in needles {
            let hit = texts.iter().find(|(_, t)| t.contains(needle.as_str()));
            let mut chain = Vec::new();
            let mut removed = false;
            if let Some(&(node, _)) = hit {
                removed = a.removed[node as usize];
                let mut id = dom.nodes[node as usize].parent;
                while id != NONE {
                    if let Some(e) = dom.element(id) {
                        let mut s = format!("{:?}", e.tag).to_ascii_lowercase();
                        if let Some(c) = e.attr("class") {
                            s.push('.');
                            s.push_str(&c.split_whitespace().collect::<Vec<_>>().join("."));
                        }
                        if let Some(i) = e.attr("id") {
                            s.push('#');
                            s.push_str(i);
                        }
                        chain.push(serde_json::json!({
                            "id": id,
                            "el": s,
                            "removed": a.removed[id as usize],
                            "len": a.text_len[id as usize],
                            "ld": (a.link_density(id) * 100.0).round() / 100.0,
                        }));
                    }
                    id = dom.nodes[id as usize].parent;
                }
            }
            let v = serde_json::json!({
                "url": url, "needle": needle, "found": hit.is_some(),
                "removed": removed, "chain": chain,
            });
            writeln!(out, "{v}")?;
        }
    }
    Ok(())
}

/// Text under `<head>`, `<script>`, `<style>` or `<template>` is never rendered; skip it so the
/// needle lands on the visible copy of a snippet (titles and JSON-LD repeat the article text).
fn in_head_or_script(dom: &Dom, node: u32) -> bool {
    let mut id = dom.nodes[node as usize].parent;
    while id != NONE {
        if matches!(
            dom.tag(id),
            Tag::Head | Tag::Script | Tag::Style | Tag::Template | Tag::Title | Tag::Noscript
        ) {
            return true;
        }
        id = dom.nodes[id as usize].parent;
    }
    false
}
