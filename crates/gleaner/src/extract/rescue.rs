//! Undoing class-name hints that took the article itself: the blocks of a buying guide or a
//! restaurant round-up are often named after what they hold (`c-product-widget`,
//! `ck-block--embed--place`), and the boilerplate name lists (`widget`, `embed`) then remove
//! every entry, leaving the introduction alone (WCXB dev, tuning part: such pages scored below
//! 0.3 token F1 while trafilatura read them whole).
//!
//! And pages the article rule fails on as a whole: a list of links with a short introduction
//! that the page-type model read as an article goes down the listing path instead
//! ([`reads_as_link_page`]).

use super::dom::{Dom, NONE, NodeId};
use super::hints::bit;
use super::prune::{Analysis, hidden_by_markup, hidden_by_style, measure};
use super::tag::{Attr, Tag};
use super::text::contains_ignore_ascii_case;
use super::{MainText, PageType};

/// A removed block counts as prose from this many visible characters.
const MIN_BLOCK_CHARS: u32 = 100;
/// and at most this link density (menus and link lists stay removed).
const MAX_BLOCK_LINK_DENSITY: f32 = 0.2;
/// The container must keep this much text of its own: a comment list or a sidebar whose every
/// entry was removed keeps nothing, and stays removed.
const MIN_KEPT_CHARS: u32 = 150;
/// The blocks are restored only when there are at least this many in one container (one
/// comment section or author box beside an article is a single block).
const MIN_BLOCKS: usize = 2;
/// Names of blocks that are out of sight until the reader acts (collapsed, hidden, dialogs,
/// sign-in and consent overlays): they repeat in numbers on a page too, but a reader of the
/// article never sees them (extraction-dev, tuning split: login dialogs, hidden slides and
/// privacy overlays came back without this).
const UNSEEN_NAMES: &[&str] = &[
    "hid", "modal", "login", "popup", "dialog", "cookie", "consent", "gdpr", "privacy", "overlay",
];

/// The container must read as prose, not as a page layout full of menus.
const MAX_CONTAINER_LINK_DENSITY: f32 = 0.3;
/// How many empty wrappers may sit between a block and the container that keeps text.
const MAX_WRAPPER_LEVELS: usize = 3;

/// `before` is the measurement before class hints (its `removed` the tag and role pruning),
/// `kept` the one after. Where a container lost at least [`MIN_BLOCKS`] prose blocks to hints
/// and those hold at least as much text as the container kept, the blocks come back.
///
/// With `shop_hints` (product pages) a block a shop name took ([`bit::SHOP`]: a carousel, the
/// reviews, a disclaimer) stays removed: those names say what the block is, where `widget` or
/// `-stories` only say how it is built. A phone maker's page lost 1,658 tokens of footnoted
/// fine print (`common-bottom-disclaimer`) to this rule beside its marketing sections (WCXB dev,
/// tuning part: product 0.7176 -> 0.7205, that page 0.33 -> 0.55, no other page changes).
/// Turning the rule off on product pages altogether gained that page too but cost another maker's
/// page, whose marketing sections are named `product-stories`, 0.78 -> 0.55.
pub(crate) fn restore_prose_blocks(
    dom: &Dom,
    before: &Analysis,
    kept: Analysis,
    shop_hints: bool,
) -> Analysis {
    let n = dom.nodes.len();
    let top_hinted = |id: usize| {
        let parent = dom.nodes[id].parent;
        kept.removed[id] && !before.removed[id] && parent != NONE && !kept.removed[parent as usize]
    };
    // (container, block) for every prose block removed by a hint.
    let mut owned: Vec<(NodeId, NodeId)> = Vec::new();
    for id in 1..n {
        if !top_hinted(id)
            || before.text_len[id] < MIN_BLOCK_CHARS
            || before.link_density(id as NodeId) > MAX_BLOCK_LINK_DENSITY
            || !may_be_content(dom, id as NodeId)
            || (shop_hints && dom.hint_flags()[id] & bit::SHOP != 0)
        {
            continue;
        }
        let mut q = dom.nodes[id].parent;
        let mut level = 0;
        while q != NONE && kept.text_len[q as usize] == 0 && level < MAX_WRAPPER_LEVELS {
            q = dom.nodes[q as usize].parent;
            level += 1;
        }
        if q != NONE
            && kept.text_len[q as usize] >= MIN_KEPT_CHARS
            && kept.link_density(q) <= MAX_CONTAINER_LINK_DENSITY
        {
            owned.push((q, id as NodeId));
        }
    }
    if owned.len() < MIN_BLOCKS {
        return kept;
    }
    owned.sort_unstable();
    let mut restore: Vec<NodeId> = Vec::new();
    for group in owned.chunk_by(|x, y| x.0 == y.0) {
        let container = group[0].0;
        let removed_chars: u32 = group
            .iter()
            .map(|&(_, b)| before.text_len[b as usize])
            .sum();
        if group.len() >= MIN_BLOCKS && removed_chars >= kept.text_len[container as usize] {
            restore.extend(group.iter().map(|&(_, b)| b));
        }
    }
    if restore.is_empty() {
        return kept;
    }
    restore.sort_unstable();
    let mut removed = before.removed.clone();
    for id in 1..n {
        if removed[id] {
            continue;
        }
        let parent = dom.nodes[id].parent;
        removed[id] = (parent != NONE && removed[parent as usize])
            || (top_hinted(id) && restore.binary_search(&(id as NodeId)).is_err());
    }
    measure(dom, removed)
}

/// A page the article path read is read as a list instead when the page-type model gives the
/// two list types together at least this probability (the listing route itself needs 0.35 and
/// a lead over the article type, see [`super::listing::reads_as_list`]) ...
const LINK_PAGE_MIN_LIST_PROBABILITY: f32 = 0.3;
/// ... the article rule's text is below this share of the body's visible characters ...
const LINK_PAGE_MAX_SHARE_OF_BODY: f32 = 0.5;
/// ... and the body's link density is above this: the page is a list of links with a short
/// introduction (a Wikipedia "List of …" page, a news section front, a recipe index, a
/// changelog whose every entry links to its pull request) that the model read as an article,
/// and the article rule dropped the lists as menus.
///
/// WCXB dev, tuning part: 0.8825 -> 0.8847 (listing 0.7472 -> 0.7763, forum 0.8135 -> 0.8178;
/// four pages change, all up: 0.11 -> 0.93, 0.28 -> 0.97, 0.31 -> 0.73, 0.29 -> 0.62);
/// extraction-dev snippet F1 unchanged (no tuning page changes). Same result for shares
/// 0.4-0.6 and densities 0.4-0.55; a list probability of 0.25 gained one more WCXB page (a
/// Wikipedia list at 0.26) but sent news articles (menus and all) down the listing path and
/// cost extraction-dev 0.0006 on its tuning split; without it, 0.0010-0.0020.
const LINK_PAGE_MIN_BODY_LINK_DENSITY: f32 = 0.5;

/// The list reading replaces the article's only when it is at least this many times as long
/// (in characters): a link page's items are the page, many times its introduction. On WCXB
/// dev the pages this rule re-reads grow 2.9-32× (a recipe index 2.9, a Lemmy changelog 3.3, a
/// news section 6.5, a Wikipedia list 9.4); a Wikipedia stub whose sidebars and language menu
/// make the body link-dense grew 2.1× (an.wikipedia.org's "Escopete": its infobox and
/// category links read as a list, and language ID then took the Aragonese page for Spanish).
pub(crate) const LINK_PAGE_MIN_LIST_GROWTH: f32 = 2.5;

/// Whether the article path's result `main` reads as the introduction of a page of links, on a
/// page whose type probabilities (in [`PageType::ALL`] order) are `p` (see
/// [`LINK_PAGE_MIN_BODY_LINK_DENSITY`]); the listing path then reads the page instead.
pub(crate) fn reads_as_link_page(main: &MainText, p: &[f32; 7]) -> bool {
    let lists = PageType::Listing.probability_in(p) + PageType::Collection.probability_in(p);
    if lists < LINK_PAGE_MIN_LIST_PROBABILITY
        || main.body_link_density <= LINK_PAGE_MIN_BODY_LINK_DENSITY
    {
        return false;
    }
    let chars: usize = main
        .text
        .lines()
        .map(|l| super::text::visible_chars_and_commas(l).0)
        .sum();
    (chars as f32) < LINK_PAGE_MAX_SHARE_OF_BODY * main.body_chars.max(1) as f32
}

/// Whether a block removed by a hint may be shown with the article: not a comment section, not
/// hidden, not a form, not named as something out of sight ([`UNSEEN_NAMES`]).
fn may_be_content(dom: &Dom, id: NodeId) -> bool {
    let Some(e) = dom.element(id) else {
        return false;
    };
    if dom.hint_flags()[id as usize] & bit::COMMENT != 0
        || matches!(e.tag, Tag::Form)
        || hidden_by_markup(dom, id)
        || hidden_by_style(dom, id)
    {
        return false;
    }
    let unseen = |v: &str| {
        UNSEEN_NAMES
            .iter()
            .any(|w| contains_ignore_ascii_case(v, w))
    };
    !e.get(Attr::Class).is_some_and(unseen) && !e.get(Attr::Id).is_some_and(unseen)
}

#[cfg(test)]
mod tests {
    use super::super::dom::Dom;
    use super::super::prune::{PruneOptions, analyse};
    use super::super::tag::Tag;

    const OPTS: PruneOptions = PruneOptions {
        shop_hints: false,
        class_hints: true,
        include_comments: false,
        include_tables: true,
        keep_authors: false,
        keep_disclosures: false,
        service_page: false,
    };

    fn kept_chars(html: &str) -> u32 {
        let dom = Dom::parse(html);
        let a = analyse(&dom, OPTS);
        a.text_len[dom.find_first(Tag::Body).unwrap_or(0) as usize]
    }

    fn entry(class: &str, word: &str) -> String {
        format!(
            "<div class=\"{class}\"><p>{}</p></div>",
            format!("{word} ").repeat(40)
        )
    }

    #[test]
    fn a_guide_keeps_entries_named_widget() {
        let intro = "An introduction to the guide that says what was tested and why. ".repeat(3);
        let entries: String = (0..3).map(|_| entry("product-widget", "entry")).collect();
        let html = format!("<body><div class=\"guide\"><p>{intro}</p>{entries}</div></body>");
        // All three entries (240 chars each) are kept beside the introduction.
        assert!(kept_chars(&html) > 700, "{}", kept_chars(&html));
    }

    #[test]
    fn shop_widgets_stay_removed_on_product_pages() {
        // A product page whose marketing sections are named `-stories` (restored) and whose
        // footnotes sit in two `disclaimer` blocks (restored on other pages, not here).
        let intro = "The phone in a sentence or two, as its maker writes it up. ".repeat(4);
        let stories: String = (0..3).map(|_| entry("product-stories", "story")).collect();
        let notes: String = (0..2).map(|_| entry("bottom-disclaimer", "note")).collect();
        let html = format!("<body><div class=\"page\"><p>{intro}</p>{stories}{notes}</div></body>");
        let dom = Dom::parse(&html);
        let body = dom.find_first(Tag::Body).unwrap_or(0) as usize;
        let shop = analyse(
            &dom,
            PruneOptions {
                shop_hints: true,
                ..OPTS
            },
        );
        let plain = analyse(&dom, OPTS);
        // The stories come back on both; the notes (2 x 160 visible chars) on other pages only.
        assert!(shop.text_len[body] > 700, "{}", shop.text_len[body]);
        assert_eq!(plain.text_len[body] - shop.text_len[body], 320);
    }

    #[test]
    fn comments_and_dialogs_stay_removed() {
        let story = "The story itself, long enough to be the article on this page. ".repeat(4);
        let comments: String = (0..3).map(|_| entry("comment", "reply")).collect();
        let dialogs: String = (0..3).map(|_| entry("login-modal", "sign")).collect();
        let html =
            format!("<body><div class=\"story\"><p>{story}</p>{comments}{dialogs}</div></body>");
        assert!(kept_chars(&html) < 300, "{}", kept_chars(&html));
    }

    #[test]
    fn a_short_introduction_to_links_reads_as_a_list() {
        use super::super::MainText;
        let main = |text: &str, body_link_density: f32| MainText {
            text: text.to_string(),
            strategy: 0,
            roots: 1,
            body_chars: 4000,
            body_link_density,
        };
        let intro = "This page lists programming languages in alphabetical order. ".repeat(5);
        // Article 0.4, listing 0.2, collection 0.15: a list is likely enough.
        let p = [0.4, 0.05, 0.05, 0.15, 0.2, 0.1, 0.05];
        assert!(super::reads_as_link_page(&main(&intro, 0.8), &p));
        // The body is mostly prose, or the article rule kept most of it, or no list is likely.
        assert!(!super::reads_as_link_page(&main(&intro, 0.3), &p));
        assert!(!super::reads_as_link_page(&main(&intro.repeat(8), 0.8), &p));
        let article = [0.8, 0.05, 0.0, 0.05, 0.05, 0.05, 0.0];
        assert!(!super::reads_as_link_page(&main(&intro, 0.8), &article));
    }
}
