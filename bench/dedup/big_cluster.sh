#!/usr/bin/env bash
# One huge duplicate cluster against a small memory budget (issue 12): DOCS copies (default
# 2,000,000) of a real "404 Not Found" page, each with its own id and URL, with the 400 real news
# articles of examples/data/news-sample.jsonl.zst interleaved, in 8 .jsonl.zst files. Runs
# exact_dedup and minhash_dedup, each at --memory 64MiB and 2GiB (2 threads) and at 64MiB with
# 1 thread, under /usr/bin/time -v; prints wall time and peak RSS, and checks that the outputs
# (kept and removed shards, rejects, syndication.jsonl, stats.json without timings; not
# pipeline.toml, which records the budget) are identical.
#   bench/dedup/big_cluster.sh [DOCS] [GLEANER_BINARY]
set -euo pipefail
DOCS=${1:-2000000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${2:-$ROOT/target/release/gleaner}
DATA=$ROOT/bench/dedup/data/big-cluster-$DOCS
WORK=$ROOT/bench/dedup/work/big-cluster-$DOCS
cd "$ROOT"
if [ ! -f "$DATA/.done" ]; then
  mkdir -p "$DATA"
  python3 - "$DOCS" "$DATA" <<'PY'
import json, subprocess, sys
docs, out = int(sys.argv[1]), sys.argv[2]
news = subprocess.run(["zstd", "-dc", "examples/data/news-sample.jsonl.zst"],
                      capture_output=True, check=True).stdout.decode().splitlines()
# Apache's stock 404 page, as a text extractor sees it.
page = ("Not Found\n\nThe requested URL was not found on this server.\n\nAdditionally, a 404 Not "
        "Found error was encountered while trying to use an ErrorDocument to handle the request.")
files = 8
per = -(-docs // files)
every = max(1, docs // max(1, len(news)))
n = 0
for f in range(files):
    z = subprocess.Popen(["zstd", "-q", "-3", "-o", f"{out}/part-{f:02}.jsonl.zst"],
                         stdin=subprocess.PIPE)
    lines = []
    for i in range(f * per, min(docs, (f + 1) * per)):
        if i % every == 0 and n < len(news):
            lines.append(news[n]); n += 1
        lines.append(json.dumps({"id": f"err-{i}", "text": page,
                                 "url": f"https://site{i % 9973}.example/missing/{i}"}))
        if len(lines) >= 10000:
            z.stdin.write(("\n".join(lines) + "\n").encode()); lines = []
    if f == files - 1:
        lines.extend(news[n:])
    if lines:
        z.stdin.write(("\n".join(lines) + "\n").encode())
    z.stdin.close(); z.wait()
PY
  touch "$DATA/.done"
fi
mkdir -p "$WORK"
run() { # stage memory threads
  local out=$WORK/$1-$2-t$3
  printf '[[stage]]\ntype = "%s"\n' "$1" > "$WORK/$1.toml"
  rm -rf "$out"
  /usr/bin/time -v "$BIN" run "$WORK/$1.toml" --input "$DATA" --output "$out" \
    --memory "$2" --threads "$3" --quiet > /dev/null 2> "$out.time"
  python3 - "$out.time" "$1 --memory $2 --threads $3" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
print(f"{sys.argv[2]:<40} wall {wall:>8}  peak RSS {kb / 1024:8.1f} MiB")
PY
}
same() { # two output dirs
  python3 - "$1" "$2" <<'PY'
import json, pathlib, subprocess, sys
a, b = map(pathlib.Path, sys.argv[1:])
def content(d):
    out = {}
    for p in sorted(d.rglob("*")):
        if p.is_dir() or p.name in ("run.json", "report.html", "stats.json", "pipeline.toml") or "/." in str(p):
            continue
        out[str(p.relative_to(d))] = p.read_bytes()
    stats = json.loads((d / "stats.json").read_text())
    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items()
                    if not any(t in k for t in ("secs", "elapsed", "per_sec", "time"))}
        return v
    out["stats.json"] = json.dumps(strip(stats), sort_keys=True).encode()
    return out
ca, cb = content(a), content(b)
diff = [k for k in sorted(set(ca) | set(cb)) if ca.get(k) != cb.get(k)]
print(f"  {a.name} vs {b.name}: {'identical' if not diff else 'DIFFER: ' + ', '.join(diff[:5])}"
      f" ({len(ca)} files)")
PY
}
for stage in exact_dedup minhash_dedup; do
  run "$stage" 64MiB 2
  run "$stage" 2GiB 2
  run "$stage" 64MiB 1
  same "$WORK/$stage-64MiB-t2" "$WORK/$stage-2GiB-t2"
  same "$WORK/$stage-64MiB-t2" "$WORK/$stage-64MiB-t1"
done
