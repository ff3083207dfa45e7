#include "bridge/bridge_server.h"

#include <cerrno>
#include <cstring>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge/bridge_protocol.h"
#include "transport/frame_reader.h"

namespace stride {

using bridge::json;

struct BridgeServer::Connection {
  std::unique_ptr<lsp::ByteStream> stream;
  std::mutex mutex;
  std::map<int64_t, std::shared_ptr<CompletionRequestHandle>> in_flight;
  std::atomic<bool> open{true};

  void send(const json& j) {
    if (open) stream->write_all(lsp::encode_frame(j.dump(-1, ' ', false, json::error_handler_t::replace)));
  }
};

namespace {

// mkdir -p of the socket folder, owned by us and closed to others (the socket's only guard).
void prepare_folder(const std::string& socket_path) {
  const size_t slash = socket_path.rfind('/');
  if (slash == std::string::npos || slash == 0) return;
  const std::string dir = socket_path.substr(0, slash);
  for (size_t p = 1; p <= dir.size(); ++p) {
    if (p == dir.size() || dir[p] == '/') {
      const std::string part = dir.substr(0, p);
      if (::mkdir(part.c_str(), p == dir.size() ? 0700 : 0755) != 0 && errno != EEXIST) {
        throw Error("bridge: cannot create " + part + ": " + std::strerror(errno));
      }
    }
  }
  struct stat st{};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) throw Error("bridge: " + dir + " is not a folder");
  if (st.st_uid != ::getuid()) throw Error("bridge: " + dir + " belongs to another user; refusing to use it");
  if ((st.st_mode & 0077) != 0 && ::chmod(dir.c_str(), 0700) != 0) {
    throw Error("bridge: cannot restrict " + dir + " to mode 0700: " + std::strerror(errno));
  }
}

}  // namespace

BridgeServer::BridgeServer(CompletionService& service, std::string socket_path)
    : service_(service), path_(socket_path.empty() ? bridge::default_socket_path() : std::move(socket_path)) {}

BridgeServer::~BridgeServer() { stop(); }

void BridgeServer::start() {
  if (running_) return;
  prepare_folder(path_);
  listener_ = lsp::Listener::unix_socket(path_);
  running_ = true;
  accept_thread_ = std::thread([this] { accept_loop(); });
}

void BridgeServer::stop() {
  if (!running_.exchange(false)) return;
  listener_->close();
  accept_thread_.join();
  std::list<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    for (auto& c : connections_) c->stream->close();
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  listener_.reset();  // unlinks the socket file
}

void BridgeServer::accept_loop() {
  while (running_) {
    auto stream = listener_->accept();
    if (!stream) break;
    auto c = std::make_shared<Connection>();
    c->stream = std::move(stream);
    std::lock_guard lock(mutex_);
    if (!running_) {
      c->stream->close();
      break;
    }
    connections_.push_back(c);
    threads_.emplace_back([this, c] { serve(c); });
  }
}

void BridgeServer::serve(std::shared_ptr<Connection> c) {
  ++served_;
  c->send({{"op", "hello"}, {"version", bridge::kBridgeProtocolVersion}});
  lsp::FrameReader reader;
  char buf[64 * 1024];
  for (;;) {
    size_t n = c->stream->read_some(buf, sizeof buf);
    if (n == 0) break;
    reader.feed(std::string_view(buf, n));
    lsp::Frame f;
    while (reader.next(f)) {
      if (!f.ok) {
        c->send({{"op", "error"}, {"message", f.error}});
        continue;
      }
      json m = json::parse(f.body, nullptr, false);
      if (!m.is_object() || !m.contains("op") || !m["op"].is_string()) {
        c->send({{"op", "error"}, {"message", "expected a JSON object with \"op\""}});
        continue;
      }
      const std::string op = m["op"];
      json id = m.value("id", json(nullptr));
      if (!id.is_number_integer()) {
        c->send({{"op", "error"}, {"message", op + ": \"id\" must be an integer"}});
        continue;
      }
      const int64_t rid = id.get<int64_t>();
      if (op == "complete") {
        CompletionInput input;
        try {
          input = bridge::input_from_json(m.value("input", json::object()));
        } catch (const std::exception& e) {
          CompletionOutput out;
          out.error = e.what();
          json done = bridge::to_json(out);
          done["op"] = "done";
          done["id"] = rid;
          c->send(done);
          continue;
        }
        std::weak_ptr<Connection> weak = c;
        auto handle = service_.submit(std::move(input), nullptr, [weak, rid](uint64_t, const CompletionOutput& out) {
          auto conn = weak.lock();
          if (!conn) return;
          {
            std::lock_guard lock(conn->mutex);
            conn->in_flight.erase(rid);
          }
          json done = bridge::to_json(out);
          done["op"] = "done";
          done["id"] = rid;
          conn->send(done);
        });
        std::lock_guard lock(c->mutex);
        c->in_flight[rid] = handle;
      } else if (op == "cancel") {
        std::shared_ptr<CompletionRequestHandle> h;
        {
          std::lock_guard lock(c->mutex);
          if (auto it = c->in_flight.find(rid); it != c->in_flight.end()) h = it->second;
        }
        if (h) h->cancel();
      } else {
        c->send({{"op", "error"}, {"id", rid}, {"message", "unknown op " + op}});
      }
    }
  }
  // The stride-lsp process went away: its requests are pointless now.
  c->open = false;
  std::map<int64_t, std::shared_ptr<CompletionRequestHandle>> left;
  {
    std::lock_guard lock(c->mutex);
    left.swap(c->in_flight);
  }
  for (auto& [id, h] : left)
    if (h) h->cancel();
  std::lock_guard lock(mutex_);
  connections_.remove(c);
}

}  // namespace stride
