#!/usr/bin/env python3
"""How much the `line_clean` stage removes on real text, per rule: the false-positive check.

line_clean has no datatrove counterpart, so instead of agreement this prints, for the same
5,804 documents the language parity uses (news articles, trafilatura main text and raw lxml
page text of the extraction-dev pages), how many lines and documents each rule touched per kind
of text, and a sample of removed lines per rule to read. On clean article text (news, main)
every removal is a candidate false positive; on raw page text most removals are wanted.

Usage:  python3 bench/parity/line_clean.py [SAMPLES_PER_RULE]
Needs the document cache that bench/parity/language.py builds (run it first), plus cargo.
"""

import json
import os
import random
import subprocess
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DOCS = os.path.join(HERE, ".work", "language-docs.jsonl")
PIPELINE_TEXT = '[[stage]]\ntype = "line_clean"\n'


def main():
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    if not os.path.exists(DOCS):
        sys.exit(f"{DOCS} missing: run bench/parity/language.py first")
    with open(DOCS, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    kind_of = {d["id"]: d["metadata"]["kind"] for d in docs}
    lines_of_kind = Counter()
    for d in docs:
        lines_of_kind[d["metadata"]["kind"]] += sum(1 for l in d["text"].split("\n") if l.strip())
    pipeline = os.path.join(HERE, ".work", "line_clean.toml")
    with open(pipeline, "w") as f:
        f.write(PIPELINE_TEXT)
    profile = os.environ.get("GLEANER_PROFILE", "debug")
    cmd = ["cargo", "build", "-q", "-p", "gleaner", "--example", "apply_pipeline"]
    if profile == "release":
        cmd.append("--release")
    subprocess.check_call(cmd, cwd=REPO)
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    exe = os.path.join(target, profile, "examples", "apply_pipeline")
    with open(DOCS, "rb") as f:
        res = subprocess.run([exe, pipeline], stdin=f, capture_output=True, check=True)
    lines = Counter()
    docs_touched = defaultdict(set)
    dropped = Counter()
    examples = defaultdict(list)
    for raw in res.stdout.decode("utf-8").split("\n"):
        if not raw:
            continue
        r = json.loads(raw)
        kind = kind_of[r["id"]]
        if not r["kept"]:
            dropped[kind] += 1
        for e in r["edits"]:
            lines[(e["rule"], kind)] += 1
            docs_touched[(e["rule"], kind)].add(r["id"])
            examples[(e["rule"], kind)].append(e["text"])
    kinds = sorted(lines_of_kind)
    print(f"documents: {len(docs)}; non-blank lines per kind: {dict(lines_of_kind)}")
    print(f"documents dropped (all lines removed): {dict(dropped)}")
    print(f"{'rule':<18}" + "".join(f"{k + ' lines/docs':>22}" for k in kinds))
    for rule in sorted({r for r, _ in lines}):
        row = "".join(f"{lines[(rule, k)]:>14}/{len(docs_touched[(rule, k)]):<7}" for k in kinds)
        print(f"{rule:<18}{row}")
    rng = random.Random(0)
    for key in sorted(examples):
        pick = examples[key] if len(examples[key]) <= samples else rng.sample(examples[key], samples)
        print(f"\n== {key[0]} on {key[1]} ({len(examples[key])} lines)")
        for t in pick:
            print("   ", (t[:150] + "…") if len(t) > 150 else t)


if __name__ == "__main__":
    main()
