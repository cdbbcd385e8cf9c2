#!/usr/bin/env bash
# Dedup-index benchmark (issue 15): builds an index of DOCS documents (default 5,000,000) with
# exact_dedup + minhash_dedup under --memory 2GiB, then runs NEW new documents (default 500,000;
# 10 % exact and 10 % near copies of the first batch) against it and, on the same data, the same
# pipeline without `against`. Prints peak RSS (/usr/bin/time -v) and docs/s of each run, and the
# ratio of the two NEW-document runs. Documents are small (8-16 words): the bench is about the
# index. Data and work go to WORK (default /tmp/gleaner-index-bench), which is removed at the end
# (KEEP=1 keeps it; REUSE_INDEX=1 then skips building the index again; ROUNDS, default 2, sets how
# many times the two NEW-document runs are repeated). COLD=1 drops the input and
# the index files from the page cache before each measured run (posix_fadvise DONTNEED on these
# files only), so that a run against the index reads it from disk rather than from memory. On a shared machine the build and the data generation run at the lowest
# priority, and each measured run holds the bench lock (LOCK, default /tmp/gleaner-bench.lock) for
# itself alone, so the runs are timed beside other people's builds but not beside their benchmarks.
#   bench/dedup/index.sh [DOCS] [NEW] [THREADS] [WORK]
set -euo pipefail
DOCS=${1:-5000000}
NEW=${2:-500000}
THREADS=${3:-2}
WORK=${4:-/tmp/gleaner-index-bench}
LOCK=${LOCK:-/tmp/gleaner-bench.lock}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${GLEANER:-$ROOT/target/release/gleaner}
[ -n "${GLEANER:-}" ] || (cd "$ROOT" && nice -n 19 cargo build --release -p gleaner-cli)
mkdir -p "$WORK"
echo "bench/dedup/index.sh $DOCS $NEW $THREADS  ($("$BIN" --version), $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d" " -f1-3 /proc/loadavg))"
[ -f "$WORK/a/.done" ] || { nice -n 19 python3 "$ROOT/bench/dedup/index_gen.py" "$WORK/a" "$DOCS" 8 a && touch "$WORK/a/.done"; }
[ -f "$WORK/b/.done" ] || { nice -n 19 python3 "$ROOT/bench/dedup/index_gen.py" "$WORK/b" "$NEW" 4 b --copies-of "$DOCS" && touch "$WORK/b/.done"; }

pipeline() { # $1 = file, $2 = extra exact lines, $3 = extra minhash lines
  printf '[output]\nreport = false\n\n[[stage]]\ntype = "exact_dedup"\n%b\n[[stage]]\ntype = "minhash_dedup"\n%b\n' "$2" "$3" > "$1"
}
pipeline "$WORK/save.toml" "save_index = \"$WORK/index/exact\"" "save_index = \"$WORK/index/minhash\""
pipeline "$WORK/against.toml" "against = [\"$WORK/index/exact\"]" "against = [\"$WORK/index/minhash\"]"
pipeline "$WORK/plain.toml" "" ""

evict() { # drops files under the given directories from the page cache (COLD=1)
  python3 - "$@" <<'PY'
import os, sys
for root in sys.argv[1:]:
    for d, _, names in os.walk(root):
        for name in names:
            fd = os.open(os.path.join(d, name), os.O_RDONLY)
            os.fsync(fd)  # dirty pages would stay cached
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
PY
}
timed() { # $1 = name, $2 = pipeline, $3 = input, $4 = docs
  rm -rf "$WORK/out-$1"
  if [ -n "${COLD:-}" ]; then evict "$3" "$WORK/index"; fi
  flock "$LOCK" /usr/bin/time -v "$BIN" run "$2" --input "$3" --output "$WORK/out-$1" \
    --memory 2GiB --threads "$THREADS" -q 2> "$WORK/$1.time"
  python3 - "$WORK/$1.time" "$1" "$4" "$WORK/out-$1/stats.json" <<'PY'
import json, re, sys
t = open(sys.argv[1]).read()
kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(wall.split(":"))))
user = float(re.search(r"User time \(seconds\): (\S+)", t).group(1))
system = float(re.search(r"System time \(seconds\): (\S+)", t).group(1))
# 512-byte blocks read from the disk (not from the page cache).
read_mb = int(re.search(r"File system inputs: (\d+)", t).group(1)) * 512 / 1e6
stats = json.load(open(sys.argv[4]))
docs = int(sys.argv[3])
print(f"{sys.argv[2]:8} {docs:>9} docs  wall {secs:7.1f} s  CPU {user + system:7.1f} s  "
      f"{docs / secs:9.0f} docs/s wall  {docs / (user + system):9.0f} docs/CPU-s  "
      f"peak RSS {kb / 1024:7.1f} MiB (budget 2048 MiB)  disk read {read_mb:6.0f} MB  "
      f"kept {stats['output']['kept_docs']}")
run = json.load(open(sys.argv[4].replace("stats.json", "run.json")))
print("         " + ", ".join(f"{p['name']} {p['elapsed_secs']:.1f} s" for p in run["passes"]))
open(sys.argv[1] + ".rate", "w").write(f"{docs / secs} {docs / (user + system)}")
PY
  # Only the counts are needed afterwards: the output (millions of documents) goes at once.
  find "$WORK/out-$1" -mindepth 1 -maxdepth 1 ! -name stats.json ! -name run.json -exec rm -rf {} +
}
if [ -n "${REUSE_INDEX:-}" ] && [ -f "$WORK/index/minhash/manifest.json" ]; then
  echo "save: reusing the index a kept WORK already holds (REUSE_INDEX)"
else
  timed save "$WORK/save.toml" "$WORK/a" "$DOCS"
fi
"$BIN" index info "$WORK/index/minhash" | head -6
du -sh "$WORK/index/exact" "$WORK/index/minhash"
for round in $(seq "${ROUNDS:-2}"); do
  timed plain "$WORK/plain.toml" "$WORK/b" "$NEW"
  timed against "$WORK/against.toml" "$WORK/b" "$NEW"
  python3 - "$WORK/plain.time.rate" "$WORK/against.time.rate" <<'PY'
import sys
p = [float(x) for x in open(sys.argv[1]).read().split()]
a = [float(x) for x in open(sys.argv[2]).read().split()]
print(f"against / plain: {a[0] / p[0]:.2f}x docs/s wall, {a[1] / p[1]:.2f}x docs per CPU-s (target >= 0.8)")
PY
done
grep -o '"removed_against_index": *[0-9]*' "$WORK"/out-against/stats.json || true
[ -n "${KEEP:-}" ] || rm -rf "$WORK"
