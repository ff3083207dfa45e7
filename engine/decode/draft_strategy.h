// Speculative decoding with a draft model (Leviathan et al. 2023, Chen et al. 2023): the draft
// backend (same tokenizer) proposes K tokens autoregressively, the target verifies them in ONE
// forward pass. The draft keeps its own KV cache in step with the accepted text: it is cut back
// to the accepted prefix after each step, and the tokens it has not seen yet are fed at the
// start of the next step.
#pragma once

#include "decode/decode_strategy.h"

namespace stride {

class DraftStrategy : public DecodeStrategy {
 public:
  explicit DraftStrategy(const DraftParams& params);
  void begin(DecodeState& state) override;
  std::vector<TokenId> step(DecodeState& state) override;

 private:
  // Feeds the tokens beyond what the draft cache holds and commits them. With a sampler, returns
  // the draft's proposal after the last of them (its distribution into q); -1 when none fed.
  TokenId catch_up(Backend& draft, const std::vector<TokenId>& tokens, TokenSampler* sampler,
                   std::vector<float>* q);
  // Draft proposal from a logits row of the last draft forward: argmax or a sample (its
  // distribution into q). Read before accept(): a backend may drop logits when committing.
  TokenId propose(Backend& draft, int row, TokenSampler& sampler, std::vector<float>* q);

  int K_;
  std::vector<float> logits_;
};

}  // namespace stride
