// initialize's initializationOptions become the CompletionSettings of that client's requests;
// invalid values refuse initialize with InvalidParams (-32602) naming the field.
#include <gtest/gtest.h>

#include "lsp_test_support.h"
#include "server/initialization_options.h"

namespace stride::lsp::testing {
namespace {

json initialize_with(FakeClient& c, const json& options) {
  return c.call("initialize", {{"processId", nullptr}, {"rootUri", nullptr}, {"capabilities", json::object()},
                               {"initializationOptions", options}});
}

TEST(InitializationOptions, SettingsReachTheCompletionRequest) {
  auto svc = std::make_shared<FakeCompletionService>();
  FakeClient c(ready_loader(svc));
  json r = initialize_with(c, {{"strategy", "ngram"}, {"maxTokens", 40}, {"maxLines", 3},
                               {"temperature", 0.5}, {"contextBudget", 512}, {"someFutureOption", true}});
  ASSERT_TRUE(r.contains("result")) << r;
  c.notify("initialized", json::object());
  c.open("file:///a.py", "x = ");
  json done = c.call("textDocument/inlineCompletion", FakeClient::position_params("file:///a.py", 0, 4));
  ASSERT_TRUE(done.contains("result")) << done;
  const CompletionSettings s = svc->inputs().back().settings;
  EXPECT_EQ(s.strategy, StrategyKind::Ngram);
  EXPECT_EQ(s.max_tokens, 40);
  EXPECT_EQ(s.max_lines, 3);
  EXPECT_FLOAT_EQ(s.temperature, 0.5f);
  EXPECT_EQ(s.context_budget_tokens, 512);
}

TEST(InitializationOptions, AbsentFieldsKeepTheServerDefaults) {
  auto svc = std::make_shared<FakeCompletionService>();
  ServerOptions o;
  o.settings.max_tokens = 77;
  o.settings.strategy = StrategyKind::Greedy;
  FakeClient c(ready_loader(svc), o);
  ASSERT_TRUE(initialize_with(c, {{"maxLines", 2}}).contains("result"));
  c.open("file:///a.py", "x = ");
  c.call("textDocument/completion", FakeClient::position_params("file:///a.py", 0, 4));
  ASSERT_EQ(svc->submitted(), 1);
  const CompletionSettings s = svc->inputs().back().settings;
  EXPECT_EQ(s.max_tokens, 77);
  EXPECT_EQ(s.strategy, StrategyKind::Greedy);
  EXPECT_EQ(s.max_lines, 2);
}

TEST(InitializationOptions, SettingsArePerClient) {
  auto svc = std::make_shared<FakeCompletionService>();
  auto loader = ready_loader(svc);
  FakeClient a(loader), b(loader);
  ASSERT_TRUE(initialize_with(a, {{"maxTokens", 11}}).contains("result"));
  ASSERT_TRUE(initialize_with(b, json(nullptr)).contains("result"));  // null: no options
  a.open("file:///a.py", "x = ");
  b.open("file:///b.py", "y = ");
  a.call("textDocument/inlineCompletion", FakeClient::position_params("file:///a.py", 0, 4));
  b.call("textDocument/inlineCompletion", FakeClient::position_params("file:///b.py", 0, 4));
  ASSERT_EQ(svc->submitted(), 2);
  for (const auto& in : svc->inputs()) {
    EXPECT_EQ(in.settings.max_tokens, in.path.find("a.py") != std::string::npos ? 11 : CompletionSettings{}.max_tokens) << in.path;
  }
}

TEST(InitializationOptions, InvalidValuesAreInvalidParamsNamingTheField) {
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"strategy", "warp-drive"}}, "initializationOptions.strategy"},
      {{{"strategy", 3}}, "initializationOptions.strategy"},
      {{{"maxTokens", 0}}, "initializationOptions.maxTokens"},
      {{{"maxTokens", "96"}}, "initializationOptions.maxTokens"},
      {{{"maxTokens", 12.5}}, "initializationOptions.maxTokens"},
      {{{"maxLines", -1}}, "initializationOptions.maxLines"},
      {{{"temperature", -0.1}}, "initializationOptions.temperature"},
      {{{"temperature", "hot"}}, "initializationOptions.temperature"},
      {{{"contextBudget", 1u << 30}}, "initializationOptions.contextBudget"},
      {json::array({1, 2}), "initializationOptions"},
  };
  for (const auto& [options, field] : cases) {
    FakeClient c(ready_loader(std::make_shared<FakeCompletionService>()));
    json r = initialize_with(c, options);
    ASSERT_TRUE(r.contains("error")) << options << " → " << r;
    EXPECT_EQ(r["error"]["code"], -32602) << options;
    EXPECT_NE(r["error"]["message"].get<std::string>().find(field + ":"), std::string::npos) << r;
    // Refused initialize leaves the session uninitialized: a corrected retry succeeds.
    EXPECT_TRUE(initialize_with(c, {{"maxTokens", 8}}).contains("result"));
  }
}

TEST(InitializationOptions, AnInvalidFieldLeavesEverySettingUnchanged) {
  CompletionSettings s;
  s.max_tokens = 5;
  EXPECT_THROW(apply_initialization_options({{"maxTokens", 50}, {"maxLines", 0}}, s), InvalidParamsError);
  EXPECT_EQ(s.max_tokens, 5);
  apply_initialization_options({{"maxTokens", 96.0}}, s);  // an integral double is an integer
  EXPECT_EQ(s.max_tokens, 96);
}

}  // namespace
}  // namespace stride::lsp::testing
