// The speculative strategies on the tiny real model (CPU backend): for every prompt of the set
// (plain and FIM, several languages) they return exactly the plain greedy tokens, and lookahead
// with the model's default (W, N, G) averages at least 2 tokens per forward pass.
#include <gtest/gtest.h>

#include <cstdio>

#include "decode/lookahead_strategy.h"
#include "tiny_model_fixture.h"

namespace stride::testing {
namespace {

constexpr int kMaxTokens = 32;  // the prompt-lookup measurement: long enough for code to start repeating
// The lookahead measurement: the completion length of stride-bench --sweep, whose table the
// defaults come from (at 32 tokens the default (1, 3, 2) averages 1.90 tokens/step here, (5, 4, 5) 2.13).
constexpr int kLookaheadTokens = 64;
constexpr int kShortTokens = 16;  // the other lossless checks

Request greedy_request(const std::vector<TokenId>& prompt, StrategyKind kind, int max_tokens = kMaxTokens) {
  Request r;
  r.prompt_ids = prompt;
  r.max_tokens = max_tokens;
  r.strategy = kind;
  r.sampling.temperature = 0.0f;
  return r;
}

// Generated tokens after the first (which prefill chooses) per decode step.
double tokens_per_step(const LoopResult& r) { return r.stats.steps ? double(r.ids.size() - 1) / r.stats.steps : 0; }

TEST(TinyModel, PromptSetIsLargeAndVaried) {
  TinyModel& m = TinyModel::get();
  ASSERT_GE(m.prompts.size(), 30u);
  int fim = 0;
  const int fim_middle = m.tokenizer->token_id("<|fim_middle|>");
  for (const auto& p : m.prompts) {
    ASSERT_FALSE(p.empty());
    if (p.back() == fim_middle) ++fim;
  }
  EXPECT_GE(fim, 10) << "FIM prompts must end in the <|fim_middle|> control token";
}

TEST(TinyModel, LookaheadReproducesGreedyAtTwoTokensPerStep) {
  TinyModel& m = TinyModel::get();
  const LookaheadParams d = default_lookahead_params(m.target->config());
  int generated = 0, steps = 0;
  for (size_t i = 0; i < m.prompts.size(); ++i) {
    LoopResult r = run_decode(*m.target, greedy_request(m.prompts[i], StrategyKind::Lookahead, kLookaheadTokens));
    EXPECT_EQ(r.ids, m.greedy(i, kLookaheadTokens)) << code_prompts()[i].name;
    generated += static_cast<int>(r.ids.size()) - 1;
    steps += r.stats.steps;
  }
  const double average = double(generated) / steps;
  std::printf("lookahead W=%d N=%d G=%d: %d tokens in %d steps, %.2f tokens/step\n", d.window, d.ngram, d.verify,
              generated, steps, average);
  // A deterministic count over fixed prompts (greedy, CPU float32), not a timing.
  EXPECT_GE(average, 2.0);
}

TEST(TinyModel, LookaheadWindowShapesReproduceGreedy) {
  TinyModel& m = TinyModel::get();
  const std::vector<LookaheadParams> shapes = {{1, 2, 1}, {1, 4, 2}, {3, 3, 3}, {10, 5, 10}};
  for (size_t i = 0; i < m.prompts.size(); i += 8) {
    for (const auto& s : shapes) {
      Request req = greedy_request(m.prompts[i], StrategyKind::Lookahead, 12);
      req.lookahead = s;
      LoopResult r = run_decode(*m.target, req);
      EXPECT_EQ(r.ids, m.greedy(i, 12)) << code_prompts()[i].name << " W=" << s.window << " N=" << s.ngram
                                        << " G=" << s.verify;
    }
  }
}

TEST(TinyModel, PromptLookupReproducesGreedy) {
  TinyModel& m = TinyModel::get();
  int generated = 0, steps = 0;
  for (size_t i = 0; i < m.prompts.size(); ++i) {
    Request req = greedy_request(m.prompts[i], StrategyKind::Ngram, kShortTokens);
    req.ngram = {1, 3, 6};
    LoopResult r = run_decode(*m.target, req);
    EXPECT_EQ(r.ids, m.greedy(i, kShortTokens)) << code_prompts()[i].name;
    generated += static_cast<int>(r.ids.size()) - 1;
    steps += r.stats.steps;
  }
  std::printf("prompt lookup: %.2f tokens/step\n", double(generated) / steps);
  EXPECT_GT(generated, steps);
}

TEST(TinyModel, DraftModelsReproduceGreedy) {
  TinyModel& m = TinyModel::get();
  int self_proposed = 0, self_accepted = 0, rnd_proposed = 0, rnd_accepted = 0;
  for (size_t i = 0; i < m.prompts.size(); ++i) {
    const bool self = i % 2 == 0;
    Request req = greedy_request(m.prompts[i], StrategyKind::Draft, kShortTokens);
    req.draft.draft_tokens = self ? 4 : 2;
    LoopResult r = run_decode(*m.target, req, self ? m.self_draft.get() : m.random_draft.get());
    EXPECT_EQ(r.ids, m.greedy(i, kShortTokens)) << code_prompts()[i].name << (self ? " (self draft)" : " (random draft)");
    (self ? self_proposed : rnd_proposed) += r.stats.draft_proposed;
    (self ? self_accepted : rnd_accepted) += r.stats.draft_accepted;
  }
  std::printf("draft: self %d/%d accepted, random %d/%d accepted\n", self_accepted, self_proposed, rnd_accepted,
              rnd_proposed);
  // The model drafting for itself guesses right (up to float ties between batch shapes).
  EXPECT_GE(self_accepted, self_proposed * 9 / 10);
}

TEST(TinyModel, OneTokenPromptWorksWithEveryStrategy) {
  TinyModel& m = TinyModel::get();
  const std::vector<TokenId> prompt = {m.prompts[0][0]};
  Request plain = greedy_request(prompt, StrategyKind::Greedy, 12);
  const auto expected = run_decode(*m.target, plain).ids;
  for (LookaheadParams s : std::vector<LookaheadParams>{{1, 2, 1}, {5, 4, 5}}) {
    Request req = greedy_request(prompt, StrategyKind::Lookahead, 12);
    req.lookahead = s;
    EXPECT_EQ(run_decode(*m.target, req).ids, expected);
  }
  EXPECT_EQ(run_decode(*m.target, greedy_request(prompt, StrategyKind::Ngram, 12)).ids, expected);
  EXPECT_EQ(run_decode(*m.target, greedy_request(prompt, StrategyKind::Draft, 12), m.random_draft.get()).ids, expected);
}

}  // namespace
}  // namespace stride::testing
