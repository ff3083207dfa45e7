#include "kernels/argmax.cuh"

#include <cfloat>

namespace stride::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kUnroll = 8;  // loads in flight per thread

__device__ __forceinline__ bool better(float v, int i, float bv, int bi) {
  return v > bv || (v == bv && i < bi);  // NaN compares false: never better
}

__device__ __forceinline__ void warp_best(float& bv, int& bi) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) {
    const float ov = __shfl_xor_sync(0xffffffffu, bv, off);
    const int oi = __shfl_xor_sync(0xffffffffu, bi, off);
    if (better(ov, oi, bv, bi)) {
      bv = ov;
      bi = oi;
    }
  }
}

// Block (slice, row): the best (value, id) of ids [slice * per, (slice + 1) * per).
__global__ void __launch_bounds__(kThreads) argmax_kernel(const float* __restrict__ logits, int vocab, int32_t* out,
                                                          ArgmaxRowScratch* scratch) {
  pdl_wait_then_release();
  const int row = blockIdx.y, slice = blockIdx.x;
  const int per = (vocab + kArgmaxBlocksPerRow - 1) / kArgmaxBlocksPerRow;
  const int begin = slice * per, end = min(vocab, begin + per);
  const float* r = logits + int64_t(row) * vocab;
  float bv = -FLT_MAX;
  int bi = vocab;
  for (int i0 = begin + threadIdx.x; i0 < end; i0 += kThreads * kUnroll) {
    float v[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int i = i0 + u * kThreads;
      v[u] = i < end ? r[i] : -FLT_MAX;
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int i = i0 + u * kThreads;
      if (i < end && better(v[u], i, bv, bi)) {
        bv = v[u];
        bi = i;
      }
    }
  }
  warp_best(bv, bi);
  __shared__ float s_v[kThreads / 32];
  __shared__ int s_i[kThreads / 32];
  __shared__ bool s_last;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) {
    s_v[warp] = bv;
    s_i[warp] = bi;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < kThreads / 32; ++w)
      if (better(s_v[w], s_i[w], bv, bi)) {
        bv = s_v[w];
        bi = s_i[w];
      }
    ArgmaxRowScratch& rs = scratch[row];
    rs.value[slice] = bv;
    rs.id[slice] = bi;
    __threadfence();  // the winner is visible before the ticket says so
    s_last = atomicAdd(&rs.ticket, 1u) == kArgmaxBlocksPerRow - 1;
  }
  __syncthreads();
  if (!s_last || warp != 0) return;
  __threadfence();
  // The row's last block: one warp reduces the slices' winners (read through L2: other blocks wrote them).
  bv = -FLT_MAX;
  bi = vocab;
  ArgmaxRowScratch& rs = scratch[row];
  if (lane < kArgmaxBlocksPerRow) {
    bv = __ldcg(&rs.value[lane]);
    bi = __ldcg(&rs.id[lane]);
  }
  warp_best(bv, bi);
  if (lane == 0) {
    out[row] = bi < vocab ? bi : 0;
    rs.ticket = 0;  // ready for the next launch (the next kernel starts after this one ends)
  }
}

static_assert(kArgmaxBlocksPerRow <= 32, "one warp reduces a row's slices");

}  // namespace

void launch_argmax(const float* logits, int rows, int vocab, int32_t* out, void* scratch, cudaStream_t s) {
  if (rows <= 0) return;
  if (!scratch) throw Error("argmax: no scratch given");
  if (rows > 65535) throw Error("argmax: too many rows in one launch");
  launch_kernel("argmax", true, argmax_kernel, dim3(kArgmaxBlocksPerRow, rows), kThreads, 0, s, logits, vocab, out,
                static_cast<ArgmaxRowScratch*>(scratch));
}

}  // namespace stride::cuda
