"""Real documents for the tokenizer parity tests and the tokenizer bench.

From the shared development data (``$GLEANER_SHARED_DATA`` or ``../shared/data`` beside the
checkout), about 16,000 documents of real text:

* the 3,824 news articles whole, and their 3,824 titles;
* the first 1,000 articles again, cut into pieces of about 500 characters at sentence ends;
* the first 4,000 characters of each of the 2,487 HTML pages of extraction-dev and
  extraction-wcxb-dev, raw markup included (whitespace runs, tabs, scripts, many scripts and
  languages: what a tokenizer's pre-tokenizer finds hardest).

In a lone clone (no shared data) the 401 documents of ``examples/data/news-sample.jsonl.zst``
and their sentence pieces stand in; with ``GLEANER_REQUIRE_SHARED_DATA=1`` (CI) the shared data
must be present.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HTML_CHARS = 4000
PIECE_CHARS = 500
PIECE_ARTICLES = 1000


def shared_data_dir() -> Path:
    env = os.environ.get("GLEANER_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def _pieces(text: str):
    """Consecutive runs of whole sentences of about PIECE_CHARS characters."""
    out, start = [], 0
    for m in re.finditer(r"[.!?] ", text):
        if m.end() - start >= PIECE_CHARS:
            out.append(text[start : m.end()])
            start = m.end()
    if start < len(text):
        out.append(text[start:])
    return out


def _news(shared: Path):
    csv.field_size_limit(sys.maxsize)
    with zipfile.ZipFile(shared / "news-articles" / "NewsArticles.zip") as z:
        raw = z.read("NewsArticles.csv").decode("utf-8")
    return [(r["article_id"], r["title"], r["text"]) for r in csv.DictReader(io.StringIO(raw))]


def _html(shared: Path):
    for sub in ("extraction-dev/html", "extraction-wcxb-dev/html"):
        for f in sorted((shared / sub).glob("*.gz")):
            with gzip.open(f, "rb") as fh:
                page = fh.read().decode("utf-8", errors="replace")
            yield f"{sub}/{f.name}", page[:HTML_CHARS]


def real_documents() -> tuple[list[tuple[str, str]], bool]:
    """(id, text) pairs, and whether they came from the shared data (else the repo's sample)."""
    shared = shared_data_dir()
    docs: list[tuple[str, str]] = []
    if (shared / "news-articles" / "NewsArticles.zip").exists():
        articles = _news(shared)
        for aid, title, text in articles:
            docs.append((f"news/{aid}", text))
            if title.strip():
                docs.append((f"news/{aid}/title", title))
        for aid, _, text in articles[:PIECE_ARTICLES]:
            for i, piece in enumerate(_pieces(text)):
                docs.append((f"news/{aid}/piece-{i}", piece))
        docs += list(_html(shared))
        return [d for d in docs if d[1]], True
    if os.environ.get("GLEANER_REQUIRE_SHARED_DATA") == "1":
        raise RuntimeError(
            f"{shared} is missing and GLEANER_REQUIRE_SHARED_DATA=1: the shared development data must be present"
        )
    import zstandard

    sample = REPO / "examples" / "data" / "news-sample.jsonl.zst"
    with zstandard.open(sample, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    for r in rows:
        docs.append((r["id"], r["text"]))
        for i, piece in enumerate(_pieces(r["text"])):
            docs.append((f"{r['id']}/piece-{i}", piece))
    return [d for d in docs if d[1]], False


def write_jsonl(docs, directory: Path, files: int = 4) -> Path:
    """The documents as ``files`` plain JSONL files under ``directory`` (split in order)."""
    directory.mkdir(parents=True, exist_ok=True)
    per = (len(docs) + files - 1) // files
    for f in range(files):
        with open(directory / f"part-{f:02}.jsonl", "w", encoding="utf-8") as fh:
            for doc_id, text in docs[f * per : (f + 1) * per]:
                fh.write(json.dumps({"id": doc_id, "text": text}) + "\n")
    return directory
