//! The tree builder: the WHATWG "in body" insertion rules that matter for text (implied `</p>`,
//! `</li>`, `</dt>`/`</dd>`, table cells and rows, end tags that do not close past special
//! elements), over an open-element stack capped at [`MAX_DEPTH`] so every scope search is bounded.

use std::borrow::Cow;

use super::super::tag::{Attr, TAG_COUNT, Tag};
use super::{Element, MAX_DEPTH, NONE, Node, NodeData, NodeId, TextRun};

/// Builds the node arena from the tokenizer's tags and text.
pub(super) struct Builder<'a> {
    /// The page: text runs are slices of it where possible.
    pub(super) html: &'a str,
    pub(super) nodes: Vec<Node<'a>>,
    /// Open elements with their tags (scope searches read tags here, not in the node arena);
    /// `stack[0]` is the root.
    stack: Vec<(NodeId, Tag)>,
    /// How many of each tag are open (root excluded): most scope searches are for an element
    /// that is not open at all, and end here instead of walking the stack.
    open: [u16; TAG_COUNT],
    has_body: bool,
    has_html: bool,
}

impl<'a> Builder<'a> {
    pub(super) fn new(html: &'a str) -> Self {
        // Room for one node per 32 bytes of page: a page has one node per 33 bytes or more in
        // 19 pages of 20 on WCXB dev (one per 67 at the median), and growing the arena (one in
        // two pages at one node per 64 bytes) copied it, ~0.7% of extraction instructions
        // (callgrind). Capacity never used is never touched.
        let mut nodes = Vec::with_capacity(html.len() / 32 + 4);
        nodes.push(Node {
            parent: NONE,
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            data: NodeData::Document,
        });
        Builder {
            html,
            nodes,
            stack: vec![(0, Tag::Other)],
            open: [0; TAG_COUNT],
            has_body: false,
            has_html: false,
        }
    }

    fn current(&self) -> NodeId {
        self.stack.last().map_or(0, |&(id, _)| id)
    }

    /// Tag of the current node ([`Tag::Other`] for the root).
    fn current_tag(&self) -> Tag {
        self.stack.last().map_or(Tag::Other, |&(_, t)| t)
    }

    pub(super) fn is_open(&self, tag: Tag) -> bool {
        self.open[tag as usize] > 0
    }

    fn push(&mut self, id: NodeId, tag: Tag) {
        self.stack.push((id, tag));
        self.open[tag as usize] += 1;
    }

    /// Closes the elements from stack index `i` (≥ 1) up.
    fn truncate(&mut self, i: usize) {
        for &(_, t) in &self.stack[i..] {
            self.open[t as usize] -= 1;
        }
        self.stack.truncate(i);
    }

    /// Closes the current element (never the root).
    fn pop(&mut self) {
        if self.stack.len() > 1 {
            self.truncate(self.stack.len() - 1);
        }
    }

    fn append(&mut self, parent: NodeId, data: NodeData<'a>) -> NodeId {
        let id = self.nodes.len() as NodeId;
        let last = self.nodes[parent as usize].last_child;
        self.nodes.push(Node {
            parent,
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            data,
        });
        if last == NONE {
            self.nodes[parent as usize].first_child = id;
        } else {
            self.nodes[last as usize].next_sibling = id;
        }
        self.nodes[parent as usize].last_child = id;
        id
    }

    /// Appends `html[start..end]`, verbatim, to the current node's text.
    pub(super) fn text_span(&mut self, start: usize, end: usize) {
        if start >= end {
            return;
        }
        let html = self.html;
        let parent = self.current();
        let last = self.nodes[parent as usize].last_child;
        if last != NONE
            && let NodeData::Text(TextRun(t)) = &mut self.nodes[last as usize].data
        {
            match t {
                // Runs split only by a stray `<` stay one slice.
                Cow::Borrowed(prev) if offset_in(html, prev) + prev.len() == start => {
                    *prev = &html[offset_in(html, prev)..end];
                }
                _ => t.to_mut().push_str(&html[start..end]),
            }
            return;
        }
        let run = TextRun(Cow::Borrowed(&html[start..end]));
        self.append(parent, NodeData::Text(run));
    }

    /// Appends decoded text to the current node's text.
    pub(super) fn text_owned(&mut self, s: Cow<'_, str>) {
        if s.is_empty() {
            return;
        }
        let parent = self.current();
        let last = self.nodes[parent as usize].last_child;
        if last != NONE
            && let NodeData::Text(TextRun(t)) = &mut self.nodes[last as usize].data
        {
            t.to_mut().push_str(&s);
            return;
        }
        let run = TextRun(Cow::Owned(s.into_owned()));
        self.append(parent, NodeData::Text(run));
    }

    /// Index in the stack of the innermost `tag`, searching down to a scope boundary.
    fn in_scope(&self, tag: Tag, boundary: impl Fn(Tag) -> bool) -> Option<usize> {
        if !self.is_open(tag) {
            return None;
        }
        for i in (1..self.stack.len()).rev() {
            let t = self.stack[i].1;
            if t == tag {
                return Some(i);
            }
            if boundary(t) {
                return None;
            }
        }
        None
    }

    fn close_if_open(&mut self, tags: &[Tag], stop: impl Fn(Tag) -> bool) {
        if !tags.iter().any(|&t| self.is_open(t)) {
            return;
        }
        for i in (1..self.stack.len()).rev() {
            let t = self.stack[i].1;
            if tags.contains(&t) {
                self.truncate(i);
                return;
            }
            if stop(t) {
                return;
            }
        }
    }

    /// Opens `tag` with the attributes in `attrs` (drained).
    pub(super) fn start_tag(&mut self, tag: Tag, attrs: &mut Vec<(Attr, Cow<'a, str>)>) {
        use Tag::*;
        match tag {
            Html if self.has_html => return,
            Html => self.has_html = true,
            Body if self.has_body => return,
            Body => {
                self.has_body = true;
                self.close_if_open(&[Head], |_| false);
            }
            _ => {}
        }
        if !tag.is_head_content() && tag != Html && tag != Head {
            // Content outside head-content ends an unclosed <head>.
            if self.current_tag() == Head {
                self.pop();
            }
        }
        if tag.closes_p()
            && let Some(i) = self.in_scope(P, Tag::is_button_scope_boundary)
        {
            self.truncate(i);
        }
        match tag {
            Li => self.close_if_open(&[Li], |t| t.is_special() && !matches!(t, Address | Div | P)),
            Dd | Dt => self.close_if_open(&[Dd, Dt], |t| {
                t.is_special() && !matches!(t, Address | Div | P)
            }),
            H1 | H2 | H3 | H4 | H5 | H6 if self.current_tag().is_heading() => {
                self.pop();
            }
            Option if self.current_tag() == Option => {
                self.pop();
            }
            Td | Th => self.close_if_open(&[Td, Th], |t| matches!(t, Table | Tr)),
            Tr => self.close_if_open(&[Tr], |t| t == Table),
            Tbody | Thead | Tfoot => self.close_if_open(&[Tbody, Thead, Tfoot], |t| t == Table),
            A => self.close_if_open(&[A], |t| t.is_special()),
            // WHATWG "in body", start tag "button": a button in scope is closed first.
            Button => {
                if let Some(i) = self.in_scope(Button, Tag::is_scope_boundary) {
                    self.truncate(i);
                }
            }
            _ => {}
        }
        let parent = self.current();
        let id = self.append(parent, NodeData::Element(Element::new(tag, attrs)));
        if !tag.is_void() && self.stack.len() < MAX_DEPTH {
            self.push(id, tag);
        }
    }

    pub(super) fn end_tag(&mut self, tag: Tag, name: &[u8]) {
        use Tag::*;
        match tag {
            Body | Html => {}
            Br => self.start_tag(Br, &mut Vec::new()),
            P => {
                if let Some(i) = self.in_scope(P, Tag::is_button_scope_boundary) {
                    self.truncate(i)
                }
            }
            Table => {
                if let Some(i) = self.in_scope(Table, |t| matches!(t, Html | Template)) {
                    self.truncate(i);
                }
            }
            Td | Th | Tr | Tbody | Thead | Tfoot | Caption => {
                if let Some(i) = self.in_scope(tag, |t| matches!(t, Html | Table | Template)) {
                    self.truncate(i);
                }
            }
            Other => {
                // Unknown names: close the innermost element of the same name unless a special
                // element is in the way. Names are not stored, so match by position only if the
                // current node is an unknown element too.
                let _ = name;
                if self.current_tag() == Other && self.stack.len() > 1 {
                    self.pop();
                }
            }
            t if t.is_special() => {
                if let Some(i) = self.in_scope(t, Tag::is_scope_boundary) {
                    self.truncate(i);
                }
            }
            t => {
                // WHATWG "any other end tag": stop at the first special element.
                if !self.is_open(t) {
                    return;
                }
                for i in (1..self.stack.len()).rev() {
                    let s = self.stack[i].1;
                    if s == t {
                        self.truncate(i);
                        return;
                    }
                    if s.is_special() {
                        return;
                    }
                }
            }
        }
    }
}

/// Byte offset of `slice`, a slice of `html`, in `html`.
fn offset_in(html: &str, slice: &str) -> usize {
    slice.as_ptr() as usize - html.as_ptr() as usize
}
