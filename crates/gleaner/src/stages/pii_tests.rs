//! Tests of the PII stage on real text: sentences from the news-articles corpus (Apache-2.0) and
//! the trafilatura evaluation pages (Apache-2.0), see NOTICE. The expected outputs
//! of the e-mail and IPv4 cases are what datatrove 0.10.1's `PIIFormatter()` prints for the same
//! input (a fresh formatter per input, so its placeholder cycle starts at the first entry, as
//! gleaner's does per document).

use super::*;

fn redact(cfg: PiiConfig, text: &str) -> (String, PiiCounts) {
    let (out, counts) = PiiRedactor::new(cfg).unwrap().redact(text);
    (out.unwrap_or_else(|| text.to_string()), counts)
}

fn only(kind: &str) -> PiiConfig {
    PiiConfig {
        emails: kind == "email",
        ipv4: kind == "ipv4",
        ipv6: kind == "ipv6",
        phones: kind == "phone",
        ..Default::default()
    }
}

const PRESS_CONTACT: &str = "Media Contact: Infortrend Europe Ltd.- Agnieszka Wesolowska- \
     Tel:+44-1256-305-220- E-mail:marketing.eu@infortrend.com";

#[test]
fn email_as_datatrove() {
    let (out, n) = redact(only("email"), PRESS_CONTACT);
    assert_eq!(
        out,
        "Media Contact: Infortrend Europe Ltd.- Agnieszka Wesolowska- \
         Tel:+44-1256-305-220- E-mail:email@example.com"
    );
    assert_eq!(n.email, 1);
    // datatrove's expression also takes `1234@192.168.1.100` (user:password@host) for an address.
    let (out, _) = redact(
        only("email"),
        "(z.B. admin:1234@192.168.1.100 ….) klappt der Aufruf nicht.",
    );
    assert_eq!(
        out,
        "(z.B. admin:email@example.com ….) klappt der Aufruf nicht."
    );
}

#[test]
fn placeholders_cycle_within_a_document() {
    let text = "Contact the writers at anbaijie@chinadaily.com.cn and zhongnan@chinadaily.com.cn \
                or cecily.liu@mail.chinadailyuk.com";
    let (out, n) = redact(only("email"), text);
    assert_eq!(
        out,
        "Contact the writers at email@example.com and firstname.lastname@example.org \
         or email@example.com"
    );
    assert_eq!(n.email, 3);
}

#[test]
fn public_ipv4_replaced_private_kept_as_datatrove() {
    let (out, n) = redact(
        only("ipv4"),
        "So könnte aus der IP-Adresse 123.123.123.123 die \"anonyme\" IP-Adresse 123.123.122.243 werden.",
    );
    assert_eq!(
        out,
        "So könnte aus der IP-Adresse 22.214.171.124 die \"anonyme\" IP-Adresse 126.96.36.199 werden."
    );
    assert_eq!(n.ipv4, 2);
    let private = "to my rsync server langly (whose ip is 192.168.0.2)\nhosts allow = 127.0.0.1";
    assert_eq!(
        redact(only("ipv4"), private),
        (private.to_string(), PiiCounts::default())
    );
    // With only_public_ips off, private addresses go too.
    let all = PiiConfig {
        only_public_ips: false,
        ..only("ipv4")
    };
    assert_eq!(redact(all, private).1.ipv4, 2);
}

#[test]
fn ipv4_edge_cases_match_datatrove() {
    let (out, n) = redact(
        only("ipv4"),
        "version 1.2.3.4.5 and 01.02.03.04 and 11.22.33.444 and 100.64.0.1 and 8.8.8.8",
    );
    // Leading zeros are not an address to Python; 100.64/10 is shared space, not global; the
    // expression has no boundaries, so 1.2.3.4 inside 1.2.3.4.5 and 11.22.33.44 inside
    // 11.22.33.444 are replaced, exactly as datatrove does.
    assert_eq!(
        out,
        "version 22.214.171.124.5 and 01.02.03.04 and 126.96.36.1994 and 100.64.0.1 and 188.8.131.52"
    );
    assert_eq!(n.ipv4, 3);
}

#[test]
fn ipv4_global_table_matches_python() {
    // Boundaries of each excluded range, both sides (values from Python 3.11 ipaddress).
    for (ip, global) in [
        ([9, 255, 255, 255], true),
        ([10, 0, 0, 0], false),
        ([11, 0, 0, 0], true),
        ([100, 63, 255, 255], true),
        ([100, 64, 0, 0], false),
        ([100, 127, 255, 255], false),
        ([100, 128, 0, 0], true),
        ([172, 15, 255, 255], true),
        ([172, 16, 0, 0], false),
        ([172, 31, 255, 255], false),
        ([172, 32, 0, 0], true),
        ([192, 0, 0, 7], false),
        ([192, 0, 0, 8], true),
        ([192, 0, 0, 170], false),
        ([192, 0, 0, 172], true),
        ([224, 0, 0, 1], true),
        ([239, 255, 255, 255], true),
        ([240, 0, 0, 0], false),
    ] {
        assert_eq!(ipv4_is_global(ip), global, "{ip:?}");
    }
}

#[test]
fn ipv6_public_replaced_documentation_and_code_kept() {
    let text = "Cloudflare answers on 2606:4700:4700::1111. The docs use 2001:db8::8:800:200c:417a, \
                loopback is ::1, C++ calls std::vector::push_back, and the match starts at 12:30:45.";
    let (out, n) = redact(only("ipv6"), text);
    assert_eq!(
        out,
        "Cloudflare answers on 2001:db8::1. The docs use 2001:db8::8:800:200c:417a, \
         loopback is ::1, C++ calls std::vector::push_back, and the match starts at 12:30:45."
    );
    assert_eq!(n.ipv6, 1);
    // Private ones go when only_public_ips is off; `::1` has too few groups to be told from code.
    let all = PiiConfig {
        only_public_ips: false,
        ..only("ipv6")
    };
    assert_eq!(redact(all, text).1.ipv6, 2);
    // An IPv4-mapped address is global exactly when its IPv4 part is.
    assert!(ipv6_is_global("::ffff:8.8.8.8".parse().unwrap()));
    assert!(!ipv6_is_global("::ffff:10.0.0.1".parse().unwrap()));
}

#[test]
fn phones_in_real_listings() {
    let text = "South Africa; +27 082 838 2309; contact airjaws@mweb.co.za for package rates. \
                WhatsApp: +44 (0)7525 900971 Twitter: @BBC_HaveYourSay SMS/MMS: 61124 or if you \
                are outside of the UK +44 7624 800 100. Bahamas; +242 373 8956/+1 800 992 3483; \
                Kathryn Reinhardt 949-858-5900 kreinhardt@magnaflow.com. Monaghan Garda Station \
                on 047-77200, the Garda Confidential Line. Tel:+44-1256-305-220- E-mail";
    let (out, n) = redact(only("phone"), text);
    assert_eq!(
        out,
        "South Africa; +1-202-555-0100; contact airjaws@mweb.co.za for package rates. \
         WhatsApp: +1-202-555-0199 Twitter: @BBC_HaveYourSay SMS/MMS: 61124 or if you \
         are outside of the UK +1-202-555-0100. Bahamas; +1-202-555-0199/+1-202-555-0100; \
         Kathryn Reinhardt +1-202-555-0199 kreinhardt@magnaflow.com. Monaghan Garda Station \
         on +1-202-555-0100, the Garda Confidential Line. Tel:+1-202-555-0199- E-mail"
    );
    assert_eq!(n.phone, 8);
}

#[test]
fn numbers_that_are_not_phones_stay() {
    // Dates, years, prices, scores, ISBNs, short codes, version strings and counts from news
    // text, each on the wrong side of one of the phone rules.
    let text = "On 03-04-2017 and 2017-03-04 the index rose 1,234,567 points to 12.345.678; \
                ISBN 978-3-16-148410-0 and 0-306-40615-2; SMS 61124; call 1800 66 6111? \
                Version 1.2.3.4567 shipped; 2,000 000 people; the 0 1 score; PLZ 01067 Dresden; \
                flight 0800 from gate 12.";
    let (out, n) = redact(only("phone"), text);
    assert_eq!(out, text);
    assert_eq!(n.phone, 0);
}

#[test]
fn digit_count_bounds() {
    // National form with 6 digits: too short; 7: a phone number.
    assert!(find_phones("ring 047-772 now").is_empty());
    assert_eq!(find_phones("ring 047-7720 now").len(), 1);
    // International form: 15 digits is E.164's maximum, 16 is not a phone number.
    assert_eq!(find_phones("ring +49 1234 5678 90123 now").len(), 1);
    assert!(find_phones("ring +49 1234 5678 901234 now").is_empty());
}

#[test]
fn all_kinds_together_and_counted() {
    let text = "Tel:+44-1256-305-220- E-mail:marketing.eu@infortrend.com from 123.123.123.123 \
                or 2606:4700:4700::1111";
    let stage = PiiRedactor::new(PiiConfig::default()).unwrap();
    let mut doc = Document::new("d", text);
    let mut cx = StageContext::new();
    assert_eq!(stage.process(&mut doc, &mut cx), Verdict::Keep);
    assert_eq!(
        doc.text,
        "Tel:+1-202-555-0100- E-mail:email@example.com from 22.214.171.124 or 2001:db8::1"
    );
    for kind in ["pii.email", "pii.ipv4", "pii.ipv6", "pii.phone"] {
        assert_eq!(cx.counters().get(kind), Some(&1), "{kind}");
    }
    // Nothing to redact: the text is untouched and nothing counted.
    let mut clean = Document::new("c", "Putin never hides this.");
    let mut cx = StageContext::new();
    stage.process(&mut clean, &mut cx);
    assert_eq!(clean.text, "Putin never hides this.");
    assert!(cx.counters().is_empty());
}

#[test]
fn empty_placeholder_list_is_a_config_error() {
    let cfg = PiiConfig {
        phone_replacements: vec![],
        ..Default::default()
    };
    assert!(PiiRedactor::new(cfg).is_err());
}

#[test]
fn redacted_documents_say_what_was_replaced() {
    let stage = PiiRedactor::new(PiiConfig::default()).unwrap();
    let mut doc = Document::new("press", PRESS_CONTACT);
    let mut cx = StageContext::new();
    assert_eq!(stage.process(&mut doc, &mut cx), Verdict::Keep);
    assert_eq!(doc.metadata["pii_redacted"]["email"], 1);
    assert_eq!(doc.metadata["pii_redacted"]["phone"], 1);
    assert!(doc.metadata["pii_redacted"].get("ipv4").is_none());
    assert_eq!(cx.counters()["pii.email"], 1);
    // Nothing to redact: no metadata added.
    let mut clean = Document::new("clean", "Nothing personal in this sentence at all.");
    stage.process(&mut clean, &mut StageContext::new());
    assert!(!clean.metadata.contains_key("pii_redacted"));
}
