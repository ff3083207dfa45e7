// JSON-RPC classification and LSP type conversion (no server involved).
#include <gtest/gtest.h>

#include "protocol/protocol.h"

namespace stride::lsp {
namespace {

TEST(JsonRpc, ClassifiesRequestsNotificationsAndResponses) {
  auto r = parse_message(R"({"jsonrpc":"2.0","id":7,"method":"initialize","params":{}})");
  EXPECT_EQ(r.kind, IncomingMessage::Kind::Request);
  EXPECT_EQ(r.id, 7);
  EXPECT_EQ(r.method, "initialize");
  auto n = parse_message(R"({"jsonrpc":"2.0","method":"initialized","params":{}})");
  EXPECT_EQ(n.kind, IncomingMessage::Kind::Notification);
  auto s = parse_message(R"({"jsonrpc":"2.0","id":"abc","result":null})");
  EXPECT_EQ(s.kind, IncomingMessage::Kind::Response);
  EXPECT_EQ(s.id, "abc");
}

TEST(JsonRpc, RejectsBadShapesWithTheRightCode) {
  EXPECT_EQ(parse_message("{nope").invalid_code, ErrorCode::ParseError);
  EXPECT_EQ(parse_message("").invalid_code, ErrorCode::ParseError);
  struct Case { const char* body; ErrorCode code; };
  for (const Case& c : {Case{"[1]", ErrorCode::InvalidRequest}, Case{"42", ErrorCode::InvalidRequest},
                        Case{R"({"id":1,"method":"x"})", ErrorCode::InvalidRequest},
                        Case{R"({"jsonrpc":"1.0","id":1,"method":"x"})", ErrorCode::InvalidRequest},
                        Case{R"({"jsonrpc":"2.0","id":1,"method":5})", ErrorCode::InvalidRequest},
                        Case{R"({"jsonrpc":"2.0","id":{},"method":"x"})", ErrorCode::InvalidRequest},
                        Case{R"({"jsonrpc":"2.0","id":1,"method":"x","params":3})", ErrorCode::InvalidRequest},
                        Case{R"({"jsonrpc":"2.0","id":1})", ErrorCode::InvalidRequest}}) {
    auto m = parse_message(c.body);
    EXPECT_EQ(m.kind, IncomingMessage::Kind::Invalid) << c.body;
    EXPECT_EQ(m.invalid_code, c.code) << c.body;
  }
  // The id survives when it could be read, so the error reaches the right request.
  EXPECT_EQ(parse_message(R"({"jsonrpc":"1.0","id":9,"method":"x"})").id, 9);
}

TEST(JsonRpc, EnvelopesAreWellFormed) {
  json e = json::parse(make_error(3, ErrorCode::RequestCancelled, "gone"));
  EXPECT_EQ(e["jsonrpc"], "2.0");
  EXPECT_EQ(e["id"], 3);
  EXPECT_EQ(e["error"]["code"], -32800);
  json r = json::parse(make_result("x", {{"a", 1}}));
  EXPECT_EQ(r["result"]["a"], 1);
  // Invalid UTF-8 in a payload must not throw while serialising.
  EXPECT_NO_THROW(make_result(1, std::string("\xFF\xFE")));
}

TEST(Protocol, InitializeParamsReadEncodingsAndProgress) {
  auto p = parse_initialize_params(json::parse(
      R"({"capabilities":{"general":{"positionEncodings":["utf-32","bogus","utf-8"]},"window":{"workDoneProgress":true}},
          "clientInfo":{"name":"Neovim"}})"));
  ASSERT_EQ(p.position_encodings.size(), 2u);
  EXPECT_EQ(p.position_encodings[0], PositionEncoding::Utf32);
  EXPECT_EQ(p.position_encodings[1], PositionEncoding::Utf8);
  EXPECT_TRUE(p.work_done_progress);
  EXPECT_EQ(p.client_name, "Neovim");
  EXPECT_TRUE(parse_initialize_params(json::object()).position_encodings.empty());
}

TEST(Protocol, DidChangeReadsFullAndIncrementalChanges) {
  auto p = parse_did_change(json::parse(R"({"textDocument":{"uri":"file:///a","version":4},
     "contentChanges":[{"text":"all"},{"range":{"start":{"line":0,"character":1},"end":{"line":0,"character":2}},"text":"X"}]})"));
  EXPECT_EQ(p.uri, "file:///a");
  EXPECT_EQ(p.version, 4);
  ASSERT_EQ(p.content_changes.size(), 2u);
  EXPECT_FALSE(p.content_changes[0].range);
  EXPECT_EQ(p.content_changes[1].range->start, (Position{0, 1}));
}

TEST(Protocol, InvalidParamsNameTheField) {
  try {
    parse_text_document_position(json::parse(R"({"textDocument":{"uri":"file:///a"},"position":{"line":-1,"character":0}})"));
    FAIL();
  } catch (const InvalidParamsError& e) {
    EXPECT_NE(e.message.find("params.position.line"), std::string::npos) << e.message;
  }
  EXPECT_THROW(parse_did_open(json::parse(R"({"textDocument":{"uri":1}})")), InvalidParamsError);
  EXPECT_THROW(parse_text_document_position(json::parse(R"({"position":{"line":0,"character":0}})")), InvalidParamsError);
  EXPECT_THROW(parse_cancel_id(json::parse(R"({"id":[1]})")), InvalidParamsError);
  EXPECT_THROW(parse_position(json::parse(R"({"line":1.5,"character":0})"), "p"), InvalidParamsError);
}

TEST(Protocol, ResultsHaveTheSpecShapes) {
  json init = initialize_result(PositionEncoding::Utf8, "1.0");
  EXPECT_EQ(init["capabilities"]["positionEncoding"], "utf-8");
  EXPECT_EQ(init["capabilities"]["textDocumentSync"]["change"], 2);
  EXPECT_TRUE(init["capabilities"].contains("inlineCompletionProvider"));
  json inl = inline_completion_list({{"a\nb", Range{{1, 2}, {1, 2}}}});
  EXPECT_EQ(inl["items"][0]["insertText"], "a\nb");
  EXPECT_EQ(inl["items"][0]["range"]["start"]["character"], 2);
  json comp = completion_list({{"lbl", "text", Range{{0, 0}, {0, 1}}, "Stride"}});
  EXPECT_EQ(comp["items"][0]["insertTextFormat"], 1);
  EXPECT_EQ(comp["items"][0]["textEdit"]["newText"], "text");
  EXPECT_FALSE(init["capabilities"].contains("executeCommandProvider"));  // no commands given
  EXPECT_FALSE(inl["items"][0].contains("command"));
  EXPECT_FALSE(comp["items"][0].contains("command"));
}

TEST(Protocol, CommandsOnItemsAndExecuteCommandParams) {
  json init = initialize_result(PositionEncoding::Utf16, "1.0", {"stride.accepted"});
  EXPECT_EQ(init["capabilities"]["executeCommandProvider"]["commands"], json::array({"stride.accepted"}));
  const Command cmd{"t", "stride.accepted", json::array({42})};
  json inl = inline_completion_list({{"x", Range{{0, 0}, {0, 0}}, cmd}});
  EXPECT_EQ(inl["items"][0]["command"], (json{{"title", "t"}, {"command", "stride.accepted"}, {"arguments", {42}}}));
  json comp = completion_list({{"l", "x", Range{{0, 0}, {0, 0}}, "Stride", cmd}});
  EXPECT_EQ(comp["items"][0]["command"]["arguments"], json::array({42}));

  ExecuteCommandParams p = parse_execute_command(json::parse(R"({"command":"c","arguments":[1,"a"]})"));
  EXPECT_EQ(p.command, "c");
  EXPECT_EQ(p.arguments, json::parse(R"([1,"a"])"));
  EXPECT_EQ(parse_execute_command(json::parse(R"({"command":"c"})")).arguments, json::array());
  EXPECT_THROW(parse_execute_command(json::parse(R"({"arguments":[]})")), InvalidParamsError);
  EXPECT_THROW(parse_execute_command(json::parse(R"({"command":"c","arguments":{}})")), InvalidParamsError);
  EXPECT_THROW(parse_execute_command(json::parse(R"([1])")), InvalidParamsError);
}

}  // namespace
}  // namespace stride::lsp
