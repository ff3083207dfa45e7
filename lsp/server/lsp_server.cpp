#include "server/lsp_server.h"

#include <chrono>
#include <iostream>

#include "server/completion_items.h"
#include "server/initialization_options.h"

namespace stride::lsp {

namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

constexpr const char* kProgressToken = "stride/model-load";

}  // namespace

std::shared_ptr<LspServer> LspServer::create(std::shared_ptr<BackendLoader> backend, Send send,
                                             ServerOptions options) {
  std::shared_ptr<LspServer> s(new LspServer(std::move(backend), std::move(send), std::move(options)));
  s->subscribe();
  return s;
}

LspServer::LspServer(std::shared_ptr<BackendLoader> backend, Send send, ServerOptions options)
    : loader_(std::move(backend)),
      send_(std::move(send)),
      options_(std::move(options)),
      served_(options_.history, options_.history_mutex) {}

LspServer::~LspServer() {
  if (listener_token_) loader_->unsubscribe(listener_token_);
}

void LspServer::subscribe() {
  // Callbacks come from the loader's thread and may outlive this session: hold it weakly.
  std::weak_ptr<LspServer> weak = weak_from_this();
  BackendLoader::Listener l;
  l.on_progress = [weak](float f, const std::string& m) {
    if (auto s = weak.lock()) s->on_backend_progress(f, m);
  };
  l.on_ready = [weak] {
    if (auto s = weak.lock()) s->on_backend_ready();
  };
  l.on_failed = [weak](const std::string& e) {
    if (auto s = weak.lock()) s->on_backend_failed(e);
  };
  listener_token_ = loader_->subscribe(std::move(l));
}

// ---- JSON-RPC dispatch --------------------------------------------------------------------------

void LspServer::handle_message(const std::string& body) {
  IncomingMessage m = parse_message(body);
  switch (m.kind) {
    case IncomingMessage::Kind::Invalid:
      // §5: ParseError / InvalidRequest answer with the id when it could be read, else null.
      send_error(m.id, m.invalid_code, m.invalid_reason);
      return;
    case IncomingMessage::Kind::Request: on_request(m); return;
    case IncomingMessage::Kind::Notification: on_notification(m); return;
    case IncomingMessage::Kind::Response: on_response(m); return;
  }
}

void LspServer::handle_framing_error(const std::string& error) {
  log(MessageType::Error, "stride-lsp: dropped a malformed frame: " + error);
}

void LspServer::on_request(const IncomingMessage& m) {
  {
    std::lock_guard lock(mutex_);
    if (shutdown_) {
      // LSP §shutdown: requests after shutdown are InvalidRequest.
      send_error(m.id, ErrorCode::InvalidRequest, "server is shutting down");
      return;
    }
    if (!initialized_ && m.method != "initialize") {
      send_error(m.id, ErrorCode::ServerNotInitialized, "initialize must come first");
      return;
    }
  }
  const json params = m.params.is_null() ? json::object() : m.params;
  try {
    if (m.method == "initialize") {
      send_result(m.id, initialize(params));
    } else if (m.method == "shutdown") {
      {
        std::lock_guard lock(mutex_);
        shutdown_ = true;
      }
      send_result(m.id, nullptr);
    } else if (m.method == "textDocument/inlineCompletion") {
      request_completion(m.id, params, CompletionKind::Inline);
    } else if (m.method == "textDocument/completion") {
      request_completion(m.id, params, CompletionKind::Plain);
    } else if (m.method == "workspace/executeCommand") {
      execute_command(params);
      send_result(m.id, nullptr);
    } else {
      send_error(m.id, ErrorCode::MethodNotFound, "unknown method " + m.method);
    }
  } catch (const InvalidParamsError& e) {
    send_error(m.id, ErrorCode::InvalidParams, m.method + ": " + e.message);
  } catch (const std::exception& e) {
    send_error(m.id, ErrorCode::InternalError, m.method + ": " + e.what());
  }
}

void LspServer::on_notification(const IncomingMessage& m) {
  const json params = m.params.is_null() ? json::object() : m.params;
  try {
    if (m.method == "exit") {
      std::lock_guard lock(mutex_);
      exit_ = true;
    } else if (m.method == "initialized") {
      bool create = false;
      {
        std::lock_guard lock(mutex_);
        create = client_progress_ && loader_->state() == BackendLoader::State::Loading &&
                 progress_request_id_.empty();
        if (create) progress_request_id_ = "stride/create-progress";
      }
      // §window/workDoneProgress/create: the token may be used once the client has answered.
      if (create) send_(make_request(progress_request_id_, "window/workDoneProgress/create", {{"token", kProgressToken}}));
    } else if (m.method == "textDocument/didOpen") {
      did_open(params);
    } else if (m.method == "textDocument/didChange") {
      did_change(params);
    } else if (m.method == "textDocument/didClose") {
      did_close(params);
    } else if (m.method == "$/cancelRequest") {
      cancel_request(params);
    }
    // Other notifications (including $/setTrace, workspace/didChangeConfiguration) are dropped.
  } catch (const InvalidParamsError& e) {
    // Notifications have no reply: say it in the client's log instead.
    log(MessageType::Error, "stride-lsp: ignored " + m.method + ": " + e.message);
  } catch (const std::exception& e) {
    log(MessageType::Error, "stride-lsp: " + m.method + " failed: " + e.what());
  }
}

void LspServer::on_response(const IncomingMessage& m) {
  std::unique_lock lock(mutex_);
  if (!m.id.is_string() || m.id.get<std::string>() != progress_request_id_ || progress_request_id_.empty()) return;
  if (!m.error.is_null() || loader_->state() != BackendLoader::State::Loading) return;
  progress_active_ = true;
  lock.unlock();
  send_notification("$/progress", progress_begin(kProgressToken, "Stride: loading model", 0));
}

// ---- lifecycle and documents --------------------------------------------------------------------

json LspServer::initialize(const json& params) {
  InitializeParams p = parse_initialize_params(params);
  std::lock_guard lock(mutex_);
  if (initialized_) throw InvalidParamsError{"initialize was already called"};
  // Per-client settings; an invalid one refuses initialize (-32602) and the client may retry.
  if (auto it = params.find("initializationOptions"); it != params.end()) {
    apply_initialization_options(*it, options_.settings);
  }
  // LSP 3.17 §positionEncodings: the client lists encodings by preference; utf-16 is mandatory
  // and the default when it lists none.
  encoding_ = p.position_encodings.empty() ? PositionEncoding::Utf16 : p.position_encodings.front();
  client_progress_ = p.work_done_progress;
  initialized_ = true;
  return initialize_result(encoding_, options_.version, {kAcceptedCommand});
}

void LspServer::did_open(const json& params) {
  DidOpenParams p = parse_did_open(params);
  std::lock_guard lock(mutex_);
  const std::string uri = p.text_document.uri;
  documents_[uri] = TextDocument(uri, p.text_document.language_id, p.text_document.version,
                                 std::move(p.text_document.text));
  std::erase(recent_uris_, uri);
  recent_uris_.push_back(uri);
}

void LspServer::did_change(const json& params) {
  DidChangeParams p = parse_did_change(params);
  std::lock_guard lock(mutex_);
  auto it = documents_.find(p.uri);
  if (it == documents_.end()) throw InvalidParamsError{"document was never opened: " + p.uri};
  // Changes apply in order, each to the result of the previous one (§didChange).
  for (const auto& c : p.content_changes) it->second.apply_change(c, encoding_);
  it->second.set_version(p.version);
  std::erase(recent_uris_, p.uri);
  recent_uris_.push_back(p.uri);
}

void LspServer::did_close(const json& params) {
  DidCloseParams p = parse_did_close(params);
  {
    std::lock_guard lock(mutex_);
    if (documents_.erase(p.uri) == 0) throw InvalidParamsError{"document was never opened: " + p.uri};
    std::erase(recent_uris_, p.uri);
  }
  dismiss_served(p.uri);
}

// workspace/executeCommand. The only command is stride.accepted [history id], which the client
// runs after the user accepted an item we served.
void LspServer::execute_command(const json& params) {
  ExecuteCommandParams p = parse_execute_command(params);
  if (p.command != kAcceptedCommand) throw InvalidParamsError{"params.command: unknown command " + p.command};
  served_.accept(parse_accepted_arguments(p.arguments));
}

// ---- completions --------------------------------------------------------------------------------

void LspServer::request_completion(const json& id, const json& params, CompletionKind kind) {
  TextDocumentPositionParams p = parse_text_document_position(params);
  // The user typed on: the document's earlier item, shown and never accepted, was dismissed.
  // (Before this request is queued, so that its own answer cannot be the one dismissed.)
  dismiss_served(p.uri);
  const std::string key = id.dump();
  std::shared_ptr<CompletionRequestHandle> superseded;
  json superseded_held_id;
  bool submit_now = false;
  {
    std::lock_guard lock(mutex_);
    auto doc = documents_.find(p.uri);
    if (doc == documents_.end()) throw InvalidParamsError{"document was never opened: " + p.uri};
    if (pending_.count(key)) throw InvalidParamsError{"request id " + key + " is already in use"};
    // A newer request for the same document makes the older one pointless (the user typed on).
    if (auto old = latest_by_uri_.find(p.uri); old != latest_by_uri_.end()) {
      if (auto o = pending_.find(old->second); o != pending_.end() && !o->second.cancelled) {
        o->second.cancelled = true;
        if (o->second.submitted) {
          superseded = o->second.handle;
        } else {
          superseded_held_id = o->second.id;
          pending_.erase(o);
        }
      }
    }
    Pending pend;
    pend.id = id;
    pend.kind = kind;
    pend.uri = p.uri;
    pend.snapshot = doc->second;
    pend.cursor = doc->second.offset_of(p.position, encoding_);
    std::vector<const TextDocument*> others;
    for (auto r = recent_uris_.rbegin(); r != recent_uris_.rend() && int(others.size()) < options_.max_context_files; ++r) {
      if (*r != p.uri) others.push_back(&documents_.at(*r));
    }
    pend.input = make_completion_input(doc->second, pend.cursor, options_.client_id, others, options_.settings);
    pending_.emplace(key, std::move(pend));
    latest_by_uri_[p.uri] = key;
    const auto state = loader_->state();
    if (state == BackendLoader::State::Failed) {
      pending_.erase(key);
      latest_by_uri_.erase(p.uri);
      send_error(id, ErrorCode::RequestFailed, "model failed to load: " + loader_->error());
    } else if (state == BackendLoader::State::Ready) {
      pending_.at(key).submitted = true;
      submit_now = true;
    }
    // Loading: held in pending_ until on_backend_ready().
  }
  if (superseded) superseded->cancel();
  if (!superseded_held_id.is_null()) send_error(superseded_held_id, ErrorCode::RequestCancelled, "superseded by a newer request");
  if (submit_now) submit_locked(key);
}

// Hands a pending request to the backend. Called without mutex_ held: a backend may answer inline.
void LspServer::submit_locked(const std::string& key) {
  CompletionInput input;
  {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(key);
    if (it == pending_.end()) return;
    input = std::move(it->second.input);
  }
  auto backend = loader_->backend();
  if (!backend) {
    CompletionOutput out;
    out.error = "no completion backend";
    finish(key, out);
    return;
  }
  std::weak_ptr<LspServer> weak = weak_from_this();
  auto handle = backend->submit(std::move(input), [weak, key](const CompletionOutput& out) {
    if (auto s = weak.lock()) s->finish(key, out);
  });
  bool cancel_now = false;
  {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(key);
    if (it != pending_.end()) {
      it->second.handle = handle;
      cancel_now = it->second.cancelled;
    }
  }
  if (cancel_now && handle) handle->cancel();
}

void LspServer::finish(const std::string& key, const CompletionOutput& out) {
  Pending p;
  {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(key);
    if (it == pending_.end()) return;
    p = std::move(it->second);
    pending_.erase(it);
    if (auto l = latest_by_uri_.find(p.uri); l != latest_by_uri_.end() && l->second == key) latest_by_uri_.erase(l);
    if (closed_) return;
  }
  if (p.cancelled || out.cancelled) {
    send_error(p.id, ErrorCode::RequestCancelled, "request cancelled");
    return;
  }
  if (!out.error.empty()) {
    log(MessageType::Error, "stride-lsp: completion failed: " + out.error);
    send_error(p.id, ErrorCode::RequestFailed, out.error);
    return;
  }
  // Recorded before the reply so that the history is complete once the client has its answer;
  // the item's command carries the row id (no history, no command).
  std::optional<Command> accepted;
  if (!out.text.empty()) {
    if (auto row = record_history(p, out)) accepted = accepted_command(*row);
  }
  json result;
  if (p.kind == CompletionKind::Inline) {
    std::vector<InlineCompletionItem> items;
    if (!out.text.empty()) {
      items.push_back(make_inline_item(p.snapshot, p.cursor, out.text, encoding_));
      items.back().command = accepted;
    }
    result = inline_completion_list(items);
  } else {
    std::vector<CompletionItem> items;
    if (!out.text.empty()) {
      items.push_back(make_plain_item(p.snapshot, p.cursor, out.text, encoding_));
      items.back().command = accepted;
    }
    result = completion_list(items);
  }
  send_result(p.id, result);
}

std::optional<int64_t> LspServer::record_history(const Pending& p, const CompletionOutput& out) {
  if (!served_.enabled()) return std::nullopt;
  HistoryRow row;
  row.time_ms = now_ms();
  row.file_type = file_type_of(p.snapshot);
  row.prompt_tokens = out.result.prompt_tokens;
  row.ttft_ms = out.result.ttft_ms;
  row.total_ms = out.result.total_ms;
  row.tokens = out.result.generated_tokens;
  row.tokens_per_step = out.result.tokens_per_step();
  row.strategy = to_string(out.result.strategy);
  try {
    return served_.record(p.uri, row);  // source lsp, outcome pending until the client accepts
  } catch (const std::exception& e) {
    log(MessageType::Warning, std::string("stride-lsp: could not record history: ") + e.what());
    return std::nullopt;
  }
}

void LspServer::dismiss_served(const std::string& uri) {
  try {
    served_.dismiss(uri);
  } catch (const std::exception& e) {
    log(MessageType::Warning, std::string("stride-lsp: could not update history: ") + e.what());
  }
}

void LspServer::cancel_request(const json& params) {
  const std::string key = parse_cancel_id(params).dump();
  std::shared_ptr<CompletionRequestHandle> handle;
  json held_id;
  {
    std::lock_guard lock(mutex_);
    auto it = pending_.find(key);
    if (it == pending_.end()) return;  // already answered: §$/cancelRequest allows ignoring it
    it->second.cancelled = true;
    if (it->second.submitted) {
      handle = it->second.handle;  // the backend answers cancelled → RequestCancelled
    } else {
      held_id = it->second.id;
      if (auto l = latest_by_uri_.find(it->second.uri); l != latest_by_uri_.end() && l->second == key) latest_by_uri_.erase(l);
      pending_.erase(it);
    }
  }
  if (handle) handle->cancel();
  if (!held_id.is_null()) send_error(held_id, ErrorCode::RequestCancelled, "request cancelled");
}

// ---- the backend coming up ----------------------------------------------------------------------

void LspServer::on_backend_progress(float fraction, const std::string& message) {
  {
    std::lock_guard lock(mutex_);
    if (!progress_active_) return;
  }
  send_notification("$/progress", progress_report(kProgressToken, message, static_cast<int>(fraction * 100)));
}

void LspServer::on_backend_ready() {
  bool end_progress = false;
  std::vector<std::string> held;
  {
    std::lock_guard lock(mutex_);
    end_progress = progress_active_;
    progress_active_ = false;
    for (auto& [key, p] : pending_) {
      if (!p.submitted && !p.cancelled) {
        p.submitted = true;
        held.push_back(key);
      }
    }
  }
  if (end_progress) send_notification("$/progress", progress_end(kProgressToken, "model loaded"));
  for (const auto& key : held) submit_locked(key);
}

void LspServer::on_backend_failed(const std::string& error) {
  bool end_progress = false;
  std::vector<json> held;
  {
    std::lock_guard lock(mutex_);
    end_progress = progress_active_;
    progress_active_ = false;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (!it->second.submitted) {
        held.push_back(it->second.id);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    latest_by_uri_.clear();
  }
  if (end_progress) send_notification("$/progress", progress_end(kProgressToken, "model failed to load"));
  log(MessageType::Error, "stride-lsp: model failed to load: " + error);
  for (const auto& id : held) send_error(id, ErrorCode::RequestFailed, "model failed to load: " + error);
}

// ---- output -------------------------------------------------------------------------------------

void LspServer::send_result(const json& id, const json& result) { send_(make_result(id, result)); }
void LspServer::send_error(const json& id, ErrorCode code, const std::string& message) {
  send_(make_error(id, code, message));
}
void LspServer::send_notification(const std::string& method, const json& params) {
  send_(make_notification(method, params));
}
void LspServer::log(MessageType type, const std::string& message) {
  send_notification("window/logMessage", log_message(type, message));
}

void LspServer::close() {
  std::vector<std::shared_ptr<CompletionRequestHandle>> handles;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (auto& [k, p] : pending_) {
      p.cancelled = true;
      if (p.handle) handles.push_back(p.handle);
    }
  }
  for (auto& h : handles) h->cancel();
  // What the client showed and never accepted is dismissed once the editor is gone.
  try {
    served_.dismiss_all();
  } catch (const std::exception& e) {
    std::cerr << "stride-lsp: could not update history: " << e.what() << "\n";  // no client to tell
  }
}

bool LspServer::exit_requested() const {
  std::lock_guard lock(mutex_);
  return exit_;
}

int LspServer::exit_code() const {
  std::lock_guard lock(mutex_);
  return shutdown_ ? 0 : 1;
}

size_t LspServer::requests_in_flight() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

}  // namespace stride::lsp
