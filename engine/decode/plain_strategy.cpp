// Plain autoregressive decoding: one token per forward pass, argmax or sampled.
#include "decode/plain_strategy.h"

namespace stride {

std::vector<TokenId> PlainStrategy::step(DecodeState& s) {
  StepInput in;
  in.tokens = {s.tokens.back()};
  in.positions = {static_cast<int32_t>(s.tokens.size() - 1)};
  s.target.forward(in);
  s.target.accept({0});
  if (s.sampler.greedy()) return {s.target.argmax()[0]};
  s.target.logits(0, logits_);
  return {s.sampler.sample(logits_)};
}

}  // namespace stride
