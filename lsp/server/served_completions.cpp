#include "server/served_completions.h"

#include <algorithm>

namespace stride::lsp {

namespace {

// How many served rows a session can still accept. An editor accepts what it shows now, so a
// small window suffices and a long session's bookkeeping stays bounded.
constexpr size_t kAcceptableRows = 1024;

}  // namespace

Command accepted_command(int64_t id) { return Command{"Stride: completion accepted", kAcceptedCommand, json::array({id})}; }

int64_t parse_accepted_arguments(const json& arguments) {
  if (!arguments.is_array() || arguments.size() != 1 || !arguments[0].is_number_integer()) {
    throw InvalidParamsError{std::string("params.arguments: ") + kAcceptedCommand +
                             " expects [completion id] (one integer), got " + arguments.dump()};
  }
  const json& v = arguments[0];
  // A huge unsigned value does not fit int64_t; ids start at 1.
  if (v.is_number_unsigned() ? v.get<uint64_t>() > uint64_t(INT64_MAX) : v.get<int64_t>() < 1) {
    throw InvalidParamsError{"params.arguments[0]: not a completion id: " + v.dump()};
  }
  return v.get<int64_t>();
}

ServedCompletions::ServedCompletions(HistoryStore* history, std::mutex* history_mutex)
    : history_(history), history_mutex_(history_mutex) {}

void ServedCompletions::set_outcome_locked(int64_t id, const char* outcome) {
  std::unique_lock<std::mutex> lock;
  if (history_mutex_) lock = std::unique_lock(*history_mutex_);
  history_->set_outcome(id, outcome);
}

int64_t ServedCompletions::record(const std::string& uri, HistoryRow row) {
  std::lock_guard lock(mutex_);
  if (!history_) throw Error("no history store");
  // The document's earlier item is still unaccepted (its newer request raced with its answer):
  // this one replaces it on screen.
  if (auto it = unresolved_by_uri_.find(uri); it != unresolved_by_uri_.end()) {
    const int64_t earlier = it->second;
    unresolved_by_uri_.erase(it);
    set_outcome_locked(earlier, "dismissed");
  }
  row.source = "lsp";
  // An answer that lost the race with the session's end was never seen.
  row.outcome = ended_ ? "dismissed" : "pending";
  int64_t id = 0;
  {
    std::unique_lock<std::mutex> hl;
    if (history_mutex_) hl = std::unique_lock(*history_mutex_);
    id = history_->add(row);
  }
  served_.push_back(id);
  if (served_.size() > kAcceptableRows) served_.pop_front();
  if (!ended_) unresolved_by_uri_[uri] = id;
  return id;
}

void ServedCompletions::dismiss(const std::string& uri) {
  std::lock_guard lock(mutex_);
  auto it = unresolved_by_uri_.find(uri);
  if (it == unresolved_by_uri_.end()) return;
  const int64_t id = it->second;
  unresolved_by_uri_.erase(it);
  set_outcome_locked(id, "dismissed");
}

void ServedCompletions::dismiss_all() {
  std::lock_guard lock(mutex_);
  ended_ = true;
  std::map<std::string, int64_t> rows;
  rows.swap(unresolved_by_uri_);
  // Try every row even when one write fails; report the first failure.
  std::string first_error;
  for (const auto& [uri, id] : rows) {
    try {
      set_outcome_locked(id, "dismissed");
    } catch (const std::exception& e) {
      if (first_error.empty()) first_error = e.what();
    }
  }
  if (!first_error.empty()) throw Error(first_error);
}

void ServedCompletions::accept(int64_t id) {
  std::lock_guard lock(mutex_);
  if (std::find(served_.begin(), served_.end(), id) == served_.end()) {
    throw InvalidParamsError{"params.arguments[0]: completion " + std::to_string(id) +
                             " was not served by this session"};
  }
  for (auto it = unresolved_by_uri_.begin(); it != unresolved_by_uri_.end(); ++it) {
    if (it->second == id) {
      unresolved_by_uri_.erase(it);
      break;
    }
  }
  set_outcome_locked(id, "accepted_all");
}

}  // namespace stride::lsp
