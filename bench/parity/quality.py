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


def run_datatrove_chunk(docs):
    """Every filter on every document of a chunk. Filters run back to back on the same text so
    datatrove's own lru_cache on split_into_words tokenizes each document once, not three times
    (the results are the same; only the parity pass gets faster)."""
    from datatrove.data import Document

    # gopher_repetition, gopher_quality and fineweb tokenize the same text: keep them adjacent.
    order = ["gopher_repetition", "gopher_quality", "fineweb", "c4", "c4_paragraph"]
    filters = {name: datatrove_filter(name) for name in order}
    out = {name: [] for name in FILTERS}
    for d in docs:
        for name, f in filters.items():
            doc = Document(text=d["text"], id=d["id"])
            try:
                res = f.filter(doc)
            except Exception as e:  # a crash is a result too (none expected on this corpus)
                out[name].append({"id": d["id"], "keep": False, "reason": f"error: {type(e).__name__}"})
                continue
            keep, reason = (res, None) if not isinstance(res, tuple) else res
            rec = {"id": d["id"], "keep": bool(keep), "reason": reason}
            if name == "c4" and keep:
                rec["text"] = doc.text
            out[name].append(rec)
    return out


def datatrove_results(docs, procs, budget):
    """{filter: {id: result}}. Results are appended to target/parity/datatrove-*.jsonl as they come
    (an interrupted run resumes), documents interleaved across sources so that a partial run
    (`--datatrove-budget` seconds) still covers news, main text and raw pages alike."""
    paths = {name: os.path.join(WORK, f"datatrove-{name}.jsonl") for name in FILTERS}
    done = set()
    if all(os.path.exists(p) for p in paths.values()):
        with open(paths[FILTERS[-1]], encoding="utf-8") as f:
            done = {json.loads(line)["id"] for line in f}
    by_source = {}
    for d in docs:
        by_source.setdefault(d["metadata"]["source"], []).append(d)
    order, queues = [], [list(q) for q in by_source.values()]
    while any(queues):
        for q in queues:
            # take sources in proportion to their size
            for _ in range(max(1, len(q) * len(queues) // max(1, sum(map(len, queues))))):
                if q:
                    order.append(q.pop(0))
    todo = [d for d in order if d["id"] not in done]
    if todo:
        from multiprocessing import Pool

        files = {name: open(p, "a", encoding="utf-8") for name, p in paths.items()}
        chunks = [todo[i : i + 20] for i in range(0, len(todo), 20)]
        started = time.perf_counter()
        n = len(done)
        with Pool(procs) as pool:
            for part in pool.imap(run_datatrove_chunk, chunks):
                # the last filter's file is written last: it marks a document as done
                for name in FILTERS:
                    for r in part[name]:
                        files[name].write(json.dumps(r) + "\n")
                    files[name].flush()
                n += len(part[FILTERS[0]])
                elapsed = time.perf_counter() - started
                print(f"   datatrove: {n}/{len(docs)} documents, {elapsed:.0f}s", flush=True)
                if budget and elapsed > budget:
                    pool.terminate()
                    break
        for f in files.values():
            f.close()
    out = {}
    for name, path in paths.items():
        with open(path, encoding="utf-8") as f:
            out[name] = {r["id"]: r for r in map(json.loads, f)}
    return out


# ---------------------------------------------------------------------------------------------
# gleaner side


def gleaner_binary():
    subprocess.check_call(["cargo", "build", "--release", "-q", "-p", "gleaner-cli"], cwd=ROOT)
    return os.path.join(ROOT, "target", "release", "gleaner")


def read_jsonl_zst(pattern):
    for path in sorted(glob.glob(pattern)):
        data = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
        for line in data.decode("utf-8").split("\n"):
            if line:
                yield json.loads(line)


def children_cpu():
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_gleaner(binary, pipeline, corpus, out_dir, threads, cpu=None):
    """Runs gleaner; returns wall seconds (and appends CPU seconds to `cpu` if given)."""
    started, cpu0 = time.perf_counter(), children_cpu()
    subprocess.run(
        [binary, "run", pipeline, "--input", corpus, "--output", out_dir, "-j", str(threads), "--quiet", "--overwrite"],
        check=True,
    )
    if cpu is not None:
        cpu.append(children_cpu() - cpu0)
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
    sources = {}
    for d in docs:
        sources[d["metadata"]["source"]] = sources.get(d["metadata"]["source"], 0) + 1
    print(f"\n== {name}: {n} documents {sources}")
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


def kept_ids(out_dir):
    """Ids of the documents in a run's kept shards (gleaner: kept/*.jsonl.zst; datatrove: *.jsonl.gz)."""
    import gzip

    ids = set()
    for root, _, files in os.walk(out_dir):
        for name in files:
            path = os.path.join(root, name)
            if name.endswith(".gz"):
                data = gzip.open(path, "rb").read()
            elif name.endswith(".zst"):
                data = subprocess.run(["zstd", "-dc", path], capture_output=True, check=True).stdout
            else:
                continue
            for line in data.split(b"\n"):
                if line:
                    ids.add(json.loads(line)["id"])
    return ids


def bench(binary, corpus, docs):
    """The FineWeb chain as datatrove's example runs it (language -> Gopher repetition -> Gopher
    quality -> C4 without the terminal-punctuation rule -> FineWeb quality) against gleaner's
    examples/recipes/fineweb.toml, same documents, and checks that both keep the same ids."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.filters import C4QualityFilter, FineWebQualityFilter, GopherQualityFilter, GopherRepetitionFilter
    from datatrove.pipeline.filters.language_filter import LanguageFilter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.lid import FT176LID

    # The same quantized lid.176 model gleaner compiles in (no download; see language.py).
    FT176LID.MODEL_URL = "file://" + os.path.join(ROOT, "crates", "gleaner", "assets", "lid.176.ftz")
    print(f"\n== Benchmark: FineWeb chain (language en >= 0.65 -> Gopher repetition -> Gopher quality -> "
          f"C4 without terminal-punct rule -> FineWeb quality), {len(docs)} documents")
    tmp = tempfile.mkdtemp(prefix="gleaner-bench-")
    try:
        in_dir = os.path.join(tmp, "in")
        os.makedirs(in_dir)
        shutil.copy(corpus, os.path.join(in_dir, "corpus.jsonl"))
        pipeline = [
            JsonlReader(in_dir),
            LanguageFilter(languages=["en"], language_threshold=0.65),
            GopherRepetitionFilter(),
            GopherQualityFilter(),
            C4QualityFilter(filter_no_terminal_punct=False),
            FineWebQualityFilter(),
            JsonlWriter(os.path.join(tmp, "dt-out")),
        ]
        started, cpu0 = time.perf_counter(), time.process_time()
        LocalPipelineExecutor(pipeline=pipeline, tasks=1, workers=1, logging_dir=os.path.join(tmp, "logs")).run()
        dt_secs, dt_cpu = time.perf_counter() - started, time.process_time() - cpu0

        # The shipped recipe itself, with the HTML report off (datatrove writes none either).
        chain = os.path.join(tmp, "chain.toml")
        with open(os.path.join(ROOT, "examples", "recipes", "fineweb.toml")) as src, open(chain, "w") as f:
            f.write("[output]\nreport = false\n\n" + src.read())
        cpu1, cpu2 = [], []
        g1 = min(run_gleaner(binary, chain, corpus, os.path.join(tmp, f"g1-{i}"), 1, cpu1) for i in range(3))
        g2 = min(run_gleaner(binary, chain, corpus, os.path.join(tmp, f"g2-{i}"), 2, cpu2) for i in range(3))
        c1 = min(cpu1)
        n = len(docs)
        theirs, ours = kept_ids(os.path.join(tmp, "dt-out")), kept_ids(os.path.join(tmp, "g1-0", "kept"))
        same = sum((d["id"] in theirs) == (d["id"] in ours) for d in docs)
        print(f"   same keep/drop through the whole chain: {same}/{n} = {100 * same / n:.2f}%  "
              f"(datatrove kept {len(theirs)}, gleaner kept {len(ours)})")
        print(f"   load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times suffer, CPU times less)")
        print(f"   datatrove, 1 process:  wall {dt_secs:8.2f} s  {n / dt_secs:9.1f} docs/s   CPU {dt_cpu:8.2f} s  {n / dt_cpu:9.1f} docs/CPU-s")
        print(f"   gleaner, 1 thread:     wall {g1:8.2f} s  {n / g1:9.1f} docs/s   CPU {c1:8.2f} s  {n / c1:9.1f} docs/CPU-s")
        print(f"   gleaner, 2 threads:    wall {g2:8.2f} s  {n / g2:9.1f} docs/s")
        print(f"   speed-up 1 thread vs datatrove: {dt_secs / g1:.1f}x wall, {dt_cpu / c1:.1f}x CPU   (target >= 30x)")
        print(f"   2 threads vs 1 thread: {g1 / g2:.2f}x wall   (target >= 1.8x; needs 2 idle cores)")
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
    ap.add_argument("--skip-parity", action="store_true")
    ap.add_argument("--bench-docs", type=int, default=0, help="benchmark on the first N documents only")
    ap.add_argument("--datatrove-budget", type=float, default=0,
                    help="stop the datatrove parity pass after this many seconds (0: run to the end)")
    ap.add_argument("--bench-sources", default="news,extraction-main",
                    help="corpus sources for the benchmark (the raw pages make datatrove take very long)")
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
    if not args.skip_parity:
        theirs = datatrove_results(docs, args.procs, args.datatrove_budget)
        compared = [d for d in docs if all(d["id"] in theirs[name] for name in FILTERS)]
        if len(compared) < len(docs):
            print(f"comparing the {len(compared)} documents datatrove finished within the time budget")
        for name in args.filters.split(","):
            ours = gleaner_results(binary, name, corpus, 2)
            compare(name, compared, theirs[name], ours, args.examples)
    if not args.skip_bench:
        bench_docs = [d for d in docs if d["metadata"]["source"] in args.bench_sources.split(",")]
        if args.bench_docs:
            bench_docs = bench_docs[: args.bench_docs]
        bench_corpus = os.path.join(WORK, "bench.jsonl")
        with open(bench_corpus, "w", encoding="utf-8") as f:
            for d in bench_docs:
                f.write(json.dumps(d) + "\n")
        bench(binary, bench_corpus, bench_docs)


if __name__ == "__main__":
    main()
