#!/usr/bin/env python3
"""Ray vs CLI on one machine: the same pipeline and input through gleaner.ray with 1 and with 2
worker CPUs, and through `gleaner run` with 1 and 2 threads. Prints docs/s, the Ray overhead
against the CLI, and checks that every run keeps the same documents.

Input (default): the labelled near-duplicate set built from the real news articles
(bench/dedup/build_neardup_set.py, 2,695 documents, needs ../shared/data), split into 4 files.
Pipeline (default): normalize, the FineWeb quality recipe, exact and MinHash dedup.

Usage: bench/ray/run [--input PATH ...] [--pipeline TOML] [--cpus 1 2]
(`run` prepares a virtualenv; or call this file with a Python that has gleaner and ray installed.)
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gleaner
import gleaner.ray as gray
import ray

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DATA = HERE / "data"


def default_input():
    DATA.mkdir(exist_ok=True)
    parts = sorted(DATA.glob("neardup-*.jsonl"))
    if parts:
        return parts
    whole = DATA / "neardup.jsonl"
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "dedup" / "build_neardup_set.py"), "--out", str(whole)],
        check=True,
    )
    lines = whole.read_text(encoding="utf-8").splitlines(keepends=True)
    n = 4
    for i in range(n):
        part = lines[i * len(lines) // n : (i + 1) * len(lines) // n]
        (DATA / f"neardup-{i}.jsonl").write_text("".join(part), encoding="utf-8")
    whole.unlink()
    return sorted(DATA.glob("neardup-*.jsonl"))


def default_pipeline(tmp: Path) -> Path:
    p = tmp / "pipeline.toml"
    p.write_text(
        '[[stage]]\ntype = "normalize"\n\n'
        + (REPO / "examples" / "recipes" / "fineweb.toml").read_text()
        + '\n[[stage]]\ntype = "exact_dedup"\n\n[[stage]]\ntype = "minhash_dedup"\n'
    )
    return p


def kept_ids_cli(out: Path):
    import zstandard

    ids = []
    for f in sorted((out / "kept").glob("*.jsonl.zst")):
        with zstandard.open(f, "rt", encoding="utf-8") as fh:
            ids += [json.loads(line)["id"] for line in fh]
    return ids


def run_cli(cli, pipeline, inputs, threads, tmp):
    out = tmp / f"cli-{threads}"
    cmd = [str(cli), "run", str(pipeline), "--output", str(out), "--quiet", "--overwrite",
           "--threads", str(threads)]
    for i in inputs:
        cmd += ["--input", str(i)]
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - start, kept_ids_cli(out)


def run_ray(pipeline, inputs, cpus, tmp):
    """Starts a local cluster with `cpus` CPUs, runs the pipeline, stops the cluster. The timed
    part is the run; cluster start-up is reported separately."""
    t0 = time.perf_counter()
    with gray.local_cluster(num_cpus=cpus, log_path=tmp / f"ray-{cpus}.log"):
        startup = time.perf_counter() - t0
        ray.data.DataContext.get_current().enable_progress_bars = False
        start = time.perf_counter()
        result = gray.run(gleaner.Pipeline.from_toml(pipeline), [str(i) for i in inputs])
        kept = [r["id"] for r in result.kept.select_columns(["id"]).take_all()]
        elapsed = time.perf_counter() - start
    return startup, elapsed, kept


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", nargs="*", type=Path)
    ap.add_argument("--pipeline", type=Path)
    ap.add_argument("--cpus", nargs="*", type=int, default=[1, 2])
    ap.add_argument("--cli", type=Path, default=REPO / "target" / "release" / "gleaner")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gleaner-ray-bench-"))
    inputs = args.input or default_input()
    pipeline = args.pipeline or default_pipeline(tmp)
    docs = sum(gleaner.read_file(p)[0].num_rows for p in inputs)
    print(f"input: {docs} documents in {len(inputs)} files; pipeline: {gleaner.Pipeline.from_toml(pipeline)}")
    rows = []
    reference = None
    for threads in args.cpus:
        secs, kept = run_cli(args.cli, pipeline, inputs, threads, tmp)
        reference = reference or kept
        assert kept == reference, "CLI runs disagree"
        rows.append((f"gleaner run --threads {threads}", secs, None, len(kept)))
    for cpus in args.cpus:
        startup, secs, kept = run_ray(pipeline, inputs, cpus, tmp)
        assert kept == reference, f"Ray with {cpus} CPUs kept different documents than the CLI"
        rows.append((f"gleaner.ray, {cpus} worker CPU{'s' if cpus > 1 else ''}", secs, startup, len(kept)))
    cli_by_n = {int(r[0].split()[-1]): r[1] for r in rows if r[0].startswith("gleaner run")}
    print(f"{'run':32} {'secs':>8} {'docs/s':>9} {'vs CLI same CPUs':>17} {'kept':>6}  cluster start")
    for name, secs, startup, kept in rows:
        n = int(name.split(",")[1].split()[0]) if name.startswith("gleaner.ray") else None
        ratio = f"{secs / cli_by_n[n]:.1f}x slower" if n in cli_by_n else ""
        start = f"{startup:.1f}s" if startup is not None else ""
        print(f"{name:32} {secs:8.2f} {docs / secs:9.0f} {ratio:>17} {kept:6}  {start}")
    print("kept ids identical across all runs: yes")


if __name__ == "__main__":
    main()
