// TokenSampler::sample_row: sampling from a backend row through Backend::top_logits gives exactly
// the draws of sample() on the whole row, and reads the whole row only when the candidates cannot
// decide (no top-k and no top-p, top-k above the candidate limit, a top-p cut past the candidates).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "decode/decode_strategy.h"

namespace stride {
namespace {

// Fixed logits rows; counts whole-row reads. `own_top` replaces the default top_logits by an
// independent one (as the CUDA backend has), so whole-row reads can be counted.
class RowsBackend : public Backend {
 public:
  RowsBackend(std::vector<std::vector<float>> rows, bool own_top) : rows_(std::move(rows)), own_top_(own_top) {
    config_.vocab_size = static_cast<int>(rows_[0].size());
  }
  std::string name() const override { return "rows"; }
  const ModelConfig& config() const override { return config_; }
  int capacity() const override { return 1 << 20; }
  int cache_len() const override { return 0; }
  void forward(const StepInput&) override {}
  std::vector<int32_t> argmax() override {
    std::vector<int32_t> out;
    for (const auto& r : rows_) out.push_back(int32_t(std::max_element(r.begin(), r.end()) - r.begin()));
    return out;
  }
  void logits(int row, std::vector<float>& out) override {
    ++full_reads;
    out = rows_.at(row);
  }
  void top_logits(int row, int k, float temperature, TopLogits& out) override {
    if (!own_top_) return Backend::top_logits(row, k, temperature, out);
    ++top_reads;
    const auto& r = rows_.at(row);
    std::vector<int> order(r.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return r[a] > r[b] || (r[a] == r[b] && a < b); });
    out.ids.assign(order.begin(), order.begin() + k);
    out.values.clear();
    for (int i = 0; i < k; ++i) out.values.push_back(r[order[i]]);
    out.sum_exp = 0;
    if (temperature > 0)
      for (float v : r) out.sum_exp += std::exp((double(v) - r[order[0]]) / temperature);  // id order, as a GPU might
  }
  void accept(const std::vector<int>&) override {}
  void truncate(int) override {}

  int full_reads = 0, top_reads = 0;

 private:
  std::vector<std::vector<float>> rows_;
  bool own_top_;
  ModelConfig config_;
};

std::vector<std::vector<float>> random_rows(int rows, int vocab, float spread, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.f, spread);
  std::vector<std::vector<float>> out(rows, std::vector<float>(vocab));
  for (auto& r : out)
    for (auto& v : r) v = d(rng);
  out[0][3] = out[0][9] = out[0][17] = 9.f;  // equal highest logits: ties go to lower ids
  return out;
}

struct Params {
  float temperature;
  int top_k;
  float top_p;
};

TEST(SampleRow, DrawsExactlyWhatSampleDrawsOnTheWholeRow) {
  const std::vector<Params> grid = {{0.7f, 1, 1.f},   {1.f, 5, 1.f},   {1.f, 40, 0.9f}, {1.6f, 256, 1.f},
                                    {1.f, 256, 0.5f}, {0.7f, 0, 0.9f}, {1.f, 0, 0.5f},  {1.f, 0, 1.f},
                                    {1.f, 300, 1.f},  {1.3f, 0, 0.999999f}};
  for (float spread : {0.5f, 3.f}) {
    RowsBackend b(random_rows(4, 1000, spread, 7), /*own_top=*/false);
    for (const auto& p : grid) {
      for (uint64_t seed : {1ull, 2ull, 99ull}) {
        TokenSampler via_row(SamplingParams{p.temperature, p.top_k, p.top_p, seed});
        TokenSampler via_logits(SamplingParams{p.temperature, p.top_k, p.top_p, seed});
        std::vector<float> lg;
        for (int draw = 0; draw < 60; ++draw) {
          const int row = draw % 4;
          b.logits(row, lg);
          ASSERT_EQ(via_row.sample_row(b, row), via_logits.sample(lg))
              << "T " << p.temperature << " top_k " << p.top_k << " top_p " << p.top_p << " seed " << seed
              << " draw " << draw << " spread " << spread;
        }
      }
    }
  }
}

TEST(SampleRow, ReadsTheWholeRowOnlyWhenTheCandidatesCannotDecide) {
  auto peaked = random_rows(1, 1000, 3.f, 11);
  std::vector<std::vector<float>> flat(1, std::vector<float>(1000, 0.25f));
  struct Case {
    const std::vector<std::vector<float>>* rows;
    Params p;
    bool full;
  };
  const std::vector<Case> cases = {
      {&peaked, {1.f, 40, 1.f}, false},   {&peaked, {1.f, 256, 0.9f}, false}, {&peaked, {1.f, 0, 0.9f}, false},
      {&flat, {1.f, 0, 0.9f}, true},      // the cut lies far past 256 candidates
      {&peaked, {1.f, 0, 1.f}, true},     // plain temperature sampling needs the tail
      {&peaked, {1.f, 257, 1.f}, true},   // more candidates than the backend hands out
      {&peaked, {0.f, 0, 1.f}, false},    // greedy: argmax only
  };
  for (const auto& c : cases) {
    RowsBackend b(*c.rows, /*own_top=*/true);
    TokenSampler s(SamplingParams{c.p.temperature, c.p.top_k, c.p.top_p, 5});
    std::vector<int> seen(1000, 0);
    for (int i = 0; i < 20; ++i) {
      const int32_t t = s.sample_row(b, 0);
      ASSERT_GE(t, 0);
      ASSERT_LT(t, 1000);
      ++seen[t];
    }
    EXPECT_EQ(b.full_reads > 0, c.full) << "top_k " << c.p.top_k << " top_p " << c.p.top_p;
    if (c.p.top_k > 0 && c.p.top_k <= 256) EXPECT_EQ(b.top_reads, 20);
    if (c.p.top_k == 40) {
      // Only the 40 highest logits may come out.
      std::vector<float> r = (*c.rows)[0];
      std::vector<float> sorted = r;
      std::sort(sorted.rbegin(), sorted.rend());
      for (int t = 0; t < 1000; ++t)
        if (seen[t]) EXPECT_GE(r[t], sorted[39]) << "token " << t;
    }
  }
}

TEST(SampleRow, DefaultTopLogitsOrdersTiesByLowerId) {
  RowsBackend b(random_rows(1, 100, 1.f, 3), /*own_top=*/false);
  TopLogits t;
  b.top_logits(0, 5, 1.f, t);
  ASSERT_EQ(t.ids.size(), 5u);
  EXPECT_EQ(t.ids[0], 3);
  EXPECT_EQ(t.ids[1], 9);
  EXPECT_EQ(t.ids[2], 17);
  EXPECT_EQ(t.values[0], 9.f);
  for (int i = 1; i < 5; ++i) EXPECT_LE(t.values[i], t.values[i - 1]);
  EXPECT_GT(t.sum_exp, 3.0);  // the three tied maxima contribute exp(0) each
  b.top_logits(0, 5, 0.f, t);
  EXPECT_EQ(t.sum_exp, 0.0);
}

}  // namespace
}  // namespace stride
