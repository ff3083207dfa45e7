// Verification of guessed tokens against ONE target forward pass, shared by the speculative
// strategies. Greedy: a guess is accepted exactly while it equals the target's argmax of the
// previous row. Sampling: speculative sampling (Leviathan et al. 2023, Chen et al. 2023), so the
// accepted tokens are distributed exactly as plain sampling from the target would be.
#pragma once

#include <vector>

#include "decode/decode_strategy.h"

namespace stride {

// One chain of guesses that follows the pending token (row 0 of the forward pass).
struct GuessBranch {
  std::vector<TokenId> tokens;  // guessed tokens, in order
  std::vector<int> rows;        // the forward-pass row of each guess
};

struct Verdict {
  std::vector<TokenId> tokens;   // accepted guesses, then the bonus token chosen by the target
  std::vector<int> commit_rows;  // row 0 (the pending token), then the rows of accepted guesses
  int branch = -1;               // branch of the last accepted guess; -1 when none was accepted
  int accepted_guesses() const { return static_cast<int>(tokens.size()) - 1; }
};

// Deterministic guesses (lookahead, prompt lookup, greedy drafts), possibly several branches
// that share prefixes (a token tree). With sampling the proposal is a point mass: at each tree
// node the distinct child tokens are tried in order, child x accepted with the residual
// probability of x, rejected ones removed from the residual, and the bonus drawn from what is
// left — which keeps the target distribution exactly.
Verdict verify_branches(Backend& target, TokenSampler& sampler, const std::vector<GuessBranch>& branches);

// One chain of guesses sampled from draft distributions q[k] (rows 1..K): accept guess x with
// probability min(1, p(x)/q(x)); on rejection draw from norm(max(0, p - q)); after a fully
// accepted chain draw the bonus from p.
Verdict verify_sampled_chain(Backend& target, TokenSampler& sampler, const std::vector<TokenId>& guesses,
                             const std::vector<std::vector<float>>& q);

}  // namespace stride
