//! The page type reported to users (`metadata.page_type`): the routing model's features plus
//! the words of the page's address (path and query) and of its `<title>`.
//!
//! Why a second model: [`super::classify`] decides which extraction rules read a page, and
//! those rules were tuned against its choices; reading every tuning page down its gold type's
//! path scores lower than the model's routing (0.8946 against 0.8967, README "Extraction"), so a
//! more accurate type is not a better route. What users filter a corpus by is the type itself,
//! and there the words help: "showthread", "forum", "docs", "api", "product", "category" in the
//! address, "Reviews", "Guide", "Shop" in the title. Fitted by `bench/extraction/fit_models.py`
//! on the tuning part of WCXB dev (words on at least 5 tuning pages; multinomial logistic, L2
//! 0.003): 5-fold cross-validated accuracy 0.86 against 0.81 for the routing model's features
//! alone. Only the address and title are read: class names added nothing in cross-validation
//! (0.85 with them) and would cost a walk over every element.

use super::super::dom::Dom;
use super::super::metadata::node_text;
use super::super::models::{
    N_PAGE_WORDS, PAGE_WORDS, REPORTED_TYPE_BIAS, REPORTED_TYPE_WEIGHTS, REPORTED_TYPE_WORD_WEIGHTS,
};
use super::super::tag::Tag;
use super::{PageFeatures, PageType, linear_scores, most_likely};

/// Longest title read, in bytes (as [`super::super::metadata`] reads it).
const MAX_TITLE_BYTES: usize = 300;

/// Calls `visit` with each word of the page's address (path and query, prefixed `u_`) and of
/// its first `<title>` (prefixed `t_`): runs of at least two ASCII letters, lower-cased, repeats
/// included. Non-ASCII letters split words: the vocabulary is fitted on the same reading.
pub fn for_each_page_word(dom: &Dom, url: Option<&str>, mut visit: impl FnMut(&str)) {
    let mut buf = String::new();
    if let Some(url) = url {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let after_host = rest.find('/').map_or("", |i| &rest[i..]);
        let path_and_query = after_host.split('#').next().unwrap_or("");
        words("u_", path_and_query, &mut buf, &mut visit);
    }
    if let Some(id) = dom.find_first(Tag::Title) {
        words(
            "t_",
            &node_text(dom, id, MAX_TITLE_BYTES),
            &mut buf,
            &mut visit,
        );
    }
}

fn words(prefix: &str, text: &str, buf: &mut String, visit: &mut impl FnMut(&str)) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        if i - start >= 2 {
            buf.clear();
            buf.push_str(prefix);
            buf.extend(
                bytes[start..i]
                    .iter()
                    .map(|b| b.to_ascii_lowercase() as char),
            );
            visit(buf);
        }
    }
}

/// The distinct words [`for_each_page_word`] reads, sorted: what the fitting script learns from
/// (printed by the `extract_pages` example with `GLEANER_FEATURES=1`).
pub fn page_words(dom: &Dom, url: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    for_each_page_word(dom, url, |w| out.push(w.to_string()));
    out.sort_unstable();
    out.dedup();
    out
}

/// The page's type as reported in metadata: the most likely type under the reported-type model.
pub fn reported_type(dom: &Dom, url: Option<&str>, f: &PageFeatures) -> PageType {
    let mut logits = linear_scores(&REPORTED_TYPE_BIAS, &REPORTED_TYPE_WEIGHTS, f);
    let mut seen = [false; N_PAGE_WORDS];
    for_each_page_word(dom, url, |w| {
        if let Ok(i) = PAGE_WORDS.binary_search(&w)
            && !seen[i]
        {
            seen[i] = true;
            for (logit, row) in logits.iter_mut().zip(&REPORTED_TYPE_WORD_WEIGHTS) {
                *logit += row[i];
            }
        }
    });
    most_likely(&logits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_come_from_the_path_query_and_title_only() {
        let html = "<html><head><title>Re: Wi-Fi drops — Help Forum</title></head>\
                    <body><h1>Ignored heading</h1></body></html>";
        let dom = Dom::parse(html);
        let words = page_words(
            &dom,
            Some("https://community.example.com/t/WiFi-drops/123?page=2#post-9"),
        );
        assert_eq!(
            words,
            [
                "t_drops", "t_fi", "t_forum", "t_help", "t_re", "t_wi", "u_drops", "u_page",
                "u_wifi"
            ]
        );
    }

    fn reported(url: &str, title: &str) -> PageType {
        let html = format!("<html><head><title>{title}</title></head><body><p>x</p></body></html>");
        let dom = Dom::parse(&html);
        reported_type(&dom, Some(url), &PageFeatures::default())
    }

    #[test]
    fn address_and_title_words_decide_when_the_page_says_nothing_else() {
        // All-zero page features: only the fitted word weights tell these apart.
        assert_eq!(
            reported(
                "https://example.com/community/threads/wifi-drops.123/",
                "Wifi drops | Example Forum"
            ),
            PageType::Forum
        );
        assert_eq!(
            reported(
                "https://example.com/docs/api/introduction.html",
                "Introduction - API docs"
            ),
            PageType::Documentation
        );
    }

    #[test]
    fn odd_addresses_and_titles_split_at_non_ascii_letters() {
        let dom = Dom::parse("<title>Café&amp;Bar ÄÖ xY</title>");
        for url in [
            "",
            "https://",
            "://",
            "no-scheme",
            "http://h",
            "http://h/#fragment/only",
        ] {
            assert_eq!(
                page_words(&dom, Some(url)),
                ["t_bar", "t_caf", "t_xy"],
                "{url}"
            );
        }
        assert_eq!(
            page_words(&dom, Some("http://h/über-straße/ab?q=çaXy#Zz")),
            ["t_bar", "t_caf", "t_xy", "u_ab", "u_axy", "u_ber", "u_stra"]
        );
    }

    #[test]
    fn no_address_and_no_title_give_no_words() {
        let dom = Dom::parse("<p>a</p>");
        assert!(page_words(&dom, None).is_empty());
        assert!(page_words(&dom, Some("https://example.com")).is_empty());
    }
}
