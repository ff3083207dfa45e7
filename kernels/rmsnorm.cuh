// RMSNorm fused with the residual add: residual += delta (when delta is given), then
// out = weight * residual / sqrt(mean(residual^2) + eps). One block per row, fixed reduction order.
#pragma once
#include "kernels/common.cuh"

namespace stride::cuda {
void launch_add_rmsnorm(float* residual, const float* delta, const bf16* weight, int n, int d, float eps,
                        float* out, cudaStream_t s);
}
