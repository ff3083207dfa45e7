// An open document: UTF-8 text plus the conversion between LSP positions (line + character in
// the negotiated encoding) and byte offsets. Positions past the end of a line or of the file are
// clamped (LSP 3.17 §Position: "If the character value is greater than the line length it
// defaults back to the line length"); a character inside a multi-unit code point (half of a
// UTF-16 surrogate pair, the middle of a UTF-8 sequence) rounds down to that code point's start.
#pragma once

#include <string>
#include <vector>

#include "protocol/protocol.h"

namespace stride::lsp {

class TextDocument {
 public:
  TextDocument() = default;
  TextDocument(std::string uri, std::string language_id, int version, std::string text);

  const std::string& uri() const { return uri_; }
  const std::string& language_id() const { return language_id_; }
  const std::string& text() const { return text_; }
  int version() const { return version_; }

  size_t offset_of(const Position& p, PositionEncoding enc) const;
  Position position_of(size_t offset, PositionEncoding enc) const;

  // didChange: a full replacement (no range) or an incremental edit of the range.
  void apply_change(const TextDocumentContentChangeEvent& change, PositionEncoding enc);
  void set_version(int v) { version_ = v; }

 private:
  void index_lines();

  std::string uri_, language_id_, text_;
  int version_ = 0;
  std::vector<size_t> line_starts_;  // byte offset of each line's first byte
};

// Units one code point takes in `enc` (UTF-8 bytes, UTF-16 code units, 1 for UTF-32).
int code_point_units(int32_t code_point, int utf8_bytes, PositionEncoding enc);

}  // namespace stride::lsp
