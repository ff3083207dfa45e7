// UTF-8 helpers shared by the tokenizers: NFC normalisation (utf8proc), code point decoding that
// tolerates invalid bytes, and U+FFFD repair of byte strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace stride::tokenizer {

// A decoded code point, or one invalid byte (cp = -1, len = 1). Invalid bytes are kept so that a
// byte-level tokenizer can still encode a file that is not valid UTF-8 (e.g. Latin-1 source).
struct CodePoint {
  int32_t cp;
  int len;
};
CodePoint decode_utf8_at(std::string_view s, size_t pos);

// NFC of the valid UTF-8 runs of `s`; invalid bytes pass through unchanged.
std::string nfc_normalize(std::string_view s);

// `s` with every invalid or incomplete UTF-8 sequence replaced by U+FFFD.
std::string repair_utf8(std::string_view s);

// Length of the longest prefix of `s` that ends on a boundary where no multi-byte sequence is
// cut: a trailing sequence that is still incomplete (but could become valid) is left out.
size_t complete_utf8_prefix(std::string_view s);

void append_utf8(std::string& out, int32_t cp);

}  // namespace stride::tokenizer
