#include "kernels/argmax.cuh"

#include <cfloat>

namespace stride::cuda {

__device__ __forceinline__ bool better(float v, int i, float bv, int bi) {
  return v > bv || (v == bv && i < bi);
}

__global__ void argmax_kernel(const float* logits, int vocab, int32_t* out) {
  pdl_wait_then_release();
  const float* row = logits + int64_t(blockIdx.x) * vocab;
  float bv = -FLT_MAX;
  int bi = vocab;
  for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
    const float v = row[i];
    if (better(v, i, bv, bi)) {  // NaN never wins
      bv = v;
      bi = i;
    }
  }
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) {
    const float ov = __shfl_xor_sync(0xffffffffu, bv, off);
    const int oi = __shfl_xor_sync(0xffffffffu, bi, off);
    if (better(ov, oi, bv, bi)) {
      bv = ov;
      bi = oi;
    }
  }
  __shared__ float s_v[32];
  __shared__ int s_i[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) {
    s_v[warp] = bv;
    s_i[warp] = bi;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < int(blockDim.x >> 5); ++w)
      if (better(s_v[w], s_i[w], bv, bi)) {
        bv = s_v[w];
        bi = s_i[w];
      }
    out[blockIdx.x] = bi < vocab ? bi : 0;
  }
}

void launch_argmax(const float* logits, int rows, int vocab, int32_t* out, cudaStream_t s) {
  if (rows <= 0) return;
  launch_kernel("argmax", true, argmax_kernel, rows, 1024, 0, s, logits, vocab, out);
}

}  // namespace stride::cuda
