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
    /// The `description` of a `Product` (see [`super::metadata::PageMetadata`]).
    pub(super) product_description: Option<String>,
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
                if ld.product_description.is_none() && declares_product(o) {
                    ld.product_description = o
                        .get("description")
                        .and_then(Value::as_str)
                        .and_then(description_lines);
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

/// Whether a JSON-LD object's `@type` is a product (`"Product"`, `["Product", ...]`,
/// `"ProductGroup"`).
fn declares_product(o: &serde_json::Map<String, Value>) -> bool {
    let is_product = |t: &Value| {
        t.as_str().is_some_and(|t| {
            t.eq_ignore_ascii_case("product") || t.eq_ignore_ascii_case("productgroup")
        })
    };
    match o.get("@type") {
        Some(Value::Array(a)) => a.iter().any(is_product),
        Some(t) => is_product(t),
        None => false,
    }
}

/// A declared description as text lines: markup tags dropped (shops put their description's
/// HTML there), each line's blanks collapsed, empty lines left out.
fn description_lines(s: &str) -> Option<String> {
    let mut plain = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                plain.push('\n');
            }
            _ if !in_tag => plain.push(c),
            _ => {}
        }
    }
    let lines: Vec<String> = plain.lines().filter_map(clean).collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}
