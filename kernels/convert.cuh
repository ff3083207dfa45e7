// Element-wise helpers: float32 -> bf16 (operands of the cuBLAS prefill path) and seeded random
// bf16 fills (the benchmark's random-weight models, generated on the GPU, never on the host).
#pragma once
#include "kernels/common.cuh"

namespace stride::cuda {
void launch_f32_to_bf16(const float* in, int64_t n, bf16* out, cudaStream_t s);
// out[i] = offset + scale * u, u uniform in [-1, 1) from a counter hash of (seed, i).
void launch_fill_random_bf16(bf16* out, int64_t n, uint64_t seed, float scale, float offset, cudaStream_t s);
void launch_fill_random_f32(float* out, int64_t n, uint64_t seed, float scale, float offset, cudaStream_t s);
}
