#include "tokenizer/byte_level.h"

#include "tokenizer/unicode_text.h"

namespace stride::tokenizer {

ByteLevelMap::ByteLevelMap() {
  cp_to_byte_.fill(-1);
  int next_extra = 256;
  for (int b = 0; b < 256; ++b) {
    bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    int cp = printable ? b : next_extra++;
    append_utf8(byte_to_text_[b], cp);
    cp_to_byte_[cp] = static_cast<int16_t>(b);
  }
}

std::string ByteLevelMap::encode(std::string_view bytes) const {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += byte_to_text_[static_cast<uint8_t>(c)];
  return out;
}

bool ByteLevelMap::decode(std::string_view text, std::string& bytes) const {
  size_t pos = 0;
  while (pos < text.size()) {
    CodePoint c = decode_utf8_at(text, pos);
    if (c.cp < 0 || c.cp >= static_cast<int32_t>(cp_to_byte_.size()) || cp_to_byte_[c.cp] < 0) return false;
    bytes += static_cast<char>(cp_to_byte_[c.cp]);
    pos += c.len;
  }
  return true;
}

const ByteLevelMap& byte_level_map() {
  static const ByteLevelMap map;
  return map;
}

}  // namespace stride::tokenizer
