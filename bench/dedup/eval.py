#!/usr/bin/env python3
"""Near-duplicate quality: gleaner against datatrove 0.10.1 MinHash dedup on the labelled set of
build_neardup_set.py, same MinHash parameters (word 5-grams, 14 bands x 8 rows, seed 1).

Prints, side by side, pairwise precision / recall / F1, adjusted Rand index, and how many
hard-negative pairs (different articles on the same site and day, sharing header, footer and
teaser block) each tool merged. gleaner is run three ways: `minhash_dedup` alone (the like-for-like
comparison), with the true-Jaccard check of candidates, and after `line_dedup` removes the
boilerplate repeated across each site (the shipped way to run it on crawled news).

Usage: VENV=/path/to/venv bench/dedup/eval.py [--data bench/dedup/data/neardup.jsonl]
Targets: gleaner F1 >= datatrove's and >= 0.95; no hard-negative pair merged.
"""

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import HERE, ensure_venv, gleaner_labels, pair_metrics, run_datatrove, run_gleaner  # noqa: E402

MINHASH = """
[[stage]]
type = "minhash_dedup"
n_grams = 5
num_buckets = 14
hashes_per_bucket = 8
seed = 1
{extra}
"""
LINES = """
[[stage]]
type = "line_dedup"
min_docs = {min_docs}
min_chars = 0
"""


def hard_negative_merges(docs, labels):
    """Pairs of documents of different articles on the same site and day that were merged."""
    groups = defaultdict(list)
    for d in docs:
        m = d["metadata"]
        groups[(m["site"], m["day"])].append(d)
    merged = 0
    for group in groups.values():
        by_pred = defaultdict(lambda: defaultdict(int))
        for d in group:
            by_pred[labels[d["id"]]][d["metadata"]["cluster"]] += 1
        for per_cluster in by_pred.values():
            n = sum(per_cluster.values())
            merged += (n * (n - 1) - sum(c * (c - 1) for c in per_cluster.values())) // 2
    return merged


def count_hard_negative_pairs(docs):
    groups = defaultdict(lambda: defaultdict(int))
    for d in docs:
        m = d["metadata"]
        groups[(m["site"], m["day"])][m["cluster"]] += 1
    total = 0
    for per_cluster in groups.values():
        n = sum(per_cluster.values())
        total += (n * (n - 1) - sum(c * (c - 1) for c in per_cluster.values())) // 2
    return total


def main():
    ensure_venv()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(HERE / "data" / "neardup.jsonl"))
    ap.add_argument("--work", default=str(HERE / "work" / "eval"))
    ap.add_argument("--line-min-docs", type=int, default=10)
    args = ap.parse_args()
    data = Path(args.data)
    if not data.exists():
        subprocess.check_call([sys.executable, str(HERE / "build_neardup_set.py"), "--out", str(data)])
    docs = [json.loads(line) for line in data.open()]
    truth = {d["id"]: d["metadata"]["cluster"] for d in docs}
    work = Path(args.work)

    runs = {}
    secs, _ = run_gleaner(data, work / "g-minhash", MINHASH.format(extra=""))
    runs["gleaner minhash"] = (secs, gleaner_labels(work / "g-minhash"))
    secs, _ = run_gleaner(data, work / "g-jaccard", MINHASH.format(extra="jaccard_threshold = 0.5"))
    runs["gleaner minhash+jaccard"] = (secs, gleaner_labels(work / "g-jaccard"))
    secs, _ = run_gleaner(data, work / "g-lines", LINES.format(min_docs=args.line_min_docs) + MINHASH.format(extra=""))
    runs["gleaner lines+minhash"] = (secs, gleaner_labels(work / "g-lines"))
    # The shipped syndication pipeline (examples/dedup/syndication.toml): boilerplate lines out,
    # then MinHash with lead bands for excerpts and the containment/Jaccard check.
    secs, _ = run_gleaner(data, work / "g-synd", LINES.format(min_docs=args.line_min_docs)
                          + MINHASH.format(extra="lead_words = 50\njaccard_threshold = 0.5"))
    runs["gleaner syndication"] = (secs, gleaner_labels(work / "g-synd"))
    runs["datatrove minhash"] = run_datatrove(data, work / "datatrove")

    print(f"\n{len(docs)} documents, {len(set(truth.values()))} true clusters, "
          f"{count_hard_negative_pairs(docs)} hard-negative pairs (same site and day, different article)")
    header = f"{'':26}{'precision':>10}{'recall':>10}{'F1':>10}{'ARI':>10}{'pairs':>9}{'hard-neg':>10}{'secs':>8}"
    print(header)
    results = {}
    for name, (secs, labels) in runs.items():
        missing = set(truth) - set(labels)
        if missing:
            sys.exit(f"{name}: {len(missing)} documents missing from the output")
        m = pair_metrics(truth, labels)
        hn = hard_negative_merges(docs, labels)
        results[name] = (m, hn)
        print(f"{name:26}{m['precision']:10.4f}{m['recall']:10.4f}{m['f1']:10.4f}{m['ari']:10.4f}"
              f"{m['pred_pairs']:9d}{hn:10d}{secs:8.1f}")
    dt = results["datatrove minhash"][0]["f1"]
    for name, (m, hn) in results.items():
        if name.startswith("gleaner"):
            ok = m["f1"] >= dt and m["f1"] >= 0.95 and hn == 0
            print(f"{name}: F1 {m['f1']:.4f} vs datatrove {dt:.4f}; hard negatives merged: {hn} -> "
                  f"{'meets' if ok else 'misses'} the target (F1 >= datatrove, >= 0.95, none merged)")


if __name__ == "__main__":
    main()
