#include "decode/ngram_strategy.h"

#include <algorithm>
#include <string>

#include "decode/speculative_verify.h"

namespace stride {
namespace {

// Start of the most recent occurrence of key (length k) in hay[0..limit) that has at least one
// token after it inside hay; -1 when none.
long find_last(const std::vector<TokenId>& hay, size_t limit, const TokenId* key, size_t k) {
  if (limit < k + 1) return -1;
  for (long start = static_cast<long>(limit - k - 1); start >= 0; --start) {
    if (std::equal(key, key + k, hay.begin() + start)) return start;
  }
  return -1;
}

}  // namespace

void check_ngram_params(const NgramParams& p) {
  if (p.min_match < 1 || p.max_match < p.min_match || p.max_draft < 1) {
    throw Error("prompt lookup parameters need 1 <= min_match <= max_match and max_draft >= 1 (got min_match " +
                std::to_string(p.min_match) + ", max_match " + std::to_string(p.max_match) + ", max_draft " +
                std::to_string(p.max_draft) + ")");
  }
}

std::vector<TokenId> prompt_lookup(const std::vector<TokenId>& text, const std::vector<TokenId>& context,
                                   const NgramParams& params) {
  const size_t n = text.size();
  for (size_t k = std::min<size_t>(params.max_match, n); k >= static_cast<size_t>(params.min_match) && k > 0; --k) {
    const TokenId* key = text.data() + (n - k);
    // An earlier occurrence (it may overlap the key, as in a run of one repeated token).
    long at = find_last(text, n, key, k);
    if (at >= 0) {
      size_t from = at + k;
      size_t to = std::min(n, from + params.max_draft);
      return {text.begin() + from, text.begin() + to};
    }
    at = find_last(context, context.size(), key, k);
    if (at >= 0) {
      size_t from = at + k;
      size_t to = std::min(context.size(), from + params.max_draft);
      return {context.begin() + from, context.begin() + to};
    }
  }
  return {};
}

std::vector<std::vector<TokenId>> prompt_lookup_candidates(const std::vector<TokenId>& text,
                                                           const std::vector<TokenId>& context,
                                                           const NgramParams& params, int count) {
  std::vector<std::vector<TokenId>> out;
  const size_t n = text.size();
  for (size_t k = std::min<size_t>(params.max_match, n); k >= static_cast<size_t>(params.min_match) && k > 0; --k) {
    const TokenId* key = text.data() + (n - k);
    for (const std::vector<TokenId>* hay : {&text, &context}) {
      for (long start = static_cast<long>(hay->size()) - static_cast<long>(k) - 1; start >= 0; --start) {
        if (!std::equal(key, key + k, hay->begin() + start)) continue;
        const size_t from = start + k, to = std::min(hay->size(), from + params.max_draft);
        std::vector<TokenId> cont(hay->begin() + from, hay->begin() + to);
        if (std::find(out.begin(), out.end(), cont) != out.end()) continue;
        out.push_back(std::move(cont));
        if (static_cast<int>(out.size()) >= count) return out;
      }
    }
  }
  return out;
}

NgramStrategy::NgramStrategy(const NgramParams& params) : params_(params) { check_ngram_params(params_); }

std::vector<TokenId> NgramStrategy::step(DecodeState& s) {
  const int P = static_cast<int>(s.tokens.size()) - 1;
  std::vector<TokenId> guess = prompt_lookup(s.tokens, s.request.context_ids, params_);
  const int room = s.target.capacity() - s.target.cache_len() - 1;
  if (static_cast<int>(guess.size()) > room) guess.resize(std::max(0, room));

  StepInput in;
  in.tokens.push_back(s.tokens.back());
  in.positions.push_back(P);
  GuessBranch chain;
  for (size_t k = 0; k < guess.size(); ++k) {
    in.tokens.push_back(guess[k]);
    in.positions.push_back(P + 1 + static_cast<int>(k));
    chain.tokens.push_back(guess[k]);
    chain.rows.push_back(static_cast<int>(k) + 1);
  }
  s.target.forward(in);  // causal: the chain follows the pending token
  Verdict v = verify_branches(s.target, s.sampler, {chain});
  s.target.accept(v.commit_rows);
  s.stats.tokens_by_branch["prompt"] += v.accepted_guesses();
  s.stats.tokens_by_branch["base"] += 1;
  return v.tokens;
}

}  // namespace stride
