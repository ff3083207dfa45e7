#include "kernels/top_logits.cuh"

#include <cfloat>

namespace stride::cuda {
namespace {

constexpr int kThreads = 1024;
constexpr int kCapacity = 1024;  // candidates >= the k-th key collected at once (k <= 256 + ties)

// Float → unsigned key with the same order (NaN lowest, below -inf).
__device__ __forceinline__ uint32_t order_key(float v) {
  if (v != v) return 0u;
  const uint32_t u = v == 0.f ? 0u : __float_as_uint(v);  // -0 ties with +0, as on the host
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

__device__ __forceinline__ bool better(uint32_t ka, int ia, uint32_t kb, int ib) {
  return ka > kb || (ka == kb && ia < ib);
}

// Radix select of the k-th highest key (digits of 11, 11 and 10 bits), collection of every key
// >= it, bitonic sort of those candidates, then the first k. When more than kCapacity keys tie
// with the k-th (a pathological row), the ties are taken in id order by a block-wide scan instead.
__global__ void __launch_bounds__(kThreads) top_logits_kernel(const float* __restrict__ row, int vocab, int k,
                                                              float inv_t, int32_t* ids, float* values, double* sum_exp) {
  __shared__ unsigned hist[2048];
  __shared__ uint32_t s_key[kCapacity];
  __shared__ int s_id[kCapacity];
  __shared__ uint32_t s_prefix, s_mask;
  __shared__ int s_remaining, s_count, s_taken;
  __shared__ int s_warp[32];
  __shared__ double s_sum[32];
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  if (tid == 0) {
    s_prefix = 0u;
    s_mask = 0u;
    s_remaining = k;
  }
  // Radix passes: bits 31..21, 20..10, 9..0.
  const int shifts[3] = {21, 10, 0}, widths[3] = {11, 11, 10};
  for (int p = 0; p < 3; ++p) {
    const int bins = 1 << widths[p];
    for (int i = tid; i < bins; i += kThreads) hist[i] = 0u;
    __syncthreads();
    const uint32_t prefix = s_prefix, mask = s_mask;
    for (int i = tid; i < vocab; i += kThreads) {
      const uint32_t key = order_key(row[i]);
      if ((key & mask) == prefix) atomicAdd(&hist[(key >> shifts[p]) & (bins - 1)], 1u);
    }
    __syncthreads();
    if (tid == 0) {
      int rem = s_remaining, b = bins - 1;
      for (; b > 0; --b) {
        if (int(hist[b]) >= rem) break;
        rem -= int(hist[b]);
      }
      s_remaining = rem;
      s_prefix = prefix | (uint32_t(b) << shifts[p]);
      s_mask = mask | (uint32_t(bins - 1) << shifts[p]);
      s_count = 0;
    }
    __syncthreads();
  }
  const uint32_t kth = s_prefix;  // the k-th highest key; s_remaining keys equal to it are needed
  for (int i = tid; i < vocab; i += kThreads) {
    const uint32_t key = order_key(row[i]);
    if (key >= kth) {
      const int pos = atomicAdd(&s_count, 1);
      if (pos < kCapacity) {
        s_key[pos] = key;
        s_id[pos] = i;
      }
    }
  }
  __syncthreads();
  int count = s_count;
  if (count > kCapacity) {
    // Too many ties: keep the k - remaining keys above the k-th (they fit: k <= 256), then the first
    // `remaining` ties in id order.
    const int above = k - s_remaining;
    __syncthreads();
    if (tid == 0) {
      s_count = 0;
      s_taken = 0;
    }
    __syncthreads();
    for (int i = tid; i < vocab; i += kThreads) {
      const uint32_t key = order_key(row[i]);
      if (key > kth) {
        const int pos = atomicAdd(&s_count, 1);
        s_key[pos] = key;
        s_id[pos] = i;
      }
    }
    __syncthreads();
    for (int i0 = 0; i0 < vocab; i0 += kThreads) {
      if (s_taken >= s_remaining) break;  // uniform: read after the barrier below
      const int i = i0 + tid;
      const bool eq = i < vocab && order_key(row[i]) == kth;
      const unsigned ballot = __ballot_sync(0xffffffffu, eq);
      if (lane == 0) s_warp[warp] = __popc(ballot);
      __syncthreads();
      int offset = s_taken;
      for (int w = 0; w < warp; ++w) offset += s_warp[w];
      const int rank = offset + __popc(ballot & ((1u << lane) - 1u));
      if (eq && rank < s_remaining) {
        s_key[above + rank] = kth;
        s_id[above + rank] = i;
      }
      __syncthreads();
      if (tid == 0) {
        int total = 0;
        for (int w = 0; w < kThreads / 32; ++w) total += s_warp[w];
        s_taken += total;
      }
      __syncthreads();
    }
    count = k;
  }
  // Bitonic sort, best first, over the next power of two (padding sorts last).
  int n2 = 1;
  while (n2 < count) n2 <<= 1;
  for (int i = count + tid; i < n2; i += kThreads) {
    s_key[i] = 0u;
    s_id[i] = 0x7fffffff;
  }
  __syncthreads();
  for (int size = 2; size <= n2; size <<= 1) {
    for (int stride = size >> 1; stride > 0; stride >>= 1) {
      for (int i = tid; i < n2; i += kThreads) {
        const int j = i ^ stride;
        if (j > i) {
          const bool first_half = (i & size) == 0;
          const bool i_better = better(s_key[i], s_id[i], s_key[j], s_id[j]);
          if (first_half != i_better) {
            const uint32_t tk = s_key[i];
            s_key[i] = s_key[j];
            s_key[j] = tk;
            const int ti = s_id[i];
            s_id[i] = s_id[j];
            s_id[j] = ti;
          }
        }
      }
      __syncthreads();
    }
  }
  for (int i = tid; i < k; i += kThreads) {
    ids[i] = s_id[i];
    values[i] = row[s_id[i]];
  }
  if (inv_t <= 0.f) return;
  // Normalizer relative to the highest logit (per-thread float sums, combined in double).
  const float mx = row[s_id[0]];
  float local = 0.f;
  for (int i = tid; i < vocab; i += kThreads) {
    const float v = row[i];
    if (v == v) local += expf((v - mx) * inv_t);
  }
  double d = local;
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) d += __shfl_xor_sync(0xffffffffu, d, off);
  if (lane == 0) s_sum[warp] = d;
  __syncthreads();
  if (tid == 0) {
    double t = 0;
    for (int w = 0; w < kThreads / 32; ++w) t += s_sum[w];
    *sum_exp = t;
  }
}

}  // namespace

void launch_top_logits(const float* row, int vocab, int k, float inv_temperature, int32_t* ids, float* values,
                       double* sum_exp, cudaStream_t s) {
  if (k < 1 || k > kTopLogitsMaxK || k > vocab)
    throw Error("top_logits: k = " + std::to_string(k) + " must lie in 1.." +
                std::to_string(std::min(vocab, kTopLogitsMaxK)));
  launch_kernel("top_logits", false, top_logits_kernel, 1, kThreads, 0, s, row, vocab, k, inv_temperature, ids, values,
                sum_exp);
}

}  // namespace stride::cuda
