// BridgeClient / BridgeBackend against fake bridge servers that misbehave: one that accepts but
// never greets, one that closes the socket mid-request, one that never answers a request. The
// client gives up within its timeouts, the LSP request gets a JSON-RPC error, and the next request
// is answered (after a reconnect, or by the local fallback).
#include <gtest/gtest.h>
#include <unistd.h>

#include <future>

#include "bridge/bridge_backend.h"
#include "bridge/bridge_protocol.h"
#include "lsp_test_support.h"

namespace stride::lsp::testing {
namespace {

using Clock = std::chrono::steady_clock;

// A Unix-socket server standing in for the app; `behave(stream, n)` runs for connection n (0, 1…)
// on its own thread.
class FakeBridgeServer {
 public:
  using Behaviour = std::function<void(ByteStream&, int)>;
  explicit FakeBridgeServer(Behaviour behave)
      : path_(::testing::TempDir() + "stride-fake-bridge-" + std::to_string(::getpid()) + "-" +
              std::to_string(counter_++) + ".sock"),
        listener_(Listener::unix_socket(path_)),
        behave_(std::move(behave)) {
    accept_ = std::thread([this] {
      for (int n = 0;; ++n) {
        auto c = listener_->accept();
        if (!c) return;
        std::shared_ptr<ByteStream> s(std::move(c));
        std::lock_guard lock(m_);
        streams_.push_back(s);
        conns_.emplace_back([this, s, n] { behave_(*s, n); });
      }
    });
  }
  ~FakeBridgeServer() { stop(); }
  // Stops listening and ends every connection (the app quits).
  void stop() {
    listener_->close();
    if (accept_.joinable()) accept_.join();
    std::lock_guard lock(m_);
    for (auto& s : streams_) s->close();
    for (auto& t : conns_) t.join();
    conns_.clear();
  }
  const std::string& path() const { return path_; }

  static void hello(ByteStream& s) {
    s.write_all(encode_frame(json{{"op", "hello"}, {"version", bridge::kBridgeProtocolVersion}, {"model", "fake"}}.dump()));
  }
  // The next frame from the client (nullopt at end of stream).
  static std::optional<json> next_message(ByteStream& s, FrameReader& r) {
    Frame f;
    char buf[4096];
    while (!r.next(f)) {
      size_t n = s.read_some(buf, sizeof buf);
      if (n == 0) return std::nullopt;
      r.feed(std::string_view(buf, n));
    }
    return json::parse(f.body);
  }
  static void drain(ByteStream& s) {
    char buf[4096];
    while (s.read_some(buf, sizeof buf) > 0) {}
  }
  // A working bridge: answers every "complete" with `text`.
  static void serve(ByteStream& s, const std::string& text) {
    hello(s);
    FrameReader r;
    while (auto m = next_message(s, r)) {
      if ((*m)["op"] == "complete") s.write_all(encode_frame(json{{"op", "done"}, {"id", (*m)["id"]}, {"text", text}}.dump()));
    }
  }

 private:
  static inline std::atomic<int> counter_{0};
  std::string path_;
  std::unique_ptr<Listener> listener_;
  Behaviour behave_;
  std::thread accept_;
  std::mutex m_;
  std::vector<std::shared_ptr<ByteStream>> streams_;
  std::vector<std::thread> conns_;
};

CompletionInput some_input() {
  CompletionInput in;
  in.client_id = "lsp:1";
  in.document_id = "file:///a.py";
  in.path = "/a.py";
  in.text = "x = ";
  in.cursor = 4;
  return in;
}

// Submits and waits (bounded) for the answer.
std::optional<CompletionOutput> complete(CompletionBackend& b, std::chrono::seconds limit = std::chrono::seconds(10)) {
  auto done = std::make_shared<std::promise<CompletionOutput>>();
  auto fut = done->get_future();
  b.submit(some_input(), [done](const CompletionOutput& out) { done->set_value(out); });
  if (fut.wait_for(limit) != std::future_status::ready) return std::nullopt;
  return fut.get();
}

std::shared_ptr<BackendLoader> bridge_loader(const std::string& path, BridgeTimeouts t,
                                             BridgeBackend::Fallback fallback = nullptr, int retry_after_ms = 0) {
  auto client = BridgeClient::connect(path, t);
  EXPECT_TRUE(client) << "the fake bridge should greet";
  return BackendLoader::ready(std::make_shared<BridgeBackend>(client, path, t, std::move(fallback), retry_after_ms));
}

TEST(BridgeClient, GreetsAndCompletes) {
  FakeBridgeServer server([](ByteStream& s, int) { FakeBridgeServer::serve(s, "fine"); });
  auto c = BridgeClient::connect(server.path());
  ASSERT_TRUE(c);
  auto out = complete(*c);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->text, "fine");
  EXPECT_EQ(out->error, "");
}

TEST(BridgeClient, SilentServerIsGivenUpWithinTheGreetingTimeout) {
  // Accepts, never says hello (a hung app).
  FakeBridgeServer server([](ByteStream& s, int) { FakeBridgeServer::drain(s); });
  const auto t0 = Clock::now();
  auto c = BridgeClient::connect(server.path(), BridgeTimeouts{.greeting_ms = 200});
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  EXPECT_FALSE(c);
  EXPECT_GE(waited.count(), 190);
  EXPECT_LT(waited.count(), 2000);
}

TEST(BridgeClient, NothingListeningFailsAtOnce) {
  EXPECT_FALSE(BridgeClient::connect(::testing::TempDir() + "no-such-bridge.sock"));
}

TEST(BridgeClient, LateReplyFailsTheRequestAndBreaksTheConnection) {
  // Greets, reads the request, never answers.
  FakeBridgeServer server([](ByteStream& s, int) {
    FakeBridgeServer::hello(s);
    FakeBridgeServer::drain(s);
  });
  auto c = BridgeClient::connect(server.path(), BridgeTimeouts{.greeting_ms = 2000, .reply_ms = 200});
  ASSERT_TRUE(c);
  const auto t0 = Clock::now();
  auto out = complete(*c);
  ASSERT_TRUE(out) << "no answer at all: the reply timeout did not fire";
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(3));
  EXPECT_NE(out->error.find("did not answer within 200 ms"), std::string::npos) << out->error;
  EXPECT_FALSE(c->connected());
  // Later requests on the broken connection fail at once, with the same reason.
  auto again = complete(*c);
  ASSERT_TRUE(again);
  EXPECT_NE(again->error.find("did not answer"), std::string::npos);
}

// stride-lsp's end of session: the editor's session lets go of the client while its answer is on
// the way, so the answer's callback drops the last reference on the client's reader thread. The
// reader must go on safely (it used to run on in a destroyed client: a crash at exit) and close
// the connection; more frames arriving meanwhile are read and ignored.
TEST(BridgeClient, LastReferenceDroppedInACompletionCallbackClosesTheConnectionSafely) {
  std::promise<void> go, eof;
  auto go_f = go.get_future().share();
  FakeBridgeServer server([&, go_f](ByteStream& s, int) {
    FakeBridgeServer::hello(s);
    FrameReader r;
    auto m = FakeBridgeServer::next_message(s, r);
    if (!m || (*m)["op"] != "complete") return;
    go_f.wait();
    std::string frames = encode_frame(json{{"op", "done"}, {"id", (*m)["id"]}, {"text", "x"}}.dump());
    for (int i = 0; i < 64; ++i) frames += encode_frame(json{{"op", "done"}, {"id", 100000 + i}, {"text", "late"}}.dump());
    s.write_all(frames);
    FakeBridgeServer::drain(s);  // returns at the client's close
    eof.set_value();
  });
  auto holder = std::make_shared<std::shared_ptr<BridgeClient>>(BridgeClient::connect(server.path()));
  ASSERT_TRUE(*holder);
  std::promise<std::string> answered;
  (*holder)->submit(some_input(), [holder, &answered](const CompletionOutput& out) {
    holder->reset();  // the last reference: the client is destroyed here, on its reader thread
    answered.set_value(out.text);
  });
  std::weak_ptr<BridgeClient> weak = *holder;
  holder.reset();  // only the callback holds the client now
  ASSERT_FALSE(weak.expired());
  go.set_value();
  auto a = answered.get_future();
  ASSERT_EQ(a.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(a.get(), "x");
  EXPECT_TRUE(weak.expired());
  EXPECT_EQ(eof.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "the client destroyed on its reader thread should close the connection";
}

TEST(BridgeBackend, ConnectionClosedMidRequestIsAnErrorThenTheNextRequestReconnects) {
  // Connection 0 reads the request and hangs up without answering; connection 1 works.
  FakeBridgeServer server([](ByteStream& s, int n) {
    if (n == 0) {
      FakeBridgeServer::hello(s);
      FrameReader r;
      FakeBridgeServer::next_message(s, r);
      s.close();
      return;
    }
    FakeBridgeServer::serve(s, "second try");
  });
  FakeClient c(bridge_loader(server.path(), BridgeTimeouts{}));
  c.initialize();
  c.open("file:///a.py", "x = ");
  json first = c.call("textDocument/inlineCompletion", FakeClient::position_params("file:///a.py", 0, 4));
  ASSERT_TRUE(first.contains("error")) << first;
  EXPECT_EQ(first["error"]["code"], -32803);  // RequestFailed
  EXPECT_NE(first["error"]["message"].get<std::string>().find("closed the bridge"), std::string::npos) << first;
  json second = c.call("textDocument/inlineCompletion", FakeClient::position_params("file:///a.py", 0, 4));
  ASSERT_TRUE(second.contains("result")) << second;
  EXPECT_EQ(second["result"]["items"][0]["insertText"], "second try");
}

TEST(BridgeBackend, TimedOutRequestIsAnErrorThenTheNextRequestReconnects) {
  FakeBridgeServer server([](ByteStream& s, int n) {
    if (n == 0) {
      FakeBridgeServer::hello(s);
      FakeBridgeServer::drain(s);  // hung after greeting
      return;
    }
    FakeBridgeServer::serve(s, "after timeout");
  });
  FakeClient c(bridge_loader(server.path(), BridgeTimeouts{.greeting_ms = 2000, .reply_ms = 200}));
  c.initialize();
  c.open("file:///a.py", "x = ");
  json first = c.call("textDocument/inlineCompletion", FakeClient::position_params("file:///a.py", 0, 4));
  ASSERT_TRUE(first.contains("error")) << first;
  EXPECT_EQ(first["error"]["code"], -32803);
  EXPECT_NE(first["error"]["message"].get<std::string>().find("did not answer"), std::string::npos) << first;
  json second = c.call("textDocument/inlineCompletion", FakeClient::position_params("file:///a.py", 0, 4));
  ASSERT_TRUE(second.contains("result")) << second;
  EXPECT_EQ(second["result"]["items"][0]["insertText"], "after timeout");
}

TEST(BridgeBackend, AppGoneForGoodFallsBackToTheLocalEngine) {
  auto server = std::make_unique<FakeBridgeServer>([](ByteStream& s, int) { FakeBridgeServer::serve(s, "from app"); });
  auto local = std::make_shared<FakeCompletionService>();
  local->set_answer([](const CompletionInput&) { return std::string("from local"); });
  int fallback_calls = 0;
  auto fallback = [&]() -> std::shared_ptr<CompletionBackend> {
    ++fallback_calls;
    return std::make_shared<ServiceBackend>(local, "fake local engine");
  };
  const std::string path = server->path();
  FakeClient c(bridge_loader(path, BridgeTimeouts{}, fallback, 60000));
  c.initialize();
  c.open("file:///a.py", "x = ");
  json first = c.call("textDocument/inlineCompletion", FakeClient::position_params("file:///a.py", 0, 4));
  ASSERT_TRUE(first.contains("result")) << first;
  EXPECT_EQ(first["result"]["items"][0]["insertText"], "from app");
  EXPECT_EQ(fallback_calls, 0);

  server->stop();  // the app quits
  server.reset();
  // The client notices the closed socket on its reader thread; the next request cannot
  // reconnect (nothing listens) and goes to the local engine.
  json second;
  for (int i = 0; i < 50; ++i) {
    second = c.call("textDocument/inlineCompletion", FakeClient::position_params("file:///a.py", 0, 4));
    if (second.contains("result")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(second.contains("result")) << second;
  EXPECT_EQ(second["result"]["items"][0]["insertText"], "from local");
  EXPECT_GE(fallback_calls, 1);
}

TEST(BridgeBackend, NoBridgeAndNoLocalEngineYetIsAnError) {
  FakeBridgeServer server([](ByteStream& s, int) { FakeBridgeServer::serve(s, "x"); });
  auto client = BridgeClient::connect(server.path());
  ASSERT_TRUE(client);
  BridgeBackend b(client, server.path(), BridgeTimeouts{}, [] { return std::shared_ptr<CompletionBackend>(); }, 60000);
  server.stop();
  // Wait (bounded) until the client saw the close.
  for (int i = 0; i < 500 && client->connected(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_FALSE(client->connected());
  auto out = complete(b);
  ASSERT_TRUE(out);
  EXPECT_NE(out->error.find("local engine is not ready"), std::string::npos) << out->error;
}

}  // namespace
}  // namespace stride::lsp::testing
