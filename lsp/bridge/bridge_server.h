// BridgeServer: the desktop app's side of the bridge (protocol in bridge_protocol.h). The app
// constructs it with its CompletionService and calls start()/stop(); every stride-lsp process of
// the same user then completes on the app's engine (one copy of the weights for every editor).
#pragma once

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "completion/completion_service.h"
#include "transport/byte_stream.h"

namespace stride {

class BridgeServer {
 public:
  // `socket_path` empty = bridge::default_socket_path().
  BridgeServer(CompletionService& service, std::string socket_path = {});
  ~BridgeServer();

  // Creates the folder (0700, must be owned by this user) and the socket (0600), then accepts
  // connections on a thread. Throws stride::Error naming the path when that fails.
  void start();
  // Closes the socket and every connection (their requests are cancelled) and joins the threads.
  void stop();
  const std::string& socket_path() const { return path_; }
  int connections_served() const { return served_.load(); }

 private:
  struct Connection;
  void accept_loop();
  void serve(std::shared_ptr<Connection> c);

  CompletionService& service_;
  std::string path_;
  std::unique_ptr<lsp::Listener> listener_;
  std::thread accept_thread_;
  std::mutex mutex_;
  std::list<std::shared_ptr<Connection>> connections_;
  std::list<std::thread> threads_;
  std::atomic<bool> running_{false};
  std::atomic<int> served_{0};
};

}  // namespace stride
