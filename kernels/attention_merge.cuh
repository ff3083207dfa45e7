// Device code shared by the decode attention kernels (attention.cu, attention_mma.cu): the masked
// rows' visible new keys, the merge of a row's chunk partials in increasing chunk order (by the
// row's last chunk block, or by a kernel of its own). Include from .cu files only.
#pragma once
#include <algorithm>
#include <cfloat>

#include "kernels/attention.cuh"

namespace stride::cuda {
namespace {

// Query heads of one kv head a block serves (at most `most`): the whole group where the launch then
// has about two blocks per SM, else fewer, so that a short step (a one-token decode) still spreads
// over the GPU; a group that takes several blocks is split into equal shares (6 heads: 3 + 3). Each
// head's arithmetic is the same whatever the share, so the choice never changes a result.
inline int heads_per_block(const AttentionArgs& a, int most) {
  const int group = a.heads / a.kv_heads;
  const int64_t grouped_blocks = int64_t(a.splits) * a.rows * a.kv_heads;
  const int64_t want = 2 * int64_t(sm_count());
  const int fill = grouped_blocks >= want ? 1 : int(std::min<int64_t>(group, (want + grouped_blocks - 1) / grouped_blocks));
  const int blocks = std::max(fill, (group + most - 1) / most);
  return (group + blocks - 1) / blocks;
}

constexpr int kMaxMaskedKeys = 2048;  // new tokens a masked launch may see (shared-memory list)

// Keys of row i are walked in a "virtual" order: the committed slots 0..cache_len-1, then the new
// tokens row i sees, in increasing j, at virtual slots cache_len + rank. A token verified inside a
// tree or window step (its ancestors scattered over the step's rows) thus sees exactly the key
// sequence it would see when decoded alone after its ancestors were committed, so its arithmetic
// (chunks, key groups, merge order) and result are bit-identical to plain one-token decoding.
//
// With a mask, the block's first warp writes the visible new tokens of row i into `list` and
// returns their count (all threads of the block must call it); causal rows need no list (rank = j).
__device__ __forceinline__ int visible_new_keys(const AttentionArgs& a, int i, int16_t* list) {
  if (!a.mask) return min(a.key_limit, i + 1);
  __shared__ int s_count;
  if (threadIdx.x < 32) {
    const uint8_t* mrow = a.mask + int64_t(i) * a.mask_stride;
    const int lane = threadIdx.x;
    int count = 0;
    for (int j0 = 0; j0 < a.key_limit; j0 += 32) {
      const int j = j0 + lane;
      const bool vis = j < a.key_limit && mrow[j] != 0;
      const unsigned bits = __ballot_sync(0xffffffffu, vis);
      if (vis && list) list[count + __popc(bits & ((1u << lane) - 1u))] = static_cast<int16_t>(j);
      count += __popc(bits);
    }
    if (lane == 0) s_count = count;
  }
  __syncthreads();
  return s_count;
}

// Output of (row r, head h): the row's chunks 0..n-1 merged in increasing order (one warp). Partials
// are read through L2: other blocks of the same launch may have written them. Lane c reads chunk c's
// (max, sum) and weight; the value vectors of kMergeBatch chunks are loaded together, then folded
// in increasing chunk order, so the arithmetic is the serial merge's (a few rounds of loads instead
// of two per chunk).
constexpr int kMergeBatch = 8;

// A lane's VPL output floats of one partial, through L2, in one load where they are 8 or 16 bytes
// (the partials' outputs are 16-byte aligned: kPartialHead).
template <int VPL>
__device__ __forceinline__ void load_partial_values(const float* p, float (&v)[VPL]) {
  if constexpr (VPL == 4) {
    const float4 x = __ldcg(reinterpret_cast<const float4*>(p));
    v[0] = x.x, v[1] = x.y, v[2] = x.z, v[3] = x.w;
  } else if constexpr (VPL == 2) {
    const float2 x = __ldcg(reinterpret_cast<const float2*>(p));
    v[0] = x.x, v[1] = x.y;
  } else {
#pragma unroll
    for (int i = 0; i < VPL; ++i) v[i] = __ldcg(p + i);
  }
}

template <int VPL>
__device__ __forceinline__ void merge_chunks(const AttentionArgs& a, int r, int h, int n, int lane) {
  const int hd = a.head_dim, ps = attention_partial_stride(hd);
  const float* base = a.partials + (int64_t(r) * a.heads + h) * a.splits * ps;
  // The first batch's value vectors go out with the (max, sum) loads: one round trip for a row of
  // up to kMergeBatch chunks. Every chunk below n was written (its first slot is one of the row's keys).
  float pv0[kMergeBatch][VPL];
#pragma unroll
  for (int j = 0; j < kMergeBatch; ++j) {
    if (j < n) {
      load_partial_values<VPL>(base + j * ps + kPartialHead + lane * VPL, pv0[j]);
    } else {
#pragma unroll
      for (int v = 0; v < VPL; ++v) pv0[j][v] = 0.f;
    }
  }
  float m_own = -FLT_MAX, l_own = 0.f;  // chunk `lane` of the first 32
  if (lane < n) {
    m_own = __ldcg(base + lane * ps);
    l_own = __ldcg(base + lane * ps + 1);
  }
  float gm = l_own > 0.f ? m_own : -FLT_MAX;
  for (int c = lane + 32; c < n; c += 32)
    if (__ldcg(base + c * ps + 1) > 0.f) gm = fmaxf(gm, __ldcg(base + c * ps));
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) gm = fmaxf(gm, __shfl_xor_sync(0xffffffffu, gm, off));  // exact in any order
  float gl = 0.f, o[VPL];
#pragma unroll
  for (int v = 0; v < VPL; ++v) o[v] = 0.f;
  for (int c0 = 0; c0 < n; c0 += 32) {
    const int mine = c0 + lane;
    float lc = 0.f, w = 0.f;
    if (mine < n) {
      lc = c0 == 0 ? l_own : __ldcg(base + mine * ps + 1);
      if (lc > 0.f) w = __expf((c0 == 0 ? m_own : __ldcg(base + mine * ps)) - gm);
    }
    const unsigned used = __ballot_sync(0xffffffffu, mine < n && lc > 0.f);
    for (int j0 = 0; j0 < 32 && c0 + j0 < n; j0 += kMergeBatch) {
      float pv[kMergeBatch][VPL];
      const bool first = c0 == 0 && j0 == 0;
#pragma unroll
      for (int j = 0; j < kMergeBatch; ++j) {
        const bool on = (used >> (j0 + j)) & 1u;
        if (on && !first) {
          load_partial_values<VPL>(base + (c0 + j0 + j) * ps + kPartialHead + lane * VPL, pv[j]);
        } else {
#pragma unroll
          for (int v = 0; v < VPL; ++v) pv[j][v] = on ? pv0[j][v] : 0.f;
        }
      }
#pragma unroll
      for (int j = 0; j < kMergeBatch; ++j) {
        const float lj = __shfl_sync(0xffffffffu, lc, j0 + j), wj = __shfl_sync(0xffffffffu, w, j0 + j);
        if (!((used >> (j0 + j)) & 1u)) continue;
        gl += lj * wj;
#pragma unroll
        for (int v = 0; v < VPL; ++v) o[v] = fmaf(pv[j][v], wj, o[v]);
      }
    }
  }
  const float inv = gl > 0.f ? 1.f / gl : 0.f;  // a row that sees no key at all gets zeros
  if (a.out_images.p) {
    if constexpr (VPL % 2 == 0) {
#pragma unroll
      for (int v = 0; v < VPL; v += 2) a.out_images.store2(r, h * hd + lane * VPL + v, o[v] * inv, o[v + 1] * inv);
    } else {
#pragma unroll
      for (int v = 0; v < VPL; ++v) a.out_images.store(r, h * hd + lane * VPL + v, o[v] * inv);
    }
    return;
  }
  float* orow = a.out + (int64_t(r) * a.heads + h) * hd;
#pragma unroll
  for (int v = 0; v < VPL; ++v) orow[lane * VPL + v] = o[v] * inv;
}

// The chunks of (row r, heads h0 .. h0 + gn - 1) merged by the last of the launch's blocks of that
// (row, head group) to finish (a ticket counter; `a.tickets` null: attention_merge_kernel follows).
// Called by every thread of the block; `total` is the row's key count.
template <int VPL>
__device__ __forceinline__ void merge_if_last(const AttentionArgs& a, int r, int h0, int gn, int total) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  if (!a.tickets) return;
  // The (row, head group)'s last block to finish merges its chunks (a ticket counter): one kernel
  // less per layer. Each thread's partial writes are made visible before the ticket is taken.
  __threadfence();
  __syncthreads();
  __shared__ bool s_last;
  unsigned* ticket = a.tickets + int64_t(r) * gridDim.z + blockIdx.z;
  if (threadIdx.x == 0) s_last = atomicAdd(ticket, 1u) == gridDim.x - 1;
  __syncthreads();
  if (!s_last) return;
  __threadfence();
  const int n = (total + a.chunk - 1) / a.chunk;
  for (int g = warp; g < gn; g += warps) merge_chunks<VPL>(a, r, h0 + g, n, lane);
  if (threadIdx.x == 0) *ticket = 0;  // ready for the next launch
}

// One warp per (row, head): merges the row's chunks 0..n-1 in increasing order. A block takes
// blockDim.x / 32 heads of one row.
template <int VPL>
__global__ void attention_merge_kernel(AttentionArgs a) {
  pdl_wait_then_release();
  const int r = blockIdx.x, h = blockIdx.y * (blockDim.x >> 5) + (threadIdx.x >> 5), lane = threadIdx.x & 31;
  const int i = a.first_row + r;
  const int cache_len = a.cache_len_dev ? *a.cache_len_dev : a.cache_len;
  const int n = (cache_len + visible_new_keys(a, i, nullptr) + a.chunk - 1) / a.chunk;
  if (h < a.heads) merge_chunks<VPL>(a, r, h, n, lane);
}

// The merge kernel's launch: four heads of a row per block (a quarter of the blocks of one warp
// each; H100 step ms the same or lower: 1.5B M=64 5.61 -> 5.59).
template <int VPL>
void launch_attention_merge(const AttentionArgs& a, cudaStream_t s) {
  constexpr int kWarpsPerBlock = 4;
  launch_kernel("attention merge", true, attention_merge_kernel<VPL>,
                dim3(a.rows, (a.heads + kWarpsPerBlock - 1) / kWarpsPerBlock), 32 * kWarpsPerBlock, 0, s, a);
}

}  // namespace
}  // namespace stride::cuda
