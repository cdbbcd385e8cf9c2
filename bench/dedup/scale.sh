#!/usr/bin/env bash
# Scale benchmark: generate N documents (default 5,000,000) with the repo's generator, then run
# exact + MinHash dedup with a 2 GiB memory budget under /usr/bin/time -v, printing the wall time
# and peak resident memory.
#   bench/dedup/scale.sh [DOCS] [THREADS]      (needs ~3 GB of disk per 5 M documents)
set -euo pipefail
DOCS=${1:-5000000}
THREADS=${2:-2}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=$ROOT/bench/dedup/data/scale-$DOCS
OUT=$ROOT/bench/dedup/work/scale-$DOCS
cd "$ROOT"
cargo build --release -p gleaner-cli -p gleaner --example dedup_corpus_gen
if [ ! -f "$DATA/.done" ]; then
  ./target/release/examples/dedup_corpus_gen --docs "$DOCS" --files 32 --out "$DATA"
  touch "$DATA/.done"
fi
cat > "$OUT.toml" <<TOML
[[stage]]
type = "exact_dedup"
[[stage]]
type = "minhash_dedup"
TOML
rm -rf "$OUT"
/usr/bin/time -v ./target/release/gleaner run "$OUT.toml" --input "$DATA" --output "$OUT" \
  --memory 2GiB --threads "$THREADS" 2> "$OUT.time" | tail -5
grep -E "Elapsed \(wall clock\)|Maximum resident set size" "$OUT.time"
python3 - "$OUT.time" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
print(f"peak RSS {kb / 1024 / 1024:.2f} GiB against a 2 GiB budget")
PY
