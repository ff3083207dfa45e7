#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "api/stop_text.h"
#include "decode/decode_strategy.h"

namespace stride {
namespace {

TEST(TokenSampler, GreedyIsArgmaxWithLowestIdOnTies) {
  TokenSampler s(SamplingParams{0.0f, 0, 1.0f, 1});
  EXPECT_TRUE(s.greedy());
  EXPECT_EQ(s.sample({0.1f, 3.0f, 3.0f, -1.0f}), 1);
}

TEST(TokenSampler, TemperatureSoftmaxMatchesTheFormula) {
  TokenSampler s(SamplingParams{0.5f, 0, 1.0f, 1});
  std::vector<float> logits = {1.0f, 2.0f, 0.0f}, probs;
  s.distribution(logits, probs);
  double z = std::exp(2.0) + std::exp(4.0) + std::exp(0.0);
  EXPECT_NEAR(probs[0], std::exp(2.0) / z, 1e-6);
  EXPECT_NEAR(probs[1], std::exp(4.0) / z, 1e-6);
  EXPECT_NEAR(probs[2], 1.0 / z, 1e-6);
}

TEST(TokenSampler, TopKAndTopPKeepOnlyTheHead) {
  std::vector<float> logits = {0.0f, 3.0f, 1.0f, 2.0f}, probs;
  TokenSampler k2(SamplingParams{1.0f, 2, 1.0f, 1});
  k2.distribution(logits, probs);
  EXPECT_EQ(probs[0], 0.0f);
  EXPECT_EQ(probs[2], 0.0f);
  EXPECT_NEAR(probs[1] + probs[3], 1.0, 1e-6);
  EXPECT_NEAR(probs[1] / probs[3], std::exp(1.0), 1e-5);

  // softmax(0,3,1,2) ≈ (.032,.644,.087,.237): p = 0.7 needs tokens 1 and 3.
  TokenSampler p(SamplingParams{1.0f, 0, 0.7f, 1});
  p.distribution(logits, probs);
  EXPECT_GT(probs[1], 0.0f);
  EXPECT_GT(probs[3], 0.0f);
  EXPECT_EQ(probs[0], 0.0f);
  EXPECT_EQ(probs[2], 0.0f);
}

TEST(TokenSampler, SamplesFollowTheDistribution) {
  TokenSampler s(SamplingParams{1.0f, 0, 1.0f, 42});
  std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  std::map<int, int> counts;
  const int n = 20000;
  for (int i = 0; i < n; ++i) counts[s.sample(logits)]++;
  EXPECT_NEAR(counts[0] / double(n), 0.5, 0.02);
  EXPECT_NEAR(counts[1] / double(n), 0.3, 0.02);
  EXPECT_NEAR(counts[2] / double(n), 0.2, 0.02);
}

TEST(StopText, FindsTheEarliestStopAndHoldsBackPartialOnes) {
  EXPECT_EQ(find_stop("abc\n\ndef", {"\n\n", "c"}), 2u);
  EXPECT_EQ(find_stop("abc", {"x"}), std::string::npos);
  EXPECT_EQ(stop_holdback("return x\n", {"\n\n"}), 1u);
  EXPECT_EQ(stop_holdback("return x", {"\n\n"}), 0u);
  EXPECT_EQ(stop_holdback("foo</s", {"</s>"}), 3u);
  EXPECT_EQ(stop_holdback("anything", {""}), 0u);
}

}  // namespace
}  // namespace stride
