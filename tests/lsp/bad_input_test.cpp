// Every kind of bad input gets its JSON-RPC error (or is dropped, for notifications), and the
// server then answers the next valid request.
#include <gtest/gtest.h>

#include "lsp_test_support.h"

namespace stride::lsp::testing {
namespace {

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = std::make_unique<FakeClient>(ready_loader(service_));
    client_->initialize();
    client_->open("file:///ok.py", "print(");
  }
  // The valid request that must be answered after each bad input.
  void expect_still_serving() {
    json r = client_->call("textDocument/inlineCompletion", FakeClient::position_params("file:///ok.py", 0, 6));
    ASSERT_TRUE(r.contains("result")) << r;
    EXPECT_EQ(r["result"]["items"][0]["insertText"], "<COMPLETION>");
  }
  json error_with_id(const json& id) {
    auto r = client_->response(id);
    return r ? *r : json{{"timeout", true}};
  }
  std::shared_ptr<FakeCompletionService> service_ = std::make_shared<FakeCompletionService>();
  std::unique_ptr<FakeClient> client_;
};

TEST_F(BadInput, MalformedHeaderIsDroppedWithALogMessage) {
  client_->send_raw("Content-Lenght: 10\r\n\r\n0123456789");
  auto log = client_->notification("window/logMessage");
  ASSERT_TRUE(log);
  EXPECT_EQ((*log)["params"]["type"], 1);
  expect_still_serving();
}

TEST_F(BadInput, NonNumericContentLength) {
  client_->send_raw("Content-Length: twelve\r\n\r\n{}");
  EXPECT_TRUE(client_->notification("window/logMessage"));
  expect_still_serving();
}

TEST_F(BadInput, TooShortContentLengthGivesParseError) {
  client_->send_raw("Content-Length: 10\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"shutdown\"}");
  json e = error_with_id(nullptr);
  EXPECT_EQ(e["error"]["code"], -32700);
  expect_still_serving();
}

TEST_F(BadInput, TooLongContentLengthDoesNotEatTheNextRequest) {
  const std::string body = R"({"jsonrpc":"2.0","id":"long","method":"textDocument/inlineCompletion")";  // cut short
  json next_id = "next";
  const std::string next = encode_frame(json{{"jsonrpc", "2.0"}, {"id", next_id}, {"method", "textDocument/inlineCompletion"},
                                             {"params", FakeClient::position_params("file:///ok.py", 0, 6)}}.dump());
  client_->send_raw("Content-Length: " + std::to_string(body.size() + next.size()) + "\r\n\r\n" + body + next);
  EXPECT_EQ(error_with_id(nullptr)["error"]["code"], -32700);
  auto r = client_->response(next_id);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->contains("result")) << *r;
}

TEST_F(BadInput, InvalidJsonIsParseError) {
  client_->send_raw(encode_frame("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": "));
  EXPECT_EQ(error_with_id(nullptr)["error"]["code"], -32700);
  expect_still_serving();
}

TEST_F(BadInput, InvalidRequestShapes) {
  for (const char* body : {"[]", "\"text\"", R"({"jsonrpc":"2.0","id":5,"method":12})", R"({"id":6,"method":"shutdown"})"}) {
    client_->send_raw(encode_frame(body));
    auto e = client_->stream().wait_for([](const json& j) { return j.contains("error"); });
    ASSERT_TRUE(e) << body;
    EXPECT_EQ((*e)["error"]["code"], -32600) << body;
  }
  expect_still_serving();
}

TEST_F(BadInput, UnknownMethodIsMethodNotFound) {
  json r = client_->call("textDocument/hover", FakeClient::position_params("file:///ok.py", 0, 0));
  EXPECT_EQ(r["error"]["code"], -32601);
  expect_still_serving();
}

TEST_F(BadInput, UnknownNotificationIsDroppedSilently) {
  client_->notify("workspace/didChangeWatchedFiles", {{"changes", json::array()}});
  client_->notify("$/setTrace", {{"value", "off"}});
  expect_still_serving();
  for (const json& j : client_->stream().all_output()) EXPECT_FALSE(j.contains("error")) << j;
}

TEST_F(BadInput, InvalidParamsNameTheField) {
  json r = client_->call("textDocument/inlineCompletion", {{"textDocument", {{"uri", "file:///ok.py"}}}, {"position", {{"line", "zero"}}}});
  EXPECT_EQ(r["error"]["code"], -32602);
  EXPECT_NE(r["error"]["message"].get<std::string>().find("position.line"), std::string::npos);
  json r2 = client_->call("textDocument/completion", json::array({1, 2}));
  EXPECT_EQ(r2["error"]["code"], -32602);
  expect_still_serving();
}

TEST_F(BadInput, InvalidNotificationParamsAreLoggedNotAnswered) {
  client_->notify("textDocument/didChange", {{"textDocument", {{"uri", "file:///never.py"}}}, {"contentChanges", json::array()}});
  auto log = client_->notification("window/logMessage");
  ASSERT_TRUE(log);
  EXPECT_NE((*log)["params"]["message"].get<std::string>().find("never opened"), std::string::npos);
  client_->notify("textDocument/didOpen", {{"textDocument", {{"uri", 3}}}});
  EXPECT_TRUE(client_->notification("window/logMessage"));
  expect_still_serving();
}

TEST_F(BadInput, DocumentNeverOpened) {
  json r = client_->call("textDocument/inlineCompletion", FakeClient::position_params("file:///ghost.py", 0, 0));
  EXPECT_EQ(r["error"]["code"], -32602);
  EXPECT_NE(r["error"]["message"].get<std::string>().find("never opened"), std::string::npos);
  expect_still_serving();
}

TEST_F(BadInput, DuplicateInitializeIsRejected) {
  json r = client_->call("initialize", {{"capabilities", json::object()}});
  EXPECT_TRUE(r.contains("error"));
  expect_still_serving();
}

TEST_F(BadInput, BinaryGarbageBetweenFrames) {
  client_->send_raw(std::string("\x00\x01\xFF\xFE garbage \r\n\r\n", 17));
  expect_still_serving();
}

TEST(BadInputSession, ClientVanishingMidRequestCancelsItAndLeavesTheServiceUsable) {
  auto svc = std::make_shared<FakeCompletionService>();
  auto loader = ready_loader(svc);
  svc->set_hold(true);
  {
    FakeClient c(loader);
    c.initialize();
    c.open("file:///v.py", "x");
    c.request("textDocument/inlineCompletion", FakeClient::position_params("file:///v.py", 0, 1));
    while (svc->submitted() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }  // the connection ends while the request is queued
  svc->set_hold(false);
  FakeClient next(loader);
  next.initialize();
  next.open("file:///v.py", "x");
  json r = next.call("textDocument/inlineCompletion", FakeClient::position_params("file:///v.py", 0, 1));
  EXPECT_TRUE(r.contains("result")) << r;
}

}  // namespace
}  // namespace stride::lsp::testing
