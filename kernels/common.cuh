// Shared helpers of the kernels: bf16 unpacking, launch checks, warp/block reductions.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>

#include "stride/engine.h"

namespace stride::cuda {

using bf16 = __nv_bfloat16;

// Throws stride::Error naming the kernel when its launch failed (bad configuration, sticky error).
inline void check_launch(const char* kernel) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw Error(std::string("CUDA kernel ") + kernel + ": " + cudaGetErrorString(e));
}

// Streaming multiprocessors of the current device (read once: Stride drives one GPU).
inline int sm_count() {
  static const int n = [] {
    int dev = 0, sms = 0;
    if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess)
      return 108;  // an A100's count: only sizes launches, never changes a result
    return sms;
  }();
  return n;
}

// Whether the current device runs thread-block clusters (compute capability 9.0 and later; read once).
inline bool clusters_supported() {
  static const bool ok = [] {
    int dev = 0, major = 0;
    if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess)
      return false;
    return major >= 9;
  }();
  return ok;
}

// Programmatic dependent launch (Hopper; on by default, STRIDE_CUDA_PDL=0 turns it off; measured
// on the H100: decode at 1.5B +6%, at 7B +3%): a
// kernel of the decode chain may be scheduled while the kernel before it still runs. Every kernel
// launched through launch_kernel() with PDL calls pdl_wait() before it reads anything an earlier
// kernel wrote or writes anything at all, so the overlap only covers launch latency and work that
// needs no earlier result (e.g. a matrix product's weight prefetch).
inline bool pdl_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("STRIDE_CUDA_PDL");
    return !(v && std::string(v) == "0");
  }();
  return on;
}

#ifdef __CUDACC__
// The launch attribute that groups blocks into clusters of z blocks along the grid's z.
inline cudaLaunchAttribute cluster_along_z(int z) {
  cudaLaunchAttribute attr{};
  attr.id = cudaLaunchAttributeClusterDimension;
  attr.val.clusterDim.x = 1;
  attr.val.clusterDim.y = 1;
  attr.val.clusterDim.z = unsigned(z);
  return attr;
}

// Launches kernel<<<grid, block, smem, s>>>(args...), with the programmatic-serialization attribute
// when `pdl` and PDL is enabled, and in clusters of `cluster_z` blocks along z when it is above 1
// (Hopper; see gemm_mma's split-K); throws stride::Error naming the kernel if the launch fails.
template <typename... Params, typename... Args>
void launch_kernel_clustered(const char* name, bool pdl, int cluster_z, void (*kernel)(Params...), dim3 grid,
                             dim3 block, size_t smem, cudaStream_t s, Args&&... args) {
  cudaLaunchConfig_t cfg{};
  cfg.gridDim = grid;
  cfg.blockDim = block;
  cfg.dynamicSmemBytes = smem;
  cfg.stream = s;
  cudaLaunchAttribute attr[2];
  int n = 0;
  if (pdl && pdl_enabled()) {
    attr[n].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attr[n].val.programmaticStreamSerializationAllowed = 1;
    ++n;
  }
  if (cluster_z > 1) attr[n++] = cluster_along_z(cluster_z);
  cfg.attrs = attr;
  cfg.numAttrs = n;
  const cudaError_t e = cudaLaunchKernelEx(&cfg, kernel, std::forward<Args>(args)...);
  if (e != cudaSuccess) {
    cudaGetLastError();
    throw Error(std::string("CUDA kernel ") + name + ": " + cudaGetErrorString(e));
  }
  check_launch(name);
}

template <typename... Params, typename... Args>
void launch_kernel(const char* name, bool pdl, void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem,
                   cudaStream_t s, Args&&... args) {
  launch_kernel_clustered(name, pdl, 1, kernel, grid, block, smem, s, std::forward<Args>(args)...);
}

// Waits until the kernels this one depends on have finished and their writes are visible (a no-op
// without PDL or before sm_90), then lets the next kernel of the stream be scheduled.
__device__ __forceinline__ void pdl_wait_then_release() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}

// Starts moving a global-memory line into L2 (no register result, no fault on a valid address).
__device__ __forceinline__ void prefetch_l2(const void* p) {
  asm volatile("prefetch.global.L2 [%0];\n" ::"l"(p));
}

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
