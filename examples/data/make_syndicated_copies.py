#!/usr/bin/env python3
"""Builds examples/data/syndicated-copies.jsonl: the user's column (raw-example.txt) as two other
sites would carry it, so that the quickstart shows gleaner noticing the same column arriving from
elsewhere. These two documents are CONSTRUCTED, not crawled: the column's own paragraphs are the
user's; the wrappers (site header, byline, share buttons, footer) are the generic kind every news
site prints, on reserved `.test` domains so that no real site is misquoted. Each record says so in
its metadata.

    python3 examples/data/make_syndicated_copies.py   # rewrites syndicated-copies.jsonl

Copy A: the whole column under another site's header and byline, its paragraphs re-wrapped (one
paragraph split in two), typographic quotes made straight, the bio and a newsletter line below.
Copy B: an aggregator's excerpt: the first four paragraphs, then "Read the full column" and share
buttons.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    with open(os.path.join(HERE, "raw-example.txt"), encoding="utf-8") as f:
        lines = [l for l in f.read().split("\n") if l.strip()]
    column, bio = lines[:9], lines[9]
    note = "constructed from seed/raw-example by examples/data/make_syndicated_copies.py"

    straight = {"’": "'", "‘": "'", "“": '"', "”": '"'}
    rewrapped = []
    for i, p in enumerate(column):
        for a, b in straight.items():
            p = p.replace(a, b)
        if i == 1:
            # The long second paragraph, split after its fourth sentence as another CMS would.
            parts = p.split(". ")
            rewrapped += [". ".join(parts[:4]) + ".", ". ".join(parts[4:])]
        else:
            rewrapped.append(p)
    copy_a = [
        "Skip to main content",
        "Opinion | Europe",
        "Trump Should Not Let Putin Play Him Again in Alaska",
        "By Marc Champion",
        "Published August 14, 2025",
        "Share this article",
        *rewrapped,
        bio.split(" This column")[0],
        "Sign up for our Opinion newsletter to get the week's columns in your inbox.",
        "© 2025 Example Syndication Partner. All rights reserved.",
    ]
    copy_b = [
        "Home",
        "World | Commentary",
        "Trump-Putin summit: why the Alaska meeting should wait",
        *column[:4],
        "Read the full column",
        "Facebook Twitter LinkedIn Email",
    ]
    docs = [
        {"id": "syndicated/site-a", "text": "\n".join(copy_a),
         "metadata": {"url": "https://opinion.site-a.test/2025/08/14/trump-putin-alaska", "constructed": note}},
        {"id": "syndicated/site-b", "text": "\n".join(copy_b),
         "metadata": {"url": "https://news.aggregator-b.test/world/trump-putin-summit-alaska", "constructed": note}},
    ]
    with open(os.path.join(HERE, "syndicated-copies.jsonl"), "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
