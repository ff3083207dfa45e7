// Added tokens (special like "<|endoftext|>" and non-special like "<|fim_prefix|>"): finds their
// strings in a text so that encode(..., parse_special = true) can turn them into single ids.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stride::tokenizer {

struct AddedToken {
  int32_t id = -1;
  std::string content;
  bool special = false;
  bool lstrip = false;       // the token swallows white space on its left
  bool rstrip = false;       // ... and on its right
  bool single_word = false;  // only matches when not inside a word
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(std::vector<AddedToken> tokens);

  // A piece of text: either plain text (id < 0) or one added token.
  struct Segment {
    std::string_view text;
    int32_t id;
  };
  // Leftmost-longest matches of the added tokens' contents, with the plain text between them.
  std::vector<Segment> split(std::string_view text) const;

  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  std::vector<AddedToken> tokens_;
  std::array<std::vector<int>, 256> by_first_byte_;  // indices into tokens_, longest first
};

}  // namespace stride::tokenizer
