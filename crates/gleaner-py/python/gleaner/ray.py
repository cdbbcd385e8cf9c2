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

Storage: input and output are local paths (or ``file://`` URIs) that every node sees at the
same path (a shared file system), or pyarrow file system URIs (``s3://``, ``gs://``,
``hdfs://``, ...). Each task copies a remote input file to node-local scratch first. With an
output URI every step runs into a node-local copy of the output layout and uploads what it
wrote, then a receipt; later steps download what receipts name (see
:mod:`gleaner._object_store` for how resume and atomicity work there).
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

from . import ConfigError, GleanerError, InputError, Pipeline, _object_store, expand_inputs
from ._gleaner import Steps
from ._object_store import CARRIED, SCAN, is_remote, redact

__all__ = ["RayRun", "local_cluster", "run"]

_PathLike = Union[str, os.PathLike]


@dataclass
class RayRun:
    """The outcome of :func:`run`."""

    #: The run's statistics (the content of ``stats.json``).
    stats: Dict[str, Any]
    #: The output directory (or URI), laid out as ``gleaner run`` lays it out.
    out_dir: str
    #: One entry per task that completed: ``kind`` (``file`` or ``finish``), ``pass``, ``file``,
    #: ``node`` (Ray node id) and ``pid``.
    tasks: List[Dict[str, Any]] = field(default_factory=list)
    #: Wall time of the run, seconds (cluster start-up excluded).
    elapsed_secs: float = 0.0


# --- running -------------------------------------------------------------------------------------

#: Steps of the plan this worker process last saw (and the directory they write into: the output
#: directory, or this process's mirror of an output URI), so a worker running many files of a run
#: parses the plan once (the pipelines ready for each pass are cached in Rust).
_STEPS: Dict[Tuple[str, Optional[str]], Steps] = {}


def _steps(plan_json: str, out_dir: Optional[str] = None) -> Steps:
    steps = _STEPS.get((plan_json, out_dir))
    if steps is None:
        _STEPS.clear()
        steps = _STEPS[(plan_json, out_dir)] = Steps(plan_json, out_dir)
    return steps


def _where() -> Dict[str, Any]:
    return {"node": ray.get_runtime_context().get_node_id(), "pid": os.getpid()}


def _stage_input(source: Tuple[str, str], scratch: str) -> str:
    """Copies a remote input file (``source``: the URI it was listed under, which carries the
    file system's options, and its path there) to node-local scratch, keeping its name (the
    reader picks its format and compression by the name), byte for byte."""
    import pyarrow.fs as pafs

    fs, _ = pafs.FileSystem.from_uri(source[0])
    path = source[1]
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
    plan_json: str,
    pass_index: int,
    file: int,
    source: Optional[Tuple[str, str]],
    threads: int,
    kill_once: Optional[str],
    store: Optional[Dict[str, Any]] = None,
    plan_files: Optional[Dict[str, bytes]] = None,
    stage_files: Sequence[str] = (),
) -> Dict[str, Any]:
    """One input file's pass (and the next corpus stage's scan of it). ``source`` locates a
    remote input file; ``store`` says where an output URI's files go (see ``_store_file_step``)."""
    if kill_once and pass_index == 0 and file == 0:
        _kill_once(kill_once)
    scratch = None
    read_from = None
    try:
        stored = _object_store.stored_outcome(store) if store is not None else None
        if stored is not None:  # done by an earlier attempt or run
            outcome = stored
        else:
            if pass_index == 0 and source is not None:
                scratch = tempfile.mkdtemp(prefix="gleaner-input-")
                read_from = _stage_input(source, scratch)
            if store is None:
                outcome = _steps(plan_json).process_file(pass_index, file, read_from, threads)
            else:
                outcome = _store_file_step(
                    plan_json, store, plan_files or {}, stage_files,
                    lambda steps: steps.process_file(pass_index, file, read_from, threads),
                )
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
def _finish_task(
    plan_json: str,
    pass_index: int,
    threads: int,
    store: Optional[Dict[str, Any]] = None,
    plan_files: Optional[Dict[str, bytes]] = None,
    scan_files: Sequence[str] = (),
) -> Dict[str, Any]:
    """A corpus stage's finish: merge the scans, cluster, persist the decisions."""
    stored = _object_store.stored_outcome(store) if store is not None else None
    if store is None:
        _steps(plan_json).finish_corpus_stage(pass_index, threads)
        outcome: Dict[str, Any] = {}
    elif stored is not None:
        outcome = stored
    else:
        dest = _object_store.destination(store["uri"])
        local = _object_store.mirror(store["token"], plan_files or {})
        steps = _steps(plan_json, local)
        _object_store.fetch(dest, local, scan_files)
        # The finished state stays in this process's mirror: its tasks of the pass use it.
        outcome = _object_store.run_step(
            dest, local, store["receipt"],
            lambda: steps.finish_corpus_stage(pass_index, threads),
            lambda rel: _object_store.STATE, keep_written=True,
        )
    return {"kind": "finish", "pass": pass_index, "file": None, **outcome, **_where()}


def _store_file_step(
    plan_json: str,
    store: Dict[str, Any],
    plan_files: Dict[str, bytes],
    stage_files: Sequence[str],
    step,
) -> Dict[str, Any]:
    """Runs a file's step into this process's mirror of the output URI: fetches the pass's
    corpus stage state (kept for the process's later tasks) and the carried shard, runs
    ``step(steps)``, uploads what it wrote and its receipt."""
    dest = _object_store.destination(store["uri"])
    local = _object_store.mirror(store["token"], plan_files)
    steps = _steps(plan_json, local)
    _object_store.fetch(dest, local, stage_files)
    carried = _object_store.fetch(dest, local, store["carried_in"])
    try:
        return _object_store.run_step(
            dest, local, store["receipt"], lambda: step(steps),
            _object_store.file_roles(store), keep_written=False,
        )
    finally:
        for rel in carried:
            os.remove(os.path.join(local, rel))


@ray.remote(num_cpus=0)
def _clean_node_task(token: str) -> None:
    shutil.rmtree(_object_store.mirror_root(token), ignore_errors=True)


def _clean_nodes(token: str) -> None:
    """Removes run ``token``'s mirrors from every node."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    ray.get([
        _clean_node_task.options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)
        ).remote(token)
        for n in ray.nodes() if n.get("Alive")
    ])


_Listed = Tuple[str, int]
#: Where a remote input file is read from: the URI it was listed under and its path there.
_Source = Tuple[str, str]


def _list_inputs(
    paths: Sequence[str],
) -> Tuple[Optional[List[str]], Optional[List[_Listed]], Dict[str, _Source]]:
    """The input as given (``file://`` stripped; the pipeline records it), and, when any input
    is a remote URI, every input file listed as ``(path or URI, size)`` in input order for the
    engine to use instead of expanding the input, with the source of each remote one. A remote
    URI is named ``scheme://path``, without the credentials or options it may carry."""
    local = [p[len("file://"):] if p.startswith("file://") else p for p in paths]
    if not any(is_remote(p) for p in local):
        return local, None, {}
    import pyarrow.fs as pafs

    listed: List[_Listed] = []
    sources: Dict[str, _Source] = {}
    given: List[str] = []
    for p in local:
        if not is_remote(p):
            listed += [(f, os.path.getsize(f)) for f in expand_inputs([p])]
            given.append(p)
            continue
        try:
            fs, root = pafs.FileSystem.from_uri(p)
            info = fs.get_file_info(root)
        except Exception as e:
            raise InputError(f"input: {redact(p)}: cannot be read ({e})") from None
        scheme = p.split("://", 1)[0]
        given.append(f"{scheme}://{root}")
        if info.type == pafs.FileType.File:
            infos = [info]
        elif info.type == pafs.FileType.Directory:
            infos = [
                i for i in fs.get_file_info(pafs.FileSelector(root, recursive=True))
                if i.type == pafs.FileType.File and not i.base_name.startswith((".", "_"))
            ]
        else:
            raise ConfigError(f"input: {redact(p)}: no such file or directory")
        for i in infos:
            name = f"{scheme}://{i.path}"
            listed.append((name, i.size))
            sources.setdefault(name, (p, i.path))
    # Input order is the sorted list of distinct files, as the engine orders local input.
    return given, sorted(set(listed)), sources


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
    _stop_after_pass: Optional[int] = None,
) -> RayRun:
    """Runs ``pipeline`` over ``input`` into ``output`` on the Ray cluster this process is
    connected to (``ray.init()`` first; without it a local Ray starts), and returns its stats.

    ``input`` is files, directories or glob patterns (local paths or ``file://``; ``None`` takes
    the pipeline's ``[input] paths``), or pyarrow file system URIs (``s3://bucket/prefix``;
    each task copies its file to local scratch). ``output`` is a directory every node sees at
    the same path, or a pyarrow file system URI (``s3://bucket/prefix``, ``gs://``,
    ``hdfs://``) that every node can write. The output equals that of
    ``gleaner run pipeline --input ... --output ...``. Each file's task uses ``cpus_per_task``
    CPUs; a corpus stage's finish uses ``finish_cpus`` (default: the largest node's CPUs). A
    task whose worker dies is retried up to ``max_retries`` times. A run stopped half-way
    resumes when started again with the same arguments.
    """
    started = time.monotonic()
    if not ray.is_initialized():
        ray.init()
    if input is None:  # the pipeline file's [input] paths
        local, listed, sources = None, None, {}
    elif isinstance(input, (str, os.PathLike)):
        local, listed, sources = _list_inputs([os.fspath(input)])
    else:
        local, listed, sources = _list_inputs([os.fspath(p) for p in input])
    out = os.fspath(output)
    out = out[len("file://"):] if out.startswith("file://") else out
    dest = None
    if is_remote(out):
        # Checked (and the run's lock object written) before any work starts.
        dest = _object_store.Destination(out)
        dest.check_writable()
        out_dir = tempfile.mkdtemp(prefix="gleaner-ray-driver-")
        planned = _object_store.Planned(dest, out_dir)
    else:
        out_dir = out
    token = secrets.token_hex(8)
    try:
        plan = pipeline.plan(
            input=local,
            output=out_dir,
            threads=cpus_per_task,
            memory=memory,
            overwrite=overwrite,
            listed_inputs=listed,
        )
        try:
            plan_files = planned.apply() if dest else None
            stats, tasks = _run_planned(
                plan, dest, token, plan_files, sources, started, cpus_per_task, finish_cpus,
                max_retries, _kill_once, _stop_after_pass,
            )
        finally:
            plan.release()
    except GleanerError as e:
        if dest is None:
            raise
        # The engine names the driver's local copy; the user knows the URI.
        raise type(e)(str(e).replace(out_dir, redact(out))) from None
    finally:
        if dest is not None:
            shutil.rmtree(out_dir, ignore_errors=True)
            _clean_nodes(token)
            dest.delete(_object_store.LAYOUT["lock_file"])  # published or not, the run is over
    for t in tasks:
        t.pop("stats", None)
        t.pop("files", None)
    return RayRun(stats, out if dest else plan.out_dir, tasks, time.monotonic() - started)


def _run_planned(
    plan, dest, token, plan_files, sources, started, cpus_per_task, finish_cpus, max_retries,
    kill_once, stop_after_pass,
) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """Runs every step of ``plan`` as Ray tasks and publishes; with ``dest`` (an output URI)
    each step writes to its node's mirror and uploads, and the driver publishes from its own."""
    plan_ref = ray.put(plan.to_json())
    files = plan.inputs
    finish_cpus = finish_cpus or _node_cpus()
    file_task = _file_task.options(
        num_cpus=cpus_per_task, max_retries=max_retries, scheduling_strategy="SPREAD"
    )
    finish_task = _finish_task.options(num_cpus=finish_cpus, max_retries=max_retries)
    plan_files_ref = ray.put(plan_files) if dest else None
    tasks: List[Dict[str, Any]] = []
    #: The files of each step's receipt (output URI only), by (pass, file); finishes by (pass,).
    receipts: Dict[Tuple[int, ...], List[List[str]]] = {}
    timing: Dict[str, Any] = {"passes": [], "resumed_files": 0}

    def store(pass_index: int, file: Optional[int]) -> Optional[Dict[str, Any]]:
        if dest is None:
            return None
        s: Dict[str, Any] = {
            "uri": dest.uri, "token": token, "receipt": plan.receipt_path(pass_index, file),
        }
        if file is not None:
            s["carried_in"] = [
                rel for rel, role in receipts.get((pass_index - 1, file), []) if role == CARRIED
            ]
            s["carried"] = plan.carried_path(pass_index, file)
            s["next_stage_dir"] = plan.corpus_stage_dir(pass_index + 1)
        return s

    def scans(pass_index: int) -> List[str]:
        return [
            rel for f in range(len(files)) for rel, role in receipts.get((pass_index - 1, f), [])
            if role == SCAN
        ]

    for pass_index, stages in enumerate(plan.pass_stages):
        stage_files: List[str] = []
        if pass_index > 0 and plan.pass_starts_with_corpus_stage(pass_index):
            t = time.monotonic()
            scan_files = scans(pass_index)
            finished = ray.get(finish_task.remote(
                plan_ref, pass_index, finish_cpus, store(pass_index, None), plan_files_ref,
                scan_files,
            ))
            tasks.append(finished)
            if dest is not None:
                receipts[(pass_index,)] = finished["files"]
                stage_files = scan_files + [rel for rel, _ in finished["files"]]
            timing["passes"].append(_pass_info(f"prepare {stages[0]}", stages[:1], t))
        t = time.monotonic()
        stage_ref = ray.put(stage_files)
        done = ray.get([
            file_task.remote(
                plan_ref, pass_index, f, sources.get(path), cpus_per_task, kill_once,
                store(pass_index, f), plan_files_ref, stage_ref,
            )
            for f, (path, _) in enumerate(files)
        ])
        tasks += done
        if dest is not None:
            receipts.update(((pass_index, d["file"]), d["files"]) for d in done)
        if pass_index == 0:
            timing["resumed_files"] = sum(1 for d in done if d["resumed"])
        timing["passes"].append(_pass_info(f"pass {pass_index + 1}/{plan.passes}", stages, t))
        if stop_after_pass == pass_index:  # test hook: a driver stopped half-way
            raise RuntimeError(f"stopped after pass {pass_index + 1} (test hook)")
    timing["elapsed_secs"] = time.monotonic() - started

    def publish() -> Dict[str, Any]:
        return plan.publish(json.dumps(timing))

    if dest is None:
        return publish(), tasks
    return _object_store.publish(dest, plan, receipts.values(), publish), tasks


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
