#include "bridge/bridge_backend.h"

namespace stride {

BridgeBackend::BridgeBackend(std::shared_ptr<BridgeClient> client, std::string socket_path, BridgeTimeouts timeouts,
                             Fallback fallback, int retry_after_ms)
    : path_(std::move(socket_path)),
      timeouts_(timeouts),
      fallback_(std::move(fallback)),
      retry_after_(retry_after_ms),
      client_(std::move(client)) {}

std::shared_ptr<lsp::CompletionBackend> BridgeBackend::pick(std::string& why_none) {
  std::lock_guard lock(mutex_);
  if (client_ && client_->connected()) return client_;
  client_.reset();
  const auto now = std::chrono::steady_clock::now();
  if (now >= next_retry_) {
    // Blocks this session's reader for at most the greeting timeout (the app is gone or hung).
    client_ = BridgeClient::connect(path_, timeouts_);
    if (client_) return client_;
    next_retry_ = now + retry_after_;
  }
  if (auto local = fallback_ ? fallback_() : nullptr) return local;
  why_none = "the Stride app is not answering on " + path_ + " and the local engine is not ready yet";
  return nullptr;
}

std::shared_ptr<CompletionRequestHandle> BridgeBackend::submit(CompletionInput input, OnDone on_done) {
  std::string why;
  auto backend = pick(why);
  if (!backend) {
    CompletionOutput out;
    out.error = why;
    on_done(out);
    return nullptr;
  }
  return backend->submit(std::move(input), std::move(on_done));
}

std::string BridgeBackend::describe() const {
  std::lock_guard lock(mutex_);
  return client_ ? client_->describe() : "the Stride app (bridge " + path_ + ", reconnecting)";
}

}  // namespace stride
