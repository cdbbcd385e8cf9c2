"""Token shards against the reference tokenizers, on real documents.

``gleaner run`` with ``[output] format = "tokens"`` writes Megatron-LM indexed datasets; they are
read back here with numpy memmaps, following the layout Megatron's ``_IndexReader`` reads (not
gleaner's code), and every document's ids are compared with tiktoken's ``encode_ordinary``
(``cl100k_base``, ``o200k_base``) and with Hugging Face ``tokenizers`` (a byte-level BPE trained
here on the same real text), each followed by the end-of-text token, in the shuffled order the
``.ids`` files name. tiktoken runs offline on the vocabulary files gleaner ships
(``gleaner vocab``), which its SHA-256 check accepts only if they are OpenAI's files byte for byte.
"""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "bench" / "tokens"))
import corpus  # noqa: E402

TIKTOKEN_URL = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"
MEGATRON_DTYPES = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64, 8: np.uint16}


def read_megatron(prefix: Path):
    """(dtype code, [ids per document]) of one ``PREFIX.idx``/``PREFIX.bin`` pair."""
    idx = np.memmap(f"{prefix}.idx", dtype=np.uint8, mode="r")
    assert bytes(idx[:9]) == b"MMIDIDX\x00\x00"
    assert int(np.frombuffer(idx, np.uint64, 1, 9)[0]) == 1, "index version"
    code = int(idx[17])
    n_seq = int(np.frombuffer(idx, np.uint64, 1, 18)[0])
    n_doc = int(np.frombuffer(idx, np.uint64, 1, 26)[0])
    lengths = np.frombuffer(idx, np.int32, n_seq, 34)
    pointers = np.frombuffer(idx, np.int64, n_seq, 34 + 4 * n_seq)
    doc_index = np.frombuffer(idx, np.int64, n_doc, 34 + 12 * n_seq)
    assert len(idx) == 34 + 12 * n_seq + 8 * n_doc
    dtype = MEGATRON_DTYPES[code]
    data = np.memmap(f"{prefix}.bin", dtype=dtype, mode="r")
    size = np.dtype(dtype).itemsize
    docs = []
    for d in range(n_doc - 1):
        seqs = range(int(doc_index[d]), int(doc_index[d + 1]))
        ids = []
        for s in seqs:
            start = int(pointers[s]) // size
            ids += data[start : start + int(lengths[s])].tolist()
        docs.append(ids)
    return code, docs


def read_token_output(out: Path):
    """Every (id, ids) of a run's token shards in shard order, and the dtype codes seen."""
    codes, rows = set(), []
    for idx in sorted((out / "kept").glob("tokens-*.idx")):
        prefix = idx.with_suffix("")
        code, docs = read_megatron(prefix)
        codes.add(code)
        names = [json.loads(line) for line in open(f"{prefix}.ids", encoding="utf-8")]
        assert len(names) == len(docs)
        for (doc_id, n), ids in zip(names, docs):
            assert n == len(ids)
            rows.append((doc_id, ids))
    return codes, rows


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    docs, shared = corpus.real_documents()
    if shared:
        assert len(docs) >= 10_000, len(docs)
    else:
        print(f"note: {len(docs)} repository documents (no shared data: a lone clone)")
    inputs = corpus.write_jsonl(docs, tmp_path_factory.mktemp("tokens") / "in")
    return docs, inputs


def run_tokens(cli, tmp: Path, inputs: Path, tokens_table: str, count_table: str) -> Path:
    pipeline = tmp / "tokens.toml"
    pipeline.write_text(
        '[output]\nformat = "tokens"\nmax_bytes_per_shard = "8MiB"\n'
        f"[output.tokens]\nseed = 11\n{tokens_table}\n"
        f'[[stage]]\ntype = "token_count"\n{count_table}\n'
    )
    out = tmp / "out"
    p = subprocess.run(
        [str(cli), "run", str(pipeline), "-i", str(inputs), "-o", str(out), "-q", "-j", "2"],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stderr
    return out


def check_against(out: Path, docs, want_ids, eos: int, dtype_code: int):
    """The shards hold every document once, shuffled, each as `want_ids` + eos."""
    codes, rows = read_token_output(out)
    assert codes == {dtype_code}
    position = {doc_id: i for i, (doc_id, _) in enumerate(docs)}
    assert sorted(position[d] for d, _ in rows) == list(range(len(docs))), "every document once"
    order = [position[d] for d, _ in rows]
    assert order != sorted(order), "shuffled"
    mismatched = [d for d, ids in rows if ids != want_ids[position[d]] + [eos]]
    assert not mismatched, f"{len(mismatched)} of {len(rows)} documents differ, first {mismatched[:5]}"
    stats = json.loads((out / "stats.json").read_text())
    assert stats["stages"][0]["tokens_out"] == sum(len(w) for w in want_ids)
    assert stats["output"]["kept_tokens"] == sum(len(w) + 1 for w in want_ids)


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
def test_token_shards_match_tiktoken(cli, tmp_path, documents, name, monkeypatch):
    docs, inputs = documents
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    key = hashlib.sha1(TIKTOKEN_URL.format(name).encode()).hexdigest()
    subprocess.run([str(cli), "vocab", name, "-o", str(cache / key)], check=True)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    import tiktoken

    enc = tiktoken.get_encoding(name)  # checks the file's SHA-256 against OpenAI's
    want = enc.encode_ordinary_batch([t for _, t in docs], num_threads=2)
    out = run_tokens(cli, tmp_path, inputs, f'tokenizer = "{name}"', f'tokenizer = "{name}"')
    check_against(out, docs, want, enc.eot_token, 4)


def test_token_shards_match_huggingface_tokenizers(cli, tmp_path, documents):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    docs, inputs = documents
    texts = [t for _, t in docs]
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=8000,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts[::3], trainer)
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    want = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
    out = run_tokens(
        cli,
        tmp_path,
        inputs,
        f'tokenizer_file = "{path}"',
        f'tokenizer_file = "{path}"',
    )
    check_against(out, docs, want, tok.token_to_id("<|endoftext|>"), 8)
