//! Debugging aid: prints the ancestor chain (tag, class/id, removed flag) of the first text node
//! containing a needle. `extract_debug PAGES.jsonl URL NEEDLE`; with the needle `--roots`, the
//! subtrees `select` chose instead.
use std::io::{BufRead, BufReader};

use gleaner::extract::dom::{Dom, NONE, NodeData};
use gleaner::extract::prune::{PruneOptions, analyse};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, file, url, needle] = &args[..] else {
        return Err("usage: extract_debug PAGES.jsonl URL NEEDLE".into());
    };
    for line in BufReader::new(std::fs::File::open(file)?).lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        if v["id"].as_str() != Some(url) {
            continue;
        }
        let dom = Dom::parse(v["html"].as_str().unwrap_or_default());
        let opts = PruneOptions {
            // `GLEANER_SHOP_HINTS=1`: the product path's pruning pass.
            shop_hints: std::env::var_os("GLEANER_SHOP_HINTS").is_some(),
            class_hints: true,
            include_comments: false,
            include_tables: true,
            keep_authors: false,
            keep_disclosures: false,
            service_page: false,
        };
        let a = analyse(&dom, opts);
        // One line per element: where it is, what it is, and what scoring made of it.
        let describe = |id: u32| {
            let e = dom.element(id);
            format!(
                "{id} {:?} class={:?} id={:?} removed={} len={} ld={:.2}",
                dom.tag(id),
                e.and_then(|e| e.attr("class")),
                e.and_then(|e| e.attr("id")),
                a.removed[id as usize],
                a.text_len[id as usize],
                a.link_density(id)
            )
        };
        if needle == "--roots" {
            let body = dom
                .find_first(gleaner::extract::tag::Tag::Body)
                .unwrap_or(0);
            for id in gleaner::extract::score::select(&dom, &a, body, false) {
                println!("root {}", describe(id));
            }
            return Ok(());
        }
        for (i, n) in dom.nodes.iter().enumerate() {
            if let NodeData::Text(t) = &n.data
                && t.contains(needle.as_str())
            {
                let mut id = i as u32;
                while id != NONE {
                    println!("{}", describe(id));
                    id = dom.nodes[id as usize].parent;
                }
                return Ok(());
            }
        }
    }
    Ok(())
}
