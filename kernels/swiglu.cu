#include "kernels/swiglu.cuh"

#include <algorithm>

namespace stride::cuda {

__device__ __forceinline__ void store(float* p, float v) { *p = v; }
__device__ __forceinline__ void store(bf16* p, float v) { *p = __float2bfloat16(v); }
// Element c of row `row` of the output: a row-major array, or a product's activation images.
template <typename T>
__device__ __forceinline__ void store_at(T* out, int row, int inter, int c, float v) {
  store(out + int64_t(row) * inter + c, v);
}
__device__ __forceinline__ void store_at(const WgmmaImages& out, int row, int, int c, float v) { out.store(row, c, v); }
__device__ __forceinline__ float load(const float* p) { return *p; }
__device__ __forceinline__ float load(const bf16* p) { return __bfloat162float(*p); }

constexpr int kThreads = 256;
constexpr int kMaxRowBlocks = 65535;

// Block (column block, row group): rows blockIdx.y, + gridDim.y, ...; no per-element division (the
// flat-index form spent most of a 2048-token prompt's SwiGLU time on 64-bit divisions, ncu).
template <typename In, typename Out>
__global__ void __launch_bounds__(kThreads) swiglu_kernel(const In* __restrict__ gu, int rows, int inter,
                                                          Out out) {
  pdl_wait_then_release();
  const int c = blockIdx.x * kThreads + threadIdx.x;
  if (c >= inter) return;
  for (int row = blockIdx.y; row < rows; row += gridDim.y) {
    const In* r = gu + int64_t(row) * 2 * inter;
    const float g = load(r + c), u = load(r + inter + c);
    store_at(out, row, inter, c, silu_mul(g, u));
  }
}

// bf16 in and out, two columns per thread (4-byte loads and stores; inter even).
__global__ void __launch_bounds__(kThreads) swiglu_bf16x2_kernel(const __nv_bfloat162* __restrict__ gu, int rows,
                                                                 int inter2, __nv_bfloat162* __restrict__ out) {
  pdl_wait_then_release();
  const int c = blockIdx.x * kThreads + threadIdx.x;
  if (c >= inter2) return;
  for (int row = blockIdx.y; row < rows; row += gridDim.y) {
    const __nv_bfloat162* r = gu + int64_t(row) * 2 * inter2;
    const float2 g = __bfloat1622float2(r[c]), u = __bfloat1622float2(r[inter2 + c]);
    out[int64_t(row) * inter2 + c] = __floats2bfloat162_rn(silu_mul(g.x, u.x), silu_mul(g.y, u.y));
  }
}

template <typename In, typename Out>
void launch_rows(const char* name, const In* gate_up, int n, int inter, Out out, cudaStream_t s) {
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

void launch_swiglu_images(const float* gate_up, int n, int inter, const WgmmaImages& out, cudaStream_t s) {
  if (n > 0 && (!out.p || out.k != inter)) throw Error("swiglu: no activation images of width " + std::to_string(inter));
  launch_rows("swiglu (images out)", gate_up, n, inter, out, s);
}

void launch_swiglu_bf16_in(const bf16* gate_up, int n, int inter, bf16* out, cudaStream_t s) {
  const bool aligned = ((reinterpret_cast<uintptr_t>(gate_up) | reinterpret_cast<uintptr_t>(out)) & 3) == 0;
  if (inter % 2 != 0 || !aligned) {
    launch_rows("swiglu (bf16 in and out)", gate_up, n, inter, out, s);
    return;
  }
  if (n <= 0) return;
  const int inter2 = inter / 2;
  const dim3 grid((inter2 + kThreads - 1) / kThreads, std::min(n, kMaxRowBlocks));
  launch_kernel("swiglu (bf16 in and out)", true, swiglu_bf16x2_kernel, grid, kThreads, 0, s,
                reinterpret_cast<const __nv_bfloat162*>(gate_up), n, inter2, reinterpret_cast<__nv_bfloat162*>(out));
}

}  // namespace stride::cuda
