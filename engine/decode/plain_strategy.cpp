// Plain autoregressive decoding: one token per forward pass, argmax or sampled.
#include "decode/plain_strategy.h"

namespace stride {

std::vector<TokenId> PlainStrategy::step(DecodeState& s) {
  StepInput in;
  in.tokens = {s.tokens.back()};
  in.positions = {static_cast<int32_t>(s.tokens.size() - 1)};
  s.target.forward(in);
  const TokenId next = s.sampler.sample_row(s.target, 0);  // argmax when greedy
  s.target.accept({0});  // ends the step: its logits are gone after this
  return {next};
}

}  // namespace stride
