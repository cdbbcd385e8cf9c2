"""The Python API on real documents, checked against `gleaner run` (the CLI) on the same input."""

import json
import pickle
import threading
import time

import pyarrow as pa
import pytest

import gleaner
from conftest import NEARDUP, NEWS, REPO, read_shards, run_cli

FINEWEB = REPO / "examples" / "recipes" / "fineweb.toml"


def quality_and_minhash(tmp_path):
    """The FineWeb quality recipe followed by MinHash dedup, as a pipeline file."""
    text = FINEWEB.read_text() + '\n[[stage]]\ntype = "minhash_dedup"\n'
    path = tmp_path / "pipeline.toml"
    path.write_text(text)
    return path


def test_process_equals_cli_run_with_quality_filters_and_minhash(tmp_path, cli):
    pipeline_file = quality_and_minhash(tmp_path)
    code, err = run_cli(cli, pipeline_file, [NEARDUP], tmp_path / "cli")
    assert code == 0, err
    table, rejects = gleaner.read_file(NEARDUP)
    assert rejects == []
    kept, removed = gleaner.Pipeline.from_toml(pipeline_file).process(table)
    cli_kept = read_shards(tmp_path / "cli" / "kept")
    cli_removed = read_shards(tmp_path / "cli" / "removed")
    assert kept.column("id").to_pylist() == [r["id"] for r in cli_kept]
    assert kept.column("text").to_pylist() == [r["text"] for r in cli_kept]
    assert [json.loads(m) for m in kept.column("metadata").to_pylist()] == [
        r["metadata"] for r in cli_kept
    ]
    # Every removal carries the CLI's stage, rule and kept id.
    got = {
        r["id"]: (r["stage"], r["rule"], r["kept_id"]) for r in removed.to_pylist()
    }
    want = {
        r["id"]: (r["removal"]["stage"], r["removal"]["rule"], r["removal"].get("kept_id"))
        for r in cli_removed
    }
    assert got == want
    assert sum(1 for v in got.values() if v[1] == "near_duplicate") > 0
    # The input position column passes through untouched.
    assert kept.column("_position").type == pa.uint64()


def test_run_returns_the_stats_file(tmp_path):
    pipeline = gleaner.Pipeline.from_toml(FINEWEB)
    stats = pipeline.run(input=str(NEWS), output=tmp_path / "out", threads=2)
    assert stats == json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["input"]["docs"] == 401
    assert [s["name"] for s in stats["stages"]] == [s["type"] for s in pipeline.stages]


def test_from_stages_pickles_and_introspects():
    p = gleaner.Pipeline.from_stages(
        [{"type": "normalize"}, {"type": "length_filter", "min_words": 50, "name": "long"}]
    )
    assert p.stages == [{"type": "normalize"}, {"type": "length_filter", "min_words": 50, "name": "long"}]
    assert p.corpus_stages == []
    q = pickle.loads(pickle.dumps(p))
    assert q.stages == p.stages
    table = pa.table({"id": ["a", "b"], "text": ["Three  words here " * 20, "Too short"]})
    kept, removed = q.process(table)
    assert kept.column("id").to_pylist() == ["a"]
    assert removed.column("stage").to_pylist() == ["long"]
    assert removed.column("rule").to_pylist() == ["min_words"]
    assert json.loads(removed.column("threshold")[0].as_py()) == 50
    assert "words here Three" in kept.column("text")[0].as_py()  # normalized: single spaces


def test_other_columns_pass_through_and_ids_default_to_row_numbers():
    texts = gleaner.read_file(NEWS)[0].column("text").slice(0, 30).combine_chunks()
    batch = pa.record_batch(
        {"content": texts, "lang_hint": pa.array(range(30), pa.int32())}
    )
    p = gleaner.Pipeline.from_stages([{"type": "gopher_quality"}])
    kept, removed = p.process(batch, text_column="content", with_edits=True)
    assert kept.num_rows + removed.num_rows == 30
    assert kept.column_names == ["id", "content", "metadata", "lang_hint", "edits"]
    for row in kept.to_pylist() + removed.to_pylist():
        assert row["lang_hint"] == int(row["id"])  # the row's own value came along
        assert texts[row["lang_hint"]].as_py() == row["content"]


def test_errors_carry_the_cli_messages(tmp_path, cli):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[stage]]\ntype = "gopher_qualty"\n')
    code, err = run_cli(cli, bad, [NEWS], tmp_path / "o1")
    assert code == 2
    with pytest.raises(gleaner.ConfigError) as e:
        gleaner.Pipeline.from_toml(bad)
    assert str(e.value) in err
    assert "unknown type \"gopher_qualty\"" in str(e.value)

    missing = tmp_path / "nowhere.jsonl"
    code, err = run_cli(cli, FINEWEB, [missing], tmp_path / "o2")
    assert code == 2
    with pytest.raises(gleaner.InputError) as e:
        gleaner.Pipeline.from_toml(FINEWEB).run(input=str(missing), output=tmp_path / "o3")
    assert str(e.value) in err
    assert isinstance(e.value, gleaner.GleanerError)

    with pytest.raises(gleaner.ConfigError, match="num_bucket"):
        gleaner.minhash_signatures(pa.table({"text": ["x"]}), num_bucket=3)
    with pytest.raises(gleaner.InputError, match="no text column"):
        gleaner.Pipeline.from_stages([{"type": "normalize"}]).process(pa.table({"body": ["x"]}))


def test_minhash_band_keys_pair_every_duplicate_the_cli_removes(tmp_path, cli):
    pipeline_file = tmp_path / "mh.toml"
    pipeline_file.write_text('[[stage]]\ntype = "minhash_dedup"\n')
    code, err = run_cli(cli, pipeline_file, [NEARDUP], tmp_path / "cli")
    assert code == 0, err
    table = gleaner.read_file(NEARDUP)[0]
    sigs = gleaner.minhash_signatures(table)
    keys = gleaner.minhash_band_keys(table)
    assert sigs.type == pa.list_(pa.field("item", pa.uint64(), nullable=False), 14 * 8)
    assert keys.type.list_size == 14 and len(keys) == table.num_rows
    row = {i: n for n, i in enumerate(table.column("id").to_pylist())}
    removed = read_shards(tmp_path / "cli" / "removed")
    assert removed
    kept_ids = {r["removal"]["kept_id"] for r in removed}
    # The kept document of each cluster is in a band group with at least one of its copies
    # (that is how the stage joined them).
    for kid in kept_ids:
        mine = keys[row[kid]].as_py()
        copies = [row[r["id"]] for r in removed if r["removal"]["kept_id"] == kid]
        assert any(any(x == y for x, y in zip(mine, keys[c].as_py())) for c in copies)
    # Too short for one 5-gram: null, as the stage never clusters such documents.
    short = gleaner.minhash_band_keys(pa.table({"text": ["four words only here", "a b c d e"]}))
    assert short.is_null().to_pylist() == [True, False]


def test_process_releases_the_gil():
    table = gleaner.read_file(NEWS)[0]
    p = gleaner.Pipeline.from_toml(FINEWEB)
    ticks = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            ticks[0] += 1

    t = threading.Thread(target=spin)
    t.start()
    time.sleep(0.05)
    before = ticks[0]
    p.process(table, threads=1)
    during = ticks[0] - before
    stop.set()
    t.join()
    # With the GIL held for the whole call, the spinning thread could not run at all.
    assert during > 1000


def test_exact_hashes_group_the_copies_the_cli_removes(tmp_path, cli):
    pipeline_file = tmp_path / "exact.toml"
    pipeline_file.write_text('[[stage]]\ntype = "exact_dedup"\n')
    code, err = run_cli(cli, pipeline_file, [NEARDUP, NEWS], tmp_path / "cli")
    assert code == 0, err
    table = pa.concat_tables(
        [gleaner.read_file(p, i)[0] for i, p in enumerate(sorted([NEARDUP, NEWS]))]
    )
    hashes = [tuple(h) for h in gleaner.exact_hashes(table).to_pylist()]
    by_id = dict(zip(table.column("id").to_pylist(), hashes))
    removed = read_shards(tmp_path / "cli" / "removed")
    assert removed
    for r in removed:
        assert by_id[r["id"]] == by_id[r["removal"]["kept_id"]]
    # Copies are exactly the repeated hashes beyond their first occurrence.
    assert len(hashes) - len(set(hashes)) == len(removed)


def test_a_copy_of_an_indexed_document_names_the_index_and_the_earlier_document(tmp_path, cli):
    """A document removed against a dedup index (`against`) carries, in the removed table, the
    earlier document's id and URL and the index holding it, as `gleaner run` writes them in
    removed/ (and the report and `gleaner inspect` show them)."""
    table, _ = gleaner.read_file(NEWS)
    ids, texts = table.column("id").to_pylist(), table.column("text").to_pylist()

    def batch(rows, prefix):
        return pa.table(
            {
                "id": [f"{prefix}-{ids[i]}" for i in rows],
                "text": [texts[i] for i in rows],
                "metadata": [
                    json.dumps({"url": f"https://{prefix}.example/{ids[i]}"}) for i in rows
                ],
            }
        )

    index = tmp_path / "index"
    save = tmp_path / "save.toml"
    save.write_text(f'[[stage]]\ntype = "exact_dedup"\nsave_index = "{index}"\n')
    gleaner.Pipeline.from_toml(save).process(batch(range(200), "a"))
    against = tmp_path / "against.toml"
    against.write_text(f'[[stage]]\ntype = "exact_dedup"\nagainst = ["{index}"]\n')
    # Rows 150-249: the first 50 are copies of the indexed batch's documents.
    later = batch(range(150, 250), "b")
    _, removed = gleaner.Pipeline.from_toml(against).process(later)
    later_file = tmp_path / "later.jsonl"
    later_file.write_text(
        "".join(
            json.dumps({"id": r["id"], "text": r["text"], "metadata": json.loads(r["metadata"])})
            + "\n"
            for r in later.to_pylist()
        )
    )
    code, err = run_cli(cli, against, [later_file], tmp_path / "cli")
    assert code == 0, err
    got = {r["id"]: (r["kept_id"], r["kept_index"], r["kept_url"]) for r in removed.to_pylist()}
    want = {
        r["id"]: (
            r["removal"]["kept_id"],
            r["removal"]["against"]["index"],
            r["removal"]["against"].get("kept_url"),
        )
        for r in read_shards(tmp_path / "cli" / "removed")
    }
    assert got == want
    assert len(got) >= 50
    assert got[f"b-{ids[160]}"] == (f"a-{ids[160]}", str(index), f"https://a.example/{ids[160]}")
