#include "runtime/cpu/thread_pool.h"

#include <algorithm>

namespace stride {

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < std::max(1, threads); ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    ++generation_;
    published_.store(generation_, std::memory_order_release);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

static void run_chunk(const std::function<void(int64_t, int64_t)>& fn, int64_t n, int chunks, int index) {
  if (index >= chunks) return;
  const int64_t begin = n * index / chunks, end = n * (index + 1) / chunks;
  if (begin < end) fn(begin, end);
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int chunks = static_cast<int>(std::min<int64_t>(n, size()));
  if (chunks == 1) {
    fn(0, n);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    job_n_ = n;
    job_chunks_ = chunks;
    pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    ++generation_;
    published_.store(generation_, std::memory_order_release);
  }
  wake_.notify_all();
  run_chunk(fn, n, chunks, 0);
  // Jobs are short (one matmul); spin, then yield, until the workers finish.
  for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins)
    if (spins > 256) std::this_thread::yield();
}

void ThreadPool::worker_loop(int index) {
  uint64_t seen = 0;
  for (;;) {
    // Decoding issues jobs back to back: a brief spin avoids a futex wake-up per matmul.
    for (int spins = 0; spins < 4000 && published_.load(std::memory_order_acquire) == seen; ++spins) {
    }
    const std::function<void(int64_t, int64_t)>* job;
    int64_t n;
    int chunks;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      if (stop_) return;
      job = job_;
      n = job_n_;
      chunks = job_chunks_;
    }
    run_chunk(*job, n, chunks, index);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace stride
