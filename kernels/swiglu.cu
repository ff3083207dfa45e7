#include "kernels/swiglu.cuh"

#include <algorithm>

namespace stride::cuda {

__device__ __forceinline__ void store(float* p, float v) { *p = v; }
__device__ __forceinline__ void store(bf16* p, float v) { *p = __float2bfloat16(v); }
__device__ __forceinline__ float load(const float* p) { return *p; }
__device__ __forceinline__ float load(const bf16* p) { return __bfloat162float(*p); }

constexpr int kThreads = 256;
constexpr int kMaxRowBlocks = 65535;

// Block (column block, row group): rows blockIdx.y, + gridDim.y, ...; no per-element division (the
// flat-index form spent most of a 2048-token prompt's SwiGLU time on 64-bit divisions, ncu).
template <typename In, typename Out>
__global__ void __launch_bounds__(kThreads) swiglu_kernel(const In* __restrict__ gu, int rows, int inter,
                                                          Out* __restrict__ out) {
  pdl_wait_then_release();
  const int c = blockIdx.x * kThreads + threadIdx.x;
  if (c >= inter) return;
  for (int row = blockIdx.y; row < rows; row += gridDim.y) {
    const In* r = gu + int64_t(row) * 2 * inter;
    const float g = load(r + c), u = load(r + inter + c);
    store(out + int64_t(row) * inter + c, g / (1.f + expf(-g)) * u);
  }
}

template <typename In, typename Out>
void launch_rows(const char* name, const In* gate_up, int n, int inter, Out* out, cudaStream_t s) {
  if (n <= 0 || inter <= 0) return;
  const dim3 grid((inter + kThreads - 1) / kThreads, std::min(n, kMaxRowBlocks));
  launch_kernel(name, true, swiglu_kernel<In, Out>, grid, kThreads, 0, s, gate_up, n, inter, out);
}

void launch_swiglu(const float* gate_up, int n, int inter, float* out, cudaStream_t s) {
  launch_rows("swiglu", gate_up, n, inter, out, s);
}

void launch_swiglu_bf16(const float* gate_up, int n, int inter, bf16* out, cudaStream_t s) {
  launch_rows("swiglu (bf16 out)", gate_up, n, inter, out, s);
}

void launch_swiglu_bf16_in(const bf16* gate_up, int n, int inter, bf16* out, cudaStream_t s) {
  launch_rows("swiglu (bf16 in and out)", gate_up, n, inter, out, s);
}

}  // namespace stride::cuda
