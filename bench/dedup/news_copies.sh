#!/usr/bin/env bash
# An ordinary corpus for dedup timing: the 400 news articles of examples/data/news-sample.jsonl.zst
# N times over (default 50), each copy with its own id, in 4 files; exact_dedup then
# minhash_dedup at the default budget, REPEAT runs (default 3) per binary, printing wall times and
# peak RSS, side by side for every binary given.
#   bench/dedup/news_copies.sh N REPEAT BINARY...
set -euo pipefail
N=${1:-50}
REPEAT=${2:-3}
shift 2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=$ROOT/bench/dedup/data/news-x$N
WORK=$ROOT/bench/dedup/work/news-x$N
cd "$ROOT"
if [ ! -f "$DATA/.done" ]; then
  mkdir -p "$DATA"
  python3 - "$N" "$DATA" <<'PY'
import json, subprocess, sys
n, out = int(sys.argv[1]), sys.argv[2]
news = subprocess.run(["zstd", "-dc", "examples/data/news-sample.jsonl.zst"],
                      capture_output=True, check=True).stdout.decode().splitlines()
for f in range(4):
    with open(f"{out}/part-{f}.jsonl", "w") as w:
        for c in range(f, n, 4):
            for line in news:
                d = json.loads(line)
                d["id"] = f"{d['id']}-copy{c}"
                w.write(json.dumps(d) + "\n")
PY
  touch "$DATA/.done"
fi
mkdir -p "$WORK"
printf '[[stage]]\ntype = "exact_dedup"\n[[stage]]\ntype = "minhash_dedup"\n' > "$WORK/dedup.toml"
for r in $(seq "$REPEAT"); do
  for bin in "$@"; do
    rm -rf "$WORK/out"
    /usr/bin/time -v "$bin" run "$WORK/dedup.toml" --input "$DATA" --output "$WORK/out" \
      --threads 2 --quiet > /dev/null 2> "$WORK/time"
    python3 - "$WORK/time" "$bin" "$r" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
print(f"round {sys.argv[3]}  {sys.argv[2]:<40} wall {wall:>8}  peak RSS {kb / 1024:7.1f} MiB")
PY
  done
done
