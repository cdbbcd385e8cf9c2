//! Compressed containers with known member and frame boundaries, and damage to them, for the
//! fault-injection suite (`tests/fault_injection.rs`): per-record gzip members and zstd frames
//! (with content checksums) for crawl files, multi-member gzip and multi-frame zstd for JSONL,
//! cut either at record boundaries or at arbitrary byte offsets so records straddle members.

use std::io::Write;
use std::ops::Range;

use crate::damage::{Clean, Damaged, Rng};

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
