// stride-bench --step-breakdown: where a decode step's time goes, per strategy. Each strategy runs
// directly on a backend wrapped in a timing decorator, so a step splits into the backend's forward
// (on CUDA: uploads and the graph launch, the GPU runs on), argmax (the download, waiting for the
// GPU), accept (the KV moves) and what is left: the strategy's own host work (candidates, tree,
// mask, pool). Prompt steps are left out. Any backend.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/backend.h"
#include "stride/engine.h"

namespace stride::bench {

struct BreakdownOptions {
  std::vector<LookaheadParams> grid;  // lookahead settings (empty: 1:3:2 and 3:3:3)
  int max_tokens = 64;
  int prompts = 0;  // first N prompts of the code prompt set (0 = all)
};

// The prompts of a breakdown (the code prompt set, plain and FIM, tokenized by `engine`) and the
// strategies it compares (greedy, each lookahead setting of the grid, prompt lookup).
std::vector<std::vector<TokenId>> breakdown_prompts(const Engine& engine, const BreakdownOptions& options);
struct BreakdownSetting {
  std::string label;
  StrategyKind kind;
  LookaheadParams lookahead;
};
std::vector<BreakdownSetting> breakdown_settings(const BreakdownOptions& options);

// Prints and returns a Markdown table. `backend` runs the model; `engine` (the same model folder)
// makes the prompts, plain and FIM, with its tokenizer.
std::string run_step_breakdown(Backend& backend, const Engine& engine, const BreakdownOptions& options);

}  // namespace stride::bench
