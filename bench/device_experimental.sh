#!/bin/bash
# The opt-in CUDA paths side by side with the defaults, on the device machine (logs under $OUT).
#   bench/device_experimental.sh tests   build; test_cuda with the defaults, with every opt-in on, with the defaults off;
#                                        compute-sanitizer (memcheck, racecheck on the kernel tests)
#   bench/device_experimental.sh bench   stride-bench --shapes 1.5b,7b and the tiny-model strategy sweep,
#                                        defaults vs opt-ins, one after the other in the same call
#   bench/device_experimental.sh tiles   stride-bench --gemm-micro 7b per STRIDE_GEMM_TILE (token x row tiles of the
#                                        products with more than 8 tokens; 0x0 = the built-in table)
#   bench/device_experimental.sh host    the tiny model's step breakdown and strategy host work under each
#                                        STRIDE_CUDA_SYNC (how the host waits for a step), ncu of tiny:1,12
#   bench/device_experimental.sh splitk  the GEMM, backend and lossless tests, then --step-costs of 0.5B, 1.5B and 7B at
#                                        M = 1, 8, 16, 64 under STRIDE_GEMM_SPLITK (0 = off, else the blocks split-K aims
#                                        for), and ncu of one 1.5B step with the default
#   bench/device_experimental.sh realclock  ncu at the GPU's clocks, caches kept: 1.5B M=1,16 (split-K off/on), tiny M=1,12
#   bench/device_experimental.sh profile ncu kernel times of one 7B and one 1.5B step at M = 1, 13, 31, 64
#                                        (where a step's time goes), summed per kernel by bench/ncu_steps.py
# Defaults since session 9 (verified and measured on the H100): flash prefill attention, programmatic
# dependent launch, bf16 prompt-step product inputs, device sampling candidates; since session 10: attention
# chunks merged by the last chunk block, bf16 gate/up products in prompt steps, prompt chunks of 2048 rows; since
# session 15: q/k/v and gate/up products of steps of <= 16 tokens ending in qkv_rope and SwiGLU; since session 17:
# the RMSNorms and residual adds of invariant steps folded into the products; since session 19: plain products
# of steps of 33+ tokens through the Hopper warpgroup kernel. OFFS turns them off.
# Opt-ins (OPTS): STRIDE_CUDA_ROW_BUCKET=8 (verification steps padded to multiples of 8 rows, fewer captures),
# STRIDE_CUDA_PREFILL_GEMM=lt (prompt-step products through cuBLASLt;
# neutral), STRIDE_GEMM_WGMMA_MIN=17 (the Hopper warpgroup product from 17 tokens instead of 33; same bits,
# slower at 17). Build recipe as bench/device_run.sh (.deps, .models carried).
set -u
STAGE=${1:-tests}
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=$PWD/.deps/root/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
B=/tmp/b
TINY=$PWD/.models/shared_layout/models/tiny-qwen2-coder
OPTS="STRIDE_CUDA_ROW_BUCKET=8 STRIDE_CUDA_PREFILL_GEMM=lt STRIDE_GEMM_WGMMA_MIN=17"
OFFS="STRIDE_CUDA_SPLIT_BUCKETS=0 STRIDE_CUDA_PREFILL_ATTENTION=split STRIDE_CUDA_PDL=0 STRIDE_CUDA_PREFILL_BF16=0 STRIDE_CUDA_DEVICE_SAMPLING=0 STRIDE_CUDA_MERGE_IN_CHUNKS=0 STRIDE_CUDA_PREFILL_GATE_BF16=0 STRIDE_CUDA_PREFILL_CHUNK=1024 STRIDE_CUDA_EPILOGUES=0 STRIDE_CUDA_FOLD_NORMS=0 STRIDE_GEMM_WGMMA=0"
cmake -S . -B $B -G Ninja -DCMAKE_PREFIX_PATH=$PWD/.deps/root/usr -DSTRIDE_SHARED_DIR=$PWD/.models/shared_layout \
  -DSTRIDE_BUILD_APP=OFF -DSTRIDE_BUILD_LSP=OFF -DCMAKE_CUDA_ARCHITECTURES=90a -DCMAKE_BUILD_TYPE=Release >"$OUT/build.log" 2>&1 &&
  cmake --build $B -j16 --target test_cuda stride-bench >>"$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }
summary() { grep -E "^\[  (PASSED|FAILED)|FAILED|Failure|ERROR SUMMARY|RACECHECK SUMMARY" "$1" | head -20; }
if [ "$STAGE" = tests ]; then
  timeout 200 $B/tests/test_cuda >"$OUT/tests_default.log" 2>&1; echo "tests (defaults) rc=$?"; summary "$OUT/tests_default.log"
  env $OPTS timeout 200 $B/tests/test_cuda >"$OUT/tests_optin.log" 2>&1; echo "tests ($OPTS) rc=$?"; summary "$OUT/tests_optin.log"
  env $OFFS timeout 200 $B/tests/test_cuda >"$OUT/tests_off.log" 2>&1; echo "tests ($OFFS) rc=$?"; summary "$OUT/tests_off.log"
  env $OPTS timeout 150 compute-sanitizer --tool memcheck --error-exitcode 9 $B/tests/test_cuda \
    --gtest_filter='CudaKernels.*:CudaGemmMma.*:CudaGemmWgmma.*:CudaAttentionPrefill.*:CudaBackend.Flash*:CudaTopLogits.*:CudaGemmFused.*' >"$OUT/memcheck.log" 2>&1
  echo "memcheck rc=$?"; summary "$OUT/memcheck.log"
  timeout 100 compute-sanitizer --tool racecheck --error-exitcode 9 $B/tests/test_cuda \
    --gtest_filter='CudaAttentionPrefill.*:CudaKernels.PagedAttention*' >"$OUT/racecheck.log" 2>&1
  echo "racecheck rc=$?"; summary "$OUT/racecheck.log"
elif [ "$STAGE" = tiles ]; then
  for tile in 0x0 2x4 4x4 4x2 8x1 2x2; do
    STRIDE_GEMM_TILE=$tile timeout 100 $B/bench/stride-bench --gemm-micro 7b >"$OUT/tiles_$tile.log" 2>&1
    echo "== tile $tile rc=$?"; grep -E "^\| [a-z_]+ [0-9]+ x [0-9]+ \| (16|64) \|" "$OUT/tiles_$tile.log"
  done
elif [ "$STAGE" = host ]; then
  { nproc; lscpu | grep -E "Model name|MHz|L3"; cat /sys/devices/system/clocksource/clocksource0/current_clocksource; } 2>&1 | head -8
  for sync in auto spin block; do
    STRIDE_CUDA_SYNC=$sync timeout 150 $B/bench/stride-bench --step-breakdown --model "$TINY" --backend cuda --grid 3:3:3 \
      >"$OUT/breakdown_$sync.log" 2>&1
    echo "== STRIDE_CUDA_SYNC=$sync rc=$?"; grep -E "^\| (greedy|lookahead|prompt)" "$OUT/breakdown_$sync.log"
  done
  timeout 120 ncu --profile-from-start off --metrics gpu__time_duration.sum --csv \
    $B/bench/stride-bench --profile-steps tiny:1,12 >"$OUT/ncu_tiny.csv" 2>"$OUT/ncu_tiny.err"
  echo "== ncu tiny rc=$?"; python3 bench/ncu_steps.py "$OUT/ncu_tiny.csv" 1,12
elif [ "$STAGE" = splitk ]; then
  timeout 200 $B/tests/test_cuda --gtest_filter='CudaGemm*:CudaBackend*:CudaLossless*:CudaFixture*' >"$OUT/tests.log" 2>&1
  echo "tests rc=$?"; summary "$OUT/tests.log"
  for shape in 0.5b 1.5b 7b; do
    for t in ${SPLITK_TARGETS:-0 400 800}; do
      STRIDE_GEMM_SPLITK=$t timeout 120 $B/bench/stride-bench --step-costs $shape:1,8,16,64 >"$OUT/costs_${shape}_$t.log" 2>&1
      echo "== $shape STRIDE_GEMM_SPLITK=$t rc=$?"; grep -E "M= *[0-9]+:" "$OUT/costs_${shape}_$t.log" | sed 's/ms .*/ms/' | tr -s ' ' | tr '\n' ' '; echo
    done
  done
  timeout 120 ncu --profile-from-start off --metrics gpu__time_duration.sum --csv \
    $B/bench/stride-bench --profile-steps 1.5b:1 >"$OUT/ncu_1.5b.csv" 2>"$OUT/ncu_1.5b.err"
  echo "== ncu 1.5b rc=$?"; python3 bench/ncu_steps.py "$OUT/ncu_1.5b.csv" 1
elif [ "$STAGE" = realclock ]; then
  # ncu at the GPU's own clocks without flushing caches between kernels (closer to a graph replay
  # than the defaults), launches split by grid: 1.5B M=1 with and without split-K, tiny M=1 and 12.
  for t in 0 192; do
    STRIDE_GEMM_SPLITK=$t timeout 150 ncu --cache-control none --clock-control none --profile-from-start off \
      --metrics gpu__time_duration.sum --csv $B/bench/stride-bench --profile-steps 1.5b:1,16 >"$OUT/ncu_1.5b_$t.csv" 2>/dev/null
    echo "== ncu 1.5b:1,16 STRIDE_GEMM_SPLITK=$t rc=$?"; NCU_BY_GRID=1 python3 bench/ncu_steps.py "$OUT/ncu_1.5b_$t.csv" 1,16
  done
  timeout 120 ncu --cache-control none --clock-control none --profile-from-start off --metrics gpu__time_duration.sum \
    --csv $B/bench/stride-bench --profile-steps tiny:1,12 >"$OUT/ncu_tiny.csv" 2>/dev/null
  echo "== ncu tiny rc=$?"; NCU_BY_GRID=1 python3 bench/ncu_steps.py "$OUT/ncu_tiny.csv" 1,12
elif [ "$STAGE" = profile ]; then
  for shape in 7b 1.5b; do
    timeout 240 ncu --profile-from-start off --metrics gpu__time_duration.sum --csv \
      $B/bench/stride-bench --profile-steps $shape:1,13,31,64 >"$OUT/ncu_$shape.csv" 2>"$OUT/ncu_$shape.err"
    echo "== ncu $shape rc=$?"; python3 bench/ncu_steps.py "$OUT/ncu_$shape.csv" 1,13,31,64
  done
else
  for mode in default optin; do
    envs=""; [ $mode = optin ] && envs=$OPTS
    env $envs timeout 200 $B/bench/stride-bench --shapes 1.5b,7b >"$OUT/bench_$mode.log" 2>&1
    echo "== bench $mode rc=$?"
    grep -E "^== |prefill|prefix|decode batch|M= *(1|16|64):" "$OUT/bench_$mode.log"
    env $envs timeout 120 $B/bench/stride-bench --sweep --model "$TINY" --backend cuda --grid 3:3:3,5:4:5,8:4:8 --matmul-modes mma \
      --append-to "$OUT/sweep_$mode.md" >"$OUT/sweep_$mode.log" 2>&1
    echo "== sweep $mode rc=$?"; grep -E "^\| (greedy|lookahead|prompt)" "$OUT/sweep_$mode.md"
  done
fi
