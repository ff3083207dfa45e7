#include <algorithm>
#include <cmath>
#include <numeric>

#include "decode/decode_strategy.h"

namespace stride {

TokenSampler::TokenSampler(const SamplingParams& params) : params_(params), rng_(params.seed) {}

double TokenSampler::uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

void TokenSampler::distribution(const std::vector<float>& logits, std::vector<float>& probs) const {
  const int n = static_cast<int>(logits.size());
  probs.assign(n, 0.0f);
  if (greedy()) {
    probs[std::max_element(logits.begin(), logits.end()) - logits.begin()] = 1.0f;
    return;
  }
  // Candidates sorted by logit (stable on id so ties are deterministic).
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  int keep = n;
  if (params_.top_k > 0 && params_.top_k < n) {
    keep = params_.top_k;
    std::partial_sort(order.begin(), order.begin() + keep, order.end(), [&](int a, int b) {
      return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
    });
  } else {
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return logits[a] > logits[b]; });
  }
  const double inv_t = 1.0 / params_.temperature;
  const double max_logit = logits[order[0]];
  std::vector<double> w(keep);
  double total = 0;
  for (int i = 0; i < keep; ++i) {
    w[i] = std::exp((logits[order[i]] - max_logit) * inv_t);
    total += w[i];
  }
  // top-p: the smallest prefix of the sorted candidates whose mass reaches p.
  if (params_.top_p < 1.0f) {
    double mass = 0;
    int cut = keep;
    for (int i = 0; i < keep; ++i) {
      mass += w[i] / total;
      if (mass >= params_.top_p) {
        cut = i + 1;
        break;
      }
    }
    keep = cut;
    total = std::accumulate(w.begin(), w.begin() + keep, 0.0);
  }
  for (int i = 0; i < keep; ++i) probs[order[i]] = static_cast<float>(w[i] / total);
}

int32_t TokenSampler::draw(const std::vector<float>& probs) {
  double u = uniform();
  double acc = 0;
  int32_t last_nonzero = 0;
  for (size_t i = 0; i < probs.size(); ++i) {
    if (probs[i] <= 0) continue;
    acc += probs[i];
    last_nonzero = static_cast<int32_t>(i);
    if (u < acc) return last_nonzero;
  }
  return last_nonzero;  // rounding: the mass summed to slightly under u
}

int32_t TokenSampler::sample(const std::vector<float>& logits) {
  if (greedy()) {
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  }
  std::vector<float> probs;
  distribution(logits, probs);
  return draw(probs);
}

}  // namespace stride
