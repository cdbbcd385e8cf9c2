"""Shared fixtures: repository paths, the release CLI to compare with, and a local Ray cluster."""

import json
import os
import subprocess
from pathlib import Path

import pytest
import zstandard

REPO = Path(__file__).resolve().parents[3]
DATA = Path(__file__).resolve().parent / "data"
#: 332 real news articles (Dai 2017, Apache-2.0), 40 of them syndicated to 2-6 sites with light
#: edits: built by bench/dedup/build_neardup_set.py --clusters 40 --singletons 160.
NEARDUP = DATA / "neardup-sample.jsonl.zst"
#: 400 real news articles and one raw web page (examples/).
NEWS = REPO / "examples" / "data" / "news-sample.jsonl.zst"


@pytest.fixture(scope="session")
def cli() -> Path:
    """The gleaner CLI (``GLEANER_BIN``, else the release build, built if missing)."""
    env = os.environ.get("GLEANER_BIN")
    if env:
        return Path(env)
    binary = REPO / "target" / "release" / "gleaner"
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "-p", "gleaner-cli"], cwd=REPO, check=True
    )
    return binary


def run_cli(cli: Path, pipeline: Path, inputs, out: Path):
    """Runs ``gleaner run``; returns (returncode, stderr)."""
    cmd = [str(cli), "run", str(pipeline), "--output", str(out), "--quiet", "--threads", "2"]
    for i in inputs:
        cmd += ["--input", str(i)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stderr


def read_shards(directory: Path):
    """Every record of the ``*.jsonl.zst`` shards in ``directory``, in shard order."""
    rows = []
    for f in sorted(directory.glob("*.jsonl.zst")):
        with zstandard.open(f, "rt", encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh]
    return rows


#: Files that differ between two runs of the same pipeline by design: timings.
TIMED_FILES = {"run.json", "report.html"}


def output_files(directory: Path):
    """Every file of an output directory but the timed ones, as ``{relative path: bytes}``."""
    return {
        str(f.relative_to(directory)): f.read_bytes()
        for f in sorted(directory.rglob("*"))
        if f.is_file() and f.name not in TIMED_FILES
    }


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory):
    """A local two-node Ray cluster on 127.0.0.1, shared by the session: a head node and a worker
    node with one CPU each (see gleaner.ray.local_cluster), stopped at the end."""
    pytest.importorskip("ray")

    import gleaner.ray

    log = tmp_path_factory.mktemp("ray") / "ray-start.log"
    with gleaner.ray.local_cluster(
        num_cpus=1, worker_nodes=[1], object_store_memory=200_000_000, log_path=log
    ) as address:
        yield address
