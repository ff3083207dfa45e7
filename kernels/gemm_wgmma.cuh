// Hopper (sm_90a) warpgroup form of gemm_mma for the larger verification steps (17..128 tokens):
// y[m][j] = sum_k x[m][k] * w[j][k], x float32 [m, k], w bf16 [n, k], y float32 [m, n].
//
// Same bits as gemm_mma (gemm_mma.cuh), so a token's result still does not depend on its step's
// size: the 64-wide k chunks of a k slice form gemm_mma's eight chains (chunk c in chain c % 8,
// each chain accumulated in increasing c, starting from zero), the chains are added in gemm_mma's
// tree ((0 + 4) + (2 + 6)) + ((1 + 5) + (3 + 7)), the slices in slice order. Each chunk is the
// same four k groups of 16 (elements t·16 + 4s + j, t, j < 4, for group s), each multiplied with
// the split activations hi then lo. A wgmma m64n64k16 gives each output the bits of an
// mma.sync m16n8k16 over the same 16 k values and accumulator (measured on the H100 over 4.2 M
// outputs of adversarial inputs, with the k values in any order inside the instruction: 0 differ).
// The backend's invariance and lossless tests check it end to end on every run.
//
// Why: gemm_mma's large tiles are bound by the L1 traffic of their per-thread activation loads and
// mma.sync issue (7B M=64 step 2.96x the one-token step). Here a block of 64 weight rows × 64
// tokens streams its weights and activations into shared memory (cp.async), each warpgroup
// instruction does the work of 32 mma.sync, and one block walks the eight chains itself (at most
// four partial sums live: the walk follows the tree).
// Status: opt-in (STRIDE_GEMM_WGMMA=1). Bit-identical, but not yet faster: on the H100 the 7B
// step costs 15.0 / 17.2 / 29.5 ms at M = 17 / 64 / 128 against gemm_mma's 9.5 / 16.7 / 32.0. Each
// block's chunks run one after the other (copy wait, barrier, conversion, wgmma, wait) with 8
// warps per SM: ncu of the 7B gate/up product at 64 tokens, 253 us, DRAM 33%, stalls spread over
// the wgmma wait, the copies' arrival, the barriers and the conversion (bench/RESULTS.md).
#pragma once
#include "kernels/common.cuh"

namespace stride::cuda {

// Whether this build and device run the warpgroup kernel (sm_90a code on a compute 9.0 GPU). Read once.
bool gemm_wgmma_supported();
// Whether plain products of larger steps take it: supported and STRIDE_GEMM_WGMMA=1. Read once.
bool gemm_wgmma_enabled();

// Steps of at least this many tokens take it when enabled (STRIDE_GEMM_WGMMA_MIN, default 17).
int gemm_wgmma_min_tokens();

// k a multiple of 64 with at least 8 chunks per slice (gemm_mma's non-thin form), m <= 128, `slices` as
// gemm_mma_split_k(n, k) gives. x and w 16-byte aligned. Throws stride::Error otherwise.
void launch_gemm_wgmma(const float* x, bool split, int m, int k, const bf16* w, int n, float* y, int slices,
                       cudaStream_t s);

}  // namespace stride::cuda
