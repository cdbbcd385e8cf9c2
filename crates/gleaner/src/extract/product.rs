//! Product pages: the container choice and text clean-up specific to shops.

use super::PageType;
use super::dom::{Dom, NodeId};
use super::prune::Analysis;
use super::text::Lines;

/// Widening climbs through ancestors with at most this link density: a product column carries
/// links (tags, the publisher, "visit the website"), the page layout with its menus more.
const PAGE_MAX_LINK_DENSITY: f32 = 0.5;
/// An ancestor replaces the chosen container when its text outside links is at least this many
/// times the container's.
///
/// Scoring picks the block with the most prose on a shop page, often the description alone
/// ("About this game"), while readers mark the whole product column: the name, the price, the
/// specifications, the system requirements below it. WCXB dev, tuning part, product pages:
/// 0.7019 -> 0.7134 (six pages up, 0.38 -> 0.63 the most, none down); growth 1.2 / 1.3 gave
/// 0.7119 / 0.7116 (one page down 0.85 -> 0.74), 1.5 0.7073; link density 0.4-0.6 the same,
/// 0.3 0.7057-0.7101, 0.2 0.7057-0.7081.
const PAGE_MIN_GROWTH: f32 = 1.4;

/// The chosen subtrees `roots` of a product page widened to the ancestor that holds the
/// product column (see [`PAGE_MIN_GROWTH`]).
pub(super) fn widen_to_page(
    dom: &Dom,
    a: &Analysis,
    root: NodeId,
    roots: Vec<NodeId>,
) -> Vec<NodeId> {
    super::forum::widen(dom, a, root, roots, PAGE_MAX_LINK_DENSITY, PAGE_MIN_GROWTH)
}

/// A page typed collection goes down the product path when the model gives a product page at
/// least this probability ...
///
/// Shop pages of one product with a grid of others (colours, "complete the look", related
/// items) look like category pages to the page-type model, and the listing path then keeps the
/// grid and the customer reviews. Category pages the model hesitates over gain from the
/// product path too: their gold is the category's introduction and its product names, which the
/// product column holds, without the filters and sort controls. WCXB dev, tuning part, every
/// page forced down the product path, pages typed collection swapped in (product, collection,
/// listing gold sums of F1 changes): 0.25 and half [`PRODUCT_ROUTE_MIN_SHARE_OF_COLLECTION`]
/// +0.18 / +0.95 / -0.08 over 10 pages; 0.2 +0.18 / +0.74 / -0.08; 0.3 +0.09 / +0.92 / -0.08;
/// 0.1 +0.18 / +0.77 / -0.08; a share of 0.3 instead of 0.5 -0.77 collection at 0.2, 0.7 left
/// the product pages out.
const PRODUCT_ROUTE_MIN_PROBABILITY: f32 = 0.25;
/// ... and at least this share of the collection type's probability.
const PRODUCT_ROUTE_MIN_SHARE_OF_COLLECTION: f32 = 0.5;

/// Whether a page the model types `predicted`, with type probabilities `p` (in
/// [`PageType::ALL`] order), goes down the product path although typed collection (see
/// [`PRODUCT_ROUTE_MIN_PROBABILITY`]).
pub(super) fn collection_reads_as_product(predicted: PageType, p: &[f32; 7]) -> bool {
    let product = PageType::Product.probability_in(p);
    predicted == PageType::Collection
        && product >= PRODUCT_ROUTE_MIN_PROBABILITY
        && product >= PRODUCT_ROUTE_MIN_SHARE_OF_COLLECTION * PageType::Collection.probability_in(p)
}

/// Below this share of its words found in the main text, a product's declared description
/// counts as missing from it (see [`add_declared_description`]).
const DECLARED_DESCRIPTION_MAX_FOUND: f32 = 0.5;

/// Appends the description the shop declares for its product in JSON-LD when the main text is
/// shorter than it and holds less than half its words: shops that render the product's
/// description by script carry it for search engines in JSON-LD only, and the page's HTML then
/// holds the buy box and little else. WCXB dev, tuning part, product path: a sportswear page
/// 0.16 -> 0.79 (its gold is the title and that description); with the length test left out a
/// furniture page whose declared description is not its gold fell 0.56 -> 0.48 (simulated on
/// the outputs); every share from 0.2 to 0.5 gave the same pages.
pub fn add_declared_description(text: &mut String, declared: Option<&str>) {
    let Some(declared) = declared else {
        return;
    };
    if declared.len() <= text.len() {
        return;
    }
    let words_of = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let shown: rustc_hash::FxHashSet<String> = words_of(text).into_iter().collect();
    let words = words_of(declared);
    let found = words.iter().filter(|w| shown.contains(*w)).count();
    if words.is_empty() || found as f32 >= DECLARED_DESCRIPTION_MAX_FOUND * words.len() as f32 {
        return;
    }
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(declared);
}

/// Whether `s` starts with a UUID (8-4-4-4-12 hexadecimal digits).
fn uuid_at(s: &[u8]) -> bool {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let mut i = 0;
    for (g, &len) in GROUPS.iter().enumerate() {
        if g > 0 {
            if s.get(i) != Some(&b'-') {
                return false;
            }
            i += 1;
        }
        for _ in 0..len {
            if !s.get(i).is_some_and(u8::is_ascii_hexdigit) {
                return false;
            }
            i += 1;
        }
    }
    true
}

/// Length in bytes of a UUID.
const UUID_LEN: usize = 36;

/// Removes UUIDs from `text`. Marketplaces defeat scrapers by interleaving the letters of a
/// block ("Sponsored") with spans holding random UUIDs that a stylesheet hides; no reader ever
/// sees one, and a product's description never holds one (WCXB dev, tuning part: product pages
/// of one marketplace carried up to 2 kB of them, more than their whole gold text).
pub fn strip_uuids(text: &mut String) {
    let b = text.as_bytes();
    if !(0..b.len().saturating_sub(UUID_LEN - 1)).any(|i| uuid_at(&b[i..])) {
        return;
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut kept = 0;
    while i + UUID_LEN <= b.len() {
        if uuid_at(&b[i..]) {
            out.push_str(&text[kept..i]);
            i += UUID_LEN;
            kept = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[kept..]);
    *text = out;
}

/// Whether `line` is a template field's machine name shown as a label ("retail_price_tier1:",
/// "cat_thumb_Kiwi:"): letters and digits joined by underscores, then a colon. Shop themes that
/// print a product's custom fields as a `<dt>`/`<dd>` list show these raw keys; no reader-facing
/// label is written that way. Keys made from a human label carry its spaces and a counter after
/// a hyphen ("cat_thumb_Petrol Blue:", "tab_Shipping and Returns:", "shipping_chunk-1:"): the
/// first word must then hold the underscore. WCXB dev, tuning part: the same shop's other product
/// page printed 680 tokens of such keys and values under its 91 gold tokens, 0.21 -> 0.42 (product
/// 0.7205 -> 0.7232); no other page changes.
fn is_field_key_label(line: &str) -> bool {
    let Some(key) = line.trim().strip_suffix(':') else {
        return false;
    };
    let (name, label) = key.split_once(' ').unwrap_or((key, ""));
    name.contains('_')
        && !name.starts_with('_')
        && !name.ends_with('_')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
}

/// Removes shop custom-field lists printed with their machine names: each key line (see
/// [`is_field_key_label`]) and the value line after it. On WCXB dev's tuning part one shop
/// printed 1,700 tokens of such fields (price tiers, thumbnail addresses, shipping blurbs)
/// under a 90-token description, and the gold keeps none of them.
pub fn strip_field_key_lists(lines: &mut Lines<'_>) {
    let mut skip_value = false;
    lines.retain(|_, line| {
        if is_field_key_label(line) {
            skip_value = true;
            return false;
        }
        !std::mem::take(&mut skip_value)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::text::edit_lines;

    /// Probabilities in [`PageType::ALL`] order with the product and collection types set.
    fn p(product: f32, collection: f32) -> [f32; 7] {
        let rest = (1.0 - product - collection) / 5.0;
        [rest, rest, product, collection, rest, rest, rest]
    }

    #[test]
    fn collections_that_may_be_one_product_take_the_product_path() {
        // A dress page with its "complete the look" grid (0.38 product, 0.54 collection).
        assert!(collection_reads_as_product(
            PageType::Collection,
            &p(0.38, 0.54)
        ));
        // A category grid the model is sure of.
        assert!(!collection_reads_as_product(
            PageType::Collection,
            &p(0.2, 0.6)
        ));
        assert!(!collection_reads_as_product(
            PageType::Collection,
            &p(0.27, 0.6)
        ));
        // Other types keep their paths.
        assert!(!collection_reads_as_product(
            PageType::Article,
            &p(0.3, 0.2)
        ));
    }

    #[test]
    fn a_declared_description_missing_from_the_text_is_added() {
        let declared = "REDEFINING YOUR POTENTIAL\nThe Arrival T-Shirt is your admission to a new, \
                        purposeful approach to training, with sweat-wicking technology.";
        let mut shell = String::from("Arrival T-Shirt\n$22\nxs\ns\nm");
        add_declared_description(&mut shell, Some(declared));
        assert_eq!(shell, format!("Arrival T-Shirt\n$22\nxs\ns\nm\n{declared}"));
        // Already shown, or a long page beside a short declared summary: unchanged.
        let mut shown = format!("Arrival T-Shirt\n{declared}\n$22");
        add_declared_description(&mut shown, Some(declared));
        assert_eq!(shown, format!("Arrival T-Shirt\n{declared}\n$22"));
        let long = "Atelier Sofa. ".repeat(20);
        let mut page = long.clone();
        add_declared_description(&mut page, Some("A sofa made for long evenings."));
        assert_eq!(page, long);
    }

    #[test]
    fn field_key_lists_go_with_their_values() {
        let mut t = String::from(
            "Staple Tee\nretail_price_tier1:\n$20.00_1-9 items\ncat_thumb_Kiwi:\nhttps://x/y.jpg\nFabric:\nCotton",
        );
        edit_lines(&mut t, strip_field_key_lists);
        assert_eq!(t, "Staple Tee\nFabric:\nCotton");
        let mut labelled = String::from(
            "Staple Tee\ncat_thumb_Petrol Blue:\nhttps://x/p.jpg\ntab_Shipping and Returns:\nTRUE\nshipping_chunk-1:\nWe ship nationwide.\nColour:\nPetrol Blue",
        );
        edit_lines(&mut labelled, strip_field_key_lists);
        assert_eq!(labelled, "Staple Tee\nColour:\nPetrol Blue");
        let mut plain = String::from("Size: M\n_private:\nkept\nCare & use:\nkept");
        edit_lines(&mut plain, strip_field_key_lists);
        assert_eq!(plain, "Size: M\n_private:\nkept\nCare & use:\nkept");
    }

    #[test]
    fn uuids_between_letters_go() {
        let mut t = String::from(
            "S0d48abc0-6602-4407-a05b-e5f87e8f229cp4b75a245-1d18-4cd6-a8bb-c003e1120f4co\nPrice",
        );
        strip_uuids(&mut t);
        assert_eq!(t, "Spo\nPrice");
    }

    #[test]
    fn text_without_uuids_is_unchanged() {
        let mut t = String::from("Model 1234-5678, café ☕ deadbeef-dead");
        strip_uuids(&mut t);
        assert_eq!(t, "Model 1234-5678, café ☕ deadbeef-dead");
    }
}
