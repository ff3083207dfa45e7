// The listener loop joins the threads of finished connections: opening and closing many loopback
// connections leaves only a bounded number of threads tracked, not one per connection ever made.
#include <gtest/gtest.h>
#include <unistd.h>

#include "lsp_test_support.h"

namespace stride::lsp::testing {
namespace {

// Waits (bounded) until `pred` holds; the sessions end on their own threads.
bool eventually(const std::function<bool()>& pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

TEST(ConnectionThreads, FinishedThreadsAreJoinedOnReap) {
  ConnectionThreads t;
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  for (int i = 0; i < 5; ++i) t.start([] {});
  t.start([&] {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return release; });
  });
  ASSERT_TRUE(eventually([&] { return t.running() == 1; }));
  EXPECT_EQ(t.tracked(), 6u);
  EXPECT_EQ(t.reap(), 5u);
  EXPECT_EQ(t.tracked(), 1u);  // the one still serving stays
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  ASSERT_TRUE(eventually([&] { return t.running() == 0; }));
  EXPECT_EQ(t.reap(), 1u);
  EXPECT_EQ(t.tracked(), 0u);
  EXPECT_EQ(t.started(), 6u);
}

void open_close_many(Listener& listener, const std::function<std::unique_ptr<ByteStream>()>& connect) {
  auto loader = ready_loader(std::make_shared<FakeCompletionService>());
  ConnectionThreads threads;
  std::atomic<bool> stop{false};
  std::thread server([&] { serve_connections(listener, loader, ServerOptions{}, stop, &threads); });

  constexpr int kConnections = 60;
  size_t most_tracked = 0;
  for (int i = 0; i < kConnections; ++i) {
    auto c = connect();
    ASSERT_TRUE(c) << "connection " << i;
    // Half of them say something first, so both idle and active sessions are ended by the close.
    if (i % 2) c->write_all(encode_frame(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}})"));
    c->close();
    c.reset();
    // Let the session notice the close before the next accept reaps it.
    ASSERT_TRUE(eventually([&] { return threads.started() == size_t(i + 1) && threads.running() == 0; })) << i;
    most_tracked = std::max(most_tracked, threads.tracked());
  }
  // Each accept joined the sessions that had ended: at most the previous one was still tracked.
  EXPECT_EQ(threads.started(), size_t(kConnections));
  EXPECT_LE(most_tracked, 2u);
  EXPECT_LE(threads.tracked(), 1u);

  stop = true;
  listener.close();
  server.join();
  EXPECT_EQ(threads.tracked(), 0u);
}

TEST(ConnectionThreads, LoopbackTcpListenerDoesNotGrowWithClosedConnections) {
  auto listener = Listener::tcp_loopback(0);
  const int port = listener->port();
  open_close_many(*listener, [port] { return connect_tcp_loopback(port); });
}

TEST(ConnectionThreads, UnixSocketListenerDoesNotGrowWithClosedConnections) {
  const std::string path = ::testing::TempDir() + "stride-lsp-conn-" + std::to_string(::getpid()) + ".sock";
  auto listener = Listener::unix_socket(path);
  open_close_many(*listener, [path] { return connect_unix_socket(path); });
}

}  // namespace
}  // namespace stride::lsp::testing
