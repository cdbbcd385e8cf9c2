//! Deterministic damage for the fault-injection suite (`tests/fault_injection.rs`).
//!
//! A [`Clean`] file is cut into records by this module's own reading of the format (WARC
//! `Content-Length`, ARC header lengths, JSONL lines), independent of the library's framers, so
//! a framer bug cannot hide in the oracle. Each generator returns a [`Damaged`] file: the bytes
//! to write, which records the damage touched, which records exist at all (truncation drops the
//! tail), how many separate damage sites there are (each must show up as at least one reject),
//! and whether the damage is detectable by any reader ([`Damaged::certain`]).
//!
//! This module damages the plain (decompressed) bytes; `damage_members.rs` builds compressed
//! containers and damages their members. Everything is driven by a seeded [`Rng`]: the same
//! seed gives the same files.

use std::collections::BTreeSet;
use std::ops::Range;

/// splitmix64: small, seeded, good enough to pick offsets; no wall-clock randomness anywhere.
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `r` (non-empty).
    pub fn within(&mut self, r: Range<usize>) -> usize {
        r.start + self.below(r.len())
    }

    /// `n` distinct values of `0..len`, sorted (all of them when `len <= n`).
    pub fn sample(&mut self, len: usize, n: usize) -> Vec<usize> {
        if len <= n {
            return (0..len).collect();
        }
        let mut picked = BTreeSet::new();
        while picked.len() < n {
            picked.insert(self.below(len));
        }
        picked.into_iter().collect()
    }

    /// Bytes that are neither line ends nor the start of a record header: junk a crawler or a
    /// disk could leave, which no reader may mistake for a record.
    pub fn garbage(&mut self, n: usize) -> Vec<u8> {
        let mut v = b"\x00\x9f\x92\x96 junk ".to_vec();
        while v.len() < n {
            let b = (self.next_u64() & 0xff) as u8;
            if !matches!(b, b'\r' | b'\n' | b'W' | b'{' | b'h' | b'f') {
                v.push(b);
            }
        }
        v
    }
}

/// How a clean file is cut into records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// WARC, WET: version line, headers, `Content-Length` block, CRLF CRLF.
    Warc,
    /// ARC v1: one header line ending in the length, the block, a newline.
    Arc,
    /// JSON lines.
    Jsonl,
}

/// A clean (decompressed) file and its records, which cover it end to end.
pub struct Clean {
    /// Which format.
    pub framing: Framing,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// Where each record starts; record `i` runs to the next start (or the end).
    pub starts: Vec<usize>,
    /// Where each record's declared length is written (WARC, ARC), as a byte range.
    pub length_fields: Vec<Option<Range<usize>>>,
}

impl Clean {
    /// Cuts `bytes` into records. Panics on a file that is not clean: fixtures must be.
    pub fn new(framing: Framing, bytes: Vec<u8>) -> Clean {
        let (starts, length_fields) = match framing {
            Framing::Warc => warc_records(&bytes),
            Framing::Arc => arc_records(&bytes),
            Framing::Jsonl => {
                let mut s = vec![0];
                s.extend(memchr_iter(b'\n', &bytes).map(|i| i + 1));
                if s.last() == Some(&bytes.len()) {
                    s.pop();
                }
                let n = s.len();
                (s, vec![None; n])
            }
        };
        Clean {
            framing,
            bytes,
            starts,
            length_fields,
        }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Byte range of record `i`.
    pub fn range(&self, i: usize) -> Range<usize> {
        self.starts[i]..self.starts.get(i + 1).copied().unwrap_or(self.bytes.len())
    }

    /// The record holding byte `at`.
    pub fn record_at(&self, at: usize) -> usize {
        self.starts.partition_point(|&s| s <= at) - 1
    }

    /// Records with at least one byte in `r`.
    pub fn overlapping(&self, r: Range<usize>) -> BTreeSet<usize> {
        if r.is_empty() {
            return BTreeSet::new();
        }
        (self.record_at(r.start)..=self.record_at(r.end - 1)).collect()
    }

    /// True when byte `at` lies in the block of a WARC record whose header carries a sha1
    /// `WARC-Block-Digest`.
    pub fn in_digested_block(&self, at: usize) -> bool {
        if self.framing != Framing::Warc {
            return false;
        }
        let r = self.range(self.record_at(at));
        let Some(h) = find(&self.bytes[r.clone()], b"\r\n\r\n") else {
            return false;
        };
        let head = self.bytes[r.start..r.start + h].to_ascii_lowercase();
        find(&head, b"\nwarc-block-digest: sha1:").is_some()
            && (r.start + h + 4..r.end - 4).contains(&at)
    }

    /// True when `bytes[r]` holds only line ends: losing or gaining them changes no record's
    /// content, so no reader can be required to notice.
    fn only_line_ends(&self, r: Range<usize>) -> bool {
        self.bytes[r].iter().all(|&b| b == b'\r' || b == b'\n')
    }
}

fn memchr_iter(needle: u8, h: &[u8]) -> impl Iterator<Item = usize> + '_ {
    h.iter()
        .enumerate()
        .filter(move |(_, b)| **b == needle)
        .map(|(i, _)| i)
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn warc_records(b: &[u8]) -> (Vec<usize>, Vec<Option<Range<usize>>>) {
    let (mut starts, mut fields) = (Vec::new(), Vec::new());
    let mut p = 0;
    while p < b.len() {
        assert!(b[p..].starts_with(b"WARC/"), "not a clean WARC at byte {p}");
        let head_end = p + find(&b[p..], b"\r\n\r\n").expect("WARC header end") + 4;
        let mut field = None;
        let mut at = p;
        for line in b[p..head_end].split(|&c| c == b'\n') {
            let name = b"content-length:";
            if line.len() > name.len() && line[..name.len()].eq_ignore_ascii_case(name) {
                let v = &line[name.len()..];
                let lead = v.iter().take_while(|c| **c == b' ').count();
                let digits = v[lead..].iter().take_while(|c| c.is_ascii_digit()).count();
                let s = at + name.len() + lead;
                field = Some(s..s + digits);
            }
            at += line.len() + 1;
        }
        let f = field.expect("Content-Length");
        let len: usize = std::str::from_utf8(&b[f.clone()]).unwrap().parse().unwrap();
        let end = head_end + len;
        assert_eq!(&b[end..end + 4], b"\r\n\r\n", "WARC terminator at {end}");
        starts.push(p);
        fields.push(Some(f));
        p = end + 4;
    }
    (starts, fields)
}

fn arc_records(b: &[u8]) -> (Vec<usize>, Vec<Option<Range<usize>>>) {
    let (mut starts, mut fields) = (Vec::new(), Vec::new());
    let mut p = 0;
    while p < b.len() {
        let eol = p + b[p..]
            .iter()
            .position(|&c| c == b'\n')
            .expect("ARC header line");
        let sp = p + b[p..eol]
            .iter()
            .rposition(|&c| c == b' ')
            .expect("ARC fields");
        let len: usize = std::str::from_utf8(&b[sp + 1..eol])
            .unwrap()
            .parse()
            .unwrap();
        starts.push(p);
        fields.push(Some(sp + 1..eol));
        p = eol + 1 + len;
        while p < b.len() && b[p] == b'\n' {
            p += 1;
        }
    }
    (starts, fields)
}

/// A damaged file and what a reader must make of it.
pub struct Damaged {
    /// What was done, for failure messages.
    pub case: String,
    /// The file as written to disk (container applied).
    pub bytes: Vec<u8>,
    /// Records the damage touched.
    pub damaged: BTreeSet<usize>,
    /// Records the damage did not touch but that a careful reader may still give up: it may
    /// reject them or pass them unchanged, never change them. An ARC record followed by junk
    /// (ARC has no terminator, so junk after a record looks like a too-short length); a JSON
    /// line split across two members with junk between them (a reader cannot tell junk that
    /// was inserted from junk that replaced a member, so it may not join the halves).
    pub unsure: BTreeSet<usize>,
    /// Records `0..present` exist in the file at all; truncation drops the rest.
    pub present: usize,
    /// Separate damage sites; each must give at least one reject when `certain`.
    pub sites: usize,
    /// True when any reader can detect the damage (a checksum, a length that does not land on
    /// the next record, a cut inside a record): damaged records must then be rejects, never
    /// documents. False for bit flips in plain formats, where a flipped byte can leave a
    /// well-formed record that no reader can tell from the original.
    pub certain: bool,
    /// Bytes inserted (+) or removed (-) in the decompressed stream, at clean offsets; `None`
    /// when the stream's later offsets are unknowable (a lost member's decoded length).
    pub edits: Option<Vec<(usize, isize)>>,
}

impl Damaged {
    /// An undamaged copy of `clean` holding `bytes`, to be marked up by a generator.
    pub fn plain(case: String, clean: &Clean, bytes: Vec<u8>) -> Self {
        Damaged {
            case,
            bytes,
            damaged: BTreeSet::new(),
            unsure: BTreeSet::new(),
            present: clean.len(),
            sites: 1,
            certain: true,
            edits: Some(Vec::new()),
        }
    }

    /// Where the clean offset `at` of an intact record lies in the damaged stream, when known.
    pub fn shifted(&self, at: usize) -> Option<u64> {
        let edits = self.edits.as_ref()?;
        let d: isize = edits.iter().filter(|(p, _)| *p <= at).map(|(_, d)| d).sum();
        Some((at as isize + d) as u64)
    }

    /// Record `i` is neither damaged nor cut off.
    pub fn intact(&self, i: usize) -> bool {
        i < self.present && !self.damaged.contains(&i)
    }
}

/// A hole: 8 to 300 bytes deleted inside one record's block (its content, not its header or
/// terminator). A WARC or ARC block then holds fewer bytes than its declared length, so reading
/// that length runs into the next record (or the end): `certain`. A JSON line with a hole can
/// still be well-formed JSON, so not for JSONL.
pub fn hole(clean: &Clean, rng: &mut Rng) -> Option<Damaged> {
    let i = rng.below(clean.len());
    let r = clean.range(i);
    let block = match clean.framing {
        Framing::Warc => r.start + find(&clean.bytes[r.clone()], b"\r\n\r\n")? + 4..r.end - 4,
        Framing::Arc => clean.length_fields[i].as_ref()?.end + 1..r.end - 1,
        Framing::Jsonl => r.start..r.end - 1,
    };
    if block.len() < 16 {
        return None;
    }
    let n = 8 + rng.below(block.len().min(300) - 8);
    let at = rng.within(block.start..block.end - n);
    let mut bytes = clean.bytes[..at].to_vec();
    bytes.extend_from_slice(&clean.bytes[at + n..]);
    let mut d = Damaged::plain(
        format!("record {i}: {n} bytes deleted at {at}"),
        clean,
        bytes,
    );
    d.damaged.insert(i);
    d.edits = Some(vec![(at, -(n as isize))]);
    d.certain = clean.framing != Framing::Jsonl;
    d.sites = usize::from(d.certain);
    Some(d)
}

/// One to three bits flipped at random offsets of a plain file. Not `certain` (see
/// [`Damaged::certain`]), unless every flip lies in the block of a WARC record that carries a
/// sha1 `WARC-Block-Digest`, which the reader checks in plain files: then each such record is
/// a certain reject.
pub fn bit_flips(clean: &Clean, rng: &mut Rng) -> Damaged {
    let mut bytes = clean.bytes.clone();
    let n = 1 + rng.below(3);
    let mut d = Damaged::plain(String::new(), clean, Vec::new());
    let mut at = Vec::new();
    for _ in 0..n {
        let o = rng.below(bytes.len());
        bytes[o] ^= 1 << rng.below(8);
        d.damaged.insert(clean.record_at(o));
        at.push(o);
    }
    d.case = format!("bit flips at {at:?}");
    d.bytes = bytes;
    d.certain = at.iter().all(|&o| clean.in_digested_block(o));
    d.sites = if d.certain { d.damaged.len() } else { 0 };
    d
}

/// The file cut at `cut`. The record holding the cut is damaged (a certain reject unless only
/// its trailing line ends were cut); records after it are absent.
pub fn truncate(clean: &Clean, cut: usize) -> Damaged {
    let mut d = Damaged::plain(
        format!("truncated at {cut}"),
        clean,
        clean.bytes[..cut].to_vec(),
    );
    d.present = clean.starts.partition_point(|&s| s < cut);
    d.sites = 0;
    if d.present > 0 && clean.range(d.present - 1).end > cut {
        let last = d.present - 1;
        if clean.only_line_ends(cut..clean.range(last).end) {
            d.certain = false;
        } else {
            d.sites = 1;
        }
        d.damaged.insert(last);
        // Part of an ARC header line after a record is junk after that record (see
        // `Damaged::unsure`).
        let start = clean.starts[last];
        if clean.framing == Framing::Arc && last > 0 && !clean.bytes[start..cut].contains(&b'\n') {
            d.unsure.insert(last - 1);
        }
    }
    d
}

/// The lies told about a record's length.
pub const LIES: &[&str] = &[
    "+6",
    "+3000",
    "-10",
    "300000000",
    "1000000000000000000",
    "99999999999999999999999",
    "abc",
    "",
];

/// Record `i`'s declared length replaced according to `lie` (see [`LIES`]): `+n`/`-n` relative
/// to the true length, anything else verbatim.
pub fn lie_about_length(clean: &Clean, i: usize, lie: &str) -> Option<Damaged> {
    let field = clean.length_fields[i].clone()?;
    let truth: usize = std::str::from_utf8(&clean.bytes[field.clone()])
        .ok()?
        .parse()
        .ok()?;
    let new = if let Some(n) = lie.strip_prefix('+') {
        (truth + n.parse::<usize>().ok()?).to_string()
    } else if let Some(n) = lie.strip_prefix('-') {
        truth.checked_sub(n.parse::<usize>().ok()?)?.to_string()
    } else {
        lie.to_string()
    };
    let mut bytes = clean.bytes[..field.start].to_vec();
    bytes.extend_from_slice(new.as_bytes());
    bytes.extend_from_slice(&clean.bytes[field.end..]);
    let mut d = Damaged::plain(
        format!("record {i}: length {truth} written as {new:?}"),
        clean,
        bytes,
    );
    d.damaged.insert(i);
    d.edits = Some(vec![(
        field.start,
        new.len() as isize - field.len() as isize,
    )]);
    // An ARC header line whose length is no number a record could have is junk after the
    // record before it (see `Damaged::unsure`).
    let sane = new.parse::<u64>().is_ok_and(|n| n < 1 << 40);
    if clean.framing == Framing::Arc && !sane && i > 0 {
        d.unsure.insert(i - 1);
    }
    // A length that lands inside the record's own trailing line ends changes no byte a
    // reader could check.
    if let Ok(told) = new.parse::<usize>() {
        let r = clean.range(i);
        let block_start = match clean.framing {
            Framing::Warc => r.start + find(&clean.bytes[r.clone()], b"\r\n\r\n").unwrap() + 4,
            _ => field.end + 1,
        };
        let (true_end, told_end) = (block_start + truth, block_start.saturating_add(told));
        if told_end <= r.end && clean.only_line_ends(true_end.min(told_end)..r.end) {
            d.certain = false;
        }
    }
    Some(d)
}

/// `junk` inserted before record `i` (or at the end when `i == len`), followed by a line end
/// unless `glued`. The junk is one site. A WARC record whose version line has junk glued before
/// it is still intact (the line is found inside the junk's line); a JSON line with junk glued
/// before it is damaged.
pub fn insert_garbage(clean: &Clean, i: usize, junk: &[u8], glued: bool) -> Damaged {
    let at = clean.starts.get(i).copied().unwrap_or(clean.bytes.len());
    let mut ins = junk.to_vec();
    if !glued {
        ins.extend_from_slice(if clean.framing == Framing::Warc {
            b"\r\n"
        } else {
            b"\n"
        });
    }
    let mut bytes = clean.bytes[..at].to_vec();
    bytes.extend_from_slice(&ins);
    bytes.extend_from_slice(&clean.bytes[at..]);
    let mut d = Damaged::plain(
        format!(
            "{} bytes of junk{} before record {i}",
            ins.len(),
            if glued { " glued" } else { "" }
        ),
        clean,
        bytes,
    );
    d.edits = Some(vec![(at, ins.len() as isize)]);
    if glued && clean.framing == Framing::Jsonl && i < clean.len() {
        d.damaged.insert(i);
    }
    if clean.framing == Framing::Arc && i > 0 {
        d.unsure.insert(i - 1);
    }
    d
}

/// A UTF-8 byte order mark before the first record. Nothing is damaged and nothing may be
/// rejected: the issue asks for the BOM to be skipped.
pub fn bom(clean: &Clean) -> Damaged {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(&clean.bytes);
    let mut d = Damaged::plain("UTF-8 BOM at the start".into(), clean, bytes);
    d.sites = 0;
    d.edits = Some(vec![(0, 3)]);
    d
}
