//! Publication dates as pages write them: ISO stamps (`2017-03-05T10:00`), European numbers
//! (`05.03.2017`), and words (`March 5, 2017`, `5. März 2017`, `le 5 mars 2017`), all read as
//! `YYYY-MM-DD`. WCXB and extraction-dev pages carry many dates only as words: in JSON-LD
//! (`"datePublished": "Oct 31, 2025"`), in `<meta name=published>` and in bylines.

/// Plausible publication years: older "dates" are version numbers and ids.
const YEARS: std::ops::RangeInclusive<u32> = 1990..=2100;

/// Month names and abbreviations in the languages of the benchmark pages (English, German,
/// French, Spanish, Italian, Portuguese, Dutch), lower case, with their month number.
const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("januar", 1),
    ("jänner", 1),
    ("janvier", 1),
    ("janv", 1),
    ("enero", 1),
    ("ene", 1),
    ("gennaio", 1),
    ("gen", 1),
    ("janeiro", 1),
    ("januari", 1),
    ("february", 2),
    ("feb", 2),
    ("febr", 2),
    ("februar", 2),
    ("février", 2),
    ("fevrier", 2),
    ("févr", 2),
    ("febrero", 2),
    ("febbraio", 2),
    ("fevereiro", 2),
    ("fev", 2),
    ("februari", 2),
    ("march", 3),
    ("mar", 3),
    ("märz", 3),
    ("mär", 3),
    ("mrz", 3),
    ("mars", 3),
    ("marzo", 3),
    ("março", 3),
    ("maart", 3),
    ("mrt", 3),
    ("april", 4),
    ("apr", 4),
    ("avril", 4),
    ("avr", 4),
    ("abril", 4),
    ("abr", 4),
    ("aprile", 4),
    ("may", 5),
    ("mai", 5),
    ("mayo", 5),
    ("maggio", 5),
    ("mag", 5),
    ("maio", 5),
    ("mei", 5),
    ("june", 6),
    ("jun", 6),
    ("juni", 6),
    ("juin", 6),
    ("junio", 6),
    ("giugno", 6),
    ("giu", 6),
    ("junho", 6),
    ("july", 7),
    ("jul", 7),
    ("juli", 7),
    ("juillet", 7),
    ("juil", 7),
    ("julio", 7),
    ("luglio", 7),
    ("lug", 7),
    ("julho", 7),
    ("august", 8),
    ("aug", 8),
    ("août", 8),
    ("aout", 8),
    ("agosto", 8),
    ("ago", 8),
    ("augustus", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septembre", 9),
    ("septiembre", 9),
    ("setiembre", 9),
    ("settembre", 9),
    ("setembro", 9),
    ("set", 9),
    ("october", 10),
    ("oct", 10),
    ("oktober", 10),
    ("okt", 10),
    ("octobre", 10),
    ("octubre", 10),
    ("ottobre", 10),
    ("ott", 10),
    ("outubro", 10),
    ("out", 10),
    ("november", 11),
    ("nov", 11),
    ("novembre", 11),
    ("noviembre", 11),
    ("novembro", 11),
    ("december", 12),
    ("dec", 12),
    ("dezember", 12),
    ("dez", 12),
    ("décembre", 12),
    ("déc", 12),
    ("decembre", 12),
    ("diciembre", 12),
    ("dic", 12),
    ("dicembre", 12),
    ("dezembro", 12),
];

/// Words between the parts of a written date ("3 de mayo de 2022", "the 3rd of May").
const FILLERS: &[&str] = &["of", "de", "del", "the"];

/// The month a (lower-case) word names.
pub fn month_number(word: &str) -> Option<u32> {
    MONTHS.iter().find(|(m, _)| *m == word).map(|&(_, n)| n)
}

/// `YYYY-MM-DD` when year, month and day make a date.
fn ymd(y: u32, m: u32, d: u32) -> Option<String> {
    let days = match m {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    (YEARS.contains(&y) && (1..=days).contains(&d)).then(|| format!("{y:04}-{m:02}-{d:02}"))
}

/// First numeric date: `YYYY-MM-DD` (also `/` or `.` between), else `DD.MM.YYYY` (day first,
/// as German and most European pages write it, one- or two-digit day and month).
pub fn numeric_date(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let run_end = |i: usize| i + b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    let mut found_dmy = None;
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let e1 = run_end(i);
        let sep = b.get(e1).copied();
        if let Some(sep @ (b'-' | b'/' | b'.')) = sep
            && b.get(e1 + 1).is_some_and(u8::is_ascii_digit)
        {
            let e2 = run_end(e1 + 1);
            if b.get(e2) == Some(&sep) && b.get(e2 + 1).is_some_and(u8::is_ascii_digit) {
                let e3 = run_end(e2 + 1);
                let (l1, l2, l3) = (e1 - i, e2 - e1 - 1, e3 - e2 - 1);
                if l1 == 4 && l2 == 2 && l3 == 2 {
                    if let Some(d) = ymd(num(i..e1)?, num(e1 + 1..e2)?, num(e2 + 1..e3)?) {
                        return Some(d);
                    }
                } else if sep == b'.' && (1..=2).contains(&l1) && (1..=2).contains(&l2) && l3 == 4 {
                    found_dmy =
                        found_dmy.or_else(|| ymd(num(e2 + 1..e3)?, num(e1 + 1..e2)?, num(i..e1)?));
                }
                i = e3;
                continue;
            }
        }
        i = e1;
    }
    found_dmy
}

/// One piece of a written date.
#[derive(Clone, Copy, PartialEq)]
enum Piece {
    /// A number of one to four digits.
    Number(u32, usize),
    Month(u32),
    /// Any other word (weekdays, "Published", "on").
    Other,
}

/// First date written with a month name: "March 5, 2017", "Mar 5th 2017", "5 March 2017",
/// "5. März 2017", "3 de mayo de 2022". Needs day, month and a four-digit year next to each
/// other (fillers like "of" and "de" between them are skipped).
pub fn written_date(s: &str) -> Option<String> {
    let mut pieces: Vec<Piece> = Vec::new();
    let mut word = String::new();
    let mut chars = s.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_ascii_digit() {
            // Minutes after a colon ("11:15") are not a day.
            let after_colon = start > 0 && s.as_bytes()[start - 1] == b':';
            let mut end = start + 1;
            while let Some(&(j, d)) = chars.peek() {
                if !d.is_ascii_digit() {
                    break;
                }
                end = j + 1;
                chars.next();
            }
            let digits = &s[start..end];
            // "5th", "1st": the suffix belongs to the number.
            let rest = &s[end..];
            for suffix in ["st", "nd", "rd", "th"] {
                if rest.len() >= 2
                    && rest.is_char_boundary(2)
                    && rest[..2].eq_ignore_ascii_case(suffix)
                    && !rest[2..].starts_with(|c: char| c.is_alphabetic())
                {
                    chars.next();
                    chars.next();
                }
            }
            pieces.push(match digits.parse() {
                Ok(n) if digits.len() <= 4 && !after_colon => Piece::Number(n, digits.len()),
                _ => Piece::Other,
            });
        } else if c.is_alphabetic() {
            word.clear();
            word.extend(c.to_lowercase());
            while let Some(&(_, d)) = chars.peek() {
                if !d.is_alphabetic() {
                    break;
                }
                word.extend(d.to_lowercase());
                chars.next();
            }
            if FILLERS.contains(&word.as_str()) {
                continue;
            }
            pieces.push(match month_number(&word) {
                Some(m) => Piece::Month(m),
                None => Piece::Other,
            });
        } else if c == ':' {
            // A clock time ("11:15") is not a day.
            pieces.push(Piece::Other);
        }
    }
    let day = |p: Piece| match p {
        Piece::Number(d, 1..=2) => Some(d),
        _ => None,
    };
    let year = |p: Piece| match p {
        Piece::Number(y, 4) => Some(y),
        _ => None,
    };
    for (i, p) in pieces.iter().enumerate() {
        let Piece::Month(m) = *p else { continue };
        // Month day year: "March 5, 2017".
        if let (Some(&d), Some(&y)) = (pieces.get(i + 1), pieces.get(i + 2))
            && let (Some(d), Some(y)) = (day(d), year(y))
            && let Some(date) = ymd(y, m, d)
        {
            return Some(date);
        }
        // Day month year: "5 March 2017".
        if i > 0
            && let (Some(d), Some(&y)) = (day(pieces[i - 1]), pieces.get(i + 1))
            && let Some(y) = year(y)
            && let Some(date) = ymd(y, m, d)
        {
            return Some(date);
        }
    }
    None
}

/// The first date in `s`, numeric or written.
pub fn parse_date(s: &str) -> Option<String> {
    if s.len() < 6 || !s.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    numeric_date(s).or_else(|| written_date(s))
}

/// A `YYYY/MM/DD` (also `-`, `_` between, one- or two-digit month and day) date in a URL's path,
/// as blogs and news sites put it (`/2025/09/04/slug`, `/blog/2025-12-17-slug`).
pub fn date_in_url(url: &str) -> Option<String> {
    let path = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = path.split(['?', '#']).next().unwrap_or("");
    let b = path.as_bytes();
    let digits = |i: usize| b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = 0;
    while i + 8 <= b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let n1 = digits(i);
            let e1 = i + n1;
            if n1 == 4
                && let Some(&sep @ (b'/' | b'-' | b'_')) = b.get(e1)
            {
                let n2 = digits(e1 + 1);
                let e2 = e1 + 1 + n2;
                if (1..=2).contains(&n2) && b.get(e2) == Some(&sep) {
                    let n3 = digits(e2 + 1);
                    let e3 = e2 + 1 + n3;
                    let ends = b.get(e3).is_none_or(|c| !c.is_ascii_digit());
                    if (1..=2).contains(&n3) && ends {
                        let num = |r: std::ops::Range<usize>| path[r].parse::<u32>().ok();
                        if let (Some(y), Some(m), Some(d)) =
                            (num(i..e1), num(e1 + 1..e2), num(e2 + 1..e3))
                            && let Some(date) = ymd(y, m, d)
                        {
                            return Some(date);
                        }
                    }
                }
            }
            i = e1;
        } else {
            i += 1;
        }
    }
    None
}

/// Keys under which page-state JSON in ordinary scripts (shop, review and CMS front-ends) holds
/// the publication time: `"published_at":"2019-03-02T06:22:28+01:00"`.
const SCRIPT_DATE_KEYS: [&str; 5] = [
    "\"datePublished\"",
    "\"published_at\"",
    "\"publishedDate\"",
    "\"publishDate\"",
    "\"publish_date\"",
];

/// Script text searched for [`SCRIPT_DATE_KEYS`]: page-state blobs can run to megabytes, and
/// the page's own item comes early in them.
const MAX_SCRIPT_SEARCH: usize = 256 * 1024;

/// The first publication date declared under [`SCRIPT_DATE_KEYS`] in a script's text (the
/// value a string right after the key's colon).
pub fn script_json_date(text: &str) -> Option<String> {
    let mut end = text.len().min(MAX_SCRIPT_SEARCH);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = &text[..end];
    // Every key holds "ublish": one pass rules out the scripts (nearly all) without any. With
    // `memmem` (SIMD) rather than `str::contains` (two-way search, ~1% of extraction time in
    // perf on WCXB dev).
    memchr::memmem::find(text.as_bytes(), b"ublish")?;
    SCRIPT_DATE_KEYS
        .iter()
        .filter_map(|key| {
            // `memmem` like the prefilter: the scripts that pass it are the large page-state
            // blobs, and `match_indices` (two-way search) over them, key by key, was ~1.1% of
            // extraction instructions (callgrind, WCXB dev). Both yield the same
            // non-overlapping matches, left to right.
            memchr::memmem::find_iter(text.as_bytes(), key.as_bytes()).find_map(|at| {
                let rest = text[at + key.len()..].trim_start().strip_prefix(':')?;
                let value = rest.trim_start().strip_prefix('"')?;
                let value = &value[..value.find('"')?];
                (value.len() <= 40)
                    .then(|| numeric_date(value))
                    .flatten()
                    .map(|d| (at, d))
            })
        })
        .min_by_key(|&(at, _)| at)
        .map(|(_, d)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_script_json() {
        let shop = r#"var meta = {"product":{"id":1,"title":"Sidamo","published_at":"2019-03-02T06:22:28+01:00","created_at":"2019-03-01T06:27:24+01:00"}};"#;
        assert_eq!(script_json_date(shop).as_deref(), Some("2019-03-02"));
        let review =
            r#" {"publishedDate":"2016-11-04T20:37:27Z","updatedDate":"2016-11-05T20:39:47Z"} "#;
        assert_eq!(script_json_date(review).as_deref(), Some("2016-11-04"));
        // The first declared key wins, wherever in the list it is.
        let two = r#"{"publish_date": "2020-01-02", "x": {"datePublished": "2021-05-06"}}"#;
        assert_eq!(script_json_date(two).as_deref(), Some("2020-01-02"));
        assert_eq!(
            script_json_date(r#"{"published_at":null,"id":"2019-03-02"}"#),
            None
        );
        assert_eq!(script_json_date("var x = 1;"), None);
    }

    #[test]
    fn numeric_dates() {
        let d = |s| parse_date(s);
        assert_eq!(
            d("2017-03-05T10:00:00+01:00").as_deref(),
            Some("2017-03-05")
        );
        assert_eq!(d("am 2012/05/31").as_deref(), Some("2012-05-31"));
        assert_eq!(
            d("veröffentlicht 28.01.2022 06:00").as_deref(),
            Some("2022-01-28")
        );
        assert_eq!(d("Fr, 3.5.2019").as_deref(), Some("2019-05-03"));
        assert_eq!(d("2017-13-05"), None);
        assert_eq!(d("2017-02-30"), None);
        assert_eq!(d("12017-03-05x"), None);
        // Version numbers are not dates.
        assert_eq!(d("version 1.2.3"), None);
    }

    #[test]
    fn written_dates() {
        let d = |s| parse_date(s);
        // From WCXB dev tuning pages (JSON-LD, bylines, `<time>` text).
        assert_eq!(d("Oct 31, 2025").as_deref(), Some("2025-10-31"));
        assert_eq!(
            d("Oct 01, 2025T10:00:00+03:00").as_deref(),
            Some("2025-10-01")
        );
        assert_eq!(
            d("Published on July 18, 2025").as_deref(),
            Some("2025-07-18")
        );
        assert_eq!(d("September 1st, 2023").as_deref(), Some("2023-09-01"));
        assert_eq!(
            d("Last updated on 17 December 2025").as_deref(),
            Some("2025-12-17")
        );
        assert_eq!(
            d("Friday, December 19, 2025").as_deref(),
            Some("2025-12-19")
        );
        assert_eq!(
            d("8. Januar 2020 · by Aureliana").as_deref(),
            Some("2020-01-08")
        );
        assert_eq!(d("le 3 février 2021").as_deref(), Some("2021-02-03"));
        assert_eq!(d("3 de mayo de 2022").as_deref(), Some("2022-05-03"));
        // A clock time is not a day; a month with only a year is not a date.
        assert_eq!(d("May 2024"), None);
        assert_eq!(d("at 11:15 May 2024"), None);
        assert_eq!(d("12 items, 2024 edition"), None);
    }

    #[test]
    fn url_dates() {
        assert_eq!(
            date_in_url("https://scratchculinary.com/2025/09/04/top-nutrition-trends/").as_deref(),
            Some("2025-09-04")
        );
        assert_eq!(
            date_in_url("https://lmsys.org/blog/2025-12-17-minisgl").as_deref(),
            Some("2025-12-17")
        );
        assert_eq!(
            date_in_url("https://www.befifty.de/home/2017/7/12/unter-uns").as_deref(),
            Some("2017-07-12")
        );
        assert_eq!(date_in_url("https://example.com/2025/13/04/x"), None);
        assert_eq!(date_in_url("https://example.com/p/12025/10/04"), None);
        assert_eq!(date_in_url("https://example.com/2025/10/"), None);
    }
}
