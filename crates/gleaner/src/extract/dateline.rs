//! The date a page shows its readers, searched when nothing declares one: date-classed
//! elements and `<time>` text, dates next to a publication label, short datelines, a paragraph
//! opening with its date, and page-state JSON in scripts — each outside comment sections and
//! never the serving-time line forum software prints. The candidates are gathered in
//! [`super::metadata::extract_metadata`]'s one pass over the page; the searches here rank them,
//! as htmldate's text search does.

use super::date::{parse_date, script_json_date};
use super::dom::{Dom, NodeData, NodeId};
use super::metadata::node_text;
use super::tag::{Attr, Tag};
use super::text::contains_ignore_ascii_case as contains_ci;

/// Labels before a date in running text ("Published on", "Last updated", "Veröffentlicht").
const DATE_LABELS: [&str; 9] = [
    "publish",
    "posted",
    "updated",
    "veröffentlicht",
    "aktualisiert",
    "publié",
    "publicado",
    "pubblicato",
    "written",
];
/// Elements whose text is looked at for a date or a byline, at most this many of each kind.
pub(super) const MAX_CANDIDATES: usize = 40;
/// Text longer than this is prose, not a dateline.
pub(super) const MAX_DATELINE_CHARS: usize = 120;

/// Whether `s` holds a four-digit year 1990-2099: cheap test before parsing it as a date.
/// Jumps from one `1` or `2` to the next with `memchr2`: metadata tests every short text node of
/// the page, and stepping through them window by window was ~2% of extraction time (perf, WCXB
/// dev).
pub(super) fn has_year(s: &str) -> bool {
    let b = s.as_bytes();
    memchr::memchr2_iter(b'1', b'2', b).any(|i| {
        b.get(i..i + 4).is_some_and(|w| {
            ((w[0] == b'1' && w[1] == b'9') || (w[0] == b'2' && w[1] == b'0'))
                && w[2].is_ascii_digit()
                && w[3].is_ascii_digit()
        })
    })
}

fn has_date_label(s: &str) -> bool {
    let lower = s.to_lowercase();
    DATE_LABELS.iter().any(|l| lower.contains(l))
}

/// Labels of the time the page was served, which forum software prints in its header
/// (phpBB: "It is currently Wed Oct 14, 2020", "Aktuelle Zeit: 14.10.2020"): never the
/// publication date.
const CURRENT_TIME_LABELS: [&str; 5] = [
    "it is currently",
    "current time",
    "aktuelle zeit",
    "es ist gerade",
    "nous sommes le",
];

fn shows_current_time(s: &str) -> bool {
    CURRENT_TIME_LABELS.iter().any(|l| contains_ci(s, l))
}

/// Whether `id` or one of its ancestors is a comment section (dates and names there are the
/// commenters', not the page's). `<body>` is not a section: Reddit's says "comments-page".
pub(super) fn in_comments(dom: &Dom, mut id: NodeId) -> bool {
    for _ in 0..12 {
        if let Some(e) = dom.element(id)
            && !matches!(e.tag, Tag::Body | Tag::Html)
            && [e.get(Attr::Class), e.get(Attr::Id)]
                .into_iter()
                .flatten()
                .any(|v| contains_ci(v, "comment"))
        {
            return true;
        }
        let parent = dom.nodes[id as usize].parent;
        if parent == super::dom::NONE {
            return false;
        }
        id = parent;
    }
    false
}

/// Last resort: a publication date in page-state JSON of an ordinary script (shops and review
/// sites declare it there and nowhere else), see [`script_json_date`].
pub(super) fn script_date(dom: &Dom, scripts: &[NodeId]) -> Option<String> {
    scripts
        .iter()
        .flat_map(|&id| dom.children(id))
        .find_map(|c| match &dom.nodes[c as usize].data {
            NodeData::Text(t) => script_json_date(t),
            _ => None,
        })
}

/// The first date in the text of a date-classed element or a `<time>` (without `datetime`).
pub(super) fn dated_element(dom: &Dom, ids: &[NodeId]) -> Option<String> {
    ids.iter().find_map(|&id| {
        let text = node_text(dom, id, MAX_DATELINE_CHARS + 1);
        (text.chars().count() <= MAX_DATELINE_CHARS
            && has_year(&text)
            && !shows_current_time(&text)
            && !in_comments(dom, id))
        .then(|| parse_date(&text))
        .flatten()
    })
}

/// Text this short holding a date is a dateline ("21.01.2022" above a headline, "January 22,
/// 2014" below it), not a sentence that mentions one.
const MAX_SHORT_DATELINE_CHARS: usize = 60;

/// Last resort, as htmldate's text search: the first short text with a date, outside comment
/// sections.
pub(super) fn short_dateline(dom: &Dom, texts: &[NodeId]) -> Option<String> {
    texts.iter().find_map(|&id| {
        let NodeData::Text(t) = &dom.nodes[id as usize].data else {
            return None;
        };
        // Counted with whitespace runs as one character: table-laid pages pad a dateline
        // ("(        2012-06-04 09:20:26        )") with dozens of spaces.
        let t = t.trim();
        if shows_current_time(t) {
            return None;
        }
        let short = t
            .split_whitespace()
            .map(|w| w.chars().count() + 1)
            .sum::<usize>()
            <= MAX_SHORT_DATELINE_CHARS + 1;
        // A paragraph opening with its date ("27.1.2022 - Bei der Erinnerung …", press
        // releases' "01.02.2022 „Der Arbeitsmarkt …"): the date is the dateline.
        let date = if short {
            parse_date(t)
        } else {
            t.split_whitespace().next().and_then(parse_date)
        };
        date.filter(|_| !in_comments(dom, id))
    })
}

/// A date in running text next to a publication label: "Last updated: November 13, 2025",
/// `<div>Published on</div><div>Oct 31, 2025</div>` (the label in the parent's or
/// grandparent's text).
pub(super) fn labelled_date(dom: &Dom, texts: &[NodeId]) -> Option<String> {
    texts.iter().find_map(|&id| {
        let NodeData::Text(t) = &dom.nodes[id as usize].data else {
            return None;
        };
        let date = parse_date(t)?;
        if shows_current_time(t) {
            return None;
        }
        if has_date_label(t) {
            return Some(date);
        }
        let parent = dom.nodes[id as usize].parent;
        let up = [parent, dom.nodes.get(parent as usize)?.parent];
        up.into_iter()
            .filter(|&p| p != super::dom::NONE)
            .any(|p| {
                let text = node_text(dom, p, MAX_DATELINE_CHARS + 1);
                text.chars().count() <= MAX_DATELINE_CHARS && has_date_label(&text)
            })
            .then_some(date)
    })
}

#[cfg(test)]
mod tests {
    use super::has_year;

    #[test]
    fn years_are_found_anywhere() {
        for s in ["1999", "Posted 2024-03-01", "© 2019 x", "x2099", "1990"] {
            assert!(has_year(s), "{s}");
        }
        for s in [
            "",
            "199",
            "1899",
            "2100",
            "12 21 19 20",
            "3:59 PM",
            "x201",
            "1 9 2 0",
        ] {
            assert!(!has_year(s), "{s}");
        }
    }
}
