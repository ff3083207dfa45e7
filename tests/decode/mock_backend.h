// A strict stand-in for a model backend: a deterministic "language model" whose logits depend on
// the whole visible sequence, and which checks what the strategies hand it. Every row must see,
// through the committed cache and the mask, exactly one token at each position 0..its own
// position (a wrong mask or position throws), and accept() must commit consecutive positions.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/backend.h"
#include "stride/engine.h"

namespace stride::testing {

class MockBackend : public Backend {
 public:
  // vocab tokens; `seed` picks the model; `sharpness` scales the logits (high = predictable).
  MockBackend(int vocab, uint64_t seed, float sharpness = 4.0f, int capacity = 4096)
      : vocab_(vocab), seed_(seed), sharpness_(sharpness), capacity_(capacity) {
    config_.model_type = "mock";
    config_.vocab_size = vocab;
  }

  std::string name() const override { return "mock"; }
  const ModelConfig& config() const override { return config_; }
  int capacity() const override { return capacity_; }
  int cache_len() const override { return static_cast<int>(cache_.size()); }
  int forwards() const { return forwards_; }
  // Some backends free the step's logits when it is committed: strategies must read them first.
  bool drop_logits_on_accept = false;

  void forward(const StepInput& in) override {
    const int n = static_cast<int>(in.tokens.size());
    if (static_cast<int>(in.positions.size()) != n) throw Error("mock: positions size");
    if (!in.mask.empty() && static_cast<int>(in.mask.size()) != n * n) throw Error("mock: mask size");
    if (cache_len() + n > capacity_) throw Error("mock: capacity exceeded");
    ++forwards_;
    accepted_ = false;
    step_ = in;
    rows_.assign(n, {});
    for (int i = 0; i < n; ++i) {
      const int pos = in.positions[i];
      std::vector<int32_t> seq(pos + 1, -1);
      for (int p = 0; p < cache_len(); ++p) seq[p] = cache_[p];
      if (pos < cache_len()) throw Error("mock: row " + std::to_string(i) + " position inside the cache");
      for (int j = 0; j < n; ++j) {
        bool visible = in.mask.empty() ? j <= i : in.mask[i * n + j] != 0;
        if (!visible) continue;
        const int pj = in.positions[j];
        if (pj > pos || pj < cache_len() || seq[pj] != -1) {
          throw Error("mock: row " + std::to_string(i) + " sees a second or later token at position " + std::to_string(pj));
        }
        seq[pj] = in.tokens[j];
      }
      if (seq[pos] != in.tokens[i]) throw Error("mock: row " + std::to_string(i) + " does not see itself");
      for (int p = 0; p <= pos; ++p) {
        if (seq[p] < 0) throw Error("mock: row " + std::to_string(i) + " misses position " + std::to_string(p));
      }
      rows_[i] = logits_for(seq);
    }
  }

  std::vector<int32_t> argmax() override {
    if (rows_.empty()) throw Error("mock: argmax without logits (after accept?)");
    std::vector<int32_t> out;
    for (const auto& r : rows_) out.push_back(static_cast<int32_t>(std::max_element(r.begin(), r.end()) - r.begin()));
    return out;
  }
  void logits(int row, std::vector<float>& out) override {
    if (row < step_.logits_from) throw Error("mock: logits of a row below logits_from");
    if (rows_.empty()) throw Error("mock: logits after accept");
    out = rows_.at(row);
  }
  void accept(const std::vector<int>& rows) override {
    if (accepted_) throw Error("mock: accept() twice after one forward");
    for (int r : rows) {
      if (step_.positions.at(r) != cache_len()) throw Error("mock: accepted row at a non-consecutive position");
      cache_.push_back(step_.tokens.at(r));
    }
    accepted_ = true;
    if (drop_logits_on_accept) rows_.clear();
  }
  void truncate(int len) override {
    if (len < cache_len()) cache_.resize(len);
  }

  // The model: mostly an order-2 Markov chain (so text repeats and speculation pays off), plus a
  // smaller term hashed from the whole sequence (so a wrong context changes the output).
  std::vector<float> logits_for(const std::vector<int32_t>& seq) const {
    const size_t n = seq.size();
    uint64_t local = seed_ * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(seq[n - 1]) * 1000003u +
                     (n >= 2 ? static_cast<uint64_t>(seq[n - 2]) * 7919u : 17u);
    uint64_t full = seed_ ^ 0xABCDEFull;
    for (int32_t t : seq) full = mix(full + static_cast<uint64_t>(t) + 1);
    std::vector<float> out(vocab_);
    for (int v = 0; v < vocab_; ++v) {
      const double a = unit(mix(local + static_cast<uint64_t>(v) * 0x51ED27u));
      const double b = unit(mix(full + static_cast<uint64_t>(v) * 0x2545F491u));
      out[v] = static_cast<float>(sharpness_ * (a + 0.35 * b));
    }
    return out;
  }

 private:
  static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  static double unit(uint64_t z) { return static_cast<double>(z >> 11) / 9007199254740992.0; }

  int vocab_;
  uint64_t seed_;
  float sharpness_;
  int capacity_;
  ModelConfig config_;
  std::vector<int32_t> cache_;
  StepInput step_;
  std::vector<std::vector<float>> rows_;
  int forwards_ = 0;
  bool accepted_ = true;
};

}  // namespace stride::testing
