//! JSON-LD (`<script type="application/ld+json">`): what a page declares about itself in
//! schema.org terms — headline, author, publication and modification dates — searched inside
//! `@graph` and a forum's `mainEntity` too. Kept apart from the meta-tag reading in
//! [`super::metadata`] because the caller ranks the two against each other.

use serde_json::Value;

use super::byline::{json_author, json_author_is_organisation};
use super::date::parse_date;
use super::metadata::clean;

/// JSON-LD blocks above this size are skipped: real ones are a few kilobytes.
const MAX_JSON_LD: usize = 1 << 20;

/// What JSON-LD blocks declare, kept apart so the caller can rank it against meta tags.
#[derive(Default)]
pub(super) struct JsonLd {
    pub(super) published: Option<String>,
    pub(super) modified: Option<String>,
    pub(super) author: Option<String>,
    pub(super) author_is_organisation: bool,
    pub(super) headline: Option<String>,
}

impl JsonLd {
    /// Adds what one JSON-LD block's text declares to the fields still empty (the first
    /// declaration of each field wins); blocks that do not parse, or are too large, are skipped.
    pub(super) fn read(&mut self, text: &str) {
        if text.len() <= MAX_JSON_LD
            && let Ok(v) = serde_json::from_str::<Value>(text.trim())
        {
            scan(&v, self);
        }
    }
}

/// Object keys whose values hold the page's own item ("mainEntity" of a forum's QAPage).
const JSON_LD_NESTS: [&str; 3] = ["@graph", "mainEntity", "mainEntityOfPage"];

fn scan(v: &Value, ld: &mut JsonLd) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(a) => stack.extend(a.iter().rev()),
            Value::Object(o) => {
                if ld.published.is_none() {
                    ld.published = ["datePublished", "dateCreated", "uploadDate"]
                        .iter()
                        .find_map(|k| o.get(*k).and_then(Value::as_str).and_then(parse_date));
                }
                if ld.modified.is_none() {
                    ld.modified = o
                        .get("dateModified")
                        .and_then(Value::as_str)
                        .and_then(parse_date);
                }
                if ld.author.is_none()
                    && let Some(a) = o.get("author")
                {
                    ld.author = json_author(a);
                    ld.author_is_organisation = json_author_is_organisation(a);
                }
                if ld.headline.is_none() {
                    ld.headline = o.get("headline").and_then(Value::as_str).and_then(clean);
                }
                for k in JSON_LD_NESTS {
                    if let Some(g) = o.get(k).filter(|g| g.is_object() || g.is_array()) {
                        stack.push(g);
                    }
                }
            }
            _ => {}
        }
    }
}
