//! One batch of one input file: decode the raw records, run the pass's stages, write the outcome.
//!
//! With JSON-lines output (the default) each document is decoded, run through every stage of the
//! pass and encoded as an output line by one task, on one thread, one small chunk of documents
//! at a time; only the ordered appending of the encoded chunks to the shards (and the rejects
//! file) is left to the file's own thread. Doing all three steps while a document's text is
//! still in the core's cache, and freeing it on the thread that allocated it, is what keeps the
//! engine's own cost small beside decompression: phase by phase over a whole batch, every step
//! read the batch back from memory. Parquet output, whose writer builds column arrays itself,
//! takes the phase-by-phase route.

use std::ops::Range;

use rayon::prelude::*;

use super::MAX_BATCH_BYTES;
use super::passes::{PassPlan, RunContext};
use crate::document::Document;
use crate::error::{Error, Result};
use crate::io::{
    AtomicFile, EncodedRows, InputFile, OutRow, RawRecord, RawStream, Reject, RowEncoding,
    ShardWriter,
};
use crate::pipeline::{DocOutcome, Pipeline};
use crate::stats::{RunStats, StageStats};
use crate::tokens::shuffle::{TokenBatch, TokenSpill, shuffle_key};
use crate::tokens::{DocumentEncoder, TokenOutputConfig};

/// What one input file's pass writes to, and its stats so far.
pub(super) struct FileOutputs {
    pub(super) stats: RunStats,
    pub(super) kept: ShardWriter,
    pub(super) removed: Option<ShardWriter>,
    pub(super) audit: Option<ShardWriter>,
    pub(super) rejects: Option<AtomicFile>,
    /// With `format = "tokens"`, in the last pass: the kept documents' ids on their way to
    /// sorted runs (the kept writer then gets nothing).
    pub(super) tokens: Option<TokenSpill>,
    /// Encode buffers already written out, for the next batch's chunks.
    pub(super) spare: SpareBuffers,
}

/// Encode buffers kept for reuse. Why: a chunk's fresh buffer is fresh memory, and the kernel
/// zeroing its pages on first touch showed as the largest source of page faults in a
/// read → normalize → write run; a batch's chunks return theirs once written.
#[derive(Default)]
pub(super) struct SpareBuffers(std::sync::Mutex<Vec<EncodedRows>>);

/// Buffers kept at most: about a batch's worth of chunks (a default batch of 1024 news articles
/// makes ~60, each buffer ~100 KiB).
const MAX_SPARE_BUFFERS: usize = 96;

/// Larger buffers are not kept: a chunk holding one huge document (up to `max_record_bytes`)
/// needs a buffer as large, and a pool of such would hold gigabytes for the rest of the file.
const MAX_SPARE_BUFFER_BYTES: usize = 1 << 20;

impl SpareBuffers {
    /// An empty buffer with room for `bytes` in `rows` rows.
    fn take(&self, bytes: usize, rows: usize) -> EncodedRows {
        let fits = EncodedRows::room_for(bytes, rows);
        let spare = self.0.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match spare {
            // Growing an empty buffer would copy its old contents anyway (realloc), so one too
            // small is replaced, not grown.
            Some(mut e) if e.capacity() >= fits => {
                e.reserve(bytes, rows);
                e
            }
            _ => EncodedRows::with_capacity(bytes, rows),
        }
    }

    fn give_back(&self, buffers: impl IntoIterator<Item = EncodedRows>) {
        let mut spare = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for mut e in buffers {
            if spare.len() >= MAX_SPARE_BUFFERS {
                break;
            }
            // Buffers not kept are dropped here.
            if e.capacity() > 0 && e.capacity() <= MAX_SPARE_BUFFER_BYTES {
                e.clear();
                spare.push(e);
            }
        }
    }
}

/// Bytes of input records one task takes through decode → stages → encode at a time: small
/// enough that a chunk's documents stay in a core's L2 cache from decoding to encoding, large
/// enough that an uncompressed chunk goes to the file in one write (the shard's buffer is
/// 64 KiB, and writes at least that large bypass it) and a batch still spreads over every thread.
const CHUNK_BYTES: usize = 64 << 10;

/// Documents one task takes at most, whatever their size (per-chunk costs are then noise).
const CHUNK_DOCS: usize = 256;

/// What one chunk of records became.
struct ChunkOutcome {
    rejects: Vec<Reject>,
    stages: Vec<StageStats>,
    docs: u64,
    text_bytes: u64,
    kept: EncodedRows,
    kept_bytes: u64,
    /// Removed documents are counted whether or not they are written (`write_removed`).
    removed_docs: u64,
    removed: EncodedRows,
    removed_bytes: u64,
    audit: EncodedRows,
    /// Kept documents tokenized for token shards.
    tokens: TokenBatch,
}

/// What `format = "tokens"` needs per document: the encoder and the shuffle.
pub(super) struct TokenOutput {
    pub(super) encoder: DocumentEncoder,
    pub(super) shuffle: bool,
    pub(super) seed: u64,
}

impl TokenOutput {
    pub(super) fn new(cfg: &TokenOutputConfig) -> Result<Self> {
        Ok(TokenOutput {
            encoder: DocumentEncoder::new(cfg)?,
            shuffle: cfg.shuffle,
            seed: cfg.seed,
        })
    }
}

/// How the writers of a pass want their rows, known before the chunks are processed.
#[derive(Clone, Copy)]
struct Encodings {
    kept: RowEncoding,
    removed: Option<RowEncoding>,
    audit: Option<RowEncoding>,
}

impl RunContext<'_> {
    /// Decodes one batch of raw records, runs the pass's stages on it and writes the outcome.
    pub(super) fn process_batch(
        &self,
        pipeline: &Pipeline,
        plan: &PassPlan,
        file: &InputFile,
        raw: Vec<RawRecord>,
        out: &mut FileOutputs,
    ) -> Result<()> {
        let lines = |w: &ShardWriter| w.options().encodes_lines();
        if lines(&out.kept)
            && out.removed.as_ref().is_none_or(lines)
            && out.audit.as_ref().is_none_or(lines)
        {
            self.process_batch_fused(pipeline, plan, file, raw, out)
        } else {
            self.process_batch_by_phase(pipeline, plan, file, raw, out)
        }
    }

    /// The JSON-lines route: chunks of records decoded, processed and encoded by one task each.
    fn process_batch_fused(
        &self,
        pipeline: &Pipeline,
        plan: &PassPlan,
        file: &InputFile,
        raw: Vec<RawRecord>,
        out: &mut FileOutputs,
    ) -> Result<()> {
        let last = plan.pass + 1 == plan.npasses;
        let enc = Encodings {
            kept: out.kept.options().encoding,
            removed: out.removed.as_ref().map(|w| w.options().encoding),
            audit: out.audit.as_ref().map(|w| w.options().encoding),
        };
        let chunks = split_chunks(raw);
        let spare = &out.spare;
        let tokens = out
            .tokens
            .is_some()
            .then_some(self.tokens.as_ref())
            .flatten();
        let outcomes: Vec<ChunkOutcome> = chunks
            .into_par_iter()
            .map(|chunk| {
                let range = plan.range.clone();
                process_chunk(pipeline, range, last, enc, tokens, spare, chunk)
            })
            .collect();
        let stats = &mut out.stats;
        let mut docs = 0;
        for c in &outcomes {
            for reject in &c.rejects {
                self.write_reject(&mut out.rejects, file.index, reject)?;
                count_reject(stats, reject);
            }
            if plan.pass == 0 {
                stats.input.docs += c.docs;
                stats.input.text_bytes += c.text_bytes;
            }
            docs += c.docs;
            for (a, b) in stats.stages.iter_mut().zip(&c.stages) {
                a.merge(b);
            }
            if last {
                stats.output.kept_docs += (c.kept.len() + c.tokens.len()) as u64;
                stats.output.kept_bytes += c.kept_bytes;
                stats.output.kept_tokens += c.tokens.token_count();
            }
            stats.output.removed_docs += c.removed_docs;
            stats.output.removed_bytes += c.removed_bytes;
        }
        self.progress
            .docs_done
            .fetch_add(docs, std::sync::atomic::Ordering::Relaxed);
        out.kept.write_encoded(outcomes.iter().map(|c| &c.kept))?;
        if let Some(spill) = out.tokens.as_mut() {
            for c in &outcomes {
                spill.add(&c.tokens)?;
            }
        }
        if let Some(w) = out.removed.as_mut() {
            w.write_encoded(outcomes.iter().map(|c| &c.removed))?;
        }
        if let Some(w) = out.audit.as_mut() {
            w.write_encoded(outcomes.iter().map(|c| &c.audit))?;
        }
        out.spare.give_back(
            outcomes
                .into_iter()
                .flat_map(|c| [c.kept, c.removed, c.audit]),
        );
        Ok(())
    }

    /// The general route, one phase at a time over the whole batch: decode every record, run
    /// the stages on every document, then hand the rows to the writers. Not taken with
    /// `format = "tokens"`, whose writers all write JSON lines.
    fn process_batch_by_phase(
        &self,
        pipeline: &Pipeline,
        plan: &PassPlan,
        file: &InputFile,
        raw: Vec<RawRecord>,
        out: &mut FileOutputs,
    ) -> Result<()> {
        let last = plan.pass + 1 == plan.npasses;
        let stats = &mut out.stats;
        let decoded: Vec<std::result::Result<Document, Reject>> =
            raw.into_par_iter().map(RawRecord::decode).collect();
        let mut batch = Vec::with_capacity(decoded.len());
        for item in decoded {
            match item {
                Ok(doc) => {
                    if plan.pass == 0 {
                        stats.input.docs += 1;
                        stats.input.text_bytes += doc.text.len() as u64;
                    }
                    batch.push(doc);
                }
                Err(reject) => {
                    self.write_reject(&mut out.rejects, file.index, &reject)?;
                    count_reject(stats, &reject);
                }
            }
        }
        if batch.is_empty() {
            return Ok(());
        }
        self.progress
            .docs_done
            .fetch_add(batch.len() as u64, std::sync::atomic::Ordering::Relaxed);
        let (outcomes, batch_stats) = pipeline.run_batch(plan.range.clone(), batch);
        for (a, b) in stats.stages.iter_mut().zip(&batch_stats) {
            a.merge(b);
        }
        let mut kept_rows = Vec::with_capacity(outcomes.len());
        let mut removed_rows = Vec::new();
        let mut audit_rows = Vec::new();
        for outcome in &outcomes {
            match outcome {
                DocOutcome::Kept(doc) => {
                    if last {
                        stats.output.kept_docs += 1;
                        stats.output.kept_bytes += doc.text.len() as u64;
                        if !doc.edits.is_empty() {
                            audit_rows.push(audit_row(doc));
                        }
                    }
                    kept_rows.push(kept_row(doc));
                }
                DocOutcome::Removed(r) => {
                    stats.output.removed_docs += 1;
                    stats.output.removed_bytes += r.document.text.len() as u64;
                    removed_rows.push(removed_row(&r.document, &r.reason));
                }
            }
        }
        out.kept.write_batch(&kept_rows)?;
        if let Some(w) = out.removed.as_mut() {
            w.write_batch(&removed_rows)?;
        }
        if let Some(w) = out.audit.as_mut() {
            w.write_batch(&audit_rows)?;
        }
        Ok(())
    }

    fn write_reject(
        &self,
        out: &mut Option<AtomicFile>,
        file: usize,
        reject: &Reject,
    ) -> Result<()> {
        use std::io::Write;
        if out.is_none() {
            *out = Some(AtomicFile::create(&self.work.rejects_path(file))?);
        }
        let f = out.as_mut().expect("created above");
        let mut line = serde_json::to_vec(reject).expect("reject serialises");
        line.push(b'\n');
        f.write_all(&line).map_err(|e| Error::io(f.dest(), e))
    }
}

/// Decodes, processes and encodes one chunk of records, in order. Pure: runs on any thread.
fn process_chunk(
    pipeline: &Pipeline,
    range: Range<usize>,
    last: bool,
    enc: Encodings,
    tokens: Option<&TokenOutput>,
    spare: &SpareBuffers,
    chunk: Vec<RawRecord>,
) -> ChunkOutcome {
    let bytes: usize = chunk.iter().map(RawRecord::size).sum();
    let mut c = ChunkOutcome {
        rejects: Vec::new(),
        stages: pipeline.empty_stats(),
        docs: 0,
        text_bytes: 0,
        // Most documents are usually kept: size for all of them, and grow the others on demand.
        kept: spare.take(bytes, chunk.len()),
        kept_bytes: 0,
        removed_docs: 0,
        removed: EncodedRows::default(),
        removed_bytes: 0,
        audit: EncodedRows::default(),
        tokens: TokenBatch::default(),
    };
    for record in chunk {
        let doc = match record.decode() {
            Ok(doc) => doc,
            Err(reject) => {
                c.rejects.push(reject);
                continue;
            }
        };
        c.docs += 1;
        c.text_bytes += doc.text.len() as u64;
        match pipeline.run_document(range.clone(), doc, &mut c.stages) {
            DocOutcome::Kept(doc) => {
                if last {
                    c.kept_bytes += doc.text.len() as u64;
                    if let Some(e) = enc.audit
                        && !doc.edits.is_empty()
                    {
                        c.audit.push(e, audit_row(&doc));
                    }
                }
                match tokens {
                    // Tokenized here, on the thread that just ran the stages: a token_count
                    // stage's ids of the same text are reused (`Tokenizer::encode_cached`).
                    Some(t) => {
                        let key = shuffle_key(doc.position, t.seed, t.shuffle);
                        c.tokens.push_with(key, &doc.id, |buf| {
                            t.encoder.encode_document(&doc.text, buf);
                        });
                    }
                    None => c.kept.push(enc.kept, kept_row(&doc)),
                }
            }
            DocOutcome::Removed(r) => {
                c.removed_docs += 1;
                c.removed_bytes += r.document.text.len() as u64;
                if let Some(e) = enc.removed {
                    c.removed.push(e, removed_row(&r.document, &r.reason));
                }
            }
        }
    }
    c
}

fn kept_row(doc: &Document) -> OutRow<'_> {
    OutRow {
        doc,
        removal: None,
        edits: None,
    }
}

fn audit_row(doc: &Document) -> OutRow<'_> {
    OutRow {
        doc,
        removal: None,
        edits: Some(&doc.edits),
    }
}

fn removed_row<'a>(doc: &'a Document, reason: &'a crate::document::Reason) -> OutRow<'a> {
    OutRow {
        doc,
        removal: Some(reason),
        edits: (!doc.edits.is_empty()).then_some(doc.edits.as_slice()),
    }
}

fn count_reject(stats: &mut RunStats, reject: &Reject) {
    stats.input.rejects += 1;
    *stats
        .input
        .rejects_by_kind
        .entry(reject.kind.clone())
        .or_insert(0) += 1;
}

/// Splits a batch into runs of at most [`CHUNK_BYTES`] (or [`CHUNK_DOCS`] records), in order.
/// The output does not depend on where the splits fall: chunks are written back in order.
fn split_chunks(raw: Vec<RawRecord>) -> Vec<Vec<RawRecord>> {
    let mut chunks = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0;
    for record in raw {
        bytes += record.size();
        current.push(record);
        if bytes >= CHUNK_BYTES || current.len() >= CHUNK_DOCS {
            chunks.push(std::mem::take(&mut current));
            bytes = 0;
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// Reads the next batch: up to `batch_size` records or [`MAX_BATCH_BYTES`], whichever comes
/// first. Returns the records and whether the stream is exhausted.
pub(super) fn read_batch(records: &mut RawStream, batch_size: usize) -> (Vec<RawRecord>, bool) {
    let mut raw = Vec::with_capacity(batch_size);
    let mut batch_bytes = 0usize;
    while raw.len() < batch_size.max(1) && batch_bytes < MAX_BATCH_BYTES {
        match records.next() {
            Some(r) => {
                batch_bytes += r.size();
                raw.push(r);
            }
            None => return (raw, true),
        }
    }
    (raw, false)
}
