#include "kernels/gemm_wgmma.cuh"
#include "kernels/cp_async.cuh"

#include <cooperative_groups.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace stride::cuda {
namespace {

constexpr int kTok = 64;    // tokens per block: the wgmma's M (activations, from registers)
constexpr int kRows = 64;   // weight rows per block: the wgmma's N (weights, from shared memory)
constexpr int kChunk = 64;  // gemm_mma's 64-wide k chunk
constexpr int kChains = 8;  // gemm_mma's k-split warps: chunk c of a slice belongs to chain c % 8
constexpr int kWBytes = kRows * kChunk * 2;            // a chunk's weights
constexpr int kXStride = kChunk * 4 + 16;               // a token's activations of a chunk, padded
constexpr int kStageBytes = kWBytes + kTok * kXStride;  // 25.6 KB
// Stages: 4 (two blocks per SM). Measured on the H100, 7B step ms at M = 17 / 64 / 128: 4 stages
// 15.0 / 17.2 / 29.5, 8 stages with one block per SM 14.0 / 17.5 / 36.0, two warpgroups per block
// sharing 6 stages 16.5 / 22.0 / 33.3.
constexpr int kStages = 4;
constexpr int kThreads = 128;  // one warpgroup

// Chain walked at position p: 0 4 2 6 1 5 3 7 (3-bit reversal), the leaf order of gemm_mma's tree,
// so that each finished pair of partial sums can be added at once (at most four live).
__host__ __device__ constexpr int chain_at(int p) { return ((p & 1) << 2) | (p & 2) | ((p >> 2) & 1); }
static_assert(chain_at(0) == 0 && chain_at(1) == 4 && chain_at(2) == 2 && chain_at(3) == 6 && chain_at(4) == 1 &&
                  chain_at(7) == 7,
              "the walk visits the tree's leaves in order");

#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define STRIDE_WGMMA_DEVICE 1

// cp.async writes through the generic proxy; wgmma reads shared memory through the async proxy.
__device__ __forceinline__ void fence_async_shared() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}
// Keeps the compiler from moving reads or writes of r across the asynchronous wgmma.
__device__ __forceinline__ void hold(float& r) { asm volatile("" : "+f"(r)::"memory"); }
__device__ __forceinline__ void hold(uint32_t& r) { asm volatile("" : "+r"(r)::"memory"); }

// Shared-memory matrix descriptor, no swizzle: 8 × 16-byte core matrices, `lbo` bytes apart along
// k, `sbo` bytes apart along the rows.
__device__ __forceinline__ uint64_t smem_desc(uint32_t addr, uint32_t lbo, uint32_t sbo) {
  return uint64_t((addr & 0x3FFFF) >> 4) | (uint64_t(lbo >> 4) << 16) | (uint64_t(sbo >> 4) << 32);
}

// d[64 tokens][64 rows] += a (registers, the activations) · b (shared memory, the weights).
__device__ __forceinline__ void wgmma_64x64(float (&d)[32], uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                                           uint64_t b) {
  asm volatile(
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
      "{%32, %33, %34, %35}, %36, 1, 1, 1, 0;\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]),
        "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]),
        "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]),
        "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
      : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "l"(b));
}

__device__ __forceinline__ uint32_t bf16x2_bits(__nv_bfloat162 h) { return *reinterpret_cast<uint32_t*>(&h); }

// The walk over a slice's chunks: chain chain_at(pos), chunk c (pos == kChains: done).
struct Cursor {
  int pos, c;
};
__device__ __forceinline__ Cursor walk_start(int lo, int hi) {
  Cursor u{0, lo};
  while (u.pos < kChains && u.c >= hi) u.c = lo + chain_at(++u.pos);
  return u;
}
__device__ __forceinline__ void walk_next(Cursor& u, int lo, int hi) {
  u.c += kChains;
  while (u.pos < kChains && u.c >= hi) {
    ++u.pos;
    u.c = lo + chain_at(u.pos);
  }
}
#endif

// Block: weight rows blockIdx.y·64 .., tokens blockIdx.x·64 .., k slice blockIdx.z (a cluster of
// gridDim.z blocks whose first adds the others' sums in slice order, as gemm_mma's).
//
// A stage holds one chunk: its weights (8 KB) and its 64 tokens' float32 activations (64 rows of
// 256 bytes, padded to kXStride against bank conflicts), both copied by cp.async, so neither the
// DRAM nor the L2 round trip sits between two chunks. The weights are four k groups of 2 KB, each
// in the no-swizzle layout of a wgmma operand: 8-row groups 256 bytes apart, two 16-byte core
// matrices per row group (slots 0-7 and 8-15). Piece (t, s) of a row (k = t·16 + 4s .. + 3, 8
// bytes) goes to group s, core matrix t / 2, bytes (t % 2)·8; each thread converts its
// activations into the same slots of its A registers (slots 2q, 2q + 1 of thread q of the quad:
// piece q / 2, elements 2·(q % 2) + 0, 1; slots 2q + 8, 2q + 9: piece 2 + q / 2).
template <bool SPLIT>
__global__ void __launch_bounds__(kThreads, 2)
    gemm_wgmma_kernel(const float* __restrict__ x, int m, int k, const bf16* __restrict__ w, int n,
                      float* __restrict__ y) {
#if defined(STRIDE_WGMMA_DEVICE)
  extern __shared__ __align__(128) uint8_t smem[];
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, g = lane >> 2, q = lane & 3;
  const int tok0 = blockIdx.x * kTok, row0 = blockIdx.y * kRows;
  const int slices = gridDim.z, slice = blockIdx.z, total = k / kChunk;
  const int lo = int(int64_t(slice) * total / slices), hi = int(int64_t(slice + 1) * total / slices);
  const uint32_t sbase = smem_addr(smem);

  // Copies: this thread takes weight piece pi = tid % 16 of rows tid / 16 + 8j and the 16-byte
  // part pi of the activations of tokens tid / 16 + 8j (j < 8) of each chunk.
  const int pi = tid & 15, pt = pi >> 2, ps = pi & 3, r0 = tid >> 4;
  const uint32_t wdst = ps * 2048 + (pt >> 1) * 128 + r0 * 16 + (pt & 1) * 8;
  const uint32_t xdst = kWBytes + r0 * kXStride + pi * 16;
  const bf16* wsrc = w + int64_t(min(row0 + r0, n - 1)) * k + pi * 4;
  const float* xsrc = x + int64_t(min(tok0 + r0, m - 1)) * k + pi * 4;
  const int rows_left = n - row0 - r0, toks_left = m - tok0 - r0;  // row / token j is there when 8j < left
  auto load_weights = [&](int c, int stage) {
    const uint32_t dst = sbase + stage * kStageBytes + wdst;
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const bool ok = 8 * j < rows_left;
      cp_async8(dst + j * 256, wsrc + (ok ? int64_t(8 * j) * k : 0) + int64_t(c) * kChunk, ok);
    }
  };
  auto load_activations = [&](int c, int stage) {
    const uint32_t dst = sbase + stage * kStageBytes + xdst;
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const bool ok = 8 * j < toks_left;
      cp_async16(dst + j * 8 * kXStride, xsrc + (ok ? int64_t(8 * j) * k : 0) + int64_t(c) * kChunk, ok);
    }
  };

  // Chunk i of the walk is in stage i % kStages. The first kStages - 2 chunks load before the loop;
  // chunk i + kStages - 2 loads at chunk i, into the stage of chunk i - 2, whose wgmma every warp
  // has seen finish before chunk i's barrier. The weights do not depend on the kernel before this
  // one (PDL): they start moving before the wait.
  Cursor load = walk_start(lo, hi);
  {
    Cursor pre = load;
#pragma unroll
    for (int st = 0; st < kStages - 2; ++st)
      if (pre.pos < kChains) {
        load_weights(pre.c, st);
        walk_next(pre, lo, hi);
      }
  }
  pdl_wait_then_release();
#pragma unroll
  for (int st = 0; st < kStages - 2; ++st) {
    if (load.pos < kChains) {
      load_activations(load.c, st);
      walk_next(load, lo, hi);
    }
    cp_async_commit();
  }
  int stage = 0, load_stage = kStages - 2;

  // This thread's tokens in the block: ta = 16·warp + g and ta + 8; its activation pairs of k
  // group s at t·16 + 4s + 2·(q % 2), t = q / 2 and 2 + q / 2.
  const int ta = 16 * warp + g;
  const uint32_t xa = kWBytes + ta * kXStride + ((q >> 1) * 16 + (q & 1) * 2) * 4, xb = xa + 8 * kXStride;
  using Frag = uint32_t[4][4];  // [group s][a0 (ta, first pair), a1 (tb, first), a2 (ta, second), a3 (tb, second)]
  Frag ah, al;
  auto chunk = [&](float (&acc)[32]) {
    cp_async_wait<kStages - 3>();
    fence_async_shared();
    __syncthreads();
    if (load.pos < kChains) {
      load_weights(load.c, load_stage);
      load_activations(load.c, load_stage);
      walk_next(load, lo, hi);
    }
    cp_async_commit();
    load_stage = load_stage + 1 == kStages ? 0 : load_stage + 1;
    const uint8_t* xs = smem + stage * kStageBytes;
#pragma unroll
    for (int s = 0; s < 4; ++s)
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        const float2 v = *reinterpret_cast<const float2*>(xs + ((r & 1) ? xb : xa) + ((r >> 1) * 32 + 4 * s) * 4);
        const __nv_bfloat162 h = __floats2bfloat162_rn(v.x, v.y);
        ah[s][r] = bf16x2_bits(h);
        if (SPLIT) {
          const float2 hf = __bfloat1622float2(h);
          al[s][r] = bf16x2_bits(__floats2bfloat162_rn(v.x - hf.x, v.y - hf.y));
        }
      }
    const uint32_t sw = sbase + stage * kStageBytes;
    wgmma_fence();
#pragma unroll
    for (int s = 0; s < 4; ++s) {
      const uint64_t b = smem_desc(sw + s * 2048, 128, 256);
      wgmma_64x64(acc, ah[s][0], ah[s][1], ah[s][2], ah[s][3], b);
      if (SPLIT) wgmma_64x64(acc, al[s][0], al[s][1], al[s][2], al[s][3], b);
    }
    wgmma_commit();
    // Waiting here keeps one A buffer (registers): the block's other warps and the SM's other block
    // fill the gap, and the weights keep streaming (kStages - 2 chunks ahead).
    wgmma_wait<0>();
#pragma unroll
    for (int i = 0; i < 32; ++i) hold(acc[i]);
#pragma unroll
    for (int s = 0; s < 4; ++s)
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        hold(ah[s][r]);
        if (SPLIT) hold(al[s][r]);
      }
    stage = stage + 1 == kStages ? 0 : stage + 1;
  };
  // The current chain accumulates in `cur`; when it ends, it joins the partial sums pa, pb, pc as
  // the tree ((0 + 4) + (2 + 6)) + ((1 + 5) + (3 + 7)) says, leaf by leaf in walk order. One copy
  // of the chunk code: the kernel fits the instruction cache (a form with each chain's code
  // unrolled stalled on instruction fetch ~40% of the time).
  float cur[32], pa[32], pb[32], pc[32];
  auto copy = [](float (&a)[32], const float (&b)[32]) {
#pragma unroll
    for (int i = 0; i < 32; ++i) a[i] = b[i];
  };
  auto add = [](float (&a)[32], const float (&b)[32]) {
#pragma unroll
    for (int i = 0; i < 32; ++i) a[i] += b[i];
  };
#pragma unroll
  for (int i = 0; i < 32; ++i) cur[i] = 0.f;
  Cursor use = walk_start(lo, hi);
  while (use.pos < kChains) {
    const int pos = use.pos;
    chunk(cur);
    walk_next(use, lo, hi);
    if (use.pos == pos) continue;
    // Chain chain_at(pos) is complete (every chain has chunks: the host asks for 8 per slice).
    switch (pos) {
      case 0: copy(pa, cur); break;                              // 0
      case 1: add(pa, cur); break;                               // 0 + 4
      case 2: copy(pb, cur); break;                              // 2
      case 3: add(pb, cur); add(pa, pb); break;                  // (0 + 4) + (2 + 6)
      case 4: copy(pb, cur); break;                              // 1
      case 5: add(pb, cur); break;                               // 1 + 5
      case 6: copy(pc, cur); break;                              // 3
      default: add(pc, cur); add(pb, pc); add(pa, pb); break;    // ... + ((1 + 5) + (3 + 7))
    }
#pragma unroll
    for (int i = 0; i < 32; ++i) cur[i] = 0.f;
  }

  if (slices > 1) {
    // The stages are free: this block's sums go there, the cluster's rank-0 block adds ranks 1, 2, ...
    namespace cg = cooperative_groups;
    cg::cluster_group cluster = cg::this_cluster();
    cp_async_wait<0>();
    __syncthreads();
    float* red = reinterpret_cast<float*>(smem);
#pragma unroll
    for (int i = 0; i < 32; ++i) red[i * kThreads + tid] = pa[i];
    cluster.sync();
    const bool lead = cluster.block_rank() == 0;
    if (lead) {
      for (int r = 1; r < slices; ++r) {
        const float* other = cluster.map_shared_rank(red, r);
#pragma unroll
        for (int i = 0; i < 32; ++i) pa[i] += other[i * kThreads + tid];
      }
    }
    cluster.sync();
    if (!lead) return;
  }
  // pa[nb·4 + e]: token ta (+ 8 for e >= 2), row nb·8 + 2q + (e & 1).
#pragma unroll
  for (int nb = 0; nb < 8; ++nb)
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int tok = tok0 + ta + (e >= 2 ? 8 : 0), r = row0 + nb * 8 + 2 * q + (e & 1);
      if (tok < m && r < n) y[int64_t(tok) * n + r] = pa[nb * 4 + e];
    }
#else
  __trap();  // the host launches it only where it was built for sm_90a (gemm_wgmma_supported)
#endif
}

}  // namespace

bool gemm_wgmma_supported() {
  static const bool ok = [] {
#if defined(STRIDE_CUDA_SM90A)
    int dev = 0, major = 0, minor = 0;
    if (cudaGetDevice(&dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) != cudaSuccess) {
      cudaGetLastError();
      return false;
    }
    return major == 9 && minor == 0;
#else
    return false;
#endif
  }();
  return ok;
}

bool gemm_wgmma_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("STRIDE_GEMM_WGMMA");
    return v && std::string(v) == "1" && gemm_wgmma_supported();
  }();
  return on;
}

int gemm_wgmma_min_tokens() {
  static const int t = [] {
    const char* v = std::getenv("STRIDE_GEMM_WGMMA_MIN");
    return v ? std::max(1, std::atoi(v)) : 17;
  }();
  return t;
}

void launch_gemm_wgmma(const float* x, bool split, int m, int k, const bf16* w, int n, float* y, int slices,
                       cudaStream_t s) {
  if (m <= 0 || n <= 0) return;
  if (k % kChunk != 0 || k / kChunk / slices < kChains || m > 128 || slices < 1 || slices > 8 || (n + kRows - 1) / kRows > 65535 ||
      (reinterpret_cast<uintptr_t>(w) & 15) || (reinterpret_cast<uintptr_t>(x) & 15))
    throw Error("gemm_wgmma: unsupported product (m = " + std::to_string(m) + ", k = " + std::to_string(k) +
                ", n = " + std::to_string(n) + ", slices = " + std::to_string(slices) + ")");
  const dim3 grid((m + kTok - 1) / kTok, (n + kRows - 1) / kRows, slices);
  const size_t smem = size_t(kStages) * kStageBytes;
  static const bool attrs = [] {
    cudaFuncSetAttribute(gemm_wgmma_kernel<true>, cudaFuncAttributeMaxDynamicSharedMemorySize, kStages * kStageBytes);
    cudaFuncSetAttribute(gemm_wgmma_kernel<false>, cudaFuncAttributeMaxDynamicSharedMemorySize, kStages * kStageBytes);
    return true;
  }();
  (void)attrs;
  launch_kernel_clustered("gemm_wgmma", true, slices, split ? gemm_wgmma_kernel<true> : gemm_wgmma_kernel<false>, grid,
                          kThreads, smem, s, x, m, k, w, n, y);
  check_launch("gemm_wgmma");
}

}  // namespace stride::cuda
