// A minimal decode loop over a Backend, mirroring the engine: prefill the prompt, choose the
// first token from the last prompt row, then strategy steps until max_tokens (no EOS handling:
// the tests compare raw token streams).
#pragma once

#include <vector>

#include "decode/decode_strategy.h"

namespace stride::testing {

struct LoopResult {
  std::vector<TokenId> ids;  // generated tokens (exactly max_tokens)
  DecodeStats stats;
  int target_forwards = 0;   // forward passes of the decode phase
};

// The reference: plain decoding, reading the logits before committing (a backend may drop them
// on accept()).
class ReferencePlainStrategy : public DecodeStrategy {
 public:
  std::vector<TokenId> step(DecodeState& s) override {
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
    s.target.accept({0});
    return {next};
  }

 private:
  std::vector<float> logits_;
};

inline LoopResult run_decode(Backend& target, const Request& req, Backend* draft = nullptr) {
  target.truncate(0);
  SamplingParams sp = req.sampling;
  if (req.strategy == StrategyKind::Greedy) sp.temperature = 0.0f;
  TokenSampler sampler(sp);
  std::unique_ptr<DecodeStrategy> strategy;
  if (req.strategy == StrategyKind::Greedy || req.strategy == StrategyKind::Sample) {
    strategy = std::make_unique<ReferencePlainStrategy>();
  } else {
    strategy = make_strategy(req.strategy, req, target.config());
  }

  StepInput in;
  in.tokens = req.prompt_ids;
  for (size_t p = 0; p < req.prompt_ids.size(); ++p) in.positions.push_back(static_cast<int32_t>(p));
  const int n = static_cast<int>(in.tokens.size());
  in.logits_from = n - 1;
  target.forward(in);
  std::vector<int> rows(n);
  for (int i = 0; i < n; ++i) rows[i] = i;
  TokenId first;
  if (sampler.greedy()) {
    first = target.argmax()[n - 1];
  } else {
    std::vector<float> logits;
    target.logits(n - 1, logits);
    first = sampler.sample(logits);
  }
  target.accept(rows);

  LoopResult res;
  std::vector<TokenId> seq = req.prompt_ids;
  seq.push_back(first);
  res.ids.push_back(first);
  DecodeState state{target, req, seq, sampler, res.stats, draft};
  if (static_cast<int>(res.ids.size()) < req.max_tokens) strategy->begin(state);
  while (static_cast<int>(res.ids.size()) < req.max_tokens) {
    std::vector<TokenId> accepted = strategy->step(state);
    if (accepted.empty()) throw Error("a strategy step accepted no token");
    res.stats.steps++;
    if (res.stats.accepted_histogram.size() <= accepted.size()) res.stats.accepted_histogram.resize(accepted.size() + 1);
    res.stats.accepted_histogram[accepted.size()]++;
    seq.insert(seq.end(), accepted.begin(), accepted.end());
    for (TokenId t : accepted) {
      if (static_cast<int>(res.ids.size()) < req.max_tokens) res.ids.push_back(t);
    }
    if (target.cache_len() != static_cast<int>(seq.size()) - 1) throw Error("KV cache out of step with the tokens");
  }
  return res;
}

}  // namespace stride::testing
