// The tensor-core prefill attention against a float64 CPU reference on fresh random inputs:
// several head shapes (GQA groups, head_dim 32 / 64 / 96 / 128), committed prefixes, prompt
// chunks that start after earlier chunks (first_row > 0), row counts that leave partial tiles.
#include <algorithm>
#include <cmath>

#include "cuda_test_util.h"
#include "kernels/attention_prefill.cuh"

namespace stride::cuda::test {
namespace {

struct PrefillCase {
  int heads, kv_heads, head_dim, cache_len, first_row, rows;
};

// Causal attention of rows first_row .. first_row + rows - 1 over slots 0 .. cache_len + i.
std::vector<double> reference(const PrefillCase& c, const std::vector<float>& q, const std::vector<float>& k,
                              const std::vector<float>& v, const std::vector<int32_t>& table, int block, float scale) {
  const int H = c.heads, KV = c.kv_heads, hd = c.head_dim;
  std::vector<double> out(size_t(c.rows) * H * hd, 0.0);
  for (int r = 0; r < c.rows; ++r) {
    const int last = c.cache_len + c.first_row + r;
    for (int h = 0; h < H; ++h) {
      const int kvh = h / (H / KV);
      std::vector<double> sc(last + 1);
      std::vector<int64_t> rows(last + 1);
      for (int t = 0; t <= last; ++t) {
        rows[t] = int64_t(table[t / block]) * block + t % block;
        double s = 0;
        for (int d = 0; d < hd; ++d) s += double(q[(size_t(r) * H + h) * hd + d]) * k[(rows[t] * KV + kvh) * hd + d];
        sc[t] = s * scale;
      }
      const double mx = *std::max_element(sc.begin(), sc.end());
      double l = 0;
      for (auto& s : sc) l += (s = std::exp(s - mx));
      for (int t = 0; t <= last; ++t)
        for (int d = 0; d < hd; ++d) out[(size_t(r) * H + h) * hd + d] += sc[t] / l * v[(rows[t] * KV + kvh) * hd + d];
    }
  }
  return out;
}

TEST(CudaAttentionPrefill, MatchesReferenceOnRandomInputs) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  const std::vector<PrefillCase> cases = {
      {12, 2, 128, 0, 0, 150},   // Qwen2.5-1.5B heads, first chunk of a prompt
      {12, 2, 128, 37, 70, 64},  // a later chunk after a committed prefix, one full row tile
      {28, 4, 128, 200, 0, 1},   // Qwen2.5-7B heads, one row (prefix reuse of a one-token tail)
      {14, 2, 64, 5, 0, 97},     // Qwen2.5-0.5B heads
      {6, 2, 96, 16, 3, 33},
      {4, 4, 32, 63, 0, 65},     // no grouping, keys straddling a tile edge
  };
  const int B = 16;
  for (const auto& c : cases) {
    const int slots = c.cache_len + c.first_row + c.rows, blocks = (slots + B - 1) / B;
    std::vector<int32_t> table(blocks);
    for (int i = 0; i < blocks; ++i) table[i] = blocks - 1 - i;  // shuffled physical blocks
    std::vector<uint16_t> kb, vb;
    std::vector<float> kf, vf;
    random_bf16(rng, size_t(blocks) * B * c.kv_heads * c.head_dim, 1.f, kb, kf);
    random_bf16(rng, size_t(blocks) * B * c.kv_heads * c.head_dim, 1.f, vb, vf);
    // Queries of magnitude ~2: softmax weights spread over a few keys, as in trained models.
    const auto q = random_f32(rng, size_t(c.rows) * c.heads * c.head_dim, 2.f);
    const float scale = 1.f / std::sqrt(float(c.head_dim));
    DeviceBuffer dk = upload(kb), dv = upload(vb), dq = upload(q), dt = upload(table),
                 dout(size_t(c.rows) * c.heads * c.head_dim * 4);
    const std::vector<int32_t> len_host{c.cache_len};
    DeviceBuffer dlen = upload(len_host);
    const auto ref = reference(c, q, kf, vf, table, B, scale);
    for (const bool device_len : {false, true}) {
      poison(dout);
      KvLayer kv{dk.as<bf16>(), dv.as<bf16>(), dt.as<int32_t>(), B};
      AttentionArgs a;
      a.q = dq.as<float>();
      a.out = dout.as<float>();
      a.rows = c.rows;
      a.first_row = c.first_row;
      a.heads = c.heads;
      a.kv_heads = c.kv_heads;
      a.head_dim = c.head_dim;
      a.cache_len = device_len ? -1000 : c.cache_len;  // -1000: must not be used
      a.cache_len_dev = device_len ? dlen.as<int32_t>() : nullptr;
      a.key_limit = c.first_row + c.rows;
      a.scale = scale;
      ASSERT_TRUE(attention_prefill_supports(a));
      launch_attention_prefill(a, kv, nullptr);
      const auto out = download<float>(dout, ref.size());
      const double err = rel_error(out, ref);
      EXPECT_LT(err, 1e-2) << "heads " << c.heads << "/" << c.kv_heads << " hd " << c.head_dim << " cache "
                           << c.cache_len << " first_row " << c.first_row << " rows " << c.rows
                           << (device_len ? " (device length)" : "");
    }
  }
}

TEST(CudaAttentionPrefill, RefusesWhatItDoesNotServe) {
  // Pure argument checks: no GPU needed.
  AttentionArgs a;
  a.rows = 4;
  a.heads = 4;
  a.kv_heads = 2;
  a.head_dim = 128;
  a.key_limit = 4;
  EXPECT_TRUE(attention_prefill_supports(a));
  const uint8_t mask[16] = {};
  a.mask = mask;
  EXPECT_FALSE(attention_prefill_supports(a));  // masked steps (verification) keep the split kernel
  a.mask = nullptr;
  a.head_dim = 80;
  EXPECT_FALSE(attention_prefill_supports(a));
  a.head_dim = 64;
  a.key_limit = 3;  // the last row's own key is not in the cache yet
  EXPECT_FALSE(attention_prefill_supports(a));
  EXPECT_THROW(launch_attention_prefill(a, KvLayer{}, nullptr), Error);
}

}  // namespace
}  // namespace stride::cuda::test
