"""Parity and speed of gleaner's quality filters against datatrove 0.10.1, on real documents.

Corpus (bench/parity/corpus.py): the 3,824 news articles of ../shared/data plus, for each of the
990 extraction-dev pages, trafilatura's main text AND the raw text of the whole <body>.

1. Parity: each filter alone with defaults (gleaner: the shipped examples/filters/*.toml through
   `gleaner run`; datatrove: the filter's own `filter()` on every document). Prints agreement on
   keep/drop (target >= 99.5%), on the reason, and for C4 on the rewritten text (target >= 99%),
   with examples of every disagreement.
2. Speed: the FineWeb chain (Gopher repetition -> Gopher quality -> C4 with
   filter_no_terminal_punct=false -> FineWeb quality) as datatrove's LocalPipelineExecutor with one
   task (JsonlReader ... JsonlWriter) vs `gleaner run -j 1` and `-j 2` on the same file.

Usage (from the repository root):
    VENV=/path/to/venv python3 bench/parity/quality.py [--data ../shared/data] [--skip-bench]
Without VENV, a .venv is created in the repository with the pinned packages below.
Results of the datatrove side are cached in target/parity/ (delete it to recompute).
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORK = os.path.join(ROOT, "target", "parity")
PINNED = ["datatrove[processing]==0.10.1", "spacy==3.8.*", "orjson", "trafilatura==1.11.0", "lxml_html_clean"]

FILTERS = ["gopher_repetition", "gopher_quality", "c4", "c4_paragraph", "fineweb"]


def ensure_venv():
    """Re-executes this script inside VENV (or a fresh .venv with the pinned packages)."""
    if os.environ.get("GLEANER_PARITY_IN_VENV"):
        return
    venv = os.environ.get("VENV")
    if not venv:
        venv = os.path.join(ROOT, ".venv")
        if not os.path.exists(os.path.join(venv, "bin", "python")):
            subprocess.check_call([sys.executable, "-m", "venv", venv])
            subprocess.check_call([os.path.join(venv, "bin", "pip"), "install", "-q", *PINNED])
    env = dict(os.environ, GLEANER_PARITY_IN_VENV="1")
    os.execve(os.path.join(venv, "bin", "python"), [os.path.join(venv, "bin", "python"), *sys.argv], env)


# ---------------------------------------------------------------------------------------------
# datatrove side


def datatrove_filter(name, **kw):
    from datatrove.pipeline.filters import (
        C4ParagraphFilter,
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )

    return {
        "gopher_repetition": GopherRepetitionFilter,
        "gopher_quality": GopherQualityFilter,
        "c4": C4QualityFilter,
        "c4_paragraph": C4ParagraphFilter,
        "fineweb": FineWebQualityFilter,
    }[name](**kw)


def run_datatrove_chunk(args):
    name, docs = args
    from datatrove.data import Document

    f = datatrove_filter(name)
    out = []
    for d in docs:
        doc = Document(text=d["text"], id=d["id"])
        try:
            res = f.filter(doc)
        except Exception as e:  # a crash is a result too (none expected on this corpus)
            out.append({"id": d["id"], "keep": False, "reason": f"error: {type(e).__name__}"})
            continue
        keep, reason = (res, None) if not isinstance(res, tuple) else res
        rec = {"id": d["id"], "keep": bool(keep), "reason": reason}
        if name == "c4" and keep:
            rec["text"] = doc.text
        out.append(rec)
    return out


def datatrove_results(name, docs, procs):
    path = os.path.join(WORK, f"datatrove-{name}.jsonl")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            return {r["id"]: r for r in map(json.loads, f)}
    from multiprocessing import Pool

    chunks = [docs[i : i + 200] for i in range(0, len(docs), 200)]
    results = []
    with Pool(procs) as pool:
        for part in pool.imap(run_datatrove_chunk, [(name, c) for c in chunks]):
            results.extend(part)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        for r in results:
            f.write(json.dumps(r) + "\n")
    os.replace(path + ".tmp", path)
    return {r["id"]: r for r in results}


# ---------------------------------------------------------------------------------------------
# gleaner side


def gleaner_binary():
    subprocess.check_call(["cargo", "build", "--release", "-q", "-p", "gleaner-cli"], cwd=ROOT)
    return os.path.join(ROOT, "target", "release", "gleaner")


def read_jsonl_zst(pattern):
    for path in sorted(glob.glob(pattern)):
        data = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
        for line in data.decode("utf-8").splitlines():
            if line:
                yield json.loads(line)


def run_gleaner(binary, pipeline, corpus, out_dir, threads):
    started = time.perf_counter()
    subprocess.run(
        [binary, "run", pipeline, "--input", corpus, "--output", out_dir, "-j", str(threads), "--quiet", "--overwrite"],
        check=True,
    )
    return time.perf_counter() - started


def gleaner_results(binary, name, corpus, threads):
    out_dir = os.path.join(WORK, f"gleaner-{name}")
    run_gleaner(binary, os.path.join(ROOT, "examples", "filters", f"{name}.toml"), corpus, out_dir, threads)
    results = {}
    for d in read_jsonl_zst(os.path.join(out_dir, "kept", "*.jsonl.zst")):
        results[d["id"]] = {"keep": True, "reason": None, "text": d["text"]}
    for d in read_jsonl_zst(os.path.join(out_dir, "removed", "*.jsonl.zst")):
        results[d["id"]] = {"keep": False, "reason": d["removal"]["rule"]}
    return results


# ---------------------------------------------------------------------------------------------


def compare(name, docs, theirs, ours, max_examples):
    n = len(docs)
    same_keep = same_reason = 0
    both_kept = same_text = 0
    disagreements = []
    for d in docs:
        t, o = theirs[d["id"]], ours.get(d["id"])
        if o is None:
            disagreements.append((d, t, {"keep": None, "reason": "missing from gleaner output"}))
            continue
        if t["keep"] == o["keep"]:
            same_keep += 1
            same_reason += t["reason"] == o["reason"] or t["keep"]
            if name == "c4" and t["keep"]:
                both_kept += 1
                if t["text"] == o["text"]:
                    same_text += 1
                else:
                    disagreements.append((d, t, o))
        else:
            disagreements.append((d, t, o))
    print(f"\n== {name}: {n} documents")
    kept = sum(1 for d in docs if theirs[d["id"]]["keep"])
    print(f"   datatrove keeps {kept}, drops {n - kept}")
    print(f"   same keep/drop: {same_keep}/{n} = {100 * same_keep / n:.2f}%   (target >= 99.5%)")
    print(f"   same keep/drop and reason: {same_reason}/{n} = {100 * same_reason / n:.2f}%")
    if name == "c4":
        pct = 100 * same_text / both_kept if both_kept else 100.0
        print(f"   same rewritten text (both kept): {same_text}/{both_kept} = {pct:.2f}%   (target >= 99%)")
    for d, t, o in disagreements[:max_examples]:
        print(f"   - {d['id']}: datatrove {t['keep']}/{t['reason']}  gleaner {o['keep']}/{o.get('reason')}")
        if name == "c4" and t["keep"] and o.get("keep"):
            a, b = t["text"], o["text"]
            i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
            print(f"       text differs at char {i}: datatrove {a[max(0, i - 40):i + 40]!r}")
            print(f"                                gleaner   {b[max(0, i - 40):i + 40]!r}")
    return same_keep / n


def bench(binary, corpus, docs):
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    print(f"\n== Benchmark: FineWeb chain (Gopher repetition -> Gopher quality -> C4 without terminal-punct rule -> FineWeb quality), {len(docs)} documents")
    tmp = tempfile.mkdtemp(prefix="gleaner-bench-")
    try:
        in_dir = os.path.join(tmp, "in")
        os.makedirs(in_dir)
        shutil.copy(corpus, os.path.join(in_dir, "corpus.jsonl"))
        pipeline = [
            JsonlReader(in_dir),
            GopherRepetitionFilter(),
            GopherQualityFilter(),
            C4QualityFilter(filter_no_terminal_punct=False),
            FineWebQualityFilter(),
            JsonlWriter(os.path.join(tmp, "dt-out")),
        ]
        started = time.perf_counter()
        LocalPipelineExecutor(pipeline=pipeline, tasks=1, workers=1, logging_dir=os.path.join(tmp, "logs")).run()
        dt_secs = time.perf_counter() - started

        chain = os.path.join(tmp, "chain.toml")
        with open(chain, "w") as f:
            f.write('[[stage]]\ntype = "gopher_repetition"\n[[stage]]\ntype = "gopher_quality"\n'
                    '[[stage]]\ntype = "c4_quality"\nfilter_no_terminal_punct = false\n'
                    '[[stage]]\ntype = "fineweb_quality"\n')
        g1 = min(run_gleaner(binary, chain, corpus, os.path.join(tmp, f"g1-{i}"), 1) for i in range(3))
        g2 = min(run_gleaner(binary, chain, corpus, os.path.join(tmp, f"g2-{i}"), 2) for i in range(3))
        n = len(docs)
        print(f"   datatrove, 1 process:  {dt_secs:8.2f} s  {n / dt_secs:9.1f} docs/s")
        print(f"   gleaner, 1 thread:     {g1:8.2f} s  {n / g1:9.1f} docs/s   ({dt_secs / g1:.1f}x datatrove; target >= 30x)")
        print(f"   gleaner, 2 threads:    {g2:8.2f} s  {n / g2:9.1f} docs/s   ({g1 / g2:.2f}x 1 thread; target >= 1.8x)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ensure_venv()
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--filters", default=",".join(FILTERS))
    ap.add_argument("--examples", type=int, default=15)
    ap.add_argument("--procs", type=int, default=2, help="processes for the datatrove parity pass")
    ap.add_argument("--skip-bench", action="store_true")
    args = ap.parse_args()

    os.makedirs(WORK, exist_ok=True)
    corpus = os.path.join(WORK, "corpus.jsonl")
    if not os.path.exists(corpus):
        sys.path.insert(0, os.path.dirname(__file__))
        import corpus as corpus_mod

        print("building corpus:", corpus_mod.build(args.data, corpus), "documents")
    with open(corpus, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    by_source = {}
    for d in docs:
        by_source[d["metadata"]["source"]] = by_source.get(d["metadata"]["source"], 0) + 1
    print(f"corpus: {len(docs)} documents {by_source}")

    binary = gleaner_binary()
    for name in args.filters.split(","):
        theirs = datatrove_results(name, docs, args.procs)
        ours = gleaner_results(binary, name, corpus, 2)
        compare(name, docs, theirs, ours, args.examples)
    if not args.skip_bench:
        bench(binary, corpus, docs)


if __name__ == "__main__":
    main()
