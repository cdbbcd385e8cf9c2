//! Main-content scoring over a pruned [`Dom`] (see [`super::prune`] for what is pruned).
//!
//! Text length, comma count and link density of paragraph-like blocks give scores that flow to
//! their ancestors (parent in full, grandparent half, higher levels a third per level, as in
//! Readability, Mozilla Readability.js); the best-scoring container, discounted by its link
//! density, is the article, joined by siblings that score at least a fifth of it or read like
//! prose.

use super::dom::{Dom, NONE, NodeData, NodeId};
use super::hints::bit;
use super::prune::Analysis;
use super::tag::{Attr, Tag};
use super::text::contains_ignore_ascii_case;

/// Widening to an ancestor needs its link density at most this and its prose at least this
/// many times the candidate's. Tuned on the tuning split of extraction-dev (not the held-out
/// fifth): link density 0.1–0.3 and growth 1.3–2.0 all gain recall over no widening; 0.15/1.5
/// gave the best F1 once wrappers without prose are walked through (0.3/1.3 before).
const WIDEN_MAX_LINK_DENSITY: f32 = 0.15;
const WIDEN_MIN_GROWTH: f32 = 1.5;
/// Widening walks through wrappers up to this link density (see [`select`]).
const WIDEN_WALK_MAX_LINK_DENSITY: f32 = 0.3;
/// Prose growth an ancestor past a wrapper denser than [`WIDEN_MAX_LINK_DENSITY`] must bring.
const WIDEN_PAST_DENSE_MIN_GROWTH: f32 = 3.0;

/// Widening to the enclosing `<main>` needs its link density at most this (tuning part of WCXB
/// dev: MDN reference pages sit at 0.26; a `<main>` holding the whole layout with its menus is
/// far above). Only on documentation and service pages: on articles `<main>` also holds the
/// teasers and comments around the story (tuning part: documentation 0.9271 -> 0.9333, service
/// 0.8293 -> 0.8344, article 0.9518 -> 0.9475 when applied to all pages).
const MAIN_MAX_LINK_DENSITY: f32 = 0.3;

fn class_weight(dom: &Dom, id: NodeId) -> f32 {
    let f = dom.hint_flags()[id as usize];
    let mut w = 0.0;
    if f & bit::NEGATIVE != 0 {
        w -= 25.0;
    }
    if f & bit::POSITIVE != 0 {
        w += 25.0;
    }
    if let Some(e) = dom.element(id)
        && e.get(Attr::Itemprop) == Some("articleBody")
    {
        w += 50.0;
    }
    w
}

fn base_score(tag: Tag) -> f32 {
    use Tag::*;
    match tag {
        Div | Article | Main | Section => 5.0,
        Pre | Td | Blockquote => 3.0,
        Address | Ol | Ul | Dl | Dd | Dt | Li | Form => -3.0,
        H1 | H2 | H3 | H4 | H5 | H6 | Th => -5.0,
        _ => 0.0,
    }
}

/// Direct (not nested) text characters of `id`.
fn own_text_len(dom: &Dom, a: &Analysis, id: NodeId) -> u32 {
    dom.children(id)
        .filter(|&c| {
            matches!(dom.nodes[c as usize].data, NodeData::Text(_))
                || !dom.tag(c).is_block() && dom.element(c).is_some()
        })
        .map(|c| a.text_len[c as usize])
        .sum()
}

/// How [`select_with`] widens the chosen container and which siblings join it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Selection {
    /// The enclosing `<main>` replaces the container when it is not link-heavy (documentation
    /// and service pages: see [`MAIN_MAX_LINK_DENSITY`]).
    pub widen_to_main: bool,
    /// Siblings after the container join only by their score, not by reading like prose
    /// (articles: see [`select_with`]).
    pub trailing_by_score: bool,
}

/// The chosen article: the top container and the siblings that join it, in document order.
/// With `widen_to_main`, the enclosing `<main>` replaces the container when it is not link-heavy
/// (documentation and service pages: see [`MAIN_MAX_LINK_DENSITY`]).
pub fn select(dom: &Dom, a: &Analysis, root: NodeId, widen_to_main: bool) -> Vec<NodeId> {
    select_with(
        dom,
        a,
        root,
        Selection {
            widen_to_main,
            ..Selection::default()
        },
    )
}

/// [`select`] with the choices of `how`.
pub fn select_with(dom: &Dom, a: &Analysis, root: NodeId, how: Selection) -> Vec<NodeId> {
    let n = dom.nodes.len();
    let mut score = vec![f32::NAN; n];
    let mut prose = vec![0u32; n];
    let paragraph: Vec<bool> = (0..n)
        .map(|id| {
            if id < root as usize || a.removed[id] || a.text_len[id] < 25 {
                return false;
            }
            match dom.tag(id as NodeId) {
                Tag::P | Tag::Pre | Tag::Td | Tag::Blockquote | Tag::Li => true,
                Tag::Div | Tag::Section | Tag::Article | Tag::Main | Tag::Span | Tag::Other => {
                    own_text_len(dom, a, id as NodeId) >= 25
                }
                _ => false,
            }
        })
        .collect();
    // Text of the paragraphs nested in each node, so that a paragraph counts as prose only the
    // text that no inner paragraph counts again: a `<div>` with a line of its own around the
    // story's `<p>`s (or a custom element the div treats as inline) otherwise doubles the
    // prose of everything above it, and widening compares doubled against single counts
    // (WCXB dev, tuning part: article 0.9567 -> 0.9574, extraction-dev snippet F1 0.9284 ->
    // 0.9289).
    let mut nested = vec![0u32; n];
    for id in (root as usize + 1..n).rev() {
        let p = dom.nodes[id].parent;
        if p != NONE {
            let inner = if paragraph[id] {
                a.text_len[id]
            } else {
                nested[id]
            };
            nested[p as usize] = nested[p as usize].saturating_add(inner);
        }
    }
    for id in root as usize..n {
        if !paragraph[id] {
            continue;
        }
        if a.link_density(id as NodeId) < 0.3 {
            let own = a.text_len[id].saturating_sub(nested[id]);
            let mut anc = id as NodeId;
            while anc != NONE {
                prose[anc as usize] += own;
                anc = dom.nodes[anc as usize].parent;
            }
        }
        let len = a.text_len[id] as f32;
        let s = 1.0 + a.commas[id] as f32 + (len / 100.0).min(3.0);
        let mut anc = dom.nodes[id].parent;
        let mut level = 0;
        while anc != NONE && level < 5 {
            let ai = anc as usize;
            if dom.element(anc).is_none() {
                break;
            }
            if score[ai].is_nan() {
                score[ai] = base_score(dom.tag(anc)) + class_weight(dom, anc);
            }
            score[ai] += match level {
                0 => s,
                1 => s / 2.0,
                l => s / (l as f32 * 3.0),
            };
            if anc == root {
                break;
            }
            anc = dom.nodes[ai].parent;
            level += 1;
        }
    }
    let mut best = NONE;
    let mut best_score = f32::MIN;
    for (id, sc) in score.iter_mut().enumerate() {
        if sc.is_nan() || a.removed[id] {
            continue;
        }
        let s = *sc * (1.0 - a.link_density(id as NodeId));
        *sc = s;
        if s > best_score {
            best_score = s;
            best = id as NodeId;
        }
    }
    if best == NONE {
        return Vec::new();
    }
    if in_reference_list(dom, a, best) {
        // A paper's list of references outscores its abstract (each entry a comma-rich
        // paragraph); the best candidate outside such a list is the text.
        let mut other = NONE;
        let mut other_score = f32::MIN;
        for (id, &sc) in score.iter().enumerate() {
            if !sc.is_nan()
                && !a.removed[id]
                && sc > other_score
                && !in_reference_list(dom, a, id as NodeId)
            {
                other_score = sc;
                other = id as NodeId;
            }
        }
        if other != NONE {
            (best, best_score) = (other, other_score);
        }
    }
    let (mut best, best_score) = climb(dom, a, &score, root, best, best_score);
    // Widen to an ancestor when it adds prose (paragraphs outside links) without adding link
    // lists: articles split into several scored sections otherwise lose all but one.
    // Widen to an ancestor when it adds prose (paragraphs outside links) without adding link
    // lists: articles split into several scored sections otherwise lose all but one. Wrappers
    // that add no prose (a `container` div around a lead paragraph) are walked through, so the
    // growth is measured against the whole article, not the wrapper; the walk ends at the first
    // ancestor that is link-heavy (the page layout with its menus).
    //
    // A wrapper a little above that link density (a list of buying links around a guide's
    // section, WCXB dev tuning 4001) is walked through too, but an ancestor past it must multiply
    // the prose by [`WIDEN_PAST_DENSE_MIN_GROWTH`]: an advertiser's card beside a news story
    // only adds a little (extraction-dev, tuning split).
    let mut p = best;
    let mut passed_dense = false;
    while p != root {
        p = dom.nodes[p as usize].parent;
        if p == NONE || dom.element(p).is_none() {
            break;
        }
        let ld = a.link_density(p);
        if ld > WIDEN_WALK_MAX_LINK_DENSITY {
            break;
        }
        if ld > WIDEN_MAX_LINK_DENSITY {
            passed_dense = true;
            continue;
        }
        let growth = if passed_dense {
            WIDEN_PAST_DENSE_MIN_GROWTH
        } else {
            WIDEN_MIN_GROWTH
        };
        if prose[p as usize] as f32 >= prose[best as usize] as f32 * growth {
            best = p;
        }
    }
    // A `<main>` (or `role="main"`) around the candidate is where the page itself says its
    // content is: reference pages whose every entry is a link (MDN's lists of properties) are
    // too link-dense to widen to by the rule above, yet all of it is content.
    let mut p = best;
    while how.widen_to_main && p != root {
        p = dom.nodes[p as usize].parent;
        let Some(e) = dom.element(p) else {
            break;
        };
        if e.tag == Tag::Main || e.get(Attr::Role) == Some("main") {
            if a.link_density(p) <= MAIN_MAX_LINK_DENSITY {
                best = p;
            }
            break;
        }
    }
    let parent = dom.nodes[best as usize].parent;
    if parent == NONE {
        return vec![best];
    }
    let threshold = (best_score * 0.2).max(10.0);
    let mut out = Vec::new();
    let mut after = false;
    for sib in dom.children(parent) {
        let si = sib as usize;
        if sib == best {
            out.push(sib);
            after = true;
            continue;
        }
        if a.removed[si] || a.text_len[si] == 0 {
            continue;
        }
        let mut keep = !score[si].is_nan() && score[si] >= threshold;
        // On articles a block after the story that reads like prose without scoring like it is
        // the author's bio, a disclaimer, a newsletter box, a blogroll or the next story; the
        // lead, standfirst and intro blocks before it are the story's (WCXB dev, tuning part:
        // 47 article pages gain, 4 lose (a post split into site-builder blocks, closing
        // sections of guides), article 0.9574 -> 0.9594; extraction-dev snippet F1 0.9289 ->
        // 0.9311). Service pages the type model reads as articles keep the prose rule: their
        // sections follow one another (service 0.8537 -> 0.8448 under the rule).
        if !(keep || after && how.trailing_by_score) {
            let ld = a.link_density(sib);
            let len = a.text_len[si];
            keep = (len > 80 && ld < 0.25) || (len > 0 && ld == 0.0 && a.commas[si] > 0);
        }
        if keep {
            out.push(sib);
        }
    }
    out
}

/// Names of a bibliography (`references`, `c-article-references`, `reflist`, `bibliography`).
const REFERENCE_LIST_NAMES: &[&str] = &["reference", "reflist", "bibliograph"];

/// How many ancestors of a candidate [`in_reference_list`] reads (the list, its section), and
/// how many levels of largest children (a section's content wrapper around its list).
const REFERENCE_LIST_LEVELS: usize = 3;

/// Whether the class or id of `id` names a list of references.
fn names_reference_list(dom: &Dom, id: NodeId) -> bool {
    dom.element(id).is_some_and(|e| {
        [e.get(Attr::Class), e.get(Attr::Id)]
            .into_iter()
            .flatten()
            .any(|v| {
                REFERENCE_LIST_NAMES
                    .iter()
                    .any(|n| contains_ignore_ascii_case(v, n))
            })
    })
}

/// Whether candidate `id` is a list of references: it or one of its nearest ancestors is named
/// as one, or most of its text is in a descendant so named. Such a list is never the text a
/// reader came for: on a journal's page that shows only the abstract, the references outscore
/// it and were chosen instead (extraction-dev, tuning split: 2 journal pages lost their whole
/// abstract).
fn in_reference_list(dom: &Dom, a: &Analysis, id: NodeId) -> bool {
    if dom
        .ancestors(id)
        .take(REFERENCE_LIST_LEVELS)
        .take_while(|&up| dom.element(up).is_some())
        .any(|up| names_reference_list(dom, up))
    {
        return true;
    }
    let mut down = id;
    for _ in 0..REFERENCE_LIST_LEVELS {
        let Some(largest) = dom.children(down).max_by_key(|&c| a.text_len[c as usize]) else {
            break;
        };
        if a.text_len[largest as usize] * 2 < a.text_len[id as usize] {
            break;
        }
        if names_reference_list(dom, largest) {
            return true;
        }
        down = largest;
    }
    false
}

/// Readability's refinements of the top candidate: when several near-best candidates share an
/// ancestor, that ancestor is the article; when scores keep rising towards the root, the higher
/// container is; an only child stands for its parent.
fn climb(
    dom: &Dom,
    a: &Analysis,
    score: &[f32],
    root: NodeId,
    mut best: NodeId,
    mut best_score: f32,
) -> (NodeId, f32) {
    let scored = |id: NodeId| -> Option<f32> {
        let s = score[id as usize];
        (!s.is_nan()).then_some(s)
    };
    // Near-best alternatives (Readability: score ≥ 0.75 × top, at least 3 sharing an ancestor).
    let mut alternatives: Vec<NodeId> = (0..score.len() as NodeId)
        .filter(|&i| i != best && scored(i).is_some_and(|s| s >= best_score * 0.75))
        .filter(|&i| !a.removed[i as usize])
        .collect();
    alternatives.truncate(16);
    if alternatives.len() >= 3 {
        let mut p = dom.nodes[best as usize].parent;
        while p != NONE && p != root {
            let shared = alternatives
                .iter()
                .filter(|&&alt| is_ancestor(dom, p, alt))
                .count();
            if shared >= 3 {
                best = p;
                break;
            }
            p = dom.nodes[p as usize].parent;
        }
    }
    // Scores rising towards the root.
    let mut last = scored(best).unwrap_or(best_score);
    let threshold = last / 3.0;
    let mut p = dom.nodes[best as usize].parent;
    while p != NONE && best != root {
        let Some(ps) = scored(p) else {
            if p == root {
                break;
            }
            p = dom.nodes[p as usize].parent;
            continue;
        };
        if ps < threshold {
            break;
        }
        if ps > last {
            best = p;
            break;
        }
        last = ps;
        if p == root {
            break;
        }
        p = dom.nodes[p as usize].parent;
    }
    // An only child stands for its parent.
    loop {
        let p = dom.nodes[best as usize].parent;
        if best == root || p == NONE || dom.element(p).is_none() {
            break;
        }
        let visible = dom
            .children(p)
            .filter(|&c| !a.removed[c as usize] && a.text_len[c as usize] > 0)
            .count();
        if visible != 1 {
            break;
        }
        best = p;
    }
    best_score = scored(best).unwrap_or(best_score).max(best_score);
    (best, best_score)
}

/// Whether `anc` is `node` or one of its ancestors (walks at most the capped depth).
pub(crate) fn is_ancestor(dom: &Dom, anc: NodeId, mut node: NodeId) -> bool {
    while node != NONE {
        if node == anc {
            return true;
        }
        node = dom.nodes[node as usize].parent;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::prune::analyse;
    use crate::extract::{ExtractOptions, prune_options};

    #[test]
    fn reference_lists_are_not_the_article() {
        let entry = "<li>Smith J, Jones K, Brown L, et al. A study of things, with results. \
            J Things. 2013;31:5339-48.</li>";
        let html = format!(
            "<body><div class=\"article-body\"><div class=\"abstract\"><p>We studied the \
             effect of vaccination on hospital stays, in a cohort of elderly persons, and found \
             fewer admissions.</p></div><div class=\"article__references\"><ol>{}</ol></div>\
             </div></body>",
            entry.repeat(20)
        );
        let dom = Dom::parse(&html);
        let a = analyse(&dom, prune_options(&ExtractOptions::default(), true, false));
        let body = dom.find_first(Tag::Body).unwrap_or(0);
        let roots = select(&dom, &a, body, false);
        let abstract_text = dom
            .nodes
            .iter()
            .position(|n| matches!(&n.data, NodeData::Text(t) if t.as_str().contains("We studied")))
            .expect("abstract in page") as NodeId;
        assert!(
            roots.iter().any(|&r| is_ancestor(&dom, r, abstract_text)),
            "{roots:?}"
        );
    }
}
