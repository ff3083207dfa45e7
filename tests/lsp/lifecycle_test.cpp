// initialize (position encoding negotiation), shutdown and exit, documents.
#include <gtest/gtest.h>

#include "lsp_test_support.h"

namespace stride::lsp::testing {
namespace {

TEST(Lifecycle, Utf16IsTheDefaultEncoding) {
  FakeClient c(ready_loader(std::make_shared<FakeCompletionService>()));
  json r = c.initialize();
  EXPECT_EQ(r["result"]["capabilities"]["positionEncoding"], "utf-16");
  EXPECT_EQ(r["result"]["serverInfo"]["name"], "stride-lsp");
}

TEST(Lifecycle, ClientOfferedEncodingIsChosen) {
  for (const char* enc : {"utf-8", "utf-32"}) {
    FakeClient c(ready_loader(std::make_shared<FakeCompletionService>()));
    json r = c.initialize({{"general", {{"positionEncodings", {enc, "utf-16"}}}}});
    EXPECT_EQ(r["result"]["capabilities"]["positionEncoding"], enc);
  }
}

TEST(Lifecycle, NegotiatedUtf8EncodingIsUsedForPositions) {
  auto svc = std::make_shared<FakeCompletionService>();
  FakeClient c(ready_loader(svc));
  c.initialize({{"general", {{"positionEncodings", {"utf-8"}}}}});
  c.open("file:///e.py", "x = '\xF0\x9F\x98\x80'");
  json r = c.call("textDocument/inlineCompletion", FakeClient::position_params("file:///e.py", 0, 9));
  ASSERT_TRUE(r.contains("result")) << r;
  EXPECT_EQ(svc->inputs().back().cursor, 9u);
  EXPECT_EQ(r["result"]["items"][0]["range"]["start"]["character"], 9);
}

TEST(Lifecycle, RequestsBeforeInitializeAreRefusedThenServed) {
  FakeClient c(ready_loader(std::make_shared<FakeCompletionService>()));
  json r = c.call("textDocument/completion", FakeClient::position_params("file:///a", 0, 0));
  EXPECT_EQ(r["error"]["code"], -32002);
  EXPECT_TRUE(c.initialize().contains("result"));
}

TEST(Lifecycle, ShutdownThenExitEndsWithCodeZero) {
  FakeClient c(ready_loader(std::make_shared<FakeCompletionService>()));
  c.initialize();
  json r = c.call("shutdown", nullptr);
  EXPECT_TRUE(r.contains("result"));
  EXPECT_TRUE(r["result"].is_null());
  // After shutdown, requests are InvalidRequest.
  json after = c.call("textDocument/completion", FakeClient::position_params("file:///a", 0, 0));
  EXPECT_EQ(after["error"]["code"], -32600);
  c.notify("exit", nullptr);
  EXPECT_EQ(c.wait_exit(), 0);
}

TEST(Lifecycle, ExitWithoutShutdownEndsWithCodeOne) {
  FakeClient c(ready_loader(std::make_shared<FakeCompletionService>()));
  c.initialize();
  c.notify("exit", nullptr);
  EXPECT_EQ(c.wait_exit(), 1);
}

TEST(Lifecycle, DocumentsFollowFullAndIncrementalChanges) {
  auto svc = std::make_shared<FakeCompletionService>();
  FakeClient c(ready_loader(svc));
  c.initialize();
  c.open("file:///a.py", "def add(a, b):\n    ret\n");
  c.notify("textDocument/didChange",
           {{"textDocument", {{"uri", "file:///a.py"}, {"version", 2}}},
            {"contentChanges", {{{"range", {{"start", {{"line", 1}, {"character", 7}}}, {"end", {{"line", 1}, {"character", 7}}}}},
                                 {"text", "urn "}}}}});
  json r = c.call("textDocument/inlineCompletion", FakeClient::position_params("file:///a.py", 1, 11));
  ASSERT_TRUE(r.contains("result")) << r;
  auto in = svc->inputs().back();
  EXPECT_EQ(in.text, "def add(a, b):\n    return \n");
  EXPECT_EQ(in.cursor, in.text.find("return ") + 7);
  EXPECT_EQ(in.path, "/a.py");
  c.notify("textDocument/didChange", {{"textDocument", {{"uri", "file:///a.py"}, {"version", 3}}},
                                      {"contentChanges", {{{"text", "x = "}}}}});
  c.call("textDocument/inlineCompletion", FakeClient::position_params("file:///a.py", 0, 4));
  EXPECT_EQ(svc->inputs().back().text, "x = ");
  c.notify("textDocument/didClose", {{"textDocument", {{"uri", "file:///a.py"}}}});
  json closed = c.call("textDocument/inlineCompletion", FakeClient::position_params("file:///a.py", 0, 4));
  EXPECT_EQ(closed["error"]["code"], -32602);
}

TEST(Lifecycle, OtherOpenDocumentsAreGivenAsContext) {
  auto svc = std::make_shared<FakeCompletionService>();
  FakeClient c(ready_loader(svc), ServerOptions{.client_id = "lsp:7"});
  c.initialize();
  c.open("file:///util.py", "def helper(): pass\n");
  c.open("file:///main.py", "helper");
  c.call("textDocument/inlineCompletion", FakeClient::position_params("file:///main.py", 0, 6));
  auto in = svc->inputs().back();
  EXPECT_EQ(in.client_id, "lsp:7");
  ASSERT_EQ(in.other_files.size(), 1u);
  EXPECT_EQ(in.other_files[0].path, "/util.py");
}

}  // namespace
}  // namespace stride::lsp::testing
