//! Megatron-LM's indexed dataset: token ids in `STEM.bin`, their index in `STEM.idx`.
//!
//! The layout is the one `megatron/core/datasets/indexed_dataset.py` (`_IndexWriter`,
//! `_IndexReader`) writes and reads, all little-endian:
//!
//! ```text
//! .idx: b"MMIDIDX\x00\x00"            9-byte magic
//!       u64 version = 1
//!       u8  dtype code                 (DType: uint8 1, int8 2, int16 3, int32 4, int64 5,
//!                                       float64 6, float32 7, uint16 8)
//!       u64 sequence_count
//!       u64 document_count             = documents + 1
//!       i32 × sequence_count           tokens per sequence
//!       i64 × sequence_count           byte offset of each sequence in .bin
//!       i64 × document_count           document_indices: 0, then the end (in sequences) of each
//! .bin: the ids of every sequence, back to back, in the dtype
//! ```
//!
//! gleaner writes one sequence per document (its text's ids with the configured special
//! tokens), as Megatron's `preprocess_data.py` does without sentence splitting, so
//! `document_indices` is `0, 1, …, n`. The id type follows Megatron's `DType.optimal_dtype`:
//! uint16 when the vocabulary has fewer than 65,500 entries, else int32 (the layout has no
//! uint32 code; int32 holds every id of a vocabulary under 2³¹). Beside each pair, `STEM.ids`
//! lists the documents in shard order (a JSON line `["id", tokens]` each), so tokens can be traced back
//! to their source.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::executor::layout;
use crate::io::AtomicFile;

/// The 9-byte magic at the start of every `.idx`.
pub const INDEX_MAGIC: &[u8; 9] = b"MMIDIDX\x00\x00";
/// The only index version Megatron reads.
pub const INDEX_VERSION: u64 = 1;

/// Megatron's `DType.optimal_dtype` bound: vocabularies under it use uint16.
const UINT16_CARDINALITY: u64 = 65_500;

/// The integer type of the ids in a `.bin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdType {
    /// uint16, Megatron dtype code 8.
    U16,
    /// int32, Megatron dtype code 4.
    I32,
}

impl IdType {
    /// The id type for a vocabulary of `vocab_size` ids (Megatron's rule).
    pub fn for_vocab(vocab_size: u64) -> Self {
        if vocab_size < UINT16_CARDINALITY {
            IdType::U16
        } else {
            IdType::I32
        }
    }

    /// Megatron's dtype code.
    pub fn code(self) -> u8 {
        match self {
            IdType::U16 => 8,
            IdType::I32 => 4,
        }
    }

    /// Bytes per id.
    pub fn size(self) -> usize {
        match self {
            IdType::U16 => 2,
            IdType::I32 => 4,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            8 => Some(IdType::U16),
            4 => Some(IdType::I32),
            _ => None,
        }
    }
}

/// Limits at which a shard is closed and the next begun; a document is never split.
#[derive(Debug, Clone, Copy)]
pub struct ShardLimits {
    /// Bytes of `.bin`.
    pub max_bytes: u64,
    /// Documents.
    pub max_docs: u64,
}

/// One shard being written.
struct OpenShard {
    bin: AtomicFile,
    ids: AtomicFile,
    lengths: Vec<u32>,
    bytes: u64,
}

/// Writes documents' ids into `DIR/tokens-SSSS.{bin,idx,ids}`, each file atomic.
pub struct MegatronWriter {
    dir: PathBuf,
    id_type: IdType,
    limits: ShardLimits,
    current: Option<OpenShard>,
    next_seq: u32,
    scratch: Vec<u8>,
    /// Shards finished: their `.bin` paths.
    pub written: Vec<PathBuf>,
    /// Ids written, special tokens included.
    pub tokens: u64,
}

impl MegatronWriter {
    /// A writer into `dir`; nothing is created until the first document.
    pub fn new(dir: &Path, id_type: IdType, limits: ShardLimits) -> Self {
        MegatronWriter {
            dir: dir.to_path_buf(),
            id_type,
            limits,
            current: None,
            next_seq: 0,
            scratch: Vec::new(),
            written: Vec::new(),
            tokens: 0,
        }
    }

    /// Appends one document (its ids, special tokens included) named `id`.
    pub fn push(&mut self, id: &str, ids: &[u32]) -> Result<()> {
        if self.current.is_none() {
            let stem = layout::token_shard_stem(self.next_seq);
            self.next_seq += 1;
            self.current = Some(OpenShard {
                bin: AtomicFile::create(
                    &self.dir.join(format!("{stem}{}", layout::TOKEN_BIN_EXT)),
                )?,
                ids: AtomicFile::create(
                    &self.dir.join(format!("{stem}{}", layout::TOKEN_IDS_EXT)),
                )?,
                lengths: Vec::new(),
                bytes: 0,
            });
        }
        self.scratch.clear();
        match self.id_type {
            IdType::U16 => {
                for &t in ids {
                    // The vocabulary has fewer than 65,500 ids, so every id fits.
                    self.scratch.extend_from_slice(&(t as u16).to_le_bytes());
                }
            }
            IdType::I32 => {
                for &t in ids {
                    self.scratch.extend_from_slice(&(t as i32).to_le_bytes());
                }
            }
        }
        let shard = self.current.as_mut().expect("opened above");
        shard
            .bin
            .write_all(&self.scratch)
            .map_err(|e| Error::io(shard.bin.dest(), e))?;
        let mut line = serde_json::to_vec(&(id, ids.len())).expect("serialises");
        line.push(b'\n');
        shard
            .ids
            .write_all(&line)
            .map_err(|e| Error::io(shard.ids.dest(), e))?;
        shard.lengths.push(ids.len() as u32);
        shard.bytes += self.scratch.len() as u64;
        self.tokens += ids.len() as u64;
        if shard.bytes >= self.limits.max_bytes
            || shard.lengths.len() as u64 >= self.limits.max_docs
        {
            self.close()?;
        }
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        let Some(shard) = self.current.take() else {
            return Ok(());
        };
        let bin_path = shard.bin.dest().to_path_buf();
        let idx_path = bin_path.with_extension(&layout::TOKEN_IDX_EXT[1..]);
        let mut idx = AtomicFile::create(&idx_path)?;
        idx.write_all(&index_bytes(self.id_type, &shard.lengths))
            .map_err(|e| Error::io(&idx_path, e))?;
        // The .idx goes last: a reader that finds it finds its .bin complete.
        shard.ids.commit()?;
        shard.bin.commit()?;
        idx.commit()?;
        self.written.push(bin_path);
        Ok(())
    }

    /// Closes the last shard; returns the `.bin` paths written, in order.
    pub fn finish(mut self) -> Result<Vec<PathBuf>> {
        self.close()?;
        Ok(self.written)
    }
}

/// The `.idx` of a shard whose documents have `lengths` ids each (one sequence per document).
pub fn index_bytes(id_type: IdType, lengths: &[u32]) -> Vec<u8> {
    let n = lengths.len() as u64;
    let mut out = Vec::with_capacity(34 + lengths.len() * 20 + 8);
    out.extend_from_slice(INDEX_MAGIC);
    out.extend_from_slice(&INDEX_VERSION.to_le_bytes());
    out.push(id_type.code());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(n + 1).to_le_bytes());
    for &len in lengths {
        out.extend_from_slice(&(len as i32).to_le_bytes());
    }
    let mut pointer = 0i64;
    for &len in lengths {
        out.extend_from_slice(&pointer.to_le_bytes());
        pointer += len as i64 * id_type.size() as i64;
    }
    for doc in 0..=n {
        out.extend_from_slice(&(doc as i64).to_le_bytes());
    }
    out
}

/// A shard opened for reading: its index in memory (12 bytes per document), its ids read from
/// the `.bin` one document at a time, so a tool can visit a 512 MiB shard without holding it.
/// It reads the layout as Megatron's `_IndexReader` does and checks what it can (magic,
/// version, dtype, sizes, document indices; pointers when a document is read).
pub struct ShardReader {
    idx_path: PathBuf,
    id_type: IdType,
    lengths: Vec<u32>,
    pointers: Vec<u64>,
    bin: std::fs::File,
}

impl ShardReader {
    /// Opens `STEM.idx` and its `STEM.bin`.
    pub fn open(idx_path: &Path) -> Result<Self> {
        let bad = |what: &str| Error::Input(format!("{}: {what}", idx_path.display()));
        let idx = std::fs::read(idx_path).map_err(|e| Error::io(idx_path, e))?;
        let bin_path = idx_path.with_extension(&layout::TOKEN_BIN_EXT[1..]);
        let bin = std::fs::File::open(&bin_path).map_err(|e| Error::io(&bin_path, e))?;
        if idx.len() < 34 || &idx[..9] != INDEX_MAGIC {
            return Err(bad("not a Megatron index (magic)"));
        }
        let u64_at = |at: usize| -> Result<u64> {
            idx.get(at..at + 8)
                .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
                .ok_or_else(|| bad("index is truncated"))
        };
        if u64_at(9)? != INDEX_VERSION {
            return Err(bad("unsupported index version"));
        }
        let id_type = IdType::from_code(idx[17]).ok_or_else(|| bad("unsupported dtype code"))?;
        let sequences = u64_at(18)? as usize;
        let documents = u64_at(26)? as usize;
        let lengths_at = 34;
        let pointers_at = lengths_at + 4 * sequences;
        let docs_at = pointers_at + 8 * sequences;
        if idx.len() != docs_at + 8 * documents {
            return Err(bad("index size does not match its counts"));
        }
        let lengths = (0..sequences)
            .map(|s| {
                let at = lengths_at + 4 * s;
                i32::from_le_bytes(idx[at..at + 4].try_into().expect("4 bytes")) as u32
            })
            .collect();
        let pointers = (0..sequences)
            .map(|s| u64_at(pointers_at + 8 * s))
            .collect::<Result<_>>()?;
        for d in 0..documents {
            if u64_at(docs_at + 8 * d)? != d as u64 {
                return Err(bad("document indices are not one sequence per document"));
            }
        }
        Ok(ShardReader {
            idx_path: idx_path.to_path_buf(),
            id_type,
            lengths,
            pointers,
            bin,
        })
    }

    /// How many documents (sequences) the shard holds.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    /// Whether the shard holds no document.
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// The ids of document `index` (in shard order).
    pub fn document(&mut self, index: usize) -> Result<Vec<u32>> {
        use std::io::{Read, Seek, SeekFrom};
        let bad = |what: &str| Error::Input(format!("{}: {what}", self.idx_path.display()));
        let (Some(&len), Some(&ptr)) = (self.lengths.get(index), self.pointers.get(index)) else {
            return Err(bad("no such document"));
        };
        let mut bytes = vec![0u8; len as usize * self.id_type.size()];
        self.bin
            .seek(SeekFrom::Start(ptr))
            .and_then(|_| self.bin.read_exact(&mut bytes))
            .map_err(|_| bad("pointer beyond .bin"))?;
        Ok(match self.id_type {
            IdType::U16 => bytes
                .chunks_exact(2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]) as u32)
                .collect(),
            IdType::I32 => bytes
                .chunks_exact(4)
                .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u32)
                .collect(),
        })
    }
}

/// A shard read back whole: every document's ids, in order. For tests and tools.
pub fn read_shard(idx_path: &Path) -> Result<Vec<Vec<u32>>> {
    let mut reader = ShardReader::open(idx_path)?;
    (0..reader.len()).map(|d| reader.document(d)).collect()
}
