//! Page metadata: title, author and publication date, from the places pages put them, most
//! explicit first: `<meta>` tags (Open Graph, Dublin Core, `article:*`, `name=author`), JSON-LD
//! (`schema.org` `headline`, `author`, `datePublished`, also inside `@graph`), microdata
//! (`itemprop`), `<time datetime>`, bylines (`rel=author`, `class=author`) and `<title>`/`<h1>`.

use serde_json::Value;

use super::dom::{Dom, NodeData, NodeId};
use super::hints::word;
use super::tag::Tag;

/// Metadata found on a page; fields are `None` when the page does not carry them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageMetadata {
    /// Page title.
    pub title: Option<String>,
    /// Author name(s).
    pub author: Option<String>,
    /// Publication date, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// The page's own summary (`og:description`, else `description`).
    pub description: Option<String>,
}

/// JSON-LD blocks above this size are skipped: real ones are a few kilobytes.
const MAX_JSON_LD: usize = 1 << 20;
/// Bylines longer than this are prose, not a name.
const MAX_AUTHOR_CHARS: usize = 80;

/// Collapsed text of a subtree, at most `max` characters.
pub fn node_text(dom: &Dom, id: NodeId, max: usize) -> String {
    let mut out = String::new();
    let mut stack = vec![id];
    while let Some(n) = stack.pop() {
        if out.len() > max * 4 {
            break;
        }
        match &dom.nodes[n as usize].data {
            NodeData::Text(t) => {
                for w in super::text::words(t) {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(w);
                }
            }
            NodeData::Element(e) if matches!(e.tag, Tag::Script | Tag::Style) => {}
            _ => {
                let kids: Vec<NodeId> = dom.children(n).collect();
                stack.extend(kids.into_iter().rev());
            }
        }
    }
    out.chars().take(max).collect()
}

/// First `YYYY-MM-DD` (also `YYYY/MM/DD`, `YYYY.MM.DD`) with a plausible month and day.
pub fn normalize_date(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 10 {
        return None;
    }
    for i in 0..=b.len() - 10 {
        let w = &b[i..i + 10];
        let digits = |r: std::ops::Range<usize>| w[r].iter().all(u8::is_ascii_digit);
        let sep = w[4];
        if digits(0..4)
            && matches!(sep, b'-' | b'/' | b'.')
            && w[7] == sep
            && digits(5..7)
            && digits(8..10)
            && (i == 0 || !b[i - 1].is_ascii_digit())
        {
            let y: u32 = s[i..i + 4].parse().ok()?;
            let m: u32 = s[i + 5..i + 7].parse().ok()?;
            let d: u32 = s[i + 8..i + 10].parse().ok()?;
            if (1990..=2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d) {
                return Some(format!("{y:04}-{m:02}-{d:02}"));
            }
        }
    }
    None
}

/// A `/YYYY/MM/DD/` date in a URL's path (blogs and news sites), as `YYYY-MM-DD`.
pub fn date_in_url(url: &str) -> Option<String> {
    let parts: Vec<&str> = url.split('/').collect();
    parts.windows(3).find_map(|w| {
        let all_digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|c| c.is_ascii_digit());
        (all_digits(w[0], 4) && all_digits(w[1], 2) && all_digits(w[2], 2))
            .then(|| normalize_date(&format!("{}-{}-{}", w[0], w[1], w[2])))
            .flatten()
    })
}

fn clean(s: &str) -> Option<String> {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!s.is_empty()).then_some(s)
}

fn author_ok(s: &str) -> Option<String> {
    let s = clean(s)?;
    let s = s
        .strip_prefix("By ")
        .or_else(|| s.strip_prefix("by "))
        .or_else(|| s.strip_prefix("Von "))
        .or_else(|| s.strip_prefix("von "))
        .unwrap_or(&s)
        .to_string();
    (s.chars().count() <= MAX_AUTHOR_CHARS && !s.starts_with("http") && !s.is_empty()).then_some(s)
}

fn json_author(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => author_ok(s),
        Value::Object(o) => o.get("name").and_then(Value::as_str).and_then(author_ok),
        Value::Array(a) => {
            let names: Vec<String> = a.iter().filter_map(json_author).collect();
            (!names.is_empty()).then(|| names.join("; "))
        }
        _ => None,
    }
}

fn scan_json_ld(v: &Value, md: &mut PageMetadata, modified: &mut Option<String>) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(a) => stack.extend(a.iter().rev()),
            Value::Object(o) => {
                if md.date.is_none() {
                    for k in ["datePublished", "dateCreated"] {
                        if let Some(d) = o.get(k).and_then(Value::as_str).and_then(normalize_date) {
                            md.date = Some(d);
                            break;
                        }
                    }
                }
                if modified.is_none() {
                    *modified = o
                        .get("dateModified")
                        .and_then(Value::as_str)
                        .and_then(normalize_date);
                }
                if md.author.is_none() {
                    md.author = o.get("author").and_then(json_author);
                }
                if md.title.is_none() {
                    md.title = o.get("headline").and_then(Value::as_str).and_then(clean);
                }
                if let Some(g) = o.get("@graph") {
                    stack.push(g);
                }
            }
            _ => {}
        }
    }
}

/// Reads title, author and date from a parsed page.
pub fn extract_metadata(dom: &Dom) -> PageMetadata {
    let mut md = PageMetadata::default();
    let mut title_tag = None;
    let mut h1 = None;
    let mut time_date = None;
    let mut byline = None;
    let mut itemprop_date = None;
    let mut itemprop_author = None;
    let mut modified = None;
    let mut other_meta_date = None;
    let words = dom.class_words();
    for id in 0..dom.nodes.len() as NodeId {
        let Some(e) = dom.element(id) else { continue };
        match e.tag {
            Tag::Meta => {
                let key = e
                    .attr("property")
                    .or_else(|| e.attr("name"))
                    .or_else(|| e.attr("itemprop"))
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let Some(content) = e.attr("content") else {
                    continue;
                };
                match key.as_str() {
                    "og:title" | "twitter:title" | "dc.title" if md.title.is_none() => {
                        md.title = clean(content)
                    }
                    "og:description" => md.description = clean(content),
                    "description" if md.description.is_none() => md.description = clean(content),
                    "author" | "article:author" | "dc.creator" | "parsely-author" | "byl"
                    | "sailthru.author"
                        if md.author.is_none() =>
                    {
                        md.author = author_ok(content)
                    }
                    "article:published_time"
                    | "og:article:published_time"
                    | "datepublished"
                    | "date"
                    | "dc.date"
                    | "dc.date.issued"
                    | "dcterms.date"
                    | "pubdate"
                    | "publishdate"
                    | "publish-date"
                    | "sailthru.date"
                    | "article.published"
                    | "parsely-pub-date"
                    | "og:published_time"
                        if md.date.is_none() =>
                    {
                        md.date = normalize_date(content)
                    }
                    // Site-specific names (`cludo:date`, `article.created`): last resort.
                    k if other_meta_date.is_none()
                        && (k.contains("date") || k.contains("published")) =>
                    {
                        other_meta_date = normalize_date(content)
                    }
                    _ => {}
                }
            }
            Tag::Script if e.attr("type").is_some_and(|t| t.contains("ld+json")) => {
                for c in dom.children(id) {
                    if let NodeData::Text(t) = &dom.nodes[c as usize].data
                        && t.len() <= MAX_JSON_LD
                        && let Ok(v) = serde_json::from_str::<Value>(t.trim())
                    {
                        scan_json_ld(&v, &mut md, &mut modified);
                    }
                }
            }
            Tag::Title if title_tag.is_none() => title_tag = clean(&node_text(dom, id, 300)),
            Tag::H1 if h1.is_none() => h1 = clean(&node_text(dom, id, 300)),
            Tag::Time if time_date.is_none() => {
                time_date = e.attr("datetime").and_then(normalize_date)
            }
            _ => {}
        }
        match e.attr("itemprop") {
            Some("datePublished") if itemprop_date.is_none() => {
                itemprop_date = e
                    .attr("content")
                    .or_else(|| e.attr("datetime"))
                    .and_then(normalize_date);
            }
            Some("author") if itemprop_author.is_none() => {
                itemprop_author = author_ok(&node_text(dom, id, 200));
            }
            _ => {}
        }
        if byline.is_none()
            && (e.attr("rel") == Some("author")
                // `byline` anywhere in the class or a class token `author` (ASCII case
                // ignored): the class-hint search already found where either word occurs.
                || words[id as usize] & word::BYLINE != 0
                || (words[id as usize] & word::AUTHOR != 0
                    && e.attr("class").is_some_and(|c| {
                        c.split_whitespace()
                            .any(|w| w.eq_ignore_ascii_case("author"))
                    })))
        {
            byline = author_ok(&node_text(dom, id, 200));
        }
    }
    md.title = match md.title {
        Some(declared) => choose_title(declared, h1),
        None => h1.or_else(|| title_tag.map(|t| choose_title(t, None).unwrap_or_default())),
    };
    md.author = md.author.or(itemprop_author).or(byline);
    md.date = md
        .date
        .or(itemprop_date)
        .or(time_date)
        .or(other_meta_date)
        .or(modified);
    md
}

/// Separators between a page's title and its site's name ("Title | Site", "Title – Site").
const SITE_SEPARATORS: [&str; 5] = [" | ", " – ", " — ", " - ", " :: "];
/// A site name after a separator has at most this many words.
const MAX_SITE_NAME_WORDS: usize = 5;

/// The page's own title from a declared one (Open Graph, JSON-LD, `<title>`): the `<h1>` when
/// the declared title starts with it, as "Headline | Site" does; else the declared title without
/// a trailing site name. WCXB's gold titles are the headline without the site name.
fn choose_title(declared: String, h1: Option<String>) -> Option<String> {
    if let Some(h) = &h1
        && declared.to_lowercase().starts_with(&h.to_lowercase())
    {
        return h1;
    }
    for sep in SITE_SEPARATORS {
        if let Some((head, site)) = declared.rsplit_once(sep)
            && !head.trim().is_empty()
            && site.split_whitespace().count() <= MAX_SITE_NAME_WORDS
        {
            return Some(head.trim().to_string());
        }
    }
    Some(declared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_normalised_and_checked() {
        assert_eq!(
            normalize_date("2017-03-05T10:00:00+01:00").as_deref(),
            Some("2017-03-05")
        );
        assert_eq!(
            normalize_date("am 2012/05/31").as_deref(),
            Some("2012-05-31")
        );
        assert_eq!(normalize_date("2017-13-05"), None);
        assert_eq!(normalize_date("12017-03-05x"), None);
        assert_eq!(
            date_in_url("https://scratchculinary.com/2025/09/04/top-nutrition-trends/").as_deref(),
            Some("2025-09-04")
        );
        assert_eq!(date_in_url("https://example.com/2025/13/04/x"), None);
    }

    #[test]
    fn title_is_the_headline_without_the_site_name() {
        let t = |declared: &str, h1: Option<&str>| {
            choose_title(declared.to_string(), h1.map(str::to_string))
        };
        // From WCXB dev pages 0005 and 0009.
        assert_eq!(
            t(
                "What is Cloud Computing? | Google Cloud",
                Some("What is Cloud Computing?")
            )
            .as_deref(),
            Some("What is Cloud Computing?")
        );
        assert_eq!(
            t(
                "How To Book a Flight For Beginners | It’s All Trip To Me",
                None
            )
            .as_deref(),
            Some("How To Book a Flight For Beginners")
        );
        assert_eq!(t("Plain title", None).as_deref(), Some("Plain title"));
    }

    #[test]
    fn meta_json_ld_and_byline() {
        let html = r#"<html><head><title>Site | Page</title>
            <script type="application/ld+json">{"@graph":[{"@type":"NewsArticle",
            "datePublished":"2020-02-01T08:00:00Z","author":[{"name":"Ann Lee"},{"name":"Bo Ma"}]}]}
            </script></head><body><h1>The headline</h1><p class="byline">By Someone</p></body>"#;
        let md = extract_metadata(&Dom::parse(html));
        assert_eq!(md.date.as_deref(), Some("2020-02-01"));
        assert_eq!(md.author.as_deref(), Some("Ann Lee; Bo Ma"));
        assert_eq!(md.title.as_deref(), Some("The headline"));
    }
}
