// BridgeClient: stride-lsp's side of the bridge. A CompletionBackend that forwards every request
// to the desktop app's BridgeServer over the per-user Unix socket (protocol: bridge_protocol.h).
//
// A hung app must not hang stride-lsp: the greeting has to arrive within `greeting_ms`, and each
// request's "done" within `reply_ms` of sending it. When a reply is late, the connection is
// treated as broken: every request still waiting fails with an error (the session answers
// RequestFailed) and connected() turns false; BridgeBackend (bridge_backend.h) then reconnects
// or falls back to a local engine for the next request.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "server/completion_backend.h"
#include "transport/byte_stream.h"

namespace stride {

struct BridgeTimeouts {
  int greeting_ms = 2000;  // connect → hello
  int reply_ms = 30000;    // complete → done (queueing behind other editors included)
};

class BridgeClient : public lsp::CompletionBackend, public std::enable_shared_from_this<BridgeClient> {
 public:
  // nullptr when nothing answers at `socket_path` (the app is not running) or it does not greet
  // with the bridge protocol within `timeouts.greeting_ms`.
  static std::shared_ptr<BridgeClient> connect(const std::string& socket_path, BridgeTimeouts timeouts = {});
  ~BridgeClient() override;

  std::shared_ptr<CompletionRequestHandle> submit(CompletionInput input, OnDone on_done) override;
  std::string describe() const override;
  bool connected() const;

 private:
  class Handle;
  using Clock = std::chrono::steady_clock;
  struct Pending {
    OnDone on_done;
    Clock::time_point deadline;
  };
  BridgeClient(std::unique_ptr<lsp::ByteStream> stream, std::string path, BridgeTimeouts timeouts);
  void read_loop();
  void watchdog_loop();
  void send_cancel(int64_t id);
  void fail_all(const std::string& why);

  std::unique_ptr<lsp::ByteStream> stream_;
  std::string path_;
  BridgeTimeouts timeouts_;
  mutable std::mutex mutex_;
  std::condition_variable watchdog_cv_;  // woken by new requests and by shutdown
  std::map<int64_t, Pending> pending_;
  int64_t next_id_ = 1;
  bool connected_ = true;
  bool stopping_ = false;
  std::string broken_reason_;  // why the connection ended, once it has
  std::thread reader_, watchdog_;
};

}  // namespace stride
