//! Which blocks inside the selected text are blocks of links to leave out (a menu, a teaser
//! list, a tag cloud) and which only look like one (a card's linked title over its description,
//! a list of references, documentation headings that link to themselves): the serialiser asks
//! [`is_link_list`] of every candidate block.

use super::{SerializeOptions, subtree_end};
use crate::extract::dom::{Dom, NONE, NodeData, NodeId};
use crate::extract::prune::Analysis;
use crate::extract::tag::{Attr, Tag};

fn is_link_list_candidate(tag: Tag) -> bool {
    use Tag::*;
    matches!(
        tag,
        Ul | Ol | Dl | Div | Section | Table | Header | Tbody | Tr | Li | P | Dd | Figure
    )
}

/// Whether an element is a block of links (a menu, a teaser list, a tag cloud) to skip.
/// A block holding at least half of the article's text is the article (a link roll, a list of
/// references), never a menu to skip.
pub(super) fn is_link_list(
    dom: &Dom,
    a: &Analysis,
    id: NodeId,
    opts: &SerializeOptions,
    total: u32,
) -> bool {
    let tag = dom.tag(id);
    let i = id as usize;
    if a.links[i] > 0 && short_link_block(dom, a, id) {
        if tag.is_heading()
            && (total < MAX_CARD_PAGE_CHARS || cards_hold_the_text(dom, a, id, total))
            && followed_by_prose(dom, a, id)
        {
            return false;
        }
        if opts.keep_attribution && holds_attribution(dom, id) {
            return false;
        }
        return !(tag.is_heading() && only_anchor_links(dom, id));
    }
    if matches!(tag, Tag::Ul | Tag::Ol | Tag::Dl) && introduced_by_colon(dom, id) {
        return false;
    }
    if !is_link_list_candidate(tag)
        || a.links[i] == 0
        || a.text_len[i] == 0
        || a.text_len[i] >= total / 2
    {
        return false;
    }
    let ld = a.link_density(id);
    if matches!(tag, Tag::P | Tag::Li | Tag::Dd) {
        // A paragraph that is one link (a cited URL) is content; several links and nothing else
        // is a list of links.
        return a.links[i] >= 2 && ld > 0.8;
    }
    ld > opts.max_link_density
        && !(opts.keep_link_cards && crate::extract::sections::links_read_as_cards(a, id))
}

/// Whether `id`'s (short) subtree holds a `<time>` element or an element named as an author
/// ([`crate::extract::hints::AUTHORS`]): on forums the poster's name links to their profile and the date
/// to the post itself, so the line saying who wrote a post and when is a short link block, yet
/// readers count it as part of the thread (WCXB dev, tuning part: the gold text of most forum
/// threads has a name and a date above every post).
pub(super) fn holds_attribution(dom: &Dom, id: NodeId) -> bool {
    let flags = dom.hint_flags();
    (id..subtree_end(dom, id)).any(|n| {
        dom.tag(n) == Tag::Time || flags[n as usize] & crate::extract::hints::bit::AUTHOR != 0
    })
}

/// Selected text (all roots) below which a page is an index of cards: a heading that is a
/// link, followed by a paragraph that describes the page it links to, is one entry of the
/// page's content (documentation overviews: "Choosing when your workflow runs" + its summary).
/// On longer pages the same shape is a teaser of another story below the article, and the
/// title goes (WCXB dev, tuning part: documentation 0.9364 -> 0.9391 and article 0.9522 ->
/// 0.9523 at 4,000; 1,000 and 2,000 gained less, no limit lost extraction-dev snippet F1).
pub(super) const MAX_CARD_PAGE_CHARS: u32 = 4000;

/// Whether the card of link heading `id` (its parent) holds at least half of the selected text
/// (the heading opens a section of the article itself), or the card is one of a run of cards
/// (another child of its parent has its tag and opens with a heading too) whose list (the
/// grandparent) holds at least half of it: the page is a list of such cards (an events
/// calendar, a resource library, an index of posts), not an article with a teaser of another
/// story below it. Lifts [`MAX_CARD_PAGE_CHARS`] on such pages. WCXB dev, tuning part: all
/// 0.8992 -> 0.8993 (article 0.9634 -> 0.9636, forum 0.8338 -> 0.8341; 20 pages changed, 17
/// up, 3 down by at most 0.002), extraction-dev snippet F1 unchanged (0.9402). Lifting the
/// limit on every page gained more on WCXB (0.8994) but kept teaser titles after two
/// extraction-dev articles (snippet F1 0.9402 -> 0.9399); without the run-of-cards test the
/// same 20 pages changed, and shares of 0.3 and 0.7 changed one page more or less.
fn cards_hold_the_text(dom: &Dom, a: &Analysis, id: NodeId, total: u32) -> bool {
    let card = dom.nodes[id as usize].parent;
    if card == NONE {
        return false;
    }
    if a.text_len[card as usize] * 2 >= total {
        return true;
    }
    let list = dom.nodes[card as usize].parent;
    list != NONE && a.text_len[list as usize] * 2 >= total && in_a_run_of_cards(dom, list, card)
}

/// Children of a list looked at for a second card (bounds the walk per link heading).
const MAX_CARD_SIBLINGS: usize = 64;

/// Whether another of the first [`MAX_CARD_SIBLINGS`] children of `list` has `card`'s tag and
/// opens with a heading.
fn in_a_run_of_cards(dom: &Dom, list: NodeId, card: NodeId) -> bool {
    let tag = dom.tag(card);
    dom.children(list)
        .filter(|&c| dom.element(c).is_some())
        .take(MAX_CARD_SIBLINGS)
        .any(|c| {
            c != card
                && dom.tag(c) == tag
                && dom
                    .children(c)
                    .find(|&k| dom.element(k).is_some())
                    .is_some_and(|k| dom.tag(k).is_heading())
        })
}

/// Shortest prose block after a link heading that makes the two a card.
const MIN_CARD_PROSE_CHARS: u32 = 40;

/// Whether the next element sibling of `id` is a block of prose (visible, mostly not links).
fn followed_by_prose(dom: &Dom, a: &Analysis, id: NodeId) -> bool {
    let mut n = dom.nodes[id as usize].next_sibling;
    while n != NONE && dom.element(n).is_none() {
        n = dom.nodes[n as usize].next_sibling;
    }
    n != NONE
        && !a.removed[n as usize]
        && a.text_len[n as usize] >= MIN_CARD_PROSE_CHARS
        && a.link_density(n) < 0.3
}

/// Most nodes looked at backwards from a list for the text that introduces it.
const MAX_INTRO_LOOKBACK: usize = 64;

/// Whether the text just before list `id`, inside its parent, ends with a colon ("Load data
/// into BigQuery using:", "The following options are available:"): the sentence announces the
/// list, so the list is part of the text even when every item is a link (WCXB dev, tuning part:
/// article 0.9518 -> 0.9522, documentation 0.9358 -> 0.9364, service 0.8328 -> 0.8332). Nodes
/// are numbered in document order, so the nodes between the parent and the list are the
/// earlier siblings and their descendants, the last text node among them the nearest text.
fn introduced_by_colon(dom: &Dom, id: NodeId) -> bool {
    let p = dom.nodes[id as usize].parent;
    if p == NONE {
        return false;
    }
    for n in (p + 1..id).rev().take(MAX_INTRO_LOOKBACK) {
        if let NodeData::Text(t) = &dom.nodes[n as usize].data {
            let t = t.as_str().trim_end();
            if !t.is_empty() {
                return t.ends_with(':');
            }
        }
    }
    false
}

/// Whether every link in `id`'s (short) subtree points into the page itself (`href="#…"`):
/// documentation headings are permalinks to themselves.
fn only_anchor_links(dom: &Dom, id: NodeId) -> bool {
    let end = subtree_end(dom, id);
    (id..end).all(|n| {
        dom.element(n).is_none_or(|e| {
            e.tag != Tag::A || e.get(Attr::Href).is_some_and(|h| h.starts_with('#'))
        })
    })
}

/// A short block that is mostly link text: a "read more" line, a teaser title, a back link.
/// trafilatura `htmlprocessing.py` `link_density_test`: paragraphs under 30 characters (60 when
/// last in their parent), other blocks under 100 (300 when last), link text over 80%.
fn short_link_block(dom: &Dom, a: &Analysis, id: NodeId) -> bool {
    let tag = dom.tag(id);
    let i = id as usize;
    let last = {
        let mut n = dom.nodes[i].next_sibling;
        while n != NONE && dom.element(n).is_none() {
            n = dom.nodes[n as usize].next_sibling;
        }
        n == NONE
    };
    let limit = match tag {
        Tag::P => {
            if last {
                60
            } else {
                30
            }
        }
        Tag::Div
        | Tag::Section
        | Tag::Ul
        | Tag::Ol
        | Tag::Dl
        | Tag::H1
        | Tag::H2
        | Tag::H3
        | Tag::H4
        | Tag::H5
        | Tag::H6 => {
            if last {
                300
            } else {
                100
            }
        }
        _ => return false,
    };
    a.text_len[i] < limit && a.link_len[i] as f32 > 0.8 * a.text_len[i] as f32
}
