"""gleaner.ray writes the output `gleaner run` writes, for every shipped pipeline, on a two-node
cluster, when a worker dies mid-run, and with input and output given as URIs."""

import json
import shutil
import tomllib
from pathlib import Path

import pytest

import gleaner
from conftest import NEARDUP, NEWS, REPO, output_files, read_shards, run_cli

ray = pytest.importorskip("ray")
import gleaner.ray as gray  # noqa: E402

# Every shipped pipeline, less those that need a file the user downloads first (named in the file).
NEEDS_A_DOWNLOAD = {"recipes/dclm.toml": "DCLM's classifier model"}
EXAMPLES = [
    p
    for p in sorted((REPO / "examples").rglob("*.toml"))
    if str(p.relative_to(REPO / "examples")) not in NEEDS_A_DOWNLOAD
]
SYNDICATED = REPO / "examples" / "data" / "syndicated-copies.jsonl"
SYNDICATION = REPO / "examples" / "dedup" / "syndication.toml"


def has_input(pipeline_file: Path) -> bool:
    return "[input]" in pipeline_file.read_text()


def clear_saved_indexes(pipeline_file: Path):
    """Removes the dedup indexes a pipeline saves (`save_index`), so that a run starts from the
    same state as the run it is compared with (a saved index changes what the next run keeps)."""
    for stage in tomllib.loads(pipeline_file.read_text()).get("stage", []):
        if "save_index" in stage:
            shutil.rmtree(pipeline_file.parent / stage["save_index"], ignore_errors=True)


def assert_same_output(cli_out: Path, ray_out: Path, apart=()):
    """Every output file byte for byte, but those named in ``apart`` (the caller compares them)."""
    want, got = output_files(cli_out), output_files(ray_out)
    assert sorted(got) == sorted(want)
    for name in set(want) - set(apart):
        assert got[name] == want[name], f"{name} differs"
    # Not vacuous: the run wrote its stats and shards (the one WARC page may be removed).
    assert "stats.json" in want and any(n.startswith(("kept/", "removed/")) for n in want)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: str(p.relative_to(REPO / "examples")))
def test_every_example_on_ray_writes_what_the_cli_writes(example, tmp_path, cli, ray_cluster):
    # Examples without [input] get the news sample and its syndicated copies.
    inputs = [] if has_input(example) else [NEWS, SYNDICATED]
    clear_saved_indexes(example)
    code, err = run_cli(cli, example, inputs, tmp_path / "cli")
    assert code == 0, err
    clear_saved_indexes(example)
    result = gray.run(
        gleaner.Pipeline.from_toml(example),
        [str(p) for p in inputs] or None,
        tmp_path / "ray",
    )
    assert_same_output(tmp_path / "cli", tmp_path / "ray")
    assert result.stats == json.loads((tmp_path / "cli" / "stats.json").read_text())
    # Every input file's every pass ran as a task of its own, each corpus stage's finish as one.
    phases = [p["name"] for p in json.loads((tmp_path / "ray" / "run.json").read_text())["passes"]]
    passes = sum(1 for p in phases if p.startswith("pass "))
    files = result.stats["input"]["files"]
    assert len([t for t in result.tasks if t["kind"] == "file"]) == passes * files
    finishes = sum(1 for p in phases if p.startswith("prepare "))
    assert len([t for t in result.tasks if t["kind"] == "finish"]) == finishes
    clear_saved_indexes(example)


def test_tasks_run_on_both_nodes_of_a_two_node_cluster(tmp_path, cli, ray_cluster):
    nodes = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
    assert len(nodes) == 2
    inputs = [NEARDUP, NEWS, SYNDICATED]
    code, err = run_cli(cli, SYNDICATION, inputs, tmp_path / "cli")
    assert code == 0, err
    result = gray.run(
        gleaner.Pipeline.from_toml(SYNDICATION), [str(p) for p in inputs], tmp_path / "ray"
    )
    assert {t["node"] for t in result.tasks} == nodes
    assert_same_output(tmp_path / "cli", tmp_path / "ray")
    removed = result.stats["output"]["removed_docs"]
    assert removed > 0 and (tmp_path / "ray" / "syndication.jsonl").stat().st_size > 0


def test_a_worker_killed_mid_run_is_retried_and_the_output_is_unchanged(tmp_path, cli, ray_cluster):
    # Normalize, FineWeb quality, exact then MinHash dedup: three passes, two corpus stages.
    pipeline_file = tmp_path / "pipeline.toml"
    pipeline_file.write_text(
        '[[stage]]\ntype = "normalize"\n\n[[stage]]\ntype = "exact_dedup"\n\n'
        + (REPO / "examples" / "recipes" / "fineweb.toml").read_text()
        + '\n[[stage]]\ntype = "minhash_dedup"\n'
    )
    inputs = [NEARDUP, NEWS]
    code, err = run_cli(cli, pipeline_file, inputs, tmp_path / "cli")
    assert code == 0, err
    marker = tmp_path / "killed-pid"
    result = gray.run(
        gleaner.Pipeline.from_toml(pipeline_file),
        [str(p) for p in inputs],
        tmp_path / "ray",
        _kill_once=str(marker),
    )
    killed = int(marker.read_text())
    first = [t for t in result.tasks if t["kind"] == "file" and t["pass"] == 0 and t["file"] == 0]
    assert len(first) == 1 and first[0]["pid"] != killed
    assert_same_output(tmp_path / "cli", tmp_path / "ray")


def test_input_and_output_as_file_uris(tmp_path, cli, ray_cluster):
    example = REPO / "examples" / "dedup" / "minhash.toml"
    code, err = run_cli(cli, example, [NEWS, SYNDICATED], tmp_path / "cli")
    assert code == 0, err
    gray.run(
        gleaner.Pipeline.from_toml(example),
        [NEWS.as_uri(), str(SYNDICATED)],
        (tmp_path / "ray").as_uri(),
    )
    assert_same_output(tmp_path / "cli", tmp_path / "ray")
    # A URI no file system answers to fails before any work, naming it.
    with pytest.raises(gleaner.ConfigError, match="nosuch://bucket/out"):
        gray.run(gleaner.Pipeline.from_toml(example), [str(NEWS)], "nosuch://bucket/out")


@pytest.fixture
def s3_bucket():
    """A local S3 server (moto) with bucket ``gleaner``: yields the pyarrow file system and the
    URI options (credentials, endpoint) that reach it from any process."""
    import socket

    pafs = pytest.importorskip("pyarrow.fs")
    moto_server = pytest.importorskip("moto.server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        fs = pafs.S3FileSystem(
            access_key="testing", secret_key="testing", region="us-east-1", scheme="http",
            endpoint_override=f"127.0.0.1:{port}", allow_bucket_creation=True,
        )
        fs.create_dir("gleaner")
        yield fs, lambda path: (
            f"s3://testing:testing@{path}?region=us-east-1&scheme=http"
            # One PUT per small object instead of a three-request multipart upload.
            f"&endpoint_override=127.0.0.1:{port}&allow_delayed_open=true"
        )
    finally:
        server.stop()


def test_input_and_output_in_an_s3_bucket(tmp_path, cli, ray_cluster, s3_bucket):
    import pyarrow.fs as pafs

    fs, uri = s3_bucket
    # Three passes (exact, then MinHash dedup): carried shards, scans and stage state all travel
    # through the bucket.
    example = REPO / "examples" / "dedup" / "minhash.toml"
    inputs = [NEWS, SYNDICATED]
    for p in inputs:
        pafs.copy_files(str(p), f"gleaner/in/{p.name}", destination_filesystem=fs)
    code, err = run_cli(cli, example, inputs, tmp_path / "cli")
    assert code == 0, err
    pipeline = gleaner.Pipeline.from_toml(example)

    # A run whose first task's worker is killed, then whose driver stops after pass 1: what it
    # left does not look finished.
    with pytest.raises(RuntimeError, match="test hook"):
        gray.run(pipeline, uri("gleaner/in"), uri("gleaner/out"),
                 _kill_once=str(tmp_path / "killed-pid"), _stop_after_pass=0)
    assert (tmp_path / "killed-pid").exists()
    assert fs.get_file_info("gleaner/out/run.json").type == pafs.FileType.NotFound
    assert fs.get_file_info("gleaner/out/kept").type == pafs.FileType.NotFound

    # The same command resumes it: the first pass is not run again.
    result = gray.run(pipeline, uri("gleaner/in"), uri("gleaner/out"))
    assert result.out_dir == uri("gleaner/out")
    pafs.copy_files("gleaner/out", str(tmp_path / "ray"), source_filesystem=fs)
    # pipeline.toml records the input as given: bucket objects by name, without the URI's
    # credentials or options; the rest of it is the CLI's.
    assert_same_output(tmp_path / "cli", tmp_path / "ray", apart=["pipeline.toml"])
    want, got = (tomllib.loads((tmp_path / d / "pipeline.toml").read_text()) for d in ("cli", "ray"))
    assert got["input"].pop("paths") == ["s3://gleaner/in"]
    want["input"].pop("paths")
    assert got == want
    assert result.stats == json.loads((tmp_path / "cli" / "stats.json").read_text())
    assert json.loads((tmp_path / "ray" / "run.json").read_text())["resumed_files"] == 2
    assert (tmp_path / "ray" / "syndication.jsonl").stat().st_size > 0
    assert result.stats["output"]["removed_docs"] > 0
    # No work files or lock left in the bucket (output_files would have listed .work/).
    assert not (tmp_path / "ray" / ".gleaner.lock").exists()

    # A finished run is not replaced by another pipeline's unasked (and the refused run leaves
    # the bucket as it was); a bucket that does not exist fails up front.
    with pytest.raises(gleaner.OutputError,
                       match=r"s3://testing:\*\*\*@gleaner/out\?.* already holds a finished run"):
        gray.run(gleaner.Pipeline.from_toml(SYNDICATION), uri("gleaner/in"), uri("gleaner/out"))
    assert fs.get_file_info("gleaner/out/.gleaner.lock").type == pafs.FileType.NotFound
    assert fs.get_file_info("gleaner/out/run.json").type == pafs.FileType.File
    with pytest.raises(gleaner.OutputError, match="s3://testing:\\*\\*\\*@no-such-bucket/out"):
        gray.run(pipeline, uri("gleaner/in"), uri("no-such-bucket/out"))


def test_dedup_against_an_index_saved_by_an_earlier_run_on_ray(tmp_path, cli, ray_cluster):
    # Run A saves exact and MinHash indexes (on storage every node sees); run B dedups against
    # them and grows them. On Ray as with the CLI: same outputs, same indexes. One pipeline file
    # and one index path for both (removals name the index by its path); the CLI's indexes are
    # kept aside before the Ray runs start from none.
    pipeline_file = tmp_path / "pipeline.toml"
    pipeline_file.write_text(
        '[[stage]]\ntype = "normalize"\n\n'
        '[[stage]]\ntype = "exact_dedup"\nagainst = ["index/exact"]\nsave_index = "index/exact"\n\n'
        '[[stage]]\ntype = "minhash_dedup"\nagainst = ["index/minhash"]\n'
        'save_index = "index/minhash"\n'
    )
    batches = {"a": [NEWS], "b": [SYNDICATED, NEARDUP]}
    for batch, inputs in batches.items():
        code, err = run_cli(cli, pipeline_file, inputs, tmp_path / "cli" / batch)
        assert code == 0, err
    cli_indexes = output_files(tmp_path / "index")
    shutil.rmtree(tmp_path / "index")
    for batch, inputs in batches.items():
        gray.run(
            gleaner.Pipeline.from_toml(pipeline_file), [str(p) for p in inputs], tmp_path / "ray" / batch
        )
    for batch in batches:
        assert_same_output(tmp_path / "cli" / batch, tmp_path / "ray" / batch)
    assert output_files(tmp_path / "index") == cli_indexes
    # Not vacuous: B's copies of A's documents were removed naming A's index.
    removed = read_shards(tmp_path / "ray" / "b" / "removed")
    against = [r["removal"]["against"] for r in removed if "against" in r["removal"]]
    assert against and all(a["index"].startswith(str(tmp_path / "index")) for a in against)
