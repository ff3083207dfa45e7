// End to end on the real tiny Qwen2 model (CPU backend): the prompt builder reproduces the
// Hugging Face FIM prompt ids of the reference fixture, and the service's answer is the
// reference greedy continuation cut by the stop rules, for the greedy and lookahead strategies.
#include <gtest/gtest.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "completion/completion_service.h"
#include "completion/cursor_context.h"

namespace stride {
namespace {

const std::string kModelDir = std::string(STRIDE_SHARED_DIR) + "/models/tiny-qwen2-coder";
const std::string kFixture = std::string(STRIDE_SHARED_DIR) + "/fixtures/tiny-qwen2-coder-reference.json";

struct FimCase {
  std::string prefix, suffix;
  std::vector<TokenId> prompt_ids, greedy_ids;
};

std::vector<FimCase> fim_cases() {
  std::ifstream in(kFixture);
  if (!in) throw Error("cannot open " + kFixture);
  nlohmann::json j = nlohmann::json::parse(in);
  std::vector<FimCase> cases;
  for (const auto& g : j.at("greedy")) {
    if (g.at("kind") != "fim") continue;
    cases.push_back({g.at("prefix"), g.at("suffix"), g.at("prompt_ids").get<std::vector<TokenId>>(),
                     g.at("greedy_ids").get<std::vector<TokenId>>()});
  }
  return cases;
}

class TinyModelCompletion : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    EngineOptions options;
    options.model_dir = kModelDir;
    options.backend = BackendKind::Cpu;
    engine_ = std::shared_ptr<Engine>(Engine::load(options));
  }
  static void TearDownTestSuite() { engine_.reset(); }
  static std::shared_ptr<Engine> engine_;
};
std::shared_ptr<Engine> TinyModelCompletion::engine_;

CompletionInput input_for(const FimCase& c) {
  CompletionInput in;
  in.client_id = "test";
  in.document_id = "doc";
  in.path = "case.py";
  in.text = c.prefix + c.suffix;
  in.cursor = c.prefix.size();
  in.settings.max_tokens = int(c.greedy_ids.size());
  return in;
}

TEST_F(TinyModelCompletion, PromptMatchesTheReferenceFimIds) {
  std::vector<FimCase> cases = fim_cases();
  ASSERT_FALSE(cases.empty());
  for (const FimCase& c : cases) {
    BuiltPrompt p = build_completion_prompt(*engine_, input_for(c));
    EXPECT_EQ(p.ids, c.prompt_ids) << c.prefix;
    EXPECT_EQ(p.ids, engine_->fim_prompt(c.prefix, c.suffix)) << c.prefix;
  }
}

TEST_F(TinyModelCompletion, RepoContextUsesTheRealFileSepToken) {
  CompletionInput in = input_for(fim_cases().at(0));
  in.other_files = {{"util.py", "def sub(a, b):\n    return a - b\n"}};
  BuiltPrompt p = build_completion_prompt(*engine_, in);
  const Tokenizer& tok = engine_->tokenizer();
  ASSERT_FALSE(p.ids.empty());
  EXPECT_EQ(p.ids.front(), tok.token_id("<|file_sep|>"));
  EXPECT_EQ(p.ids.back(), tok.token_id("<|fim_middle|>"));
  EXPECT_EQ(tok.decode(p.ids), "<|file_sep|>util.py\ndef sub(a, b):\n    return a - b\n<|file_sep|>case.py\n"
                               "<|fim_prefix|>" + in.text.substr(0, in.cursor) + "<|fim_suffix|>" +
                                   in.text.substr(in.cursor) + "<|fim_middle|>");
}

TEST_F(TinyModelCompletion, ServiceAnswersTheStopRuledReferenceContinuation) {
  auto service = CompletionService::create(engine_);
  for (const FimCase& c : fim_cases()) {
    CompletionInput in = input_for(c);
    StopRuleContext stop = stop_context_for(in);
    stop.finished = true;
    const std::string full = engine_->tokenizer().decode(c.greedy_ids);
    const std::string expected = full.substr(0, apply_stop_rules(stop, full).keep_bytes);
    ASSERT_FALSE(expected.empty()) << c.prefix;
    for (StrategyKind strategy : {StrategyKind::Greedy, StrategyKind::Lookahead}) {
      in.settings.strategy = strategy;
      std::mutex mu;
      std::condition_variable cv;
      bool done = false;
      CompletionOutput out;
      service->submit(in, {}, [&](uint64_t, const CompletionOutput& o) {
        std::lock_guard<std::mutex> lock(mu);
        out = o;
        done = true;
        cv.notify_all();
      });
      std::unique_lock<std::mutex> lock(mu);
      ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return done; }));
      EXPECT_EQ(out.error, "");
      EXPECT_FALSE(out.cancelled);
      EXPECT_EQ(out.text, expected) << to_string(strategy) << " on " << c.prefix;
      EXPECT_EQ(out.result.strategy, strategy);
    }
  }
  service->shutdown();
}

}  // namespace
}  // namespace stride
