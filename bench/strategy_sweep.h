// The strategy sweep of stride-bench: decode tokens/s and tokens per step of plain greedy,
// lookahead over a (W, N, G) grid, prompt lookup and draft (the model drafting for itself) on the
// shared code prompt set, through the public Engine API on any backend (CPU or CUDA).
#pragma once

#include <string>
#include <vector>

#include "stride/engine.h"

namespace stride::bench {

struct SweepOptions {
  std::string model_dir;
  BackendKind backend = BackendKind::Auto;
  int threads = 0;          // CPU threads (0 = all)
  int max_tokens = 64;      // generated tokens per prompt
  int prompts = 0;          // first N prompts of the set (0 = all)
  int warmup_prompts = 4;   // unmeasured requests per setting first (CUDA graph capture, caches)
  std::vector<LookaheadParams> grid;  // empty = the default grid
  int draft_tokens = 5;
};

// The lookahead settings of a sweep without --grid: the small windows the defaults come from
// (engine/decode/lookahead_strategy.cpp), then the wider ones up to the paper's (15, 5, 15).
constexpr const char* kDefaultSweepGrid = "1:3:1,1:3:2,2:3:2,3:3:3,5:3:5,5:4:5,8:4:8,7:5:7,10:5:10,15:5:15";

// Parses "W:N:G,W:N:G,..."; throws Error on malformed entries.
std::vector<LookaheadParams> parse_lookahead_grid(const std::string& text);

// Runs the sweep, prints a Markdown table (one row per setting, as it completes) and returns it.
std::string run_strategy_sweep(const SweepOptions& options);

}  // namespace stride::bench
