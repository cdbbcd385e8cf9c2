//! Business and landing pages: names that mark boilerplate on a news page name a landing page's
//! own sections. A hero or promotion block is a `banner` (`hero-banner`, `promotional-banner`,
//! `profile-banner`), a customer-stories block a `community`, and the strip of labels over a
//! tab set a `tabs-menu`; readers of a service page mark them as its content (WCXB dev, tuning
//! part: 1,157 of the 1,668 gold lines missing from service pages were removed by the pruning
//! pass, most by their class names). On pages that keep their disclosures
//! (`PruneOptions::keep_disclosures`: the service path, and articles the page-type model gives
//! some chance of being a service page) such names no longer remove an element.

use super::dom::{Dom, Element, NodeId};
use super::hints::{CLASS_HINTS, bit};
use super::prune::Analysis;
use super::serialize::subtree_end;
use super::tag::Attr;

/// Whether a name still reads as boilerplate (an unlikely or comment name that no likely-content
/// name tempers) once the names of a landing page's sections are taken out of it (ASCII case
/// ignored): `banner` when the element holds a heading (a hero, not the "official website"
/// strip of a government site or a sale notice: without this test a news page of a US agency
/// kept that strip, article 0.9567 -> 0.9564) or the page is read as a service page
/// (`service_page`: a promotion or announcement banner there is part of the pitch; WCXB dev,
/// tuning part: service 0.8662 -> 0.8683, 7 pages up, 1 down by 0.003; on the articles that keep
/// their disclosures too it brought back that agency's strip, -0.15), `cta` on service pages
/// (a call to action, "Work with the #1 rated resume service", is the pitch itself there; the
/// hint stays on articles, where such boxes are sign-up appeals: service 0.8683 -> 0.8711,
/// listing 0.7989 -> 0.8002, 10 pages up, 5 down by at most 0.010; with articles that keep
/// their disclosures too, service fell to 0.8645), `community` always, `menu` when the name
/// also says `tab`.
fn still_boilerplate(value: &str, service_page: bool, holds_heading: &dyn Fn() -> bool) -> bool {
    // The tests read the name as written; only `v` is masked.
    let lower = value.to_ascii_lowercase();
    let mut v = lower.clone();
    let mut mask = |word: &str| {
        if v.contains(word) {
            v = v.replace(word, &"_".repeat(word.len()));
        }
    };
    if lower.contains("banner") && (service_page || holds_heading()) {
        mask("banner");
    }
    if service_page {
        mask("cta");
    }
    mask("community");
    if lower.contains("tab") {
        mask("menu");
    }
    let f = CLASS_HINTS.flags(&v);
    f & (bit::UNLIKELY | bit::COMMENT) != 0 && f & bit::MAYBE == 0
}

/// Whether element `id` (`e`), which its class or id names would remove, is a section of a
/// landing page instead: neither its class nor its id reads as boilerplate once the section
/// names are taken out (see [`still_boilerplate`]; `service_page`: the page is read as a
/// service page).
pub(crate) fn spares_section(dom: &Dom, id: NodeId, e: &Element, service_page: bool) -> bool {
    let holds_heading = || (id..subtree_end(dom, id)).any(|n| dom.tag(n).is_heading());
    !e.get(Attr::Class)
        .is_some_and(|v| still_boilerplate(v, service_page, &holds_heading))
        && !e
            .get(Attr::Id)
            .is_some_and(|v| still_boilerplate(v, service_page, &holds_heading))
}

/// Fewest characters of link text per link, on average, for a link-dense block to read as a
/// row of cards (see [`links_read_as_cards`]). WCXB dev, tuning part, kept on service-like pages
/// (the service path, and articles that keep their disclosures), swept 10-150: at 25 token F1
/// 0.8830 -> 0.8840 with no type losing (service 0.8560 -> 0.8595, listing 0.7472 -> 0.7495,
/// documentation 0.9431 -> 0.9447, collection 0.7165 -> 0.7183) and extraction-dev snippet F1
/// 0.9284 -> 0.9285; 15 gained more on WCXB (0.8843) but lost extraction-dev (0.9281), and every
/// article page at 20 lost it more (0.9256). Keeping all link lists there instead won 0709's
/// service tiles but kept mega-menus (service 0.8537 -> 0.8580 with pages losing up to 0.20,
/// extraction-dev 0.9281).
const MIN_CARD_LINK_CHARS: u32 = 25;

/// Whether the links of link-dense block `id` read as cards, each a title with its description
/// inside one link (a landing page's service and feature tiles, "read the full story" teasers of
/// its case studies), where a menu's and a footer's links are a word or two: on average at least
/// [`MIN_CARD_LINK_CHARS`] characters of text per link.
pub(crate) fn links_read_as_cards(a: &Analysis, id: NodeId) -> bool {
    let i = id as usize;
    a.links[i] > 0 && a.link_len[i] >= a.links[i].saturating_mul(MIN_CARD_LINK_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the first element with a class in `html` is spared (on an article that keeps its
    /// disclosures).
    fn spared(html: &str) -> bool {
        spared_on(html, false)
    }

    /// [`spared`], `service_page` telling whether the page is read as a service page.
    fn spared_on(html: &str, service_page: bool) -> bool {
        let dom = Dom::parse(html);
        let id = (0..dom.nodes.len() as NodeId)
            .find(|&i| dom.element(i).is_some_and(|e| e.attr("class").is_some()))
            .expect("element with a class");
        spares_section(&dom, id, dom.element(id).expect("element"), service_page)
    }

    #[test]
    fn banners_without_a_heading_and_calls_to_action_are_sections_of_service_pages_only() {
        let banner = r#"<div class="promo-banner"><p>Book a free inspection this month.</p></div>"#;
        assert!(spared_on(banner, true));
        assert!(!spared_on(banner, false));
        assert!(!spared_on(
            r#"<div class="cookie-banner"><p>We use cookies.</p></div>"#,
            true
        ));
        let call = r#"<div class="home-cta"><h2>Work with the top rated resume service</h2></div>"#;
        assert!(spared_on(call, true));
        assert!(!spared_on(call, false));
    }

    #[test]
    fn hero_banners_and_tab_strips_are_sections() {
        assert!(spared(
            r#"<div class="hero-banner"><h1>Pest control</h1><p>We come.</p></div>"#
        ));
        assert!(spared(
            r#"<div class="faq_tabs-menu"><a>Plans</a><a>Billing</a></div>"#
        ));
        assert!(spared(
            r#"<section class="community-section"><p>Ann</p></section>"#
        ));
    }

    #[test]
    fn cards_hold_more_than_a_word_per_link() {
        let dom = Dom::parse(
            r#"<div id="cards"><a href="/a"><h3>Audit</h3><p>External audits that help you see risk.</p></a>
            <a href="/b"><h3>Tax</h3><p>Direct and indirect tax advice for growing firms.</p></a></div>
            <ul id="menu"><li><a href="/">Home</a></li><li><a href="/c">Contact us</a></li></ul>"#,
        );
        let a = crate::extract::prune::measure(&dom, vec![false; dom.nodes.len()]);
        let find = |name: &str| {
            (0..dom.nodes.len() as NodeId)
                .find(|&i| dom.element(i).is_some_and(|e| e.attr("id") == Some(name)))
                .expect("element")
        };
        assert!(links_read_as_cards(&a, find("cards")));
        assert!(!links_read_as_cards(&a, find("menu")));
    }

    #[test]
    fn other_boilerplate_stays() {
        assert!(!spared(
            r#"<div class="usa-banner"><p>An official website</p></div>"#
        ));
        assert!(!spared(
            r#"<div class="cookie-banner"><h2>Cookies</h2><p>We use</p></div>"#
        ));
        assert!(!spared(r#"<div class="site-menu"><a>Home</a></div>"#));
        assert!(!spared(
            r#"<div class="hero-banner" id="sidebar"><h1>Hi</h1></div>"#
        ));
    }
}
