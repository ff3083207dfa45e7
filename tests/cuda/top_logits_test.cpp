// The on-device sampling candidates: kernels/top_logits against a host sort on fresh random rows
// (planted ties, NaN, a row of all-equal logits that overflows the candidate buffer), and the CUDA
// backend's sampled tokens against the same sampler reading whole rows.
#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <numeric>

#include "cuda_test_util.h"
#include "decode/decode_strategy.h"
#include "kernels/top_logits.cuh"

namespace stride::cuda::test {
namespace {

TEST(CudaTopLogits, MatchesHostSortWithTiesAndNaN) {
  STRIDE_REQUIRE_GPU();
  std::mt19937 rng(std::random_device{}());
  const int vocab = 151936;
  for (int variant = 0; variant < 4; ++variant) {
    std::vector<float> row = random_f32(rng, vocab, 8.f);
    if (variant == 1) {  // ties around the k-th place and NaN entries
      for (int i = 0; i < 300; ++i) row[rng() % vocab] = 7.5f;
      row[5] = NAN;
      row[vocab - 1] = NAN;
    }
    if (variant == 2) std::fill(row.begin(), row.end(), 0.5f);  // every logit ties: ids 0..k-1
    if (variant == 3) row[123456] = 1e30f;                       // one dominant token
    DeviceBuffer drow = upload(row), ids(kTopLogitsMaxK * 4), vals(kTopLogitsMaxK * 4), sum(8);
    std::vector<int> order(vocab);
    std::iota(order.begin(), order.end(), 0);
    auto key = [&](int i) { return std::isnan(row[i]) ? -INFINITY : row[i]; };
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      if (std::isnan(row[a]) != std::isnan(row[b])) return std::isnan(row[b]);
      return key(a) > key(b);
    });
    for (int k : {1, 7, 100, 256}) {
      poison(ids);
      poison(vals);
      const float temperature = 0.8f;
      launch_top_logits(drow.as<float>(), vocab, k, 1.f / temperature, ids.as<int32_t>(), vals.as<float>(),
                        sum.as<double>(), nullptr);
      const auto got_ids = download<int32_t>(ids, k);
      const auto got_vals = download<float>(vals, k);
      const auto got_sum = download<double>(sum, 1);
      for (int i = 0; i < k; ++i) {
        ASSERT_EQ(got_ids[i], order[i]) << "variant " << variant << " k " << k << " place " << i;
        ASSERT_EQ(got_vals[i], row[order[i]]);
      }
      double ref = 0;
      for (int i = 0; i < vocab; ++i)
        if (!std::isnan(row[i])) ref += std::exp((double(row[i]) - row[order[0]]) / temperature);
      EXPECT_FALSE(std::isnan(got_sum[0]));
      EXPECT_NEAR(got_sum[0], ref, 1e-5 * ref) << "variant " << variant;
    }
  }
}

TEST(CudaTopLogits, BackendSamplesTheTokensOfWholeRowSampling) {
  STRIDE_REQUIRE_GPU();
  ModelConfig c = small_test_config();
  c.vocab_size = 5000;
  setenv("STRIDE_CUDA_DEVICE_SAMPLING", "1", 1);  // opt-in until verified; read when the backend is built
  auto b = make_cuda_backend_random(c, 77, 256);
  unsetenv("STRIDE_CUDA_DEVICE_SAMPLING");
  StepInput in;
  for (int i = 0; i < 12; ++i) {
    in.tokens.push_back(int32_t((i * 389) % c.vocab_size));
    in.positions.push_back(i);
  }
  b->forward(in);
  // top-k candidates from the device, compared with the host path on the downloaded rows: with the
  // same seed both samplers must draw the same tokens (the candidates and their order are exact).
  for (const auto& p : std::vector<SamplingParams>{{1.f, 40, 1.f, 3}, {0.7f, 256, 0.9f, 4}, {1.2f, 5, 1.f, 5}}) {
    TokenSampler dev(p), host(p);
    std::vector<float> lg;
    for (int draw = 0; draw < 48; ++draw) {
      const int row = draw % 12;
      b->logits(row, lg);
      ASSERT_EQ(dev.sample_row(*b, row), host.sample(lg)) << "top_k " << p.top_k << " draw " << draw;
    }
  }
  TopLogits t;
  EXPECT_THROW(b->top_logits(12, 4, 1.f, t), Error);  // no such row
}

}  // namespace
}  // namespace stride::cuda::test
