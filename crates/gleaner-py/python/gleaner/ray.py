"""Run a gleaner pipeline on a Ray cluster, with the same result as ``gleaner run``.

The pipeline is cut at its corpus-wide stages. Each run of per-document stages is one
``map_batches`` over Arrow batches on an actor pool (each actor builds the Rust pipeline once and
processes batches with the GIL released). ``minhash_dedup`` runs as distributed phases on Ray's own
operators:

1. **signatures** — ``map_batches``: the Rust band keys of every document (exactly the keys the
   stage computes), exploded to ``(band, key, position)`` rows;
2. **shuffle by band key** — ``groupby(["band", "key"]).map_groups``: every group of two or more
   documents becomes candidate edges from its first document (lowest input position) to the
   others, as the stage unions them;
3. **connected components** — the Hash-to-Min algorithm (Rastogi et al., "Finding connected
   components in map-reduce in logarithmic rounds", ICDE 2013) as repeated
   ``groupby("node").map_groups`` rounds until the pair set stops changing; each document's label
   is the lowest input position in its component, the document the CLI keeps;
4. **filter** — the documents are joined (``Dataset.join``, a hash shuffle) with their cluster
   (size, kept id, listed copies) and split into kept and removed, with the CLI's reason and the
   CLI's ``minhash_*`` metadata on kept documents.

``exact_dedup`` is one shuffle: the stage's 128-bit text hash in ``map_batches``, then
``groupby(hash)`` makes each group of two or more documents a cluster (equality is transitive, so
no component search), then the same filter phase. ``line_dedup`` is not distributed yet.

What runs on the driver: the loop that checks convergence (it pulls one fingerprint row per block
each round), and the sorted list of cluster roots (one integer per near-duplicate cluster) used
to number clusters as the CLI does. Documents, band keys, edges and labels stay in the object
store.

Input order matters for dedup (the first copy in input order is kept), so documents carry a
global ``_position`` column: :func:`read_documents` reads files with gleaner's own readers and
assigns the same positions ``gleaner run`` does (``file_index << 40 | record``).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import ray
import ray.data

from . import ConfigError, Pipeline, exact_hashes, expand_inputs, minhash_band_keys, read_file

__all__ = ["RayResult", "local_cluster", "read_documents", "run"]

#: Column holding each document's global input position.
POSITION = "_position"
#: Columns a removed document carries in addition to the kept columns.
REMOVAL_COLUMNS = ["stage", "rule", "value", "threshold", "kept_id", "detail"]
_REMOVED_FLAG = "_removed"
#: Corpus stages this module can run distributed.
SUPPORTED_CORPUS_STAGES = {"minhash_dedup", "exact_dedup"}
#: Most Hash-to-Min rounds before giving up (it needs O(log diameter) rounds).
MAX_ROUNDS = 64
_MASK64 = (1 << 64) - 1


@dataclass
class RayResult:
    """The outcome of :func:`run`: two Ray datasets, each sorted by input position.

    ``kept`` has ``id``, ``text``, ``metadata`` (JSON) and ``_position`` (plus any other input
    columns); ``removed`` adds ``stage``, ``rule``, ``value``, ``threshold``, ``kept_id`` and
    ``detail``, as in the CLI's ``removed/`` shards.
    """

    kept: ray.data.Dataset
    removed: ray.data.Dataset


def _reload_auth_settings() -> None:
    """Makes an already imported Ray re-read RAY_AUTH_MODE / RAY_AUTH_TOKEN (it caches them)."""
    try:
        from ray._raylet import AuthenticationTokenLoader, Config

        Config.initialize("")
        AuthenticationTokenLoader.instance().reset_cache()
    except (ImportError, AttributeError):  # other Ray versions: the environment is read afresh
        pass


@contextmanager
def local_cluster(
    num_cpus: int = 2,
    object_store_memory: int = 2_000_000_000,
    log_path: Optional[Union[str, Path]] = None,
    timeout: float = 120.0,
) -> Iterator[str]:
    """Starts a one-node Ray cluster on 127.0.0.1, connects to it, and stops it on exit.

    Runs ``ray start --head --block`` (dashboard off) in its own process group with a fresh
    authentication token shared only with this process, so leaving the block stops exactly this
    cluster (what ``ray stop`` does, without touching other Ray processes on the machine).
    Yields the ``host:port`` address.
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
    cmd = [
        str(ray_cli) if ray_cli.exists() else "ray", "start", "--head", "--block",
        "--node-ip-address=127.0.0.1", f"--port={port}", f"--num-cpus={num_cpus}",
        f"--object-store-memory={object_store_memory}", "--include-dashboard=false",
        "--disable-usage-stats",
    ]
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    head = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                ray.init(address=address, logging_level="WARNING", log_to_driver=False)
                break
            except Exception:
                if head.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(1)
        yield address
    finally:
        try:
            ray.shutdown()
        finally:
            try:
                os.killpg(head.pid, signal.SIGTERM)
                head.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(head.pid, signal.SIGKILL)
                head.wait()
            except ProcessLookupError:
                pass
            if log is not subprocess.DEVNULL:
                log.close()


def _read_files(batch: pa.Table, text_field: str, id_field: str) -> pa.Table:
    """Reads input files (one row per file: ``path``, ``file_index``) with gleaner's readers."""
    tables = [
        read_file(path, int(index), text_field, id_field)[0]
        for path, index in zip(batch["path"].to_pylist(), batch["file_index"].to_pylist())
    ]
    return pa.concat_tables(tables)


def read_documents(
    paths: Union[str, Sequence[str]],
    *,
    text_field: str = "text",
    id_field: str = "id",
) -> ray.data.Dataset:
    """Reads files, directories or globs into a dataset of documents, one Ray task per file.

    Files are listed and ordered as ``gleaner run`` orders them, and read with gleaner's own
    readers (JSONL, Parquet, WARC/WET/ARC; gzip/zstd), so ids, metadata and ``_position`` match
    the CLI's. Records the readers reject are skipped (the CLI lists them in ``rejects.jsonl``).
    """
    if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__"):
        paths = [paths]
    files = expand_inputs([str(p) for p in paths])
    items = [{"path": p, "file_index": i} for i, p in enumerate(files)]
    ds = ray.data.from_items(items, override_num_blocks=max(1, len(items)))
    return ds.map_batches(
        _read_files,
        fn_kwargs={"text_field": text_field, "id_field": id_field},
        batch_format="pyarrow",
        batch_size=1,
    )


#: Pipelines built in this worker process, by TOML text. Ray reuses worker processes across
#: tasks, so each process builds a pipeline once (tasks, not actors: an actor pool would hold
#: CPUs idle that the shuffles need on a small cluster).
_BUILT: Dict[str, Pipeline] = {}


def _apply_stages(batch: pa.Table, toml: str, text_column: str, id_column: str) -> pa.Table:
    """Applies the per-document stages to a batch; returns kept and removed rows together
    (removed rows flagged), so one materialised pass feeds both outputs."""
    pipeline = _BUILT.get(toml)
    if pipeline is None:
        pipeline = _BUILT[toml] = Pipeline.from_toml_string(toml)
    kept, removed = pipeline.process(
        batch, text_column=text_column, id_column=id_column, threads=1
    )
    return _combine(kept, removed)


def _combine(kept: pa.Table, removed: pa.Table) -> pa.Table:
    """Kept and removed rows in one table: removal columns null on kept rows, a flag column."""
    for name in REMOVAL_COLUMNS:
        if name not in kept.column_names:
            kept = kept.append_column(name, pa.nulls(kept.num_rows, pa.string()))
    kept = kept.append_column(_REMOVED_FLAG, pa.array([False] * kept.num_rows))
    removed = removed.append_column(_REMOVED_FLAG, pa.array([True] * removed.num_rows))
    removed = removed.select(kept.column_names).cast(kept.schema)
    return pa.concat_tables([kept, removed])


def _only(flag: bool):
    def select(batch: pa.Table) -> pa.Table:
        rows = batch.filter(pc.equal(batch[_REMOVED_FLAG], flag))
        rows = rows.drop_columns([_REMOVED_FLAG])
        return rows if flag else rows.drop_columns(REMOVAL_COLUMNS)

    return select


def _split_pipeline(stages: List[Dict[str, Any]]) -> List[tuple]:
    """``[("documents", [tables...]), ("corpus", table), ...]`` in pipeline order."""
    parts: List[tuple] = []
    for table in stages:
        kind = table.get("type")
        if kind in SUPPORTED_CORPUS_STAGES:
            if kind == "minhash_dedup":
                _minhash_params(table)  # rejects what the distributed version cannot do, up front
            parts.append(("corpus", table))
        elif kind == "line_dedup":
            raise ConfigError(
                f"pipeline config: stage {table.get('name', kind)!r} ({kind}) is not supported on "
                f"Ray yet; supported corpus-wide stages: {', '.join(sorted(SUPPORTED_CORPUS_STAGES))}"
            )
        elif parts and parts[-1][0] == "documents":
            parts[-1][1].append(table)
        else:
            parts.append(("documents", [table]))
    return parts


def run(
    pipeline: Pipeline,
    data: Union[str, Sequence[str], ray.data.Dataset],
    *,
    text_column: str = "text",
    id_column: str = "id",
    batch_size: int = 256,
    num_partitions: Optional[int] = None,
) -> RayResult:
    """Runs ``pipeline`` on a Ray cluster (``ray.init()`` first, or it starts a local one).

    ``data`` is input paths (read with :func:`read_documents`) or a dataset with the text, id and
    (for dedup) ``_position`` columns. Per-document stages run as ``map_batches`` tasks of one
    CPU on batches of ``batch_size`` documents; ``minhash_dedup`` runs as distributed phases (see
    the module docs) with ``num_partitions`` shuffle partitions (default: twice the cluster's
    CPUs).
    Other corpus-wide stages raise :class:`gleaner.ConfigError`. The kept documents equal those of
    ``gleaner run`` with the same pipeline and input: same ids, same text, same order.
    """
    parts = _split_pipeline(pipeline.stages)
    ds = data if isinstance(data, ray.data.Dataset) else read_documents(data)
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    num_partitions = num_partitions or max(2, cpus * 2)
    removed_parts: List[ray.data.Dataset] = []
    for kind, part in parts:
        if kind == "documents":
            toml = Pipeline.from_stages(part).to_toml()
            combined = ds.map_batches(
                _apply_stages,
                fn_kwargs={"toml": toml, "text_column": text_column, "id_column": id_column},
                batch_format="pyarrow",
                batch_size=batch_size,
                num_cpus=1,
            ).materialize()
            removed_parts.append(combined.map_batches(_only(True), batch_format="pyarrow"))
            ds = combined.map_batches(_only(False), batch_format="pyarrow")
        else:
            if POSITION not in ds.columns():
                raise ConfigError(
                    f"pipeline config: stage {part.get('name', part['type'])!r} needs a "
                    f"{POSITION!r} column (input order); read the input with "
                    "gleaner.ray.read_documents"
                )
            dedup = _minhash_dedup if part["type"] == "minhash_dedup" else _exact_dedup
            ds, removed = dedup(ds, part, text_column, id_column, num_partitions)
            removed_parts.append(removed)
    if not removed_parts:
        removed_parts.append(_empty_removed(ds))
    removed = removed_parts[0].union(*removed_parts[1:]) if len(removed_parts) > 1 else removed_parts[0]
    if POSITION in ds.columns():
        ds, removed = ds.sort(POSITION), removed.sort(POSITION)
    return RayResult(kept=ds, removed=removed)


# --- minhash_dedup -------------------------------------------------------------------------------


def _minhash_params(table: Dict[str, Any]) -> Dict[str, Any]:
    params = {k: v for k, v in table.items() if k not in ("type", "name")}
    if params.get("jaccard_threshold") is not None:
        raise ConfigError(
            "pipeline config: stage minhash_dedup: jaccard_threshold is not supported on Ray yet "
            "(its check depends on the order the CLI merges bands in); remove it or use gleaner run"
        )
    return params


def _band_rows(batch: pa.Table, params: Dict[str, Any], text_column: str) -> pa.Table:
    """Document batch → ``(band, key, pos)`` rows for every band of every document."""
    keys = minhash_band_keys(batch, text_column, **params)
    width = keys.type.list_size
    valid = np.asarray(keys.is_valid())
    pos = np.asarray(batch[POSITION].to_numpy())[valid]
    # `values` keeps the slots of null entries (flatten() would drop them), so rows line up.
    flat = np.asarray(keys.values.to_numpy()).reshape(-1, width)[valid]
    return pa.table(
        {
            "band": np.tile(np.arange(width, dtype=np.uint16), len(pos)),
            "key": flat.reshape(-1).astype(np.uint64),
            "pos": np.repeat(pos.astype(np.uint64), width),
        }
    )


def _group_edges(group: pa.Table) -> pa.Table:
    """One band group → edges from its first document to each other one (the stage's unions)."""
    pos = np.unique(np.asarray(group["pos"].to_numpy()))
    if len(pos) < 2:
        return pa.table({"src": pa.array([], pa.uint64()), "dst": pa.array([], pa.uint64())})
    return pa.table({"src": np.full(len(pos) - 1, pos[0], np.uint64), "dst": pos[1:]})


def _initial_pairs(edges: pa.Table) -> pa.Table:
    """Edges → Hash-to-Min pairs ``(node, member)``: each node knows itself and its neighbours."""
    src = np.asarray(edges["src"].to_numpy())
    dst = np.asarray(edges["dst"].to_numpy())
    return pa.table(
        {
            "node": np.concatenate([src, src, dst, dst]).astype(np.uint64),
            "member": np.concatenate([src, dst, dst, src]).astype(np.uint64),
        }
    )


def _hash_to_min(group: pa.Table) -> pa.Table:
    """One Hash-to-Min step for a node with cluster C: send C to min(C), send min(C) to all of C."""
    members = np.unique(np.asarray(group["member"].to_numpy()))
    m = members[0]
    node = np.concatenate([np.full(len(members), m, np.uint64), members])
    member = np.concatenate([members, np.full(len(members), m, np.uint64)])
    return pa.table({"node": node, "member": member})


def _fingerprint(batch: pa.Table) -> pa.Table:
    node = np.asarray(batch["node"].to_numpy()).astype(np.uint64)
    member = np.asarray(batch["member"].to_numpy()).astype(np.uint64)
    with np.errstate(over="ignore"):
        h = node * np.uint64(0x9E3779B97F4A7C15) ^ (member * np.uint64(0xC2B2AE3D27D4EB4F) + np.uint64(1))
        total = int(np.sum(h, dtype=np.uint64)) if len(h) else 0
    return pa.table({"n": [len(h)], "h": pa.array([total], pa.uint64())})


def _pair_fingerprint(pairs: ray.data.Dataset) -> tuple:
    rows = pairs.map_batches(_fingerprint, batch_format="pyarrow").take_all()
    return (sum(r["n"] for r in rows), sum(int(r["h"]) for r in rows) & _MASK64)


def _labels(group: pa.Table) -> pa.Table:
    """Converged pairs of one node → ``(pos, root)``: its component's lowest position."""
    return pa.table(
        {
            "pos": pa.array([group["node"][0].as_py()], pa.uint64()),
            "root": pa.array([pc.min(group["member"]).as_py()], pa.uint64()),
        }
    )


def _connected_components(edges: ray.data.Dataset, num_partitions: int) -> ray.data.Dataset:
    """``(src, dst)`` edges → ``(pos, root)`` for every document with an edge.

    Each round is one shuffle by node. Pairs may repeat (each group deduplicates its members),
    so the fingerprint is of the multiset; the next multiset is a function of the current set,
    so an unchanged multiset means the set has stopped changing.
    """
    pairs = edges.map_batches(_initial_pairs, batch_format="pyarrow").materialize()
    before = _pair_fingerprint(pairs)
    for _ in range(MAX_ROUNDS):
        pairs = (
            pairs.groupby("node", num_partitions=num_partitions)
            .map_groups(_hash_to_min, batch_format="pyarrow")
            .materialize()
        )
        after = _pair_fingerprint(pairs)
        if after == before:
            break
        before = after
    else:
        raise RuntimeError(f"connected components did not converge in {MAX_ROUNDS} rounds")
    return pairs.groupby("node", num_partitions=num_partitions).map_groups(
        _labels, batch_format="pyarrow"
    )


def _doc_refs(batch: pa.Table, id_column: str) -> pa.Table:
    """``pos, id, url`` of documents (url from metadata, "" when absent), for cluster listings."""
    urls = []
    for m in batch["metadata"].to_pylist():
        url = json.loads(m).get("url") if m else None
        urls.append(url if isinstance(url, str) else "")
    return pa.table({"pos": batch[POSITION], "doc_id": batch[id_column], "url": urls})


def _cluster_info(group: pa.Table, max_listed: int, ordinals: Dict[int, int]) -> pa.Table:
    """Members of one cluster (rows ``pos, root, doc_id, url``) → one row per member saying
    what the CLI decides for it."""
    group = group.sort_by("pos")
    pos = group["pos"].to_pylist()
    ids = group["doc_id"].to_pylist()
    urls = group["url"].to_pylist()
    size = len(pos)
    root = pos[0]
    listed = [
        {"id": i, "url": u} if u else {"id": i}
        for i, u in list(zip(ids, urls))[1 : 1 + max_listed]
    ]
    dups = [None] * size
    dups[0] = json.dumps(listed, ensure_ascii=False)
    return pa.table(
        {
            "c_pos": pa.array(pos, pa.uint64()),
            "c_root_id": [ids[0]] * size,
            "c_size": pa.array([size] * size, pa.uint64()),
            "c_ordinal": pa.array([ordinals[root]] * size, pa.uint64()),
            "c_is_root": [p == root for p in pos],
            "c_dups": pa.array(dups, pa.string()),
        }
    )


def _decide(
    batch: pa.Table, stage_name: str, columns: List[str], rule: str, prefix: str
) -> pa.Table:
    """Documents joined with their cluster → kept (annotated) and removed rows, flagged."""
    n = batch.num_rows
    in_cluster = batch["c_size"].is_valid().to_pylist()
    is_root = batch["c_is_root"].to_pylist()
    metas = batch["metadata"].to_pylist()
    removed_flag = [False] * n
    cols = {name: [None] * n for name in REMOVAL_COLUMNS}
    sizes = batch["c_size"].to_pylist()
    ordinals = batch["c_ordinal"].to_pylist()
    root_ids = batch["c_root_id"].to_pylist()
    dups = batch["c_dups"].to_pylist()
    for i in range(n):
        if not in_cluster[i]:
            continue
        if is_root[i]:
            meta = json.loads(metas[i]) if metas[i] else {}
            meta[f"{prefix}_cluster_id"] = ordinals[i]
            meta[f"{prefix}_cluster_size"] = sizes[i]
            meta[f"{prefix}_duplicates"] = json.loads(dups[i])
            # serde_json's map is sorted by key, and it writes compact separators.
            metas[i] = json.dumps(meta, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        else:
            removed_flag[i] = True
            cols["stage"][i] = stage_name
            cols["rule"][i] = rule
            cols["value"][i] = str(sizes[i])
            cols["threshold"][i] = "2"
            cols["kept_id"][i] = root_ids[i]
            cols["detail"][i] = (
                f"cluster {ordinals[i]} of {sizes[i]} documents; "
                "the first in input order is kept"
            )
    out = batch.select(columns)
    out = out.set_column(out.column_names.index("metadata"), "metadata", pa.array(metas, pa.string()))
    for name in REMOVAL_COLUMNS:
        out = out.append_column(name, pa.array(cols[name], pa.string()))
    return out.append_column(_REMOVED_FLAG, pa.array(removed_flag))


def _interval_counts(roots: np.ndarray):
    def count(batch: pa.Table) -> pa.Table:
        pos = np.asarray(batch[POSITION].to_numpy())
        idx = np.searchsorted(roots, pos, side="left")
        counts = np.bincount(idx, minlength=len(roots) + 1)
        nz = np.nonzero(counts)[0]
        return pa.table({"interval": nz.astype(np.int64), "count": counts[nz].astype(np.int64)})

    return count


def _minhash_dedup(
    docs: ray.data.Dataset,
    table: Dict[str, Any],
    text_column: str,
    id_column: str,
    num_partitions: int,
):
    params = _minhash_params(table)
    docs = docs.materialize()
    bands = docs.map_batches(
        _band_rows, fn_kwargs={"params": params, "text_column": text_column}, batch_format="pyarrow"
    )
    edges = (
        bands.groupby(["band", "key"], num_partitions=num_partitions)
        .map_groups(_group_edges, batch_format="pyarrow")
        .materialize()
    )
    if edges.count() == 0:
        return docs, _empty_removed(docs)
    labels = _connected_components(edges, num_partitions).materialize()
    return _apply_clusters(
        docs, labels, table, "near_duplicate", "minhash", id_column, num_partitions
    )


def _hash_rows(batch: pa.Table, params: Dict[str, Any], text_column: str) -> pa.Table:
    """Document batch → ``(hi, lo, pos)``: the exact-dedup stage's 128-bit text hash."""
    hashes = exact_hashes(batch, text_column, **params)
    both = np.asarray(hashes.values.to_numpy()).reshape(-1, 2)
    return pa.table({"hi": both[:, 0], "lo": both[:, 1], "pos": batch[POSITION]})


def _hash_group_labels(group: pa.Table) -> pa.Table:
    """One group of equal hashes → ``(pos, root)`` for each member when it has copies."""
    pos = np.unique(np.asarray(group["pos"].to_numpy())).astype(np.uint64)
    if len(pos) < 2:
        return pa.table({"pos": pa.array([], pa.uint64()), "root": pa.array([], pa.uint64())})
    return pa.table({"pos": pos, "root": np.full(len(pos), pos[0], np.uint64)})


def _exact_dedup(
    docs: ray.data.Dataset,
    table: Dict[str, Any],
    text_column: str,
    id_column: str,
    num_partitions: int,
):
    """Exact copies: one shuffle by text hash; equality is transitive, so each group of equal
    hashes is a cluster and no component search is needed."""
    params = {k: v for k, v in table.items() if k not in ("type", "name")}
    docs = docs.materialize()
    labels = (
        docs.map_batches(
            _hash_rows, fn_kwargs={"params": params, "text_column": text_column}, batch_format="pyarrow"
        )
        .groupby(["hi", "lo"], num_partitions=num_partitions)
        .map_groups(_hash_group_labels, batch_format="pyarrow")
        .materialize()
    )
    if labels.count() == 0:
        return docs, _empty_removed(docs)
    return _apply_clusters(
        docs, labels, table, "exact_duplicate", "exact_dup", id_column, num_partitions
    )


def _apply_clusters(
    docs: ray.data.Dataset,
    labels: ray.data.Dataset,
    table: Dict[str, Any],
    rule: str,
    prefix: str,
    id_column: str,
    num_partitions: int,
):
    """Documents + ``(pos, root)`` cluster labels → (kept, removed) datasets, labelled as the
    CLI's dedup stages label them (``ClusterState::decide``)."""
    name = table.get("name", table["type"])
    max_listed = int(table.get("max_listed_duplicates", 100))
    # Cluster numbering as the CLI's: a cluster's id is its root's ordinal among the documents
    # that reach the stage. The sorted roots (one integer per cluster) come to the driver.
    roots = np.array(sorted(labels.unique("root")), dtype=np.uint64)
    per_interval = (
        docs.select_columns([POSITION])
        .map_batches(_interval_counts(roots), batch_format="pyarrow")
        .groupby("interval", num_partitions=num_partitions)
        .sum("count")
        .take_all()
    )
    counts = np.zeros(len(roots) + 1, np.int64)
    for row in per_interval:
        counts[int(row["interval"])] += int(row["sum(count)"])
    # counts[j] = documents with roots[j-1] < position <= roots[j]; the cumulative sum up to k
    # counts the documents up to and including root k, so its ordinal is one less.
    upto = np.cumsum(counts)
    ordinals = {int(r): int(upto[k] - 1) for k, r in enumerate(roots)}
    refs = docs.map_batches(
        _doc_refs, fn_kwargs={"id_column": id_column}, batch_format="pyarrow"
    )
    members = labels.join(refs, join_type="inner", num_partitions=num_partitions, on=("pos",))
    clusters = members.groupby("root", num_partitions=num_partitions).map_groups(
        _cluster_info,
        fn_kwargs={"max_listed": max_listed, "ordinals": ordinals},
        batch_format="pyarrow",
    )
    joined = docs.join(
        clusters,
        join_type="left_outer",
        num_partitions=num_partitions,
        on=(POSITION,),
        right_on=("c_pos",),
    )
    decided = joined.map_batches(
        _decide,
        fn_kwargs={"stage_name": name, "columns": docs.columns(), "rule": rule, "prefix": prefix},
        batch_format="pyarrow",
    ).materialize()
    kept = decided.map_batches(_only(False), batch_format="pyarrow")
    removed = decided.map_batches(_only(True), batch_format="pyarrow")
    return kept, removed


def _empty_removed(docs: ray.data.Dataset) -> ray.data.Dataset:
    def empty(batch: pa.Table) -> pa.Table:
        out = batch.slice(0, 0)
        for name in REMOVAL_COLUMNS:
            out = out.append_column(name, pa.array([], pa.string()))
        return out

    return docs.limit(0).map_batches(empty, batch_format="pyarrow")
