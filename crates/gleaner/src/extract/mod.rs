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

pub mod boilerplate;
pub mod dom;
pub mod hints;
pub mod metadata;
pub mod score;
pub mod serialize;
mod stage;
pub mod tag;

pub use metadata::PageMetadata;
pub use stage::{ExtractConfig, ExtractStage};

use dom::Dom;
use score::{PruneOptions, analyse, select};
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
}

/// Link density above which a container is a link list (trafilatura `htmlprocessing.py`
/// `link_density_test` uses 0.5 for most elements).
const MAX_LINK_DENSITY: f32 = 0.5;

/// Extracts the main text and metadata of `html`. Never panics; bounded time and memory (linear
/// in the input, nesting capped at [`dom::MAX_DEPTH`]).
pub fn extract(html: &str, opts: &ExtractOptions) -> Extraction {
    let dom = Dom::parse(html);
    let metadata = metadata::extract_metadata(&dom);
    let text = main_text(&dom, opts);
    Extraction { text, metadata }
}

fn main_text(dom: &Dom, opts: &ExtractOptions) -> String {
    let root = dom.find_first(Tag::Body).unwrap_or(0);
    let ser = SerializeOptions {
        include_lists: opts.include_lists,
        max_link_density: MAX_LINK_DENSITY,
    };
    let mut best = String::new();
    for class_hints in [true, false] {
        let prune = PruneOptions {
            class_hints,
            include_comments: opts.include_comments,
            include_tables: opts.include_tables,
        };
        let a = analyse(dom, prune);
        let roots = select(dom, &a, root);
        let text = serialize(dom, &a, &roots, ser);
        if text.chars().count() >= opts.min_chars {
            return text;
        }
        if text.len() > best.len() {
            best = text;
        }
    }
    // Last resort: the whole pruned body.
    let prune = PruneOptions {
        class_hints: true,
        include_comments: opts.include_comments,
        include_tables: opts.include_tables,
    };
    let a = analyse(dom, prune);
    let text = serialize(dom, &a, &[root], ser);
    if text.len() > best.len() { text } else { best }
}
