//! Transparent (de)compression: gzip (including multi-member files such as per-record gzipped
//! WARCs) and zstd, chosen by the file's magic bytes rather than its name, so a mislabelled file
//! still reads. Reading goes member by member through [`super::members`], which releases only
//! verified members and reports damaged ones; xz and bzip2 are recognised and refused with one
//! clear error.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::Compression;

use super::members::{Codec, LargeMembers, MemberReader};

const XZ_MAGIC: [u8; 6] = [0xfd, b'7', b'z', b'X', b'Z', 0x00];
const BZIP2_MAGIC: [u8; 3] = *b"BZh";
const UTF8_BOM: [u8; 3] = [0xef, 0xbb, 0xbf];

/// Counts bytes read from the underlying file into a shared counter, for progress and MB/s.
pub struct CountingReader<R> {
    inner: R,
    counter: Arc<AtomicU64>,
    /// The content hash of the file being read, when the run wants one (`super::content_hash`).
    tap: Option<Arc<super::content_hash::TapSink>>,
}

impl<R: Read> CountingReader<R> {
    /// Wraps `inner`, adding every byte read to `counter`.
    pub fn new(inner: R, counter: Arc<AtomicU64>) -> Self {
        let tap = super::content_hash::tap_for(&counter);
        CountingReader {
            inner,
            counter,
            tap,
        }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        if let Some(tap) = &self.tap {
            tap.update(&buf[..n]);
        }
        Ok(n)
    }
}

impl<R: Seek> Seek for CountingReader<R> {
    /// Re-read bytes (after a damaged member) count again: the counter measures reading work.
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// Opens `path` and returns a buffered reader of its decompressed bytes. gzip and zstd are read
/// member by member ([`MemberReader`]): a damaged member or frame is one error for which
/// [`super::members::is_recoverable`] is true, and reading may go on after it. This is the
/// opener for every input, crawl files included; `large` says how members too large to hold
/// until verified are read.
pub fn open_decompressed(
    path: &Path,
    counter: Arc<AtomicU64>,
    large: LargeMembers,
) -> io::Result<Box<dyn BufRead + Send>> {
    let mut file = File::open(path)?;
    let mut head = Vec::with_capacity(8);
    (&mut file).take(8).read_to_end(&mut head)?;
    file.rewind()?;
    let raw = CountingReader::new(file, counter);
    if let Some(codec) = Codec::sniff(&head) {
        let dec = MemberReader::new(raw, codec, large);
        return Ok(Box::new(BufReader::with_capacity(1 << 16, dec)));
    }
    let unsupported = if head.starts_with(&XZ_MAGIC) {
        Some("xz")
    } else if head.starts_with(&BZIP2_MAGIC)
        && head.get(3).is_some_and(|l| (b'1'..=b'9').contains(l))
    {
        Some("bzip2")
    } else {
        None
    };
    if let Some(name) = unsupported {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "the file is {name}-compressed, which gleaner does not read; decompress it or recompress it with zstd or gzip"
            ),
        ));
    }
    Ok(Box::new(BufReader::with_capacity(1 << 16, raw)))
}

/// Consumes a UTF-8 byte order mark at the start of `reader`; true when there was one. (A first
/// buffer shorter than the mark, e.g. a first gzip member of one or two bytes, is left as is.)
pub fn skip_utf8_bom(reader: &mut dyn BufRead) -> io::Result<bool> {
    let bom = reader.fill_buf()?.starts_with(&UTF8_BOM);
    if bom {
        reader.consume(UTF8_BOM.len());
    }
    Ok(bom)
}

/// Strips a compression suffix (`.gz`, `.zst`, `.zstd`) from a file name.
pub fn strip_compression_suffix(name: &str) -> &str {
    for suffix in [".gz", ".zst", ".zstd"] {
        if let Some(stem) = name.strip_suffix(suffix) {
            return stem;
        }
    }
    name
}

/// Wraps `w` in a compressing writer. Call [`finish`](CompressedWriter::finish) to flush the
/// frame trailer; dropping without finishing leaves a truncated stream (by design: only finished
/// files are renamed into place).
pub enum CompressedWriter<W: Write> {
    /// No compression.
    Plain(W),
    /// Gzip.
    Gz(flate2::write::GzEncoder<W>),
    /// Zstandard.
    Zst(zstd::stream::write::Encoder<'static, W>),
}

impl<W: Write> CompressedWriter<W> {
    /// A writer compressing with `c` at `level`.
    pub fn new(w: W, c: Compression, level: i32) -> io::Result<Self> {
        Ok(match c {
            Compression::None => CompressedWriter::Plain(w),
            Compression::Gz => CompressedWriter::Gz(flate2::write::GzEncoder::new(
                w,
                flate2::Compression::new(level.clamp(0, 9) as u32),
            )),
            Compression::Zst => CompressedWriter::Zst(zstd::stream::write::Encoder::new(w, level)?),
        })
    }

    /// Flushes all pending output and returns the inner writer.
    pub fn finish(self) -> io::Result<W> {
        match self {
            CompressedWriter::Plain(mut w) => {
                w.flush()?;
                Ok(w)
            }
            CompressedWriter::Gz(e) => e.finish(),
            CompressedWriter::Zst(e) => e.finish(),
        }
    }
}

impl<W: Write> Write for CompressedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            CompressedWriter::Plain(w) => w.write(buf),
            CompressedWriter::Gz(w) => w.write(buf),
            CompressedWriter::Zst(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            CompressedWriter::Plain(w) => w.write_all(buf),
            CompressedWriter::Gz(w) => w.write_all(buf),
            CompressedWriter::Zst(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            CompressedWriter::Plain(w) => w.flush(),
            CompressedWriter::Gz(w) => w.flush(),
            CompressedWriter::Zst(w) => w.flush(),
        }
    }
}
