//! Disclosure widgets of business and landing pages: FAQ accordions and tab sets. Their
//! questions sit in `<button>` toggles and their answers in panels a script shows on click
//! (`class="accordion__panel--hidden"`, `class="collapse"`, `class="tab__content"`), so the
//! pruning pass would drop both as buttons and hidden text; readers of a service page mark them
//! as its content (WCXB dev, tuning part: about half the service-page lines gleaner missed sat
//! in such widgets). Only the service path keeps them (see `PruneOptions::keep_disclosures`).
//! On product pages a panel whose toggle says it holds the product's details stays too (see
//! [`is_product_detail_panel`]).
//! Widgets built from utility classes name nothing; their toggles are told by the heading they
//! hold (see [`is_heading_toggle`]).

use super::dom::{Dom, NONE, NodeData, NodeId};
use super::serialize::subtree_end;
use super::tag::Tag;

/// Class or id words of an accordion, FAQ or tab panel (ASCII case ignored, anywhere in the
/// value).
pub(super) const DISCLOSURE_NAMES: &[&str] = &[
    "accordion",
    "faq",
    "collaps",
    "tab-pane",
    "tab-content",
    "tab__content",
    "tabpanel",
];

/// Words that make a "collapse" a menu (Bootstrap `navbar-collapse`), never content.
pub(super) const MENU_NAMES: &[&str] = &["nav", "menu", "header", "footer", "cookie"];

/// Whether a class or id value holds a [`DISCLOSURE_NAMES`] word and no [`MENU_NAMES`] word
/// (ASCII case ignored): what the hint automaton computes for every node
/// ([`super::hints::node_flags`]), spelled out.
#[cfg(test)]
fn names_disclosure(value: &str) -> bool {
    use super::text::contains_ignore_ascii_case;
    DISCLOSURE_NAMES
        .iter()
        .any(|n| contains_ignore_ascii_case(value, n))
        && !MENU_NAMES
            .iter()
            .any(|n| contains_ignore_ascii_case(value, n))
}

/// Whether the element's class or id names an accordion, FAQ or tab panel, or a part of one:
/// a `<button>` so named (`accordion-button`, `faq-question`) is its toggle. The
/// `aria-expanded`/`aria-controls` pair of the WAI-ARIA pattern would say more of a toggle, but
/// the parser keeps no `aria-*` attributes. Read from the page's hint tables.
pub(crate) fn is_disclosure(dom: &Dom, id: NodeId) -> bool {
    dom.disclosures()[id as usize]
}

/// Words of a toggle or panel title that says its panel holds the product itself: its
/// description, specifications, measurements, materials and care (English, German, French,
/// Spanish, Italian, Dutch; compared lower-cased, word by word).
const PRODUCT_DETAIL_WORDS: &[&str] = &[
    "description",
    "details",
    "specifications",
    "specs",
    "features",
    "dimensions",
    "measurements",
    "materials",
    "material",
    "care",
    "composition",
    "ingredients",
    "beschreibung",
    "produktbeschreibung",
    "produktdetails",
    "eigenschaften",
    "abmessungen",
    "maße",
    "pflege",
    "merkmale",
    "détails",
    "caractéristiques",
    "matériaux",
    "matières",
    "entretien",
    "descripción",
    "detalles",
    "características",
    "especificaciones",
    "medidas",
    "materiales",
    "descrizione",
    "dettagli",
    "caratteristiche",
    "specifiche",
    "dimensioni",
    "materiali",
    "beschrijving",
    "specificaties",
    "afmetingen",
    "materiaal",
    "kenmerken",
];

/// Words that make a toggle's panel the shop's, not the product's, whatever else its label
/// says ("Shipping, returns & care", "Questions about the materials?").
const SHOP_PANEL_WORDS: &[&str] = &[
    "shipping",
    "delivery",
    "returns",
    "warranty",
    "reviews",
    "faq",
    "questions",
    "payment",
];

/// Longest label, in bytes, read as a toggle's: a panel's title is a few words.
const MAX_LABEL_BYTES: usize = 60;

/// Most nodes read of a label's subtree (a "label" holding a whole block is no label).
const MAX_LABEL_NODES: usize = 32;

/// The text of `id`'s subtree when it is short enough to be a toggle's label (style, script
/// and icon elements skipped: a CSS-in-JS button carries its `<style>`), else `None`.
fn short_label(dom: &Dom, id: NodeId) -> Option<String> {
    let mut label = String::new();
    let mut stack = vec![id];
    let mut visited = 0;
    while let Some(n) = stack.pop() {
        visited += 1;
        if visited > MAX_LABEL_NODES {
            return None;
        }
        match &dom.nodes[n as usize].data {
            NodeData::Text(t) => {
                label.push_str(t.as_str());
                label.push(' ');
                if label.len() > MAX_LABEL_BYTES + 32 {
                    return None;
                }
            }
            NodeData::Element(e) if matches!(e.tag, Tag::Style | Tag::Script | Tag::Svg) => {}
            _ => {
                let start = stack.len();
                stack.extend(dom.children(n));
                stack[start..].reverse();
            }
        }
    }
    let label = label.split_whitespace().collect::<Vec<_>>().join(" ");
    (!label.is_empty() && label.len() <= MAX_LABEL_BYTES).then_some(label)
}

/// Whether `label` names a panel of product details (see [`PRODUCT_DETAIL_WORDS`]).
fn labels_product_details(label: &str) -> bool {
    let lower = label.to_lowercase();
    let words = || {
        lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
    };
    words().any(|w| PRODUCT_DETAIL_WORDS.contains(&w))
        && !words().any(|w| SHOP_PANEL_WORDS.contains(&w))
}

/// Whether element `id` is a product's collapsed panel, modal or tab whose toggle says it holds
/// the product's details: its previous element sibling (the accordion's button, a card header)
/// or its first element child (a modal's or section's title heading) is a short label of
/// [`PRODUCT_DETAIL_WORDS`]. Shops put the description, specifications and measurements in
/// such panels, hidden by a style (`display:none` until clicked) or named `modal`, and readers
/// of the page mark them as its content. WCXB dev, tuning part, product path: product 0.7341 ->
/// 0.7435, four pages up (a fire pit's "Description" / "Dimensions & Materials" / "Safety, Care,
/// and Use" accordion 0.51 -> 0.93, a shelf's "Product details" and "Measurements" modals 0.41
/// -> 0.70), none down; the shop words of [`SHOP_PANEL_WORDS`] keep its "Shipping, Returns &
/// Warranty" panel out, which its gold leaves out too.
pub(crate) fn is_product_detail_panel(dom: &Dom, id: NodeId) -> bool {
    let first_child = dom.children(id).find(|&c| dom.element(c).is_some());
    if let Some(c) = first_child.filter(|&c| dom.tag(c).is_heading())
        && short_label(dom, c).is_some_and(|l| labels_product_details(&l))
    {
        return true;
    }
    previous_element(dom, id)
        .and_then(|p| short_label(dom, p))
        .is_some_and(|l| labels_product_details(&l))
}

/// The element before `id` among its parent's children (text between them skipped): the toggle
/// of a panel, for both the product-detail and the heading-toggle rules.
fn previous_element(dom: &Dom, id: NodeId) -> Option<NodeId> {
    let parent = dom.nodes[id as usize].parent;
    if parent == NONE {
        return None;
    }
    dom.children(parent)
        .take_while(|&c| c != id)
        .filter(|&c| dom.element(c).is_some())
        .last()
}

/// Nodes of a `<button>` searched for a heading: a toggle holds its question and an icon, a few
/// nodes; a button around a whole card is no toggle, and the bound keeps the walk short.
const TOGGLE_MAX_NODES: usize = 32;

/// Whether the element is a `<button>` holding a heading (`<button><h3>Who uses PWAs?</h3>
/// <svg/></button>`): an accordion toggle that names nothing, built with utility classes
/// (Tailwind, Radix). A command button ("Buy", "Subscribe") holds a label, never a heading,
/// so the heading says this is a section title a script made clickable. WCXB dev, tuning part:
/// service 0.8599 -> 0.8632 (the FAQs of a PWA agency and a hiring platform gained, a résumé
/// service's numbered steps, which its reader left out, lost), all 0.8967 -> 0.8970,
/// extraction-dev snippet F1 unchanged (0.9371; see the empty-panel rule in `prune::tag_pass`).
pub(crate) fn is_heading_toggle(dom: &Dom, id: NodeId) -> bool {
    if dom.tag(id) != Tag::Button {
        return false;
    }
    // The subtree's nodes are numbered in document order (see `serialize::subtree_end`): the
    // first `TOGGLE_MAX_NODES` after the button are its depth-first walk, with nothing allocated.
    (id + 1..subtree_end(dom, id))
        .take(TOGGLE_MAX_NODES)
        .any(|n| dom.tag(n).is_heading())
}

/// The panel a [`is_heading_toggle`] button opens: the first element after it among its
/// siblings, or after its parent when it has none (`<h2><button>…</button></h2><div>`, Radix).
pub(crate) fn heading_toggle_panel(dom: &Dom, button: NodeId) -> Option<NodeId> {
    let next_element = |id: NodeId| {
        let mut n = dom.nodes[id as usize].next_sibling;
        while n != NONE && !matches!(dom.nodes[n as usize].data, NodeData::Element(_)) {
            n = dom.nodes[n as usize].next_sibling;
        }
        (n != NONE).then_some(n)
    };
    next_element(button).or_else(|| {
        let parent = dom.nodes[button as usize].parent;
        (parent != NONE).then(|| next_element(parent)).flatten()
    })
}

/// Whether hidden element `id` is a collapsed panel that readers count as content, told by the
/// element before it among its siblings (found once for the three rules below):
///
/// - After an h2–h6, on any path: the answer of a heading's accordion (`<h3>Which oil for a
///   diffuser?</h3><div style="display:none">…</div>`), the question or section title a script
///   made clickable, so a hiding style or `hidden` on it says "collapsed", not "not content". A
///   panel a page hides for good (a menu, a modal, a mobile copy) follows a button, a link or a
///   wrapper, rarely its own sub-heading. FAQ answers and specification panels hide this way on
///   shops, landing pages and articles alike. WCXB dev, tuning part: product 0.7437 -> 0.7528 (a
///   chair's "Features" / "Product Dimensions" / "Details" panels 0.22 -> 0.70, a diffuser's FAQ
///   answers 0.64 -> 0.85), service 0.8659 -> 0.8664, all 0.8988 -> 0.8995; 8 pages changed, 4
///   up, 4 down by at most 0.035 (a listing's hover excerpt, a forum board's description).
/// - After an [`is_heading_toggle`] button, with `keep_disclosures`: the panel a script shows on
///   click (hidden until then, `class="hidden"`).
/// - After any other `<button>`, with `keep_disclosures`, when `mostly_prose` (its text is not
///   mostly links; asked only then): an accordion whose toggle holds its label as plain text
///   ("Learn fast"), not a heading, and whose classes name nothing ([`DISCLOSURE_NAMES`] miss
///   it); a menu's panel is links. WCXB dev, tuning part: service 0.8664 -> 0.8678 (a design
///   school's "Learn fast" / "Design your future" benefits 0.72 -> 0.89; a party-rental site's
///   hidden chat-assistant blurb 0.0113 down), all 0.8995 -> 0.8996, 2 pages changed. On every
///   path it cost product 0.0023 and documentation 0.0009 (a shop's "Free Shipping & Returns"
///   panel, a docs site's AI-assistant panel), so only the paths that keep disclosures have it.
pub(crate) fn is_collapsed_panel(
    dom: &Dom,
    id: NodeId,
    keep_disclosures: bool,
    mostly_prose: impl FnOnce() -> bool,
) -> bool {
    let Some(before) = previous_element(dom, id) else {
        return false;
    };
    match dom.tag(before) {
        Tag::H2 | Tag::H3 | Tag::H4 | Tag::H5 | Tag::H6 => true,
        Tag::Button => keep_disclosures && (is_heading_toggle(dom, before) || mostly_prose()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_element(html: &str, f: fn(&Dom, NodeId) -> bool) -> bool {
        let dom = Dom::parse(html);
        let id = (0..dom.nodes.len())
            .find(|&i| {
                dom.element(i as u32)
                    .is_some_and(|e| e.attr("id") == Some("t"))
            })
            .expect("marked element");
        f(&dom, id as NodeId)
    }

    #[test]
    fn hint_tables_agree_with_the_word_lists() {
        let values = [
            "cmp-accordion__panel--hidden",
            "FAQ-item",
            "navbar-collapse collapse",
            "Collapsible",
            "tab-pane fade",
            "tab__content",
            "site-header accordion",
            "tabpanel",
            "tab-panel",
            "faqnav",
            "btn",
            "",
        ];
        for v in values {
            for attr in ["class", "id"] {
                let html = format!(r#"<div {attr}="{v}">A</div>"#);
                let dom = Dom::parse(&html);
                assert_eq!(is_disclosure(&dom, 1), names_disclosure(v), "{attr}={v}");
            }
        }
        let dom = Dom::parse(r#"<div class="nav" id="faq">A</div><p class="faq" id="menu">B</p>"#);
        assert!(is_disclosure(&dom, 1) && is_disclosure(&dom, 3));
    }

    #[test]
    fn buttons_holding_a_heading_are_toggles() {
        let html = r#"<div><button id="t" type="button"><h5>Who uses PWAs?</h5><div></div></button><div class="hidden"><p>Many companies.</p></div></div>"#;
        assert!(first_element(html, is_heading_toggle));
        let dom = Dom::parse(html);
        let panel = (0..dom.nodes.len() as NodeId)
            .find(|&i| {
                dom.element(i)
                    .is_some_and(|e| e.attr("class") == Some("hidden"))
            })
            .expect("panel");
        // The toggle's panel, on a path that keeps disclosures, whatever its links.
        assert!(is_collapsed_panel(&dom, panel, true, || false));
        assert!(!is_collapsed_panel(&dom, panel, false, || true));
        assert!(!first_element(
            r#"<button id="t"><span>Subscribe</span></button><div class="hidden">x</div>"#,
            is_heading_toggle
        ));
    }

    /// [`is_collapsed_panel`] of the element with `id="t"` on a path without disclosures.
    fn answer_anywhere(dom: &Dom, id: NodeId) -> bool {
        is_collapsed_panel(dom, id, false, || false)
    }

    /// [`is_collapsed_panel`] of the element with `id="t"` on a path that keeps disclosures,
    /// the panel's text not mostly links.
    fn prose_panel_kept(dom: &Dom, id: NodeId) -> bool {
        is_collapsed_panel(dom, id, true, || true)
    }

    #[test]
    fn hidden_panels_after_a_sub_heading_are_answers() {
        assert!(first_element(
            r#"<div><h3>Which oil for a diffuser?</h3><div id="t" style="display:none">Lavender.</div></div>"#,
            answer_anywhere
        ));
        assert!(!first_element(
            r#"<div><h1>Diffuser</h1><div id="t" style="display:none">Menu</div></div>"#,
            answer_anywhere
        ));
        assert!(!first_element(
            r#"<div><a href="/m">Menu</a><div id="t" style="display:none">Home</div></div>"#,
            answer_anywhere
        ));
    }

    #[test]
    fn panels_after_a_button_are_found() {
        let panel = r#"<div><button>Learn fast</button><div id="t" style="display:none">Change careers in months.</div></div>"#;
        assert!(first_element(panel, prose_panel_kept));
        // Not on paths without disclosures, nor when its text is mostly links.
        assert!(!first_element(panel, answer_anywhere));
        assert!(!first_element(panel, |dom, id| {
            is_collapsed_panel(dom, id, true, || false)
        }));
        assert!(!first_element(
            r#"<div><span>Learn fast</span><div id="t" style="display:none">x</div></div>"#,
            prose_panel_kept
        ));
    }

    #[test]
    fn accordion_panels_and_toggles() {
        assert!(first_element(
            r#"<div id="t" class="cmp-accordion__panel--hidden">A</div>"#,
            is_disclosure
        ));
        assert!(first_element(
            r#"<button id="t" class="accordion-button">Q?</button>"#,
            is_disclosure
        ));
        assert!(!first_element(
            r#"<div id="t" class="navbar-collapse collapse">Menu</div>"#,
            is_disclosure
        ));
        assert!(!first_element(
            r#"<button id="t" class="btn">Buy</button>"#,
            is_disclosure
        ));
    }
}
