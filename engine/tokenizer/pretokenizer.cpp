#include "tokenizer/pretokenizer.h"

#include <cstdint>
#include <utf8proc.h>

#include "tokenizer/unicode_text.h"

namespace stride::tokenizer {

namespace {

const char* kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* kLlama3Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* kGpt2Regex = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

enum : uint8_t { kLetter = 1, kNumber = 2, kSpace = 4, kLineBreak = 8 };

// Unicode White_Space, which is what \s means in Oniguruma's Unicode mode.
bool is_white_space(int32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

uint8_t classify(int32_t cp) {
  if (cp < 0) return 0;  // an invalid byte
  if (cp < 0x80) {
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return kLetter;
    if (cp >= '0' && cp <= '9') return kNumber;
    if (cp == '\r' || cp == '\n') return kSpace | kLineBreak;
    return is_white_space(cp) ? kSpace : 0;
  }
  if (is_white_space(cp)) return kSpace;
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
      return kLetter;
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
      return kNumber;
    default:
      return 0;
  }
}

struct Char {
  int32_t cp;
  uint32_t offset;  // byte offset in the text
  uint8_t cls;
};

class Matcher {
 public:
  explicit Matcher(std::string_view text) {
    chars_.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
      CodePoint c = decode_utf8_at(text, pos);
      chars_.push_back({c.cp, static_cast<uint32_t>(pos), classify(c.cp)});
      pos += c.len;
    }
    n_ = chars_.size();
  }
  size_t size() const { return n_; }
  uint32_t offset(size_t i) const { return i < n_ ? chars_[i].offset : 0; }

  // End (char index) of the match of each pattern starting at char i < size().
  size_t match_qwen(size_t i, size_t max_digits) const {
    if (size_t e = contraction(i, /*ignore_case=*/true)) return e;
    if (letter(i)) return run(i, kLetter);
    if (!(cls(i) & (kLineBreak | kLetter | kNumber)) && letter(i + 1)) return run(i + 1, kLetter);
    if (number(i)) {
      size_t j = i + 1;
      while (j < n_ && j - i < max_digits && number(j)) ++j;
      return j;
    }
    size_t p = (cp(i) == ' ' && other(i + 1)) ? i + 1 : i;
    if (other(p)) {
      size_t j = p;
      while (other(j)) ++j;
      while (cls(j) & kLineBreak) ++j;
      return j;
    }
    // chars_[i] is white space: \s*[\r\n]+ ends after the last line break of the run.
    size_t end = run(i, kSpace);
    for (size_t k = end; k > i; --k) {
      if (cls(k - 1) & kLineBreak) return k;
    }
    return trailing_space(i, end);
  }

  size_t match_gpt2(size_t i) const {
    if (size_t e = contraction(i, /*ignore_case=*/false)) return e;
    size_t p = (cp(i) == ' ' && i + 1 < n_ && !(cls(i + 1) & kSpace)) ? i + 1 : i;
    if (letter(p)) return run(p, kLetter);
    if (number(p)) return run(p, kNumber);
    if (other(p)) {
      size_t j = p;
      while (other(j)) ++j;
      return j;
    }
    return trailing_space(i, run(i, kSpace));
  }

 private:
  int32_t cp(size_t i) const { return i < n_ ? chars_[i].cp : -2; }
  uint8_t cls(size_t i) const { return i < n_ ? chars_[i].cls : 0; }
  bool letter(size_t i) const { return i < n_ && (chars_[i].cls & kLetter); }
  bool number(size_t i) const { return i < n_ && (chars_[i].cls & kNumber); }
  // [^\s\p{L}\p{N}]
  bool other(size_t i) const { return i < n_ && chars_[i].cls == 0; }
  size_t run(size_t i, uint8_t cls_bit) const {
    while (i < n_ && (chars_[i].cls & cls_bit)) ++i;
    return i;
  }
  // \s+(?!\S)|\s+ over the white-space run [i, end): leave the last space to the next word.
  size_t trailing_space(size_t i, size_t end) const {
    if (end == n_ || end - i < 2) return end;
    return end - 1;
  }
  bool is_char(size_t i, char lower, bool ignore_case) const {
    int32_t c = cp(i);
    if (c == lower) return true;
    if (!ignore_case) return false;
    // Case folding: ASCII upper case, and U+017F LATIN SMALL LETTER LONG S folds to 's'.
    return c == lower - 'a' + 'A' || (lower == 's' && c == 0x17F);
  }
  size_t contraction(size_t i, bool ignore_case) const {
    if (cp(i) != '\'') return 0;
    for (char c : {'s', 't', 'm', 'd'}) {
      if (is_char(i + 1, c, ignore_case)) return i + 2;
    }
    for (const char* two : {"re", "ve", "ll"}) {
      if (is_char(i + 1, two[0], ignore_case) && is_char(i + 2, two[1], ignore_case)) return i + 3;
    }
    return 0;
  }

  std::vector<Char> chars_;
  size_t n_ = 0;
};

}  // namespace

std::optional<SplitPattern> split_pattern_from_regex(const std::string& regex) {
  if (regex == kQwen2Regex) return SplitPattern::Qwen2;
  if (regex == kLlama3Regex) return SplitPattern::Llama3;
  if (regex == kGpt2Regex) return SplitPattern::Gpt2;
  return std::nullopt;
}

std::string split_pattern_regex(SplitPattern p) {
  switch (p) {
    case SplitPattern::Qwen2: return kQwen2Regex;
    case SplitPattern::Llama3: return kLlama3Regex;
    case SplitPattern::Gpt2: return kGpt2Regex;
  }
  return {};
}

std::vector<std::string_view> pre_tokenize(SplitPattern pattern, std::string_view text) {
  std::vector<std::string_view> pieces;
  Matcher m(text);
  size_t i = 0;
  while (i < m.size()) {
    size_t end = pattern == SplitPattern::Qwen2    ? m.match_qwen(i, 1)
                 : pattern == SplitPattern::Llama3 ? m.match_qwen(i, 3)
                                                   : m.match_gpt2(i);
    uint32_t from = m.offset(i);
    uint32_t to = end < m.size() ? m.offset(end) : static_cast<uint32_t>(text.size());
    pieces.push_back(text.substr(from, to - from));
    i = end;
  }
  return pieces;
}

}  // namespace stride::tokenizer
