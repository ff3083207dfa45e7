#include "kernels/embedding.cuh"

namespace stride::cuda {

constexpr int kThreads = 256;

// Block (token, part): each thread copies 8 consecutive values (one 16-byte load when the row
// width allows it), so a token's row is one round of loads rather than a loop of them.
template <bool VEC>
__global__ void __launch_bounds__(kThreads) embedding_kernel(const int32_t* tokens, const bf16* __restrict__ table,
                                                             int hidden, float* __restrict__ out) {
  pdl_wait_then_release();
  const int64_t row = tokens[blockIdx.x];
  const int k0 = (blockIdx.y * kThreads + threadIdx.x) * 8;
  if (k0 >= hidden) return;
  const bf16* src = table + row * hidden + k0;
  float* dst = out + int64_t(blockIdx.x) * hidden + k0;
  if constexpr (VEC) {
    float f[8];
    unpack8(*reinterpret_cast<const uint4*>(src), f);
    reinterpret_cast<float4*>(dst)[0] = make_float4(f[0], f[1], f[2], f[3]);
    reinterpret_cast<float4*>(dst)[1] = make_float4(f[4], f[5], f[6], f[7]);
  } else {
    for (int i = 0; i < 8 && k0 + i < hidden; ++i) dst[i] = __bfloat162float(src[i]);
  }
}

void launch_embedding(const int32_t* tokens, int n, const bf16* table, int hidden, float* out, cudaStream_t s) {
  if (n <= 0) return;
  const dim3 grid(n, (hidden + 8 * kThreads - 1) / (8 * kThreads));
  // First kernel of a step (after the uploads): launched without PDL.
  if (hidden % 8 == 0 && (reinterpret_cast<uintptr_t>(table) & 15) == 0 && (reinterpret_cast<uintptr_t>(out) & 15) == 0)
    launch_kernel("embedding", false, embedding_kernel<true>, grid, kThreads, 0, s, tokens, table, hidden, out);
  else
    launch_kernel("embedding", false, embedding_kernel<false>, grid, kThreads, 0, s, tokens, table, hidden, out);
}

}  // namespace stride::cuda
