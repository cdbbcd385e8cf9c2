//! Boilerplate phrases: the short lines sites put around an article — "Related articles",
//! "Read more: …", "Leave a comment", "Share this", "About the author", "Source:" — which no
//! class name or link density gives away (they sit inside the article container, often without
//! links). A block is boilerplate when its whole text is one of these phrases; a heading that is
//! one also takes the link lists it introduces (see `serialize`).
//!
//! The phrase list covers the languages of extraction-dev and the largest web languages (en, de,
//! fr, es, it, pt, nl, pl). It is the multilingual counterpart of the heading/teaser vocabularies
//! in trafilatura (`xpaths.py` `_RELATED_CLASS_TOKENS`: "related", "more-on", "most-popular") and
//! jusText's stop-phrase idea, applied to text instead of class names. Matching is on the whole
//! line (case-folded, trailing punctuation dropped), so a sentence that merely contains "read
//! more" is never touched.

use std::sync::LazyLock;

use regex::Regex;

use super::text::Lines;

/// Longest block (in characters) tested against the phrases; longer text is prose.
pub const MAX_PHRASE_CHARS: usize = 90;

/// Phrases that announce other pages: related articles, recommendations, shops' "people who
/// viewed this item also viewed". As a heading they also take the section they open (see
/// [`is_recommendation_heading`]).
const RELATED: &[&str] = &[
    r"related(?: articles?| posts?| stories| content| coverage| news| topics| links| reading)?",
    r"(?:you|we think you) (?:might|may|will|could) (?:also )?(?:like|enjoy|be interested in)(?: this| these)?",
    // "You may be interested in the following topics as well:", "Related articles that may
    // interest you" (WCXB dev tuning: 2 article pages up, +0.017 and +0.022, none down).
    r"you (?:might|may) (?:also )?be interested in(?: the following| these)?(?: topics| articles| posts)?(?: as well)?|related (?:articles?|posts?) (?:that|which) (?:may|might) interest you",
    r"recommended(?: for you| articles| stories| reading)?|more (?:stories|articles|news|to read|like this|on this topic|from \S+(?: \S+){0,3})",
    r"(?:read|see) (?:also|more|next)|further reading|don'?t miss|latest (?:news|articles|posts|stories)|most (?:read|popular|viewed|shared)|popular (?:posts|articles|stories)|trending(?: now)?",
    r"mehr (?:zum thema|zu diesem thema|themen|dazu|aus der sendung|zu \S+(?: \S+){0,3}|aus \S+(?: \S+){0,3})|weitere (?:artikel|beiträge|themen|informationen|infos|links|nachrichten|meldungen|news|tourentipps)(?: zum thema| aus \S+(?: \S+){0,3})?",
    r"(?:das (?:thema )?)?(?:könnte|dürfte) (?:dich|sie|euch) auch interessieren|auch interessant|ebenfalls interessant|lesen sie (?:auch|mehr|hier)(?: die folgenden beiträge)?|schon gelesen|zum weiterlesen|lust auf mehr|neueste (?:artikel|beiträge)|ähnliche (?:artikel|beiträge|themen)|verwandte (?:artikel|beiträge|themen|themenbereiche)|empfehlungen(?: der redaktion| aus dem \S+(?: \S+){0,3})?|meist(?:-| )?(?:gelesen|diskutiert)",
    r"(?:à )?lire aussi|voir aussi|sur le même (?:sujet|thème)|articles? (?:similaires|liés|connexes)|à découvrir aussi|vous aimerez aussi|(?:plus d'|d'autres )?articles? et vidéos sur le sujet",
    // German lead-ins of teaser blocks and Hungarian "you may also like" (extraction-dev).
    r"sie könnten auch an folgenden artikeln interessiert sein|entdecke(?:n sie)? (?:jetzt )?(?:weitere|mehr)(?: \S+){0,2}|weiterführende(?:r)? links?|aktuelle (?:news|nachrichten|meldungen|beiträge|artikel)|ezek is érdekelhetnek|ez is érdekelhet",
    r"scroll to read more(?: \S+){0,4} articles",
    r"(?:lea|lee|mira|ver|vea) (?:también|más)|(?:le|te) puede(?:n)? interesar|(?:noticias|artículos) relacionad[oa]s|más noticias|contexto de la noticia",
    r"leggi anche|potrebbe interessarti|articoli correlati|leia também|veja também|notícias relacionadas|lees ook|meer (?:nieuws|artikelen)|gerelateerde artikelen",
    r"zobacz (?:również|też|także)|czytaj (?:też|także|więcej)|polecamy|dowiedz się więcej|przeczytaj (?:też|także)",
    // shops
    r"(?:people|customers|shoppers|others) (?:who (?:viewed|bought|purchased) this(?: item| product)? )?(?:also )?(?:viewed|bought|purchased|liked)(?: this)?(?: items?| products?)?(?: also (?:viewed|bought|purchased))?",
    r"(?:similar|related|sponsored|recommended|featured) (?:items|products|listings)(?: \S+){0,4}|frequently bought together|recently viewed(?: items| products)?|(?:complete|shop) the look|consider these(?: available)? items|more (?:from|by) this (?:seller|brand|shop|store)|(?:you|customers) may also (?:like|need|love)|pairs (?:well|perfectly) with|explore (?:more|related) \S+(?: \S+){0,2}",
];

static RECOMMENDATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^(?:{})$", RELATED.join("|"))).expect("static regex"));

/// Whole-line phrases, the pattern of a regex. Alternatives are grouped by what they announce.
fn whole_line_pattern() -> String {
    let mut phrases = RELATED.to_vec();
    phrases.extend([
        // comments
        r"(?:\d+ )?(?:comments?|kommentare?|commentaires?|comentarios?|commenti|komentarze|reacties)",
        r"(?:leave|post|add|write|view|show|no) (?:a )?(?:comments?|reply|replies)(?: yet)?|comments are closed|join the discussion",
        r"kommentar(?:e)? (?:schreiben|verfassen|anzeigen)|kommentieren|keine kommentare|diskutieren sie mit(?: uns)?|laisser un commentaire|deja (?:un|tu) comentario|dejar un comentario",
        // sharing, following, rating
        r"share(?: this)?(?: article| post| page| story)?(?: on \S+(?: \S+){0,3})?|share this:?|teilen(?: sie dies mit)?|(?:diesen |den )?(?:artikel|beitrag) teilen|partager(?: cet article)?|compart(?:e|ir|ilhe)(?: esta noticia)?|condividi|udostępnij|deel dit artikel",
        r"möchten sie (?:den|diesen) (?:artikel|beitrag) teilen|(?:den |diesen )?(?:artikel|beitrag) mit anderen teilen(?:/diskutieren)?|permalink|permalien",
        r"follow us(?: on \S+(?: \S+){0,3})?|folgen sie uns(?: auf \S+(?: \S+){0,3})?|síguenos(?: en \S+(?: \S+){0,3})?|suivez-nous(?: sur \S+(?: \S+){0,3})?",
        r"(?:wie )?bewerten sie diesen (?:artikel|beitrag)|(?:ist|war) (?:dieser|der) (?:beitrag|artikel) (?:hilfreich|nützlich)|was this (?:article|post|page) helpful|rate this (?:article|post)|valora esta noticia",
        // author, source and labels alone on a line
        r"about the author|über den autor|über die autorin|à propos de l'auteur|sobre el autor",
        r"(?:source|quelle|fuente|fonte|bron|źródło|credits?|photo|foto|bild|image|von|by|autor(?:in|en)?|authors?|tags?|themen|schlagworte|kategorie|category|categories|filed under|published|veröffentlicht|aktualisiert|updated|publikacja|release date|last modified|kontakt|contact|telefon|phone)",
        // "Last updated 2025-12-18 UTC.", "Last Updated : 9 Mar, 2026": documentation footers
        r"last (?:updated|modified|edited|reviewed)(?: on)?\s*:?\s*\S+(?: \S+){0,4}",
        // list controls, view counters, PDF downloads, "published in" labels and the German
        // title of a table of contents ("Inhaltsverzeichnis", extraction-dev). Its English
        // "Table of Contents" went on 5 WCXB dev tuning pages, 3 of whose gold keeps it
        // (documentation 0.9453 -> 0.9452), so it stays.
        r"(?:alle|mehr) anzeigen|(?:show|view|see) all|tout afficher|ver todo|(?:\d+ )?(?:aufrufe|views|hits)|(?:\S+ ){0,3}als pdf(?: herunterladen)?|inhaltsverzeichnis|(?:download|télécharger)(?: (?:as|en))? pdf|erschienen in|published in|paru dans",
        // reading time, embeds awaiting consent, toggles and empty carts
        r"\d+ min(?:ute)?s? read|lesezeit:? \d+ min(?:uten|\.)?|externer inhalt|quellen (?:ausblenden|anzeigen|einblenden)|(?:ihr|dein) warenkorb ist leer|your (?:cart|basket|bag) is empty",
        r"advertisement|anzeige|werbung|publicité|publicidad|pubblicità|reklama|sponsored(?: content)?",
        // German advertising disclosures that open a post ("*Werbung. Dieser Beitrag enthält
        // Werbung für …", "Anzeige, enthält Affiliate Links") and disclaimers that close one
        r"\*?(?:(?:werbung|anzeige)[.,:]? )?(?:dieser (?:beitrag|artikel|post) )?enthält (?:werbung|affiliate[- ]?links?|anzeigen)(?: \S+){0,4}|alle angaben ohne gewähr",
        r"zurück(?: zur \S+(?: \S+){0,3})?|back(?: to \S+(?: \S+){0,3})?|nach oben|back to top",
        // shop controls (WCXB product pages: the gold text never keeps them)
        r"quantity|qty|menge|add to (?:cart|bag|basket|wishlist)|in den warenkorb|buy (?:it )?now|write a review|size guide|select (?:a )?size|(?:image |video )?loading",
    ]);
    format!("^(?:{})$", phrases.join("|"))
}

/// "Label: teaser title" lines that point to another article ("Read more: …", "Lea también: …").
static LEAD_IN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"^(?:read (?:more|also)|see also|related|also read|lesen sie (?:auch|mehr|hier)|mehr zum thema|",
        r"(?:à )?lire aussi|voir aussi|(?:lea|lee|mira) (?:también|más)|lea|mira|puedes ver|(?:te|le) puede(?:n)? interesar|",
        r"leggi anche|leia também|veja também|lees ook|zobacz (?:również|też|także)|czytaj (?:też|także)|dowiedz się więcej)\s*:\s*\S"
    ))
    .expect("static regex")
});

/// Longest "Label: teaser title" line ([`LEAD_IN`]) dropped from an article's text: the title
/// after the label often runs past [`MAX_PHRASE_CHARS`] ("Lea más: Juan Carlos Ortega Murillo
/// propone legalizar la comercialización de marihuana en Nicaragua", 100 characters).
/// Applied to pages read as articles. Extraction-dev tuning: 3 teaser lines on 3 sites went
/// (snippet F1 0.9390 -> 0.9396; 0.9400 if every page type were tested); WCXB
/// tuning article pages: 2 up, 1 down ("Also Read:" kept by one page's gold), article 0.9599 ->
/// 0.9600.
const MAX_LEAD_IN_CHARS: usize = 200;

/// Drops the lines of an article that point to another article behind a label ("Read more: …",
/// "Le puede interesar: …", "Dowiedz się więcej: …") and are at most [`MAX_LEAD_IN_CHARS`]
/// long: shorter ones are already skipped as boilerplate blocks by the serialiser.
pub fn drop_lead_in_lines(lines: &mut Lines<'_>) {
    let is_lead_in = |l: &str| {
        let t = l.trim();
        // The colon first: most lines have none, and lower-casing each would cost more.
        t.contains(':')
            && t.chars().count() <= MAX_LEAD_IN_CHARS
            && LEAD_IN.is_match(&t.to_lowercase())
    };
    lines.retain(|_, l| !is_lead_in(l));
}

/// Shortest first line (word key bytes) that may be a run of the title's words rather than
/// all of them: "Home" or "News" can start a `<title>` without being the headline.
const MIN_PARTIAL_TITLE: usize = 10;

/// Lower-cased alphanumeric words of `s`, one space apart: the key two spellings of a headline
/// share ("Best Camping Hammocks of 2026" and "Best Camping Hammocks of 2026 | GearLab").
fn word_key(s: &str) -> String {
    let mut key = String::with_capacity(s.len());
    for w in s.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        if w.is_empty() {
            continue;
        }
        if !key.is_empty() {
            key.push(' ');
        }
        key.extend(w.chars().flat_map(char::to_lowercase));
    }
    key
}

/// Drops the first line of an article's text when it is the page's headline: the title, or a
/// run of at least [`MIN_PARTIAL_TITLE`] bytes of its words (titles add the site's name).
/// Readers of WCXB leave the headline out of the main text (it is a field of its own): of the
/// tuning article pages whose first line is the title, the gold text lacks it on 122 and has it
/// on 21. WCXB dev, tuning part: article 0.9601 -> 0.9606 (111 pages up, 28 down), all
/// 0.8916 -> 0.8920; extraction-dev snippet F1 0.9351 -> 0.9352. Documentation pages too
/// (replayed on the output before): 0.9450 -> 0.9453, 24 pages up, 5 down; on service,
/// listing and collection pages it gained and lost about as much, on product (0.7237 ->
/// 0.7165) and forum pages (0.8268 -> 0.8156) it lost. Also dropping a first line
/// that holds the title among more text (a lead that opens with the headline's words) measured
/// article 0.9603 and snippet F1 0.9338.
pub fn drop_leading_title(lines: &mut Lines<'_>, title: &str) {
    let Some(first) = lines.iter().next() else {
        return;
    };
    let first = word_key(first);
    if first.is_empty() {
        return;
    }
    let title = word_key(title);
    let is_title = first == title
        || (first.len() > MIN_PARTIAL_TITLE
            && format!(" {title} ").contains(&format!(" {first} ")));
    if is_title {
        lines.retain(|i, _| i > 0);
    }
}

/// A line that is only a date or a time ("23.10.2018", "3:59 PM", "4. Juni 2019", "January 13"):
/// the dateline of the article or of a comment, which the metadata already carries. The pattern
/// of a regex.
fn date_only_pattern() -> String {
    let months = concat!(
        "jan(?:uary|uar|vier|\\.)?|feb(?:ruary|ruar|rero|\\.)?|fév(?:rier)?|mar(?:ch|z|s|zo|\\.)?|märz|apr(?:il|il|\\.)?|avril|abril|",
        "ma[iy]|mai|mayo|june?|juni|juin|junio|july?|juli|juillet|julio|aug(?:ust|\\.)?|août|agosto|",
        "sep(?:t|tember|tembre|tiembre|\\.)?|oct(?:ober|obre|ubre|\\.)?|okt(?:ober|\\.)?|nov(?:ember|embre|iembre|\\.)?|",
        "dec(?:ember|\\.)?|dez(?:ember|\\.)?|déc(?:embre)?|dic(?:iembre)?"
    );
    let weekday = "(?:mon|tue|wed|thu|fri|sat|sun|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)[a-z]*,? ";
    format!(
        concat!(
            r"^(?:{wd})?(?:",
            r"\d{{1,4}}[./-]\d{{1,2}}[./-]\d{{2,4}}(?:,? \d{{1,2}}[:.]\d{{2}}(?: ?(?:am|pm|uhr|h))?)?",
            r"|\d{{1,2}}[:.]\d{{2}}(?: ?(?:am|pm|uhr|h))?",
            r"|\d{{1,2}}\.? (?:de )?(?:{m})(?: (?:de )?\d{{4}})?",
            r"|(?:{m}) \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?",
            r"|(?:{m}) \d{{4}}",
            r")$"
        ),
        wd = weekday,
        m = months
    )
}

/// Longest credit line: "Foto: dpa / Max Mustermann" is short, a sentence starting "Source:" that
/// cites a study is not a credit.
const MAX_CREDIT_CHARS: usize = 60;

/// Photo credits and sources alone on a short line ("Foto: dpa", "Quelle: Landesregierung").
static CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:photo|foto|bild|image|picture|credits?|crédits? photos?|source|quelle|fuente|fonte|źródło|abbildung|grafik|illustration)\s*:\s*\S")
        .expect("static regex")
});

/// Whether a heading whose whole text is `text` announces recommendations (related articles,
/// "people who viewed this item also viewed"): the section it opens is not the page's content.
pub fn is_recommendation_heading(text: &str) -> bool {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > MAX_PHRASE_CHARS {
        return false;
    }
    RECOMMENDATION.is_match(core_of(&t.to_lowercase()))
}

/// The line without the arrows, bullets and trailing punctuation around a label.
fn core_of(lower: &str) -> &str {
    let core = lower.trim_end_matches(|c: char| {
        matches!(c, ':' | '?' | '!' | '.' | '…' | '»' | '>' | '›' | '→') || c.is_whitespace()
    });
    core.trim_start_matches(|c: char| {
        matches!(
            c,
            '«' | '<' | '‹' | '←' | '»' | '>' | '›' | '|' | '-' | '–' | '•'
        ) || c.is_whitespace()
    })
}

/// Whether a block whose whole (whitespace-collapsed) text is `text` is a boilerplate line.
pub fn is_boilerplate_line(text: &str) -> bool {
    let t = text.trim();
    let chars = t.chars().count();
    if t.is_empty() || chars > MAX_PHRASE_CHARS {
        return false;
    }
    let lower = t.to_lowercase();
    // LEAD_IN and CREDIT both need a colon: most lines have none, and each regex search has a
    // fixed cost (the three searches were ~1.6% of extraction instructions; callgrind, WCXB dev).
    WHOLE_LINE_OR_DATE.is_match(core_of(&lower))
        || (t.contains(':')
            && (LEAD_IN.is_match(&lower) || (chars <= MAX_CREDIT_CHARS && CREDIT.is_match(&lower))))
}

/// [`whole_line_pattern`] or [`date_only_pattern`], one search instead of two: most blocks
/// tested match neither, and each search has a fixed cost (regex searches were ~3% of
/// extraction time in perf on WCXB dev). Neither is compiled on its own: compiling them only to
/// read their patterns back cost 32M instructions per process (callgrind), 0.9% of extracting
/// every third WCXB dev page.
static WHOLE_LINE_OR_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!("{}|{}", whole_line_pattern(), date_only_pattern())).expect("static regex")
});

#[cfg(test)]
mod tests {
    use super::{is_boilerplate_line, is_recommendation_heading};

    #[test]
    fn recommendation_headings_open_sections_to_skip() {
        for line in [
            "People who viewed this item also viewed",
            "Customers who bought this item also bought",
            "Related products",
            "You may also like",
            "Frequently bought together",
            "Mehr zum Thema",
        ] {
            assert!(is_recommendation_heading(line), "{line}");
        }
        for line in ["Comments", "Specifications", "Product details", "Contact"] {
            assert!(!is_recommendation_heading(line), "{line}");
        }
    }

    #[test]
    fn related_headings_in_several_languages() {
        for line in [
            "Mehr zum Thema",
            "You may be interested in the following topics as well:",
            "Related articles that may interest you",
            "You might also like:",
            "Related Coverage",
            "Auch interessant",
            "À lire aussi",
            "Zobacz również",
            "Le puede interesar",
            "Lesen Sie auch die folgenden Beiträge:",
            "Read more: Looted colonial art",
            "Lea también: Impiden ingreso a Nicaragua a reportero",
            "Le puede interesar: JEP abrirá tres nuevos macrocasos",
            "Dowiedz się więcej: Kto jak głosował?",
            "Kommentar verfassen",
            "Keine Kommentare",
            "Quelle:",
            "« zurück",
            "23.10.2018",
            "3:59 PM",
            "Dienstag, 4. Juni 2019",
            "January 13",
            "Foto: dpa / Max Mustermann",
            "Quelle: Landesregierung",
            "Quantity",
            "Add to cart",
            "People who viewed this item also viewed",
            "Last updated 2025-12-18 UTC.",
            "Last Updated : 9 Mar, 2026",
            "Das Thema könnte dich auch interessieren:",
            "*Werbung. Dieser Beitrag enthält Werbung für MYMARINI.",
            "Anzeige, enthält Affiliate Links",
            "Alle Angaben ohne Gewähr",
            "Pressemitteilung als PDF",
            "Inhaltsverzeichnis",
        ] {
            assert!(is_boilerplate_line(line), "{line}");
        }
    }

    #[test]
    fn prose_and_long_lines_are_kept() {
        for line in [
            "Read more about the history of the city in our archive.",
            "Die Kommentare der Leser waren überwiegend positiv.",
            "Source code is available on GitHub",
            "Weitere Informationen zu den Öffnungszeiten finden Sie unten.",
            "Related work shows that the effect persists across seasons and regions of the country.",
            "2019 war ein gutes Jahr",
            "Quelle: Das Statistische Bundesamt meldete am Dienstag einen Anstieg der Preise",
            "",
        ] {
            assert!(!is_boilerplate_line(line), "{line}");
        }
    }

    #[test]
    fn long_lead_in_lines_go() {
        let mut text = String::from(
            "Die Polizei ermittelt.\nLea más: Juan Carlos Ortega Murillo propone legalizar la comercialización de marihuana en Nicaragua\nDer Verein bedauert den Vorfall.",
        );
        crate::extract::text::edit_lines(&mut text, super::drop_lead_in_lines);
        assert_eq!(
            text,
            "Die Polizei ermittelt.\nDer Verein bedauert den Vorfall."
        );
    }

    #[test]
    fn headline_goes_from_the_first_line_only() {
        let title = "Best Camping Hammocks of 2026 | GearLab";
        let mut text = String::from("Best Camping Hammocks of 2026\nWe tested 20 hammocks.");
        crate::extract::text::edit_lines(&mut text, |l| super::drop_leading_title(l, title));
        assert_eq!(text, "We tested 20 hammocks.");
        let mut lead = String::from("We tested 20 hammocks.\nBest Camping Hammocks of 2026");
        crate::extract::text::edit_lines(&mut lead, |l| super::drop_leading_title(l, title));
        assert_eq!(
            lead,
            "We tested 20 hammocks.\nBest Camping Hammocks of 2026"
        );
        let mut short = String::from("GearLab\nWe tested 20 hammocks.");
        crate::extract::text::edit_lines(&mut short, |l| super::drop_leading_title(l, title));
        assert_eq!(short, "GearLab\nWe tested 20 hammocks.");
    }
}
