// Where stride-lsp gets completions from: the CompletionService of an engine loaded in this
// process, or the desktop app through the bridge (lsp/bridge/). Sessions only see this interface.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "completion/completion_service.h"

namespace stride::lsp {

class CompletionBackend {
 public:
  using OnDone = std::function<void(const CompletionOutput&)>;
  virtual ~CompletionBackend() = default;
  // Never blocks on the engine; on_done is called exactly once, on another thread (or inline
  // when the request fails immediately).
  virtual std::shared_ptr<CompletionRequestHandle> submit(CompletionInput input, OnDone on_done) = 0;
  virtual std::string describe() const = 0;  // for window/logMessage: "local engine (...)", "bridge"
};

// Serves from a CompletionService (the engine lives in this process).
class ServiceBackend : public CompletionBackend {
 public:
  ServiceBackend(std::shared_ptr<CompletionService> service, std::string description)
      : service_(std::move(service)), description_(std::move(description)) {}
  std::shared_ptr<CompletionRequestHandle> submit(CompletionInput input, OnDone on_done) override {
    return service_->submit(
        std::move(input), nullptr,
        [cb = std::move(on_done)](uint64_t, const CompletionOutput& out) { cb(out); });
  }
  std::string describe() const override { return description_; }

 private:
  std::shared_ptr<CompletionService> service_;
  std::string description_;
};

}  // namespace stride::lsp
