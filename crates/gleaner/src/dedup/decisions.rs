//! The per-document answers of a dedup stage, on disk, looked up by position during `process`.
//!
//! Clustering writes two files in the stage's work directory: `decisions.bin`, one fixed-width
//! [`Decision`] per clustered document sorted by input position, and `payloads.bin`, one small
//! [`Payload`] per cluster and role (what a removed member says about its kept document, and what
//! the kept document lists about its copies), which decisions point into. In memory stay only a
//! bitmap of clustered positions (one bit per input record, so documents without copies are
//! answered without I/O) and the position of every [`BLOCK`]-th decision; a clustered document
//! costs one positioned read of a block and one of its payload. Memory therefore does not grow
//! with cluster sizes: a cluster of two million copies takes 16 KiB of block index.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;
use xxhash_rust::xxh3::xxh3_64;

use super::runfile::{FixedRecord, RunReader};
use crate::error::{Error, Result};

/// Decisions per block of the in-memory index (24 B each, so a lookup reads 3 KiB).
const BLOCK: usize = 128;

/// File name of the sorted decisions.
pub(crate) const DECISIONS_FILE: &str = "decisions.bin";
/// File name of the payloads decisions point into.
pub(crate) const PAYLOADS_FILE: &str = "payloads.bin";

/// One clustered document: where it is, a hash of its id (guarding against a position shared by
/// different documents, e.g. when a caller did not set positions), and its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Decision {
    pub position: u64,
    pub id_hash: u64,
    pub payload: u64,
}

impl Decision {
    pub fn id_hash(id: &str) -> u64 {
        xxh3_64(id.as_bytes())
    }
}

impl FixedRecord for Decision {
    const SIZE: usize = 24;
    fn write_to(&self, out: &mut [u8]) {
        out[0..8].copy_from_slice(&self.position.to_le_bytes());
        out[8..16].copy_from_slice(&self.id_hash.to_le_bytes());
        out[16..24].copy_from_slice(&self.payload.to_le_bytes());
    }
    fn read_from(b: &[u8]) -> Self {
        let word = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
        Decision {
            position: word(0),
            id_hash: word(8),
            payload: word(16),
        }
    }
}

/// What a clustered document needs to know about its cluster.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Payload {
    /// A copy: the cluster, its size and the id of the kept document.
    Removed {
        cluster: u32,
        size: u32,
        kept_id: String,
    },
    /// The kept document: the cluster, its size and the first copies (`[{"id","url"}]`).
    Kept {
        cluster: u32,
        size: u32,
        listed: Value,
    },
    /// A copy of a document in a dedup index (`against`): the index, the earlier document's id
    /// and URL (empty when the index holds none).
    Against {
        index: String,
        kept_id: String,
        kept_url: String,
    },
}

/// Header bytes of a payload: kind, cluster, size, body length.
const PAYLOAD_HEADER: usize = 13;

/// Appends payloads to `payloads.bin` (temp file, renamed on [`PayloadWriter::finish`]).
pub(crate) struct PayloadWriter {
    tmp: PathBuf,
    dest: PathBuf,
    out: BufWriter<File>,
    offset: u64,
}

impl PayloadWriter {
    pub fn create(dir: &Path) -> Result<Self> {
        let dest = dir.join(PAYLOADS_FILE);
        let tmp = dest.with_extension("tmp");
        let f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        Ok(PayloadWriter {
            tmp,
            dest,
            out: BufWriter::with_capacity(256 * 1024, f),
            offset: 0,
        })
    }

    /// Writes `payload`; returns its offset.
    pub fn write(&mut self, payload: &Payload) -> Result<u64> {
        let (kind, cluster, size, body) = match payload {
            Payload::Removed {
                cluster,
                size,
                kept_id,
            } => (0u8, *cluster, *size, kept_id.clone().into_bytes()),
            Payload::Kept {
                cluster,
                size,
                listed,
            } => (1u8, *cluster, *size, listed.to_string().into_bytes()),
            Payload::Against {
                index,
                kept_id,
                kept_url,
            } => {
                let body = serde_json::json!([index, kept_id, kept_url]).to_string();
                (2u8, 0, 0, body.into_bytes())
            }
        };
        let mut head = [0u8; PAYLOAD_HEADER];
        head[0] = kind;
        head[1..5].copy_from_slice(&cluster.to_le_bytes());
        head[5..9].copy_from_slice(&size.to_le_bytes());
        head[9..13].copy_from_slice(&(body.len() as u32).to_le_bytes());
        let at = self.offset;
        self.out
            .write_all(&head)
            .and_then(|()| self.out.write_all(&body))
            .map_err(|e| Error::io(&self.tmp, e))?;
        self.offset += (PAYLOAD_HEADER + body.len()) as u64;
        Ok(at)
    }

    pub fn finish(mut self) -> Result<()> {
        self.out.flush().map_err(|e| Error::io(&self.tmp, e))?;
        drop(self.out);
        std::fs::rename(&self.tmp, &self.dest).map_err(|e| Error::io(&self.dest, e))
    }
}

/// The lookup side: the bitmap, the block index and the two files.
#[derive(Debug)]
pub(crate) struct Decisions {
    decisions_path: PathBuf,
    decisions: File,
    payloads_path: PathBuf,
    payloads: File,
    count: u64,
    /// Position of decision `k * BLOCK`, for every block.
    block_first: Vec<u64>,
    /// Per input file (the high bits of a position), a bitmap of clustered record indices.
    clustered: Vec<(u64, Vec<u64>)>,
}

impl Decisions {
    /// Opens the files clustering left in `dir`, streaming the decisions once to build the index.
    pub fn open(dir: &Path) -> Result<Decisions> {
        let decisions_path = dir.join(DECISIONS_FILE);
        let payloads_path = dir.join(PAYLOADS_FILE);
        let mut reader = RunReader::<Decision>::open(&decisions_path)?;
        let mut count = 0u64;
        let mut block_first = Vec::new();
        let mut clustered: Vec<(u64, Vec<u64>)> = Vec::new();
        while let Some(d) = reader.next_record()? {
            if count.is_multiple_of(BLOCK as u64) {
                block_first.push(d.position);
            }
            count += 1;
            let (file, record) = (d.position >> 40, d.position & ((1 << 40) - 1));
            if clustered.last().is_none_or(|(f, _)| *f != file) {
                clustered.push((file, Vec::new()));
            }
            let bits = &mut clustered.last_mut().expect("pushed above").1;
            let word = (record / 64) as usize;
            if bits.len() <= word {
                bits.resize(word + 1, 0);
            }
            bits[word] |= 1 << (record % 64);
        }
        let open = |p: &Path| File::open(p).map_err(|e| Error::io(p, e));
        Ok(Decisions {
            decisions: open(&decisions_path)?,
            payloads: open(&payloads_path)?,
            decisions_path,
            payloads_path,
            count,
            block_first,
            clustered,
        })
    }

    /// Number of clustered documents (kept and removed).
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Bytes this index holds in memory (block index and bitmaps).
    pub fn resident_bytes(&self) -> usize {
        self.block_first.capacity() * 8
            + self
                .clustered
                .iter()
                .map(|(_, b)| 16 + b.capacity() * 8)
                .sum::<usize>()
    }

    fn is_clustered(&self, position: u64) -> bool {
        let (file, record) = (position >> 40, position & ((1 << 40) - 1));
        let Ok(i) = self.clustered.binary_search_by_key(&file, |(f, _)| *f) else {
            return false;
        };
        let bits = &self.clustered[i].1;
        bits.get((record / 64) as usize)
            .is_some_and(|w| w & (1 << (record % 64)) != 0)
    }

    /// The payload of the document at `position` with id `id`, `None` if it has no copies.
    pub fn lookup(&self, position: u64, id: &str) -> Result<Option<Payload>> {
        if !self.is_clustered(position) {
            return Ok(None);
        }
        let block = self.block_first.partition_point(|&p| p <= position);
        let Some(block) = block.checked_sub(1) else {
            return Ok(None);
        };
        // A run of equal positions may start in the block before.
        let start = if block > 0 && self.block_first[block] == position {
            self.block_first[..block]
                .partition_point(|&p| p < position)
                .max(1)
                - 1
        } else {
            block
        };
        let first = (start * BLOCK) as u64;
        let end = ((block + 1) * BLOCK).min(self.count as usize) as u64;
        let mut buf = vec![0u8; (end - first) as usize * Decision::SIZE];
        read_exact_at(
            &self.decisions,
            &self.decisions_path,
            &mut buf,
            first * Decision::SIZE as u64,
        )?;
        let id_hash = Decision::id_hash(id);
        let found = buf
            .chunks_exact(Decision::SIZE)
            .map(Decision::read_from)
            .find(|d| d.position == position && d.id_hash == id_hash);
        match found {
            Some(d) => self.payload(d.payload).map(Some),
            None => Ok(None),
        }
    }

    fn payload(&self, offset: u64) -> Result<Payload> {
        let mut head = [0u8; PAYLOAD_HEADER];
        read_exact_at(&self.payloads, &self.payloads_path, &mut head, offset)?;
        let word = |i: usize| u32::from_le_bytes(head[i..i + 4].try_into().unwrap_or_default());
        let (cluster, size, len) = (word(1), word(5), word(9));
        let mut body = vec![0u8; len as usize];
        read_exact_at(
            &self.payloads,
            &self.payloads_path,
            &mut body,
            offset + PAYLOAD_HEADER as u64,
        )?;
        let corrupt = || Error::Stage {
            stage: "dedup".into(),
            message: format!(
                "{}: corrupt payload at byte {offset}",
                self.payloads_path.display()
            ),
        };
        Ok(match head[0] {
            0 => Payload::Removed {
                cluster,
                size,
                kept_id: String::from_utf8(body).map_err(|_| corrupt())?,
            },
            1 => Payload::Kept {
                cluster,
                size,
                listed: serde_json::from_slice(&body).map_err(|_| corrupt())?,
            },
            2 => {
                let (index, kept_id, kept_url): (String, String, String) =
                    serde_json::from_slice(&body).map_err(|_| corrupt())?;
                Payload::Against {
                    index,
                    kept_id,
                    kept_url,
                }
            }
            _ => return Err(corrupt()),
        })
    }
}

/// Positioned read of exactly `buf.len()` bytes (no shared cursor, so `process` threads can read
/// the same file at once).
fn read_exact_at(file: &File, path: &Path, buf: &mut [u8], offset: u64) -> Result<()> {
    if read_at(file, path, buf, offset)? < buf.len() {
        return Err(Error::Stage {
            stage: "dedup".into(),
            message: format!("{}: truncated at byte {offset}", path.display()),
        });
    }
    Ok(())
}

/// Positioned read of up to `buf.len()` bytes, fewer only at the end of the file.
pub(crate) fn read_at(file: &File, path: &Path, buf: &mut [u8], offset: u64) -> Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match read_at_once(file, &mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Ok(filled)
}

#[cfg(unix)]
fn read_at_once(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at_once(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}
