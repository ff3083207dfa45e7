#include "bridge/bridge_client.h"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>

#include "bridge/bridge_protocol.h"
#include "transport/frame_reader.h"

namespace stride {

using bridge::json;

class BridgeClient::Link : public std::enable_shared_from_this<Link> {
 public:
  using OnDone = lsp::CompletionBackend::OnDone;
  Link(std::unique_ptr<lsp::ByteStream> stream, std::string path, BridgeTimeouts timeouts)
      : stream_(std::move(stream)), path_(std::move(path)), timeouts_(timeouts) {}

  const std::string& path() const { return path_; }
  bool connected() const;
  std::shared_ptr<CompletionRequestHandle> submit(CompletionInput input, OnDone on_done);
  void send_cancel(int64_t id);
  void stop();  // the client is going away: wake both threads
  void read_loop();
  void watchdog_loop();

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    OnDone on_done;
    Clock::time_point deadline;
  };
  void fail_all(const std::string& why);

  std::unique_ptr<lsp::ByteStream> stream_;
  std::string path_;
  BridgeTimeouts timeouts_;
  mutable std::mutex mutex_;
  std::condition_variable watchdog_cv_;  // woken by new requests and by shutdown
  std::map<int64_t, Pending> pending_;
  int64_t next_id_ = 1;
  bool connected_ = true;
  bool stopping_ = false;
  std::string broken_reason_;  // why the connection ended, once it has
};

class BridgeClient::Handle : public CompletionRequestHandle {
 public:
  Handle(std::weak_ptr<Link> link, int64_t id) : link_(std::move(link)), id_(id) {}
  void cancel() override {
    if (auto l = link_.lock()) l->send_cancel(id_);
  }
  uint64_t id() const override { return static_cast<uint64_t>(id_); }

 private:
  std::weak_ptr<Link> link_;
  int64_t id_;
};

namespace {

constexpr const char* kClosed = "the Stride app closed the bridge";

// Reads frames until the server's hello; false on timeout, EOF or anything else first.
bool read_hello(lsp::ByteStream& s, lsp::FrameReader& reader, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[4096];
  lsp::Frame f;
  while (!reader.next(f)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    // A process that accepts but never speaks (a hung app) must not stall stride-lsp's start.
    if (left.count() <= 0 || s.wait_readable(static_cast<int>(left.count())) <= 0) return false;
    size_t n = s.read_some(buf, sizeof buf);
    if (n == 0) return false;
    reader.feed(std::string_view(buf, n));
  }
  json j = json::parse(f.body, nullptr, false);
  return f.ok && j.is_object() && j.value("op", "") == "hello" && j.value("version", 0) == bridge::kBridgeProtocolVersion;
}

}  // namespace

std::shared_ptr<BridgeClient> BridgeClient::connect(const std::string& socket_path, BridgeTimeouts timeouts) {
  auto stream = lsp::connect_unix_socket(socket_path);
  if (!stream) return nullptr;
  // The hello is the first frame and arrives alone; a reader consuming it leaves nothing behind.
  lsp::FrameReader reader;
  if (!read_hello(*stream, reader, timeouts.greeting_ms)) return nullptr;
  auto link = std::make_shared<Link>(std::move(stream), socket_path, timeouts);
  return std::shared_ptr<BridgeClient>(new BridgeClient(std::move(link)));
}

BridgeClient::BridgeClient(std::shared_ptr<Link> link)
    : link_(std::move(link)),
      reader_([l = link_] { l->read_loop(); }),
      watchdog_([l = link_] { l->watchdog_loop(); }) {}

BridgeClient::~BridgeClient() {
  link_->stop();
  // The last reference may be dropped from a completion callback, i.e. on the reader thread,
  // which then finishes on its own (it holds the link).
  for (std::thread* t : {&reader_, &watchdog_}) {
    if (!t->joinable()) continue;
    if (t->get_id() == std::this_thread::get_id()) {
      t->detach();
    } else {
      t->join();
    }
  }
}

std::string BridgeClient::describe() const { return "the Stride app (bridge " + link_->path() + ")"; }

bool BridgeClient::connected() const { return link_->connected(); }

std::shared_ptr<CompletionRequestHandle> BridgeClient::submit(CompletionInput input, OnDone on_done) {
  return link_->submit(std::move(input), std::move(on_done));
}

void BridgeClient::Link::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  watchdog_cv_.notify_all();
  stream_->close();
}

bool BridgeClient::Link::connected() const {
  std::lock_guard lock(mutex_);
  return connected_;
}

std::shared_ptr<CompletionRequestHandle> BridgeClient::Link::submit(CompletionInput input, OnDone on_done) {
  int64_t id;
  {
    std::lock_guard lock(mutex_);
    if (!connected_) {
      CompletionOutput out;
      out.error = broken_reason_.empty() ? kClosed : broken_reason_;
      on_done(out);
      return nullptr;
    }
    id = next_id_++;
    pending_[id] = Pending{std::move(on_done), Clock::now() + std::chrono::milliseconds(timeouts_.reply_ms)};
  }
  watchdog_cv_.notify_all();
  json msg{{"op", "complete"}, {"id", id}, {"input", bridge::to_json(input)}};
  if (!stream_->write_all(lsp::encode_frame(msg.dump(-1, ' ', false, json::error_handler_t::replace)))) {
    fail_all(kClosed);
  }
  return std::make_shared<Handle>(weak_from_this(), id);
}

void BridgeClient::Link::send_cancel(int64_t id) {
  stream_->write_all(lsp::encode_frame(json{{"op", "cancel"}, {"id", id}}.dump()));
}

void BridgeClient::Link::fail_all(const std::string& why) {
  std::map<int64_t, Pending> left;
  std::string reason;
  {
    std::lock_guard lock(mutex_);
    connected_ = false;
    if (broken_reason_.empty()) broken_reason_ = why;  // the watchdog's timeout wins over "closed"
    reason = broken_reason_;
    left.swap(pending_);
  }
  watchdog_cv_.notify_all();
  for (auto& [id, p] : left) {
    CompletionOutput out;
    out.error = reason;
    p.on_done(out);
  }
}

// Sleeps until the earliest reply deadline; a late reply breaks the connection (closing the
// stream wakes the reader, which fails every pending request with the reason recorded here).
void BridgeClient::Link::watchdog_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_ && connected_) {
    if (pending_.empty()) {
      watchdog_cv_.wait(lock);
      continue;
    }
    auto earliest = Clock::time_point::max();
    for (const auto& [id, p] : pending_) earliest = std::min(earliest, p.deadline);
    if (Clock::now() < earliest) {
      watchdog_cv_.wait_until(lock, earliest);
      continue;
    }
    broken_reason_ = "the Stride app did not answer within " + std::to_string(timeouts_.reply_ms) + " ms";
    connected_ = false;
    lock.unlock();
    stream_->close();
    return;
  }
}

void BridgeClient::Link::read_loop() {
  lsp::FrameReader reader;
  char buf[64 * 1024];
  for (;;) {
    size_t n = stream_->read_some(buf, sizeof buf);
    if (n == 0) break;
    reader.feed(std::string_view(buf, n));
    lsp::Frame f;
    while (reader.next(f)) {
      if (!f.ok) continue;
      json j = json::parse(f.body, nullptr, false);
      if (!j.is_object() || j.value("op", "") != "done" || !j.contains("id") || !j["id"].is_number_integer()) continue;
      OnDone done;
      {
        std::lock_guard lock(mutex_);
        auto it = pending_.find(j["id"].get<int64_t>());
        if (it == pending_.end()) continue;
        done = std::move(it->second.on_done);
        pending_.erase(it);
      }
      done(bridge::output_from_json(j));
    }
  }
  fail_all(kClosed);
}

}  // namespace stride
