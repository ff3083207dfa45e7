// The decoder backend interface: one sequence (batch 1, as interactive completion is), a KV
// cache, and forward passes over a handful of new tokens at once. The CPU reference backend and
// the CUDA backend implement it; decode strategies (greedy, lookahead, ngram, draft) drive it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/model_config.h"

namespace stride {

// The new tokens of one forward pass.
struct StepInput {
  std::vector<int32_t> tokens;     // n new tokens
  std::vector<int32_t> positions;  // their RoPE positions (not necessarily cache_len + i)
  // Attention among the new tokens, row-major n×n: new token i may attend new token j iff
  // mask[i*n + j] != 0. Every committed cache entry is always visible. Empty = causal.
  std::vector<uint8_t> mask;
  // Only rows >= logits_from get logits (prefill asks for the last row alone).
  int logits_from = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string name() const = 0;  // "CPU (8 threads)", "CUDA · NVIDIA H100 ..."
  virtual const ModelConfig& config() const = 0;
  virtual int capacity() const = 0;  // max tokens the KV cache holds

  // Number of committed tokens in the KV cache.
  virtual int cache_len() const = 0;

  // Runs the decoder over `in` on top of the committed cache. The new tokens' K/V are held
  // tentatively until accept(); logits for the step are kept for the getters below.
  // Throws stride::Error (capacity, OOM).
  virtual void forward(const StepInput& in) = 0;

  // Argmax token of each row of the last forward (lowest id on exact ties); size n, entries of
  // rows below logits_from are unspecified.
  virtual std::vector<int32_t> argmax() = 0;
  // Full logits row `row` (>= logits_from) of the last forward (float32, vocab entries).
  virtual void logits(int row, std::vector<float>& out) = 0;

  // Commits the K/V of the given rows of the last forward, in that order, after the committed
  // cache; the others are dropped. Copy-free when rows is a prefix 0..k-1. This ends the step:
  // argmax()/logits() of that forward are unavailable afterwards, so read them first.
  virtual void accept(const std::vector<int>& rows) = 0;

  // Drops committed tokens beyond `len` (prefix reuse: keep the shared prefix).
  virtual void truncate(int len) = 0;
};

}  // namespace stride
