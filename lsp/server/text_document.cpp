#include "server/text_document.h"

#include <algorithm>

#include <utf8proc.h>

namespace stride::lsp {

namespace {

// Decodes the code point at `pos`; invalid bytes count as one U+FFFD of one byte, so positions
// stay well defined for any input.
int decode(const std::string& s, size_t pos, int32_t& cp) {
  utf8proc_int32_t c = 0;
  auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + pos),
                            static_cast<utf8proc_ssize_t>(s.size() - pos), &c);
  if (n <= 0) {
    cp = 0xFFFD;
    return 1;
  }
  cp = c;
  return static_cast<int>(n);
}

}  // namespace

int code_point_units(int32_t code_point, int utf8_bytes, PositionEncoding enc) {
  switch (enc) {
    case PositionEncoding::Utf8: return utf8_bytes;
    case PositionEncoding::Utf16: return code_point >= 0x10000 ? 2 : 1;
    case PositionEncoding::Utf32: return 1;
  }
  return 1;
}

TextDocument::TextDocument(std::string uri, std::string language_id, int version, std::string text)
    : uri_(std::move(uri)), language_id_(std::move(language_id)), text_(std::move(text)), version_(version) {
  index_lines();
}

void TextDocument::index_lines() {
  line_starts_.assign(1, 0);
  for (size_t i = 0; i < text_.size(); ++i) {
    // LSP line terminators: \n, \r\n and \r.
    if (text_[i] == '\n') {
      line_starts_.push_back(i + 1);
    } else if (text_[i] == '\r') {
      if (i + 1 < text_.size() && text_[i + 1] == '\n') ++i;
      line_starts_.push_back(i + 1);
    }
  }
}

size_t TextDocument::offset_of(const Position& p, PositionEncoding enc) const {
  if (p.line < 0) return 0;
  if (static_cast<size_t>(p.line) >= line_starts_.size()) return text_.size();  // past the last line
  size_t pos = line_starts_[p.line];
  size_t line_end = static_cast<size_t>(p.line) + 1 < line_starts_.size() ? line_starts_[p.line + 1] : text_.size();
  // The terminator is not part of the line's content.
  while (line_end > pos && (text_[line_end - 1] == '\n' || text_[line_end - 1] == '\r')) --line_end;
  int remaining = std::max(0, p.character);
  while (pos < line_end && remaining > 0) {
    int32_t cp = 0;
    int n = decode(text_, pos, cp);
    int units = code_point_units(cp, n, enc);
    if (units > remaining) break;  // inside this code point: round down
    remaining -= units;
    pos += static_cast<size_t>(n);
  }
  return std::min(pos, line_end);
}

Position TextDocument::position_of(size_t offset, PositionEncoding enc) const {
  offset = std::min(offset, text_.size());
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const size_t line = static_cast<size_t>(it - line_starts_.begin()) - 1;
  Position p;
  p.line = static_cast<int>(line);
  size_t pos = line_starts_[line];
  while (pos < offset) {
    int32_t cp = 0;
    int n = decode(text_, pos, cp);
    if (pos + static_cast<size_t>(n) > offset) break;
    p.character += code_point_units(cp, n, enc);
    pos += static_cast<size_t>(n);
  }
  return p;
}

void TextDocument::apply_change(const TextDocumentContentChangeEvent& change, PositionEncoding enc) {
  if (!change.range) {
    text_ = change.text;
  } else {
    size_t a = offset_of(change.range->start, enc);
    size_t b = offset_of(change.range->end, enc);
    if (b < a) std::swap(a, b);  // a reversed range still names the same span
    text_.replace(a, b - a, change.text);
  }
  index_lines();
}

}  // namespace stride::lsp
