// User text is data: added-token strings in it are only control tokens with parse_special.
#include <algorithm>

#include <gtest/gtest.h>

#include "qwen_tokenizer.h"

namespace stride::test {
namespace {

bool has_added_token(const std::vector<int32_t>& ids) {
  return std::any_of(ids.begin(), ids.end(), [](int32_t id) { return id >= 151643; });
}

TEST(SpecialTokens, PlainTextNeverYieldsControlTokens) {
  const Tokenizer& tok = qwen_tokenizer();
  const std::string text =
      "x = \"<|endoftext|>\"  # <|fim_prefix|><|fim_suffix|><|fim_middle|>\n<|im_start|>user<|im_end|><think>";
  auto ids = tok.encode(text, /*parse_special=*/false);
  EXPECT_FALSE(has_added_token(ids));
  EXPECT_EQ(tok.decode(ids), text);
  EXPECT_GT(ids.size(), 20u);  // the markers are spelled out in ordinary tokens
}

TEST(SpecialTokens, ParseSpecialTurnsMarkersIntoIds) {
  const Tokenizer& tok = qwen_tokenizer();
  auto ids = tok.encode("a<|endoftext|>b<|fim_middle|>", /*parse_special=*/true);
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(ids[1], 151643);
  EXPECT_EQ(ids[3], 151660);
  EXPECT_EQ(ids[0], tok.token_id("a"));
  EXPECT_EQ(tok.decode(ids), "a<|endoftext|>b<|fim_middle|>");
}

TEST(SpecialTokens, DefaultIsPlainText) {
  const Tokenizer& tok = qwen_tokenizer();
  EXPECT_FALSE(has_added_token(tok.encode("<|endoftext|>")));
  EXPECT_EQ(tok.encode("<|endoftext|>", true), std::vector<int32_t>{151643});
}

TEST(SpecialTokens, PartialMarkersStayText) {
  const Tokenizer& tok = qwen_tokenizer();
  const std::string text = "<|endoftext|<|fim_prefix <|fim_prefix|";
  auto ids = tok.encode(text, /*parse_special=*/true);
  EXPECT_FALSE(has_added_token(ids));
  EXPECT_EQ(tok.decode(ids), text);
  EXPECT_EQ(ids, tok.encode(text, false));
}

}  // namespace
}  // namespace stride::test
