// Acceptance outcomes for LSP completions: every served item carries the stride.accepted command
// with its history row id, workspace/executeCommand marks that row accepted_all in a real SQLite
// history, and rows the user never accepted become dismissed (newer request for the document,
// didClose, end of the session) instead of staying pending.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <unistd.h>

#include "lsp_test_support.h"
#include "protocol/protocol.h"

namespace stride::lsp::testing {
namespace {

namespace fs = std::filesystem;

// A fresh SQLite history file, removed (with its WAL files) afterwards.
class TempHistory {
 public:
  TempHistory() {
    static std::atomic<int> n{0};
    path_ = (fs::temp_directory_path() /
             ("stride-lsp-accept-" + std::to_string(getpid()) + "-" + std::to_string(n++) + ".sqlite"))
                .string();
    store_ = HistoryStore::open(path_);
  }
  ~TempHistory() {
    store_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_ + suffix);
  }
  HistoryStore* store() { return store_.get(); }
  std::mutex* mutex() { return &mutex_; }
  ServerOptions options() { return ServerOptions{.history = store_.get(), .history_mutex = &mutex_}; }
  // Read through a second connection, as the app's stats view would.
  std::string outcome(int64_t id) const {
    for (const auto& r : HistoryStore::open(path_)->rows(0))
      if (r.id == id) return r.outcome;
    return "(no row " + std::to_string(id) + ")";
  }

 private:
  std::string path_;
  std::mutex mutex_;
  std::unique_ptr<HistoryStore> store_;
};

json inline_at(FakeClient& c, const std::string& uri, int line, int character) {
  return c.call("textDocument/inlineCompletion", FakeClient::position_params(uri, line, character));
}

// The history id carried by the single item of an inline answer (fails the test if absent).
int64_t accepted_id(const json& answer) {
  const json& item = answer.at("result").at("items").at(0);
  EXPECT_EQ(item.at("command").at("command"), "stride.accepted") << item;
  EXPECT_EQ(item.at("command").at("arguments").size(), 1u) << item;
  return item.at("command").at("arguments").at(0).get<int64_t>();
}

json accept(FakeClient& c, const json& arguments) {
  return c.call("workspace/executeCommand", {{"command", "stride.accepted"}, {"arguments", arguments}});
}

TEST(Acceptance, InitializeAdvertisesTheAcceptedCommand) {
  auto svc = std::make_shared<FakeCompletionService>();
  FakeClient c(ready_loader(svc));
  json r = c.initialize();
  ASSERT_TRUE(r.contains("result")) << r;
  EXPECT_EQ(r["result"]["capabilities"]["executeCommandProvider"]["commands"], json::array({"stride.accepted"}));
}

TEST(Acceptance, InlineItemCarriesTheCommandWithItsHistoryRowId) {
  auto svc = std::make_shared<FakeCompletionService>();
  TempHistory h;
  FakeClient c(ready_loader(svc), h.options());
  c.initialize();
  c.open("file:///a.py", "def f():\n    ");
  json r = inline_at(c, "file:///a.py", 1, 4);
  ASSERT_TRUE(r.contains("result")) << r;
  const int64_t id = accepted_id(r);
  auto rows = h.store()->rows(0);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].id, id);
  EXPECT_EQ(rows[0].source, "lsp");
  EXPECT_EQ(rows[0].outcome, "pending");
}

TEST(Acceptance, ExecutingTheCommandMarksTheRowAcceptedAll) {
  auto svc = std::make_shared<FakeCompletionService>();
  TempHistory h;
  FakeClient c(ready_loader(svc), h.options());
  c.initialize();
  c.open("file:///a.py", "x = ");
  const int64_t id = accepted_id(inline_at(c, "file:///a.py", 0, 4));
  json r = accept(c, json::array({id}));
  ASSERT_TRUE(r.contains("result")) << r;
  EXPECT_TRUE(r["result"].is_null());
  EXPECT_EQ(h.outcome(id), "accepted_all");
  // Accepting again changes nothing and is not an error (a client may run the command twice).
  EXPECT_TRUE(accept(c, json::array({id})).contains("result"));
  EXPECT_EQ(h.outcome(id), "accepted_all");
  // An accepted row is not dismissed by the next request for its document.
  accepted_id(inline_at(c, "file:///a.py", 0, 4));
  EXPECT_EQ(h.outcome(id), "accepted_all");
}

TEST(Acceptance, PlainCompletionItemCarriesTheCommandToo) {
  auto svc = std::make_shared<FakeCompletionService>();
  TempHistory h;
  FakeClient c(ready_loader(svc), h.options());
  c.initialize();
  c.open("file:///p.py", "pri");
  json r = c.call("textDocument/completion", FakeClient::position_params("file:///p.py", 0, 3));
  const json& item = r.at("result").at("items").at(0);
  ASSERT_EQ(item.at("command").at("command"), "stride.accepted") << item;
  const int64_t id = item["command"]["arguments"][0].get<int64_t>();
  EXPECT_TRUE(accept(c, json::array({id})).contains("result"));
  EXPECT_EQ(h.outcome(id), "accepted_all");
}

TEST(Acceptance, NewerRequestForTheSameDocumentDismissesTheUnacceptedEarlierRow) {
  auto svc = std::make_shared<FakeCompletionService>();
  TempHistory h;
  FakeClient c(ready_loader(svc), h.options());
  c.initialize();
  c.open("file:///a.py", "abc");
  c.open("file:///b.py", "xyz");
  const int64_t a1 = accepted_id(inline_at(c, "file:///a.py", 0, 1));
  const int64_t b1 = accepted_id(inline_at(c, "file:///b.py", 0, 1));
  EXPECT_EQ(h.outcome(a1), "pending");
  // Dismissed as soon as the newer request arrives, before (and whether or not) it is answered.
  svc->set_hold(true);
  json second = c.request("textDocument/inlineCompletion", FakeClient::position_params("file:///a.py", 0, 2));
  for (int i = 0; i < 1000 && svc->submitted() < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(svc->submitted(), 3);  // the server dismisses before it submits
  EXPECT_EQ(h.outcome(a1), "dismissed");
  EXPECT_EQ(h.outcome(b1), "pending");  // another document is not affected
  svc->set_hold(false);
  auto r2 = c.response(second);
  ASSERT_TRUE(r2);
  const int64_t a2 = accepted_id(*r2);
  EXPECT_NE(a1, a2);
  EXPECT_EQ(h.outcome(a2), "pending");
  // A newer request whose answer is empty (no new row) still dismisses the one before.
  svc->set_answer([](const CompletionInput&) { return std::string(); });
  EXPECT_TRUE(inline_at(c, "file:///a.py", 0, 3)["result"]["items"].empty());
  EXPECT_EQ(h.outcome(a2), "dismissed");
  // The accept command may reach the server after the editor's next request: accepting wins.
  EXPECT_TRUE(accept(c, json::array({a1})).contains("result"));
  EXPECT_EQ(h.outcome(a1), "accepted_all");
}

TEST(Acceptance, DidCloseAndTheEndOfTheSessionDismissWhatIsLeft) {
  auto svc = std::make_shared<FakeCompletionService>();
  TempHistory h;
  int64_t a = 0, b = 0;
  {
    FakeClient c(ready_loader(svc), h.options());
    c.initialize();
    c.open("file:///a.py", "abc");
    c.open("file:///b.py", "xyz");
    a = accepted_id(inline_at(c, "file:///a.py", 0, 1));
    b = accepted_id(inline_at(c, "file:///b.py", 0, 1));
    c.notify("textDocument/didClose", {{"textDocument", {{"uri", "file:///a.py"}}}});
    // A request after the notification is answered after it was handled (one reader thread).
    c.call("shutdown", nullptr);
    EXPECT_EQ(h.outcome(a), "dismissed");
    EXPECT_EQ(h.outcome(b), "pending");
    c.notify("exit", nullptr);
    c.wait_exit();
  }
  EXPECT_EQ(h.outcome(b), "dismissed");
}

TEST(Acceptance, BadExecuteCommandParamsAreInvalidParamsAndTheServerKeepsServing) {
  auto svc = std::make_shared<FakeCompletionService>();
  TempHistory h;
  FakeClient other(ready_loader(svc), ServerOptions{.client_id = "lsp:2", .history = h.store(), .history_mutex = h.mutex()});
  other.initialize();
  other.open("file:///o.py", "o");
  const int64_t others_row = accepted_id(inline_at(other, "file:///o.py", 0, 1));

  FakeClient c(ready_loader(svc), h.options());
  c.initialize();
  c.open("file:///a.py", "abc");
  const int64_t id = accepted_id(inline_at(c, "file:///a.py", 0, 1));
  const json bad_params[] = {
      json{{"command", "stride.unknown"}, {"arguments", {id}}},
      json{{"arguments", {id}}},                                   // no command
      json{{"command", 7}, {"arguments", {id}}},                   // command not a string
      json{{"command", "stride.accepted"}},                        // no arguments
      json{{"command", "stride.accepted"}, {"arguments", "1"}},    // not an array
      json{{"command", "stride.accepted"}, {"arguments", json::array()}},
      json{{"command", "stride.accepted"}, {"arguments", {id, id}}},
      json{{"command", "stride.accepted"}, {"arguments", {"1"}}},
      json{{"command", "stride.accepted"}, {"arguments", {1.5}}},
      json{{"command", "stride.accepted"}, {"arguments", {0}}},
      json{{"command", "stride.accepted"}, {"arguments", {-3}}},
      json{{"command", "stride.accepted"}, {"arguments", {UINT64_MAX}}},
      json{{"command", "stride.accepted"}, {"arguments", {id + 1000}}},     // never served
      json{{"command", "stride.accepted"}, {"arguments", {others_row}}},    // another session's row
      json::array({"stride.accepted", id}),                                 // params not an object
  };
  for (const json& params : bad_params) {
    json r = c.call("workspace/executeCommand", params);
    ASSERT_TRUE(r.contains("error")) << params << " → " << r;
    EXPECT_EQ(r["error"]["code"], -32602) << params << " → " << r;
    EXPECT_FALSE(r["error"]["message"].get<std::string>().empty());
  }
  EXPECT_EQ(h.outcome(id), "pending");
  EXPECT_EQ(h.outcome(others_row), "pending");
  // Still serving: a completion and a good accept.
  const int64_t next = accepted_id(inline_at(c, "file:///a.py", 0, 2));
  EXPECT_TRUE(accept(c, json::array({next})).contains("result"));
  EXPECT_EQ(h.outcome(next), "accepted_all");
}

TEST(Acceptance, WithoutHistoryItemsCarryNoCommand) {
  auto svc = std::make_shared<FakeCompletionService>();
  FakeClient c(ready_loader(svc));
  c.initialize();
  c.open("file:///a.py", "abc");
  json r = inline_at(c, "file:///a.py", 0, 1);
  ASSERT_EQ(r["result"]["items"].size(), 1u) << r;
  EXPECT_FALSE(r["result"]["items"][0].contains("command"));
  // Nothing was served with an id, so no id can be accepted.
  EXPECT_EQ(accept(c, json::array({1}))["error"]["code"], -32602);
}

TEST(Acceptance, ExecuteCommandBeforeInitializeIsRefused) {
  auto svc = std::make_shared<FakeCompletionService>();
  FakeClient c(ready_loader(svc));
  EXPECT_EQ(accept(c, json::array({1}))["error"]["code"], -32002);
}

}  // namespace
}  // namespace stride::lsp::testing
