"""gleaner.ray on a local Ray cluster gives the same result as `gleaner run`."""

import json

import pytest

import gleaner
from conftest import NEARDUP, NEWS, REPO, read_shards, run_cli

ray = pytest.importorskip("ray")
import gleaner.ray as gray  # noqa: E402

FINEWEB = REPO / "examples" / "recipes" / "fineweb.toml"


def test_quality_recipe_and_minhash_on_ray_equal_the_cli(tmp_path, cli, ray_cluster):
    # Exact dedup, the FineWeb quality chain, then MinHash dedup, with their defaults: three
    # passes on the CLI, two distributed dedup phases on Ray.
    pipeline_file = tmp_path / "pipeline.toml"
    pipeline_file.write_text(
        '[[stage]]\ntype = "normalize"\n\n[[stage]]\ntype = "exact_dedup"\n\n'
        + FINEWEB.read_text()
        + '\n[[stage]]\ntype = "minhash_dedup"\n'
    )
    inputs = [NEARDUP, NEWS]
    code, err = run_cli(cli, pipeline_file, inputs, tmp_path / "cli")
    assert code == 0, err
    cli_kept = read_shards(tmp_path / "cli" / "kept")
    cli_removed = read_shards(tmp_path / "cli" / "removed")

    result = gray.run(gleaner.Pipeline.from_toml(pipeline_file), [str(p) for p in inputs])
    kept = result.kept.take_all()
    removed = result.removed.take_all()

    assert [r["id"] for r in kept] == [r["id"] for r in cli_kept]
    assert [r["text"].encode() for r in kept] == [r["text"].encode() for r in cli_kept]
    assert [json.loads(r["metadata"]) for r in kept] == [r["metadata"] for r in cli_kept]
    got = {
        r["id"]: (r["stage"], r["rule"], r["kept_id"], r["detail"]) for r in removed
    }
    want = {
        r["id"]: (
            r["removal"]["stage"],
            r["removal"]["rule"],
            r["removal"].get("kept_id"),
            r["removal"].get("detail"),
        )
        for r in cli_removed
    }
    assert got == want
    rules = [v[1] for v in got.values()]
    # The run exercised every kind of removal: quality filters, exact and near duplicates.
    assert rules.count("near_duplicate") >= 5
    assert rules.count("exact_duplicate") >= 1
    assert len(rules) - rules.count("near_duplicate") >= 10


def test_read_documents_matches_the_cli_reader(ray_cluster):
    ds = gray.read_documents([str(NEWS)])
    rows = ds.take_all()
    table, _ = gleaner.read_file(NEWS)
    assert [r["id"] for r in rows] == table.column("id").to_pylist()
    assert [r["_position"] for r in rows] == table.column("_position").to_pylist()


def test_unsupported_corpus_stages_raise_a_clear_error(ray_cluster):
    p = gleaner.Pipeline.from_stages([{"type": "normalize"}, {"type": "line_dedup"}])
    with pytest.raises(gleaner.ConfigError, match="line_dedup.*not supported on Ray"):
        gray.run(p, [str(NEWS)])
    p = gleaner.Pipeline.from_stages([{"type": "minhash_dedup", "jaccard_threshold": 0.7}])
    with pytest.raises(gleaner.ConfigError, match="jaccard_threshold is not supported on Ray"):
        gray.run(p, [str(NEWS)])
