#!/usr/bin/env python3
"""Cause table of gleaner's extraction-dev errors on the tuning split (run diagnose.py first: it
builds the examples and leaves gleaner's output in bench/extraction/.cache/gleaner.jsonl).

Each false negative ("must appear" snippet lost) is put down to
- block: pruned        a pruning rule removed its element or an ancestor;
- container: page lost no "must appear" snippet of the page was kept (wrong container or path);
- container: outside   it lies outside the lowest common ancestor of the snippets that were kept;
- in container         it lies inside that ancestor, unpruned: serialisation or sibling scoring;
- spans nodes          its first 24 characters are in no single text node (inline markup, soft
                       hyphens, ruby): usually serialisation.
Each false positive ("must not appear" snippet emitted) to
- block: inside        inside the lowest common ancestor of the page's "must appear" snippets
                       (boilerplate inside the article container: a block-level rule missed it);
- container: outside   outside it (the chosen container or its joined siblings were too wide);
- spans nodes          as above.
Columns: count, and how many of those trafilatura avoids. Usage: python3 bench/extraction/causes.py
"""
import collections
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import diagnose as dg  # noqa: E402
import eval as ev  # noqa: E402


def main():
    pages, pages_file = dg.load_pages()
    traf = dg.trafilatura_results(pages_file)
    glean = {}
    with open(os.path.join(dg.CACHE, "gleaner.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            glean[r["id"]] = r["text"]
    chosen = [p for p in pages if not p["held_out"]]
    queries = os.path.join(dg.CACHE, "cause-queries.jsonl")
    with open(queries, "w", encoding="utf-8") as f:
        for p in chosen:
            for s in p["with"] + p["without"]:
                f.write(json.dumps({"url": p["url"], "needle": ev.norm(s)[:24]}) + "\n")
    trace = os.path.join(ev.REPO, "target", "release", "examples", "extract_trace")
    traces = {}
    for line in subprocess.check_output([trace, pages_file, queries]).decode().splitlines():
        r = json.loads(line)
        traces[(r["url"], r["needle"])] = r

    def found(url, s):
        return traces.get((url, s[:24]), {"found": False, "chain": []})

    def lca(chains):
        chains = [c[::-1] for c in chains if c]
        out = []
        for ids in zip(*chains):
            if any(i != ids[0] for i in ids):
                break
            out.append(ids[0])
        return set(out)

    counts = collections.Counter()
    avoided = collections.Counter()
    for p in chosen:
        g, t = ev.norm(glean.get(p["url"]) or ""), ev.norm(traf.get(p["url"]) or "")
        withs = [ev.norm(s) for s in p["with"]]
        ids = {s: [c["id"] for c in found(p["url"], s)["chain"]] for s in withs}
        kept = [ids[s] for s in withs if s in g and ids[s]]
        kept_lca, all_lca = lca(kept), lca([c for c in ids.values() if c])
        for kind, snippets in (("FP", p["without"]), ("FN", p["with"])):
            for s in map(ev.norm, snippets):
                if (s in g) != (kind == "FP"):
                    continue
                r = found(p["url"], s)
                chain = {c["id"] for c in r["chain"]}
                if not r["found"]:
                    cause = "spans nodes"
                elif kind == "FN":
                    if r["removed"] or any(c["removed"] for c in r["chain"]):
                        cause = "block: pruned"
                    elif not kept:
                        cause = "container: page lost"
                    elif kept_lca <= chain:
                        cause = "in container (serialise/score)"
                    else:
                        cause = "container: outside"
                elif len(all_lca) > 2 and all_lca <= chain:
                    cause = "block: inside content"
                else:
                    cause = "container: outside content"
                counts[(kind, cause)] += 1
                avoided[(kind, cause)] += (s in t) == (kind == "FN")
    for key in sorted(counts):
        print(f"{key[0]} {key[1]:32} {counts[key]:4}  (trafilatura avoids {avoided[key]:3})")


if __name__ == "__main__":
    main()
