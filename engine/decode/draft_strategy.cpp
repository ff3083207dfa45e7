#include "decode/draft_strategy.h"

#include <algorithm>
#include <string>

#include "decode/speculative_verify.h"

namespace stride {
namespace {

constexpr int kDraftPrefillChunk = 512;

}  // namespace

DraftStrategy::DraftStrategy(const DraftParams& params) : K_(params.draft_tokens) {
  if (K_ < 1 || K_ > 64) {
    throw Error("draft_tokens must be between 1 and 64, got " + std::to_string(K_));
  }
}

TokenId DraftStrategy::catch_up(Backend& draft, const std::vector<TokenId>& tokens, TokenSampler* sampler,
                                std::vector<float>* q) {
  TokenId proposal = -1;
  for (size_t start = draft.cache_len(); start < tokens.size(); start += kDraftPrefillChunk) {
    const size_t end = std::min(tokens.size(), start + kDraftPrefillChunk);
    StepInput in;
    in.tokens.assign(tokens.begin() + start, tokens.begin() + end);
    for (size_t p = start; p < end; ++p) in.positions.push_back(static_cast<int32_t>(p));
    const int n = static_cast<int>(end - start);
    in.logits_from = n - 1;
    draft.forward(in);
    if (sampler && end == tokens.size()) proposal = propose(draft, n - 1, *sampler, q);
    std::vector<int> rows(n);
    for (int i = 0; i < n; ++i) rows[i] = i;
    draft.accept(rows);
  }
  return proposal;
}

TokenId DraftStrategy::propose(Backend& draft, int row, TokenSampler& sampler, std::vector<float>* q) {
  if (sampler.greedy()) return draft.argmax()[row];
  draft.logits(row, logits_);
  sampler.distribution(logits_, *q);
  return sampler.draw(*q);
}

void DraftStrategy::begin(DecodeState& s) {
  if (!s.draft) throw Error("the draft strategy needs a draft model backend");
  // The draft cache holds every token but the pending one, like the target's.
  s.draft->truncate(0);
  std::vector<TokenId> committed(s.tokens.begin(), s.tokens.end() - 1);
  catch_up(*s.draft, committed, nullptr, nullptr);
}

std::vector<TokenId> DraftStrategy::step(DecodeState& s) {
  Backend& draft = *s.draft;
  const int target_vocab = s.target.config().vocab_size;
  const int P = static_cast<int>(s.tokens.size()) - 1;
  const int room = std::min(s.target.capacity() - s.target.cache_len(), draft.capacity() - P) - 1;
  const int K = std::max(0, std::min(K_, room));

  // Propose: the first guess follows everything the draft has not seen yet (at least the
  // pending token), each further one follows the previous guess.
  std::vector<TokenId> guesses;
  std::vector<std::vector<float>> q;
  if (K > 0) {
    q.emplace_back();
    TokenId g = catch_up(draft, s.tokens, &s.sampler, &q.back());
    for (int k = 0; k < K; ++k) {
      if (g < 0 || g >= target_vocab) {  // a draft vocabulary larger than the target's
        q.pop_back();
        break;
      }
      guesses.push_back(g);
      if (k + 1 == K) break;
      StepInput in;
      in.tokens = {g};
      in.positions = {P + 1 + k};
      draft.forward(in);
      q.emplace_back();
      g = propose(draft, 0, s.sampler, &q.back());
      draft.accept({0});
    }
  }

  StepInput in;
  in.tokens.push_back(s.tokens.back());
  in.positions.push_back(P);
  GuessBranch chain;
  for (size_t k = 0; k < guesses.size(); ++k) {
    in.tokens.push_back(guesses[k]);
    in.positions.push_back(P + 1 + static_cast<int>(k));
    chain.tokens.push_back(guesses[k]);
    chain.rows.push_back(static_cast<int>(k) + 1);
  }
  s.target.forward(in);
  Verdict v = s.sampler.greedy() ? verify_branches(s.target, s.sampler, {chain})
                                 : verify_sampled_chain(s.target, s.sampler, guesses, q);
  s.target.accept(v.commit_rows);

  // The draft cache keeps only what was accepted: the committed tokens it has seen.
  const int m = v.accepted_guesses();
  draft.truncate(std::min(draft.cache_len(), P + 1 + m));
  s.stats.draft_proposed += static_cast<int>(guesses.size());
  s.stats.draft_accepted += m;
  s.stats.tokens_by_branch["draft"] += m;
  s.stats.tokens_by_branch["base"] += 1;
  return v.tokens;
}

}  // namespace stride
