//! Unit tests of page-type classification, kept beside the module so the classifier itself stays
//! under the file-size limit.

use super::*;

#[test]
fn json_ld_types_are_collected_from_strings_and_arrays() {
    let mut types = String::new();
    collect_ld_types(
        r#"{"@context":"https://schema.org","@type":"Product","name":"x"}"#,
        &mut types,
    );
    collect_ld_types(
        r#"{"@graph":[{"@type": ["Article", "NewsArticle"]}]}"#,
        &mut types,
    );
    let mut f = [0f32; N_FEATURES];
    type_features(&types, "", &mut f);
    assert_eq!((f[11], f[12]), (1.0, 1.0), "{types}");
    assert_eq!(f[13], 0.0);
}

#[test]
fn prices_need_a_currency_next_to_a_number() {
    assert!(has_price("$139.99"));
    assert!(has_price("€88"));
    assert!(has_price("eur 163.12"));
    assert!(!has_price("2025"));
    assert!(!has_price("save $ now"));
}

#[test]
fn url_words_and_shape() {
    let mut f = [0f32; N_FEATURES];
    url_features(
        "https://forum.astronomy.com/t/new-to-astronomy-best-first-telescope/1555",
        &mut f,
    );
    assert_eq!(f[3], 1.0);
    let mut f = [0f32; N_FEATURES];
    url_features(
        "https://scratchculinary.com/2025/09/04/top-nutrition-trends-for-fall-2025/",
        &mut f,
    );
    assert_eq!((f[9], f[10]), (1.0, 1.0));
    assert_eq!(f[3], 0.0);
}

fn page_features(html: &str) -> [f32; N_FEATURES] {
    let dom = Dom::parse(html);
    let a = crate::extract::prune::analyse(
        &dom,
        crate::extract::prune::PruneOptions {
            shop_hints: false,
            class_hints: true,
            keep_authors: false,
            keep_disclosures: false,
            service_page: false,
            include_comments: false,
            include_tables: true,
        },
    );
    features(&dom, &a, None).0
}

#[test]
fn linked_headings_exclude_permalinks_to_the_page_itself() {
    // An archive: every heading links to its story (in or around the heading).
    let f = page_features(
        "<body><h2><a href=\"/a\">First story</a></h2><a href=\"/b\"><h3>Second story\
             </h3></a><h2>Plain heading</h2></body>",
    );
    assert!((f[LINKED_HEADING_SHARE] - 2.0 / 3.0).abs() < 1e-6);
    // Documentation: headings carry `#` permalinks to themselves.
    let f =
        page_features("<body><h2 id=\"x\">Usage <a href=\"#x\">¶</a></h2><h2>Returns</h2></body>");
    assert_eq!(f[LINKED_HEADING_SHARE], 0.0);
}

#[test]
fn classifier_gives_a_distribution() {
    let (_, p) = classify(&PageFeatures::default());
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    assert!(p.iter().all(|&x| x > 0.0));
}
