//! Text serialisation of the selected subtrees: one line per block (paragraph, heading, list
//! item, table cell, `<br>`), whitespace collapsed as a browser renders it (kept inside `<pre>`),
//! pruned nodes and link lists skipped. Iterative depth-first walk with an explicit stack.

use super::boilerplate;
use super::caption;
use super::dom::{Dom, NONE, NodeData, NodeId};
use super::prune::Analysis;
use super::tag::Tag;
use super::text::spaced_runs;
use link_lists::{holds_attribution, is_link_list};

/// What the serialiser keeps.
#[derive(Debug, Clone, Copy)]
pub struct SerializeOptions {
    /// Keep `<ul>`, `<ol>` and `<dl>` content.
    pub include_lists: bool,
    /// Link-density above which a container (list, table, div) counts as a link list.
    pub max_link_density: f32,
    /// Keep link lists: on listing and collection pages the list of links *is* the content, and
    /// documentation's lists of the pages an overview introduces are part of its text.
    /// Links that are the only text of their parent then go one per line, as list items would.
    pub keep_link_lists: bool,
    /// Keep short link blocks that say who wrote a post and when (forum threads): see
    /// [`holds_attribution`].
    pub keep_attribution: bool,
    /// Keep link-dense blocks whose links read as cards, each a title with its description
    /// (landing pages' service and feature tiles): see [`super::sections::links_read_as_cards`].
    pub keep_link_cards: bool,
    /// Leave out the `<form>`s inside the selected text (a newsletter sign-up, a "request a
    /// quote" box, a comparison tool's filters), unless one holds half of it or more (ASP.NET
    /// pages wrap the whole page in one). trafilatura drops every `<form>` (`MANUALLY_CLEANED`);
    /// gleaner only dropped their labels, buttons and fields, so the forms' headings and
    /// blurbs stayed. Articles, service and documentation pages only: a forum keeps its posts
    /// inside reply and vote forms, and a shop its variant picker. WCXB dev, tuning part: token
    /// F1 0.8988 -> 0.8992 (article 0.9628 -> 0.9634, service 0.8659 -> 0.8662; 15 pages up, 3
    /// down: a retirement calculator's version picker and a belt buckle's variant names, both
    /// inside their forms); extraction-dev snippet F1 unchanged (0.9402, no page changed).
    pub skip_forms: bool,
}

/// Fewest links in a parent, holding nothing but them, before each goes on its own line.
const MIN_LINKS_FOR_LINES: u32 = 3;

/// Whether `<a>` `id` is one of several links that make up all of its parent's text (a run of
/// bare `<a>` tags used as a list).
fn link_in_bare_run(dom: &Dom, a: &Analysis, id: NodeId) -> bool {
    let p = dom.nodes[id as usize].parent;
    p != NONE
        && a.links[p as usize] >= MIN_LINKS_FOR_LINES
        && a.link_len[p as usize] == a.text_len[p as usize]
}

struct Out {
    text: String,
    line: String,
    space: bool,
    /// An inline element opened or closed since the last text: a field boundary (see
    /// [`fields_glued`]).
    edge: bool,
}

/// Whether `line` ends in the last group of a UUID (twelve hex digits after a hyphen) and `w`
/// starts with the first (eight hex digits and a hyphen): a marketplace hides its "Sponsored"
/// label among decoy letters, one `<span>` each, with a UUID between every two that the product
/// path strips after serialisation (see `product::strip_uuids`). Parted at the edges, the label's
/// letters became tokens of their own (WCXB dev, tuning part: two product pages -0.05 and -0.07).
fn ends_in_uuid(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() >= 13 && b[b.len() - 13] == b'-' && b[b.len() - 12..].iter().all(u8::is_ascii_hexdigit)
}

/// See [`ends_in_uuid`].
fn starts_with_uuid(w: &str) -> bool {
    let b = w.as_bytes();
    b.len() >= 9 && b[8] == b'-' && b[..8].iter().all(u8::is_ascii_hexdigit)
}

/// Whether text ending in `before` and text starting with `after`, written with no space between
/// them across an inline element's edge, are two fields that the page's stylesheet sets apart
/// (a card's brand and name in two `<span>`s shown as blocks, "Trek" + "Starvos Bike Helmet"; a
/// price and its label, "$99.99" + "Price") rather than one word: a lower-case letter or a digit
/// before a capital. Joined, they make one token that is in no gold text. A letter beside a
/// digit stays joined: a quantity and its unit ("31" + "g") and a code ("EH" + "55") are one
/// word to a reader (parting those too cost extraction-dev snippet F1 0.9371 -> 0.9368).
fn fields_glued(before: char, after: char) -> bool {
    (before.is_lowercase() || before.is_ascii_digit()) && after.is_uppercase()
}

impl Out {
    fn push_text(&mut self, t: &str, pre: bool) {
        if pre {
            // Spaces inside preformatted text are content, also at the end of a text node: code
            // highlighters put each token in its own `<span>` with the blanks between them
            // (`from</span><span> </span><span>typing`). `end_line` trims line ends.
            for (i, part) in t.split('\n').enumerate() {
                if i > 0 {
                    self.end_line();
                }
                self.line.push_str(part);
            }
            return;
        }
        let mut runs = spaced_runs(t).peekable();
        if runs.peek().is_none() {
            self.space = self.space || !t.is_empty();
            return;
        }
        let lead = t.starts_with(char::is_whitespace);
        let mut first = true;
        for w in runs {
            let glued = first
                && self.edge
                && !ends_in_uuid(&self.line)
                && !starts_with_uuid(w)
                && self
                    .line
                    .chars()
                    .next_back()
                    .zip(w.chars().next())
                    .is_some_and(|(b, a)| fields_glued(b, a));
            if !self.line.is_empty() && (!first || lead || self.space || glued) {
                self.line.push(' ');
            }
            self.line.push_str(w);
            first = false;
        }
        self.space = t.ends_with(char::is_whitespace);
        self.edge = false;
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

/// Whether the edges of a `tag` element may part two fields run together (see
/// [`fields_glued`]): inline elements but sub- and superscripts, which belong to their word
/// ("H<sub>2</sub>O", "m<sup>2</sup>").
fn field_edge(tag: Tag) -> bool {
    !matches!(tag, Tag::Sub | Tag::Sup)
}

/// Appends the text of `roots` (in order) to a new string, one block per line.
pub fn serialize(dom: &Dom, a: &Analysis, roots: &[NodeId], opts: SerializeOptions) -> String {
    let mut out = Out {
        text: String::new(),
        line: String::new(),
        space: false,
        edge: false,
    };
    // (node, exiting)
    let mut stack: Vec<(NodeId, bool)> = Vec::new();
    let mut pre_depth = 0usize;
    let total: u32 = roots.iter().map(|&r| a.text_len[r as usize]).sum();
    let mut kids: Vec<NodeId> = Vec::new();
    // Link lists introduced by a boilerplate heading ("Related articles" + list).
    let mut skipped: Vec<NodeId> = Vec::new();
    let mut text_buf = String::new();
    let mut text_stack: Vec<NodeId> = Vec::new();
    for &root in roots {
        skip_recommendations(
            dom,
            a,
            root,
            total,
            &mut text_stack,
            &mut text_buf,
            &mut skipped,
        );
    }
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
            if tag.is_block()
                || (opts.keep_link_lists && tag == Tag::A && link_in_bare_run(dom, a, id))
            {
                out.end_line();
            }
            out.edge |= field_edge(tag);
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
                if !opts.keep_link_lists && is_link_list(dom, a, id, &opts, total) {
                    continue;
                }
                if skipped.contains(&id) {
                    continue;
                }
                if opts.skip_forms && tag == Tag::Form && a.text_len[i] * 2 < total {
                    // See [`SerializeOptions::skip_forms`].
                    continue;
                }
                // An image's caption with its credit, outside `<figure>` (see [`caption`]).
                if tag != Tag::A
                    && a.text_len[i] > 0
                    && a.text_len[i] <= caption::MAX_CAPTION_CHARS
                    && a.text_len[i] * 2 < total
                    && pre_depth == 0
                    && !same_text_as_parent(dom, a, id)
                    && caption::may_be_caption(dom, a, id)
                    && caption::has_credit_mark(block_text(
                        dom,
                        a,
                        id,
                        &mut text_stack,
                        &mut text_buf,
                    ))
                {
                    continue;
                }
                if tag != Tag::A
                    && a.text_len[i] > 0
                    && (a.text_len[i] as usize) <= boilerplate::MAX_PHRASE_CHARS
                    && !same_text_as_parent(dom, a, id)
                    && boilerplate::is_boilerplate_line(block_text(
                        dom,
                        a,
                        id,
                        &mut text_stack,
                        &mut text_buf,
                    ))
                    && !(opts.keep_attribution && holds_attribution(dom, id))
                {
                    if tag.is_heading() {
                        skip_introduced_links(dom, a, id, opts.keep_attribution, &mut skipped);
                    }
                    continue;
                }
                let own_line = tag.is_block()
                    || (opts.keep_link_lists && tag == Tag::A && link_in_bare_run(dom, a, id));
                if own_line {
                    out.end_line();
                }
                out.edge |= field_edge(tag);
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

/// Sections opened by a heading that announces recommendations ("People who viewed this item
/// also viewed", "Related articles"): the heading and the largest container it starts, as long
/// as that container holds less than a third of the text, go into `skipped`.
fn skip_recommendations(
    dom: &Dom,
    a: &Analysis,
    root: NodeId,
    total: u32,
    text_stack: &mut Vec<NodeId>,
    text_buf: &mut String,
    skipped: &mut Vec<NodeId>,
) {
    let end = subtree_end(dom, root);
    for id in root..end {
        let i = id as usize;
        if a.removed[i]
            || !dom.tag(id).is_heading()
            || a.text_len[i] == 0
            || a.text_len[i] as usize > boilerplate::MAX_PHRASE_CHARS
        {
            continue;
        }
        if !boilerplate::is_recommendation_heading(block_text(dom, a, id, text_stack, text_buf)) {
            continue;
        }
        let mut section = id;
        loop {
            let p = dom.nodes[section as usize].parent;
            if p == NONE || section == root || dom.element(p).is_none() {
                break;
            }
            if a.text_len[p as usize] * 3 > total || first_visible_child(dom, a, p) != Some(section)
            {
                break;
            }
            section = p;
        }
        skipped.push(section);
    }
}

/// The first child of `id` with visible text.
fn first_visible_child(dom: &Dom, a: &Analysis, id: NodeId) -> Option<NodeId> {
    dom.children(id)
        .find(|&c| !a.removed[c as usize] && a.text_len[c as usize] > 0)
}

/// One past the last node of `id`'s subtree (nodes are numbered in document order).
pub(crate) fn subtree_end(dom: &Dom, id: NodeId) -> NodeId {
    let mut n = id;
    loop {
        let next = dom.nodes[n as usize].next_sibling;
        if next != NONE {
            return next;
        }
        let p = dom.nodes[n as usize].parent;
        if p == NONE {
            return dom.nodes.len() as NodeId;
        }
        n = p;
    }
}

/// The whitespace-collapsed visible text of `id`'s subtree, in `buf` (reused across calls).
/// Only called on blocks of at most [`boilerplate::MAX_PHRASE_CHARS`] visible characters, so the
/// walk is short.
fn block_text<'b>(
    dom: &Dom,
    a: &Analysis,
    id: NodeId,
    stack: &mut Vec<NodeId>,
    buf: &'b mut String,
) -> &'b str {
    buf.clear();
    stack.clear();
    stack.push(id);
    // Children are pushed in reverse, so text nodes pop in document order.
    while let Some(n) = stack.pop() {
        if a.removed[n as usize] {
            continue;
        }
        if let NodeData::Text(t) = &dom.nodes[n as usize].data {
            for w in spaced_runs(t) {
                if !buf.is_empty() {
                    buf.push(' ');
                }
                buf.push_str(w);
            }
            continue;
        }
        let start = stack.len();
        stack.extend(dom.children(n));
        stack[start..].reverse();
    }
    buf.as_str()
}

/// Whether `id` holds all of its parent's text: `<p><strong>Related</strong></p>` was already
/// tested as the `<p>`, so the `<strong>` needs no second phrase test.
fn same_text_as_parent(dom: &Dom, a: &Analysis, id: NodeId) -> bool {
    let p = dom.nodes[id as usize].parent;
    p != NONE
        && dom.element(p).is_some_and(|e| e.tag != Tag::A)
        && a.text_len[p as usize] == a.text_len[id as usize]
}

/// After a boilerplate heading, the following siblings that are lists or link blocks belong to
/// it (the "Related articles" list); stops at the first block of prose. On a thread
/// (`thread`: attribution kept) a list counts only when it is mostly links: forums put their
/// replies in a `<ul>` under a "Comments" heading (Vanilla), and that list is the thread.
fn skip_introduced_links(
    dom: &Dom,
    a: &Analysis,
    heading: NodeId,
    thread: bool,
    skipped: &mut Vec<NodeId>,
) {
    let mut n = dom.nodes[heading as usize].next_sibling;
    while n != NONE {
        let i = n as usize;
        if dom.element(n).is_some() && !a.removed[i] && a.text_len[i] > 0 {
            let tag = dom.tag(n);
            let listy =
                (!thread && matches!(tag, Tag::Ul | Tag::Ol | Tag::Dl)) || a.link_density(n) > 0.5;
            if !listy {
                break;
            }
            skipped.push(n);
        } else if let NodeData::Text(t) = &dom.nodes[i].data
            && !t.trim().is_empty()
        {
            break;
        }
        n = dom.nodes[i].next_sibling;
    }
}

mod link_lists;

#[cfg(test)]
mod tests;
