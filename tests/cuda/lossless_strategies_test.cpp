// Lossless speculative decoding on the GPU, bit for bit: on the tiny real model through
// Engine::load(BackendKind::Cuda), lookahead (several W, N, G), prompt lookup and draft (the tiny
// model drafting for itself) must give exactly the token ids of plain greedy decoding on every
// prompt of the shared prompt set. The decode/verification kernels are batch invariant and the
// attention walks a verified token's keys in the order plain decoding sees them, so any
// difference, even one flipped argmax, is a bug.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "decode/prompt_set.h"
#include "runtime/cuda/cuda_backend.h"
#include "stride/engine.h"

namespace stride::cuda::test {
namespace {

constexpr int kMaxTokens = 48;

std::string tiny_model_dir() { return std::string(STRIDE_SHARED_DIR) + "/models/tiny-qwen2-coder"; }

struct Setting {
  std::string label;
  StrategyKind kind;
  LookaheadParams lookahead;
};

struct SettingRun {
  std::vector<std::vector<TokenId>> ids;  // per prompt
  int tokens = 0, steps = 0;
};

// A fresh engine per setting, requests in prompt-set order: every setting sees the same prefix-cache
// history, so the prompt phase is the same computation for all of them.
SettingRun run_setting(const Setting& s) {
  EngineOptions opt;
  opt.model_dir = tiny_model_dir();
  opt.backend = BackendKind::Cuda;
  opt.max_context = 2048;
  auto engine = Engine::load(opt);
  EXPECT_EQ(engine->device_info().backend, BackendKind::Cuda);
  SettingRun run;
  for (const auto& p : stride::testing::code_prompts()) {
    Request r;
    r.prompt_ids = p.fim ? engine->fim_prompt(p.prefix, p.suffix) : engine->tokenizer().encode(p.prefix, false);
    r.max_tokens = kMaxTokens;
    r.stop_at_eos = false;
    r.strategy = s.kind;
    r.sampling.temperature = 0.0f;
    r.lookahead = s.lookahead;
    r.draft.model_dir = tiny_model_dir();
    r.draft.draft_tokens = 5;
    const Result res = engine->generate(r);
    run.ids.push_back(res.ids);
    run.tokens += res.generated_tokens;
    run.steps += res.stats.steps;
  }
  return run;
}

TEST(CudaLossless, SpeculativeStrategiesReproduceGreedyTokenIdsExactly) {
  std::string why;
  if (!cuda_device_available(&why)) GTEST_SKIP() << "no GPU, GPU lossless check not run: " << why;
  const auto& prompts = stride::testing::code_prompts();
  const SettingRun greedy = run_setting({"greedy", StrategyKind::Greedy, {}});
  ASSERT_EQ(greedy.ids.size(), prompts.size());
  for (const auto& ids : greedy.ids) ASSERT_EQ(ids.size(), size_t(kMaxTokens));

  const std::vector<Setting> settings = {
      {"lookahead W=1 N=3 G=2 (the default)", StrategyKind::Lookahead, {1, 3, 2}},
      {"lookahead W=3 N=3 G=3", StrategyKind::Lookahead, {3, 3, 3}},
      {"lookahead W=5 N=4 G=5", StrategyKind::Lookahead, {5, 4, 5}},
      {"lookahead W=8 N=4 G=8", StrategyKind::Lookahead, {8, 4, 8}},
      {"lookahead W=15 N=5 G=15", StrategyKind::Lookahead, {15, 5, 15}},
      {"prompt lookup", StrategyKind::Ngram, {}},
      {"draft (tiny drafts for itself)", StrategyKind::Draft, {}},
  };
  for (const Setting& s : settings) {
    const SettingRun run = run_setting(s);
    ASSERT_EQ(run.ids.size(), prompts.size()) << s.label;
    for (size_t i = 0; i < prompts.size(); ++i) {
      const auto& got = run.ids[i];
      const auto& want = greedy.ids[i];
      size_t first_diff = 0;
      while (first_diff < std::min(got.size(), want.size()) && got[first_diff] == want[first_diff]) ++first_diff;
      EXPECT_EQ(got, want) << s.label << ", prompt " << prompts[i].name << ": first difference at token " << first_diff;
    }
    // The check means something only if steps really carried several tokens.
    EXPECT_LT(run.steps, run.tokens) << s.label << " accepted one token per step: nothing speculative was verified";
    std::printf("[ lossless ] %-32s %d tokens in %d steps (%.2f tokens/step)\n", s.label.c_str(),
                run.tokens, run.steps, double(run.tokens) / run.steps);
  }
}

}  // namespace
}  // namespace stride::cuda::test
