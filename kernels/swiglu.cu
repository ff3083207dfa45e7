#include "kernels/swiglu.cuh"

namespace stride::cuda {

__device__ __forceinline__ void store(float* p, float v) { *p = v; }
__device__ __forceinline__ void store(bf16* p, float v) { *p = __float2bfloat16(v); }

template <typename Out>
__global__ void swiglu_kernel(const float* gu, int64_t total, int inter, Out* out) {
  pdl_wait_then_release();
  for (int64_t idx = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; idx < total; idx += int64_t(gridDim.x) * blockDim.x) {
    const int64_t row = idx / inter, c = idx % inter;
    const float g = gu[row * 2 * inter + c], u = gu[row * 2 * inter + inter + c];
    store(out + idx, g / (1.f + expf(-g)) * u);
  }
}

void launch_swiglu(const float* gate_up, int n, int inter, float* out, cudaStream_t s) {
  const int64_t total = int64_t(n) * inter;
  if (total <= 0) return;
  const int blocks = static_cast<int>(std::min<int64_t>((total + 255) / 256, 65536));
  launch_kernel("swiglu", true, swiglu_kernel<float>, blocks, 256, 0, s, gate_up, total, inter, out);
}

void launch_swiglu_bf16(const float* gate_up, int n, int inter, bf16* out, cudaStream_t s) {
  const int64_t total = int64_t(n) * inter;
  if (total <= 0) return;
  const int blocks = static_cast<int>(std::min<int64_t>((total + 255) / 256, 65536));
  launch_kernel("swiglu (bf16 out)", true, swiglu_kernel<bf16>, blocks, 256, 0, s, gate_up, total, inter, out);
}

}  // namespace stride::cuda
