//! Product and story grids that class-name hints took from a list page: a shop names its tiles
//! after what they show or how they behave (`hide-compare`, `ListingRemarks`, `has-action-links`)
//! and the boilerplate name lists ([`super::hints::UNLIKELY`]: `hide`, `remark`, `button`)
//! remove every tile, leaving the category's title and filters. The evidence that such a block
//! is the page's content is its shape, not its length: a run of sibling elements built alike,
//! each a card of several fields, that the hints emptied.

use super::dom::{Dom, NONE, NodeData, NodeId};
use super::hints::bit;
use super::prune::{Analysis, hidden_by_markup, hidden_by_style, measure};
use super::tag::{Attr, Tag};
use super::text::contains_ignore_ascii_case;

/// Fewest alike siblings that make a grid: a category or results page shows a dozen items or
/// more, while four to seven alike blocks are as often a page's sections, a row of quick links
/// or a product page's "more like this" strip. WCXB dev, tuning part (with [`MIN_ITEM_CHARS`]
/// 20, [`MAX_KEPT_SHARE`] 0.5): overall 0.8916 -> 0.8934, collection 0.7377 -> 0.7479, listing
/// 0.7825 -> 0.7975, other types within 0.0001; 11 pages up (a jeweller's, a realtor's, a
/// mower maker's and Apple's grids +0.36 to +0.39), 2 down by at most 0.002. With 4 items:
/// collection 0.7501 and listing 0.7976 but product 0.7233 -> 0.7128 (a marketplace product
/// page's six page sections and a shop's related-products slider came back) and 13 pages down;
/// 6 items: article 0.9601 -> 0.9589 (a school's quick links made the hinted text long enough
/// to skip the unhinted re-read); 10 or 12: collection 0.7428, listing 0.7897 (a 9-item grid
/// lost).
const MIN_ITEMS: usize = 8;
/// Fewest visible characters of an item, on average, before the hints: menu entries are a word
/// or two, cards a name with a price or a summary (10 and 40 gave the same within 0.0002).
const MIN_ITEM_CHARS: u32 = 20;
/// The grid is restored only when the hints left at most this share of its items' text (0.3
/// lost dev.to's feed, whose cards kept their titles: listing 0.7975 -> 0.7957).
const MAX_KEPT_SHARE: f32 = 0.5;

/// Whether `x` and `y` are built alike: the same tag, and a class word in common (or neither
/// has a class).
fn alike(dom: &Dom, x: NodeId, y: NodeId) -> bool {
    let (Some(ex), Some(ey)) = (dom.element(x), dom.element(y)) else {
        return false;
    };
    if ex.tag != ey.tag {
        return false;
    }
    match (ex.get(Attr::Class), ey.get(Attr::Class)) {
        (None, None) => true,
        (Some(cx), Some(cy)) => cx
            .split_ascii_whitespace()
            .any(|w| cy.split_ascii_whitespace().any(|v| v == w)),
        _ => false,
    }
}

/// The longest run of alike element children of `parent` that have text before the hints
/// (`before`), empty when none.
fn longest_run(dom: &Dom, before: &Analysis, parent: NodeId) -> Vec<NodeId> {
    let mut best: Vec<NodeId> = Vec::new();
    let mut run: Vec<NodeId> = Vec::new();
    for c in dom.children(parent) {
        if dom.element(c).is_none() {
            continue;
        }
        if before.text_len[c as usize] == 0 || before.removed[c as usize] {
            continue;
        }
        if run.last().is_some_and(|&l| !alike(dom, l, c)) {
            if run.len() > best.len() {
                best = std::mem::take(&mut run);
            }
            run.clear();
        }
        run.push(c);
    }
    if run.len() > best.len() {
        best = run;
    }
    best
}

/// Whether `id` or a wrapper between it and `region` is hidden (by markup or style): a grid a
/// script reveals (a quick-view panel, a closed tab) stays removed.
fn shown_only_by_script(dom: &Dom, id: NodeId, region: NodeId) -> bool {
    dom.ancestors(id)
        .take_while(|&up| up != region)
        .any(|up| hidden_by_markup(dom, up) || hidden_by_style(dom, up))
}

/// Class-name words of blocks that repeat alike but are not the page's items: customer reviews
/// and menus.
const NOT_ITEMS: &[&str] = &["review", "menu"];

/// Whether the grid `id`, its first item `item` or a wrapper between the grid and `region` is
/// set aside from the items by its tag (`<aside>`, `<header>`, `<menu>`), as a comment section,
/// or by a [`NOT_ITEMS`] name.
fn named_aside(dom: &Dom, id: NodeId, item: NodeId, region: NodeId) -> bool {
    let flags = dom.hint_flags();
    let aside = |n: NodeId| {
        let Some(e) = dom.element(n) else {
            return false;
        };
        matches!(e.tag, Tag::Aside | Tag::Header | Tag::Menu)
            || flags[n as usize] & bit::COMMENT != 0
            || [Attr::Class, Attr::Id].into_iter().any(|a| {
                e.get(a)
                    .is_some_and(|v| NOT_ITEMS.iter().any(|w| contains_ignore_ascii_case(v, w)))
            })
    };
    aside(item) || dom.ancestors(id).take_while(|&up| up != region).any(aside)
}

/// `kept` (the pruning pass with class hints) with the grids inside `region` that the hints
/// emptied put back as the tag-level pass `before` has them, hidden elements still removed; `None`
/// when there is none.
pub(crate) fn restore_hinted_grids(
    dom: &Dom,
    before: &Analysis,
    kept: &Analysis,
    region: NodeId,
) -> Option<Analysis> {
    let end = super::serialize::subtree_end(dom, region) as usize;
    let mut items: Vec<NodeId> = Vec::new();
    let mut grids: Vec<NodeId> = Vec::new();
    let mut id = region as usize;
    while id < end {
        // Candidates: elements that lost most of their text to the hints.
        if before.removed[id]
            || kept.text_len[id] as f32 > MAX_KEPT_SHARE * before.text_len[id] as f32
            || before.text_len[id] < MIN_ITEMS as u32 * MIN_ITEM_CHARS
            || dom.element(id as NodeId).is_none()
        {
            id += 1;
            continue;
        }
        let run = longest_run(dom, before, id as NodeId);
        if run.len() >= MIN_ITEMS
            && !shown_only_by_script(dom, id as NodeId, region)
            && !named_aside(dom, id as NodeId, run[0], region)
        {
            let before_chars: u32 = run.iter().map(|&c| before.text_len[c as usize]).sum();
            let kept_chars: u32 = run.iter().map(|&c| kept.text_len[c as usize]).sum();
            if before_chars >= MIN_ITEM_CHARS * run.len() as u32
                && kept_chars as f32 <= MAX_KEPT_SHARE * before_chars as f32
            {
                grids.push(id as NodeId);
                items.extend(run);
                // The items' subtrees are restored whole: nested grids need no second look.
                id = super::serialize::subtree_end(dom, id as NodeId) as usize;
                continue;
            }
        }
        id += 1;
    }
    if grids.is_empty() {
        return None;
    }
    let mut removed = kept.removed.clone();
    // The grids and the wrappers between them and the region show again, unless hidden.
    for &g in &grids {
        for up in dom.ancestors(g).take_while(|&up| up != region) {
            removed[up as usize] = false;
        }
    }
    for &item in &items {
        let stop = super::serialize::subtree_end(dom, item) as usize;
        for i in item as usize..stop {
            let p = dom.nodes[i].parent;
            removed[i] = before.removed[i]
                || (i != item as usize && p != NONE && removed[p as usize])
                || matches!(dom.nodes[i].data, NodeData::Element(_))
                    && (hidden_by_markup(dom, i as NodeId) || hidden_by_style(dom, i as NodeId));
        }
    }
    Some(measure(dom, removed))
}

#[cfg(test)]
mod tests {
    use super::super::listing::tests::listing;

    /// A category page: an introduction long enough to be read alone, then `tiles` in `wrap`.
    fn category(wrap: &str, tile_class: &str, tiles: usize) -> String {
        let intro = "The luminous allure of sterling silver is timeless: studs and drops for the \
                     day, long chandeliers for the evening. "
            .repeat(3);
        let tiles: String = (1..=tiles)
            .map(|i| {
                format!(
                    "<li class=\"{tile_class}\"><a href=\"/p/{i}\"><div class=\"product-name\">\
                     Offspring earrings model {i}</div><div class=\"price\">${i}90.00</div></a>\
                     </li>"
                )
            })
            .collect();
        format!(
            "<body><main><h1>Silver earrings</h1><p>{intro}</p>{}</main></body>",
            wrap.replace(
                "{}",
                &format!("<ul class=\"tiles-container hide-compare\">{tiles}</ul>")
            )
        )
    }

    #[test]
    fn a_grid_named_hide_compare_is_the_list() {
        let text = listing(&category("{}", "grid-tile", 12));
        assert!(text.contains("Offspring earrings model 12"), "{text}");
        assert!(text.contains("$1290.00"), "{text}");
        assert!(text.contains("Silver earrings"), "{text}");
    }

    #[test]
    fn few_tiles_menus_and_asides_stay_removed() {
        // Four alike blocks are a row of links or teasers, not a grid of the page's items.
        let text = listing(&category("{}", "grid-tile", 4));
        assert!(!text.contains("Offspring earrings model"), "{text}");
        // Entries of a menu, and a grid set aside in an `<aside>`, are not the items either.
        let text = listing(&category("{}", "menu-item", 12));
        assert!(!text.contains("Offspring earrings model"), "{text}");
        let text = listing(&category("<aside>{}</aside>", "grid-tile", 12));
        assert!(!text.contains("Offspring earrings model"), "{text}");
    }
}
