// GPU measurements of stride-bench (built only with CUDA; see gpu_bench.cpp).
#pragma once

#include <string>
#include <vector>

#include "stride/engine.h"

namespace stride::bench {

// Ceilings, then prefill / prefix reuse / decode / forward cost by M for each random-weight shape
// ("0.5b,1.5b,7b") and the model folder (if any). Returns the process exit code.
int run_gpu_bench(const std::string& shapes, const std::string& model_dir, int decode_tokens);

// Forward cost of one greedy step (M = 1) and of each lookahead step size M = 1 + (W + G)(N - 1)
// on a random-weight shape, once per matmul mode (STRIDE_CUDA_MATMUL); prints and returns a
// Markdown table.
std::string run_step_costs(const std::string& shape, const std::vector<LookaheadParams>& grid,
                           const std::vector<std::string>& matmul_modes);

// Each matrix product of a shape's layer and head alone at M = 1, 16, 64: float32 GEMV against the
// tensor-core kernel (k chunks of 32 and 64, split and bf16 activations); prints a Markdown table.
std::string run_gemm_micro(const std::string& shape);

// For a kernel profiler (ncu --profile-from-start off): after a 512-token prompt on a random-weight
// shape and a warm-up that captures the graphs, runs one step of each row count in `rows` (causal,
// logits for every row) between cudaProfilerStart and cudaProfilerStop. bench/ncu_steps.py sums
// the kernels of each step.
// Forward + argmax cost of one step per M (the tile of the matrix products comes from
// STRIDE_GEMM_TILE; one process per tile).
void run_step_cost_list(const std::string& shape_name, const std::vector<int>& rows);
void run_profile_steps(const std::string& shape, const std::vector<int>& rows);
// One prompt step of `tokens` tokens (logits of the last row only) inside cudaProfilerStart/Stop, after
// a warm-up run of the same step: where prefill time goes, for ncu.
void run_profile_prefill(const std::string& shape, int tokens);

}  // namespace stride::bench
