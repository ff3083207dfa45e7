#include "kernels/gemv.cuh"

namespace stride::cuda {
namespace {

constexpr int kWarps = 4;      // warps per block, one weight row each
constexpr int kSlice = 8;      // bf16 per lane per load (16 bytes)
constexpr int kStride = 32 * kSlice;  // k covered by one warp-wide load
constexpr int kUnroll = 4;     // independent 16-byte weight loads in flight per lane

template <int MT>
__device__ __forceinline__ void accumulate(const float* wf, const float* __restrict__ x, int m0, int m, int k,
                                           int kk, float* acc) {
#pragma unroll
  for (int t = 0; t < MT; ++t) {
    if (m0 + t < m) {
      const float4* xp = reinterpret_cast<const float4*>(x + int64_t(m0 + t) * k + kk);
      const float4 a = __ldg(xp), b = __ldg(xp + 1);
      float s = acc[t];
      s = fmaf(wf[0], a.x, s);
      s = fmaf(wf[1], a.y, s);
      s = fmaf(wf[2], a.z, s);
      s = fmaf(wf[3], a.w, s);
      s = fmaf(wf[4], b.x, s);
      s = fmaf(wf[5], b.y, s);
      s = fmaf(wf[6], b.z, s);
      s = fmaf(wf[7], b.w, s);
      acc[t] = s;
    }
  }
}

// grid.x: chunks of MT tokens (fastest, so the blocks sharing weight rows run together and the
// re-reads hit L2); grid.y: groups of kWarps weight rows.
template <int MT>
__global__ void __launch_bounds__(kWarps * 32) gemv_kernel(const float* __restrict__ x, int m, int k,
                                                           const bf16* __restrict__ w, int n, float* __restrict__ y) {
  pdl_wait_then_release();
  const int lane = threadIdx.x & 31;
  const int row = blockIdx.y * kWarps + (threadIdx.x >> 5);
  if (row >= n) return;
  const int m0 = blockIdx.x * MT;
  const uint4* wr = reinterpret_cast<const uint4*>(w + int64_t(row) * k);
  float acc[MT];
#pragma unroll
  for (int t = 0; t < MT; ++t) acc[t] = 0.f;

  int kk = lane * kSlice;
  // Main loop: kUnroll loads issued before the first use. The accumulation order is still plain
  // increasing k per lane, identical to the tail loop, so the split point changes nothing.
  for (; kk + (kUnroll - 1) * kStride < k; kk += kUnroll * kStride) {
    uint4 wv[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) wv[u] = __ldg(wr + (kk + u * kStride) / kSlice);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      float wf[kSlice];
      unpack8(wv[u], wf);
      accumulate<MT>(wf, x, m0, m, k, kk + u * kStride, acc);
    }
  }
  for (; kk < k; kk += kStride) {
    float wf[kSlice];
    unpack8(__ldg(wr + kk / kSlice), wf);
    accumulate<MT>(wf, x, m0, m, k, kk, acc);
  }
#pragma unroll
  for (int t = 0; t < MT; ++t) {
    const float v = warp_sum(acc[t]);
    if (lane == 0 && m0 + t < m) y[int64_t(m0 + t) * n + row] = v;
  }
}

template <int MT>
void launch(const float* x, int m, int k, const bf16* w, int n, float* y, cudaStream_t s) {
  const dim3 grid((m + MT - 1) / MT, (n + kWarps - 1) / kWarps);
  launch_kernel("gemv", true, gemv_kernel<MT>, grid, kWarps * 32, 0, s, x, m, k, w, n, y);
}

}  // namespace

void launch_gemv(const float* x, int m, int k, const bf16* w, int n, float* y, cudaStream_t s) {
  if (m <= 0 || n <= 0) return;
  if (k % kSlice != 0 || (reinterpret_cast<uintptr_t>(w) & 15) || (reinterpret_cast<uintptr_t>(x) & 15)) {
    throw Error("gemv: k = " + std::to_string(k) + " must be a multiple of 8 with 16-byte aligned rows");
  }
  if (n > 65535 * kWarps) throw Error("gemv: too many output rows (" + std::to_string(n) + ")");
  // The tile only sets how many tokens share one pass over the weights; it never changes the
  // reduction order of an output.
  if (m == 1) launch<1>(x, m, k, w, n, y, s);
  else if (m == 2) launch<2>(x, m, k, w, n, y, s);
  else if (m <= 4) launch<4>(x, m, k, w, n, y, s);
  else if (m <= 8) launch<8>(x, m, k, w, n, y, s);
  else launch<16>(x, m, k, w, n, y, s);
  check_launch("gemv");
}

}  // namespace stride::cuda
