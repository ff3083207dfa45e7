#include "kernels/convert.cuh"

#include <algorithm>

namespace stride::cuda {
namespace {

__device__ __forceinline__ float hash_uniform(uint64_t seed, uint64_t i) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ull + i + 0x632BE59BD9B4E019ull;  // splitmix64
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

__global__ void f32_to_bf16_kernel(const float* in, int64_t n, bf16* out) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = __float2bfloat16(in[i]);
}

__global__ void fill_bf16_kernel(bf16* out, int64_t n, uint64_t seed, float scale, float offset) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = __float2bfloat16(offset + scale * hash_uniform(seed, i));
}

__global__ void fill_f32_kernel(float* out, int64_t n, uint64_t seed, float scale, float offset) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = offset + scale * hash_uniform(seed, i);
}

int blocks_for(int64_t n) { return static_cast<int>(std::min<int64_t>((n + 255) / 256, 8192)); }

}  // namespace

void launch_f32_to_bf16(const float* in, int64_t n, bf16* out, cudaStream_t s) {
  if (n <= 0) return;
  f32_to_bf16_kernel<<<blocks_for(n), 256, 0, s>>>(in, n, out);
  check_launch("f32_to_bf16");
}

void launch_fill_random_bf16(bf16* out, int64_t n, uint64_t seed, float scale, float offset, cudaStream_t s) {
  if (n <= 0) return;
  fill_bf16_kernel<<<blocks_for(n), 256, 0, s>>>(out, n, seed, scale, offset);
  check_launch("fill_random_bf16");
}

void launch_fill_random_f32(float* out, int64_t n, uint64_t seed, float scale, float offset, cudaStream_t s) {
  if (n <= 0) return;
  fill_f32_kernel<<<blocks_for(n), 256, 0, s>>>(out, n, seed, scale, offset);
  check_launch("fill_random_f32");
}

}  // namespace stride::cuda
