//! Boilerplate pruning over a parsed [`Dom`]: which subtrees can never hold main text, and the
//! per-node text measurements (visible characters, link text, links, commas) that scoring,
//! serialising and page typing share.
//!
//! Both run as linear passes over the arena (parents precede children): a forward pass
//! propagates "removed" down, a backward pass sums text up, no recursion.
//! - tag hints: `nav`, `aside`, `footer`, forms controls, media and scripts never hold main text;
//! - class/id/role hints: names such as `comment`, `sidebar`, `share`, `cookie`, `related`,
//!   `advert`, `breadcrumb` mark boilerplate unless the same names also say `content`/`article`/
//!   `main` (the Readability "unlikely candidate / maybe candidate" rule, Mozilla Readability.js);
//! - hidden markup (`hidden`, `aria-hidden`, `display:none`) unless it is a tab panel or a
//!   streamed segment whose text the page shows later.

use super::dom::{Dom, NONE, NodeData, NodeId, UNCOUNTED};
use super::hints::bit;
use super::rescue;
use super::tag::{Attr, Tag};
use super::text::contains_ignore_ascii_case;

/// Per-node measurements the scorer and serialiser share.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Node (and so its subtree) is excluded from output.
    pub removed: Vec<bool>,
    /// Non-whitespace characters of visible text in the subtree.
    pub text_len: Vec<u32>,
    /// Of which inside `<a>` elements.
    pub link_len: Vec<u32>,
    /// Number of `<a>` elements in the subtree.
    pub links: Vec<u32>,
    /// Commas (Latin, CJK and Arabic) in the subtree's text.
    pub commas: Vec<u32>,
}

impl Analysis {
    /// Share of the subtree's text inside links, 0 for empty subtrees.
    pub fn link_density(&self, id: NodeId) -> f32 {
        let t = self.text_len[id as usize];
        if t == 0 {
            0.0
        } else {
            self.link_len[id as usize] as f32 / t as f32
        }
    }
}

/// Elements whose whole subtree is never main text.
fn tag_is_boilerplate(tag: Tag, include_tables: bool) -> bool {
    use Tag::*;
    match tag {
        Script | Style | Noscript | Template | Svg | Math | Iframe | Object | Embed | Canvas
        | Button | Select | Input | Textarea | Head | Title | Dialog | Audio | Video | Map
        | Option | Meta | Link | Base | Nav | Footer | Figure | Figcaption | Picture => true,
        // Ruby annotations (`<ruby>子<rt>こ</rt></ruby>`): the reading of each character,
        // printed above it in small type, which broke every sentence of a Japanese news page
        // for learners into character-reading pairs (extraction-dev: 3 snippets of NHK News
        // Web Easy, all lost before).
        Rt | Rp => true,
        Table => !include_tables,
        _ => false,
    }
}

/// Sectioning elements that hold navigation and asides by convention; treated like a class hint
/// (removed unless the subtree holds most of the page, as some sites put the article in an
/// `<aside>`).
fn tag_is_hint(tag: Tag) -> bool {
    matches!(tag, Tag::Aside | Tag::Menu)
}

/// A list item's link to the page in another language (`<li><a hreflang="ast">Asturianu</a>`):
/// Wikipedia's interlanguage list, a multilingual site's language menu. They name languages,
/// not content, and sit inside the content region on many skins (Vector 2022 puts Wikipedia's
/// beside the title, within `<main>`); left in, a stub's text is mostly language names and
/// language ID misreads it (an.wikipedia.org's "Escopete", Aragonese, read as Spanish with 30
/// language names before its prose). Inline links with `hreflang` in running text stay.
fn is_language_switch_link(dom: &Dom, id: NodeId, e: &super::dom::Element) -> bool {
    e.tag == Tag::A
        && e.get(Attr::Hreflang).is_some()
        && dom.tag(dom.nodes[id as usize].parent) == Tag::Li
}

/// Elements whose ARIA role says they are navigation, banners, menus or dialogs.
fn has_boilerplate_role(dom: &Dom, id: NodeId) -> bool {
    matches!(
        dom.element(id).and_then(|e| e.get(Attr::Role)),
        Some(
            "navigation"
                | "banner"
                | "contentinfo"
                | "complementary"
                | "menu"
                | "menubar"
                | "dialog"
                | "alertdialog"
                | "search"
        )
    )
}

/// Whether the element is hidden from sighted readers: the `hidden` attribute, or a
/// screen-reader-only or utility "hidden" class ("List with 24 entries", "Share on Facebook").
/// Exact class tokens only: `hidden-xs` and `field--label-hidden` are shown on other screens or
/// mark a hidden label, not content. Like a hiding style, a hint and not a verdict (see
/// [`hidden_by_style`]): React streams its server-rendered page into `<div hidden id="S:0">`
/// and moves it into place by script, and some sites wrap the whole page in `class="hide"`
/// until their script runs.
pub(crate) fn hidden_by_markup(dom: &Dom, id: NodeId) -> bool {
    dom.hint_flags()[id as usize] & bit::SCREEN_READER_ONLY != 0
        || dom
            .element(id)
            .is_some_and(|e| e.get(Attr::Hidden).is_some() && !is_streamed_segment(e))
}

/// Whether the element is a segment of a page React streams from the server
/// (`<div hidden id="S:1f">`): the server sends the parts of the page that were slow to render
/// after the rest, hidden, and a script moves each into its place (`$RC("B:1f", "S:1f")`) as soon
/// as it arrives, so readers see them; on such pages they hold the article itself (WCXB dev,
/// tuning part: article 0.9522 -> 0.9538, service 0.8332 -> 0.8415, others unchanged).
fn is_streamed_segment(e: &super::dom::Element) -> bool {
    e.get(Attr::Id).is_some_and(|v| {
        v.strip_prefix("S:")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_hexdigit()))
    })
}

/// Whether an inline style hides the element. Treated as a hint, not a verdict: script-rendered
/// sites hide the whole page until their script runs (`<div style="visibility:hidden">` around
/// everything, Next.js), so a hidden subtree holding most of the page's text stays.
pub(crate) fn hidden_by_style(dom: &Dom, id: NodeId) -> bool {
    let Some(style) = dom.element(id).and_then(|e| e.get(Attr::Style)) else {
        return false;
    };
    if style.is_ascii() {
        // The same test bytewise, around each colon: the blank-free, lower-cased text holds
        // `display:none` or `visibility:hidden` where a colon has the property name before it
        // and the value after it, blanks skipped. Streaming every byte of every style through
        // a window instead was ~2% of extraction instructions (callgrind, WCXB dev), and
        // lower-casing char by char before that ~2% of extraction time (perf).
        let b = style.as_bytes();
        return memchr::memchr_iter(b':', b).any(|colon| {
            (blank_free_before(b, colon, b"display") && blank_free_after(b, colon, b"none"))
                || (blank_free_before(b, colon, b"visibility")
                    && blank_free_after(b, colon, b"hidden"))
        });
    }
    let s: String = style
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    s.contains("display:none") || s.contains("visibility:hidden")
}

/// The ASCII blanks a style's words are read through ([`char::is_whitespace`]'s).
fn is_style_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t'..=b'\r')
}

/// Whether the non-blank bytes just before `b[at]`, ASCII case ignored, spell `word`.
fn blank_free_before(b: &[u8], at: usize, word: &[u8]) -> bool {
    let mut rest = b[..at].iter().rev().filter(|&&c| !is_style_blank(c));
    word.iter()
        .rev()
        .all(|w| rest.next().is_some_and(|c| c.to_ascii_lowercase() == *w))
}

/// Whether the non-blank bytes just after `b[at]`, ASCII case ignored, spell `word`.
fn blank_free_after(b: &[u8], at: usize, word: &[u8]) -> bool {
    let mut rest = b[at + 1..].iter().filter(|&&c| !is_style_blank(c));
    word.iter()
        .all(|w| rest.next().is_some_and(|c| c.to_ascii_lowercase() == *w))
}

/// Whether the element is one panel of a tab set (`role="tabpanel"`): the panels a script hides
/// until their tab is clicked hold the same kind of content as the one shown (the other
/// languages of a code sample, a product's specifications beside its description), and readers
/// mark them all as main content (WCXB dev, tuning part: documentation and service pages).
fn is_tab_panel(e: &super::dom::Element) -> bool {
    e.get(Attr::Role) == Some("tabpanel")
}

/// Highest link density of a hidden panel after a button that the service path keeps (see
/// [`super::disclosure::is_collapsed_panel`]): an accordion's answer is prose, a menu's panel
/// links. The 0.3 this file's "holds the page" test uses; not tuned.
const BUTTON_PANEL_MAX_LINK_DENSITY: f32 = 0.3;

/// Options of the pruning pass.
#[derive(Debug, Clone, Copy)]
pub struct PruneOptions {
    /// Remove shop widgets (carousels, reviews, recently viewed): product pages.
    pub shop_hints: bool,
    /// Apply class/id hints (the second attempt turns them off when the first finds too little).
    pub class_hints: bool,
    /// Keep comment sections.
    pub include_comments: bool,
    /// Keep tables.
    pub include_tables: bool,
    /// Keep blocks named `author`/`username` (forum threads: who wrote each post).
    pub keep_authors: bool,
    /// Keep FAQ accordions and tab panels, hidden or not, and their toggle buttons: service
    /// pages (see [`super::disclosure`]).
    pub keep_disclosures: bool,
    /// The page is read as a service page: a `banner` is one of its sections even without a
    /// heading (see [`super::sections::spares_section`]). Only with `keep_disclosures`.
    pub service_page: bool,
}

/// Marks boilerplate and measures text, links and commas for every node.
///
/// Class/id hints are applied after a first measurement so that a hint never removes a subtree
/// that holds most of the page's prose: layout wrappers named `sidebar-wrapper` or
/// `has-sidebar` around the article are common, and dropping them loses the whole page.
/// Prose blocks repeated inside one container that hints took in numbers (a buying guide's
/// `product-widget` entries) are then put back: see [`rescue::restore_prose_blocks`].
pub fn analyse(dom: &Dom, opts: PruneOptions) -> Analysis {
    let n = dom.nodes.len();
    let a = dom.tag_pass((opts.include_tables, opts.keep_disclosures), || {
        tag_pass(dom, opts)
    });
    let flags = dom.hint_flags();
    let total = a.text_len[0].max(1) as f32;
    let mut removed = a.removed.clone();
    // Threads: subtrees holding a post like the thread's others stay (see
    // [`super::forum::holds_a_post`]).
    let posts = if opts.keep_authors && opts.class_hints {
        let mut hinted = vec![false; n];
        for id in 1..n {
            let p = dom.nodes[id].parent;
            hinted[id] = (p != NONE && hinted[p as usize])
                || dom.element(id as NodeId).is_some_and(|e| {
                    !matches!(e.tag, Tag::Body | Tag::Html | Tag::Article | Tag::Main)
                        && (tag_is_hint(e.tag) || class_hints_remove(flags[id], opts))
                });
        }
        super::forum::holds_a_post(dom, &hinted, &a.text_len)
    } else {
        Vec::new()
    };
    let mut changed = false;
    // Product pages: elements inside a panel of product details kept (see below), whose parts
    // carry the panel's names (`pipf-product-details-modal__paragraph`).
    let mut in_detail_panel = if opts.shop_hints {
        vec![false; n]
    } else {
        Vec::new()
    };
    // The page's `<h1>`s, found when a comment section holding most of the page is met.
    let mut titles: Option<Vec<NodeId>> = None;
    for id in 1..n {
        let parent = dom.nodes[id].parent;
        if removed[id] {
            continue;
        }
        if parent != NONE && removed[parent as usize] {
            removed[id] = true;
            continue;
        }
        let NodeData::Element(e) = &dom.nodes[id].data else {
            continue;
        };
        let inside_detail_panel = parent != NONE
            && in_detail_panel
                .get(parent as usize)
                .copied()
                .unwrap_or(false);
        if inside_detail_panel {
            in_detail_panel[id] = true;
        }
        let style_hidden = (hidden_by_markup(dom, id as NodeId)
            || hidden_by_style(dom, id as NodeId))
            && !is_tab_panel(e)
            && !super::disclosure::is_collapsed_panel(
                dom,
                id as NodeId,
                opts.keep_disclosures,
                || a.link_density(id as NodeId) < BUTTON_PANEL_MAX_LINK_DENSITY,
            );
        if matches!(e.tag, Tag::Body | Tag::Html | Tag::Article | Tag::Main)
            && !style_hidden
            && !(opts.class_hints && is_teaser_card(e))
        {
            continue;
        }
        if opts.keep_disclosures && super::disclosure::is_disclosure(dom, id as NodeId) {
            continue;
        }
        if !tag_is_hint(e.tag) && !style_hidden {
            // Without class hints, shop widgets still go on product pages (see
            // `PruneOptions::shop_hints`).
            let shop_widget = opts.shop_hints && flags[id] & bit::SHOP != 0;
            if !opts.class_hints && !shop_widget {
                continue;
            }
            // Landing pages: a hero `banner`, a tab set's `tabs-menu` are sections of the
            // page (see [`super::sections`]).
            // Threads: a poster's standing (reputation, badges, join date, post count) and the
            // thread's "Thread starter" header line go too (see
            // [`super::forum::names_thread_furniture`]).
            let poster_stats = opts.keep_authors && super::forum::names_thread_furniture(e);
            if (!class_hints_remove(flags[id], opts) && !poster_stats && !is_teaser_card(e))
                || posts.get(id).copied().unwrap_or(false)
                || (opts.keep_disclosures
                    && super::sections::spares_section(dom, id as NodeId, e, opts.service_page))
            {
                continue;
            }
            if inside_code(dom, id as NodeId) {
                continue;
            }
        }
        // A style-hidden wrapper around the whole page carries the page's menus too, so its
        // link density says nothing.
        // Tested last: it is the only test that reads beyond the element.
        let holds_the_page = a.text_len[id] as f32 >= 0.5 * total
            && (style_hidden || a.link_density(id as NodeId) < 0.3)
            && (style_hidden
                || tag_is_hint(e.tag)
                || !is_comment_section_only(flags[id], opts)
                || !title_outside(dom, id as NodeId, &mut titles));
        // Product pages: a collapsed panel or modal whose toggle says it holds the product's
        // details stays (see [`super::disclosure::is_product_detail_panel`]).
        let product_details = opts.shop_hints
            && flags[id] & bit::SHOP == 0
            && !tag_is_hint(e.tag)
            && !holds_the_page
            && (inside_detail_panel
                || super::disclosure::is_product_detail_panel(dom, id as NodeId));
        if product_details {
            in_detail_panel[id] = true;
        }
        if !holds_the_page && !product_details {
            removed[id] = true;
            changed = true;
        }
    }
    if changed {
        let kept = measure(dom, removed);
        rescue::restore_prose_blocks(dom, &a, kept, opts.shop_hints)
    } else {
        std::rc::Rc::unwrap_or_clone(a)
    }
}

/// Whether an element sits inside `<pre>` or `<code>`: there class names are a syntax
/// highlighter's token kinds (highlight.js `hljs-comment`, Prism `token comment`), never a
/// block's role, and the comment hint took every comment line out of code samples (WCXB dev,
/// tuning part: a git cheat sheet lost all of its `# view the state of the repo` lines).
/// Only asked of elements a hint would remove, so the walk up is rare.
fn inside_code(dom: &Dom, id: NodeId) -> bool {
    dom.ancestors(id)
        .skip(1)
        .any(|n| matches!(dom.tag(n), Tag::Pre | Tag::Code))
}

/// The tag-level pruning pass of [`analyse`] (tags, roles, forms; no class hints, nothing
/// hidden removed), shared with it through the page's cache.
pub(crate) fn tag_level(dom: &Dom, opts: PruneOptions) -> std::rc::Rc<Analysis> {
    dom.tag_pass((opts.include_tables, opts.keep_disclosures), || {
        tag_pass(dom, opts)
    })
}

/// The tag level of [`analyse`]: elements that never hold main text by their tag or role,
/// measured. Shared by every pass of a page with the same tables and disclosure options
/// ([`Dom::tag_pass`]).
fn tag_pass(dom: &Dom, opts: PruneOptions) -> Analysis {
    let n = dom.nodes.len();
    // Figures that hold code, a table or a quote: documentation sites wrap code blocks in
    // `<figure>` (Astro/Starlight "expressive code", many static-site themes), site builders
    // their testimonials and pull quotes (Squarespace quote blocks), and those are content.
    let mut holds_code = vec![false; n];
    for id in (1..n).rev() {
        if matches!(
            dom.tag(id as NodeId),
            Tag::Pre | Tag::Table | Tag::Blockquote
        ) {
            holds_code[id] = true;
        }
        let parent = dom.nodes[id].parent;
        if holds_code[id] && parent != NONE {
            holds_code[parent as usize] = true;
        }
    }
    let mut removed = vec![false; n];
    // Nodes inside a `<form>`: the labels of its fields ("Your name", "Your comment") are
    // never content; labels elsewhere are (recipe ingredient checkboxes, product options).
    let mut in_form = vec![false; n];
    let mut heading_toggles = Vec::new();
    for id in 1..n {
        let parent = dom.nodes[id].parent;
        if parent != NONE && removed[parent as usize] {
            removed[id] = true;
            continue;
        }
        let NodeData::Element(e) = &dom.nodes[id].data else {
            continue;
        };
        let parent_in_form = parent != NONE && in_form[parent as usize];
        in_form[id] = parent_in_form || e.tag == Tag::Form;
        let code_figure = matches!(e.tag, Tag::Figure | Tag::Figcaption) && holds_code[id];
        let mut disclosure_toggle = opts.keep_disclosures
            && e.tag == Tag::Button
            && super::disclosure::is_disclosure(dom, id as NodeId);
        if opts.keep_disclosures
            && !disclosure_toggle
            && super::disclosure::is_heading_toggle(dom, id as NodeId)
        {
            disclosure_toggle = true;
            heading_toggles.push(id as NodeId);
        }
        if (tag_is_boilerplate(e.tag, opts.include_tables) && !code_figure && !disclosure_toggle)
            || (e.tag == Tag::Label && parent_in_form)
            || has_boilerplate_role(dom, id as NodeId)
            || is_language_switch_link(dom, id as NodeId, e)
        {
            removed[id] = true;
        }
    }
    let a = measure(dom, removed);
    // A heading toggle whose panel holds nothing once menus are gone (an "Inhalt" toggle over
    // a page's table of contents, extraction-dev) goes like any button: its heading titles
    // nothing. Measured again only on the pages that have one.
    let empty: Vec<NodeId> = heading_toggles
        .into_iter()
        .filter(|&t| {
            super::disclosure::heading_toggle_panel(dom, t)
                .is_none_or(|p| a.removed[p as usize] || a.text_len[p as usize] == 0)
        })
        .collect();
    if empty.is_empty() {
        return a;
    }
    let mut removed = a.removed;
    for t in empty {
        // The whole subtree, as the loop above marks it: the serialiser and later passes read
        // any node's flag.
        let mut node = t;
        loop {
            removed[node as usize] = true;
            let n = &dom.nodes[node as usize];
            if n.first_child != NONE {
                node = n.first_child;
                continue;
            }
            while node != t && dom.nodes[node as usize].next_sibling == NONE {
                node = dom.nodes[node as usize].parent;
            }
            if node == t {
                break;
            }
            node = dom.nodes[node as usize].next_sibling;
        }
    }
    measure(dom, removed)
}

/// Whether an element's class/id hint bits `f` remove it under `opts` (class hints on): a shop
/// widget on shop pages; otherwise an unlikely name (a comment section's too, unless comments
/// are kept) that no likely-content name tempers, bylines spared on threads. Shared by the
/// pruning pass and the thread check that asks what that pass would remove.
fn class_hints_remove(f: u8, opts: PruneOptions) -> bool {
    if opts.shop_hints && f & bit::SHOP != 0 {
        return true;
    }
    if f == 0 || (opts.keep_authors && f & bit::AUTHOR != 0) {
        return false;
    }
    let unlikely = f & bit::UNLIKELY != 0 || (!opts.include_comments && f & bit::COMMENT != 0);
    unlikely && f & bit::MAYBE == 0
}

/// Whether `e` is an `<article>` named as a teaser: the card of another story (a related
/// article, the next post) inside or beside the one read. Only `<article>` elements: a `teaser`
/// class on a paragraph or div is as often the story's own lead (naming every `teaser` unlikely
/// lost extraction-dev snippet F1 0.9351 -> 0.9337).
fn is_teaser_card(e: &super::dom::Element) -> bool {
    e.tag == Tag::Article
        && e.get(Attr::Class)
            .is_some_and(|c| contains_ignore_ascii_case(c, "teaser"))
}

/// Whether hint bits `f` name a comment section and nothing else the pruning pass removes
/// (no unlikely or likely-content name), with comments not kept.
fn is_comment_section_only(f: u8, opts: PruneOptions) -> bool {
    !opts.include_comments
        && !opts.keep_authors
        && f & (bit::COMMENT | bit::UNLIKELY | bit::MAYBE) == bit::COMMENT
}

/// Whether the page has `<h1>` title headings inside `<article>` elements, all outside `id`
/// (`titles` caches them). A comment section that holds most of a page's text is still removed
/// when the story's title lies outside it: the readers' comments under a short column outweigh
/// the column (extraction-dev, tuning split: a news site's 19,000 characters of comments under
/// a 3,800-character story). A wrapper named for comments around the whole article holds the
/// title and stays, and so does a thread whose title heads no `<article>` (a forum whose posts
/// are its `comment` blocks, WCXB dev 0550 when read as a list).
fn title_outside(dom: &Dom, id: NodeId, titles: &mut Option<Vec<NodeId>>) -> bool {
    let titles = titles.get_or_insert_with(|| {
        (0..dom.nodes.len() as NodeId)
            .filter(|&i| dom.tag(i) == Tag::H1 && in_article(dom, i))
            .collect()
    });
    !titles.is_empty()
        && titles
            .iter()
            .all(|&h| !super::score::is_ancestor(dom, id, h))
}

/// Whether `id` lies inside an `<article>` element.
fn in_article(dom: &Dom, id: NodeId) -> bool {
    dom.ancestors(id).any(|n| dom.tag(n) == Tag::Article)
}

/// Sums visible text, link text, links and commas bottom-up, skipping removed nodes.
pub(crate) fn measure(dom: &Dom, removed: Vec<bool>) -> Analysis {
    let n = dom.nodes.len();
    let mut text_len = vec![0u32; n];
    let mut link_len = vec![0u32; n];
    let mut links = vec![0u32; n];
    let mut commas = vec![0u32; n];
    let mut stats = dom.text_stats();
    for id in (1..n).rev() {
        if removed[id] {
            continue;
        }
        match &dom.nodes[id].data {
            NodeData::Text(t) => {
                let counted = &mut stats[id];
                if *counted == UNCOUNTED {
                    *counted = t.visible_chars_and_commas();
                }
                let (len, c) = *counted;
                text_len[id] = len;
                commas[id] = c;
            }
            NodeData::Element(e) if e.tag == Tag::A => {
                link_len[id] = text_len[id];
                links[id] += 1;
            }
            _ => {}
        }
        let p = dom.nodes[id].parent;
        if p != NONE {
            let p = p as usize;
            text_len[p] = text_len[p].saturating_add(text_len[id]);
            link_len[p] = link_len[p].saturating_add(link_len[id]);
            links[p] = links[p].saturating_add(links[id]);
            commas[p] = commas[p].saturating_add(commas[id]);
        }
    }
    Analysis {
        removed,
        text_len,
        link_len,
        links,
        commas,
    }
}

#[cfg(test)]
mod tests;
