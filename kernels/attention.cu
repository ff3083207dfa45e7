#include "kernels/attention.cuh"
#include "kernels/attention_merge.cuh"
#include "kernels/attention_mma.cuh"

#include <algorithm>
#include <cfloat>

namespace stride::cuda {
namespace {

constexpr int kWarps = 4;   // warps per (chunk, row, head) block
constexpr int kGroup = 4;   // keys of one online-softmax update (part of the arithmetic order)
// Keys whose loads are in flight together in one warp: all 16 of a decode chunk's warp share when
// the block serves at most 2 heads (few registers for q and the accumulators), else 8 (2 groups;
// 16 took 225 registers at 8 heads). Loads only: not the arithmetic.
template <int G>
constexpr int stage_keys() { return G <= 2 ? 16 : 8; }

// A lane's VPL bf16 of one K or V row, kept packed until used (fewer registers for a stage).
template <int VPL>
struct KvRaw {
  static constexpr int kWords = (VPL + 1) / 2;
  uint32_t w[kWords];
  __device__ __forceinline__ void load(const bf16* p) {
    if constexpr (VPL % 2 == 0) {  // 4-byte aligned: head_dim and the lane offset are even
#pragma unroll
      for (int i = 0; i < kWords; ++i) w[i] = reinterpret_cast<const uint32_t*>(p)[i];
    } else {
      const uint16_t* h = reinterpret_cast<const uint16_t*>(p);
#pragma unroll
      for (int i = 0; i < kWords; ++i) w[i] = uint32_t(h[2 * i]) | (2 * i + 1 < VPL ? uint32_t(h[2 * i + 1]) << 16 : 0u);
    }
  }
  __device__ __forceinline__ void zero() {
#pragma unroll
    for (int i = 0; i < kWords; ++i) w[i] = 0u;
  }
  __device__ __forceinline__ void unpack(float* f) const {
#pragma unroll
    for (int v = 0; v < VPL; ++v) f[v] = __uint_as_float((w[v / 2] >> (16 * (v % 2))) << 16);
  }
};

// Query heads of one kv head handled by one block (each K/V load shared): 1, 2 or at most 4. Four at
// 128 registers (4 blocks per SM) against eight at 168 (3 per SM): H100, session 19, step ms at
// M = 8 / 16 / 64, 7B 6.51 / 8.63 / 16.41 -> 6.39 / 8.47 / 16.30, 1.5B 2.10 / 2.90 / 6.49 -> 2.10
// / 2.83 / 6.40 (two heads per block: 7B M=64 18.2).
constexpr int kMaxGroup = 4;

// The partial softmax state of chunk c for the block's heads (see attention_chunk_kernel).
// Called before pdl_wait: waits itself once the first stage's loads of committed slots are out.
// The committed slots' K/V (written by earlier steps), the block table, the committed length and
// the mask are no output of this step's kernels; the step's new tokens' K/V (the qkv_rope kernel
// just before) and q are, so they are read after the wait. The first round of K/V loads thus
// overlaps the kernels before this one.
template <int VPL, int G>
__device__ __forceinline__ void chunk_partials(const AttentionArgs& a, const KvLayer& kv, int c, int r, int kvh, int h0,
                                               int gn, int cache_len, int total, const int16_t* s_keys) {
  constexpr int kStage = stage_keys<G>();
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int c0 = c * a.chunk;
  const int hd = a.head_dim;
  const int kv_width = a.kv_heads * hd;
  float q[G][VPL], acc[G][VPL], mx[G], l[G];
#pragma unroll
  for (int g = 0; g < G; ++g) {
#pragma unroll
    for (int v = 0; v < VPL; ++v) acc[g][v] = 0.f;
    mx[g] = -FLT_MAX;
    l[g] = 0.f;
  }
  // Warp w walks slots c0 + w * per_warp + [0, per_warp) in groups of kGroup, in increasing order.
  // The K/V rows of kStage slots (kStage / kGroup groups) are loaded together before the groups
  // are computed one after the other: a decode chunk's 16-slot warp share is one or two rounds of
  // loads instead of four (and the block-table reads of a stage are in flight together too).
  const int per_warp = a.chunk / kWarps;
  // The block size is a power of two (launch_attention checks): a shift, not a division per key.
  const int bshift = __ffs(kv.block_size) - 1;
  const int w0 = c0 + warp * per_warp;
  for (int k0 = 0; k0 < per_warp; k0 += kStage) {
    bool ok[kStage];
    int64_t rows[kStage];
#pragma unroll
    for (int u = 0; u < kStage; ++u) {
      const int vt = w0 + k0 + u;  // virtual slot
      ok[u] = k0 + u < per_warp && vt < total;
      // Physical slot: committed slots are themselves; new token of rank vt - cache_len is j.
      const int t = vt < cache_len || !a.mask ? vt : cache_len + (ok[u] ? s_keys[vt - cache_len] : 0);
      rows[u] = ok[u] ? int64_t(kv.block_table[t >> bshift]) * kv.block_size + (t & (kv.block_size - 1)) : 0;
    }
    KvRaw<VPL> kraw[kStage], vraw[kStage];
    // The first stage loads its committed slots, waits, then loads its new tokens and q. Not for
    // head_dim 128 with more than 2 heads: holding the stage across the wait took 194 registers
    // instead of 168 (2 blocks per SM instead of 3), and a 16-row step at the 1.5B shape measured
    // slower (ncu 720 -> 957 us).
    constexpr bool kEarly = VPL <= 3 || G <= 2;
    const int pre_end = kEarly && k0 == 0 ? cache_len : 0;
#pragma unroll
    for (int u = 0; u < kStage; ++u) {
      if (ok[u] && w0 + k0 + u < pre_end) {
        const int64_t off = rows[u] * kv_width + kvh * hd + lane * VPL;
        kraw[u].load(kv.k + off);
        vraw[u].load(kv.v + off);
      } else {
        kraw[u].zero();
        vraw[u].zero();
      }
    }
    if (k0 == 0) {
      pdl_wait_then_release();
#pragma unroll
      for (int g = 0; g < G; ++g) {
        const float* qr = a.q + (int64_t(r) * a.heads + h0 + min(g, gn - 1)) * hd;
#pragma unroll
        for (int v = 0; v < VPL; ++v) q[g][v] = qr[lane * VPL + v] * a.scale;
      }
    }
#pragma unroll
    for (int u = 0; u < kStage; ++u) {
      if (ok[u] && w0 + k0 + u >= pre_end) {
        const int64_t off = rows[u] * kv_width + kvh * hd + lane * VPL;
        kraw[u].load(kv.k + off);
        vraw[u].load(kv.v + off);
      }
    }
#pragma unroll
    for (int g0 = 0; g0 < kStage; g0 += kGroup) {
      if (k0 + g0 >= per_warp) break;
      float kf[kGroup][VPL], vf[kGroup][VPL];
      bool any = false;
#pragma unroll
      for (int u = 0; u < kGroup; ++u) {
        kraw[g0 + u].unpack(kf[u]);
        vraw[g0 + u].unpack(vf[u]);
        any |= ok[g0 + u];
      }
      if (!any) continue;
#pragma unroll
      for (int g = 0; g < G; ++g) {
        if (g >= gn) break;
        float sc[kGroup];
#pragma unroll
        for (int u = 0; u < kGroup; ++u) {
          float d = 0.f;
#pragma unroll
          for (int v = 0; v < VPL; ++v) d = fmaf(q[g][v], kf[u][v], d);
          sc[u] = d;
        }
#pragma unroll
        for (int u = 0; u < kGroup; ++u) sc[u] = warp_sum(sc[u]);
        float nm = mx[g];
#pragma unroll
        for (int u = 0; u < kGroup; ++u)
          if (ok[g0 + u]) nm = fmaxf(nm, sc[u]);
        const float corr = __expf(mx[g] - nm);
        l[g] *= corr;
#pragma unroll
        for (int v = 0; v < VPL; ++v) acc[g][v] *= corr;
#pragma unroll
        for (int u = 0; u < kGroup; ++u) {
          if (!ok[g0 + u]) continue;
          const float p = __expf(sc[u] - nm);
          l[g] += p;
#pragma unroll
          for (int v = 0; v < VPL; ++v) acc[g][v] = fmaf(p, vf[u][v], acc[g][v]);
        }
        mx[g] = nm;
      }
    }
  }
  // Merge the block's warps in warp order into one partial state per head of this chunk.
  __shared__ float s_m[kWarps][G], s_l[kWarps][G];
  __shared__ float s_acc[kWarps][G][128];
#pragma unroll
  for (int g = 0; g < G; ++g) {
    if (lane == 0) {
      s_m[warp][g] = mx[g];
      s_l[warp][g] = l[g];
    }
#pragma unroll
    for (int v = 0; v < VPL; ++v) s_acc[warp][g][lane * VPL + v] = acc[g][v];
  }
  __syncthreads();
  // Warp w merges heads g = w, w + kWarps, ...
  for (int g = warp; g < gn; g += kWarps) {
    float gm = -FLT_MAX;
    for (int w = 0; w < kWarps; ++w)
      if (s_l[w][g] > 0.f) gm = fmaxf(gm, s_m[w][g]);
    float gl = 0.f, o[VPL];
#pragma unroll
    for (int v = 0; v < VPL; ++v) o[v] = 0.f;
    for (int w = 0; w < kWarps; ++w) {
      if (s_l[w][g] == 0.f) continue;
      const float cw = __expf(s_m[w][g] - gm);
      gl += s_l[w][g] * cw;
#pragma unroll
      for (int v = 0; v < VPL; ++v) o[v] = fmaf(s_acc[w][g][lane * VPL + v], cw, o[v]);
    }
    float* part = a.partials + ((int64_t(r) * a.heads + h0 + g) * a.splits + c) * attention_partial_stride(hd);
#pragma unroll
    for (int v = 0; v < VPL; ++v) part[kPartialHead + lane * VPL + v] = o[v];
    if (lane == 0) {
      part[0] = gm;
      part[1] = gl;
    }
  }
}

// Block (chunk c, query row r, head group z): the query heads h0 .. h0 + gn - 1, all reading kv head
// kvh, so each K/V row is loaded once for up to G heads. Every head's arithmetic is the same
// sequence as if it ran alone, whatever G and the stage size.
template <int VPL, int G>  // values per lane: head_dim / 32; heads per block at most G
__global__ void __launch_bounds__(kWarps * 32, G == kMaxGroup ? 4 : 3) attention_chunk_kernel(AttentionArgs a, KvLayer kv, int hpb) {
  const int c = blockIdx.x, r = blockIdx.y;
  const int group = a.heads / a.kv_heads, subgroups = (group + hpb - 1) / hpb;
  const int kvh = blockIdx.z / subgroups;
  const int h0 = kvh * group + (blockIdx.z % subgroups) * hpb;
  const int gn = min(hpb, kvh * group + group - h0);
  const int i = a.first_row + r;
  // Before pdl_wait (see chunk_partials): the committed length and the mask, uploaded before the step.
  const int cache_len = a.cache_len_dev ? *a.cache_len_dev : a.cache_len;
  __shared__ int16_t s_keys[kMaxMaskedKeys];
  const int total = cache_len + visible_new_keys(a, i, s_keys);
  const int c0 = c * a.chunk;
  if (c0 < total) {  // the merge never reads chunks past the row's keys
    chunk_partials<VPL, G>(a, kv, c, r, kvh, h0, gn, cache_len, total, s_keys);  // waits inside
  } else {
    pdl_wait_then_release();
  }
  merge_if_last<VPL>(a, r, h0, gn, total);
}

template <int VPL>
void launch_vpl(const AttentionArgs& a, KvLayer kv, cudaStream_t s) {
  // Heads per block: as many of the kv head's group as still leave about two blocks per SM (one
  // K/V load serves them all; measured at the 7B shape, 13 rows: one head per block read K/V 7
  // times and took 1.9x the time of 16 rows grouped), fewer when that would leave SMs idle (a
  // one-token decode step). Each head's arithmetic is the same either way, so the choice never
  // changes a result.
  const int group = a.heads / a.kv_heads, hpb = heads_per_block(a, kMaxGroup);
  const int z = a.kv_heads * ((group + hpb - 1) / hpb);
  const auto chunks = [&](auto kernel) {
    launch_kernel("attention chunks", true, kernel, dim3(a.splits, a.rows, z), kWarps * 32, 0, s, a, kv, hpb);
  };
  if (hpb <= 1) chunks(attention_chunk_kernel<VPL, 1>);
  else if (hpb <= 2) chunks(attention_chunk_kernel<VPL, 2>);
  else chunks(attention_chunk_kernel<VPL, kMaxGroup>);
  if (!a.tickets)
    launch_attention_merge<VPL>(a, s);
}

}  // namespace

void launch_attention(const AttentionArgs& a, KvLayer kv, cudaStream_t s) {
  if (a.rows <= 0) return;
  if (a.head_dim % 32 != 0 || a.head_dim > 128 || a.heads % a.kv_heads != 0) {
    throw Error("attention: head_dim " + std::to_string(a.head_dim) + " (must be 32, 64, 96 or 128) / heads " +
                std::to_string(a.heads) + " over kv heads " + std::to_string(a.kv_heads) + " not supported");
  }
  if (a.chunk <= 0 || a.chunk % (kWarps * kGroup) != 0)
    throw Error("attention: chunk " + std::to_string(a.chunk) + " must be a positive multiple of 16");
  if (kv.block_size <= 0 || (kv.block_size & (kv.block_size - 1)) != 0)
    throw Error("attention: the KV block size " + std::to_string(kv.block_size) + " must be a power of two");
  if (a.splits <= 0 || !a.partials) throw Error("attention: no chunks or no partials scratch given");
  if (a.rows > 65535 || a.heads > 65535) throw Error("attention: too many rows or heads in one launch");
  if (a.mask && a.key_limit > kMaxMaskedKeys)
    throw Error("attention: a masked step sees at most " + std::to_string(kMaxMaskedKeys) + " new tokens, not " +
                std::to_string(a.key_limit));
  if (a.out_images.p && a.out_images.k != a.heads * a.head_dim)
    throw Error("attention: the output images are " + std::to_string(a.out_images.k) + " wide, not " +
                std::to_string(a.heads * a.head_dim));
  if (attention_mma_serves(a)) {
    launch_attention_mma(a, kv, s);
    return;
  }
  switch (a.head_dim / 32) {
    case 1: launch_vpl<1>(a, kv, s); break;
    case 2: launch_vpl<2>(a, kv, s); break;
    case 3: launch_vpl<3>(a, kv, s); break;
    default: launch_vpl<4>(a, kv, s); break;
  }
}

}  // namespace stride::cuda
