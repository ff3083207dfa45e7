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

int32_t TokenSampler::draw_candidates(const TopLogits& top, const std::vector<double>& w, int keep, double total) {
  // As distribution() + draw(): float probabilities, walked in id order.
  std::vector<std::pair<int32_t, float>> kept(keep);
  for (int i = 0; i < keep; ++i) kept[i] = {top.ids[i], static_cast<float>(w[i] / total)};
  std::sort(kept.begin(), kept.end());
  const double u = uniform();
  double acc = 0;
  int32_t last_nonzero = 0;
  for (const auto& [id, p] : kept) {
    if (p <= 0) continue;
    acc += p;
    last_nonzero = id;
    if (u < acc) return id;
  }
  return last_nonzero;
}

int32_t TokenSampler::sample_row(Backend& backend, int row) {
  if (greedy()) return backend.argmax().at(row);
  const int vocab = backend.config().vocab_size;
  const double inv_t = 1.0 / params_.temperature;
  const bool top_k = params_.top_k > 0 && params_.top_k < vocab;
  if ((top_k && params_.top_k <= kMaxCandidates) || (!top_k && params_.top_p < 1.0f)) {
    const int k = top_k ? params_.top_k : std::min(vocab, kMaxCandidates);
    // The normalizer of the whole row is needed only without top-k (top-k renormalizes over its k).
    backend.top_logits(row, k, top_k ? 0.0f : params_.temperature, top_);
    std::vector<double> w(k);
    double total = 0;
    for (int i = 0; i < k; ++i) {
      w[i] = std::exp((top_.values[i] - static_cast<double>(top_.values[0])) * inv_t);
      total += w[i];
    }
    // Without top-k, the mass is relative to the whole row (sum_exp), as distribution() has it.
    if (!top_k) total = top_.sum_exp;
    int keep = k;
    if (params_.top_p < 1.0f) {
      double mass = 0;
      int cut = -1;
      for (int i = 0; i < k; ++i) {
        mass += w[i] / total;
        if (mass >= params_.top_p) {
          cut = i + 1;
          break;
        }
      }
      if (cut < 0 && !top_k) {
        // The cut lies beyond the candidates (a flat distribution): read the whole row.
        std::vector<float> logits;
        backend.logits(row, logits);
        return sample(logits);
      }
      if (cut > 0) keep = cut;
      total = std::accumulate(w.begin(), w.begin() + keep, 0.0);
    }
    return draw_candidates(top_, w, keep, total);
  }
  std::vector<float> logits;
  backend.logits(row, logits);
  return sample(logits);
}

}  // namespace stride
