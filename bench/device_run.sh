#!/bin/bash
# One device-machine call: build the CUDA tests and stride-bench, run the tests, the strategy sweep
# on the tiny model (with the 7B step-cost table), the shape benchmark and optionally the Hugging
# Face peer; full logs under $OUT, a short summary last.
#   bench/device_run.sh [bench shapes, default 0.5b,1.5b,7b; "none" skips] [peer: 1 = run hf_decode_peer.py]
#                       [sweep: 1 = run stride-bench --sweep on the tiny model (default)]
#   PREFILL_COMPARE=1 also runs the shape benchmark with STRIDE_CUDA_PREFILL_ATTENTION=split (what flash replaced).
set -u
SHAPES=${1:-0.5b,1.5b,7b}
PEER=${2:-0}
SWEEP=${3:-1}
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=$PWD/.deps/root/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
B=/tmp/b
TINY=$PWD/.models/shared_layout/models/tiny-qwen2-coder
cmake -S . -B $B -G Ninja -DCMAKE_PREFIX_PATH=$PWD/.deps/root/usr -DSTRIDE_SHARED_DIR=$PWD/.models/shared_layout \
  -DSTRIDE_BUILD_APP=OFF -DSTRIDE_BUILD_LSP=OFF -DCMAKE_CUDA_ARCHITECTURES=90a -DCMAKE_BUILD_TYPE=Release >"$OUT/build.log" 2>&1 &&
  cmake --build $B -j16 --target test_cuda stride-bench >>"$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }
timeout 300 $B/tests/test_cuda >"$OUT/tests.log" 2>&1
echo "tests rc=$?"
grep -E "^\[  (PASSED|FAILED)|FAILED|Failure|error|lossless" "$OUT/tests.log" | head -30
if [ "$SWEEP" = 1 ]; then
  timeout 240 $B/bench/stride-bench --sweep --model "$TINY" --backend cuda --append-to "$OUT/sweep.md" >"$OUT/sweep.log" 2>&1
  echo "sweep rc=$?"
  timeout 120 $B/bench/stride-bench --step-breakdown --model "$TINY" --backend cuda --grid 1:3:2,3:3:3 --append-to "$OUT/sweep.md" >"$OUT/breakdown.log" 2>&1
  echo "step breakdown rc=$?"
fi
if [ "$SHAPES" != none ]; then
  timeout 300 $B/bench/stride-bench --shapes "$SHAPES" >"$OUT/bench.log" 2>&1
  echo "bench rc=$?"
  grep -E "^device|ceilings|^== |prefill|prefix|decode batch|M= *(1|2|4|8|16|32|64|128):" "$OUT/bench.log"
  if [ "${PREFILL_COMPARE:-0}" = 1 ]; then
    STRIDE_CUDA_PREFILL_ATTENTION=split timeout 300 $B/bench/stride-bench --shapes "$SHAPES" >"$OUT/bench_split.log" 2>&1
    echo "bench (split prefill attention) rc=$?"
    grep -E "^== |prefill|prefix" "$OUT/bench_split.log"
  fi
fi
if [ "$PEER" = 1 ]; then timeout 240 python3 bench/hf_decode_peer.py >"$OUT/peer.log" 2>&1; tail -3 "$OUT/peer.log"; fi
[ -f "$OUT/sweep.md" ] && cat "$OUT/sweep.md"
