//! Unit tests of pruning, kept beside the module so the pruning passes stay under the file-size
//! limit.

use super::*;
use crate::extract::{ExtractOptions, prune_options};

/// Whether the text node containing `needle` is kept by a pruning pass with `opts`.
fn kept_by(opts: PruneOptions, html: &str, needle: &str) -> bool {
    let dom = Dom::parse(html);
    let a = analyse(&dom, opts);
    let id = dom
        .nodes
        .iter()
        .position(|n| matches!(&n.data, NodeData::Text(t) if t.as_str().contains(needle)))
        .expect("needle in page");
    !a.removed[id]
}

/// Whether the text node containing `needle` is kept by the pruning pass with class hints.
fn kept(html: &str, needle: &str) -> bool {
    kept_by(
        prune_options(&ExtractOptions::default(), true, false),
        html,
        needle,
    )
}

/// Whether the text node containing `needle` is kept by the product path's pruning pass.
fn kept_on_product_page(html: &str, needle: &str) -> bool {
    let opts = PruneOptions {
        shop_hints: true,
        ..prune_options(&ExtractOptions::default(), true, false)
    };
    kept_by(opts, html, needle)
}

/// Whether the text node containing `needle` is kept by the service path's pruning pass
/// (disclosures kept).
fn kept_on_service_path(html: &str, needle: &str) -> bool {
    let opts = PruneOptions {
        keep_disclosures: true,
        ..prune_options(&ExtractOptions::default(), true, false)
    };
    kept_by(opts, html, needle)
}

#[test]
fn long_comment_sections_beside_the_title_go() {
    let comment = "<li><h4>Reader</h4><p>I do not agree with this column at all, and I \
            have said so many times before, but nobody listens to readers here.</p></li>";
    let html = format!(
        "<body><article><h1>Column</h1><p>The column itself, short but the story.</p>\
             </article><div class=\"sect_commentlinks\"><ul>{}</ul></div></body>",
        comment.repeat(6)
    );
    assert!(kept(&html, "The column itself"));
    assert!(!kept(&html, "I do not agree"));
    // A wrapper named for comments around the whole article stays: it holds the title.
    let wrapped = format!(
        "<body><div class=\"comments-open\"><h1>Column</h1><p>The column itself.</p>\
             <ul>{}</ul></div></body>",
        comment.repeat(6)
    );
    assert!(kept(&wrapped, "The column itself"));
}

#[test]
fn calls_to_action_boxes_go() {
    let html = "<body><article><h1>Yoga prices</h1><p>What a yoga class costs, and why, \
            city by city.</p><div class=\"post-cta\"><p>Start your 14-day free trial \
            today!</p></div><div class=\"ctaBlock\"><p>Book a demo</p></div></article></body>";
    assert!(kept(html, "What a yoga class costs"));
    assert!(!kept(html, "Start your 14-day"));
    assert!(!kept(html, "Book a demo"));
}

#[test]
fn teaser_cards_go() {
    let html = "<body><article class=\"node--type-article\"><h1>Fur</h1><p>The story \
            about fur labels, with its facts.</p><div class=\"more\"><article \
            class=\"node node--view-mode-teaser\"><p>Another story about pets.</p></article>\
            </div></article></body>";
    assert!(kept(html, "The story"));
    assert!(!kept(html, "Another story"));
}

#[test]
fn shop_widgets_go_without_class_hints_too() {
    let dom = Dom::parse(
        r#"<body><main><h1>Arrival T-Shirt</h1><p>Slim fit, $22</p>
            <p>The Arrival T-Shirt is your admission to a new, purposeful approach to training,
            with sweat-wicking technology and a lightweight material.</p>
            <section class="pdp-reviews"><p>Wrong product. I got training pants instead of a
            shirt, two stars for effort.</p></section></main></body>"#,
    );
    let review = (0..dom.nodes.len() as NodeId)
        .find(|&id| dom.element(id).and_then(|e| e.attr("class")) == Some("pdp-reviews"))
        .expect("reviews");
    let unhinted = PruneOptions {
        shop_hints: false,
        class_hints: false,
        include_comments: false,
        include_tables: true,
        keep_authors: false,
        keep_disclosures: false,
        service_page: false,
    };
    assert!(!analyse(&dom, unhinted).removed[review as usize]);
    let shop = PruneOptions {
        shop_hints: true,
        ..unhinted
    };
    assert!(analyse(&dom, shop).removed[review as usize]);
}

#[test]
fn highlighted_code_comments_stay() {
    let html = concat!(
        "<article><p>A short guide to the commands you need every day with git.</p>",
        "<pre><code><span class=\"hljs-comment\"># view the state of the repo</span>\n",
        "git status</code></pre></article>",
        "<div class=\"comments\"><p>Great post, thanks for sharing it!</p></div>",
    );
    assert!(kept(html, "view the state"));
    assert!(!kept(html, "Great post"));
}

#[test]
fn hiding_styles_are_found_through_blanks_and_case() {
    let styles = [
        ("display:none", true),
        ("color: red; DISPLAY : None !important", true),
        ("visibility:\thidden", true),
        ("Visibility: Hid den", true),
        ("display:block; visibility:visible", false),
        ("display:non", false),
        ("isplay:none", false),
        ("display:nonE; x", true),
        ("width:10px", false),
        ("dísplay:none", false),
        ("visibility:hidden;\u{a0}", true),
    ];
    for (style, hidden) in styles {
        let html = format!(r#"<div style="{style}">x</div>"#);
        let dom = Dom::parse(&html);
        assert_eq!(hidden_by_style(&dom, 1), hidden, "{style}");
    }
}

#[test]
fn consent_blockers_of_embeds_go() {
    let html = "<body><article><h1>Radtour</h1><p>Die Tour beginnt am Bahnhof Karlshorst und \
            führt am Tierpark vorbei.</p><div class=\"BorlabsCookie\"><div \
            class=\"_brlbs-content-blocker\"><p>Klicken Sie auf den unteren Button, um den \
            Inhalt von Google Maps zu laden.</p></div></div></article></body>";
    assert!(kept(html, "Die Tour beginnt"));
    assert!(!kept(html, "Klicken Sie"));
}

#[test]
fn product_detail_panels_stay_on_product_pages() {
    let page = |panels: &str| {
        format!(
            r#"<body><main><h1>KALLAX Shelf unit</h1><p>$79.99</p><p>A simple shelving unit
            with clean lines, to stand or to lie down.</p>{panels}</main></body>"#
        )
    };
    // A modal titled "Product details", its parts named after it.
    let modal = page(
        r#"<div class="pipf-product-details-modal"><h2>Product details</h2>
        <p class="pipf-product-details-modal__paragraph">Designer: Tord Björklund</p></div>"#,
    );
    assert!(kept_on_product_page(&modal, "Tord"));
    // An accordion panel hidden until its button is clicked.
    let accordion = page(
        r#"<div class="accordion__item"><button><style>.x{color:red}</style><span>Dimensions
        &amp; Materials</span></button><div style="display:none">Height: 39 cm</div></div>
        <div class="accordion__item"><button>Shipping, Returns &amp; Warranty</button>
        <div style="display:none">Free shipping over 125 EUR</div></div>"#,
    );
    assert!(kept_on_product_page(&accordion, "Height"));
    assert!(!kept_on_product_page(&accordion, "Free shipping"));
    // Other modals still go.
    let newsletter =
        page(r#"<div class="modal"><h2>Get 15% off</h2><p>Enter your email</p></div>"#);
    assert!(!kept_on_product_page(&newsletter, "Enter your email"));
}

#[test]
fn unnamed_accordions_stay_on_service_pages() {
    let faq = r#"<body><main><h1>PWA development</h1><p>We build progressive web apps.</p>
        <div class="flex flex-col"><button type="button"><h5>Who uses PWAs?</h5><div></div></button>
        <div class="text-sm hidden"><p>Pinterest, Spotify and Starbucks.</p></div></div>
        <button type="button"><span>Subscribe</span></button></main></body>"#;
    assert!(kept_on_service_path(faq, "Who uses PWAs?"));
    assert!(kept_on_service_path(faq, "Pinterest, Spotify"));
    assert!(!kept_on_service_path(faq, "Subscribe"));
    assert!(!kept(faq, "Who uses PWAs?"));
    // A toggle over a table of contents titles nothing once the menu is gone.
    let toc = r#"<body><main><p>Vaccination sites are listed online.</p><div>
        <button type="button"><h2>Inhalt</h2></button><div><nav><ul><li><a href="/a">A</a></li>
        </ul></nav></div></div></main></body>"#;
    assert!(!kept_on_service_path(toc, "Inhalt"));
}

#[test]
fn hidden_answers_under_a_sub_heading_stay() {
    let faq = r#"<body><main><h1>Flame diffuser</h1><p>A diffuser with a flame effect, for
        essential oils, in acrylic and bamboo.</p><div class="faq"><h3>Which essential oil to
        use?</h3><div class="content" style="display:none"><p>Lavender to relax, mint to wake
        up.</p></div></div><div><a href="/menu">Menu</a><div style="display:none">Home
        Shop</div></div></main></body>"#;
    assert!(kept(faq, "Lavender to relax"));
    assert!(!kept(faq, "Home"));
}

#[test]
fn prose_panels_of_plain_buttons_stay_on_service_pages() {
    let page = r#"<body><main><h1>Graphic design course</h1><p>Learn graphic design online,
        part-time or full-time, taught by working designers.</p><div><button>Learn fast</button>
        <div style="display:none"><p>Build the skills you need to change careers in months.</p>
        </div></div><div><button>Menu</button><div style="display:none"><a href="/a">Courses</a>
        <a href="/b">Pricing</a></div></div></main></body>"#;
    assert!(kept_on_service_path(page, "change careers"));
    assert!(!kept_on_service_path(page, "Courses"));
    assert!(!kept(page, "change careers"));
}
