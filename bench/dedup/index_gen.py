#!/usr/bin/env python3
"""Generates the corpora of the dedup-index benchmark (bench/dedup/index.sh): small documents,
since the benchmark is about the index, not about hashing long texts.

    index_gen.py OUT_DIR DOCS FILES PREFIX [--copies-of DOCS_OF_EARLIER]

Each document is 8-16 words drawn from a Zipf-like distribution over 50,000 generated word
forms (fixed seed per prefix), `{"id","text","metadata":{"url"}}`, one JSON line each, split
over FILES gzip (level 1) JSONL files. 5 % are exact copies and 5 % near copies (a word added at the
end) of an earlier document of the same corpus. With --copies-of N, a further
10 % are exact copies and 10 % near copies of the first N documents of the corpus generated with
prefix "a" (regenerated here from its seed, not read), so a later batch has real work against an
earlier batch's index.
"""
import gzip
import json
import os
import random
import sys

SYLLABLES = ["ka", "lo", "mi", "ra", "ten", "vo", "sil", "dan", "e", "ur", "pho", "gri", "nu", "bas"]


def vocabulary():
    rng = random.Random(7)
    words = set()
    while len(words) < 50000:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 5))))
    return sorted(words)


VOCAB = vocabulary()
# Zipf-like weights: rank r has weight 1/(r+10).
CUM = []
_t = 0.0
for r in range(len(VOCAB)):
    _t += 1.0 / (r + 10)
    CUM.append(_t)


def text(rng):
    n = rng.randint(8, 16)
    return " ".join(rng.choices(VOCAB, cum_weights=CUM, k=n))


def near(rng, t):
    return t + " " + rng.choice(VOCAB)


def corpus(prefix, docs, earlier=0):
    """Yields (id, text) of corpus `prefix`: deterministic for a given prefix."""
    rng = random.Random(prefix)
    a_texts = None
    if earlier:
        a_texts = [t for _, t in corpus("a", earlier)]
    mine = []
    for i in range(docs):
        u = rng.random()
        if a_texts and u < 0.10:
            t = a_texts[rng.randrange(len(a_texts))]
        elif a_texts and u < 0.20:
            t = near(rng, a_texts[rng.randrange(len(a_texts))])
        elif mine and u > 0.95:
            t = mine[rng.randrange(len(mine))]
        elif mine and u > 0.90:
            t = near(rng, mine[rng.randrange(len(mine))])
        else:
            t = text(rng)
        if len(mine) < 200000:
            mine.append(t)
        yield f"{prefix}-{i}", t


def main():
    out, docs, files, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    earlier = int(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[5] == "--copies-of" else 0
    os.makedirs(out, exist_ok=True)
    per = -(-docs // files)
    handles = [
        gzip.open(os.path.join(out, f"{prefix}-{f:03}.jsonl.gz"), "wt", compresslevel=1)
        for f in range(files)
    ]
    for i, (doc_id, t) in enumerate(corpus(prefix, docs, earlier)):
        rec = {"id": doc_id, "text": t, "metadata": {"url": f"https://{prefix}.example/{i}"}}
        handles[i // per].write(json.dumps(rec) + "\n")
    for h in handles:
        h.close()


if __name__ == "__main__":
    main()
