#include "server/session_runner.h"

#include <thread>

#include "transport/frame_reader.h"

namespace stride::lsp {

int run_session(ByteStream& stream, std::shared_ptr<BackendLoader> backend, ServerOptions options) {
  auto server = LspServer::create(
      std::move(backend), [&stream](const std::string& body) { stream.write_all(encode_frame(body)); },
      std::move(options));
  FrameReader reader;
  char buf[64 * 1024];
  while (!server->exit_requested()) {
    size_t n = stream.read_some(buf, sizeof buf);
    if (n == 0) break;  // the client went away (or closed its end)
    reader.feed(std::string_view(buf, n));
    Frame f;
    while (!server->exit_requested() && reader.next(f)) {
      if (f.ok) {
        server->handle_message(f.body);
      } else {
        server->handle_framing_error(f.error);
      }
    }
  }
  // Cancel whatever is still running for this client; late answers are dropped.
  server->close();
  return server->exit_requested() ? server->exit_code() : 1;
}

void serve_connections(Listener& listener, std::shared_ptr<BackendLoader> backend, const ServerOptions& options,
                       std::atomic<bool>& stop, ConnectionThreads* threads) {
  ConnectionThreads own;
  ConnectionThreads& conns = threads ? *threads : own;
  int next_client = 1;
  while (!stop.load()) {
    auto conn = listener.accept();
    if (!conn) break;
    // Join the sessions that ended since the last accept, so finished threads do not pile up.
    conns.reap();
    ServerOptions o = options;
    o.client_id = "lsp:" + std::to_string(next_client++);
    conns.start([c = std::shared_ptr<ByteStream>(std::move(conn)), backend, o] { run_session(*c, backend, o); });
  }
  conns.join_all();
}

}  // namespace stride::lsp
