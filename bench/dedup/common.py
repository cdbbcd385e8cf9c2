"""Shared helpers of the dedup benchmarks: the Python environment, running gleaner and datatrove's
four MinHash stages, reading their outputs back as cluster labels, and clustering metrics."""

import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PINNED = ["datatrove[processing]==0.10.1", "spacy==3.8.18", "orjson==3.13.0", "xxhash==3.8.2"]


def ensure_venv():
    """Re-executes this script under $VENV (or a `.venv` it creates in the repo) when datatrove
    is not importable, so the benchmarks run for a newcomer without a shared environment."""
    try:
        import datatrove  # noqa: F401
        return
    except ImportError:
        pass
    venv = Path(os.environ.get("VENV") or REPO / ".venv")
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.check_call([sys.executable, "-m", "venv", str(venv)])
        subprocess.check_call([str(py), "-m", "pip", "install", "-q", *PINNED])
    # sys.prefix, not the interpreter path: a venv's python is often a symlink to the very
    # interpreter that started this script.
    if Path(sys.prefix).resolve() == venv.resolve():
        sys.exit(f"datatrove is not importable from {py}")
    os.execv(str(py), [str(py), *sys.argv])


def gleaner_binary():
    """The release CLI (built on demand)."""
    exe = REPO / "target" / "release" / "gleaner"
    if not exe.exists():
        subprocess.check_call(["cargo", "build", "--release", "-p", "gleaner-cli"], cwd=REPO)
    return exe


def cpu_seconds():
    """CPU time (user + system) of this process and its finished children so far. The benchmarks
    report it beside wall time because the machine they run on may be shared: CPU time is what
    each tool actually spent."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


LAST_CPU = {}


def run_gleaner(input_path, out_dir, stages_toml, threads=1, memory="2GiB", time_v=False):
    """Runs `gleaner run` with the given `[[stage]]` tables; returns (seconds, stderr). Its CPU
    seconds are left in LAST_CPU["gleaner"]."""
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    pipe = out_dir.parent / (out_dir.name + ".toml")
    pipe.write_text(stages_toml)
    cmd = [str(gleaner_binary()), "run", str(pipe), "--input", str(input_path), "--output",
           str(out_dir), "--threads", str(threads), "--memory", memory]
    if time_v:
        cmd = ["/usr/bin/time", "-v", *cmd]
    t, cpu = time.perf_counter(), cpu_seconds()
    res = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.perf_counter() - t
    LAST_CPU["gleaner"] = cpu_seconds() - cpu
    if res.returncode != 0:
        sys.exit(f"gleaner failed:\n{res.stderr[-3000:]}")
    return secs, res.stderr


def read_zst_jsonl(path):
    out = subprocess.run(["zstd", "-dc", str(path)], capture_output=True, check=True).stdout
    for line in out.splitlines():
        if line.strip():
            yield json.loads(line)


def gleaner_labels(out_dir, stage_names=("minhash_dedup", "exact_dedup")):
    """Predicted cluster of every document: the id of the document kept in its place when a
    dedup stage removed it, else its own id."""
    labels = {}
    out_dir = Path(out_dir)
    for f in sorted((out_dir / "kept").glob("*.jsonl.zst")):
        for d in read_zst_jsonl(f):
            labels[d["id"]] = d["id"]
    for f in sorted((out_dir / "removed").glob("*.jsonl.zst")):
        for d in read_zst_jsonl(f):
            r = d.get("removal", {})
            labels[d["id"]] = r.get("kept_id") if r.get("stage") in stage_names and r.get("kept_id") else d["id"]
    return labels


def run_datatrove(input_path, work, n_grams=5, buckets=14, rows=8, seed=1):
    """datatrove 0.10.1's four MinHash stages, 1 worker each (stage 2 runs its 14 bucket tasks one
    after another, in this process). Returns (seconds, labels) with labels from the saved cluster
    ids; CPU seconds are left in LAST_CPU["datatrove"]."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets,
                                                  MinhashDedupCluster, MinhashDedupFilter,
                                                  MinhashDedupSignature)
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.hashing import HashConfig

    work = Path(work)
    if work.exists():
        shutil.rmtree(work)
    input_path = Path(input_path)
    cfg = MinhashConfig(n_grams=n_grams, num_buckets=buckets, hashes_per_bucket=rows, seed=seed,
                        hash_config=HashConfig(precision=64))

    def reader():
        return JsonlReader(str(input_path.parent), glob_pattern=input_path.name)

    t, cpu = time.perf_counter(), cpu_seconds()
    LocalPipelineExecutor(pipeline=[reader(), MinhashDedupSignature(output_folder=str(work / "sigs"), config=cfg, language="en")],
                          tasks=1, workers=1, logging_dir=str(work / "logs1")).run()
    LocalPipelineExecutor(pipeline=[MinhashDedupBuckets(input_folder=str(work / "sigs"), output_folder=str(work / "buckets"), config=cfg)],
                          tasks=cfg.num_buckets, workers=1, logging_dir=str(work / "logs2")).run()
    LocalPipelineExecutor(pipeline=[MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove"), config=cfg, save_cluster_id=True)],
                          tasks=1, workers=1, logging_dir=str(work / "logs3")).run()
    LocalPipelineExecutor(pipeline=[reader(), MinhashDedupFilter(input_folder=str(work / "remove"), load_cluster_ids=True,
                                                                 exclusion_writer=JsonlWriter(str(work / "removed"))),
                                    JsonlWriter(str(work / "kept"))],
                          tasks=1, workers=1, logging_dir=str(work / "logs4")).run()
    secs = time.perf_counter() - t
    LAST_CPU["datatrove"] = cpu_seconds() - cpu
    labels = {}
    for sub in ("kept", "removed"):
        for f in sorted((work / sub).glob("*.jsonl.gz")):
            with gzip.open(f, "rt") as fh:
                for line in fh:
                    d = json.loads(line)
                    cid = d.get("metadata", {}).get("minhash_cluster_id", -1)
                    labels[d["id"]] = f"dt-{cid}" if cid != -1 else d["id"]
    return secs, labels


def _comb2(n):
    return n * (n - 1) // 2


def pair_metrics(truth, pred):
    """Pairwise precision, recall, F1 and adjusted Rand index of `pred` against `truth`
    (dicts id -> cluster label over the same ids)."""
    from collections import Counter
    ids = list(truth)
    cells = Counter((truth[i], pred[i]) for i in ids)
    a = Counter(truth[i] for i in ids)
    b = Counter(pred[i] for i in ids)
    tp = sum(_comb2(c) for c in cells.values())
    true_pairs = sum(_comb2(c) for c in a.values())
    pred_pairs = sum(_comb2(c) for c in b.values())
    p = tp / pred_pairs if pred_pairs else 1.0
    r = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    total = _comb2(len(ids))
    expected = true_pairs * pred_pairs / total if total else 0.0
    max_index = (true_pairs + pred_pairs) / 2
    ari = (tp - expected) / (max_index - expected) if max_index != expected else 1.0
    return {"precision": p, "recall": r, "f1": f1, "ari": ari, "pred_pairs": pred_pairs,
            "true_pairs": true_pairs, "tp": tp}
