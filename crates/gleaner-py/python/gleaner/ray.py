"""Run a gleaner pipeline on a Ray cluster, with the same output as ``gleaner run``.

This module only orchestrates: every step is the Rust engine's (``RunPlan``/``Steps`` in
:mod:`gleaner._gleaner`, the steps ``gleaner run`` itself is made of), so the output directory is
the CLI's, byte for byte (``run.json``'s timings aside), for every pipeline the CLI runs.

1. The driver plans the run (``Pipeline.plan``): expands the input, prepares and locks the output
   directory and opens every corpus stage's work directory.
2. For each pass, one Ray task per input file runs the pass over that file (read, stages, write
   kept/removed/audit shards or the carried shard) and, in the same call, the next corpus stage's
   scan of what it carried (hashes, band keys: compact, spilled to the stage's work directory).
   Tasks are spread over the nodes and retried when their worker dies: a step is idempotent
   (shards are renamed into place complete, and a done marker records a finished step).
3. Before each pass that starts at a corpus stage (dedup), one task using a node's CPUs finishes
   the stage: it merges the scans and clusters, in Rust, and persists the decisions; every task of
   the pass then loads them from the work directory.
4. The driver publishes: totals from the done markers, rejects, stats, syndication map, report.

Storage: every node must see the output directory at the same path (a shared file system, or a
bucket mounted at the same path on every node). Input may also be a pyarrow file system URI
(``s3://``, ``gs://``, ``hdfs://``, ...): each task copies its input file to node-local scratch
first.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import ray

from . import ConfigError, Pipeline, expand_inputs
from ._gleaner import Steps

__all__ = ["RayRun", "local_cluster", "run"]

_PathLike = Union[str, os.PathLike]


@dataclass
class RayRun:
    """The outcome of :func:`run`."""

    #: The run's statistics (the content of ``stats.json``).
    stats: Dict[str, Any]
    #: The output directory, laid out as ``gleaner run`` lays it out.
    out_dir: str
    #: One entry per task that completed: ``kind`` (``file`` or ``finish``), ``pass``, ``file``,
    #: ``node`` (Ray node id) and ``pid``.
    tasks: List[Dict[str, Any]] = field(default_factory=list)
    #: Wall time of the run, seconds (cluster start-up excluded).
    elapsed_secs: float = 0.0


# --- running -------------------------------------------------------------------------------------

#: Steps of the plan this worker process last saw, so a worker running many files of a run parses
#: the plan once (the pipelines ready for each pass are cached in Rust).
_STEPS: Dict[str, Steps] = {}


def _steps(plan_json: str) -> Steps:
    steps = _STEPS.get(plan_json)
    if steps is None:
        _STEPS.clear()
        steps = _STEPS[plan_json] = Steps(plan_json)
    return steps


def _where() -> Dict[str, Any]:
    return {"node": ray.get_runtime_context().get_node_id(), "pid": os.getpid()}


def _is_remote(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


def _stage_input(uri: str, scratch: str) -> str:
    """Copies a remote input file to node-local scratch, keeping its name (the reader picks its
    format and compression by the name), byte for byte."""
    import pyarrow.fs as pafs

    fs, path = pafs.FileSystem.from_uri(uri)
    local = os.path.join(scratch, os.path.basename(path))
    # compression=None: the bytes as stored; gleaner's readers decompress themselves.
    with fs.open_input_stream(path, compression=None) as src, open(local, "wb") as dst:
        shutil.copyfileobj(src, dst, 8 << 20)
    return local


def _kill_once(marker: str) -> None:
    """Test hook: the first task to see ``marker`` absent creates it and has its own worker
    process killed (SIGKILL) 0.2 s later, while the step runs, or right after it."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGKILL)).start()


@ray.remote
def _file_task(
    plan_json: str, pass_index: int, file: int, path: str, threads: int, kill_once: Optional[str]
) -> Dict[str, Any]:
    """One input file's pass (and the next corpus stage's scan of it)."""
    if kill_once and pass_index == 0 and file == 0:
        _kill_once(kill_once)
    scratch = None
    read_from = None
    try:
        if pass_index == 0 and _is_remote(path):
            scratch = tempfile.mkdtemp(prefix="gleaner-input-")
            read_from = _stage_input(path, scratch)
        outcome = _steps(plan_json).process_file(pass_index, file, read_from, threads)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    if kill_once and pass_index == 0 and file == 0 and _killed_here(kill_once):
        time.sleep(60)  # the hook's kill lands during this task, whatever the step's length
    return {"kind": "file", "pass": pass_index, "file": file, **outcome, **_where()}


def _killed_here(marker: str) -> bool:
    try:
        return Path(marker).read_text() == str(os.getpid())
    except OSError:
        return False


@ray.remote
def _finish_task(plan_json: str, pass_index: int, threads: int) -> Dict[str, Any]:
    """A corpus stage's finish: merge the scans, cluster, persist the decisions."""
    _steps(plan_json).finish_corpus_stage(pass_index, threads)
    return {"kind": "finish", "pass": pass_index, "file": None, **_where()}


def _list_inputs(paths: Sequence[str]) -> Tuple[Optional[List[str]], Optional[List[Tuple[str, int]]]]:
    """Local paths (``file://`` stripped) for the engine to expand, or, when any input is a
    remote URI, every input file listed as ``(path or URI, size)`` in input order."""
    local = [p[len("file://"):] if p.startswith("file://") else p for p in paths]
    if not any(_is_remote(p) for p in local):
        return local, None
    import pyarrow.fs as pafs

    listed: List[Tuple[str, int]] = []
    for p in local:
        if not _is_remote(p):
            listed += [(f, os.path.getsize(f)) for f in expand_inputs([p])]
            continue
        fs, root = pafs.FileSystem.from_uri(p)
        scheme = p.split("://", 1)[0]
        info = fs.get_file_info(root)
        if info.type == pafs.FileType.File:
            infos = [info]
        elif info.type == pafs.FileType.Directory:
            infos = [
                i for i in fs.get_file_info(pafs.FileSelector(root, recursive=True))
                if i.type == pafs.FileType.File and not i.base_name.startswith((".", "_"))
            ]
        else:
            raise ConfigError(f"input: {p}: no such file or directory")
        listed += sorted((f"{scheme}://{i.path}", i.size) for i in infos)
    # Input order is the sorted list of distinct files, as the engine orders local input.
    return None, sorted(set(listed))


def _output_path(output: _PathLike) -> str:
    out = os.fspath(output)
    if out.startswith("file://"):
        return out[len("file://"):]
    if "://" in out:
        raise ConfigError(
            f"output: {out}: the output directory must be a path every node can reach (a shared "
            "file system, or the bucket mounted at the same path on every node, e.g. with "
            "mountpoint-s3 or gcsfuse); a bucket URI cannot be written directly"
        )
    return out


def _node_cpus() -> int:
    """CPUs of the largest alive node (a corpus-stage finish runs on one node)."""
    cpus = [n["Resources"].get("CPU", 0) for n in ray.nodes() if n.get("Alive")]
    return max(1, int(max(cpus, default=1)))


def run(
    pipeline: Pipeline,
    input: Optional[Union[_PathLike, Sequence[_PathLike]]],
    output: _PathLike,
    *,
    overwrite: bool = False,
    memory: Optional[Union[int, str]] = None,
    cpus_per_task: int = 1,
    finish_cpus: Optional[int] = None,
    max_retries: int = 3,
    _kill_once: Optional[str] = None,
) -> RayRun:
    """Runs ``pipeline`` over ``input`` into ``output`` on the Ray cluster this process is
    connected to (``ray.init()`` first; without it a local Ray starts), and returns its stats.

    ``input`` is files, directories or glob patterns (local paths or ``file://``; ``None`` takes
    the pipeline's ``[input] paths``), or pyarrow
    file system URIs (``s3://bucket/prefix``; each task copies its file to local scratch).
    ``output`` must be a directory every node sees at the same path. The output equals that of
    ``gleaner run pipeline --input ... --output ...``. Each file's task uses ``cpus_per_task``
    CPUs; a corpus stage's finish uses ``finish_cpus`` (default: the largest node's CPUs). A
    task whose worker dies is retried up to ``max_retries`` times. A run stopped half-way
    resumes when started again with the same arguments.
    """
    started = time.monotonic()
    if not ray.is_initialized():
        ray.init()
    if input is None:  # the pipeline file's [input] paths
        local, listed = None, None
    elif isinstance(input, (str, os.PathLike)):
        local, listed = _list_inputs([os.fspath(input)])
    else:
        local, listed = _list_inputs([os.fspath(p) for p in input])
    plan = pipeline.plan(
        input=local,
        output=_output_path(output),
        threads=cpus_per_task,
        memory=memory,
        overwrite=overwrite,
        listed_inputs=listed,
    )
    try:
        plan_json = plan.to_json()
        plan_ref = ray.put(plan_json)
        files = plan.inputs
        finish_cpus = finish_cpus or _node_cpus()
        file_task = _file_task.options(
            num_cpus=cpus_per_task, max_retries=max_retries, scheduling_strategy="SPREAD"
        )
        finish_task = _finish_task.options(num_cpus=finish_cpus, max_retries=max_retries)
        tasks: List[Dict[str, Any]] = []
        timing: Dict[str, Any] = {"passes": [], "resumed_files": 0}
        for pass_index, stages in enumerate(plan.pass_stages):
            if pass_index > 0 and plan.pass_starts_with_corpus_stage(pass_index):
                t = time.monotonic()
                tasks.append(ray.get(finish_task.remote(plan_ref, pass_index, finish_cpus)))
                timing["passes"].append(_pass_info(f"prepare {stages[0]}", stages[:1], t))
            t = time.monotonic()
            done = ray.get([
                file_task.remote(plan_ref, pass_index, f, path, cpus_per_task, _kill_once)
                for f, (path, _) in enumerate(files)
            ])
            tasks += done
            if pass_index == 0:
                timing["resumed_files"] = sum(1 for d in done if d["resumed"])
            timing["passes"].append(
                _pass_info(f"pass {pass_index + 1}/{plan.passes}", stages, t)
            )
        timing["elapsed_secs"] = time.monotonic() - started
        stats = plan.publish(json.dumps(timing))
    finally:
        plan.release()
    for t in tasks:
        t.pop("stats", None)
    return RayRun(stats, plan.out_dir, tasks, time.monotonic() - started)


def _pass_info(name: str, stages: List[str], started: float) -> Dict[str, Any]:
    return {
        "name": name, "stages": stages, "elapsed_secs": time.monotonic() - started,
        "docs": 0, "bytes": 0,
    }


# --- a local cluster -----------------------------------------------------------------------------


def _reload_auth_settings() -> None:
    """Makes an already imported Ray re-read RAY_AUTH_MODE / RAY_AUTH_TOKEN (it caches them)."""
    try:
        from ray._raylet import AuthenticationTokenLoader, Config

        Config.initialize("")
        AuthenticationTokenLoader.instance().reset_cache()
    except (ImportError, AttributeError):  # other Ray versions: the environment is read afresh
        pass


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


@contextmanager
def local_cluster(
    num_cpus: int = 2,
    object_store_memory: int = 500_000_000,
    log_path: Optional[Union[str, Path]] = None,
    timeout: float = 120.0,
    worker_nodes: Sequence[int] = (),
) -> Iterator[str]:
    """Starts a Ray cluster on 127.0.0.1 — a head node with ``num_cpus`` CPUs and one worker node
    per entry of ``worker_nodes`` (its CPU count) — connects to it, and stops it on exit.

    Each node is a ``ray start --block`` (dashboard off) in its own process group with a fresh
    authentication token shared only with this process, so leaving the block stops exactly this
    cluster (what ``ray stop`` does, without touching other Ray processes on the machine).
    Yields the head's ``host:port`` address.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(32)
    # Ray 2.52+ enables token authentication for `ray start`; driver and cluster share the token.
    os.environ["RAY_AUTH_MODE"] = "token"
    os.environ["RAY_AUTH_TOKEN"] = token
    _reload_auth_settings()
    ray_cli = Path(sys.executable).parent / "ray"
    ray_cli = str(ray_cli) if ray_cli.exists() else "ray"
    address = f"127.0.0.1:{port}"
    common = [
        "--block", "--node-ip-address=127.0.0.1", f"--object-store-memory={object_store_memory}",
        "--disable-usage-stats",
    ]
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    procs: List[subprocess.Popen] = []

    def start(args: List[str]) -> None:
        # A process group of its own (killed as one on exit) but not a session of its own: on
        # Linux with autogroup scheduling a new session is a new scheduling group, and the
        # cluster should get the CPU share of the process that started it, as `gleaner run`
        # would, not one more group's.
        procs.append(
            subprocess.Popen([ray_cli, "start", *args, *common], stdout=log,
                             stderr=subprocess.STDOUT, preexec_fn=os.setpgrp)
        )

    start(["--head", f"--port={port}", f"--num-cpus={num_cpus}", "--include-dashboard=false"])
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                ray.init(address=address, logging_level="WARNING", log_to_driver=False)
                break
            except Exception:
                if procs[0].poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(1)
        for cpus in worker_nodes:
            start([f"--address={address}", f"--num-cpus={cpus}"])
        want = 1 + len(worker_nodes)
        while sum(1 for n in ray.nodes() if n.get("Alive")) < want:
            if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
                raise RuntimeError(f"the Ray worker nodes did not join {address}")
            time.sleep(0.5)
        yield address
    finally:
        try:
            ray.shutdown()
        finally:
            for p in reversed(procs):
                _stop(p)
            if log is not subprocess.DEVNULL:
                log.close()
