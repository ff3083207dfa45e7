#include "server/connection_threads.h"

namespace stride::lsp {

void ConnectionThreads::start(std::function<void()> serve) {
  std::lock_guard lock(mutex_);
  entries_.emplace_back();
  auto it = std::prev(entries_.end());
  ++started_;
  // std::list iterators stay valid until the element is erased, which only reap()/join_all() do,
  // and they join (wait for) the thread first; so the thread may mark its own entry.
  it->thread = std::thread([this, it, serve = std::move(serve)] {
    serve();
    std::lock_guard l(mutex_);
    it->finished = true;
  });
}

size_t ConnectionThreads::reap() {
  std::list<Entry> done;
  {
    std::lock_guard lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      auto next = std::next(it);
      if (it->finished) done.splice(done.end(), entries_, it);
      it = next;
    }
  }
  // Finished threads only have the unlock and return left: joining them does not wait long.
  for (auto& e : done) e.thread.join();
  return done.size();
}

void ConnectionThreads::join_all() {
  std::list<Entry> all;
  {
    std::lock_guard lock(mutex_);
    all.swap(entries_);
  }
  for (auto& e : all)
    if (e.thread.joinable()) e.thread.join();
}

size_t ConnectionThreads::tracked() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

size_t ConnectionThreads::running() const {
  std::lock_guard lock(mutex_);
  size_t n = 0;
  for (const auto& e : entries_) n += e.finished ? 0 : 1;
  return n;
}

size_t ConnectionThreads::started() const {
  std::lock_guard lock(mutex_);
  return started_;
}

}  // namespace stride::lsp
