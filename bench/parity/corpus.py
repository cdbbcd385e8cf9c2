"""Builds the parity corpus from ../shared/data: real documents, clean and noisy.

- news: every article of news-articles/NewsArticles.zip (3,824 English news texts);
- extraction-dev, main text: trafilatura's extraction of each of the 990 pages;
- extraction-dev, raw: lxml `text_content()` of each page's <body> (menus, footers, scripts'
  neighbours and all), so the filters also meet the noisy text a crawl produces.

Writes one JSONL file `{"id", "text", "metadata": {"source"}}`; records with empty text are
skipped (datatrove's filters are not defined on them the same way: see quality.py).
"""

import csv
import gzip
import io
import json
import os
import sys
import zipfile


def news(data_dir):
    with zipfile.ZipFile(os.path.join(data_dir, "news-articles", "NewsArticles.zip")) as z:
        name = next(n for n in z.namelist() if n.endswith(".csv"))
        raw = z.read(name)
    for enc in ("utf-8", "latin-1"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    csv.field_size_limit(sys.maxsize)
    for row in csv.DictReader(io.StringIO(text)):
        yield f"news-{row['article_id']}", row["text"] or "", "news"


def pages(data_dir):
    import lxml.html
    import trafilatura

    # evaldata.json's "file" names do not match the stored (hashed) file names, and the filters
    # need no URL, so every stored page is used, in name order.
    html_dir = os.path.join(data_dir, "extraction-dev", "html")
    for name in sorted(os.listdir(html_dir)):
        if not name.endswith(".gz"):
            continue
        with gzip.open(os.path.join(html_dir, name), "rb") as f:
            html = f.read()
        info = {"file": name[: -len(".html.gz")]}
        html_text = html.decode("utf-8", errors="replace")
        extracted = trafilatura.extract(html_text) or ""
        yield f"page-main-{info['file']}", extracted, "extraction-main"
        try:
            tree = lxml.html.fromstring(html)
            body = tree.find("body")
            raw = (body if body is not None else tree).text_content()
        except Exception:
            raw = ""
        yield f"page-raw-{info['file']}", raw, "extraction-raw"


def build(data_dir, out_path):
    n = 0
    with open(out_path, "w", encoding="utf-8") as out:
        for source in (news(data_dir), pages(data_dir)):
            for doc_id, text, kind in source:
                if not text.strip():
                    continue
                out.write(json.dumps({"id": doc_id, "text": text, "metadata": {"source": kind}}) + "\n")
                n += 1
    return n


if __name__ == "__main__":
    data_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data")
    out_path = sys.argv[2] if len(sys.argv) > 2 else "corpus.jsonl"
    print(build(data_dir, out_path), "documents written to", out_path)
