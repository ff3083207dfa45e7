// A HistoryStore that writes on its own thread. SQLite commits (WAL, synchronous=FULL) fsync,
// which on a busy disk takes tens of ms: far too long for the UI thread, which records a row
// whenever a suggestion is typed over. add() returns at once with a local id; set_outcome() with
// that id is applied after the insert (one writer thread keeps the order). Reads (rows(),
// schema_version()) and clear() first wait for the queued writes, so they see them.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "completion/completion_service.h"

namespace stride::ui {

class QueuedHistoryStore : public stride::HistoryStore {
 public:
  // `store` is owned. `on_error` (optional) is called on the writer thread when a write fails.
  explicit QueuedHistoryStore(std::unique_ptr<stride::HistoryStore> store,
                              std::function<void(const std::string&)> on_error = {});
  ~QueuedHistoryStore() override;  // finishes the queued writes

  int64_t add(const stride::HistoryRow& row) override;
  void set_outcome(int64_t id, const std::string& outcome) override;
  std::vector<stride::HistoryRow> rows(int64_t since_ms = 0) const override;
  void clear() override;
  int schema_version() const override;
  void flush() const;  // waits until every queued write is done

 private:
  void post(std::function<void()> job);
  void run();

  std::unique_ptr<stride::HistoryStore> store_;
  std::function<void(const std::string&)> on_error_;
  mutable std::mutex mu_;
  mutable std::condition_variable wake_, idle_;
  std::deque<std::function<void()>> queue_;
  bool busy_ = false, stopping_ = false;
  int64_t next_local_id_ = 0;
  std::map<int64_t, int64_t> store_ids_;  // local id -> the store's row id (writer thread only)
  std::thread worker_;
};

}  // namespace stride::ui
