#!/usr/bin/env python3
"""Classifier, training and decontamination: gleaner beside the `fasttext` Python package, one run.

    VENV=/path/to/venv flock /tmp/gleaner-bench.lock python3 bench/classifier/run.py
    (options: --exe target/release/gleaner, --repeat 3, --docs 20000: the defaults)

$VENV needs `fasttext-wheel==0.9.2` and `numpy<2` (made at bench/classifier/.venv when unset).
Build the release binary first (`cargo build --release -p gleaner-cli`), outside the lock.

Data (shared/data, real): the 3,824 news articles (Dai 2017), labelled by publisher (the host of
their URL: nine publishers), shuffled with seed 14 and halved into train and test; the 1,497 WCXB
pages' gold main text, cut into 20-word items as a stand-in benchmark (over 100,000 items).

Prints:
1. training: `gleaner train-classifier` and `fasttext.train_supervised` (1 thread each, same
   hyperparameters, same file order): wall time and held-out accuracy, both models scored by the
   Python package;
2. parity: gleaner's `classifier` stage against the package on every test article, for the model
   each tool trained: max abs difference of every label's probability;
3. scoring speed, 1 thread: the test articles repeated to --docs documents; the package's
   `predict` in a Python loop over in-memory strings and its batch `predict` (a list, one C++
   call), the faster of the two against `gleaner run` with the classifier
   stage (reading JSONL, scoring, writing uncompressed JSONL) and against that run minus the
   same run without the stage (the stage alone);
4. decontamination against the 100,000+ item index, 1 thread: MB/s of text for the run (index
   build included), the stage alone (minus the run without it and the index build), and the
   index build (a one-document run minus the same without the stage).
"""

import argparse
import glob
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "bench", "parity"))
from _common import data_dir, ensure_venv, news_articles  # noqa: E402

# fasttext-wheel 0.9.2's batch `predict` returns garbage probabilities under numpy 2 (its array
# conversion), though it computes them; numpy 1 gives the same values as the one-text `predict`.
PINNED = ["fasttext-wheel==0.9.2", "numpy<2"]
HYPER = dict(dim=50, epoch=20, lr=1.0, wordNgrams=2, bucket=200_000, minCount=1)


def articles():
    """The news articles with text, labelled by publisher (the host of their URL)."""
    out = []
    for row in news_articles():
        parts = row["article_source_link"].split("/")
        if len(parts) > 2 and row["text"].strip():
            out.append({"id": f"news-{row['article_id']}", "text": row["text"], "label": parts[2].replace(".", "_")})
    return out


def one_line(t):
    return t.replace("\n", " ")


def scores(model, text):
    """The package's `predict(text, k=-1)` (as in its FastText.py, minus the numpy step)."""
    return {l.removeprefix("__label__"): p for p, l in model.f.predict(one_line(text) + "\n", -1, 0.0, "strict")}


def run(exe, pipeline, inp, out, threads=1):
    t = time.perf_counter()
    p = subprocess.run([exe, "run", pipeline, "--input", inp, "--output", out, "--threads", str(threads),
                        "--quiet", "--overwrite"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(p.stderr)
    return time.perf_counter() - t


def read_kept(out):
    rows = {}
    for f in sorted(glob.glob(os.path.join(out, "kept", "*.jsonl"))):
        for line in open(f, encoding="utf-8"):
            r = json.loads(line)
            rows[r["id"]] = r
    return rows


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def pipeline(work, name, stages):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write('[output]\ncompression = "none"\nreport = false\nwrite_removed = false\n' + stages)
    return path


def best(fn, repeat):
    return min(fn() for _ in range(repeat))


def main():
    ensure_venv(PINNED, os.path.join(HERE, ".venv"))
    import fasttext

    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", default=os.path.join(REPO, "target", "release", "gleaner"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--docs", type=int, default=20_000)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="gleaner-classifier-bench-")
    docs = articles()
    random.Random(14).shuffle(docs)
    train, test = docs[: len(docs) // 2], docs[len(docs) // 2:]
    print(f"{len(docs)} articles, {len({d['label'] for d in docs})} publishers; train {len(train)}, test {len(test)}")

    # 1. Training.
    write_jsonl(os.path.join(work, "train.jsonl"), train)
    with open(os.path.join(work, "train.txt"), "w", encoding="utf-8") as f:
        f.writelines(f"__label__{d['label']} {one_line(d['text'])}\n" for d in train)
    ours_bin = os.path.join(work, "gleaner.bin")
    cmd = [args.exe, "train-classifier", "--input", os.path.join(work, "train.jsonl"), "--label-field", "label",
           "--output", ours_bin, "--seed", "14", "--dim", str(HYPER["dim"]), "--epoch", str(HYPER["epoch"]),
           "--lr", str(HYPER["lr"]), "--wordNgrams", str(HYPER["wordNgrams"]), "--bucket", str(HYPER["bucket"]),
           "--minCount", str(HYPER["minCount"])]

    def train_ours():
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        return time.perf_counter() - t

    def train_theirs():
        t = time.perf_counter()
        m = fasttext.train_supervised(input=os.path.join(work, "train.txt"), thread=1, seed=14, verbose=0, **HYPER)
        m.save_model(os.path.join(work, "fasttext.bin"))
        return time.perf_counter() - t

    t_ours, t_theirs = best(train_ours, args.repeat), best(train_theirs, args.repeat)
    models = {"gleaner train-classifier": fasttext.load_model(ours_bin),
              "fasttext train_supervised": fasttext.load_model(os.path.join(work, "fasttext.bin"))}

    def accuracy(m):
        return sum(max(scores(m, d["text"]).items(), key=lambda kv: kv[1])[0] == d["label"] for d in test) / len(test)

    acc = {k: accuracy(m) for k, m in models.items()}
    print(f"\n1. training, 1 thread, {HYPER}")
    print(f"   gleaner  {t_ours:6.2f} s   held-out accuracy {acc['gleaner train-classifier']:.4f}")
    print(f"   fasttext {t_theirs:6.2f} s   held-out accuracy {acc['fasttext train_supervised']:.4f}")
    print(f"   time ratio gleaner/fasttext {t_ours / t_theirs:.2f}; accuracy difference "
          f"{100 * (acc['gleaner train-classifier'] - acc['fasttext train_supervised']):+.2f} points")

    # 2. Parity on the test articles.
    write_jsonl(os.path.join(work, "test.jsonl"), [{"id": d["id"], "text": d["text"]} for d in test])
    print(f"\n2. parity: classifier stage vs the package, {len(test)} test articles, every label")
    for name, path in [("gleaner-trained", ours_bin), ("fasttext-trained", os.path.join(work, "fasttext.bin"))]:
        model = fasttext.load_model(path)
        p = pipeline(work, "parity.toml", f'[[stage]]\ntype = "classifier"\nname = "pub"\nmodel = "{path}"\n')
        run(args.exe, p, os.path.join(work, "test.jsonl"), os.path.join(work, "out-parity"), threads=2)
        rows = read_kept(os.path.join(work, "out-parity"))
        worst = max(abs(rows[d["id"]]["metadata"]["pub"][k] - v) for d in test for k, v in scores(model, d["text"]).items())
        same = sum(max(rows[d["id"]]["metadata"]["pub"].items(), key=lambda kv: kv[1])[0]
                   == max(scores(model, d["text"]).items(), key=lambda kv: kv[1])[0] for d in test)
        print(f"   {name}: max abs difference {worst:.3g}; same top label on {same}/{len(test)}")

    # 3. Scoring speed.
    many = [dict(id=f"d{i}", text=test[i % len(test)]["text"]) for i in range(args.docs)]
    write_jsonl(os.path.join(work, "many.jsonl"), many)
    mb = sum(len(d["text"].encode()) for d in many) / 1e6
    model = models["fasttext train_supervised"]
    texts = [one_line(d["text"]) + "\n" for d in many]

    def python_loop():
        t = time.perf_counter()
        for line in texts:
            model.f.predict(line, -1, 0.0, "strict")
        return time.perf_counter() - t

    batch = [one_line(d["text"]) for d in many]

    def python_batch():
        # The package's batch `predict` (a list of strings: one C++ `multilinePredict` call).
        t = time.perf_counter()
        model.predict(batch, k=-1)
        return time.perf_counter() - t

    p_cls = pipeline(work, "score.toml", f'[[stage]]\ntype = "classifier"\nname = "pub"\nmodel = "{os.path.join(work, "fasttext.bin")}"\n')
    p_none = pipeline(work, "none.toml", "")
    write_jsonl(os.path.join(work, "one.jsonl"), [{"id": "x", "text": "x"}])
    t_py = best(python_loop, args.repeat)
    t_batch = best(python_batch, args.repeat)
    t_run = best(lambda: run(args.exe, p_cls, os.path.join(work, "many.jsonl"), os.path.join(work, "out-score")), args.repeat)
    t_base = best(lambda: run(args.exe, p_none, os.path.join(work, "many.jsonl"), os.path.join(work, "out-none")), args.repeat)
    t_one = best(lambda: run(args.exe, p_none, os.path.join(work, "one.jsonl"), os.path.join(work, "out-one0")), args.repeat)
    t_load = best(lambda: run(args.exe, p_cls, os.path.join(work, "one.jsonl"), os.path.join(work, "out-one1")), args.repeat) - t_one
    stage = t_run - t_base - t_load
    t_ref = min(t_py, t_batch)
    print(f"\n3. scoring, 1 thread, {len(many)} documents ({mb:.1f} MB), every label's probability")
    print(f"   fasttext predict loop (model loaded, strings in memory) {len(many) / t_py:8.0f} docs/s")
    print(f"   fasttext batch predict (one call, strings in memory)    {len(many) / t_batch:8.0f} docs/s")
    print(f"   ratios against the faster of the two:")
    print(f"   gleaner run (load model, read, score, write)   {len(many) / t_run:8.0f} docs/s  ({t_ref / t_run:.2f}x)")
    print(f"   gleaner classifier stage alone (model load {t_load:.2f} s and the run without the stage subtracted) "
          f"{len(many) / stage:8.0f} docs/s  ({t_ref / stage:.2f}x)")

    # 4. Decontamination.
    items = []
    for f in sorted(glob.glob(os.path.join(data_dir(), "extraction-wcxb-dev", "ground-truth", "*.json"))):
        words = (json.load(open(f, encoding="utf-8"))["ground_truth"].get("main_content") or "").split()
        for i in range(0, len(words) - 19, 20):
            items.append({"id": f"{os.path.basename(f)}:{i}", "question": " ".join(words[i:i + 20])})
    # A few items taken from the articles, so that some documents are contaminated.
    for d in test[:50]:
        items.append({"id": d["id"], "question": " ".join(d["text"].split()[:30])})
    write_jsonl(os.path.join(work, "bench-items.jsonl"), items)
    p_dec = pipeline(work, "decont.toml", f'[[stage]]\ntype = "decontaminate"\nbenchmark_files = ["{os.path.join(work, "bench-items.jsonl")}"]\nfields = ["question"]\n')
    t_dec = best(lambda: run(args.exe, p_dec, os.path.join(work, "many.jsonl"), os.path.join(work, "out-dec")), args.repeat)
    t_index = best(lambda: run(args.exe, p_dec, os.path.join(work, "one.jsonl"), os.path.join(work, "out-one")), args.repeat)
    kept = len(read_kept(os.path.join(work, "out-dec")))
    stage = t_dec - t_base - (t_index - t_one)
    print(f"\n4. decontamination, 1 thread, {len(items)} benchmark items, {mb:.1f} MB of documents, "
          f"{len(many) - kept} removed")
    print(f"   index build {t_index - t_one:.2f} s; run {mb / t_dec:.1f} MB/s; stage alone {mb / stage:.1f} MB/s")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
