"""Shared by the parity scripts: the pinned virtualenv, the document corpus, running gleaner.

Only the standard library is imported at module level, so `ensure_venv()` can run before any
third-party import and re-exec the calling script under the venv's python.
"""

import gzip
import csv
import io
import json
import os
import subprocess
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
WORK = os.path.join(HERE, ".work")
PINNED = [
    "datatrove[processing]==0.10.1",
    "fasttext-numpy2-wheel==0.9.2",
    "trafilatura==1.11.0",
    "lxml_html_clean==0.4.6",
    "tldextract==5.4.0",
    "pyahocorasick==2.3.1",
    "orjson",
]


def ensure_venv(pinned=PINNED, default_venv=os.path.join(HERE, ".venv")):
    """Re-runs the calling script under $VENV's python, creating `default_venv` with `pinned`
    (bench/parity/.venv with the parity pins) if $VENV is unset."""
    venv = os.environ.get("VENV") or default_venv
    py = os.path.join(venv, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return
    if not os.path.exists(py):
        print(f"creating {venv} with {' '.join(pinned)}", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", venv])
        subprocess.check_call([py, "-m", "pip", "install", "-q", *pinned])
    os.execv(py, [py, *sys.argv])


def data_dir():
    """../shared/data, or $GLEANER_DATA (or $GLEANER_SHARED_DATA)."""
    d = (os.environ.get("GLEANER_DATA") or os.environ.get("GLEANER_SHARED_DATA")
         or os.path.join(os.path.dirname(REPO), "shared", "data"))
    return d if os.path.isdir(d) else "/work/shared/data"


def news_articles():
    """The 3,824 real news articles (Dai 2017) of shared/data, as CSV rows (dicts)."""
    with zipfile.ZipFile(os.path.join(data_dir(), "news-articles", "NewsArticles.zip")) as z:
        name = next(n for n in z.namelist() if n.endswith(".csv"))
        raw = z.read(name).decode("utf-8", errors="replace")
    return list(csv.DictReader(io.StringIO(raw)))


def load_documents():
    """5,804 real documents, cached as JSONL under bench/parity/.work/ (trafilatura is slow):
    the 3,824 news articles, and for each of the 990 extraction-dev pages its trafilatura main
    text (`main-…`) and its raw lxml text_content() (`page-…`), with the page URL."""
    os.makedirs(WORK, exist_ok=True)
    path = os.path.join(WORK, "language-docs.jsonl")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f]
    data = data_dir()
    docs = []
    for row in news_articles():
        docs.append({"id": f"news-{row['article_id']}", "text": row["text"], "metadata": {"kind": "news"}})
    import lxml.html
    import trafilatura

    ev_dir = os.path.join(data, "extraction-dev")
    with open(os.path.join(ev_dir, "evaldata.json"), encoding="utf-8") as f:
        evaldata = json.load(f)
    for url, entry in sorted(evaldata.items()):
        fname = os.path.join(ev_dir, "html", entry["file"] + ".gz")
        if not os.path.exists(fname):
            continue
        html = gzip.open(fname).read()
        try:
            main = trafilatura.extract(html) or ""
        except Exception:
            main = ""
        try:
            full = lxml.html.fromstring(html).text_content()
        except Exception:
            full = ""
        docs.append({"id": f"main-{entry['file']}", "text": main, "metadata": {"url": url, "kind": "main"}})
        docs.append({"id": f"page-{entry['file']}", "text": full, "metadata": {"url": url, "kind": "page"}})
    with open(path, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    return docs


def run_gleaner(pipeline, docs):
    """Runs `pipeline` over `docs` with the apply_pipeline example; returns {id: result row}
    and the wall time. GLEANER_PROFILE=release builds optimized (default: debug)."""
    import time

    profile = os.environ.get("GLEANER_PROFILE", "debug")
    cmd = ["cargo", "build", "-q", "-p", "gleaner", "--example", "apply_pipeline"]
    if profile == "release":
        cmd.append("--release")
    subprocess.check_call(cmd, cwd=REPO)
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    exe = os.path.join(target, profile, "examples", "apply_pipeline")
    payload = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs).encode("utf-8")
    t0 = time.perf_counter()
    res = subprocess.run([exe, pipeline], input=payload, capture_output=True, check=True)
    elapsed = time.perf_counter() - t0
    out = {}
    # Not splitlines(): texts may hold U+2028 and friends, which it would split on.
    for line in res.stdout.decode("utf-8").split("\n"):
        if line:
            r = json.loads(line)
            out[r["id"]] = r
    return out, elapsed
