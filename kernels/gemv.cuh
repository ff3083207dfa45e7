// Small-M matrix product y[m][j] = sum_k x[m][k] * w[j][k] (x float32 [m, k], w bf16 [n, k]
// row-major as Hugging Face stores Linear weights, y float32 [m, n]) for the M = 1..128 new tokens
// of a decode / verification step. Streams the weights once per 16 tokens at full bandwidth.
//
// Batch invariant: every output is reduced in the same order whatever m is (each lane sums its
// fixed 8-element slices of k in increasing k, then a fixed butterfly across the warp), so a
// token's result is bit-identical whether its step carries 1 or 128 tokens.
#pragma once
#include "kernels/common.cuh"

namespace stride::cuda {
// k must be a multiple of 8 and the rows 16-byte aligned; throws stride::Error otherwise.
void launch_gemv(const float* x, int m, int k, const bf16* w, int n, float* y, cudaStream_t s);
constexpr int kGemvMaxTokens = 128;
}
