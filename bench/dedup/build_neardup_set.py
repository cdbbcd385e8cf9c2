#!/usr/bin/env python3
"""Build a labelled near-duplicate set from real news articles, the way syndication makes copies.

Source: ../shared/data/news-articles/NewsArticles.zip (Harvard Dataverse "News Articles", Dai 2017,
Apache-2.0). Every document is a real article placed on one of several synthetic news sites:

* each site has its own header (site name and navigation), byline style, footer (copyright,
  disclaimer) and, per "day", a teaser block: headlines and the first words of a few *other*
  articles, shared by every page the site publishes that day;
* a syndicated article appears on 2-6 sites: each copy gets that site's wrapper and teaser block,
  is re-wrapped at a random line width, may be truncated (an excerpt with "Continue reading"), and
  is lightly edited (a few words substituted, deleted or inserted, as copy desks do);
* the other articles appear once, on one site: any two of them on the same site and day share the
  whole wrapper and teaser block but are different articles: the hard negatives.

Articles of the source set that are already near-duplicates of each other (shingle Jaccard
>= 0.3) are left out, so that the labels are true. Output: one JSONL file; the ground truth is in
`metadata` (`cluster`, `site`, `day`, `article`), which the dedup tools do not look at.

Usage: build_neardup_set.py [--out PATH] [--seed 20170101] [--clusters 300] [--singletons 1500]
"""

import argparse
import csv
import io
import json
import random
import re
import sys
import textwrap
import zipfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_ZIP = HERE.parents[1] / ".." / "shared" / "data" / "news-articles" / "NewsArticles.zip"

SITE_NAMES = [
    "The Daily Ledger", "Northern Courier", "Metro Wire", "Coastal Times", "Valley Herald",
    "Capital Dispatch", "Global Observer", "Morning Sentinel", "Harbor Gazette", "Prairie Post",
    "Evening Chronicle", "Summit Tribune",
]
SECTIONS = ["Home", "World", "Politics", "Business", "Tech", "Science", "Health", "Sport",
            "Culture", "Opinion", "Video", "Weather"]
EDIT_WORDS = ["reportedly", "also", "now", "officially", "still", "recently", "however"]


def load_articles(zip_path):
    with zipfile.ZipFile(zip_path) as z:
        raw = z.read("NewsArticles.csv").decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(raw)))
    return [(r["article_id"], r["title"].strip(), r["text"].strip()) for r in rows]


def shingles(text, n=5):
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i:i + n]) for i in range(max(0, len(words) - n + 1))}


def distinct_articles(articles, min_words):
    """Articles with enough words that are not near-duplicates of an earlier kept one."""
    kept, index = [], defaultdict(list)
    for art in articles:
        if len(art[2].split()) < min_words:
            continue
        sh = shingles(art[2])
        overlap = defaultdict(int)
        for s in sh:
            for k in index.get(s, ()):
                overlap[k] += 1
        if any(c / (len(sh) + len(kept[k][3]) - c) >= 0.3 for k, c in overlap.items()):
            continue
        for s in sh:
            index[s].append(len(kept))
        kept.append((*art, sh))
    return [a[:3] for a in kept]


class Site:
    def __init__(self, rng, idx, name, teaser_pool):
        self.idx, self.name = idx, name
        self.domain = re.sub(r"[^a-z]", "", name.lower()) + ".example"
        nav = rng.sample(SECTIONS, rng.randint(5, 9))
        self.header = f"{name} | " + " | ".join(nav) + " | Subscribe | Sign in"
        self.byline_style = rng.choice([
            "By {a}, {name} correspondent", "{a} | {name}", "Written by {a} for {name}",
            "Staff report by {a}", "{name} wire services",
        ])
        year = 2017
        self.footer = [
            f"© {year} {name}. All rights reserved. This material may not be published, broadcast, "
            f"rewritten or redistributed without permission.",
            rng.choice([
                f"Follow {name} on social media for the latest breaking news and analysis.",
                f"Sign up for the {name} newsletter to get our best stories every morning.",
                f"Have a news tip? Contact the {name} newsroom, we read every message.",
            ]),
        ]
        # Teaser blocks per day: headlines plus the opening words of other articles.
        self.teasers = []
        for _ in range(4):
            block = []
            for title, text in rng.sample(teaser_pool, rng.randint(3, 6)):
                words = text.split()
                block.append(f"{title}: " + " ".join(words[: rng.randint(12, 30)]) + " ...")
            self.teasers.append(block)

    def page(self, rng, body, day, author, url_slug, truncate):
        lines = [self.header,
                 self.byline_style.format(a=author, name=self.name)]
        lines += body
        if truncate:
            lines.append(f"Continue reading this story on {self.name}.")
        lines.append("Most read on " + self.name)
        lines += self.teasers[day]
        lines += self.footer
        url = f"https://www.{self.domain}/2017/{url_slug}"
        return "\n".join(lines), url


AUTHORS = ["Maria Lopez", "James Chen", "Aisha Bello", "Tom Fischer", "Priya Natarajan",
           "Olga Ivanova", "Kwame Mensah", "Sara Lindqvist", "Diego Alvarez", "Hannah Okafor"]


def copy_body(rng, text, edited):
    words = text.split()
    truncate = False
    if edited and rng.random() < 0.3:
        keep = rng.uniform(0.5, 0.95)
        words = words[: max(40, int(len(words) * keep))]
        truncate = True
    if edited:
        # Light copy-desk edits: about 1% of words substituted, deleted or inserted.
        for _ in range(max(1, len(words) // 100)):
            i = rng.randrange(len(words))
            op = rng.random()
            if op < 0.4:
                words[i] = rng.choice(EDIT_WORDS)
            elif op < 0.7 and len(words) > 50:
                del words[i]
            else:
                words.insert(i, rng.choice(EDIT_WORDS))
    width = rng.choice([60, 72, 80, 100, 0])
    body = " ".join(words)
    lines = textwrap.wrap(body, width) if width else [body]
    return lines, truncate


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zip", default=str(DEFAULT_ZIP))
    ap.add_argument("--out", default=str(HERE / "data" / "neardup.jsonl"))
    ap.add_argument("--seed", type=int, default=20170101)
    ap.add_argument("--clusters", type=int, default=300)
    ap.add_argument("--singletons", type=int, default=1500)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    articles = distinct_articles(load_articles(args.zip), min_words=80)
    rng.shuffle(articles)
    need = args.clusters + args.singletons
    if len(articles) < need + 200:
        sys.exit(f"only {len(articles)} distinct articles, need {need + 200}")
    syndicated = articles[: args.clusters]
    singles = articles[args.clusters: need]
    teaser_pool = [(t, x) for _, t, x in articles[need:]]
    sites = [Site(rng, i, n, teaser_pool) for i, n in enumerate(SITE_NAMES)]

    docs = []
    for art_id, title, text in syndicated:
        n_sites = rng.randint(2, 6)
        for k, site in enumerate(rng.sample(sites, n_sites)):
            body, trunc = copy_body(rng, text, edited=k > 0)
            day = rng.randrange(4)
            slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or art_id
            page, url = site.page(rng, body, day, rng.choice(AUTHORS), slug, trunc)
            docs.append({"text": page, "metadata": {
                "url": url, "cluster": f"a{art_id}", "site": site.idx, "day": day,
                "article": art_id, "truncated": trunc}})
    for art_id, title, text in singles:
        site = rng.choice(sites)
        body, _ = copy_body(rng, text, edited=False)
        day = rng.randrange(4)
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or art_id
        page, url = site.page(rng, body, day, rng.choice(AUTHORS), slug, False)
        docs.append({"text": page, "metadata": {
            "url": url, "cluster": f"a{art_id}", "site": site.idx, "day": day,
            "article": art_id, "truncated": False}})
    rng.shuffle(docs)
    for i, d in enumerate(docs):
        d["id"] = f"nd-{i:05d}"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w") as f:
        for d in docs:
            f.write(json.dumps({"id": d["id"], "text": d["text"], "metadata": d["metadata"]}) + "\n")
    n_clusters = len({d["metadata"]["cluster"] for d in docs})
    print(f"wrote {len(docs)} documents in {n_clusters} true clusters "
          f"({args.clusters} syndicated articles) to {out}")


if __name__ == "__main__":
    main()
