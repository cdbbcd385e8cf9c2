#!/usr/bin/env python3
"""Ray vs CLI on one machine: the same pipeline and input through `gleaner run --threads 1|2` and
through gleaner.ray on a local cluster with 1 and with 2 worker CPUs. Prints documents/s, Ray's
speed against the CLI's at 2 CPUs (target >= 0.5), Ray's scaling from 1 to 2 CPUs (target
>= 1.6x), cluster start-up apart, and checks that every run keeps the same documents.

Input (default): build_corpus.py's real-derived corpus with syndicated copies (600,000 documents,
2.2 GB of JSONL in 48 zstd-compressed files; `--docs` for a smaller one), built under --data if
not there yet. Pipeline (default): normalize, the FineWeb recipe, exact dedup, MinHash dedup.

`--lock FILE` holds an exclusive lock on FILE (flock) during each configuration's runs only, so
that on a shared machine other benchmarks wait for each measurement but not for the whole script.

Usage: bench/ray/run [--data DIR] [--docs N] [--files N] [--input PATH ...] [--pipeline TOML]
                     [--repeat N] [--lock FILE]
(`run` prepares a virtualenv; or call this file with a Python that has gleaner and ray installed.)
"""

import argparse
import contextlib
import fcntl
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import gleaner
import gleaner.ray as gray

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def corpus(data: Path, docs: int, files: int):
    """build_corpus.py's files under `data` (built first if absent) and their JSONL bytes."""
    manifest = data / "corpus.json"
    if not manifest.exists():
        subprocess.run(
            [sys.executable, str(HERE / "build_corpus.py"), "--out", str(data),
             "--docs", str(docs), "--files", str(files)],
            check=True,
        )
    return sorted(data.glob("part-*.jsonl.zst")), json.loads(manifest.read_text())["jsonl_bytes"]


@contextlib.contextmanager
def held(lock: Path):
    """An exclusive flock on `lock` (nothing when None), waited for."""
    if lock is None:
        yield
        return
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def passes(out: Path) -> str:
    """The run's phases and their seconds, from run.json."""
    info = json.loads((out / "run.json").read_text())
    return ", ".join(f"{p['name']} {p['elapsed_secs']:.1f}s" for p in info["passes"])


def default_pipeline(tmp: Path) -> Path:
    p = tmp / "pipeline.toml"
    p.write_text(
        '[[stage]]\ntype = "normalize"\n\n'
        + (REPO / "examples" / "recipes" / "fineweb.toml").read_text()
        + '\n[[stage]]\ntype = "exact_dedup"\n\n[[stage]]\ntype = "minhash_dedup"\n'
    )
    return p


def kept_ids(out: Path):
    import zstandard

    ids = []
    for f in sorted((out / "kept").glob("*.jsonl.zst")):
        with zstandard.open(f, "rt", encoding="utf-8") as fh:
            ids += [json.loads(line)["id"] for line in fh]
    return ids


def run_cli(cli, pipeline, inputs, threads, out):
    cmd = [str(cli), "run", str(pipeline), "--output", str(out), "--quiet", "--overwrite",
           "--threads", str(threads)]
    for i in inputs:
        cmd += ["--input", str(i)]
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - start


def run_ray(pipeline, inputs, cpus, out, log, repeat):
    """Starts a local cluster with `cpus` CPUs, runs the pipeline `repeat` times, stops the
    cluster. The timed part is the run (the fastest); cluster start-up is reported apart."""
    t0 = time.perf_counter()
    with gray.local_cluster(num_cpus=cpus, log_path=log):
        startup = time.perf_counter() - t0
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            gray.run(gleaner.Pipeline.from_toml(pipeline), [str(i) for i in inputs], out, overwrite=True)
            times.append(time.perf_counter() - start)
    return startup, min(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("/tmp/gleaner-ray-bench/corpus"))
    ap.add_argument("--docs", type=int, default=600_000)
    ap.add_argument("--files", type=int, default=48)
    ap.add_argument("--input", nargs="*", type=Path)
    ap.add_argument("--pipeline", type=Path)
    ap.add_argument("--work", type=Path, default=None, help="scratch for outputs (default: beside --data)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per configuration; the fastest counts (a shared machine is noisy)")
    ap.add_argument("--cli", type=Path, default=REPO / "target" / "release" / "gleaner")
    ap.add_argument("--lock", type=Path, help="flock this file during each configuration's runs")
    args = ap.parse_args()
    work = args.work or args.data.parent / "runs"
    work.mkdir(parents=True, exist_ok=True)
    if args.input:
        inputs, size = args.input, sum(p.stat().st_size for p in args.input)
    else:
        inputs, size = corpus(args.data, args.docs, args.files)
    pipeline = args.pipeline or default_pipeline(work)
    rows, phases, reference, docs = [], [], None, None
    try:
        for threads in (1, 2):
            out = work / f"cli-{threads}"
            with held(args.lock):
                secs = min(run_cli(args.cli, pipeline, inputs, threads, out) for _ in range(args.repeat))
            docs = docs or json.loads((out / "stats.json").read_text())["input"]["docs"]
            kept = kept_ids(out)
            reference = reference or kept
            assert kept == reference, "CLI runs disagree"
            name = f"gleaner run --threads {threads}"
            rows.append((name, threads, "cli", secs, None, len(kept)))
            phases.append((name, passes(out)))
            print(f"{name}: {secs:.1f} s; {phases[-1][1]}", file=sys.stderr, flush=True)
            shutil.rmtree(out)
        for cpus in (1, 2):
            out = work / f"ray-{cpus}"
            with held(args.lock):
                startup, secs = run_ray(pipeline, inputs, cpus, out, work / f"ray-{cpus}.log", args.repeat)
            kept = kept_ids(out)
            assert kept == reference, f"Ray with {cpus} CPUs kept different documents than the CLI"
            name = f"gleaner.ray, {cpus} worker CPU{'s' if cpus > 1 else ''}"
            rows.append((name, cpus, "ray", secs, startup, len(kept)))
            phases.append((name, passes(out)))
            print(f"{name}: {secs:.1f} s (+{startup:.1f} s cluster start); {phases[-1][1]}",
                  file=sys.stderr, flush=True)
            shutil.rmtree(out)
    finally:
        print(f"fastest of {args.repeat} run(s) per configuration")
        print(f"input: {docs} documents, {size / 1e9:.2f} GB of JSONL in {len(inputs)} files; "
              f"pipeline: {gleaner.Pipeline.from_toml(pipeline)}")
        print(f"{'run':30} {'secs':>8} {'docs/s':>8} {'kept':>8}  cluster start")
        for name, _, _, secs, startup, kept in rows:
            start = f"{startup:.1f}s" if startup is not None else ""
            print(f"{name:30} {secs:8.1f} {docs / secs:8.0f} {kept:8}  {start}")
        for name, text in phases:
            print(f"  {name}: {text}")
    t = {(kind, n): secs for _, n, kind, secs, _, _ in rows}
    print(f"Ray / CLI documents/s at 2 CPUs: {t['cli', 2] / t['ray', 2]:.2f} (target >= 0.5)")
    print(f"Ray scaling 1 -> 2 CPUs: {t['ray', 1] / t['ray', 2]:.2f}x (target >= 1.6x)")
    print(f"CLI scaling 1 -> 2 threads: {t['cli', 1] / t['cli', 2]:.2f}x")
    print("kept ids identical across all runs: yes")


if __name__ == "__main__":
    main()
