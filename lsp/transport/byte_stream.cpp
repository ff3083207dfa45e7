#include "transport/byte_stream.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "stride/engine.h"

namespace stride::lsp {

namespace {

[[noreturn]] void fail(const std::string& what) { throw Error(what + ": " + std::strerror(errno)); }

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) throw Error("Unix socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

}  // namespace

FdStream::FdStream(int read_fd, int write_fd, bool owns_fds) : read_fd_(read_fd), write_fd_(write_fd), owns_(owns_fds) {}

FdStream::~FdStream() {
  if (owns_) {
    ::close(read_fd_);
    if (write_fd_ != read_fd_) ::close(write_fd_);
  }
}

size_t FdStream::read_some(char* buf, size_t size) {
  for (;;) {
    ssize_t n = ::read(read_fd_, buf, size);
    if (n > 0) return static_cast<size_t>(n);
    if (n < 0 && errno == EINTR) continue;
    return 0;
  }
}

bool FdStream::write_all(std::string_view data) {
  std::lock_guard lock(write_mutex_);
  while (!data.empty()) {
    // MSG_NOSIGNAL on sockets: a vanished client must not kill the server with SIGPIPE.
    ssize_t n = ::send(write_fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = ::write(write_fd_, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

int FdStream::wait_readable(int timeout_ms) {
  pollfd p{read_fd_, POLLIN, 0};
  for (;;) {
    int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;  // a signal: waiting somewhat longer is harmless
    if (r < 0) return -1;
    return r == 0 ? 0 : 1;
  }
}

void FdStream::close() {
  if (closed_.exchange(true)) return;
  // shutdown() wakes a reader blocked in read(); for pipes there is no such call, so the
  // process-level stdio session simply ends at EOF.
  ::shutdown(read_fd_, SHUT_RDWR);
}

std::unique_ptr<Listener> Listener::tcp_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    fail("bind 127.0.0.1:" + std::to_string(port));
  }
  if (::listen(fd, 64) < 0) fail("listen");
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return std::unique_ptr<Listener>(new Listener(fd, ntohs(addr.sin_port), ""));
}

std::unique_ptr<Listener> Listener::unix_socket(const std::string& path) {
  sockaddr_un addr = unix_address(path);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  struct stat st{};
  if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
  // Create the socket file already restricted to its owner (no window where others could connect).
  mode_t old = ::umask(0177);
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (rc < 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    fail("bind " + path);
  }
  ::chmod(path.c_str(), 0600);
  if (::listen(fd, 64) < 0) fail("listen " + path);
  return std::unique_ptr<Listener>(new Listener(fd, 0, path));
}

Listener::~Listener() {
  close();
  if (!path_.empty()) ::unlink(path_.c_str());
}

std::unique_ptr<ByteStream> Listener::accept() {
  for (;;) {
    if (fd_ < 0) return nullptr;
    int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c >= 0) {
      int one = 1;
      if (path_.empty()) ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return std::make_unique<FdStream>(c, c, true);
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    return nullptr;
  }
}

void Listener::close() {
  if (fd_ >= 0) {
    ::shutdown(fd_, SHUT_RDWR);  // wakes a thread blocked in accept()
    ::close(fd_);
    fd_ = -1;
  }
}

std::unique_ptr<ByteStream> connect_tcp_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    ::close(fd);
    return nullptr;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return std::make_unique<FdStream>(fd, fd, true);
}

std::unique_ptr<ByteStream> connect_unix_socket(const std::string& path) {
  sockaddr_un addr{};
  try {
    addr = unix_address(path);
  } catch (const Error&) {
    return nullptr;
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    ::close(fd);
    return nullptr;
  }
  return std::make_unique<FdStream>(fd, fd, true);
}

}  // namespace stride::lsp
