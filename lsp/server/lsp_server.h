// One LSP session (one editor connection): JSON-RPC dispatch, the lifecycle (initialize …
// shutdown, exit), the open documents and the completion requests in flight. The reader thread
// calls handle_message(); completions finish on the backend's thread and reply from there, so
// the reader never waits for the engine.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "completion/completion_service.h"
#include "protocol/protocol.h"
#include "server/backend_loader.h"
#include "server/served_completions.h"
#include "server/text_document.h"

namespace stride::lsp {

struct ServerOptions {
  std::string client_id = "lsp:1";      // fair queuing key in the CompletionService
  HistoryStore* history = nullptr;       // optional; every served completion is recorded, and
                                         // its item carries the stride.accepted command
  std::mutex* history_mutex = nullptr;   // guards `history` when sessions share it
  CompletionSettings settings;
  std::string version = "0.1.0";
  int max_context_files = 3;             // other open documents given as repo context
};

class LspServer : public std::enable_shared_from_this<LspServer> {
 public:
  // `send` writes one JSON-RPC body to the client (framing is the caller's); thread-safe.
  using Send = std::function<void(const std::string& body)>;
  static std::shared_ptr<LspServer> create(std::shared_ptr<BackendLoader> backend, Send send, ServerOptions options);
  ~LspServer();

  void handle_message(const std::string& body);
  void handle_framing_error(const std::string& error);
  // The connection is gone: cancel everything in flight, answer nothing more.
  void close();

  bool exit_requested() const;
  int exit_code() const;  // 0 when shutdown preceded exit (LSP §exit), else 1
  size_t requests_in_flight() const;

 private:
  enum class CompletionKind { Inline, Plain };
  struct Pending {
    json id;
    CompletionKind kind;
    std::string uri;
    size_t cursor = 0;
    TextDocument snapshot;  // the document as it was when asked (positions of the reply)
    CompletionInput input;  // kept until submitted (held while the model loads)
    std::shared_ptr<CompletionRequestHandle> handle;
    bool submitted = false;
    bool cancelled = false;
  };

  LspServer(std::shared_ptr<BackendLoader> backend, Send send, ServerOptions options);
  void subscribe();

  void on_request(const IncomingMessage& m);
  void on_notification(const IncomingMessage& m);
  void on_response(const IncomingMessage& m);

  json initialize(const json& params);
  void did_open(const json& params);
  void did_change(const json& params);
  void did_close(const json& params);
  void cancel_request(const json& params);
  void execute_command(const json& params);
  void request_completion(const json& id, const json& params, CompletionKind kind);

  void submit_locked(const std::string& key);
  void finish(const std::string& key, const CompletionOutput& out);
  void reply_held(bool failed, const std::string& error);

  void send_result(const json& id, const json& result);
  void send_error(const json& id, ErrorCode code, const std::string& message);
  void send_notification(const std::string& method, const json& params);
  void log(MessageType type, const std::string& message);

  void on_backend_progress(float fraction, const std::string& message);
  void on_backend_ready();
  void on_backend_failed(const std::string& error);
  // The history row id of a served completion; nullopt without history or when the write failed.
  std::optional<int64_t> record_history(const Pending& p, const CompletionOutput& out);
  void dismiss_served(const std::string& uri);

  std::shared_ptr<BackendLoader> loader_;
  Send send_;
  ServerOptions options_;
  int listener_token_ = 0;
  ServedCompletions served_;  // own lock; never called with mutex_ held (SQLite writes)

  mutable std::mutex mutex_;
  bool initialized_ = false, shutdown_ = false, exit_ = false, closed_ = false;
  PositionEncoding encoding_ = PositionEncoding::Utf16;
  bool client_progress_ = false;
  bool progress_active_ = false;
  std::string progress_request_id_;
  std::map<std::string, TextDocument> documents_;
  std::vector<std::string> recent_uris_;            // most recent last (context files)
  std::map<std::string, Pending> pending_;          // key: id.dump()
  std::map<std::string, std::string> latest_by_uri_;  // uri → key of its newest request
};

}  // namespace stride::lsp
