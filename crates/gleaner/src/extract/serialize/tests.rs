//! Unit tests of the serialiser, beside the module so that it stays under the file-size limit.

use super::link_lists::MAX_CARD_PAGE_CHARS;
use super::*;
use crate::extract::prune::analyse;
use crate::extract::{ExtractOptions, prune_options};

/// The serialiser's options with the two choices these tests vary; the others as on an
/// article.
fn options(keep_link_lists: bool, skip_forms: bool) -> SerializeOptions {
    SerializeOptions {
        include_lists: true,
        max_link_density: 0.5,
        keep_link_lists,
        keep_attribution: false,
        keep_link_cards: false,
        skip_forms,
    }
}

/// `html`'s body serialised with `ser` after the pruning pass with class hints, and the
/// body's text length as that pass measured it.
fn serialize_body(html: &str, ser: SerializeOptions) -> (String, u32) {
    let dom = Dom::parse(html);
    let a = analyse(&dom, prune_options(&ExtractOptions::default(), true, false));
    let body = dom.find_first(Tag::Body).unwrap_or(0);
    (serialize(&dom, &a, &[body], ser), a.text_len[body as usize])
}

fn text_of(html: &str) -> String {
    serialize_body(html, options(true, false)).0
}

#[test]
fn fields_in_spans_shown_as_blocks_stay_apart() {
    let text = text_of(
        "<body><div class=\"card\"><a href=\"/p/1\"><span class=\"brand\">Trek</span>\
         <span class=\"name\">Starvos WaveCel Bike Helmet</span></a><div><span>$99.99\
         </span><span>Price</span></div></div></body>",
    );
    assert!(text.contains("Trek Starvos WaveCel"), "{text}");
    assert!(text.contains("$99.99 Price"), "{text}");
}

#[test]
fn a_word_split_across_elements_stays_whole() {
    // Lower case after lower case, a quantity and its unit, sub- and superscripts.
    let text = text_of(
        "<body><p>The <b>un</b>likely Fe<sub>3</sub>O<sub>4</sub> dose of <span>31</span>\
         <span>g</span>.</p></body>",
    );
    assert!(text.contains("The unlikely Fe3O4 dose of 31g."), "{text}");
    // Decoy letters between UUIDs (stripped later on the product path) stay together.
    let text = text_of(
        "<body><p><span>S</span><span>f2f260c3-bf1f-466a-b856-6f031758a086</span>\
         <span>p</span><span>16207f0d-5442-4472-ad51-162a45a841c3</span><span>U</span>\
         </p></body>",
    );
    assert!(text.contains("a841c3U"), "{text}");
}

#[test]
fn forms_inside_the_text_go_when_asked() {
    let html = "<body><article><p>The county opened its third library branch on Monday, with a \
                reading room, a maker space and a garden that volunteers planted in spring.</p>\
                <form action=\"/quote\"><h3>Request a quote</h3><p>Tell us about your project \
                and we reply within a day.</p><input name=\"email\"><button>Send</button></form>\
                <p>The branch is open every day but Sunday.</p></article></body>";
    let (text, _) = serialize_body(html, options(false, true));
    assert!(!text.contains("Tell us about your project"), "{text}");
    assert!(text.contains("third library branch"), "{text}");
    assert!(text.contains("every day but Sunday"), "{text}");
    // A form holding most of the text is the page (ASP.NET's page-wide form).
    let page = "<body><form action=\"/\"><p>The county opened its third library branch on \
                Monday, with a reading room and a garden.</p><input name=\"q\"></form></body>";
    let (text, _) = serialize_body(page, options(false, true));
    assert!(text.contains("third library branch"), "{text}");
}

#[test]
fn link_headings_of_a_long_list_of_cards_stay() {
    // Over `MAX_CARD_PAGE_CHARS` of events, each a linked title and its description.
    let mut html = String::from("<body><ul class=\"events\">");
    for i in 0..40 {
        html.push_str(&format!(
            "<li><h2><a href=\"/events/{i}\">Security Summit {i}</a></h2><p>Two days of talks \
             on incident response, cloud security and hiring, with workshops in the afternoon \
             and a dinner for speakers.</p></li>"
        ));
    }
    html.push_str("</ul></body>");
    let (text, body_chars) = serialize_body(&html, options(false, false));
    assert!(body_chars > MAX_CARD_PAGE_CHARS);
    assert!(text.contains("Security Summit 7"), "{text}");
    assert!(text.contains("incident response"), "{text}");
}
