// Lookahead decoding (Fu et al. 2024, "Break the Sequential Dependency of LLM Inference Using
// Lookahead Decoding"): each step runs, in ONE forward pass,
//  - the lookahead branch: a 2-D Jacobi window of W columns x (N-1) levels. Column i is a run of
//    consecutive positions: the level-0 tokens of columns 0..i, then column i's higher levels.
//    The outputs of the last level become the newest level, and each column's trajectory
//    (its N-1 window tokens plus the new output) is an N-gram for the pool;
//  - the verification branch: up to G pool n-grams starting with the pending token, each seeing
//    only the pending token and its own prefix; the longest verified one is accepted.
// The pool is seeded with every N-gram of the prompt and request.context_ids, and learns the
// N-grams of the accepted text too.
#pragma once

#include <cstdint>

#include "decode/decode_strategy.h"
#include "decode/ngram_pool.h"
#include "decode/speculative_verify.h"

namespace stride {

// (W, N, G) for a model when the request leaves them 0, from the sweep in tests/decode.
LookaheadParams default_lookahead_params(const ModelConfig& config);
// request values over the model defaults, checked (W >= 1, N >= 2, G >= 0); throws Error.
LookaheadParams resolve_lookahead_params(const LookaheadParams& requested, const ModelConfig& config);

class LookaheadStrategy : public DecodeStrategy {
 public:
  explicit LookaheadStrategy(const LookaheadParams& params);
  void begin(DecodeState& state) override;
  std::vector<TokenId> step(DecodeState& state) override;

  const NgramPool& pool() const { return pool_; }

 private:
  TokenId filler();  // a token to (re)fill the window with: drawn from the prompt
  TokenId& window(int level, int column) { return window_[static_cast<size_t>(level) * W_ + column]; }
  // Adds one candidate to the verification tree (rows after in_'s first) and its branch.
  void add_candidate(const TokenId* cand, int len, int P, int& budget);
  void update_window(const std::vector<int32_t>& top, int accepted, TokenId pending);

  int W_, N_, G_;
  NgramPool pool_;
  // window(l, i): window token at level l, column i (position pending + l + i), for the levels_
  // levels in use (1 to N-1: the window grows one level per step during warm-up). Level 0 column
  // 0 is always the pending token.
  std::vector<TokenId> window_;
  int levels_ = 0;
  std::vector<TokenId> fill_tokens_;
  uint64_t fill_state_ = 0x9E3779B97F4A7C15ull;

  // A step's working storage, kept from step to step: the host work of a step sits between two
  // GPU waits with cold caches, so it reuses its buffers rather than allocating new ones.
  struct TreeNode {
    int parent;  // row of the tree parent (0 = the pending token)
    TokenId token;
  };
  StepInput in_;
  std::vector<TreeNode> tree_;       // rows 1.. of the tree, in row order
  std::vector<GuessBranch> branches_;
  int branch_count_ = 0;
  std::vector<std::vector<TokenId>> context_guesses_;
  std::vector<int> rows_of_;         // rows_of_[l * W + i]: the row of window(l, i) (0 for (0, 0))
  std::vector<TokenId> tail_;
  int* lookahead_tokens_ = nullptr;  // the request's tokens_by_branch entries
  int* base_tokens_ = nullptr;
};

}  // namespace stride
