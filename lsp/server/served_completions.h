// The history rows of the completions one LSP session served, and their outcomes. LSP has no
// "the user took it" notification, so every served item carries the command `stride.accepted`
// with its row id: the client runs it (workspace/executeCommand) after the user accepted the item,
// and the row becomes accepted_all. An item that is never accepted is dismissed when the next
// request for its document arrives, when the document is closed, or when the session ends.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "completion/completion_service.h"
#include "protocol/protocol.h"

namespace stride::lsp {

inline constexpr const char* kAcceptedCommand = "stride.accepted";

// The command attached to the item recorded as history row `id`.
Command accepted_command(int64_t id);
// The row id from stride.accepted's arguments ([id], a positive integer); throws
// InvalidParamsError naming params.arguments otherwise.
int64_t parse_accepted_arguments(const json& arguments);

class ServedCompletions {
 public:
  // `history` may be null (no history: nothing is recorded and no item gets a command);
  // `history_mutex` (may be null) guards it when sessions share one store.
  ServedCompletions(HistoryStore* history, std::mutex* history_mutex);

  bool enabled() const { return history_ != nullptr; }

  // Records a served completion of `uri` with outcome pending and returns its row id. The
  // document's earlier unaccepted item (a race with a newer request) is dismissed. Throws what
  // the store throws.
  int64_t record(const std::string& uri, HistoryRow row);

  // A newer request for `uri`, or `uri` closed: its served, unaccepted item is dismissed.
  void dismiss(const std::string& uri);
  // The session ends: every unaccepted item is dismissed (and any recorded later, too).
  void dismiss_all();

  // stride.accepted: row `id` becomes accepted_all, even when a later request already marked it
  // dismissed (the command may arrive after the editor's next request). Throws InvalidParamsError
  // when this session did not serve `id` recently; accepting twice is harmless.
  void accept(int64_t id);

 private:
  void set_outcome_locked(int64_t id, const char* outcome);

  HistoryStore* history_;
  std::mutex* history_mutex_;
  std::mutex mutex_;
  std::map<std::string, int64_t> unresolved_by_uri_;  // uri → its last served, unaccepted row
  std::deque<int64_t> served_;                        // recent row ids of this session, oldest first
  bool ended_ = false;                                // dismiss_all() was called
};

}  // namespace stride::lsp
