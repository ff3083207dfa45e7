// The threads serving a listener's connections, one per connection. A thread that has finished
// its session is joined at the next reap() (the accept loop calls it for every new connection),
// so a long-running server holds only the threads of connections that are still open, plus at
// most the ones that ended since the last accept.
#pragma once

#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

namespace stride::lsp {

class ConnectionThreads {
 public:
  ConnectionThreads() = default;
  ConnectionThreads(const ConnectionThreads&) = delete;
  ConnectionThreads& operator=(const ConnectionThreads&) = delete;
  ~ConnectionThreads() { join_all(); }

  // Starts `serve` on its own thread; the thread marks itself finished when `serve` returns.
  void start(std::function<void()> serve);
  // Joins the threads whose sessions have ended; returns how many it joined.
  size_t reap();
  // Waits for every thread (shutdown).
  void join_all();

  size_t tracked() const;  // threads not yet joined (running or finished)
  size_t running() const;  // sessions still being served
  size_t started() const;  // all ever started

 private:
  struct Entry {
    std::thread thread;
    bool finished = false;
  };
  mutable std::mutex mutex_;
  std::list<Entry> entries_;
  size_t started_ = 0;
};

}  // namespace stride::lsp
