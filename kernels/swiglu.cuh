// SwiGLU of the fused gate/up projection: out[i][c] = silu(gu[i][c]) * gu[i][inter + c].
#pragma once
#include "kernels/common.cuh"

namespace stride::cuda {
void launch_swiglu(const float* gate_up, int n, int inter, float* out, cudaStream_t s);
}
