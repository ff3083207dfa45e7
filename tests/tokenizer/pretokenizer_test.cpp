// The hand-written split matchers against pieces worked out from the regexes by hand.
#include <gtest/gtest.h>

#include "tokenizer/pretokenizer.h"

namespace stride::tokenizer {
namespace {

std::vector<std::string> split(SplitPattern p, const std::string& text) {
  std::vector<std::string> out;
  for (auto piece : pre_tokenize(p, text)) out.emplace_back(piece);
  return out;
}

using V = std::vector<std::string>;

TEST(Pretokenizer, Qwen2WordsSpacesAndPunctuation) {
  auto p = SplitPattern::Qwen2;
  EXPECT_EQ(split(p, "Hello world"), (V{"Hello", " world"}));
  EXPECT_EQ(split(p, "  x"), (V{" ", " x"}));
  EXPECT_EQ(split(p, "a\n\n  b"), (V{"a", "\n\n", " ", " b"}));
  EXPECT_EQ(split(p, "x  "), (V{"x", "  "}));
  EXPECT_EQ(split(p, "f(x);\n}"), (V{"f", "(x", ");\n", "}"}));
  EXPECT_EQ(split(p, "a += b"), (V{"a", " +=", " b"}));
  EXPECT_EQ(split(p, "12345"), (V{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(split(p, "\t\tx"), (V{"\t", "\tx"}));
  EXPECT_EQ(split(p, ""), V{});
}

TEST(Pretokenizer, Qwen2ContractionsIgnoreCase) {
  auto p = SplitPattern::Qwen2;
  EXPECT_EQ(split(p, "HE'D we've"), (V{"HE", "'D", " we", "'ve"}));
  EXPECT_EQ(split(p, "'LL'x"), (V{"'LL", "'x"}));
}

TEST(Pretokenizer, UnicodeClasses) {
  auto p = SplitPattern::Qwen2;
  EXPECT_EQ(split(p, "caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87"), (V{"caf\xC3\xA9", " \xE4\xB8\xAD\xE6\x96\x87"}));
  EXPECT_EQ(split(p, "a\xC2\xA0" "b"), (V{"a", "\xC2\xA0" "b"}));          // NBSP is white space
  EXPECT_EQ(split(p, "\xD9\xA1\xD9\xA2"), (V{"\xD9\xA1", "\xD9\xA2"}));    // Arabic-Indic digits are \p{N}
  EXPECT_EQ(split(p, "x \xF0\x9F\x98\x80!"), (V{"x", " \xF0\x9F\x98\x80!"}));  // emoji is punctuation-like
  EXPECT_EQ(split(p, "a\xE3\x80\x80\xE3\x80\x80" "b"), (V{"a", "\xE3\x80\x80", "\xE3\x80\x80" "b"}));  // U+3000
}

TEST(Pretokenizer, Llama3GroupsDigitsByThree) {
  EXPECT_EQ(split(SplitPattern::Llama3, "x=1234567"), (V{"x", "=", "123", "456", "7"}));
}

TEST(Pretokenizer, Gpt2Pattern) {
  auto p = SplitPattern::Gpt2;
  EXPECT_EQ(split(p, "I'm 123 abc!!"), (V{"I", "'m", " 123", " abc", "!!"}));
  EXPECT_EQ(split(p, "HE'D"), (V{"HE", "'", "D"}));  // GPT-2 contractions are case-sensitive
  EXPECT_EQ(split(p, "a   b\n"), (V{"a", "  ", " b", "\n"}));
}

TEST(Pretokenizer, InvalidBytesAreKept) {
  auto pieces = split(SplitPattern::Qwen2, "ab\xFF\xFE" "cd");
  std::string joined;
  for (auto& s : pieces) joined += s;
  EXPECT_EQ(joined, "ab\xFF\xFE" "cd");
}

TEST(Pretokenizer, KnownRegexesOnly) {
  for (auto p : {SplitPattern::Qwen2, SplitPattern::Llama3, SplitPattern::Gpt2}) {
    EXPECT_EQ(split_pattern_from_regex(split_pattern_regex(p)), p);
  }
  EXPECT_FALSE(split_pattern_from_regex("\\w+|\\s+").has_value());
}

}  // namespace
}  // namespace stride::tokenizer
