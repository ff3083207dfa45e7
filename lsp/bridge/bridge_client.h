// BridgeClient: stride-lsp's side of the bridge. A CompletionBackend that forwards every request
// to the desktop app's BridgeServer over the per-user Unix socket (protocol: bridge_protocol.h).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "server/completion_backend.h"
#include "transport/byte_stream.h"

namespace stride {

class BridgeClient : public lsp::CompletionBackend, public std::enable_shared_from_this<BridgeClient> {
 public:
  // nullptr when nothing answers at `socket_path` (the app is not running) or it does not greet
  // with the bridge protocol within `timeout_ms`.
  static std::shared_ptr<BridgeClient> connect(const std::string& socket_path, int timeout_ms = 2000);
  ~BridgeClient() override;

  std::shared_ptr<CompletionRequestHandle> submit(CompletionInput input, OnDone on_done) override;
  std::string describe() const override;
  bool connected() const;

 private:
  class Handle;
  BridgeClient(std::unique_ptr<lsp::ByteStream> stream, std::string path);
  void read_loop();
  void send_cancel(int64_t id);
  void fail_all(const std::string& why);

  std::unique_ptr<lsp::ByteStream> stream_;
  std::string path_;
  mutable std::mutex mutex_;
  std::map<int64_t, OnDone> pending_;
  int64_t next_id_ = 1;
  bool connected_ = true;
  std::thread reader_;
};

}  // namespace stride
