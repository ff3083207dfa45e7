#include "kernels/embedding.cuh"

namespace stride::cuda {

__global__ void embedding_kernel(const int32_t* tokens, const bf16* table, int hidden, float* out) {
  pdl_wait_then_release();
  const int64_t row = tokens[blockIdx.x];
  const bf16* src = table + row * hidden;
  float* dst = out + int64_t(blockIdx.x) * hidden;
  for (int k = threadIdx.x; k < hidden; k += blockDim.x) dst[k] = __bfloat162float(src[k]);
}

void launch_embedding(const int32_t* tokens, int n, const bf16* table, int hidden, float* out, cudaStream_t s) {
  if (n <= 0) return;
  // First kernel of a step (after the uploads): launched without PDL.
  launch_kernel("embedding", false, embedding_kernel, n, 256, 0, s, tokens, table, hidden, out);
}

}  // namespace stride::cuda
