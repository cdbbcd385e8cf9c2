"""Tokens per second per core: gleaner's tokenizers against tiktoken and Hugging Face tokenizers
(Python, batch encode), on the same real documents (bench/tokens/corpus.py), in one run.

Each side encodes every document once per round on ONE thread (tiktoken
``encode_ordinary_batch(num_threads=1)``; tokenizers ``encode_batch`` with RAYON_NUM_THREADS=1;
gleaner ``examples/tokenize_speed.rs``, which calls the same code the token_count stage and the
token writer call). Rounds alternate between the sides and the median is printed, as the 2-core
VM's speed drifts. tiktoken reads the vocabulary gleaner ships (``gleaner vocab``); the
tokenizer.json is a byte-level BPE trained here on the same text. Also timed: a whole
``gleaner run`` to shuffled token shards (read, tokenize, spill, merge, write) at -j 1 and -j 2.

Usage, from the repository root, with a virtualenv holding the pinned packages of
scripts/test-python (tiktoken, tokenizers, numpy, zstandard):
    VENV=/path/to/venv; $VENV/bin/python bench/tokens/speed.py [--rounds 5] [--no-build]
"""

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ["RAYON_NUM_THREADS"] = "1"  # before tokenizers is imported: one thread

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402

REPO = corpus.REPO
WORK = REPO / "target" / "bench-tokens"
URL = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"


def build():
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "gleaner-cli", "-p", "gleaner", "--bins", "--example", "tokenize_speed"],
        cwd=REPO,
        check=True,
    )
    return REPO / "target" / "release"


def gleaner_round(release: Path, spec: str, files) -> tuple[int, float]:
    p = subprocess.run(
        [str(release / "examples" / "tokenize_speed"), spec, *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    r = json.loads(p.stdout)
    return r["tokens"], r["seconds"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument(
        "--no-build",
        action="store_true",
        help="use the binaries already built (without a release gleaner CLI: its debug build for "
        "`gleaner vocab`, and no whole runs)",
    )
    args = ap.parse_args()
    release = REPO / "target" / "release" if args.no_build else build()
    cli = release / "gleaner"
    whole_runs = cli.exists()
    if not whole_runs:
        cli = REPO / "target" / "debug" / "gleaner"
    shutil.rmtree(WORK, ignore_errors=True)
    docs, shared = corpus.real_documents()
    texts = [t for _, t in docs]
    inputs = corpus.write_jsonl(docs, WORK / "in")
    files = sorted(inputs.glob("*.jsonl"))
    mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"{len(docs):,} documents, {mb:.1f} MB of text ({'shared data' if shared else 'repository sample'})")

    cache = WORK / "tiktoken-cache"
    cache.mkdir(parents=True)
    for name in ("cl100k_base", "o200k_base"):
        key = hashlib.sha1(URL.format(name).encode()).hexdigest()
        subprocess.run([str(cli), "vocab", name, "-o", str(cache / key)], check=True)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    import tiktoken
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        texts[::3],
        trainers.BpeTrainer(
            vocab_size=32000,
            special_tokens=["<|endoftext|>"],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        ),
    )
    tok_path = WORK / "tokenizer.json"
    tok.save(str(tok_path))

    encs = {n: tiktoken.get_encoding(n) for n in ("cl100k_base", "o200k_base")}
    sides = {
        "gleaner cl100k_base": lambda: gleaner_round(release, "cl100k_base", files),
        "tiktoken cl100k_base": lambda: timed(lambda: encs["cl100k_base"].encode_ordinary_batch(texts, num_threads=1)),
        "gleaner o200k_base": lambda: gleaner_round(release, "o200k_base", files),
        "tiktoken o200k_base": lambda: timed(lambda: encs["o200k_base"].encode_ordinary_batch(texts, num_threads=1)),
        "gleaner tokenizer.json": lambda: gleaner_round(release, str(tok_path), files),
        "tokenizers tokenizer.json": lambda: timed(
            lambda: [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
        ),
    }
    rates = {k: [] for k in sides}
    tokens = {}
    for _ in range(args.rounds):
        for name, fn in sides.items():
            n, secs = fn()
            tokens[name] = n
            rates[name].append(n / secs)
    med = {k: statistics.median(v) for k, v in rates.items()}
    print(f"\n{'tokenizer (1 thread)':<28} {'tokens':>12} {'M tokens/s':>11}  rounds")
    for k in sides:
        print(f"{k:<28} {tokens[k]:>12,} {med[k] / 1e6:>11.2f}  " + " ".join(f"{r / 1e6:.2f}" for r in rates[k]))
    for vocab, peer in (
        ("cl100k_base", "tiktoken cl100k_base"),
        ("o200k_base", "tiktoken o200k_base"),
        ("tokenizer.json", "tokenizers tokenizer.json"),
    ):
        g = f"gleaner {vocab}"
        assert tokens[g] == tokens[peer], f"{g} and {peer} disagree on the token count"
        print(f"{vocab}: gleaner {med[g] / med[peer]:.2f}x {peer.split()[0]}")
    # The target: each gleaner tokenizer >= 1.5x the faster of the Python tokenizers in this run
    # (per core, tokens/s), whichever vocabulary that one used.
    python_sides = [k for k in sides if not k.startswith("gleaner")]
    faster = max(python_sides, key=lambda k: med[k])
    for vocab in ("cl100k_base", "o200k_base", "tokenizer.json"):
        g = f"gleaner {vocab}"
        print(f"{g} vs the faster Python tokenizer ({faster}): {med[g] / med[faster]:.2f}x (target >= 1.5x)")

    if not whole_runs:
        print("no release gleaner CLI (--no-build): whole runs not timed")
        return
    # Whole runs: with token_count before the output, the writer reuses the stage's ids (same
    # text, same thread), so the two pipelines should cost about the same.
    for label, body, threads in (
        ("token shards only", "", "1"),
        ("token_count + token shards", '[[stage]]\ntype = "token_count"\n', "1"),
        ("token_count + token shards", '[[stage]]\ntype = "token_count"\n', "2"),
    ):
        pipeline = WORK / "tokens.toml"
        pipeline.write_text(f'[output]\nformat = "tokens"\nreport = false\n{body}')
        out = WORK / f"out-{threads}"
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        subprocess.run(
            [str(release / "gleaner"), "run", str(pipeline), "-i", str(inputs), "-o", str(out), "-q", "-j", threads],
            check=True,
        )
        secs = time.perf_counter() - start
        st = json.loads((out / "stats.json").read_text())
        n = st["output"]["kept_tokens"]
        print(
            f"gleaner run, {label}, cl100k_base, -j {threads}: {secs:.2f} s, "
            f"{n / secs / 1e6:.2f} M tokens/s ({st['output']['kept_shards']} shards)"
        )


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return sum(len(x) for x in out), time.perf_counter() - start


if __name__ == "__main__":
    main()
