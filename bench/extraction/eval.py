#!/usr/bin/env python3
"""Scores gleaner's `extract` and trafilatura side by side on extraction-dev.

Usage: python3 bench/extraction/eval.py [DATA_DIR]   (default ../shared/data/extraction-dev)

Metric (from the dataset's README, the trafilatura project's own evaluation): every "with"
snippet found in the extracted text is a true positive, missing a false negative; every
"without" snippet found is a false positive, absent a true negative. Whitespace is collapsed in
texts and snippets for both tools alike (snippets span line breaks a tool may or may not emit).

Both tools get the same decoded `str` per page (UTF-8, else the page's meta charset, else
cp1252) and are timed on extraction only, one thread each: trafilatura with default settings
(`trafilatura.extract(html)`), gleaner through the `extract_pages` example built with --release.

Pages are split by a hash of their URL: md5(url) % 5 == 0 is held out (not looked at while tuning
gleaner's scoring); the report gives the tuning split, the held-out split and all pages.

Python: set VENV to a virtualenv that has trafilatura; otherwise the script creates
bench/extraction/.venv-extract with the pinned versions below and re-runs itself inside it.
"""
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PINNED = ["trafilatura==2.3.1", "lxml_html_clean==0.4.4"]


def ensure_venv():
    venv = os.environ.get("VENV") or os.path.join(HERE, ".venv-extract")
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        print(f"creating {venv} with {' '.join(PINNED)}", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", venv])
        subprocess.check_call([py, "-m", "pip", "install", "-q", *PINNED])
    if os.path.realpath(sys.prefix) != os.path.realpath(venv):
        os.environ["VENV"] = venv
        os.execv(py, [py, *sys.argv])


CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


def decode(raw):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    m = CHARSET.search(raw[:8192])
    if m:
        try:
            return raw.decode(m.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    return raw.decode("cp1252", errors="replace")


def norm(s):
    return " ".join(s.split())


def score(pages, results):
    tp = fn = fp = tn = 0
    for p in pages:
        text = norm(results.get(p["url"]) or "")
        for w in p["with"]:
            if norm(w) in text:
                tp += 1
            else:
                fn += 1
        for w in p["without"]:
            if norm(w) in text:
                fp += 1
            else:
                tn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = (tp + tn) / max(1, tp + fn + fp + tn)
    return precision, recall, f1, accuracy


def main():
    ensure_venv()
    import trafilatura

    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "..", "shared", "data", "extraction-dev")
    with open(os.path.join(data, "evaldata.json"), encoding="utf-8") as f:
        evaldata = json.load(f)
    pages = []
    for url, e in evaldata.items():
        with gzip.open(os.path.join(data, "html", e["file"] + ".gz")) as f:
            html = decode(f.read())
        held = int(hashlib.md5(url.encode()).hexdigest(), 16) % 5 == 0
        pages.append({"url": url, "html": html, "with": e.get("with", []),
                      "without": e.get("without", []), "held_out": held})

    # gleaner
    binary = os.environ.get("GLEANER_EXTRACT_BIN")
    if not binary:
        subprocess.check_call(["cargo", "build", "--release", "-q", "-p", "gleaner",
                               "--example", "extract_pages"], cwd=REPO)
        binary = os.path.join(REPO, "target", "release", "examples", "extract_pages")
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = os.path.join(tmp, "pages.jsonl"), os.path.join(tmp, "out.jsonl")
        with open(inp, "w", encoding="utf-8") as f:
            for p in pages:
                f.write(json.dumps({"id": p["url"], "html": p["html"]}) + "\n")
        timing = json.loads(subprocess.check_output([binary, inp, out]))
        gleaner = {}
        with open(out, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                gleaner[r["id"]] = r["text"]
        if os.environ.get("DUMP"):
            with open(os.environ["DUMP"], "w", encoding="utf-8") as f:
                json.dump(gleaner, f, ensure_ascii=False)
    g_rate = timing["pages"] / timing["seconds"]

    # trafilatura
    traf = {}
    start = time.perf_counter()
    for p in pages:
        traf[p["url"]] = trafilatura.extract(p["html"])
    t_rate = len(pages) / (time.perf_counter() - start)
    if os.environ.get("DUMP_TRAF"):
        with open(os.environ["DUMP_TRAF"], "w", encoding="utf-8") as f:
            json.dump(traf, f, ensure_ascii=False)

    print(f"extraction-dev: {len(pages)} pages, trafilatura {trafilatura.__version__} (default settings)")
    splits = [("tuning", [p for p in pages if not p["held_out"]]),
              ("held-out", [p for p in pages if p["held_out"]]),
              ("all", pages)]
    print(f"{'split':9} {'tool':12} {'pages':>5} {'precision':>9} {'recall':>7} {'F1':>7} {'accuracy':>8}")
    for name, subset in splits:
        for tool, res in [("gleaner", gleaner), ("trafilatura", traf)]:
            p, r, f1, acc = score(subset, res)
            print(f"{name:9} {tool:12} {len(subset):5} {p:9.4f} {r:7.4f} {f1:7.4f} {acc:8.4f}")
    print(f"speed (1 thread, extraction only): gleaner {g_rate:.1f} pages/s, "
          f"trafilatura {t_rate:.1f} pages/s, ratio {g_rate / t_rate:.1f}x")


if __name__ == "__main__":
    main()
