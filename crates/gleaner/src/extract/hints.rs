//! Class and id name hints: the word lists that mark an element as boilerplate, as a comment
//! section, as a likely article container, or as text hidden from sighted readers, and the
//! word-start matcher the scorer applies them with.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

/// Name fragments that mark boilerplate in class and id attributes. Most come from Mozilla
/// Readability.js `unlikelyCandidates`; the rest are the cookie/consent, sharing and promotion
/// blocks the trafilatura project strips (trafilatura `xpaths.py` OVERALL_DISCARD_XPATH).
pub const UNLIKELY: &[&str] = &[
    "-ad-",
    "ad-break",
    "adbox",
    "advert",
    "agegate",
    "banner",
    "breadcrumb",
    "combx",
    "community",
    "consent",
    "cookie",
    "cover-wrap",
    "disqus",
    "footer",
    "gdpr",
    "legends",
    "menu",
    "navbar",
    "navigation",
    "newsletter",
    "pagination",
    "pager",
    "popup",
    "related",
    "remark",
    "rss",
    "share",
    "sharing",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "social",
    "sponsor",
    "subscribe",
    "supplemental",
    "tagcloud",
    "toolbar",
    "widget",
    "modal",
    "signup",
    "login",
    "outbrain",
    "taboola",
    "recommend",
    "copyright",
    "skip-link",
    "author-bio",
    "authorbox",
    "post-meta",
    "entry-meta",
    "article-meta",
    "byline",
    "dateline",
    // trafilatura 2.3.1 `xpaths.py` OVERALL_DISCARD_XPATH tokens (author, tags, button, embed,
    // rating, timestamp, -stories), DISCARD_IMAGE_ELEMENTS (caption) and the `hide-` classes;
    // "date" and "credit" cover the date lines and photo credits it removes as metadata.
    // Each was kept only if it raised F1 on the tuning split of extraction-dev.
    "author",
    "button",
    "caption",
    "credit",
    "date",
    "embed",
    "hide",
    "rating",
    "-stories",
    "tags",
    "timestamp",
];

/// Comment sections (kept only when comments are asked for).
pub const COMMENTS: &[&str] = &[
    "comment",
    "replies",
    "respond",
    "discussion",
    "kommentar",
    "commentaire",
    "comentario",
];

/// Names of a post's author box, kept on forum pages (see `PruneOptions::keep_authors`).
pub const AUTHORS: &[&str] = &["author", "username", "user-name", "poster", "byline"];

/// Names that rescue an element from the unlikely list (Readability `okMaybeItsACandidate`).
pub const MAYBE: &[&str] = &["article", "body", "column", "content", "main", "shadow"];

/// Readability `positive` / `negative` class weights.
pub const POSITIVE: &[&str] = &[
    "article",
    "body",
    "content",
    "entry",
    "hentry",
    "h-entry",
    "main",
    "page",
    "pagination",
    "post",
    "text",
    "blog",
    "story",
];
/// Readability `negative` class weights.
pub const NEGATIVE: &[&str] = &[
    "-ad-",
    "hidden",
    "hid",
    "banner",
    "combx",
    "comment",
    "com-",
    "contact",
    "foot",
    "footer",
    "footnote",
    "gdpr",
    "masthead",
    "media",
    "meta",
    "outbrain",
    "promo",
    "related",
    "scroll",
    "share",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "sponsor",
    "shopping",
    "tags",
    "tool",
    "widget",
];

/// Whether hint `pat` starts a word of `names` (word = run of ASCII letters and digits), so that
/// `pager` matches `pager` and `pager-top` but not `APageRoot`, and `social` matches `socials`.
pub fn hint_match(names: &str, pat: &str) -> bool {
    let b = names.as_bytes();
    names
        .match_indices(pat)
        .any(|(i, _)| i == 0 || !b[i - 1].is_ascii_alphanumeric() || pat.starts_with('-'))
}

/// A hint list compiled into one Aho-Corasick automaton: every element's class and id string
/// is tested against each list, and searching pattern by pattern (`str::contains` builds a
/// searcher per call) was ~20% of extraction time (perf on extraction-dev).
pub struct HintSet {
    pats: &'static [&'static str],
    automaton: AhoCorasick,
}

impl HintSet {
    /// Compiles `pats`.
    pub fn new(pats: &'static [&'static str]) -> Self {
        HintSet {
            pats,
            automaton: AhoCorasick::new(pats).expect("hint lists are plain strings"),
        }
    }

    /// Whether any pattern starts a word of `names` (see [`hint_match`]). Overlapping matches
    /// are all considered, so an occurrence hidden inside an earlier one still counts.
    pub fn matches(&self, names: &str) -> bool {
        let b = names.as_bytes();
        self.automaton.find_overlapping_iter(names).any(|m| {
            let i = m.start();
            i == 0
                || !b[i - 1].is_ascii_alphanumeric()
                || self.pats[m.pattern().as_usize()].starts_with('-')
        })
    }
}

/// [`UNLIKELY`], compiled.
pub static UNLIKELY_HINTS: LazyLock<HintSet> = LazyLock::new(|| HintSet::new(UNLIKELY));
/// [`COMMENTS`], compiled.
pub static COMMENT_HINTS: LazyLock<HintSet> = LazyLock::new(|| HintSet::new(COMMENTS));
/// [`AUTHORS`], compiled.
pub static AUTHOR_HINTS: LazyLock<HintSet> = LazyLock::new(|| HintSet::new(AUTHORS));
/// [`MAYBE`], compiled.
pub static MAYBE_HINTS: LazyLock<HintSet> = LazyLock::new(|| HintSet::new(MAYBE));
/// [`POSITIVE`], compiled.
pub static POSITIVE_HINTS: LazyLock<HintSet> = LazyLock::new(|| HintSet::new(POSITIVE));
/// [`NEGATIVE`], compiled.
pub static NEGATIVE_HINTS: LazyLock<HintSet> = LazyLock::new(|| HintSet::new(NEGATIVE));

/// Class names of text hidden from sighted readers (Bootstrap `sr-only`, WordPress
/// `screen-reader-text`, the `hidden`/`hide` utility classes).
pub const SCREEN_READER_ONLY: &[&str] = &[
    "hidden",
    "hide",
    "sr-only",
    "visually-hidden",
    "visuallyhidden",
    "screen-reader-text",
    "screenreader",
    "offscreen",
];
