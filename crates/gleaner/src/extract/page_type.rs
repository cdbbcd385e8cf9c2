//! Page type (one of WCXB's seven: article, forum, product, collection, listing, documentation,
//! service) from cheap features: words in the URL, schema.org / Open Graph types, and counts
//! taken in one pass over the parsed page. A linear softmax model over those features decides;
//! its coefficients were fitted by `bench/extraction/fit_models.py` on the tuning part of WCXB
//! dev only (see that script and `bench/extraction/compare.py` for the split rule).

use super::dom::{Dom, NodeData};
use super::hints::word;
use super::models::{PAGE_TYPE_BIAS, PAGE_TYPE_WEIGHTS};
use super::prune::Analysis;
use super::tag::{Attr, Tag};
use super::text::trim;

mod words;
pub use words::{for_each_page_word, page_words, reported_type};

/// The seven page types of WCXB (Web Content eXtraction Benchmark), in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PageType {
    /// News, blog post, essay: one author's prose.
    #[default]
    Article,
    /// A thread of posts by several people.
    Forum,
    /// One product: description, specifications, price.
    Product,
    /// A shop's category page: a grid of products.
    Collection,
    /// A list of items linking elsewhere: archive, tag page, search results, directory.
    Listing,
    /// Technical documentation: reference, guide, API page.
    Documentation,
    /// A business's page about what it offers.
    Service,
}

impl PageType {
    /// All types, in the order of the model's rows.
    pub const ALL: [PageType; 7] = [
        PageType::Article,
        PageType::Forum,
        PageType::Product,
        PageType::Collection,
        PageType::Listing,
        PageType::Documentation,
        PageType::Service,
    ];

    /// This type's probability in `p`, a distribution over the types in [`PageType::ALL`] order
    /// (as [`classify`] gives it).
    pub fn probability_in(self, p: &[f32; 7]) -> f32 {
        PageType::ALL
            .iter()
            .position(|&x| x == self)
            .map_or(0.0, |i| p[i])
    }

    /// WCXB's name of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            PageType::Article => "article",
            PageType::Forum => "forum",
            PageType::Product => "product",
            PageType::Collection => "collection",
            PageType::Listing => "listing",
            PageType::Documentation => "documentation",
            PageType::Service => "service",
        }
    }
}

/// Longest text node (trimmed, in bytes) read for prices and button phrases.
const MAX_SIGNAL_BYTES: usize = 40;

/// Class-name words counted as features 34–36: repeated items (product grids, cards), posts
/// (forum threads, comments), user boxes. Matched anywhere in a class, ASCII case ignored, by
/// the class-hint automaton ([`super::hints::ClassHints`]), which searches each class once.
pub const CLASS_WORDS: &[(&str, u8)] = &[
    ("product", word::ITEM),
    ("card", word::ITEM),
    ("item", word::ITEM),
    ("tile", word::ITEM),
    ("grid", word::ITEM),
    ("post", word::POST),
    ("reply", word::POST),
    ("message", word::POST),
    ("comment", word::POST),
    ("thread", word::POST),
    ("username", word::USER),
    ("user-name", word::USER),
    ("avatar", word::USER),
    ("user-info", word::USER),
    ("userinfo", word::USER),
];

/// Number of page-type features.
pub const N_FEATURES: usize = 41;

/// Names of the features, in order (printed by the bench driver, read by the fitting script).
pub const FEATURE_NAMES: [&str; N_FEATURES] = [
    "url_product",
    "url_collection",
    "url_listing",
    "url_forum",
    "url_docs",
    "url_article",
    "url_service",
    "url_depth",
    "url_root",
    "url_date",
    "url_long_slug",
    "schema_article",
    "schema_product",
    "schema_forum",
    "schema_collection",
    "schema_docs",
    "schema_service",
    "schema_faq",
    "og_article",
    "og_product",
    "pre",
    "code",
    "tables",
    "inputs",
    "prices",
    "cart",
    "articles",
    "times",
    "headings",
    "list_items",
    "images",
    "body_link_density",
    "text_len",
    "long_paragraphs",
    "item_classes",
    "post_classes",
    "user_classes",
    "reply_words",
    "docs_words",
    "service_words",
    "linked_heading_share",
];

// Indices into [`FEATURE_NAMES`] of the features read from the page's elements and text.
const PRE: usize = 20;
const CODE: usize = 21;
const TABLES: usize = 22;
const INPUTS: usize = 23;
const PRICES: usize = 24;
const CART: usize = 25;
const ARTICLES: usize = 26;
const TIMES: usize = 27;
const HEADINGS: usize = 28;
const LIST_ITEMS: usize = 29;
const IMAGES: usize = 30;
const BODY_LINK_DENSITY: usize = 31;
const TEXT_LEN: usize = 32;
const LONG_PARAGRAPHS: usize = 33;
const ITEM_CLASSES: usize = 34;
const POST_CLASSES: usize = 35;
const USER_CLASSES: usize = 36;
const REPLY_WORDS: usize = 37;
const DOCS_WORDS: usize = 38;
const SERVICE_WORDS: usize = 39;
const LINKED_HEADING_SHARE: usize = 40;

/// The features that are counts, scaled by [`log_count`]: all from [`PRE`] on but the two
/// measures of the body.
const COUNTED: [usize; 18] = [
    PRE,
    CODE,
    TABLES,
    INPUTS,
    PRICES,
    CART,
    ARTICLES,
    TIMES,
    HEADINGS,
    LIST_ITEMS,
    IMAGES,
    LONG_PARAGRAPHS,
    ITEM_CLASSES,
    POST_CLASSES,
    USER_CLASSES,
    REPLY_WORDS,
    DOCS_WORDS,
    SERVICE_WORDS,
];

/// Whether `id` is a heading that is a link to another page or holds one (a teaser's title:
/// listings and archives link every item's heading; an article's headings are plain, and a
/// documentation page's link only to themselves, `href="#…"`), looking at most two levels up
/// and down.
fn is_linked_heading(dom: &Dom, id: u32) -> bool {
    let link = |n: u32| {
        dom.element(n).is_some_and(|e| {
            e.tag == Tag::A && !e.get(Attr::Href).is_some_and(|h| h.starts_with('#'))
        })
    };
    let up = |n: u32| dom.nodes[n as usize].parent;
    let p = up(id);
    if p != super::dom::NONE && (link(p) || up(p) != super::dom::NONE && link(up(p))) {
        return true;
    }
    dom.children(id)
        .any(|c| link(c) || dom.children(c).any(link))
}

/// The features of one page, each scaled to roughly 0–1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageFeatures(pub [f32; N_FEATURES]);

impl Default for PageFeatures {
    fn default() -> Self {
        PageFeatures([0.0; N_FEATURES])
    }
}

fn log_count(n: u32) -> f32 {
    // ln(1 + n) / ln(1 + 100): 100 of anything is "many".
    ((1.0 + n as f32).ln() / 101f32.ln()).min(1.5)
}

fn any(hay: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| hay.contains(n))
}

/// Path (lower-cased, query and fragment dropped) and host of `url`.
fn split_url(url: &str) -> (String, String) {
    let u = url.to_ascii_lowercase();
    let rest = u.split_once("://").map_or(u.as_str(), |(_, r)| r);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let path = path.split(['?', '#']).next().unwrap_or("");
    (host.to_string(), format!("/{path}"))
}

fn url_features(url: &str, f: &mut [f32; N_FEATURES]) {
    let (host, path) = split_url(url);
    let both = format!("{host}{path}");
    let b = |x: bool| if x { 1.0 } else { 0.0 };
    f[0] = b(any(
        &path,
        &[
            "/product", "/p/", "/dp/", "/item/", "/itm/", "/buy/", "/sku",
        ],
    ));
    f[1] = b(any(
        &path,
        &[
            "/collections",
            "/collection/",
            "/category",
            "/categories",
            "/c/",
            "/catalog",
            "/department",
            "/shop/",
            "/store/",
        ],
    ));
    f[2] = b(any(
        &path,
        &[
            "/tag/",
            "/tags/",
            "/topic",
            "/archive",
            "/page/",
            "/search",
            "/list",
            "/directory",
            "/author/",
            "/people/",
            "/podcasts",
            "/events",
            "/jobs",
        ],
    ));
    f[3] = b(any(
        &both,
        &[
            "forum",
            "/thread",
            "/t/",
            "/questions/",
            "/discussion",
            "community.",
            "/community",
            "/comments/",
            "reddit.",
            "stackexchange.",
            "stackoverflow.",
            "/r/",
            "/viewtopic",
            "/showthread",
        ],
    ));
    f[4] = b(any(
        &both,
        &[
            "/docs",
            "/doc/",
            "docs.",
            "/documentation",
            "/api",
            "/reference",
            "/manual",
            "/guide",
            "/tutorial",
            "/learn",
            "/wiki",
            "readthedocs",
            "developer.",
            "/developer",
        ],
    ));
    f[5] = b(any(
        &path,
        &[
            "/blog/",
            "/news/",
            "/article",
            "/post/",
            "/posts/",
            "/story",
            "/stories",
            "/insights",
        ],
    ));
    f[6] = b(any(
        &path,
        &[
            "/service",
            "/solutions",
            "/pricing",
            "/about",
            "/contact",
            "/features",
            "/consulting",
            "/plans",
            "/industries",
            "/what-we-do",
        ],
    ));
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    f[7] = (segments.len() as f32 / 5.0).min(1.0);
    f[8] = b(segments.is_empty());
    f[9] = b(segments
        .iter()
        .any(|s| s.len() == 4 && s.starts_with("20") && s.bytes().all(|c| c.is_ascii_digit())));
    f[10] = b(segments.last().is_some_and(|s| s.matches('-').count() >= 4));
}

/// Schema.org type names found in JSON-LD `@type` values and `itemtype` attributes, and the
/// Open Graph type, as features 11–19.
fn type_features(types: &str, og_type: &str, f: &mut [f32; N_FEATURES]) {
    let b = |x: bool| if x { 1.0 } else { 0.0 };
    let has = |names: &[&str]| names.iter().any(|n| types.contains(n));
    f[11] = b(has(&[
        "newsarticle",
        "blogposting",
        "\"article",
        "/article",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
    ]));
    f[12] = b(has(&["\"product", "/product", "offer", "aggregaterating"]));
    f[13] = b(has(&[
        "discussionforumposting",
        "qapage",
        "\"question",
        "/question",
        "\"answer",
        "socialmediaposting",
    ]));
    f[14] = b(has(&[
        "collectionpage",
        "itemlist",
        "offercatalog",
        "searchresultspage",
    ]));
    f[15] = b(has(&[
        "techarticle",
        "apireference",
        "softwaresourcecode",
        "softwareapplication",
    ]));
    f[16] = b(has(&[
        "\"service",
        "/service",
        "professionalservice",
        "localbusiness",
        "homeandconstructionbusiness",
        "legalservice",
        "medicalbusiness",
    ]));
    f[17] = b(has(&["faqpage"]));
    f[18] = b(og_type == "article");
    f[19] = b(og_type.contains("product"));
}

/// Computes the page-type features of a parsed page. `a` is the first pruning pass, `url` the
/// page's address when known.
pub fn features(dom: &Dom, a: &Analysis, url: Option<&str>) -> PageFeatures {
    let mut f = [0f32; N_FEATURES];
    if let Some(url) = url {
        url_features(url, &mut f);
    }
    let mut types = String::new();
    let mut og_type = String::new();
    // Counts of the counted features, indexed like `f` (see [`COUNTED`]).
    let mut counts = [0u32; N_FEATURES];
    let mut linked_headings = 0u32;
    let mut lower = String::new();
    let words = dom.class_words();
    // The visible characters the pruning passes counted per text run: a run with none trims to
    // nothing, and most runs are blanks between tags. Trimming each was 63M instructions on
    // every third WCXB dev page, ~2% of extraction; 35M with this test (callgrind).
    let stats = dom.text_stats();
    for (id, node) in dom.nodes.iter().enumerate() {
        match &node.data {
            NodeData::Element(e) => {
                match e.tag {
                    Tag::Pre => counts[PRE] += 1,
                    Tag::Code => counts[CODE] += 1,
                    Tag::Table => counts[TABLES] += 1,
                    Tag::Input | Tag::Button | Tag::Select => counts[INPUTS] += 1,
                    Tag::Article => counts[ARTICLES] += 1,
                    Tag::Time => counts[TIMES] += 1,
                    Tag::H2 | Tag::H3 => {
                        counts[HEADINGS] += 1;
                        linked_headings += u32::from(is_linked_heading(dom, id as u32));
                    }
                    Tag::Li => counts[LIST_ITEMS] += 1,
                    Tag::Img => counts[IMAGES] += 1,
                    Tag::P if a.text_len[id] > 150 => counts[LONG_PARAGRAPHS] += 1,
                    Tag::Meta => {
                        if e.get(Attr::Property) == Some("og:type")
                            && let Some(c) = e.get(Attr::Content)
                        {
                            og_type = c.to_ascii_lowercase();
                        }
                    }
                    Tag::Script if e.get(Attr::Type).is_some_and(|t| t.contains("ld+json")) => {
                        for c in dom.children(id as u32) {
                            if let NodeData::Text(t) = &dom.nodes[c as usize].data {
                                collect_ld_types(t, &mut types);
                            }
                        }
                    }
                    _ => {}
                }
                if let Some(t) = e.get(Attr::Itemtype) {
                    types.push_str(&t.to_ascii_lowercase());
                    types.push(' ');
                }
                let w = words[id];
                counts[ITEM_CLASSES] += u32::from(w & word::ITEM != 0);
                counts[POST_CLASSES] += u32::from(w & word::POST != 0);
                counts[USER_CLASSES] += u32::from(w & word::USER != 0);
            }
            // Button labels count too ("Add to cart" is a `<button>`, pruned from the text).
            // Every phrase and price tested below is short; longer text is skipped unread.
            // Whitespace between tags (most text nodes) holds no phrase and no price, and is
            // skipped before the parent is looked up.
            NodeData::Text(t) => {
                if stats.get(id).is_some_and(|&(visible, _)| visible == 0) {
                    continue;
                }
                let t = trim(t);
                if t.is_empty()
                    || t.len() > MAX_SIGNAL_BYTES
                    || matches!(dom.tag(node.parent), Tag::Script | Tag::Style | Tag::Title)
                {
                    continue;
                }
                // One buffer for the page: a lower-cased copy per text node cost an allocation
                // and a free each.
                lower.clear();
                lower.push_str(t);
                lower.make_ascii_lowercase();
                let l = &lower;
                if has_price(l) {
                    counts[PRICES] += 1;
                }
                match l.as_str() {
                    "add to cart" | "add to bag" | "add to basket" | "buy now"
                    | "in den warenkorb" | "add to wishlist" => counts[CART] += 1,
                    "reply" | "quote" | "report" | "like" | "joined" | "posts" | "permalink" => {
                        counts[REPLY_WORDS] += 1
                    }
                    "parameters" | "returns" | "example" | "examples" | "syntax" | "note"
                    | "see also" | "arguments" | "usage" => counts[DOCS_WORDS] += 1,
                    "get a quote"
                    | "contact us"
                    | "our services"
                    | "get started"
                    | "book a consultation"
                    | "request a quote"
                    | "free consultation"
                    | "schedule a consultation"
                    | "our process"
                    | "why choose us" => counts[SERVICE_WORDS] += 1,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    type_features(&types, &og_type, &mut f);
    let body = dom.find_first(Tag::Body).unwrap_or(0);
    for i in COUNTED {
        f[i] = log_count(counts[i]);
    }
    // Share of the headings (h2, h3) that link elsewhere: listings and archives title each item
    // with a link. The share, not the count: as a count (and with a count of repeated
    // same-class cards beside it) the refitted model gained accuracy on the tuning part of WCXB
    // dev but sent more articles, products and services down wrong paths (token F1 0.8700
    // against 0.8733 with the share alone).
    f[LINKED_HEADING_SHARE] = linked_headings as f32 / counts[HEADINGS].max(1) as f32;
    f[BODY_LINK_DENSITY] = a.link_density(body);
    f[TEXT_LEN] = ((1.0 + a.text_len[body as usize] as f32).ln() / 12.0).min(1.5);
    PageFeatures(f)
}

/// Appends the lower-cased `"@type"` values of a JSON-LD block to `out`, without parsing the
/// block (metadata parses it once already; here only the type names matter).
fn collect_ld_types(json: &str, out: &mut String) {
    let mut rest = json;
    while let Some(i) = rest.find("\"@type\"") {
        rest = &rest[i + 7..];
        let end = rest
            .find(['}', ','])
            .map_or(rest.len(), |e| e.min(rest.len()));
        // An array of types ends at `]`.
        let end = if rest
            .trim_start()
            .trim_start_matches(':')
            .trim_start()
            .starts_with('[')
        {
            rest.find(']').unwrap_or(end)
        } else {
            end
        };
        out.push_str(&rest[..end].to_ascii_lowercase());
        out.push(' ');
        rest = &rest[end..];
    }
}

/// Whether a short text looks like a price: a currency sign or code next to a number.
fn has_price(l: &str) -> bool {
    let bytes = l.as_bytes();
    // Both tests below need a digit: most short texts (labels, menu items) have none, and are
    // answered without decoding their characters.
    if !bytes.iter().any(u8::is_ascii_digit) {
        return false;
    }
    let digit_near = |i: usize| {
        bytes[i.saturating_sub(2)..(i + 4).min(bytes.len())]
            .iter()
            .any(u8::is_ascii_digit)
    };
    for (i, c) in l.char_indices() {
        if matches!(c, '$' | '€' | '£' | '¥' | '₹') && digit_near(i) {
            return true;
        }
    }
    (l.contains("usd") || l.contains("eur")) && l.bytes().any(|c| c.is_ascii_digit())
}

/// The page type the fitted model gives `f`, and the model's probability of each type (in
/// [`PageType::ALL`] order).
pub fn classify(f: &PageFeatures) -> (PageType, [f32; 7]) {
    let logits = linear_scores(&PAGE_TYPE_BIAS, &PAGE_TYPE_WEIGHTS, f);
    let max = logits.iter().copied().fold(f32::MIN, f32::max);
    let mut p = logits.map(|l| (l - max).exp());
    let sum: f32 = p.iter().sum();
    for v in &mut p {
        *v /= sum;
    }
    (most_likely(&p), p)
}

/// One score per type, [`PageType::ALL`] order: `bias + weights · f` (the routing and the
/// reported-type models share this linear part).
fn linear_scores(bias: &[f32; 7], weights: &[[f32; N_FEATURES]; 7], f: &PageFeatures) -> [f32; 7] {
    let mut scores = *bias;
    for (score, row) in scores.iter_mut().zip(weights) {
        *score += row.iter().zip(&f.0).map(|(w, x)| w * x).sum::<f32>();
    }
    scores
}

/// The type with the highest score (logit or probability) in `scores`.
fn most_likely(scores: &[f32; 7]) -> PageType {
    let best = (0..7)
        .max_by(|&i, &j| scores[i].total_cmp(&scores[j]))
        .unwrap_or(0);
    PageType::ALL[best]
}

#[cfg(test)]
mod tests;
