//! Gzip decoding member by member, resuming after a corrupt member.
//!
//! Crawl files are gzipped per record (one gzip member per WARC record) precisely so a reader
//! can skip damage. `flate2::MultiGzDecoder` (used for other inputs in [`super::compress`]) stops
//! at the first corrupt member, losing every record after it. This reader reports a corrupt
//! member once, as an error of kind `InvalidData` carrying [`CorruptMember`], then scans the
//! compressed bytes for the next gzip member header and goes on. The framers treat that error
//! as a reject and resynchronise on the next record.

use std::io::{self, BufRead, Read};

/// The error payload for a skipped corrupt member: the framer recognises it as recoverable.
#[derive(Debug)]
pub struct CorruptMember(pub String);

impl std::fmt::Display for CorruptMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "corrupt gzip member ({}); skipped to the next member",
            self.0
        )
    }
}

impl std::error::Error for CorruptMember {}

/// True when `e` came from a skipped corrupt member (reading may go on).
pub fn is_recoverable(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<CorruptMember>())
}

/// A `BufRead` that knows how many bytes were consumed through it, so the reader can tell
/// whether a failed member made any progress.
struct Tracked<R> {
    inner: R,
    pos: u64,
}

impl<R: BufRead> Read for Tracked<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Tracked<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.pos += n as u64;
        self.inner.consume(n);
    }
}

enum State<R: BufRead> {
    Between(Tracked<R>),
    /// A member being decoded, and where it started.
    Member(Box<flate2::bufread::GzDecoder<Tracked<R>>>, u64),
    Poisoned,
}

/// Decompresses a gzip stream member by member; see the module documentation.
pub struct GzMembers<R: BufRead> {
    state: State<R>,
    /// Set after reporting a corrupt member and until a member decodes cleanly, so false header
    /// matches inside the damaged region do not produce a cascade of errors.
    quiet: bool,
}

impl<R: BufRead> GzMembers<R> {
    /// Reads the gzip stream in `raw`.
    pub fn new(raw: R) -> Self {
        GzMembers {
            state: State::Between(Tracked { inner: raw, pos: 0 }),
            quiet: false,
        }
    }
}

/// Consumes bytes up to the next `1f 8b 08` (gzip magic and deflate method); `false` at end.
fn seek_member(raw: &mut impl BufRead) -> io::Result<bool> {
    loop {
        let buf = raw.fill_buf()?;
        if buf.is_empty() {
            return Ok(false);
        }
        match memchr::memchr(0x1f, buf) {
            None => {
                let n = buf.len();
                raw.consume(n);
            }
            Some(i) => {
                if buf.len() >= i + 3 {
                    if buf[i + 1] == 0x8b && buf[i + 2] == 0x08 {
                        raw.consume(i);
                        return Ok(true);
                    }
                    raw.consume(i + 1);
                } else {
                    // The candidate straddles the buffer end; a header split exactly here is
                    // missed, costing one more member of an already damaged region.
                    raw.consume(i + 1);
                }
            }
        }
    }
}

impl<R: BufRead> Read for GzMembers<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            match std::mem::replace(&mut self.state, State::Poisoned) {
                State::Poisoned => return Ok(0),
                State::Between(mut raw) => {
                    let at_member = raw.fill_buf()?.starts_with(&[0x1f, 0x8b]);
                    if at_member {
                        let start = raw.pos;
                        self.state =
                            State::Member(Box::new(flate2::bufread::GzDecoder::new(raw)), start);
                        continue;
                    }
                    if raw.fill_buf()?.is_empty() {
                        self.state = State::Between(raw);
                        return Ok(0);
                    }
                    // Bytes between members that are not a member: skip them, once reported.
                    let found = seek_member(&mut raw)?;
                    self.state = State::Between(raw);
                    if !self.quiet {
                        self.quiet = true;
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            CorruptMember("bytes between members are not gzip".into()),
                        ));
                    }
                    if !found {
                        return Ok(0);
                    }
                }
                State::Member(mut dec, start) => match dec.read(out) {
                    Ok(0) => {
                        self.quiet = false;
                        self.state = State::Between(dec.into_inner());
                    }
                    Ok(n) => {
                        self.state = State::Member(dec, start);
                        return Ok(n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                        self.state = State::Member(dec, start);
                    }
                    Err(e) => {
                        let mut raw = dec.into_inner();
                        // If the decoder consumed nothing (a header it could not parse), step
                        // off this magic so the scan makes progress; a member that failed at its
                        // end (bad CRC) may leave us exactly at the next member, which we keep.
                        if raw.pos == start {
                            raw.consume(1);
                        }
                        let _ = seek_member(&mut raw);
                        self.state = State::Between(raw);
                        if !self.quiet {
                            self.quiet = true;
                            return Err(io::Error::new(
                                io::ErrorKind::InvalidData,
                                CorruptMember(e.to_string()),
                            ));
                        }
                    }
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn skips_a_corrupt_member_and_reads_the_rest() {
        let a = gz(b"first member\n");
        let mut b = gz(&b"second member, damaged\n".repeat(20));
        let mid = b.len() / 2;
        for x in &mut b[mid - 4..mid + 4] {
            *x ^= 0x5a;
        }
        let c = gz(b"third member\n");
        let all = [a, b, c].concat();
        let mut r = GzMembers::new(io::BufReader::new(&all[..]));
        let mut out = Vec::new();
        let mut errors = 0;
        let mut buf = [0u8; 7];
        loop {
            match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => {
                    assert!(is_recoverable(&e));
                    errors += 1;
                }
            }
        }
        assert_eq!(errors, 1);
        let text = String::from_utf8_lossy(&out);
        assert!(text.starts_with("first member\n"));
        assert!(text.ends_with("third member\n"), "{text}");
    }
}
