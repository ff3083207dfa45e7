// Prompt lookup decoding (vLLM's prompt_lookup_min/max): the last k tokens (k from max_match
// down to min_match) are looked up in the text so far (prompt + generated) and in
// request.context_ids; the tokens that followed the most recent match are proposed as one chain
// of up to max_draft guesses and verified causally in one forward pass.
#pragma once

#include "decode/decode_strategy.h"

namespace stride {

// Checks min_match >= 1, max_match >= min_match, max_draft >= 1; throws Error.
void check_ngram_params(const NgramParams& params);

// The proposal for `text` (its tail is the key), searched in `text` then in `context`.
std::vector<TokenId> prompt_lookup(const std::vector<TokenId>& text, const std::vector<TokenId>& context,
                                   const NgramParams& params);
// Up to `count` distinct proposals: the continuations of the longest keys' most recent
// occurrences first (the first one is prompt_lookup's), then of older occurrences and shorter keys.
std::vector<std::vector<TokenId>> prompt_lookup_candidates(const std::vector<TokenId>& text,
                                                           const std::vector<TokenId>& context,
                                                           const NgramParams& params, int count);

class NgramStrategy : public DecodeStrategy {
 public:
  explicit NgramStrategy(const NgramParams& params);
  std::vector<TokenId> step(DecodeState& state) override;

 private:
  NgramParams params_;
};

}  // namespace stride
