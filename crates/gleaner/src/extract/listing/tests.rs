//! Unit tests of the listing path, beside the module so that it stays under the file-size limit.

use super::*;

/// The listing text of `html` read with the default options (also [`super::super::grid`]'s
/// tests).
pub(in crate::extract) fn listing(html: &str) -> String {
    let dom = Dom::parse(html);
    let opts = ExtractOptions::default();
    let a = analyse(&dom, prune_options(&opts, true, false));
    let body = dom.find_first(Tag::Body).unwrap_or(0);
    listing_text(&dom, &a, body, &opts).text
}

/// Twelve story teasers, each a linked heading and a line of summary.
fn teasers() -> String {
    (1..=12)
        .map(|i| {
            format!(
                "<article class=\"tease\"><h3><a href=\"/story/{i}\">Story number {i} of the \
                 day</a></h3><p><a href=\"/story/{i}\">Read the summary of story {i}</a></p>\
                 </article>"
            )
        })
        .collect()
}

#[test]
fn the_largest_main_is_the_region() {
    let html = format!(
        "<body><main><h2><a href=\"/top\">Featured: one story on top</a></h2></main>\
         <div><main>{}</main></div></body>",
        teasers()
    );
    let text = listing(&html);
    assert!(text.contains("Story number 12 of the day"), "{text}");
    // Only the largest `<main>` is read: the featured strip is a second copy of top stories.
    assert!(!text.contains("Featured"), "{text}");
    assert_eq!(main_region_of(&html), "main:2");
}

fn main_region_of(html: &str) -> String {
    let dom = Dom::parse(html);
    let a = analyse(&dom, prune_options(&ExtractOptions::default(), true, false));
    let body = dom.find_first(Tag::Body).unwrap_or(0);
    let region = main_region(&dom, &a, body);
    let nth = (0..=region).filter(|&id| dom.tag(id) == Tag::Main).count();
    format!("main:{nth}")
}

#[test]
fn a_list_inside_a_hinted_wrapper_is_read_without_hints() {
    // The theme names its layout `has-sidebar`: the class hints remove the whole list.
    let html = format!(
        "<body><main class=\"archive\"><h1>Archive</h1><div class=\"o-layout has-sidebar\">\
         {}</div></main></body>",
        teasers()
    );
    let text = listing(&html);
    assert!(text.contains("Story number 1 of the day"), "{text}");
    assert!(text.contains("Read the summary of story 12"), "{text}");
}

#[test]
fn a_short_list_beside_a_hinted_menu_stays_short() {
    // The hints remove a sidebar menu; the seven categories left are the list, and the
    // unhinted read (not four times longer) does not bring the menu back.
    let cats: String = (1..=7)
        .map(|i| format!("<li><a href=\"/c/{i}\">Category {i} (4{i})</a></li>"))
        .collect();
    let menu: String = (1..=7)
        .map(|i| format!("<li><a href=\"/m/{i}\">Menu entry {i}</a></li>"))
        .collect();
    let html = format!(
        "<body><main><h1>Gadgets</h1><ul>{cats}</ul><div class=\"sidebar\"><ul>{menu}\
         </ul></div></main></body>"
    );
    let text = listing(&html);
    assert!(text.contains("Category 7 (47)"), "{text}");
    assert!(!text.contains("Menu entry"), "{text}");
}

#[test]
fn the_filter_panel_is_not_the_list() {
    let cards: String = (1..=12)
        .map(|i| format!("<div class=\"card\"><a href=\"/p/{i}\">Wallet model {i}</a> $4{i}</div>"))
        .collect();
    let html = format!(
        "<body><main><h1>Wallets</h1><div class=\"plp-facets\"><h3>Colour</h3><ul>\
         <li>Black (12)</li><li>Brown (7)</li></ul></div><div id=\"filter_results\">{cards}\
         </div></main></body>"
    );
    let text = listing(&html);
    assert!(!text.contains("Brown (7)"), "{text}");
    // A wrapper named after the filters but holding the grid stays.
    assert!(text.contains("Wallet model 12"), "{text}");
}

#[test]
fn a_category_guide_below_the_grid_joins_it() {
    let cards: String = (1..=12)
        .map(|i| format!("<div class=\"card\"><a href=\"/p/{i}\">Grill model {i}</a> $4{i}</div>"))
        .collect();
    let guide =
        "Charcoal grills give food its smoky taste, and a lid turns one into an oven. ".repeat(20);
    let html = format!(
        "<body><main><h1>Charcoal grills</h1>{cards}</main><div class=\"wrap\"><h2>How to \
         choose a grill</h2><p>{guide}</p></div><div><p>Short note.</p></div></body>"
    );
    let text = listing(&html);
    assert!(text.contains("Grill model 12"), "{text}");
    assert!(text.contains("How to choose a grill"), "{text}");
    assert!(!text.contains("Short note"), "{text}");
}

#[test]
fn the_title_and_introduction_above_main_join_the_list() {
    let html = format!(
        "<body><div class=\"archive-description\"><h1>Air fryer recipes</h1><p>Quick \
         and healthy recipes, from breakfast to dinner.</p><p>Still looking for a fryer? \
         See <a href=\"/buy\">which one to buy</a>.</p></div><main>{}</main></body>",
        teasers()
    );
    let text = listing(&html);
    assert!(text.contains("Air fryer recipes"), "{text}");
    assert!(text.contains("Quick and healthy recipes"), "{text}");
    assert!(text.contains("Story number 12 of the day"), "{text}");
    // A title inside the region is the page's: the band above stays out.
    let html = format!(
        "<body><div><h1>Site name</h1><p>A site about food and more.</p></div><main>\
         <h1>Air fryer recipes</h1>{}</main></body>",
        teasers()
    );
    assert!(!listing(&html).contains("A site about food"));
}

#[test]
fn a_featured_strip_main_gives_way_to_its_section() {
    let html = format!(
        "<body><div class=\"topics-page\"><main><h2><a href=\"/top\">Featured: one story \
         on top</a></h2></main><section>{}</section></div></body>",
        teasers()
    );
    let text = listing(&html);
    assert!(text.contains("Featured"), "{text}");
    assert!(text.contains("Story number 12 of the day"), "{text}");
}

#[test]
fn a_card_names_its_item_once() {
    let mut text =
        "Dark Roast\nDark Roast\n$19.99\n$19.99\nSize\n\nBlend\n$19.99\nSize".to_string();
    edit_lines(&mut text, drop_lines_repeating_recent);
    assert_eq!(text, "Dark Roast\n$19.99\nSize\n\nBlend\n$19.99\nSize");
}

#[test]
fn a_label_on_every_card_is_not_an_item() {
    let cards: String = (1..=6)
        .map(|i| {
            format!(
                "<div class=\"card\"><h3><a href=\"/p/{i}\">Camera body model {i}</a></h3>\
                 <p>Weight:</p><p>0.{i} lbs</p><p>${i}99.00</p><label>Add to Compare</label>\
                 </div>"
            )
        })
        .collect();
    let html = format!("<body><main><h1>Mirrorless cameras</h1>{cards}</main></body>");
    let text = listing(&html);
    assert!(!text.contains("Add to Compare"), "{text}");
    // Names, prices and the labels of visible values stay.
    assert!(text.contains("Camera body model 6"), "{text}");
    assert!(text.contains("Weight:"), "{text}");
    assert!(text.contains("$699.00"), "{text}");
}

#[test]
fn a_label_on_four_cards_is_not_an_item() {
    let mut text = "Course one\nEnrol now\nCourse two\nEnrol now\nCourse three\nEnrol now\n\
                    Course four\nEnrol now"
        .to_string();
    edit_lines(&mut text, drop_card_labels);
    assert_eq!(text, "Course one\nCourse two\nCourse three\nCourse four");
}

#[test]
fn skip_links_are_not_items() {
    let html = format!(
        "<body><main><a href=\"#results\">Skip to search results</a><a href=\"#filters\">\
         Skip to filters</a><h1>Archive</h1><div id=\"results\">{}</div></main></body>",
        teasers()
    );
    let text = listing(&html);
    assert!(!text.contains("Skip to"), "{text}");
    assert!(text.contains("Story number 12 of the day"), "{text}");
}

#[test]
fn a_likely_list_goes_down_the_listing_path() {
    // Article, collection, listing; the rest of the probability on service pages.
    let p = |article: f32, collection: f32, listing: f32| {
        let mut p = [0.0; 7];
        p[0] = article;
        p[3] = collection;
        p[4] = listing;
        p[6] = 1.0 - article - listing - collection;
        p
    };
    // Service is the likeliest single type, but the two list types together are likely.
    assert!(reads_as_list(&p(0.2, 0.15, 0.22)));
    assert!(!reads_as_list(&p(0.1, 0.1, 0.1)));
    // The Wikipedia article that a list route spoilt: the article type is about as likely.
    assert!(!reads_as_list(&p(0.29, 0.1, 0.29)));
}
