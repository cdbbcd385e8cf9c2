//! Tokenizers and training-ready output: what turns kept text into token ids.
//!
//! * [`Tokenizer`]: tiktoken's `cl100k_base` and `o200k_base` (vocabularies built into the binary
//!   by the `bpe-openai` crate, no download at run time) or any Hugging Face `tokenizer.json` by
//!   path (the `tokenizers` crate). Ids are those of tiktoken's `encode_ordinary` and of
//!   `tokenizers`' `encode(text, add_special_tokens=False)`: special tokens are never read out of
//!   the text; the output adds them between documents as configured ([`TokenOutputConfig`]).
//! * [`megatron`]: Megatron-LM's indexed dataset (`.bin` + `.idx`), written and read.
//! * [`shuffle`]: the document-level global shuffle: per input file, sorted runs of tokenized
//!   documents keyed by a seeded hash, spilled within the memory budget; at the end one merge of
//!   every run into the shards.
//!
//! Loaded tokenizers are shared ([`load`]): a pipeline's `token_count` stage and its output name
//! the same one by the same spec, and a `tokenizer.json` is parsed once per run.

mod bytelevel;
pub mod megatron;
mod pretokenize;
pub mod shuffle;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A loaded tokenizer.
pub struct Tokenizer {
    /// What the pipeline named it by (`cl100k_base`, or the tokenizer.json path).
    spec: String,
    kind: Kind,
}

enum Kind {
    /// A tiktoken encoding: the BPE of `bpe-openai` behind tiktoken's pre-tokenizer.
    Tiktoken {
        bpe: &'static bpe_openai::Tokenizer,
        pre: pretokenize::Pretokenizer,
        /// Special tokens and their ids, as tiktoken defines them.
        specials: &'static [(&'static str, u32)],
    },
    /// A Hugging Face tokenizer.json: the `tokenizers` crate, and the fast path when the model
    /// is one it reproduces (byte-level BPE); texts it declines go to the crate.
    HuggingFace {
        model: Box<tokenizers::Tokenizer>,
        fast: Option<Box<bytelevel::ByteLevelBpe>>,
    },
}

/// tiktoken's special tokens of `cl100k_base` (tiktoken_ext/openai_public.py, tiktoken 0.12).
const CL100K_SPECIALS: &[(&str, u32)] = &[
    ("<|endoftext|>", 100257),
    ("<|fim_prefix|>", 100258),
    ("<|fim_middle|>", 100259),
    ("<|fim_suffix|>", 100260),
    ("<|endofprompt|>", 100276),
];

/// tiktoken's special tokens of `o200k_base` (same source).
const O200K_SPECIALS: &[(&str, u32)] = &[("<|endoftext|>", 199999), ("<|endofprompt|>", 200018)];

/// The built-in encodings, by name.
pub const BUILTIN: &[&str] = &["cl100k_base", "o200k_base"];

impl Tokenizer {
    fn open(spec: &str) -> Result<Tokenizer> {
        let kind = match spec {
            "cl100k_base" => Kind::Tiktoken {
                bpe: bpe_openai::cl100k_base(),
                pre: pretokenize::Pretokenizer::cl100k()?,
                specials: CL100K_SPECIALS,
            },
            "o200k_base" => Kind::Tiktoken {
                bpe: bpe_openai::o200k_base(),
                pre: pretokenize::Pretokenizer::o200k()?,
                specials: O200K_SPECIALS,
            },
            path if path.ends_with(".json") || Path::new(path).is_file() => {
                let cannot = |e: &dyn std::fmt::Display| {
                    Error::Config(format!("tokenizer {path}: cannot load tokenizer.json: {e}"))
                };
                let text = std::fs::read_to_string(path).map_err(|e| cannot(&e))?;
                let model: tokenizers::Tokenizer = text.parse().map_err(|e| cannot(&e))?;
                let json: serde_json::Value =
                    serde_json::from_str(&text).map_err(|e| cannot(&e))?;
                Kind::HuggingFace {
                    model: Box::new(model),
                    fast: bytelevel::ByteLevelBpe::from_json(&json).map(Box::new),
                }
            }
            other => {
                return Err(Error::Config(format!(
                    "unknown tokenizer {other:?}: name one of {} or the path of a Hugging Face tokenizer.json",
                    BUILTIN.join(", ")
                )));
            }
        };
        Ok(Tokenizer {
            spec: spec.to_string(),
            kind,
        })
    }

    /// The name or path the tokenizer was loaded by.
    pub fn spec(&self) -> &str {
        &self.spec
    }

    /// Ids of `text`, appended to `out`. Special-token text in `text` is encoded as ordinary
    /// text, as tiktoken's `encode_ordinary` does.
    pub fn encode_into(&self, text: &str, out: &mut Vec<u32>) {
        match &self.kind {
            Kind::Tiktoken { bpe, pre, .. } => self.with_piece_cache(|cache| {
                for piece in pre.split(text) {
                    encode_cached_piece(cache, piece.as_bytes(), out, |bytes, out| {
                        out.extend(bpe.bpe.encode_via_backtracking(bytes))
                    });
                }
            }),
            Kind::HuggingFace { model, fast } => {
                if let Some(fast) = fast {
                    let start = out.len();
                    let done = self.with_piece_cache(|cache| {
                        fast.pieces(text, |piece| {
                            encode_cached_piece(cache, piece, out, |bytes, out| {
                                fast.encode_piece(bytes, out)
                            })
                        })
                    });
                    if done {
                        return;
                    }
                    out.truncate(start);
                }
                // The byte-level models used for pretraining encode any text; a model that cannot
                // (a word-level vocabulary without an unknown token) yields no ids, not a panic.
                if let Ok(enc) = model.encode_fast(text, false) {
                    out.extend_from_slice(enc.get_ids());
                }
            }
        }
    }

    /// Calls `f` with this thread's piece cache of this tokenizer.
    fn with_piece_cache<R>(&self, f: impl FnOnce(&mut PieceCache) -> R) -> R {
        PIECES.with(|cell| {
            let mut caches = cell.borrow_mut();
            let me = self as *const Tokenizer as usize;
            let at = match caches.iter().position(|(t, _)| *t == me) {
                Some(at) => at,
                None => {
                    caches.push((me, FxHashMap::default()));
                    caches.len() - 1
                }
            };
            f(&mut caches[at].1)
        })
    }

    /// Ids of `text`.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::with_capacity(text.len() / 4 + 1);
        self.encode_into(text, &mut out);
        out
    }

    /// How many ids `text` encodes to, reusing the ids of the last text this thread encoded
    /// with this tokenizer when it is the same text (see [`encode_cached`](Self::encode_cached)).
    pub fn count(&self, text: &str) -> u64 {
        self.with_cached(text, |ids| ids.len() as u64)
    }

    /// Calls `f` with the ids of `text`. The ids of the last text each thread encoded are kept:
    /// a document counted by a `token_count` stage and written as tokens in the same task is
    /// tokenized once, and one that a later stage rewrote is tokenized again.
    pub fn encode_cached<R>(&self, text: &str, f: impl FnOnce(&[u32]) -> R) -> R {
        self.with_cached(text, f)
    }

    fn with_cached<R>(&self, text: &str, f: impl FnOnce(&[u32]) -> R) -> R {
        let key = (
            self as *const Tokenizer as usize,
            xxhash_rust::xxh3::xxh3_128(text.as_bytes()),
            text.len(),
        );
        LAST_ENCODED.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.0 != key {
                slot.1.clear();
                self.encode_into(text, &mut slot.1);
                slot.0 = key;
            }
            f(&slot.1)
        })
    }

    /// The text of `ids`: the inverse of [`encode`](Self::encode) (bytes that are not UTF-8 on
    /// their own, as a token cut inside a character, become U+FFFD); special tokens by name.
    pub fn decode(&self, ids: &[u32]) -> String {
        match &self.kind {
            Kind::Tiktoken { bpe, specials, .. } => {
                let mut bytes = Vec::new();
                for &id in ids {
                    if (id as usize) < bpe.bpe.num_tokens() {
                        bytes.extend_from_slice(bpe.bpe.token_bytes(id));
                    } else if let Some((name, _)) = specials.iter().find(|(_, s)| *s == id) {
                        bytes.extend_from_slice(name.as_bytes());
                    }
                }
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Kind::HuggingFace { model, .. } => model.decode(ids, false).unwrap_or_default(),
        }
    }

    /// The id of special token `name` (`<|endoftext|>`, `</s>`, …), if the tokenizer has it.
    pub fn special_id(&self, name: &str) -> Option<u32> {
        match &self.kind {
            Kind::Tiktoken { specials, .. } => {
                specials.iter().find(|(n, _)| *n == name).map(|(_, id)| *id)
            }
            Kind::HuggingFace { model, .. } => model.token_to_id(name),
        }
    }

    /// One more than the largest id the tokenizer can produce (its vocabulary with specials).
    pub fn vocab_size(&self) -> u64 {
        match &self.kind {
            Kind::Tiktoken { bpe, specials, .. } => {
                let max_special = specials.iter().map(|(_, id)| *id as u64 + 1).max();
                (bpe.bpe.num_tokens() as u64).max(max_special.unwrap_or(0))
            }
            Kind::HuggingFace { model, .. } => model.get_vocab_size(true) as u64,
        }
    }

    /// The bytes of token `id` of a tiktoken encoding (None for other tokenizers or ids out of
    /// range). Writes tiktoken's own vocabulary file back out ([`write_tiktoken_vocab`]).
    fn tiktoken_token_bytes(&self, id: u32) -> Option<&[u8]> {
        match &self.kind {
            Kind::Tiktoken { bpe, .. } if (id as usize) < bpe.bpe.num_tokens() => {
                Some(bpe.bpe.token_bytes(id))
            }
            _ => None,
        }
    }
}

/// Pieces longer than this (in bytes) are not cached: long pieces rarely repeat.
const MAX_CACHED_PIECE: usize = 24;

/// Pieces cached per thread and tokenizer at most (a few MB); the cache starts over when full.
const MAX_CACHED_PIECES: usize = 1 << 16;

/// The ids of pieces one thread encoded with one tokenizer. Why: most pieces of text are words
/// that recur, and a hash lookup costs a fraction of a BPE encode (bench/tokens).
type PieceCache = FxHashMap<Box<[u8]>, Box<[u32]>>;

/// Per tokenizer (by address), this thread's [`PieceCache`].
type PieceCaches = Vec<(usize, PieceCache)>;

/// Appends the ids of `piece` to `out`: from `cache`, else by `encode`, caching short pieces.
fn encode_cached_piece(
    cache: &mut PieceCache,
    piece: &[u8],
    out: &mut Vec<u32>,
    encode: impl FnOnce(&[u8], &mut Vec<u32>),
) {
    if piece.len() > MAX_CACHED_PIECE {
        encode(piece, out);
    } else if let Some(ids) = cache.get(piece) {
        out.extend_from_slice(ids);
    } else {
        let start = out.len();
        encode(piece, out);
        if cache.len() >= MAX_CACHED_PIECES {
            cache.clear();
        }
        cache.insert(piece.into(), out[start..].into());
    }
}

thread_local! {
    static PIECES: RefCell<PieceCaches> = const { RefCell::new(Vec::new()) };

    /// (tokenizer address, xxh3-128 of the text, its length) and the ids of the last text this
    /// thread encoded.
    static LAST_ENCODED: RefCell<((usize, u128, usize), Vec<u32>)> =
        const { RefCell::new(((0, 0, 0), Vec::new())) };
}

/// The tokenizer named by `spec` (a built-in encoding or a tokenizer.json path), loaded once per
/// process and shared.
pub fn load(spec: &str) -> Result<Arc<Tokenizer>> {
    static LOADED: OnceLock<Mutex<HashMap<String, Arc<Tokenizer>>>> = OnceLock::new();
    let loaded = LOADED.get_or_init(Default::default);
    if let Some(t) = loaded.lock().unwrap_or_else(|e| e.into_inner()).get(spec) {
        return Ok(t.clone());
    }
    let t = Arc::new(Tokenizer::open(spec)?);
    let mut map = loaded.lock().unwrap_or_else(|e| e.into_inner());
    Ok(map.entry(spec.to_string()).or_insert(t).clone())
}

/// Writes a built-in encoding's vocabulary as tiktoken's `.tiktoken` file (base64 of each
/// token's bytes, a space, its rank, a newline), byte for byte the file tiktoken downloads — so
/// tiktoken in Python can be given the very vocabulary gleaner ships (`TIKTOKEN_CACHE_DIR`),
/// and its hash check proves the two are the same.
pub fn write_tiktoken_vocab(spec: &str, out: &mut impl std::io::Write) -> Result<()> {
    use data_encoding::BASE64;
    let t = load(spec)?;
    if !matches!(t.kind, Kind::Tiktoken { .. }) {
        return Err(Error::Config(format!(
            "{spec} is not a tiktoken encoding; name one of {}",
            BUILTIN.join(", ")
        )));
    }
    let mut id = 0u32;
    let mut buf = Vec::new();
    while let Some(bytes) = t.tiktoken_token_bytes(id) {
        buf.extend_from_slice(BASE64.encode(bytes).as_bytes());
        buf.extend_from_slice(format!(" {id}\n").as_bytes());
        id += 1;
    }
    out.write_all(&buf)
        .map_err(|e| Error::Output(format!("writing the {spec} vocabulary: {e}")))
}

/// `[output.tokens]`: how `format = "tokens"` turns kept documents into token shards.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TokenOutputConfig {
    /// A built-in encoding: `cl100k_base` or `o200k_base`.
    pub tokenizer: String,
    /// A Hugging Face `tokenizer.json` instead (relative to the pipeline file); wins over
    /// `tokenizer` when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokenizer_file: Option<String>,
    /// Special token appended to every document (as Megatron-LM's `--append-eod` does), or `""`
    /// for none.
    pub eos: String,
    /// Special token put before every document, or `""` for none.
    pub bos: String,
    /// Shuffle documents across all shards (seeded, deterministic); `false` keeps input order.
    pub shuffle: bool,
    /// Seed of the shuffle: the same seed and input give the same order.
    pub seed: u64,
}

impl Default for TokenOutputConfig {
    fn default() -> Self {
        TokenOutputConfig {
            tokenizer: "cl100k_base".into(),
            tokenizer_file: None,
            eos: "<|endoftext|>".into(),
            bos: String::new(),
            shuffle: true,
            seed: 0,
        }
    }
}

impl TokenOutputConfig {
    /// What [`load`] is given: the file when set, else the built-in name.
    pub fn spec(&self) -> &str {
        self.tokenizer_file.as_deref().unwrap_or(&self.tokenizer)
    }
}

/// One document of a token shard, read back.
pub struct ShardDocument {
    /// Its id, from the shard's `.ids` file.
    pub id: String,
    /// Its ids as written, special tokens included.
    pub ids: Vec<u32>,
    /// Its text: the ids decoded without the special tokens the output put around it.
    pub text: String,
}

/// Calls `f` on every document of the token shard `idx_path` (`STEM.idx`, its `.bin` and
/// `.ids`), in shard order, until `f` returns `false` (then returns `false`). `cfg` is the
/// `[output.tokens]` of the run that wrote it (its tokenizer decodes the text).
pub fn for_each_shard_document(
    idx_path: &Path,
    cfg: &TokenOutputConfig,
    f: &mut dyn FnMut(ShardDocument) -> bool,
) -> Result<bool> {
    use std::io::BufRead;
    let encoder = DocumentEncoder::new(cfg)?;
    let mut reader = megatron::ShardReader::open(idx_path)?;
    let ids_path = idx_path.with_extension(&crate::executor::layout::TOKEN_IDS_EXT[1..]);
    let ids_file = std::fs::File::open(&ids_path).map_err(|e| Error::io(&ids_path, e))?;
    let mut lines = std::io::BufReader::new(ids_file).lines();
    for index in 0..reader.len() {
        let line = lines
            .next()
            .transpose()
            .map_err(|e| Error::io(&ids_path, e))?;
        let id = line
            .and_then(|l| serde_json::from_str::<(String, u64)>(&l).ok())
            .map(|(id, _)| id)
            .ok_or_else(|| {
                Error::Input(format!(
                    "{}: line {} does not name document {index} of the shard",
                    ids_path.display(),
                    index + 1
                ))
            })?;
        let ids = reader.document(index)?;
        let mut body = &ids[..];
        if let (Some(bos), [first, rest @ ..]) = (encoder.bos, body)
            && *first == bos
        {
            body = rest;
        }
        if let (Some(eos), [rest @ .., last]) = (encoder.eos, body)
            && *last == eos
        {
            body = rest;
        }
        let text = encoder.tokenizer.decode(body);
        if !f(ShardDocument { id, ids, text }) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A tokenizer with the special tokens a token output puts around each document.
pub struct DocumentEncoder {
    /// The tokenizer.
    pub tokenizer: Arc<Tokenizer>,
    bos: Option<u32>,
    eos: Option<u32>,
}

impl DocumentEncoder {
    /// Loads the tokenizer and looks its special tokens up, naming any it lacks.
    pub fn new(cfg: &TokenOutputConfig) -> Result<Self> {
        let tokenizer = load(cfg.spec())?;
        let special = |name: &str, what: &str| -> Result<Option<u32>> {
            if name.is_empty() {
                return Ok(None);
            }
            tokenizer.special_id(name).map(Some).ok_or_else(|| {
                Error::Config(format!(
                    "[output.tokens] {what} = {name:?}: tokenizer {} has no such token (set {what} = \"\" for none)",
                    cfg.spec()
                ))
            })
        };
        let bos = special(&cfg.bos, "bos")?;
        let eos = special(&cfg.eos, "eos")?;
        Ok(DocumentEncoder {
            tokenizer,
            bos,
            eos,
        })
    }

    /// Appends a document's ids, with its special tokens, to `out`; returns how many.
    pub fn encode_document(&self, text: &str, out: &mut Vec<u32>) -> usize {
        let start = out.len();
        out.extend(self.bos);
        self.tokenizer
            .encode_cached(text, |ids| out.extend_from_slice(ids));
        out.extend(self.eos);
        out.len() - start
    }
}

#[cfg(test)]
mod tests;
