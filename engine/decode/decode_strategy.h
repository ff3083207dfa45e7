// One interface for every decoding strategy: each step proposes tokens, verifies them with ONE
// forward pass of the target model, and accepts a run of them (always at least one token).
// Greedy and sampling propose nothing; lookahead, prompt lookup and draft models propose
// guesses that the same forward pass verifies, so with greedy acceptance every strategy returns
// exactly the tokens plain greedy decoding returns.
#pragma once

#include <memory>
#include <random>
#include <vector>

#include "runtime/backend.h"
#include "stride/engine.h"

namespace stride {

// Picks a token from one logits row: argmax at temperature 0, else temperature/top-k/top-p
// sampling from a seeded generator.
class TokenSampler {
 public:
  explicit TokenSampler(const SamplingParams& params);
  bool greedy() const { return params_.temperature <= 0.0f; }
  // The distribution actually sampled from (temperature, top-k, top-p applied), as probabilities.
  void distribution(const std::vector<float>& logits, std::vector<float>& probs) const;
  int32_t sample(const std::vector<float>& logits);
  // sample(), reading row `row` of the backend's last forward pass. With top-k <= kMaxCandidates,
  // or top-p alone whose cut falls within the kMaxCandidates highest logits, only those candidates
  // come back from the backend (Backend::top_logits: on the GPU, a few hundred numbers instead of
  // the vocabulary); otherwise the whole row. Same draws as sample() on that row.
  int32_t sample_row(Backend& backend, int row);
  static constexpr int kMaxCandidates = 256;
  // Draws an index from an already normalized distribution.
  int32_t draw(const std::vector<float>& probs);
  double uniform();  // [0, 1)

 private:
  // Draws from candidates (highest first) whose first `keep` get the weights w / total.
  int32_t draw_candidates(const TopLogits& top, const std::vector<double>& w, int keep, double total);

  SamplingParams params_;
  std::mt19937_64 rng_;
  TopLogits top_;
};

// What a strategy sees. `tokens` holds the prompt and every token generated so far; its last
// token is not yet in the backend's KV cache (backend.cache_len() == tokens.size() - 1), and the
// next forward pass starts with it.
struct DecodeState {
  Backend& target;
  const Request& request;
  std::vector<TokenId>& tokens;
  TokenSampler& sampler;
  DecodeStats& stats;
  // Draft-model strategy only; the engine hands it over truncated to 0 tokens at each request,
  // so begin() prefills it with the prompt.
  Backend* draft = nullptr;
};

class DecodeStrategy {
 public:
  virtual ~DecodeStrategy() = default;
  // Called once after the prompt is prefilled and the first token chosen.
  virtual void begin(DecodeState& state) { (void)state; }
  // One decode step: exactly one target forward pass; returns the newly accepted tokens (>= 1),
  // which the caller appends to state.tokens, and commits the KV of state.tokens' last token and
  // of every accepted token but the last one (so the invariant above holds again).
  virtual std::vector<TokenId> step(DecodeState& state) = 0;
};

std::unique_ptr<DecodeStrategy> make_strategy(StrategyKind kind, const Request& request,
                                              const ModelConfig& config);

}  // namespace stride
