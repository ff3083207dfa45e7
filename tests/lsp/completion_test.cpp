// textDocument/inlineCompletion and textDocument/completion: results, history, cancellation by
// $/cancelRequest and by a newer request, requests held while the model loads, $/progress.
#include <gtest/gtest.h>

#include "lsp_test_support.h"

namespace stride::lsp::testing {
namespace {

TEST(Completion, InlineItemIsMultiLineWithAnEmptyRangeAtTheCursor) {
  auto svc = std::make_shared<FakeCompletionService>();
  svc->set_answer([](const CompletionInput&) { return std::string("a + b\n\nprint(add(1, 2))"); });
  auto history = std::make_shared<MemoryHistory>();
  std::mutex hm;
  FakeClient c(ready_loader(svc), ServerOptions{.history = history.get(), .history_mutex = &hm});
  c.initialize();
  c.open("file:///add.py", "def add(a, b):\n    return \xF0\x9F\x98\x80 ");
  // Line 1, after "    return 😀 " = 4+6+1+2(emoji)+1 = 14 UTF-16 units.
  json r = c.call("textDocument/inlineCompletion", FakeClient::position_params("file:///add.py", 1, 14));
  ASSERT_TRUE(r.contains("result")) << r;
  const json& item = r["result"]["items"][0];
  EXPECT_EQ(item["insertText"], "a + b\n\nprint(add(1, 2))");
  EXPECT_EQ(item["range"]["start"], (json{{"line", 1}, {"character", 14}}));
  EXPECT_EQ(item["range"]["end"], item["range"]["start"]);
  ASSERT_EQ(history->rows(0).size(), 1u);
  EXPECT_EQ(history->rows(0)[0].source, "lsp");
  EXPECT_EQ(history->rows(0)[0].file_type, "python");
  EXPECT_EQ(history->rows(0)[0].strategy, "lookahead");
  EXPECT_EQ(history->rows(0)[0].tokens, 3);
}

TEST(Completion, PlainCompletionIsOnePlainTextItemCoveringTheTypedWord) {
  auto svc = std::make_shared<FakeCompletionService>();
  svc->set_answer([](const CompletionInput&) { return std::string("nt(x)\nfoo()"); });
  FakeClient c(ready_loader(svc));
  c.initialize();
  c.open("file:///p.py", "x = 1\n  pri");
  json r = c.call("textDocument/completion", FakeClient::position_params("file:///p.py", 1, 5));
  ASSERT_TRUE(r.contains("result")) << r;
  ASSERT_EQ(r["result"]["items"].size(), 1u);
  const json& item = r["result"]["items"][0];
  EXPECT_EQ(item["insertTextFormat"], 1);
  EXPECT_EQ(item["textEdit"]["newText"], "print(x)\nfoo()");
  EXPECT_EQ(item["textEdit"]["range"]["start"], (json{{"line", 1}, {"character", 2}}));
  EXPECT_EQ(item["textEdit"]["range"]["end"], (json{{"line", 1}, {"character", 5}}));
  EXPECT_EQ(item["label"], "print(x)");
}

TEST(Completion, EmptyCompletionGivesNoItems) {
  auto svc = std::make_shared<FakeCompletionService>();
  auto history = std::make_shared<MemoryHistory>();
  svc->set_answer([](const CompletionInput&) { return std::string(); });
  FakeClient c(ready_loader(svc), ServerOptions{.history = history.get()});
  c.initialize();
  c.open("file:///p.py", "");
  json r = c.call("textDocument/inlineCompletion", FakeClient::position_params("file:///p.py", 0, 0));
  EXPECT_TRUE(r["result"]["items"].empty());
  EXPECT_TRUE(history->rows(0).empty());
}

TEST(Completion, PositionPastTheEndIsClamped) {
  auto svc = std::make_shared<FakeCompletionService>();
  FakeClient c(ready_loader(svc));
  c.initialize();
  c.open("file:///p.py", "ab\ncd");
  json r = c.call("textDocument/inlineCompletion", FakeClient::position_params("file:///p.py", 7, 40));
  EXPECT_EQ(svc->inputs().back().cursor, 5u);
  EXPECT_EQ(r["result"]["items"][0]["range"]["start"], (json{{"line", 1}, {"character", 2}}));
}

TEST(Completion, CancelRequestAnswersRequestCancelled) {
  auto svc = std::make_shared<FakeCompletionService>();
  svc->set_hold(true);
  FakeClient c(ready_loader(svc));
  c.initialize();
  c.open("file:///c.py", "x");
  json id = c.request("textDocument/inlineCompletion", FakeClient::position_params("file:///c.py", 0, 1));
  c.notify("$/cancelRequest", {{"id", id}});
  auto r = c.response(id);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["error"]["code"], -32800);
  svc->set_hold(false);
  // Cancelling an id that is already answered (or never existed) is ignored.
  c.notify("$/cancelRequest", {{"id", 12345}});
  json ok = c.call("textDocument/inlineCompletion", FakeClient::position_params("file:///c.py", 0, 1));
  EXPECT_TRUE(ok.contains("result"));
}

TEST(Completion, NewerRequestForTheSameDocumentCancelsTheOlder) {
  auto svc = std::make_shared<FakeCompletionService>();
  svc->set_hold(true);
  svc->set_answer([](const CompletionInput& in) { return "@" + std::to_string(in.cursor); });
  FakeClient c(ready_loader(svc));
  c.initialize();
  c.open("file:///a.py", "abcdef");
  c.open("file:///b.py", "xyz");
  json first = c.request("textDocument/inlineCompletion", FakeClient::position_params("file:///a.py", 0, 1));
  json other = c.request("textDocument/inlineCompletion", FakeClient::position_params("file:///b.py", 0, 3));
  json second = c.request("textDocument/inlineCompletion", FakeClient::position_params("file:///a.py", 0, 2));
  auto r1 = c.response(first);
  ASSERT_TRUE(r1);
  EXPECT_EQ((*r1)["error"]["code"], -32800);
  svc->set_hold(false);
  auto r2 = c.response(second);
  ASSERT_TRUE(r2);
  EXPECT_EQ((*r2)["result"]["items"][0]["insertText"], "@2");
  auto r3 = c.response(other);  // another document is not affected
  ASSERT_TRUE(r3);
  EXPECT_EQ((*r3)["result"]["items"][0]["insertText"], "@3");
}

TEST(Completion, RequestsWaitForTheModelAndProgressIsReported) {
  auto loader = std::make_shared<BackendLoader>();
  FakeClient c(loader);
  c.initialize({{"window", {{"workDoneProgress", true}}}});
  auto create = c.stream().wait_for([](const json& j) { return j.value("method", "") == "window/workDoneProgress/create"; });
  ASSERT_TRUE(create);
  c.send({{"jsonrpc", "2.0"}, {"id", (*create)["id"]}, {"result", nullptr}});
  auto begin = c.notification("$/progress");
  ASSERT_TRUE(begin);
  EXPECT_EQ((*begin)["params"]["value"]["kind"], "begin");
  c.open("file:///w.py", "w");
  json id = c.request("textDocument/inlineCompletion", FakeClient::position_params("file:///w.py", 0, 1));
  // Held, not answered, while loading; the session still answers other requests.
  EXPECT_EQ(c.call("shutdown_not_a_method", json::object())["error"]["code"], -32601);
  loader->report_progress(0.5f, "weights");
  auto report = c.notification("$/progress");
  ASSERT_TRUE(report);
  EXPECT_EQ((*report)["params"]["value"]["percentage"], 50);
  EXPECT_FALSE(c.response(id, std::chrono::milliseconds(50)));
  auto svc = std::make_shared<FakeCompletionService>();
  loader->set_ready(std::make_shared<ServiceBackend>(svc, "fake"));
  auto end = c.notification("$/progress");
  ASSERT_TRUE(end);
  EXPECT_EQ((*end)["params"]["value"]["kind"], "end");
  auto r = c.response(id);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["result"]["items"][0]["insertText"], "<COMPLETION>");
}

TEST(Completion, ModelLoadFailureIsLoggedAndHeldRequestsFail) {
  auto loader = std::make_shared<BackendLoader>();
  FakeClient c(loader);
  c.initialize();
  c.open("file:///w.py", "w");
  json id = c.request("textDocument/inlineCompletion", FakeClient::position_params("file:///w.py", 0, 1));
  loader->set_failed("config.json: missing");
  auto r = c.response(id);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["error"]["code"], -32803);
  auto log = c.notification("window/logMessage");
  ASSERT_TRUE(log);
  EXPECT_NE((*log)["params"]["message"].get<std::string>().find("config.json"), std::string::npos);
  json later = c.call("textDocument/inlineCompletion", FakeClient::position_params("file:///w.py", 0, 1));
  EXPECT_EQ(later["error"]["code"], -32803);
}

TEST(Completion, CancelWhileHeldForTheModel) {
  auto loader = std::make_shared<BackendLoader>();
  FakeClient c(loader);
  c.initialize();
  c.open("file:///w.py", "w");
  json id = c.request("textDocument/inlineCompletion", FakeClient::position_params("file:///w.py", 0, 1));
  c.notify("$/cancelRequest", {{"id", id}});
  auto r = c.response(id);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["error"]["code"], -32800);
}

TEST(Completion, ServiceErrorBecomesRequestFailedAndALog) {
  class FailingBackend : public CompletionBackend {
   public:
    std::shared_ptr<CompletionRequestHandle> submit(CompletionInput, OnDone done) override {
      CompletionOutput out;
      out.error = "engine exploded";
      done(out);  // answers inline: the server must not deadlock
      return nullptr;
    }
    std::string describe() const override { return "failing"; }
  };
  FakeClient c(BackendLoader::ready(std::make_shared<FailingBackend>()));
  c.initialize();
  c.open("file:///f.py", "f");
  json r = c.call("textDocument/inlineCompletion", FakeClient::position_params("file:///f.py", 0, 1));
  EXPECT_EQ(r["error"]["code"], -32803);
  EXPECT_EQ(r["error"]["message"], "engine exploded");
}

}  // namespace
}  // namespace stride::lsp::testing
