//! URL filter: drops documents whose `metadata.url` is on a domain or URL blocklist or contains
//! banned words, with the rules and rule names of datatrove 0.10.1's `URLFilter`
//! (`pipeline/filters/url_filter.py`), checked in its order:
//!
//! 1. `domain`: the registered domain (public suffix + one label, ICANN section of the Public
//!    Suffix List, as `tldextract` computes it by default) is blocklisted — `news.example.co.uk`
//!    is blocked by `example.co.uk`;
//! 2. `subdomain`: the full host is blocklisted — `ads.example.com` blocks that host only;
//! 3. `url`: the exact URL string is blocklisted;
//! 4. `hard_blacklisted`: a banned word is one of the URL's words (the URL split on every run
//!    of characters other than ASCII letters and digits — case-sensitive, as datatrove does);
//! 5. `soft_blacklisted`: at least `soft_word_threshold` different soft-banned words are words
//!    of the URL;
//! 6. `blacklisted_subword`: a banned subword occurs anywhere in the URL lowercased with every
//!    character other than ASCII letters and digits removed (`free-casino.com` → `freecasinocom`).
//!
//! Word lists are normalized like datatrove's (`[^a-zA-Z0-9]+` removed, lowercased); domain and
//! URL lists are only trimmed. Lines starting with `#` are comments.
//!
//! Differences from datatrove, each deliberate: the host is lowercased before the domain checks
//! (datatrove compares `Example.COM` case-sensitively against lowercase lists, so it never
//! matches); blank lines in list files are skipped (in datatrove an empty line becomes an empty
//! entry, which blocks every URL without a registered domain, or — as a banned word — every URL
//! that starts or ends with punctuation); a document without a URL is kept and counted
//! (`url_filter.missing_url`) where datatrove stops with an assertion; datatrove's built-in UT1
//! lists are not built in: name them (or any list) with the `*_files` parameters.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;
use psl::{List, Psl, Type};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::document::{Document, Removal};
use crate::error::{Error, Result};
use crate::stage::{Stage, StageContext, Verdict};

/// Parameters of [`UrlFilter`]. Each list can be given inline, in files (one entry per line,
/// `#` comments, `.gz` accepted), or both; file paths resolve against the pipeline file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UrlFilterConfig {
    /// Blocked registered domains or full host names (datatrove `extra_domains`).
    pub blocked_domains: Vec<String>,
    /// Files of blocked domains (e.g. UT1's `domains`).
    pub blocked_domains_files: Vec<PathBuf>,
    /// Blocked exact URLs (datatrove `extra_urls`).
    pub blocked_urls: Vec<String>,
    /// Files of blocked URLs (e.g. UT1's `urls`).
    pub blocked_urls_files: Vec<PathBuf>,
    /// Words that block a URL on their own (datatrove `banned_words`).
    pub banned_words: Vec<String>,
    /// Files of banned words.
    pub banned_words_files: Vec<PathBuf>,
    /// Words that block a URL when `soft_word_threshold` of them occur (datatrove
    /// `soft_banned_words`).
    pub soft_banned_words: Vec<String>,
    /// Files of soft-banned words.
    pub soft_banned_words_files: Vec<PathBuf>,
    /// Substrings that block a URL anywhere in its normalized form (datatrove
    /// `banned_subwords`).
    pub banned_subwords: Vec<String>,
    /// Files of banned subwords.
    pub banned_subwords_files: Vec<PathBuf>,
    /// How many different soft-banned words block a URL.
    // datatrove 0.10.1 URLFilter: soft_word_threshold=2
    pub soft_word_threshold: usize,
    /// Drop documents that have no `metadata.url` (default: keep them, counted).
    pub drop_missing_url: bool,
}

impl Default for UrlFilterConfig {
    fn default() -> Self {
        UrlFilterConfig {
            blocked_domains: Vec::new(),
            blocked_domains_files: Vec::new(),
            blocked_urls: Vec::new(),
            blocked_urls_files: Vec::new(),
            banned_words: Vec::new(),
            banned_words_files: Vec::new(),
            soft_banned_words: Vec::new(),
            soft_banned_words_files: Vec::new(),
            banned_subwords: Vec::new(),
            banned_subwords_files: Vec::new(),
            soft_word_threshold: 2,
            drop_missing_url: false,
        }
    }
}

/// datatrove's `normalize`: drop every character other than ASCII letters and digits, lowercase.
pub fn normalize(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The URL's words: split on runs of characters other than ASCII letters and digits, case kept
/// (datatrove's `normalizer.split(url)`; empty pieces dropped, see the module note on blanks).
fn url_words(url: &str) -> HashSet<&str> {
    url.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect()
}

/// The host of a URL as `tldextract` reads it: after the scheme, before the path, without
/// user info, port or trailing dot; lowercased.
pub fn url_host(url: &str) -> String {
    let url = url.trim();
    let rest = match url.find("//") {
        // `scheme://` or a scheme-relative `//host`: only when everything before is a scheme.
        Some(i)
            if url[..i].is_empty()
                || (url[..i].ends_with(':')
                    && url[..i - 1]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))) =>
        {
            &url[i + 2..]
        }
        _ => url,
    };
    let netloc = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = netloc.rsplit('@').next().unwrap_or("");
    let host = if host_port.starts_with('[') {
        // IPv6 literal: never a registered domain.
        host_port
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// The registered domain of `host` under the ICANN section of the Public Suffix List (what
/// `tldextract.TLDExtract()` reports as `registered_domain`), or `None` for hosts without a
/// known public suffix (IP addresses, `localhost`, unknown TLDs).
pub fn registered_domain(host: &str) -> Option<&str> {
    let bytes = host.as_bytes();
    let mut suffix = List.suffix(bytes)?;
    // A private-section suffix (`blogspot.com`): tldextract's default ignores that section, so
    // look for the longest ICANN suffix inside it.
    while suffix.typ() == Some(Type::Private) {
        let s = suffix.as_bytes();
        let dot = s.iter().position(|&b| b == b'.')?;
        suffix = List.suffix(&s[dot + 1..])?;
    }
    if suffix.typ() != Some(Type::Icann) {
        return None;
    }
    let suffix_len = suffix.as_bytes().len();
    if host.len() < suffix_len + 2 {
        return None;
    }
    let head = &host[..host.len() - suffix_len - 1];
    let label = head.rsplit('.').next()?;
    if label.is_empty() {
        return None;
    }
    Some(&host[host.len() - suffix_len - 1 - label.len()..])
}

/// Drops documents by URL.
pub struct UrlFilter {
    domains: HashSet<String>,
    urls: HashSet<String>,
    banned_words: HashSet<String>,
    soft_banned_words: HashSet<String>,
    subwords: Option<(AhoCorasick, Vec<String>)>,
    soft_word_threshold: usize,
    drop_missing_url: bool,
}

/// Reads a list file, one entry per line; `#` lines are comments, blank lines skipped.
fn read_list(path: &Path, normalize_words: bool, into: &mut HashSet<String>) -> Result<()> {
    let file = std::fs::File::open(path)
        .map_err(|e| Error::Config(format!("stage url_filter: {}: {e}", path.display())))?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    for line in BufReader::new(reader).lines() {
        let line =
            line.map_err(|e| Error::Config(format!("stage url_filter: {}: {e}", path.display())))?;
        add_entry(&line, normalize_words, into);
    }
    Ok(())
}

fn add_entry(line: &str, normalize_words: bool, into: &mut HashSet<String>) {
    if line.starts_with('#') {
        return;
    }
    let entry = if normalize_words {
        normalize(line)
    } else {
        line.trim().to_string()
    };
    if !entry.is_empty() {
        into.insert(entry);
    }
}

fn load(inline: &[String], files: &[PathBuf], normalize_words: bool) -> Result<HashSet<String>> {
    let mut set = HashSet::new();
    for entry in inline {
        add_entry(entry, normalize_words, &mut set);
    }
    for f in files {
        read_list(f, normalize_words, &mut set)?;
    }
    Ok(set)
}

impl UrlFilter {
    /// Loads every list.
    pub fn new(cfg: UrlFilterConfig) -> Result<Self> {
        let mut domains = load(&cfg.blocked_domains, &cfg.blocked_domains_files, false)?;
        // Hosts are compared lowercased (see the module note).
        domains = domains
            .into_iter()
            .map(|d| d.to_ascii_lowercase())
            .collect();
        let subword_set = load(&cfg.banned_subwords, &cfg.banned_subwords_files, true)?;
        let mut subwords: Vec<String> = subword_set.into_iter().collect();
        subwords.sort();
        let subwords = if subwords.is_empty() {
            None
        } else {
            let ac = AhoCorasick::new(&subwords)
                .map_err(|e| Error::Config(format!("stage url_filter: banned subwords: {e}")))?;
            Some((ac, subwords))
        };
        Ok(UrlFilter {
            domains,
            urls: load(&cfg.blocked_urls, &cfg.blocked_urls_files, false)?,
            banned_words: load(&cfg.banned_words, &cfg.banned_words_files, true)?,
            soft_banned_words: load(&cfg.soft_banned_words, &cfg.soft_banned_words_files, true)?,
            subwords,
            soft_word_threshold: cfg.soft_word_threshold,
            drop_missing_url: cfg.drop_missing_url,
        })
    }

    /// The first rule `url` breaks, in datatrove's order.
    pub fn check(&self, url: &str) -> Option<Removal> {
        let host = url_host(url);
        if let Some(domain) = registered_domain(&host) {
            if self.domains.contains(domain) {
                return Some(Removal::new("domain", domain, Value::Null));
            }
            if self.domains.contains(host.as_str()) {
                return Some(Removal::new("subdomain", host, Value::Null));
            }
        }
        if self.urls.contains(url) {
            return Some(Removal::new("url", url, Value::Null));
        }
        let words = url_words(url);
        if let Some(w) = self
            .banned_words
            .iter()
            .filter(|w| words.contains(w.as_str()))
            .min()
        {
            return Some(Removal::new("hard_blacklisted", w.as_str(), Value::Null));
        }
        let mut soft: Vec<&str> = self
            .soft_banned_words
            .iter()
            .filter(|w| words.contains(w.as_str()))
            .map(String::as_str)
            .collect();
        if !soft.is_empty() && soft.len() >= self.soft_word_threshold {
            soft.sort_unstable();
            return Some(Removal::new(
                "soft_blacklisted",
                soft,
                self.soft_word_threshold,
            ));
        }
        if let Some((ac, words)) = &self.subwords
            && let Some(m) = ac.find(&normalize(url))
        {
            return Some(Removal::new(
                "blacklisted_subword",
                words[m.pattern().as_usize()].as_str(),
                Value::Null,
            ));
        }
        None
    }
}

impl Stage for UrlFilter {
    fn kind(&self) -> &'static str {
        "url_filter"
    }

    fn process(&self, doc: &mut Document, cx: &mut StageContext) -> Verdict {
        let Some(url) = doc.url() else {
            cx.count("url_filter.missing_url", 1);
            return if self.drop_missing_url {
                Verdict::Drop(Removal::new("missing_url", Value::Null, Value::Null))
            } else {
                Verdict::Keep
            };
        };
        match self.check(url) {
            Some(r) => Verdict::Drop(r),
            None => Verdict::Keep,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped test lists, as a pipeline names them.
    fn shipped() -> UrlFilter {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lists");
        UrlFilter::new(UrlFilterConfig {
            blocked_domains_files: vec![dir.join("blocked_domains.txt")],
            blocked_urls_files: vec![dir.join("blocked_urls.txt")],
            banned_words_files: vec![dir.join("banned_words.txt")],
            soft_banned_words_files: vec![dir.join("soft_banned_words.txt")],
            banned_subwords_files: vec![dir.join("banned_subwords.txt")],
            ..Default::default()
        })
        .unwrap()
    }

    fn rule(f: &UrlFilter, url: &str) -> Option<(String, Value)> {
        f.check(url).map(|r| (r.rule, r.value))
    }

    #[test]
    fn host_and_registered_domain_as_tldextract() {
        // Values printed by tldextract 5 (TLDExtract() defaults) for the same URLs.
        for (url, host, domain) in [
            (
                "http://www.bbc.co.uk/news",
                "www.bbc.co.uk",
                Some("bbc.co.uk"),
            ),
            (
                "https://foo.blogspot.com/x",
                "foo.blogspot.com",
                Some("blogspot.com"),
            ),
            (
                "http://kulinariaathome.wordpress.com/2012/12/08/mandelplatzchen/",
                "kulinariaathome.wordpress.com",
                Some("wordpress.com"),
            ),
            (
                "https://user:pw@Sub.Example.COM.:443/p",
                "sub.example.com",
                Some("example.com"),
            ),
            ("http://192.168.0.1/a", "192.168.0.1", None),
            ("http://localhost:8080/", "localhost", None),
            ("http://президент.рф/", "президент.рф", Some("президент.рф")),
            ("not a url", "not a url", None),
            ("", "", None),
        ] {
            assert_eq!(url_host(url), host, "{url}");
            assert_eq!(registered_domain(&url_host(url)), domain, "{url}");
        }
    }

    #[test]
    fn domain_and_subdomain_rules() {
        let f = shipped();
        // blocked_domains.txt lists `ebrosia.de` (registered domain: any host under it goes) …
        assert_eq!(
            rule(
                &f,
                "https://www.ebrosia.de/beringer-zinfandel-rose-stone-cellars-lieblich-suess"
            ),
            Some(("domain".into(), "ebrosia.de".into()))
        );
        // … and the host `archiv.krimiblog.de` (only that host goes, not its siblings).
        assert_eq!(
            rule(&f, "http://archiv.krimiblog.de/?p=2895"),
            Some(("subdomain".into(), "archiv.krimiblog.de".into()))
        );
        assert_eq!(rule(&f, "http://www.krimiblog.de/?p=2895"), None);
        // Like datatrove, an intermediate level is not matched: `x.archiv.krimiblog.de` is
        // neither the registered domain nor the listed host.
        assert_eq!(rule(&f, "http://x.archiv.krimiblog.de/"), None);
    }

    #[test]
    fn exact_url_rule() {
        let f = shipped();
        let listed = "http://love-hina.ch/news/0409.html";
        assert_eq!(rule(&f, listed), Some(("url".into(), listed.into())));
        assert_eq!(rule(&f, "http://love-hina.ch/news/0410.html"), None);
    }

    #[test]
    fn hard_words_are_whole_words_and_case_sensitive() {
        let f = shipped();
        // banned_words.txt lists `casino`.
        assert_eq!(
            rule(&f, "https://example.org/best-casino/bonus"),
            Some(("hard_blacklisted".into(), "casino".into()))
        );
        // Not a word of its own here (the subword rule does not list it either) …
        assert_eq!(rule(&f, "https://example.org/casinos"), None);
        // … and datatrove does not lowercase URL words.
        assert_eq!(rule(&f, "https://example.org/CASINO"), None);
    }

    #[test]
    fn both_sides_of_the_soft_word_threshold() {
        let f = shipped();
        // soft_banned_words.txt lists `adult`, `dating`, `cams` …: one is fine, two block.
        assert_eq!(rule(&f, "https://example.org/adult-education"), None);
        assert_eq!(
            rule(&f, "https://example.org/adult-dating"),
            Some((
                "soft_blacklisted".into(),
                serde_json::json!(["adult", "dating"])
            ))
        );
        let strict = UrlFilter::new(UrlFilterConfig {
            soft_banned_words: vec!["adult".into()],
            soft_word_threshold: 1,
            ..Default::default()
        })
        .unwrap();
        assert!(
            strict
                .check("https://example.org/adult-education")
                .is_some()
        );
    }

    #[test]
    fn subwords_match_inside_the_normalized_url() {
        let f = shipped();
        // banned_subwords.txt lists `viagra`; the normalized URL is `httpsshopexamplecomcheapviagrapills`.
        assert_eq!(
            rule(&f, "https://shop.example.com/cheap-VIAGRA-pills"),
            Some(("blacklisted_subword".into(), "viagra".into()))
        );
        // Subwords span separators: `free bet` (normalized `freebet`) matches `free-bet`.
        assert_eq!(
            rule(&f, "https://example.org/free-bet-today"),
            Some(("blacklisted_subword".into(), "freebet".into()))
        );
    }

    #[test]
    fn real_evaluation_urls_mostly_pass() {
        // The 990 URLs of the trafilatura evaluation set: only the ones the test lists name go.
        let f = shipped();
        let Some(path) = gleaner_testdata::shared_file("extraction-dev/evaldata.json") else {
            return;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        let urls: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
        let blocked: Vec<&String> = urls.keys().filter(|u| f.check(u).is_some()).collect();
        assert_eq!(blocked.len(), 3, "{blocked:?}");
    }

    #[test]
    fn missing_url_is_kept_and_counted_or_dropped() {
        let f = shipped();
        let mut cx = StageContext::new();
        assert_eq!(
            f.process(&mut Document::new("d", "text"), &mut cx),
            Verdict::Keep
        );
        assert_eq!(cx.counters().get("url_filter.missing_url"), Some(&1));
        let strict = UrlFilter::new(UrlFilterConfig {
            drop_missing_url: true,
            ..Default::default()
        })
        .unwrap();
        assert!(matches!(
            strict.process(&mut Document::new("d", "text"), &mut StageContext::new()),
            Verdict::Drop(_)
        ));
    }

    #[test]
    fn missing_list_file_is_a_config_error() {
        let cfg = UrlFilterConfig {
            blocked_domains_files: vec![PathBuf::from("/nonexistent/domains.txt")],
            ..Default::default()
        };
        assert!(UrlFilter::new(cfg).is_err());
    }
}
