#include "step_breakdown.h"

#include <chrono>
#include <cstdio>
#include <sstream>

#include "decode/decode_loop.h"
#include "decode/prompt_set.h"

namespace stride::bench {
namespace {

using Clock = std::chrono::steady_clock;

double us_since(Clock::time_point t0) { return std::chrono::duration<double, std::micro>(Clock::now() - t0).count(); }

// Forwards every call to the real backend and adds up the time spent in each, for decode steps
// only (a prompt step, logits_from > 0, and its argmax/accept are not counted).
class TimedBackend final : public Backend {
 public:
  explicit TimedBackend(Backend& b) : b_(b) {}
  struct Times {
    double forward_us = 0, argmax_us = 0, accept_us = 0, prompt_us = 0;
    int64_t steps = 0, rows = 0;
  };
  Times t;

  std::string name() const override { return b_.name(); }
  const ModelConfig& config() const override { return b_.config(); }
  int capacity() const override { return b_.capacity(); }
  int cache_len() const override { return b_.cache_len(); }
  void forward(const StepInput& in) override {
    prompt_ = in.logits_from > 0;
    const auto t0 = Clock::now();
    b_.forward(in);
    (prompt_ ? t.prompt_us : t.forward_us) += us_since(t0);
    if (!prompt_) {
      t.steps++;
      t.rows += static_cast<int64_t>(in.tokens.size());
    }
  }
  std::vector<int32_t> argmax() override {
    const auto t0 = Clock::now();
    auto out = b_.argmax();
    (prompt_ ? t.prompt_us : t.argmax_us) += us_since(t0);
    return out;
  }
  void logits(int row, std::vector<float>& out) override {
    const auto t0 = Clock::now();
    b_.logits(row, out);
    (prompt_ ? t.prompt_us : t.argmax_us) += us_since(t0);
  }
  void top_logits(int row, int k, float temperature, TopLogits& out) override {
    const auto t0 = Clock::now();
    b_.top_logits(row, k, temperature, out);
    (prompt_ ? t.prompt_us : t.argmax_us) += us_since(t0);
  }
  void accept(const std::vector<int>& rows) override {
    const auto t0 = Clock::now();
    b_.accept(rows);
    (prompt_ ? t.prompt_us : t.accept_us) += us_since(t0);
  }
  void truncate(int len) override { b_.truncate(len); }

 private:
  Backend& b_;
  bool prompt_ = false;
};

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

}  // namespace

std::vector<std::vector<TokenId>> breakdown_prompts(const Engine& engine, const BreakdownOptions& o) {
  std::vector<std::vector<TokenId>> prompts;
  for (const auto& p : stride::testing::code_prompts()) {
    if (o.prompts > 0 && int(prompts.size()) >= o.prompts) break;
    prompts.push_back(p.fim ? engine.fim_prompt(p.prefix, p.suffix) : engine.tokenizer().encode(p.prefix, false));
  }
  return prompts;
}

std::vector<BreakdownSetting> breakdown_settings(const BreakdownOptions& o) {
  std::vector<BreakdownSetting> settings = {{"greedy", StrategyKind::Greedy, {}}};
  // Without --grid: the default (lookahead_strategy.cpp) and the wider (3, 3, 3).
  for (const auto& p : o.grid.empty() ? std::vector<LookaheadParams>{{1, 3, 2}, {3, 3, 3}} : o.grid)
    settings.push_back({"lookahead " + std::to_string(p.window) + ":" + std::to_string(p.ngram) + ":" +
                            std::to_string(p.verify),
                        StrategyKind::Lookahead, p});
  settings.push_back({"prompt lookup", StrategyKind::Ngram, {}});
  return settings;
}

std::string run_step_breakdown(Backend& backend, const Engine& engine, const BreakdownOptions& o) {
  const auto prompts = breakdown_prompts(engine, o);
  const auto settings = breakdown_settings(o);

  std::ostringstream table;
  table << "Step breakdown on " << backend.name() << ", " << prompts.size() << " prompts x " << o.max_tokens
        << " tokens (µs per decode step; strategy = the rest of the step's wall time):\n\n"
        << "| strategy | tokens/step | rows/step | step µs | forward | argmax (wait) | accept | strategy | µs/token |"
           " ratio vs greedy |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
  std::printf("\n%s", table.str().c_str());
  std::fflush(stdout);
  double greedy_us_per_token = 0;
  for (const BreakdownSetting& s : settings) {
    Request r;
    r.max_tokens = o.max_tokens;
    r.stop_at_eos = false;
    r.strategy = s.kind;
    r.sampling.temperature = 0.0f;
    r.lookahead = s.lookahead;
    TimedBackend timed(backend);
    for (int i = 0; i < std::min<int>(4, int(prompts.size())); ++i) {  // warm-up: graph captures
      r.prompt_ids = prompts[i];
      stride::testing::run_decode(timed, r);
    }
    timed.t = {};
    double wall_us = 0;
    int64_t tokens = 0;
    for (const auto& p : prompts) {
      r.prompt_ids = p;
      const auto t0 = Clock::now();
      const auto res = stride::testing::run_decode(timed, r);
      wall_us += us_since(t0);
      tokens += static_cast<int64_t>(res.ids.size()) - 1;  // the first token comes from the prompt step
    }
    const auto& t = timed.t;
    const double steps = t.steps > 0 ? double(t.steps) : 1.0;
    const double decode_us = wall_us - t.prompt_us;
    const double step_us = decode_us / steps;
    const double strategy_us = (decode_us - t.forward_us - t.argmax_us - t.accept_us) / steps;
    const double per_token = tokens > 0 ? decode_us / tokens : 0;
    if (s.kind == StrategyKind::Greedy) greedy_us_per_token = per_token;
    const double tps = tokens / steps;
    const double speedup = per_token > 0 ? greedy_us_per_token / per_token : 0;
    std::ostringstream row;
    row << "| " << s.label << " | " << fmt("%.2f", tps) << " | " << fmt("%.1f", t.rows / steps) << " | "
        << fmt("%.1f", step_us) << " | " << fmt("%.1f", t.forward_us / steps) << " | " << fmt("%.1f", t.argmax_us / steps)
        << " | " << fmt("%.1f", t.accept_us / steps) << " | " << fmt("%.1f", strategy_us) << " | "
        << fmt("%.1f", per_token) << " | " << fmt("%.2f", tps > 0 ? speedup / tps : 0) << " |\n";
    table << row.str();
    std::printf("%s", row.str().c_str());
    std::fflush(stdout);
  }
  return table.str();
}

}  // namespace stride::bench
