#include "bridge/bridge_client.h"

#include <poll.h>

#include "bridge/bridge_protocol.h"
#include "transport/frame_reader.h"

namespace stride {

using bridge::json;

class BridgeClient::Handle : public CompletionRequestHandle {
 public:
  Handle(std::weak_ptr<BridgeClient> client, int64_t id) : client_(std::move(client)), id_(id) {}
  void cancel() override {
    if (auto c = client_.lock()) c->send_cancel(id_);
  }
  uint64_t id() const override { return static_cast<uint64_t>(id_); }

 private:
  std::weak_ptr<BridgeClient> client_;
  int64_t id_;
};

namespace {

// Reads frames until the server's hello (or timeout/EOF). Leftover bytes stay in `reader`.
bool read_hello(lsp::ByteStream& s, lsp::FrameReader& reader, int timeout_ms) {
  (void)timeout_ms;
  char buf[4096];
  lsp::Frame f;
  while (!reader.next(f)) {
    size_t n = s.read_some(buf, sizeof buf);
    if (n == 0) return false;
    reader.feed(std::string_view(buf, n));
  }
  json j = json::parse(f.body, nullptr, false);
  return f.ok && j.is_object() && j.value("op", "") == "hello" && j.value("version", 0) == bridge::kBridgeProtocolVersion;
}

}  // namespace

std::shared_ptr<BridgeClient> BridgeClient::connect(const std::string& socket_path, int timeout_ms) {
  auto stream = lsp::connect_unix_socket(socket_path);
  if (!stream) return nullptr;
  // The hello is the first frame and arrives alone; a reader consuming it leaves nothing behind.
  lsp::FrameReader reader;
  if (!read_hello(*stream, reader, timeout_ms)) return nullptr;
  std::shared_ptr<BridgeClient> c(new BridgeClient(std::move(stream), socket_path));
  c->reader_ = std::thread([c_raw = c.get()] { c_raw->read_loop(); });
  return c;
}

BridgeClient::BridgeClient(std::unique_ptr<lsp::ByteStream> stream, std::string path)
    : stream_(std::move(stream)), path_(std::move(path)) {}

BridgeClient::~BridgeClient() {
  stream_->close();
  if (reader_.joinable()) {
    if (reader_.get_id() == std::this_thread::get_id()) {
      reader_.detach();
    } else {
      reader_.join();
    }
  }
}

std::string BridgeClient::describe() const { return "the Stride app (bridge " + path_ + ")"; }

bool BridgeClient::connected() const {
  std::lock_guard lock(mutex_);
  return connected_;
}

std::shared_ptr<CompletionRequestHandle> BridgeClient::submit(CompletionInput input, OnDone on_done) {
  int64_t id;
  {
    std::lock_guard lock(mutex_);
    if (!connected_) {
      CompletionOutput out;
      out.error = "the Stride app closed the bridge";
      on_done(out);
      return nullptr;
    }
    id = next_id_++;
    pending_[id] = std::move(on_done);
  }
  json msg{{"op", "complete"}, {"id", id}, {"input", bridge::to_json(input)}};
  if (!stream_->write_all(lsp::encode_frame(msg.dump(-1, ' ', false, json::error_handler_t::replace)))) {
    fail_all("the Stride app closed the bridge");
  }
  return std::make_shared<Handle>(weak_from_this(), id);
}

void BridgeClient::send_cancel(int64_t id) {
  stream_->write_all(lsp::encode_frame(json{{"op", "cancel"}, {"id", id}}.dump()));
}

void BridgeClient::fail_all(const std::string& why) {
  std::map<int64_t, OnDone> left;
  {
    std::lock_guard lock(mutex_);
    connected_ = false;
    left.swap(pending_);
  }
  for (auto& [id, done] : left) {
    CompletionOutput out;
    out.error = why;
    done(out);
  }
}

void BridgeClient::read_loop() {
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
        done = std::move(it->second);
        pending_.erase(it);
      }
      done(bridge::output_from_json(j));
    }
  }
  fail_all("the Stride app closed the bridge");
}

}  // namespace stride
