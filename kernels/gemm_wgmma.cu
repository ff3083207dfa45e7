#include "kernels/gemm_wgmma.cuh"
#include "kernels/cp_async.cuh"
#include "kernels/wgmma_image.cuh"

#include <cooperative_groups.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

namespace stride::cuda {
namespace {

constexpr int kTok = kImageTokens;  // tokens per block: the wgmma's N (activations, from shared memory)
constexpr int kRows = 64;            // weight rows per block: the wgmma's M (weights, from shared memory)
constexpr int kChunk = kImageChunk;  // gemm_mma's 64-wide k chunk
constexpr int kChains = 8;           // gemm_mma's k-split warps: chunk c of a slice belongs to chain c % 8
constexpr int kWBytes = kRows * kChunk * 2;  // a chunk's weights (8 KB)
constexpr int kXBytes = kImageChunkBytes;    // a chunk's activations, bf16 hi then lo (16 KB)
constexpr int kStageBytes = kWBytes + kXBytes;
// Eight stages (192 KB, one block per SM): the weights of ~6 chunks in flight per SM.
constexpr int kStages = 8;
constexpr int kThreads = 384;  // a producer warpgroup and two consumer warpgroups
// The stages, then consumer 1's sums for consumer 0 (16 KB).
constexpr int kSmemBytes = kStages * kStageBytes + 32 * 128 * 4;

// The two operands' shared-memory layouts. Chunk element e of a row (k = chunk·64 + e) belongs to
// k group s = (e % 16) / 4 (gemm_mma's {t·16 + 4s + j}), and the mapping inside the group is
// gemm_mma's: thread quad lane q holds elements 16q + 4s + {0, 1} as its fragment's k {2q, 2q + 1}
// and 16q + 4s + {2, 3} as k {2q + 8, 2q + 9}.
//
// The weights (wgmma's A, read into registers by the consumers): rows of 128 bytes as in global
// memory, their eight 16-byte units swizzled (unit u of row r at u ^ (r % 8)) so that a warp's
// 16-byte reads of eight rows hit distinct banks. Lane q of a warp reads units 2q and 2q + 1 of its
// rows: all four k groups' fragments in two reads per row.
__host__ __device__ constexpr int weight_unit_offset(int r, int u) { return r * 128 + ((u ^ (r & 7)) << 4); }
// The activations (wgmma's B, from shared memory through a descriptor): wgmma_image.cuh.

// The activations of token tile tt, chunk c as two wgmma images (hi, then lo: x - hi, both rounded
// to bf16 exactly as gemm_mma splits them; `split` false: hi only, x rounded). Tokens past m are
// zeros. Thread: token tid / 4, elements 16t .. 16t + 15 of the chunk (t = tid % 4).
__global__ void __launch_bounds__(256) split_activations_kernel(const float* __restrict__ x, int m, int k, bool split,
                                                                uint8_t* __restrict__ img) {
  const int c = blockIdx.x, tt = blockIdx.y, tok = threadIdx.x >> 2, t = threadIdx.x & 3;
  const int row = tt * kTok + tok;
  pdl_wait_then_release();
  float4 v[4] = {};
  if (row < m) {
    const float4* src = reinterpret_cast<const float4*>(x + int64_t(row) * k + c * kChunk + t * 16);
#pragma unroll
    for (int q = 0; q < 4; ++q) v[q] = __ldg(src + q);
  }
  uint8_t* dst = img + (int64_t(tt) * (k / kChunk) + c) * kXBytes;
#pragma unroll
  for (int s = 0; s < 4; ++s) {
    uint32_t h01, h23, l01, l23;
    WgmmaImages::split_pair(v[s].x, v[s].y, h01, l01);
    WgmmaImages::split_pair(v[s].z, v[s].w, h23, l23);
    *reinterpret_cast<uint32_t*>(dst + image_word_offset(tok, s, 0, t)) = h01;
    *reinterpret_cast<uint32_t*>(dst + image_word_offset(tok, s, 1, t)) = h23;
    if (split) {
      *reinterpret_cast<uint32_t*>(dst + kXBytes / 2 + image_word_offset(tok, s, 0, t)) = l01;
      *reinterpret_cast<uint32_t*>(dst + kXBytes / 2 + image_word_offset(tok, s, 1, t)) = l23;
    }
  }
}

#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define STRIDE_WGMMA_DEVICE 1

__device__ __forceinline__ void mbar_init(uint32_t bar, int count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_wait(uint32_t bar, int parity) {
  asm volatile(
      "{\n .reg .pred p;\n WAIT:\n mbarrier.try_wait.parity.shared::cta.b64 p, [%0], %1;\n @p bra.uni DONE;\n"
      " bra.uni WAIT;\n DONE:\n }\n" ::"r"(bar),
      "r"(parity)
      : "memory");
}
__device__ __forceinline__ void mbar_arrive(uint32_t bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}
__device__ __forceinline__ void mbar_expect_bytes(uint32_t bar, int bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
}
// The barrier's phase completes only once all of this thread's earlier cp.async have landed.
__device__ __forceinline__ void cp_async_arrive(uint32_t bar) {
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" ::"r"(bar) : "memory");
}
__device__ __forceinline__ void bulk_copy(uint32_t dst, const void* src, int bytes, uint32_t bar) {
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::"r"(dst),
               "l"(src), "r"(bytes), "r"(bar)
               : "memory");
}
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}

// Shared-memory matrix descriptor of the activations, no swizzle: 8 × 16-byte core matrices 128 bytes
// apart along k, 8-token groups 256 bytes apart.
__device__ __forceinline__ uint64_t smem_desc(uint32_t addr) {
  return uint64_t((addr & 0x3FFFF) >> 4) | (uint64_t(128 >> 4) << 16) | (uint64_t(256 >> 4) << 32);
}

// d[64 rows][64 tokens] += a (the weights, this thread's fragment in registers) · b (the activations,
// from shared memory).
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
#endif

// Work items: (token tile of 64, block of 64 weight rows), the token tile fastest, so the items that
// read one row block's weights run side by side (the second read mostly hits L2). Block x takes
// items x, x + gridDim.x, ... (persistent: its producer streams the next item's first chunks while
// the consumers add and store the last one's sums); k slice blockIdx.z (gridDim.z > 1: a cluster of
// that many blocks, one item each, whose first adds the others' sums in slice order, as gemm_mma's).
//
// Warp-specialized: the producer warpgroup streams each chunk of the slice into a stage of an
// 8-stage ring (the weights by 16-byte cp.async of whole rows, which stay out of the L1, swizzled as
// weight_unit_offset says; the activations' two images, prepared by split_activations_kernel or the
// kernel that made them, by one bulk copy) and an mbarrier says when it has landed; consumer
// warpgroup j takes the chunks i of the
// slice with i % 2 == j, i.e. gemm_mma's chains j, j + 2, j + 4, j + 6, each in its own accumulator
// and in increasing order: it reads its weight fragments into registers (the wgmma's A, grouped as
// gemm_mma groups k) and runs the wgmma on the activation images in shared memory, one chunk's
// group in flight while the next is issued, and hands each stage back through a second mbarrier. Consumer j then adds its chains as gemm_mma's tree does, (j + (j + 4)) +
// ((j + 2) + (j + 6)), and consumer 0 adds consumer 1's sum: ((0 + 4) + (2 + 6)) + ((1 + 5) + (3 + 7)).
template <bool SPLIT>
__global__ void __launch_bounds__(kThreads, 1)
    gemm_wgmma_kernel(const uint8_t* __restrict__ img, int m, int k, const bf16* __restrict__ w, int n,
                      float* __restrict__ y, int tiles, int items) {
#if defined(STRIDE_WGMMA_DEVICE)
  extern __shared__ __align__(1024) uint8_t smem[];
  __shared__ __align__(8) uint64_t full[kStages], empty[kStages];
  const int tid = threadIdx.x, wg = tid >> 7, t = tid & 127;
  const int slices = gridDim.z, slice = blockIdx.z, total = k / kChunk;
  const int lo = int(int64_t(slice) * total / slices), hi = int(int64_t(slice + 1) * total / slices), count = hi - lo;
  const uint32_t sbase = smem_addr(smem);
  constexpr int kXCopy = SPLIT ? kXBytes : kXBytes / 2;
  if (tid == 0) {
    for (int st = 0; st < kStages; ++st) {
      mbar_init(smem_addr(&full[st]), 128 + 1);  // the producers' cp.async arrivals + the bulk copy's
      mbar_init(smem_addr(&empty[st]), 1);
    }
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
  }
  __syncthreads();

  // The block's chunks are numbered across its items: chunk gi of the block sits in stage
  // gi % kStages, and its barriers' phase is gi / kStages.
  namespace cg = cooperative_groups;
  if (wg == 0) {
    asm volatile("setmaxnreg.dec.sync.aligned.u32 56;\n");
    // This thread's 16-byte weight units: unit t % 8 of rows t / 8 + 16j (j < 4) of each chunk.
    const int u = t & 7, r0 = t >> 3;
    const uint32_t wdst = weight_unit_offset(r0, u);  // + j · 16 rows: (r0 + 16j) % 8 == r0 % 8
    int base = 0;
    for (int item = blockIdx.x; item < items; item += gridDim.x, base += count) {
      const int tt = item % tiles, row0 = (item / tiles) * kRows;
      const bf16* wsrc = w + int64_t(min(row0 + r0, n - 1)) * k + int64_t(lo) * kChunk + u * 8;
      const int rows_left = n - row0 - r0;  // row r0 + 16j is there when 16j < rows_left
      const uint8_t* xsrc = img + (int64_t(tt) * total + lo) * kXBytes;
      auto load_weights = [&](int i) {
        const uint32_t dst = sbase + ((base + i) % kStages) * kStageBytes + wdst;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          const bool ok = 16 * j < rows_left;
          cp_async16(dst + j * 16 * 128, wsrc + (ok ? int64_t(16 * j) * k : 0) + int64_t(i) * kChunk, ok);
        }
        cp_async_arrive(smem_addr(&full[(base + i) % kStages]));
      };
      auto load_activations = [&](int i) {
        if (t == 0) {
          const uint32_t bar = smem_addr(&full[(base + i) % kStages]);
          mbar_expect_bytes(bar, kXCopy);
          bulk_copy(sbase + ((base + i) % kStages) * kStageBytes + kWBytes, xsrc + int64_t(i) * kXBytes, kXCopy, bar);
        }
      };
      int i = 0;
      if (base == 0) {
        // The weights do not depend on the kernels before this one (PDL): the first stages' start
        // moving before the wait; the activation images are an earlier kernel's output.
        const int first = min(count, kStages);
        for (; i < first; ++i) load_weights(i);
        pdl_wait_then_release();
        for (int j = 0; j < first; ++j) load_activations(j);
      }
      for (; i < count; ++i) {
        const int gi = base + i;
        if (gi >= kStages) mbar_wait(smem_addr(&empty[gi % kStages]), ((gi / kStages) - 1) & 1);
        load_weights(i);
        load_activations(i);
      }
    }
    if (slices > 1) {  // every thread of the cluster takes part in its barriers
      cg::this_cluster().sync();
      cg::this_cluster().sync();
    }
    return;
  }
  asm volatile("setmaxnreg.inc.sync.aligned.u32 224;\n");
  pdl_wait_then_release();
  const int me = wg - 1;
  // This thread's weight rows (wgmma's A fragment: rows g and g + 8 of its warp's 16) and the
  // shared-memory offsets of their units 2q and 2q + 1 (both rows have the same swizzle).
  const int warp = t >> 5, g = (t & 31) >> 2, q = t & 3;
  const uint32_t u0 = weight_unit_offset(16 * warp + g, 2 * q), u1 = weight_unit_offset(16 * warp + g, 2 * q + 1);
  // Consumer 1's sums go to consumer 0 through a buffer of their own (the stages may already hold
  // the next item's chunks).
  float* red = reinterpret_cast<float*>(smem + kStages * kStageBytes);
  // Two register sets for the weight fragments: a chunk's wgmma may still read one while the next
  // chunk's are loaded into the other.
  uint4 wa[4], wb[4];
  // Hands a stage back to the producer once this warpgroup's reads of it are done: its four warps
  // meet first, so that the one arrival releases every thread's reads (an mbarrier arrival orders
  // only the arriving thread's own accesses).
  auto release = [&](int stage) {
    asm volatile("bar.sync %0, 128;\n" ::"r"(2 + me) : "memory");
    if (stage >= 0 && t == 0) mbar_arrive(smem_addr(&empty[stage]));
  };
  int prev = -1, base = 0;
  for (int item = blockIdx.x; item < items; item += gridDim.x, base += count) {
    const int tt = item % tiles, row0 = (item / tiles) * kRows;
    float a0[32], a1[32], a2[32], a3[32];  // chains me, me + 2, me + 4, me + 6
#pragma unroll
    for (int e = 0; e < 32; ++e) a0[e] = a1[e] = a2[e] = a3[e] = 0.f;
    auto chunk = [&](float (&acc)[32], uint4 (&wr)[4], int i) {
      const int gi = base + i, st = gi % kStages;
      mbar_wait(smem_addr(&full[st]), (gi / kStages) & 1);
      const uint32_t sw = sbase + st * kStageBytes, sx = sw + kWBytes;
      // wr[0], wr[1]: row g's units 2q, 2q + 1; wr[2], wr[3]: row g + 8's.
      asm volatile("ld.shared.v4.u32 {%0, %1, %2, %3}, [%4];\n"
                   : "=r"(wr[0].x), "=r"(wr[0].y), "=r"(wr[0].z), "=r"(wr[0].w) : "r"(sw + u0) : "memory");
      asm volatile("ld.shared.v4.u32 {%0, %1, %2, %3}, [%4];\n"
                   : "=r"(wr[1].x), "=r"(wr[1].y), "=r"(wr[1].z), "=r"(wr[1].w) : "r"(sw + u1) : "memory");
      asm volatile("ld.shared.v4.u32 {%0, %1, %2, %3}, [%4];\n"
                   : "=r"(wr[2].x), "=r"(wr[2].y), "=r"(wr[2].z), "=r"(wr[2].w) : "r"(sw + 8 * 128 + u0) : "memory");
      asm volatile("ld.shared.v4.u32 {%0, %1, %2, %3}, [%4];\n"
                   : "=r"(wr[3].x), "=r"(wr[3].y), "=r"(wr[3].z), "=r"(wr[3].w) : "r"(sw + 8 * 128 + u1) : "memory");
      // k group s: elements 16q + 4s + {0, 1} (fragment k 2q, 2q + 1) and + {2, 3} (k 2q + 8, 2q + 9) of
      // rows g and g + 8, as gemm_mma's mma_bf16 takes them. The wgmma takes its fragment as four
      // consecutive registers: they are assembled here, before the fence, so that no other
      // instruction writes a wgmma input inside the group (ptxas would serialize the wgmma).
      uint32_t f[4][4];
#pragma unroll
      for (int s = 0; s < 4; ++s) {
        const uint4 &r0 = wr[s / 2], &r8 = wr[2 + s / 2];
        asm volatile("mov.b32 %0, %4;\n mov.b32 %1, %5;\n mov.b32 %2, %6;\n mov.b32 %3, %7;\n"
                     : "=r"(f[s][0]), "=r"(f[s][1]), "=r"(f[s][2]), "=r"(f[s][3])
                     : "r"(s % 2 ? r0.z : r0.x), "r"(s % 2 ? r8.z : r8.x), "r"(s % 2 ? r0.w : r0.y),
                       "r"(s % 2 ? r8.w : r8.y));
      }
      wgmma_fence();
#pragma unroll
      for (int s = 0; s < 4; ++s) {
        wgmma_64x64(acc, f[s][0], f[s][1], f[s][2], f[s][3], smem_desc(sx + s * 2048));
        if (SPLIT) wgmma_64x64(acc, f[s][0], f[s][1], f[s][2], f[s][3], smem_desc(sx + kXBytes / 2 + s * 2048));
      }
      wgmma_commit();
      // The chunk before this one (another chain's accumulator, the other register set) is done: its
      // stage goes back.
      wgmma_wait<1>();
      release(prev);
      prev = st;
    };
    for (int i = me; i < count; i += kChains) {
      chunk(a0, wa, i);
      if (i + 2 < count) chunk(a1, wb, i + 2);
      if (i + 4 < count) chunk(a2, wa, i + 4);
      if (i + 6 < count) chunk(a3, wb, i + 6);
    }
    wgmma_wait<0>();
    release(prev);
    prev = -1;
    // gemm_mma's tree within this consumer's chains: (me + (me + 4)) + ((me + 2) + (me + 6)).
#pragma unroll
    for (int e = 0; e < 32; ++e) a0[e] = (a0[e] + a2[e]) + (a1[e] + a3[e]);
    // Consumer 1's sums into consumer 0's. The first barrier also keeps consumer 1 from writing an
    // item's sums before consumer 0 has read the last item's.
    asm volatile("bar.sync 1, 256;\n" ::: "memory");
    if (me == 1) {
#pragma unroll
      for (int e = 0; e < 32; ++e) red[e * 128 + t] = a0[e];
    }
    asm volatile("bar.sync 1, 256;\n" ::: "memory");
    if (me == 0) {
#pragma unroll
      for (int e = 0; e < 32; ++e) a0[e] += red[e * 128 + t];
    }
    bool store = me == 0;
    if (slices > 1) {
      // One item per block here, so every chunk's barrier was waited on and every wgmma has finished:
      // the block's sums go to the first 16 KB of the drained stages; the cluster's rank-0 block adds
      // ranks 1, 2, ... in order.
      cg::cluster_group cluster = cg::this_cluster();
      float* mine = reinterpret_cast<float*>(smem);
      if (me == 0) {
#pragma unroll
        for (int e = 0; e < 32; ++e) mine[e * 128 + t] = a0[e];
      }
      cluster.sync();
      const bool lead = cluster.block_rank() == 0;
      if (lead && me == 0) {
        for (int r = 1; r < slices; ++r) {
          const float* other = cluster.map_shared_rank(mine, r);
#pragma unroll
          for (int e = 0; e < 32; ++e) a0[e] += other[e * 128 + t];
        }
      }
      cluster.sync();
      store = store && lead;
    }
    if (store) {
      // a0[e]: row 16·warp + g (+ 8 for e % 4 >= 2), token 8·(e / 4) + 2q + e % 2 of the item.
#pragma unroll
      for (int e = 0; e < 32; ++e) {
        const int r = row0 + 16 * warp + g + ((e >> 1) & 1) * 8, tok = tt * kTok + 8 * (e >> 2) + 2 * q + (e & 1);
        if (tok < m && r < n) y[int64_t(tok) * n + r] = a0[e];
      }
    }
  }
#else
  __trap();  // the host launches it only where it was built for sm_90a (gemm_wgmma_supported)
#endif
}

// Scratch of the activation images, bound per stream (see gemm_wgmma_bind_scratch).
struct Scratch {
  cudaStream_t stream;
  void* p;
  size_t bytes;
};
std::mutex g_scratch_mutex;
std::vector<Scratch> g_scratch;

Scratch* find_scratch(cudaStream_t s) {
  for (auto& e : g_scratch)
    if (e.stream == s) return &e;
  return nullptr;
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
    return (!v || std::string(v) != "0") && gemm_wgmma_supported();
  }();
  return on;
}

int gemm_wgmma_min_tokens() {
  static const int t = [] {
    const char* v = std::getenv("STRIDE_GEMM_WGMMA_MIN");
    return v ? std::max(1, std::atoi(v)) : 9;
  }();
  return t;
}

size_t gemm_wgmma_scratch_bytes(int k) { return size_t(128 / kTok) * size_t(k / kChunk) * kXBytes; }

void gemm_wgmma_bind_scratch(cudaStream_t s, void* p, size_t bytes) {
  std::lock_guard<std::mutex> lock(g_scratch_mutex);
  Scratch* e = find_scratch(s);
  if (!p) {
    if (e) g_scratch.erase(g_scratch.begin() + (e - g_scratch.data()));
    return;
  }
  if (e) *e = Scratch{s, p, bytes};
  else g_scratch.push_back(Scratch{s, p, bytes});
}

bool gemm_wgmma_ready(cudaStream_t s, int m, int k) {
  std::lock_guard<std::mutex> lock(g_scratch_mutex);
  const Scratch* e = find_scratch(s);
  return e && m <= 128 && k % kChunk == 0 && size_t((m + kTok - 1) / kTok) * size_t(k / kChunk) * kXBytes <= e->bytes;
}

namespace {

// Blocks of a persistent launch: one per SM (STRIDE_GEMM_WGMMA_BLOCKS overrides it, for
// benchmarks; a count never changes a result).
int persistent_blocks() {
  static const int b = [] {
    const char* v = std::getenv("STRIDE_GEMM_WGMMA_BLOCKS");
    const int want = v ? std::atoi(v) : 0;
    return want > 0 ? want : sm_count();
  }();
  return b;
}

// The product kernel on the images in the scratch bound to s, split from x first unless `on_images`.
// Checks the shape; throws stride::Error otherwise.
void launch_product(const float* x, bool on_images, bool split, int m, int k, const bf16* w, int n, float* y, int slices,
                    cudaStream_t s) {
  if (m <= 0 || n <= 0) return;
  if (k % kChunk != 0 || k / kChunk / slices < kChains || m > 128 || slices < 1 || slices > 8 ||
      (n + kRows - 1) / kRows > 65535 || (reinterpret_cast<uintptr_t>(w) & 15) || (reinterpret_cast<uintptr_t>(x) & 15))
    throw Error("gemm_wgmma: unsupported product (m = " + std::to_string(m) + ", k = " + std::to_string(k) +
                ", n = " + std::to_string(n) + ", slices = " + std::to_string(slices) + ")");
  void* scratch = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_scratch_mutex);
    const Scratch* e = find_scratch(s);
    const size_t need = size_t((m + kTok - 1) / kTok) * size_t(k / kChunk) * kXBytes;
    if (!e || e->bytes < need)
      throw Error("gemm_wgmma: no activation scratch of " + std::to_string(need) + " bytes bound to this stream");
    scratch = e->p;
  }
  const int tiles = (m + kTok - 1) / kTok;
  if (!on_images)
    launch_kernel("gemm_wgmma split", true, split_activations_kernel, dim3(k / kChunk, tiles), 256, 0, s, x, m, k,
                  split, static_cast<uint8_t*>(scratch));
  // One block per SM, each taking every gridDim.x-th item; products split in k take one block per
  // item and slice (the cluster's reduction serves one item).
  const int items = tiles * ((n + kRows - 1) / kRows);
  const dim3 grid(slices > 1 ? items : std::min(items, persistent_blocks()), 1, slices);
  static const bool attrs = [] {
    cudaFuncSetAttribute(gemm_wgmma_kernel<true>, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes);
    cudaFuncSetAttribute(gemm_wgmma_kernel<false>, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes);
    return true;
  }();
  (void)attrs;
  const uint8_t* img = static_cast<const uint8_t*>(scratch);
  launch_kernel_clustered("gemm_wgmma", true, slices, split ? gemm_wgmma_kernel<true> : gemm_wgmma_kernel<false>, grid,
                          kThreads, kSmemBytes, s, img, m, k, w, n, y, tiles, items);
}

}  // namespace

void launch_gemm_wgmma(const float* x, bool split, int m, int k, const bf16* w, int n, float* y, int slices,
                       cudaStream_t s) {
  launch_product(x, false, split, m, k, w, n, y, slices, s);
}

WgmmaImages gemm_wgmma_images(cudaStream_t s, int m, int k, bool split) {
  WgmmaImages img;
  if (!gemm_wgmma_ready(s, m, k)) return img;
  std::lock_guard<std::mutex> lock(g_scratch_mutex);
  img.p = static_cast<uint8_t*>(find_scratch(s)->p);
  img.k = k;
  img.split = split;
  return img;
}

void launch_gemm_wgmma_on_images(const WgmmaImages& img, int m, const bf16* w, int n, float* y, int slices,
                                 cudaStream_t s) {
  if (m > 0 && (!img.p || !gemm_wgmma_ready(s, m, img.k)))
    throw Error("gemm_wgmma: the images are not in the scratch bound to this stream");
  launch_product(nullptr, true, img.split, m, img.k, w, n, y, slices, s);
}

}  // namespace stride::cuda
