#!/usr/bin/env python3
"""Experiment, not shipped: can a learned block-level reviewer correct gleaner's extraction?

Usage: python3 bench/extraction/block_review.py DUMP [--lexical]
DUMP is `compare.py --wcxb-split tuning --dump DUMP` (gleaner's text per WCXB tuning page).
Needs numpy and scikit-learn in the venv beside trafilatura (lxml comes with it).

Every page of WCXB dev is from its own site (1,295 domains in 1,497 pages), so hand-written
rules that fix one tuning page rarely fire on an unseen one. This script asks whether a model
learned across all tuning pages can do what the rules cannot: it cuts each page into text blocks
(lxml; a block is the text between block-level tags), marks each block by how much of it
gleaner's output covers, and labels it by the share of its word bigrams found in the gold text
(>= 0.5: gold). Then:

1. Ceilings (greedy oracles with the gold): dropping the covered blocks that are not gold,
   adding the uncovered blocks that raise the page's token F1, and both.
2. A gradient-boosted classifier (44 generic features: coverage, size, link density, position,
   distance to covered blocks, neighbours' coverage, punctuation, digits, case, repetition,
   depth, tag, enclosing regions, boilerplate/content words in ancestors' class and id, the
   page's type, confidence and output share; `--lexical` adds an out-of-fold logistic score over
   hashed word uni/bigrams of the block's first 12 and last 6 words) trained 5-fold, grouped by
   page, and its out-of-fold probabilities used to drop covered blocks below `td` and add
   uncovered ones above `ta`.

Measured on session 15's build (tuning part, 1,033 pages, 261,677 blocks; 2 min, 5 min with
--lexical):
- ceilings: token F1 0.9012 -> drop 0.9229, add 0.9226, both 0.9478 (product 0.7528 -> 0.8923,
  listing 0.8057 -> 0.9036, collection 0.7623 -> 0.8821);
- classifier: AUC 0.95 over all blocks, but 0.80-0.81 on the covered blocks and 0.88-0.89 on
  the uncovered ones, and the token F1 it reaches is 0.9012 -> 0.9012 at its best thresholds
  (0.9001-0.9012 at the others; 0.8980 at td 0.3), with or without the lexical score.
The errors left in gleaner's output are not predictable from what a block looks like: what
separates a gold block from a boilerplate one on these pages is site-specific. This is the third
learned corrector measured at zero gain (the pairwise path selector and the peer fallback on
least-confident pages are the others, README "Extraction").
"""
import argparse
import collections
import os
import pickle
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare as cmp  # noqa: E402

INLINE = {"a", "span", "b", "i", "em", "strong", "small", "code", "sub", "sup", "abbr", "time",
          "mark", "u", "s", "cite", "q", "label", "font", "img", "bdi", "kbd", "var", "del", "ins",
          "br"}
SKIP = {"script", "style", "noscript", "template", "svg", "head", "title", "meta", "link",
        "iframe", "select", "option", "button"}
BOILERPLATE_NAMES = re.compile(
    r"nav|menu|foot|sidebar|comment|share|social|related|breadcrumb|cookie|promo|newsletter|"
    r"subscribe|widget|tag|meta|author|bio|caption|banner|popup|modal|ad[-_s]|header|sponsor|"
    r"recommend|more|login|search")
CONTENT_NAMES = re.compile(
    r"content|article|post|entry|body|text|main|story|descr|detail|product|answer|question|faq")
REGIONS = ["nav", "header", "footer", "aside", "form", "main", "article", "table", "ul", "ol",
           "dl", "h1", "h2", "h3", "h4", "h5", "h6", "li", "figure", "blockquote", "details"]
TAGS = ["p", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "div", "pre", "dd", "dt",
        "blockquote", "figcaption", "section", "article", "span", "a", "other"]
COVERED, UNCOVERED = 0.99, 0.5


def blocks(html):
    """[(text, element, ancestors, link chars)] in document order."""
    import lxml.html
    try:
        root = lxml.html.fromstring(html.encode("utf-8"))
    except Exception:  # noqa: BLE001  (lxml refuses some documents outright: no blocks)
        return []
    out = []

    def emit(buf, e, anc, links):
        t = " ".join("".join(buf).split())
        if t:
            out.append((t, e, anc, links))

    def walk(e, anc):
        if not isinstance(e.tag, str) or e.tag in SKIP:
            return
        anc = anc + [e]
        buf, links = [e.text or ""], 0
        for ch in e:
            if not isinstance(ch.tag, str) or ch.tag in SKIP:
                buf.append(ch.tail or "")
            elif ch.tag not in INLINE:
                emit(buf, e, anc, links)
                buf, links = [], 0
                walk(ch, anc)
                buf.append(ch.tail or "")
            else:
                buf += [ch.text_content(), ch.tail or ""]
                for a in ([ch] if ch.tag == "a" else ch.iter("a")):
                    links += len(" ".join(a.text_content().split()))
        emit(buf, e, anc, links)

    walk(root, [])
    return out


def page_rows(page, result):
    """[(features, label, tokens, coverage)] for each block of one page."""
    bl = blocks(page["html"])
    out_tokens = collections.Counter(cmp.tokens(result["text"]))
    gold = cmp.tokens(page["gold"])
    gold_bigrams = set(zip(gold, gold[1:])) | {(x,) for x in gold}
    repeats = collections.Counter(b[0] for b in bl)
    toks = [cmp.tokens(b[0]) for b in bl]
    cov = [sum(out_tokens[x] > 0 for x in t) / len(t) if t else 0.0 for t in toks]
    covered = [i for i, v in enumerate(cov) if v >= COVERED]
    first, last = (covered[0], covered[-1]) if covered else (-1, -1)
    page_tokens = sum(map(len, toks)) or 1
    out_total = sum(out_tokens.values())
    page_type = cmp.PAGE_TYPES.index(result["page_type"])
    n = len(bl)
    next_cov, nxt = [50] * n, None
    for i in range(n - 1, -1, -1):
        nxt = i if cov[i] >= COVERED else nxt
        next_cov[i] = min(50, nxt - i) if nxt is not None else 50
    rows, last_cov = [], None
    for i, ((t, e, anc, links), tk) in enumerate(zip(bl, toks)):
        last_cov = i if cov[i] >= COVERED else last_cov
        if not tk:
            continue
        bigrams = set(zip(tk, tk[1:])) if len(tk) > 1 else {(tk[0],)}
        label = sum(b in gold_bigrams for b in bigrams) / len(bigrams)
        names = " ".join((a.get("class") or "") + " " + (a.get("id") or "")
                         for a in anc[-6:]).lower()
        tags = {a.tag for a in anc}
        f = [cov[i], len(tk), len(t), min(1.0, links / len(t)), i / max(1, n - 1),
             float(0 <= first <= i <= last), min(50, i - last_cov) if last_cov is not None else 50,
             next_cov[i], cov[i - 1] if i else 0.0, cov[i + 1] if i + 1 < n else 0.0,
             float(t[-1] in ".!?:;"), sum(ch.isdigit() for ch in t) / len(t),
             sum(ch.isupper() for ch in t) / len(t), t.count(",") / len(tk), repeats[t],
             len(anc), len(BOILERPLATE_NAMES.findall(names)), len(CONTENT_NAMES.findall(names)),
             page_type, result["confidence"], out_total / page_tokens, out_total,
             TAGS.index(e.tag if e.tag in TAGS else "other")] + [float(r in tags) for r in REGIONS]
        rows.append((f, label, tk, cov[i]))
    return rows


def f1(pred, gold):
    common = sum((pred & gold).values())
    if not common:
        return 0.0 if (pred or gold) else 1.0
    p, r = common / sum(pred.values()), common / sum(gold.values())
    return 2 * p * r / (p + r)


def per_type(scores):
    """'all a->b type a->b ...' from [(type, before, after)]."""
    agg = collections.defaultdict(lambda: [0.0, 0.0, 0])
    for t, b, a in scores:
        for k in (t, "all"):
            agg[k][0] += b
            agg[k][1] += a
            agg[k][2] += 1
    return " ".join(f"{k} {v[0] / v[2]:.4f}->{v[1] / v[2]:.4f}"
                    for k, v in sorted(agg.items(), key=lambda kv: kv[0] != "all"))


def ceilings(pages):
    for mode in ("drop", "add", "both"):
        scores = []
        for typ, gold, text, before, rows in pages:
            g = collections.Counter(cmp.tokens(gold))
            out = collections.Counter()
            if mode == "add":
                out = collections.Counter(cmp.tokens(text))
            else:
                gold_set = set(g)
                for line in text.split("\n"):
                    t = cmp.tokens(line)
                    if t and sum(x in gold_set for x in t) / len(t) >= 0.5:
                        out += collections.Counter(t)
            best = f1(out, g)
            if mode != "drop":
                for _, label, tk, cov in rows:
                    if cov < COVERED and label >= 0.5:
                        cand = out + collections.Counter(tk)
                        if f1(cand, g) > best:
                            out, best = cand, f1(cand, g)
            scores.append((typ, before, best))
        print(f"ceiling {mode}: {per_type(scores)}", flush=True)


def classifier(pages, lexical):
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold
    x, y, groups, words = [], [], [], []
    for pi, (_, _, _, _, rows) in enumerate(pages):
        for f, label, tk, _ in rows:
            x.append(f)
            y.append(label >= 0.5)
            groups.append(pi)
            words.append(" ".join(tk[:12]) + " || " + " ".join(tk[-6:]))
    x, y = np.array(x, dtype=np.float32), np.array(y)
    folds = list(GroupKFold(5).split(x, y, groups))
    if lexical:
        from sklearn.feature_extraction.text import HashingVectorizer
        from sklearn.linear_model import LogisticRegression
        h = HashingVectorizer(n_features=2**18, ngram_range=(1, 2), alternate_sign=False)
        h = h.transform(words)
        lex = np.zeros(len(y))
        for tr, te in folds:
            lex[te] = LogisticRegression(max_iter=300).fit(h[tr], y[tr]).predict_proba(h[te])[:, 1]
        print(f"lexical score AUC {roc_auc_score(y, lex):.3f}")
        x = np.hstack([x, lex[:, None]])
    prob = np.zeros(len(y))
    categorical = [18, 22]  # page type, tag
    for tr, te in folds:
        m = HistGradientBoostingClassifier(max_iter=200, categorical_features=categorical)
        prob[te] = m.fit(x[tr], y[tr]).predict_proba(x[te])[:, 1]
    cov = x[:, 0]
    print(f"AUC all {roc_auc_score(y, prob):.3f}, covered blocks "
          f"{roc_auc_score(y[cov >= COVERED], prob[cov >= COVERED]):.3f}, uncovered "
          f"{roc_auc_score(y[cov < UNCOVERED], prob[cov < UNCOVERED]):.3f}")
    for td, ta in [(0.05, 1.1), (0.1, 1.1), (0.2, 1.1), (0.3, 1.1), (0.0, 0.9), (0.0, 0.8),
                   (0.1, 0.9)]:
        scores, at = [], 0
        for typ, gold, text, before, rows in pages:
            out = collections.Counter(cmp.tokens(text))
            for (_, _, tk, c), p in zip(rows, prob[at:at + len(rows)]):
                if c >= COVERED and p < td:
                    out -= collections.Counter(tk)
                elif c < UNCOVERED and p > ta:
                    out += collections.Counter(tk)
            at += len(rows)
            scores.append((typ, before, f1(out, collections.Counter(cmp.tokens(gold)))))
        print(f"drop below {td}, add above {ta}: {per_type(scores)}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dump")
    ap.add_argument("--lexical", action="store_true")
    ap.add_argument("--cache", help="pickle of the block rows, reused when it exists")
    args = ap.parse_args()
    if args.cache and os.path.exists(args.cache):
        with open(args.cache, "rb") as f:
            pages = pickle.load(f)
    else:
        by_id = {p["id"]: p for p in cmp.load_wcxb()}
        pages = []
        with open(args.dump, encoding="utf-8") as f:
            for line in f:
                r = cmp.json.loads(line)
                p = by_id[r["id"]]
                if p["held_out"]:
                    continue  # never look at held-out pages
                pages.append((p["type"], p["gold"], r["text"], r["f1"], page_rows(p, r)))
        if args.cache:
            with open(args.cache, "wb") as f:
                pickle.dump(pages, f)
    print(f"{len(pages)} pages, {sum(len(p[4]) for p in pages)} blocks")
    ceilings(pages)
    classifier(pages, args.lexical)


if __name__ == "__main__":
    main()
