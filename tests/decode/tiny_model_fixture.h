// The tiny real model on the CPU backend, its tokenizer and the prompt set, loaded once per test
// binary; greedy reference continuations are computed once per prompt.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>

#include "decode_loop.h"
#include "model/model_weights.h"
#include "prompt_set.h"
#include "random_model_folder.h"
#include "runtime/cpu/cpu_backend.h"
#include "stride/tokenizer.h"

namespace stride::testing {

constexpr int kTinyThreads = 2;
constexpr int kTinyCapacity = 1024;

struct TinyModel {
  std::unique_ptr<Tokenizer> tokenizer;
  std::shared_ptr<const ModelWeights> weights;
  std::unique_ptr<Backend> target;
  std::unique_ptr<Backend> self_draft;    // the tiny model drafting for itself
  std::unique_ptr<Backend> random_draft;  // a random model with the same vocabulary
  std::vector<std::vector<TokenId>> prompts;
  std::map<std::pair<size_t, int>, std::vector<TokenId>> greedy_cache;

  static TinyModel& get() {
    static TinyModel m;
    return m;
  }

  // Plain greedy continuation of prompt i (max_tokens tokens, EOS not special).
  const std::vector<TokenId>& greedy(size_t i, int max_tokens) {
    auto key = std::make_pair(i, max_tokens);
    auto it = greedy_cache.find(key);
    if (it != greedy_cache.end()) return it->second;
    Request r;
    r.prompt_ids = prompts[i];
    r.max_tokens = max_tokens;
    r.strategy = StrategyKind::Greedy;
    return greedy_cache[key] = run_decode(*target, r).ids;
  }

 private:
  TinyModel() {
    const std::string dir = std::string(STRIDE_SHARED_DIR) + "/models/tiny-qwen2-coder";
    tokenizer = Tokenizer::load_from_folder(dir);
    ModelConfig config = ModelConfig::load(dir);
    weights = std::shared_ptr<const ModelWeights>(ModelWeights::load(dir, config));
    target = make_cpu_backend(weights, kTinyThreads, kTinyCapacity);
    self_draft = make_cpu_backend(weights, kTinyThreads, kTinyCapacity);

    RandomModel spec;
    spec.vocab = config.vocab_size;
    spec.hidden = 32;
    spec.intermediate = 64;
    spec.layers = 1;
    spec.heads = 2;
    spec.kv_heads = 1;
    const std::string draft_dir = scratch_dir("random-draft");
    write_random_model(draft_dir, spec, 77);
    ModelConfig draft_config = ModelConfig::load(draft_dir);
    std::shared_ptr<const ModelWeights> draft_weights(ModelWeights::load(draft_dir, draft_config));
    random_draft = make_cpu_backend(draft_weights, kTinyThreads, kTinyCapacity);  // converts to float32
    draft_weights.reset();
    std::filesystem::remove_all(draft_dir);

    for (const CodePrompt& p : code_prompts()) {
      if (p.fim) {
        prompts.push_back(tokenizer->encode("<|fim_prefix|>" + p.prefix + "<|fim_suffix|>" + p.suffix + "<|fim_middle|>",
                                            /*parse_special=*/true));
      } else {
        prompts.push_back(tokenizer->encode(p.prefix, false));
      }
    }
  }
};

}  // namespace stride::testing
