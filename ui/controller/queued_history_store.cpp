#include "controller/queued_history_store.h"

#include <exception>

namespace stride::ui {

QueuedHistoryStore::QueuedHistoryStore(std::unique_ptr<stride::HistoryStore> store,
                                       std::function<void(const std::string&)> on_error)
    : store_(std::move(store)), on_error_(std::move(on_error)), worker_([this] { run(); }) {}

QueuedHistoryStore::~QueuedHistoryStore() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();  // run() drains the queue before it returns
}

void QueuedHistoryStore::post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void QueuedHistoryStore::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is written
    auto job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    try {
      job();
    } catch (const std::exception& e) {
      if (on_error_) on_error_(e.what());
    }
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

void QueuedHistoryStore::flush() const {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

int64_t QueuedHistoryStore::add(const stride::HistoryRow& row) {
  int64_t local = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    local = ++next_local_id_;
  }
  post([this, local, row] { store_ids_[local] = store_->add(row); });
  return local;
}

void QueuedHistoryStore::set_outcome(int64_t id, const std::string& outcome) {
  post([this, id, outcome] {
    const auto it = store_ids_.find(id);
    if (it != store_ids_.end()) store_->set_outcome(it->second, outcome);  // else its add failed
  });
}

std::vector<stride::HistoryRow> QueuedHistoryStore::rows(int64_t since_ms) const {
  flush();
  return store_->rows(since_ms);
}

void QueuedHistoryStore::clear() {
  flush();
  store_->clear();
}

int QueuedHistoryStore::schema_version() const { return store_->schema_version(); }

}  // namespace stride::ui
