//! HTML → arena DOM: a byte-level tokenizer following the WHATWG tokenizer's main states (tags,
//! quoted and unquoted attributes, comments, doctype, raw-text and RCDATA elements, character
//! references) and a tree builder that applies the "in body" rules that matter for text
//! (implied `</p>`, `</li>`, `</dt>`/`</dd>`, table cells and rows, end tags that do not close
//! past special elements).
//!
//! Why not html5ever: measured on the 990 pages of `extraction-dev`, html5ever's tokenizer alone
//! took ~2 ms per page and the full tree builder (via `scraper`) ~1.9–2.5 ms, while the whole
//! extraction budget for 20× trafilatura (~30 pages/s on the same machine) is ~1.5 ms; its tree
//! builder is also quadratic on 100k nested `<div>`s (47 s). `tl` is fast but ignores any end tag
//! that does not match the innermost open element, which breaks the structure of real pages.
//! This builder is linear: the open-element stack is capped at [`MAX_DEPTH`] (deeper elements are
//! attached flat to the deepest open one), so every scope search is bounded, and nothing recurses.

use std::borrow::Cow;

use memchr::memchr;

use super::tag::{Attr, TAG_COUNT, Tag};

/// Deepest open-element stack kept; browsers use similar caps (Blink: 512).
pub const MAX_DEPTH: usize = 512;
/// Attribute values are cut to this many bytes: class/id hints and meta content need no more,
/// and a 1 MB attribute must not be copied per element.
const MAX_ATTR_VALUE: usize = 4096;

/// Index of a node in [`Dom::nodes`].
pub type NodeId = u32;
/// "No node".
pub const NONE: NodeId = u32::MAX;

/// What a node is.
#[derive(Debug)]
pub enum NodeData<'a> {
    /// The document root.
    Document,
    /// An element with the attributes the extractor reads.
    Element(Element<'a>),
    /// A run of character data (references decoded).
    Text(TextRun<'a>),
}

/// A run of character data: a slice of the page when it needed no decoding (most text, and all
/// script and style content), an owned string otherwise. Borrowing instead of copying every
/// text node into its own `String` saves an allocation, a copy and a free per node: allocating
/// and freeing the tree's strings was ~20% of extraction time (perf, WCXB dev).
#[derive(Debug)]
pub struct TextRun<'a>(Cow<'a, str>);

impl TextRun<'_> {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Non-whitespace characters ([`char::is_whitespace`]) and commas (Latin, CJK and Arabic)
    /// of the run: what the scorer sums per subtree. ASCII runs (most) are counted bytewise.
    pub fn visible_chars_and_commas(&self) -> (u32, u32) {
        let (len, commas) = super::text::visible_chars_and_commas(&self.0);
        (len as u32, commas as u32)
    }
}

impl std::ops::Deref for TextRun<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// An element: its name and the few attributes that carry extraction signals ([`Attr`]).
#[derive(Debug)]
pub struct Element<'a> {
    /// Element name.
    pub tag: Tag,
    /// [`Attr::bit`]s of the attributes present: most lookups are for an attribute the element
    /// does not have, and end here.
    present: u16,
    attrs: Attrs<'a>,
}

/// The kept attributes of an element, first occurrence of each name. Nine in ten elements with
/// any have one or two, with values as written in the page: those sit inline, so that the
/// parse allocates (and the drop frees) nothing for them.
#[derive(Debug)]
enum Attrs<'a> {
    Inline {
        len: u8,
        items: [(Attr, &'a str); INLINE_ATTRS],
    },
    /// More attributes, or values with character references (decoded).
    Heap(Vec<(Attr, Cow<'a, str>)>),
}

const INLINE_ATTRS: usize = 2;

impl<'a> Element<'a> {
    /// An element named `tag` with the attributes `attrs` (distinct names).
    fn new(tag: Tag, attrs: &mut Vec<(Attr, Cow<'a, str>)>) -> Self {
        let present = attrs.iter().fold(0, |m, (a, _)| m | a.bit());
        let attrs = if attrs.len() <= INLINE_ATTRS
            && attrs.iter().all(|(_, v)| matches!(v, Cow::Borrowed(_)))
        {
            let mut items = [(Attr::Class, ""); INLINE_ATTRS];
            for (slot, (a, v)) in items.iter_mut().zip(attrs.drain(..)) {
                if let Cow::Borrowed(v) = v {
                    *slot = (a, v);
                }
            }
            Attrs::Inline {
                len: present.count_ones() as u8,
                items,
            }
        } else {
            Attrs::Heap(std::mem::take(attrs))
        };
        Element {
            tag,
            present,
            attrs,
        }
    }

    /// The value of attribute `name` (lower-case), if present.
    #[inline]
    pub fn attr(&self, name: &str) -> Option<&str> {
        let a = Attr::from_lower(name.as_bytes())?;
        if self.present & a.bit() == 0 {
            return None;
        }
        match &self.attrs {
            Attrs::Inline { len, items } => items[..*len as usize]
                .iter()
                .find(|(n, _)| *n == a)
                .map(|(_, v)| *v),
            Attrs::Heap(items) => items.iter().find(|(n, _)| *n == a).map(|(_, v)| &**v),
        }
    }
}

/// One node with its links in the tree.
#[derive(Debug)]
pub struct Node<'a> {
    /// Parent node, [`NONE`] for the root.
    pub parent: NodeId,
    /// First child or [`NONE`].
    pub first_child: NodeId,
    /// Last child or [`NONE`].
    pub last_child: NodeId,
    /// Next sibling or [`NONE`].
    pub next_sibling: NodeId,
    /// Payload.
    pub data: NodeData<'a>,
}

/// A parsed document: node 0 is the root. Text and attribute values borrow from the page.
#[derive(Debug)]
pub struct Dom<'a> {
    /// All nodes; ids index this vector.
    pub nodes: Vec<Node<'a>>,
    /// Class/id hint bits and class words per node ([`super::hints::node_flags`]), computed on
    /// first use.
    hint_flags: std::cell::OnceCell<super::hints::HintTables>,
    /// [`TextRun::visible_chars_and_commas`] per node, counted on first use ([`Dom::text_stats`]).
    text_stats: std::cell::RefCell<Vec<(u32, u32)>>,
}

/// A [`Dom::text_stats`] entry not counted yet.
pub const UNCOUNTED: (u32, u32) = (u32::MAX, u32::MAX);

impl<'a> Dom<'a> {
    /// Element payload of `id`, if it is an element.
    pub fn element(&self, id: NodeId) -> Option<&Element<'a>> {
        match &self.nodes.get(id as usize)?.data {
            NodeData::Element(e) => Some(e),
            _ => None,
        }
    }

    /// The class/id hint bits of every node ([`super::hints::bit`]), computed once per page.
    pub fn hint_flags(&self) -> &[u8] {
        &self.hint_tables().flags
    }

    /// The class-word bits of every node ([`super::hints::word`]), computed with the hint bits.
    pub fn class_words(&self) -> &[u8] {
        &self.hint_tables().words
    }

    fn hint_tables(&self) -> &super::hints::HintTables {
        self.hint_flags
            .get_or_init(|| super::hints::node_flags(self))
    }

    /// Per node, the visible characters and commas of its text run, or [`UNCOUNTED`]: callers
    /// count a run on first use and store it here, so that the several pruning passes of a page
    /// (two to six `measure` calls) count each run once; recounting was ~6% of extraction time
    /// (perf, WCXB dev). Only runs some pass keeps are ever counted (not script or style text).
    pub fn text_stats(&self) -> std::cell::RefMut<'_, Vec<(u32, u32)>> {
        let mut stats = self.text_stats.borrow_mut();
        if stats.is_empty() {
            stats.resize(self.nodes.len(), UNCOUNTED);
        }
        stats
    }

    /// Tag of `id` ([`Tag::Other`] for non-elements).
    pub fn tag(&self, id: NodeId) -> Tag {
        self.element(id).map_or(Tag::Other, |e| e.tag)
    }

    /// Children of `id`, in order.
    pub fn children(&self, id: NodeId) -> Children<'_, 'a> {
        Children {
            dom: self,
            next: self.nodes[id as usize].first_child,
        }
    }

    /// First element with tag `tag` in document order.
    pub fn find_first(&self, tag: Tag) -> Option<NodeId> {
        (0..self.nodes.len() as NodeId).find(|&i| self.tag(i) == tag)
    }

    /// Parses `html`. Never fails: any byte sequence gives a tree.
    pub fn parse(html: &'a str) -> Dom<'a> {
        let mut b = Builder::new(html);
        tokenize(html, &mut b);
        Dom {
            nodes: b.nodes,
            hint_flags: std::cell::OnceCell::new(),
            text_stats: std::cell::RefCell::new(Vec::new()),
        }
    }
}

/// Iterator over a node's children.
pub struct Children<'d, 'a> {
    dom: &'d Dom<'a>,
    next: NodeId,
}

impl Iterator for Children<'_, '_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        if self.next == NONE {
            return None;
        }
        let id = self.next;
        self.next = self.dom.nodes[id as usize].next_sibling;
        Some(id)
    }
}

struct Builder<'a> {
    /// The page: text runs are slices of it where possible.
    html: &'a str,
    nodes: Vec<Node<'a>>,
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
    fn new(html: &'a str) -> Self {
        let mut nodes = Vec::with_capacity(html.len() / 64 + 4);
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

    fn is_open(&self, tag: Tag) -> bool {
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
    fn text_span(&mut self, start: usize, end: usize) {
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
    fn text_owned(&mut self, s: Cow<'_, str>) {
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
    fn start_tag(&mut self, tag: Tag, attrs: &mut Vec<(Attr, Cow<'a, str>)>) {
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

    fn end_tag(&mut self, tag: Tag, name: &[u8]) {
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

/// Appends `html[start..end]` with character references decoded.
fn decode_into(b: &mut Builder<'_>, start: usize, end: usize) {
    let raw = &b.html[start..end];
    if memchr(b'&', raw.as_bytes()).is_some() {
        b.text_owned(html_escape::decode_html_entities(raw));
    } else {
        b.text_span(start, end);
    }
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// Cuts `s` to at most `max` bytes on a character boundary.
fn truncate_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Position just after the next `>` at or after `from`, or the end.
fn skip_past_gt(bytes: &[u8], from: usize) -> usize {
    match memchr(b'>', &bytes[from.min(bytes.len())..]) {
        Some(p) => from + p + 1,
        None => bytes.len(),
    }
}

/// Finds `</name` (ASCII case-insensitive) followed by whitespace, `/` or `>` at or after `from`.
/// Searches for `</` as a pair: scripts are full of lone `<` (comparisons, markup in strings), and
/// stopping at each was ~2% of extraction time (perf, WCXB dev).
fn find_end_tag(bytes: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut i = from;
    let finder = memchr::memmem::Finder::new(b"</");
    while i < bytes.len() {
        let p = i + finder.find(&bytes[i..])?;
        let after = p + 2 + name.len();
        if after <= bytes.len()
            && bytes[p + 2..after].eq_ignore_ascii_case(name)
            && bytes
                .get(after)
                .is_none_or(|&c| is_ws(c) || c == b'/' || c == b'>')
        {
            return Some(p);
        }
        i = p + 1;
    }
    None
}

fn tokenize<'a>(html: &'a str, b: &mut Builder<'a>) {
    let bytes = html.as_bytes();
    let n = bytes.len();
    let mut i = 0;
    let mut name_buf: Vec<u8> = Vec::with_capacity(16);
    // One element's kept attributes, reused from tag to tag.
    let mut attrs: Vec<(Attr, Cow<'a, str>)> = Vec::with_capacity(8);
    while i < n {
        let lt = match memchr(b'<', &bytes[i..]) {
            Some(p) => i + p,
            None => n,
        };
        if lt > i {
            decode_into(b, i, lt);
        }
        if lt >= n {
            break;
        }
        i = lt;
        let next = bytes.get(i + 1).copied().unwrap_or(0);
        if next == b'!' {
            if bytes[i..].starts_with(b"<!--") {
                // Comment: ends at the first "-->" (also "<!-->" and "<!--->").
                let body = i + 4;
                let mut j = body;
                i = loop {
                    match memchr(b'>', &bytes[j.min(n)..]) {
                        None => break n,
                        Some(p) => {
                            let gt = j + p;
                            if gt == body
                                || (gt == body + 1 && bytes[body] == b'-')
                                || (gt >= body + 2 && &bytes[gt - 2..gt] == b"--")
                            {
                                break gt + 1;
                            }
                            j = gt + 1;
                        }
                    }
                };
            } else {
                // Doctype, CDATA and bogus comments carry no text for us.
                i = skip_past_gt(bytes, i + 2);
            }
            continue;
        }
        if next == b'?' {
            i = skip_past_gt(bytes, i + 2);
            continue;
        }
        let is_end = next == b'/';
        let name_start = if is_end { i + 2 } else { i + 1 };
        if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            if is_end && bytes.get(name_start) == Some(&b'>') {
                i = name_start + 1; // "</>" is ignored
            } else if is_end {
                i = skip_past_gt(bytes, name_start); // bogus comment
            } else {
                b.text_span(i, i + 1);
                i += 1;
            }
            continue;
        }
        let mut j = name_start;
        while j < n && !is_ws(bytes[j]) && bytes[j] != b'/' && bytes[j] != b'>' {
            j += 1;
        }
        name_buf.clear();
        name_buf.extend(bytes[name_start..j].iter().map(u8::to_ascii_lowercase));
        let tag = Tag::from_lower(&name_buf);
        if is_end {
            i = skip_past_gt(bytes, j);
            b.end_tag(tag, &name_buf);
            continue;
        }
        // Attributes.
        let mut present = 0u16;
        loop {
            while j < n && (is_ws(bytes[j]) || bytes[j] == b'/') {
                j += 1;
            }
            if j >= n || bytes[j] == b'>' {
                j += 1;
                break;
            }
            let an_start = j;
            j += 1; // a leading '=' belongs to the name
            while j < n && !is_ws(bytes[j]) && !matches!(bytes[j], b'/' | b'>' | b'=') {
                j += 1;
            }
            let an_end = j;
            while j < n && is_ws(bytes[j]) {
                j += 1;
            }
            let mut value: &'a str = "";
            if j < n && bytes[j] == b'=' {
                j += 1;
                while j < n && is_ws(bytes[j]) {
                    j += 1;
                }
                if j < n && (bytes[j] == b'"' || bytes[j] == b'\'') {
                    let q = bytes[j];
                    let end = memchr(q, &bytes[j + 1..]).map_or(n, |p| j + 1 + p);
                    value = &html[j + 1..end];
                    j = (end + 1).min(n);
                } else {
                    let vs = j;
                    while j < n && !is_ws(bytes[j]) && bytes[j] != b'>' {
                        j += 1;
                    }
                    value = &html[vs..j];
                }
            }
            // Kept names are at most 11 bytes: lower-case into a stack buffer, not a new Vec
            // per attribute (a page has tens of thousands).
            let raw_name = &bytes[an_start..an_end];
            let mut lname = [0u8; 16];
            let kept = (raw_name.len() <= lname.len())
                .then(|| {
                    let l = &mut lname[..raw_name.len()];
                    l.copy_from_slice(raw_name);
                    l.make_ascii_lowercase();
                    Attr::from_lower(l)
                })
                .flatten();
            if let Some(k) = kept
                && present & k.bit() == 0
            {
                present |= k.bit();
                let v = truncate_str(value, MAX_ATTR_VALUE);
                let v = if memchr(b'&', v.as_bytes()).is_some() {
                    html_escape::decode_html_entities(v)
                } else {
                    Cow::Borrowed(v)
                };
                attrs.push((k, v));
            }
        }
        i = j.min(n);
        b.start_tag(tag, &mut attrs);
        if tag == Tag::Plaintext {
            b.text_span(i, n);
            break;
        }
        // Inside <svg>/<math> (foreign content) <title> and <style> are ordinary elements.
        let foreign = matches!(tag, Tag::Title | Tag::Style | Tag::Textarea)
            && (b.is_open(Tag::Svg) || b.is_open(Tag::Math));
        if let Some(decode) = tag.raw_text().filter(|_| !foreign) {
            let end = find_end_tag(bytes, i, &name_buf).unwrap_or(n);
            if decode {
                decode_into(b, i, end);
            } else {
                b.text_span(i, end);
            }
            i = end;
            if end < n {
                i = skip_past_gt(bytes, end);
                b.end_tag(tag, &name_buf);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(dom: &Dom, id: NodeId, out: &mut String) {
        match &dom.nodes[id as usize].data {
            NodeData::Text(t) => out.push_str(t.as_str()),
            NodeData::Element(e) => {
                out.push_str(&format!("<{:?}>", e.tag).to_lowercase());
                for c in dom.children(id) {
                    shape(dom, c, out);
                }
                out.push_str(&format!("</{:?}>", e.tag).to_lowercase());
            }
            NodeData::Document => {
                for c in dom.children(id) {
                    shape(dom, c, out);
                }
            }
        }
    }

    fn s(html: &str) -> String {
        let mut out = String::new();
        shape(&Dom::parse(html), 0, &mut out);
        out
    }

    #[test]
    fn implied_end_tags_follow_html5() {
        assert_eq!(s("<p>a<p>b<div>c</div>"), "<p>a</p><p>b</p><div>c</div>");
        assert_eq!(s("<ul><li>a<li>b</ul>x"), "<ul><li>a</li><li>b</li></ul>x");
        assert_eq!(
            s("<table><tr><td>1<td>2<tr><td>3</table>"),
            "<table><tr><td>1</td><td>2</td></tr><tr><td>3</td></tr></table>"
        );
        // </span> does not close past the special <div>.
        assert_eq!(
            s("<span><div>a</span>b</div>"),
            "<span><div>ab</div></span>"
        );
    }

    #[test]
    fn raw_text_comments_and_references() {
        assert_eq!(
            s("<script>if (a<b) x='</div>'</script><p>A&amp;B &eacute;<!-- c > d -->!"),
            "<script>if (a<b) x='</div>'</script><p>A&B é!</p>"
        );
        assert_eq!(s("<title>a &lt; b</title>"), "<title>a < b</title>");
        assert_eq!(s("x < y"), "x < y");
        // Runs split by comments, stray `<`s and references are one text node.
        let dom = Dom::parse("<p>a<!-- c -->b < c&amp;d</p>");
        assert_eq!(dom.nodes.len(), 3);
        assert!(matches!(&dom.nodes[2].data, NodeData::Text(t) if t.as_str() == "ab < c&d"));
    }

    #[test]
    fn attributes_are_kept_and_truncated() {
        let big = "x".repeat(100_000);
        let html = format!("<div class='a b' id=main data-x=\"{big}\" style=\"{big}\">t</div>");
        let dom = Dom::parse(&html);
        let e = dom.element(1).unwrap();
        assert_eq!(e.attr("class"), Some("a b"));
        assert_eq!(e.attr("id"), Some("main"));
        assert_eq!(e.attr("style").map(str::len), Some(MAX_ATTR_VALUE));
        assert_eq!(e.attr("data-x"), None);
        // First occurrence wins; names any case; references decoded; one, two (inline) and more
        // (heap) attributes, or a decoded value, all read back alike.
        let dom = Dom::parse(
            "<a HREF='/x?a=1&amp;b=2' class=c Class=d><b id=i></b><i id=j class=k rel=l></i></a>",
        );
        let a = dom.element(1).unwrap();
        assert_eq!(a.attr("href"), Some("/x?a=1&b=2"));
        assert_eq!(a.attr("class"), Some("c"));
        assert_eq!(a.attr("id"), None);
        assert_eq!(dom.element(2).unwrap().attr("id"), Some("i"));
        let i = dom.element(3).unwrap();
        assert_eq!(
            ["id", "class", "rel", "role"].map(|k| i.attr(k)),
            [Some("j"), Some("k"), Some("l"), None]
        );
    }

    #[test]
    fn nesting_is_capped() {
        let html = "<div>".repeat(20_000);
        let dom = Dom::parse(&html);
        let mut depth = 0;
        let mut id = dom.nodes.len() - 1;
        loop {
            let p = dom.nodes[id].parent;
            if p == NONE {
                break;
            }
            depth += 1;
            id = p as usize;
        }
        assert!(depth <= MAX_DEPTH);
        assert_eq!(dom.nodes.len(), 20_001);
    }
}
