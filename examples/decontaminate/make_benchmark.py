#!/usr/bin/env python3
"""Writes benchmark.jsonl: a stand-in for an exported evaluation set (question/answer items), cut
from real text so that the decontamination example has something to find. Every 25th article of
news-sample.jsonl.zst gives one item: its second sentence as the question and its third as the
answer. Run from the repository root: python3 examples/decontaminate/make_benchmark.py"""

import json
import os

import zstandard

HERE = os.path.dirname(os.path.abspath(__file__))
with zstandard.open(os.path.join(HERE, "..", "data", "news-sample.jsonl.zst"), "rt", encoding="utf-8") as f:
    rows = [json.loads(line) for line in f]
with open(os.path.join(HERE, "benchmark.jsonl"), "w", encoding="utf-8") as out:
    for i, r in enumerate(r for r in rows if r["id"].startswith("news-")):
        sentences = [s for s in r["text"].split(". ") if len(s.split()) >= 8]
        if i % 25 == 0 and len(sentences) >= 3:
            item = {"id": f"item-{i}", "question": sentences[1] + ".", "answer": sentences[2] + "."}
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
