// GPT-2's reversible byte <-> printable code point mapping used by byte-level BPE vocabularies
// (openai/gpt-2 encoder.py bytes_to_unicode): printable Latin-1 bytes map to themselves, the
// others to U+0100 and up, so every byte string is a string of visible characters.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace stride::tokenizer {

class ByteLevelMap {
 public:
  ByteLevelMap();
  // UTF-8 of the code point standing for byte b.
  const std::string& encode_byte(uint8_t b) const { return byte_to_text_[b]; }
  // Maps each byte of `bytes` to its character.
  std::string encode(std::string_view bytes) const;
  // Inverse of encode; false when `text` holds a character that stands for no byte.
  bool decode(std::string_view text, std::string& bytes) const;

 private:
  std::array<std::string, 256> byte_to_text_;
  std::array<int16_t, 0x144> cp_to_byte_;  // all mapped code points are below U+0144
};

const ByteLevelMap& byte_level_map();

}  // namespace stride::tokenizer
