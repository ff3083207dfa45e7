// A CompletionService whose answers the test scripts: it records each submitted request and
// lets the test stream partial text and finish it from a worker thread, as the real service
// does. engine() is not used by the app's controller and reports so loudly.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "completion/completion_service.h"

namespace stride::test {

class FakeCompletionService : public CompletionService {
 public:
  struct Call {
    CompletionInput input;
    OnPartial on_partial;
    OnDone on_done;
    std::shared_ptr<std::atomic<bool>> cancelled = std::make_shared<std::atomic<bool>>(false);
    uint64_t id = 0;
  };

  class Handle : public CompletionRequestHandle {
   public:
    Handle(std::shared_ptr<std::atomic<bool>> flag, uint64_t id) : flag_(std::move(flag)), id_(id) {}
    void cancel() override { flag_->store(true); }
    uint64_t id() const override { return id_; }

   private:
    std::shared_ptr<std::atomic<bool>> flag_;
    uint64_t id_;
  };

  std::shared_ptr<CompletionRequestHandle> submit(CompletionInput input, OnPartial on_partial,
                                                   OnDone on_done) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto call = std::make_shared<Call>();
    call->input = std::move(input);
    call->on_partial = std::move(on_partial);
    call->on_done = std::move(on_done);
    call->id = calls_.size() + 1;
    calls_.push_back(call);
    return std::make_shared<Handle>(call->cancelled, call->id);
  }
  Engine& engine() override { throw std::logic_error("FakeCompletionService has no engine"); }
  void shutdown() override {}

  size_t count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_.size();
  }
  std::shared_ptr<Call> last() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_.empty() ? nullptr : calls_.back();
  }

  // Streams `text` as the worker thread would (callbacks on another thread).
  static void stream(const std::shared_ptr<Call>& call, const std::string& text, bool finish,
                     double ttft_ms = 5.0) {
    std::thread([call, text, finish, ttft_ms] {
      call->on_partial(call->id, text);
      if (finish) {
        CompletionOutput out;
        out.text = text;
        out.cancelled = call->cancelled->load();
        out.result.ttft_ms = ttft_ms;
        out.result.total_ms = ttft_ms * 4;
        out.result.generated_tokens = int(text.size() / 3) + 1;
        out.result.stats.steps = 2;
        out.result.strategy = StrategyKind::Lookahead;
        out.result.finish_reason = "stop";
        call->on_done(call->id, out);
      }
    }).join();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Call>> calls_;
};

}  // namespace stride::test
