//! PII redaction: e-mail addresses, IPv4 and IPv6 addresses and phone numbers are replaced by
//! placeholders, and each replacement is counted per kind (`pii.email`, `pii.ipv4`, `pii.ipv6`,
//! `pii.phone`). Never drops a document.
//!
//! E-mail and IPv4 follow datatrove 0.10.1's `PIIFormatter` (`pipeline/formatters/pii.py`)
//! exactly: the same regular expressions, e-mails first, then IPs; an IPv4 match is replaced
//! only if Python's `ipaddress.ip_address` accepts it (no leading zeros) and, with
//! `only_public_ips` (default), only if it `is_global` (not private, loopback, link-local,
//! documentation, reserved or shared 100.64/10), so `127.0.0.1`, `192.168.0.2` or `10.1.2.3`
//! stay; the placeholders are datatrove's and are used in turn. Like datatrove, the IPv4
//! expression has no word boundaries: in `1.2.3.4.5` the global address `1.2.3.4` is replaced.
//!
//! Deliberate differences: datatrove cycles through its placeholders with a counter that lives
//! as long as the Python process, so which placeholder a document gets depends on the
//! documents before it; here the cycle restarts for every document, which keeps output
//! deterministic under any thread count. datatrove has no IPv6 or phone redaction; those are
//! gleaner's (see [`find_ipv6`] and [`PHONE`]), and can be turned off for strict parity.

use std::net::Ipv6Addr;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::document::Document;
use crate::error::{Error, Result};
use crate::stage::{Stage, StageContext, Verdict};

/// datatrove's e-mail expression (an RFC 5322 approximation), character for character; the
/// only change is escaping the punctuation inside classes, which Rust's regex syntax reserves
/// for set operations (`&&`, `--`, `~~`).
const EMAIL: &str = r"\b[A-Za-z0-9!\#\$%\&'\*\+/=\?\^_`\{\|\}\~\-]+(?:\.[A-Za-z0-9!\#\$%\&'\*\+/=\?\^_`\{\|\}\~\-]+)*@(?:(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?|\[(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?|[A-Za-z0-9\-]*[A-Za-z0-9]:)\])";

/// datatrove's IPv4 expression, unchanged.
const IPV4: &str =
    r"(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)";

/// Candidate IPv6 text: hex digits and colons with at least two colons, optionally ending in a
/// dotted IPv4 part. Candidates are then checked by the standard library's parser, so the
/// expression only has to find, not validate.
const IPV6_CANDIDATE: &str = r"[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:]*(?:\d{1,3}(?:\.\d{1,3}){3})?";

/// Phone numbers, in the written forms that are unambiguous enough to redact without a
/// per-country numbering plan (no good Rust crate finds phone numbers in running text;
/// `phonenumber` parses a given string but does not search):
/// * international: `+` country code, then 2–6 groups of digits separated by a space, hyphen,
///   dot or slash, optionally with a parenthesised group: `+44 (0)7525 900971`,
///   `+27 - 82 - 373 5950`, `+1-202-555-0173`;
/// * North American: `(949) 858-5900`, `949-858-5900`, `949.858.5900`;
/// * national with a trunk `0` and a separator after the area code: `030 1234567`,
///   `0711/123456`, `074-9167100`, `01 23 45 67 89`; the group after the area code has at least
///   three digits, so `03-04-2017` (a date) is not one.
///
/// Matches are then checked by [`phone_is_plausible`]: 7 to 15 digits (E.164 allows at most 15),
/// and not glued to other digits, letters or dotted numbers.
pub const PHONE: &str = r"(?x)
    \+[1-9]\d{0,2}(?:(?:\ ?[-./]\ ?|\ )?(?:\(\d{1,4}\)|\d{1,5})){2,6}
  | \(\d{3}\)\ ?\d{3}[-.\ ]\d{4}
  | \d{3}[-.]\d{3}[-.]\d{4}
  | 0[1-9](?:[\ .]\d{2}){4}
  | 0\d{1,4}(?:\ ?/\ ?|-|\ )\d{3,8}(?:[-\ ]\d{2,6})?
";

static EMAIL_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(EMAIL).expect("valid e-mail regex"));
static IPV4_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(IPV4).expect("valid IPv4 regex"));
static IPV6_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(IPV6_CANDIDATE).expect("valid IPv6 regex"));
static PHONE_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(PHONE).expect("valid phone regex"));

/// Parameters of [`PiiRedactor`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PiiConfig {
    /// Replace e-mail addresses (datatrove `remove_emails=True`).
    pub emails: bool,
    /// Replace IPv4 addresses (datatrove `remove_ips=True`).
    pub ipv4: bool,
    /// Replace IPv6 addresses (gleaner's addition).
    pub ipv6: bool,
    /// Replace phone numbers (gleaner's addition).
    pub phones: bool,
    /// Replace only globally routable addresses (datatrove `only_remove_public_ips=True`).
    pub only_public_ips: bool,
    /// E-mail placeholders, used in turn (datatrove's defaults; example.com/.org are reserved
    /// for examples by RFC 2606).
    pub email_replacements: Vec<String>,
    /// IPv4 placeholders, used in turn (datatrove's defaults: random addresses that did not
    /// answer pings when its authors made the list).
    pub ipv4_replacements: Vec<String>,
    /// IPv6 placeholders: addresses of the documentation prefix 2001:db8::/32 (RFC 3849), which
    /// are not global, so a second pass leaves them alone.
    pub ipv6_replacements: Vec<String>,
    /// Phone placeholders: the North American 555-01xx block reserved for fiction.
    pub phone_replacements: Vec<String>,
}

impl Default for PiiConfig {
    fn default() -> Self {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        PiiConfig {
            emails: true,
            ipv4: true,
            ipv6: true,
            phones: true,
            only_public_ips: true,
            // datatrove 0.10.1 PIIFormatter: email_replacement
            email_replacements: s(&["email@example.com", "firstname.lastname@example.org"]),
            // datatrove 0.10.1 PIIFormatter: ip_replacement
            ipv4_replacements: s(&[
                "22.214.171.124",
                "126.96.36.199",
                "188.8.131.52",
                "184.108.40.206",
                "220.127.116.11",
                "18.104.22.168",
            ]),
            ipv6_replacements: s(&["2001:db8::1", "2001:db8::2"]),
            phone_replacements: s(&["+1-202-555-0100", "+1-202-555-0199"]),
        }
    }
}

/// Replaces PII with placeholders.
pub struct PiiRedactor {
    cfg: PiiConfig,
}

impl PiiRedactor {
    /// Checks that every enabled kind has at least one placeholder.
    pub fn new(cfg: PiiConfig) -> Result<Self> {
        for (on, list, name) in [
            (cfg.emails, &cfg.email_replacements, "email_replacements"),
            (cfg.ipv4, &cfg.ipv4_replacements, "ipv4_replacements"),
            (cfg.ipv6, &cfg.ipv6_replacements, "ipv6_replacements"),
            (cfg.phones, &cfg.phone_replacements, "phone_replacements"),
        ] {
            if on && list.is_empty() {
                return Err(Error::Config(format!("stage pii: {name} is empty")));
            }
        }
        Ok(PiiRedactor { cfg })
    }

    /// Redacts `text`, returning the new text (if anything changed) and counts per kind.
    pub fn redact(&self, text: &str) -> (Option<String>, PiiCounts) {
        let c = &self.cfg;
        let mut counts = PiiCounts::default();
        let mut current: Option<String> = None;
        let step = |cur: &mut Option<String>,
                    f: &dyn Fn(&str) -> Vec<(usize, usize)>,
                    repl: &[String]|
         -> u64 {
            let src = cur.as_deref().unwrap_or(text);
            let spans = f(src);
            if spans.is_empty() {
                return 0;
            }
            let mut out = String::with_capacity(src.len());
            let mut last = 0;
            for (i, &(s, e)) in spans.iter().enumerate() {
                out.push_str(&src[last..s]);
                out.push_str(&repl[i % repl.len()]);
                last = e;
            }
            out.push_str(&src[last..]);
            *cur = Some(out);
            spans.len() as u64
        };
        if c.emails {
            counts.email = step(
                &mut current,
                &|t| {
                    EMAIL_RE
                        .find_iter(t)
                        .map(|m| (m.start(), m.end()))
                        .collect()
                },
                &c.email_replacements,
            );
        }
        if c.ipv4 {
            let public = c.only_public_ips;
            counts.ipv4 = step(
                &mut current,
                &|t| {
                    IPV4_RE
                        .find_iter(t)
                        .filter(|m| ipv4_is_redactable(m.as_str(), public))
                        .map(|m| (m.start(), m.end()))
                        .collect()
                },
                &c.ipv4_replacements,
            );
        }
        if c.ipv6 {
            let public = c.only_public_ips;
            counts.ipv6 = step(
                &mut current,
                &|t| find_ipv6(t, public),
                &c.ipv6_replacements,
            );
        }
        if c.phones {
            counts.phone = step(&mut current, &find_phones, &c.phone_replacements);
        }
        (current, counts)
    }
}

/// Replacements made in one document, per kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PiiCounts {
    /// E-mail addresses.
    pub email: u64,
    /// IPv4 addresses.
    pub ipv4: u64,
    /// IPv6 addresses.
    pub ipv6: u64,
    /// Phone numbers.
    pub phone: u64,
}

/// Python's `ipaddress.ip_address(s)` accepts `s` (four decimal octets up to 255, no leading
/// zeros since Python 3.9.5) and, if `public_only`, the address `is_global`.
pub fn ipv4_is_redactable(s: &str, public_only: bool) -> bool {
    let mut octets = [0u8; 4];
    let mut n = 0;
    for part in s.split('.') {
        if n == 4 || part.is_empty() || part.len() > 3 || (part.len() > 1 && part.starts_with('0'))
        {
            return false;
        }
        match part.parse::<u8>() {
            Ok(v) => octets[n] = v,
            Err(_) => return false,
        }
        n += 1;
    }
    n == 4 && (!public_only || ipv4_is_global(octets))
}

/// Python 3.11's `IPv4Address.is_global`: not in `_private_networks` and not in the shared
/// address space 100.64.0.0/10 (CPython `Lib/ipaddress.py`, `_IPv4Constants`).
pub fn ipv4_is_global(o: [u8; 4]) -> bool {
    let ip = u32::from_be_bytes(o);
    // (network, prefix length)
    const NOT_GLOBAL: [(u32, u32); 15] = [
        (0x0000_0000, 8),  // 0.0.0.0/8
        (0x0A00_0000, 8),  // 10.0.0.0/8
        (0x7F00_0000, 8),  // 127.0.0.0/8
        (0xA9FE_0000, 16), // 169.254.0.0/16
        (0xAC10_0000, 12), // 172.16.0.0/12
        (0xC000_0000, 29), // 192.0.0.0/29
        (0xC000_00AA, 31), // 192.0.0.170/31
        (0xC000_0200, 24), // 192.0.2.0/24
        (0xC0A8_0000, 16), // 192.168.0.0/16
        (0xC612_0000, 15), // 198.18.0.0/15
        (0xC633_6400, 24), // 198.51.100.0/24
        (0xCB00_7100, 24), // 203.0.113.0/24
        (0xF000_0000, 4),  // 240.0.0.0/4
        (0xFFFF_FFFF, 32), // 255.255.255.255/32
        (0x6440_0000, 10), // 100.64.0.0/10 (_public_network, excluded by is_global)
    ];
    !NOT_GLOBAL
        .iter()
        .any(|&(net, len)| ip >> (32 - len) == net >> (32 - len))
}

/// Python 3.11's `IPv6Address.is_global` (= not `is_private`; an IPv4-mapped address is private
/// when its IPv4 address is).
pub fn ipv6_is_global(a: Ipv6Addr) -> bool {
    if let Some(v4) = a.to_ipv4_mapped() {
        let o = v4.octets();
        // is_private of the IPv4 address: the private list without 100.64/10.
        return ipv4_is_global(o) || (o[0] == 100 && (o[1] & 0xC0) == 64);
    }
    let ip = u128::from(a);
    const PRIVATE: [(u128, u32); 10] = [
        (1, 128),                          // ::1/128
        (0, 128),                          // ::/128
        (0xffff_0000_0000, 96),            // ::ffff:0:0/96
        (0x0100_0000_0000_0000 << 64, 64), // 100::/64
        (0x2001_0000 << 96, 23),           // 2001::/23
        ((0x2001_0002_u128 << 96), 48),    // 2001:2::/48
        (0x2001_0db8 << 96, 32),           // 2001:db8::/32
        (0x2001_0010 << 96, 28),           // 2001:10::/28
        (0xfc00_u128 << 112, 7),           // fc00::/7
        (0xfe80_u128 << 112, 10),          // fe80::/10
    ];
    !PRIVATE
        .iter()
        .any(|&(net, len)| ip >> (128 - len) == net >> (128 - len))
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// IPv6 addresses in `text`, as byte spans. A candidate is kept when it is a whole token (no
/// letter, digit, `_`, `.` or `:` glued before it, no letter, digit or `_` after it), the
/// standard library parses it, it spells at least three groups (so C++ paths like `a::b`, and
/// times like `12:30:45` which do not parse, stay), and, if `public_only`, it is global.
/// A sentence's closing `.` or a single trailing `:` is not part of the address.
pub fn find_ipv6(text: &str, public_only: bool) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    for m in IPV6_RE.find_iter(text) {
        let (start, mut end) = (m.start(), m.end());
        if text[..start]
            .chars()
            .next_back()
            .is_some_and(|c| is_word_char(c) || c == '.' || c == ':')
        {
            continue;
        }
        if text[end..].chars().next().is_some_and(is_word_char) {
            continue;
        }
        let mut cand = &text[start..end];
        while cand.ends_with('.') || (cand.ends_with(':') && !cand.ends_with("::")) {
            cand = &cand[..cand.len() - 1];
            end -= 1;
        }
        let groups = cand.split([':', '.']).filter(|g| !g.is_empty()).count();
        if groups < 3 {
            continue;
        }
        match cand.parse::<Ipv6Addr>() {
            Ok(addr) if !public_only || ipv6_is_global(addr) => spans.push((start, end)),
            _ => {}
        }
    }
    spans
}

/// Whether a phone match is a whole token with a plausible digit count.
fn phone_is_plausible(text: &str, start: usize, end: usize) -> bool {
    let digits = text[start..end].bytes().filter(u8::is_ascii_digit).count();
    if !(7..=15).contains(&digits) {
        return false;
    }
    let before = text[..start].chars().next_back();
    // Glued to a word or a number before (`x030 1234`, `12.030 123`, `1-800…` inside a longer
    // digit run) — not a phone number on its own. A `/` before is fine: `+242 373 8956/+1 800…`
    // lists two numbers.
    if before.is_some_and(|c| is_word_char(c) || matches!(c, '.' | ',' | '-')) {
        return false;
    }
    let mut after = text[end..].chars();
    match after.next() {
        Some(c) if is_word_char(c) => false,
        // `030 1234.5` or `123-456-7890-12`: a longer number continues.
        Some('.' | ',' | '-' | '/') => !after.next().is_some_and(|c| c.is_ascii_digit()),
        _ => true,
    }
}

/// Phone numbers in `text`, as byte spans (see [`PHONE`]).
pub fn find_phones(text: &str) -> Vec<(usize, usize)> {
    PHONE_RE
        .find_iter(text)
        .filter(|m| phone_is_plausible(text, m.start(), m.end()))
        .map(|m| (m.start(), m.end()))
        .collect()
}

impl Stage for PiiRedactor {
    fn kind(&self) -> &'static str {
        "pii"
    }

    fn process(&self, doc: &mut Document, cx: &mut StageContext) -> Verdict {
        let (text, counts) = self.redact(&doc.text);
        if let Some(text) = text {
            doc.text = text;
            // Which bytes were replaced, per document: the text no longer shows them.
            let per_kind: serde_json::Map<String, serde_json::Value> = [
                ("email", counts.email),
                ("ipv4", counts.ipv4),
                ("ipv6", counts.ipv6),
                ("phone", counts.phone),
            ]
            .into_iter()
            .filter(|&(_, n)| n > 0)
            .map(|(k, n)| (k.to_string(), n.into()))
            .collect();
            doc.metadata
                .insert("pii_redacted".to_string(), per_kind.into());
        }
        cx.count("pii.email", counts.email);
        cx.count("pii.ipv4", counts.ipv4);
        cx.count("pii.ipv6", counts.ipv6);
        cx.count("pii.phone", counts.phone);
        Verdict::Keep
    }
}

#[cfg(test)]
#[path = "pii_tests.rs"]
mod tests;
