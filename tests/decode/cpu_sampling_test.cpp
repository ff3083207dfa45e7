// Speculative sampling on the real CPU backend: a random small-vocabulary Qwen2 model (and a
// differently seeded draft); over many seeded runs the first three tokens of lookahead, prompt
// lookup and draft sampling follow the exact distribution of plain sampling (chi-square).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "chi_square.h"
#include "decode_loop.h"
#include "model/model_weights.h"
#include "random_model_folder.h"
#include "runtime/cpu/cpu_backend.h"

namespace stride::testing {
namespace {

constexpr int kVocab = 12;
constexpr int kRuns = 4000;

std::unique_ptr<Backend> random_backend(uint64_t seed) {
  RandomModel spec;
  spec.vocab = kVocab;
  spec.embed_scale = 0.25f;
  const std::string dir = scratch_dir("sampling-" + std::to_string(seed));
  write_random_model(dir, spec, seed);
  ModelConfig config = ModelConfig::load(dir);
  std::shared_ptr<const ModelWeights> weights(ModelWeights::load(dir, config));
  auto backend = make_cpu_backend(weights, 1, 256);
  std::filesystem::remove_all(dir);
  return backend;
}

// Target distribution of the next token after `seq` (sampler-processed probabilities).
std::vector<float> next_probs(Backend& model, const std::vector<TokenId>& seq, const TokenSampler& sampler) {
  model.truncate(0);
  StepInput in;
  in.tokens = seq;
  for (size_t p = 0; p < seq.size(); ++p) in.positions.push_back(static_cast<int32_t>(p));
  in.logits_from = static_cast<int>(seq.size()) - 1;
  model.forward(in);
  std::vector<float> logits, probs;
  model.logits(in.logits_from, logits);
  sampler.distribution(logits, probs);
  model.truncate(0);
  return probs;
}

TEST(CpuSpeculativeSampling, FirstTokensFollowTheTargetDistribution) {
  auto target = random_backend(11);
  auto other_draft = random_backend(12);
  auto self_draft = random_backend(11);
  const std::vector<TokenId> prompt = {2, 3, 4, 2, 3, 4, 2, 3, 5, 6, 2, 3};
  SamplingParams sp;
  sp.temperature = 0.9f;
  TokenSampler reference(sp);

  // The exact joint distribution of (t1, t2, t3).
  std::map<std::vector<TokenId>, double> exact;
  const auto p1 = next_probs(*target, prompt, reference);
  for (int a = 0; a < kVocab; ++a) {
    auto s1 = prompt;
    s1.push_back(a);
    const auto p2 = next_probs(*target, s1, reference);
    for (int b = 0; b < kVocab; ++b) {
      auto s2 = s1;
      s2.push_back(b);
      const auto p3 = next_probs(*target, s2, reference);
      for (int c = 0; c < kVocab; ++c) exact[{a, b, c}] = double(p1[a]) * p2[b] * p3[c];
    }
  }

  struct Case {
    const char* name;
    StrategyKind kind;
    Backend* draft;
  };
  for (const Case& c : {Case{"plain", StrategyKind::Sample, nullptr}, Case{"lookahead", StrategyKind::Lookahead, nullptr},
                        Case{"ngram", StrategyKind::Ngram, nullptr}, Case{"draft (other)", StrategyKind::Draft, other_draft.get()},
                        Case{"draft (self)", StrategyKind::Draft, self_draft.get()}}) {
    std::map<std::vector<TokenId>, int> counts;
    int guesses = 0;
    for (int run = 0; run < kRuns; ++run) {
      Request req;
      req.prompt_ids = prompt;
      req.max_tokens = 3;
      req.strategy = c.kind;
      req.sampling = sp;
      req.sampling.seed = 500 + run;
      req.lookahead = {3, 3, 3};
      req.ngram = {1, 2, 4};
      req.draft.draft_tokens = 3;
      LoopResult r = run_decode(*target, req, c.draft);
      counts[{r.ids[0], r.ids[1], r.ids[2]}]++;
      for (const auto& [branch, n] : r.stats.tokens_by_branch) {
        if (branch != "base") guesses += n;
      }
    }
    const ChiSquareFit fit = chi_square_fit(exact, counts, kRuns);
    const double chi2 = fit.chi2, critical = fit.critical;
    const int df = fit.df;
    std::printf("cpu %s: chi2 %.1f (critical %.1f, df %d), accepted guesses %d\n", c.name, chi2, critical, df, guesses);
    EXPECT_LT(chi2, critical) << c.name;
    if (c.kind != StrategyKind::Sample) EXPECT_GT(guesses, kRuns / 50) << c.name;
  }
}

}  // namespace
}  // namespace stride::testing
