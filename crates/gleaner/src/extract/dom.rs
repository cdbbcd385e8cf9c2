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

use super::tag::{Attr, Tag};

mod tokenizer;
mod tree_builder;

use tokenizer::tokenize;
use tree_builder::Builder;

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
        self.get(Attr::from_lower(name.as_bytes())?)
    }

    /// The value of attribute `a`, if present: [`Element::attr`] without looking the name up,
    /// which the extractor's own reads skip (the name match, made for every attribute read,
    /// was ~3% of extraction instructions in callgrind on WCXB dev).
    #[inline]
    pub fn get(&self, a: Attr) -> Option<&str> {
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
    /// The tag-level pruning passes made so far ([`super::prune::analyse`]), by options.
    tag_passes: std::cell::RefCell<Vec<(TagPassKey, std::rc::Rc<super::prune::Analysis>)>>,
}

/// The options a tag-level pruning pass depends on: include tables, keep disclosure toggles.
pub(crate) type TagPassKey = (bool, bool);

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

    /// Whether each node's class or id names a disclosure widget
    /// ([`super::disclosure::is_disclosure`]), computed with the hint bits.
    pub fn disclosures(&self) -> &[bool] {
        &self.hint_tables().disclosures
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

    /// The tag-level pruning pass for `key`, made by `make` on first use: a page is pruned two
    /// to six times (hints on and off, shop hints, comments, author boxes), and the tag level,
    /// which none of those options change, was about half the cost of each (perf, WCXB dev).
    pub(crate) fn tag_pass(
        &self,
        key: TagPassKey,
        make: impl FnOnce() -> super::prune::Analysis,
    ) -> std::rc::Rc<super::prune::Analysis> {
        if let Some((_, a)) = self.tag_passes.borrow().iter().find(|(k, _)| *k == key) {
            return a.clone();
        }
        let a = std::rc::Rc::new(make());
        self.tag_passes.borrow_mut().push((key, a.clone()));
        a
    }

    /// Tag of `id` ([`Tag::Other`] for non-elements).
    pub fn tag(&self, id: NodeId) -> Tag {
        self.element(id).map_or(Tag::Other, |e| e.tag)
    }

    /// `id` and its ancestors up to the root, nearest first: the one walk up the tree the
    /// extractor's "is it inside …" tests share.
    pub fn ancestors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        std::iter::successors((id != NONE).then_some(id), |&n| {
            let p = self.nodes[n as usize].parent;
            (p != NONE).then_some(p)
        })
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
            tag_passes: std::cell::RefCell::new(Vec::new()),
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
