//! Boilerplate pruning and main-content scoring over a parsed [`Dom`].
//!
//! Signals, all computed in two linear passes over the arena (parents precede children, so a
//! forward pass propagates "removed" down and a backward pass sums text up — no recursion):
//! - tag hints: `nav`, `aside`, `footer`, forms controls, media and scripts never hold main text;
//! - class/id/role hints: names such as `comment`, `sidebar`, `share`, `cookie`, `related`,
//!   `advert`, `breadcrumb` mark boilerplate unless the same names also say `content`/`article`/
//!   `main` (the Readability "unlikely candidate / maybe candidate" rule, Mozilla Readability.js);
//! - text length, comma count and link density of paragraph-like blocks, whose scores flow to
//!   their ancestors (parent in full, grandparent half, higher levels a third per level, as in
//!   Readability); the best-scoring container, discounted by its link density, is the article,
//!   joined by siblings that score at least a fifth of it or read like prose.

use super::dom::{Dom, NONE, NodeData, NodeId, UNCOUNTED};
use super::hints::bit;
use super::rescue;
use super::tag::Tag;

/// Widening to an ancestor needs its link density at most this and its prose at least this
/// many times the candidate's. Tuned on the tuning split of extraction-dev (not the held-out
/// fifth): link density 0.1–0.3 and growth 1.3–2.0 all gain recall over no widening; 0.15/1.5
/// gave the best F1 once wrappers without prose are walked through (0.3/1.3 before).
const WIDEN_MAX_LINK_DENSITY: f32 = 0.15;
const WIDEN_MIN_GROWTH: f32 = 1.5;
/// Widening walks through wrappers up to this link density (see [`select`]).
const WIDEN_WALK_MAX_LINK_DENSITY: f32 = 0.3;
/// Prose growth an ancestor past a wrapper denser than [`WIDEN_MAX_LINK_DENSITY`] must bring.
const WIDEN_PAST_DENSE_MIN_GROWTH: f32 = 3.0;

/// Widening to the enclosing `<main>` needs its link density at most this (tuning part of WCXB
/// dev: MDN reference pages sit at 0.26; a `<main>` holding the whole layout with its menus is
/// far above). Only on documentation and service pages: on articles `<main>` also holds the
/// teasers and comments around the story (tuning part: documentation 0.9271 -> 0.9333, service
/// 0.8293 -> 0.8344, article 0.9518 -> 0.9475 when applied to all pages).
const MAIN_MAX_LINK_DENSITY: f32 = 0.3;

/// Per-node measurements the scorer and serialiser share.
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

/// Elements whose ARIA role says they are navigation, banners, menus or dialogs.
fn has_boilerplate_role(dom: &Dom, id: NodeId) -> bool {
    matches!(
        dom.element(id).and_then(|e| e.attr("role")),
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
            .is_some_and(|e| e.attr("hidden").is_some() && !is_streamed_segment(e))
}

/// Whether the element is a segment of a page React streams from the server
/// (`<div hidden id="S:1f">`): the server sends the parts of the page that were slow to render
/// after the rest, hidden, and a script moves each into its place (`$RC("B:1f", "S:1f")`) as soon
/// as it arrives, so readers see them; on such pages they hold the article itself (WCXB dev,
/// tuning part: article 0.9522 -> 0.9538, service 0.8332 -> 0.8415, others unchanged).
fn is_streamed_segment(e: &super::dom::Element) -> bool {
    e.attr("id").is_some_and(|v| {
        v.strip_prefix("S:")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_hexdigit()))
    })
}

/// Whether an inline style hides the element. Treated as a hint, not a verdict: script-rendered
/// sites hide the whole page until their script runs (`<div style="visibility:hidden">` around
/// everything, Next.js), so a hidden subtree holding most of the page's text stays.
pub(crate) fn hidden_by_style(dom: &Dom, id: NodeId) -> bool {
    let Some(style) = dom.element(id).and_then(|e| e.attr("style")) else {
        return false;
    };
    if style.is_ascii() {
        // The same test bytewise: lower-casing char by char was ~2% of extraction time (perf).
        let s: Vec<u8> = style
            .bytes()
            .filter(|&c| !matches!(c, b' ' | b'\t'..=b'\r'))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let has = |word: &[u8]| s.windows(word.len()).any(|w| w == word);
        return has(b"display:none") || has(b"visibility:hidden");
    }
    let s: String = style
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    s.contains("display:none") || s.contains("visibility:hidden")
}

/// Whether the element is one panel of a tab set (`role="tabpanel"`): the panels a script hides
/// until their tab is clicked hold the same kind of content as the one shown (the other
/// languages of a code sample, a product's specifications beside its description), and readers
/// mark them all as main content (WCXB dev, tuning part: documentation and service pages).
fn is_tab_panel(e: &super::dom::Element) -> bool {
    e.attr("role") == Some("tabpanel")
}

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
        let disclosure_toggle =
            opts.keep_disclosures && e.tag == Tag::Button && super::disclosure::is_disclosure(e);
        if (tag_is_boilerplate(e.tag, opts.include_tables) && !code_figure && !disclosure_toggle)
            || (e.tag == Tag::Label && parent_in_form)
            || has_boilerplate_role(dom, id as NodeId)
        {
            removed[id] = true;
        }
    }
    let a = measure(dom, removed);
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
        let style_hidden = (hidden_by_markup(dom, id as NodeId)
            || hidden_by_style(dom, id as NodeId))
            && !is_tab_panel(e);
        if matches!(e.tag, Tag::Body | Tag::Html | Tag::Article | Tag::Main) && !style_hidden {
            continue;
        }
        if opts.keep_disclosures && super::disclosure::is_disclosure(e) {
            continue;
        }
        if !tag_is_hint(e.tag) && !style_hidden {
            if !opts.class_hints {
                continue;
            }
            // Landing pages: a hero `banner`, a tab set's `tabs-menu` are sections of the
            // page (see [`super::sections`]).
            if !class_hints_remove(flags[id], opts)
                || posts.get(id).copied().unwrap_or(false)
                || (opts.keep_disclosures && super::sections::spares_section(dom, id as NodeId, e))
            {
                continue;
            }
        }
        // A style-hidden wrapper around the whole page carries the page's menus too, so its
        // link density says nothing.
        let holds_the_page = a.text_len[id] as f32 >= 0.5 * total
            && (style_hidden || a.link_density(id as NodeId) < 0.3);
        if !holds_the_page {
            removed[id] = true;
            changed = true;
        }
    }
    if changed {
        let kept = measure(dom, removed);
        rescue::restore_prose_blocks(dom, &a, kept)
    } else {
        a
    }
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

fn class_weight(dom: &Dom, id: NodeId) -> f32 {
    let f = dom.hint_flags()[id as usize];
    let mut w = 0.0;
    if f & bit::NEGATIVE != 0 {
        w -= 25.0;
    }
    if f & bit::POSITIVE != 0 {
        w += 25.0;
    }
    if let Some(e) = dom.element(id)
        && e.attr("itemprop") == Some("articleBody")
    {
        w += 50.0;
    }
    w
}

fn base_score(tag: Tag) -> f32 {
    use Tag::*;
    match tag {
        Div | Article | Main | Section => 5.0,
        Pre | Td | Blockquote => 3.0,
        Address | Ol | Ul | Dl | Dd | Dt | Li | Form => -3.0,
        H1 | H2 | H3 | H4 | H5 | H6 | Th => -5.0,
        _ => 0.0,
    }
}

/// Direct (not nested) text characters of `id`.
fn own_text_len(dom: &Dom, a: &Analysis, id: NodeId) -> u32 {
    dom.children(id)
        .filter(|&c| {
            matches!(dom.nodes[c as usize].data, NodeData::Text(_))
                || !dom.tag(c).is_block() && dom.element(c).is_some()
        })
        .map(|c| a.text_len[c as usize])
        .sum()
}

/// How [`select_with`] widens the chosen container and which siblings join it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Selection {
    /// The enclosing `<main>` replaces the container when it is not link-heavy (documentation
    /// and service pages: see [`MAIN_MAX_LINK_DENSITY`]).
    pub widen_to_main: bool,
    /// Siblings after the container join only by their score, not by reading like prose
    /// (articles: see [`select_with`]).
    pub trailing_by_score: bool,
}

/// The chosen article: the top container and the siblings that join it, in document order.
/// With `widen_to_main`, the enclosing `<main>` replaces the container when it is not link-heavy
/// (documentation and service pages: see [`MAIN_MAX_LINK_DENSITY`]).
pub fn select(dom: &Dom, a: &Analysis, root: NodeId, widen_to_main: bool) -> Vec<NodeId> {
    select_with(
        dom,
        a,
        root,
        Selection {
            widen_to_main,
            ..Selection::default()
        },
    )
}

/// [`select`] with the choices of `how`.
pub fn select_with(dom: &Dom, a: &Analysis, root: NodeId, how: Selection) -> Vec<NodeId> {
    let n = dom.nodes.len();
    let mut score = vec![f32::NAN; n];
    let mut prose = vec![0u32; n];
    let paragraph: Vec<bool> = (0..n)
        .map(|id| {
            if id < root as usize || a.removed[id] || a.text_len[id] < 25 {
                return false;
            }
            match dom.tag(id as NodeId) {
                Tag::P | Tag::Pre | Tag::Td | Tag::Blockquote | Tag::Li => true,
                Tag::Div | Tag::Section | Tag::Article | Tag::Main | Tag::Span | Tag::Other => {
                    own_text_len(dom, a, id as NodeId) >= 25
                }
                _ => false,
            }
        })
        .collect();
    // Text of the paragraphs nested in each node, so that a paragraph counts as prose only the
    // text that no inner paragraph counts again: a `<div>` with a line of its own around the
    // story's `<p>`s (or a custom element the div treats as inline) otherwise doubles the
    // prose of everything above it, and widening compares doubled against single counts
    // (WCXB dev, tuning part: article 0.9567 -> 0.9574, extraction-dev snippet F1 0.9284 ->
    // 0.9289).
    let mut nested = vec![0u32; n];
    for id in (root as usize + 1..n).rev() {
        let p = dom.nodes[id].parent;
        if p != NONE {
            let inner = if paragraph[id] {
                a.text_len[id]
            } else {
                nested[id]
            };
            nested[p as usize] = nested[p as usize].saturating_add(inner);
        }
    }
    for id in root as usize..n {
        if !paragraph[id] {
            continue;
        }
        if a.link_density(id as NodeId) < 0.3 {
            let own = a.text_len[id].saturating_sub(nested[id]);
            let mut anc = id as NodeId;
            while anc != NONE {
                prose[anc as usize] += own;
                anc = dom.nodes[anc as usize].parent;
            }
        }
        let len = a.text_len[id] as f32;
        let s = 1.0 + a.commas[id] as f32 + (len / 100.0).min(3.0);
        let mut anc = dom.nodes[id].parent;
        let mut level = 0;
        while anc != NONE && level < 5 {
            let ai = anc as usize;
            if dom.element(anc).is_none() {
                break;
            }
            if score[ai].is_nan() {
                score[ai] = base_score(dom.tag(anc)) + class_weight(dom, anc);
            }
            score[ai] += match level {
                0 => s,
                1 => s / 2.0,
                l => s / (l as f32 * 3.0),
            };
            if anc == root {
                break;
            }
            anc = dom.nodes[ai].parent;
            level += 1;
        }
    }
    let mut best = NONE;
    let mut best_score = f32::MIN;
    for (id, sc) in score.iter_mut().enumerate() {
        if sc.is_nan() || a.removed[id] {
            continue;
        }
        let s = *sc * (1.0 - a.link_density(id as NodeId));
        *sc = s;
        if s > best_score {
            best_score = s;
            best = id as NodeId;
        }
    }
    if best == NONE {
        return Vec::new();
    }
    let (mut best, best_score) = climb(dom, a, &score, root, best, best_score);
    // Widen to an ancestor when it adds prose (paragraphs outside links) without adding link
    // lists: articles split into several scored sections otherwise lose all but one.
    // Widen to an ancestor when it adds prose (paragraphs outside links) without adding link
    // lists: articles split into several scored sections otherwise lose all but one. Wrappers
    // that add no prose (a `container` div around a lead paragraph) are walked through, so the
    // growth is measured against the whole article, not the wrapper; the walk ends at the first
    // ancestor that is link-heavy (the page layout with its menus).
    //
    // A wrapper a little above that link density (a list of buying links around a guide's
    // section, WCXB dev tuning 4001) is walked through too, but an ancestor past it must multiply
    // the prose by [`WIDEN_PAST_DENSE_MIN_GROWTH`]: an advertiser's card beside a news story
    // only adds a little (extraction-dev, tuning split).
    let mut p = best;
    let mut passed_dense = false;
    while p != root {
        p = dom.nodes[p as usize].parent;
        if p == NONE || dom.element(p).is_none() {
            break;
        }
        let ld = a.link_density(p);
        if ld > WIDEN_WALK_MAX_LINK_DENSITY {
            break;
        }
        if ld > WIDEN_MAX_LINK_DENSITY {
            passed_dense = true;
            continue;
        }
        let growth = if passed_dense {
            WIDEN_PAST_DENSE_MIN_GROWTH
        } else {
            WIDEN_MIN_GROWTH
        };
        if prose[p as usize] as f32 >= prose[best as usize] as f32 * growth {
            best = p;
        }
    }
    // A `<main>` (or `role="main"`) around the candidate is where the page itself says its
    // content is: reference pages whose every entry is a link (MDN's lists of properties) are
    // too link-dense to widen to by the rule above, yet all of it is content.
    let mut p = best;
    while how.widen_to_main && p != root {
        p = dom.nodes[p as usize].parent;
        let Some(e) = dom.element(p) else {
            break;
        };
        if e.tag == Tag::Main || e.attr("role") == Some("main") {
            if a.link_density(p) <= MAIN_MAX_LINK_DENSITY {
                best = p;
            }
            break;
        }
    }
    let parent = dom.nodes[best as usize].parent;
    if parent == NONE {
        return vec![best];
    }
    let threshold = (best_score * 0.2).max(10.0);
    let mut out = Vec::new();
    let mut after = false;
    for sib in dom.children(parent) {
        let si = sib as usize;
        if sib == best {
            out.push(sib);
            after = true;
            continue;
        }
        if a.removed[si] || a.text_len[si] == 0 {
            continue;
        }
        let mut keep = !score[si].is_nan() && score[si] >= threshold;
        // On articles a block after the story that reads like prose without scoring like it is
        // the author's bio, a disclaimer, a newsletter box, a blogroll or the next story; the
        // lead, standfirst and intro blocks before it are the story's (WCXB dev, tuning part:
        // 47 article pages gain, 4 lose (a post split into site-builder blocks, closing
        // sections of guides), article 0.9574 -> 0.9594; extraction-dev snippet F1 0.9289 ->
        // 0.9311). Service pages the type model reads as articles keep the prose rule: their
        // sections follow one another (service 0.8537 -> 0.8448 under the rule).
        if !(keep || after && how.trailing_by_score) {
            let ld = a.link_density(sib);
            let len = a.text_len[si];
            keep = (len > 80 && ld < 0.25) || (len > 0 && ld == 0.0 && a.commas[si] > 0);
        }
        if keep {
            out.push(sib);
        }
    }
    out
}

/// Readability's refinements of the top candidate: when several near-best candidates share an
/// ancestor, that ancestor is the article; when scores keep rising towards the root, the higher
/// container is; an only child stands for its parent.
fn climb(
    dom: &Dom,
    a: &Analysis,
    score: &[f32],
    root: NodeId,
    mut best: NodeId,
    mut best_score: f32,
) -> (NodeId, f32) {
    let scored = |id: NodeId| -> Option<f32> {
        let s = score[id as usize];
        (!s.is_nan()).then_some(s)
    };
    // Near-best alternatives (Readability: score ≥ 0.75 × top, at least 3 sharing an ancestor).
    let mut alternatives: Vec<NodeId> = (0..score.len() as NodeId)
        .filter(|&i| i != best && scored(i).is_some_and(|s| s >= best_score * 0.75))
        .filter(|&i| !a.removed[i as usize])
        .collect();
    alternatives.truncate(16);
    if alternatives.len() >= 3 {
        let mut p = dom.nodes[best as usize].parent;
        while p != NONE && p != root {
            let shared = alternatives
                .iter()
                .filter(|&&alt| is_ancestor(dom, p, alt))
                .count();
            if shared >= 3 {
                best = p;
                break;
            }
            p = dom.nodes[p as usize].parent;
        }
    }
    // Scores rising towards the root.
    let mut last = scored(best).unwrap_or(best_score);
    let threshold = last / 3.0;
    let mut p = dom.nodes[best as usize].parent;
    while p != NONE && best != root {
        let Some(ps) = scored(p) else {
            if p == root {
                break;
            }
            p = dom.nodes[p as usize].parent;
            continue;
        };
        if ps < threshold {
            break;
        }
        if ps > last {
            best = p;
            break;
        }
        last = ps;
        if p == root {
            break;
        }
        p = dom.nodes[p as usize].parent;
    }
    // An only child stands for its parent.
    loop {
        let p = dom.nodes[best as usize].parent;
        if best == root || p == NONE || dom.element(p).is_none() {
            break;
        }
        let visible = dom
            .children(p)
            .filter(|&c| !a.removed[c as usize] && a.text_len[c as usize] > 0)
            .count();
        if visible != 1 {
            break;
        }
        best = p;
    }
    best_score = scored(best).unwrap_or(best_score).max(best_score);
    (best, best_score)
}

/// Whether `anc` is `node` or one of its ancestors (walks at most the capped depth).
pub(crate) fn is_ancestor(dom: &Dom, anc: NodeId, mut node: NodeId) -> bool {
    while node != NONE {
        if node == anc {
            return true;
        }
        node = dom.nodes[node as usize].parent;
    }
    false
}
