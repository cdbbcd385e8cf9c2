//! Disclosure widgets of business and landing pages: FAQ accordions and tab sets. Their
//! questions sit in `<button>` toggles and their answers in panels a script shows on click
//! (`class="accordion__panel--hidden"`, `class="collapse"`, `class="tab__content"`), so the
//! pruning pass would drop both as buttons and hidden text; readers of a service page mark them
//! as its content (WCXB dev, tuning part: about half the service-page lines gleaner missed sat
//! in such widgets). Only the service path keeps them (see `PruneOptions::keep_disclosures`).

use super::dom::{Dom, NodeId};

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
