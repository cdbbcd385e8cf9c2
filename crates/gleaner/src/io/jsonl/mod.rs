//! JSON-lines reading and writing in the shape datatrove and dolma use:
//! `{"id": ..., "text": ..., "metadata": {...}}`, with the id and text field names configurable.
//! Top-level fields other than id, text and metadata (dolma's `source`, `added`, …) are folded
//! into the metadata so nothing the input carried is lost, by the rules of [`super::fields`]
//! (a name the metadata already uses, an id that is neither a string nor a number).

use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use super::fields::{RecordQuirks, default_id};
use super::{InputFile, RawRecord, RawStream, ReadCounters, Reject, compress, members};
use crate::config::InputConfig;
use crate::document::Document;

/// What every line of one JSONL file needs to become a document.
#[derive(Debug)]
pub struct JsonlContext {
    path: PathBuf,
    file_index: usize,
    text_field: String,
    id_field: String,
    /// Where the quirks of decoded lines are counted.
    counters: Arc<ReadCounters>,
}

/// One line of a JSONL file, read but not yet parsed: parsing is most of the cost of reading,
/// so the executor does it on the worker threads rather than the thread that reads the file.
#[derive(Debug)]
pub struct RawJsonLine {
    /// The block of the file the line lies in, shared with the other lines read from it.
    block: Arc<Block>,
    range: std::ops::Range<usize>,
    record: u64,
    offset: u64,
    ctx: Arc<JsonlContext>,
}

impl RawJsonLine {
    /// Bytes of the line.
    pub fn len(&self) -> usize {
        self.range.len()
    }

    /// Whether the line is empty.
    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }

    /// Parses the line into a document, or a reject naming the file, line and problem.
    pub fn decode(self) -> Result<Document, Reject> {
        let ctx = &self.ctx;
        let line = trim_ascii(&self.block.bytes()[self.range.clone()]);
        parse_record(line, &ctx.text_field, &ctx.id_field)
            .map(|(mut d, quirks)| {
                d.position = Document::make_position(ctx.file_index, self.record - 1);
                if d.id.is_empty() {
                    d.id = default_id(&ctx.path, self.record);
                }
                if quirks != RecordQuirks::default() {
                    quirks.count(&ctx.counters);
                }
                d
            })
            .map_err(|(kind, msg)| {
                Reject::new(&ctx.path, kind, msg)
                    .at_record(self.record)
                    .at_offset(self.offset)
                    .with_excerpt(line)
            })
    }
}

/// Bytes read from the (decompressed) input at a time. Lines are handed out as ranges of these
/// blocks rather than copied into a buffer each: one copy and one allocation fewer per document.
const BLOCK_BYTES: usize = 1 << 20;

/// Blocks a reader keeps for reuse. Enough to cover the lines of the batches in flight (one being
/// processed, one read ahead); more would only hold memory.
const POOL_BLOCKS: usize = 16;

/// One block of input bytes. When the last line referring to it is dropped (on whichever thread
/// processed it), its buffer goes back to the reader's pool.
///
/// Why a pool: a fresh 1 MiB buffer per refill is fresh memory from the OS each time, and the
/// kernel then zeroes every page of it on first touch and copies the file into cold cache lines;
/// profiling a read→normalize→write run showed that as about a third of its CPU time. Buffers
/// stay initialised (`len` is only the filled part), so reading into a reused one needs no
/// zeroing either: `Read::read_to_end` would zero the spare capacity of every refill.
#[derive(Debug)]
struct Block {
    /// Fully initialised; only `buf[..len]` holds input.
    buf: Vec<u8>,
    len: usize,
    pool: Arc<BlockPool>,
}

impl Block {
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        self.pool.put(std::mem::take(&mut self.buf));
    }
}

/// Buffers of [`BLOCK_BYTES`] returned by dropped [`Block`]s, ready to be filled again.
#[derive(Debug, Default)]
struct BlockPool {
    free: Mutex<Vec<Vec<u8>>>,
}

impl BlockPool {
    /// An initialised buffer of at least `min` bytes (and at least [`BLOCK_BYTES`]): a returned
    /// one when it is big enough.
    fn take(&self, min: usize) -> Vec<u8> {
        if min <= BLOCK_BYTES {
            let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(buf) = free.pop() {
                return buf;
            }
        }
        vec![0; BLOCK_BYTES.max(min)]
    }

    /// Keeps `buf` for reuse if it is a standard block and the pool is not full.
    fn put(&self, buf: Vec<u8>) {
        if buf.len() != BLOCK_BYTES {
            return;
        }
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        if free.len() < POOL_BLOCKS {
            free.push(buf);
        }
    }
}

/// Streams the lines of a JSONL file, with bounded line length; blank lines are skipped.
pub struct JsonlReader {
    ctx: Arc<JsonlContext>,
    reader: Box<dyn BufRead + Send>,
    max_record: usize,
    line_no: u64,
    offset: u64,
    /// The current block: `block.bytes()[pos..]` is read but not yet handed out.
    block: Arc<Block>,
    pool: Arc<BlockPool>,
    pos: usize,
    eof: bool,
    /// A read error that ended the input; reported once the complete lines before it are out.
    error: Option<std::io::Error>,
    done: bool,
    /// Whether the start of the stream was checked for a byte order mark (counted as
    /// `quirk.bom` in the context's counters and skipped).
    bom_checked: bool,
}

impl JsonlReader {
    /// Opens `file` as a stream of raw lines (a reject if it cannot be opened); decoding a line
    /// counts its quirks in `counters`.
    pub fn open(
        file: &InputFile,
        cfg: &InputConfig,
        bytes_read: Arc<AtomicU64>,
        counters: Arc<ReadCounters>,
    ) -> RawStream {
        let pool = Arc::new(BlockPool::default());
        match compress::open_decompressed(&file.path, bytes_read, file.large_members) {
            Ok(reader) => Box::new(JsonlReader {
                ctx: Arc::new(JsonlContext {
                    path: file.path.clone(),
                    file_index: file.index,
                    text_field: cfg.text_field.clone(),
                    id_field: cfg.id_field.clone(),
                    counters,
                }),
                reader,
                max_record: cfg.max_record_bytes.0 as usize,
                line_no: 0,
                offset: 0,
                block: Arc::new(Block {
                    buf: Vec::new(),
                    len: 0,
                    pool: pool.clone(),
                }),
                pool,
                pos: 0,
                eof: false,
                error: None,
                done: false,
                bom_checked: false,
            }),
            Err(e) => Box::new(std::iter::once(RawRecord::Ready(Err(Reject::new(
                &file.path,
                "io",
                e.to_string(),
            ))))),
        }
    }

    /// Starts a new block holding the unread tail of the current one, then fills it from the
    /// input until it is full or the input ends. Lines handed out keep the old block alive.
    fn refill(&mut self) {
        let tail = &self.block.bytes()[self.pos..];
        let mut next = self.pool.take(tail.len() * 2);
        next[..tail.len()].copy_from_slice(tail);
        let mut len = tail.len();
        self.pos = 0;
        let result = fill(&mut self.reader, &mut next, &mut len);
        self.block = self.new_block(next, len);
        match result {
            Ok(more) => self.eof = !more,
            Err(e) => {
                self.eof = true;
                self.error = Some(e);
            }
        }
    }

    fn new_block(&self, buf: Vec<u8>, len: usize) -> Arc<Block> {
        Arc::new(Block {
            buf,
            len,
            pool: self.pool.clone(),
        })
    }

    /// Consumes the rest of a line longer than `max_record` (its first bytes are
    /// `block.bytes()[pos..]`) without holding it, and returns the bytes consumed and an excerpt
    /// of its start.
    fn skip_long_line(&mut self) -> std::io::Result<(usize, Vec<u8>)> {
        let excerpt = self.block.bytes()[self.pos..]
            .iter()
            .take(800)
            .copied()
            .collect();
        let mut consumed = self.block.len - self.pos;
        let mut buf = self.pool.take(0);
        loop {
            let mut len = 0;
            let more = fill(&mut self.reader, &mut buf, &mut len)?;
            if let Some(i) = memchr::memchr(b'\n', &buf[..len]) {
                consumed += i + 1;
                // What follows the line becomes the start of the next block.
                buf.copy_within(i + 1..len, 0);
                self.block = self.new_block(buf, len - i - 1);
                self.pos = 0;
                self.eof = !more;
                return Ok((consumed, excerpt));
            }
            consumed += len;
            if !more {
                self.block = self.new_block(buf, 0);
                self.pos = 0;
                self.eof = true;
                return Ok((consumed, excerpt));
            }
        }
    }

    fn reject(&self, kind: &str, message: impl Into<String>, start: u64) -> Reject {
        Reject::new(&self.ctx.path, kind, message)
            .at_record(self.line_no)
            .at_offset(start)
    }

    fn too_large(&self, start: u64, excerpt: &[u8]) -> RawRecord {
        let r = self
            .reject(
                "too_large",
                format!(
                    "record is longer than max_record_bytes ({} bytes); raise [input] max_record_bytes to read it",
                    self.max_record
                ),
                start,
            )
            .with_excerpt(excerpt);
        RawRecord::Ready(Err(r))
    }
}

/// Reads from `reader` into `buf[*len..]` until `buf` is full or the input ends, advancing
/// `len`. Returns whether more input may follow; on an error, the bytes read before it stay.
fn fill(
    reader: &mut Box<dyn BufRead + Send>,
    buf: &mut [u8],
    len: &mut usize,
) -> std::io::Result<bool> {
    while *len < buf.len() {
        match reader.read(&mut buf[*len..]) {
            Ok(0) => return Ok(false),
            Ok(n) => *len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

impl Iterator for JsonlReader {
    type Item = RawRecord;

    fn next(&mut self) -> Option<RawRecord> {
        loop {
            if self.done {
                return None;
            }
            let start = self.offset;
            let rest = &self.block.bytes()[self.pos..];
            if !self.bom_checked {
                if rest.len() < 3 && !self.eof {
                    self.refill();
                    continue;
                }
                self.bom_checked = true;
                if rest.starts_with(&[0xef, 0xbb, 0xbf]) {
                    self.ctx.counters.add("quirk.bom", 1);
                    self.pos += 3;
                    self.offset += 3;
                    continue;
                }
            }
            let (range, consumed) = match memchr::memchr(b'\n', rest) {
                Some(i) => (self.pos..self.pos + i, i + 1),
                // A damaged gzip member or zstd frame: none of its records were released (see
                // io/members.rs). The unfinished line before it ended inside it, so it is one of
                // them; reading goes on with the next intact member.
                None if self.error.as_ref().is_some_and(members::is_recoverable) => {
                    let e = self.error.take().expect("checked above");
                    let d = members::damage_of(&e).expect("checked above");
                    let lost = d.records_lost(!rest.is_empty());
                    let r =
                        Reject::new(&self.ctx.path, d.kind, format!("{d}; records lost: {lost}"))
                            .at_record(self.line_no + 1)
                            .at_offset(start)
                            .with_excerpt(rest);
                    // Later records keep the numbers they have in the intact file.
                    self.line_no += lost;
                    self.offset += rest.len() as u64;
                    self.pos = self.block.len;
                    self.eof = false;
                    return Some(RawRecord::Ready(Err(r)));
                }
                None if self.error.is_some() => {
                    self.done = true;
                    self.line_no += 1;
                    let e = self.error.take().expect("checked above");
                    // A streamed member that failed its checksum: the executor reads the file
                    // again, verifying every member (see io/members.rs).
                    let kind = if members::needs_reread(&e) {
                        members::REREAD_KIND
                    } else {
                        "truncated"
                    };
                    let r = self
                        .reject(
                            kind,
                            format!(
                                "input ends early or is corrupt ({e}); records before it were read"
                            ),
                            start,
                        )
                        .with_excerpt(rest);
                    return Some(RawRecord::Ready(Err(r)));
                }
                None if rest.len() > self.max_record => {
                    // No end in sight within the limit: report the record and skip it.
                    self.line_no += 1;
                    return Some(match self.skip_long_line() {
                        Ok((consumed, excerpt)) => {
                            self.offset += consumed as u64;
                            self.too_large(start, &excerpt)
                        }
                        Err(e) => {
                            self.done = true;
                            RawRecord::Ready(Err(self.reject(
                                "truncated",
                                format!("input ends early or is corrupt ({e}); records before it were read"),
                                start,
                            )))
                        }
                    });
                }
                None if !self.eof => {
                    self.refill();
                    continue;
                }
                None if rest.is_empty() => {
                    self.done = true;
                    return None;
                }
                // The last line, without a newline.
                None => (self.pos..self.block.len, rest.len()),
            };
            self.pos += consumed;
            self.offset += consumed as u64;
            self.line_no += 1;
            if range.len() > self.max_record {
                return Some(self.too_large(start, &self.block.bytes()[range]));
            }
            if trim_ascii(&self.block.bytes()[range.clone()]).is_empty() {
                continue;
            }
            return Some(RawRecord::Json(RawJsonLine {
                block: self.block.clone(),
                range,
                record: self.line_no,
                offset: start,
                ctx: self.ctx.clone(),
            }));
        }
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let mut s = 0;
    let mut e = b.len();
    while s < e && b[s].is_ascii_whitespace() {
        s += 1;
    }
    while e > s && b[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    &b[s..e]
}

mod encode;
mod record;
mod scan;

pub use encode::{encode_line, write_json_object, write_json_string, write_json_value};
pub use record::{parse_record, parse_record_serde_only};

#[cfg(test)]
mod tests;
