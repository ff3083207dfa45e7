// Byte streams the LSP base protocol runs over: stdio, a loopback TCP connection or a Unix socket.
// Framing (frame_reader.h) and JSON-RPC sit on top and do not care which one it is.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace stride::lsp {

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  // Blocks until some bytes arrive; returns 0 at end of stream or on error.
  virtual size_t read_some(char* buf, size_t size) = 0;
  // Writes everything; false when the peer is gone. Safe to call from several threads.
  virtual bool write_all(std::string_view data) = 0;
  // Unblocks a pending read_some (it then returns 0); used when shutting a session down.
  virtual void close() = 0;
  // Waits until read_some would not block: 1 = readable (data, end of stream or error),
  // 0 = `timeout_ms` passed, -1 = error. timeout_ms < 0 waits forever. Streams that cannot wait
  // report readable at once (read_some then blocks as before).
  virtual int wait_readable(int timeout_ms) {
    (void)timeout_ms;
    return 1;
  }
};

// A pair of file descriptors (stdin/stdout, or one socket for both directions).
class FdStream : public ByteStream {
 public:
  FdStream(int read_fd, int write_fd, bool owns_fds);
  ~FdStream() override;
  size_t read_some(char* buf, size_t size) override;
  bool write_all(std::string_view data) override;
  void close() override;
  int wait_readable(int timeout_ms) override;

 private:
  int read_fd_, write_fd_;
  bool owns_;
  std::atomic<bool> closed_{false};  // close() may come from another thread (a watchdog)
  std::mutex write_mutex_;
};

// Listening sockets. Each throws stride::Error with the address and errno text on failure.
class Listener {
 public:
  // TCP on 127.0.0.1 only: never reachable from another machine. port 0 picks a free port.
  static std::unique_ptr<Listener> tcp_loopback(int port);
  // A Unix socket at `path` (an existing socket file there is replaced), mode 0600.
  static std::unique_ptr<Listener> unix_socket(const std::string& path);
  ~Listener();
  // Blocks for the next connection; nullptr after close() or on error.
  std::unique_ptr<ByteStream> accept();
  void close();
  int port() const { return port_; }

 private:
  Listener(int fd, int port, std::string path) : fd_(fd), port_(port), path_(std::move(path)) {}
  int fd_;
  int port_;
  std::string path_;  // unlinked on destruction
};

// Client side connections; nullptr when nothing listens there.
std::unique_ptr<ByteStream> connect_tcp_loopback(int port);
std::unique_ptr<ByteStream> connect_unix_socket(const std::string& path);

}  // namespace stride::lsp
