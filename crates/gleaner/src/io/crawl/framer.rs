//! The record framer that WARC and ARC share: the byte stream with push-back, the records and
//! rejects it yields, and every decision about where a record ends and where reading goes on after
//! a bad one. A format ([`RecordFormat`]: `warc.rs`, `arc.rs`) only says what its record-start line
//! looks like, how its header is read, and what terminates its block.
//!
//! Why written here and not taken from the `fastwarc` crate (2.0.0, checked in its source): a
//! parse error drops the record that owns the reader, so one bad record ends the iteration; it has
//! no ARC support; and it does not report where a bad record starts. gleaner must read past broken
//! records, report each with its offset, and never panic.
//!
//! Trust and resynchronisation, each bad region one reject with its offset in the decompressed
//! stream:
//! * A declared length is trusted only when the block it delimits is followed by the format's
//!   terminator and then the next record start (or the end of the stream). A payload that holds
//!   record-start lines of its own (an archived WARC file) is then one record, as it should be.
//! * Any other length (too long, too short, past the end of the file, unparsable) is not trusted
//!   past the next record start: the block is pushed back and the framer scans for the next
//!   record-start line from just after the bad record's header. Nothing that follows a bad header
//!   is lost, however wrong its length.
//! * A block over `max_record` is never held. It is skipped by streaming, line by line, watching
//!   for a record start. If one turns up, the bytes from there on are kept (at most `max_record` of
//!   them) until the declared end shows whether the length was right: if so they are dropped,
//!   otherwise reading resumes at that record start.
//! * Bytes that are not a record (garbage, half-written records) are skipped to the next
//!   record-start line, also found glued to the end of a garbage line.
//! * A recoverable decompression error (a corrupt gzip member that the member reader skipped)
//!   costs the record it hit; reading resumes at the next record start. Any other read error ends
//!   the file.

use std::io;

pub use super::stream::ArchiveStream;

/// One line of a header may be at most this long; longer means garbage.
pub(crate) const MAX_LINE: usize = 64 << 10;
/// How much of a bad record to keep for the reject's excerpt.
const EXCERPT: usize = 800;

/// A record cut out of a WARC or ARC stream.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRecord {
    /// Offset of the record's first byte in the decompressed stream.
    pub offset: u64,
    /// Lowercased record type: WARC-Type (`response`, `request`, `conversion`, …); for ARC
    /// records `response`, `resource`, `dns` or `filedesc`.
    pub record_type: String,
    /// Header fields in order, names as written. ARC records carry synthesised WARC names
    /// (`WARC-Target-URI`, `WARC-Date`, `Content-Type`).
    pub headers: Vec<(String, String)>,
    /// The record block (for a response: HTTP head and body).
    pub block: Vec<u8>,
}

impl RawRecord {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Something that is not a readable record, and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Malformed {
    /// Offset in the decompressed stream.
    pub offset: u64,
    /// Reject class: `garbage`, `bad_content_length`, `truncated`, `malformed_header`,
    /// `too_large`, `corrupt_input`, `block_digest_mismatch`.
    pub kind: &'static str,
    /// What is wrong.
    pub message: String,
    /// The first bytes of the offending region.
    pub excerpt: Vec<u8>,
}

/// What a framer yields.
#[derive(Debug, Clone, PartialEq)]
pub enum Framed {
    /// A well-framed record.
    Record(RawRecord),
    /// A region that is not a readable record.
    Malformed(Malformed),
    /// A tolerated deviation worth counting (e.g. `quirk.arc_filedesc_length`).
    Quirk(&'static str),
}

/// A record header as a format read it.
pub struct Head {
    /// The header bytes, for reject excerpts.
    pub raw: Vec<u8>,
    /// Declared block length.
    pub length: u64,
    /// Header fields (ARC: synthesised WARC names).
    pub headers: Vec<(String, String)>,
    /// Lowercased record type, when the header names it.
    pub record_type: String,
}

/// A header that cannot be read.
pub struct BadHead {
    /// Reject class.
    pub kind: &'static str,
    /// What is wrong.
    pub message: String,
    /// The header bytes read so far.
    pub raw: Vec<u8>,
    /// The stream ended inside the header: nothing follows.
    pub at_end: bool,
}

/// What a record format tells the shared [`Framer`].
pub trait RecordFormat {
    /// `WARC` or `ARC`, for messages.
    const NAME: &'static str;
    /// The header field that declares the length, for messages.
    const LENGTH_FIELD: &'static str;

    /// True when `line` (with its line end) starts a record.
    fn is_start(&self, line: &[u8]) -> bool;
    /// Where a record start begins inside `line` after other bytes (garbage glued to the next
    /// record without a line break), when the format can tell.
    fn embedded_start(&self, line: &[u8]) -> Option<usize>;
    /// True for a line that may stand between records.
    fn is_blank(&self, line: &[u8]) -> bool;
    /// Reads the rest of the header whose start line `first` was just read.
    fn read_head(
        &mut self,
        stream: &mut ArchiveStream,
        first: &[u8],
    ) -> io::Result<Result<Head, BadHead>>;
    /// Whether the bytes after a `block` of the declared length are its terminator followed by
    /// the next record (or the end); consumes the terminator when they are.
    fn terminator_ok(&self, stream: &mut ArchiveStream, block: &[u8]) -> io::Result<bool>;
    /// A known writer quirk in the length of an otherwise sound record: trims `block` to the
    /// true record, pushes the rest back, and names the quirk. `None` by default.
    fn salvage(
        &mut self,
        _head: &Head,
        _block: &mut Vec<u8>,
        _stream: &mut ArchiveStream,
    ) -> io::Result<Option<&'static str>> {
        Ok(None)
    }
    /// Checks a well-framed record's content against its header (a digest); `Err` names the
    /// reject kind and says why.
    fn verify(&self, _head: &Head, _block: &[u8]) -> Result<(), (&'static str, String)> {
        Ok(())
    }
    /// The record type of a well-framed record, learning from it what the format needs (ARC's
    /// version from its `filedesc`).
    fn record_type(&mut self, head: &Head, block: &[u8]) -> String;
}

fn excerpt(b: &[u8]) -> Vec<u8> {
    b[..b.len().min(EXCERPT)].to_vec()
}

/// Where a too-large block's skip ended.
enum Skipped {
    /// The declared length held: the block is gone and the terminator consumed.
    Trusted,
    /// A record start inside the block at this many bytes from its start; the stream is back
    /// there. `why` tells what showed the length to be wrong.
    Resumed { at: u64, why: &'static str },
    /// The declared end was reached without a terminator and no record start was in the block.
    Unterminated,
    /// The stream ended inside the block and no record start was in it.
    Ended { got: u64 },
}

/// Cuts a stream into records of format `F`; see the module documentation for the rules.
pub struct Framer<F> {
    format: F,
    stream: ArchiveStream,
    max_record: u64,
    line: Vec<u8>,
    done: bool,
    /// After a rejected record, the bytes up to the next record start belong to that reject and
    /// are skipped without a second one.
    resync_silently: bool,
    /// A record held back while a quirk about it is yielded first.
    pending: Option<Framed>,
}

impl<F: RecordFormat> Framer<F> {
    /// A framer for `format` over `stream`; blocks over `max_record` bytes are never held.
    pub fn with_format(format: F, stream: ArchiveStream, max_record: u64) -> Self {
        Framer {
            format,
            stream,
            max_record,
            line: Vec::new(),
            done: false,
            resync_silently: false,
            pending: None,
        }
    }

    fn fail(offset: u64, kind: &'static str, message: String, ex: &[u8]) -> Framed {
        Framed::Malformed(Malformed {
            offset,
            kind,
            message,
            excerpt: excerpt(ex),
        })
    }

    fn io_failure(&mut self, offset: u64, e: io::Error) -> Framed {
        if crate::io::gzmembers::is_recoverable(&e) {
            // The gzip layer skipped a corrupt member and goes on: so does the framer, from
            // the next record start.
            self.resync_silently = true;
            return Self::fail(
                offset,
                "corrupt_input",
                format!("{e}; the record here is lost, reading resumes at the next record"),
                &[],
            );
        }
        self.done = true;
        // A streamed member that failed its checksum: the executor reads the file again,
        // verifying every member (see io/members.rs).
        let kind = if crate::io::members::needs_reread(&e) {
            crate::io::members::REREAD_KIND
        } else {
            "corrupt_input"
        };
        Self::fail(
            offset,
            kind,
            format!("the stream cannot be read past this point ({e}); records before it were read"),
            &[],
        )
    }

    /// Skips from `start` (whose first line is in `self.line`) to the next record start, which
    /// is pushed back. Returns the number of bytes skipped.
    fn skip_to_next_record(&mut self, start: u64) -> io::Result<u64> {
        loop {
            if let Some(p) = self.format.embedded_start(&self.line) {
                // Lines are kept by their last bytes, so what follows `p` is the record's
                // whole first line.
                let tail = self.line[p..].to_vec();
                self.stream.unread(&tail);
                return Ok(self.stream.offset - start);
            }
            let line_start = self.stream.offset;
            // The line's last bytes are kept: a record start glued to the end of a long garbage
            // line is found there.
            let n = self
                .stream
                .read_line_keeping(&mut self.line, MAX_LINE, u64::MAX, true)?;
            if n == 0 {
                return Ok(self.stream.offset - start);
            }
            if n as usize == self.line.len() && self.format.is_start(&self.line) {
                let l = std::mem::take(&mut self.line);
                self.stream.unread(&l);
                self.line = l;
                return Ok(line_start - start);
            }
        }
    }

    /// Reads the record whose start line is in `self.line` and began at `start`.
    fn read_record(&mut self, start: u64) -> io::Result<Framed> {
        let first = std::mem::take(&mut self.line);
        let head = self.format.read_head(&mut self.stream, &first);
        self.line = first;
        let head = match head? {
            Ok(h) => h,
            Err(bad) => {
                if bad.at_end {
                    self.done = true;
                } else {
                    self.resync_silently = true;
                }
                return Ok(Self::fail(start, bad.kind, bad.message, &bad.raw));
            }
        };
        if head.length > self.max_record {
            return self.skip_too_large(start, &head);
        }
        let length = head.length;
        let mut block = Vec::new();
        let got = self.stream.read_block(length, &mut block)?;
        if got == length && self.format.terminator_ok(&mut self.stream, &block)? {
            if let Err((kind, message)) = self.format.verify(&head, &block) {
                return Ok(Self::fail(start, kind, message, &head.raw));
            }
            let record_type = self.format.record_type(&head, &block);
            return Ok(Framed::Record(RawRecord {
                offset: start,
                record_type,
                headers: head.headers,
                block,
            }));
        }
        if got == length
            && let Some(quirk) = self.format.salvage(&head, &mut block, &mut self.stream)?
        {
            let record_type = self.format.record_type(&head, &block);
            self.pending = Some(Framed::Record(RawRecord {
                offset: start,
                record_type,
                headers: head.headers,
                block,
            }));
            return Ok(Framed::Quirk(quirk));
        }
        // The length is not consistent with what follows: the bytes after the header are read
        // again, looking for the next record start, and this record is the reject.
        let message = match self.start_in(&block) {
            Some(p) => format!(
                "{} {length} runs past the next record, which starts {p} bytes into the block; reading resumes there",
                F::LENGTH_FIELD
            ),
            None if got < length => format!(
                "the file ends {got} bytes into a block of {} {length}",
                F::LENGTH_FIELD
            ),
            None => format!(
                "the block of {} {length} is not followed by the record terminator",
                F::LENGTH_FIELD
            ),
        };
        let kind = if got < length && self.start_in(&block).is_none() {
            "truncated"
        } else {
            "bad_content_length"
        };
        self.stream.unread_owned(block);
        self.resync_silently = true;
        Ok(Self::fail(start, kind, message, &head.raw))
    }

    /// Offset of the first record-start line inside `block` after its first byte.
    fn start_in(&self, block: &[u8]) -> Option<usize> {
        let mut at = 0;
        while at < block.len() {
            let end = memchr::memchr(b'\n', &block[at..]).map_or(block.len(), |e| at + e + 1);
            let line = &block[at..end];
            if self.format.is_start(line) {
                return Some(at);
            }
            if let Some(p) = self.format.embedded_start(line) {
                return Some(at + p);
            }
            at = end;
        }
        None
    }

    /// A block over `max_record`: skipped without holding it, see the module documentation.
    fn skip_too_large(&mut self, start: u64, head: &Head) -> io::Result<Framed> {
        let length = head.length;
        let skipped = self.stream_past(length)?;
        let limit = self.max_record;
        let (kind, message) = match skipped {
            Skipped::Trusted => (
                "too_large",
                format!(
                    "record block of {length} bytes is larger than max_record_bytes ({limit}); raise [input] max_record_bytes to read it"
                ),
            ),
            Skipped::Resumed { at, why } => {
                self.resync_silently = true;
                (
                    "bad_content_length",
                    format!(
                        "{} {length} is larger than max_record_bytes ({limit}) and {why}; the next record starts {at} bytes into the block and reading resumes there",
                        F::LENGTH_FIELD
                    ),
                )
            }
            Skipped::Unterminated => {
                self.resync_silently = true;
                (
                    "bad_content_length",
                    format!(
                        "the block of {} {length} (over max_record_bytes, {limit}) is not followed by the record terminator",
                        F::LENGTH_FIELD
                    ),
                )
            }
            Skipped::Ended { got } => {
                self.done = true;
                (
                    "truncated",
                    format!(
                        "the file ends {got} bytes into a block of {} {length}",
                        F::LENGTH_FIELD
                    ),
                )
            }
        };
        Ok(Self::fail(start, kind, message, &head.raw))
    }

    /// Streams over a block of `length` bytes line by line, watching for a record start.
    fn stream_past(&mut self, length: u64) -> io::Result<Skipped> {
        let mut left = length;
        let mut line = Vec::new();
        while left > 0 {
            let n = self.stream.read_line_within(&mut line, MAX_LINE, left)?;
            if n == 0 {
                return Ok(Skipped::Ended { got: length - left });
            }
            left -= n;
            let whole = n as usize == line.len() && line.ends_with(b"\n");
            if whole && self.format.is_start(&line) {
                return self.hold_from(length - left - n, line, left);
            }
        }
        if self.format.terminator_ok(&mut self.stream, &[])? {
            return Ok(Skipped::Trusted);
        }
        Ok(Skipped::Unterminated)
    }

    /// A record start at `at` inside a too-large block, whose line is `held`, with `left` bytes
    /// of the block still ahead: keeps up to `max_record` bytes from the record start until the
    /// declared end shows whether the length was right.
    fn hold_from(&mut self, at: u64, mut held: Vec<u8>, left: u64) -> io::Result<Skipped> {
        let room = self.max_record.saturating_sub(held.len() as u64);
        let want = left.min(room);
        let got = self.stream.read_block(want, &mut held)?;
        let why = if got < want {
            "the file ends before its block does"
        } else if want < left {
            // Past this, checking the length would mean holding more than a record may be.
            "a record starts inside its block too far from the declared end to check the length"
        } else if self.format.terminator_ok(&mut self.stream, &[])? {
            return Ok(Skipped::Trusted);
        } else {
            "its block is not followed by the record terminator"
        };
        self.stream.unread_owned(held);
        Ok(Skipped::Resumed { at, why })
    }
}

impl<F: RecordFormat> Iterator for Framer<F> {
    type Item = Framed;

    fn next(&mut self) -> Option<Framed> {
        if let Some(r) = self.pending.take() {
            return Some(r);
        }
        loop {
            if self.done {
                return None;
            }
            // A line too long to keep whole is garbage; its last bytes are kept, where a record
            // start glued to it would be.
            let (start, whole) = loop {
                let start = self.stream.offset;
                match self
                    .stream
                    .read_line_keeping(&mut self.line, MAX_LINE, u64::MAX, true)
                {
                    Err(e) => return Some(self.io_failure(start, e)),
                    Ok(0) => {
                        self.done = true;
                        return None;
                    }
                    Ok(_) if self.format.is_blank(&self.line) => continue,
                    Ok(n) => break (start, n as usize == self.line.len()),
                }
            };
            if whole && self.format.is_start(&self.line) {
                self.resync_silently = false;
                return Some(match self.read_record(start) {
                    Ok(f) => f,
                    Err(e) => self.io_failure(start, e),
                });
            }
            let first = self.line.clone();
            let skipped = match self.skip_to_next_record(start) {
                Ok(n) => n,
                Err(e) => return Some(self.io_failure(start, e)),
            };
            if std::mem::take(&mut self.resync_silently) {
                continue;
            }
            return Some(Self::fail(
                start,
                "garbage",
                format!(
                    "{skipped} bytes that are not a{} {} record, skipped to the next record",
                    if F::NAME.starts_with('A') { "n" } else { "" },
                    F::NAME
                ),
                &first,
            ));
        }
    }
}

#[cfg(test)]
#[path = "framer_tests.rs"]
mod tests;
