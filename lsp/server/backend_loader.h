// The backend while it comes up: model loading takes seconds, and the LSP server must answer
// initialize and accept documents meanwhile. Sessions subscribe for progress and for the moment
// the backend is ready (or failed); completion requests that arrive before are held, not blocked.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/completion_backend.h"

namespace stride::lsp {

class BackendLoader {
 public:
  struct Listener {
    std::function<void(float fraction, const std::string& message)> on_progress;
    std::function<void()> on_ready;
    std::function<void(const std::string& error)> on_failed;
  };
  enum class State { Loading, Ready, Failed };

  // Already ready (tests, bridge).
  static std::shared_ptr<BackendLoader> ready(std::shared_ptr<CompletionBackend> backend);
  BackendLoader() = default;

  void report_progress(float fraction, const std::string& message);
  void set_ready(std::shared_ptr<CompletionBackend> backend);
  void set_failed(const std::string& error);

  // Calls the listener with the current state at once (progress, ready or failed), then on changes.
  int subscribe(Listener listener);
  void unsubscribe(int token);

  State state() const;
  std::shared_ptr<CompletionBackend> backend() const;  // null unless Ready
  std::string error() const;

 private:
  mutable std::mutex mutex_;
  State state_ = State::Loading;
  float fraction_ = 0;
  std::string message_ = "loading model";
  std::string error_;
  std::shared_ptr<CompletionBackend> backend_;
  std::vector<std::pair<int, std::shared_ptr<Listener>>> listeners_;
  int next_token_ = 1;
};

}  // namespace stride::lsp
