//! Page metadata: title, author and publication date, from the places pages put them, most
//! explicit first: `<meta>` tags (Open Graph, Dublin Core, `article:*`, `name=author`), JSON-LD
//! (`schema.org` `headline`, `author`, `datePublished`, also inside `@graph`), microdata
//! (`itemprop`), `<time datetime>`, bylines (`rel=author`, `class=author`) and `<title>`/`<h1>`.

use super::byline::{author_ok, declared_author, handle_like, itemprop_name, push_innermost};
use super::date::{date_in_url, parse_date};
use super::dateline::{
    MAX_CANDIDATES, MAX_DATELINE_CHARS, dated_element, has_year, in_comments, labelled_date,
    script_date, short_dateline,
};
use super::dom::{Dom, NodeData, NodeId};
use super::hints::word;
use super::json_ld::JsonLd;
use super::tag::{Attr, Tag};
use super::text::contains_ignore_ascii_case as contains_ci;

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
    /// The description a shop declares for its product in JSON-LD (`"@type": "Product"`), one
    /// line per paragraph; script-rendered shops carry it there and nowhere in the page's HTML.
    pub product_description: Option<String>,
}

/// Bylines longer than this are prose, not a name.
pub(super) const MAX_AUTHOR_CHARS: usize = 80;

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
                // Children reversed in place, so text pops in document order (no Vec per node).
                let start = stack.len();
                stack.extend(dom.children(n));
                stack[start..].reverse();
            }
        }
    }
    out.chars().take(max).collect()
}

pub(super) fn clean(s: &str) -> Option<String> {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!s.is_empty()).then_some(s)
}

/// Class/id words of elements that hold a page's date ("post-date", "entry-meta",
/// "published", "byline", "timestamp"); htmldate searches the same places.
pub(super) const DATE_CLASS_WORDS: [&str; 5] = ["date", "publish", "posted", "byline", "time"];
/// Class/id words of a byline's name, most specific first: trafilatura's author XPaths rank
/// "author-name"-like classes above any class containing "author".
pub(super) const AUTHOR_NAME_CLASSES: [&str; 3] = ["authorname", "author-name", "author_name"];
/// Class/id words of a byline.
pub(super) const AUTHOR_CLASSES: [&str; 6] = [
    "author",
    "byline",
    "username",
    "posted-by",
    "submitted-by",
    "writer",
];

/// Reads title, author and date from a parsed page whose address is `url` (when known).
pub fn extract_metadata(dom: &Dom, url: Option<&str>) -> PageMetadata {
    let mut md = PageMetadata::default();
    let mut ld = JsonLd::default();
    let mut title_tag = None;
    let mut h1 = None;
    let mut meta_title = None;
    // Whether JSON-LD declared a headline before any meta tag declared a title: the first
    // declared one is used (a JSON-LD block in `<head>` before `og:title` is the page's own).
    let mut headline_first = false;
    let mut meta_author = None;
    let mut meta_published = None;
    let mut meta_modified = None;
    let mut other_meta_date = None;
    let mut time_date = None;
    let mut itemprop_date = None;
    let mut itemprop_author = None;
    let mut date_elements: Vec<NodeId> = Vec::new();
    let mut author_names: Vec<NodeId> = Vec::new();
    let mut author_elements: Vec<NodeId> = Vec::new();
    let mut dateline_texts: Vec<NodeId> = Vec::new();
    let mut scripts: Vec<NodeId> = Vec::new();
    let words = dom.class_words();
    for id in 0..dom.nodes.len() as NodeId {
        let e = match &dom.nodes[id as usize].data {
            NodeData::Element(e) => e,
            NodeData::Text(t) => {
                if dateline_texts.len() < MAX_CANDIDATES
                    && !matches!(
                        dom.tag(dom.nodes[id as usize].parent),
                        Tag::Script | Tag::Style
                    )
                    // Longer texts only when they open with a number: a dateline leading
                    // its paragraph (see `short_dateline`).
                    && (t.len() <= MAX_DATELINE_CHARS * 2
                        || t.trim_start().starts_with(|c: char| c.is_ascii_digit()))
                    && has_year(t)
                {
                    dateline_texts.push(id);
                }
                continue;
            }
            _ => continue,
        };
        match e.tag {
            Tag::Meta => {
                let key = e
                    .get(Attr::Property)
                    .or_else(|| e.get(Attr::Name))
                    .or_else(|| e.get(Attr::Itemprop))
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let Some(content) = e.get(Attr::Content) else {
                    continue;
                };
                match key.as_str() {
                    "og:title" | "twitter:title" | "dc.title" if meta_title.is_none() => {
                        meta_title = clean(content)
                    }
                    "og:description" => md.description = clean(content),
                    "description" if md.description.is_none() => md.description = clean(content),
                    "author" | "article:author" | "dc.creator" | "parsely-author" | "byl"
                    | "sailthru.author"
                        if meta_author.is_none() =>
                    {
                        meta_author = declared_author(content)
                    }
                    "article:published_time"
                    | "og:article:published_time"
                    | "datepublished"
                    | "date"
                    | "dc.date"
                    | "dc.date.issued"
                    | "dcterms.date"
                    | "dcterms.created"
                    | "pubdate"
                    | "publishdate"
                    | "publish-date"
                    | "published"
                    | "published_time"
                    | "sailthru.date"
                    | "article.published"
                    | "parsely-pub-date"
                    | "og:published_time"
                        if meta_published.is_none() =>
                    {
                        meta_published = parse_date(content)
                    }
                    "article:modified_time"
                    | "og:updated_time"
                    | "datemodified"
                    | "last-modified"
                    | "dcterms.modified"
                        if meta_modified.is_none() =>
                    {
                        meta_modified = parse_date(content)
                    }
                    // Site-specific names (`cludo:date`, `article.created`): last resort.
                    k if other_meta_date.is_none()
                        && (k.contains("date") || k.contains("published")) =>
                    {
                        other_meta_date = parse_date(content)
                    }
                    _ => {}
                }
                continue;
            }
            Tag::Script => {
                if e.get(Attr::Type).is_some_and(|t| t.contains("ld+json")) {
                    for c in dom.children(id) {
                        if let NodeData::Text(t) = &dom.nodes[c as usize].data {
                            ld.read(t);
                            headline_first |= meta_title.is_none() && ld.headline.is_some();
                        }
                    }
                } else if scripts.len() < MAX_CANDIDATES {
                    scripts.push(id);
                }
                continue;
            }
            Tag::Title if title_tag.is_none() => title_tag = clean(&node_text(dom, id, 300)),
            Tag::H1 if h1.is_none() => h1 = clean(&node_text(dom, id, 300)),
            Tag::Time if time_date.is_none() => {
                time_date = e.get(Attr::Datetime).and_then(parse_date)
            }
            _ => {}
        }
        match e.get(Attr::Itemprop) {
            Some("datePublished") if itemprop_date.is_none() => {
                itemprop_date = e
                    .get(Attr::Content)
                    .or_else(|| e.get(Attr::Datetime))
                    .and_then(parse_date);
            }
            Some("author") if itemprop_author.is_none() => {
                itemprop_author = itemprop_name(dom, id);
            }
            // RDFa: `<span property="schema:dateCreated" content="2022-01-28T12:45">`.
            None if itemprop_date.is_none()
                && e.get(Attr::Property).is_some_and(|p| {
                    contains_ci(p, "datepublished") || contains_ci(p, "datecreated")
                }) =>
            {
                itemprop_date = e.get(Attr::Content).and_then(parse_date);
            }
            _ => {}
        }
        let class = e.get(Attr::Class).unwrap_or("");
        let el_id = e.get(Attr::Id).unwrap_or("");
        if class.is_empty() && el_id.is_empty() && e.get(Attr::Rel).is_none() {
            continue;
        }
        // Searched with the class hints, once per page ([`super::hints::ClassHints`]).
        let bits = words[id as usize];
        if date_elements.len() < MAX_CANDIDATES && (e.tag == Tag::Time || bits & word::DATE != 0) {
            date_elements.push(id);
        }
        if author_names.len() < MAX_CANDIDATES
            && (e.get(Attr::Rel) == Some("author")
                || class.eq_ignore_ascii_case("author")
                || bits & word::AUTHOR_NAME != 0)
        {
            push_innermost(dom, &mut author_names, id);
        } else if author_elements.len() < MAX_CANDIDATES && bits & word::AUTHOR != 0 {
            push_innermost(dom, &mut author_elements, id);
        }
    }
    // A date in the title ("Report | DW | 23.05.2011"), one of the last places to look.
    let title_date = title_tag.clone().filter(|t| has_year(t));
    md.product_description = ld.product_description.take();
    let headline = if headline_first {
        ld.headline.take().or(meta_title)
    } else {
        meta_title.or(ld.headline.take())
    };
    md.title = match headline {
        Some(declared) => choose_title(declared, h1),
        None => h1.or_else(|| title_tag.map(|t| choose_title(t, None).unwrap_or_default())),
    };
    let byline = || {
        author_names
            .iter()
            .chain(&author_elements)
            .filter(|&&id| !in_comments(dom, id))
            .find_map(|&id| author_ok(&node_text(dom, id, 200)))
    };
    // Handles ("andrew.keaveney") and organisations declared as author give way to a person
    // named in the page's byline, and are kept when there is none.
    let (meta_author, meta_handle) = match meta_author {
        Some(a) if handle_like(&a) => (None, Some(a)),
        a => (a, None),
    };
    let ld_author = ld.author.take();
    md.author = meta_author
        .or_else(|| ld_author.clone().filter(|_| !ld.author_is_organisation))
        .or(itemprop_author)
        .or_else(byline)
        .or(ld_author)
        .or(meta_handle);
    // A full date in the address comes first, as htmldate ranks it: blogs and news sites put
    // the publication day there, while the page's own stamps are often a later update or a
    // UTC time a day off the local date. Decided here, before the page's own dates are
    // searched, so that a dated address spares that search (scripts included).
    if let Some(d) = url.and_then(date_in_url) {
        md.date = Some(d);
        return md;
    }
    // An `article:published_time`-like meta tag is the most explicit statement of the date.
    // Without one, pages that declare both a publication date (JSON-LD, microdata) and a later
    // update (a modified-time meta tag, JSON-LD) show readers one of them, and which one varies:
    // WCXB's gold follows what the page shows, so the shown date decides between the two.
    let published = ld.published.or(itemprop_date);
    let modified = meta_modified.or(ld.modified);
    md.date = match (meta_published, published, modified) {
        (Some(p), _, _) => Some(p),
        (None, Some(p), Some(m)) if p != m => {
            let shown = time_date
                .clone()
                .or_else(|| dated_element(dom, &date_elements))
                .or_else(|| labelled_date(dom, &dateline_texts));
            Some(if shown.as_ref() == Some(&m) { m } else { p })
        }
        (None, p, m) => p
            .or(time_date)
            .or_else(|| dated_element(dom, &date_elements))
            .or(m)
            .or(other_meta_date)
            .or_else(|| labelled_date(dom, &dateline_texts))
            .or_else(|| title_date.as_deref().and_then(parse_date))
            .or_else(|| short_dateline(dom, &dateline_texts))
            .or_else(|| script_date(dom, &scripts)),
    };
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
        let md = extract_metadata(&Dom::parse(html), None);
        assert_eq!(md.date.as_deref(), Some("2020-02-01"));
        assert_eq!(md.author.as_deref(), Some("Ann Lee; Bo Ma"));
        assert_eq!(md.title.as_deref(), Some("The headline"));
    }

    fn md(html: &str) -> PageMetadata {
        extract_metadata(&Dom::parse(html), None)
    }

    #[test]
    fn a_product_declares_its_description() {
        let m = md(
            r#"<script type="application/ld+json">{"@context":"https://schema.org",
            "@type":"Product","name":"Arrival T-Shirt",
            "description":"<p><strong>REDEFINING YOUR POTENTIAL</strong></p>\n<p>The  Arrival T-Shirt is light.</p>"}</script>"#,
        );
        let d = "REDEFINING YOUR POTENTIAL\nThe Arrival T-Shirt is light.";
        assert_eq!(m.product_description.as_deref(), Some(d));
        let article = md(
            r#"<script type="application/ld+json">{"@type":"NewsArticle",
            "description":"A summary."}</script>"#,
        );
        assert_eq!(article.product_description, None);
    }

    #[test]
    fn byline_names_lose_labels_and_what_follows() {
        let a = |s: &str| author_ok(s);
        // Shapes from WCXB dev and extraction-dev tuning pages.
        assert_eq!(a("Written By: Tom May").as_deref(), Some("Tom May"));
        assert_eq!(a("Veröffentlicht von HansG").as_deref(), Some("HansG"));
        assert_eq!(
            a("8. Januar 2020 · by Aureliana · in Gefühle").as_deref(),
            Some("Aureliana")
        );
        assert_eq!(
            a("Limespacer · 22. Oktober 2019").as_deref(),
            Some("Limespacer")
        );
        assert_eq!(
            a("Tomas Spahn Fr, 18. Oktober 2019").as_deref(),
            Some("Tomas Spahn")
        );
        assert_eq!(a("lupa am 26/10/13, 03:48 pm").as_deref(), Some("lupa"));
        assert_eq!(
            a("jldugger 14.6k 20 20 gold badges 83 83 silver badges").as_deref(),
            Some("jldugger")
        );
        assert_eq!(
            a("Post by galitsyn » 11. Sep 2024, 18:36").as_deref(),
            Some("galitsyn")
        );
        // Labels alone, and dates, are no names; a name may start with a number or a month.
        assert_eq!(a("Posted by:"), None);
        assert_eq!(a("By"), None);
        assert_eq!(a("Veröffentlicht am"), None);
        assert_eq!(a("Sat, 20 Dec, 2025 - 06:36"), None);
        assert_eq!(a("98 Buck Social").as_deref(), Some("98 Buck Social"));
        assert_eq!(a("Jan Müller").as_deref(), Some("Jan Müller"));
        assert_eq!(a("Byron Katie").as_deref(), Some("Byron Katie"));
    }

    #[test]
    fn declared_authors_keep_their_text() {
        let m = md(
            r#"<head><meta name="author" content="Sergio Martínez | The Texas Newsroom">
            </head><body><span class="byline">By Someone Else</span></body>"#,
        );
        assert_eq!(
            m.author.as_deref(),
            Some("Sergio Martínez | The Texas Newsroom")
        );
        // A handle gives way to the byline's person.
        let m = md(
            r#"<head><meta name="author" content="andrew.keaveney"></head>
            <body><div class="author-name">Denise Everheart</div></body>"#,
        );
        assert_eq!(m.author.as_deref(), Some("Denise Everheart"));
        // An organisation in JSON-LD gives way too, and stays when there is no byline.
        let org = r#"<script type="application/ld+json">{"@type":"Article",
            "author":{"@type":"Organization","name":"GlossGenius"}}</script>"#;
        let m = md(&format!(
            r#"{org}<div class="staff"><div class="text__author">Shauna Mitchell</div></div>"#
        ));
        assert_eq!(m.author.as_deref(), Some("Shauna Mitchell"));
        assert_eq!(md(org).author.as_deref(), Some("GlossGenius"));
    }

    #[test]
    fn byline_candidates_innermost_and_outside_comments() {
        let m = md(
            r#"<div class="editor-author-name-wrap"><div class="author-name">Stephen J</div>
            <div class="author-name weight">AI Writer, Embarque</div></div>"#,
        );
        assert_eq!(m.author.as_deref(), Some("Stephen J"));
        let m = md(
            r#"<body class="comments-page"><div id="comments"><span class="author">Troll
            </span></div><p>by <a class="author may-blank">InsaneSnow45</a></p></body>"#,
        );
        assert_eq!(m.author.as_deref(), Some("InsaneSnow45"));
        // Forum user cards: the microdata name, not the badges beside it.
        let m = md(r#"<div class="user-details" itemprop="author" itemscope>
            <a href="/u/1">KumikoGoingCrAzY</a><meta itemprop="name" content="KumikoGoingCrAzY">
            <span>159</span> 1 silver badge</div>"#);
        assert_eq!(m.author.as_deref(), Some("KumikoGoingCrAzY"));
    }

    #[test]
    fn json_ld_nested_main_entity_and_written_dates() {
        let m = md(
            r#"<script type="application/ld+json">{"@type":"QAPage","mainEntity":
            {"@type":"Question","author":{"@type":"Person","name":"DaleJack"},
            "dateCreated":"2024-09-05T23:15:57Z"}}</script>"#,
        );
        assert_eq!(m.author.as_deref(), Some("DaleJack"));
        assert_eq!(m.date.as_deref(), Some("2024-09-05"));
        let m = md(
            r#"<script type="application/ld+json">{"@type":"BlogPosting",
            "datePublished": "Oct 31, 2025", "dateModified": "Nov 02, 2025"}</script>"#,
        );
        assert_eq!(m.date.as_deref(), Some("2025-10-31"));
    }

    #[test]
    fn published_meta_first_else_the_shown_date_decides() {
        let head = r#"<meta property="article:modified_time" content="2025-12-12T17:55:18Z">
            <script type="application/ld+json">{"datePublished":"2023-12-13T14:59:06Z",
            "dateModified":"2025-12-12T17:55:18Z"}</script>"#;
        // The page shows the update: that is its date.
        let shown_update = format!(r#"{head}<p class="post-date">Updated: December 12, 2025</p>"#);
        assert_eq!(md(&shown_update).date.as_deref(), Some("2025-12-12"));
        // Shown nothing (or the publication): the publication date.
        assert_eq!(md(head).date.as_deref(), Some("2023-12-13"));
        // An explicit published meta tag wins whatever the page shows.
        let explicit = format!(
            r#"<meta property="article:published_time" content="2022-01-03T16:52:00Z">{shown_update}"#
        );
        assert_eq!(md(&explicit).date.as_deref(), Some("2022-01-03"));
    }

    #[test]
    fn datelines_in_the_page_text() {
        // A date-classed element with the date in words.
        let m = md(r#"<div class="text__date">August 25, 2024</div>"#);
        assert_eq!(m.date.as_deref(), Some("2024-08-25"));
        // A label in a sibling: the grandparent's text has it.
        let m = md(r#"<div><div>Published on</div><div>Oct 31, 2025</div></div>"#);
        assert_eq!(m.date.as_deref(), Some("2025-10-31"));
        // A bare short dateline above the headline (German press releases).
        let m = md(
            r#"<body><h3>21.01.2022</h3><h1>Jahresbericht</h1><p>Im Jahr 2021 war es
            warm, wärmer als 1990 bis 2020 im Mittel.</p></body>"#,
        );
        assert_eq!(m.date.as_deref(), Some("2022-01-21"));
        // Dates in comment sections are the commenters'.
        let m = md(
            r#"<body><p>Text.</p><div class="comments"><small>8. Dezember 2010 um 10:56
            </small></div></body>"#,
        );
        assert_eq!(m.date, None);
        // Numbers inside scripts are no datelines.
        let m = md(r#"<body><script>var d = "2020-01-02";</script><p>Text.</p></body>"#);
        assert_eq!(m.date, None);
    }

    #[test]
    fn page_state_json_dates_are_a_last_resort() {
        let shop = r#"<body><script>var meta = {"product":{"title":"Sidamo",
            "published_at":"2019-03-02T06:22:28+01:00"}};</script><p>Kaffee.</p></body>"#;
        assert_eq!(md(shop).date.as_deref(), Some("2019-03-02"));
        // Any date the page states itself comes first.
        let dated = format!("{shop}<p class=\"post-date\">5 March 2020</p>");
        assert_eq!(md(&dated).date.as_deref(), Some("2020-03-05"));
    }

    #[test]
    fn served_times_and_padded_datelines() {
        // phpBB's header prints the serving time in a time-classed element; the post's date
        // comes after it.
        let m = md(
            r#"<body><p class="responsive-center time">Aktuelle Zeit: 14.10.2020, 12:18</p>
            <p class="author"><strong>r23</strong> &raquo; 21.01.2009, 05:42</p></body>"#,
        );
        assert_eq!(m.date.as_deref(), Some("2009-01-21"));
        let m = md(r#"<body><p>It is currently Wed Oct 14, 2020 12:18 pm</p></body>"#);
        assert_eq!(m.date, None);
        // A dateline padded with whitespace is still short.
        let pad = " ".repeat(60);
        let m = md(&format!(
            "<body><td><font>新华网河北频道 ({pad}2012-06-04 09:20:26{pad})</font></td></body>"
        ));
        assert_eq!(m.date.as_deref(), Some("2012-06-04"));
        // A long paragraph opening with its date; a date inside prose is no dateline.
        let prose = "Bei der Erinnerung an die Verfolgten wird oft übersehen, dass auch";
        let m = md(&format!(
            "<body><p>27.1.2022 - {prose} viele Frauen litten.</p></body>"
        ));
        assert_eq!(m.date.as_deref(), Some("2022-01-27"));
        let m = md(&format!(
            "<body><p>{prose} am 27.1.2022 viele Frauen.</p></body>"
        ));
        assert_eq!(m.date, None);
    }
}
