// Speculative sampling keeps the target distribution: over many seeded runs on a small-vocabulary
// mock model, the first three generated tokens of every strategy follow the exact joint
// distribution of plain sampling (chi-square goodness of fit, fixed seeds, so deterministic).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>

#include "chi_square.h"
#include "decode_loop.h"
#include "mock_backend.h"

namespace stride::testing {
namespace {

constexpr int kVocab = 8;
constexpr int kRuns = 6000;

struct Joint {
  std::map<std::vector<TokenId>, double> p;  // exact probabilities of (t1, t2, t3)
};

// The exact distribution of the first three tokens under plain sampling.
Joint exact_joint(const MockBackend& model, const std::vector<TokenId>& prompt, const SamplingParams& sp) {
  TokenSampler sampler(sp);
  Joint j;
  std::vector<float> p1, p2, p3;
  std::vector<TokenId> seq = prompt;
  sampler.distribution(model.logits_for(seq), p1);
  for (int a = 0; a < kVocab; ++a) {
    if (p1[a] == 0) continue;
    seq.push_back(a);
    sampler.distribution(model.logits_for(seq), p2);
    for (int b = 0; b < kVocab; ++b) {
      if (p2[b] == 0) continue;
      seq.push_back(b);
      sampler.distribution(model.logits_for(seq), p3);
      for (int c = 0; c < kVocab; ++c) {
        if (p3[c] > 0) j.p[{a, b, c}] = double(p1[a]) * p2[b] * p3[c];
      }
      seq.pop_back();
    }
    seq.pop_back();
  }
  return j;
}

struct Case {
  const char* name;
  StrategyKind kind;
  uint64_t draft_seed;
};

void check_strategy_distribution(const SamplingParams& base, float sharpness) {
  const std::vector<TokenId> prompt = {1, 2, 3, 1, 2, 3, 1, 2, 4, 5, 1, 2};
  MockBackend model(kVocab, 3, sharpness);
  const Joint exact = exact_joint(model, prompt, base);
  const std::vector<Case> cases = {{"plain", StrategyKind::Sample, 0},
                                   {"lookahead", StrategyKind::Lookahead, 0},
                                   {"ngram", StrategyKind::Ngram, 0},
                                   {"draft (other model)", StrategyKind::Draft, 4},
                                   {"draft (same model)", StrategyKind::Draft, 3}};
  for (const Case& c : cases) {
    std::map<std::vector<TokenId>, int> counts;
    int guesses = 0, steps = 0;
    for (int run = 0; run < kRuns; ++run) {
      MockBackend target(kVocab, 3, sharpness);
      MockBackend draft(kVocab, c.draft_seed, sharpness);
      if (c.kind != StrategyKind::Sample) target.drop_logits_on_accept = draft.drop_logits_on_accept = true;
      Request req;
      req.prompt_ids = prompt;
      req.max_tokens = 3;
      req.strategy = c.kind;
      req.sampling = base;
      req.sampling.seed = 1000 + run;
      req.lookahead = {3, 3, 3};
      req.ngram = {1, 2, 4};
      req.draft.draft_tokens = 3;
      LoopResult res = run_decode(target, req, &draft);
      counts[{res.ids[0], res.ids[1], res.ids[2]}]++;
      for (const auto& [branch, n] : res.stats.tokens_by_branch) {
        if (branch != "base") guesses += n;
      }
      steps += res.stats.steps;
    }
    const ChiSquareFit fit = chi_square_fit(exact.p, counts, kRuns);
    std::printf("%s: chi2 %.1f (critical %.1f, df %d), accepted guesses %d, steps %d\n", c.name, fit.chi2, fit.critical, fit.df, guesses, steps);
    EXPECT_LT(fit.chi2, fit.critical) << c.name << ": chi2 " << fit.chi2 << " df " << fit.df;
    if (c.kind != StrategyKind::Sample) {
      // The test only means something if guesses were both accepted and rejected.
      EXPECT_GT(guesses, kRuns / 20) << c.name;
      if (c.draft_seed != 3) EXPECT_GT(steps, kRuns) << c.name;
    }
  }
}

TEST(SpeculativeSampling, KeepsTheTargetDistributionAtTemperatureOne) {
  SamplingParams sp;
  sp.temperature = 1.0f;
  check_strategy_distribution(sp, 2.5f);
}

TEST(SpeculativeSampling, KeepsTheTargetDistributionWithTopKAndTemperature) {
  SamplingParams sp;
  sp.temperature = 0.7f;
  sp.top_k = 5;
  check_strategy_distribution(sp, 2.0f);
}

TEST(SpeculativeSampling, ChiSquareDetectsABiasedSampler) {
  // The check itself can fail: tokens from a differently seeded model do not fit.
  const std::vector<TokenId> prompt = {1, 2, 3, 1, 2, 3, 1, 2, 4, 5, 1, 2};
  SamplingParams sp;
  sp.temperature = 1.0f;
  MockBackend model(kVocab, 3, 2.5f);
  const Joint exact = exact_joint(model, prompt, sp);
  std::map<std::vector<TokenId>, int> counts;
  for (int run = 0; run < kRuns; ++run) {
    MockBackend other(kVocab, 4, 2.5f);
    Request req;
    req.prompt_ids = prompt;
    req.max_tokens = 3;
    req.strategy = StrategyKind::Sample;
    req.sampling.seed = 1000 + run;
    LoopResult res = run_decode(other, req);
    counts[{res.ids[0], res.ids[1], res.ids[2]}]++;
  }
  const ChiSquareFit fit = chi_square_fit(exact.p, counts, kRuns);
  EXPECT_GT(fit.chi2, fit.critical);
}

}  // namespace
}  // namespace stride::testing
