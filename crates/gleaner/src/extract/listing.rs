//! Listing and collection pages (archives, tag pages, search results, shop category grids):
//! their content is the list of items, links included, so the text is the page's main region
//! after pruning, with link lists kept, rather than the one best-scoring container.

use super::dom::{Dom, NONE, NodeId};
use super::prune::{Analysis, analyse};
use super::score::is_ancestor;
use super::serialize::{SerializeOptions, serialize};
use super::tag::{Attr, Tag};
use super::text::{Lines, edit_lines};
use super::{ExtractOptions, MAX_LINK_DENSITY, MainText, PageType, prune_options};

/// Probability of the two list types together (listing + collection) from which a page goes
/// down the listing path even when another type is likelier. Sending a list down the article
/// path loses far more than the reverse (tuning part of WCXB dev, every page forced down one
/// path: gold listings 0.77 token F1 on the listing path against 0.52 on the article path;
/// gold articles 0.938 against 0.951). The reported page type stays the likeliest one.
/// Measured on the tuning parts: 0.3 gave WCXB 0.8733 (listing 0.7536) but cost extraction-dev
/// snippet F1 (0.9239: article pages ringed by teasers read as lists); 0.35 gives WCXB 0.8703
/// (listing 0.7274, collection 0.6890) with snippet F1 unchanged (0.9243); 0.25 costs product
/// pages (0.6784) and snippet F1 (0.9218).
const LISTING_ROUTE_MIN_PROBABILITY: f32 = 0.35;

/// ... and only when the two list types together are at least this much likelier than the
/// article type. Without it a Wikipedia article (Aragonese "Escopete" in the whirlwind WARC:
/// article 0.29, listing 0.29, collection 0.10) went down the listing path and came out with
/// the language menu of its header and its category links, and language ID then read it as
/// Spanish. Tuning parts: WCXB 0.8750 -> 0.8744 (listing 0.7316 -> 0.7230), extraction-dev
/// snippet F1 0.9246 -> 0.9250; margins 0.05 and 0.15 gave 0.8744 / 0.9247 and 0.8731 / 0.9250.
const LISTING_ROUTE_MIN_MARGIN_OVER_ARTICLE: f32 = 0.1;

/// Whether a page whose type probabilities (in [`PageType::ALL`] order) are `p` is read as a
/// list of items (see [`LISTING_ROUTE_MIN_PROBABILITY`] and
/// [`LISTING_ROUTE_MIN_MARGIN_OVER_ARTICLE`]).
pub fn reads_as_list(p: &[f32; 7]) -> bool {
    let list = |t: PageType| t.probability_in(p);
    let lists = list(PageType::Listing) + list(PageType::Collection);
    lists >= LISTING_ROUTE_MIN_PROBABILITY
        && lists - list(PageType::Article) >= LISTING_ROUTE_MIN_MARGIN_OVER_ARTICLE
}

/// A region read without class hints replaces the hinted one when the hinted text is shorter
/// than `min_chars` and this many times shorter than the unhinted: the hints then removed the
/// list itself, not a menu beside a short list (a shop category of seven links stays as it is).
const UNHINTED_MIN_GROWTH: usize = 4;

/// Whether the page's main region holds an item grid that the class hints emptied (see
/// [`super::grid`]): evidence of a list of many items, which keeps a page typed collection on
/// the listing path although the model also finds it product-like (see
/// `product::collection_reads_as_product`). WCXB dev, tuning part: a property search page
/// (21 listings whose classes match the hint words) went down the product path and lost its
/// restored grid, 0.81 -> 0.37.
pub fn has_hint_emptied_grid(dom: &Dom, a: &Analysis, body: NodeId, opts: &ExtractOptions) -> bool {
    regridded(dom, a, main_region(dom, a, body), opts).is_some()
}

/// `a` with the item grids in `region` that the class hints emptied put back (see
/// [`super::grid`]), `None` when there is none.
fn regridded(dom: &Dom, a: &Analysis, region: NodeId, opts: &ExtractOptions) -> Option<Analysis> {
    let before = super::prune::tag_level(dom, prune_options(opts, true, false));
    super::grid::restore_hinted_grids(dom, &before, a, region)
}

/// The listing text of the page: the main region ([`main_region`]) and the long blocks of prose
/// outside it ([`prose_outside`]) serialised with link lists kept. When the class hints leave less than `min_chars` there, the region is read again
/// pruned without them, and that text is kept when it is [`UNHINTED_MIN_GROWTH`] times longer:
/// layout wrappers named after a footer or a sidebar (`flex-wrap-footer`, `has-sidebar`) or
/// page-builder widgets (`elementor-widget`) hold the whole list on some sites, and the hints
/// then remove all of it (tuning part of WCXB dev: arXiv's listing and a hotel-news archive
/// came out empty).
pub fn listing_text(dom: &Dom, a: &Analysis, body: NodeId, opts: &ExtractOptions) -> MainText {
    let ser = SerializeOptions {
        include_lists: opts.include_lists,
        max_link_density: MAX_LINK_DENSITY,
        keep_link_lists: true,
        keep_attribution: false,
        keep_link_cards: false,
        skip_forms: false,
    };
    let region = main_region(dom, a, body);
    // Item grids the class hints emptied come back.
    let regridded = regridded(dom, a, region, opts);
    let a = regridded.as_ref().unwrap_or(a);
    let unfaceted = without_facets(dom, a, region);
    // The region and the prose beside it, in document order (node ids are in tree order).
    let mut roots = prose_outside(dom, a, body, region);
    // The page's title and introduction above the region (see [`title_block_before`]).
    if let Some(intro) = title_block_before(dom, a, body, region)
        && !roots
            .iter()
            .any(|&r| is_ancestor(dom, r, intro) || is_ancestor(dom, intro, r))
    {
        roots.push(intro);
    }
    roots.push(region);
    roots.sort_unstable();
    let mut text = serialize(dom, unfaceted.as_ref().unwrap_or(a), &roots, ser);
    if text.chars().count() < opts.min_chars {
        let plain = analyse(dom, prune_options(opts, false, false));
        let alt = serialize(dom, &plain, &[main_region(dom, &plain, body)], ser);
        if alt.len() > UNHINTED_MIN_GROWTH * text.len() {
            text = alt;
        }
    }
    edit_lines(&mut text, |lines| {
        drop_lines_repeating_recent(lines);
        drop_card_labels(lines);
        drop_skip_links(lines);
    });
    MainText {
        text,
        strategy: 5,
        roots: 1,
        body_chars: a.text_len[body as usize],
        body_link_density: a.link_density(body),
    }
}

/// Visible characters from which a block of prose outside the main region joins the listing
/// text, and the link density up to which it is prose ([`PROSE_OUTSIDE_MAX_LINK_DENSITY`]): a
/// shop's category guide set below the grid, outside its `<main>` (the buying guide of a
/// barbecue shop's category, a camera shop's "Discover ... lenses" text). Tuning part of WCXB
/// dev: collection 0.7165 -> 0.7269, overall 0.8853 -> 0.8861; four pages change, three better
/// (+0.26 to +0.41: their gold is that guide) and one worse (-0.15: the same camera shop's other
/// category, whose gold is the grid alone); extraction-dev unchanged (no page's text changes).
/// 500 and 800 also let a news front page's footer blurb in (-0.07); a link density of 0.2 let
/// three beauty-shop pages' sets of reviews in (-0.45 to -0.61), 0.05 dropped one of the guides.
const PROSE_OUTSIDE_MIN_CHARS: u32 = 1200;

/// See [`PROSE_OUTSIDE_MIN_CHARS`].
const PROSE_OUTSIDE_MAX_LINK_DENSITY: f32 = 0.1;

/// The outermost elements of `body` outside `region` (neither inside it nor holding it) that
/// are blocks of prose ([`PROSE_OUTSIDE_MIN_CHARS`]) and that pruning kept, with all their
/// ancestors; none when the region is the body.
fn prose_outside(dom: &Dom, a: &Analysis, body: NodeId, region: NodeId) -> Vec<NodeId> {
    let mut out: Vec<NodeId> = Vec::new();
    if region == body {
        return out;
    }
    for id in 0..dom.nodes.len() as NodeId {
        let i = id as usize;
        if a.removed[i]
            || a.text_len[i] < PROSE_OUTSIDE_MIN_CHARS
            || a.link_density(id) > PROSE_OUTSIDE_MAX_LINK_DENSITY
            || dom.element(id).is_none()
            || !is_ancestor(dom, body, id)
            || is_ancestor(dom, region, id)
            || is_ancestor(dom, id, region)
            || out.iter().any(|&o| is_ancestor(dom, o, id))
        {
            continue;
        }
        // Pruning marks the top of a removed subtree only.
        let mut up = dom.nodes[i].parent;
        let mut hidden = false;
        while up != body && (up as usize) < dom.nodes.len() {
            hidden |= a.removed[up as usize];
            up = dom.nodes[up as usize].parent;
        }
        if !hidden {
            out.push(id);
        }
    }
    out
}

/// The block holding the page's title holds at most this many visible characters (a title with
/// its introduction, not a page wrapper) and at most this link density (an introduction links
/// to a few items). Tuning part of WCXB dev: 2000 / 0.5 and 5000 / 0.8 change the same pages.
const TITLE_BLOCK_MAX_CHARS: u32 = 2000;
/// See [`TITLE_BLOCK_MAX_CHARS`].
const TITLE_BLOCK_MAX_LINK_DENSITY: f32 = 0.5;

/// Whether neither `id` nor an ancestor below `body` is removed (pruning marks subtree tops).
fn kept(dom: &Dom, a: &Analysis, body: NodeId, id: NodeId) -> bool {
    dom.ancestors(id)
        .take_while(|&up| up != body)
        .all(|up| !a.removed[up as usize])
}

/// The block holding the page's title (its first kept `<h1>`) and the introduction beside it,
/// when that title comes before the main region and the region has no title of its own: an
/// archive or category page whose theme sets the heading and its description above `<main>`
/// (WordPress/Genesis `archive-description`, a shop's category header). The block is the
/// largest ancestor of the `<h1>` outside the region up to [`TITLE_BLOCK_MAX_CHARS`], and it
/// counts only when it holds more than the heading and is prose
/// ([`TITLE_BLOCK_MAX_LINK_DENSITY`]). Tuning part of WCXB dev: a recipe category page 0.64 ->
/// 1.00 (its gold is the title, the introduction and the list), a shop's category 0.809 ->
/// 0.804 (its title band came in), no other page changes (111 pages go down the listing path;
/// most have their `<h1>` inside the region or no `<main>`).
fn title_block_before(dom: &Dom, a: &Analysis, body: NodeId, region: NodeId) -> Option<NodeId> {
    if region == body {
        return None;
    }
    let is_title = |id: usize| {
        dom.tag(id as NodeId) == Tag::H1 && a.text_len[id] > 0 && kept(dom, a, body, id as NodeId)
    };
    let end = super::serialize::subtree_end(dom, region) as usize;
    if (region as usize..end).any(is_title) {
        return None;
    }
    let h1 = (body as usize + 1..region as usize).find(|&id| is_title(id))? as NodeId;
    let mut block = h1;
    loop {
        let up = dom.nodes[block as usize].parent;
        if up == NONE
            || up == body
            || is_ancestor(dom, up, region)
            || a.text_len[up as usize] > TITLE_BLOCK_MAX_CHARS
        {
            break;
        }
        block = up;
    }
    (a.text_len[block as usize] > a.text_len[h1 as usize]
        && a.link_density(block) <= TITLE_BLOCK_MAX_LINK_DENSITY)
        .then_some(block)
}

/// Word starts of the class and id names of a shop's search facets: the filter panel beside a
/// product grid (sizes, colours, brands, price ranges with their counts), which the gold text of
/// list pages leaves out.
const FACET_NAMES: &[&str] = &["facet", "filter", "refine"];

/// A facet element is removed only when it holds at most this share of the region's text: a
/// wrapper named after the filters (`id="filter_results"`) may hold the whole grid.
const FACET_MAX_SHARE: f32 = 0.5;

/// Whether a word of `names` (runs of ASCII letters and digits) starts with a [`FACET_NAMES`]
/// entry, ASCII case ignored.
fn names_a_facet(names: &str) -> bool {
    names.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
        FACET_NAMES.iter().any(|f| {
            w.len() >= f.len() && w.as_bytes()[..f.len()].eq_ignore_ascii_case(f.as_bytes())
        })
    })
}

/// `a` with the search facets inside `region` removed ([`FACET_NAMES`], [`FACET_MAX_SHARE`]),
/// or `None` when the region has none.
fn without_facets(dom: &Dom, a: &Analysis, region: NodeId) -> Option<Analysis> {
    let limit = a.text_len[region as usize] as f32 * FACET_MAX_SHARE;
    let mut facets = Vec::new();
    for id in 0..dom.nodes.len() as NodeId {
        let i = id as usize;
        if a.removed[i] || a.text_len[i] == 0 || a.text_len[i] as f32 > limit {
            continue;
        }
        let Some(e) = dom.element(id) else { continue };
        let named = |attr| e.attr(attr).is_some_and(names_a_facet);
        if (named("class") || named("id")) && is_ancestor(dom, region, id) {
            facets.push(i);
        }
    }
    if facets.is_empty() {
        return None;
    }
    let mut removed = a.removed.clone();
    for i in facets {
        removed[i] = true;
    }
    Some(Analysis {
        removed,
        text_len: a.text_len.clone(),
        link_len: a.link_len.clone(),
        links: a.links.clone(),
        commas: a.commas.clone(),
    })
}

/// How many kept lines back a line is compared with by [`drop_lines_repeating_recent`].
const REPEAT_WINDOW: usize = 2;

/// Drops the lines that repeat one of the [`REPEAT_WINDOW`] lines kept before them
/// (whitespace trimmed). A product card names its item two or three times (image alt text,
/// title link, quick-view button) and shows its price twice (sale price, then price line), and
/// the gold text of list pages keeps one copy. Tuning part of WCXB dev, dump re-scored: a
/// window of 2 lines raised collection 0.6895 -> 0.6937 and listing 0.7230 -> 0.7278 with no
/// page worse; a window of 3 dropped a shop's per-card "VIP price" line that the gold repeats
/// (one card after the other) and cost that page 0.03.
fn drop_lines_repeating_recent(lines: &mut Lines<'_>) {
    let mut recent: [&str; REPEAT_WINDOW] = [""; REPEAT_WINDOW];
    // Empty lines before the first non-empty one go too: this rule used to rebuild the text line
    // by line, writing a separator only once something was written, and they fell out (kept so
    // that the output stays byte-identical).
    let mut started = false;
    lines.retain(|_, line| {
        let key = line.trim();
        if !key.is_empty() {
            if recent.contains(&key) {
                return false;
            }
            recent.rotate_right(1);
            recent[0] = key;
        }
        started |= !line.is_empty();
        started
    });
}

/// A short line repeated this many times in a listing is a label or a control that every card
/// carries ("Add to Compare", "View Details", "Select your size", "Key Features", a visually
/// hidden "Brand Name" / "Price" before each field), not an item: items differ from one another.
/// Tuning part of WCXB dev: collection 0.7310 -> 0.7375, listing 0.7782 -> 0.7809, overall
/// 0.8894 -> 0.8902; 37 pages better (about 30 sites), 14 worse (11 sites: a brand name or a
/// condition such as "Brand New" that the gold keeps on every card). 8 repeats gave nearly the
/// same (collection 0.7374, listing 0.7805), so the count is not a fitted edge. 4 repeats
/// (session 16): all 0.8991 -> 0.8992, listing 0.8043 -> 0.8050, collection 0.7617 -> 0.7621,
/// 20 pages change, 16 up (+0.001 to +0.028: "Registration Deadline", "Show more", a job
/// board's "Canada only"), 4 down (at most -0.007); 3 repeats: 25 up, 12 down, service -0.0003.
const CARD_LABEL_MIN_REPEATS: usize = 4;

/// ... when the line is at most this many bytes and holds no digit (a price, a count, a date
/// or a rating is a value of its card even when two cards share it).
const CARD_LABEL_MAX_BYTES: usize = 20;

/// Drops the short lines ([`CARD_LABEL_MAX_BYTES`], no digit) that the text holds at least
/// [`CARD_LABEL_MIN_REPEATS`] times (whitespace trimmed). A line ending in a colon stays: it
/// labels a value shown beside it ("Weight:", "Cap Type:"), and readers keep such pairs (without
/// this, an outdoor shop's four category pages lost 0.09-0.16 each).
fn drop_card_labels(lines: &mut Lines<'_>) {
    let is_label = |t: &str| {
        !t.is_empty()
            && t.len() <= CARD_LABEL_MAX_BYTES
            && !t.ends_with(':')
            && !t.bytes().any(|b| b.is_ascii_digit())
    };
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for line in lines.iter() {
        let t = line.trim();
        if is_label(t) {
            *counts.entry(t).or_default() += 1;
        }
    }
    if counts.values().all(|&c| c < CARD_LABEL_MIN_REPEATS) {
        return;
    }
    lines.retain(|_, l| {
        counts
            .get(l.trim())
            .is_none_or(|&c| c < CARD_LABEL_MIN_REPEATS)
    });
}

/// Skip links ("Skip to search results", "Skip to filters") are at most this many bytes.
const SKIP_LINK_MAX_BYTES: usize = 40;

/// Drops the skip links: the "Skip to ..." jumps a shop puts at the top of its results
/// for keyboard users, which the region keeps since they sit inside `<main>`. Gold texts never
/// hold them. Tuning part of WCXB dev, with the card-label rule above in place: collection
/// 0.7375 -> 0.7377 (four pages up by 0.001-0.005, none down), other types unchanged.
fn drop_skip_links(lines: &mut Lines<'_>) {
    let is_skip_link = |line: &str| {
        let t = line.trim().as_bytes();
        t.len() <= SKIP_LINK_MAX_BYTES && t.len() >= 7 && t[..7].eq_ignore_ascii_case(b"skip to")
    };
    lines.retain(|_, l| !is_skip_link(l));
}

/// A `<main>` holding less than this share of the body's text (after pruning) is a strip of the
/// page, not all of it, and the region is its parent (unless that is the body): a news section
/// marks its featured stories `<main>` and puts the feed of the rest beside it, a shop its
/// category intro beside the grid. Tuning part of WCXB dev: 0.8761 -> 0.8773 (collection
/// 0.6989 -> 0.7067, listing 0.7369 -> 0.7468), two pages better and none worse, the same from
/// 0.35 to 0.7; falling back to the whole body instead cost collection 0.6989 -> 0.6824 (shops
/// whose `<main>` is the page's and whose body is menus and footer).
const MAIN_MIN_SHARE: f32 = 0.5;

/// The page's main region: its `<main>` (or `role="main"`) element holding the most text after
/// pruning, else `body`. The largest, not the first: news front pages mark a featured strip
/// `<main>` ahead of the full list of stories. A small `<main>` gives way to its parent
/// ([`MAIN_MIN_SHARE`]).
fn main_region(dom: &Dom, a: &Analysis, body: NodeId) -> NodeId {
    let mut best = body;
    let mut best_len = 0;
    for id in 0..dom.nodes.len() as NodeId {
        let len = a.text_len[id as usize];
        if len > best_len
            && !a.removed[id as usize]
            && dom
                .element(id)
                .is_some_and(|e| e.tag == Tag::Main || e.get(Attr::Role) == Some("main"))
        {
            best = id;
            best_len = len;
        }
    }
    if best != body && (best_len as f32) < MAIN_MIN_SHARE * a.text_len[body as usize] as f32 {
        let parent = dom.nodes[best as usize].parent;
        if parent != body && (parent as usize) < dom.nodes.len() && dom.tag(parent) != Tag::Html {
            return parent;
        }
    }
    best
}

#[cfg(test)]
pub(super) mod tests;
