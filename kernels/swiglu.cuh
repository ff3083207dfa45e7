// SwiGLU of the fused gate/up projection: out[i][c] = silu(gu[i][c]) * gu[i][inter + c].
#pragma once
#include "kernels/common.cuh"
#include "kernels/wgmma_image.cuh"

namespace stride::cuda {
#ifdef __CUDACC__
// silu(g) * u: the one expression every SwiGLU path evaluates (this kernel, the fused product
// inputs and the gate/up product's epilogue), so they agree bit for bit.
__device__ __forceinline__ float silu_mul(float g, float u) { return g / (1.f + expf(-g)) * u; }
#endif
void launch_swiglu(const float* gate_up, int n, int inter, float* out, cudaStream_t s);
// The same writing bf16 (round to nearest), for a prompt step's cuBLAS down product.
void launch_swiglu_bf16(const float* gate_up, int n, int inter, bf16* out, cudaStream_t s);
// The same writing the activation images of the warpgroup down product (out.k == inter).
void launch_swiglu_images(const float* gate_up, int n, int inter, const WgmmaImages& out, cudaStream_t s);
// bf16 in and out: a prompt step whose gate/up product wrote bf16 (half the traffic of float32).
void launch_swiglu_bf16_in(const bf16* gate_up, int n, int inter, bf16* out, cudaStream_t s);
}
