// BridgeBackend: what stride-lsp completes with once it has reached the app's bridge. Forwards to
// a BridgeClient while that connection is healthy; when it broke (the app quit, crashed or stopped
// answering in time), the next request reconnects, and if the app does not come back it is served
// by a local engine instead (`fallback`, typically loaded in the background on first need).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "bridge/bridge_client.h"

namespace stride {

class BridgeBackend : public lsp::CompletionBackend {
 public:
  // The local engine: null while it is not (yet) available, e.g. still loading.
  using Fallback = std::function<std::shared_ptr<lsp::CompletionBackend>()>;

  BridgeBackend(std::shared_ptr<BridgeClient> client, std::string socket_path, BridgeTimeouts timeouts,
                Fallback fallback, int retry_after_ms = 5000);

  std::shared_ptr<CompletionRequestHandle> submit(CompletionInput input, OnDone on_done) override;
  std::string describe() const override;

 private:
  // The backend for the next request (reconnecting when due); null when there is none.
  std::shared_ptr<lsp::CompletionBackend> pick(std::string& why_none);

  std::string path_;
  BridgeTimeouts timeouts_;
  Fallback fallback_;
  std::chrono::milliseconds retry_after_;
  mutable std::mutex mutex_;
  std::shared_ptr<BridgeClient> client_;
  // After a failed reconnect, wait this long before the next try: a hung app would otherwise
  // cost every request a full greeting timeout.
  std::chrono::steady_clock::time_point next_retry_{};
};

}  // namespace stride
