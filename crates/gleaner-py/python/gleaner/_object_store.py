"""Output of a :mod:`gleaner.ray` run on object storage (``s3://``, ``gs://``, ``hdfs://``, any
pyarrow file system URI), where nodes share no directory and nothing can be renamed.

The engine writes local paths only, so every step runs into a node-local copy of the output
layout (a *mirror*: one directory per worker process and run) and this module moves files between
mirrors and the destination. Names all come from the engine (``output_layout()`` and the plan's
``carried_path``, ``corpus_stage_dir`` and ``receipt_path``); this module only copies.

What keeps the destination honest without renames:

* Each file is uploaded under its final name only once the engine has finished writing it
  locally. On S3 and GCS an object appears only when its upload completes; elsewhere (HDFS, local)
  it is written beside its name and moved into place.
* Each step (one input file's pass, or a corpus stage's finish) uploads its files, then its
  *receipt* listing them. A step with a receipt is complete and is skipped when the run is started
  again; a step without one is run again from its inputs, and its deterministic output overwrites
  whatever a killed attempt had uploaded. Later steps download only files named by receipts.
* Publishing uploads the final files with ``run.json`` last, then deletes the work files: a
  destination with ``run.json`` is a finished run; one without it is an unfinished run that the
  same command resumes.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Any, Dict, Iterable, List, Optional, Tuple

import pyarrow.fs as pafs

from . import ConfigError, OutputError
from ._gleaner import output_layout

#: Names of the output layout (``executor/layout.rs``).
LAYOUT: Dict[str, Any] = output_layout()

#: How a step's file is used later: the shard carried to the next pass, a corpus stage's scan
#: (read by its finish and by every process that loads the stage), the stage's finished state,
#: work files the publish step reads (done markers, rejects, token runs), and output files.
CARRIED, SCAN, STATE, WORK, OUTPUT = "carried", "scan", "state", "work", "output"

_COPY_BUFFER = 8 << 20


def is_remote(uri: str) -> bool:
    """Whether ``uri`` names a pyarrow file system other than this machine's."""
    return "://" in uri and not uri.startswith("file://")


def redact(uri: str) -> str:
    """``uri`` without the secret of ``scheme://key:secret@...`` credentials, for messages."""
    scheme, sep, rest = uri.partition("://")
    userinfo, at, host = rest.partition("@")
    if not at or "/" in userinfo or ":" not in userinfo:
        return uri
    return f"{scheme}{sep}{userinfo.split(':', 1)[0]}:***@{host}"


def _under(rel: str, directory: Optional[str]) -> bool:
    return directory is not None and rel.startswith(directory.rstrip("/") + "/")


class Destination:
    """An output URI: its pyarrow file system and the root path inside it."""

    def __init__(self, uri: str):
        self.uri = uri
        try:
            self.fs, root = pafs.FileSystem.from_uri(uri)
        except Exception as e:  # pyarrow raises ValueError, ArrowInvalid, OSError by scheme
            raise ConfigError(f"output: {redact(uri)}: not a usable file system URI ({e})") from None
        self.root = root.rstrip("/")
        # An S3 or GCS object becomes visible only when its upload completes; elsewhere a file
        # is visible while it is written, so it is written under a temporary name and moved.
        self.visible_when_complete = self.fs.type_name in ("s3", "gcs")

    def key(self, rel: str) -> str:
        return f"{self.root}/{rel}" if rel else self.root

    def kind(self, rel: str) -> pafs.FileType:
        return self.fs.get_file_info(self.key(rel)).type

    def exists(self, rel: str) -> bool:
        return self.kind(rel) != pafs.FileType.NotFound

    def put_bytes(self, data: bytes, rel: str) -> None:
        self._write(rel, lambda out: out.write(data))

    def put(self, local: str, rel: str) -> None:
        def copy(out):
            with open(local, "rb") as src:
                while chunk := src.read(_COPY_BUFFER):
                    out.write(chunk)

        self._write(rel, copy)

    def _write(self, rel: str, write) -> None:
        key = self.key(rel)
        if self.visible_when_complete:
            # compression=None: the bytes as given (pyarrow would compress by the extension).
            with self.fs.open_output_stream(key, compression=None) as out:
                write(out)
            return
        parent, name = key.rsplit("/", 1) if "/" in key else ("", key)
        if parent:
            self.fs.create_dir(parent, recursive=True)
        tmp = f"{parent}/.{name}.tmp" if parent else f".{name}.tmp"
        with self.fs.open_output_stream(tmp, compression=None) as out:
            write(out)
        self.fs.move(tmp, key)

    def get_bytes(self, rel: str) -> Optional[bytes]:
        try:
            with self.fs.open_input_stream(self.key(rel), compression=None) as src:
                return src.read()
        except FileNotFoundError:
            return None

    def get(self, rel: str, local: str) -> None:
        """Downloads ``rel`` to ``local`` (written beside it and renamed, so it is whole)."""
        os.makedirs(os.path.dirname(local), exist_ok=True)
        tmp = f"{local}.download"
        with self.fs.open_input_stream(self.key(rel), compression=None) as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, _COPY_BUFFER)
        os.replace(tmp, local)

    def delete(self, rel: str) -> None:
        kind = self.kind(rel)
        if kind == pafs.FileType.Directory:
            self.fs.delete_dir(self.key(rel))
        elif kind == pafs.FileType.File:
            self.fs.delete_file(self.key(rel))

    def check_writable(self) -> None:
        """Writes the lock file (a run is in progress here), so an unreachable bucket or missing
        credentials fail before any work starts."""
        try:
            if not self.visible_when_complete:
                self.fs.create_dir(self.root, recursive=True)
            self.put_bytes(str(os.getpid()).encode(), LAYOUT["lock_file"])
        except Exception as e:
            raise OutputError(f"output: {redact(self.uri)}: cannot write there ({e})") from None


# --- the driver ----------------------------------------------------------------------------------


def files_under(root: str, subdir: str = "") -> Dict[str, Tuple[int, int]]:
    """Every file under ``root/subdir`` as ``{relative path: (size, mtime_ns)}``."""
    out: Dict[str, Tuple[int, int]] = {}
    for dirpath, _, names in os.walk(os.path.join(root, subdir)):
        for n in names:
            p = os.path.join(dirpath, n)
            st = os.stat(p)
            out[os.path.relpath(p, root)] = (st.st_size, st.st_mtime_ns)
    return out


class Planned:
    """What the destination holds before the engine plans into the driver's mirror ``local``:
    the files the engine decides on (the unfinished run's state, a finished run's ``run.json``)
    are downloaded, every other entry a run writes is stood in for by an empty one, so the
    engine takes the decision it takes on a local directory (resume, refuse, overwrite)."""

    def __init__(self, dest: Destination, local: str):
        self.dest, self.local = dest, local
        self.present: List[str] = []
        for entry in LAYOUT["entries"]:
            kind = dest.kind(entry)
            if kind == pafs.FileType.NotFound:
                continue
            self.present.append(entry)
            path = os.path.join(local, entry)
            if kind == pafs.FileType.Directory:
                os.makedirs(path, exist_ok=True)
            elif entry == LAYOUT["run_file"]:
                dest.get(entry, path)
            else:
                open(path, "wb").close()
        self.state_before = self._state()
        if self.state_before is None and dest.exists(LAYOUT["state_file"]):
            dest.get(LAYOUT["state_file"], os.path.join(local, LAYOUT["state_file"]))
            self.state_before = self._state()

    def _state(self) -> Optional[Tuple[int, int]]:
        try:
            st = os.stat(os.path.join(self.local, LAYOUT["state_file"]))
            return st.st_ino, st.st_mtime_ns
        except FileNotFoundError:
            return None

    def apply(self) -> Dict[str, bytes]:
        """After planning: removes from the destination what the engine removed (an overwrite,
        a stale run), uploads the plan's work files (run state, corpus stages' fingerprints)
        and returns them, for every step's mirror."""
        work = LAYOUT["work_dir"]
        for entry in self.present:
            gone = not os.path.exists(os.path.join(self.local, entry))
            restarted = entry == work and self._state() != self.state_before
            if gone or restarted:
                self.dest.delete(entry)
        plan_files = {
            rel: open(os.path.join(self.local, rel), "rb").read()
            for rel in files_under(self.local, work)
        }
        for rel, data in sorted(plan_files.items()):
            self.dest.put_bytes(data, rel)
        return plan_files


def publish(dest: Destination, plan, receipts: Iterable[List[List[str]]], publish_step):
    """Downloads what publishing reads into the driver's mirror (``plan.out_dir``), runs
    ``publish_step()`` (the engine's publish), uploads the final files with ``run.json`` last,
    then removes the work files and the lock from the destination. Returns what
    ``publish_step`` returned."""
    local = plan.out_dir
    wanted = {WORK, STATE} | ({OUTPUT} if plan.writes_report else set())
    downloaded = set()
    for files in receipts:
        for rel, role in files:
            if role in wanted and rel not in downloaded:
                dest.get(rel, os.path.join(local, rel))
                downloaded.add(rel)
    before = files_under(local)
    try:
        result = publish_step()
    finally:
        written = [
            rel for rel, st in sorted(files_under(local).items())
            if before.get(rel) != st and rel != LAYOUT["lock_file"]
            and not rel.startswith(LAYOUT["work_dir"] + "/")
        ]
        run_file = LAYOUT["run_file"]
        for rel in written:
            if rel != run_file:
                dest.put(os.path.join(local, rel), rel)
        if run_file in written:
            dest.put(os.path.join(local, run_file), run_file)
            # The run state first: work files left by a kill during this deletion are then
            # those of no unfinished run, and the next run clears them.
            dest.delete(LAYOUT["state_file"])
            dest.delete(LAYOUT["work_dir"])
            dest.delete(LAYOUT["lock_file"])
    return result


# --- the workers ---------------------------------------------------------------------------------

#: Open destinations of this process, by URI.
_DESTINATIONS: Dict[str, Destination] = {}


def destination(uri: str) -> Destination:
    d = _DESTINATIONS.get(uri)
    if d is None:
        d = _DESTINATIONS[uri] = Destination(uri)
    return d


def mirror_root(token: str) -> str:
    """Where this node keeps the mirrors of run ``token``."""
    return os.path.join(tempfile.gettempdir(), f"gleaner-ray-{token}")


def mirror(token: str, plan_files: Dict[str, bytes]) -> str:
    """This process's mirror of run ``token`` (a worker runs one task at a time, so its mirror
    is its own), holding the plan's work files."""
    local = os.path.join(mirror_root(token), str(os.getpid()))
    if not os.path.isdir(local):
        for rel, data in plan_files.items():
            path = os.path.join(local, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
    return local


def fetch(dest: Destination, local: str, rels: Iterable[str]) -> List[str]:
    """Downloads the files of ``rels`` this mirror lacks; returns those it downloaded."""
    got = []
    for rel in rels:
        path = os.path.join(local, rel)
        if not os.path.exists(path):
            dest.get(rel, path)
            got.append(rel)
    return got


def stored_outcome(store: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The outcome of a step whose receipt (``store["receipt"]``) is at the destination, which
    is then skipped (``resumed``) and names its files; ``None`` for a step to run."""
    data = destination(store["uri"]).get_bytes(store["receipt"])
    return None if data is None else {"resumed": True, "files": json.loads(data)["files"]}


def run_step(
    dest: Destination,
    local: str,
    receipt_rel: str,
    step,
    role_of,
    keep_written: bool,
) -> Dict[str, Any]:
    """Runs ``step()`` (an engine step writing into mirror ``local``), uploads every file it
    wrote, tagged ``role_of(rel)``, then its receipt. The written files are removed from the
    mirror afterwards unless ``keep_written`` (a corpus stage's state, which this process keeps
    using). Returns ``step()``'s result with ``files``, the receipt's list."""
    before = files_under(local)
    uploaded = False
    try:
        outcome = step() or {}
        written = [rel for rel, st in sorted(files_under(local).items()) if before.get(rel) != st]
        files = [[rel, role_of(rel)] for rel in written]
        for rel, _ in files:
            dest.put(os.path.join(local, rel), rel)
        dest.put_bytes(json.dumps({"files": files}).encode(), receipt_rel)
        uploaded = True
    finally:
        # A failed step leaves nothing behind, so that running it again in this process writes
        # (and uploads) everything afresh.
        if not (uploaded and keep_written):
            for rel in set(files_under(local)) - set(before):
                os.remove(os.path.join(local, rel))
    return {**outcome, "files": files}


def file_roles(plan_layout: Dict[str, Any]):
    """``role_of`` for input file ``file``'s pass: its carried shard, the next corpus stage's
    scan, other work files, output shards."""
    carried, scan_dir = plan_layout["carried"], plan_layout["next_stage_dir"]

    def role_of(rel: str) -> str:
        if rel == carried:
            return CARRIED
        if _under(rel, scan_dir):
            return SCAN
        if _under(rel, LAYOUT["work_dir"]):
            return WORK
        return OUTPUT

    return role_of
