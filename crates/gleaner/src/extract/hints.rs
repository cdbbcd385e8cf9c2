//! Class and id name hints: the word lists that mark an element as boilerplate, as a comment
//! section, as a likely article container, or as text hidden from sighted readers, and the
//! word-start matcher the scorer applies them with.

use std::sync::LazyLock;

use aho_corasick::Anchored;
use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use rustc_hash::FxHashMap;

use super::dom::{Dom, NodeData, NodeId};
use super::tag::Attr;

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
    // Google's marker for "not page content" (Google Search Appliance and Programmable Search
    // `class="nocontent"`), which Google's documentation sites put around their page footers.
    "nocontent",
    // Blocks that sit beside an article without being it, each seen on extraction-dev (tuning):
    // advertising disclaimers, WordPress `postmetadata` lines ("Der Beitrag wurde am ...
    // veröffentlicht"), the "Be Sociable, Share!" plugin, "you might also like" upsell blocks,
    // `pop-up` boxes, German captions (`bildunterschrift`, `bilduntertitel`) and donation
    // appeals (`donate`, `donation`, German `spenden`). "disclosure"
    // and "noprint" were tried and dropped: the first names accordions holding a product's
    // description (WCXB), the second a holiday-home page's whole description.
    "disclaimer",
    "postmeta",
    "sociable",
    "upsell",
    "pop-up",
    "bildunterschrift",
    "bilduntertitel",
    "donat",
    "spenden",
    // Borlabs Cookie, a WordPress consent plugin common on German sites: its content blocker
    // stands in for an embedded video or map with "Klicken Sie auf den unteren Button, um den
    // Inhalt von … zu laden" (`BorlabsCookie`, `_brlbs-content-blocker`).
    "borlabs",
    "brlbs",
    // Calls to action (`cta`, `post-cta`, `ctaBlock`): sign-up and "book a demo" boxes inside
    // an article's container. WCXB dev, tuning part: all 0.8967 -> 0.8970, article 0.9619 ->
    // 0.9621 (13 pages up, 6 down), service 0.8599 -> 0.8624, listing 0.7974 -> 0.7962 (a
    // course catalogue's `cta` cards); extraction-dev snippet F1 0.9371 -> 0.9373. Pages read
    // as service pages keep them (see `sections::still_boilerplate`).
    "cta",
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

/// Shop widgets that are never a product's description: image and product carousels, customer
/// reviews, cross-selling and recently viewed items (removed on product pages only: an article
/// may be a review). Delivery and fulfilment estimates and legal disclaimers too: on WCXB dev's
/// tuning product pages the text in such blocks was 1,905 tokens the gold drops against 10 it
/// keeps (one phone page carried 1,600 tokens of footnoted fine print). Then stock
/// availability, "was this useful?" feedback forms and sort controls: 554 tokens the gold drops
/// against 44 it keeps. (Not `legal`: a marketplace puts its item specifics beside its legal
/// notes, and three of its pages lost half their gold text.)
pub const SHOP: &[&str] = &[
    "carousel",
    "review",
    "upsell",
    "cross-sell",
    "crosssell",
    "recently",
    "delivery",
    "fulfil",
    "disclaimer",
    "availability",
    "feedback",
    "sort",
];

/// Bits of [`ClassHints::flags`]: which hint lists an element's class and id names match.
pub mod bit {
    /// [`super::UNLIKELY`].
    pub const UNLIKELY: u8 = 1;
    /// [`super::COMMENTS`].
    pub const COMMENT: u8 = 2;
    /// [`super::AUTHORS`].
    pub const AUTHOR: u8 = 4;
    /// [`super::MAYBE`].
    pub const MAYBE: u8 = 8;
    /// [`super::POSITIVE`].
    pub const POSITIVE: u8 = 16;
    /// [`super::NEGATIVE`].
    pub const NEGATIVE: u8 = 32;
    /// A class token of [`super::SCREEN_READER_ONLY`] (exact token, any case).
    pub const SCREEN_READER_ONLY: u8 = 64;
    /// [`super::SHOP`].
    pub const SHOP: u8 = 128;
}

/// Bits of [`HintTables::words`]: words found anywhere in an element's class attribute (with no
/// word-start rule), for the page-type features; the metadata bits also from its id.
pub mod word {
    /// Repeated items (product grids, cards): see `page_type::CLASS_WORDS`.
    pub const ITEM: u8 = 1;
    /// Posts (forum threads, comments).
    pub const POST: u8 = 2;
    /// User boxes.
    pub const USER: u8 = 4;
    /// Where a page's date sits (`metadata::DATE_CLASS_WORDS`).
    pub const DATE: u8 = 8;
    /// A byline's name, most specific (`metadata::AUTHOR_NAME_CLASSES`).
    pub const AUTHOR_NAME: u8 = 16;
    /// A byline (`metadata::AUTHOR_CLASSES`).
    pub const AUTHOR: u8 = 32;
    /// The bits metadata reads, which an element's id sets too.
    pub const METADATA: u8 = DATE | AUTHOR_NAME | AUTHOR;
}

/// Every hint list compiled into one Aho-Corasick automaton whose patterns carry the bits of
/// the lists they belong to: each element's names are searched once per page, not once per
/// list and pruning pass (searching list by list, per pass, was the largest single cost of
/// extraction in perf on WCXB dev). The class words of the page-type features and metadata's date
/// and byline words ride in the same automaton, so a class attribute is searched once in all
/// (metadata's own automaton over every class and id had cost 16% of extraction time).
pub struct ClassHints {
    automaton: DFA,
    /// Per pattern: the lists' bits, whether it matches anywhere (leading `-`), its [`word`]
    /// bits and its [`disclosure_word`] bits (both match anywhere).
    pats: Vec<(u8, bool, u8, u8)>,
}

/// Bits of the disclosure words a class or id holds anywhere (see [`super::disclosure`]).
pub mod disclosure_word {
    /// A word of an accordion, FAQ or tab panel.
    pub const DISCLOSURE: u8 = 1;
    /// A word that makes the element a menu.
    pub const MENU: u8 = 2;
}

/// What one class or id value says.
#[derive(Debug, Clone, Copy, Default)]
struct NameHints {
    /// [`bit`]s (word starts).
    flags: u8,
    /// [`word`] bits.
    words: u8,
    /// [`disclosure_word`] bits.
    disclosure: u8,
}

impl NameHints {
    /// Whether the value names a disclosure widget (see [`super::disclosure`]).
    fn names_disclosure(self) -> bool {
        self.disclosure == disclosure_word::DISCLOSURE
    }
}

impl ClassHints {
    fn new() -> Self {
        let lists: [(&[&str], u8); 7] = [
            (UNLIKELY, bit::UNLIKELY),
            (COMMENTS, bit::COMMENT),
            (AUTHORS, bit::AUTHOR),
            (MAYBE, bit::MAYBE),
            (POSITIVE, bit::POSITIVE),
            (NEGATIVE, bit::NEGATIVE),
            (SHOP, bit::SHOP),
        ];
        let mut names: Vec<&str> = Vec::new();
        let mut pats: Vec<(u8, bool, u8, u8)> = Vec::new();
        let mut add = |p: &'static str, flag: u8, words: u8, disclosure: u8| match names
            .iter()
            .position(|&n| n == p)
        {
            Some(i) => {
                pats[i].0 |= flag;
                pats[i].2 |= words;
                pats[i].3 |= disclosure;
            }
            None => {
                names.push(p);
                pats.push((flag, p.starts_with('-'), words, disclosure));
            }
        };
        for (list, flag) in lists {
            for &p in list {
                add(p, flag, 0, 0);
            }
        }
        for &(p, words) in super::page_type::CLASS_WORDS {
            add(p, 0, words, 0);
        }
        let metadata_lists: [(&[&'static str], u8); 3] = [
            (&super::metadata::DATE_CLASS_WORDS, word::DATE),
            (&super::metadata::AUTHOR_NAME_CLASSES, word::AUTHOR_NAME),
            (&super::metadata::AUTHOR_CLASSES, word::AUTHOR),
        ];
        for (list, words) in metadata_lists {
            for &p in list {
                add(p, 0, words, 0);
            }
        }
        // The disclosure test of the service path rides along too: testing each name for
        // each of its words apart was ~2% of extraction time (perf, WCXB dev).
        let disclosure_lists: [(&[&'static str], u8); 2] = [
            (
                super::disclosure::DISCLOSURE_NAMES,
                disclosure_word::DISCLOSURE,
            ),
            (super::disclosure::MENU_NAMES, disclosure_word::MENU),
        ];
        for (list, bits) in disclosure_lists {
            for &p in list {
                add(p, 0, 0, bits);
            }
        }
        // A DFA, matching ASCII case-insensitively so that names need no lower-cased copy: this
        // search over every class and id was the largest cost of extraction (perf, WCXB dev).
        // No prefilter: names are short, and [`ClassHints::name_hints`] steps the DFA itself.
        let automaton = DFA::builder()
            .ascii_case_insensitive(true)
            .prefilter(false)
            .build(&names)
            .expect("hint lists are plain strings");
        ClassHints { automaton, pats }
    }

    /// The bits of the lists with a pattern that starts a word of `names` (a class or id value,
    /// ASCII case ignored; word = run of ASCII letters and digits), so that `pager` matches
    /// `pager` and `pager-top` but not `APageRoot`, and `social` matches `socials`; a pattern
    /// with a leading `-` matches anywhere. Overlapping matches are all considered, so an
    /// occurrence hidden inside an earlier one still counts.
    pub fn flags(&self, names: &str) -> u8 {
        self.name_hints(names).flags
    }

    /// [`ClassHints::flags`], the [`word`] and the [`disclosure_word`] bits of `names`.
    fn name_hints(&self, names: &str) -> NameHints {
        // The DFA stepped byte by byte here, every pattern ending at each byte read off its
        // match states: the matches `find_overlapping_iter` yields, without its per-match
        // return to the caller and per-byte bookkeeping (1,175 instructions per class value
        // through the iterator, ~4% of extraction instructions; callgrind, WCXB dev). No
        // pattern is empty, so the start state never matches.
        let dfa = &self.automaton;
        let b = names.as_bytes();
        let mut h = NameHints::default();
        let Ok(mut sid) = dfa.start_state(Anchored::No) else {
            return h;
        };
        for (at, &byte) in b.iter().enumerate() {
            sid = dfa.next_state(Anchored::No, sid, byte);
            if !dfa.is_special(sid) {
                continue;
            }
            if dfa.is_dead(sid) {
                break;
            }
            if !dfa.is_match(sid) {
                continue; // a start state
            }
            for k in 0..dfa.match_len(sid) {
                let pattern = dfa.match_pattern(sid, k);
                let i = at + 1 - dfa.pattern_len(pattern);
                let (flag, anywhere, w, d) = self.pats[pattern.as_usize()];
                if i == 0 || !b[i - 1].is_ascii_alphanumeric() || anywhere {
                    h.flags |= flag;
                }
                h.words |= w;
                h.disclosure |= d;
            }
        }
        h
    }
}

/// The hint lists, compiled.
pub static CLASS_HINTS: LazyLock<ClassHints> = LazyLock::new(ClassHints::new);

/// Per node, what its class and id names say (0 for nodes without class or id).
#[derive(Debug)]
pub struct HintTables {
    /// [`bit`]s of the class and id.
    pub flags: Vec<u8>,
    /// [`word`] bits of the class.
    pub words: Vec<u8>,
    /// Whether the class or id names a disclosure widget ([`super::disclosure::is_disclosure`]).
    pub disclosures: Vec<bool>,
}

/// The hint bits of every node of `dom`, computed once per page and shared by every pruning
/// and scoring pass, the page-type features and the metadata. Pages repeat their class names
/// (on WCXB dev only 32% of class bytes are in a value's first occurrence on its page), so each
/// distinct class is searched once: the search was ~10% of extraction time (perf).
pub fn node_flags(dom: &Dom) -> HintTables {
    let mut flags = vec![0u8; dom.nodes.len()];
    let mut words = vec![0u8; dom.nodes.len()];
    let mut disclosures = vec![false; dom.nodes.len()];
    // Class -> what it says.
    let mut seen: FxHashMap<&str, NameHints> =
        FxHashMap::with_capacity_and_hasher(dom.nodes.len() / 16, Default::default());
    let mut lookup = |v| {
        *seen.entry(v).or_insert_with(|| {
            let h = CLASS_HINTS.name_hints(v);
            NameHints {
                flags: h.flags | screen_reader_only(v),
                ..h
            }
        })
    };
    for (id, node) in dom.nodes.iter().enumerate() {
        let NodeData::Element(e) = &node.data else {
            continue;
        };
        // Class and id searched apart, as no hint spans a space.
        if let Some(v) = e.get(Attr::Class) {
            let h = lookup(v);
            (flags[id], words[id]) = (h.flags, h.words);
            disclosures[id] = h.names_disclosure();
        }
        if let Some(v) = e.get(Attr::Id) {
            // Not through the cache: ids are unique on a page (hashing them only cost time).
            let h = CLASS_HINTS.name_hints(v);
            if h.flags != 0 && !is_heading_slug(dom, id as NodeId, v) {
                flags[id] |= h.flags;
            }
            // Metadata looks for date and byline words in ids as in classes; the page-type
            // features count classes only.
            words[id] |= h.words & word::METADATA;
            disclosures[id] |= h.names_disclosure();
        }
    }
    HintTables {
        flags,
        words,
        disclosures,
    }
}

/// [`bit::SCREEN_READER_ONLY`] when a token of `class` is one of [`SCREEN_READER_ONLY`].
fn screen_reader_only(class: &str) -> u8 {
    if class.split_ascii_whitespace().any(|c| {
        SCREEN_READER_ONLY
            .iter()
            .any(|name| c.eq_ignore_ascii_case(name))
    }) {
        bit::SCREEN_READER_ONLY
    } else {
        0
    }
}

/// Fewest words in an id before it can be taken for a heading's slug rather than a name given
/// by hand: `<section id="comments"><h2>Comments</h2>` is a comment section.
const MIN_SLUG_WORDS: usize = 3;

/// Most nodes of the heading read when comparing it with the id (headings are short; this bounds
/// the walk on a malformed page whose "heading" holds everything).
const MAX_SLUG_HEADING_NODES: usize = 64;

/// Whether `id_value` is the slug of the heading that opens element `id`: Sphinx, MkDocs, Hugo
/// and most documentation generators give each `<section>` the id of its title
/// (`<section id="respond-to-review-comments"><h2>Respond to review comments</h2>`), and such an
/// id names the section's subject, not its role on the page. Without this the kernel's
/// "Submitting patches" guide lost its section on review comments to the `comment` hint (WCXB
/// dev, tuning part: documentation 0.9354 -> 0.9358). Letters and digits are compared, case
/// ignored, so punctuation, spaces and a permalink sign (`¶`) in the heading do not matter.
fn is_heading_slug(dom: &Dom, id: NodeId, id_value: &str) -> bool {
    let words = id_value
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .count();
    if words < MIN_SLUG_WORDS {
        return false;
    }
    let Some(heading) = dom
        .children(id)
        .find(|&c| dom.element(c).is_some())
        .filter(|&c| dom.tag(c).is_heading())
    else {
        return false;
    };
    let mut slug = id_value
        .bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| b.to_ascii_lowercase());
    let mut stack = vec![heading];
    let mut visited = 0;
    while let Some(n) = stack.pop() {
        visited += 1;
        if visited > MAX_SLUG_HEADING_NODES {
            return false;
        }
        if let NodeData::Text(t) = &dom.nodes[n as usize].data {
            for b in t.as_str().bytes().filter(u8::is_ascii_alphanumeric) {
                if slug.next() != Some(b.to_ascii_lowercase()) {
                    return false;
                }
            }
        } else {
            // Children in reverse, so that text pops in document order.
            let start = stack.len();
            stack.extend(dom.children(n));
            stack[start..].reverse();
        }
    }
    slug.next().is_none()
}

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
