#include "kernels/attention_mma.cuh"

#include <algorithm>
#include <cfloat>
#include <cstdlib>
#include <string>

#include "kernels/attention_merge.cuh"
#include "kernels/cp_async.cuh"
#include "kernels/mma.cuh"

namespace stride::cuda {
namespace {

constexpr int kWarps = 4;   // warps per block
constexpr int kKeys = 16;   // key slots per warp: a chunk is kWarps × kKeys slots
constexpr int kChunk = kWarps * kKeys;
constexpr int kTile = 16;   // (row, head) pairs per block: the mma tile's rows
constexpr int kTicketRows = 8;  // launches of more rows merge their chunks in a kernel of their own

__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t addr, uint32_t& r0, uint32_t& r1, uint32_t& r2,
                                                  uint32_t& r3) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
               : "r"(addr));
}

// The XOR of q's 16-byte unit u of tile pair p in shared memory: the eight lanes of a 16-byte load
// phase (two pairs × four quad lanes, the same step) fall in eight different bank groups at D = 128.
template <int D>
__device__ __forceinline__ int q_swizzle(int p, int u) {
  return ((u / (D / 16)) + 4 * (p & 1)) & 7;
}

// Splits a and b into bf16 hi (rounded) and lo (the rest, rounded), one word each (a in the low half).
__device__ __forceinline__ void split_pair(float a, float b, uint32_t& hi, uint32_t& lo) {
  const __nv_bfloat162 h = __floats2bfloat162_rn(a, b);
  hi = *reinterpret_cast<const uint32_t*>(&h);
  const float2 f = __bfloat1622float2(h);
  lo = pack_bf16(a - f.x, b - f.y);
}

// The cache row offset of slot t's K (or V) for kv head kvh (block size a power of two).
template <int D>
__device__ __forceinline__ int64_t kv_slot_offset(const KvLayer& kv, int bshift, int kv_heads, int kvh, int t) {
  return (int64_t(kv.block_table[t >> bshift]) * kv.block_size + (t & (kv.block_size - 1))) * (int64_t(kv_heads) * D) +
         kvh * D;
}

// A lane's half of the K and V rows of virtual slot vs (cache offset `row`) into a group's shared
// rows at kbase (K, then V kKeys rows later): lane / 2 is the row, lane % 2 the half. Committed
// slots were written by earlier steps and move in the early round (before the PDL wait, overlapping
// the kernels before this one); this step's new tokens (the qkv_rope kernel just before) in the late
// one. Slots past `total` are zero-filled in the late round (P is 0 there, and 0 · V must be 0).
template <int D>
__device__ __forceinline__ void copy_kv_half_rows(const KvLayer& kv, int64_t row, uint32_t kbase, int vs, int total,
                                                  int cache_len, int lane, bool early) {
  constexpr int RU = D / 16, ROW = 2 * D + 16;  // 16-byte units per half row; shared bytes per row
  if (early != (vs < total && vs < cache_len)) return;
  const uint32_t dst = kbase + (lane >> 1) * ROW + (lane & 1) * RU * 16;
  const bf16 *ksrc = kv.k + row + (lane & 1) * RU * 8, *vsrc = kv.v + row + (lane & 1) * RU * 8;
#pragma unroll
  for (int u = 0; u < RU; ++u) {
    cp_async16(dst + u * 16, ksrc + u * 8, vs < total);
    cp_async16(dst + kKeys * ROW + u * 16, vsrc + u * 8, vs < total);
  }
}

// The pieces of a warp's work on one 16-key group that both kernels below run, so that the wide
// blocks' arithmetic is the one-block-per-tile kernel's by construction.
//
// q's fragments of k step s for tile rows g (x0, dims q·D/4 + 4s .. + 3) and g + 8 (x1), scaled and
// split into bf16 hi and lo.
__device__ __forceinline__ void q_fragments(float4 x0, float4 x1, float scale, uint32_t (&qh)[4], uint32_t (&ql)[4]) {
  const float4 x[2] = {x0, x1};
#pragma unroll
  for (int hh = 0; hh < 2; ++hh) {
    const float4 v = make_float4(x[hh].x * scale, x[hh].y * scale, x[hh].z * scale, x[hh].w * scale);
    split_pair(v.x, v.y, qh[hh], ql[hh]);          // k 2q, 2q + 1
    split_pair(v.z, v.w, qh[2 + hh], ql[2 + hh]);  // k 2q + 8, 2q + 9
  }
}

// k step s of the group's scores: sc[n] += q · K of keys 8n + g (the group's K rows at kbase, ROW
// bytes apart; dims q·D/4 + 4s .. + 3), q hi then lo.
template <int D>
__device__ __forceinline__ void score_step(float (&sc)[2][4], uint32_t kbase, int g, int q, int s,
                                           const uint32_t (&qh)[4], const uint32_t (&ql)[4]) {
  constexpr int ROW = 2 * D + 16;
#pragma unroll
  for (int n = 0; n < 2; ++n) {
    uint32_t b0, b1;
    asm volatile("ld.shared.v2.u32 {%0, %1}, [%2];\n"
                 : "=r"(b0), "=r"(b1)
                 : "r"(kbase + (8 * n + g) * ROW + q * (D / 4) * 2 + 8 * s));
    mma_bf16(sc[n], qh[0], qh[1], qh[2], qh[3], b0, b1);
    mma_bf16(sc[n], ql[0], ql[1], ql[2], ql[3], b0, b1);
  }
}

// Softmax state of a group whose first virtual slot is v0, per tile row (g, g + 8; ptotal: its key
// count): max and sum over the lane's four keys, then the quad's (xor 1, xor 2: every lane of the
// quad gets the same value); P as the A fragment of P·V (k = the group's 16 keys), hi then lo.
__device__ __forceinline__ void group_softmax(const float (&sc)[2][4], int v0, const int (&ptotal)[2], int q,
                                              float (&m)[2], float (&l)[2], uint32_t (&ph)[4], uint32_t (&pl)[4]) {
  bool ok[2][2][2];  // [tile row g, g + 8][n][e]: key 8n + 2q + e is one of the row's
#pragma unroll
  for (int hh = 0; hh < 2; ++hh)
#pragma unroll
    for (int n = 0; n < 2; ++n)
#pragma unroll
      for (int e = 0; e < 2; ++e) ok[hh][n][e] = v0 + 8 * n + 2 * q + e < ptotal[hh];
#pragma unroll
  for (int hh = 0; hh < 2; ++hh) {
    m[hh] = -FLT_MAX;
#pragma unroll
    for (int n = 0; n < 2; ++n)
#pragma unroll
      for (int e = 0; e < 2; ++e)
        if (ok[hh][n][e]) m[hh] = fmaxf(m[hh], sc[n][2 * hh + e]);
    m[hh] = fmaxf(m[hh], __shfl_xor_sync(0xffffffffu, m[hh], 1));
    m[hh] = fmaxf(m[hh], __shfl_xor_sync(0xffffffffu, m[hh], 2));
  }
  float pr[2][4];
#pragma unroll
  for (int n = 0; n < 2; ++n)
#pragma unroll
    for (int v = 0; v < 4; ++v) pr[n][v] = ok[v >> 1][n][v & 1] ? __expf(sc[n][v] - m[v >> 1]) : 0.f;
#pragma unroll
  for (int hh = 0; hh < 2; ++hh) {
    l[hh] = (pr[0][2 * hh] + pr[0][2 * hh + 1]) + (pr[1][2 * hh] + pr[1][2 * hh + 1]);
    l[hh] += __shfl_xor_sync(0xffffffffu, l[hh], 1);
    l[hh] += __shfl_xor_sync(0xffffffffu, l[hh], 2);
  }
  split_pair(pr[0][0], pr[0][1], ph[0], pl[0]);  // head g, keys 2q, 2q + 1
  split_pair(pr[0][2], pr[0][3], ph[1], pl[1]);  // head g + 8
  split_pair(pr[1][0], pr[1][1], ph[2], pl[2]);  // head g, keys 8 + 2q, 8 + 2q + 1
  split_pair(pr[1][2], pr[1][3], ph[3], pl[3]);  // head g + 8
}

// Dims 16j .. 16j + 15 of a group's P·V: o0 (dims + 0..7) and o1 (+ 8..15) += P · V, V's B fragments
// by a transposing load at vaddr (matrices keys 0-7 | 8-15 × dims + 0..7 | + 8..15), P hi then lo.
__device__ __forceinline__ void pv_step(float (&o0)[4], float (&o1)[4], uint32_t vaddr, const uint32_t (&ph)[4],
                                        const uint32_t (&pl)[4]) {
  uint32_t b00, b01, b10, b11;
  ldmatrix_x4_trans(vaddr, b00, b01, b10, b11);
  mma_bf16(o0, ph[0], ph[1], ph[2], ph[3], b00, b01);
  mma_bf16(o0, pl[0], pl[1], pl[2], pl[3], b00, b01);
  mma_bf16(o1, ph[0], ph[1], ph[2], ph[3], b10, b11);
  mma_bf16(o1, pl[0], pl[1], pl[2], pl[3], b10, b11);
}

// The groups' merge weights per tile row: the maximum over the groups with keys (l > 0), each
// group's weight exp(m_w - max), and the sum Σ l_w · weight in increasing w.
__device__ __forceinline__ void merge_weights(const float (&m)[kWarps][2], const float (&l)[kWarps][2], float (&gm)[2],
                                              float (&gl)[2], float (&cw)[kWarps][2]) {
#pragma unroll
  for (int hh = 0; hh < 2; ++hh) {
    gm[hh] = -FLT_MAX;
    gl[hh] = 0.f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w)
      if (l[w][hh] > 0.f) gm[hh] = fmaxf(gm[hh], m[w][hh]);
#pragma unroll
    for (int w = 0; w < kWarps; ++w) {
      cw[w][hh] = l[w][hh] > 0.f ? __expf(m[w][hh] - gm[hh]) : 0.f;
      if (l[w][hh] > 0.f) gl[hh] = fmaf(l[w][hh], cw[w][hh], gl[hh]);
    }
  }
}

// out += a group's output fragment o (rows g: o[0..1], g + 8: o[2..3]) weighted by its cw, for the
// rows where the group has keys.
__device__ __forceinline__ void fold_group(float (&out)[4], float4 o, const float (&cw)[2], const float (&l)[2]) {
  if (l[0] > 0.f) {
    out[0] = fmaf(o.x, cw[0], out[0]);
    out[1] = fmaf(o.y, cw[0], out[1]);
  }
  if (l[1] > 0.f) {
    out[2] = fmaf(o.z, cw[1], out[2]);
    out[3] = fmaf(o.w, cw[1], out[3]);
  }
}

// The lane's tile rows g and g + 8 of tile rt (R rows × gn heads from h0): their query row, head and
// key count (0: no such row). A masked launch's row sees the block's `total` (R is 1 there).
__device__ __forceinline__ void tile_pairs(const AttentionArgs& a, int rt, int R, int per_tile, int h0, int gn, int g,
                                           int cache_len, int total, int (&prow)[2], int (&phead)[2],
                                           int (&ptotal)[2]) {
#pragma unroll
  for (int hh = 0; hh < 2; ++hh) {
    const int p = g + 8 * hh, rr = rt * R + p / per_tile;
    phead[hh] = h0 + p % per_tile;
    prow[hh] = rr;
    const bool on = p / per_tile < R && rr < a.rows && p % per_tile < gn;
    ptotal[hh] = !on ? 0 : a.mask ? total : cache_len + min(a.key_limit, a.first_row + rr + 1);
  }
}

// Block (chunk c, query rows rt·R .. rt·R + R - 1, z = kv head × head tile): query heads h0 .. h0 +
// gn - 1 of kv head kvh for each of its R rows; tile row p (< 16) is row rt·R + p / per_tile, head
// h0 + p % per_tile. R > 1 only without a mask (every row walks the same slots, each up to its own
// key count). Warp w takes the chunk's virtual slots c·64 + 16w .. + 15:
//   S = q·Kᵀ (16 tile rows × 16 keys; k steps of 16 dims, q as hi then lo), masked to each row's keys;
//   m = max S per tile row, p = exp(S - m), l = Σ p, O = P·V (P as hi then lo);
// then the four warps merge the warps' states in warp order (as attention.cu's blocks do), each
// for a quarter of the output columns, and write the chunk's partial per (row, head). Lane (g, q) holds tile rows g and g + 8; in the score product it holds dims
// q·D/4 .. q·D/4 + D/4 - 1 of its two keys (g and 8 + g) and of its heads' q, step s taking dims
// q·D/4 + 4s + {0, 1} as k {2q, 2q + 1} and + {2, 3} as k {2q + 8, 2q + 9} (each lane's bytes
// contiguous; q and K use the same map, so each score is a plain dot product).
template <int D>
__global__ void __launch_bounds__(kWarps * 32, 4) attention_mma_kernel(AttentionArgs a, KvLayer kv, int per_tile,
                                                                           int rows_per_tile) {
  constexpr int QD = D / 4;          // dims per quad lane
  constexpr int S = D / 16;          // k steps of the score product
  constexpr int ROW = 2 * D + 16;    // bytes per K or V row in shared memory: padded, conflict-free ldmatrix
  const int c = blockIdx.x, rt = blockIdx.y, R = rows_per_tile;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, q = lane & 3;
  const int group = a.heads / a.kv_heads, tiles = (group + per_tile - 1) / per_tile;
  const int kvh = blockIdx.z / tiles, h0 = kvh * group + (blockIdx.z % tiles) * per_tile;
  const int gn = min(per_tile, kvh * group + group - h0);
  // Before pdl_wait: the committed length, the mask and the block table, uploaded before the step.
  const int cache_len = a.cache_len_dev ? *a.cache_len_dev : a.cache_len;
  __shared__ int16_t s_keys[kMaxMaskedKeys];
  // The block's slots: those of its last row (with a mask R is 1 and the row's list is built here).
  const int total = cache_len + visible_new_keys(a, a.first_row + min(a.rows - 1, rt * R + R - 1), s_keys);
  int prow[2], phead[2], ptotal[2];
  tile_pairs(a, rt, R, per_tile, h0, gn, g, cache_len, total, prow, phead, ptotal);
  const int c0 = c * kChunk;
  // Each warp's K rows then V rows; once the warp's products are done, its output fragments for the
  // merge (warps 1..3) take their place.
  static_assert(sizeof(float4) * (D / 8) * 32 <= 2 * kKeys * ROW, "a warp's output fits its K/V rows");
  __shared__ __align__(16) uint8_t s_kv[kWarps][2 * kKeys * ROW];
  __shared__ float s_m[kWarps][kTile], s_l[kWarps][kTile];

  if (c0 >= total) {  // the merge never reads chunks past the row's keys
    pdl_wait_then_release();
    merge_if_last<D / 32>(a, rt, h0, gn, total);  // R is 1 where tickets are given
    return;
  }
  const int v0 = c0 + warp * kKeys;  // the warp's first virtual slot
  const bool any = v0 < total;       // the warp's slots are contiguous: some are keys iff the first is
  const int bshift = __ffs(kv.block_size) - 1;  // a power of two (launch_attention checks)
  // This lane's K and V row to copy: virtual slot v0 + lane / 2. Committed slots are themselves, a
  // new token of rank vt - cache_len is the one the row's mask lists.
  const int vs = v0 + (lane >> 1);
  const int64_t row =
      vs >= total ? 0
                  : kv_slot_offset<D>(kv, bshift, a.kv_heads, kvh,
                                      vs < cache_len || !a.mask ? vs : cache_len + s_keys[vs - cache_len]);
  const uint32_t kbase = smem_addr(s_kv[warp]), vbase_w = kbase + kKeys * ROW;
  auto load = [&](bool early) { copy_kv_half_rows<D>(kv, row, kbase, vs, total, cache_len, lane, early); };
  if (any) load(true);
  pdl_wait_then_release();
  if (any) load(false);
  cp_async_commit();
  cp_async_wait<0>();
  __syncwarp();

  float m[2] = {-FLT_MAX, -FLT_MAX}, l[2] = {0.f, 0.f};
  float o[D / 8][4];  // zeroed where first needed: not live across the score product
  if (any) {
    const float4* src[2];
    bool on[2];
#pragma unroll
    for (int hh = 0; hh < 2; ++hh) {
      on[hh] = ptotal[hh] > 0;
      src[hh] = reinterpret_cast<const float4*>(a.q + (int64_t(on[hh] ? prow[hh] : 0) * a.heads + phead[hh]) * D + q * QD);
    }
    // Scores: sc[n] = tile rows (g, g, g + 8, g + 8) × keys (8n + 2q, 8n + 2q + 1, 8n + 2q, 8n + 2q + 1),
    // each accumulated over k steps s = 0, 1, .. (q hi, then lo). A step's q fragments are made as
    // they are needed (fewer registers than all of a row's at once).
    float sc[2][4] = {};
#pragma unroll
    for (int s = 0; s < S; ++s) {
      uint32_t qh[4], ql[4];
      const float4 zero = make_float4(0.f, 0.f, 0.f, 0.f);
      q_fragments(on[0] ? src[0][s] : zero, on[1] ? src[1][s] : zero, a.scale, qh, ql);
      score_step<D>(sc, kbase, g, q, s, qh, ql);
    }
    uint32_t ph[4], pl[4];
    group_softmax(sc, v0, ptotal, q, m, l, ph, pl);
#pragma unroll
    for (int j = 0; j < D / 8; ++j) o[j][0] = o[j][1] = o[j][2] = o[j][3] = 0.f;
    const uint32_t vbase = vbase_w + ((lane & 7) + ((lane >> 3) & 1) * 8) * ROW + (lane >> 4) * 16;
#pragma unroll
    for (int j = 0; j < D / 16; ++j) pv_step(o[2 * j], o[2 * j + 1], vbase + j * 32, ph, pl);
  } else {
#pragma unroll
    for (int j = 0; j < D / 8; ++j) o[j][0] = o[j][1] = o[j][2] = o[j][3] = 0.f;
  }
  // Every warp leaves its state in shared memory (a warp without keys: l = 0, skipped in the merge);
  // its output fragments take the place of its K/V rows, in fragment order (no bank conflicts).
  if (q == 0) {
    s_m[warp][g] = m[0], s_l[warp][g] = l[0];
    s_m[warp][g + 8] = m[1], s_l[warp][g + 8] = l[1];
  }
  __syncwarp();  // the warp's K/V reads are done
#pragma unroll
  for (int j = 0; j < D / 8; ++j)
    reinterpret_cast<float4*>(s_kv[warp])[j * 32 + lane] = make_float4(o[j][0], o[j][1], o[j][2], o[j][3]);
  __syncthreads();
  // The merge in warp order, as attention.cu merges its warps: the maximum over the warps with keys,
  // then each warp's sum and output scaled by exp(m_w - max), added in increasing w. Warp v merges
  // the output columns of n-tiles v·D/32 .. (v + 1)·D/32 - 1 (every warp computes the same weights).
  float wm[kWarps][2], wl[kWarps][2], gm[2], gl[2], cw[kWarps][2];
#pragma unroll
  for (int w = 0; w < kWarps; ++w)
#pragma unroll
    for (int hh = 0; hh < 2; ++hh) wm[w][hh] = s_m[w][g + 8 * hh], wl[w][hh] = s_l[w][g + 8 * hh];
  merge_weights(wm, wl, gm, gl, cw);
  constexpr int J = D / 32;  // n-tiles per merging warp
  float out[J][4] = {};
#pragma unroll
  for (int w = 0; w < kWarps; ++w)
#pragma unroll
    for (int jj = 0; jj < J; ++jj)
      fold_group(out[jj], reinterpret_cast<const float4*>(s_kv[w])[(warp * J + jj) * 32 + lane], cw[w], wl[w]);
#pragma unroll
  for (int hh = 0; hh < 2; ++hh) {
    if (c0 >= ptotal[hh]) continue;  // no such row, or the chunk is past its keys
    float* part = a.partials + ((int64_t(prow[hh]) * a.heads + phead[hh]) * a.splits + c) * attention_partial_stride(D);
#pragma unroll
    for (int jj = 0; jj < J; ++jj)
      *reinterpret_cast<float2*>(part + kPartialHead + 8 * (warp * J + jj) + 2 * q) = make_float2(out[jj][2 * hh], out[jj][2 * hh + 1]);
    if (warp == 0 && q == 0) {
      part[0] = gm[hh];
      part[1] = gl[hh];
    }
  }
  merge_if_last<D / 32>(a, rt, h0, gn, total);
}


// Wide blocks, for launches of many rows without a mask: the kWarps tiles of a block (warp w takes
// tile blockIdx.y·kWarps + w, R rows × gn heads of kv head kvh) share one chunk's K/V in shared
// memory, and each warp walks all four 16-slot groups of the chunk for its own tile. Group by group
// its arithmetic is attention_mma_kernel's warp's (the same scores, softmax and P·V from zero, in the
// same lanes), and the groups are merged as that kernel merges its warps (in group order, the same
// fmaf chain), so every pair's partial is bit-identical to the one-warp-per-group kernel's: the
// chunk's K/V are loaded once per four tiles instead of once per tile, and the block-wide merge
// through shared memory is gone. q comes through shared memory with the late K/V (one round trip).
constexpr int kWideColumns = 32;  // output columns per P·V pass (registers: the accumulators of one pass)
// Launches of at least this many rows without a mask take the wide blocks. H100, 7B step ms, one
// block per tile / wide: M = 9 7.39 / 7.43, 16 7.57 / 7.55, 32 7.37 / 7.30, 64 8.06 / 7.74 (before
// the aligned partials), 128 13.30 / 12.70.
constexpr int kWideRows = 16;

template <int D>
constexpr size_t wide_smem_bytes() {
  return size_t(kWarps) * 2 * kKeys * (2 * D + 16) + size_t(kWarps) * kTile * D * sizeof(float);
}

template <int D>
__global__ void __launch_bounds__(kWarps * 32, 2) attention_mma_wide_kernel(AttentionArgs a, KvLayer kv, int per_tile,
                                                                            int rows_per_tile) {
  constexpr int QD = D / 4, S = D / 16, ROW = 2 * D + 16, DC = kWideColumns;
  static_assert(D % DC == 0, "whole passes");
  extern __shared__ __align__(16) uint8_t s_dyn[];
  const uint32_t s_kv = smem_addr(s_dyn);  // group w's K rows at w·2·kKeys·ROW, then its V rows
  float* s_q = reinterpret_cast<float*>(s_dyn + kWarps * 2 * kKeys * ROW);  // each warp's tile's q rows
  const int c = blockIdx.x, R = rows_per_tile;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, q = lane & 3;
  const int group = a.heads / a.kv_heads, tiles = (group + per_tile - 1) / per_tile;
  const int kvh = blockIdx.z / tiles, h0 = kvh * group + (blockIdx.z % tiles) * per_tile;
  const int gn = min(per_tile, kvh * group + group - h0);
  const int rt = blockIdx.y * kWarps + warp;
  const int cache_len = a.cache_len_dev ? *a.cache_len_dev : a.cache_len;
  // The block's slots: those of its last row (no mask: every row walks the same slots).
  const int last = min(a.rows - 1, (blockIdx.y + 1) * kWarps * R - 1);
  const int total = cache_len + min(a.key_limit, a.first_row + last + 1);
  int prow[2], phead[2], ptotal[2];
  tile_pairs(a, rt, R, per_tile, h0, gn, g, cache_len, total, prow, phead, ptotal);
  const int c0 = c * kChunk;
  if (c0 >= total) {
    pdl_wait_then_release();
    return;
  }
  // Warp w copies group w's K/V rows (slot c0 + 16w + lane / 2, half a row per lane), as the narrow
  // kernel's warp w does; committed slots before the PDL wait, this step's tokens after it.
  const int vs = c0 + warp * kKeys + (lane >> 1);
  const int64_t row = vs < total ? kv_slot_offset<D>(kv, __ffs(kv.block_size) - 1, a.kv_heads, kvh, vs) : 0;
  const uint32_t kbase = s_kv + warp * 2 * kKeys * ROW;
  auto load = [&](bool early) { copy_kv_half_rows<D>(kv, row, kbase, vs, total, cache_len, lane, early); };
  load(true);
  pdl_wait_then_release();
  load(false);
  // The warp's tile's q rows: unit u of pair p at u ^ q_swizzle(p, u). Lane p < 16 finds pair p's
  // row (-1: no such pair), then the warp copies a pair per round (no division in the loop).
  float* sq = s_q + warp * kTile * D;
  int qoff = -1;
  if (lane < kTile) {
    const int rr = rt * R + lane / per_tile;
    if (lane / per_tile < R && rr < a.rows && lane % per_tile < gn) qoff = (rr * a.heads + h0 + lane % per_tile) * D;
  }
#pragma unroll
  for (int p = 0; p < kTile; ++p) {
    const int off = __shfl_sync(0xffffffffu, qoff, p);
    if (lane < D / 4)
      cp_async16(smem_addr(sq + p * D + 4 * (lane ^ q_swizzle<D>(p, lane))), a.q + max(off, 0) + 4 * lane, off >= 0);
  }
  cp_async_commit();
  cp_async_wait<0>();
  __syncthreads();
  if (rt * R >= a.rows) return;  // a tile past the launch's rows (after the block's last barrier)

  // Scores of the four groups: sc[w] as the one-block-per-tile kernel's warp w holds them.
  const bool on[2] = {ptotal[0] > 0, ptotal[1] > 0};
  float sc[kWarps][2][4] = {};
#pragma unroll
  for (int s = 0; s < S; ++s) {
    float4 x[2];
#pragma unroll
    for (int hh = 0; hh < 2; ++hh) {
      const int p = g + 8 * hh, u = q * (QD / 4) + s;
      x[hh] = on[hh] ? *reinterpret_cast<const float4*>(sq + p * D + 4 * (u ^ q_swizzle<D>(p, u)))
                     : make_float4(0.f, 0.f, 0.f, 0.f);
    }
    uint32_t qh[4], ql[4];
    q_fragments(x[0], x[1], a.scale, qh, ql);
#pragma unroll
    for (int w = 0; w < kWarps; ++w) score_step<D>(sc[w], s_kv + w * 2 * kKeys * ROW, g, q, s, qh, ql);
  }
  float m[kWarps][2], l[kWarps][2], gm[2], gl[2], cw[kWarps][2];
  uint32_t ph[kWarps][4], pl[kWarps][4];
#pragma unroll
  for (int w = 0; w < kWarps; ++w) group_softmax(sc[w], c0 + w * kKeys, ptotal, q, m[w], l[w], ph[w], pl[w]);
  merge_weights(m, l, gm, gl, cw);
  float* part[2];
#pragma unroll
  for (int hh = 0; hh < 2; ++hh)
    part[hh] = a.partials + ((int64_t(prow[hh]) * a.heads + phead[hh]) * a.splits + c) * attention_partial_stride(D);
  // P·V in passes of DC columns: each group's product from zero, then folded into the pass's output
  // in group order.
  const uint32_t voff = kKeys * ROW + ((lane & 7) + ((lane >> 3) & 1) * 8) * ROW + (lane >> 4) * 16;
#pragma unroll
  for (int cb = 0; cb < D / DC; ++cb) {
    float out[DC / 8][4] = {};
#pragma unroll
    for (int w = 0; w < kWarps; ++w) {
      float o[DC / 8][4] = {};
#pragma unroll
      for (int j2 = 0; j2 < DC / 16; ++j2)
        pv_step(o[2 * j2], o[2 * j2 + 1], s_kv + w * 2 * kKeys * ROW + voff + (cb * (DC / 16) + j2) * 32, ph[w], pl[w]);
#pragma unroll
      for (int jj = 0; jj < DC / 8; ++jj) fold_group(out[jj], make_float4(o[jj][0], o[jj][1], o[jj][2], o[jj][3]), cw[w], l[w]);
    }
#pragma unroll
    for (int hh = 0; hh < 2; ++hh) {
      if (c0 >= ptotal[hh]) continue;
#pragma unroll
      for (int jj = 0; jj < DC / 8; ++jj)
        *reinterpret_cast<float2*>(part[hh] + kPartialHead + 8 * (cb * (DC / 8) + jj) + 2 * q) =
            make_float2(out[jj][2 * hh], out[jj][2 * hh + 1]);
    }
  }
#pragma unroll
  for (int hh = 0; hh < 2; ++hh)
    if (q == 0 && c0 < ptotal[hh]) {
      part[hh][0] = gm[hh];
      part[hh][1] = gl[hh];
    }
}

template <int D>
void launch_d(const AttentionArgs& given, KvLayer kv, cudaStream_t s) {
  // The chunks' merge: by each row's last chunk block (tickets) for launches of up to 8 rows, by a
  // kernel of its own for more (measured, H100 step ms, tickets / merge kernel: 7B M=1 5.69 / 5.72,
  // M=16 8.10 / 7.98, M=64 8.22 / 8.13; 1.5B M=8 2.02 / 2.06, M=64 5.82 / 5.73). Same arithmetic.
  AttentionArgs a = given;
  if (a.rows > kTicketRows) a.tickets = nullptr;
  if (!a.mask && a.rows >= kWideRows) {
    // Wide blocks: whole head groups per tile where they fit (tiles never mix kv heads), as many rows
    // as fill the tile's 16 pairs.
    const int group = a.heads / a.kv_heads, per_tile = (group + (group + kTile - 1) / kTile - 1) / ((group + kTile - 1) / kTile);
    const int rows_per_tile = std::max(1, kTile / per_tile), tiles = (a.rows + rows_per_tile - 1) / rows_per_tile;
    constexpr size_t smem = wide_smem_bytes<D>();
    static const cudaError_t attr =
        cudaFuncSetAttribute(attention_mma_wide_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem));
    if (attr != cudaSuccess) {
      cudaGetLastError();
      throw Error(std::string("attention mma (wide): shared memory of ") + std::to_string(smem) + " bytes refused: " +
                  cudaGetErrorString(attr));
    }
    launch_kernel("attention mma (wide)", true, attention_mma_wide_kernel<D>,
                  dim3(a.splits, (tiles + kWarps - 1) / kWarps, a.kv_heads * ((group + per_tile - 1) / per_tile)),
                  kWarps * 32, smem, s, a, kv, per_tile, rows_per_tile);
    launch_attention_merge<D / 32>(a, s);
    return;
  }
  // Heads per tile (heads_per_block): at a few rows fewer than the group, the tiles' unused rows
  // costing nothing that matters there (a one-token 7B decode: 4 kv heads × 9 chunks).
  const int group = a.heads / a.kv_heads, per_tile = heads_per_block(a, kTile);
  // Rows per tile: as many as fill its 16 rows where every row walks the same slots (no mask) and the
  // merge is a kernel of its own (a ticket belongs to one row); each then loads its K/V once for them.
  const int rows_per_tile = a.mask || a.tickets ? 1 : std::max(1, kTile / per_tile);
  launch_kernel("attention mma", true, attention_mma_kernel<D>,
                dim3(a.splits, (a.rows + rows_per_tile - 1) / rows_per_tile,
                     a.kv_heads * ((group + per_tile - 1) / per_tile)),
                kWarps * 32, 0, s, a, kv, per_tile, rows_per_tile);
  if (!a.tickets)
    launch_attention_merge<D / 32>(a, s);
}

}  // namespace

bool attention_mma_serves(const AttentionArgs& a) {
  static const bool on = [] {
    const char* v = std::getenv("STRIDE_CUDA_ATTENTION");
    if (!v || std::string(v) == "mma") return true;
    if (std::string(v) == "lanes") return false;
    throw Error("STRIDE_CUDA_ATTENTION must be mma or lanes, not '" + std::string(v) + "'");
  }();
  return on && a.chunk == kChunk && a.head_dim % 32 == 0 && a.head_dim >= 32 && a.head_dim <= 128;
}

void launch_attention_mma(const AttentionArgs& a, KvLayer kv, cudaStream_t s) {
  switch (a.head_dim) {
    case 32: launch_d<32>(a, kv, s); break;
    case 64: launch_d<64>(a, kv, s); break;
    case 96: launch_d<96>(a, kv, s); break;
    case 128: launch_d<128>(a, kv, s); break;
    default: throw Error("attention mma: head_dim " + std::to_string(a.head_dim) + " not served");
  }
}

}  // namespace stride::cuda
