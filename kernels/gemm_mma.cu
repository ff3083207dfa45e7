#include "kernels/gemm_mma.cuh"
#include "kernels/gemm_wgmma.cuh"
#include "kernels/mma.cuh"
#include "kernels/swiglu.cuh"

#include <cooperative_groups.h>

#include <algorithm>
#include <cstdio>
#include <tuple>
#include <utility>

namespace stride::cuda {
namespace {

constexpr int kWarps = 8;         // k-split warps per block (fixed: part of the reduction order)

__device__ __forceinline__ uint32_t word(const uint4& v, int i) {
  return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w;
}

// k inside a 32-wide chunk is permuted so that each thread loads contiguous bytes: thread
// (group g, t = lane % 4) holds elements t*8 .. t*8+7 of its weight rows and of its token's
// activations; mma step s uses elements s*4 .. s*4+3 as the fragment columns {2t, 2t+1} and
// {2t+8, 2t+9}. A and B use the same permutation, so each product is a plain dot product over k.
// Activations are read as float32 and split (or rounded) to bf16 in registers.

// The activations a product reads: x itself, or x through an RMSNorm (kInRmsNorm: x holds the
// residual stream). The norm is folded into the product: the mma run on norm ⊙ x while each thread
// sums the squares of the x it loads, and the epilogue multiplies each token's result by its
// rsqrt(mean(x²) + eps). The sum of squares follows the product's own k split (a thread's
// elements in chunk order, the quad, the warps' tree, the k slices), which depends on k alone, so a
// token's result stays the same whatever its step's size or tile.
enum : int { kInPlain = 0, kInRmsNorm = 1 };

template <int IN>
__device__ __forceinline__ float4 load_input(const float* __restrict__ x, int k, int tok, int idx,
                                             const bf16* __restrict__ norm, float& ss) {
  const float4 p = __ldg(reinterpret_cast<const float4*>(x + int64_t(tok) * k + idx));
  if constexpr (IN == kInRmsNorm) {
    ss = fmaf(p.x, p.x, ss);
    ss = fmaf(p.y, p.y, ss);
    ss = fmaf(p.z, p.z, ss);
    ss = fmaf(p.w, p.w, ss);
    const __nv_bfloat162* w2 = reinterpret_cast<const __nv_bfloat162*>(norm + idx);
    const float2 w01 = __bfloat1622float2(w2[0]), w23 = __bfloat1622float2(w2[1]);
    return make_float4(w01.x * p.x, w01.y * p.y, w23.x * p.z, w23.y * p.w);
  } else {
    return p;
  }
}

template <int NT, int MT, int CK, bool SPLIT, int IN>
__device__ __forceinline__ void chunk_product(const uint4 (&wv)[MT][2][CK / 32], const float* __restrict__ x, int m,
                                              int k, int tok0, int g, int tig, int c, const bf16* __restrict__ norm,
                                              float (&ss)[NT], float (&acc)[MT][NT][4]) {
  constexpr int E = CK / 4;  // elements per thread per row
#pragma unroll
  for (int t = 0; t < NT; ++t) {
    const int tok = tok0 + t * 8 + g;
    float f[E];
#pragma unroll
    for (int e = 0; e < E; ++e) f[e] = 0.f;
    if (tok < m) {
      if constexpr (IN == kInPlain) {
        // Kept as a pointer walk: the general form below cost the large tiles their load overlap
        // (measured: M=64 at the 7B shape 18.5 -> 26.3 ms).
        const float4* xp = reinterpret_cast<const float4*>(x + int64_t(tok) * k + int64_t(c) * CK + tig * E);
#pragma unroll
        for (int v = 0; v < E / 4; ++v) {
          const float4 p = __ldg(xp + v);
          f[4 * v] = p.x, f[4 * v + 1] = p.y, f[4 * v + 2] = p.z, f[4 * v + 3] = p.w;
        }
      } else {
#pragma unroll
        for (int v = 0; v < E / 4; ++v) {
          const float4 p = load_input<IN>(x, k, tok, c * CK + tig * E + 4 * v, norm, ss[t]);
          f[4 * v] = p.x, f[4 * v + 1] = p.y, f[4 * v + 2] = p.z, f[4 * v + 3] = p.w;
        }
      }
    }
    uint32_t hi[E / 2], lo[E / 2];
#pragma unroll
    for (int i = 0; i < E / 2; ++i) {
      const __nv_bfloat162 h = __floats2bfloat162_rn(f[2 * i], f[2 * i + 1]);
      hi[i] = *reinterpret_cast<const uint32_t*>(&h);
      if (SPLIT) {
        const float2 hf = __bfloat1622float2(h);
        lo[i] = pack_bf16(f[2 * i] - hf.x, f[2 * i + 1] - hf.y);
      }
    }
#pragma unroll
    for (int s = 0; s < CK / 16; ++s) {
      const int q = s / 2, wd = (s % 2) * 2;  // uint4 and word of elements s*4, s*4+1
#pragma unroll
      for (int mt = 0; mt < MT; ++mt) {
        const uint32_t a0 = word(wv[mt][0][q], wd), a1 = word(wv[mt][1][q], wd);
        const uint32_t a2 = word(wv[mt][0][q], wd + 1), a3 = word(wv[mt][1][q], wd + 1);
        mma_bf16(acc[mt][t], a0, a1, a2, a3, hi[2 * s], hi[2 * s + 1]);
        if (SPLIT) mma_bf16(acc[mt][t], a0, a1, a2, a3, lo[2 * s], lo[2 * s + 1]);
      }
    }
  }
}

// The epilogue's pairing of weight rows (see launch_gemm_mma_swiglu): none, or tile T of a w-wide
// group takes rows d0 .. d0 + 7 and w/2 + d0 .. w/2 + d0 + 7 of group T / (w/16), d0 = 8·(T % (w/16)).
enum : int { kPairNone = 0, kPairSwiGlu = 1, kPairQkvRope = 2 };
struct PairTile {
  int group, i;  // the group, and the pair's index (< w/2) of this thread's row g
};
template <int PAIR>
__device__ __forceinline__ int pair_width(int n, const QkvRopeArgs& ep) {
  return PAIR == kPairSwiGlu ? n : ep.head_dim;
}
__device__ __forceinline__ PairTile pair_tile(int tile, int width, int g) {
  const int per = width / 16, group = tile / per;
  return {group, (tile - group * per) * 8 + g};
}

// Where accumulator element i of m-tile mt and token tile t goes in y [m, n] (the mma's C layout:
// rows g and g + 8, tokens 2·tig and 2·tig + 1), or -1 past the product's rows or the step's tokens.
__device__ __forceinline__ int64_t out_index(int row0, int mt, int g, int tok0, int t, int tig, int i, int m, int n) {
  const int r = row0 + mt * 16 + g + (i >= 2 ? 8 : 0);
  const int tok = tok0 + t * 8 + tig * 2 + (i & 1);
  return r < n && tok < m ? int64_t(tok) * n + r : -1;
}

// The q/k/v epilogue of one token's pair: qkv_rope_kernel's bias add (b0, b1: the pair's biases),
// then its store.
__device__ __forceinline__ void qkv_rope_store(const QkvRopeArgs& ep, int tok, int group, int i, float a, float b,
                                               float b0, float b1, const QkvPairInputs& in) {
  if (ep.bias) {
    a += b0;
    b += b1;
  }
  qkv_rope_pair_with(ep, tok, group, i, a, b, in);
}

// Block: MT × 16 weight rows, 8·NT tokens of the token group blockIdx.x; warp w takes k chunks
// w, w + 8, w + 16, ... in increasing order, then the warps' sums meet in a fixed tree.
// THIN (products with fewer k chunks than warps, where the k split would leave warps idle: the
// tiny model's k = 128): the block has 8 × MT × 16 rows, each warp its own MT × 16 of them, and a
// warp takes every chunk in increasing order; no cross-warp sum. Which form a product takes
// depends on k alone, so either way a token's result does not depend on the step's size.
// PAIR (kPairSwiGlu, kPairQkvRope): the tiles pair rows as pair_tile says and the epilogue is the
// op's (n a multiple of the pair width, itself a multiple of 16).
template <int NT, int MT, int U, int CK, bool SPLIT, int IN = kInPlain, bool ADD = false, bool THIN = false,
          int PAIR = kPairNone>
__global__ void __launch_bounds__(kWarps * 32) gemm_mma_kernel(const float* __restrict__ x, int m, int k,
                                                               const bf16* __restrict__ w, int n, float* __restrict__ y,
                                                               const bf16* __restrict__ norm, float eps,
                                                               const QkvRopeArgs ep, const bool y_settled) {
  constexpr int V = CK / 32;  // 16-byte weight loads per row per chunk
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, tig = lane & 3;
  const int tok0 = blockIdx.x * (8 * NT);
  const int row0 = THIN ? (blockIdx.y * kWarps + warp) * (MT * 16) : blockIdx.y * (MT * 16);
  // Split-K (gridDim.z slices, one cluster; see gemm_mma_slices): this block takes the chunks
  // [z·C/S, (z+1)·C/S) of the C = k / CK chunks, the rank-0 block of the cluster adds the others'
  // sums into its own in rank order.
  const int slices = gridDim.z, slice = blockIdx.z;
  const int chunks = int(int64_t(slice + 1) * (k / CK) / slices);  // the end of this block's chunks
  constexpr int kStep = THIN ? 1 : kWarps;  // between a warp's chunks
  const int first = THIN ? 0 : int(int64_t(slice) * (k / CK) / slices) + warp;  // a warp's first chunk
  const uint4* wp[MT][2];
  bool wok[MT][2];
#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      int r = row0 + mt * 16 + h * 8 + g;
      if constexpr (PAIR != kPairNone) {
        const int width = pair_width<PAIR>(n, ep);
        const PairTile p = pair_tile(row0 / 16 + mt, width, g);
        r = (row0 / 16 + mt) * 16 < n ? p.group * width + h * (width / 2) + p.i : n;
      }
      wok[mt][h] = r < n;
      wp[mt][h] = reinterpret_cast<const uint4*>(w + int64_t(min(r, n - 1)) * k) + tig * V;
    }
  float acc[MT][NT][4];
#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int t = 0; t < NT; ++t)
#pragma unroll
      for (int i = 0; i < 4; ++i) acc[mt][t][i] = 0.f;

  const uint4 zero = make_uint4(0, 0, 0, 0);
  // A round: the weights of chunks c, c + 8, ..., c + (U - 1) * 8 (those below `chunks`), loaded
  // together before the first of their mma.
  uint4 wv[U][MT][2][V];
  auto load_round = [&](int c) {
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const bool in_k = c + u * kStep < chunks;
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int h = 0; h < 2; ++h)
#pragma unroll
          for (int v = 0; v < V; ++v)
            wv[u][mt][h][v] = in_k && wok[mt][h] ? __ldg(wp[mt][h] + int64_t(c + u * kStep) * (CK / 8) + v) : zero;
    }
  };
  // Decode-size tiles (NT <= 2: up to 16 tokens) double-buffer their rounds: the next round's loads
  // are issued before this round's mma (measured on the H100: 7B decode 166 -> 172 tok/s, a 16-token
  // step 8.9 -> 8.0 ms). Larger tiles keep a single buffer: their activation loads are the larger
  // part, and double-buffering them measured slower (7B M=64 17.8 -> 24.5 ms).
  constexpr bool kPipe = NT <= 2;
  // The weights do not depend on the kernel before this one: with PDL, the first round is loaded
  // (double-buffered) or its first lines start moving into L2 (single) while that kernel finishes.
  if constexpr (kPipe) load_round(first);
  if (tig == 0) {
#pragma unroll
    for (int u = kPipe ? U : 0; u < (kPipe ? 2 * U : U); ++u) {
      const int cu = first + u * kStep;
      if (cu >= chunks) break;
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int h = 0; h < 2; ++h)
          if (wok[mt][h]) prefetch_l2(wp[mt][h] + int64_t(cu) * (CK / 8));
    }
  }
  // The epilogue's other inputs, loaded by the storing warps before the wait so that their round
  // trips overlap the kernel before instead of following the k tree: the q/k/v biases (weights)
  // always; the rotation and cache rows (ep.settled) and the y an ADD product adds into (y_settled)
  // where the caller says no kernel that may still run writes them (QkvRopeArgs, GemmFusion). The
  // same bits either way. H100, session 25, --step-costs M=1 / M=8 ms, two passes in one call,
  // STRIDE_CUDA_EARLY_EPILOGUES=0 -> on: 1.5B 1.750, 1.729 / 2.090, 2.072 -> 1.713, 1.703 / 2.000,
  // 1.981; 0.5B 0.846, 0.859 / 0.971, 0.986 -> 0.828, 0.824 / 0.910, 0.913; 7B 5.740, 5.715 / 6.402,
  // 6.389 -> 5.705, 5.701 / 6.392, 6.372.
  const bool stores = (THIN || warp == 0) && slice == 0;
  [[maybe_unused]] float bias_pre[MT][NT][2][2];
  [[maybe_unused]] QkvPairInputs pair_pre[MT][NT][2];
  [[maybe_unused]] float y_pre[MT][NT][4];
  if constexpr (PAIR == kPairQkvRope) {
    const int width = pair_width<PAIR>(n, ep);
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
      for (int t = 0; t < NT; ++t)
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          bias_pre[mt][t][e][0] = bias_pre[mt][t][e][1] = 0.f;
          const PairTile p = pair_tile(row0 / 16 + mt, width, g);
          const int tok = tok0 + t * 8 + tig * 2 + e;
          if (!stores || (row0 / 16 + mt) * 16 >= n || tok >= m) continue;
          if (ep.bias) {
            const int c0 = p.group * ep.head_dim + p.i;
            bias_pre[mt][t][e][0] = ep.bias[c0];
            bias_pre[mt][t][e][1] = ep.bias[c0 + ep.head_dim / 2];
          }
          if (ep.settled) pair_pre[mt][t][e] = qkv_pair_inputs(ep, tok, p.group, p.i);
        }
  }
  if constexpr (ADD) {
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
      for (int t = 0; t < NT; ++t)
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          const int64_t o = out_index(row0, mt, g, tok0, t, tig, i, m, n);
          if (stores && y_settled && o >= 0) y_pre[mt][t][i] = __ldcg(y + o);
        }
  }
  pdl_wait_then_release();
  float ss[NT];  // kInRmsNorm: this thread's sum of squares of token t·8 + g's inputs
#pragma unroll
  for (int t = 0; t < NT; ++t) ss[t] = 0.f;
  // Rounds of U chunks. Chunks accumulate in increasing order (warp, warp + 8, warp + 16, ...)
  // whatever U and the buffering are, so neither (a speed choice) ever changes a result.
  if constexpr (kPipe) {
    for (int c = first; c < chunks; c += U * kStep) {
      uint4 cur[U][MT][2][V];
#pragma unroll
      for (int u = 0; u < U; ++u)
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
#pragma unroll
          for (int h = 0; h < 2; ++h)
#pragma unroll
            for (int v = 0; v < V; ++v) cur[u][mt][h][v] = wv[u][mt][h][v];
      if (c + U * kStep < chunks) load_round(c + U * kStep);
#pragma unroll
      for (int u = 0; u < U; ++u)
        if (c + u * kStep < chunks) chunk_product<NT, MT, CK, SPLIT, IN>(cur[u], x, m, k, tok0, g, tig, c + u * kStep, norm, ss, acc);
    }
  } else {
    // Single buffer, written as the loop the large tiles were tuned with (the compiler schedules
    // its loads better than the round form's).
    int c = first;
    for (; c + (U - 1) * kStep < chunks; c += U * kStep) {
      uint4 w1[U][MT][2][V];
#pragma unroll
      for (int u = 0; u < U; ++u)
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
#pragma unroll
          for (int h = 0; h < 2; ++h)
#pragma unroll
            for (int v = 0; v < V; ++v)
              w1[u][mt][h][v] = wok[mt][h] ? __ldg(wp[mt][h] + int64_t(c + u * kStep) * (CK / 8) + v) : zero;
#pragma unroll
      for (int u = 0; u < U; ++u) chunk_product<NT, MT, CK, SPLIT, IN>(w1[u], x, m, k, tok0, g, tig, c + u * kStep, norm, ss, acc);
    }
    for (; c < chunks; c += kStep) {
      uint4 w0[MT][2][V];
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int h = 0; h < 2; ++h)
#pragma unroll
          for (int v = 0; v < V; ++v) w0[mt][h][v] = wok[mt][h] ? __ldg(wp[mt][h] + int64_t(c) * (CK / 8) + v) : zero;
      chunk_product<NT, MT, CK, SPLIT, IN>(w0, x, m, k, tok0, g, tig, c, norm, ss, acc);
    }
  }

  constexpr bool kNorm = IN == kInRmsNorm;
  if constexpr (kNorm) {
    // The quad's four shares of each token's sum: (t0 + t1) + (t2 + t3), the same bits in all four.
#pragma unroll
    for (int t = 0; t < NT; ++t) {
      ss[t] += __shfl_xor_sync(0xffffffffu, ss[t], 1);
      ss[t] += __shfl_xor_sync(0xffffffffu, ss[t], 2);
    }
  }
  // Fixed tree over the warps' partial sums: (w + 4) into w, then (w + 2) into w, then 1 into 0.
  if constexpr (!THIN) {
  __shared__ float red[kWarps / 2][MT][NT][4][32];
  __shared__ float red_ss[kWarps / 2][kNorm ? NT : 1][32];  // the same tree for the sums of squares
#pragma unroll
  for (int half = kWarps / 2; half >= 1; half >>= 1) {
    if (warp >= half && warp < 2 * half) {
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int t = 0; t < NT; ++t)
#pragma unroll
          for (int i = 0; i < 4; ++i) red[warp - half][mt][t][i][lane] = acc[mt][t][i];
      if constexpr (kNorm) {
#pragma unroll
        for (int t = 0; t < NT; ++t) red_ss[warp - half][t][lane] = ss[t];
      }
    }
    __syncthreads();
    if (warp < half) {
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int t = 0; t < NT; ++t)
#pragma unroll
          for (int i = 0; i < 4; ++i) acc[mt][t][i] += red[warp][mt][t][i][lane];
      if constexpr (kNorm) {
#pragma unroll
        for (int t = 0; t < NT; ++t) ss[t] += red_ss[warp][t][lane];
      }
    }
    __syncthreads();
  }
  if (slices > 1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    // The tree has left red[0] free: warp 0 puts the block's sums there, and the cluster's rank-0
    // block adds ranks 1, 2, ... into its own in that order (distributed shared memory).
    namespace cg = cooperative_groups;
    cg::cluster_group cluster = cg::this_cluster();
    if (warp == 0) {
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int t = 0; t < NT; ++t)
#pragma unroll
          for (int i = 0; i < 4; ++i) red[0][mt][t][i][lane] = acc[mt][t][i];
      if constexpr (kNorm) {
#pragma unroll
        for (int t = 0; t < NT; ++t) red_ss[0][t][lane] = ss[t];
      }
    }
    cluster.sync();
    const bool lead = cluster.block_rank() == 0;
    if (lead && warp == 0) {
      for (int r = 1; r < slices; ++r) {
        const float* other = cluster.map_shared_rank(&red[0][0][0][0][0], r);
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
#pragma unroll
          for (int t = 0; t < NT; ++t)
#pragma unroll
            for (int i = 0; i < 4; ++i) acc[mt][t][i] += other[((mt * NT + t) * 4 + i) * 32 + lane];
        if constexpr (kNorm) {
          const float* other_ss = cluster.map_shared_rank(&red_ss[0][0][0], r);
#pragma unroll
          for (int t = 0; t < NT; ++t) ss[t] += other_ss[t * 32 + lane];
        }
      }
    }
    cluster.sync();  // the other blocks' shared memory stays until the lead has read it
    if (!lead) return;
#else
    __trap();  // the host never splits k for code built below sm_90 (gemm_mma_slices)
#endif
  }
  if (warp != 0) return;
  }
  if constexpr (kNorm) {
    // Token 2·tig + e of tile t (this thread's result columns) had its sum in lane (2·tig + e)·4.
    // The scale is add_rmsnorm's expression.
#pragma unroll
    for (int t = 0; t < NT; ++t)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const float total = __shfl_sync(0xffffffffu, ss[t], (2 * tig + e) * 4);
        const float scale = rsqrtf(total / k + eps);
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          acc[mt][t][e] *= scale;
          acc[mt][t][e + 2] *= scale;
        }
      }
  }
  if constexpr (PAIR != kPairNone) {
    // acc[..][0..1]: row g of the tile (the pair's first member) for tokens 2·tig, 2·tig + 1;
    // acc[..][2..3]: row g + 8 (its second member) for the same tokens.
    const int width = pair_width<PAIR>(n, ep);
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
      if ((row0 / 16 + mt) * 16 >= n) continue;
      const PairTile p = pair_tile(row0 / 16 + mt, width, g);
#pragma unroll
      for (int t = 0; t < NT; ++t)
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          const int tok = tok0 + t * 8 + tig * 2 + e;
          if (tok >= m) continue;
          if constexpr (PAIR == kPairSwiGlu) {
            y[int64_t(tok) * (n / 2) + p.i] = silu_mul(acc[mt][t][e], acc[mt][t][e + 2]);
          } else {
            qkv_rope_store(ep, tok, p.group, p.i, acc[mt][t][e], acc[mt][t][e + 2], bias_pre[mt][t][e][0],
                           bias_pre[mt][t][e][1], ep.settled ? pair_pre[mt][t][e] : qkv_pair_inputs(ep, tok, p.group, p.i));
          }
        }
    }
  } else {
#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int t = 0; t < NT; ++t)
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const int64_t o = out_index(row0, mt, g, tok0, t, tig, i, m, n);
        if (o >= 0) {
          if constexpr (ADD) {
            y[o] = (y_settled ? y_pre[mt][t][i] : y[o]) + acc[mt][t][i];  // add_rmsnorm's residual + delta
          } else {
            y[o] = acc[mt][t][i];
          }
        }
      }
  }
}

// Split-K for the products with few row blocks and a deep k (the down products of the 0.5B and
// 1.5B shapes: 56 and 96 blocks of 16 rows for 132 SMs, each warp walking 10-18 chunks one round
// trip after the other). The k chunks are cut into S slices, one block each, in clusters of S
// blocks whose first block adds the slices' sums in slice order. S depends on n and k alone (and on
// whether the code can run clusters), never on the step's size or tile, so the product stays batch
// invariant. STRIDE_GEMM_SPLITK=blocks (benchmarks; 0 = off) sets the blocks of 16 rows it aims for.
// Measured on the H100 (--step-costs, ms, off -> 192 blocks with slices of >= 6 chunks): 1.5B M=1
// 2.097 -> 2.089, M=16 3.22 -> 3.00, M=64 6.06 -> 5.66; 0.5B M=1 1.171 -> 1.191, M=16 1.86 ->
// 1.74; 400 blocks (two waves at 2 blocks per SM) made every step slower (1.5B M=1 2.51). ncu at
// the GPU's clocks: the o and down products 723 -> 673 us per 1.5B step, the qkv product (24 chunks)
// 197 -> 218, hence slices of at least 16 chunks (two per warp).
// A product whose row blocks, doubled, still fit one wave of the one-token kernel takes at least
// two slices (session 16: the 7B o and down products, 224 row blocks, 448 at 4 blocks per SM for
// 132 SMs; each block otherwise walks 56 or 296 chunks with one or two SMs' worth of loads in
// flight). --step-costs at 7B, ms, two passes: M=1 5.81 -> 5.68, M=8 7.30 -> 6.57, M=16 8.43 ->
// 8.74, M=64 16.47 -> 16.69: dearer above 8 tokens, cheaper for decoding and for the default
// lookahead's steps of 5-8 rows. Three or more slices made the 1.5B step slower (M=1 1.90 -> 2.00-2.07).
int splitk_target_blocks() {
  static const int t = [] {
    const char* v = std::getenv("STRIDE_GEMM_SPLITK");
    return v ? std::max(0, std::atoi(v)) : 192;
  }();
  return t;
}

constexpr int kMaxSlices = 8;  // the portable cluster size

// Whether the kernels run clusters here: a device of compute capability 9 or more, code built for
// it (not the portable PTX, whose kernels trap on a split; every instantiation comes from this one
// compilation, so one kernel answers for all), and room on the device for a cluster of kMaxSlices
// blocks of the largest tile (a partitioned GPU may have too few SMs per GPC). Otherwise no product
// splits k: decided once, so every step still takes the same slices.
bool kernels_run_clusters() {
  static const bool ok = [] {
    cudaFuncAttributes a{};
    if (!clusters_supported() ||
        cudaFuncGetAttributes(&a, reinterpret_cast<const void*>(gemm_mma_kernel<1, 1, 1, 64, true>)) != cudaSuccess ||
        a.ptxVersion < 90)
      return false;
    cudaLaunchConfig_t cfg{};
    cfg.gridDim = dim3(1, 1, kMaxSlices);
    cfg.blockDim = dim3(kWarps * 32);
    cudaLaunchAttribute attr = cluster_along_z(kMaxSlices);
    cfg.attrs = &attr;
    cfg.numAttrs = 1;
    int clusters = 0;
    const bool fits = cudaOccupancyMaxActiveClusters(&clusters, gemm_mma_kernel<8, 2, 1, 64, true>, &cfg) == cudaSuccess &&
                      clusters >= 1;
    cudaGetLastError();  // a refused query leaves no error behind for the next launch check
    return fits;
  }();
  return ok;
}

// Fewer k chunks than warps: the product takes the THIN form (see gemm_mma_kernel).
bool is_thin(int k, int chunk_k) { return k < kWarps * chunk_k; }

// Blocks of the one-token kernel (16 rows, depth 1) resident at once on this device: one wave.
// Read once, so every step takes the same slices.
int one_token_wave() {
  static const int wave = [] {
    int per_sm = 0;
    if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, gemm_mma_kernel<1, 1, 1, 64, true>, kWarps * 32, 0) !=
        cudaSuccess) {
      cudaGetLastError();
      per_sm = 1;
    }
    return std::max(1, per_sm) * sm_count();
  }();
  return wave;
}

constexpr int kMinSliceChunks = 16;  // two chunks per warp: shorter slices cost more than they gain
int gemm_mma_slices(int n, int k, int chunk_k) {
  if (is_thin(k, chunk_k) || !kernels_run_clusters()) return 1;
  const int target = splitk_target_blocks();
  if (target == 0) return 1;
  const int row_blocks = (n + 15) / 16, chunks = k / chunk_k;
  int want = (target + row_blocks - 1) / row_blocks;
  if (2 * row_blocks <= one_token_wave()) want = std::max(want, 2);
  return std::max(1, std::min({kMaxSlices, want, chunks / kMinSliceChunks}));
}

template <int NT, int MT, int U, int CK, bool SPLIT, int IN = kInPlain, bool ADD = false, bool THIN = false,
          int PAIR = kPairNone>
void launch(const float* x, int m, int k, const bf16* w, int n, float* y, cudaStream_t s, const bf16* norm = nullptr,
            float eps = 0.f, const QkvRopeArgs& ep = {}, bool y_settled = false) {
  const int slices = THIN ? 1 : gemm_mma_slices(n, k, CK);
  const int block_rows = (THIN ? kWarps : 1) * MT * 16;
  const dim3 grid((m + 8 * NT - 1) / (8 * NT), (n + block_rows - 1) / block_rows, slices);
  launch_kernel_clustered("gemm_mma", true, slices, gemm_mma_kernel<NT, MT, U, CK, SPLIT, IN, ADD, THIN, PAIR>, grid,
                          kWarps * 32, 0, s, x, m, k, w, n, y, norm, eps, ep, y_settled);
}

// What a product reads and where its result goes besides the tile: the input (kInPlain or
// kInRmsNorm with the norm's weights and eps), ADD (y += the product), the pairing epilogue.
struct Extras {
  const bf16* norm = nullptr;
  float eps = 0.f;
  QkvRopeArgs ep{};
  bool y_settled = false;  // GemmFusion::y_settled
};

// A product of tile NT × MT, depth U (launch_tiles' forms).
template <int NT, int MT, int U, int CK, bool SPLIT, int PAIR, int IN, bool ADD>
void launch_form(const float* x, int m, int k, const bf16* w, int n, float* y, cudaStream_t s, const Extras& e) {
  launch<NT, MT, U, CK, SPLIT, IN, ADD, false, PAIR>(x, m, k, w, n, y, s, e.norm, e.eps, e.ep, e.y_settled);
}

}  // namespace

bool gemm_mma_takes_wgmma(int m, int k, int n, cudaStream_t s) {
  // Every chain has a chunk in each k slice: launch_gemm_wgmma's condition.
  return m >= gemm_wgmma_min_tokens() && gemm_wgmma_enabled() && gemm_mma_chunk(k) == 64 &&
         gemm_wgmma_ready(s, m, k) && k / 64 / gemm_mma_slices(n, k, 64) >= 8;
}

WgmmaImages gemm_mma_images(int m, int k, int n, bool split, cudaStream_t s) {
  return gemm_mma_supports(k) && gemm_mma_takes_wgmma(m, k, n, s) ? gemm_wgmma_images(s, m, k, split) : WgmmaImages{};
}

void launch_gemm_mma_on_images(const WgmmaImages& img, int m, const bf16* w, int n, float* y, cudaStream_t s) {
  launch_gemm_wgmma_on_images(img, m, w, n, y, gemm_mma_slices(n, img.k, 64), s);
}

namespace {
// Products with fewer k chunks than warps (see THIN). Each warp has all of k, so a round loads
// them all (at most 7): U = 2 for 64-wide chunks, 4 for 32-wide. The row tile plays no part in the
// order. Token tiles: the few-block products (latency-bound) take one group of 8 up to 16 tokens, so
// a 9..16-token step's warps do what a one-token step's do (two groups of blocks side by side);
// products of 8192 rows or more (the LM head) read their weights once for up to 16 tokens.
// Measured on the H100, tiny model, ncu at base clocks: LM head 37.6 us (k-split, M=1) -> 19.2
// (thin, M=1); at M=12 29.6 with two groups of 8 tokens.
template <int CK, bool SPLIT, int IN, bool ADD, int PAIR>
void launch_thin(const float* x, int m, int k, const bf16* w, int n, float* y, cudaStream_t s, int nt, const Extras& e) {
  constexpr int U = CK == 32 ? 4 : 2;
  if (nt == 0 && n >= 8192) nt = m <= 8 ? 1 : m <= 16 ? 2 : m <= 32 ? 4 : 8;
  if (nt == 0) nt = m <= 16 ? 1 : m <= 32 ? 2 : 4;
  switch (nt) {
    case 1: launch<1, 1, U, CK, SPLIT, IN, ADD, true, PAIR>(x, m, k, w, n, y, s, e.norm, e.eps, e.ep, e.y_settled); break;
    case 2: launch<2, 1, U, CK, SPLIT, IN, ADD, true, PAIR>(x, m, k, w, n, y, s, e.norm, e.eps, e.ep, e.y_settled); break;
    case 4: launch<4, 1, U, CK, SPLIT, IN, ADD, true, PAIR>(x, m, k, w, n, y, s, e.norm, e.eps, e.ep, e.y_settled); break;
    default: launch<8, 1, U, CK, SPLIT, IN, ADD, true, PAIR>(x, m, k, w, n, y, s, e.norm, e.eps, e.ep, e.y_settled); break;
  }
}

// STRIDE_GEMM_TILE=NTxMT (benchmarks only: NT in 1, 2, 4, 8 token tiles of 8, MT in 1, 2, 4 row
// tiles of 16, not 8x4) replaces the tile of every product with more than 8 tokens; 0x0 = the table.
std::pair<int, int> tile_override() {
  static const std::pair<int, int> t = [] {
    const char* v = std::getenv("STRIDE_GEMM_TILE");
    int nt = 0, mt = 0;
    if (v && std::sscanf(v, "%dx%d", &nt, &mt) == 2) {
      const bool ok = (nt == 1 || nt == 2 || nt == 4 || nt == 8) && (mt == 1 || mt == 2 || mt == 4) && !(nt == 8 && mt == 4);
      if (ok) return std::make_pair(nt, mt);
    }
    return std::make_pair(0, 0);
  }();
  return t;
}

// Load depth (chunks per round) of the decode-size products (m <= 8, 64-wide chunks), whose blocks
// all take one tile row (16 weight rows). The wide products (gate_up, the LM head) took two until
// session 16: their few waves of 32-row blocks (the 1.5B gate_up: 560 blocks, 2.1 waves at 2 per
// SM) left a long last wave; 16-row blocks (1120: 4.2 waves) lose less to it. Measured on the H100
// (--step-costs M=1 / M=8, ms, two passes): 0.5B 0.978 / 1.207 -> 0.962 / 1.199, 1.5B 1.936 /
// 2.323 -> 1.887 / 2.313, 7B 5.930 / 7.199 -> 5.790 / 7.155; ncu at the GPU's clocks, gate_up per
// one-token step: 1.5B 791 -> 726 us, 7B 2905 -> 2792 (the LM head unchanged). Rounds
// are double-buffered, so 2U chunks per warp are in flight. Products of at most 2048 rows have at
// most 128 blocks for 132 SMs, too few loads in flight at depth 1: they take depth 2. Measured on
// the H100 (stride-bench --step-costs, one-token step, ms, STRIDE_GEMM_DEPTH=U1,U2 replaces both
// for every product; benchmarks only, U1 1, 2 or 4, U2 1 or 2):
//   1,1: 0.5B 1.20-1.21, 1.5B 2.18, 7B 5.81-5.83 | 2,1: 1.16-1.17, 2.08-2.09, 5.86-5.87
//   4,1: 1.19-1.20, 2.06-2.07, 6.66 (fewer blocks fit an SM) | earlier, decode tok/s at 1.5B / 7B:
//   1,1 455 / 172; 2,2 427 / 157.
// Since the split k slices and the q/k/v and gate/up epilogues, the one-token steps of the 1.5B shape
// (products of 1536-2048 rows) do better at depth 1; the 0.5B shape's (at most 1152 rows) and every
// step of 2-8 tokens keep depth 2. Session 16, --step-costs, ms, depth 2 -> 1 for the <= 2048-row
// products: 1.5B M=1 1.902, 1.894, 1.885, 1.886, 1.882, 1.898, 1.887 -> 1.859, 1.859, 1.854, 1.853,
// 1.867 (and 1.850 x3 with the 0.5B-sized ones at 1); M=8 2.316 / 2.327 -> 2.339 / 2.338; 0.5B M=1
// 0.938, 0.939, 0.948 -> 0.953, 0.957, 0.950, M=8 1.199 -> 1.234. Depth never changes a result.
// Deep products of those widths (k >= 4096: the 1.5B down product, 9 chunks per warp at two k
// slices) keep depth 2 in one-token steps too. Session 17, --step-costs M=1 / M=8, ms, two passes:
// 1.5B 1.781 / 2.143, 1.792 / 2.154 -> 1.747 / 2.130, 1.748 / 2.132; the 7B down product (3584
// rows) at depth 2: 5.67-5.70 -> 5.86-5.87, so it stays at 1.
// Session 24 (norms folded into the products, the epilogues, PDL): the 1.5B q/k/v and o products (3
// chunks per warp) went back to depth 2 in one-token steps, so every product of at most 2048 rows now
// takes depth 2. --step-costs 1.5B M=1, ms, one call: depth 1 1.754 / 1.761 / 1.753, depth 2 1.732 /
// 1.728 / 1.724 (depth 3, all three chunks loaded before the PDL wait: 1.85). M=8 and the other shapes
// do not change (they already took depth 2, or have no product this narrow).
constexpr int kDecodeDepthWide = 1;
int decode_depth(int n) { return n <= 2048 ? 2 : 1; }
std::pair<int, int> depth_override() {
  static const std::pair<int, int> d = [] {
    const char* v = std::getenv("STRIDE_GEMM_DEPTH");
    int u1 = 0, u2 = 0;
    if (v && std::sscanf(v, "%d,%d", &u1, &u2) == 2 && (u1 == 1 || u1 == 2 || u1 == 4) && (u2 == 1 || u2 == 2))
      return std::make_pair(u1, u2);
    return std::make_pair(0, kDecodeDepthWide);  // u1 0: decode_depth(n)
  }();
  return d;
}

// The token tile (NT: columns per mma, 8 tokens each; a block serves 8·NT tokens), the row tile
// (MT: m-tiles per warp; the block's 8 warps share the rows and split k, so activation bytes
// read per weight byte are NT/MT·2 with split activations) and the load depth U are picked by
// size for speed; none changes a token's arithmetic.
// The folded forms (kInRmsNorm input or ADD) serve 64-wide chunks and the table's tiles only
// (fewer kernels to build): depth 1 or 2 up to 8 tokens, then 1x2, 2x2, 4x2.
template <int CK, bool SPLIT, int PAIR = kPairNone, int IN = kInPlain, bool ADD = false>
void launch_tiles(const float* x, int m, int k, const bf16* w, int n, float* y, cudaStream_t s, int nt = 0, int mt = 0,
                  const Extras& e = {}) {
  constexpr bool kBase = IN == kInPlain && !ADD;
  static_assert(kBase || CK == 64, "the folded forms take 64-wide chunks");
  constexpr int U = CK == 32 ? 4 : 2, UB = U / 2;
  if (is_thin(k, CK)) {
    launch_thin<CK, SPLIT, IN, ADD, PAIR>(x, m, k, w, n, y, s, nt, e);
    return;
  }
  if constexpr (kBase && CK == 64 && PAIR == kPairNone) {
    // Larger plain steps on Hopper: the warpgroup form, same bits (gemm_wgmma.cuh).
    if (nt == 0 && gemm_mma_takes_wgmma(m, k, n, s)) {
      launch_gemm_wgmma(x, SPLIT, m, k, w, n, y, gemm_mma_slices(n, k, CK), s);
      return;
    }
  }
  if (nt == 0 && m <= 8) {
    if constexpr (CK == 64) {
      const auto [u1, u2] = depth_override();
      const int depth = n >= 8192 ? u2 : u1 > 0 ? u1 : decode_depth(n);
      if (kBase && depth == 4) launch_form<1, 1, kBase ? 4 : 2, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e);
      else if (depth >= 2) launch_form<1, 1, 2, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e);
      else launch_form<1, 1, 1, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e);
    } else {
      if (n >= 8192) launch_form<1, 2, U, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e);
      else launch_form<1, 1, U, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e);
    }
    return;
  }
  if (kBase && nt == 0) std::tie(nt, mt) = tile_override();
  if (nt == 0) {
    // Token tiles of at most 32 tokens: two blocks of 8·NT tokens read each weight row nearly
    // together (adjacent in the grid), so the second read mostly hits L2, and the smaller tile's
    // activation loads per mma are fewer. Measured on the H100 (stride-bench --step-costs, ms, by
    // STRIDE_GEMM_TILE; the old table was 2x2 / 4x2 / 8x2):
    //   7B:   M=16 1x2 7.92, 2x2 8.12 | M=32 2x2 10.6-11.4, 4x2 11.4-11.5 | M=64 4x2 16.3, 8x2 17.7 | M=128 4x2 31.5, 8x2 32.8
    //   1.5B: M=16 1x2 3.03, 2x2 3.29-3.33 | M=32 2x2 4.16-4.26, 4x2 4.34-4.43 | M=64 4x2 6.16-6.22, 8x2 6.87-6.93
    nt = m <= 16 ? 1 : m <= 32 ? 2 : 4;
    mt = 2;
  }
  if constexpr (!kBase) {
    if (nt <= 1) launch_form<1, 2, UB, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e);
    else if (nt == 2) launch_form<2, 2, UB, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e);
    else launch_form<4, 2, UB, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e);
  } else {
    switch (nt * 10 + mt) {
      case 11: launch_form<1, 1, UB, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e); break;
      case 12: launch_form<1, 2, UB, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e); break;
      case 14: launch_form<1, 4, UB, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e); break;
      case 21: launch_form<2, 1, UB, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e); break;
      case 22: launch_form<2, 2, UB, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e); break;
      case 24: launch_form<2, 4, UB, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e); break;
      case 41: launch_form<4, 1, UB, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e); break;
      case 42: launch_form<4, 2, UB, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e); break;
      case 44: launch_form<4, 4, UB, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e); break;
      case 81: launch_form<8, 1, UB, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e); break;
      default: launch_form<8, 2, UB, CK, SPLIT, PAIR, IN, ADD>(x, m, k, w, n, y, s, e); break;
    }
  }
}

}  // namespace

int gemm_mma_split_k(int n, int k) { return gemm_mma_supports(k) ? gemm_mma_slices(n, k, gemm_mma_chunk(k)) : 1; }

void launch_gemm_mma_chunk(const float* x, bool split, int chunk_k, int m, int k, const bf16* w, int n, float* y,
                           cudaStream_t s) {
  if (m <= 0 || n <= 0) return;
  if ((chunk_k != 32 && chunk_k != 64) || k <= 0 || k % chunk_k != 0 || (reinterpret_cast<uintptr_t>(w) & 15) ||
      (reinterpret_cast<uintptr_t>(x) & 15)) {
    throw Error("gemm_mma: k = " + std::to_string(k) + " must be a multiple of " + std::to_string(chunk_k) +
                " with 16-byte aligned rows");
  }
  if ((n + 15) / 16 > 65535) throw Error("gemm_mma: too many output rows (" + std::to_string(n) + ")");
  if (chunk_k == 64) {
    if (split) launch_tiles<64, true>(x, m, k, w, n, y, s);
    else launch_tiles<64, false>(x, m, k, w, n, y, s);
  } else {
    if (split) launch_tiles<32, true>(x, m, k, w, n, y, s);
    else launch_tiles<32, false>(x, m, k, w, n, y, s);
  }
  check_launch("gemm_mma");
}

void launch_gemm_mma(const float* x, bool split, int m, int k, const bf16* w, int n, float* y, cudaStream_t s) {
  launch_gemm_mma_chunk(x, split, gemm_mma_chunk(k), m, k, w, n, y, s);
}

void launch_gemm_mma_tiled(const float* x, bool split, int m, int k, const bf16* w, int n, float* y, int nt, int mt,
                           cudaStream_t s) {
  const bool ok = (nt == 1 || nt == 2 || nt == 4 || nt == 8) && (mt == 1 || mt == 2 || mt == 4) && !(nt == 8 && mt == 4);
  if (!ok) throw Error("gemm_mma: no tile " + std::to_string(nt) + "x" + std::to_string(mt));
  if (m <= 0 || n <= 0) return;
  if (!gemm_mma_supports(k) || (reinterpret_cast<uintptr_t>(w) & 15) || (reinterpret_cast<uintptr_t>(x) & 15))
    throw Error("gemm_mma: k = " + std::to_string(k) + " must be a multiple of 32 with 16-byte aligned rows");
  const int ck = gemm_mma_chunk(k);
  if (ck == 64) {
    if (split) launch_tiles<64, true>(x, m, k, w, n, y, s, nt, mt);
    else launch_tiles<64, false>(x, m, k, w, n, y, s, nt, mt);
  } else {
    if (split) launch_tiles<32, true>(x, m, k, w, n, y, s, nt, mt);
    else launch_tiles<32, false>(x, m, k, w, n, y, s, nt, mt);
  }
  check_launch("gemm_mma (tiled)");
}

namespace {
void check_product(const char* what, int k, const bf16* w, const float* x) {
  if (!gemm_mma_supports(k) || (reinterpret_cast<uintptr_t>(w) & 15) || (reinterpret_cast<uintptr_t>(x) & 15))
    throw Error(std::string(what) + ": k = " + std::to_string(k) + " must be a multiple of 32 with 16-byte aligned rows");
}

// The folded forms' own conditions (see gemm_mma_folds).
void check_folded(const char* what, int m, int k, const GemmNorm* norm) {
  if (!gemm_mma_folds(k))
    throw Error(std::string(what) + ": folded inputs and adds take k a multiple of 64, not " + std::to_string(k));
  if (m > kGemmMmaMaxTokens)
    throw Error(std::string(what) + ": steps of at most " + std::to_string(kGemmMmaMaxTokens) + " tokens");
  if (norm && (!norm->weight || (reinterpret_cast<uintptr_t>(norm->weight) & 7)))
    throw Error(std::string(what) + ": the RMSNorm input needs 8-byte aligned norm weights");
}

template <int PAIR, int IN, bool ADD>
void launch_split(const float* x, bool split, int m, int k, const bf16* w, int n, float* y, const Extras& e,
                  cudaStream_t s) {
  if constexpr (IN == kInPlain && !ADD) {
    if (gemm_mma_chunk(k) != 64) {
      if (split) launch_tiles<32, true, PAIR>(x, m, k, w, n, y, s, 0, 0, e);
      else launch_tiles<32, false, PAIR>(x, m, k, w, n, y, s, 0, 0, e);
      return;
    }
  }
  if (split) launch_tiles<64, true, PAIR, IN, ADD>(x, m, k, w, n, y, s, 0, 0, e);
  else launch_tiles<64, false, PAIR, IN, ADD>(x, m, k, w, n, y, s, 0, 0, e);
}

template <int PAIR>
void launch_paired(const float* x, bool split, int m, int k, const bf16* w, int n, float* y, Extras e,
                   const GemmNorm* norm, cudaStream_t s) {
  if (norm) {
    check_folded("gemm_mma (paired)", m, k, norm);
    e.norm = norm->weight;
    e.eps = norm->eps;
    launch_split<PAIR, kInRmsNorm, false>(x, split, m, k, w, n, y, e, s);
  } else {
    launch_split<PAIR, kInPlain, false>(x, split, m, k, w, n, y, e, s);
  }
}
}  // namespace

void launch_gemm_mma_swiglu(const float* x, bool split, int m, int k, const bf16* w, int n, float* y, cudaStream_t s,
                            const GemmNorm* norm) {
  if (m <= 0 || n <= 0) return;
  check_product("gemm_mma (SwiGLU)", k, w, x);
  if (n % 16 != 0) throw Error("gemm_mma (SwiGLU): the gate/up rows (" + std::to_string(n) + ") must be a multiple of 16");
  if (m > kGemmEpilogueMaxTokens || (n + 15) / 16 > 65535) throw Error("gemm_mma (SwiGLU): step or product too large");
  launch_paired<kPairSwiGlu>(x, split, m, k, w, n, y, Extras{}, norm, s);
  check_launch("gemm_mma (SwiGLU)");
}

void launch_gemm_mma_qkv_rope(const float* x, bool split, int m, int k, const bf16* w, const QkvRopeArgs& a,
                              cudaStream_t s, const GemmNorm* norm) {
  if (m <= 0) return;
  check_product("gemm_mma (q/k/v)", k, w, x);
  if (a.heads <= 0 || a.kv_heads <= 0 || a.head_dim <= 0 || a.head_dim % 16 != 0 || !a.rope || !a.q || !a.kv.k ||
      !a.kv.v || !a.kv.block_table || a.kv.block_size <= 0)
    throw Error("gemm_mma (q/k/v): needs heads, a head_dim that is a multiple of 16, the rotation table, q and the cache");
  const int n = (a.heads + 2 * a.kv_heads) * a.head_dim;
  if (m > kGemmEpilogueMaxTokens || (n + 15) / 16 > 65535) throw Error("gemm_mma (q/k/v): step or product too large");
  Extras e;
  e.ep = a;
  launch_paired<kPairQkvRope>(x, split, m, k, w, n, nullptr, e, norm, s);
  check_launch("gemm_mma (q/k/v)");
}

void launch_gemm_mma_fused(const float* x, bool split, int m, int k, const bf16* w, int n, float* y,
                           const GemmFusion& fusion, cudaStream_t s) {
  if (m <= 0 || n <= 0) return;
  check_product("gemm_mma (fused)", k, w, x);
  const bool norm = fusion.input == GemmInput::RmsNorm;
  const GemmNorm gn{fusion.norm, fusion.eps};
  check_folded("gemm_mma (fused)", m, k, norm ? &gn : nullptr);
  if (norm && fusion.add_into_y) throw Error("gemm_mma: an RMSNorm input with an added output is not a step of the decoder");
  if ((n + 15) / 16 > 65535) throw Error("gemm_mma: too many output rows (" + std::to_string(n) + ")");
  Extras e;
  e.norm = fusion.norm;
  e.eps = fusion.eps;
  e.y_settled = fusion.add_into_y && fusion.y_settled;
  if (norm) launch_split<kPairNone, kInRmsNorm, false>(x, split, m, k, w, n, y, e, s);
  else if (fusion.add_into_y) launch_split<kPairNone, kInPlain, true>(x, split, m, k, w, n, y, e, s);
  else launch_split<kPairNone, kInPlain, false>(x, split, m, k, w, n, y, e, s);
  check_launch("gemm_mma (fused)");
}

}  // namespace stride::cuda
