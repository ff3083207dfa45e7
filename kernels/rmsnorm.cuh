// RMSNorm fused with the residual add: residual += delta (when delta is given), then
// out = weight * residual / sqrt(mean(residual^2) + eps). One block per row, fixed reduction order.
#pragma once
#include "kernels/common.cuh"
#include "kernels/wgmma_image.cuh"

namespace stride::cuda {
void launch_add_rmsnorm(float* residual, const float* delta, const bf16* weight, int n, int d, float eps,
                        float* out, cudaStream_t s);
// The same writing bf16 (round to nearest): the input of a cuBLAS product of a prompt step, without
// a float32 copy and a conversion pass.
void launch_add_rmsnorm_bf16(float* residual, const float* delta, const bf16* weight, int n, int d, float eps,
                             bf16* out, cudaStream_t s);
// The same writing the activation images of the warpgroup product that reads it (out.k == d):
// a decode or verification step's input of a product launch_gemm_mma_on_images runs.
void launch_add_rmsnorm_images(float* residual, const float* delta, const bf16* weight, int n, int d, float eps,
                               const WgmmaImages& out, cudaStream_t s);
}
