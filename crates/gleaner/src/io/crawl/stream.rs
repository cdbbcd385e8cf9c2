//! The decompressed byte stream the crawl framer reads: an offset into the decompressed bytes, and
//! push-back, so a framer that read past a record's true end can put the bytes back.

use std::io::{self, BufRead};

/// A decompressed byte stream with an offset and push-back, so a framer that read too far (a
/// block that swallowed the next record's start) can put bytes back.
pub struct ArchiveStream {
    inner: Box<dyn BufRead + Send>,
    front: Vec<u8>,
    front_pos: usize,
    /// Bytes consumed so far (minus bytes pushed back).
    pub offset: u64,
    /// A recoverable error (a damaged member) met by [`peek`](Self::peek) after the bytes it
    /// returned: handed out by the next [`fill`](Self::fill) once those bytes are read, so a
    /// look ahead into the next member never costs the record already read.
    pending: Option<io::Error>,
}

impl ArchiveStream {
    /// Wraps a (decompressed) reader.
    pub fn new(inner: Box<dyn BufRead + Send>) -> Self {
        ArchiveStream {
            inner,
            front: Vec::new(),
            front_pos: 0,
            offset: 0,
            pending: None,
        }
    }

    /// The buffered bytes: pushed-back bytes first, then the inner reader's buffer.
    pub fn fill(&mut self) -> io::Result<&[u8]> {
        if self.front_pos < self.front.len() {
            return Ok(&self.front[self.front_pos..]);
        }
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        loop {
            match self.inner.fill_buf() {
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        // Buffered now; asking again returns the same bytes without reading.
        self.inner.fill_buf()
    }

    /// Marks `n` bytes of the last [`fill`](Self::fill) as read.
    pub fn consume(&mut self, n: usize) {
        self.offset += n as u64;
        if self.front_pos < self.front.len() {
            self.front_pos += n;
            if self.front_pos >= self.front.len() {
                self.front.clear();
                self.front_pos = 0;
            }
        } else {
            self.inner.consume(n);
        }
    }

    /// Puts `bytes` back in front of the stream; they are read again next.
    pub fn unread(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut front = Vec::with_capacity(bytes.len() + self.front.len() - self.front_pos);
        front.extend_from_slice(bytes);
        front.extend_from_slice(&self.front[self.front_pos..]);
        self.front = front;
        self.front_pos = 0;
        self.offset = self.offset.saturating_sub(bytes.len() as u64);
    }

    /// [`unread`](Self::unread) that takes the buffer, so pushing back a whole block (up to
    /// `max_record` bytes) does not copy it when nothing else is pushed back.
    pub fn unread_owned(&mut self, bytes: Vec<u8>) {
        if self.front_pos < self.front.len() {
            self.unread(&bytes);
            return;
        }
        self.offset = self.offset.saturating_sub(bytes.len() as u64);
        self.front = bytes;
        self.front_pos = 0;
    }

    /// Reads one line (with its `\n`) into `out`, keeping at most `cap` bytes of it and
    /// skipping the rest. Returns the bytes consumed (0 at end of stream).
    pub fn read_line(&mut self, out: &mut Vec<u8>, cap: usize) -> io::Result<usize> {
        Ok(self.read_line_within(out, cap, u64::MAX)? as usize)
    }

    /// [`read_line`](Self::read_line) that consumes at most `limit` bytes (a line cut there is
    /// returned without its `\n`).
    pub fn read_line_within(
        &mut self,
        out: &mut Vec<u8>,
        cap: usize,
        limit: u64,
    ) -> io::Result<u64> {
        self.read_line_keeping(out, cap, limit, false)
    }

    /// Reads one line, consuming at most `limit` bytes, and keeps at most `cap` of them: the
    /// line's first bytes, or with `keep_tail` its last ones (where a record start glued to the
    /// end of a garbage line is).
    pub(crate) fn read_line_keeping(
        &mut self,
        out: &mut Vec<u8>,
        cap: usize,
        limit: u64,
        keep_tail: bool,
    ) -> io::Result<u64> {
        out.clear();
        let mut consumed = 0u64;
        while consumed < limit {
            let chunk = self.fill()?;
            if chunk.is_empty() {
                break;
            }
            let room_in_limit = usize::try_from(limit - consumed).unwrap_or(usize::MAX);
            let chunk = &chunk[..chunk.len().min(room_in_limit)];
            let (take, found) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            if keep_tail {
                let part = &chunk[take.saturating_sub(cap)..take];
                let overflow = (out.len() + part.len()).saturating_sub(cap);
                out.drain(..overflow);
                out.extend_from_slice(part);
            } else {
                let room = cap.saturating_sub(out.len());
                out.extend_from_slice(&chunk[..take.min(room)]);
            }
            self.consume(take);
            consumed += take as u64;
            if found {
                break;
            }
        }
        Ok(consumed)
    }

    /// Appends up to `n` bytes to `out`; fewer only at end of stream. Memory grows with the bytes
    /// actually present, not with `n`, so a lying length cannot allocate gigabytes.
    pub fn read_block(&mut self, n: u64, out: &mut Vec<u8>) -> io::Result<u64> {
        self.advance(n, Some(out))
    }

    /// Skips up to `n` bytes; fewer only at end of stream.
    pub fn skip(&mut self, n: u64) -> io::Result<u64> {
        self.advance(n, None)
    }

    /// Consumes up to `n` bytes, appending them to `out` when given; fewer only at end of stream.
    fn advance(&mut self, n: u64, mut out: Option<&mut Vec<u8>>) -> io::Result<u64> {
        let mut left = n;
        while left > 0 {
            let chunk = self.fill()?;
            if chunk.is_empty() {
                break;
            }
            let take = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            if let Some(out) = out.as_deref_mut() {
                out.extend_from_slice(&chunk[..take]);
            }
            self.consume(take);
            left -= take as u64;
        }
        Ok(n - left)
    }

    /// Up to `n` next bytes without consuming them. A damaged member met on the way ends the
    /// bytes early; its error comes from the read after them (see `pending`).
    pub fn peek(&mut self, n: usize) -> io::Result<Vec<u8>> {
        let mut got = Vec::with_capacity(n);
        if let Err(e) = self.read_block(n as u64, &mut got) {
            if !crate::io::gzmembers::is_recoverable(&e) {
                return Err(e);
            }
            self.pending = Some(e);
        }
        self.unread(&got);
        Ok(got)
    }
}
