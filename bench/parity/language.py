#!/usr/bin/env python3
"""Language-ID parity: gleaner's `language` stage against datatrove 0.10.1's LanguageFilter.

Both sides use the same model file, the quantized lid.176.ftz that gleaner compiles in
(crates/gleaner/assets/): datatrove normally downloads lid.176.bin, so FT176LID.MODEL_URL is
pointed at a file:// copy of the .ftz, and labels and scores are then comparable one to one.

Documents (all real, from ../shared/data or $GLEANER_DATA):
  * the 3,824 news articles of news-articles/NewsArticles.zip (column `text`);
  * the 990 extraction-dev pages twice: the main text trafilatura extracts, and the raw full-page
    text lxml's text_content() gives (navigation, scripts' text and all), so many are German and
    many are noisy.

Prints: label agreement, keep/drop agreement, score differences, and the disagreements.
Targets (issue 3): same label on >= 99.5% of documents, same keep/drop on >= 99.5%.

Usage:  python3 bench/parity/language.py          (creates bench/parity/.venv if VENV is unset)
        VENV=/path/to/venv python3 bench/parity/language.py
Env:    GLEANER_PROFILE=release to build gleaner in release mode (default: debug, already built
        by `cargo test`); GLEANER_DATA to point at the shared data folder.
"""

import os
import sys

from _common import REPO, ensure_venv, load_documents, run_gleaner

ensure_venv()

import time  # noqa: E402
from collections import Counter  # noqa: E402

MODEL = os.path.join(REPO, "crates", "gleaner", "assets", "lid.176.ftz")
PIPELINE = os.path.join(REPO, "examples", "filters", "language.toml")

# Characters Rust's split_whitespace splits on but fastText's C++ tokenizer does not (it splits
# on ASCII space, \n, \r, \t, \v, \f and NUL only); gleaner's patched fasttext-pure-rs follows
# fastText, and the report shows whether disagreements concentrate on texts holding them.
UNICODE_ONLY_SPACES = set("\u0085\u00a0\u1680\u2028\u2029\u202f\u205f\u3000") | {chr(c) for c in range(0x2000, 0x200B)}


def has_unicode_space(text):
    return any(c in UNICODE_ONLY_SPACES for c in text)


def run_datatrove(docs):
    from datatrove.data import Document
    from datatrove.pipeline.filters.language_filter import LanguageFilter
    from datatrove.utils.lid import FT176LID

    FT176LID.MODEL_URL = "file://" + MODEL
    filt = LanguageFilter(languages=["en"], language_threshold=0.65)
    out = {}
    t0 = time.perf_counter()
    for d in docs:
        doc = Document(text=d["text"], id=d["id"], metadata=dict(d["metadata"]))
        keep = filt.filter(doc)
        out[d["id"]] = (bool(keep), doc.metadata["language"], doc.metadata["language_score"])
    return out, time.perf_counter() - t0


def run_gleaner_language(docs):
    rows, elapsed = run_gleaner(PIPELINE, docs)
    out = {i: (r["kept"], r["metadata"]["language"], r["metadata"]["language_score"]) for i, r in rows.items()}
    return out, elapsed


def main():
    docs = load_documents()
    kinds = Counter(d["metadata"]["kind"] for d in docs)
    print(f"documents: {len(docs)} ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})")
    dt, dt_s = run_datatrove(docs)
    gl, gl_s = run_gleaner_language(docs)
    same_label = same_keep = 0
    max_diff = 0.0
    max_diff_plain = 0.0  # on documents without Unicode-only whitespace
    n_diff = n_diff_spaces = 0
    disagreements = []
    by_kind = Counter()
    for d in docs:
        k_dt, l_dt, s_dt = dt[d["id"]]
        k_gl, l_gl, s_gl = gl[d["id"]]
        same_label += l_dt == l_gl
        same_keep += k_dt == k_gl
        spaces = has_unicode_space(d["text"])
        if l_dt == l_gl:
            max_diff = max(max_diff, abs(s_dt - s_gl))
            if not spaces:
                max_diff_plain = max(max_diff_plain, abs(s_dt - s_gl))
        if abs(s_dt - s_gl) > 1e-4:
            n_diff += 1
            n_diff_spaces += spaces
        if l_dt != l_gl or k_dt != k_gl:
            by_kind[d["metadata"]["kind"]] += 1
            nbsp = spaces
            disagreements.append((d["id"], l_dt, round(s_dt, 4), k_dt, l_gl, round(s_gl, 4), k_gl, nbsp))
    n = len(docs)
    langs = Counter(v[1] for v in dt.values())
    print(f"datatrove labels: {dict(langs.most_common(8))}; kept {sum(v[0] for v in dt.values())}")
    print(f"label agreement:     {same_label}/{n} = {100 * same_label / n:.2f}%  (target >= 99.5%)")
    print(f"keep/drop agreement: {same_keep}/{n} = {100 * same_keep / n:.2f}%  (target >= 99.5%)")
    print(f"max |score difference| where labels agree: {max_diff:.2e}; on documents without Unicode-only spaces: {max_diff_plain:.2e}")
    print(f"documents whose score differs by > 1e-4: {n_diff}, of which {n_diff_spaces} contain Unicode-only spaces")
    print(f"time: datatrove {dt_s:.2f}s, gleaner ({os.environ.get('GLEANER_PROFILE', 'debug')}, incl. process start) {gl_s:.2f}s")
    if disagreements:
        print(f"disagreements by kind: {dict(by_kind)}")
        print("id, datatrove (label, score, keep), gleaner (label, score, keep), has Unicode space:")
        for row in disagreements[:40]:
            print("  ", *row)


if __name__ == "__main__":
    main()
