//! Text serialisation of the selected subtrees: one line per block (paragraph, heading, list
//! item, table cell, `<br>`), whitespace collapsed as a browser renders it (kept inside `<pre>`),
//! pruned nodes and link lists skipped. Iterative depth-first walk with an explicit stack.

use super::dom::{Dom, NodeData, NodeId};
use super::score::Analysis;
use super::tag::Tag;

/// What the serialiser keeps.
#[derive(Debug, Clone, Copy)]
pub struct SerializeOptions {
    /// Keep `<ul>`, `<ol>` and `<dl>` content.
    pub include_lists: bool,
    /// Link-density above which a container (list, table, div) counts as a link list.
    pub max_link_density: f32,
}

struct Out {
    text: String,
    line: String,
    space: bool,
}

impl Out {
    fn push_text(&mut self, t: &str, pre: bool) {
        if pre {
            for (i, part) in t.split('\n').enumerate() {
                if i > 0 {
                    self.end_line();
                }
                self.line.push_str(part.trim_end());
            }
            return;
        }
        let mut words = t.split_whitespace().peekable();
        if words.peek().is_none() {
            self.space = self.space || !t.is_empty();
            return;
        }
        let lead = t.starts_with(char::is_whitespace);
        let mut first = true;
        for w in words {
            if !self.line.is_empty() && (!first || lead || self.space) {
                self.line.push(' ');
            }
            self.line.push_str(w);
            first = false;
        }
        self.space = t.ends_with(char::is_whitespace);
    }

    fn end_line(&mut self) {
        let l = self.line.trim();
        if !l.is_empty() {
            self.text.push_str(l);
            self.text.push('\n');
        }
        self.line.clear();
        self.space = false;
    }
}

fn is_link_list_candidate(tag: Tag) -> bool {
    use Tag::*;
    matches!(
        tag,
        Ul | Ol | Dl | Div | Section | Table | Header | Tbody | Tr | Li | P | Dd | Figure
    )
}

/// Whether an element is a block of links (a menu, a teaser list, a tag cloud) to skip.
/// A block holding at least half of the article's text is the article (a link roll, a list of
/// references), never a menu to skip.
fn is_link_list(dom: &Dom, a: &Analysis, id: NodeId, max_ld: f32, total: u32) -> bool {
    let tag = dom.tag(id);
    let i = id as usize;
    if !is_link_list_candidate(tag)
        || a.links[i] == 0
        || a.text_len[i] == 0
        || a.text_len[i] >= total / 2
    {
        return false;
    }
    let ld = a.link_density(id);
    if matches!(tag, Tag::P | Tag::Li | Tag::Dd) {
        // A paragraph that is one link (a cited URL) is content; several links and nothing else
        // is a list of links.
        return a.links[i] >= 2 && ld > 0.8;
    }
    ld > max_ld
}

/// Appends the text of `roots` (in order) to a new string, one block per line.
pub fn serialize(dom: &Dom, a: &Analysis, roots: &[NodeId], opts: SerializeOptions) -> String {
    let mut out = Out {
        text: String::new(),
        line: String::new(),
        space: false,
    };
    // (node, exiting)
    let mut stack: Vec<(NodeId, bool)> = Vec::new();
    let mut pre_depth = 0usize;
    let total: u32 = roots.iter().map(|&r| a.text_len[r as usize]).sum();
    let mut kids: Vec<NodeId> = Vec::new();
    for &root in roots.iter().rev() {
        stack.push((root, false));
    }
    while let Some((id, exiting)) = stack.pop() {
        let i = id as usize;
        if exiting {
            let tag = dom.tag(id);
            if tag == Tag::Pre {
                pre_depth = pre_depth.saturating_sub(1);
            }
            if tag.is_block() {
                out.end_line();
            }
            continue;
        }
        if a.removed[i] {
            continue;
        }
        match &dom.nodes[i].data {
            NodeData::Text(t) => out.push_text(t, pre_depth > 0),
            NodeData::Element(e) => {
                let tag = e.tag;
                if tag == Tag::Br {
                    out.end_line();
                    continue;
                }
                if !opts.include_lists && matches!(tag, Tag::Ul | Tag::Ol | Tag::Dl) {
                    continue;
                }
                if is_link_list(dom, a, id, opts.max_link_density, total) {
                    continue;
                }
                if tag.is_block() {
                    out.end_line();
                }
                if tag == Tag::Pre {
                    pre_depth += 1;
                }
                stack.push((id, true));
                kids.clear();
                kids.extend(dom.children(id));
                for &k in kids.iter().rev() {
                    stack.push((k, false));
                }
            }
            NodeData::Document => {
                kids.clear();
                kids.extend(dom.children(id));
                for &k in kids.iter().rev() {
                    stack.push((k, false));
                }
            }
        }
    }
    out.end_line();
    if out.text.ends_with('\n') {
        out.text.pop();
    }
    out.text
}
