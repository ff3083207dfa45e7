#include "decode/speculative_verify.h"

#include <algorithm>
#include <numeric>

namespace stride {
namespace {

// Scales a residual distribution back to total mass 1; returns false when nothing is left.
bool normalize(std::vector<float>& probs) {
  double total = std::accumulate(probs.begin(), probs.end(), 0.0);
  if (total <= 0) return false;
  for (float& p : probs) p = static_cast<float>(p / total);
  return true;
}

}  // namespace

Verdict verify_branches(Backend& target, TokenSampler& sampler, const std::vector<GuessBranch>& branches) {
  Verdict v;
  v.commit_rows.push_back(0);
  const bool greedy = sampler.greedy();
  std::vector<int32_t> top;
  if (greedy) top = target.argmax();
  std::vector<float> logits, probs;
  std::vector<int> alive(branches.size());
  std::iota(alive.begin(), alive.end(), 0);

  int row = 0;
  size_t depth = 0;
  while (true) {
    int chosen = -1;
    TokenId next = 0;
    if (greedy) {
      next = top[row];
      for (int b : alive) {
        if (depth < branches[b].tokens.size() && branches[b].tokens[depth] == next) {
          chosen = b;
          break;
        }
      }
    } else {
      target.logits(row, logits);
      sampler.distribution(logits, probs);
      std::vector<TokenId> tried;
      for (int b : alive) {
        if (depth >= branches[b].tokens.size()) continue;
        TokenId t = branches[b].tokens[depth];
        if (t < 0 || t >= static_cast<TokenId>(probs.size())) continue;
        if (std::find(tried.begin(), tried.end(), t) != tried.end()) continue;
        tried.push_back(t);
        if (probs[t] > 0 && sampler.uniform() < probs[t]) {
          chosen = b;
          next = t;
          break;
        }
        probs[t] = 0;  // residual of a point-mass proposal: p without the rejected token
        if (!normalize(probs)) break;  // cannot happen: p(t) = 1 is always accepted
      }
      if (chosen < 0) next = sampler.draw(probs);
    }
    v.tokens.push_back(next);
    if (chosen < 0) break;
    v.branch = chosen;
    row = branches[chosen].rows[depth];
    v.commit_rows.push_back(row);
    std::vector<int> still;
    for (int b : alive) {
      if (depth < branches[b].tokens.size() && branches[b].tokens[depth] == next) still.push_back(b);
    }
    alive.swap(still);
    ++depth;
  }
  return v;
}

Verdict verify_sampled_chain(Backend& target, TokenSampler& sampler, const std::vector<TokenId>& guesses,
                             const std::vector<std::vector<float>>& q) {
  Verdict v;
  v.commit_rows.push_back(0);
  std::vector<float> logits, p;
  for (size_t k = 0; k < guesses.size(); ++k) {
    target.logits(static_cast<int>(k), logits);
    sampler.distribution(logits, p);
    const TokenId x = guesses[k];
    const float px = x < static_cast<TokenId>(p.size()) ? p[x] : 0.0f;
    const float qx = x < static_cast<TokenId>(q[k].size()) ? q[k][x] : 0.0f;
    if (qx > 0 && sampler.uniform() < static_cast<double>(px) / qx) {
      v.tokens.push_back(x);
      v.commit_rows.push_back(static_cast<int>(k) + 1);
      v.branch = 0;
      continue;
    }
    std::vector<float> residual(p.size());
    for (size_t i = 0; i < p.size(); ++i) {
      residual[i] = std::max(0.0f, p[i] - (i < q[k].size() ? q[k][i] : 0.0f));
    }
    // p == q leaves no residual mass; rejection then has probability 0, p itself is exact.
    v.tokens.push_back(sampler.draw(normalize(residual) ? residual : p));
    return v;
  }
  target.logits(static_cast<int>(guesses.size()), logits);
  sampler.distribution(logits, p);
  v.tokens.push_back(sampler.draw(p));
  return v;
}

}  // namespace stride
