//! Calls to action at the end of an article: "Subscribe to our newsletter", "Follow us on
//! Twitter and Instagram", "Download our app for iOS and Android", "We want to hear what you
//! think: write a letter to the editor", "If you enjoyed reading this post, consider supporting
//! our work", "Log in to comment". Sites put them in the article's own container, after its last
//! paragraph, as prose without links, so neither class names nor link density give them away;
//! they are sentences, not the whole-line labels of [`super::boilerplate`].
//!
//! Only the closing lines of an article are tested ([`CLOSING_LINES`]), and only short ones
//! ([`MAX_CALL_CHARS`]): an article about newsletters or apps says these words in its body.

use std::sync::LazyLock;

use regex::Regex;

use super::text::Lines;

/// How many of an article's last lines are tested. Swept on the tuning parts (extraction-dev
/// snippet F1; WCXB dev article pages): 2 lines 0.9349 -> 0.9384, 3 to 8 lines -> 0.9386 (on
/// every page type; 0.9384 on pages read as articles); WCXB improved on 8 article pages with 3
/// lines and on 13 with 8, and fell on none. Tested anywhere in the article instead, it took
/// sentences about newsletters from articles on newsletters (9 WCXB pages fell).
const CLOSING_LINES: usize = 8;

/// Longest line (bytes) taken for a call to action; longer lines are paragraphs of the story.
const MAX_CALL_CHARS: usize = 300;

/// Sentences that ask the reader to subscribe, follow, download, write in, support or log in.
/// The languages are extraction-dev's (en, de, es, fr, pl) and WCXB's (en).
static CALL_TO_ACTION: LazyLock<Regex> = LazyLock::new(|| {
    let patterns = [
        // newsletters and subscriptions, asked for
        r"\b(?:sign(?:ing)? up|subscribe|join|abonnier\w*|anmelden|melde dich|registrier\w*|suscrib\w*|suscríbete|inscri\w*|abonne[rz]|zapisz|subskrypc\w*)\b.{0,80}\b(?:newsletter|mailing list|inbox|posteingang)",
        r"\bnewsletters?\b.{0,60}\b(?:sign up|subscribe|abonnieren|anmelden|suscrib\w*|abonne\w*)\b",
        r"\bsubscribe (?:now|today|here|to (?:our|the|get))\b|\bjetzt abonnieren\b|\bsuscríbete\b|\babonnez-vous\b|zapraszamy (?:też )?do subskrypcji",
        r"\b(?:already a subscriber|first-time subscribers|for the full story|hazte miembro|jetzt auch digital)",
        // paywalls and lead forms that close a post (WCXB dev, tuning part: article 0.9614 ->
        // 0.9617, 3 pages up, none down; extraction-dev snippet F1 unchanged)
        r"\bbecome a (?:paid )?subscriber\b|\bunlock this (?:piece|article|story|post)\b|\bfill out (?:the|this|our) (?:quick |short )?form\b",
        // following on social networks
        r"\bfollow (?:us|\w+(?: \w+)?) on (?:twitter|facebook|instagram|linkedin|x|youtube|tiktok|telegram)\b|\b(?:síguenos|siguenos|folgen sie uns|folge uns|suivez-nous|obserwuj nas)\b",
        r"\b(?:canal|kanal|channel) (?:(?:de|on|auf) )?(?:telegram|whatsapp)|\b(?:telegram|whatsapp)[- ](?:channel|canal|kanal)",
        // apps
        r"\bdownload (?:the|our) .{0,40}\bapps?\b|\bapps? for ios and android\b|straight to your phone",
        // feedback and support appeals
        r"\bcancela cuando quieras\b|\bcancel (?:at )?any ?time\b|\bjederzeit kündbar\b|\b(?:apoya|support|unterstützen sie|unterstütze) (?:el|our|unseren|unser) (?:periodismo|journalism|journalismus)\b|\bexklusive angebote\b",
        r"\bletters? to the editor\b|\bwe want to hear what you think\b|\bif you enjoyed (?:reading )?this\b|\bconsider supporting\b|\bsupport (?:our|independent) (?:work|journalism)\b",
        // log in to comment
        r"\b(?:anmelden|eingeloggt|einloggen|log ?in|sign in|registriert)\b.{0,40}\b(?:kommentar\w*|comment\w*)\b",
    ];
    // ASCII word boundaries: with Unicode ones the lazy DFA gives up on any non-ASCII line and
    // the slow backtracking-free PikeVM runs instead (17% of extraction-dev's CPU time in perf);
    // the boundaries all sit next to ASCII letters of the patterns, and the output on WCXB dev
    // and extraction-dev is byte-identical either way.
    let joined = patterns.join("|").replace(r"\b", r"(?-u:\b)");
    Regex::new(&format!("(?i){joined}")).expect("static regex")
});

/// Whether `line` (one block of text) is a call to action.
pub fn is_call_to_action(line: &str) -> bool {
    line.len() <= MAX_CALL_CHARS && CALL_TO_ACTION.is_match(line)
}

/// Drops the calls to action among the last [`CLOSING_LINES`] lines of an article's text.
pub fn drop_closing_calls(lines: &mut Lines<'_>) {
    let first_tested = lines.len().saturating_sub(CLOSING_LINES);
    lines.retain(|i, line| i < first_tested || !is_call_to_action(line));
}

/// How far from the end a call to action cuts the article: a call among the last 15 lines
/// (after [`drop_closing_calls`] took those among the last [`CLOSING_LINES`]) opens the box
/// it asks from ("Subscribe to Travel Noire, a free daily newsletter …"), and what follows it is
/// that box's form and the site's teasers ("Trending stories in world travel", five teasers).
/// Swept on the tuning parts with [`MIN_CUT_SHARE`] (WCXB dev article pages; extraction-dev
/// snippet F1): 15 lines 0.9601 -> 0.9605, 5 pages up and 1 down, snippet F1 0.9351 -> 0.9352;
/// 30 lines 0.9601 (3 pages down), no limit 0.9587 (7 down).
const CUT_LINES: usize = 15;

/// Least share of the text (bytes) before a call that cuts: a call in the first half
/// introduces the story. 0.5 and 0.7 measured the same; 0.85 gained less (0.9602).
const MIN_CUT_SHARE: f32 = 0.5;

/// Cuts the article at the first call to action among its last [`CUT_LINES`] lines that starts
/// after [`MIN_CUT_SHARE`] of the text: the call and everything below it go.
pub fn cut_at_late_call(lines: &mut Lines<'_>) {
    let n = lines.len();
    let min_offset = (lines.text_len() as f32 * MIN_CUT_SHARE) as usize;
    // Byte offset of each line in the text the kept lines make.
    let mut offset = 0;
    let mut cut = false;
    lines.retain(|i, line| {
        cut = cut || (i + CUT_LINES >= n && offset >= min_offset && is_call_to_action(line));
        offset += line.len() + 1;
        !cut
    });
}

#[cfg(test)]
mod tests {
    use super::{cut_at_late_call, drop_closing_calls, is_call_to_action};
    use crate::extract::text::edit_lines;

    #[test]
    fn late_call_cuts_its_box() {
        let story: Vec<String> = (1..=20)
            .map(|i| {
                format!("Paragraph {i} of the story, long enough to be prose and not a label.")
            })
            .collect();
        let teasers: Vec<String> = (1..=10)
            .map(|i| format!("Teaser {i} for another story"))
            .collect();
        let call = "Subscribe to Travel Noire, a free daily newsletter about travel.";
        let mut text = format!("{}\n{call}\n{}", story.join("\n"), teasers.join("\n"));
        edit_lines(&mut text, cut_at_late_call);
        assert_eq!(text, story.join("\n"));
        // A call in the first half of the text stays, and so does what follows it.
        let mut early = format!("{call}\n{}", story.join("\n"));
        let before = early.clone();
        edit_lines(&mut early, cut_at_late_call);
        assert_eq!(early, before);
    }

    #[test]
    fn calls_to_action_in_several_languages() {
        for line in [
            "Never miss the latest news by signing up to our newsletter today!",
            "Follow The Gleaner on Twitter and Instagram @JamaicaGleaner",
            "For the latest stories and breaking news updates download the Nationnews apps for iOS and Android.",
            "We want to hear what you think about this article. Submit a letter to the editor.",
            "If you enjoyed reading this post – would you consider supporting our work?",
            "Sie müssen sich anmelden um Kommentare zu schreiben.",
            "Siguenos en Telegram, Instagram, Facebook y Twitter",
            "Zapraszamy też do subskrypcji tygodnika.",
            "Become a paid subscriber to Every to unlock this piece and learn about:",
            "Fill out the form to get a copy of our ebook.",
            "Tú también puedes hacer periodismo incómodo. Cancela cuando quieras.",
            "Apoya el periodismo incómodo",
            "Jetzt zum Newsletter von for me und erhalten Sie exklusive Angebote!",
        ] {
            assert!(is_call_to_action(line), "{line}");
        }
        for line in [
            "The Guardian US added 680,000 newsletter subscribers in a single year.",
            "Der Verein hat im vergangenen Jahr 300 neue Mitglieder gewonnen.",
            "The app is available for download in both stores since March.",
        ] {
            assert!(!is_call_to_action(line), "{line}");
        }
    }

    #[test]
    fn only_closing_lines_go() {
        let call = "Subscribe to our newsletter to get the latest posts.";
        let story: Vec<String> = (1..=10)
            .map(|i| format!("Paragraph {i} of the story."))
            .collect();
        let mut text = format!("{call}\n{}\n{call}", story.join("\n"));
        edit_lines(&mut text, drop_closing_calls);
        assert_eq!(text, format!("{call}\n{}", story.join("\n")));
    }
}
