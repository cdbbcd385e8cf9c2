//! HTML main-text extraction: turns a web page into the text a reader came for, with paragraph
//! breaks kept and navigation, menus, footers, comment sections, cookie banners and link lists
//! left out, plus the page's title, author and publication date.
//!
//! The pipeline is parse ([`dom`]: a linear, bounded-depth HTML5 tokenizer and tree builder) →
//! prune and score ([`score`]: tag, class/id and link-density hints, Readability-style paragraph
//! scores flowing to ancestors) → serialise ([`serialize`]: one block per line) with
//! [`metadata`] read from meta tags, JSON-LD, microdata and bylines. When the best candidate holds
//! too little text the extractor retries without class hints and finally falls back to the whole
//! pruned body, keeping the longest result, as Readability does.
//!
//! The [`ExtractStage`] wraps it for pipelines (`type = "extract"`).

mod article_notes;
pub mod boilerplate;
mod byline;
mod calls_to_action;
mod caption;
pub mod confidence;
pub mod date;
mod dateline;
mod disclosure;
pub mod dom;
mod forum;
mod grid;
pub mod hints;
mod json_ld;
mod listing;
pub mod metadata;
mod models;
pub mod page_type;
mod product;
pub mod prune;
mod rescue;
pub mod score;
mod sections;
pub mod serialize;
mod stage;
pub mod tag;
pub mod text;

pub use metadata::PageMetadata;
pub use page_type::PageType;
pub use stage::{ExtractConfig, ExtractStage};

use dom::{Dom, NodeData, NodeId};
use prune::{Analysis, PruneOptions, analyse};
use score::{Selection, select_with};
use serialize::{SerializeOptions, serialize};
use tag::Tag;

/// What the extractor keeps; the stage's parameters map onto it.
#[derive(Debug, Clone, Copy)]
pub struct ExtractOptions {
    /// Keep comment sections.
    pub include_comments: bool,
    /// Keep tables.
    pub include_tables: bool,
    /// Keep lists.
    pub include_lists: bool,
    /// Below this many characters the extractor tries its next strategy.
    pub min_chars: usize,
    /// Keep an article's or documentation page's headline as the text's first line. Off by
    /// default: readers of WCXB leave it out of the main text (see
    /// [`boilerplate::drop_leading_title`]); it is in `metadata.title` either way.
    pub keep_headline: bool,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            include_comments: false,
            include_tables: true,
            include_lists: true,
            // Readability.js `charThreshold` (500) halved: pages in extraction-dev often carry
            // short posts whose main text is a few sentences.
            min_chars: 250,
            keep_headline: false,
        }
    }
}

/// The result of extracting one page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extraction {
    /// Main text, one block per line; empty when none was found.
    pub text: String,
    /// Title, author and date when the page carries them.
    pub metadata: PageMetadata,
    /// What kind of page this is (WCXB's seven types; see [`page_type::reported_type`]).
    pub page_type: PageType,
    /// The type whose rules produced `text`: the routing model's type ([`page_type::classify`],
    /// which agrees with `page_type` on most pages), but a shop category
    /// that may well be one product is read as a product, a page likely enough to be a list is
    /// read as a listing, and an article made of links may be read as one too.
    pub read_as: PageType,
    /// 0–1: the predicted token F1 of `text` against what a person would mark as main text.
    pub confidence: f32,
    /// The features both models read, for the fitting script (`examples/extract_pages.rs`).
    pub features: Features,
}

/// The inputs of the page-type and confidence models.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Features {
    /// Page-type features ([`page_type::FEATURE_NAMES`]).
    pub page: page_type::PageFeatures,
    /// Confidence features ([`confidence::FEATURE_NAMES`]).
    pub confidence: confidence::ConfidenceFeatures,
}

/// Link density above which a container is a link list (trafilatura `htmlprocessing.py`
/// `link_density_test` uses 0.5 for most elements).
pub(crate) const MAX_LINK_DENSITY: f32 = 0.5;

/// Extracts the main text and metadata of `html` (address unknown). Never panics; bounded time
/// and memory (linear in the input, nesting capped at [`dom::MAX_DEPTH`]).
pub fn extract(html: &str, opts: &ExtractOptions) -> Extraction {
    extract_page(html, None, opts)
}

/// [`extract`] for a page whose address is known: the URL is one of the page-type signals.
pub fn extract_page(html: &str, url: Option<&str>, opts: &ExtractOptions) -> Extraction {
    extract_page_as(html, url, opts, None)
}

/// [`extract_page`] with the page type given instead of predicted when `forced` is set: the
/// bench driver routes every page down one type's path to measure what a right or wrong type
/// costs (`GLEANER_PAGE_TYPE` in `examples/extract_pages.rs`).
pub fn extract_page_as(
    html: &str,
    url: Option<&str>,
    opts: &ExtractOptions,
    forced: Option<PageType>,
) -> Extraction {
    let dom = Dom::parse(html);
    let mut metadata = metadata::extract_metadata(&dom, url);
    let first = analyse(&dom, prune_options(opts, true, false));
    let mut root = dom.find_first(Tag::Body).unwrap_or(0);
    if first.text_len[root as usize] * 2 < first.text_len[0] {
        // Most of the text sits outside `<body>` (markup after `</body>`, or a second `<html>`
        // after the first one closed): the whole document is the page.
        root = 0;
    }
    let page = page_type::features(&dom, &first, url);
    let (predicted, probabilities) = page_type::classify(&page);
    // The routing model's type picks the rules; the reported type (address and title words
    // added, see [`page_type::reported_type`]) is what metadata says the page is.
    let route_type = forced.unwrap_or(predicted);
    let page_type = forced.unwrap_or_else(|| page_type::reported_type(&dom, url, &page));
    // The path the page goes down: its type's, the product path for a shop category that may
    // well be one product (see `product::collection_reads_as_product`), or the listing path
    // when a list is likely enough (see `listing::reads_as_list`).
    let mut path = if forced.is_none()
        && product::collection_reads_as_product(predicted, &probabilities)
        && !listing::has_hint_emptied_grid(&dom, &first, root, opts)
    {
        PageType::Product
    } else if forced.is_none() && listing::reads_as_list(&probabilities) {
        PageType::Listing
    } else {
        route_type
    };
    let mut main = match path {
        PageType::Listing | PageType::Collection => listing::listing_text(&dom, &first, root, opts),
        // Product pages: carousels, customer reviews and cross-selling blocks go too.
        PageType::Product => {
            let a = analyse(
                &dom,
                PruneOptions {
                    shop_hints: true,
                    ..prune_options(opts, true, false)
                },
            );
            let mut m = MainText {
                body_chars: first.text_len[root as usize],
                body_link_density: first.link_density(root),
                ..main_text(
                    &dom,
                    opts,
                    root,
                    a,
                    Choice {
                        product: true,
                        ..Choice::default()
                    },
                )
            };
            product::strip_uuids(&mut m.text);
            m
        }
        // Forum threads: each post with who wrote it, the opening post and the replies together
        // (see [`forum`]).
        PageType::Forum => MainText {
            body_chars: first.text_len[root as usize],
            body_link_density: first.link_density(root),
            ..forum::thread_text(&dom, opts, root)
        },
        _ => {
            let to_main = matches!(path, PageType::Documentation | PageType::Service);
            // Documentation keeps its link lists: an overview's list of the pages it
            // introduces, a "See also" list, a table of contents of the chapter are what
            // readers mark as its content (WCXB dev, tuning part: documentation 0.9391 ->
            // 0.9431, extraction-dev snippet F1 unchanged). Menus and sidebars are still
            // pruned by their tags and names before this.
            let keep_link_lists = path == PageType::Documentation;
            let p_service = PageType::Service.probability_in(&probabilities);
            let service_like = path == PageType::Service
                || (path == PageType::Article && p_service >= DISCLOSURES_MIN_SERVICE_PROBABILITY);
            // Articles: blocks after the story join it only by their score (see
            // `score::select_with`), unless the page may be a service page, whose sections
            // follow one another (threshold not tuned: the disclosure rule's, below).
            let how = Choice {
                to_main,
                keep_link_lists,
                trailing_by_score: path == PageType::Article && !service_like,
                // Service pages keep their cards, links that each hold a title and its
                // description (see [`sections::links_read_as_cards`]).
                keep_link_cards: service_like,
                // Articles, service and documentation pages leave out the forms inside their
                // container (see [`SerializeOptions::skip_forms`]).
                skip_forms: true,
                ..Choice::default()
            };
            if service_like {
                // Service pages keep their FAQ accordions and tab panels (see [`disclosure`]).
                let a = analyse(
                    &dom,
                    PruneOptions {
                        keep_disclosures: true,
                        service_page: path == PageType::Service,
                        ..prune_options(opts, true, false)
                    },
                );
                MainText {
                    body_chars: first.text_len[root as usize],
                    body_link_density: first.link_density(root),
                    ..main_text(&dom, opts, root, a, how)
                }
            } else {
                main_text(&dom, opts, root, first, how)
            }
        }
    };
    if path == PageType::Article
        && forced.is_none()
        && rescue::reads_as_link_page(&main, &probabilities)
    {
        // The article rule kept little of a page made of links that may well be a list (see
        // [`rescue::reads_as_link_page`]): it is read as one, and that reading stands when it
        // is much longer (see [`rescue::LINK_PAGE_MIN_LIST_GROWTH`]). `first` went to the
        // article rule; the pruning pass is made again for these few pages.
        let again = analyse(&dom, prune_options(opts, true, false));
        let list = listing::listing_text(&dom, &again, root, opts);
        if list.text.chars().count() as f32
            >= rescue::LINK_PAGE_MIN_LIST_GROWTH * main.text.chars().count() as f32
        {
            main = list;
            path = PageType::Listing;
        }
    }
    if main.text.chars().count() < opts.min_chars {
        // Pages rendered by script (Discourse forums, for one) carry their text for crawlers
        // inside `<noscript>`, which is otherwise never main text.
        if let Some(inner) = largest_noscript(&dom) {
            let inner_dom = Dom::parse(inner);
            // The crawler copy also carries the bylines (a forum's posters) the shell lacks.
            let inner_md = metadata::extract_metadata(&inner_dom, url);
            metadata.author = metadata.author.take().or(inner_md.author);
            metadata.date = metadata.date.take().or(inner_md.date);
            let inner_root = inner_dom.find_first(Tag::Body).unwrap_or(0);
            let a = analyse(&inner_dom, prune_options(opts, true, false));
            let alt = main_text(&inner_dom, opts, inner_root, a, Choice::default());
            if alt.text.len() > main.text.len() {
                main = MainText { strategy: 3, ..alt };
            }
        }
    }
    if main.text.chars().count() < MIN_BEFORE_DESCRIPTION
        && let Some(d) = &metadata.description
        && d.len() > main.text.len()
    {
        // Nothing readable in the body (an application shell): the page's own summary is the
        // best text there is.
        main.text = d.clone();
        main.strategy = 4;
    }
    if path == PageType::Product {
        // Shops that render the description by script declare it in JSON-LD only (see
        // [`product::add_declared_description`]).
        product::add_declared_description(&mut main.text, metadata.product_description.as_deref());
    }
    // The headline is a field of its own (see [`boilerplate::drop_leading_title`]).
    let headline = metadata.title.as_deref().filter(|_| !opts.keep_headline);
    text::edit_lines(&mut main.text, |lines| {
        drop_lines_by_path(lines, path, headline)
    });
    let confidence = confidence::features(&main, &probabilities);
    Extraction {
        confidence: confidence::predict(&confidence),
        text: main.text,
        metadata,
        page_type,
        read_as: path,
        features: Features { page, confidence },
    }
}

/// The line rules of the reading `path`, in order, on one split of the main text (see
/// [`text::Lines`]): each sees the lines the rules before it kept. `headline` is the page's
/// title when the headline is to go.
fn drop_lines_by_path(lines: &mut text::Lines<'_>, path: PageType, headline: Option<&str>) {
    if path == PageType::Article {
        // Newsletter, app and social-media appeals after the story (see [`calls_to_action`]).
        calls_to_action::drop_closing_calls(lines);
        calls_to_action::cut_at_late_call(lines);
        // "Read more: <title of another article>" lines too long for the serialiser's
        // whole-line test (see [`boilerplate::drop_lead_in_lines`]).
        boilerplate::drop_lead_in_lines(lines);
        // Affiliate disclosures, bylines and reading times (see [`article_notes`]).
        article_notes::drop_article_notes(lines);
    }
    if matches!(path, PageType::Article | PageType::Documentation)
        && let Some(title) = headline
    {
        boilerplate::drop_leading_title(lines, title);
    }
    if matches!(
        path,
        PageType::Product | PageType::Collection | PageType::Listing
    ) {
        // Shop pages only: elsewhere a `key_name:` line may be a configuration example.
        product::strip_field_key_lists(lines);
    }
    if path == PageType::Forum {
        // Like counts and poster statistics (see [`forum::drop_furniture_lines`]).
        forum::drop_furniture_lines(lines);
    }
    if path == PageType::Product {
        // A shop page shows the same short lines again and again (the name in the gallery, the
        // buy box and the sticky bar; each variant's label; the price twice), and readers mark
        // each once: dropping every repeated line on the product path, short ones included,
        // gained 0.52 F1 points over WCXB dev's tuning pages typed product (0.0065 a page),
        // against 0.48 for lines of at least 8 bytes and 0.17 for 30.
        drop_repeated_lines(lines, 1);
    } else if path != PageType::Documentation {
        // Documentation repeats lines on purpose (the same call in several code examples).
        drop_repeated_lines(lines, MIN_REPEATED_LINE_BYTES);
    }
}

/// Pages read as articles keep their FAQ accordions and tab panels like service pages (see
/// [`disclosure`]) when the page-type model gives a service page at least this probability:
/// business pages it mistakes for articles (WCXB dev, tuning part, threshold swept 0.05-0.3:
/// service 0.8450 -> 0.8474, article 0.9534 -> 0.9535; on every article page, article fell to
/// 0.9533 and extraction-dev snippet F1 to 0.9247).
const DISCLOSURES_MIN_SERVICE_PROBABILITY: f32 = 0.1;

/// Lines at least this long (in bytes) are dropped when they repeat an earlier line: shops and
/// responsive themes put the same description in twice (a mobile and a desktop copy, one hidden
/// by a stylesheet the extractor does not read), and a reader sees it once. Shorter lines
/// ("Yes", "Reply", a table cell) repeat legitimately.
const MIN_REPEATED_LINE_BYTES: usize = 40;

/// Removes the second and later copies of every line of at least `min_bytes` bytes
/// ([`MIN_REPEATED_LINE_BYTES`] but on product pages).
fn drop_repeated_lines(lines: &mut text::Lines<'_>, min_bytes: usize) {
    // Fx rather than SipHash: the lines are the page's own text, and hashing every line of
    // every page with SipHash was ~1% of extraction time (perf, WCXB dev).
    let mut seen: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
    lines.retain(|_, line| line.len() < min_bytes || seen.insert(line));
}

/// Below this many characters of main text the page's description stands in for it.
const MIN_BEFORE_DESCRIPTION: usize = 50;
/// `<noscript>` blocks shorter than this are tracking pixels and "enable JavaScript" notes.
const MIN_NOSCRIPT_BYTES: usize = 1000;

/// The raw HTML of the largest `<noscript>` block, when it is big enough to hold a page.
fn largest_noscript<'d>(dom: &'d Dom) -> Option<&'d str> {
    let mut best: Option<&str> = None;
    for (id, node) in dom.nodes.iter().enumerate() {
        if let NodeData::Text(t) = &node.data
            && t.len() >= MIN_NOSCRIPT_BYTES
            && dom.tag(node.parent) == Tag::Noscript
            && best.is_none_or(|b| t.len() > b.len())
        {
            let _ = id;
            best = Some(t.as_str());
        }
    }
    best
}

pub(crate) fn prune_options(
    opts: &ExtractOptions,
    class_hints: bool,
    keep_authors: bool,
) -> PruneOptions {
    PruneOptions {
        shop_hints: false,
        class_hints,
        keep_authors,
        keep_disclosures: false,
        service_page: false,
        include_comments: opts.include_comments,
        include_tables: opts.include_tables,
    }
}

/// The main text and how it was found (the confidence model's inputs).
pub struct MainText {
    /// The text, one block per line.
    pub text: String,
    /// Which strategy gave it: 0 scored with class hints, 1 scored without, 2 the whole body,
    /// 3 a `<noscript>` copy of the page, 4 the page's description, 5 the listing region.
    pub strategy: u8,
    /// Selected subtrees (the top candidate and the siblings that joined it).
    pub roots: usize,
    /// Visible characters of the body after pruning with class hints.
    pub body_chars: u32,
    /// Link density of that body.
    pub body_link_density: f32,
}

/// How [`main_text`] chooses and writes the main text; all off is the article rule.
#[derive(Debug, Clone, Copy, Default)]
struct Choice {
    /// The pruning passes keep author boxes, and short blocks saying who wrote a post and when
    /// stay in the text (forum threads).
    authors: bool,
    /// Widen the chosen container to its `<main>` (see [`score::select`]).
    to_main: bool,
    /// Widen it to the whole thread (forum pages, see [`forum::widen_to_thread`]).
    thread: bool,
    /// Keep the link lists inside the chosen container (documentation).
    keep_link_lists: bool,
    /// Blocks after the chosen container join it only by their score (articles, see
    /// [`score::Selection`]).
    trailing_by_score: bool,
    /// Widen it to the product column (product pages, see [`product::widen_to_page`]).
    product: bool,
    /// Keep link blocks whose links are cards (service pages, see
    /// [`sections::links_read_as_cards`]).
    keep_link_cards: bool,
    /// Leave out forms (see [`SerializeOptions::skip_forms`]).
    skip_forms: bool,
}

/// The scored main text; `first` is the pruning pass with class hints (already made by the
/// caller, keeping author boxes when `how.authors` is set).
fn main_text(
    dom: &Dom,
    opts: &ExtractOptions,
    root: NodeId,
    first: Analysis,
    how: Choice,
) -> MainText {
    let Choice {
        authors,
        to_main,
        thread,
        keep_link_lists,
        trailing_by_score,
        product,
        keep_link_cards,
        skip_forms,
    } = how;
    let ser = SerializeOptions {
        include_lists: opts.include_lists,
        max_link_density: MAX_LINK_DENSITY,
        keep_link_lists,
        keep_attribution: authors,
        keep_link_cards,
        skip_forms,
    };
    let body_chars = first.text_len[root as usize];
    let body_link_density = first.link_density(root);
    let mut best = MainText {
        text: String::new(),
        strategy: 0,
        roots: 0,
        body_chars,
        body_link_density,
    };
    let mut without_hints = None;
    for strategy in [0u8, 1] {
        let a = if strategy == 0 {
            &first
        } else {
            // A product page read again without class hints still loses its shop widgets:
            // when the hinted pass leaves little (the description only in a script), the
            // unhinted one otherwise picked the customer reviews (WCXB dev, tuning part: a
            // sportswear page 0.142 -> 0.164, no other page changed).
            without_hints.insert(analyse(
                dom,
                PruneOptions {
                    shop_hints: product,
                    ..prune_options(opts, false, authors)
                },
            ))
        };
        let selection = Selection {
            widen_to_main: to_main,
            trailing_by_score,
        };
        let mut roots = select_with(dom, a, root, selection);
        if thread {
            roots = forum::widen_to_thread(dom, a, root, roots);
        } else if product {
            roots = product::widen_to_page(dom, a, root, roots);
        }
        let text = serialize(dom, a, &roots, ser);
        let enough = text.chars().count() >= opts.min_chars;
        if enough || text.len() > best.text.len() {
            best.text = text;
            best.strategy = strategy;
            best.roots = roots.len();
        }
        if enough {
            return best;
        }
    }
    // Last resort: the whole body as the first pass pruned it.
    let text = serialize(dom, &first, &[root], ser);
    if text.len() > best.text.len() {
        best.text = text;
        best.strategy = 2;
        best.roots = 1;
    }
    best
}
