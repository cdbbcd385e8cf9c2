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
//! **Holding until verified, or streaming and reading again.** The checksum is at the end of a
//! member, so a member's decoded bytes are held until it verifies — up to a limit. Past it,
//! [`LargeMembers`] chooses: `Stream` (the default, [`STREAM_AFTER`] = 4 MiB) releases the rest as
//! it decodes and, if the checksum then fails, ends reading with an error for which
//! [`needs_reread`] is true; the executor then discards what it made of that file and reads it
//! again with `Spill`, which holds [`HOLD_LIMIT`] (64 MiB) in memory, spills the rest to an unlinked
//! temporary file in `std::env::temp_dir()`, and releases it all once it verifies. gleaner's own
//! output (512 KiB zstd frames) and per-record crawl members stay under 4 MiB, so their damage is
//! one reject with no re-read; a single-member `.jsonl.gz` from `gzip` or `.zst` from the zstd CLI
//! streams. Why not hold everything: nothing of a held member can be processed before its end
//! has decoded, so decoding no longer overlaps the stages on a single-member file, and past
//! 64 MiB every decoded byte is also written and read back. Measured on 122 MB of news JSONL as one
//! gzip member / one zstd frame, normalize to uncompressed output, best CPU seconds of alternated
//! runs at 2 threads: gz 0.83 held → 0.49 streamed (0.47 before members were verified at all),
//! zst 0.50 → 0.40 (0.39) (README, "Verified members at streaming speed"). Spilling, in turn, was chosen over a checksum pre-pass (decode the member
//! twice) because gzip input is decoder-bound: a second inflate costs as much as the first.
//! `cargo run --release -p gleaner --example member_cost -- FILE` times the ways (unverified
//! streaming, held, spilled, pre-pass) on one file. Damage is rare, so the re-read is too.

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

/// How a member is read that decodes to more than can reasonably wait for its checksum.
///
/// Holding every member until it verifies costs the overlap of decoding and processing on
/// single-member files (a `.jsonl.gz` from `gzip`, a `.zst` from the zstd CLI): nothing can be
/// handed on before the whole member has decoded. So by default a large member is streamed,
/// unverified, and in the rare case that its checksum then fails the caller reads the file again
/// with [`Spill`](LargeMembers::Spill), which loses nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LargeMembers {
    /// Held in memory up to [`STREAM_AFTER`] bytes, then released as it decodes. If its checksum
    /// then fails, reading ends with an error for which [`needs_reread`] is true: bytes of a
    /// damaged member were released, and the caller must discard what it made of this file and
    /// read it again with `Spill`.
    #[default]
    Stream,
    /// Held in memory up to [`HOLD_LIMIT`] bytes, then spilled to a temporary file, and released
    /// only once it verifies: slower on large members, never releases a damaged byte.
    Spill,
}

/// Decoded bytes of one member held before a [`LargeMembers::Stream`] reader starts releasing
/// it unverified: above gleaner's own 512 KiB output frames and most per-record crawl members,
/// so their damage stays one reject, and small enough that a single-member file starts flowing
/// after 4 MiB instead of after its end.
pub const STREAM_AFTER: usize = 4 << 20;

/// The reject kind a reader gives an input whose large member failed its checksum after part of
/// it was released ([`LargeMembers::Stream`]): the executor reads such a file again with
/// [`LargeMembers::Spill`], so this kind never reaches `rejects.jsonl` from a run.
pub const REREAD_KIND: &str = "damaged_member_after_release";

/// The count in `stats.json` (`input.skipped_by_kind`) of files read a second time, verifying
/// every member, because a streamed member turned out damaged.
pub const REREAD_COUNTER: &str = "quirk.reread_verifying_members";

/// A large member's checksum failed after some of its bytes were released (see
/// [`LargeMembers::Stream`]): the payload of the error that ends such a reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleasedDamage {
    /// The damage, as a [`LargeMembers::Spill`] reader would report it (its `end` is where the
    /// decoder stopped).
    pub damage: DamagedMember,
    /// Bytes of the member released before the damage was seen.
    pub released: u64,
}

impl std::fmt::Display for ReleasedDamage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = &self.damage;
        write!(
            f,
            "{} at compressed bytes {}.. ({}) after {} of its decoded bytes were read; the file must be read again verifying every member",
            d.kind, d.start, d.cause, self.released
        )
    }
}

impl std::error::Error for ReleasedDamage {}

/// True when `e` ends a [`LargeMembers::Stream`] reader whose streamed member turned out damaged:
/// what was read from it cannot be trusted and the file must be read again with
/// [`LargeMembers::Spill`].
pub fn needs_reread(e: &io::Error) -> bool {
    e.get_ref()
        .is_some_and(|inner| inner.is::<ReleasedDamage>())
}

/// Where the compressed input is: between members (the reader's own), or owned by the gzip
/// decoder while a member decodes, so that decoding can stop after any chunk and go on at the
/// next read (a streamed member) and the input is still the reader's to seek afterwards.
enum Source<R> {
    Idle(Input<R>),
    Gzip(Box<flate2::bufread::GzDecoder<Input<R>>>),
    /// Only while moving the input between the two; never seen by a caller.
    Moving,
}

impl<R: Read + Seek> Source<R> {
    fn input(&mut self) -> io::Result<&mut Input<R>> {
        match self {
            Source::Idle(i) => Ok(i),
            Source::Gzip(d) => Ok(d.get_mut()),
            Source::Moving => Err(io::Error::other("member reader used after a failed move")),
        }
    }

    /// The input back from a gzip decoder whose member ended (or failed).
    fn end_gzip(&mut self) {
        if let Source::Gzip(d) = std::mem::replace(self, Source::Moving) {
            *self = Source::Idle(d.into_inner());
        }
    }
}

/// Decompresses a gzip or zstd stream member by member, releasing only verified members (large
/// ones as [`LargeMembers`] says); see the module documentation.
pub struct MemberReader<R> {
    source: Source<R>,
    codec: Codec,
    zstd: Option<zstd::zstd_safe::DCtx<'static>>,
    /// A zstd frame is being decoded (its context is mid-frame).
    in_zstd_frame: bool,
    held: Held,
    large: LargeMembers,
    /// The member being released as it decodes: its start, and bytes released so far.
    streaming: Option<(u64, u64)>,
    /// Damage found but not yet reported: reported once the next member verifies (or at the
    /// end), so header matches inside the damaged bytes merge into it.
    pending: Option<DamagedMember>,
    /// Where the decoder of the last damaged member stopped: a candidate before it lies inside
    /// that member's bytes.
    damage_reach: u64,
    done: bool,
}

/// How decoding a member into the hold buffer ended.
enum MemberEnd {
    /// Decoded whole and verified.
    Verified,
    /// Past the stream threshold: the rest is decoded as it is read.
    Streaming,
}

impl<R: Read + Seek> MemberReader<R> {
    /// Reads the `codec` stream in `raw` (positioned at its start), large members as `large`
    /// says, with the default limits ([`STREAM_AFTER`], [`HOLD_LIMIT`]).
    pub fn new(raw: R, codec: Codec, large: LargeMembers) -> Self {
        let limit = match large {
            LargeMembers::Stream => STREAM_AFTER,
            LargeMembers::Spill => HOLD_LIMIT,
        };
        Self::with_limit(raw, codec, large, limit)
    }

    /// [`new`](Self::new) holding at most `limit` decoded bytes of a member in memory before it
    /// streams or spills.
    pub fn with_limit(raw: R, codec: Codec, large: LargeMembers, limit: usize) -> Self {
        MemberReader {
            source: Source::Idle(Input {
                inner: raw,
                buf: vec![0; INPUT_CHUNK].into_boxed_slice(),
                start: 0,
                end: 0,
                pos: 0,
                eof: false,
            }),
            codec,
            zstd: None,
            in_zstd_frame: false,
            held: Held {
                buf: Vec::new(),
                filled: 0,
                released: 0,
                limit: limit.max(1),
                spill: None,
                spilled_bytes: 0,
                spilled_lines: 0,
            },
            large,
            streaming: None,
            pending: None,
            damage_reach: 0,
            done: false,
        }
    }

    /// Decodes one chunk of the current member into `held` (which has room); `true` when the
    /// member ended and verified. An error leaves the input where the decoder stopped.
    fn decode_chunk(&mut self) -> io::Result<bool> {
        match self.codec {
            Codec::Gzip => {
                if matches!(self.source, Source::Idle(_))
                    && let Source::Idle(input) = std::mem::replace(&mut self.source, Source::Moving)
                {
                    self.source = Source::Gzip(Box::new(flate2::bufread::GzDecoder::new(input)));
                }
                let Source::Gzip(dec) = &mut self.source else {
                    return Err(io::Error::other("member reader lost its input"));
                };
                let held = &mut self.held;
                loop {
                    match dec.read(&mut held.buf[held.filled..]) {
                        Ok(0) => {
                            self.source.end_gzip();
                            return Ok(true);
                        }
                        Ok(n) => {
                            held.filled += n;
                            return Ok(false);
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            self.source.end_gzip();
                            return Err(e);
                        }
                    }
                }
            }
            Codec::Zstd => {
                use zstd::zstd_safe::{DCtx, InBuffer, OutBuffer, ResetDirective};
                let dctx = self.zstd.get_or_insert_with(DCtx::create);
                if !self.in_zstd_frame {
                    dctx.reset(ResetDirective::SessionOnly)
                        .map_err(zstd_error)?;
                    self.in_zstd_frame = true;
                }
                let input = self.source.input()?;
                let mut stalled = 0;
                loop {
                    let avail = input.fill_buf()?;
                    if avail.is_empty() {
                        self.in_zstd_frame = false;
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the frame is truncated",
                        ));
                    }
                    let mut inb = InBuffer::around(avail);
                    let held = &mut self.held;
                    let mut outb = OutBuffer::around_pos(&mut held.buf[..], held.filled);
                    let hint = match dctx.decompress_stream(&mut outb, &mut inb) {
                        Ok(hint) => hint,
                        Err(code) => {
                            self.in_zstd_frame = false;
                            return Err(zstd_error(code));
                        }
                    };
                    let (consumed, filled) = (inb.pos(), outb.pos());
                    let progressed = filled > held.filled;
                    stalled = if consumed == 0 && !progressed {
                        stalled + 1
                    } else {
                        0
                    };
                    held.filled = filled;
                    input.consume(consumed);
                    if hint == 0 {
                        self.in_zstd_frame = false;
                        return Ok(true);
                    }
                    if progressed {
                        return Ok(false);
                    }
                    if stalled > 2 {
                        self.in_zstd_frame = false;
                        return Err(io::Error::other("the zstd decoder makes no progress"));
                    }
                }
            }
        }
    }

    /// Decodes the member at the current position into `held`, until it ends or, when large
    /// members stream, until the stream threshold.
    fn decode_member(&mut self) -> io::Result<MemberEnd> {
        self.held.clear();
        loop {
            if self.large == LargeMembers::Stream && self.held.filled >= self.held.limit {
                return Ok(MemberEnd::Streaming);
            }
            self.held.make_room()?;
            if self.decode_chunk()? {
                return Ok(MemberEnd::Verified);
            }
        }
    }

    /// Decodes members until one verifies (or starts streaming) or the input ends, noting damage
    /// on the way. Returns a damage to report now (an earlier one that the latest did not merge
    /// into).
    fn next_member(&mut self) -> io::Result<Option<DamagedMember>> {
        loop {
            let input = self.source.input()?;
            let start = input.pos;
            let avail = input.ensure(4)?;
            if avail == 0 {
                self.done = true;
                return Ok(None);
            }
            let head = &input.buf[input.start..input.end];
            let failure = if Codec::sniff(head) == Some(self.codec) {
                match self.decode_member() {
                    Ok(MemberEnd::Verified) => {
                        self.held.verified()?;
                        return Ok(None);
                    }
                    Ok(MemberEnd::Streaming) => {
                        self.held.released = 0;
                        self.streaming = Some((start, 0));
                        return Ok(None);
                    }
                    Err(e) if is_io_failure(&e) => return Err(e),
                    Err(e) => Some(e),
                }
            } else {
                None
            };
            let input = self.source.input()?;
            let stopped_at = input.pos;
            let (decoded_bytes, decoded_lines) = self.held.decoded();
            self.held.clear();
            input.seek_to(start + 1)?;
            input.scan(self.codec)?;
            let end = input.pos;
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
                kind: self.damage_kind(failure.is_some()),
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

    fn damage_kind(&self, decoded: bool) -> &'static str {
        match (decoded, self.codec) {
            (false, _) => "not_compressed",
            (true, Codec::Gzip) => "corrupt_gzip_member",
            (true, Codec::Zstd) => "corrupt_zstd_frame",
        }
    }

    /// Decodes the next chunk of the member being streamed; `true` once it has ended verified.
    /// Its failure ends the reader with a [`ReleasedDamage`].
    fn stream_chunk(&mut self, start: u64, released: u64) -> io::Result<bool> {
        self.held.filled = 0;
        self.held.released = 0;
        self.held.make_room()?;
        match self.decode_chunk() {
            Ok(ended) => Ok(ended),
            Err(e) if is_io_failure(&e) => Err(e),
            Err(e) => {
                self.done = true;
                self.streaming = None;
                self.held.clear();
                let stopped_at = self.source.input().map(|i| i.pos).unwrap_or(start);
                let damage = DamagedMember {
                    kind: self.damage_kind(true),
                    start,
                    end: stopped_at.max(start + 1),
                    decoded_bytes: released,
                    decoded_lines: 0,
                    cause: e.to_string(),
                };
                Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    ReleasedDamage { damage, released },
                ))
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
                if let Some((_, released)) = &mut self.streaming {
                    *released += n as u64;
                }
                return Ok(n);
            }
            if let Some((start, released)) = self.streaming {
                if self.stream_chunk(start, released)? {
                    self.streaming = None;
                }
                continue;
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
