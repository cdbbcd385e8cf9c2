#!/usr/bin/env python3
"""Speed: gleaner `minhash_dedup` with 1 thread against datatrove 0.10.1's four MinHash stages with
1 worker, same parameters (word 5-grams, 14 bands x 8 rows), on the same >= 50,000 documents.

The corpus is real news text (../shared/data/news-articles) published the way
build_neardup_set.py does it: each document is an article on a synthetic site with its header,
byline, teaser block and footer; about a third are syndicated copies (truncated, re-wrapped,
lightly edited). Both tools read the same JSONL file and write kept and removed documents; wall
time covers the whole run of each. Prints both times, the ratio (target >= 20x), and how far the
two tools agree (pairwise F1 of gleaner's clusters against datatrove's).

Usage: VENV=/path/to/venv bench/dedup/speed.py [--docs 50000] [--seed 7]
"""

import argparse
import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import HERE, LAST_CPU, ensure_venv, gleaner_labels, pair_metrics, run_datatrove, run_gleaner  # noqa: E402
import build_neardup_set as nd  # noqa: E402

STAGES = """
[[stage]]
type = "minhash_dedup"
n_grams = 5
num_buckets = 14
hashes_per_bucket = 8
seed = 1
"""


def build(path, n_docs, seed):
    rng = random.Random(seed)
    articles = [a for a in nd.load_articles(nd.DEFAULT_ZIP) if len(a[2].split()) >= 80]
    teaser_pool = [(t, x) for _, t, x in articles]
    sites = [nd.Site(rng, i, n, teaser_pool) for i, n in enumerate(nd.SITE_NAMES)]
    with open(path, "w") as f:
        for i in range(n_docs):
            art_id, title, text = rng.choice(articles)
            body, trunc = nd.copy_body(rng, text, edited=rng.random() < 0.35)
            slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or art_id
            page, url = rng.choice(sites).page(rng, body, rng.randrange(4), rng.choice(nd.AUTHORS), slug, trunc)
            f.write(json.dumps({"id": f"sp-{i:06d}", "text": page, "metadata": {"url": url}}) + "\n")


def main():
    ensure_venv()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", default=str(HERE / "work" / "speed"))
    args = ap.parse_args()
    data = HERE / "data" / f"speed-{args.docs}-{args.seed}.jsonl"
    if not data.exists():
        data.parent.mkdir(parents=True, exist_ok=True)
        build(data, args.docs, args.seed)
    work = Path(args.work)
    d_secs, d_labels = run_datatrove(data, work / "datatrove")
    g_secs, _ = run_gleaner(data, work / "gleaner", STAGES, threads=1)
    g_labels = gleaner_labels(work / "gleaner")
    agree = pair_metrics(d_labels, g_labels)
    n_removed_g = sum(1 for k, v in g_labels.items() if k != v)
    n_removed_d = len(d_labels) - len(set(d_labels.values()))
    print(f"\n{args.docs} documents ({data.stat().st_size / 1e6:.0f} MB JSONL)")
    g_cpu, d_cpu = LAST_CPU["gleaner"], LAST_CPU["datatrove"]
    print(f"{'':40}{'wall s':>10}{'CPU s':>10}{'removed':>9}")
    print(f"{'gleaner minhash_dedup, 1 thread':40}{g_secs:10.1f}{g_cpu:10.1f}{n_removed_g:9d}")
    print(f"{'datatrove MinHash 4 stages, 1 worker':40}{d_secs:10.1f}{d_cpu:10.1f}{n_removed_d:9d}")
    print(f"speed-up: {d_secs / g_secs:.1f}x wall, {d_cpu / g_cpu:.1f}x CPU (target >= 20x)")
    print(f"cluster agreement (pairwise, datatrove as reference): precision {agree['precision']:.4f} "
          f"recall {agree['recall']:.4f} F1 {agree['f1']:.4f}")


if __name__ == "__main__":
    main()
