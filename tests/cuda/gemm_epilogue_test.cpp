// The products that end in SwiGLU or in qkv_rope (launch_gemm_mma_swiglu / _qkv_rope) give bit for
// bit what the plain product followed by that kernel gives, for every step size a decode or
// verification step takes (each size picks its own tile), with fresh random inputs; with the
// RMSNorm input folded in (k a multiple of 64), what the folded product followed by that kernel gives.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "cuda_test_util.h"
#include "kernels/gemm_mma.cuh"
#include "kernels/qkv_rope.cuh"
#include "kernels/swiglu.cuh"

namespace stride::cuda::test {
namespace {

const std::vector<int> kStepSizes{1, 3, 8, 9, 12, 16};  // up to kGemmEpilogueMaxTokens

template <typename T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}
size_t nan_count(const std::vector<float>& v) {
  return static_cast<size_t>(std::count_if(v.begin(), v.end(), [](float f) { return std::isnan(f); }));
}

TEST(CudaGemmEpilogue, SwiGluEqualsProductThenSwiGluBitForBit) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  // k = 128: the tiny model (fewer chunks than warps: the thin form); 896 / 4864: the 0.5B shape;
  // 1536 / 8960: the 1.5B shape (two row tiles per block); 160: 32-wide chunks.
  for (const auto& [k, inter] : std::vector<std::pair<int, int>>{{128, 512}, {896, 4864}, {1536, 8960}, {160, 200}}) {
    const int n = 2 * inter;
    std::vector<uint16_t> wb, nb;
    std::vector<float> wf, nf;
    random_bf16(rng, size_t(n) * k, 0.1f, wb, wf);
    random_bf16(rng, size_t(k), 1.5f, nb, nf);
    DeviceBuffer w = upload(wb), norm = upload(nb);
    const GemmNorm gn{norm.as<bf16>(), 1e-6f};
    GemmFusion fn;
    fn.input = GemmInput::RmsNorm;
    fn.norm = gn.weight;
    fn.eps = gn.eps;
    for (const int m : kStepSizes) {
      const auto xin = random_f32(rng, size_t(m) * k, 2.f);
      DeviceBuffer x = upload(xin), gu(size_t(m) * n * 4), a(size_t(m) * inter * 4), b(size_t(m) * inter * 4);
      for (const bool split : {true, false})
      for (const bool fold : {false, true}) {
        if (fold && !gemm_mma_folds(k)) continue;
        const std::string what = "k " + std::to_string(k) + " inter " + std::to_string(inter) + " m " +
                                 std::to_string(m) + (split ? " split" : " bf16") + (fold ? " RMSNorm in" : "");
        poison(a);
        poison(b);
        if (fold) launch_gemm_mma_fused(x.as<float>(), split, m, k, w.as<bf16>(), n, gu.as<float>(), fn, nullptr);
        else launch_gemm_mma(x.as<float>(), split, m, k, w.as<bf16>(), n, gu.as<float>(), nullptr);
        launch_swiglu(gu.as<float>(), m, inter, a.as<float>(), nullptr);
        launch_gemm_mma_swiglu(x.as<float>(), split, m, k, w.as<bf16>(), n, b.as<float>(), nullptr, fold ? &gn : nullptr);
        const auto ref = download<float>(a, size_t(m) * inter), got = download<float>(b, size_t(m) * inter);
        ASSERT_EQ(nan_count(ref), 0u) << what;
        EXPECT_EQ(nan_count(got), 0u) << what;
        EXPECT_TRUE(same_bits(ref, got)) << what;
      }
    }
  }
}

TEST(CudaGemmEpilogue, QkvRopeEqualsProductThenQkvRopeBitForBit) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  struct Layout {
    int heads, kv_heads, head_dim, k;
    bool bias;
  };
  // The tiny model (2 / 1 heads of 64, k = 128: thin), 0.5B (14 / 2 of 64), 1.5B (12 / 2 of 128),
  // 7B (28 / 4 of 128, no bias: llama-style), a head of 16.
  for (const Layout& L : std::vector<Layout>{{2, 1, 64, 128, true},
                                             {14, 2, 64, 896, true},
                                             {12, 2, 128, 1536, true},
                                             {28, 4, 128, 3584, false},
                                             {3, 1, 16, 64, true}}) {
    const int hd = L.head_dim, half = hd / 2, width = (L.heads + 2 * L.kv_heads) * hd, kvw = L.kv_heads * hd;
    std::vector<uint16_t> wb;
    std::vector<float> wf;
    random_bf16(rng, size_t(width) * L.k, 0.1f, wb, wf);
    const auto bias = random_f32(rng, width, 0.5f);
    std::vector<uint16_t> nb;
    std::vector<float> nf;
    random_bf16(rng, size_t(L.k), 1.5f, nb, nf);
    DeviceBuffer w = upload(wb), db = upload(bias), norm = upload(nb);
    const GemmNorm gn{norm.as<bf16>(), 1e-6f};
    GemmFusion fn;
    fn.input = GemmInput::RmsNorm;
    fn.norm = gn.weight;
    fn.eps = gn.eps;
    std::vector<float> inv(half);
    for (int i = 0; i < half; ++i) inv[i] = float(1.0 / std::pow(1e6, 2.0 * i / hd));
    DeviceBuffer dinv = upload(inv);
    for (const int m : kStepSizes) {
      // A paged cache of 16-slot blocks in shuffled order; the step's tokens go to slots base + first + t.
      const int B = 16, base = int(rng() % 40), first = int(rng() % 3), blocks = (base + first + m) / B + 1;
      std::vector<int32_t> table(blocks);
      std::iota(table.begin(), table.end(), 0);
      std::shuffle(table.begin(), table.end(), rng);
      std::vector<int32_t> positions(m);
      for (int t = 0; t < m; ++t) positions[t] = base + first + t + int(rng() % 4) * 1000;
      const auto xin = random_f32(rng, size_t(m) * L.k, 2.f);
      DeviceBuffer x = upload(xin), dt = upload(table), dlen = upload(std::vector<int32_t>{base}), dpos = upload(positions),
                   rope(size_t(m) * half * sizeof(float2)), qkv(size_t(m) * width * 4);
      launch_rope_table(dpos.as<int32_t>(), dinv.as<float>(), m, hd, rope.as<float2>(), nullptr);
      const size_t cache = size_t(blocks) * B * kvw;
      DeviceBuffer qa(size_t(m) * L.heads * hd * 4), qb(size_t(m) * L.heads * hd * 4), ka(cache * 2), kb(cache * 2),
          va(cache * 2), vb(cache * 2);
      for (const bool split : {true, false})
      for (const bool fold : {false, true}) {
        if (fold && !gemm_mma_folds(L.k)) continue;
        const std::string what = "heads " + std::to_string(L.heads) + "/" + std::to_string(L.kv_heads) + " of " +
                                 std::to_string(hd) + " k " + std::to_string(L.k) + " m " + std::to_string(m) +
                                 (split ? " split" : " bf16") + (fold ? " RMSNorm in" : "");
        for (DeviceBuffer* b : {&qa, &ka, &va}) poison(*b);  // unwritten values stay NaN
        const float* bias_ptr = L.bias ? db.as<float>() : nullptr;
        if (fold) launch_gemm_mma_fused(x.as<float>(), split, m, L.k, w.as<bf16>(), width, qkv.as<float>(), fn, nullptr);
        else launch_gemm_mma(x.as<float>(), split, m, L.k, w.as<bf16>(), width, qkv.as<float>(), nullptr);
        launch_qkv_rope(qkv.as<float>(), bias_ptr, rope.as<float2>(), m, L.heads, L.kv_heads, hd, qa.as<float>(),
                        KvLayer{ka.as<bf16>(), va.as<bf16>(), dt.as<int32_t>(), B}, dlen.as<int32_t>(), first, nullptr);
        // settled: the rotation table (two kernels back), the block table and the slot base (host)
        // loaded before the product's PDL wait.
        for (const bool settled : {false, true}) {
          const std::string what_s = what + (settled ? " settled" : "");
          for (DeviceBuffer* b : {&qb, &kb, &vb}) poison(*b);
          QkvRopeArgs e;
          e.settled = settled;
          e.bias = bias_ptr;
          e.rope = rope.as<float2>();
          e.heads = L.heads;
          e.kv_heads = L.kv_heads;
          e.head_dim = hd;
          e.q = qb.as<float>();
          e.kv = KvLayer{kb.as<bf16>(), vb.as<bf16>(), dt.as<int32_t>(), B};
          e.base_slot = dlen.as<int32_t>();
          e.first_slot = first;
          launch_gemm_mma_qkv_rope(x.as<float>(), split, m, L.k, w.as<bf16>(), e, nullptr, fold ? &gn : nullptr);
          const auto q1 = download<float>(qa, size_t(m) * L.heads * hd), q2 = download<float>(qb, size_t(m) * L.heads * hd);
          ASSERT_EQ(nan_count(q1), 0u) << what_s;
          EXPECT_EQ(nan_count(q2), 0u) << what_s;
          EXPECT_TRUE(same_bits(q1, q2)) << "q, " << what_s;
          const auto k1 = download<uint16_t>(ka, cache), k2 = download<uint16_t>(kb, cache);
          const auto v1 = download<uint16_t>(va, cache), v2 = download<uint16_t>(vb, cache);
          EXPECT_TRUE(same_bits(k1, k2)) << "k cache, " << what_s;
          EXPECT_TRUE(same_bits(v1, v2)) << "v cache, " << what_s;
          // The step's own slots were written (not NaN) in the fused result.
          for (int t = 0; t < m; ++t) {
            const int slot = base + first + t;
            const size_t row = (size_t(table[slot / B]) * B + slot % B) * kvw;
            EXPECT_FALSE(std::isnan(from_bf16_bits(k2[row])) || std::isnan(from_bf16_bits(v2[row + kvw - 1])))
                << "slot " << slot << ", " << what_s;
          }
        }
      }
    }
  }
}

TEST(CudaGemmEpilogue, RefusesShapesItCannotPair) {
  // Argument checks run before any device work: no GPU needed.
  alignas(16) static float x[64];
  alignas(16) static uint16_t w[64];
  const bf16* wp = reinterpret_cast<const bf16*>(w);
  EXPECT_THROW(launch_gemm_mma_swiglu(x, true, 1, 32, wp, 24, x, nullptr), Error);  // n/2 = 12: not pairs of 8
  EXPECT_THROW(launch_gemm_mma_swiglu(x, true, 1, 40, wp, 32, x, nullptr), Error);  // k not a multiple of 32
  EXPECT_THROW(launch_gemm_mma_swiglu(x, true, kGemmEpilogueMaxTokens + 1, 32, wp, 32, x, nullptr), Error);
  QkvRopeArgs e;
  e.heads = 2;
  e.kv_heads = 1;
  e.head_dim = 24;  // not a multiple of 16
  EXPECT_THROW(launch_gemm_mma_qkv_rope(x, true, 1, 32, wp, e, nullptr), Error);
  e.head_dim = 32;  // no rotation table, q or cache
  EXPECT_THROW(launch_gemm_mma_qkv_rope(x, true, 1, 32, wp, e, nullptr), Error);
}

}  // namespace
}  // namespace stride::cuda::test
