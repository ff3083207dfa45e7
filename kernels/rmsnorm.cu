#include "kernels/rmsnorm.cuh"

namespace stride::cuda {

__device__ __forceinline__ void store(float* p, float v) { *p = v; }
__device__ __forceinline__ void store(bf16* p, float v) { *p = __float2bfloat16(v); }

template <typename Out>
__global__ void add_rmsnorm_kernel(float* residual, const float* delta, const bf16* weight, int d, float eps,
                                   Out* out) {
  __shared__ float scratch[32];
  pdl_wait_then_release();
  float* x = residual + int64_t(blockIdx.x) * d;
  const float* dx = delta ? delta + int64_t(blockIdx.x) * d : nullptr;
  Out* y = out + int64_t(blockIdx.x) * d;
  float ss = 0.f;
  for (int k = threadIdx.x; k < d; k += blockDim.x) {
    float v = x[k];
    if (dx) {
      v += dx[k];
      x[k] = v;
    }
    ss = fmaf(v, v, ss);  // written out: gemm_mma's fused RMSNorm must reduce exactly alike
  }
  const float total = block_sum(ss, scratch);
  const float scale = rsqrtf(total / d + eps);
  for (int k = threadIdx.x; k < d; k += blockDim.x) store(y + k, __bfloat162float(weight[k]) * (x[k] * scale));
}

void launch_add_rmsnorm(float* residual, const float* delta, const bf16* weight, int n, int d, float eps,
                        float* out, cudaStream_t s) {
  if (n <= 0) return;
  launch_kernel("add_rmsnorm", true, add_rmsnorm_kernel<float>, n, 256, 0, s, residual, delta, weight, d, eps, out);
}

void launch_add_rmsnorm_bf16(float* residual, const float* delta, const bf16* weight, int n, int d, float eps,
                             bf16* out, cudaStream_t s) {
  if (n <= 0) return;
  launch_kernel("add_rmsnorm (bf16 out)", true, add_rmsnorm_kernel<bf16>, n, 256, 0, s, residual, delta, weight, d, eps,
                out);
}

}  // namespace stride::cuda
