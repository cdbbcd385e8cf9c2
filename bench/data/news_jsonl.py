#!/usr/bin/env python3
"""Convert the news-articles CSV (../shared/data/news-articles/NewsArticles.zip) to JSONL.

Usage: news_jsonl.py OUT.jsonl [--limit N] [--min-mb M]
  --limit N   keep the first N articles (default: all 3,824)
  --min-mb M  repeat the set (ids suffixed with the round) until the file holds at least M MB,
              for throughput benchmarks that need more bytes than the set has.
Standard library only, so it runs on a fresh machine.
"""
import argparse, csv, io, json, os, sys, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ZIP = os.path.join(HERE, "..", "..", "..", "shared", "data", "news-articles", "NewsArticles.zip")


def articles(zip_path):
    csv.field_size_limit(1 << 30)
    with zipfile.ZipFile(zip_path) as z:
        raw = z.read("NewsArticles.csv")
    text = raw.decode("utf-8", errors="replace")
    for row in csv.DictReader(io.StringIO(text)):
        yield row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--zip", default=os.environ.get("NEWS_ZIP", DEFAULT_ZIP))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--min-mb", type=float, default=0)
    a = ap.parse_args()
    rows = list(articles(a.zip))
    if a.limit:
        rows = rows[: a.limit]
    written, rnd = 0, 0
    with open(a.out, "w", encoding="utf-8") as f:
        while True:
            for r in rows:
                doc = {
                    "id": f"news-{r['article_id']}" + (f"-r{rnd}" if rnd else ""),
                    "text": r["text"],
                    "metadata": {
                        "url": r["article_source_link"],
                        "title": r["title"],
                        "date": r["publish_date"],
                        "source": "news-articles",
                    },
                }
                line = json.dumps(doc, ensure_ascii=False) + "\n"
                f.write(line)
                written += len(line.encode("utf-8"))
            rnd += 1
            if written >= a.min_mb * 1e6:
                break
    print(f"{a.out}: {written / 1e6:.1f} MB, {rnd} round(s) of {len(rows)} articles", file=sys.stderr)


if __name__ == "__main__":
    main()
