#include "kernels/rmsnorm.cuh"

#include <type_traits>

namespace stride::cuda {

__device__ __forceinline__ void store(float* p, float v) { *p = v; }
__device__ __forceinline__ void store(bf16* p, float v) { *p = __float2bfloat16(v); }
// Element k of row `row` of the output: a row-major array, or a product's activation images.
template <typename T>
__device__ __forceinline__ void store_at(T* out, int row, int d, int k, float v) { store(out + int64_t(row) * d + k, v); }
__device__ __forceinline__ void store_at(const WgmmaImages& out, int row, int, int k, float v) { out.store(row, k, v); }

constexpr int kThreads = 256;  // part of the reduction order (gemm_mma's fused RMSNorm mirrors it)
constexpr int kMaxPer = 32;    // values per thread held in registers: rows up to 8192 wide
constexpr int kHeldMaxRows = 256;

// One block per row; thread t owns elements t, t + 256, ... and sums their squares in that order,
// then block_sum. Rows up to kThreads * kMaxPer wide keep their values in registers: every load of
// the row is issued before the first use (one memory round trip instead of one per element, which
// is what a one-token decode step waits on: ~8 µs per call at the 1.5B shape before, ncu).
template <typename Out, bool HELD>
__global__ void __launch_bounds__(kThreads) add_rmsnorm_kernel(float* __restrict__ residual,
                                                               const float* __restrict__ delta,
                                                               const bf16* __restrict__ weight, int d, float eps,
                                                               Out out) {
  __shared__ float scratch[32];
  float* x = residual + int64_t(blockIdx.x) * d;
  const float* dx = delta ? delta + int64_t(blockIdx.x) * d : nullptr;
  float ss = 0.f;
  if constexpr (HELD) {
    // The norm weights are no kernel's output: loaded before waiting on the previous kernel.
    bf16 g[kMaxPer];
#pragma unroll
    for (int j = 0; j < kMaxPer; ++j) {
      const int k = threadIdx.x + j * kThreads;
      g[j] = k < d ? weight[k] : bf16(0.f);
    }
    pdl_wait_then_release();
    float v[kMaxPer];
#pragma unroll
    for (int j = 0; j < kMaxPer; ++j) {
      const int k = threadIdx.x + j * kThreads;
      v[j] = k < d ? x[k] : 0.f;
    }
    if (dx) {
#pragma unroll
      for (int j = 0; j < kMaxPer; ++j) {
        const int k = threadIdx.x + j * kThreads;
        if (k < d) {
          v[j] += dx[k];
          x[k] = v[j];
        }
      }
    }
#pragma unroll
    for (int j = 0; j < kMaxPer; ++j)
      if (threadIdx.x + j * kThreads < d) ss = fmaf(v[j], v[j], ss);  // written out: gemm_mma's fused RMSNorm reduces alike
    const float scale = rsqrtf(block_sum(ss, scratch) / d + eps);
    if constexpr (std::is_same_v<Out, WgmmaImages>) {
      // Images (d a multiple of 64): a warp holds 32 consecutive elements per j, half a chunk, so
      // its even lanes below 16 gather elements lane, lane + 1, lane + 16, lane + 17 (two image
      // words of one k group and half) and store them together, 8 bytes per image instead of 2
      // (H100, 7B step M = 16 / 64: 6.71 / 7.40 -> 6.64 / 7.36 ms).
      const int lane = threadIdx.x & 31;
#pragma unroll
      for (int j = 0; j < kMaxPer; ++j) {
        const int k0 = (threadIdx.x & ~31) + j * kThreads;  // the warp's first element: whole warps in d
        if (k0 >= d) break;
        const float y = __bfloat162float(g[j]) * (v[j] * scale);
        const float y1 = __shfl_down_sync(0xffffffffu, y, 1), y16 = __shfl_down_sync(0xffffffffu, y, 16),
                    y17 = __shfl_down_sync(0xffffffffu, y, 17);
        if (lane < 16 && (lane & 1) == 0) out.store_word_pair(blockIdx.x, k0 + lane, y, y1, y16, y17);
      }
    } else {
#pragma unroll
      for (int j = 0; j < kMaxPer; ++j) {
        const int k = threadIdx.x + j * kThreads;
        if (k < d) store_at(out, blockIdx.x, d, k, __bfloat162float(g[j]) * (v[j] * scale));
      }
    }
  } else {
    pdl_wait_then_release();
    for (int k = threadIdx.x; k < d; k += kThreads) {
      float v = x[k];
      if (dx) {
        v += dx[k];
        x[k] = v;
      }
      ss = fmaf(v, v, ss);
    }
    const float scale = rsqrtf(block_sum(ss, scratch) / d + eps);
    for (int k = threadIdx.x; k < d; k += kThreads)
      store_at(out, blockIdx.x, d, k, __bfloat162float(weight[k]) * (x[k] * scale));
  }
}

template <typename Out>
void launch_rows(const char* name, float* residual, const float* delta, const bf16* weight, int n, int d, float eps,
                 Out out, cudaStream_t s) {
  if (n <= 0) return;
  // Held in registers for the few rows of decode and verification steps, where a row's latency is
  // the cost; prompt steps' thousands of rows keep the lighter loop (more blocks per SM: at 2048
  // rows the held form made prefill ~10% slower at the 0.5B and 1.5B shapes). Same bits either way.
  if (d <= kThreads * kMaxPer && n <= kHeldMaxRows)
    launch_kernel(name, true, add_rmsnorm_kernel<Out, true>, n, kThreads, 0, s, residual, delta, weight, d, eps, out);
  else
    launch_kernel(name, true, add_rmsnorm_kernel<Out, false>, n, kThreads, 0, s, residual, delta, weight, d, eps, out);
}

void launch_add_rmsnorm(float* residual, const float* delta, const bf16* weight, int n, int d, float eps,
                        float* out, cudaStream_t s) {
  launch_rows("add_rmsnorm", residual, delta, weight, n, d, eps, out, s);
}

void launch_add_rmsnorm_bf16(float* residual, const float* delta, const bf16* weight, int n, int d, float eps,
                             bf16* out, cudaStream_t s) {
  launch_rows("add_rmsnorm (bf16 out)", residual, delta, weight, n, d, eps, out, s);
}

void launch_add_rmsnorm_images(float* residual, const float* delta, const bf16* weight, int n, int d, float eps,
                               const WgmmaImages& out, cudaStream_t s) {
  if (n > 0 && (!out.p || out.k != d || d % kImageChunk != 0))
    throw Error("add_rmsnorm: no activation images of width " + std::to_string(d));
  launch_rows("add_rmsnorm (images out)", residual, delta, weight, n, d, eps, out, s);
}

}  // namespace stride::cuda
