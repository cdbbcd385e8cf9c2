//! Product pages: text clean-up specific to shops.

/// Whether `s` starts with a UUID (8-4-4-4-12 hexadecimal digits).
fn uuid_at(s: &[u8]) -> bool {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let mut i = 0;
    for (g, &len) in GROUPS.iter().enumerate() {
        if g > 0 {
            if s.get(i) != Some(&b'-') {
                return false;
            }
            i += 1;
        }
        for _ in 0..len {
            if !s.get(i).is_some_and(u8::is_ascii_hexdigit) {
                return false;
            }
            i += 1;
        }
    }
    true
}

/// Length in bytes of a UUID.
const UUID_LEN: usize = 36;

/// Removes UUIDs from `text`. Marketplaces defeat scrapers by interleaving the letters of a
/// block ("Sponsored") with spans holding random UUIDs that a stylesheet hides; no reader ever
/// sees one, and a product's description never holds one (WCXB dev, tuning part: product pages
/// of one marketplace carried up to 2 kB of them, more than their whole gold text).
pub fn strip_uuids(text: &mut String) {
    let b = text.as_bytes();
    if !(0..b.len().saturating_sub(UUID_LEN - 1)).any(|i| uuid_at(&b[i..])) {
        return;
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut kept = 0;
    while i + UUID_LEN <= b.len() {
        if uuid_at(&b[i..]) {
            out.push_str(&text[kept..i]);
            i += UUID_LEN;
            kept = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[kept..]);
    *text = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_between_letters_go() {
        let mut t = String::from(
            "S0d48abc0-6602-4407-a05b-e5f87e8f229cp4b75a245-1d18-4cd6-a8bb-c003e1120f4co\nPrice",
        );
        strip_uuids(&mut t);
        assert_eq!(t, "Spo\nPrice");
    }

    #[test]
    fn text_without_uuids_is_unchanged() {
        let mut t = String::from("Model 1234-5678, café ☕ deadbeef-dead");
        strip_uuids(&mut t);
        assert_eq!(t, "Model 1234-5678, café ☕ deadbeef-dead");
    }
}
