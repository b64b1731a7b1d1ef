#!/bin/sh
# Run prebuilt (static) benchmark binaries on a quieter machine; results under $OUT.
#   .venv/bin/python benchmarks/fastpath_bench.py --bundle results/bench/bundle --prepare-only
#   for d in results/bench/bundle/d*; do LDFLAGS=-static CSRC=csrc sh $d/build.sh 1 . compile; done
#   .venv/bin/python benchmarks/l2fwd_tune_overhead.py --static --prepare results/bench/bundle/l2fwd
#   (there) OUT=/some/dir sh csrc/bench/run_bundle.sh results/bench/bundle
#   (here)  benchmarks/fastpath_bench.py --bundle results/bench/bundle --timings /some/dir
#           benchmarks/l2fwd_tune_overhead.py --from-jsonl /some/dir/l2fwd.jsonl
set -u
BUNDLE=${1:?bundle directory}
export CSRC=$PWD/csrc
OUT=${OUT:?}
{ nproc; lscpu 2>/dev/null | grep -E "Model name|^CPU\(s\)|MHz|Thread"; uname -r; } > "$OUT/machine.txt" 2>&1
PIN=""; command -v taskset >/dev/null && PIN="taskset -c 3"
for dir in "$BUNDLE"/d*; do
  d=$(basename "$dir"); mkdir -p "$OUT/$d"
  $PIN sh "$dir/build.sh" 200000 "$OUT/$d" run > "$OUT/$d/log.txt" 2>&1 || echo "$d failed" >> "$OUT/errors.txt"
done
APP=$BUNDLE/l2fwd/l2fwd_tune_static
[ -x "$APP" ] || exit 0
for r in 1 2 3 4 5; do
  for e in 0 64 16; do
    X=""; [ $e = 0 ] || X=--no-apply
    timeout -k 5 40 "$APP" --no-huge -m 512 --no-pci --vdev=net_null0 --vdev=net_null1 --file-prefix=b$r$e -l 4-5 \
      --log-level=lib.eal:error -- --duration 3 --decide-every $e $X 2>>"$OUT/l2fwd_err.txt" | tail -1 >> "$OUT/l2fwd.jsonl"
  done
done
