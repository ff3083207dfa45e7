#include "tokenizer/unicode_text.h"

#include <cstdlib>
#include <utf8proc.h>

namespace stride::tokenizer {

namespace {

// Number of bytes a sequence starting with `lead` has, 0 when `lead` cannot start one.
int sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// Valid range of the second byte for a lead byte (RFC 3629 table: no overlongs, no surrogates,
// nothing above U+10FFFF).
bool second_byte_ok(unsigned char lead, unsigned char b) {
  if (lead == 0xE0) return b >= 0xA0 && b <= 0xBF;
  if (lead == 0xED) return b >= 0x80 && b <= 0x9F;
  if (lead == 0xF0) return b >= 0x90 && b <= 0xBF;
  if (lead == 0xF4) return b >= 0x80 && b <= 0x8F;
  return b >= 0x80 && b <= 0xBF;
}

// How many bytes starting at pos form a valid prefix of a sequence (up to its full length).
int valid_prefix(std::string_view s, size_t pos, int need) {
  int have = 1;
  while (have < need && pos + have < s.size()) {
    unsigned char b = static_cast<unsigned char>(s[pos + have]);
    bool ok = have == 1 ? second_byte_ok(static_cast<unsigned char>(s[pos]), b) : (b >= 0x80 && b <= 0xBF);
    if (!ok) break;
    ++have;
  }
  return have;
}

}  // namespace

CodePoint decode_utf8_at(std::string_view s, size_t pos) {
  unsigned char lead = static_cast<unsigned char>(s[pos]);
  int need = sequence_length(lead);
  if (need == 1) return {lead, 1};
  if (need == 0 || valid_prefix(s, pos, need) != need) return {-1, 1};
  int32_t cp = lead & (0xFF >> (need + 1));
  for (int i = 1; i < need; ++i) cp = (cp << 6) | (static_cast<unsigned char>(s[pos + i]) & 0x3F);
  return {cp, need};
}

void append_utf8(std::string& out, int32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

namespace {

void append_nfc(std::string& out, std::string_view run) {
  bool ascii = true;
  for (char c : run) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) {  // ASCII is its own NFC form; skip the allocation in utf8proc_map.
    out.append(run);
    return;
  }
  utf8proc_uint8_t* mapped = nullptr;
  utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(run.data()),
                                    static_cast<utf8proc_ssize_t>(run.size()), &mapped,
                                    static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n < 0) {  // Cannot happen for a validated run; keep the text rather than lose it.
    out.append(run);
  } else {
    out.append(reinterpret_cast<const char*>(mapped), static_cast<size_t>(n));
  }
  std::free(mapped);
}

}  // namespace

std::string nfc_normalize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t run_start = 0, pos = 0;
  while (pos < s.size()) {
    CodePoint c = decode_utf8_at(s, pos);
    if (c.cp < 0) {
      append_nfc(out, s.substr(run_start, pos - run_start));
      out += s[pos];
      run_start = pos + 1;
    }
    pos += c.len;
  }
  append_nfc(out, s.substr(run_start));
  return out;
}

std::string repair_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    CodePoint c = decode_utf8_at(s, pos);
    if (c.cp >= 0) {
      out.append(s.substr(pos, c.len));
      pos += c.len;
      continue;
    }
    // One U+FFFD per maximal invalid subpart (the Unicode "best practice", as Python and Rust do).
    int need = sequence_length(static_cast<unsigned char>(s[pos]));
    int skip = need == 0 ? 1 : valid_prefix(s, pos, need);
    out += "\xEF\xBF\xBD";
    pos += skip;
  }
  return out;
}

size_t complete_utf8_prefix(std::string_view s) {
  // Only the last (up to) 3 bytes can belong to an unfinished sequence.
  size_t start = s.size() >= 3 ? s.size() - 3 : 0;
  for (size_t pos = start; pos < s.size(); ++pos) {
    unsigned char b = static_cast<unsigned char>(s[pos]);
    int need = sequence_length(b);
    if (need <= 1) continue;
    int have = valid_prefix(s, pos, need);
    if (have < need && pos + have == s.size()) return pos;  // still waiting for more bytes
  }
  return s.size();
}

}  // namespace stride::tokenizer
