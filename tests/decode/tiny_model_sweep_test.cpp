// The (W, N, G) and strategy sweep on the tiny model, printed as a table. Disabled by default
// (it takes minutes on CPU); run it with
//   ./test_decode --gtest_also_run_disabled_tests --gtest_filter='TinyModelSweep.*'
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "tiny_model_fixture.h"

namespace stride::testing {
namespace {

// Counts the rows of the forward passes going through to a backend (the compute of a step).
class CountingBackend : public Backend {
 public:
  explicit CountingBackend(Backend& inner) : inner_(inner) {}
  std::string name() const override { return inner_.name(); }
  const ModelConfig& config() const override { return inner_.config(); }
  int capacity() const override { return inner_.capacity(); }
  int cache_len() const override { return inner_.cache_len(); }
  void forward(const StepInput& in) override {
    rows += static_cast<int64_t>(in.tokens.size());
    inner_.forward(in);
  }
  std::vector<int32_t> argmax() override { return inner_.argmax(); }
  void logits(int row, std::vector<float>& out) override { inner_.logits(row, out); }
  void accept(const std::vector<int>& r) override { inner_.accept(r); }
  void truncate(int len) override { inner_.truncate(len); }
  int64_t rows = 0;

 private:
  Backend& inner_;
};

struct Setting {
  std::string label;
  StrategyKind kind;
  LookaheadParams la;
  Backend* draft = nullptr;
};

TEST(TinyModelSweep, DISABLED_PrintTokensPerStep) {
  TinyModel& m = TinyModel::get();
  const int max_tokens = 32;
  std::vector<Setting> settings = {{"greedy", StrategyKind::Greedy, {}}};
  for (LookaheadParams s : std::vector<LookaheadParams>{{3, 3, 3}, {5, 3, 5}, {5, 4, 5}, {8, 4, 8}, {5, 5, 5},
                                                        {10, 5, 10}, {15, 5, 15}, {8, 4, 2}}) {
    settings.push_back({"lookahead W=" + std::to_string(s.window) + " N=" + std::to_string(s.ngram) +
                            " G=" + std::to_string(s.verify),
                        StrategyKind::Lookahead, s});
  }
  settings.push_back({"prompt lookup (1..4, 10)", StrategyKind::Ngram, {}});
  settings.push_back({"draft self K=5", StrategyKind::Draft, {}, m.self_draft.get()});
  settings.push_back({"draft random K=5", StrategyKind::Draft, {}, m.random_draft.get()});

  std::printf("\n%-30s %10s %10s %12s %10s %8s\n", "strategy", "tok/step", "rows/step", "draft rows", "ms/token", "exact");
  for (const Setting& s : settings) {
    int generated = 0, steps = 0, exact = 0;
    CountingBackend target(*m.target);
    std::unique_ptr<CountingBackend> draft;
    if (s.draft) draft = std::make_unique<CountingBackend>(*s.draft);
    int64_t prefill_rows = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < m.prompts.size(); ++i) {
      Request req;
      req.prompt_ids = m.prompts[i];
      req.max_tokens = max_tokens;
      req.strategy = s.kind;
      req.sampling.temperature = 0.0f;
      req.lookahead = s.la;
      LoopResult r = run_decode(target, req, draft.get());
      prefill_rows += static_cast<int64_t>(m.prompts[i].size());
      generated += static_cast<int>(r.ids.size()) - 1;
      steps += r.stats.steps;
      exact += r.ids == m.greedy(i, max_tokens);
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%-30s %10.2f %10.1f %12lld %10.1f %5d/%zu\n", s.label.c_str(), double(generated) / steps,
                double(target.rows - prefill_rows) / steps, static_cast<long long>(draft ? draft->rows : 0),
                ms / (generated + static_cast<int>(m.prompts.size())), exact, m.prompts.size());
    std::fflush(stdout);
  }
}

}  // namespace
}  // namespace stride::testing
