// Greedy speculative strategies against the strict mock model: exactly the plain greedy tokens,
// one target forward pass per step, masks and positions checked by the mock on every row.
#include <gtest/gtest.h>

#include <random>

#include "decode/lookahead_strategy.h"
#include "decode_loop.h"
#include "mock_backend.h"

namespace stride::testing {
namespace {

constexpr int kVocab = 40;

// Prompts with repeated runs (as code has), of several lengths, one of a single token.
std::vector<std::vector<TokenId>> mock_prompts() {
  std::vector<std::vector<TokenId>> out = {{7}, {3, 3, 3, 3}};
  std::mt19937 rng(5);
  for (int i = 0; i < 10; ++i) {
    std::vector<TokenId> p;
    const int len = 5 + 7 * i;
    while (static_cast<int>(p.size()) < len) {
      if (p.size() > 4 && rng() % 3 == 0) {  // copy an earlier run
        size_t from = rng() % (p.size() - 3);
        for (size_t k = 0; k < 4; ++k) p.push_back(p[from + k]);
      } else {
        p.push_back(static_cast<TokenId>(rng() % kVocab));
      }
    }
    out.push_back(p);
  }
  return out;
}

Request greedy_request(const std::vector<TokenId>& prompt, StrategyKind kind, int max_tokens = 40) {
  Request r;
  r.prompt_ids = prompt;
  r.max_tokens = max_tokens;
  r.strategy = kind;
  r.sampling.temperature = 0.0f;
  return r;
}

std::vector<TokenId> plain_greedy(const std::vector<TokenId>& prompt, int max_tokens = 40) {
  MockBackend target(kVocab, 1);
  return run_decode(target, greedy_request(prompt, StrategyKind::Greedy, max_tokens)).ids;
}

TEST(MockLossless, LookaheadMatchesGreedyForManyWindowShapes) {
  const std::vector<LookaheadParams> shapes = {{1, 2, 1}, {1, 4, 2}, {3, 2, 3}, {5, 3, 5},
                                               {8, 4, 8}, {15, 5, 15}, {4, 4, 1}, {6, 3, 2}};
  int guesses = 0;
  for (const auto& prompt : mock_prompts()) {
    const auto expected = plain_greedy(prompt);
    for (const auto& shape : shapes) {
      MockBackend target(kVocab, 1);
      target.drop_logits_on_accept = true;
      Request req = greedy_request(prompt, StrategyKind::Lookahead);
      req.lookahead = shape;
      LoopResult res = run_decode(target, req);
      EXPECT_EQ(res.ids, expected) << "W=" << shape.window << " N=" << shape.ngram << " G=" << shape.verify
                                   << " prompt size " << prompt.size();
      EXPECT_EQ(target.forwards() - 1, res.stats.steps) << "one forward pass per step";
      EXPECT_EQ(res.stats.pool_lookups, res.stats.steps);
      EXPECT_GT(res.stats.pool_size, 0);
      guesses += res.stats.tokens_by_branch["lookahead"];
      EXPECT_EQ(res.stats.tokens_by_branch["base"], res.stats.steps);
    }
  }
  EXPECT_GT(guesses, 100) << "the mock text repeats: lookahead must accept guesses";
}

TEST(MockLossless, LookaheadWithContextSeedsThePool) {
  // The continuation of the prompt is in context_ids: the seeded pool must produce hits.
  auto prompt = mock_prompts()[6];
  auto full = plain_greedy(prompt, 40);
  Request req = greedy_request(prompt, StrategyKind::Lookahead);
  req.context_ids = prompt;
  req.context_ids.insert(req.context_ids.end(), full.begin(), full.end());
  req.lookahead = {4, 4, 4};
  MockBackend target(kVocab, 1);
  LoopResult res = run_decode(target, req);
  EXPECT_EQ(res.ids, full);
  EXPECT_GT(res.stats.pool_hits, 0);
  EXPECT_LT(res.stats.steps, 25);
}

TEST(MockLossless, PromptLookupMatchesGreedy) {
  const std::vector<NgramParams> params = {{1, 4, 10}, {2, 3, 5}, {1, 1, 1}, {3, 6, 20}};
  int guesses = 0;
  for (const auto& prompt : mock_prompts()) {
    const auto expected = plain_greedy(prompt);
    for (const auto& p : params) {
      MockBackend target(kVocab, 1);
      target.drop_logits_on_accept = true;
      Request req = greedy_request(prompt, StrategyKind::Ngram);
      req.ngram = p;
      req.context_ids = mock_prompts()[11];
      LoopResult res = run_decode(target, req);
      EXPECT_EQ(res.ids, expected) << "min " << p.min_match << " max " << p.max_match << " draft " << p.max_draft;
      EXPECT_EQ(target.forwards() - 1, res.stats.steps);
      guesses += res.stats.tokens_by_branch["prompt"];
    }
  }
  EXPECT_GT(guesses, 10);
}

TEST(MockLossless, DraftMatchesGreedyWithGoodAndBadDrafts) {
  for (uint64_t draft_seed : {1u, 2u}) {
    for (int k : {1, 3, 5, 8}) {
      int accepted = 0;
      for (const auto& prompt : mock_prompts()) {
        MockBackend target(kVocab, 1);
        MockBackend draft(kVocab, draft_seed);
        target.drop_logits_on_accept = draft.drop_logits_on_accept = true;
        Request req = greedy_request(prompt, StrategyKind::Draft);
        req.draft.draft_tokens = k;
        LoopResult res = run_decode(target, req, &draft);
        EXPECT_EQ(res.ids, plain_greedy(prompt)) << "draft seed " << draft_seed << " K " << k;
        EXPECT_EQ(target.forwards() - 1, res.stats.steps);
        EXPECT_LE(res.stats.draft_accepted, res.stats.draft_proposed);
        EXPECT_EQ(res.stats.tokens_by_branch["draft"], res.stats.draft_accepted);
        accepted += res.stats.draft_accepted;
        if (draft_seed == 1) {  // the model drafting for itself: every guess is right
          EXPECT_EQ(res.stats.draft_accepted, res.stats.draft_proposed);
        }
      }
      if (draft_seed == 1) EXPECT_GT(accepted, 0);
    }
  }
}

TEST(MockLossless, StrategiesRespectAFullCache) {
  // Capacity leaves no room for guesses near the end: the strategies fall back to one token.
  auto prompt = mock_prompts()[3];
  const int max_tokens = 30;
  const int capacity = static_cast<int>(prompt.size()) + max_tokens + 2;
  for (StrategyKind kind : {StrategyKind::Lookahead, StrategyKind::Ngram, StrategyKind::Draft}) {
    MockBackend target(kVocab, 1, 4.0f, capacity);
    MockBackend draft(kVocab, 1, 4.0f, capacity);
    Request req = greedy_request(prompt, kind, max_tokens);
    req.lookahead = {8, 4, 8};
    LoopResult res = run_decode(target, req, &draft);
    EXPECT_EQ(res.ids, plain_greedy(prompt, max_tokens)) << to_string(kind);
  }
}

TEST(MockLossless, BadParametersAreClearErrors) {
  Request req;
  ModelConfig config;
  req.lookahead = {4, 1, 4};
  EXPECT_THROW(make_strategy(StrategyKind::Lookahead, req, config), Error);
  req.lookahead = {-1, 4, 4};
  EXPECT_THROW(make_strategy(StrategyKind::Lookahead, req, config), Error);
  req.ngram = {3, 2, 5};
  EXPECT_THROW(make_strategy(StrategyKind::Ngram, req, config), Error);
  req.draft.draft_tokens = 0;
  EXPECT_THROW(make_strategy(StrategyKind::Draft, req, config), Error);
  // The draft strategy without a draft backend.
  MockBackend target(kVocab, 1);
  Request ok = greedy_request({1, 2, 3}, StrategyKind::Draft);
  EXPECT_THROW(run_decode(target, ok, nullptr), Error);
}

TEST(LookaheadDefaults, RequestOverridesModelDefaults) {
  ModelConfig config;
  LookaheadParams d = default_lookahead_params(config);
  EXPECT_GE(d.window, 1);
  EXPECT_GE(d.ngram, 2);
  LookaheadParams p = resolve_lookahead_params({3, 0, 0}, config);
  EXPECT_EQ(p.window, 3);
  EXPECT_EQ(p.ngram, d.ngram);
  EXPECT_EQ(p.verify, d.verify);
  // GPU-sized models: a default step stays below the measured cost knee (~32 rows at the 7B shape,
  // bench/RESULTS.md run 4), so lookahead is not slower than greedy decoding there.
  ModelConfig big;
  big.hidden_size = 3584;
  const LookaheadParams g = default_lookahead_params(big);
  EXPECT_LE(1 + (g.window + g.verify) * (g.ngram - 1), 32);
  EXPECT_GE(g.window, 1);
}

}  // namespace
}  // namespace stride::testing
