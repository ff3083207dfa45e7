// Shared helpers of the kernels: bf16 unpacking, launch checks, warp/block reductions.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "stride/engine.h"

namespace stride::cuda {

using bf16 = __nv_bfloat16;

// Throws stride::Error naming the kernel when its launch failed (bad configuration, sticky error).
inline void check_launch(const char* kernel) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw Error(std::string("CUDA kernel ") + kernel + ": " + cudaGetErrorString(e));
}

#ifdef __CUDACC__
// 8 bf16 packed in 16 bytes -> 8 floats.
__device__ __forceinline__ void unpack8(const uint4& v, float* f) {
  const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&v);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 t = __bfloat1622float2(h[i]);
    f[2 * i] = t.x;
    f[2 * i + 1] = t.y;
  }
}

// Butterfly sum: every lane ends with the same value, in an order fixed by the lane pattern alone.
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}

// Block-wide sum (blockDim.x a multiple of 32, at most 1024); fixed order, so deterministic.
__device__ __forceinline__ float block_sum(float v, float* scratch /* >= 32 floats */) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float t = 0.f;
  for (int w = 0; w < warps; ++w) t += scratch[w];
  return t;
}
#endif

}  // namespace stride::cuda
