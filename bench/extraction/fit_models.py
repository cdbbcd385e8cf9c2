#!/usr/bin/env python3
"""Fits the page-type and extraction-confidence models of gleaner's extractor and writes their
coefficients to crates/gleaner/src/extract/models.rs.

Usage: python3 bench/extraction/fit_models.py [--write] [--confidence-only | --reported-only]

`--confidence-only` keeps the page-type models in models.rs as they are and refits the confidence
model on the probabilities the routing model gives (after extraction rules changed but the page-type
features did not need a new fit: a page-type refit moves pages between extraction paths, so it
is a change to measure on its own).

Data: the TUNING part of WCXB dev only (split rule in compare.py: per page type, md5 order, the
first 30% held out). The `extract_pages` example (release build) prints each page's features
with GLEANER_FEATURES=1.
- page type: multinomial logistic regression (softmax) over the page-type features, L2 0.01,
  full-batch gradient descent; target the gold `page_type.primary`.
- reported page type (`page_type::reported_type`, what metadata says): softmax over the same
  features plus one 0/1 feature per word of the address and title that at least
  REPORTED_MIN_PAGES tuning pages have (`extract_pages` prints each page's words), L2
  REPORTED_L2. `--reported-only` refits it alone (it does not route, so nothing else moves).
  Prints its 5-fold cross-validated accuracy beside the routing features' alone (vocabulary
  chosen inside the folds).
- confidence: logistic regression over the confidence features, the page-type probabilities
  among them recomputed with the page-type model just fitted; target the page's real token F1
  (cross-entropy with a soft label), L2 0.01, on standardised features.
Prints the tuning-part accuracy / Spearman (the held-out numbers come from compare.py).
Needs numpy (pinned in PINNED below, installed in the same venv as trafilatura).
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare as cmp  # noqa: E402
import eval as ev  # noqa: E402

PINNED = "numpy==2.2.6"
MODELS = os.path.join(ev.REPO, "crates", "gleaner", "src", "extract", "models.rs")
L2 = 0.01
# Reported page type: a word counts when this many tuning pages have it, and the penalty.
# 5-fold cross-validated accuracy on the tuning part (session 16): min pages 3/5, all words or
# the top 150/300 by chi-squared, L2 0.001/0.003: 0.858-0.871; 5 pages, all words, 0.003: 0.864.
REPORTED_MIN_PAGES = 5
REPORTED_L2 = 0.003


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_softmax(x, y, k, steps=4000, lr=0.5, l2=None):
    l2 = L2 if l2 is None else l2
    n, d = x.shape
    w = np.zeros((k, d))
    b = np.zeros(k)
    onehot = np.eye(k)[y]
    for _ in range(steps):
        p = softmax(x @ w.T + b)
        g = p - onehot
        w -= lr * (g.T @ x / n + l2 * w)
        b -= lr * g.mean(axis=0)
    return w, b


def fit_logistic(x, y, steps=6000, lr=0.5):
    """Logistic regression on standardised features, returned in the raw features' scale.

    Standardising matters: on raw features (scales 0.01–1.5) the same number of gradient steps
    left the model shrunk towards the mean, so almost no page fell below confidence 0.5 (4 of
    1,033 tuning pages, while 86 have a real token F1 below 0.5). Standardised, 5-fold
    cross-validation on the tuning part put 44 pages below 0.5 (their mean real F1 0.46, the
    rest 0.885) at the same Spearman (0.667)."""
    n, d = x.shape
    mu = x.mean(axis=0)
    sd = x.std(axis=0)
    sd[sd < 1e-6] = 1.0
    z = (x - mu) / sd
    w = np.zeros(d)
    b = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = p - y
        w -= lr * (z.T @ g / n + L2 * w)
        b -= lr * g.mean()
    return w / sd, b - float((w * mu / sd).sum())


def word_matrix(words, vocab):
    index = {w: i for i, w in enumerate(vocab)}
    m = np.zeros((len(words), len(vocab)))
    for r, ws in enumerate(words):
        for w in ws:
            if w in index:
                m[r, index[w]] = 1.0
    return m


def fit_reported(xp, words, y, k):
    """The reported-type model: (vocabulary, weights on xp, weights on words, bias)."""
    df = {}
    for ws in words:
        for w in set(ws):
            df[w] = df.get(w, 0) + 1
    vocab = sorted(w for w, n in df.items() if n >= REPORTED_MIN_PAGES)
    x = np.hstack([xp, word_matrix(words, vocab)])
    w, b = fit_softmax(x, y, k, l2=REPORTED_L2)
    return vocab, w[:, :xp.shape[1]], w[:, xp.shape[1]:], b


def cross_validated(xp, words, y, k):
    """5-fold accuracy (pages i % 5) of the routing features alone and of the reported model."""
    dense = reported = 0
    for fold in range(5):
        te = np.arange(len(y)) % 5 == fold
        w, b = fit_softmax(xp[~te], y[~te], k)
        dense += ((xp[te] @ w.T + b).argmax(1) == y[te]).sum()
        vocab, wd, ww, b = fit_reported(xp[~te], [ws for ws, t in zip(words, te) if not t],
                                        y[~te], k)
        z = xp[te] @ wd.T + word_matrix([ws for ws, t in zip(words, te) if t], vocab) @ ww.T + b
        reported += (z.argmax(1) == y[te]).sum()
    return dense / len(y), reported / len(y)


def rust_array(v):
    return "[" + ", ".join(f"{float(x):.5}" for x in v) + "]"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true", help="rewrite models.rs")
    ap.add_argument("--confidence-only", action="store_true",
                    help="keep the page-type models, refit the confidence model only")
    ap.add_argument("--reported-only", action="store_true",
                    help="keep the routing and confidence models, refit the reported type only")
    args = ap.parse_args()
    ev.ensure_venv()
    global np
    try:
        import numpy as np
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", PINNED])
        import numpy as np
    binary = cmp.build_gleaner()
    pages = [p for p in cmp.load_wcxb() if not p["held_out"]]
    os.environ["GLEANER_FEATURES"] = "1"
    results, _ = cmp.run_pages_binary(binary, "gleaner", "wcxb-features", pages)
    types = cmp.PAGE_TYPES
    xp = np.array([results[p["id"]]["features"]["page"] for p in pages], dtype=float)
    y = np.array([types.index(p["type"]) for p in pages])
    xc = np.array([results[p["id"]]["features"]["confidence"] for p in pages], dtype=float)
    if args.confidence_only or args.reported_only:
        probs = xc[:, 9:16]  # the built model's probabilities, as the extractor computed them
        w, b = np.zeros((len(types), xp.shape[1])), np.zeros(len(types))  # replaced on writing
    else:
        w, b = fit_softmax(xp, y, len(types))
        probs = softmax(xp @ w.T + b)
        xc[:, 9:16] = probs
    print(f"page type, tuning part ({len(pages)} pages): accuracy {(probs.argmax(1) == y).mean():.4f}")
    words = [results[p["id"]]["words"] for p in pages]
    vocab, rw, rww, rb = fit_reported(xp, words, y, len(types))
    z = xp @ rw.T + word_matrix(words, vocab) @ rww.T + rb
    print(f"reported page type, tuning part: {len(vocab)} words, accuracy "
          f"{(z.argmax(1) == y).mean():.4f}")
    cv_dense, cv_reported = cross_validated(xp, words, y, len(types))
    print(f"5-fold cross-validated accuracy: routing features {cv_dense:.4f}, "
          f"reported model {cv_reported:.4f}")
    f1 = np.array([cmp.token_f1(results[p["id"]]["text"], p["gold"]) for p in pages])
    cw, cb = fit_logistic(xc, f1)
    conf = 1 / (1 + np.exp(-(xc @ cw + cb)))
    print(f"confidence, tuning part: Spearman {cmp.spearman(list(conf), list(f1)):.4f}")
    out = [
        "//! Fitted coefficients of the page-type and confidence models. Generated by",
        "//! `bench/extraction/fit_models.py --write` from the features the `extract_pages` example",
        "//! prints for the TUNING part of WCXB dev (held-out pages never seen); do not edit by hand.",
        "",
        "use super::confidence::N_FEATURES as N_CONFIDENCE;",
        "use super::page_type::N_FEATURES as N_PAGE;",
        "",
        "/// Page-type softmax bias, one per [`super::PageType::ALL`] entry.",
        "#[rustfmt::skip]",
        f"pub const PAGE_TYPE_BIAS: [f32; 7] = {rust_array(b)};",
        "/// Page-type softmax weights: one row per type, one column per page-type feature.",
        "#[rustfmt::skip]",
        "pub const PAGE_TYPE_WEIGHTS: [[f32; N_PAGE]; 7] = [",
        *[f"    {rust_array(row)}," for row in w],
        "];",
        "/// Reported page type: the words it reads ([`super::page_type::for_each_page_word`]), sorted.",
        f"pub const N_PAGE_WORDS: usize = {len(vocab)};",
        "/// The vocabulary of the reported page type, sorted (binary-searched).",
        "#[rustfmt::skip]",
        "pub const PAGE_WORDS: [&str; N_PAGE_WORDS] = ["
        + ", ".join(json.dumps(w) for w in vocab) + "];",
        "/// Reported page type softmax bias, one per [`super::PageType::ALL`] entry.",
        "#[rustfmt::skip]",
        f"pub const REPORTED_TYPE_BIAS: [f32; 7] = {rust_array(rb)};",
        "/// Reported page type weights on the page-type features: one row per type.",
        "#[rustfmt::skip]",
        "pub const REPORTED_TYPE_WEIGHTS: [[f32; N_PAGE]; 7] = [",
        *[f"    {rust_array(row)}," for row in rw],
        "];",
        "/// Reported page type weights on the words: one row per type, one column per [`PAGE_WORDS`] entry.",
        "#[rustfmt::skip]",
        "pub const REPORTED_TYPE_WORD_WEIGHTS: [[f32; N_PAGE_WORDS]; 7] = [",
        *[f"    {rust_array(row)}," for row in rww],
        "];",
        "/// Confidence logistic bias.",
        f"pub const CONFIDENCE_BIAS: f32 = {float(cb):.5};",
        "/// Confidence logistic weights, one per confidence feature.",
        "#[rustfmt::skip]",
        f"pub const CONFIDENCE_WEIGHTS: [f32; N_CONFIDENCE] = {rust_array(cw)};",
        "",
    ]
    text = "\n".join(out)
    # Sections of models.rs, each from its marker to the next: kept from the current file when
    # a flag says so.
    markers = ["/// Page-type softmax bias", "/// Reported page type: the words",
               "/// Confidence logistic bias."]
    keep = {0: args.confidence_only or args.reported_only, 1: args.confidence_only,
            2: args.reported_only}
    if any(keep.values()):
        with open(MODELS, encoding="utf-8") as f:
            current = f.read()

        def section(t, i):
            return t[t.index(markers[i]):t.index(markers[i + 1]) if i + 1 < 3 else len(t)]
        text = text[:text.index(markers[0])] + "".join(
            section(current if keep[i] else text, i) for i in range(3))
    if args.write:
        with open(MODELS, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {MODELS}")
    else:
        print(text)


if __name__ == "__main__":
    main()
