"""Shared fixtures: repository paths, the release CLI to compare with, and a local Ray cluster."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory):
    """A local Ray cluster on 127.0.0.1: a head node with two CPUs and a 2 GB object store.

    Started with ``ray start --head --block`` in its own process group, so stopping it (SIGTERM
    to that group, which makes ``ray start`` stop the node it started) ends exactly this cluster
    and nothing else on the machine.
    """
    ray = pytest.importorskip("ray")
    port = _free_port()
    bindir = Path(sys.executable).parent
    cmd = [
        str(bindir / "ray"), "start", "--head", "--block",
        "--node-ip-address=127.0.0.1", f"--port={port}",
        "--num-cpus=2", "--object-store-memory=2000000000",
        "--include-dashboard=false", "--disable-usage-stats",
    ]
    log = open(tmp_path_factory.mktemp("ray") / "ray-start.log", "w")
    head = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                ray.init(address=address, logging_level="WARNING", log_to_driver=False)
                break
            except Exception:
                if time.time() > deadline or head.poll() is not None:
                    raise
                time.sleep(2)
        import ray.data

        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.print_on_execution_start = False
        yield address
    finally:
        try:
            ray.shutdown()
        finally:
            try:
                os.killpg(head.pid, signal.SIGTERM)
                head.wait(timeout=60)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(head.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            log.close()
