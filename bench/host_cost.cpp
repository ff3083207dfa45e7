#include "host_cost.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>

#include "decode/decode_loop.h"

namespace stride::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Answers every row with the true greedy token after its position: guesses on the true path are
// accepted as a real model would accept them, so the strategies do their usual work.
class OracleBackend final : public Backend {
 public:
  OracleBackend(const ModelConfig& config, size_t flush_bytes) : config_(config), flush_(flush_bytes) {}
  void set_truth(const std::vector<TokenId>* truth) { truth_ = truth; }
  // Wall time of the decode phase (first decode forward to the last accept, per request; the
  // prompt step and the strategy's begin(), once per request, are left out) less the flushing.
  double decode_us() const { return decode_us_ + span() - flush_us_; }

  std::string name() const override { return "oracle"; }
  const ModelConfig& config() const override { return config_; }
  int capacity() const override { return 1 << 20; }
  int cache_len() const override { return len_; }
  void forward(const StepInput& in) override {
    decoding_ = in.logits_from == 0;
    if (decoding_ && !started_) {
      started_ = true;
      start_ = last_ = Clock::now();
    }
    positions_.assign(in.positions.begin(), in.positions.end());
    if (!flush_.empty() && decoding_) {
      const auto t0 = Clock::now();
      for (size_t i = 0; i < flush_.size(); i += 64) flush_[i] = static_cast<char>(flush_[i] + 1);
      flush_us_ += std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    }
  }
  std::vector<int32_t> argmax() override {
    std::vector<int32_t> out(positions_.size());
    for (size_t i = 0; i < out.size(); ++i) {
      const size_t p = static_cast<size_t>(positions_[i]) + 1;
      out[i] = p < truth_->size() ? (*truth_)[p] : 0;
    }
    return out;
  }
  void logits(int, std::vector<float>&) override { throw Error("the oracle backend has no logits (greedy only)"); }
  void accept(const std::vector<int>& rows) override {
    len_ += static_cast<int>(rows.size());
    if (decoding_) last_ = Clock::now();
  }
  void truncate(int len) override {  // a new request begins
    len_ = len;
    decode_us_ += span();
    started_ = false;
  }

 private:
  const ModelConfig& config_;
  const std::vector<TokenId>* truth_ = nullptr;
  std::vector<int32_t> positions_;
  double span() const { return started_ ? std::chrono::duration<double, std::micro>(last_ - start_).count() : 0; }

  std::vector<char> flush_;
  int len_ = 0;
  bool decoding_ = false, started_ = false;
  Clock::time_point start_, last_;
  double decode_us_ = 0, flush_us_ = 0;
};

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

}  // namespace

std::string run_host_cost(Backend& backend, const Engine& engine, const BreakdownOptions& o) {
  const auto prompts = breakdown_prompts(engine, o);
  std::vector<std::vector<TokenId>> truths;
  Request r;
  r.max_tokens = o.max_tokens;
  r.stop_at_eos = false;
  r.sampling.temperature = 0.0f;
  for (const auto& p : prompts) {
    r.prompt_ids = p;
    r.strategy = StrategyKind::Greedy;
    const auto res = stride::testing::run_decode(backend, r);
    truths.push_back(p);
    truths.back().insert(truths.back().end(), res.ids.begin(), res.ids.end());
  }

  const auto settings = breakdown_settings(o);

  std::ostringstream table;
  table << "Host work per decode step against an oracle backend (" << prompts.size() << " prompts x " << o.max_tokens
        << " tokens; µs per step: the strategy and the decode loop, no model):\n\n"
        << "| strategy | tokens/step (oracle) | warm µs/step | caches flushed µs/step |\n| --- | --- | --- | --- |\n";
  std::printf("\n%s", table.str().c_str());
  std::fflush(stdout);
  constexpr int kRepeats = 5;
  for (const BreakdownSetting& s : settings) {
    r.strategy = s.kind;
    r.lookahead = s.lookahead;
    double us[2] = {0, 0};
    double steps = 0, tokens = 0;
    for (int flushed = 0; flushed < 2; ++flushed) {
      OracleBackend oracle(backend.config(), flushed ? size_t(32) << 20 : 0);
      double n_steps = 0;
      for (int rep = 0; rep < (flushed ? 1 : kRepeats); ++rep) {  // flushing takes ~ms a step
        for (size_t i = 0; i < prompts.size(); ++i) {
          oracle.set_truth(&truths[i]);
          r.prompt_ids = prompts[i];
          const auto res = stride::testing::run_decode(oracle, r);
          if (!std::equal(res.ids.begin(), res.ids.end(), truths[i].begin() + prompts[i].size()))
            throw Error("host cost: " + s.label + " left the oracle's greedy path on prompt " + std::to_string(i));
          n_steps += res.stats.steps > 0 ? res.stats.steps : double(res.ids.size()) - 1;
          if (!flushed) tokens += double(res.ids.size()) - 1;
        }
      }
      us[flushed] = oracle.decode_us() / n_steps;
      if (!flushed) steps = n_steps;
    }
    std::ostringstream row;
    row << "| " << s.label << " | " << fmt("%.2f", tokens / steps) << " | " << fmt("%.2f", us[0]) << " | "
        << fmt("%.2f", us[1]) << " |\n";
    table << row.str();
    std::printf("%s", row.str().c_str());
    std::fflush(stdout);
  }
  return table.str();
}

}  // namespace stride::bench
