// The decoder backend interface: one sequence (batch 1, as interactive completion is), a KV
// cache, and forward passes over a handful of new tokens at once. The CPU reference backend and
// the CUDA backend implement it; decode strategies (greedy, lookahead, ngram, draft) drive it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
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

// Sampling candidates of one logits row (see Backend::top_logits).
struct TopLogits {
  std::vector<int32_t> ids;   // the k highest logits' ids, highest first, equal logits by lower id
  std::vector<float> values;  // their logits
  double sum_exp = 0;         // Σ over the whole row of exp((logit - highest) / temperature), or 0
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
  // The k highest logits of row `row` and, when temperature > 0, the row's normalizer at that
  // temperature (else sum_exp = 0). The CUDA backend can compute them on the device so that sampling
  // copies k ids and values back, not the vocabulary; this default reads the whole row and sums in
  // the host sampler's order and precision (highest first, double), so its results equal
  // TokenSampler's.
  virtual void top_logits(int row, int k, float temperature, TopLogits& out) {
    std::vector<float> lg;
    logits(row, lg);
    const int n = static_cast<int>(lg.size());
    k = std::clamp(k, 0, n);
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    auto before = [&](int a, int b) { return lg[a] > lg[b] || (lg[a] == lg[b] && a < b); };
    if (temperature > 0) {
      std::sort(order.begin(), order.end(), before);  // the normalizer sums every logit in this order
    } else {
      std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
    }
    out.ids.assign(order.begin(), order.begin() + k);
    out.values.resize(k);
    for (int i = 0; i < k; ++i) out.values[i] = lg[order[i]];
    out.sum_exp = 0;
    if (temperature > 0 && n > 0) {
      const double best = lg[order[0]], inv_t = 1.0 / temperature;
      for (int i = 0; i < n; ++i) out.sum_exp += std::exp((lg[order[i]] - best) * inv_t);
    }
  }

  // Commits the K/V of the given rows of the last forward, in that order, after the committed
  // cache; the others are dropped. Copy-free when rows is a prefix 0..k-1. This ends the step:
  // argmax()/logits() of that forward are unavailable afterwards, so read them first.
  virtual void accept(const std::vector<int>& rows) = 0;

  // Drops committed tokens beyond `len` (prefix reuse: keep the shared prefix).
  virtual void truncate(int len) = 0;
};

}  // namespace stride
