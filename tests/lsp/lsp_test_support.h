// Fakes for driving the real LSP server in tests: a CompletionService whose answers and timing
// the test controls, an in-memory HistoryStore, an in-memory byte stream and a client that
// speaks JSON-RPC to the server through it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "completion/completion_service.h"
#include "protocol/json_rpc.h"
#include "server/backend_loader.h"
#include "server/session_runner.h"
#include "transport/byte_stream.h"
#include "transport/frame_reader.h"

namespace stride::lsp::testing {

// A CompletionService on its own worker thread. By default it answers "<COMPLETION>"; `answer`
// computes the text from the input. While `hold` is true requests wait (to test cancellation).
class FakeCompletionService : public CompletionService {
 public:
  FakeCompletionService() : state_(std::make_shared<State>()) {
    // The worker owns the state, so the service may be released from any thread, even its own
    // worker (when a callback drops the last session that referenced it).
    worker_ = std::thread([st = state_] { loop(*st); });
  }
  ~FakeCompletionService() override { shutdown(); }

  void set_answer(std::function<std::string(const CompletionInput&)> f) {
    std::lock_guard lock(state_->mutex);
    state_->answer = std::move(f);
  }
  void set_hold(bool h) {
    std::lock_guard lock(state_->mutex);
    state_->hold = h;
    state_->cv.notify_all();
  }
  std::vector<CompletionInput> inputs() {
    std::lock_guard lock(state_->mutex);
    return state_->inputs;
  }
  int submitted() {
    std::lock_guard lock(state_->mutex);
    return static_cast<int>(state_->inputs.size());
  }

  std::shared_ptr<CompletionRequestHandle> submit(CompletionInput input, OnPartial, OnDone on_done) override {
    auto h = std::make_shared<Handle>();
    h->state = state_;
    std::lock_guard lock(state_->mutex);
    h->id_ = ++state_->next_id;
    // Same contract as the real service: a newer request for a document cancels the older one.
    for (auto& j : state_->queue)
      if (j.input.document_id == input.document_id) j.handle->cancelled = true;
    state_->inputs.push_back(input);
    state_->queue.push_back(Job{std::move(input), std::move(on_done), h});
    state_->cv.notify_all();
    return h;
  }
  Engine& engine() override { throw Error("fake service has no engine"); }
  void shutdown() override {
    {
      std::lock_guard lock(state_->mutex);
      if (state_->stopping) return;
      state_->stopping = true;
      state_->hold = false;
      state_->cv.notify_all();
    }
    if (worker_.get_id() == std::this_thread::get_id()) {
      worker_.detach();
    } else {
      worker_.join();
    }
  }

 private:
  struct State;
  struct Handle : CompletionRequestHandle {
    std::atomic<bool> cancelled{false};
    uint64_t id_ = 0;
    std::weak_ptr<State> state;
    void cancel() override;
    uint64_t id() const override { return id_; }
  };
  struct Job {
    CompletionInput input;
    OnDone on_done;
    std::shared_ptr<Handle> handle;
  };
  struct State {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<Job> queue;
    std::vector<CompletionInput> inputs;
    bool hold = false, stopping = false;
    uint64_t next_id = 0;
    std::function<std::string(const CompletionInput&)> answer = [](const CompletionInput&) { return std::string("<COMPLETION>"); };
  };
  static void loop(State& st) {
    for (;;) {
      Job job;
      std::function<std::string(const CompletionInput&)> answer;
      bool stopping = false;
      {
        std::unique_lock lock(st.mutex);
        st.cv.wait(lock, [&] {
          return st.stopping || (!st.queue.empty() && (!st.hold || st.queue.front().handle->cancelled));
        });
        if (st.queue.empty()) return;  // stopping
        job = std::move(st.queue.front());
        st.queue.pop_front();
        answer = st.answer;
        stopping = st.stopping;
      }
      CompletionOutput out;
      if (job.handle->cancelled || stopping) {
        out.cancelled = true;
      } else {
        out.text = answer(job.input);
        out.result.prompt_tokens = 10;
        out.result.generated_tokens = 3;
        out.result.stats.steps = 2;
        out.result.strategy = StrategyKind::Lookahead;
      }
      job.on_done(job.handle->id_, out);
    }
  }
  std::shared_ptr<State> state_;
  std::thread worker_;
};

inline void FakeCompletionService::Handle::cancel() {
  cancelled = true;
  if (auto st = state.lock()) {
    std::lock_guard lock(st->mutex);
    st->cv.notify_all();
  }
}

class MemoryHistory : public HistoryStore {
 public:
  int64_t add(const HistoryRow& row) override {
    std::lock_guard lock(m_);
    rows_.push_back(row);
    rows_.back().id = static_cast<int64_t>(rows_.size());
    return rows_.back().id;
  }
  void set_outcome(int64_t id, const std::string& outcome) override {
    std::lock_guard lock(m_);
    rows_.at(id - 1).outcome = outcome;
  }
  std::vector<HistoryRow> rows(int64_t) const override {
    std::lock_guard lock(m_);
    return rows_;
  }
  void clear() override { rows_.clear(); }
  int schema_version() const override { return 1; }

 private:
  mutable std::mutex m_;
  std::vector<HistoryRow> rows_;
};

// Bytes pushed by the test come out of read_some; what the server writes is collected.
class MemoryStream : public ByteStream {
 public:
  void push(const std::string& bytes) {
    std::lock_guard lock(m_);
    in_ += bytes;
    cv_.notify_all();
  }
  void end_input() {
    std::lock_guard lock(m_);
    eof_ = true;
    cv_.notify_all();
  }
  size_t read_some(char* buf, size_t size) override {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return !in_.empty() || eof_; });
    if (in_.empty()) return 0;
    size_t n = std::min(size, in_.size());
    in_.copy(buf, n);
    in_.erase(0, n);
    return n;
  }
  bool write_all(std::string_view data) override {
    std::lock_guard lock(m_);
    out_.feed(data);
    Frame f;
    while (out_.next(f)) out_frames_.push_back(f.body);
    out_cv_.notify_all();
    return true;
  }
  void close() override { end_input(); }

  // Waits for the next message from the server that satisfies `pred` and removes it.
  std::optional<json> wait_for(const std::function<bool(const json&)>& pred,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(m_);
    std::optional<json> found;
    out_cv_.wait_for(lock, timeout, [&] {
      for (auto it = out_frames_.begin(); it != out_frames_.end(); ++it) {
        json j = json::parse(*it);
        if (pred(j)) {
          found = j;
          out_frames_.erase(it);
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::vector<json> all_output() {
    std::lock_guard lock(m_);
    std::vector<json> v;
    for (auto& f : out_frames_) v.push_back(json::parse(f));
    return v;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_, out_cv_;
  std::string in_;
  bool eof_ = false;
  FrameReader out_;
  std::deque<std::string> out_frames_;
};

// A session on a thread, fed through a MemoryStream: the "fake transport" of every feature test.
class FakeClient {
 public:
  explicit FakeClient(std::shared_ptr<BackendLoader> loader, ServerOptions options = {}) {
    thread_ = std::thread([this, loader, options] { exit_code_ = run_session(stream_, loader, options); });
  }
  ~FakeClient() {
    stream_.end_input();
    thread_.join();
  }
  MemoryStream& stream() { return stream_; }

  void send_raw(const std::string& bytes) { stream_.push(bytes); }
  void send(const json& message) { stream_.push(encode_frame(message.dump())); }
  json request(const std::string& method, const json& params) {
    json id = next_id_++;
    send({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
    return id;
  }
  void notify(const std::string& method, const json& params) {
    send({{"jsonrpc", "2.0"}, {"method", method}, {"params", params}});
  }
  std::optional<json> response(const json& id, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return stream_.wait_for([&](const json& j) { return j.contains("id") && j["id"] == id && !j.contains("method"); }, timeout);
  }
  std::optional<json> notification(const std::string& method, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return stream_.wait_for([&](const json& j) { return j.value("method", "") == method && !j.contains("id"); }, timeout);
  }
  json call(const std::string& method, const json& params) {
    json id = request(method, params);
    auto r = response(id);
    return r ? *r : json{{"timeout", true}};
  }
  json initialize(const json& capabilities = json::object()) {
    json r = call("initialize", {{"processId", nullptr}, {"rootUri", nullptr}, {"capabilities", capabilities}});
    notify("initialized", json::object());
    return r;
  }
  void open(const std::string& uri, const std::string& text, const std::string& language = "python") {
    notify("textDocument/didOpen", {{"textDocument", {{"uri", uri}, {"languageId", language}, {"version", 1}, {"text", text}}}});
  }
  static json position_params(const std::string& uri, int line, int character) {
    return {{"textDocument", {{"uri", uri}}}, {"position", {{"line", line}, {"character", character}}}};
  }
  int wait_exit() {
    thread_.join();
    thread_ = std::thread([] {});
    return exit_code_;
  }

 private:
  MemoryStream stream_;
  std::thread thread_;
  int exit_code_ = -1;
  int next_id_ = 1;
};

// A ready loader around a fake service.
inline std::shared_ptr<BackendLoader> ready_loader(std::shared_ptr<FakeCompletionService> service) {
  return BackendLoader::ready(std::make_shared<ServiceBackend>(service, "fake"));
}

}  // namespace stride::lsp::testing
