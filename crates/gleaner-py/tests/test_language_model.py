"""The `language` stage with a language-ID model file in GlotLID's label style (`__label__eng_Latn`),
against the `fasttext` Python package and datatrove's `LanguageFilter` rule.

The model is trained here by the `fasttext` package on text of the 990 real pages of the
extraction-dev set (shared data: trafilatura's evaluation set, Apache-2.0, mostly German and
English): each paragraph-sized chunk is labelled by lid.176 (the `.ftz` gleaner ships) and the label
renamed GlotLID-style (`deu_Latn`, `eng_Latn`, others `und_Zyyy`). gleaner then runs the language
stage with that model file, German and English listed, a per-language threshold for German; each
document's language, script and score must equal the Python package's top prediction, and the
keep/drop decision datatrove's rule applied to the Python scores.
"""

import gzip
import html
import json
import os
import re
from pathlib import Path

import pytest

from conftest import REPO, read_shards, run_cli

fasttext = pytest.importorskip("fasttext")

LID_176 = REPO / "crates" / "gleaner" / "assets" / "lid.176.ftz"
GLOT_STYLE = {"de": "deu_Latn", "en": "eng_Latn"}


def shared_dir(rel):
    """A shared data set, as crates/gleaner-testdata's `shared_file` finds it."""
    base = Path(os.environ.get("GLEANER_SHARED_DATA") or REPO.parent / "shared" / "data")
    path = base / rel
    if path.exists():
        return path
    if os.environ.get("GLEANER_REQUIRE_SHARED_DATA") == "1":
        pytest.fail(f"shared data {path} is missing and GLEANER_REQUIRE_SHARED_DATA=1")
    pytest.skip(f"shared data {path} not present (a lone clone)")


def page_chunks(html_dir, limit):
    """Visible text of the pages, cut at block tags into chunks of at least 40 characters."""
    chunks = []
    for f in sorted(html_dir.glob("*.html.gz"))[:limit]:
        raw = gzip.decompress(f.read_bytes()).decode("utf-8", errors="replace")
        raw = re.sub(r"(?is)<(script|style|noscript)\b.*?</\1>", " ", raw)
        raw = re.sub(r"(?i)</?(p|div|br|li|h[1-6]|tr|td|section|article)\b[^>]*>", "\n", raw)
        text = html.unescape(re.sub(r"<[^>]+>", " ", raw))
        for block in text.split("\n"):
            block = " ".join(block.split())
            if len(block) >= 40:
                chunks.append(block)
    return chunks


def top(model, text):
    probs = model.f.predict(text.replace("\n", " ") + "\n", -1, 0.0, "strict")
    return {label.removeprefix("__label__"): p for p, label in probs}


def test_glotlid_style_model_file_matches_the_fasttext_package(tmp_path, cli):
    chunks = page_chunks(shared_dir("extraction-dev/html"), 250)
    assert len(chunks) >= 3000, len(chunks)
    lid = fasttext.load_model(str(LID_176))
    train = tmp_path / "train.txt"
    with train.open("w") as fh:
        for c in chunks[::2]:
            code = max(top(lid, c).items(), key=lambda kv: kv[1])[0]
            fh.write(f"__label__{GLOT_STYLE.get(code, 'und_Zyyy')} {c}\n")
    model = fasttext.train_supervised(
        input=str(train), dim=16, epoch=5, lr=0.5, minn=2, maxn=5, bucket=200_000, thread=1, seed=14, verbose=0
    )
    model.save_model(str(tmp_path / "glot-style.bin"))
    model = fasttext.load_model(str(tmp_path / "glot-style.bin"))

    docs = chunks[1::2]
    inp = tmp_path / "docs.jsonl"
    inp.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(docs)))
    pipeline = tmp_path / "lid.toml"
    pipeline.write_text(
        '[[stage]]\ntype = "language"\nmodel = "glot-style.bin"\nlanguages = ["deu_Latn", "eng_Latn"]\n'
        "min_score = 0.9\nmin_score_per_language = { deu_Latn = 0.6 }\n"
    )
    code, err = run_cli(cli, pipeline, [inp], tmp_path / "out")
    assert code == 0, err
    rows = {r["id"]: r for r in read_shards(tmp_path / "out" / "kept")}
    rows.update({r["id"]: r for r in read_shards(tmp_path / "out" / "removed")})
    assert len(rows) == len(docs)
    thresholds = {"deu_Latn": 0.6, "eng_Latn": 0.9}
    worst, kept, scripts = 0.0, 0, set()
    for i, text in enumerate(docs):
        row = rows[f"d{i}"]
        scores = top(model, text)
        label, score = max(scores.items(), key=lambda kv: kv[1])
        lang, script = label.split("_")
        assert row["metadata"]["language"] == lang, (i, text[:80])
        assert row["metadata"]["language_script"] == script
        scripts.add(script)
        worst = max(worst, abs(row["metadata"]["language_score"] - score))
        # datatrove's LanguageFilter: some listed language strictly above its threshold.
        keep = any(scores.get(l, 0.0) > t for l, t in thresholds.items())
        assert ("removal" not in row) == keep, (i, scores)
        kept += keep
    print(f"glot-style model: {len(docs)} documents, {kept} kept, max abs score difference {worst:.3g}")
    assert worst <= 1e-6
    assert 0 < kept < len(docs)
    assert {"Latn", "Zyyy"} <= scripts
