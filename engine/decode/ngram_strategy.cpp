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
  auto found = prompt_lookup_candidates(text, context, params, 1);
  return found.empty() ? std::vector<TokenId>{} : std::move(found.front());
}

std::vector<std::vector<TokenId>> prompt_lookup_candidates(const std::vector<TokenId>& text,
                                                           const std::vector<TokenId>& context,
                                                           const NgramParams& params, int count) {
  std::vector<std::vector<TokenId>> out;
  const size_t n = text.size();
  for (size_t k = std::min<size_t>(params.max_match, n); k >= static_cast<size_t>(params.min_match) && k > 0; --k) {
    const TokenId* key = text.data() + (n - k);
    for (const std::vector<TokenId>* hay : {&text, &context}) {
      // Occurrences from the most recent back (an earlier one may overlap the key, as in a run of
      // one repeated token).
      for (long at = find_last(*hay, hay->size(), key, k); at >= 0; at = find_last(*hay, at + k, key, k)) {
        const size_t from = at + k, to = std::min(hay->size(), from + params.max_draft);
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
