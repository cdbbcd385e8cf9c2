#!/usr/bin/env python3
"""PII and URL-filter parity: gleaner's `pii` and `url_filter` stages against datatrove 0.10.1's
PIIFormatter and URLFilter, on the documents of bench/parity/language.py.

* pii: e-mail and IPv4 redaction only (datatrove has no IPv6 or phone rules), compared on the
  full output text. datatrove's placeholder cycle lives as long as its formatter; gleaner's
  restarts per document, so datatrove gets a fresh formatter per document here.
* url_filter: the 990 real URLs of the extraction-dev pages plus a few crafted ones, with the
  test lists of examples/lists, compared on keep/drop and rule name (use_integrated_lists=False:
  datatrove's bundled UT1 lists are not shipped by gleaner).

Usage:  python3 bench/parity/pii_url.py    (VENV=... to reuse a virtualenv)
"""

import os
import sys

from _common import REPO, WORK, ensure_venv, load_documents, run_gleaner

ensure_venv()

import json  # noqa: E402
import logging  # noqa: E402

LISTS = os.path.join(REPO, "examples", "lists")
CRAFTED_URLS = [
    "https://example.org/best-casino/bonus",
    "https://example.org/casinos",
    "https://example.org/CASINO",
    "https://example.org/adult-education",
    "https://example.org/adult-dating",
    "https://shop.example.com/cheap-VIAGRA-pills",
    "https://example.org/free-bet-today",
    "http://www.krimiblog.de/?p=2895",
    "http://x.archiv.krimiblog.de/",
    "https://news.ebrosia.de:8443/x",
    "https://user:pw@www.ebrosia.de/",
    "http://192.168.0.1/casino",
]


def pii(docs):
    from datatrove.pipeline.formatters.pii import PIIFormatter

    pipeline = os.path.join(WORK, "pii.toml")
    with open(pipeline, "w") as f:
        f.write('[[stage]]\ntype = "pii"\nipv6 = false\nphones = false\n')
    gl, _ = run_gleaner(pipeline, docs)
    same = changed = 0
    diffs = []
    for d in docs:
        expected = PIIFormatter().format(d["text"])
        changed += expected != d["text"]
        if gl[d["id"]]["text"] == expected:
            same += 1
        else:
            diffs.append(d["id"])
    n = len(docs)
    print(f"pii (e-mail + IPv4): same text on {same}/{n} = {100 * same / n:.2f}% "
          f"({changed} documents changed by datatrove)")
    for i in diffs[:10]:
        print("   differs:", i)


def url_filter(docs):
    from datatrove.data import Document
    from datatrove.pipeline.filters.url_filter import URLFilter

    def lines(name):
        with open(os.path.join(LISTS, name), encoding="utf-8") as f:
            return list(f)

    dt = URLFilter(
        extra_domains=lines("blocked_domains.txt"),
        extra_urls=lines("blocked_urls.txt"),
        banned_words=lines("banned_words.txt"),
        soft_banned_words=lines("soft_banned_words.txt"),
        banned_subwords=lines("banned_subwords.txt"),
        use_integrated_lists=False,
    )
    urls = sorted({d["metadata"]["url"] for d in docs if "url" in d["metadata"]}) + CRAFTED_URLS
    url_docs = [{"id": f"u{i}", "text": "", "metadata": {"url": u}} for i, u in enumerate(urls)]
    gl, _ = run_gleaner(os.path.join(REPO, "examples", "filters", "url_filter.toml"), url_docs)
    same = blocked = 0
    for d in url_docs:
        r = dt.filter(Document(text="", id=d["id"], metadata=dict(d["metadata"])))
        dt_rule = None if r is True else r[1]
        g = gl[d["id"]]
        gl_rule = None if g["kept"] else g["removal"]["rule"]
        blocked += dt_rule is not None
        if dt_rule == gl_rule:
            same += 1
        else:
            print(f"   differs: {d['metadata']['url']}: datatrove {dt_rule}, gleaner {gl_rule}")
    n = len(url_docs)
    print(f"url_filter: same decision and rule on {same}/{n} URLs = {100 * same / n:.2f}% "
          f"({blocked} blocked by datatrove)")


def main():
    logging.disable(logging.CRITICAL)
    docs = load_documents()
    print(f"documents: {len(docs)}")
    pii(docs)
    url_filter(docs)


if __name__ == "__main__":
    main()
