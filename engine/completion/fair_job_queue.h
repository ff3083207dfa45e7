// The waiting completion requests: one FIFO per client, served round-robin so a chatty client
// (an editor firing on every keystroke) cannot starve another sharing the same engine.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "completion/completion_service.h"

namespace stride {

struct CompletionJob {
  uint64_t id = 0;
  CompletionInput input;
  CompletionService::OnPartial on_partial;
  CompletionService::OnDone on_done;
  std::shared_ptr<CancelToken> cancel = std::make_shared<CancelToken>();
};

class FairJobQueue {
 public:
  void push(std::shared_ptr<CompletionJob> job);
  // The next job in round-robin order across clients; null when empty.
  std::shared_ptr<CompletionJob> pop();
  bool empty() const { return rotation_.empty(); }
  size_t size() const;
  void for_each(const std::function<void(CompletionJob&)>& fn);

 private:
  std::map<std::string, std::deque<std::shared_ptr<CompletionJob>>> by_client_;
  std::deque<std::string> rotation_;  // clients with waiting jobs, next to serve first
};

}  // namespace stride
