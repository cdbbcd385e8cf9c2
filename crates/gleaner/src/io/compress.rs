//! Transparent (de)compression: gzip (including multi-member files such as per-record gzipped
//! WARCs) and zstd, chosen by the file's magic bytes rather than its name, so a mislabelled file
//! still reads.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::Compression;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

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

/// Opens `path` and returns a buffered reader of its decompressed bytes.
pub fn open_decompressed(
    path: &Path,
    counter: Arc<AtomicU64>,
) -> io::Result<Box<dyn BufRead + Send>> {
    let file = File::open(path)?;
    let mut raw = BufReader::with_capacity(1 << 16, CountingReader::new(file, counter));
    let head = raw.fill_buf()?;
    if head.starts_with(&GZIP_MAGIC) {
        let dec = flate2::bufread::MultiGzDecoder::new(raw);
        Ok(Box::new(BufReader::with_capacity(1 << 16, dec)))
    } else if head.starts_with(&ZSTD_MAGIC) {
        let dec = zstd::stream::read::Decoder::with_buffer(raw)?;
        Ok(Box::new(BufReader::with_capacity(1 << 16, dec)))
    } else {
        Ok(Box::new(raw))
    }
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
