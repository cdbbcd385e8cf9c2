//! Compressed input read member by member (gzip) or frame by frame (zstd), each one verified
//! before any of its bytes are released.
//!
//! Every compressed input goes through [`MemberReader`]: JSONL files (via
//! [`super::compress::open_decompressed`]) and crawl files alike, so the decision of what a
//! damaged member costs exists once.
//!
//! **What a damaged member costs.** A gzip member whose CRC-32 or length does not match, or that
//! is truncated or does not inflate, and a zstd frame that fails to decode or fails its content
//! checksum, releases none of its bytes. The reader returns one `InvalidData` error carrying a
//! [`DamagedMember`] (kind, byte range in the compressed file, how much it held as far as
//! decoded); [`is_recoverable`] is true for it and reading may go on: the next read returns the
//! next intact member. The next member is searched from the damaged member's start + 1 (never
//! from where the decoder stopped, which may be inside the next member: a truncated member's
//! decoder runs on into the following one). A header match inside the damaged bytes that does
//! not decode either is part of the same damage, not a second reject. Zstd skippable frames
//! are read (and yield nothing) like any other frame. Bytes between members that start no
//! member are one damage of kind `not_compressed`.
//!
//! zstd frames written without a content checksum (`zstd --no-check`, some libraries' default)
//! cannot be verified: a decode error still counts as damage, but a bit flip that decodes to
//! different bytes cannot be seen. gzip always carries a CRC-32.
//!
//! **Holding until verified.** The checksum is at the end of a member, so a member's decoded
//! bytes are held until it verifies: in memory up to [`HOLD_LIMIT`] (64 MiB; gleaner's own
//! output uses 512 KiB zstd frames, per-record crawl members are a record each). A member that
//! decodes to more (a single-member `.jsonl.gz` from `gzip`, a single-frame `.zst` from the zstd
//! CLI) is spilled to an unlinked temporary file in `std::env::temp_dir()` while it decodes, and
//! read back from there once it verifies. Spilling was chosen over a checksum pre-pass (decode
//! the member twice) because gzip input is decoder-bound (bench/throughput.py's codec floor):
//! a second inflate costs as much as the first, while writing and reading back the decoded
//! bytes through the page cache costs about two copies. Measured end to end on 122 MB of news
//! JSONL as one gzip member / one zstd frame (`bench/throughput.py --exe OLD|NEW`, side by side):
//! gz → zst at 2 threads 0.48 → 0.77 s wall, 0.89 → 1.10 CPU-s; zst → zst 0.50 → 0.69 s wall;
//! the wall time grows more than the CPU time: the overlap is lost (below). `cargo run --release -p
//! gleaner --example member_cost -- FILE` times the four ways (unverified streaming, held,
//! spilled, pre-pass) on one file. The in-memory case costs one copy of the decoded bytes.
//! Either way nothing of a member can be read before its end was decoded, so a single-member
//! file is decoded before its first record is handed on.

use std::fs::File;
use std::io::{self, BufRead, Read, Seek, SeekFrom, Write};

/// Decoded bytes of one member held in memory before it spills to a temporary file.
pub const HOLD_LIMIT: usize = 64 << 20;

/// Compressed bytes read from the file at a time.
const INPUT_CHUNK: usize = 128 << 10;

/// Decoded bytes produced per decoder call.
const OUTPUT_CHUNK: usize = 128 << 10;

/// The container format of a member-wise compressed stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// gzip (RFC 1952): members, each with a CRC-32 and length trailer.
    Gzip,
    /// Zstandard: frames, each with an optional content checksum; skippable frames allowed.
    Zstd,
}

impl Codec {
    /// The codec whose magic `head` starts with.
    pub fn sniff(head: &[u8]) -> Option<Codec> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Codec::Gzip)
        } else if head.starts_with(&ZSTD_MAGIC) || is_skippable_magic(head) {
            Some(Codec::Zstd)
        } else {
            None
        }
    }

    /// The first offset in `buf` where a member of this codec may start: the whole magic must
    /// be in `buf`. The gzip check includes the deflate method and the reserved flag bits, so
    /// fewer false matches inside compressed data cost a failed decode.
    fn find_candidate(self, buf: &[u8]) -> Option<usize> {
        match self {
            Codec::Gzip => memchr::memchr_iter(0x1f, buf).find(|&i| {
                buf.len() >= i + 4
                    && buf[i + 1] == 0x8b
                    && buf[i + 2] == 0x08
                    && buf[i + 3] & 0xe0 == 0
            }),
            Codec::Zstd => (0..buf.len().saturating_sub(3)).find(|&i| {
                let w = &buf[i..i + 4];
                w == ZSTD_MAGIC || is_skippable_magic(w)
            }),
        }
    }

    fn member_name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip member",
            Codec::Zstd => "zstd frame",
        }
    }
}

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Skippable frames: magic 0x184D2A50..=0x184D2A5F, little-endian.
fn is_skippable_magic(w: &[u8]) -> bool {
    w.len() >= 4 && w[0] & 0xf0 == 0x50 && w[1..4] == [0x2a, 0x4d, 0x18]
}

/// One damaged member or frame (or a run of bytes that starts none), as reported by
/// [`MemberReader`]: the payload of its recoverable error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedMember {
    /// `corrupt_gzip_member`, `corrupt_zstd_frame` or `not_compressed`.
    pub kind: &'static str,
    /// First byte of the damage in the compressed file.
    pub start: u64,
    /// Where reading resumed (the next intact member, or the end of the file).
    pub end: u64,
    /// Decoded bytes the member yielded before it failed (none of them released).
    pub decoded_bytes: u64,
    /// Lines begun in those bytes (newlines, plus one for an unfinished last line): the
    /// records it held as far as decoded, for line-based formats.
    pub decoded_lines: u64,
    /// What the decoder said.
    pub cause: String,
}

impl DamagedMember {
    /// The records a line-based reader lost: the lines of the damaged member, counting the
    /// reader's own unfinished line (`pending_line`) when the member continued it.
    pub fn records_lost(&self, pending_line: bool) -> u64 {
        if self.decoded_lines == 0 && pending_line {
            1
        } else {
            self.decoded_lines
        }
    }
}

impl std::fmt::Display for DamagedMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.kind {
            "corrupt_gzip_member" => "damaged gzip member",
            "corrupt_zstd_frame" => "damaged zstd frame",
            _ => "bytes that start no compressed member",
        };
        write!(
            f,
            "{what} at compressed bytes {}..{} ({}); none of its {} decoded bytes ({} lines) were used; reading resumed at the next intact member",
            self.start, self.end, self.cause, self.decoded_bytes, self.decoded_lines
        )
    }
}

impl std::error::Error for DamagedMember {}

/// True when `e` reports a damaged member that [`MemberReader`] skipped (reading may go on).
pub fn is_recoverable(e: &io::Error) -> bool {
    damage_of(e).is_some()
}

/// The damaged member `e` reports, if it is one.
pub fn damage_of(e: &io::Error) -> Option<&DamagedMember> {
    e.get_ref()?.downcast_ref::<DamagedMember>()
}

/// Compressed input with its own buffer, so the reader can look ahead for a magic number and
/// step back to a damaged member's start + 1 without a second copy of the compressed bytes.
struct Input<R> {
    inner: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// File offset of `buf[start]`.
    pos: u64,
    eof: bool,
}

impl<R: Read + Seek> Input<R> {
    /// Makes at least `n` bytes available unless the input ends first; returns how many are.
    fn ensure(&mut self, n: usize) -> io::Result<usize> {
        while self.end - self.start < n && !self.eof {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end - self.start)
    }

    /// Moves to file offset `to`, within the buffer when it is still there.
    fn seek_to(&mut self, to: u64) -> io::Result<()> {
        let base = self.pos - self.start as u64;
        if to >= base && to <= base + self.end as u64 {
            self.start = (to - base) as usize;
        } else {
            self.inner.seek(SeekFrom::Start(to))?;
            self.start = 0;
            self.end = 0;
            self.eof = false;
        }
        self.pos = to;
        Ok(())
    }

    /// Skips to the next place `codec` may start a member; `false` when the input ends first.
    fn scan(&mut self, codec: Codec) -> io::Result<bool> {
        loop {
            let avail = self.ensure(4)?;
            if avail == 0 {
                return Ok(false);
            }
            if let Some(i) = codec.find_candidate(&self.buf[self.start..self.end]) {
                self.consume(i);
                return Ok(true);
            }
            // Keep the last three bytes: they may begin a magic number the next read completes.
            let keep = if self.eof { 0 } else { 3 };
            self.consume(avail.saturating_sub(keep).max(usize::from(self.eof)));
            if self.eof && self.end == self.start {
                return Ok(false);
            }
        }
    }
}

impl<R: Read + Seek> Read for Input<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read + Seek> BufRead for Input<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.start == self.end {
            self.ensure(1)?;
        }
        Ok(&self.buf[self.start..self.end])
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        self.pos += n as u64;
    }
}

/// Where a member's decoded bytes wait for its checksum: memory up to a limit, then an
/// unlinked temporary file.
struct Held {
    buf: Vec<u8>,
    filled: usize,
    released: usize,
    limit: usize,
    spill: Option<File>,
    spilled_bytes: u64,
    spilled_lines: u64,
}

impl Held {
    fn clear(&mut self) {
        self.filled = 0;
        self.released = 0;
        self.spill = None;
        self.spilled_bytes = 0;
        self.spilled_lines = 0;
    }

    /// Room for at least [`OUTPUT_CHUNK`] more bytes, spilling what is held once past the limit.
    fn make_room(&mut self) -> io::Result<()> {
        if self.filled >= self.limit {
            let file = match &mut self.spill {
                Some(f) => f,
                None => self.spill.insert(spill_file()?),
            };
            let held = &self.buf[..self.filled];
            file.write_all(held)?;
            self.spilled_bytes += held.len() as u64;
            self.spilled_lines += memchr::memchr_iter(b'\n', held).count() as u64;
            self.filled = 0;
        }
        if self.buf.len() - self.filled < OUTPUT_CHUNK {
            // Grown once and reused across members: no per-member zeroing.
            let want = (self.filled + OUTPUT_CHUNK).max(self.buf.len() * 2);
            self.buf.resize(want.min(self.limit + OUTPUT_CHUNK), 0);
        }
        Ok(())
    }

    /// The member verified: make everything held readable.
    fn verified(&mut self) -> io::Result<()> {
        if let Some(file) = &mut self.spill {
            file.write_all(&self.buf[..self.filled])?;
            file.seek(SeekFrom::Start(0))?;
            self.filled = 0;
        }
        self.released = 0;
        Ok(())
    }

    /// Decoded bytes and lines begun so far in the current member.
    fn decoded(&self) -> (u64, u64) {
        let tail = &self.buf[..self.filled];
        let bytes = self.spilled_bytes + tail.len() as u64;
        let mut lines = self.spilled_lines + memchr::memchr_iter(b'\n', tail).count() as u64;
        let last = tail.last().copied();
        if bytes > 0 && last != Some(b'\n') {
            lines += 1;
        }
        (bytes, lines)
    }
}

/// A temporary file that is gone from the directory as soon as it is open (on Unix), so it
/// cannot be left behind by a killed run.
fn spill_file() -> io::Result<File> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "gleaner-member-{}-{}.tmp",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    if cfg!(unix) {
        std::fs::remove_file(&path)?;
    }
    Ok(file)
}

/// Decompresses a gzip or zstd stream member by member, releasing only verified members; see
/// the module documentation.
pub struct MemberReader<R> {
    input: Input<R>,
    codec: Codec,
    zstd: Option<zstd::zstd_safe::DCtx<'static>>,
    held: Held,
    /// Damage found but not yet reported: reported once the next member verifies (or at the
    /// end), so header matches inside the damaged bytes merge into it.
    pending: Option<DamagedMember>,
    /// Where the decoder of the last damaged member stopped: a candidate before it lies inside
    /// that member's bytes.
    damage_reach: u64,
    done: bool,
}

impl<R: Read + Seek> MemberReader<R> {
    /// Reads the `codec` stream in `raw` (positioned at its start), holding up to
    /// [`HOLD_LIMIT`] decoded bytes in memory.
    pub fn new(raw: R, codec: Codec) -> Self {
        Self::with_limit(raw, codec, HOLD_LIMIT)
    }

    /// [`new`](Self::new) holding at most `limit` decoded bytes in memory before spilling.
    pub fn with_limit(raw: R, codec: Codec, limit: usize) -> Self {
        MemberReader {
            input: Input {
                inner: raw,
                buf: vec![0; INPUT_CHUNK].into_boxed_slice(),
                start: 0,
                end: 0,
                pos: 0,
                eof: false,
            },
            codec,
            zstd: None,
            held: Held {
                buf: Vec::new(),
                filled: 0,
                released: 0,
                limit: limit.max(1),
                spill: None,
                spilled_bytes: 0,
                spilled_lines: 0,
            },
            pending: None,
            damage_reach: 0,
            done: false,
        }
    }

    /// Decodes the member at the current position into `held`.
    fn decode_member(&mut self) -> io::Result<()> {
        self.held.clear();
        match self.codec {
            Codec::Gzip => {
                let mut dec = flate2::bufread::GzDecoder::new(&mut self.input);
                loop {
                    self.held.make_room()?;
                    let held = &mut self.held;
                    match dec.read(&mut held.buf[held.filled..]) {
                        Ok(0) => return Ok(()),
                        Ok(n) => held.filled += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Codec::Zstd => {
                use zstd::zstd_safe::{DCtx, InBuffer, OutBuffer, ResetDirective};
                let dctx = self.zstd.get_or_insert_with(DCtx::create);
                dctx.reset(ResetDirective::SessionOnly)
                    .map_err(zstd_error)?;
                let mut stalled = 0;
                loop {
                    self.held.make_room()?;
                    let input = self.input.fill_buf()?;
                    if input.is_empty() {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the frame is truncated",
                        ));
                    }
                    let mut inb = InBuffer::around(input);
                    let held = &mut self.held;
                    let mut outb = OutBuffer::around_pos(&mut held.buf[..], held.filled);
                    let hint = dctx
                        .decompress_stream(&mut outb, &mut inb)
                        .map_err(zstd_error)?;
                    let (consumed, filled) = (inb.pos(), outb.pos());
                    stalled = if consumed == 0 && filled == held.filled {
                        stalled + 1
                    } else {
                        0
                    };
                    held.filled = filled;
                    self.input.consume(consumed);
                    if hint == 0 {
                        return Ok(());
                    }
                    if stalled > 2 {
                        return Err(io::Error::other("the zstd decoder makes no progress"));
                    }
                }
            }
        }
    }

    /// Decodes members until one verifies or the input ends, noting damage on the way.
    /// Returns a damage to report now (an earlier one that the latest did not merge into).
    fn next_member(&mut self) -> io::Result<Option<DamagedMember>> {
        loop {
            let start = self.input.pos;
            let avail = self.input.ensure(4)?;
            if avail == 0 {
                self.done = true;
                return Ok(None);
            }
            let head = &self.input.buf[self.input.start..self.input.end];
            let failure = if Codec::sniff(head) == Some(self.codec) {
                match self.decode_member() {
                    Ok(()) => {
                        self.held.verified()?;
                        return Ok(None);
                    }
                    Err(e) if is_io_failure(&e) => return Err(e),
                    Err(e) => Some(e),
                }
            } else {
                None
            };
            let stopped_at = self.input.pos;
            let (decoded_bytes, decoded_lines) = self.held.decoded();
            self.held.clear();
            self.input.seek_to(start + 1)?;
            self.input.scan(self.codec)?;
            let end = self.input.pos;
            let merges = self
                .pending
                .as_ref()
                .is_some_and(|p| p.end == start && start < self.damage_reach);
            if merges {
                let p = self.pending.as_mut().expect("checked above");
                p.end = end;
                self.damage_reach = self.damage_reach.max(stopped_at);
                continue;
            }
            let damage = DamagedMember {
                kind: match (&failure, self.codec) {
                    (None, _) => "not_compressed",
                    (Some(_), Codec::Gzip) => "corrupt_gzip_member",
                    (Some(_), Codec::Zstd) => "corrupt_zstd_frame",
                },
                start,
                end,
                decoded_bytes,
                decoded_lines,
                cause: match failure {
                    Some(e) => e.to_string(),
                    None => format!("no {} starts here", self.codec.member_name()),
                },
            };
            self.damage_reach = stopped_at.max(start + 1);
            if let Some(earlier) = self.pending.replace(damage) {
                return Ok(Some(earlier));
            }
        }
    }
}

/// Errors of the file itself (not of its content) end reading instead of skipping a member.
fn is_io_failure(e: &io::Error) -> bool {
    !matches!(
        e.kind(),
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::UnexpectedEof
    ) && e.get_ref().is_none_or(|inner| !inner.is::<ZstdError>())
}

/// A zstd decoder error, by zstd's own name for it.
#[derive(Debug)]
struct ZstdError(&'static str);

impl std::fmt::Display for ZstdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for ZstdError {}

fn zstd_error(code: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        ZstdError(zstd::zstd_safe::get_error_name(code)),
    )
}

impl<R: Read + Seek> Read for MemberReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let held = &mut self.held;
            if let Some(file) = &mut held.spill {
                let n = file.read(out)?;
                if n > 0 {
                    return Ok(n);
                }
                held.spill = None;
            }
            if held.released < held.filled {
                let n = (held.filled - held.released).min(out.len());
                out[..n].copy_from_slice(&held.buf[held.released..held.released + n]);
                held.released += n;
                return Ok(n);
            }
            if self.done {
                return match self.pending.take() {
                    Some(d) => Err(io::Error::new(io::ErrorKind::InvalidData, d)),
                    None => Ok(0),
                };
            }
            let earlier = self.next_member()?;
            // Damage is reported before the member after it is released.
            if let Some(d) = earlier.or_else(|| {
                let verified = !self.done;
                if verified { self.pending.take() } else { None }
            }) {
                return Err(io::Error::new(io::ErrorKind::InvalidData, d));
            }
        }
    }
}

#[cfg(test)]
#[path = "members_tests.rs"]
mod tests;
