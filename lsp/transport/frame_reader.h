// LSP base protocol framing: "Content-Length: N\r\n[other headers]\r\n\r\n" + N bytes of body.
// FrameReader is an incremental parser: feed it whatever bytes arrived and take out complete
// bodies or framing errors. It never throws and always recovers at the next header block, so one
// malformed frame costs that frame only.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

namespace stride::lsp {

struct Frame {
  bool ok = true;       // false: a framing error; `error` says why and `body` is empty
  std::string body;
  std::string error;
};

class FrameReader {
 public:
  static constexpr size_t kMaxHeaderBytes = 8 * 1024;
  static constexpr size_t kMaxBodyBytes = 64 * 1024 * 1024;

  void feed(std::string_view bytes);
  // Next complete frame (or framing error); false when more bytes are needed.
  bool next(Frame& out);
  size_t buffered() const { return buffer_.size(); }

 private:
  bool parse_one(Frame& out);
  void resync(size_t from);

  std::string buffer_;
};

// "Content-Length: N\r\n\r\n" + body.
std::string encode_frame(std::string_view body);

}  // namespace stride::lsp
