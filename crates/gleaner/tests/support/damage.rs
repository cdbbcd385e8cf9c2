//! Deterministic damage for the fault-injection suite (`tests/fault_injection.rs`).
//!
//! A [`Clean`] file is cut into records by this module's own reading of the format (WARC
//! `Content-Length`, ARC header lengths, JSONL lines), independent of the library's framers, so
//! a framer bug cannot hide in the oracle. Each generator returns a [`Damaged`] file: the bytes
//! to write, which records the damage touched, which records exist at all (truncation drops the
//! tail), how many separate damage sites there are (each must show up as at least one reject),
//! and whether the damage is detectable by any reader ([`Damaged::certain`]).
//!
//! Containers are built here too, with known member/frame boundaries: per-record gzip members
//! and zstd frames (with content checksums) for crawl files, multi-member gzip and multi-frame
//! zstd for JSONL, cut either at record boundaries or at arbitrary byte offsets so records
//! straddle members. Everything is driven by a seeded [`Rng`]: the same seed gives the same files.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::Write;
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
    fn plain(case: String, clean: &Clean, bytes: Vec<u8>) -> Self {
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

/// One to three bits flipped at random offsets of a plain file. Not `certain`: see
/// [`Damaged::certain`].
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
    d.sites = 0;
    d.certain = false;
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

/// A compressed container whose member (gzip) or frame (zstd) boundaries are known.
pub struct Members {
    /// `gzip` or `zstd`.
    pub kind: &'static str,
    /// The compressed file.
    pub bytes: Vec<u8>,
    /// Each member's compressed byte range.
    pub members: Vec<Range<usize>>,
    /// Each member's decompressed byte range in the clean stream.
    pub chunks: Vec<Range<usize>>,
    /// The decompressed stream.
    pub clean: Vec<u8>,
    /// Compresses one chunk into one member.
    pub compress: fn(&[u8]) -> Vec<u8>,
}

/// Decompressed chunk boundaries: at every record start.
pub fn record_cuts(clean: &Clean) -> Vec<usize> {
    clean.starts[1..].to_vec()
}

/// Decompressed chunk boundaries: every `records` records.
pub fn every_n_records(clean: &Clean, records: usize) -> Vec<usize> {
    clean
        .starts
        .iter()
        .copied()
        .skip(records)
        .step_by(records)
        .collect()
}

/// Decompressed chunk boundaries at arbitrary offsets about `size` bytes apart, so records
/// straddle members.
pub fn unaligned_cuts(clean: &Clean, size: usize, rng: &mut Rng) -> Vec<usize> {
    let mut v = Vec::new();
    let mut p = 0;
    loop {
        p += size / 2 + rng.below(size);
        if p >= clean.bytes.len() {
            return v;
        }
        v.push(p);
    }
}

fn chunks_of(plain: &[u8], cuts: &[usize]) -> Vec<Range<usize>> {
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().copied().filter(|&c| c > 0 && c < plain.len()));
    bounds.push(plain.len());
    bounds.windows(2).map(|w| w[0]..w[1]).collect()
}

/// `plain` as one gzip member per chunk.
pub fn gzip_members(plain: &[u8], cuts: &[usize]) -> Members {
    pack("gzip", plain, cuts, gzip_member)
}

fn gzip_member(c: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(c).unwrap();
    e.finish().unwrap()
}

/// `plain` as one zstd frame (with content checksum) per chunk.
pub fn zstd_frames(plain: &[u8], cuts: &[usize]) -> Members {
    pack("zstd", plain, cuts, zstd_frame)
}

fn zstd_frame(c: &[u8]) -> Vec<u8> {
    let mut e = zstd::stream::Encoder::new(Vec::new(), 1).unwrap();
    e.include_checksum(true).unwrap();
    e.write_all(c).unwrap();
    e.finish().unwrap()
}

fn pack(kind: &'static str, plain: &[u8], cuts: &[usize], f: fn(&[u8]) -> Vec<u8>) -> Members {
    let chunks = chunks_of(plain, cuts);
    let mut bytes = Vec::new();
    let mut members = Vec::new();
    for c in &chunks {
        let s = bytes.len();
        bytes.extend(f(&plain[c.clone()]));
        members.push(s..bytes.len());
    }
    Members {
        kind,
        bytes,
        members,
        chunks,
        clean: plain.to_vec(),
        compress: f,
    }
}

/// Where a member's payload starts: past the gzip header (10 bytes as flate2 writes it) or the
/// zstd frame header (at most 18 bytes), so a flip lands in compressed data or the checksum,
/// never in a header field that no check covers (gzip MTIME, OS).
fn payload_start(m: &Members, k: usize) -> usize {
    m.members[k].start + if m.kind == "gzip" { 10 } else { 18 }
}

/// Bits flipped inside member `k`'s compressed payload or checksum: every record with bytes in
/// the member is damaged, certainly (CRC32 / XXH64).
pub fn flip_in_member(clean: &Clean, m: &Members, k: usize, rng: &mut Rng) -> Damaged {
    let mut bytes = m.bytes.clone();
    let span = payload_start(m, k)..m.members[k].end;
    let mut at = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let o = rng.within(span.clone());
        bytes[o] ^= 1 << rng.below(8);
        at.push(o);
    }
    let mut d = Damaged::plain(
        format!(
            "{} member {k} of {}: bits flipped at {at:?}",
            m.kind,
            m.members.len()
        ),
        clean,
        bytes,
    );
    d.damaged = clean.overlapping(m.chunks[k].clone());
    d.edits = None;
    d
}

/// One to three bits flipped anywhere in a compressed file, headers included. Not `certain`:
/// a flip in a gzip header's MTIME or OS byte changes nothing any check covers (the records
/// then come out unchanged, which is right).
pub fn flip_anywhere(clean: &Clean, m: &Members, rng: &mut Rng) -> Damaged {
    let mut bytes = m.bytes.clone();
    let mut d = Damaged::plain(String::new(), clean, Vec::new());
    let mut at = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let o = rng.below(bytes.len());
        bytes[o] ^= 1 << rng.below(8);
        let k = m.members.partition_point(|r| r.end <= o);
        d.damaged.extend(clean.overlapping(m.chunks[k].clone()));
        at.push(o);
    }
    d.case = format!(
        "{} file of {} members: bits flipped at {at:?}",
        m.kind,
        m.members.len()
    );
    d.bytes = bytes;
    d.sites = 0;
    d.certain = false;
    d.edits = None;
    d
}

/// Member `k` cut short (its tail, `keep` bytes in, removed) with the members after it intact.
pub fn truncate_member(clean: &Clean, m: &Members, k: usize, keep: usize) -> Damaged {
    let r = m.members[k].clone();
    let cut = r.start + keep.min(r.len() - 1);
    let mut bytes = m.bytes[..cut].to_vec();
    bytes.extend_from_slice(&m.bytes[r.end..]);
    let mut d = Damaged::plain(
        format!(
            "{} member {k} of {} cut to {} of {} bytes",
            m.kind,
            m.members.len(),
            cut - r.start,
            r.len()
        ),
        clean,
        bytes,
    );
    d.damaged = clean.overlapping(m.chunks[k].clone());
    d.edits = None;
    d
}

/// `junk` between members `k - 1` and `k`: a site, but no record is damaged.
pub fn garbage_between_members(clean: &Clean, m: &Members, k: usize, junk: &[u8]) -> Damaged {
    let at = m.members[k].start;
    let mut bytes = m.bytes[..at].to_vec();
    bytes.extend_from_slice(junk);
    bytes.extend_from_slice(&m.bytes[at..]);
    let mut d = Damaged::plain(
        format!("{} bytes of junk before {} member {k}", junk.len(), m.kind),
        clean,
        bytes,
    );
    d.edits = None;
    let r = clean.record_at(m.chunks[k].start);
    if clean.starts[r] != m.chunks[k].start {
        d.unsure.insert(r);
    }
    d
}

/// The compressed file cut at `cut`: the member holding the cut is damaged (its checksum is
/// gone), the members after it absent; a record whose tail lay past the cut is damaged too.
pub fn truncate_container(clean: &Clean, m: &Members, cut: usize) -> Damaged {
    let mut d = Damaged::plain(
        format!(
            "{} file of {} members cut at {cut}",
            m.kind,
            m.members.len()
        ),
        clean,
        m.bytes[..cut].to_vec(),
    );
    d.edits = None;
    d.sites = 0;
    let complete = m.members.partition_point(|r| r.end <= cut);
    let lost_from = m
        .chunks
        .get(complete)
        .map_or(clean.bytes.len(), |c| c.start);
    let partial = m.members.get(complete).filter(|r| r.start < cut).is_some();
    let seen_to = if partial {
        m.chunks[complete].end
    } else {
        lost_from
    };
    d.present = clean.starts.partition_point(|&s| s < seen_to);
    if partial {
        d.damaged = clean.overlapping(m.chunks[complete].clone());
        d.sites = 1;
    }
    if lost_from > 0
        && lost_from < clean.bytes.len()
        && clean.range(clean.record_at(lost_from - 1)).end > lost_from
    {
        d.damaged.insert(clean.record_at(lost_from - 1));
        d.sites = 1;
    }
    d
}

/// A plain damage carried into `m`'s container: the decompressed stream is the damaged plain
/// file (so offsets stay known), split at `m`'s (shifted) chunk boundaries. Chunks the damage
/// left as they were reuse `m`'s compressed members; only the changed ones are compressed
/// again, which keeps a debug build quick on megabyte files.
pub fn wrap(plain: Damaged, m: &Members) -> Damaged {
    let shifted = |at: usize| plain.shifted(at).map(|x| x as usize);
    let mut bytes = Vec::new();
    for (k, c) in m.chunks.iter().enumerate() {
        let start = if k == 0 { 0 } else { shifted(c.start).unwrap() };
        let end = if k + 1 == m.chunks.len() {
            plain.bytes.len()
        } else {
            shifted(c.end).unwrap()
        };
        let now = &plain.bytes[start.min(end)..end];
        if now == &m.clean[c.clone()] {
            bytes.extend_from_slice(&m.bytes[m.members[k].clone()]);
        } else {
            bytes.extend((m.compress)(now));
        }
    }
    Damaged {
        case: format!("{} (in {} members)", plain.case, m.kind),
        bytes,
        ..plain
    }
}
