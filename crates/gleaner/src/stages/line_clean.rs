//! Line cleaning: removes lines that are not part of the document's own text, each with the
//! rule that removed it (`cx.remove_line`), and keeps everything else byte for byte.
//!
//! Two families of rules (the C4 line rules — javascript, lorem ipsum, policy, curly brackets,
//! terminal punctuation, words per line — live in the `c4_quality` stage and are not repeated):
//!
//! * `truncated_teaser`: a paragraph of prose cut off mid-sentence, as aggregators and "more
//!   from this site" boxes print them (the four teasers at the end of the user's seed document
//!   end in "is pronounced", "in their home", "reaffirmed his", "results within"). A line is one
//!   when all of these hold:
//!   - it has at least `teaser_min_words` (20) and at most `teaser_max_words` (200)
//!     whitespace-separated words: headings, bylines, captions and short list items are below
//!     the minimum; a whole article on one line (common in scraped news) is above the maximum;
//!   - it is not the first non-blank line of the document, so a document that is a single cut
//!     paragraph is left to the document-level filters instead of being emptied;
//!   - it does not look like a list item (`-`, `*`, `•`, `1.`, `2)` …) or a table row (two or
//!     more `|`, or a tab);
//!   - it ends in a lowercase word — letters only, no final punctuation, quote, bracket, digit,
//!     handle or URL (`pronounced`, `home`, `his`, `within`); with `teaser_ellipsis = true` a
//!     trailing `...`, `…` or `[…]` after that word is allowed too (off by default: prose
//!     sometimes trails off on purpose);
//!   - it holds at least one complete sentence before the cut (a `.`, `!`, `?` or `…`, maybe
//!     followed by a closing quote, then more text): teasers print the opening sentences of an
//!     article, while a caption, a score line or a single sentence split by the extractor does
//!     not;
//!   - the next non-blank line, if any, starts a new block (an uppercase letter, a digit or an
//!     opening quote or bracket), so a paragraph that the extractor split mid-sentence and that
//!     continues in lowercase on the next line is kept.
//!
//!   Measured by `bench/parity/line_clean.py`: on the 3,824 news articles it removes nothing; on
//!   trafilatura's main text of the 990 evaluation pages it removes 83 lines in 50 documents.
//!   Reading them shows the false-positive classes: German paragraphs split mid-sentence
//!   where the continuation starts with a capitalised noun, photo captions and comment lines
//!   written without a full stop, and cookie/privacy prose split by the extractor. On raw
//!   page text most removals are wanted (teaser boxes, link lists).
//!
//! * Navigation and UI lines (English and German): a short line that *is* a UI string, matched
//!   as a whole line (case-insensitive), never a sentence that merely mentions one. Each rule has
//!   a name (`read_more`, `share`, `social_buttons`, `click_here`, `cookie_notice`,
//!   `newsletter`, `copyright`, `follow_us`, `site_navigation`, `comments`, `advertisement`) and
//!   a word limit beyond which the line is treated as prose. See [`UI_RULES`].
//!
//! * `author_bio`: the author's bio or the publisher's opinion disclaimer under a column ("Marc
//!   Champion is a Bloomberg Opinion columnist …", "This column reflects the personal views of
//!   the author …"). It is the author's text about the author, not the article, yet it is
//!   legitimate prose that filters and dedup should see, so by default the line is *flagged*
//!   (kept, and listed in `metadata.flagged_lines` with its rule) rather than removed;
//!   `author_bio = "remove"` removes it with its reason, `"keep"` turns the rule off. Only the
//!   first two and last three lines that survive the other rules are candidates (bios sit above
//!   or below the article; a paragraph inside a news story that starts "Smith is a professor"
//!   is not one). A candidate is a bio when it starts with a capitalised name of two to four
//!   words followed by "is", "was" or "has been" and names a writer's or expert's role within
//!   the next 25 words, or when it holds an opinion disclaimer ([`BIO_DISCLAIMER`]).
//!
//! A document whose every non-blank line is removed is dropped (`all_lines_removed`).

use std::sync::LazyLock;

use regex::{Regex, RegexSet};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::document::{Document, Removal};
use crate::error::{Error, Result};
use crate::stage::{Stage, StageContext, Verdict};

/// Parameters of [`LineCleaner`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LineCleanConfig {
    /// Remove prose lines cut off mid-sentence.
    pub teasers: bool,
    /// Fewest words for a line to count as prose (gleaner's choice: the shortest seed teaser has
    /// 61 words, while headings, captions and bylines stay well under 20).
    pub teaser_min_words: usize,
    /// Most words for a teaser (teaser boxes print one to three sentences; a whole scraped
    /// article on one line is far longer).
    pub teaser_max_words: usize,
    /// Also treat prose lines ending in an ellipsis as teasers.
    pub teaser_ellipsis: bool,
    /// Remove navigation and UI lines.
    pub ui_lines: bool,
    /// UI rule names to skip (e.g. `["copyright"]` to keep copyright lines).
    pub disabled_rules: Vec<String>,
    /// What to do with an author bio or opinion disclaimer line: flag it (default), remove it,
    /// or keep it without a flag.
    pub author_bio: BioAction,
}

/// What [`LineCleaner`] does with an author-bio line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BioAction {
    /// Keep the line and list it in `metadata.flagged_lines`.
    #[default]
    Flag,
    /// Remove the line, with rule `author_bio`.
    Remove,
    /// Do nothing.
    Keep,
}

impl Default for LineCleanConfig {
    fn default() -> Self {
        LineCleanConfig {
            teasers: true,
            teaser_min_words: 20,
            teaser_max_words: 200,
            teaser_ellipsis: false,
            ui_lines: true,
            disabled_rules: Vec::new(),
            author_bio: BioAction::Flag,
        }
    }
}

/// A named UI-line rule: the whole (trimmed) line must match `pattern` (case-insensitive) and
/// have at most `max_words` words.
pub struct UiRule {
    /// Rule name recorded with each removed line.
    pub name: &'static str,
    /// Regular expression matched against the whole trimmed line.
    pub pattern: &'static str,
    /// Longer lines are prose, not UI.
    pub max_words: usize,
}

/// Trailing decoration UI strings carry: arrows, chevrons, ellipses, colons, pipes.
macro_rules! tail {
    () => {
        r"[\s.:!|»›>→▸►…\-–—]*"
    };
}

/// The curated UI-line rules, English and German. Patterns are anchored to the whole line.
pub const UI_RULES: &[UiRule] = &[
    UiRule {
        name: "read_more",
        pattern: concat!(
            r"^[\[(«‹<]?\s*(read (more|the full (story|article|column|piece|report|interview)|on)|continue reading|full story|",
            r"learn more|see more|view more|load more|show more|more\s*»|weiterlesen|mehr lesen|",
            r"mehr erfahren|mehr dazu|zum artikel|zum vollständigen artikel|alles lesen|mehr anzeigen)",
            r"\b[^.!?]{0,60}?[\])»›]?",
            tail!(),
            "$"
        ),
        max_words: 12,
    },
    UiRule {
        name: "share",
        pattern: concat!(
            r"^(share|teilen|jetzt teilen|artikel teilen|diesen (artikel|beitrag) teilen|",
            r"share (this|the) (article|story|page|post)|share this|share on \w+|share via \w+|",
            r"auf \w+ teilen|per e-?mail (teilen|versenden)|email this( article| story)?|",
            r"tweet( this)?|pin it|print( this)?( article| page)?|drucken|artikel drucken)",
            tail!(),
            "$"
        ),
        max_words: 6,
    },
    UiRule {
        name: "social_buttons",
        pattern: concat!(
            r"^((facebook|twitter|linkedin|whatsapp|pinterest|instagram|youtube|reddit|tumblr|",
            r"xing|telegram|e-?mail|print|drucken|messenger|flipboard|threads|bluesky|mastodon|",
            r"google\+|copy link|link kopieren)[\s|·•,/]*){2,}$"
        ),
        max_words: 20,
    },
    UiRule {
        name: "click_here",
        pattern: r"^(please )?(click|tap) here\b.*$|^(hier klicken|klicken sie hier|hier tippen)\b.*$",
        max_words: 15,
    },
    UiRule {
        name: "cookie_notice",
        pattern: concat!(
            r"^.*(\b(this|our) (web)?site uses cookies|\bwe use cookies|\buses cookies to|",
            r"\baccept (all )?cookies|\bcookie (policy|settings|preferences|consent)|",
            r"\bdiese (website|webseite|seite|internetseite) (verwendet|nutzt|benutzt) cookies|\bwir (verwenden|nutzen|setzen) cookies|",
            r"\bcookies (akzeptieren|zulassen|ablehnen)|\bverwendung von cookies|",
            r"\bcookie-?(einstellungen|richtlinie|hinweis)).*$"
        ),
        max_words: 80,
    },
    UiRule {
        name: "newsletter",
        pattern: concat!(
            r"^.*((sign up|subscribe|register)( now| today| here)?( to| for)? (our|the|my)\b.*newsletter|",
            r"newsletter (abonnieren|bestellen|anmeldung)|zum newsletter anmelden|",
            r"melden sie sich\b.*newsletter|get our newsletter|subscribe to newsletter|",
            r"^newsletter$).*$"
        ),
        max_words: 30,
    },
    UiRule {
        name: "copyright",
        pattern: concat!(
            r"^.*(all rights reserved|alle rechte vorbehalten).*$|",
            r"^(©|\(c\)|copyright)\s*(\d{4}|by\b).*$"
        ),
        max_words: 25,
    },
    UiRule {
        name: "follow_us",
        pattern: concat!(
            r"^(follow us|folge uns|folgen sie uns|find us|like us)( on [\w ,&]+| auf [\w ,&]+)?",
            tail!(),
            "$"
        ),
        max_words: 10,
    },
    UiRule {
        name: "site_navigation",
        pattern: concat!(
            r"^(skip to (main )?content|skip navigation|zum inhalt springen|zur navigation|",
            r"back to top|nach oben|zurück nach oben|zurück|back|home|startseite|menu|menü|",
            r"search|suche|log ?in|sign in|sign up|register|anmelden|registrieren|abmelden|",
            r"previous (article|post|story)|next (article|post|story)|vorheriger (artikel|beitrag)|",
            r"nächster (artikel|beitrag)|related (articles|stories|posts)|more stories|",
            r"ähnliche (artikel|beiträge)|das könnte sie auch interessieren|",
            r"you (may|might) also like|recommended for you|top stories|most popular|",
            r"meistgelesen|toggle navigation|open menu|close menu|print this page)",
            tail!(),
            "$"
        ),
        max_words: 8,
    },
    UiRule {
        name: "comments",
        pattern: concat!(
            r"^(leave a (comment|reply)|post a comment|add a comment|write a comment|",
            r"\d+ (comments?|kommentare?)|comments?( \(\d+\))?|kommentare?( \(\d+\))?|",
            r"kommentar (schreiben|verfassen)|no comments( yet)?|noch keine kommentare|",
            r"be the first to comment|antworten|reply)",
            tail!(),
            "$"
        ),
        max_words: 8,
    },
    UiRule {
        name: "advertisement",
        pattern: r"^(advertisement|anzeige|werbung|sponsored( content)?|ad|gesponsert)\s*[-–—:]?\s*$",
        max_words: 3,
    },
];

static UI_SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(UI_RULES.iter().map(|r| format!("(?i){}", r.pattern))).expect("valid UI rules")
});

/// A complete sentence inside a line: terminal punctuation, maybe a closing quote or bracket,
/// whitespace, then more text.
static SENTENCE_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"[.!?…]["'”’»)\]]?\s+\S"#).expect("valid sentence regex"));

/// The largest `max_words` of any UI rule.
static MAX_UI_WORDS: LazyLock<usize> =
    LazyLock::new(|| UI_RULES.iter().map(|r| r.max_words).max().unwrap_or(0));

static LIST_ITEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*([-*•·▪►–—]|\d{1,3}[.)])\s").expect("valid list regex"));

/// A bio sentence: a capitalised name of two to four words (initials and name particles
/// allowed), "is"/"was"/"has been", then a writer's or expert's role within 25 words.
static BIO_SENTENCE: LazyLock<Regex> = LazyLock::new(|| {
    let name_word = r"(?:\p{Lu}[\p{L}'’.\-]*|\p{Lu}\.)";
    let particle = r"(?:(?:de|da|di|van|von|der|den|del|della|bin|ibn|al|el|la|le|st\.)\s+){0,2}";
    Regex::new(&format!(
        r"^\s*{name_word}(?:\s+{particle}{name_word}){{1,3}},?\s+(?:is|was|has been|serves as)\s+(?:\S+\s+){{0,25}}?(?:an?\s+|the\s+)?(?:\S+\s+){{0,6}}?(?P<role>columnists?|writers?|journalists?|reporters?|correspondents?|editors?|authors?|contributors?|professors?|fellows?|analysts?|researchers?|economists?|commentators?|lecturers?|scholars?|novelists?|bloggers?|historians?|contributing editor|freelancer)\b"
    ))
    .expect("valid bio regex")
});

/// Opinion disclaimers publishers print under columns.
pub static BIO_DISCLAIMER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)\b(this (column|article|piece|op-ed|commentary|essay) (reflects|does not necessarily reflect)|",
        r"(the )?(views|opinions) expressed (here|in this (column|article|piece)|are (those|solely those) of the)|",
        r"do(es)? not necessarily reflect the (views|opinions?|position) of)"
    ))
    .expect("valid disclaimer regex")
});

/// Removes teaser and UI lines and flags author bios.
pub struct LineCleaner {
    cfg: LineCleanConfig,
    enabled_ui: Vec<bool>,
}

impl LineCleaner {
    /// Checks that every disabled rule name exists.
    pub fn new(cfg: LineCleanConfig) -> Result<Self> {
        super::check_bounds(
            "line_clean",
            ("teaser_min_words", cfg.teaser_min_words),
            ("teaser_max_words", cfg.teaser_max_words),
            None,
        )?;
        for name in &cfg.disabled_rules {
            if !UI_RULES.iter().any(|r| r.name == name)
                && name != "truncated_teaser"
                && name != "author_bio"
            {
                let known: Vec<&str> = UI_RULES.iter().map(|r| r.name).collect();
                return Err(Error::Config(format!(
                    "stage line_clean: unknown rule {name:?} in disabled_rules; known: truncated_teaser, author_bio, {}",
                    known.join(", ")
                )));
            }
        }
        let enabled_ui = UI_RULES
            .iter()
            .map(|r| !cfg.disabled_rules.iter().any(|d| d == r.name))
            .collect();
        Ok(LineCleaner { cfg, enabled_ui })
    }

    /// The UI rule a line breaks, if any: `(rule name, max words)`.
    pub fn ui_rule(&self, line: &str, words: usize) -> Option<&'static UiRule> {
        let trimmed = line.trim();
        // Most lines are prose, longer than any UI rule allows: skip the regex set for them.
        if trimmed.is_empty() || words > *MAX_UI_WORDS {
            return None;
        }
        UI_SET
            .matches(trimmed)
            .into_iter()
            .map(|i| (i, &UI_RULES[i]))
            .find(|(i, r)| self.enabled_ui[*i] && words <= r.max_words)
            .map(|(_, r)| r)
    }

    /// Why a line is an author bio or opinion disclaimer (`None` if it is not): the role named
    /// after the author's name, or `"disclaimer"`. Position is checked by the caller.
    pub fn author_bio(&self, line: &str, words: usize) -> Option<String> {
        if !(4..=150).contains(&words) {
            return None;
        }
        if let Some(c) = BIO_SENTENCE.captures(line) {
            return Some(c["role"].to_string());
        }
        BIO_DISCLAIMER
            .is_match(line)
            .then(|| "disclaimer".to_string())
    }

    /// Whether a line is a prose paragraph cut off mid-sentence (see the module docs);
    /// `next` is the next non-blank line, if any.
    pub fn is_truncated_teaser(&self, line: &str, words: usize, next: Option<&str>) -> bool {
        let c = &self.cfg;
        if words < c.teaser_min_words || words > c.teaser_max_words {
            return false;
        }
        if LIST_ITEM.is_match(line) || line.contains('\t') || line.matches('|').count() >= 2 {
            return false;
        }
        let mut t = line.trim_end();
        if c.teaser_ellipsis {
            for e in ["[…]", "[...]", "...", "…"] {
                if let Some(rest) = t.strip_suffix(e) {
                    t = rest.trim_end();
                    break;
                }
            }
        }
        let Some(last_word) = t.split_whitespace().next_back() else {
            return false;
        };
        let ends_in_lowercase_word = last_word.chars().all(char::is_alphabetic)
            && last_word.chars().any(char::is_lowercase)
            && !last_word.chars().any(char::is_uppercase);
        if !ends_in_lowercase_word || !SENTENCE_END.is_match(t) {
            return false;
        }
        next.is_none_or(|n| {
            n.trim_start().chars().next().is_some_and(|ch| {
                ch.is_uppercase() || ch.is_ascii_digit() || "\"'“„«‘‚([".contains(ch)
            })
        })
    }
}

impl Stage for LineCleaner {
    fn kind(&self) -> &'static str {
        "line_clean"
    }

    fn process(&self, doc: &mut Document, cx: &mut StageContext) -> Verdict {
        let teasers = self.cfg.teasers
            && !self
                .cfg
                .disabled_rules
                .iter()
                .any(|d| d == "truncated_teaser");
        let lines: Vec<&str> = doc.text.split('\n').collect();
        let mut removed_at = vec![false; lines.len()];
        let mut seen_content = false;
        for (i, &line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let words = line.split_whitespace().count();
            let first = !seen_content;
            seen_content = true;
            if self.cfg.ui_lines
                && let Some(rule) = self.ui_rule(line, words)
            {
                cx.remove_line(
                    i,
                    line,
                    rule.name,
                    words,
                    json!({"max_words": rule.max_words}),
                );
                removed_at[i] = true;
                continue;
            }
            if teasers && !first {
                let next = lines[i + 1..]
                    .iter()
                    .copied()
                    .find(|l| !l.trim().is_empty());
                if self.is_truncated_teaser(line, words, next) {
                    let last_word = line.split_whitespace().next_back().unwrap_or_default();
                    cx.remove_line(
                        i,
                        line,
                        "truncated_teaser",
                        json!({"words": words, "ends_with": last_word}),
                        json!({"min_words": self.cfg.teaser_min_words,
                               "max_words": self.cfg.teaser_max_words}),
                    );
                    removed_at[i] = true;
                }
            }
        }
        self.flag_or_remove_bios(&mut doc.metadata, &lines, &mut removed_at, cx);
        let removed = removed_at.iter().filter(|&&r| r).count();
        if removed == 0 {
            return Verdict::Keep;
        }
        let mut kept = Vec::with_capacity(lines.len() - removed);
        let mut nonblank_kept = 0usize;
        for (i, &line) in lines.iter().enumerate() {
            if !removed_at[i] {
                nonblank_kept += usize::from(!line.trim().is_empty());
                kept.push(line);
            }
        }
        if nonblank_kept == 0 {
            return Verdict::Drop(Removal::new("all_lines_removed", removed, Value::Null));
        }
        // Blank lines left at either end by removed lines would only be noise.
        let text = kept.join("\n");
        doc.text = text.trim_matches('\n').to_string();
        cx.count("line_clean.lines_removed", removed as u64);
        Verdict::Keep
    }
}

impl LineCleaner {
    /// The `author_bio` rule over the first two and last three surviving non-blank lines: flags
    /// them in `metadata.flagged_lines` (line index in the text this stage received, as for
    /// removed lines) or removes them, as configured.
    fn flag_or_remove_bios(
        &self,
        metadata: &mut serde_json::Map<String, Value>,
        lines: &[&str],
        removed_at: &mut [bool],
        cx: &mut StageContext,
    ) {
        if self.cfg.author_bio == BioAction::Keep
            || self.cfg.disabled_rules.iter().any(|d| d == "author_bio")
        {
            return;
        }
        let content: Vec<usize> = (0..lines.len())
            .filter(|&i| !removed_at[i] && !lines[i].trim().is_empty())
            .collect();
        // A document of a line or two is all article, or all bio: leave it to the filters.
        if content.len() < 3 {
            return;
        }
        let mut candidates: Vec<usize> = content.iter().take(2).copied().collect();
        for &i in content.iter().rev().take(3).rev() {
            if !candidates.contains(&i) {
                candidates.push(i);
            }
        }
        let mut flags = Vec::new();
        let first_edit = cx.edits.len();
        for i in candidates {
            let words = lines[i].split_whitespace().count();
            let Some(why) = self.author_bio(lines[i], words) else {
                continue;
            };
            if self.cfg.author_bio == BioAction::Remove {
                cx.remove_line(
                    i,
                    lines[i],
                    "author_bio",
                    json!({"matched": why}),
                    Value::Null,
                );
                removed_at[i] = true;
            } else {
                flags.push(
                    json!({"stage": "line_clean", "rule": "author_bio", "line": i,
                                  "matched": why, "text": lines[i]}),
                );
            }
        }
        // Removed lines are reported in line order, whichever rule removed them.
        if cx.edits.len() > first_edit {
            cx.edits.sort_by_key(|e| e.line);
        }
        if !flags.is_empty() {
            cx.count("line_clean.lines_flagged", flags.len() as u64);
            match metadata.get_mut("flagged_lines") {
                Some(Value::Array(existing)) => existing.extend(flags),
                _ => {
                    metadata.insert("flagged_lines".to_string(), Value::Array(flags));
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "line_clean_tests.rs"]
mod tests;
