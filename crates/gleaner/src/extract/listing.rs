//! Listing and collection pages (archives, tag pages, search results, shop category grids):
//! their content is the list of items, links included, so the text is the page's main region
//! after pruning, with link lists kept, rather than the one best-scoring container.

use super::dom::{Dom, NodeId};
use super::score::{Analysis, analyse};
use super::serialize::{SerializeOptions, serialize};
use super::tag::Tag;
use super::{ExtractOptions, MAX_LINK_DENSITY, MainText, PageType, prune_options};

/// Probability of the two list types together (listing + collection) from which a page goes
/// down the listing path even when another type is likelier. Sending a list down the article
/// path loses far more than the reverse (tuning part of WCXB dev, every page forced down one
/// path: gold listings 0.77 token F1 on the listing path against 0.52 on the article path;
/// gold articles 0.938 against 0.951). The reported page type stays the likeliest one.
const LISTING_ROUTE_MIN_PROBABILITY: f32 = 0.3;

/// Whether a page whose type probabilities (in [`PageType::ALL`] order) are `p` is read as a
/// list of items (see [`LISTING_ROUTE_MIN_PROBABILITY`]).
pub fn reads_as_list(p: &[f32; 7]) -> bool {
    let list = |t: PageType| {
        PageType::ALL
            .iter()
            .position(|&x| x == t)
            .map_or(0.0, |i| p[i])
    };
    list(PageType::Listing) + list(PageType::Collection) >= LISTING_ROUTE_MIN_PROBABILITY
}

/// A region read without class hints replaces the hinted one when the hinted text is shorter
/// than `min_chars` and this many times shorter than the unhinted: the hints then removed the
/// list itself, not a menu beside a short list (a shop category of seven links stays as it is).
const UNHINTED_MIN_GROWTH: usize = 4;

/// The listing text of the page: the main region ([`main_region`]) serialised with link lists
/// kept. When the class hints leave less than `min_chars` there, the region is read again
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
    };
    let mut text = serialize(dom, a, &[main_region(dom, a, body)], ser);
    if text.chars().count() < opts.min_chars {
        let plain = analyse(dom, prune_options(opts, false, false));
        let alt = serialize(dom, &plain, &[main_region(dom, &plain, body)], ser);
        if alt.len() > UNHINTED_MIN_GROWTH * text.len() {
            text = alt;
        }
    }
    MainText {
        text,
        strategy: 5,
        roots: 1,
        body_chars: a.text_len[body as usize],
        body_link_density: a.link_density(body),
    }
}

/// The page's main region: its `<main>` (or `role="main"`) element holding the most text after
/// pruning, else `body`. The largest, not the first: news front pages mark a featured strip
/// `<main>` ahead of the full list of stories.
fn main_region(dom: &Dom, a: &Analysis, body: NodeId) -> NodeId {
    let mut best = body;
    let mut best_len = 0;
    for id in 0..dom.nodes.len() as NodeId {
        let len = a.text_len[id as usize];
        if len > best_len
            && !a.removed[id as usize]
            && dom
                .element(id)
                .is_some_and(|e| e.tag == Tag::Main || e.attr("role") == Some("main"))
        {
            best = id;
            best_len = len;
        }
    }
    best
}
