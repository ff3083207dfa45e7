#include "kernels/attention_prefill.cuh"
#include "kernels/cp_async.cuh"

#include <cmath>

namespace stride::cuda {
namespace {

constexpr int kWarps = 4;
constexpr int kRowsPerBlock = kWarps * 16;  // one m16 tile of query rows per warp
constexpr int kKeysPerTile = 64;
constexpr int kStages = 2;
// Shared-memory rows are padded by 16 bytes: the 8 rows one ldmatrix phase reads then start in
// 8 different 4-bank groups (no bank conflicts), and every row stays 16-byte aligned.
constexpr int kPad = 8;
constexpr float kLog2e = 1.4426950408889634f;

__device__ __forceinline__ void ldmatrix_x4(uint32_t addr, uint32_t (&r)[4]) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t addr, uint32_t (&r)[4]) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

// D = A·B + D, A 16×16 bf16 (row), B 16×8 bf16 (col), D 16×8 float32.
__device__ __forceinline__ void mma_bf16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  const __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);  // lo in the low half (lower column)
  return *reinterpret_cast<const uint32_t*>(&h);
}

// Fragment layout of mma m16n8k16 (PTX ISA), g = lane / 4, t = lane % 4:
//   A (16×16): a0 = (row g, cols 2t, 2t+1), a1 = (g + 8, 2t..), a2 = (g, 2t + 8..), a3 = (g + 8, 2t + 8..)
//   B (16×8):  b0 = (rows 2t, 2t+1, col g), b1 = (rows 2t + 8, 2t + 9, col g)
//   C (16×8):  c0, c1 = (row g, cols 2t, 2t+1), c2, c3 = (row g + 8, cols 2t, 2t+1)
// S = Q·Kᵀ takes B[k = d][n = key] = K[key][d]: ldmatrix (no transpose) of K rows gives b0/b1.
// O += P·V takes B[k = key][n = d] = V[key][d]: ldmatrix.trans of V rows gives b0/b1.
// P's C fragments of key tiles 2kk and 2kk+1 are exactly the A fragment of keys 16kk..16kk+15.
template <int HD>
__global__ void __launch_bounds__(kWarps * 32) attention_prefill_kernel(AttentionArgs a, KvLayer kv) {
  constexpr int KS = HD / 16;  // k steps of S = Q·Kᵀ
  constexpr int NT = HD / 8;   // n tiles of O
  constexpr int ROW = HD + kPad;
  constexpr int VEC = HD / 8;  // 16-byte pieces of one K/V row
  extern __shared__ __align__(16) unsigned char smem_raw[];
  bf16* smem = reinterpret_cast<bf16*>(smem_raw);
  // [stage][K or V][key][ROW]
  auto tile = [&](int stage, int which) { return smem + (size_t(stage) * 2 + which) * kKeysPerTile * ROW; };

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, t4 = lane & 3;
  const int h = blockIdx.y;
  const int kvh = h / (a.heads / a.kv_heads);
  // Blocks of later rows have more keys to walk: start them first.
  const int r0 = (gridDim.x - 1 - blockIdx.x) * kRowsPerBlock;
  const int cache_len = a.cache_len_dev ? *a.cache_len_dev : a.cache_len;
  const int kv_width = a.kv_heads * HD;
  const int last_row = min(r0 + kRowsPerBlock, a.rows) - 1;
  // Row r (new token i = first_row + r) sees slots 0 .. cache_len + i.
  const int block_keys = cache_len + a.first_row + last_row + 1;
  const int tiles = (block_keys + kKeysPerTile - 1) / kKeysPerTile;
  const int wr0 = r0 + warp * 16;
  const int warp_keys = cache_len + a.first_row + min(wr0 + 15, a.rows - 1) + 1;

  // Stages K/V of key tile `j` into stage `st`; every thread issues VEC * 64 * 2 / 128 copies.
  auto load_tile = [&](int j, int st) {
    const int t0 = j * kKeysPerTile;
    bf16* sk = tile(st, 0);
    bf16* sv = tile(st, 1);
    for (int idx = threadIdx.x; idx < kKeysPerTile * VEC; idx += kWarps * 32) {
      const int key = idx / VEC, part = idx % VEC;
      const int slot = t0 + key;
      const bool valid = slot < block_keys;
      int64_t row = 0;
      if (valid) row = int64_t(kv.block_table[slot / kv.block_size]) * kv.block_size + slot % kv.block_size;
      const int64_t off = row * kv_width + kvh * HD + part * 8;
      cp_async16(smem_addr(sk + key * ROW + part * 8), kv.k + off, valid);
      cp_async16(smem_addr(sv + key * ROW + part * 8), kv.v + off, valid);
    }
  };

  load_tile(0, 0);
  cp_async_commit();

  // Q of rows g and g + 8 of this warp, scaled by scale·log2(e) (softmax in base 2), as bf16 A fragments.
  uint32_t qa[KS][4];
  {
    const int ra = wr0 + g, rb = wr0 + g + 8;
    const float qs = a.scale * kLog2e;
    const float* qra = a.q + (int64_t(ra) * a.heads + h) * HD;
    const float* qrb = a.q + (int64_t(rb) * a.heads + h) * HD;
#pragma unroll
    for (int ks = 0; ks < KS; ++ks) {
      float2 x0 = make_float2(0.f, 0.f), x1 = x0, x2 = x0, x3 = x0;
      const int c = ks * 16 + 2 * t4;
      if (ra < a.rows) {
        x0 = *reinterpret_cast<const float2*>(qra + c);
        x2 = *reinterpret_cast<const float2*>(qra + c + 8);
      }
      if (rb < a.rows) {
        x1 = *reinterpret_cast<const float2*>(qrb + c);
        x3 = *reinterpret_cast<const float2*>(qrb + c + 8);
      }
      qa[ks][0] = pack_bf16(x0.x * qs, x0.y * qs);
      qa[ks][1] = pack_bf16(x1.x * qs, x1.y * qs);
      qa[ks][2] = pack_bf16(x2.x * qs, x2.y * qs);
      qa[ks][3] = pack_bf16(x3.x * qs, x3.y * qs);
    }
  }

  float o[NT][4];
#pragma unroll
  for (int n = 0; n < NT; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};  // rows g, g + 8 (l: this thread's share)
  const int lim[2] = {cache_len + a.first_row + wr0 + g, cache_len + a.first_row + wr0 + g + 8};  // last slot seen

  for (int j = 0; j < tiles; ++j) {
    if (j + 1 < tiles) {
      load_tile(j + 1, (j + 1) % kStages);
      cp_async_commit();
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();
    const int t0 = j * kKeysPerTile;
    if (t0 < warp_keys) {  // a tile wholly past this warp's last row is masked for it: skip the math
      const bf16* sk = tile(j % kStages, 0);
      const bf16* sv = tile(j % kStages, 1);
      float s[8][4];
#pragma unroll
      for (int n = 0; n < 8; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
      // Matrix mi of the x4 load: keys n*8 + (lane & 7), columns ks*16 + mi*8 → b0, b1 of ks and ks + 1.
#pragma unroll
      for (int ks = 0; ks < KS; ks += 2) {
#pragma unroll
        for (int n = 0; n < 8; ++n) {
          uint32_t b[4];
          ldmatrix_x4(smem_addr(sk + (n * 8 + (lane & 7)) * ROW + ks * 16 + (lane >> 3) * 8), b);
          mma_bf16(s[n], qa[ks], b[0], b[1]);
          mma_bf16(s[n], qa[ks + 1], b[2], b[3]);
        }
      }
      // Causal mask on the tiles that reach past a row's own slot.
      if (t0 + kKeysPerTile - 1 > lim[0]) {
#pragma unroll
        for (int n = 0; n < 8; ++n)
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int slot = t0 + n * 8 + 2 * t4 + (e & 1);
            if (slot > lim[e >> 1]) s[n][e] = -INFINITY;
          }
      }
      // Online softmax: the four threads of a quad hold one row's 64 scores between them.
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        float mx = -INFINITY;
#pragma unroll
        for (int n = 0; n < 8; ++n) mx = fmaxf(mx, fmaxf(s[n][2 * half], s[n][2 * half + 1]));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
        const float mnew = fmaxf(m[half], mx);
        const float base = mnew == -INFINITY ? 0.f : mnew;  // no key seen yet: every p is 0
        const float corr = m[half] == -INFINITY ? 0.f : exp2f(m[half] - base);
        m[half] = mnew;
        float sum = 0.f;
#pragma unroll
        for (int n = 0; n < 8; ++n) {
          s[n][2 * half] = exp2f(s[n][2 * half] - base);
          s[n][2 * half + 1] = exp2f(s[n][2 * half + 1] - base);
          sum += s[n][2 * half] + s[n][2 * half + 1];
        }
        l[half] = l[half] * corr + sum;
#pragma unroll
        for (int n = 0; n < NT; ++n) {
          o[n][2 * half] *= corr;
          o[n][2 * half + 1] *= corr;
        }
      }
      // O += P·V over the tile's four 16-key slabs; matrix mi of the x4.trans load: keys
      // kk*16 + (mi & 1)*8 + (lane & 7), columns (2np + (mi >> 1))*8 → b0, b1 of n tiles 2np, 2np + 1.
#pragma unroll
      for (int kk = 0; kk < 4; ++kk) {
        const uint32_t pa[4] = {pack_bf16(s[2 * kk][0], s[2 * kk][1]), pack_bf16(s[2 * kk][2], s[2 * kk][3]),
                                pack_bf16(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                                pack_bf16(s[2 * kk + 1][2], s[2 * kk + 1][3])};
        const int key = kk * 16 + ((lane >> 3) & 1) * 8 + (lane & 7);
#pragma unroll
        for (int np = 0; np < NT / 2; ++np) {
          uint32_t b[4];
          ldmatrix_x4_trans(smem_addr(sv + key * ROW + (2 * np + (lane >> 4)) * 8), b);
          mma_bf16(o[2 * np], pa, b[0], b[1]);
          mma_bf16(o[2 * np + 1], pa, b[2], b[3]);
        }
      }
    }
    __syncthreads();  // the stage just read is the one the next iteration's load overwrites
  }

#pragma unroll
  for (int half = 0; half < 2; ++half) {
    float tot = l[half];
    tot += __shfl_xor_sync(0xffffffffu, tot, 1);
    tot += __shfl_xor_sync(0xffffffffu, tot, 2);
    const int r = wr0 + g + half * 8;
    if (r >= a.rows) continue;
    const float inv = tot > 0.f ? 1.f / tot : 0.f;
    const int64_t off = (int64_t(r) * a.heads + h) * HD;
    if (a.out_bf16) {
#pragma unroll
      for (int n = 0; n < NT; ++n)
        *reinterpret_cast<uint32_t*>(a.out_bf16 + off + n * 8 + 2 * t4) = pack_bf16(o[n][2 * half] * inv, o[n][2 * half + 1] * inv);
      continue;
    }
    float* orow = a.out + off;
#pragma unroll
    for (int n = 0; n < NT; ++n)
      *reinterpret_cast<float2*>(orow + n * 8 + 2 * t4) = make_float2(o[n][2 * half] * inv, o[n][2 * half + 1] * inv);
  }
}

template <int HD>
void launch_hd(const AttentionArgs& a, KvLayer kv, cudaStream_t s) {
  constexpr size_t smem = size_t(kStages) * 2 * kKeysPerTile * (HD + kPad) * sizeof(bf16);
  static const cudaError_t attr =
      cudaFuncSetAttribute(attention_prefill_kernel<HD>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem));
  if (attr != cudaSuccess) {
    cudaGetLastError();
    throw Error(std::string("attention_prefill: shared memory of ") + std::to_string(smem) +
                " bytes refused: " + cudaGetErrorString(attr));
  }
  const dim3 grid((a.rows + kRowsPerBlock - 1) / kRowsPerBlock, a.heads);
  attention_prefill_kernel<HD><<<grid, kWarps * 32, smem, s>>>(a, kv);
  check_launch("attention_prefill");
}

}  // namespace

bool attention_prefill_supports(const AttentionArgs& a) {
  const bool hd_ok = a.head_dim == 32 || a.head_dim == 64 || a.head_dim == 96 || a.head_dim == 128;
  return !a.mask && hd_ok && a.kv_heads > 0 && a.heads % a.kv_heads == 0 && a.key_limit >= a.first_row + a.rows;
}

void launch_attention_prefill(const AttentionArgs& a, KvLayer kv, cudaStream_t s) {
  if (a.rows <= 0) return;
  if (!attention_prefill_supports(a))
    throw Error("attention_prefill: unsupported step (mask, head_dim " + std::to_string(a.head_dim) +
                ", or rows whose own keys are not in the cache)");
  if (a.heads > 65535) throw Error("attention_prefill: too many heads in one launch");
  switch (a.head_dim) {
    case 32: launch_hd<32>(a, kv, s); break;
    case 64: launch_hd<64>(a, kv, s); break;
    case 96: launch_hd<96>(a, kv, s); break;
    default: launch_hd<128>(a, kv, s); break;
  }
}

}  // namespace stride::cuda
