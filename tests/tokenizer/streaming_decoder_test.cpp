// StreamingDecoder holds back the first bytes of a character split across tokens.
#include <gtest/gtest.h>

#include "qwen_tokenizer.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/unicode_text.h"

namespace stride::test {
namespace {

// The id of the byte-level token that is exactly byte b.
int32_t byte_token(const Tokenizer& tok, unsigned char b) {
  return tok.token_id(tokenizer::byte_level_map().encode_byte(b));
}

TEST(StreamingDecoder, EmojiSplitIntoByteTokens) {
  const Tokenizer& tok = qwen_tokenizer();
  StreamingDecoder dec(tok);
  const std::string emoji = "\xF0\x9F\x98\x80";  // U+1F600
  EXPECT_EQ(dec.push(tok.token_id("a")), "a");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(dec.push(byte_token(tok, emoji[i])), "") << i;
  EXPECT_EQ(dec.push(byte_token(tok, emoji[3])), emoji);
  EXPECT_EQ(dec.flush(), "");
}

TEST(StreamingDecoder, PiecesConcatenateToTheDecodedText) {
  const Tokenizer& tok = qwen_tokenizer();
  const std::string text = "Hi 😀🚀 世界 👨‍👩‍👧 done\n";
  auto ids = tok.encode(text);
  StreamingDecoder dec(tok);
  std::string streamed;
  int empty_pushes = 0;
  for (int32_t id : ids) {
    std::string piece = dec.push(id);
    EXPECT_EQ(tokenizer::repair_utf8(piece), piece) << "a push returned invalid UTF-8";
    empty_pushes += piece.empty();
    streamed += piece;
  }
  streamed += dec.flush();
  EXPECT_EQ(streamed, text);
  EXPECT_GT(empty_pushes, 0);  // some emoji are really split over several tokens here
}

TEST(StreamingDecoder, BrokenSequencesBecomeReplacementCharacters) {
  const Tokenizer& tok = qwen_tokenizer();
  StreamingDecoder dec(tok);
  EXPECT_EQ(dec.push(byte_token(tok, 0xE4)), "");                 // lead byte of a 3-byte char
  EXPECT_EQ(dec.push(tok.token_id("a")), "\xEF\xBF\xBD" "a");       // ... that never completes
  EXPECT_EQ(dec.push(byte_token(tok, 0xF0)), "");
  EXPECT_EQ(dec.flush(), "\xEF\xBF\xBD");                           // flush gives up on it
  EXPECT_EQ(dec.flush(), "");
}

}  // namespace
}  // namespace stride::test
