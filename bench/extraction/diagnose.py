#!/usr/bin/env python3
"""Error analysis of gleaner's `extract` on extraction-dev: which "must not appear" snippets it
emits (false positives) and which "must appear" snippets it loses (false negatives), with the
HTML element each came from, grouped by the class/id words of the nearest named ancestor.

Usage: python3 bench/extraction/diagnose.py [--split tuning|held-out|all] [--top N] [--pages]

Fast loop for tuning: decoded pages and trafilatura's output are cached under
bench/extraction/.cache/ (trafilatura runs once), gleaner's `extract_pages` and `extract_trace`
examples are built with --release on each run. By default only the tuning split is analysed,
so that the held-out fifth (md5(url) % 5 == 0, as in eval.py) stays unseen while tuning.
Columns "traf" say whether trafilatura makes the same mistake: errors trafilatura avoids are
the ones worth fixing first.
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import eval as ev  # noqa: E402  (eval.py beside this file)

CACHE = os.path.join(HERE, ".cache")


def load_pages():
    import gzip
    import hashlib
    data = os.path.join(os.environ.get("GLEANER_SHARED_DATA") or os.path.join(ev.REPO, "..", "shared", "data"), "extraction-dev")
    with open(os.path.join(data, "evaldata.json"), encoding="utf-8") as f:
        evaldata = json.load(f)
    os.makedirs(CACHE, exist_ok=True)
    pages_file = os.path.join(CACHE, "pages.jsonl")
    pages = []
    write = not os.path.exists(pages_file)
    out = open(pages_file, "w", encoding="utf-8") if write else None
    for url, e in evaldata.items():
        held = int(hashlib.md5(url.encode()).hexdigest(), 16) % 5 == 0
        page = {"url": url, "with": e.get("with", []), "without": e.get("without", []),
                "held_out": held}
        if out:
            with gzip.open(os.path.join(data, "html", e["file"] + ".gz")) as f:
                out.write(json.dumps({"id": url, "url": url, "html": ev.decode(f.read())}) + "\n")
        pages.append(page)
    if out:
        out.close()
    return pages, pages_file


def trafilatura_results(pages_file):
    path = os.path.join(CACHE, "traf.json")
    if not os.path.exists(path):
        import trafilatura
        res = {}
        with open(pages_file, encoding="utf-8") as f:
            for line in f:
                p = json.loads(line)
                res[p["id"]] = trafilatura.extract(p["html"])
        with open(path, "w", encoding="utf-8") as f:
            json.dump(res, f, ensure_ascii=False)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def build():
    subprocess.check_call(["cargo", "build", "--release", "-q", "-p", "gleaner",
                           "--example", "extract_pages", "--example", "extract_trace"],
                          cwd=ev.REPO)
    return os.path.join(ev.REPO, "target", "release", "examples")


def gleaner_results(bindir, pages_file):
    out = os.path.join(CACHE, "gleaner.jsonl")
    timing = json.loads(subprocess.check_output([os.path.join(bindir, "extract_pages"),
                                                 pages_file, out]))
    res = {}
    with open(out, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            res[r["id"]] = r["text"]
    return res, timing["pages"] / timing["seconds"]


WORD = re.compile(r"[a-z]+")


def group_key(chain):
    """Tag of the snippet's element and the class/id words of its two innermost named
    ancestors, e.g. `p < div[entry content] < article[post]`."""
    parts = []
    for i, link in enumerate(chain):
        el = link["el"].lower()
        tag = re.split(r"[.#]", el)[0]
        if i == 0:
            parts.append(tag)
        if "." in el or "#" in el:
            words = sorted(set(WORD.findall(el[len(tag):])))
            parts.append(f"{tag}[{' '.join(words[:5])}]")
            if len(parts) >= 3:
                break
    return " < ".join(parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="tuning", choices=["tuning", "held-out", "all"])
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--pages", action="store_true", help="list every error with its page")
    args = ap.parse_args()
    ev.ensure_venv()
    pages, pages_file = load_pages()
    traf = trafilatura_results(pages_file)
    bindir = build()
    glean, rate = gleaner_results(bindir, pages_file)

    for name, subset in [("tuning", [p for p in pages if not p["held_out"]]),
                         ("held-out", [p for p in pages if p["held_out"]]), ("all", pages)]:
        for tool, res in [("gleaner", glean), ("trafilatura", traf)]:
            p, r, f1, _ = ev.score(subset, res)
            print(f"{name:9} {tool:12} P {p:.4f} R {r:.4f} F1 {f1:.4f}")
    print(f"gleaner {rate:.1f} pages/s")

    chosen = [p for p in pages if args.split == "all" or p["held_out"] == (args.split == "held-out")]
    errors = []  # (kind, url, snippet, traf_same)
    for p in chosen:
        g = ev.norm(glean.get(p["url"]) or "")
        t = ev.norm(traf.get(p["url"]) or "")
        for s in p["without"]:
            s = ev.norm(s)
            if s in g:
                errors.append(("FP", p["url"], s, s in t))
        for s in p["with"]:
            s = ev.norm(s)
            if s not in g:
                errors.append(("FN", p["url"], s, s not in t))
    queries = os.path.join(CACHE, "queries.jsonl")
    with open(queries, "w", encoding="utf-8") as f:
        for _, url, s, _ in errors:
            f.write(json.dumps({"url": url, "needle": s[:24]}) + "\n")
    traces = {}
    out = subprocess.check_output([os.path.join(bindir, "extract_trace"), pages_file, queries])
    for line in out.decode().splitlines():
        r = json.loads(line)
        traces[(r["url"], r["needle"])] = r
    groups = collections.defaultdict(list)
    for kind, url, s, same in errors:
        tr = traces.get((url, s[:24]), {"chain": [], "found": False})
        key = group_key(tr["chain"]) if tr["found"] else "(spans nodes)"
        if kind == "FN" and tr.get("removed"):
            key = "pruned: " + key
        groups[(kind, key)].append((url, s, same))
    for kind in ["FP", "FN"]:
        total = sum(1 for e in errors if e[0] == kind)
        avoid = sum(1 for e in errors if e[0] == kind and not e[3])
        print(f"\n{kind}: {total} on {args.split} ({avoid} that trafilatura avoids)")
        ranked = sorted(((k, v) for k, v in groups.items() if k[0] == kind), key=lambda kv: -len(kv[1]))
        for (k, key), v in ranked[:args.top]:
            better = sum(1 for e in v if not e[2])
            print(f"  {len(v):4} (traf avoids {better:3})  {key}")
            if args.pages:
                for url, s, same in v:
                    print(f"        {'  ' if same else '* '}{url}  «{s[:90]}»")


if __name__ == "__main__":
    main()
