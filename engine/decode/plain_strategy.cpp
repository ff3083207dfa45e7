// Plain autoregressive decoding: one token per forward pass, argmax or sampled.
#include "decode/plain_strategy.h"

namespace stride {

std::vector<TokenId> PlainStrategy::step(DecodeState& s) {
  StepInput in;
  in.tokens = {s.tokens.back()};
  in.positions = {static_cast<int32_t>(s.tokens.size() - 1)};
  s.target.forward(in);
  TokenId next;
  if (s.sampler.greedy()) {
    next = s.target.argmax()[0];
  } else {
    s.target.logits(0, logits_);
    next = s.sampler.sample(logits_);
  }
  s.target.accept({0});  // ends the step: its logits are gone after this
  return {next};
}

}  // namespace stride
