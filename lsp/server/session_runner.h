// Runs LSP sessions over byte streams: the reader loop (bytes → frames → LspServer) for one
// connection, and a listener loop that serves many connections concurrently on one backend
// (each connection its own session and client id, so the CompletionService queues them fairly).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "server/connection_threads.h"
#include "server/lsp_server.h"
#include "transport/byte_stream.h"

namespace stride::lsp {

// Serves one connection until exit or end of stream; returns the LSP exit code (0 after shutdown).
int run_session(ByteStream& stream, std::shared_ptr<BackendLoader> backend, ServerOptions options);

// Accepts connections until `stop` is set or the listener is closed; client ids "lsp:1", "lsp:2"…
// Each connection runs on its own thread in `threads` (a local set when null; tests pass one to
// watch the bookkeeping); finished ones are joined as new connections arrive, all at the end.
void serve_connections(Listener& listener, std::shared_ptr<BackendLoader> backend, const ServerOptions& options,
                       std::atomic<bool>& stop, ConnectionThreads* threads = nullptr);

}  // namespace stride::lsp
