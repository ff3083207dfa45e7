// The strategies through the public engine API: a request that meets EOS in the middle of an
// accepted run ends exactly where plain greedy decoding ends, for every speculative strategy.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "prompt_set.h"
#include "random_model_folder.h"
#include "stride/engine.h"

namespace stride::testing {
namespace {

std::string tiny_dir() { return std::string(STRIDE_SHARED_DIR) + "/models/tiny-qwen2-coder"; }

// The tiny model never emits EOS within a few dozen tokens, so this test uses a random model
// folder with the tiny model's tokenizer whose config names as EOS a token that greedy decoding
// emits a few tokens in: with the model drafting for itself every step accepts a run of guesses,
// and the EOS falls inside one.
TEST(EngineStrategies, EosInsideAnAcceptedRunEndsLikeGreedy) {
  const std::string dir = scratch_dir("eos-model");
  RandomModel spec;
  spec.vocab = 151936;
  spec.hidden = 32;
  spec.layers = 1;
  spec.heads = 2;
  spec.kv_heads = 1;
  write_random_model(dir, spec, 5);
  for (const char* f : {"tokenizer.json", "tokenizer_config.json"}) {
    std::filesystem::copy_file(tiny_dir() + "/" + f, dir + "/" + f);
  }
  auto load = [&] {
    EngineOptions opt;
    opt.model_dir = dir;
    opt.backend = BackendKind::Cpu;
    opt.threads = 2;
    opt.max_context = 512;
    return Engine::load(opt);
  };
  Request greedy;
  greedy.prompt_ids = {750, 75698, 1445, 982, 262};
  greedy.max_tokens = 24;
  greedy.stop_at_eos = false;
  greedy.sampling.temperature = 0.0f;  // speculative strategies sample unless told otherwise
  std::vector<TokenId> full = load()->generate(greedy).ids;
  ASSERT_EQ(full.size(), 24u);
  // The first token from position 5 on that did not occur before becomes the EOS token.
  size_t k = 5;
  while (k < full.size() && std::find(full.begin(), full.begin() + k, full[k]) != full.begin() + k) ++k;
  ASSERT_LT(k, full.size());
  nlohmann::json cfg = nlohmann::json::parse(std::ifstream(dir + "/config.json"));
  cfg["eos_token_id"] = full[k];
  std::ofstream(dir + "/config.json") << cfg.dump(2);

  auto engine = load();
  const std::vector<TokenId> before_eos(full.begin(), full.begin() + k);
  greedy.stop_at_eos = true;
  Result plain = engine->generate(greedy);
  EXPECT_EQ(plain.ids, before_eos);
  EXPECT_EQ(plain.finish_reason, "eos");
  for (StrategyKind kind : {StrategyKind::Draft, StrategyKind::Lookahead, StrategyKind::Ngram}) {
    Request req = greedy;
    req.strategy = kind;
    req.draft.model_dir = dir;
    req.draft.draft_tokens = 6;
    Result res = engine->generate(req);
    EXPECT_EQ(res.ids, before_eos) << to_string(kind);
    EXPECT_EQ(res.finish_reason, "eos") << to_string(kind);
    EXPECT_EQ(res.text, plain.text) << to_string(kind);
    EXPECT_EQ(res.stats.tokens_by_branch["base"], res.stats.steps) << to_string(kind);
    if (kind == StrategyKind::Draft) {
      // Runs of 7 tokens: the EOS was accepted in the middle of one and cut there.
      EXPECT_LT(res.stats.steps, static_cast<int>(k)) << "the draft steps accepted runs";
      EXPECT_GT(res.stats.draft_accepted, 0);
    }
  }
  engine.reset();
  std::filesystem::remove_all(dir);
}

TEST(EngineStrategies, SpeculativeRequestsMatchGreedyThroughTheEngine) {
  EngineOptions opt;
  opt.model_dir = tiny_dir();
  opt.backend = BackendKind::Cpu;
  opt.threads = 2;
  opt.max_context = 1024;
  auto engine = Engine::load(opt);
  for (size_t i = 0; i < code_prompts().size(); i += 11) {
    const CodePrompt& p = code_prompts()[i];
    Request greedy;
    greedy.prompt_ids = p.fim ? engine->fim_prompt(p.prefix, p.suffix) : engine->tokenizer().encode(p.prefix);
    greedy.max_tokens = 16;
    greedy.stop_at_eos = false;
    greedy.sampling.temperature = 0.0f;  // speculative strategies sample unless told otherwise
    const Result plain = engine->generate(greedy);
    for (StrategyKind kind : {StrategyKind::Lookahead, StrategyKind::Ngram, StrategyKind::Draft}) {
      Request req = greedy;
      req.strategy = kind;
      req.draft.model_dir = tiny_dir();
      Result res = engine->generate(req);
      EXPECT_EQ(res.ids, plain.ids) << p.name << " " << to_string(kind);
      EXPECT_LE(res.stats.steps, plain.stats.steps) << p.name << " " << to_string(kind);
    }
  }
}

}  // namespace
}  // namespace stride::testing
