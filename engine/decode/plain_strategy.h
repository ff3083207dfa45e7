#pragma once

#include "decode/decode_strategy.h"

namespace stride {

// Greedy (temperature 0) or sampled decoding, one token per step: the reference every
// speculative strategy must reproduce.
class PlainStrategy : public DecodeStrategy {
 public:
  std::vector<TokenId> step(DecodeState& state) override;
};

}  // namespace stride
