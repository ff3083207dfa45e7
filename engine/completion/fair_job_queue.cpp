#include "completion/fair_job_queue.h"

namespace stride {

void FairJobQueue::push(std::shared_ptr<CompletionJob> job) {
  auto& fifo = by_client_[job->input.client_id];
  if (fifo.empty()) rotation_.push_back(job->input.client_id);  // joins the round at its end
  fifo.push_back(std::move(job));
}

std::shared_ptr<CompletionJob> FairJobQueue::pop() {
  if (rotation_.empty()) return nullptr;
  std::string client = std::move(rotation_.front());
  rotation_.pop_front();
  auto it = by_client_.find(client);
  std::shared_ptr<CompletionJob> job = std::move(it->second.front());
  it->second.pop_front();
  if (it->second.empty()) {
    by_client_.erase(it);
  } else {
    rotation_.push_back(std::move(client));  // its next job waits for the other clients
  }
  return job;
}

size_t FairJobQueue::size() const {
  size_t n = 0;
  for (const auto& [client, fifo] : by_client_) n += fifo.size();
  return n;
}

void FairJobQueue::for_each(const std::function<void(CompletionJob&)>& fn) {
  for (auto& [client, fifo] : by_client_) {
    for (auto& job : fifo) fn(*job);
  }
}

}  // namespace stride
