//! The key files of a dedup index (`keys-pNNN.bin`, format v2): sorted `(key, node)` records,
//! packed so that a run against the index, which streams every key file, reads as few bytes as
//! possible.
//!
//! Records come in blocks of up to [`BLOCK`]. A block stores its first key whole and every other
//! key as its gap from the previous one, bit-packed at the width of the block's largest gap, then
//! the block's nodes bit-packed at the width of its largest node. Keys are uniform hashes, so the
//! gaps of `n` sorted keys take about `64 - log2(n)` bits (u64 band keys of a 4.5 M-key partition:
//! ~45 bits instead of 64), and nodes, entries of the index, about `log2(entries)` bits instead
//! of 32: 8.5 bytes per band-key record instead of 12.
//!
//! ```text
//! file   = "GLDXKEY2" u8(key bytes) block* end
//! block  = u8(count, 1..=128) u8(gap bits) u8(node bits) key(first, little endian)
//!          bits((count-1) gaps, then count nodes; least significant bit first, zero-padded to a byte)
//! end    = u8(0) u64(records in the file, little endian)
//! ```
//!
//! Hand-written: the crates that pack integers (`bitpacking`, Elias-Fano ones) handle 32-bit
//! values in fixed blocks of 128 or whole in-memory sequences, not 64- and 128-bit keys streamed
//! to and from disk. A truncated or damaged file is an error naming it; nothing in it can make
//! the reader panic or return keys out of order.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::index::{IndexKey, Keyed};
use crate::error::{Error, Result};

/// Records per block.
pub const BLOCK: usize = 128;
/// First bytes of a key file.
const MAGIC: &[u8; 8] = b"GLDXKEY2";
/// Read and write buffer.
const BUFFER: usize = 1 << 20;

fn damaged(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::Config(format!("dedup index key file {}: {what}", path.display()))
}

/// Bits needed for `v` (0 for 0).
fn width(v: u128) -> u32 {
    128 - v.leading_zeros()
}

/// Appends values of a fixed width to a byte vector, least significant bit first.
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u128,
    bits: u32,
}

impl BitWriter<'_> {
    fn put(&mut self, v: u128, w: u32) {
        // At most 7 bits wait in `acc`, so up to 121 fit at once; wider values go in two halves.
        if w > 64 {
            self.put(v & u64::MAX as u128, 64);
            self.put(v >> 64, w - 64);
            return;
        }
        if w == 0 {
            return;
        }
        self.acc |= (v & ((1u128 << w) - 1)) << self.bits;
        self.bits += w;
        while self.bits >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.bits -= 8;
        }
    }

    fn finish(self) {
        if self.bits > 0 {
            self.out.push(self.acc as u8);
        }
    }
}

/// Reads values of a fixed width from bytes padded with at least 16 zero bytes.
fn get_bits(buf: &[u8], pos: usize, w: u32) -> u128 {
    // One 16-byte load holds any 121 bits after a bit offset of at most 7.
    if w > 121 {
        return get_bits(buf, pos, 64) | (get_bits(buf, pos + 64, w - 64) << 64);
    }
    let byte = pos / 8;
    let mut word = [0u8; 16];
    word.copy_from_slice(&buf[byte..byte + 16]);
    (u128::from_le_bytes(word) >> (pos % 8)) & ((1u128 << w) - 1)
}

/// [`get_bits`] for widths up to 57, from one unaligned 8-byte load (the common case: band-key
/// gaps and nodes; decoding is most of what a run against an index spends on it).
#[inline]
fn get_small(buf: &[u8], pos: usize, w: u32) -> u64 {
    let byte = pos / 8;
    let mut word = [0u8; 8];
    word.copy_from_slice(&buf[byte..byte + 8]);
    (u64::from_le_bytes(word) >> (pos % 8)) & ((1u64 << w) - 1)
}

/// Bytes of a block's packed part.
fn packed_len(count: usize, gap_bits: u32, node_bits: u32) -> usize {
    ((count - 1) * gap_bits as usize + count * node_bits as usize).div_ceil(8)
}

/// Writes a key file: records pushed in (key, node) order, written to a temporary file renamed
/// into place by [`KeyFileWriter::finish`], so a key file that exists is complete.
pub struct KeyFileWriter<K> {
    tmp: PathBuf,
    dest: PathBuf,
    out: BufWriter<File>,
    block: Vec<Keyed<K>>,
    buf: Vec<u8>,
    records: u64,
    last: Option<Keyed<K>>,
}

impl<K: IndexKey> KeyFileWriter<K> {
    /// Starts the key file `dest`.
    pub fn create(dest: &Path) -> Result<Self> {
        let tmp = dest.with_extension("tmp");
        let f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let mut out = BufWriter::with_capacity(BUFFER, f);
        out.write_all(MAGIC)
            .and_then(|_| out.write_all(&[K::BYTES as u8]))
            .map_err(|e| Error::io(&tmp, e))?;
        Ok(KeyFileWriter {
            tmp,
            dest: dest.to_path_buf(),
            out,
            block: Vec::with_capacity(BLOCK),
            buf: Vec::new(),
            records: 0,
            last: None,
        })
    }

    /// Appends a record; records must come in (key, node) order.
    pub fn push(&mut self, rec: Keyed<K>) -> Result<()> {
        if self.last.is_some_and(|l| l.key > rec.key) {
            return Err(Error::Stage {
                stage: "dedup".into(),
                message: format!(
                    "{}: key {:?} written after {:?} (key files are sorted)",
                    self.dest.display(),
                    rec.key,
                    self.last.map(|l| l.key)
                ),
            });
        }
        self.last = Some(rec);
        self.block.push(rec);
        self.records += 1;
        if self.block.len() == BLOCK {
            self.flush_block()?;
        }
        Ok(())
    }

    fn flush_block(&mut self) -> Result<()> {
        let Some(first) = self.block.first() else {
            return Ok(());
        };
        let keys: Vec<u128> = self.block.iter().map(|r| r.key.widen()).collect();
        let gap_bits = keys
            .windows(2)
            .map(|w| width(w[1] - w[0]))
            .max()
            .unwrap_or(0);
        let node_bits = self
            .block
            .iter()
            .map(|r| width(r.node as u128))
            .max()
            .unwrap_or(0);
        self.buf.clear();
        self.buf
            .extend_from_slice(&[self.block.len() as u8, gap_bits as u8, node_bits as u8]);
        let mut key = [0u8; 16];
        first.key.put(&mut key);
        self.buf.extend_from_slice(&key[..K::BYTES]);
        let mut bits = BitWriter {
            out: &mut self.buf,
            acc: 0,
            bits: 0,
        };
        for w in keys.windows(2) {
            bits.put(w[1] - w[0], gap_bits);
        }
        for r in &self.block {
            bits.put(r.node as u128, node_bits);
        }
        bits.finish();
        self.out
            .write_all(&self.buf)
            .map_err(|e| Error::io(&self.tmp, e))?;
        self.block.clear();
        Ok(())
    }

    /// Writes the last block and the end, and moves the file into place; returns its records.
    pub fn finish(mut self) -> Result<u64> {
        self.flush_block()?;
        let mut end = [0u8; 9];
        end[1..].copy_from_slice(&self.records.to_le_bytes());
        self.out
            .write_all(&end)
            .and_then(|_| self.out.flush())
            .map_err(|e| Error::io(&self.tmp, e))?;
        drop(self.out);
        std::fs::rename(&self.tmp, &self.dest).map_err(|e| Error::io(&self.dest, e))?;
        Ok(self.records)
    }
}

/// Streams the records of a key file in order, checking each block as it is decoded.
pub struct KeyFileReader<K> {
    path: PathBuf,
    reader: BufReader<File>,
    /// Nodes must be below this (the index's entries or representatives).
    node_limit: u64,
    keys: Vec<K>,
    nodes: Vec<u32>,
    at: usize,
    records: u64,
    packed: Vec<u8>,
    ended: bool,
}

impl<K: IndexKey> KeyFileReader<K> {
    /// Opens `path`, whose nodes must be below `node_limit`.
    pub fn open(path: &Path, node_limit: u64) -> Result<Self> {
        let f = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut reader = BufReader::with_capacity(BUFFER, f);
        let mut head = [0u8; 9];
        read_full(&mut reader, path, &mut head)?;
        if &head[..8] != MAGIC {
            return Err(damaged(
                path,
                "not a key file of this gleaner (no GLDXKEY2 header); indexes of another \
                 version must be saved again",
            ));
        }
        if head[8] as usize != K::BYTES {
            return Err(damaged(
                path,
                format!("holds {}-byte keys, this stage {}", head[8], K::BYTES),
            ));
        }
        Ok(KeyFileReader {
            path: path.to_path_buf(),
            reader,
            node_limit,
            keys: Vec::with_capacity(BLOCK),
            nodes: Vec::with_capacity(BLOCK),
            at: 0,
            records: 0,
            packed: Vec::new(),
            ended: false,
        })
    }

    /// The next record, `None` after the last.
    #[inline]
    pub fn next_record(&mut self) -> Result<Option<Keyed<K>>> {
        if self.at == self.keys.len() && !self.read_block()? {
            return Ok(None);
        }
        let rec = Keyed {
            key: self.keys[self.at],
            node: self.nodes[self.at],
        };
        self.at += 1;
        Ok(Some(rec))
    }

    /// Decodes the next block; false at the end of the file.
    #[inline(never)]
    fn read_block(&mut self) -> Result<bool> {
        if self.ended {
            return Ok(false);
        }
        let path = self.path.clone();
        let mut head = [0u8; 3];
        read_full(&mut self.reader, &path, &mut head[..1])?;
        if head[0] == 0 {
            let mut count = [0u8; 8];
            read_full(&mut self.reader, &path, &mut count)?;
            let count = u64::from_le_bytes(count);
            if count != self.records {
                return Err(damaged(
                    &path,
                    format!("ends after {} records but says {count}", self.records),
                ));
            }
            let mut extra = [0u8; 1];
            if self
                .reader
                .read(&mut extra)
                .map_err(|e| Error::io(&path, e))?
                > 0
            {
                return Err(damaged(&path, "bytes after its end"));
            }
            self.ended = true;
            return Ok(false);
        }
        read_full(&mut self.reader, &path, &mut head[1..])?;
        let (count, gap_bits, node_bits) = (head[0] as usize, head[1] as u32, head[2] as u32);
        if count > BLOCK || gap_bits > (K::BYTES * 8) as u32 || node_bits > 32 {
            return Err(damaged(
                &path,
                format!(
                    "damaged block after {} records ({count} records, {gap_bits}-bit gaps, \
                     {node_bits}-bit nodes)",
                    self.records
                ),
            ));
        }
        let mut first = [0u8; 16];
        read_full(&mut self.reader, &path, &mut first[..K::BYTES])?;
        let len = packed_len(count, gap_bits, node_bits);
        self.packed.clear();
        self.packed.resize(len + 16, 0);
        read_full(&mut self.reader, &path, &mut self.packed[..len])?;
        let mut key = K::get(&first).widen();
        if self.keys.last().is_some_and(|&last| last.widen() > key) {
            return Err(damaged(
                &path,
                format!(
                    "damaged block after {} records (keys out of order)",
                    self.records
                ),
            ));
        }
        let max = K::get(&[0xff; 16]).widen();
        self.keys.clear();
        self.nodes.clear();
        self.keys.push(K::narrow(key));
        let mut pos = 0;
        for _ in 1..count {
            let gap = if gap_bits <= 57 {
                get_small(&self.packed, pos, gap_bits) as u128
            } else {
                get_bits(&self.packed, pos, gap_bits)
            };
            pos += gap_bits as usize;
            key = match key.checked_add(gap) {
                Some(k) if k <= max => k,
                _ => {
                    return Err(damaged(
                        &path,
                        format!(
                            "damaged block after {} records (key overflow)",
                            self.records
                        ),
                    ));
                }
            };
            self.keys.push(K::narrow(key));
        }
        for _ in 0..count {
            let node = get_small(&self.packed, pos, node_bits);
            pos += node_bits as usize;
            if node >= self.node_limit {
                return Err(damaged(
                    &path,
                    format!(
                        "names node {node} after {} records, beyond the index's {}",
                        self.records, self.node_limit
                    ),
                ));
            }
            self.nodes.push(node as u32);
        }
        self.records += count as u64;
        self.at = 0;
        Ok(true)
    }
}

/// Fills `buf` from `reader`; the end of the file before it is full is a truncated key file.
fn read_full(reader: &mut impl Read, path: &Path, buf: &mut [u8]) -> Result<()> {
    reader.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            damaged(
                path,
                "truncated (the file ends inside a block or before its end mark)",
            )
        } else {
            Error::io(path, e)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<K: IndexKey>(recs: &[Keyed<K>]) -> (Vec<Keyed<K>>, u64) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("keys-p000.bin");
        let mut w = KeyFileWriter::<K>::create(&path).unwrap();
        for &r in recs {
            w.push(r).unwrap();
        }
        assert_eq!(w.finish().unwrap(), recs.len() as u64);
        let size = std::fs::metadata(&path).unwrap().len();
        let mut r = KeyFileReader::<K>::open(&path, u32::MAX as u64 + 1).unwrap();
        let mut got = Vec::new();
        while let Some(k) = r.next_record().unwrap() {
            got.push(k);
        }
        assert!(r.next_record().unwrap().is_none());
        (got, size)
    }

    fn k64(key: u64, node: u32) -> Keyed<u64> {
        Keyed { key, node }
    }

    #[test]
    fn edge_cases_round_trip() {
        assert_eq!(round_trip::<u64>(&[]).0, vec![]);
        assert_eq!(round_trip(&[k64(42, 7)]).0, vec![k64(42, 7)]);
        // Equal keys (several representatives of one band key), nodes 0 and the largest.
        let equal = vec![k64(5, 0), k64(5, 3), k64(5, u32::MAX), k64(6, 1)];
        assert_eq!(round_trip(&equal).0, equal);
        // The largest gaps there are: 0 to u64::MAX, and 0 to u128::MAX.
        let extremes = vec![k64(0, 1), k64(u64::MAX, 2)];
        assert_eq!(round_trip(&extremes).0, extremes);
        let wide = vec![
            Keyed {
                key: 0u128,
                node: 9,
            },
            Keyed {
                key: 1u128 << 64,
                node: 0,
            },
            Keyed {
                key: u128::MAX,
                node: 4,
            },
        ];
        assert_eq!(round_trip(&wide).0, wide);
        // All keys at u64::MAX; more than one block.
        let top: Vec<_> = (0..300).map(|n| k64(u64::MAX, n)).collect();
        assert_eq!(round_trip(&top).0, top);
    }

    #[test]
    fn uniform_keys_round_trip_in_well_under_twelve_bytes_each() {
        let mut recs: Vec<Keyed<u64>> = (0..100_000u64)
            .map(|i| {
                k64(
                    xxhash_rust::xxh3::xxh3_64(&i.to_le_bytes()),
                    (i % 90_000) as u32,
                )
            })
            .collect();
        recs.sort();
        let (got, size) = round_trip(&recs);
        assert_eq!(got, recs);
        // Gaps of 100k uniform keys take ~49 bits, nodes below 90,000 17 bits: 66 bits, with
        // block headers ~8.3 bytes, against 12 unpacked.
        let per = size as f64 / recs.len() as f64;
        assert!(per < 8.6, "{per} bytes per record");
    }

    fn write(path: &Path, recs: &[Keyed<u64>]) {
        let mut w = KeyFileWriter::<u64>::create(path).unwrap();
        for &r in recs {
            w.push(r).unwrap();
        }
        w.finish().unwrap();
    }

    fn read_all(path: &Path, limit: u64) -> Result<Vec<Keyed<u64>>> {
        let mut r = KeyFileReader::<u64>::open(path, limit)?;
        let mut got = Vec::new();
        while let Some(k) = r.next_record()? {
            got.push(k);
        }
        Ok(got)
    }

    #[test]
    fn a_truncated_or_damaged_key_file_is_an_error_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("keys-p003.bin");
        // Three blocks, the last one partial.
        let recs: Vec<_> = (0..300u64).map(|i| k64(i * 977, (i % 50) as u32)).collect();
        write(&path, &recs);
        let whole = std::fs::read(&path).unwrap();
        // Cut at every length: inside the header, a block, at a block's end, inside the end mark.
        for cut in 0..whole.len() {
            std::fs::write(&path, &whole[..cut]).unwrap();
            let err = read_all(&path, 50).unwrap_err().to_string();
            assert!(err.contains("keys-p003.bin"), "cut {cut}: {err}");
        }
        // Every single byte flipped: an error naming the file, or records still sorted and in range.
        for at in 0..whole.len() {
            let mut bad = whole.clone();
            bad[at] ^= 0xa5;
            std::fs::write(&path, &bad).unwrap();
            match read_all(&path, 50) {
                Err(e) => assert!(e.to_string().contains("keys-p003.bin"), "byte {at}: {e}"),
                Ok(got) => {
                    assert!(got.windows(2).all(|w| w[0].key <= w[1].key), "byte {at}");
                    assert!(got.iter().all(|k| k.node < 50), "byte {at}");
                }
            }
        }
        // A node beyond the index's entries, and a file of another format.
        write(&path, &[k64(1, 60)]);
        let err = read_all(&path, 50).unwrap_err().to_string();
        assert!(err.contains("node 60"), "{err}");
        std::fs::write(&path, [0u8; 12 * 4]).unwrap();
        let err = read_all(&path, 50).unwrap_err().to_string();
        assert!(err.contains("saved again"), "{err}");
        // Keys out of order are refused when written.
        let mut w = KeyFileWriter::<u64>::create(&path).unwrap();
        w.push(k64(9, 0)).unwrap();
        assert!(w.push(k64(8, 0)).is_err());
    }
}
