// BridgeClient: stride-lsp's side of the bridge. A CompletionBackend that forwards every request
// to the desktop app's BridgeServer over the per-user Unix socket (protocol: bridge_protocol.h).
//
// A hung app must not hang stride-lsp: the greeting has to arrive within `greeting_ms`, and each
// request's "done" within `reply_ms` of sending it. When a reply is late, the connection is
// treated as broken: every request still waiting fails with an error (the session answers
// RequestFailed) and connected() turns false; BridgeBackend (bridge_backend.h) then reconnects
// or falls back to a local engine for the next request.
#pragma once

#include <memory>
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
  // The connection's state, shared by this facade and its reader and watchdog threads. A
  // completion callback may drop the last reference to the client on the reader thread; the
  // thread then goes on with its own reference to the link, never with a destroyed client.
  class Link;
  explicit BridgeClient(std::shared_ptr<Link> link);

  std::shared_ptr<Link> link_;
  std::thread reader_, watchdog_;
};

}  // namespace stride
