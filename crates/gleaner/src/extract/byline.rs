//! Author names from bylines and declarations: labels ("By", "Written by:", "Veröffentlicht
//! von") dropped, what follows the name (dates, titles, forum reputation) cut, handles and
//! organisations told apart from people.

use serde_json::Value;

use super::date::{self, parse_date};
use super::dom::{Dom, NodeId};
use super::metadata::{MAX_AUTHOR_CHARS, clean, node_text};
use super::tag::Attr;

/// Words that introduce a name in a byline ("By", "Written by:", "Veröffentlicht von", "Par"),
/// lower case, longest first so "posted by" wins over "posted".
const BYLINE_LABELS: &[&str] = &[
    "veröffentlicht von",
    "veröffentlicht am",
    "veröffentlicht",
    "published on",
    "published by",
    "published",
    "posted on",
    "geschrieben von",
    "erstellt von",
    "written by",
    "posted by",
    "post by",
    "author:",
    "author",
    "autor:",
    "autor",
    "auteur",
    "by:",
    "by",
    "von",
    "vom",
    "par",
    "por",
    "~",
    "|",
    "–",
    "—",
    "-",
];

/// What separates a name from what follows it in a byline ("Ann Lee · 3 May", "Ann Lee | News").
const BYLINE_ENDS: &[&str] = &[
    " · ", " | ", " - ", " – ", " — ", "»", " @", " •", "\u{a0}|",
];

/// Most words a name (or a list of names) has; longer bylines are prose.
const MAX_AUTHOR_WORDS: usize = 12;

/// A byline's name: labels in front dropped ("By", "Written by:"), cut before what follows the
/// name (a separator, a date, a number such as a forum user's reputation), trailing punctuation
/// gone. `None` when nothing name-like is left ("By" alone, "Posted by:", a date).
pub(super) fn author_ok(s: &str) -> Option<String> {
    let s = clean(s)?;
    // "8. Januar 2020 · by Aureliana · in Gefühle": the first part that is a name.
    let mut rest = s.as_str();
    loop {
        let cut = BYLINE_ENDS
            .iter()
            .filter_map(|e| rest.find(e).map(|i| (i, e.len())))
            .min();
        let (part, next) = match cut {
            Some((i, len)) => (&rest[..i], Some(&rest[i + len..])),
            None => (rest, None),
        };
        if let Some(name) = byline_part(part) {
            return Some(name);
        }
        rest = next?;
    }
}

/// [`author_ok`] on one part of a byline, between separators.
pub(super) fn byline_part(s: &str) -> Option<String> {
    let mut s = s.trim().to_string();
    if s.starts_with(|c: char| c.is_ascii_digit()) && parse_date(&s).is_some() {
        return None;
    }
    loop {
        let lower = s.to_lowercase();
        let Some(label) = BYLINE_LABELS.iter().find(|l| {
            lower.starts_with(**l)
                && lower[l.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric() || !l.chars().all(char::is_alphanumeric))
        }) else {
            break;
        };
        if !s.is_char_boundary(label.len()) {
            break;
        }
        s = s[label.len()..].trim_start_matches([' ', ':']).to_string();
    }
    // Names hold no numbers: a number starts the date, reputation or count after the name.
    let mut words: Vec<&str> = Vec::new();
    let mut cut_at_number = false;
    for w in s.split(' ') {
        if !words.is_empty() && (w.starts_with(|c: char| c.is_ascii_digit()) || w.starts_with('@'))
        {
            cut_at_number = true;
            break;
        }
        words.push(w);
    }
    let dateish = |w: &str| {
        let w = w.trim_end_matches([',', '.']).to_lowercase();
        date::month_number(&w).is_some() || WEEKDAYS.contains(&w.as_str())
    };
    // A weekday or month just before the number ("Tomas Spahn Fr, 18. Oktober") is the date's.
    while cut_at_number && words.len() > 1 && words.last().is_some_and(|w| dateish(w)) {
        words.pop();
    }
    let s = words.join(" ");
    let s = s.trim_matches(|c: char| c.is_whitespace() || ",;:|·•-–—".contains(c));
    let word_count = s.split(' ').count();
    (s.chars().any(char::is_alphabetic)
        && s.chars().count() <= MAX_AUTHOR_CHARS
        && word_count <= MAX_AUTHOR_WORDS
        && !s.starts_with("http")
        && !(word_count == 1 && dateish(s))
        && !BYLINE_LABELS.contains(&s.to_lowercase().as_str()))
    .then(|| s.to_string())
}

/// Weekday names and abbreviations that end a byline's name when a date follows it.
const WEEKDAYS: &[&str] = &[
    "mon", "tue", "wed", "thu", "fri", "sat", "sun", "mo", "di", "mi", "do", "fr", "sa", "so",
    // "on" before a date: "lupa am 26/10/13", "Ann Lee on 3 May".
    "am", "on", "le", "el", "il", "em",
];

/// A declared author that is an account handle or address rather than a name
/// ("andrew.keaveney", "@NatGeoUK"): the byline on the page is better.
pub(super) fn handle_like(s: &str) -> bool {
    s.starts_with('@') || (!s.contains(' ') && s.contains(['.', '_', '@']))
}

/// An author as a meta tag or JSON-LD declares it: already a name, so only a leading label
/// goes ("By Ann Lee"); what follows a separator stays ("Ann Lee | The Texas Newsroom" is how
/// such pages credit a writer).
pub(super) fn declared_author(s: &str) -> Option<String> {
    let s = clean(s)?;
    let lower = s.to_lowercase();
    let rest = ["by ", "von ", "par ", "por "]
        .iter()
        .find(|l| lower.starts_with(**l))
        .map_or(s.as_str(), |l| &s[l.len()..]);
    let rest = rest.trim();
    (!rest.is_empty() && rest.chars().count() <= MAX_AUTHOR_CHARS && !rest.starts_with("http"))
        .then(|| rest.to_string())
}

pub(super) fn json_author(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => declared_author(s),
        Value::Object(o) => o
            .get("name")
            .and_then(Value::as_str)
            .and_then(declared_author),
        Value::Array(a) => {
            let names: Vec<String> = a.iter().filter_map(json_author).collect();
            (!names.is_empty()).then(|| names.join("; "))
        }
        _ => None,
    }
}

/// An author given as an organisation (`"@type": "Organization"`): often the publisher put
/// where the writer belongs, so a person in the page's byline is preferred.
pub(super) fn json_author_is_organisation(v: &Value) -> bool {
    match v {
        Value::Object(o) => o
            .get("@type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.contains("Organization")),
        Value::Array(a) => a.first().is_some_and(json_author_is_organisation),
        _ => false,
    }
}

/// Adds byline candidate `id`, replacing the previous one when that one contains it: in
/// "author-name-wrap" > "author-name" + "author-title" the inner element holds the name alone.
pub(super) fn push_innermost(dom: &Dom, ids: &mut Vec<NodeId>, id: NodeId) {
    if let Some(&last) = ids.last() {
        let mut up = dom.nodes[id as usize].parent;
        for _ in 0..4 {
            if up == last {
                ids.pop();
                break;
            }
            if up == super::dom::NONE {
                break;
            }
            up = dom.nodes[up as usize].parent;
        }
    }
    ids.push(id);
}

/// The name in a microdata `itemprop=author` element: its `itemprop=name` (text or `content`),
/// else its whole text. Forum user cards put reputation and badges beside the name.
pub(super) fn itemprop_name(dom: &Dom, id: NodeId) -> Option<String> {
    let mut stack: Vec<NodeId> = dom.children(id).collect();
    let mut seen = 0;
    while let Some(n) = stack.pop() {
        seen += 1;
        if seen > 200 {
            break;
        }
        if let Some(e) = dom.element(n) {
            if e.get(Attr::Itemprop) == Some("name") {
                return e
                    .get(Attr::Content)
                    .and_then(author_ok)
                    .or_else(|| author_ok(&node_text(dom, n, 200)));
            }
            stack.extend(dom.children(n));
        }
    }
    author_ok(&node_text(dom, id, 200))
}
