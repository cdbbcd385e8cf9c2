#!/usr/bin/env python3
"""Checks that a change to the extractor left its output byte-identical (speed work must not move
any result).

Usage: python3 bench/extraction/same_output.py save DIR    # record the current output
       python3 bench/extraction/same_output.py check DIR   # compare against it

Runs the `extract_pages` example (GLEANER_EXTRACT_BIN, else built with --release) with
GLEANER_FEATURES=1 over every page of WCXB dev and extraction-dev (compare.py's loaders and input
cache, $EXTRACT_CACHE), so each page's text, title, author, date, page type, confidence and the
model features behind them are compared. `check` prints the pages that differ (and which fields)
and exits 1 if any do; both modes print the pages per CPU-second of the run (a rough figure:
measure speed with compare.py inside the bench lock).

Stdlib only: no venv needed.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402  (compare.py beside this file)

DATA_SETS = {"wcxb": compare.load_wcxb, "extraction-dev": compare.load_extraction_dev}


def pages_file(name):
    """compare.py's input file for data set `name`, written on first use."""
    path = os.path.join(compare.CACHE, f"pages-{name}.jsonl")
    if not os.path.exists(path):
        os.makedirs(compare.CACHE, exist_ok=True)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            for p in DATA_SETS[name]():
                f.write(json.dumps({"id": p["id"], "url": p["url"], "html": p["html"]}) + "\n")
        os.replace(path + ".tmp", path)
    return path


def run(binary, name, out):
    env = dict(os.environ, GLEANER_FEATURES="1")
    timing = json.loads(subprocess.check_output([binary, pages_file(name), out], env=env))
    return timing["pages"] / timing["cpu_seconds"]


def differences(expected, actual):
    """[(id, [fields])] of the pages whose output lines differ."""
    with open(expected, encoding="utf-8") as f:
        want = f.read().splitlines()
    with open(actual, encoding="utf-8") as f:
        got = f.read().splitlines()
    if len(want) != len(got):
        return [("<page count>", [f"{len(want)} -> {len(got)}"])]
    diffs = []
    for a, b in zip(want, got):
        if a != b:
            ja, jb = json.loads(a), json.loads(b)
            diffs.append((ja.get("id"), sorted(k for k in ja.keys() | jb.keys()
                                               if ja.get(k) != jb.get(k))))
    return diffs


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("save", "check"):
        sys.exit(__doc__)
    mode, directory = sys.argv[1], sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    binary = compare.build_gleaner()
    failed = False
    for name in DATA_SETS:
        saved = os.path.join(directory, f"gleaner-{name}.jsonl")
        if mode == "save":
            rate = run(binary, name, saved)
            print(f"{name}: saved {saved} ({rate:.0f} pages per CPU-second)")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out.jsonl")
            rate = run(binary, name, out)
            diffs = differences(saved, out)
        print(f"{name}: {len(diffs)} pages differ ({rate:.0f} pages per CPU-second)")
        for page, fields in diffs[:20]:
            print(f"  {page}: {', '.join(fields)}")
        failed |= bool(diffs)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
